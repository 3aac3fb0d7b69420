//! CSV rows in, read as Milvus's CSV reader reads them: a header naming
//! the columns; scalars as text; JSON, arrays and vectors as JSON text in
//! the cell; the null key (empty by default) meaning null for nullable and
//! default-valued fields; `$meta` as a JSON object; other columns, with the
//! dynamic field on, as string keys of `$meta`.
//!
//! Each record is turned into the JSON text of its row and goes through
//! the same checks as a JSONL line. A cell meant to hold JSON is embedded
//! only when it is exactly one JSON value (so a cell cannot smuggle in
//! keys of its own); otherwise it goes in as a string, and is refused as
//! one.

use std::io::Read;

use serde_json::value::RawValue;

use crate::error::{Reason, WriteError};
use crate::schema::{DataType, META_FIELD, Schema};

/// How a column's cells become JSON.
enum Column {
    Bool,
    Int,
    Float,
    Text,
    Json,
    Meta,
    /// Not declared: a string key of `$meta` (refused unless the dynamic
    /// field is on, by the row checks).
    Extra,
}

/// Calls `row` with the JSON text and line of every record, in order.
pub(crate) fn for_each_row<R: Read>(
    schema: &Schema,
    input: R,
    separator: u8,
    null_key: &str,
    mut row: impl FnMut(Result<&[u8], Reason>, u64) -> Result<(), WriteError>,
) -> Result<u64, WriteError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(true)
        .flexible(true)
        .from_reader(input);
    let csv_error = |e: csv::Error| WriteError::io("CSV input", e.into());
    let header = reader.headers().map_err(csv_error)?.clone();
    let mut columns = Vec::with_capacity(header.len());
    let mut keys = Vec::with_capacity(header.len());
    for name in header.iter() {
        let field = schema.field(name);
        columns.push((
            match field.map(|f| f.data_type()) {
                Some(DataType::Bool) => Column::Bool,
                Some(DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64) => {
                    Column::Int
                }
                Some(DataType::Float | DataType::Double) => Column::Float,
                Some(
                    DataType::VarChar { .. }
                    | DataType::Text
                    | DataType::Geometry
                    | DataType::Timestamptz,
                ) => Column::Text,
                Some(_) => Column::Json,
                None if name == META_FIELD => Column::Meta,
                None => Column::Extra,
            },
            field.is_some_and(|f| f.is_nullable() || f.default().is_some()),
        ));
        let mut key = serde_json::to_string(name).expect("a string serializes");
        key.push(':');
        keys.push(key);
    }
    let mut record = csv::StringRecord::new();
    let mut text = String::with_capacity(1 << 16);
    let mut rows = 0u64;
    while reader.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, |p| p.line());
        rows += 1;
        if record.len() != columns.len() {
            let reason = Reason::Syntax(format!(
                "{} cells in a row under a header of {}",
                record.len(),
                columns.len()
            ));
            row(Err(reason), line)?;
            continue;
        }
        text.clear();
        text.push('{');
        for (i, (cell, (column, nullable))) in record.iter().zip(&columns).enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&keys[i]);
            if *nullable && cell == null_key {
                text.push_str("null");
                continue;
            }
            cell_json(column, cell, &mut text);
        }
        text.push('}');
        row(Ok(text.as_bytes()), line)?;
    }
    Ok(rows)
}

/// One cell as a JSON value.
fn cell_json(column: &Column, cell: &str, out: &mut String) {
    let string =
        |out: &mut String| out.push_str(&serde_json::to_string(cell).expect("a string serializes"));
    match column {
        Column::Bool => match cell {
            // Go's strconv.ParseBool, which Milvus uses.
            "1" | "t" | "T" | "TRUE" | "true" | "True" => out.push_str("true"),
            "0" | "f" | "F" | "FALSE" | "false" | "False" => out.push_str("false"),
            _ => string(out),
        },
        Column::Int => match cell.parse::<i128>() {
            Ok(v) => out.push_str(&v.to_string()),
            Err(_) => string(out),
        },
        Column::Float => match cell.parse::<f64>() {
            Ok(v) if v.is_finite() => out.push_str(ryu::Buffer::new().format_finite(v)),
            _ => string(out),
        },
        Column::Text | Column::Extra => string(out),
        Column::Json | Column::Meta => match serde_json::from_str::<&RawValue>(cell) {
            Ok(value) => out.push_str(value.get()),
            Err(_) => string(out),
        },
    }
}
