//! List values (vectors and arrays) read element by element: each kind of
//! element knows which JSON values it takes and how it is stored.

use std::fmt;

use half::{bf16, f16};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::fault::{Fault, close, fail, show};
use crate::columns::{Bools, List, Strs, Values};
use crate::error::Reason;

/// How many elements a list must or may have.
#[derive(Clone, Copy)]
pub(super) enum Limit {
    Exactly(usize),
    AtMost(u32),
}

pub(super) fn read_list<'de, A, K>(
    mut seq: A,
    kind: K,
    list: &mut List<K::Values>,
    limit: Limit,
    fault: &mut Fault,
) -> Result<(), A::Error>
where
    A: SeqAccess<'de>,
    K: ElemKind,
{
    let mut count = 0usize;
    while let Some(()) = seq.next_element_seed(ElemSeed {
        kind: &kind,
        out: &mut list.values,
        index: count,
        fault: &mut *fault,
    })? {
        count += 1;
    }
    match limit {
        Limit::Exactly(n) if count != n => fail(
            fault,
            Reason::Dim {
                expected: n,
                got: count,
            },
        ),
        Limit::AtMost(max) if count > max as usize => fail(
            fault,
            Reason::OverCapacity {
                len: count,
                max_capacity: max,
            },
        ),
        _ => close(list, fault),
    }
}

/// How one kind of list element is checked and stored.
pub(super) trait ElemKind {
    type Values: Values;
    const EXPECTED: &'static str;
    fn int(&self, _out: &mut Self::Values, v: i128) -> Result<(), Reason> {
        let _ = v;
        Err(self.wrong("a number"))
    }
    fn float(&self, _out: &mut Self::Values, _v: f64) -> Result<(), Reason> {
        Err(self.wrong("a number"))
    }
    fn boolean(&self, _out: &mut Self::Values, _v: bool) -> Result<(), Reason> {
        Err(self.wrong("a boolean"))
    }
    fn string(&self, _out: &mut Self::Values, _v: &str) -> Result<(), Reason> {
        Err(self.wrong("a string"))
    }
    fn wrong(&self, got: &'static str) -> Reason {
        Reason::WrongType {
            expected: Self::EXPECTED,
            got,
        }
    }
}

pub(super) struct F32Elem;
impl ElemKind for F32Elem {
    type Values = Vec<f32>;
    const EXPECTED: &'static str = "a number";
    fn int(&self, out: &mut Vec<f32>, v: i128) -> Result<(), Reason> {
        out.push(v as f32);
        Ok(())
    }
    fn float(&self, out: &mut Vec<f32>, v: f64) -> Result<(), Reason> {
        out.push(to_f32(v)?);
        Ok(())
    }
}

fn to_f32(v: f64) -> Result<f32, Reason> {
    if !v.is_finite() {
        return Err(Reason::NotFinite);
    }
    let x = v as f32;
    if x.is_finite() {
        Ok(x)
    } else {
        Err(Reason::OutOfRange {
            value: show(v),
            data_type: "Float",
        })
    }
}

pub(super) struct F64Elem;
impl ElemKind for F64Elem {
    type Values = Vec<f64>;
    const EXPECTED: &'static str = "a number";
    fn int(&self, out: &mut Vec<f64>, v: i128) -> Result<(), Reason> {
        out.push(v as f64);
        Ok(())
    }
    fn float(&self, out: &mut Vec<f64>, v: f64) -> Result<(), Reason> {
        if !v.is_finite() {
            return Err(Reason::NotFinite);
        }
        out.push(v);
        Ok(())
    }
}

pub(super) struct IntElem<T>(std::marker::PhantomData<T>);
impl<T> Default for IntElem<T> {
    fn default() -> Self {
        IntElem(std::marker::PhantomData)
    }
}

pub(super) trait IntName {
    const NAME: &'static str;
}
impl IntName for i8 {
    const NAME: &'static str = "Int8";
}
impl IntName for i16 {
    const NAME: &'static str = "Int16";
}
impl IntName for i32 {
    const NAME: &'static str = "Int32";
}
impl IntName for i64 {
    const NAME: &'static str = "Int64";
}
impl IntName for u8 {
    const NAME: &'static str = "byte (0 to 255)";
}

