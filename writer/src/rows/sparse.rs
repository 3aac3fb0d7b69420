//! Sparse float vectors: read from either JSON spelling Milvus takes
//! (`{"12": 0.5, "40": 0.1}` or `{"indices": [12, 40], "values": [0.5,
//! 0.1]}`), checked as the newest server checks them (indices from 0 to
//! 2^32-2, values finite and not negative, no index twice), and written as
//! JSON text with the indices in ascending order.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::fault::{Fault, fail, show};
use crate::columns::Strs;
use crate::error::Reason;

/// The largest index Milvus takes: 2^32 - 2 (2^32 - 1 is reserved).
pub(crate) const MAX_INDEX: u64 = u32::MAX as u64 - 1;

/// Reads a sparse vector; `None` for `null`.
pub(crate) struct SparseVisitor<'a> {
    pub(crate) fault: &'a mut Fault,
}

impl<'de> Visitor<'de> for SparseVisitor<'_> {
    type Value = Option<Vec<(u32, f32)>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sparse vector")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs: Vec<(u32, f32)> = Vec::new();
        let mut indices: Option<Vec<u32>> = None;
        let mut values: Option<Vec<f32>> = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "indices" if pairs.is_empty() && indices.is_none() => {
                    indices = Some(map.next_value_seed(NumberList {
                        fault: &mut *self.fault,
                        read: read_index,
                    })?);
                }
                "values" if pairs.is_empty() && values.is_none() => {
                    values = Some(map.next_value_seed(NumberList {
                        fault: &mut *self.fault,
                        read: read_value,
                    })?);
                }
                other => {
                    if indices.is_some() || values.is_some() {
                        return fail(
                            self.fault,
                            Reason::SparseShape("keys other than `indices` and `values`"),
                        );
                    }
                    let index = match parse_index_key(other) {
                        Ok(i) => i,
                        Err(reason) => return fail(self.fault, reason),
                    };
                    let value = map.next_value_seed(NumberSeed {
                        fault: &mut *self.fault,
                        read: read_value,
                    })?;
                    pairs.push((index, value));
                }
            }
        }
        if indices.is_some() || values.is_some() {
            match (indices, values) {
                (Some(i), Some(v)) if i.len() == v.len() => pairs = i.into_iter().zip(v).collect(),
                (Some(_), Some(_)) => {
                    return fail(
                        self.fault,
                        Reason::SparseShape("`indices` and `values` differ in length"),
                    );
                }
                _ => {
                    return fail(
                        self.fault,
                        Reason::SparseShape("`indices` without `values` or the reverse"),
                    );
                }
            }
        }
        if pairs.is_empty() {
            return fail(self.fault, Reason::SparseShape("empty"));
        }
        pairs.sort_unstable_by_key(|p| p.0);
        if pairs.windows(2).any(|w| w[0].0 == w[1].0) {
            return fail(self.fault, Reason::SparseShape("an index given twice"));
        }
        Ok(Some(pairs))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<Self::Value, A::Error> {
        self.wrong("an array")
    }
    fn visit_str<E: de::Error>(self, _v: &str) -> Result<Self::Value, E> {
        self.wrong("a string")
    }
    fn visit_bool<E: de::Error>(self, _v: bool) -> Result<Self::Value, E> {
        self.wrong("a boolean")
    }
    fn visit_i64<E: de::Error>(self, _v: i64) -> Result<Self::Value, E> {
        self.wrong("a number")
    }
    fn visit_u64<E: de::Error>(self, _v: u64) -> Result<Self::Value, E> {
        self.wrong("a number")
    }
    fn visit_f64<E: de::Error>(self, _v: f64) -> Result<Self::Value, E> {
        self.wrong("a number")
    }
}

impl SparseVisitor<'_> {
    fn wrong<T, E: de::Error>(self, got: &'static str) -> Result<T, E> {
        fail(
            self.fault,
            Reason::WrongType {
                expected: "an object of index: value pairs",
                got,
            },
        )
    }
}

/// An index written as an object key: decimal digits only.
fn parse_index_key(key: &str) -> Result<u32, Reason> {
    let bad = || Reason::SparseIndex {
        index: key.to_owned(),
    };
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match key.parse::<u64>() {
        Ok(i) if i <= MAX_INDEX => Ok(i as u32),
        _ => Err(bad()),
    }
}

/// A number read from JSON, before it is checked.
enum Number {
    Int(i128),
    Float(f64),
}

fn read_index(n: Number) -> Result<u32, Reason> {
    match n {
        Number::Int(i) if (0..=MAX_INDEX as i128).contains(&i) => Ok(i as u32),
        Number::Int(i) => Err(Reason::SparseIndex {
            index: i.to_string(),
        }),
        Number::Float(f) => Err(Reason::SparseIndex { index: show(f) }),
    }
}

