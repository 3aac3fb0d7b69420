//! The text and NumPy formats: exact bytes where they are small, values
//! read back where they are not.

use serde_json::{Value, json};
use zilliz_import_writer::{DataType, Field, Format, Schema, WriteError, Writer};

use crate::common::{self, all_types, all_types_row, small, small_row};

fn read(dir: &tempfile::TempDir, rel: &str) -> String {
    std::fs::read_to_string(dir.path().join("out").join(rel)).unwrap()
}

#[test]
fn json_rows_with_dynamic_keys_at_the_top_level() {
    let mut r2 = small_row(2);
    r2["color"] = json!("red");
    r2["$meta"] = json!({"w": 1.5});
    let (dir, summary) = common::write_rows(small(true), Format::Json, &[small_row(1), r2]);
    assert_eq!(summary.files(), vec![vec!["1.json".to_owned()]]);
    assert_eq!(
        read(&dir, "1.json"),
        "{\"rows\":[\n\
         {\"id\":1,\"vec\":[1.0,2.0,3.0,1.0],\"title\":\"t1\"},\n\
         {\"id\":2,\"vec\":[1.0,2.0,3.0,2.0],\"title\":\"t2\",\"color\":\"red\",\"w\":1.5}\n]}\n"
    );
    assert_eq!(summary.rows, 2);
    assert_eq!(summary.bytes, read(&dir, "1.json").len() as u64);
}

#[test]
fn jsonl_lines() {
    let (dir, _) = common::write_rows(small(false), Format::Jsonl, &[small_row(1), small_row(2)]);
    assert_eq!(
        read(&dir, "1.jsonl"),
        "{\"id\":1,\"vec\":[1.0,2.0,3.0,1.0],\"title\":\"t1\"}\n{\"id\":2,\"vec\":[1.0,2.0,3.0,2.0],\"title\":\"t2\"}\n"
    );
}

#[test]
fn every_type_as_json_reads_as_milvus_expects() {
    let (dir, _) = common::write_rows(all_types(), Format::Jsonl, &[all_types_row(1)]);
    let row: Value = serde_json::from_str(read(&dir, "1.jsonl").trim()).unwrap();
    // Vectors as numbers (float16/bfloat16 decoded back), binary as bytes,
    // sparse and JSON as objects, nulls as null, defaults filled in,
    // dynamic keys at the top level.
    assert_eq!(row["f16"], json!([1.5, -2.0]));
    assert_eq!(row["bf16"], json!([0.5, 3.0]));
    assert_eq!(row["bv"], json!([255, 1]));
    assert_eq!(row["fv"], json!([0.1, 0.2, 0.3, 1.0]));
    assert_eq!(row["sp"], json!({"2": 0.25, "7": 0.5}));
    assert_eq!(row["j"], json!({"k": 1, "tags": ["a", "b"]}));
    assert_eq!(row["n"], Value::Null);
    assert_eq!((&row["dflt"], &row["dname"]), (&json!(7), &json!("x")));
    assert_eq!((&row["extra"], &row["m"]), (&json!("dyn"), &json!(1)));
    assert_eq!(row["a_s"], json!(["ab", "é"]));
    assert_eq!(row["d"], json!(1e300));
    assert!(row.get("$meta").is_none());
}

