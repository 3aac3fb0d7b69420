//! Arrow batches in: columns matched to fields by name, converted to the
//! canonical types where they differ, and checked by the same rules as
//! rows.
//!
//! A column already of the canonical type is passed on as is (an `Arc`
//! clone); one of another type users commonly have (`large_utf8`,
//! `large_list`, `fixed_size_list`, `float64` vectors, `binary` bytes,
//! narrower integers) is converted with arrow's own casts. Checks run over
//! whole columns (offsets for lengths, one pass over the values for
//! finiteness) and look at single rows only when a column fails.

mod checks;
mod refusals;
mod text_columns;

use std::collections::BTreeMap;
use std::sync::Arc;

use checks::check_values;
use refusals::{Refusals, column_error};
use text_columns::{json_column, meta_column, sparse_column};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float16Type, Float32Type};
use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Float32Array, ListArray, RecordBatch, Scalar,
    StringArray, UInt8Array, new_null_array,
};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_cast::{CastOptions, cast_with_options};
use arrow_schema::DataType as ArrowType;

use crate::canonical::{self, Element, Shape};
use crate::error::{Reason, WriteError};
use crate::format::Context;
use crate::rows::Refusal;
use crate::schema::{DataType, DefaultValue, Field, META_FIELD};

/// A batch in the canonical schema, and the rows refused (0-based, first
/// reason only); refused rows are already filtered out.
pub(crate) struct Conformed {
    pub(crate) batch: RecordBatch,
    pub(crate) refused: Vec<(usize, Refusal)>,
}

pub(crate) fn conform(context: &Context, input: &RecordBatch) -> Result<Conformed, WriteError> {
    let schema = &context.schema;
    let rows = input.num_rows();
    let mut by_name: BTreeMap<&str, &ArrayRef> = BTreeMap::new();
    let mut extras: Vec<(&str, &ArrayRef)> = Vec::new();
    let mut meta_input = None;
    for (field, array) in input.schema_ref().fields().iter().zip(input.columns()) {
        let name = field.name().as_str();
        if by_name.insert(name, array).is_some() {
            return Err(column_error(name, "given twice"));
        }
        match schema.field(name) {
            Some(f) if f.is_auto_id() => {
                return Err(column_error(name, Reason::AutoIdGiven.to_string()));
            }
            Some(f) if f.is_function_output() => {
                return Err(column_error(name, Reason::FunctionOutputGiven.to_string()));
            }
            Some(_) => {}
            None if name == META_FIELD && schema.dynamic_field() => meta_input = Some(array),
            None if schema.dynamic_field() => extras.push((name, array)),
            None => return Err(column_error(name, Reason::UnknownField.to_string())),
        }
    }
    let mut refusals = Refusals::default();
    let mut columns = Vec::with_capacity(context.written.len());
    for written in &context.written {
        let array = match written.field {
            Some(i) => {
                let field = &schema.fields()[i];
                let given = by_name.get(field.name()).copied();
                conform_field(field, written.shape, given, rows, &mut refusals)?
            }
            None => meta_column(meta_input, &extras, rows, &mut refusals)?,
        };
        columns.push(array);
    }
    let batch = RecordBatch::try_new_with_options(
        context.arrow.clone(),
        columns,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(rows)),
    )?;
    if refusals.0.is_empty() {
        return Ok(Conformed {
            batch,
            refused: Vec::new(),
        });
    }
    let keep: BooleanArray = (0..rows)
        .map(|r| Some(!refusals.0.contains_key(&r)))
        .collect();
    let batch = arrow_select::filter::filter_record_batch(&batch, &keep)?;
    Ok(Conformed {
        batch,
        refused: refusals.0.into_iter().collect(),
    })
}

/// One declared field's column: converted, checked, defaults filled.
fn conform_field(
    field: &Field,
    shape: Shape,
    given: Option<&ArrayRef>,
    rows: usize,
    refusals: &mut Refusals,
) -> Result<ArrayRef, WriteError> {
    let name = field.name();
    let target = shape.arrow();
    let Some(given) = given else {
        // Left out entirely: every row takes the default, or null.
        return match field.default() {
            Some(default) => fill_default(&new_null_array(&target, rows), default, name),
            None if field.is_nullable() => Ok(new_null_array(&target, rows)),
            None => Err(column_error(name, Reason::Missing.to_string())),
        };
    };
    let mut array = convert(field, shape, given, refusals)?;
    match field.data_type() {
        DataType::SparseFloatVector => array = sparse_column(&array, name, refusals),
        DataType::Json => array = json_column(&array, name, refusals),
        _ => {}
    }
    check_values(field, &array, refusals);
    // Nulls: the default, or null if allowed, else the row is refused.
    if array.null_count() == 0 {
        return Ok(array);
    }
    if let Some(default) = field.default() {
        return fill_default(&array, default, name);
    }
    if !field.is_nullable() {
        for row in 0..array.len() {
            if array.is_null(row) {
                refusals.add(row, name, Reason::Null);
            }
        }
    }
    Ok(array)
}

