//! Arrow batches in: the types users have, converted to what Milvus reads,
//! and the same checks as rows.

use std::sync::Arc;

use arrow_array::builder::{FixedSizeListBuilder, Float32Builder, LargeListBuilder, ListBuilder};
use arrow_array::{
    ArrayRef, BinaryArray, Float64Array, Int32Array, Int64Array, LargeStringArray, RecordBatch,
    StringArray,
};
use arrow_schema::{Field as ArrowField, Schema as ArrowSchema};
use serde_json::{Value, json};
use zilliz_import_writer::{BadRows, Format, Reason, Schema, WriteError, Writer};

fn batch(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
    let fields: Vec<ArrowField> = columns
        .iter()
        .map(|(n, a)| ArrowField::new(*n, a.data_type().clone(), true))
        .collect();
    RecordBatch::try_new(
        Arc::new(ArrowSchema::new(fields)),
        columns.into_iter().map(|(_, a)| a).collect(),
    )
    .unwrap()
}

fn schema() -> Schema {
    Schema::from_json_value(&json!({"enableDynamicField": true, "fields": [
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "v", "type": "FloatVector", "params": [{"key": "dim", "value": "2"}]},
        {"name": "t", "type": "VarChar", "params": [{"key": "max_length", "value": "4"}]},
        {"name": "b", "type": "BinaryVector", "params": [{"key": "dim", "value": "16"}]},
        {"name": "h", "type": "Float16Vector", "params": [{"key": "dim", "value": "2"}]},
        {"name": "n", "type": "Int16", "nullable": true},
        {"name": "d", "type": "Double", "defaultValue": 0.5}
    ]}))
    .unwrap()
}

fn jsonl(
    schema: Schema,
    batches: &[RecordBatch],
    bad_rows: BadRows,
) -> Result<(Vec<Value>, zilliz_import_writer::Summary), WriteError> {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(schema)
        .format(Format::Jsonl)
        .bad_rows(bad_rows)
        .create_in(dir.path())?;
    for b in batches {
        w.write_batch(b)?;
    }
    let summary = w.finish()?;
    let text = std::fs::read_to_string(dir.path().join("1.jsonl")).unwrap_or_default();
    Ok((
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        summary,
    ))
}

fn fixed_vectors(rows: &[[f32; 2]]) -> ArrayRef {
    let mut b = FixedSizeListBuilder::new(Float32Builder::new(), 2);
    for r in rows {
        b.values().append_slice(r);
        b.append(true);
    }
    Arc::new(b.finish())
}

fn half_lists(rows: &[[f32; 2]]) -> ArrayRef {
    let mut b = ListBuilder::new(Float32Builder::new());
    for r in rows {
        b.values().append_slice(r);
        b.append(true);
    }
    Arc::new(b.finish())
}

#[test]
fn other_arrow_types_are_converted() {
    let input = batch(vec![
        ("id", Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef),
        ("v", fixed_vectors(&[[0.5, 1.0], [2.0, 3.0]])),
        ("t", Arc::new(LargeStringArray::from(vec!["ab", "é"]))),
        (
            "b",
            Arc::new(BinaryArray::from(vec![&[1u8, 2][..], &[255, 0][..]])),
        ),
        ("h", half_lists(&[[1.5, -2.0], [0.5, 0.25]])),
        ("d", Arc::new(Float64Array::from(vec![None, Some(9.0)]))),
        (
            "color",
            Arc::new(StringArray::from(vec![Some("red"), None])),
        ),
        ("size", Arc::new(Int64Array::from(vec![3, 4]))),
    ]);
    let (rows, summary) = jsonl(schema(), &[input], BadRows::Fail).unwrap();
    assert_eq!(summary.rows, 2);
    assert_eq!(
        rows,
        vec![
            json!({"id": 1, "v": [0.5, 1.0], "t": "ab", "b": [1, 2], "h": [1.5, -2.0], "n": null, "d": 0.5, "color": "red", "size": 3}),
            json!({"id": 2, "v": [2.0, 3.0], "t": "é", "b": [255, 0], "h": [0.5, 0.25], "n": null, "d": 9.0, "size": 4}),
        ]
    );
}

