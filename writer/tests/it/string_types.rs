//! Text, Geometry and Timestamptz: given as strings in rows, written as
//! `utf8` in Parquet (what the newest reader expects: WKT and ISO-8601
//! text) and as strings in JSON, JSONL and CSV; checked on the client (WKT
//! syntax, ISO-8601 dates); refused in NumPy, whose reader has no string
//! type but VarChar and JSON.

use std::sync::Arc;

use arrow_array::{Int64Array, LargeStringArray, RecordBatch, StringArray};
use serde_json::{Value, json};
use zilliz_import_writer::{
    BadRows, DataType, DefaultValue, Format, Reason, Schema, SchemaError, WriteError, Writer,
};

use crate::common::{self, files_under};

fn schema() -> Schema {
    Schema::from_json_value(&json!({"fields": [
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "t", "type": "Text"},
        {"name": "g", "type": "Geometry", "nullable": true},
        {"name": "ts", "type": "Timestamptz", "defaultValue": "2000-01-01T00:00:00Z"}
    ]}))
    .unwrap()
}

fn rows() -> Vec<Value> {
    vec![
        json!({"id": 1, "t": "long text ✓ ".repeat(10_000), "g": "POINT (1 1)", "ts": "2025-01-02T00:00:00+08:00"}),
        json!({"id": 2, "t": "", "g": "POLYGON ((0 0, 1 0, 1 1, 0 0))", "ts": "2024-02-29T23:59:59.5"}),
        json!({"id": 3, "t": "x", "g": null}),
    ]
}

#[test]
fn schemas_name_the_three_types_in_both_shapes() {
    let s = schema();
    assert_eq!(s.field("t").unwrap().data_type(), &DataType::Text);
    assert_eq!(s.field("g").unwrap().data_type(), &DataType::Geometry);
    assert_eq!(s.field("ts").unwrap().data_type(), &DataType::Timestamptz);
    assert_eq!(
        s.field("ts").unwrap().default(),
        Some(&DefaultValue::String("2000-01-01T00:00:00Z".into()))
    );
    let created = Schema::from_json_value(&json!({"fields": [
        {"fieldName": "id", "dataType": "Int64", "isPrimary": true},
        {"fieldName": "t", "dataType": "TEXT"},
        {"fieldName": "g", "dataType": "geometry"},
        {"fieldName": "ts", "dataType": "Timestamptz"}
    ]}))
    .unwrap();
    assert_eq!(created.field("g").unwrap().data_type().name(), "Geometry");
    // A default the server could not read is refused with the schema.
    let e = Schema::from_json_value(&json!({"fields": [
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "g", "type": "Geometry", "defaultValue": "POINT (1)"}
    ]}))
    .unwrap_err();
    assert!(
        matches!(&e, SchemaError::BadDefault { field, .. } if field == "g"),
        "{e:?}"
    );
}

const READ: &str = r#"
import json, sys
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
print(json.dumps({"types": [[f.name, str(f.type)] for f in t.schema], "rows": t.to_pylist()}))
"#;

#[test]
fn parquet_holds_utf8_text_read_back_by_pyarrow() {
    if common::skip_python() {
        return;
    }
    let (dir, _) = common::write_rows(schema(), Format::default(), &rows());
    let out = common::run_python(READ, &[dir.path().join("out/1.parquet").to_str().unwrap()]);
    assert_eq!(
        out["types"],
        json!([
            ["id", "int64"],
            ["t", "string"],
            ["g", "string"],
            ["ts", "string"]
        ])
    );
    let mut want = rows();
    want[2]["ts"] = json!("2000-01-01T00:00:00Z");
    assert_eq!(out["rows"], json!(want));
}

