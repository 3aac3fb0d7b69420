//! Every validation rule, with its exact reason, through JSON values and
//! JSON text alike.

use serde_json::{Value, json};
use zilliz_import_writer::{Format, Reason, RowError, Schema, WriteError, Writer};

use crate::common::{all_types, all_types_row, small};

/// The refusal of one row, checked to be the same through a `Value` and
/// through JSON text (the two paths read fields differently).
fn refused(schema: Schema, row: Value) -> RowError {
    let dir = tempfile::tempdir().unwrap();
    let mut by_value = Writer::builder(schema.clone())
        .format(Format::Jsonl)
        .create_in(dir.path().join("a"))
        .unwrap();
    let a = match by_value.push_json(&row) {
        Err(WriteError::Row(e)) => e,
        other => panic!("row {row} was not refused: {other:?}"),
    };
    let mut by_text = Writer::builder(schema)
        .format(Format::Jsonl)
        .create_in(dir.path().join("b"))
        .unwrap();
    let b = match by_text.push_json_text(&row.to_string()) {
        Err(WriteError::Row(e)) => e,
        other => panic!("row {row} was not refused as text: {other:?}"),
    };
    assert_eq!(a, b, "value and text paths disagree on {row}");
    a
}

fn with(mut row: Value, key: &str, value: Value) -> Value {
    row[key] = value;
    row
}

fn without(mut row: Value, key: &str) -> Value {
    row.as_object_mut().unwrap().remove(key);
    row
}

fn assert_refused(row: Value, field: &str, reason: Reason) {
    let e = refused(all_types(), row);
    assert_eq!(
        (e.field.as_deref(), &e.reason),
        (Some(field), &reason),
        "{e}"
    );
    assert_eq!(e.row, 1);
}

#[test]
fn a_full_row_is_accepted_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(all_types()).create_in(dir.path()).unwrap();
    w.push_json(&all_types_row(1)).unwrap();
    w.push_json_text(&all_types_row(2).to_string()).unwrap();
    assert_eq!(w.finish().unwrap().rows, 2);
}

#[test]
fn integer_ranges() {
    let r = all_types_row(0);
    assert_refused(
        with(r.clone(), "i8", json!(128)),
        "i8",
        Reason::OutOfRange {
            value: "128".into(),
            data_type: "Int8",
        },
    );
    assert_refused(
        with(r.clone(), "i16", json!(-32769)),
        "i16",
        Reason::OutOfRange {
            value: "-32769".into(),
            data_type: "Int16",
        },
    );
    assert_refused(
        with(r.clone(), "i32", json!(2147483648u64)),
        "i32",
        Reason::OutOfRange {
            value: "2147483648".into(),
            data_type: "Int32",
        },
    );
    assert_refused(
        with(r.clone(), "id", json!(9223372036854775808u64)),
        "id",
        Reason::OutOfRange {
            value: "9223372036854775808".into(),
            data_type: "Int64",
        },
    );
    assert_refused(
        with(r.clone(), "i32", json!(1.5)),
        "i32",
        Reason::WrongType {
            expected: "an integer",
            got: "a number with a fraction or an exponent",
        },
    );
    assert_refused(
        with(r.clone(), "i32", json!(true)),
        "i32",
        Reason::WrongType {
            expected: "an integer",
            got: "a boolean",
        },
    );
    assert_refused(
        with(r, "i32", json!("5")),
        "i32",
        Reason::WrongType {
            expected: "an integer",
            got: "a string",
        },
    );
}

#[test]
fn floats_must_be_finite_and_fit() {
    let r = all_types_row(0);
    assert_refused(
        with(r.clone(), "f", json!(1e39)),
        "f",
        Reason::OutOfRange {
            value: "1e39".into(),
            data_type: "Float",
        },
    );
    assert_refused(
        with(r.clone(), "fv", json!([0.0, 0.0, 0.0, 1e39])),
        "fv",
        Reason::OutOfRange {
            value: "1e39".into(),
            data_type: "Float",
        },
    );
    assert_refused(
        with(r, "b", json!(1)),
        "b",
        Reason::WrongType {
            expected: "a boolean",
            got: "a number",
        },
    );
}