fn read_value(n: Number) -> Result<f32, Reason> {
    let v = match n {
        Number::Int(i) => i as f64,
        Number::Float(f) => f,
    };
    let x = v as f32;
    if v.is_finite() && x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        Err(Reason::SparseValue { value: show(v) })
    }
}

struct NumberSeed<'a, T> {
    fault: &'a mut Fault,
    read: fn(Number) -> Result<T, Reason>,
}

impl<'de, T> DeserializeSeed<'de> for NumberSeed<'_, T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T> Visitor<'de> for NumberSeed<'_, T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.take(Number::Int(v as i128))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.take(Number::Int(v as i128))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        self.take(Number::Float(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        self.wrong("null")
    }
    fn visit_bool<E: de::Error>(self, _v: bool) -> Result<T, E> {
        self.wrong("a boolean")
    }
    fn visit_str<E: de::Error>(self, _v: &str) -> Result<T, E> {
        self.wrong("a string")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _s: A) -> Result<T, A::Error> {
        self.wrong("an array")
    }
    fn visit_map<A: MapAccess<'de>>(self, _m: A) -> Result<T, A::Error> {
        self.wrong("an object")
    }
}

impl<T> NumberSeed<'_, T> {
    fn take<E: de::Error>(self, n: Number) -> Result<T, E> {
        match (self.read)(n) {
            Ok(v) => Ok(v),
            Err(reason) => fail(self.fault, reason),
        }
    }
    fn wrong<E: de::Error>(self, got: &'static str) -> Result<T, E> {
        fail(
            self.fault,
            Reason::WrongType {
                expected: "a number",
                got,
            },
        )
    }
}

struct NumberList<'a, T> {
    fault: &'a mut Fault,
    read: fn(Number) -> Result<T, Reason>,
}

impl<'de, T> DeserializeSeed<'de> for NumberList<'_, T> {
    type Value = Vec<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T> Visitor<'de> for NumberList<'_, T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of numbers")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(NumberSeed {
            fault: &mut *self.fault,
            read: self.read,
        })? {
            out.push(v);
        }
        Ok(out)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Vec<T>, A::Error> {
        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        fail(
            self.fault,
            Reason::SparseShape("`indices` and `values` must be arrays"),
        )
    }
    fn visit_unit<E: de::Error>(self) -> Result<Vec<T>, E> {
        fail(
            self.fault,
            Reason::SparseShape("`indices` and `values` must be arrays"),
        )
    }
    fn visit_bool<E: de::Error>(self, _v: bool) -> Result<Vec<T>, E> {
        self.visit_unit()
    }
    fn visit_i64<E: de::Error>(self, _v: i64) -> Result<Vec<T>, E> {
        self.visit_unit()
    }
    fn visit_u64<E: de::Error>(self, _v: u64) -> Result<Vec<T>, E> {
        self.visit_unit()
    }
    fn visit_f64<E: de::Error>(self, _v: f64) -> Result<Vec<T>, E> {
        self.visit_unit()
    }
    fn visit_str<E: de::Error>(self, _v: &str) -> Result<Vec<T>, E> {
        self.visit_unit()
    }
}

/// Writes checked pairs as `{"index":value,...}` (shortest `f32` digits).
pub(crate) fn write_text(pairs: &[(u32, f32)], out: &mut Strs) -> Result<(), Reason> {
    let start = out.data().len();
    let data = out.data();
    let mut ints = itoa::Buffer::new();
    let mut floats = ryu::Buffer::new();
    data.push(b'{');
    for (n, (index, value)) in pairs.iter().enumerate() {
        if n > 0 {
            data.push(b',');
        }
        data.push(b'"');
        data.extend_from_slice(ints.format(*index).as_bytes());
        data.extend_from_slice(b"\":");
        data.extend_from_slice(floats.format_finite(*value).as_bytes());
    }
    data.push(b'}');
    let len = data.len() - start;
    out.seal(len)
}

/// Checks sparse JSON text (from an Arrow column) and rewrites it in the
/// canonical form.
pub(crate) fn canonical_text(text: &str, out: &mut Strs) -> Result<(), Reason> {
    let mut fault: Fault = None;
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = (&mut de).deserialize_any(SparseVisitor { fault: &mut fault });
    let pairs = match (parsed, fault) {
        (_, Some(reason)) => return Err(reason),
        (Err(e), None) => return Err(Reason::InvalidJson(e.to_string())),
        (Ok(None), None) => return Err(Reason::Null),
        (Ok(Some(pairs)), None) => pairs,
    };
    if let Err(e) = de.end() {
        return Err(Reason::InvalidJson(e.to_string()));
    }
    write_text(&pairs, out)
}