#[test]
fn csv_with_header_json_cells_and_null_key() {
    let schema = Schema::builder()
        .field(Field::new("id", DataType::Int64).primary_key())
        .field(Field::new("ok", DataType::Bool))
        .field(Field::new("name", DataType::VarChar { max_length: 20 }).nullable())
        .field(Field::new("tags", DataType::Json))
        .dynamic_field(true)
        .build()
        .unwrap();
    let rows = [
        json!({"id": 1, "ok": true, "name": "a,\"b\"", "tags": {"x": [1, 2]}}),
        json!({"id": 2, "ok": false, "name": null, "tags": [], "extra": 5}),
    ];
    let (dir, _) = common::write_rows(
        schema.clone(),
        Format::Csv {
            separator: b',',
            null_key: "\\N".into(),
        },
        &rows,
    );
    assert_eq!(
        read(&dir, "1.csv"),
        "id,ok,name,tags,$meta\n\
         1,true,\"a,\"\"b\"\"\",\"{\"\"x\"\":[1,2]}\",{}\n\
         2,false,\\N,[],\"{\"\"extra\"\":5}\"\n"
    );
    // With the empty null key, an empty string in a nullable field would
    // be read back as null: refused, naming the field.
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(schema)
        .format(Format::csv())
        .create_in(dir.path())
        .unwrap();
    w.push_json(&json!({"id": 1, "ok": true, "name": "", "tags": 1}))
        .unwrap();
    match w.finish() {
        Err(WriteError::Unsupported {
            format: "CSV",
            field,
            ..
        }) => assert_eq!(field, "name"),
        other => panic!("{other:?}"),
    }
    assert_eq!(common::files_under(dir.path()), Vec::<String>::new());
}

#[test]
fn numpy_refuses_what_milvus_cannot_read_from_npy() {
    let dir = tempfile::tempdir().unwrap();
    let e = Writer::builder(all_types())
        .format(Format::Numpy)
        .create_in(dir.path())
        .err()
        .unwrap();
    assert!(
        matches!(&e, WriteError::Unsupported { format: "NumPy", field, .. } if field == "a_bool"),
        "{e:?}"
    );
    let nullable = Schema::builder()
        .field(Field::new("id", DataType::Int64).primary_key())
        .field(Field::new("n", DataType::Int8).nullable())
        .build()
        .unwrap();
    let e = Writer::builder(nullable)
        .format(Format::Numpy)
        .create_in(dir.path())
        .err()
        .unwrap();
    assert!(
        matches!(&e, WriteError::Unsupported { field, reason, .. } if field == "n" && reason.contains("nullable"))
    );
}

const NPY: &str = r#"
import json, sys, os
import numpy as np
out = {}
for name in sorted(os.listdir(sys.argv[1])):
    a = np.load(os.path.join(sys.argv[1], name))
    out[name] = {"dtype": a.dtype.str, "shape": list(a.shape), "values": a.tolist()}
print(json.dumps(out))
"#;

