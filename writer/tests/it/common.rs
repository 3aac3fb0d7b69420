//! Shared schemas, output helpers and the Python reader.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use zilliz_import_writer::{Format, Schema, Summary, Writer};

/// A describe answer holding every field type the writer supports.
pub fn all_types_describe() -> Value {
    let p = |k: &str, v: &str| json!({"key": k, "value": v});
    json!({
        "code": 0,
        "data": {
            "collectionName": "all_types",
            "autoId": false,
            "enableDynamicField": true,
            "fields": [
                {"name": "id", "type": "Int64", "primaryKey": true, "autoId": false},
                {"name": "b", "type": "Bool"},
                {"name": "i8", "type": "Int8"},
                {"name": "i16", "type": "Int16"},
                {"name": "i32", "type": "Int32"},
                {"name": "f", "type": "Float"},
                {"name": "d", "type": "Double"},
                {"name": "s", "type": "VarChar", "params": [p("max_length", "8")]},
                {"name": "j", "type": "JSON"},
                {"name": "a_bool", "type": "Array", "elementType": "Bool", "params": [p("max_capacity", "3")]},
                {"name": "a_i8", "type": "Array", "elementType": "Int8", "params": [p("max_capacity", "3")]},
                {"name": "a_i16", "type": "Array", "elementType": "Int16", "params": [p("max_capacity", "3")]},
                {"name": "a_i32", "type": "Array", "elementType": "Int32", "params": [p("max_capacity", "3")]},
                {"name": "a_i64", "type": "Array", "elementType": "Int64", "params": [p("max_capacity", "3")]},
                {"name": "a_f", "type": "Array", "elementType": "Float", "params": [p("max_capacity", "3")]},
                {"name": "a_d", "type": "Array", "elementType": "Double", "params": [p("max_capacity", "3")]},
                {"name": "a_s", "type": "Array", "elementType": "VarChar", "params": [p("max_capacity", "3"), p("max_length", "4")]},
                {"name": "fv", "type": "FloatVector", "params": [p("dim", "4")]},
                {"name": "bv", "type": "BinaryVector", "params": [p("dim", "16")]},
                {"name": "f16", "type": "Float16Vector", "params": [p("dim", "2")]},
                {"name": "bf16", "type": "BFloat16Vector", "params": [p("dim", "2")]},
                {"name": "i8v", "type": "Int8Vector", "params": [p("dim", "3")]},
                {"name": "sp", "type": "SparseFloatVector"},
                {"name": "n", "type": "Int32", "nullable": true},
                {"name": "dflt", "type": "Int64", "defaultValue": 7},
                {"name": "dname", "type": "VarChar", "nullable": true, "defaultValue": "x", "params": [p("max_length", "8")]}
            ]
        }
    })
}

pub fn all_types() -> Schema {
    Schema::from_json_value(&all_types_describe()).expect("all-types schema")
}

/// A full row of the all-types schema; `k` varies the values.
pub fn all_types_row(k: i64) -> Value {
    json!({
        "id": k,
        "b": k % 2 == 0,
        "i8": -128 + k,
        "i16": 32767 - k,
        "i32": -2147483648i64 + k,
        "f": 0.5 + k as f64,
        "d": 1.0e300,
        "s": "héllo",
        "j": {"k": k, "tags": ["a", "b"]},
        "a_bool": [true, false],
        "a_i8": [-1, 127],
        "a_i16": [300],
        "a_i32": [1, 2, 3],
        "a_i64": [9007199254740993i64],
        "a_f": [0.25],
        "a_d": [0.1],
        "a_s": ["ab", "é"],
        "fv": [0.1, 0.2, 0.3, k as f64],
        "bv": [255, k],
        "f16": [1.5, -2.0],
        "bf16": [0.5, 3.0],
        "i8v": [-128, 0, 127],
        "sp": {"7": 0.5, "2": 0.25},
        "n": null,
        "extra": "dyn",
        "$meta": {"m": 1}
    })
}

/// A minimal schema: id, a 4-d float vector, a VarChar(16).
pub fn small(dynamic: bool) -> Schema {
    Schema::from_json_value(&json!({
        "fields": [
            {"name": "id", "type": "Int64", "primaryKey": true},
            {"name": "vec", "type": "FloatVector", "params": [{"key": "dim", "value": "4"}]},
            {"name": "title", "type": "VarChar", "params": [{"key": "max_length", "value": "16"}]}
        ],
        "enableDynamicField": dynamic
    }))
    .expect("small schema")
}

pub fn small_row(id: i64) -> Value {
    json!({"id": id, "vec": [1.0, 2.0, 3.0, id as f64], "title": format!("t{id}")})
}

/// Writes rows in one format into a fresh directory.
pub fn write_rows(schema: Schema, format: Format, rows: &[Value]) -> (tempfile::TempDir, Summary) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut writer = Writer::builder(schema)
        .format(format)
        .create_in(dir.path().join("out"))
        .expect("writer");
    for row in rows {
        writer.push_json(row).expect("row accepted");
    }
    let summary = writer.finish().expect("finish");
    (dir, summary)
}

/// Every file under `dir`, relative, sorted.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                );
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The venv's Python, if `tests/setup-python.sh` has made it.
pub fn python() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    if venv.exists() {
        return Some(venv);
    }
    None
}

/// Runs a Python script with the venv; its stdout, parsed as JSON.
pub fn run_python(script: &str, args: &[&str]) -> Value {
    let python = python().unwrap_or_else(|| {
        panic!(
            "no Python venv: run writer/tests/setup-python.sh first (or set WRITER_SKIP_PYTHON=1)"
        )
    });
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python prints JSON")
}

/// Whether Python checks are switched off for this run.
pub fn skip_python() -> bool {
    std::env::var_os("WRITER_SKIP_PYTHON").is_some()
}
