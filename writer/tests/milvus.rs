//! The writer's Parquet, JSON and NumPy files import into a real Milvus
//! 2.3.5, and every value comes back as written (issue 21, "Files that
//! import into a real Milvus").
//!
//! Run with a server up: `writer/tests/milvus/ci.sh cargo test --locked -p
//! zilliz-import-writer --test milvus` (`.ci/run` runs the whole workspace's
//! tests that way). Without `MILVUS_ENDPOINT` the tests say so and pass,
//! unless `CI` is set: in CI a missing server is a failure, never a quiet
//! skip.
//!
//! Every field type 2.3.5 has is covered: Bool, Int8/16/32/64, Float,
//! Double, VarChar, JSON, Array of each element type (not in NumPy, which
//! 2.3.5 cannot read arrays from), FloatVector, BinaryVector, the dynamic
//! field, and an auto-id key. 2.3.5 takes one vector field per collection,
//! JSON rows only (no JSONL or CSV), and rounds Array<Double> elements of
//! JSON rows to float32: the JSON rows here use values exact in f32 there.

#[path = "milvus/case.rs"]
mod milvus_case;

use serde_json::{Value, json};
use zilliz_import_writer::Format;

use milvus_case::{Case, Kind, field, server};

/// Int64 key, every scalar type, an Array of each element type, an 8-d
/// float vector, the dynamic field on.
fn scalars(arrays: bool) -> Case {
    let mut fields = vec![
        field("id", "Int64", Kind::Plain, &[]).primary(),
        field("b", "Bool", Kind::Plain, &[]),
        field("i8", "Int8", Kind::Plain, &[]),
        field("i16", "Int16", Kind::Plain, &[]),
        field("i32", "Int32", Kind::Plain, &[]),
        field("i64", "Int64", Kind::Plain, &[]),
        field("f", "Float", Kind::F32, &[]),
        field("d", "Double", Kind::Plain, &[]),
        field("s", "VarChar", Kind::Plain, &[("max_length", "64")]),
        field("j", "JSON", Kind::Json, &[]),
    ];
    if arrays {
        for (name, element, kind) in [
            ("a_bool", "Bool", Kind::Plain),
            ("a_i8", "Int8", Kind::Plain),
            ("a_i16", "Int16", Kind::Plain),
            ("a_i32", "Int32", Kind::Plain),
            ("a_i64", "Int64", Kind::Plain),
            ("a_f", "Float", Kind::F32List),
            ("a_d", "Double", Kind::Plain),
            ("a_s", "VarChar", Kind::Plain),
        ] {
            let mut params = vec![("max_capacity", "4")];
            if element == "VarChar" {
                params.push(("max_length", "16"));
            }
            fields.push(field(name, "Array", kind, &params).element(element));
        }
    }
    fields.push(field("fv", "FloatVector", Kind::F32List, &[("dim", "8")]));
    Case::new(fields, true)
}

/// A row of [`scalars`]; `k` picks edge values in turn. `json_rows`: only
/// what 2.3.5's JSON reader keeps exactly (JSON objects, Array<Double>
/// elements exact in f32).
fn scalar_row(id: i64, k: usize, arrays: bool, json_rows: bool) -> Value {
    const STRINGS: &[&str] = &[
        "",
        "héllo ✓",
        "quote \" backslash \\ newline \n tab \t",
        // 64 bytes: exactly max_length (32 characters of 2 bytes).
        "éééééééééééééééééééééééééééééééé",
        "plain",
    ];
    let j = match (k % 6, json_rows) {
        (0, _) => json!({"k": k, "tags": ["a", "b"], "nested": {"x": null, "y": [1.5, -2]}}),
        (1, _) => json!({}),
        // JSON text in a string: stored parsed.
        (3, true) => json!("{\"as\": \"text\", \"n\": [1, 2.5]}"),
        (2, _) => json!({"big": 9007199254740993i64, "neg": -1e-300, "u": "ü"}),
        (3, false) => json!([1, 2, 3]),
        (4, false) => json!("\"text\""),
        (5, false) => json!(12.5),
        _ => json!({"k": k}),
    };
    let ints = [
        (i8::MIN as i64, i16::MIN as i64, i32::MIN as i64, i64::MIN),
        (i8::MAX as i64, i16::MAX as i64, i32::MAX as i64, i64::MAX),
        (0, 0, 0, 0),
        (-1, 300, 70_000, 9007199254740993),
    ][k % 4];
    let f = [f32::MAX as f64, 1e-30, -0.5, 0.1, k as f64][k % 5];
    let d = [5e-324, 1e308, -0.1, 1.0 / 3.0, k as f64][k % 5];
    let fv: Vec<f64> = (0..8).map(|i| (k * 8 + i) as f64 / 7.0 - 3.0).collect();
    let mut row = json!({
        "id": id,
        "b": k.is_multiple_of(2),
        "i8": ints.0,
        "i16": ints.1,
        "i32": ints.2,
        "i64": ints.3,
        "f": f,
        "d": d,
        "s": STRINGS[k % STRINGS.len()],
        "j": j,
        "fv": fv,
    });
    if arrays {
        let full = k.is_multiple_of(3);
        let empty = k % 3 == 1;
        let pick = |all: Value| -> Value {
            if empty {
                json!([])
            } else if full {
                all
            } else {
                json!([all[0].clone()])
            }
        };
        row["a_bool"] = pick(json!([true, false, true, false]));
        row["a_i8"] = pick(json!([-128, 127, 0, k as i64 % 100]));
        row["a_i16"] = pick(json!([-32768, 32767, 300, 1]));
        row["a_i32"] = pick(json!([i32::MIN, i32::MAX, 70_000, -1]));
        row["a_i64"] = pick(json!([i64::MIN, i64::MAX, 9007199254740993i64, 0]));
        row["a_f"] = pick(json!([0.1, 1e-30, -3.5, 16777217.0]));
        row["a_d"] = if json_rows {
            pick(json!([0.5, -0.25, 1024.0, 3.0]))
        } else {
            pick(json!([0.1, 5e-324, 1e308, -1.0 / 3.0]))
        };
        row["a_s"] = pick(json!(["", "é", "sixteen bytes...", "x"]));
    }
    // Dynamic keys: at the top level, and inside "$meta".
    match k % 3 {
        0 => {}
        1 => row["color"] = json!(format!("c{k}")),
        _ => {
            row["n"] = json!(k);
            row["$meta"] = json!({"tags": ["x", {"y": 1}], "score": 0.25});
        }
    }
    row
}