#[test]
fn varchar_max_length_counts_bytes() {
    let r = all_types_row(0);
    // 4 characters, 8 bytes: fits exactly.
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(all_types()).create_in(dir.path()).unwrap();
    w.push_json(&with(r.clone(), "s", json!("éééé"))).unwrap();
    // 5 characters, 9 bytes: refused although 5 <= 8 characters.
    assert_refused(
        with(r.clone(), "s", json!("éééée")),
        "s",
        Reason::TooLong {
            bytes: 9,
            max_length: 8,
        },
    );
    assert_refused(
        with(r.clone(), "a_s", json!(["ab", "ééé"])),
        "a_s",
        Reason::TooLong {
            bytes: 6,
            max_length: 4,
        },
    );
    assert_refused(
        with(r, "s", json!(["x"])),
        "s",
        Reason::WrongType {
            expected: "a string",
            got: "an array",
        },
    );
}

#[test]
fn vector_dimensions() {
    let r = all_types_row(0);
    assert_refused(
        with(r.clone(), "fv", json!([1, 2, 3])),
        "fv",
        Reason::Dim {
            expected: 4,
            got: 3,
        },
    );
    assert_refused(
        with(r.clone(), "bv", json!([1, 2, 3])),
        "bv",
        Reason::Dim {
            expected: 2,
            got: 3,
        },
    );
    assert_refused(
        with(r.clone(), "bv", json!([1, 256])),
        "bv",
        Reason::OutOfRange {
            value: "256".into(),
            data_type: "byte (0 to 255)",
        },
    );
    assert_refused(
        with(r.clone(), "f16", json!([1.0])),
        "f16",
        Reason::Dim {
            expected: 2,
            got: 1,
        },
    );
    assert_refused(
        with(r.clone(), "f16", json!([1.0, 70000.0])),
        "f16",
        Reason::OutOfRange {
            value: "70000".into(),
            data_type: "Float16",
        },
    );
    assert_refused(
        with(r.clone(), "bf16", json!([1.0, 2.0, 3.0])),
        "bf16",
        Reason::Dim {
            expected: 2,
            got: 3,
        },
    );
    assert_refused(
        with(r.clone(), "i8v", json!([1, 2, 128])),
        "i8v",
        Reason::OutOfRange {
            value: "128".into(),
            data_type: "Int8",
        },
    );
    assert_refused(
        with(r.clone(), "fv", json!([1, null, 3, 4])),
        "fv",
        Reason::NullElement { index: 1 },
    );
    assert_refused(
        with(r.clone(), "fv", json!([1, "2", 3, 4])),
        "fv",
        Reason::WrongType {
            expected: "a number",
            got: "a string",
        },
    );
    assert_refused(
        with(r, "fv", json!({"a": 1})),
        "fv",
        Reason::WrongType {
            expected: "an array of numbers",
            got: "an object",
        },
    );
}

#[test]
fn arrays_capacity_and_elements() {
    let r = all_types_row(0);
    assert_refused(
        with(r.clone(), "a_i32", json!([1, 2, 3, 4])),
        "a_i32",
        Reason::OverCapacity {
            len: 4,
            max_capacity: 3,
        },
    );
    assert_refused(
        with(r.clone(), "a_i8", json!([1, -129])),
        "a_i8",
        Reason::OutOfRange {
            value: "-129".into(),
            data_type: "Int8",
        },
    );
    assert_refused(
        with(r.clone(), "a_bool", json!([true, null])),
        "a_bool",
        Reason::NullElement { index: 1 },
    );
    assert_refused(
        with(r.clone(), "a_f", json!([[1.0]])),
        "a_f",
        Reason::WrongType {
            expected: "a number",
            got: "an array",
        },
    );
    assert_refused(
        with(r, "a_i64", json!(5)),
        "a_i64",
        Reason::WrongType {
            expected: "an array",
            got: "a number",
        },
    );
}