#[test]
fn text_formats_hold_strings() {
    let (dir, _) = common::write_rows(schema(), Format::Jsonl, &rows()[1..]);
    let text = std::fs::read_to_string(dir.path().join("out/1.jsonl")).unwrap();
    assert_eq!(
        text,
        "{\"id\":2,\"t\":\"\",\"g\":\"POLYGON ((0 0, 1 0, 1 1, 0 0))\",\"ts\":\"2024-02-29T23:59:59.5\"}\n\
         {\"id\":3,\"t\":\"x\",\"g\":null,\"ts\":\"2000-01-01T00:00:00Z\"}\n"
    );
    let (dir, _) = common::write_rows(schema(), Format::Json, &rows()[2..]);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/1.json")).unwrap())
            .unwrap();
    assert_eq!(
        json,
        json!({"rows": [{"id": 3, "t": "x", "g": null, "ts": "2000-01-01T00:00:00Z"}]})
    );
    let (dir, _) = common::write_rows(schema(), Format::csv(), &rows()[1..]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/1.csv")).unwrap(),
        "id,t,g,ts\n\
         2,,\"POLYGON ((0 0, 1 0, 1 1, 0 0))\",2024-02-29T23:59:59.5\n\
         3,x,,2000-01-01T00:00:00Z\n"
    );
}

#[test]
fn numpy_refuses_each_of_them() {
    for (name, data_type) in [("t", "Text"), ("g", "Geometry"), ("ts", "Timestamptz")] {
        let schema = Schema::from_json_value(&json!({"fields": [
            {"name": "id", "type": "Int64", "primaryKey": true},
            {"name": name, "type": data_type}
        ]}))
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let e = Writer::builder(schema)
            .format(Format::Numpy)
            .create_in(dir.path())
            .err()
            .unwrap();
        assert!(
            matches!(&e, WriteError::Unsupported { format: "NumPy", field, .. } if field == name),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "NumPy cannot carry field `{name}`: Milvus's NumPy reader takes strings for VarChar and JSON fields only"
            )
        );
    }
}

/// Bad values are refused with the field and the reason, from rows, from
/// CSV and from Arrow batches alike.
#[test]
fn bad_values_are_refused_by_every_input_path() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(schema())
        .bad_rows(BadRows::Collect)
        .create_in(dir.path())
        .unwrap();
    for row in [
        json!({"id": 1, "t": "a", "g": "POINT (1)"}),
        json!({"id": 2, "t": "a", "ts": "2023-02-29T00:00:00Z"}),
        json!({"id": 3, "t": 5}),
        json!({"id": 4, "t": "a", "g": ["POINT (1 1)"]}),
        json!({"id": 5, "t": "ok", "g": "LINESTRING (0 0, 1 1)", "ts": "2023-02-28T00:00:00-01:00"}),
    ] {
        w.push_json(&row).unwrap();
    }
    w.write_csv(
        "id,t,g,ts\n6,a,POINT (1 1),2025-01-02\n7,b,POINT EMPTY,\n".as_bytes(),
        b',',
        "",
    )
    .unwrap();
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(vec![8, 9])) as _),
        ("t", Arc::new(LargeStringArray::from(vec!["a", "b"])) as _),
        (
            "g",
            Arc::new(StringArray::from(vec![Some("CIRCLE (1 1)"), None])) as _,
        ),
        (
            "ts",
            Arc::new(StringArray::from(vec![
                "2025-01-02T00:00:00Z",
                "2025-01-02T25:00:00Z",
            ])) as _,
        ),
    ])
    .unwrap();
    w.write_batch(&batch).unwrap();
    let s = w.finish().unwrap();
    let refused: Vec<String> = s.rejected.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        refused,
        [
            "row 1, field `g`: not WKT: expected a coordinate of 2 to 4 numbers at byte 7",
            "row 2, field `ts`: not an ISO-8601 timestamp: no such date",
            "row 3, field `t`: expected a string, got a number",
            "row 4, field `g`: expected WKT text, got an array",
            "line 2, field `ts`: not an ISO-8601 timestamp: expected `T` and a time after the date",
            "row 8, field `g`: not WKT: unknown geometry type at byte 0",
            "row 9, field `ts`: not an ISO-8601 timestamp: no such time of day",
        ]
    );
    assert!(matches!(
        s.rejected[0].reason,
        Reason::Malformed {
            expected: "WKT",
            ..
        }
    ));
    // Rows 5 and 7 (line 3 of the CSV, its empty `ts` the default) are in.
    assert_eq!(s.rows, 2);
    assert_eq!(files_under(dir.path()), ["1.parquet"]);
}
