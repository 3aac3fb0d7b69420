//! Seeds that read one field's value straight into its column, checking it
//! on the way: no `serde_json::Value` is built for declared fields.
//!
//! A refused value sets the row's fault slot and stops deserialization with
//! a placeholder serde error; the row reader then reports the fault.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::elements::{
    BF16Elem, BoolElem, F16Elem, F32Elem, F64Elem, IntElem, Limit, StrElem, read_list,
};
use super::fault::{Fault, close, fail, show};
use super::sparse;
use super::vector_text::{self, Parsed};
use crate::columns::{Column, Strs};
use crate::error::Reason;
use crate::schema::{DataType, DefaultValue, ElementType, Field};

/// What a row does with a field it leaves out (`missing`) or sets to null:
/// the default if there is one, else null if allowed, else refusal.
pub(crate) fn fill_absent(field: &Field, column: &mut Column, missing: bool) -> Result<(), Reason> {
    if let Some(default) = field.default() {
        push_default(column, default);
        Ok(())
    } else if field.is_nullable() {
        column.push_null();
        Ok(())
    } else if missing {
        Err(Reason::Missing)
    } else {
        Err(Reason::Null)
    }
}

/// Pushes a default value; the schema checked it fits the column.
fn push_default(column: &mut Column, default: &DefaultValue) {
    match (column, default) {
        (Column::Bool(c), DefaultValue::Bool(v)) => {
            c.values.push(*v);
            c.valid();
        }
        (Column::I8(c), DefaultValue::Int(v)) => c.push(*v as i8),
        (Column::I16(c), DefaultValue::Int(v)) => c.push(*v as i16),
        (Column::I32(c), DefaultValue::Int(v)) => c.push(*v as i32),
        (Column::I64(c), DefaultValue::Int(v)) => c.push(*v),
        (Column::F32(c), DefaultValue::Float(v)) => c.push(*v as f32),
        (Column::F64(c), DefaultValue::Float(v)) => c.push(*v),
        (Column::Str(c), DefaultValue::String(s)) => {
            // Checked against max_length when the schema was built.
            let _ = c.values.push(s);
            c.valid();
        }
        (_, default) => unreachable!("schema checks defaults fit: {default:?}"),
    }
}

/// What a value of this type looks like, for `WrongType`.
pub(crate) fn expected(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Bool => "a boolean",
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => "an integer",
        DataType::Float | DataType::Double => "a number",
        DataType::VarChar { .. } | DataType::Text => "a string",
        DataType::Geometry => "WKT text",
        DataType::Timestamptz => "an ISO-8601 timestamp string",
        DataType::Json => "JSON",
        DataType::Array { .. } => "an array",
        DataType::FloatVector { .. }
        | DataType::Float16Vector { .. }
        | DataType::BFloat16Vector { .. }
        | DataType::Int8Vector { .. } => "an array of numbers",
        DataType::BinaryVector { .. } => "an array of bytes (0 to 255)",
        DataType::SparseFloatVector => "an object of index: value pairs",
    }
}