#[test]
fn sparse_vectors() {
    let r = all_types_row(0);
    let sp = |v: Value, reason: Reason| assert_refused(with(r.clone(), "sp", v), "sp", reason);
    sp(
        json!({"4294967295": 1.0}),
        Reason::SparseIndex {
            index: "4294967295".into(),
        },
    );
    sp(
        json!({"-1": 1.0}),
        Reason::SparseIndex { index: "-1".into() },
    );
    sp(
        json!({"1.5": 1.0}),
        Reason::SparseIndex {
            index: "1.5".into(),
        },
    );
    sp(
        json!({"3": -0.5}),
        Reason::SparseValue {
            value: "-0.5".into(),
        },
    );
    sp(json!({}), Reason::SparseShape("empty"));
    sp(
        json!({"indices": [1, 2], "values": [0.5]}),
        Reason::SparseShape("`indices` and `values` differ in length"),
    );
    sp(
        json!({"indices": [1, 1], "values": [0.5, 0.5]}),
        Reason::SparseShape("an index given twice"),
    );
    sp(
        json!({"indices": [4294967295u64], "values": [0.5]}),
        Reason::SparseIndex {
            index: "4294967295".into(),
        },
    );
    sp(
        json!([1, 2]),
        Reason::WrongType {
            expected: "an object of index: value pairs",
            got: "an array",
        },
    );
    // The largest index and both spellings are taken.
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(all_types()).create_in(dir.path()).unwrap();
    w.push_json(&with(r.clone(), "sp", json!({"4294967294": 0.0})))
        .unwrap();
    w.push_json(&with(
        r,
        "sp",
        json!({"indices": [9, 1], "values": [1, 0.5]}),
    ))
    .unwrap();
}

#[test]
fn generated_fields_must_be_absent() {
    let schema = Schema::from_json_value(&json!({"autoId": true, "fields": [
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "text", "type": "VarChar", "params": [{"key": "max_length", "value": "100"}]},
        {"name": "sparse", "type": "SparseFloatVector"}
    ], "functions": [{"name": "bm25", "type": "BM25", "inputFieldNames": ["text"], "outputFieldNames": ["sparse"]}]}))
    .unwrap();
    let e = refused(schema.clone(), json!({"id": 1, "text": "a"}));
    assert_eq!(
        (e.field.as_deref(), e.reason),
        (Some("id"), Reason::AutoIdGiven)
    );
    let e = refused(schema.clone(), json!({"text": "a", "sparse": {"1": 1.0}}));
    assert_eq!(
        (e.field.as_deref(), e.reason),
        (Some("sparse"), Reason::FunctionOutputGiven)
    );
    // Even a null counts as given.
    let e = refused(schema, json!({"text": "a", "id": null}));
    assert_eq!(e.reason, Reason::AutoIdGiven);
}

#[test]
fn nullable_and_default_table() {
    // (nullable, default) x (given, null, missing): the 8 cases that are
    // not "a value was given".
    let r = all_types_row(0);
    // not nullable, no default: null and missing refused.
    assert_refused(with(r.clone(), "i32", Value::Null), "i32", Reason::Null);
    assert_refused(without(r.clone(), "i32"), "i32", Reason::Missing);
    assert_refused(without(r.clone(), "fv"), "fv", Reason::Missing);
    assert_refused(with(r.clone(), "j", Value::Null), "j", Reason::Null);
    // nullable, default, not-nullable+default: all accepted (values checked
    // in formats.rs, where they are read back).
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(all_types()).create_in(dir.path()).unwrap();
    for row in [
        without(without(without(r.clone(), "n"), "dflt"), "dname"),
        with(
            with(with(r.clone(), "n", Value::Null), "dflt", Value::Null),
            "dname",
            Value::Null,
        ),
    ] {
        w.push_json(&row).unwrap();
    }
}