#[test]
fn parquet_and_json_of_every_scalar_and_array_type() {
    let Some(milvus) = server() else { return };
    let case = scalars(true);
    let parquet: Vec<Value> = (0..300)
        .map(|k| scalar_row(k as i64, k, true, false))
        .collect();
    let json_rows: Vec<Value> = (0..60)
        .map(|k| scalar_row(100_000 + k as i64, k, true, true))
        .collect();
    // A small file size: the Parquet rows roll over into several groups,
    // all imported.
    let (dir, parquet_groups) = case.write(Format::default(), Some(16 << 10), &parquet);
    assert!(parquet_groups.len() >= 3, "{parquet_groups:?}");
    let (dir2, json_groups) = case.write(Format::Json, None, &json_rows);
    assert_eq!(json_groups.len(), 1);
    let groups = [parquet_groups, json_groups].concat();
    let out = milvus.import(&case, "w_scalars_parquet_json", &groups);
    case.assert_rows(&out, &[parquet, json_rows].concat(), None);
    drop((dir, dir2));
}

#[test]
fn numpy_of_every_scalar_type() {
    let Some(milvus) = server() else { return };
    let case = scalars(false);
    let rows: Vec<Value> = (0..120)
        .map(|k| scalar_row(k as i64 * 3 - 100, k, false, false))
        .collect();
    let (dir, groups) = case.write(Format::Numpy, Some(8 << 10), &rows);
    assert!(groups.len() >= 2, "{groups:?}");
    // One folder per group, one .npy per field and $meta.
    let mut npy: Vec<&str> = groups[0]
        .iter()
        .map(|p| p.rsplit('/').next().unwrap())
        .collect();
    npy.sort();
    assert_eq!(
        npy,
        [
            "$meta.npy",
            "b.npy",
            "d.npy",
            "f.npy",
            "fv.npy",
            "i16.npy",
            "i32.npy",
            "i64.npy",
            "i8.npy",
            "id.npy",
            "j.npy",
            "s.npy"
        ]
    );
    let out = milvus.import(&case, "w_scalars_numpy", &groups);
    case.assert_rows(&out, &rows, None);
    drop(dir);
}

/// VarChar key, a binary vector (dim 16: 2 bytes a row), the dynamic field;
/// one group of each format in one collection.
#[test]
fn binary_vectors_with_a_varchar_key_in_every_format() {
    let Some(milvus) = server() else { return };
    let case = Case::new(
        vec![
            field("pk", "VarChar", Kind::Plain, &[("max_length", "32")]).primary(),
            field("bv", "BinaryVector", Kind::Plain, &[("dim", "16")]),
            field("n", "Int32", Kind::Plain, &[]),
        ],
        true,
    );
    let rows = |prefix: &str| -> Vec<Value> {
        (0..50)
            .map(|k| {
                let mut row = json!({
                    "pk": format!("{prefix}-{k:03}"),
                    "bv": [k * 5 % 256, 255 - k],
                    "n": k - 25,
                });
                if k % 2 == 0 {
                    row["tag"] = json!(prefix);
                }
                row
            })
            .collect()
    };
    let (parquet, json_rows, numpy) = (rows("p"), rows("j"), rows("n"));
    let (d1, g1) = case.write(Format::default(), None, &parquet);
    let (d2, g2) = case.write(Format::Json, None, &json_rows);
    let (d3, g3) = case.write(Format::Numpy, None, &numpy);
    let out = milvus.import(&case, "w_binary_every_format", &[g1, g2, g3].concat());
    case.assert_rows(&out, &[json_rows, numpy, parquet].concat(), None);
    drop((d1, d2, d3));
}

/// An auto-id key: absent from every file, made by the server.
#[test]
fn auto_id_key_left_out_in_every_format() {
    let Some(milvus) = server() else { return };
    let case = Case::new(
        vec![
            field("id", "Int64", Kind::Plain, &[]).primary().auto_id(),
            field("s", "VarChar", Kind::Plain, &[("max_length", "16")]),
            field("fv", "FloatVector", Kind::F32List, &[("dim", "4")]),
        ],
        false,
    );
    let rows = |prefix: &str| -> Vec<Value> {
        (0..40)
            .map(|k| json!({"s": format!("{prefix}{k:02}"), "fv": [k, 0.5, -1.25, 1e-3]}))
            .collect()
    };
    let (parquet, json_rows, numpy) = (rows("p"), rows("j"), rows("n"));
    let (d1, g1) = case.write(Format::default(), None, &parquet);
    let (d2, g2) = case.write(Format::Json, None, &json_rows);
    let (d3, g3) = case.write(Format::Numpy, None, &numpy);
    let out = milvus.import(&case, "w_autoid_every_format", &[g1, g2, g3].concat());
    case.assert_rows(&out, &[json_rows, numpy, parquet].concat(), Some("s"));
    drop((d1, d2, d3));
}
