//! Parquet output read back by pyarrow, a reader other than the one that
//! wrote it: the exact Arrow types Milvus needs, and the values.

use serde_json::{Value, json};
use zilliz_import_writer::{Format, Writer};

use crate::common::{self, all_types, all_types_row};

const READ: &str = r#"
import json, sys
import pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
t = f.read()
md = f.metadata
print(json.dumps({
    "schema": [[x.name, str(x.type), x.nullable] for x in t.schema],
    "arrow_metadata": sorted((t.schema.metadata or {}).keys()),
    "parquet_repetition": sorted({f.schema.column(i).max_definition_level > 0 for i in range(md.num_columns)}),
    "compression": sorted({md.row_group(0).column(i).compression for i in range(md.num_columns)}),
    "row_groups": md.num_row_groups,
    "row_group_bytes": [md.row_group(i).total_byte_size for i in range(md.num_row_groups)],
    "columns": {md.row_group(0).column(i).path_in_schema: [
        md.row_group(0).column(i).compression,
        sorted(md.row_group(0).column(i).encodings),
        md.row_group(0).column(i).is_stats_set,
    ] for i in range(md.num_columns)},
    "rows": t.to_pylist(),
}))
"#;

fn f32s(values: &[f32]) -> Value {
    json!(values.iter().map(|v| *v as f64).collect::<Vec<_>>())
}

#[test]
fn every_type_reads_back_with_the_types_every_milvus_accepts() {
    if common::skip_python() {
        return;
    }
    let mut second = all_types_row(2);
    second["dname"] = Value::Null;
    second["n"] = json!(-5);
    second["dflt"] = json!(-9);
    let (dir, summary) =
        common::write_rows(all_types(), Format::default(), &[all_types_row(1), second]);
    assert_eq!(summary.files(), vec![vec!["1.parquet".to_owned()]]);
    let path = dir.path().join("out/1.parquet");
    let out = common::run_python(READ, &[path.to_str().unwrap()]);
    let list = |t: &str| format!("list<item: {t}>");
    let expected_schema: Vec<Value> = [
        ("id", "int64".to_owned()),
        ("b", "bool".into()),
        ("i8", "int8".into()),
        ("i16", "int16".into()),
        ("i32", "int32".into()),
        ("f", "float".into()),
        ("d", "double".into()),
        ("s", "string".into()),
        ("j", "string".into()),
        ("a_bool", list("bool")),
        ("a_i8", list("int8")),
        ("a_i16", list("int16")),
        ("a_i32", list("int32")),
        ("a_i64", list("int64")),
        ("a_f", list("float")),
        ("a_d", list("double")),
        ("a_s", list("string")),
        ("fv", list("float")),
        ("bv", list("uint8")),
        ("f16", list("uint8")),
        ("bf16", list("uint8")),
        ("i8v", list("int8")),
        ("sp", "string".into()),
        ("n", "int32".into()),
        ("dflt", "int64".into()),
        ("dname", "string".into()),
        ("$meta", "string".into()),
    ]
    .into_iter()
    .map(|(n, t)| json!([n, t, true]))
    .collect();
    assert_eq!(out["schema"], json!(expected_schema));
    // No embedded Arrow schema; every column optional; snappy.
    assert_eq!(out["arrow_metadata"], json!([]));
    assert_eq!(out["parquet_repetition"], json!([true]));
    // Vectors: no dictionary, no statistics, not compressed (random floats
    // do not compress); other columns snappy.
    assert_eq!(
        out["columns"]["fv.list.item"],
        json!(["UNCOMPRESSED", ["PLAIN", "RLE"], false])
    );
    assert_eq!(
        out["columns"]["bv.list.item"],
        json!(["UNCOMPRESSED", ["PLAIN", "RLE"], false])
    );
    assert_eq!(out["columns"]["id"][0], json!("SNAPPY"));
    assert_eq!(out["columns"]["a_f.list.item"][0], json!("SNAPPY"));
    assert_eq!(out["compression"], json!(["SNAPPY", "UNCOMPRESSED"]));
    assert_eq!(out["row_groups"], json!(1));
    let first = &out["rows"][0];
    let expected = json!({
        "id": 1, "b": false, "i8": -127, "i16": 32766, "i32": -2147483647,
        "f": 1.5, "d": 1e300, "s": "héllo", "j": "{\"k\":1,\"tags\":[\"a\",\"b\"]}",
        "a_bool": [true, false], "a_i8": [-1, 127], "a_i16": [300], "a_i32": [1, 2, 3],
        "a_i64": [9007199254740993i64], "a_f": [0.25], "a_d": [0.1], "a_s": ["ab", "é"],
        "fv": f32s(&[0.1, 0.2, 0.3, 1.0]),
        "bv": [255, 1],
        "f16": [0, 62, 0, 192],
        "bf16": [0, 63, 64, 64],
        "i8v": [-128, 0, 127],
        "sp": "{\"2\":0.25,\"7\":0.5}",
        "n": null, "dflt": 7, "dname": "x",
        "$meta": "{\"extra\":\"dyn\",\"m\":1}"
    });
    assert_eq!(first, &expected);
    let second = &out["rows"][1];
    assert_eq!(
        (&second["n"], &second["dflt"], &second["dname"]),
        (&json!(-5), &json!(-9), &json!("x"))
    );
}

#[test]
fn row_groups_follow_the_byte_target() {
    if common::skip_python() {
        return;
    }
    // 2,000 rows of 4-d vectors, row groups of 16 KiB: several groups.
    let rows: Vec<Value> = (0..2000).map(common::small_row).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut w = Writer::builder(common::small(false))
        .row_group_bytes(16 << 10)
        .create_in(dir.path())
        .unwrap();
    for r in &rows {
        w.push_json(r).unwrap();
    }
    w.finish().unwrap();
    let out = common::run_python(READ, &[dir.path().join("1.parquet").to_str().unwrap()]);
    // Each row group ends at the first batch past the target: more than
    // one group, none far past 16 KiB.
    let sizes: Vec<u64> = out["row_group_bytes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert!(sizes.len() >= 2, "{sizes:?}");
    assert!(sizes.iter().all(|&s| s <= 32 << 10), "{sizes:?}");
    assert_eq!(out["rows"].as_array().unwrap().len(), 2000);
    assert_eq!(
        out["rows"][1999],
        json!({"id": 1999, "vec": [1.0, 2.0, 3.0, 1999.0], "title": "t1999"})
    );
}

#[cfg(feature = "zstd")]
#[test]
fn zstd_compression() {
    if common::skip_python() {
        return;
    }
    let format = Format::Parquet {
        compression: zilliz_import_writer::Compression::Zstd,
    };
    let (dir, _) = common::write_rows(common::small(false), format, &[common::small_row(1)]);
    let out = common::run_python(READ, &[dir.path().join("out/1.parquet").to_str().unwrap()]);
    assert_eq!(out["columns"]["id"][0], json!("ZSTD"));
    assert_eq!(out["columns"]["vec.list.item"][0], json!("UNCOMPRESSED"));
    assert_eq!(
        out["rows"],
        json!([{"id": 1, "vec": [1.0, 2.0, 3.0, 1.0], "title": "t1"}])
    );
}
