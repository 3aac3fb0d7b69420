//! Columns of JSON text: `$meta` (with the undeclared columns folded in),
//! JSON fields (checked and minified) and sparse vectors (checked and
//! rewritten in canonical form).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_cast::{CastOptions, cast_with_options};
use arrow_schema::DataType as ArrowType;

use super::refusals::{Refusals, column_error};
use crate::error::{Reason, WriteError};
use crate::rows::{canonical_sparse_text, push_minified};
use crate::schema::META_FIELD;

/// The `$meta` column: a given `$meta` of JSON objects, with the columns
/// the schema does not declare added as keys.
pub(super) fn meta_column(
    given: Option<&ArrayRef>,
    extras: &[(&str, &ArrayRef)],
    rows: usize,
    refusals: &mut Refusals,
) -> Result<ArrayRef, WriteError> {
    let given = match given {
        Some(g) => Some(
            cast_with_options(g, &ArrowType::Utf8, &CastOptions::default()).map_err(|_| {
                column_error(
                    META_FIELD,
                    format!("{} cannot hold JSON text", g.data_type()),
                )
            })?,
        ),
        None => None,
    };
    for (name, array) in extras {
        let t = array.data_type();
        let ok = t.is_integer()
            || matches!(
                t,
                ArrowType::Float32
                    | ArrowType::Float64
                    | ArrowType::Boolean
                    | ArrowType::Utf8
                    | ArrowType::LargeUtf8
            );
        if !ok {
            return Err(column_error(
                name,
                format!("{t} cannot go into the dynamic field"),
            ));
        }
    }
    let mut out = arrow_array::builder::StringBuilder::with_capacity(rows, rows * 16);
    for row in 0..rows {
        let given_text = given
            .as_ref()
            .filter(|g| g.is_valid(row))
            .map(|g| g.as_string::<i32>().value(row));
        let mut object = match given_text.map(serde_json::from_str::<serde_json::Value>) {
            None => serde_json::Map::new(),
            Some(Ok(serde_json::Value::Object(map))) => map,
            Some(_) => {
                refusals.add(row, META_FIELD, Reason::MetaNotObject);
                out.append_value("{}");
                continue;
            }
        };
        for (name, array) in extras {
            let value = match json_value(array, row) {
                Ok(Some(value)) => value,
                Ok(None) => continue,
                Err(reason) => {
                    refusals.add(row, name, reason);
                    continue;
                }
            };
            if object.insert((*name).to_owned(), value).is_some() {
                refusals.add(row, name, Reason::DuplicateKey);
            }
        }
        out.append_value(serde_json::Value::Object(object).to_string());
    }
    Ok(Arc::new(out.finish()))
}

/// One value of a column going into `$meta` (`None` for a null).
fn json_value(array: &ArrayRef, row: usize) -> Result<Option<serde_json::Value>, Reason> {
    use arrow_array::types::*;
    use serde_json::Value;
    if array.is_null(row) {
        return Ok(None);
    }
    let float = |v: f64| {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or(Reason::NotFinite)
    };
    Ok(Some(match array.data_type() {
        ArrowType::Boolean => Value::Bool(array.as_boolean().value(row)),
        ArrowType::Int8 => array.as_primitive::<Int8Type>().value(row).into(),
        ArrowType::Int16 => array.as_primitive::<Int16Type>().value(row).into(),
        ArrowType::Int32 => array.as_primitive::<Int32Type>().value(row).into(),
        ArrowType::Int64 => array.as_primitive::<Int64Type>().value(row).into(),
        ArrowType::UInt8 => array.as_primitive::<UInt8Type>().value(row).into(),
        ArrowType::UInt16 => array.as_primitive::<UInt16Type>().value(row).into(),
        ArrowType::UInt32 => array.as_primitive::<UInt32Type>().value(row).into(),
        ArrowType::UInt64 => array.as_primitive::<UInt64Type>().value(row).into(),
        ArrowType::Float32 => float(array.as_primitive::<Float32Type>().value(row) as f64)?,
        ArrowType::Float64 => float(array.as_primitive::<Float64Type>().value(row))?,
        ArrowType::Utf8 => Value::String(array.as_string::<i32>().value(row).to_owned()),
        ArrowType::LargeUtf8 => Value::String(array.as_string::<i64>().value(row).to_owned()),
        _ => unreachable!("types checked in meta_column"),
    }))
}

/// JSON text is checked, and stored without whitespace between tokens (a
/// value over several lines would break JSONL and CSV output).
pub(super) fn json_column(array: &ArrayRef, name: &str, refusals: &mut Refusals) -> ArrayRef {
    let strings = array.as_string::<i32>();
    let mut out = crate::columns::Strs::default();
    for row in 0..strings.len() {
        let text = strings.value(row);
        let ok = strings.is_null(row)
            || match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Ok(_) => push_minified(&mut out, text).is_ok(),
                Err(e) => {
                    refusals.add(row, name, Reason::InvalidJson(e.to_string()));
                    false
                }
            };
        if strings.is_null(row) || !ok {
            crate::columns::Values::push_placeholder(&mut out);
        }
    }
    crate::columns::Values::finish(&mut out, strings.nulls().cloned())
}

/// Sparse vectors given as JSON text are checked and rewritten.
pub(super) fn sparse_column(array: &ArrayRef, name: &str, refusals: &mut Refusals) -> ArrayRef {
    let strings = array.as_string::<i32>();
    let mut out = crate::columns::Strs::default();
    let mut valid = Vec::with_capacity(strings.len());
    for row in 0..strings.len() {
        if strings.is_null(row) {
            crate::columns::Values::push_placeholder(&mut out);
            valid.push(false);
            continue;
        }
        if let Err(reason) = canonical_sparse_text(strings.value(row), &mut out) {
            refusals.add(row, name, reason);
            crate::columns::Values::push_placeholder(&mut out);
        }
        valid.push(true);
    }
    let nulls = arrow_buffer::NullBuffer::from(valid);
    crate::columns::Values::finish(&mut out, Some(nulls))
}