#[test]
fn float64_and_large_list_vectors() {
    let schema = Schema::from_json_value(&json!({"fields": [
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "v", "type": "FloatVector", "params": [{"key": "dim", "value": "2"}]},
        {"name": "w", "type": "FloatVector", "params": [{"key": "dim", "value": "2"}]}
    ]}))
    .unwrap();
    let mut f64s = ListBuilder::new(arrow_array::builder::Float64Builder::new());
    f64s.values().append_slice(&[0.1, 0.2]);
    f64s.append(true);
    let mut large = LargeListBuilder::new(Float32Builder::new());
    large.values().append_slice(&[7.0, 8.0]);
    large.append(true);
    let input = batch(vec![
        ("id", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
        ("v", Arc::new(f64s.finish())),
        ("w", Arc::new(large.finish())),
    ]);
    let (rows, _) = jsonl(schema, &[input], BadRows::Fail).unwrap();
    assert_eq!(
        rows,
        vec![json!({"id": 1, "v": [0.1, 0.2], "w": [7.0, 8.0]})]
    );
}

#[test]
fn bad_rows_are_named_by_position_across_batches() {
    let good = batch(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ("v", fixed_vectors(&[[0.5, 1.0], [2.0, 3.0]])),
        ("t", Arc::new(StringArray::from(vec!["a", "b"]))),
        (
            "b",
            Arc::new(BinaryArray::from(vec![&[1u8, 2][..], &[3, 4][..]])),
        ),
        ("h", half_lists(&[[1.0, 1.0], [1.0, 1.0]])),
    ]);
    let mut v = ListBuilder::new(Float32Builder::new());
    for r in [
        &[1.0f32, 2.0][..],
        &[1.0][..],
        &[f32::NAN, 1.0][..],
        &[1.0, 2.0][..],
        &[1.0, 2.0][..],
    ] {
        v.values().append_slice(r);
        v.append(true);
    }
    let bad = batch(vec![
        (
            "id",
            Arc::new(Int64Array::from(vec![3, 4, 5, 6, 7])) as ArrayRef,
        ),
        ("v", Arc::new(v.finish())),
        (
            "t",
            Arc::new(StringArray::from(vec!["a", "b", "c", "ééé", "e"])),
        ),
        (
            "b",
            Arc::new(BinaryArray::from(vec![
                &[1u8, 2][..],
                &[3, 4][..],
                &[5, 6][..],
                &[7, 8][..],
                &[9][..],
            ])),
        ),
        ("h", half_lists(&[[1.0, 1.0]; 5])),
    ]);
    let (rows, summary) = jsonl(schema(), &[good.clone(), bad.clone()], BadRows::Collect).unwrap();
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [1, 2, 3]);
    let seen: Vec<(u64, Option<&str>, &Reason)> = summary
        .rejected
        .iter()
        .map(|e| (e.row, e.field.as_deref(), &e.reason))
        .collect();
    assert_eq!(
        seen,
        [
            (
                4,
                Some("v"),
                &Reason::Dim {
                    expected: 2,
                    got: 1
                }
            ),
            (5, Some("v"), &Reason::NotFinite),
            (
                6,
                Some("t"),
                &Reason::TooLong {
                    bytes: 6,
                    max_length: 4
                }
            ),
            (
                7,
                Some("b"),
                &Reason::Dim {
                    expected: 2,
                    got: 1
                }
            ),
        ]
    );
    // Strict: the first bad row fails the write.
    match jsonl(schema(), &[good, bad], BadRows::Fail) {
        Err(WriteError::Row(e)) => assert_eq!((e.row, e.field.as_deref()), (4, Some("v"))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn columns_that_cannot_be_used_are_refused_by_name() {
    let base = || {
        vec![
            ("id", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
            ("v", fixed_vectors(&[[0.5, 1.0]])),
            ("t", Arc::new(StringArray::from(vec!["a"])) as ArrayRef),
            (
                "b",
                Arc::new(BinaryArray::from(vec![&[1u8, 2][..]])) as ArrayRef,
            ),
            ("h", half_lists(&[[1.0, 1.0]])),
        ]
    };
    let column_error = |columns: Vec<(&str, ArrayRef)>, schema: Schema| match jsonl(
        schema,
        &[batch(columns)],
        BadRows::Fail,
    ) {
        Err(WriteError::Column { column, reason }) => (column, reason),
        other => panic!("{other:?}"),
    };
    let mut c = base();
    c[2] = ("t", Arc::new(Int64Array::from(vec![5])));
    assert_eq!(
        column_error(c, schema()),
        ("t".into(), "Int64 cannot hold a VarChar field".into())
    );
    let mut c = base();
    c.remove(1);
    assert_eq!(column_error(c, schema()).0, "v");
    let no_dynamic = Schema::from_json_value(&json!({"fields": [
        {"name": "id", "type": "Int64", "primaryKey": true, "autoId": true},
        {"name": "t", "type": "VarChar", "params": [{"key": "max_length", "value": "4"}]}
    ]}))
    .unwrap();
    let (column, reason) = column_error(
        vec![
            ("t", Arc::new(StringArray::from(vec!["a"])) as ArrayRef),
            ("x", Arc::new(Int64Array::from(vec![1]))),
        ],
        no_dynamic.clone(),
    );
    assert_eq!(
        (column.as_str(), reason.as_str()),
        ("x", "not in the schema, and the dynamic field is off")
    );
    let (column, reason) = column_error(
        vec![
            ("id", Arc::new(Int64Array::from(vec![1])) as ArrayRef),
            ("t", Arc::new(StringArray::from(vec!["a"]))),
        ],
        no_dynamic,
    );
    assert_eq!(
        (column.as_str(), reason.as_str()),
        ("id", "the primary key is auto-id: leave it out")
    );
}

#[test]
fn narrowing_casts_that_overflow_are_refused() {
    let schema = Schema::from_json_value(&json!({"fields": [
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "small", "type": "Int8"}
    ]}))
    .unwrap();
    let input = batch(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ("small", Arc::new(Int64Array::from(vec![5, 300]))),
    ]);
    match jsonl(schema.clone(), &[input], BadRows::Fail) {
        Err(WriteError::Row(e)) => assert_eq!(
            (e.row, e.field.as_deref(), e.reason),
            (
                2,
                Some("small"),
                Reason::OutOfRange {
                    value: "300".into(),
                    data_type: "Int8"
                }
            )
        ),
        other => panic!("{other:?}"),
    }
    let input = batch(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ("small", Arc::new(Int64Array::from(vec![5, -128]))),
    ]);
    let (rows, _) = jsonl(schema, &[input], BadRows::Fail).unwrap();
    assert_eq!(
        rows,
        vec![
            json!({"id": 1, "small": 5}),
            json!({"id": 2, "small": -128})
        ]
    );
}

