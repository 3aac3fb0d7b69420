//! Turns the values of canonical columns back into text: JSON values for
//! the JSON and JSONL formats, cells for CSV.
//!
//! Float16 and bfloat16 vectors are stored as bytes in the columns and
//! written as numbers here (Milvus reads JSON and CSV vectors as numbers);
//! `f32` values use the shortest digits that read back to the same `f32`.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, BooleanArray, ListArray, PrimitiveArray, StringArray};
use half::{bf16, f16};

use crate::canonical::{Element, Shape, Written};
use crate::schema::{DataType, Schema};

/// How one column's values are written.
pub(crate) enum Cell<'a> {
    Bool(&'a BooleanArray),
    I8(&'a PrimitiveArray<Int8Type>),
    I16(&'a PrimitiveArray<Int16Type>),
    I32(&'a PrimitiveArray<Int32Type>),
    I64(&'a PrimitiveArray<Int64Type>),
    F32(&'a PrimitiveArray<Float32Type>),
    F64(&'a PrimitiveArray<Float64Type>),
    /// A string value (quoted and escaped in JSON).
    Str(&'a StringArray),
    /// JSON text (JSON fields, sparse vectors, `$meta`), written as is.
    Raw(&'a StringArray),
    List(&'a ListArray, Element),
    /// Float16 (`false`) or bfloat16 (`true`) bytes, written as numbers.
    Half(&'a ListArray, bool),
}

impl<'a> Cell<'a> {
    pub(crate) fn new(schema: &Schema, written: &Written, array: &'a ArrayRef) -> Cell<'a> {
        let data_type = written.field.map(|i| schema.fields()[i].data_type());
        match (written.shape, data_type) {
            (Shape::Bool, _) => Cell::Bool(array.as_boolean()),
            (Shape::Int8, _) => Cell::I8(array.as_primitive()),
            (Shape::Int16, _) => Cell::I16(array.as_primitive()),
            (Shape::Int32, _) => Cell::I32(array.as_primitive()),
            (Shape::Int64, _) => Cell::I64(array.as_primitive()),
            (Shape::Float, _) => Cell::F32(array.as_primitive()),
            (Shape::Double, _) => Cell::F64(array.as_primitive()),
            (
                Shape::Utf8,
                Some(
                    DataType::VarChar { .. }
                    | DataType::Text
                    | DataType::Geometry
                    | DataType::Timestamptz,
                ),
            ) => Cell::Str(array.as_string()),
            (Shape::Utf8, _) => Cell::Raw(array.as_string()),
            (Shape::List(_), Some(DataType::Float16Vector { .. })) => {
                Cell::Half(array.as_list(), false)
            }
            (Shape::List(_), Some(DataType::BFloat16Vector { .. })) => {
                Cell::Half(array.as_list(), true)
            }
            (Shape::List(e), _) => Cell::List(array.as_list(), e),
        }
    }

    pub(crate) fn is_null(&self, row: usize) -> bool {
        match self {
            Cell::Bool(a) => a.is_null(row),
            Cell::I8(a) => a.is_null(row),
            Cell::I16(a) => a.is_null(row),
            Cell::I32(a) => a.is_null(row),
            Cell::I64(a) => a.is_null(row),
            Cell::F32(a) => a.is_null(row),
            Cell::F64(a) => a.is_null(row),
            Cell::Str(a) | Cell::Raw(a) => a.is_null(row),
            Cell::List(a, _) | Cell::Half(a, _) => a.is_null(row),
        }
    }

    /// Writes the value as JSON (`null` for a null).
    pub(crate) fn json(&self, row: usize, out: &mut Vec<u8>) {
        if self.is_null(row) {
            out.extend_from_slice(b"null");
            return;
        }
        match self {
            Cell::Str(a) => write_json_str(a.value(row), out),
            _ => self.plain(row, out),
        }
    }

    /// Writes the value as a CSV cell: strings as they are, everything
    /// else as JSON text. The caller handles nulls.
    pub(crate) fn plain(&self, row: usize, out: &mut Vec<u8>) {
        let mut ints = itoa::Buffer::new();
        match self {
            Cell::Bool(a) => out.extend_from_slice(if a.value(row) { b"true" } else { b"false" }),
            Cell::I8(a) => out.extend_from_slice(ints.format(a.value(row)).as_bytes()),
            Cell::I16(a) => out.extend_from_slice(ints.format(a.value(row)).as_bytes()),
            Cell::I32(a) => out.extend_from_slice(ints.format(a.value(row)).as_bytes()),
            Cell::I64(a) => out.extend_from_slice(ints.format(a.value(row)).as_bytes()),
            Cell::F32(a) => write_f32(a.value(row), out),
            Cell::F64(a) => write_f64(a.value(row), out),
            Cell::Str(a) | Cell::Raw(a) => out.extend_from_slice(a.value(row).as_bytes()),
            Cell::List(a, e) => write_list(a, *e, row, out),
            Cell::Half(a, brain) => {
                let (start, end) = bounds(a, row);
                let bytes = a.values().as_primitive::<UInt8Type>().values();
                out.push(b'[');
                for (n, pair) in bytes[start..end].chunks_exact(2).enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    let le = [pair[0], pair[1]];
                    let v = if *brain {
                        bf16::from_le_bytes(le).to_f32()
                    } else {
                        f16::from_le_bytes(le).to_f32()
                    };
                    write_f32(v, out);
                }
                out.push(b']');
            }
        }
    }
}

fn bounds(list: &ListArray, row: usize) -> (usize, usize) {
    let offsets = list.value_offsets();
    (offsets[row] as usize, offsets[row + 1] as usize)
}

fn write_list(list: &ListArray, element: Element, row: usize, out: &mut Vec<u8>) {
    let (start, end) = bounds(list, row);
    let values = list.values();
    out.push(b'[');
    // Downcast once per list, not per element.
    fn each<T>(
        out: &mut Vec<u8>,
        items: impl Iterator<Item = T>,
        mut put: impl FnMut(T, &mut Vec<u8>),
    ) {
        for (n, item) in items.enumerate() {
            if n > 0 {
                out.push(b',');
            }
            put(item, out);
        }
    }
    fn int<I: itoa::Integer>(v: I, out: &mut Vec<u8>) {
        out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }
    let range = start..end;
    match element {
        Element::Bool => {
            let v = values.as_boolean();
            each(out, range.map(|i| v.value(i)), |b, out| {
                out.extend_from_slice(if b { b"true" } else { b"false" })
            });
        }
        Element::Int8 => each(
            out,
            values.as_primitive::<Int8Type>().values()[range].iter(),
            |v, o| int(*v, o),
        ),
        Element::Int16 => each(
            out,
            values.as_primitive::<Int16Type>().values()[range].iter(),
            |v, o| int(*v, o),
        ),
        Element::Int32 => each(
            out,
            values.as_primitive::<Int32Type>().values()[range].iter(),
            |v, o| int(*v, o),
        ),
        Element::Int64 => each(
            out,
            values.as_primitive::<Int64Type>().values()[range].iter(),
            |v, o| int(*v, o),
        ),
        Element::UInt8 => each(
            out,
            values.as_primitive::<UInt8Type>().values()[range].iter(),
            |v, o| int(*v, o),
        ),
        Element::Float => each(
            out,
            values.as_primitive::<Float32Type>().values()[range].iter(),
            |v, o| write_f32(*v, o),
        ),
        Element::Double => each(
            out,
            values.as_primitive::<Float64Type>().values()[range].iter(),
            |v, o| write_f64(*v, o),
        ),
        Element::Utf8 => {
            let v = values.as_string::<i32>();
            each(out, range.map(|i| v.value(i)), write_json_str);
        }
    }
    out.push(b']');
}

/// Shortest digits that read back to the same `f32`. Values were checked
/// finite on the way in.
pub(crate) fn write_f32(v: f32, out: &mut Vec<u8>) {
    let mut b = ryu::Buffer::new();
    out.extend_from_slice(b.format_finite(v).as_bytes());
}

pub(crate) fn write_f64(v: f64, out: &mut Vec<u8>) {
    let mut b = ryu::Buffer::new();
    out.extend_from_slice(b.format_finite(v).as_bytes());
}

/// A JSON string literal.
pub(crate) fn write_json_str(s: &str, out: &mut Vec<u8>) {
    serde_json::to_writer(out, s).expect("writing to a Vec cannot fail");
}
