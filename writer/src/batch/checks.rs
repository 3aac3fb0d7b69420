//! Per-row checks on a converted column: what a whole-column pass cannot
//! see (lengths, dimensions, null elements, non-finite values).

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, UInt8Type};
use arrow_array::{Array, ArrayRef, ListArray, StringArray};
use arrow_schema::DataType as ArrowType;

use super::refusals::Refusals;
use crate::error::Reason;
use crate::schema::{DataType, ElementType, Field};

/// Per-row checks on a converted column.
pub(super) fn check_values(field: &Field, array: &ArrayRef, refusals: &mut Refusals) {
    let name = field.name();
    match field.data_type() {
        DataType::Float => {
            let v = array.as_primitive::<Float32Type>();
            if !v.values().iter().all(|x| x.is_finite()) {
                for (row, x) in v.iter().enumerate() {
                    if x.is_some_and(|x| !x.is_finite()) {
                        refusals.add(row, name, Reason::NotFinite);
                    }
                }
            }
        }
        DataType::Double => {
            let v = array.as_primitive::<Float64Type>();
            if !v.values().iter().all(|x| x.is_finite()) {
                for (row, x) in v.iter().enumerate() {
                    if x.is_some_and(|x| !x.is_finite()) {
                        refusals.add(row, name, Reason::NotFinite);
                    }
                }
            }
        }
        DataType::VarChar { max_length } => {
            check_lengths(array.as_string::<i32>(), *max_length, name, refusals)
        }
        DataType::Geometry | DataType::Timestamptz => {
            let strings = array.as_string::<i32>();
            for (row, value) in strings.iter().enumerate() {
                if let Some(Err(reason)) = value.map(|v| field.data_type().check_text(v)) {
                    refusals.add(row, name, reason);
                }
            }
        }
        DataType::Json => {
            // Checked and minified in one pass, in `json_column`.
        }
        DataType::SparseFloatVector => {
            // Checked and rewritten in one pass, in `sparse_column`.
        }
        DataType::Array {
            element,
            max_capacity,
        } => {
            let list = array.as_list::<i32>();
            for row in 0..list.len() {
                if list.is_null(row) {
                    continue;
                }
                let len = list.value_length(row) as usize;
                if len > *max_capacity as usize {
                    refusals.add(
                        row,
                        name,
                        Reason::OverCapacity {
                            len,
                            max_capacity: *max_capacity,
                        },
                    );
                }
            }
            check_elements(list, name, refusals);
            if let ElementType::VarChar { max_length } = element {
                let strings = list.values().as_string::<i32>();
                let offsets = list.value_offsets();
                for row in 0..list.len() {
                    let (s, e) = (offsets[row] as usize, offsets[row + 1] as usize);
                    for i in s..e {
                        let bytes = strings.value_length(i) as usize;
                        if bytes > *max_length as usize {
                            refusals.add(
                                row,
                                name,
                                Reason::TooLong {
                                    bytes,
                                    max_length: *max_length,
                                },
                            );
                        }
                    }
                }
            }
            if matches!(element, ElementType::Float | ElementType::Double) {
                check_finite_elements(list, name, refusals);
            }
        }
        DataType::FloatVector { dim }
        | DataType::Float16Vector { dim }
        | DataType::BFloat16Vector { dim }
        | DataType::Int8Vector { dim } => {
            let per = match field.data_type() {
                DataType::Float16Vector { .. } | DataType::BFloat16Vector { .. } => 2,
                _ => 1,
            };
            let list = array.as_list::<i32>();
            check_dims(list, dim.get() * per, per, name, refusals);
            check_elements(list, name, refusals);
            if matches!(field.data_type(), DataType::FloatVector { .. }) {
                check_finite_elements(list, name, refusals);
            }
            if per == 2 {
                check_half_finite(
                    list,
                    matches!(field.data_type(), DataType::BFloat16Vector { .. }),
                    name,
                    refusals,
                );
            }
        }
        DataType::BinaryVector { dim } => {
            let list = array.as_list::<i32>();
            check_dims(list, dim.bytes(), 1, name, refusals);
            check_elements(list, name, refusals);
        }
        _ => {}
    }
}

fn check_lengths(strings: &StringArray, max_length: u32, name: &str, refusals: &mut Refusals) {
    for row in 0..strings.len() {
        let bytes = strings.value_length(row) as usize;
        if bytes > max_length as usize && strings.is_valid(row) {
            refusals.add(row, name, Reason::TooLong { bytes, max_length });
        }
    }
}

fn check_dims(list: &ListArray, expected: usize, per: usize, name: &str, refusals: &mut Refusals) {
    for row in 0..list.len() {
        let got = list.value_length(row) as usize;
        if got != expected && list.is_valid(row) {
            refusals.add(
                row,
                name,
                Reason::Dim {
                    expected: expected / per,
                    got: got / per,
                },
            );
        }
    }
}

/// Null elements inside lists.
fn check_elements(list: &ListArray, name: &str, refusals: &mut Refusals) {
    let values = list.values();
    if values.null_count() == 0 {
        return;
    }
    let offsets = list.value_offsets();
    for row in 0..list.len() {
        let (s, e) = (offsets[row] as usize, offsets[row + 1] as usize);
        if let Some(i) = (s..e).find(|&i| values.is_null(i)) {
            refusals.add(row, name, Reason::NullElement { index: i - s });
        }
    }
}

fn check_finite_elements(list: &ListArray, name: &str, refusals: &mut Refusals) {
    let values = list.values();
    let finite = |i: usize| -> bool {
        match values.data_type() {
            ArrowType::Float32 => values.as_primitive::<Float32Type>().value(i).is_finite(),
            ArrowType::Float64 => values.as_primitive::<Float64Type>().value(i).is_finite(),
            _ => true,
        }
    };
    let all_finite = match values.data_type() {
        ArrowType::Float32 => values
            .as_primitive::<Float32Type>()
            .values()
            .iter()
            .all(|x| x.is_finite()),
        ArrowType::Float64 => values
            .as_primitive::<Float64Type>()
            .values()
            .iter()
            .all(|x| x.is_finite()),
        _ => true,
    };
    if all_finite {
        return;
    }
    let offsets = list.value_offsets();
    for row in 0..list.len() {
        let (s, e) = (offsets[row] as usize, offsets[row + 1] as usize);
        if (s..e).any(|i| values.is_valid(i) && !finite(i)) {
            refusals.add(row, name, Reason::NotFinite);
        }
    }
}

fn check_half_finite(list: &ListArray, brain: bool, name: &str, refusals: &mut Refusals) {
    let bytes = list.values().as_primitive::<UInt8Type>().values();
    let offsets = list.value_offsets();
    for row in 0..list.len() {
        let (s, e) = (offsets[row] as usize, offsets[row + 1] as usize);
        let bad = bytes[s..e].chunks_exact(2).any(|p| {
            let le = [p[0], p[1]];
            if brain {
                !half::bf16::from_le_bytes(le).is_finite()
            } else {
                !half::f16::from_le_bytes(le).is_finite()
            }
        });
        if bad {
            refusals.add(row, name, Reason::NotFinite);
        }
    }
}