impl<T> ElemKind for IntElem<T>
where
    T: TryFrom<i128> + IntName + crate::columns::Native,
{
    type Values = Vec<T>;
    const EXPECTED: &'static str = "an integer";
    fn int(&self, out: &mut Vec<T>, v: i128) -> Result<(), Reason> {
        match T::try_from(v) {
            Ok(x) => {
                out.push(x);
                Ok(())
            }
            Err(_) => Err(Reason::OutOfRange {
                value: v.to_string(),
                data_type: T::NAME,
            }),
        }
    }
    fn float(&self, _out: &mut Vec<T>, _v: f64) -> Result<(), Reason> {
        Err(self.wrong("a number with a fraction or an exponent"))
    }
}

pub(super) struct BoolElem;
impl ElemKind for BoolElem {
    type Values = Bools;
    const EXPECTED: &'static str = "a boolean";
    fn boolean(&self, out: &mut Bools, v: bool) -> Result<(), Reason> {
        out.push(v);
        Ok(())
    }
}

pub(super) struct StrElem {
    pub(super) max_length: u32,
}
impl ElemKind for StrElem {
    type Values = Strs;
    const EXPECTED: &'static str = "a string";
    fn string(&self, out: &mut Strs, v: &str) -> Result<(), Reason> {
        if v.len() > self.max_length as usize {
            return Err(Reason::TooLong {
                bytes: v.len(),
                max_length: self.max_length,
            });
        }
        out.push(v)
    }
}

/// Float16 vectors: numbers in JSON, two little-endian bytes each in the
/// column.
pub(super) struct F16Elem;
impl ElemKind for F16Elem {
    type Values = Vec<u8>;
    const EXPECTED: &'static str = "a number";
    fn int(&self, out: &mut Vec<u8>, v: i128) -> Result<(), Reason> {
        self.float(out, v as f64)
    }
    fn float(&self, out: &mut Vec<u8>, v: f64) -> Result<(), Reason> {
        let x = f16::from_f64(v);
        push_half(out, v, "Float16", x.is_finite(), x.to_le_bytes())
    }
}

/// BFloat16 vectors: as Float16, in the other 16-bit layout.
pub(super) struct BF16Elem;
impl ElemKind for BF16Elem {
    type Values = Vec<u8>;
    const EXPECTED: &'static str = "a number";
    fn int(&self, out: &mut Vec<u8>, v: i128) -> Result<(), Reason> {
        self.float(out, v as f64)
    }
    fn float(&self, out: &mut Vec<u8>, v: f64) -> Result<(), Reason> {
        let x = bf16::from_f64(v);
        push_half(out, v, "BFloat16", x.is_finite(), x.to_le_bytes())
    }
}

/// One 16-bit float element: `v` refused when not finite, or when it does
/// not fit `data_type` (`fits`: its 16-bit form is finite), else `bytes`.
fn push_half(
    out: &mut Vec<u8>,
    v: f64,
    data_type: &'static str,
    fits: bool,
    bytes: [u8; 2],
) -> Result<(), Reason> {
    if !v.is_finite() {
        return Err(Reason::NotFinite);
    }
    if !fits {
        return Err(Reason::OutOfRange {
            value: show(v),
            data_type,
        });
    }
    out.extend_from_slice(&bytes);
    Ok(())
}

struct ElemSeed<'a, K: ElemKind> {
    kind: &'a K,
    out: &'a mut K::Values,
    index: usize,
    fault: &'a mut Fault,
}

impl<'de, K: ElemKind> DeserializeSeed<'de> for ElemSeed<'_, K> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<K: ElemKind> ElemSeed<'_, K> {
    fn done<E: de::Error>(self, r: Result<(), Reason>) -> Result<(), E> {
        match r {
            Ok(()) => Ok(()),
            Err(reason) => fail(self.fault, reason),
        }
    }
}

impl<'de, K: ElemKind> Visitor<'de> for ElemSeed<'_, K> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(K::EXPECTED)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        let r = self.kind.boolean(self.out, v);
        self.done(r)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        let r = self.kind.int(self.out, v as i128);
        self.done(r)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        let r = self.kind.int(self.out, v as i128);
        self.done(r)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        let r = self.kind.float(self.out, v);
        self.done(r)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let r = self.kind.string(self.out, v);
        self.done(r)
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        let index = self.index;
        fail(self.fault, Reason::NullElement { index })
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<(), A::Error> {
        let r = Err(self.kind.wrong("an array"));
        self.done(r)
    }
    fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<(), A::Error> {
        let r = Err(self.kind.wrong("an object"));
        self.done(r)
    }
}