/// Converts a column to the canonical type, or says why it cannot be.
fn convert(
    field: &Field,
    shape: Shape,
    given: &ArrayRef,
    refusals: &mut Refusals,
) -> Result<ArrayRef, WriteError> {
    let name = field.name();
    let target = shape.arrow();
    if given.data_type() == &target {
        return Ok(given.clone());
    }
    let from = given.data_type().clone();
    let refuse = || {
        column_error(
            name,
            format!("{from} cannot hold a {} field", field.data_type()),
        )
    };
    let cast = |array: &ArrayRef, to: &ArrowType| -> Result<ArrayRef, WriteError> {
        // Unsafe casts (overflow to null) are caught by the null checks.
        let options = CastOptions {
            safe: true,
            ..Default::default()
        };
        cast_with_options(array, to, &options).map_err(|e| column_error(name, e.to_string()))
    };
    let allowed = match (field.data_type(), &from) {
        (DataType::Bool, _) => false,
        (
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64,
            ArrowType::Int8 | ArrowType::Int16 | ArrowType::Int32 | ArrowType::Int64,
        ) => true,
        (
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64,
            ArrowType::UInt8 | ArrowType::UInt16 | ArrowType::UInt32 | ArrowType::UInt64,
        ) => true,
        (DataType::Float | DataType::Double, t) => t.is_numeric(),
        (DataType::SparseFloatVector, ArrowType::Struct(_)) => {
            return sparse_struct_as_text(given, name, refusals);
        }
        (
            DataType::VarChar { .. }
            | DataType::Text
            | DataType::Geometry
            | DataType::Timestamptz
            | DataType::Json
            | DataType::SparseFloatVector,
            t,
        ) => {
            matches!(t, ArrowType::LargeUtf8 | ArrowType::Utf8View)
        }
        (
            DataType::BinaryVector { .. }
            | DataType::Float16Vector { .. }
            | DataType::BFloat16Vector { .. },
            ArrowType::Binary
            | ArrowType::LargeBinary
            | ArrowType::FixedSizeBinary(_)
            | ArrowType::BinaryView,
        ) => {
            let binary = cast(given, &ArrowType::Binary)?;
            return Ok(bytes_to_list(binary.as_binary::<i32>()));
        }
        (DataType::Float16Vector { .. } | DataType::BFloat16Vector { .. }, t)
            if list_item(t).is_some() =>
        {
            return half_from_floats(field, given, name);
        }
        (_, t) => list_item(t).is_some() && matches!(shape, Shape::List(_)),
    };
    if !allowed {
        return Err(refuse());
    }
    let converted = cast(given, &target)?;
    // A value that did not fit became null: refuse it as out of range
    // rather than let it pass as a null.
    if converted.null_count() > given.null_count() {
        for row in 0..given.len() {
            if converted.is_null(row) && given.is_valid(row) {
                let value =
                    arrow_cast::display::array_value_to_string(given, row).unwrap_or_default();
                refusals.add(
                    row,
                    name,
                    Reason::OutOfRange {
                        value,
                        data_type: field.data_type().name(),
                    },
                );
            }
        }
    }
    Ok(converted)
}

/// Sparse vectors given as `struct<indices: list<int>, values: list<float>>`
/// (as newer Milvus reads them) become `{"indices": [...], "values":
/// [...]}` text, checked and made canonical like any sparse text.
fn sparse_struct_as_text(
    given: &ArrayRef,
    name: &str,
    refusals: &mut Refusals,
) -> Result<ArrayRef, WriteError> {
    let shape = || {
        column_error(
            name,
            "a sparse struct needs `indices` and `values` lists of numbers",
        )
    };
    let parts = given.as_struct();
    let list_of = |part: &str, to: ArrowType| -> Result<ArrayRef, WriteError> {
        let column = parts.column_by_name(part).ok_or_else(shape)?;
        let target = ArrowType::List(Arc::new(arrow_schema::Field::new("item", to, true)));
        cast_with_options(column, &target, &CastOptions::default()).map_err(|_| shape())
    };
    let indices = list_of("indices", ArrowType::Int64)?;
    let values = list_of("values", ArrowType::Float64)?;
    let (indices, values) = (indices.as_list::<i32>(), values.as_list::<i32>());
    let mut out = arrow_array::builder::StringBuilder::new();
    for row in 0..given.len() {
        if given.is_null(row) || indices.is_null(row) || values.is_null(row) {
            out.append_null();
            continue;
        }
        let row_values = values.value(row);
        let row_values = row_values.as_primitive::<arrow_array::types::Float64Type>();
        if let Some(bad) = row_values.iter().flatten().find(|v| !v.is_finite()) {
            let value = format!("{bad}");
            refusals.add(row, name, Reason::SparseValue { value });
            out.append_null();
            continue;
        }
        let text = serde_json::json!({
            "indices": indices.value(row).as_primitive::<arrow_array::types::Int64Type>().iter().collect::<Vec<_>>(),
            "values": row_values.iter().collect::<Vec<_>>(),
        });
        out.append_value(text.to_string());
    }
    Ok(Arc::new(out.finish()))
}