/// Reads one declared field's value into its column.
pub(crate) struct FieldSeed<'a> {
    pub(crate) field: &'a Field,
    pub(crate) column: &'a mut Column,
    pub(crate) fault: &'a mut Fault,
    /// The deserializer is serde_json's own over text, so `&RawValue` can
    /// be borrowed for the fast paths.
    pub(crate) raw: bool,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let FieldSeed {
            field,
            column,
            fault,
            raw,
        } = self;
        match (field.data_type(), &mut *column) {
            (DataType::Json, Column::Str(c)) => {
                let value = Box::<RawValue>::deserialize(d)?;
                let text = value.get().trim();
                if text == "null" {
                    return absent(field, column, fault);
                }
                let result = if text.starts_with('"') {
                    // A string holds the JSON text itself.
                    match serde_json::from_str::<String>(text) {
                        Ok(inner) => match serde_json::from_str::<de::IgnoredAny>(&inner) {
                            Ok(_) => push_minified(&mut c.values, &inner),
                            Err(e) => Err(Reason::InvalidJson(e.to_string())),
                        },
                        Err(e) => Err(Reason::InvalidJson(e.to_string())),
                    }
                } else {
                    push_minified(&mut c.values, text)
                };
                match result {
                    Ok(()) => {
                        c.valid();
                        Ok(())
                    }
                    Err(reason) => fail(fault, reason),
                }
            }
            (DataType::FloatVector { dim }, Column::ListF32(list)) if raw => {
                let value = <&RawValue>::deserialize(d)?;
                match vector_text::parse_f32_list(value.get().as_bytes(), &mut list.values) {
                    Ok(Parsed::Null) => absent(field, column, fault),
                    Ok(Parsed::List { count, .. }) if count == dim.get() => close(list, fault),
                    Ok(Parsed::List { count, .. }) => fail(
                        fault,
                        Reason::Dim {
                            expected: dim.get(),
                            got: count,
                        },
                    ),
                    Err(reason) => fail(fault, reason),
                }
            }
            (DataType::SparseFloatVector, Column::Str(c)) => {
                match d.deserialize_any(sparse::SparseVisitor { fault: &mut *fault })? {
                    Some(entries) => match sparse::write_text(&entries, &mut c.values) {
                        Ok(()) => {
                            c.valid();
                            Ok(())
                        }
                        Err(reason) => fail(fault, reason),
                    },
                    None => absent(field, column, fault),
                }
            }
            _ => d.deserialize_any(ValueVisitor {
                field,
                column,
                fault,
            }),
        }
    }
}

/// Stores JSON text without the whitespace between its tokens, so a value
/// written over several lines cannot break a JSONL or CSV line, and the
/// same value is stored the same way whichever path read it. The text is
/// known to be valid JSON; strings are copied as they are.
pub(crate) fn push_minified(out: &mut Strs, text: &str) -> Result<(), Reason> {
    let data = out.data();
    let start = data.len();
    let mut in_string = false;
    let mut escaped = false;
    for &b in text.as_bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
            continue;
        } else if b == b'"' {
            in_string = true;
        }
        data.push(b);
    }
    let len = data.len() - start;
    out.seal(len)
}

fn absent<E: de::Error>(field: &Field, column: &mut Column, fault: &mut Fault) -> Result<(), E> {
    match fill_absent(field, column, false) {
        Ok(()) => Ok(()),
        Err(reason) => fail(fault, reason),
    }
}

/// Reads any JSON kind and checks it against the field's type.
struct ValueVisitor<'a> {
    field: &'a Field,
    column: &'a mut Column,
    fault: &'a mut Fault,
}

impl ValueVisitor<'_> {
    fn wrong<T, E: de::Error>(self, got: &'static str) -> Result<T, E> {
        let expected = expected(self.field.data_type());
        fail(self.fault, Reason::WrongType { expected, got })
    }

    fn range<T, E: de::Error>(self, value: impl fmt::Display) -> Result<T, E> {
        let data_type = self.field.data_type().name();
        fail(
            self.fault,
            Reason::OutOfRange {
                value: value.to_string(),
                data_type,
            },
        )
    }
}

macro_rules! int_push {
    ($self:ident, $c:ident, $t:ty, $v:expr) => {
        match <$t>::try_from($v) {
            Ok(x) => {
                $c.push(x);
                Ok(())
            }
            Err(_) => $self.range($v),
        }
    };
}