#[test]
fn dynamic_field_on_and_off() {
    let e = refused(
        small(false),
        json!({"id": 1, "vec": [1, 2, 3, 4], "title": "t", "color": "red"}),
    );
    assert_eq!(
        (e.field.as_deref(), &e.reason),
        (Some("color"), &Reason::UnknownField)
    );
    assert_eq!(
        e.to_string(),
        "row 1, field `color`: not in the schema, and the dynamic field is off"
    );
    let e = refused(
        small(true),
        json!({"id": 1, "vec": [1, 2, 3, 4], "title": "t", "$meta": [1]}),
    );
    assert_eq!(
        (e.field.as_deref(), &e.reason),
        (Some("$meta"), &Reason::MetaNotObject)
    );
    let e = refused(
        small(true),
        json!({"id": 1, "vec": [1, 2, 3, 4], "title": "t", "a": 1, "$meta": {"a": 2}}),
    );
    assert_eq!(
        (e.field.as_deref(), &e.reason),
        (Some("a"), &Reason::DuplicateKey)
    );
}

#[test]
fn json_fields_take_values_or_json_text() {
    let r = all_types_row(0);
    assert_refused(
        with(r.clone(), "j", json!("{not json")),
        "j",
        match refused(all_types(), with(r.clone(), "j", json!("{not json"))).reason {
            Reason::InvalidJson(m) => Reason::InvalidJson(m),
            other => panic!("{other:?}"),
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(all_types()).create_in(dir.path()).unwrap();
    w.push_json(&with(r.clone(), "j", json!("{\"a\": 1}")))
        .unwrap();
    w.push_json(&with(r, "j", json!([1, 2]))).unwrap();
}

#[test]
fn rows_that_are_not_objects_or_not_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(small(false)).create_in(dir.path()).unwrap();
    match w.push_json(&json!([1, 2])) {
        Err(WriteError::Row(e)) => assert_eq!(
            (e.field, e.reason),
            (None, Reason::NotAnObject { got: "an array" })
        ),
        other => panic!("{other:?}"),
    }
    let mut w = Writer::builder(small(false))
        .create_in(dir.path().join("b"))
        .unwrap();
    match w.push_json_text("{\"id\": 1,") {
        Err(WriteError::Row(e)) => assert!(matches!(e.reason, Reason::Syntax(_)), "{e:?}"),
        other => panic!("{other:?}"),
    }
    let mut w = Writer::builder(small(false))
        .create_in(dir.path().join("c"))
        .unwrap();
    match w.push_json_text("{\"id\": 1, \"id\": 2}") {
        Err(WriteError::Row(e)) => assert_eq!(
            (e.field.as_deref(), e.reason),
            (Some("id"), Reason::DuplicateKey)
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn jsonl_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(small(false)).create_in(dir.path()).unwrap();
    let input = "{\"id\": 1, \"vec\": [1,2,3,4], \"title\": \"a\"}\n\n{\"id\": 2, \"vec\": [1,2,3], \"title\": \"b\"}\n";
    match w.write_jsonl(input.as_bytes()) {
        Err(WriteError::Row(e)) => {
            assert_eq!(
                (e.row, e.line, e.field.as_deref()),
                (2, Some(3), Some("vec"))
            );
            assert_eq!(
                e.reason,
                Reason::Dim {
                    expected: 4,
                    got: 3
                }
            );
            assert_eq!(
                e.to_string(),
                "line 3, field `vec`: expected 4 elements, got 3"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn serialize_rows() {
    #[derive(serde::Serialize)]
    struct Row<'a> {
        id: i64,
        vec: [f32; 4],
        title: &'a str,
    }
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(small(false))
        .format(Format::Jsonl)
        .create_in(dir.path())
        .unwrap();
    w.push(&Row {
        id: 1,
        vec: [0.1, 0.2, 0.3, 0.4],
        title: "x",
    })
    .unwrap();
    match w.push(&Row {
        id: 2,
        vec: [0.1, f32::NAN, 0.3, 0.4],
        title: "x",
    }) {
        Err(WriteError::Row(e)) => {
            assert_eq!((e.row, e.reason), (2, Reason::NullElement { index: 1 }))
        }
        other => panic!("{other:?}"),
    }
}
