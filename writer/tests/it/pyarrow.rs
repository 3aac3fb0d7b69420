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

/// What the readers of newer Milvus do with the types 2.3.5 lacks, done by
/// pyarrow and numpy: nulls are Arrow nulls (a validity bit, not `0`, `""`,
/// `"null"` or `[]`) in every kind of column, defaults are filled in, and
/// float16/bfloat16 vectors are dim*2 little-endian bytes that decode to
/// the floats written (float16 by numpy's `<f2`, bfloat16 as the high half
/// of a float32).
const NULLS_AND_HALVES: &str = r#"
import json, sys
import numpy as np
import pyarrow.parquet as pq
t = pq.read_table(sys.argv[1])
def halves(col, kind):
    out = []
    for v in t.column(col).to_pylist():
        raw = np.frombuffer(bytes(v), dtype="<u2")
        if kind == "f16":
            out.append([float(x) for x in raw.view("<f2")])
        else:
            out.append([float(x) for x in (raw.astype("<u4") << 16).view("<f4")])
    return out
print(json.dumps({
    "types": {f.name: [str(f.type), f.nullable] for f in t.schema},
    "nulls": {n: t.column(n).null_count for n in t.column_names},
    "rows": t.to_pylist(),
    "f16": halves("h", "f16"),
    "bf16": halves("bh", "bf16"),
}))
"#;

#[test]
fn nullable_columns_hold_arrow_nulls_and_half_vectors_decode() {
    if common::skip_python() {
        return;
    }
    let p = |k: &str, v: &str| json!({"key": k, "value": v});
    let schema = zilliz_import_writer::Schema::from_json_value(&json!({"fields": [
        {"name": "id", "type": "Int64", "primaryKey": true},
        {"name": "nb", "type": "Bool", "nullable": true},
        {"name": "ni8", "type": "Int8", "nullable": true},
        {"name": "nf", "type": "Float", "nullable": true},
        {"name": "nd", "type": "Double", "nullable": true},
        {"name": "ns", "type": "VarChar", "nullable": true, "params": [p("max_length", "8")]},
        {"name": "nj", "type": "JSON", "nullable": true},
        {"name": "na", "type": "Array", "elementType": "Int32", "nullable": true, "params": [p("max_capacity", "3")]},
        {"name": "nv", "type": "FloatVector", "nullable": true, "params": [p("dim", "2")]},
        {"name": "h", "type": "Float16Vector", "params": [p("dim", "3")]},
        {"name": "bh", "type": "BFloat16Vector", "params": [p("dim", "3")]},
        {"name": "db", "type": "Bool", "defaultValue": true},
        {"name": "df", "type": "Float", "defaultValue": 1.5},
        {"name": "ds", "type": "VarChar", "defaultValue": "dflt", "params": [p("max_length", "8")]}
    ]}))
    .unwrap();
    let full = json!({"id": 1, "nb": false, "ni8": -1, "nf": 0.5, "nd": -2.5, "ns": "",
        "nj": {"a": null}, "na": [], "nv": [1.0, -1.0],
        "h": [1.0, -0.5, 65504.0], "bh": [1.0, -0.5, 3.0e38],
        "db": false, "df": 0.25, "ds": "x"});
    // Nulls given and fields left out alike.
    let empty = json!({"id": 2, "nb": null, "nf": null, "ns": null, "nj": null, "na": null,
        "h": [0.0, 2.0, -65504.0], "bh": [0.0, 2.0, -1.0], "db": null});
    let (dir, _) = common::write_rows(schema, Format::default(), &[full, empty]);
    let out = common::run_python(
        NULLS_AND_HALVES,
        &[dir.path().join("out/1.parquet").to_str().unwrap()],
    );
    for name in ["nb", "ni8", "nf", "nd", "ns", "nj", "na", "nv"] {
        assert_eq!(out["types"][name][1], json!(true), "{name}");
        assert_eq!(out["nulls"][name], json!(1), "{name}: one null");
    }
    for name in ["h", "bh", "db", "df", "ds"] {
        assert_eq!(out["nulls"][name], json!(0), "{name}: no null");
    }
    assert_eq!(out["types"]["h"], json!(["list<item: uint8>", true]));
    assert_eq!(out["types"]["bh"], json!(["list<item: uint8>", true]));
    assert_eq!(
        out["rows"][0],
        json!({"id": 1, "nb": false, "ni8": -1, "nf": 0.5, "nd": -2.5, "ns": "",
            "nj": "{\"a\":null}", "na": [], "nv": [1.0, -1.0],
            "h": [0, 60, 0, 184, 255, 123], "bh": [128, 63, 0, 191, 98, 127],
            "db": false, "df": 0.25, "ds": "x"})
    );
    assert_eq!(
        out["rows"][1],
        json!({"id": 2, "nb": null, "ni8": null, "nf": null, "nd": null, "ns": null,
            "nj": null, "na": null, "nv": null,
            "h": [0, 0, 0, 64, 255, 251], "bh": [0, 0, 0, 64, 128, 191],
            "db": true, "df": 1.5, "ds": "dflt"})
    );
    assert_eq!(
        out["f16"],
        json!([[1.0, -0.5, 65504.0], [0.0, 2.0, -65504.0]])
    );
    // bfloat16 keeps 8 bits of mantissa: 3e38 is stored as the nearest.
    let big = f32::from_bits((3.0e38f32.to_bits() + 0x8000) & 0xffff_0000) as f64;
    assert_eq!(out["bf16"], json!([[1.0, -0.5, big], [0.0, 2.0, -1.0]]));
}