#[test]
fn numpy_folders_of_npy_files_read_by_numpy() {
    if common::skip_python() {
        return;
    }
    let schema = Schema::from_json_value(&json!({"enableDynamicField": true, "fields": [
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "b", "type": "Bool"},
        {"name": "i16", "type": "Int16"},
        {"name": "f", "type": "Float"},
        {"name": "s", "type": "VarChar", "params": [{"key": "max_length", "value": "10"}]},
        {"name": "j", "type": "JSON"},
        {"name": "fv", "type": "FloatVector", "params": [{"key": "dim", "value": "2"}]},
        {"name": "bv", "type": "BinaryVector", "params": [{"key": "dim", "value": "8"}]},
        {"name": "h", "type": "Float16Vector", "params": [{"key": "dim", "value": "1"}]},
        {"name": "q", "type": "Int8Vector", "params": [{"key": "dim", "value": "2"}]},
        {"name": "dv", "type": "Double", "defaultValue": 2.5}
    ]}))
    .unwrap();
    let rows = [
        json!({"id": 1, "b": true, "i16": -3, "f": 0.5, "s": "añb", "j": {"a": 1}, "fv": [1, 2], "bv": [7], "h": [1.0], "q": [-1, 1], "x": 1}),
        json!({"id": 2, "b": false, "i16": 4, "f": 1.5, "s": "", "j": [1], "fv": [3, 4], "bv": [255], "h": [0.5], "q": [0, 2], "dv": 1.0}),
    ];
    let (dir, summary) = common::write_rows(schema, Format::Numpy, &rows);
    assert_eq!(summary.groups.len(), 1);
    let mut files = summary.groups[0].files.clone();
    files.sort();
    assert_eq!(
        files,
        [
            "1/$meta.npy",
            "1/b.npy",
            "1/bv.npy",
            "1/dv.npy",
            "1/f.npy",
            "1/fv.npy",
            "1/h.npy",
            "1/i16.npy",
            "1/id.npy",
            "1/j.npy",
            "1/q.npy",
            "1/s.npy"
        ]
    );
    let out = common::run_python(NPY, &[dir.path().join("out/1").to_str().unwrap()]);
    let col = |n: &str| (&out[n]["dtype"], &out[n]["shape"], &out[n]["values"]);
    assert_eq!(col("id.npy"), (&json!("<i8"), &json!([2]), &json!([1, 2])));
    assert_eq!(
        col("b.npy"),
        (&json!("|b1"), &json!([2]), &json!([true, false]))
    );
    assert_eq!(
        col("i16.npy"),
        (&json!("<i2"), &json!([2]), &json!([-3, 4]))
    );
    assert_eq!(
        col("f.npy"),
        (&json!("<f4"), &json!([2]), &json!([0.5, 1.5]))
    );
    assert_eq!(
        col("s.npy"),
        (&json!("<U3"), &json!([2]), &json!(["añb", ""]))
    );
    assert_eq!(
        col("j.npy"),
        (&json!("<U7"), &json!([2]), &json!(["{\"a\":1}", "[1]"]))
    );
    assert_eq!(
        col("fv.npy"),
        (
            &json!("<f4"),
            &json!([2, 2]),
            &json!([[1.0, 2.0], [3.0, 4.0]])
        )
    );
    assert_eq!(
        col("bv.npy"),
        (&json!("|u1"), &json!([2, 1]), &json!([[7], [255]]))
    );
    assert_eq!(
        col("h.npy"),
        (&json!("|u1"), &json!([2, 2]), &json!([[0, 60], [0, 56]]))
    );
    assert_eq!(
        col("q.npy"),
        (&json!("|i1"), &json!([2, 2]), &json!([[-1, 1], [0, 2]]))
    );
    assert_eq!(
        col("dv.npy"),
        (&json!("<f8"), &json!([2]), &json!([2.5, 1.0]))
    );
    assert_eq!(
        col("$meta.npy"),
        (&json!("<U7"), &json!([2]), &json!(["{\"x\":1}", "{}"]))
    );
}

#[test]
fn every_type_as_csv_cells() {
    let (dir, _) = common::write_rows(all_types(), Format::csv(), &[all_types_row(1)]);
    let text = read(&dir, "1.csv");
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let record = reader.records().next().unwrap().unwrap();
    let cell = |name: &str| record[header.iter().position(|h| h == name).unwrap()].to_owned();
    assert_eq!(header.last().map(String::as_str), Some("$meta"));
    assert_eq!(
        [
            cell("id"),
            cell("b"),
            cell("i8"),
            cell("f"),
            cell("d"),
            cell("s")
        ],
        ["1", "false", "-127", "1.5", "1e300", "héllo"]
    );
    assert_eq!(cell("j"), "{\"k\":1,\"tags\":[\"a\",\"b\"]}");
    assert_eq!(cell("fv"), "[0.1,0.2,0.3,1.0]");
    assert_eq!(cell("bv"), "[255,1]");
    assert_eq!(cell("f16"), "[1.5,-2.0]");
    assert_eq!(cell("a_s"), "[\"ab\",\"é\"]");
    assert_eq!(cell("sp"), "{\"2\":0.25,\"7\":0.5}");
    // Null is the null key (empty by default); defaults are filled in.
    assert_eq!(
        (cell("n"), cell("dflt"), cell("dname")),
        ("".into(), "7".into(), "x".into())
    );
    assert_eq!(cell("$meta"), "{\"extra\":\"dyn\",\"m\":1}");
}