#[test]
fn sparse_vectors_as_text_or_struct() {
    use arrow_array::StructArray;
    use arrow_array::builder::{Float32Builder as F32, UInt32Builder};
    let schema = Schema::from_json_value(&json!({"fields": [
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "sp", "type": "SparseFloatVector"}
    ]}))
    .unwrap();
    let text = batch(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
        (
            "sp",
            Arc::new(StringArray::from(vec![
                "{\"9\": 0.5, \"1\": 2}",
                "{\"indices\": [3], \"values\": [0.25]}",
                "{\"1\": -1}",
            ])),
        ),
    ]);
    let mut indices = ListBuilder::new(UInt32Builder::new());
    let mut values = ListBuilder::new(F32::new());
    for (i, v) in [(&[4u32, 2][..], &[1.0f32, 0.5][..]), (&[7], &[f32::NAN])] {
        indices.values().append_slice(i);
        indices.append(true);
        values.values().append_slice(v);
        values.append(true);
    }
    let indices: ArrayRef = Arc::new(indices.finish());
    let values: ArrayRef = Arc::new(values.finish());
    let structs = StructArray::from(vec![
        (
            Arc::new(ArrowField::new(
                "indices",
                indices.data_type().clone(),
                true,
            )),
            indices,
        ),
        (
            Arc::new(ArrowField::new("values", values.data_type().clone(), true)),
            values,
        ),
    ]);
    let as_struct = batch(vec![
        ("id", Arc::new(Int64Array::from(vec![4, 5])) as ArrayRef),
        ("sp", Arc::new(structs)),
    ]);
    let (rows, summary) = jsonl(schema, &[text, as_struct], BadRows::Collect).unwrap();
    assert_eq!(
        rows,
        vec![
            json!({"id": 1, "sp": {"1": 2.0, "9": 0.5}}),
            json!({"id": 2, "sp": {"3": 0.25}}),
            json!({"id": 4, "sp": {"2": 0.5, "4": 1.0}}),
        ]
    );
    let seen: Vec<(u64, &Reason)> = summary
        .rejected
        .iter()
        .map(|e| (e.row, &e.reason))
        .collect();
    assert_eq!(
        seen,
        [
            (3, &Reason::SparseValue { value: "-1".into() }),
            (
                5,
                &Reason::SparseValue {
                    value: "NaN".into()
                }
            )
        ]
    );
}