impl<'de> Visitor<'de> for ValueVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(expected(self.field.data_type()))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        match self.column {
            Column::Bool(c) => {
                c.values.push(v);
                c.valid();
                Ok(())
            }
            _ => self.wrong("a boolean"),
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        match self.column {
            Column::I8(c) => int_push!(self, c, i8, v),
            Column::I16(c) => int_push!(self, c, i16, v),
            Column::I32(c) => int_push!(self, c, i32, v),
            Column::I64(c) => {
                c.push(v);
                Ok(())
            }
            Column::F32(c) => {
                c.push(v as f32);
                Ok(())
            }
            Column::F64(c) => {
                c.push(v as f64);
                Ok(())
            }
            _ => self.wrong("a number"),
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        match self.column {
            Column::I8(c) => int_push!(self, c, i8, v),
            Column::I16(c) => int_push!(self, c, i16, v),
            Column::I32(c) => int_push!(self, c, i32, v),
            Column::I64(c) => int_push!(self, c, i64, v),
            Column::F32(c) => {
                c.push(v as f32);
                Ok(())
            }
            Column::F64(c) => {
                c.push(v as f64);
                Ok(())
            }
            _ => self.wrong("a number"),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        if !v.is_finite() {
            return fail(self.fault, Reason::NotFinite);
        }
        match self.column {
            Column::F32(c) => {
                let x = v as f32;
                if x.is_finite() {
                    c.push(x);
                    Ok(())
                } else {
                    self.range(show(v))
                }
            }
            Column::F64(c) => {
                c.push(v);
                Ok(())
            }
            Column::I8(_) | Column::I16(_) | Column::I32(_) | Column::I64(_) => {
                self.wrong("a number with a fraction or an exponent")
            }
            _ => self.wrong("a number"),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        match (self.field.data_type(), self.column) {
            (
                data_type @ (DataType::VarChar { .. }
                | DataType::Text
                | DataType::Geometry
                | DataType::Timestamptz),
                Column::Str(c),
            ) => {
                if let Err(reason) = data_type.check_text(v) {
                    return fail(self.fault, reason);
                }
                match c.values.push(v) {
                    Ok(()) => {
                        c.valid();
                        Ok(())
                    }
                    Err(reason) => fail(self.fault, reason),
                }
            }
            (_, column) => ValueVisitor {
                field: self.field,
                column,
                fault: self.fault,
            }
            .wrong("a string"),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        absent(self.field, self.column, self.fault)
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        absent(self.field, self.column, self.fault)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<(), A::Error> {
        self.wrong("an object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let ValueVisitor {
            field,
            column,
            fault,
        } = self;
        let limit = match field.data_type() {
            DataType::Array { max_capacity, .. } => Limit::AtMost(*max_capacity),
            DataType::FloatVector { dim }
            | DataType::Float16Vector { dim }
            | DataType::BFloat16Vector { dim }
            | DataType::Int8Vector { dim } => Limit::Exactly(dim.get()),
            DataType::BinaryVector { dim } => Limit::Exactly(dim.bytes()),
            _ => {
                let expected = expected(field.data_type());
                return fail(
                    fault,
                    Reason::WrongType {
                        expected,
                        got: "an array",
                    },
                );
            }
        };
        let element = match field.data_type() {
            DataType::Array { element, .. } => Some(*element),
            _ => None,
        };
        match (field.data_type(), column) {
            (_, Column::ListF32(l)) => read_list(seq, F32Elem, l, limit, fault),
            (_, Column::ListF64(l)) => read_list(seq, F64Elem, l, limit, fault),
            (_, Column::ListI8(l)) => read_list(seq, IntElem::<i8>::default(), l, limit, fault),
            (_, Column::ListI16(l)) => read_list(seq, IntElem::<i16>::default(), l, limit, fault),
            (_, Column::ListI32(l)) => read_list(seq, IntElem::<i32>::default(), l, limit, fault),
            (_, Column::ListI64(l)) => read_list(seq, IntElem::<i64>::default(), l, limit, fault),
            (_, Column::ListBool(l)) => read_list(seq, BoolElem, l, limit, fault),
            (_, Column::ListStr(l)) => {
                let max_length = match element {
                    Some(ElementType::VarChar { max_length }) => max_length,
                    _ => u32::MAX,
                };
                read_list(seq, StrElem { max_length }, l, limit, fault)
            }
            (DataType::BinaryVector { .. }, Column::ListU8(l)) => {
                read_list(seq, IntElem::<u8>::default(), l, limit, fault)
            }
            (DataType::Float16Vector { .. }, Column::ListU8(l)) => {
                read_list(seq, F16Elem, l, limit, fault)
            }
            (DataType::BFloat16Vector { .. }, Column::ListU8(l)) => {
                read_list(seq, BF16Elem, l, limit, fault)
            }
            (data_type, _) => unreachable!("columns follow the schema: {data_type}"),
        }
    }
}