/// The element type of any list-like Arrow type.
fn list_item(t: &ArrowType) -> Option<&ArrowType> {
    match t {
        ArrowType::List(f)
        | ArrowType::LargeList(f)
        | ArrowType::FixedSizeList(f, _)
        | ArrowType::ListView(f) => Some(f.data_type()),
        _ => None,
    }
}

/// `binary` values become `list<uint8>` sharing the same bytes.
fn bytes_to_list(binary: &BinaryArray) -> ArrayRef {
    let offsets = binary.offsets().clone();
    let values = UInt8Array::new(ScalarBuffer::from(binary.values().clone()), None);
    Arc::new(ListArray::new(
        Arc::new(canonical::item_field(Element::UInt8)),
        offsets,
        Arc::new(values),
        binary.nulls().cloned(),
    ))
}

/// Float16/bfloat16 vectors given as lists of numbers become their bytes.
fn half_from_floats(field: &Field, given: &ArrayRef, name: &str) -> Result<ArrayRef, WriteError> {
    let brain = matches!(field.data_type(), DataType::BFloat16Vector { .. });
    let item = list_item(given.data_type()).cloned();
    // Float16 for a float16 field: the bytes are already right.
    let as_list = |to: ArrowType| {
        let target = ArrowType::List(Arc::new(arrow_schema::Field::new("item", to, true)));
        cast_with_options(given, &target, &CastOptions::default())
            .map_err(|e| column_error(name, e.to_string()))
    };
    let list = match item {
        Some(ArrowType::Float16) if !brain => as_list(ArrowType::Float16)?,
        Some(t) if t.is_floating() || t.is_integer() => as_list(ArrowType::Float32)?,
        _ => {
            return Err(column_error(
                name,
                format!(
                    "{} cannot hold a {} field",
                    given.data_type(),
                    field.data_type()
                ),
            ));
        }
    };
    let list = list.as_list::<i32>();
    let values = list.values();
    if values.null_count() > 0 {
        return Err(column_error(name, "a vector holds a null element"));
    }
    let bytes: Vec<u8> = match values.data_type() {
        ArrowType::Float16 => {
            let v = values.as_primitive::<Float16Type>().values();
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        }
        _ => {
            let v = values.as_primitive::<Float32Type>().values();
            if brain {
                v.iter()
                    .flat_map(|x| half::bf16::from_f32(*x).to_le_bytes())
                    .collect()
            } else {
                v.iter()
                    .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
                    .collect()
            }
        }
    };
    let offsets: Vec<i32> = list.value_offsets().iter().map(|o| o * 2).collect();
    Ok(Arc::new(ListArray::new(
        Arc::new(canonical::item_field(Element::UInt8)),
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        Arc::new(UInt8Array::new(ScalarBuffer::from(bytes), None)),
        list.nulls().cloned(),
    )))
}
/// Replaces nulls with the field's default.
fn fill_default(
    array: &ArrayRef,
    default: &DefaultValue,
    name: &str,
) -> Result<ArrayRef, WriteError> {
    let one: ArrayRef = match (array.data_type(), default) {
        (ArrowType::Boolean, DefaultValue::Bool(v)) => Arc::new(BooleanArray::from(vec![*v])),
        (ArrowType::Int8, DefaultValue::Int(v)) => {
            Arc::new(arrow_array::Int8Array::from(vec![*v as i8]))
        }
        (ArrowType::Int16, DefaultValue::Int(v)) => {
            Arc::new(arrow_array::Int16Array::from(vec![*v as i16]))
        }
        (ArrowType::Int32, DefaultValue::Int(v)) => {
            Arc::new(arrow_array::Int32Array::from(vec![*v as i32]))
        }
        (ArrowType::Int64, DefaultValue::Int(v)) => {
            Arc::new(arrow_array::Int64Array::from(vec![*v]))
        }
        (ArrowType::Float32, DefaultValue::Float(v)) => {
            Arc::new(Float32Array::from(vec![*v as f32]))
        }
        (ArrowType::Float64, DefaultValue::Float(v)) => {
            Arc::new(arrow_array::Float64Array::from(vec![*v]))
        }
        (ArrowType::Utf8, DefaultValue::String(s)) => Arc::new(StringArray::from(vec![s.as_str()])),
        (t, d) => {
            return Err(column_error(
                name,
                format!("default {d:?} does not fit {t}"),
            ));
        }
    };
    let Some(nulls) = array.logical_nulls() else {
        return Ok(array.clone());
    };
    let is_null = BooleanArray::new(!nulls.inner(), None);
    Ok(arrow_select::zip::zip(&is_null, &Scalar::new(one), array)?)
}
