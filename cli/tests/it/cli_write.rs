//! `zilliz-import write`: rows in files (or stdin) into import files, every
//! flag and exit code. Parquet output is read back with parquet's own Arrow
//! reader, the other formats as text.

use std::{
    fs,
    path::{Path, PathBuf},
    sync::Arc,
};

use arrow_array::{
    ArrayRef, Int64Array, LargeStringArray, ListArray, RecordBatch, types::Float32Type,
};
use parquet::arrow::{ArrowWriter, arrow_reader::ParquetRecordBatchReaderBuilder};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::common::cli_env::{cli, expect};

/// id (Int64 key), v (FloatVector, dim 2), s (VarChar, at most 4 bytes).
pub(crate) const SCHEMA: &str = r#"{"code": 0, "data": {"collectionName": "c", "enableDynamicField": false,
  "fields": [
    {"name": "id", "type": "Int64", "primaryKey": true, "autoId": false},
    {"name": "v", "type": "FloatVector", "params": [{"key": "dim", "value": "2"}]},
    {"name": "s", "type": "VarChar", "params": [{"key": "max_length", "value": "4"}]}]}}"#;

pub(crate) const GOOD: &str = "{\"id\": 1, \"v\": [1, 2], \"s\": \"ab\"}\n{\"id\": 2, \"v\": [3, 4], \"s\": \"cd\"}\n\n{\"id\": 3, \"v\": [5, 6], \"s\": \"é\"}\n";

/// Line 2 has three elements, line 4 a string over 4 bytes.
const BAD: &str = "{\"id\": 1, \"v\": [1, 2], \"s\": \"ab\"}\n{\"id\": 2, \"v\": [1, 2, 3], \"s\": \"ab\"}\n{\"id\": 3, \"v\": [5, 6], \"s\": \"\"}\n{\"id\": 4, \"v\": [7, 8], \"s\": \"abcde\"}\n";

pub(crate) struct Dir(TempDir);

impl Dir {
    pub(crate) fn new() -> Dir {
        let dir = Dir(tempfile::tempdir().unwrap());
        dir.put("schema.json", SCHEMA);
        dir
    }
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
    pub(crate) fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
    pub(crate) fn put(&self, name: &str, text: &str) -> String {
        fs::write(self.path(name), text).unwrap();
        self.arg(name)
    }
    /// `--output json write --schema schema.json --out out`, then `args`.
    pub(crate) fn write(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = self.write_text(args);
        c.args(["--output", "json"]);
        c
    }
    /// [`Dir::write`] with text output.
    fn write_text(&self, args: &[&str]) -> assert_cmd::Command {
        let mut c = cli();
        c.args(["write", "--schema", &self.arg("schema.json")])
            .args(["--out", &self.arg("out")])
            .args(args);
        c
    }
    /// Every file under `out`, relative, sorted.
    fn out_files(&self) -> Vec<String> {
        let root = self.path("out");
        let mut found = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    found.push(p.strip_prefix(&root).unwrap().display().to_string());
                }
            }
        }
        found.sort();
        found
    }
}

/// The ids in a Parquet file, read by parquet's Arrow reader.
pub(crate) fn parquet_ids(path: &Path) -> Vec<i64> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let mut ids = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let col = batch.column_by_name("id").unwrap();
        let col = col.as_any().downcast_ref::<Int64Array>().unwrap();
        ids.extend(col.values().iter().copied());
    }
    ids
}

/// The document's files exist, and their bytes add up to its `bytes`.
fn check_listed(dir: &Dir, doc: &Value) {
    let mut total = 0;
    for group in doc["files"].as_array().unwrap() {
        for file in group.as_array().unwrap() {
            let path = dir.path("out").join(file.as_str().unwrap());
            total += fs::metadata(&path)
                .unwrap_or_else(|e| panic!("{path:?}: {e}"))
                .len();
        }
    }
    assert_eq!(doc["bytes"], total, "{doc}");
}

#[tokio::test]
async fn jsonl_becomes_one_parquet_file_and_the_document_is_exact() {
    let dir = Dir::new();
    let input = dir.put("rows.jsonl", GOOD);
    let r = expect(dir.write(&["--input", &input]), 0).await;
    let doc = r.stdout_json();
    let bytes = fs::metadata(dir.path("out/1.parquet")).unwrap().len();
    assert_eq!(
        doc,
        json!({"files": [["1.parquet"]], "rows": 3, "bytes": bytes})
    );
    assert_eq!(dir.out_files(), ["1.parquet"]);
    assert_eq!(parquet_ids(&dir.path("out/1.parquet")), [1, 2, 3]);
    assert_eq!(r.stderr, "", "no bar, no note off a terminal");
}

#[tokio::test]
async fn text_output_names_rows_bytes_and_the_files() {
    let dir = Dir::new();
    let input = dir.put("rows.jsonl", GOOD);
    let c = dir.write_text(&["--input", &input, "--format", "jsonl"]);
    let r = expect(c, 0).await;
    let bytes = fs::metadata(dir.path("out/1.jsonl")).unwrap().len();
    assert_eq!(
        r.stdout,
        format!(
            "wrote 3 rows ({bytes} bytes) in 1 file groups to {}\n1.jsonl\n",
            dir.arg("out")
        )
    );
}

#[tokio::test]
async fn every_output_format_writes_the_files_it_lists() {
    for (format, files) in [
        ("parquet", vec!["1.parquet"]),
        ("json", vec!["1.json"]),
        ("jsonl", vec!["1.jsonl"]),
        ("csv", vec!["1.csv"]),
        ("numpy", vec!["1/id.npy", "1/s.npy", "1/v.npy"]),
    ] {
        let dir = Dir::new();
        let input = dir.put("rows.jsonl", GOOD);
        let r = expect(dir.write(&["--input", &input, "--format", format]), 0).await;
        let doc = r.stdout_json();
        assert_eq!(doc["rows"], 3, "{format}");
        check_listed(&dir, &doc);
        let mut listed: Vec<String> = doc["files"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_owned())
            .collect();
        listed.sort();
        assert_eq!(listed, files, "{format}");
        assert_eq!(dir.out_files(), files, "{format}");
    }
    // The text formats hold the rows as given.
    let dir = Dir::new();
    let input = dir.put("rows.jsonl", GOOD);
    expect(dir.write(&["--input", &input, "--format", "json"]), 0).await;
    let rows: Value =
        serde_json::from_str(&fs::read_to_string(dir.path("out/1.json")).unwrap()).unwrap();
    assert_eq!(
        rows,
        json!({"rows": [{"id": 1, "v": [1.0, 2.0], "s": "ab"}, {"id": 2, "v": [3.0, 4.0], "s": "cd"},
                        {"id": 3, "v": [5.0, 6.0], "s": "é"}]})
    );
}

#[tokio::test]
async fn file_size_rolls_over_into_more_groups() {
    let dir = Dir::new();
    // JSON rows go to the writer one by one, in batches of 16 KiB.
    let rows: Vec<Value> = (0..20_000)
        .map(|i| json!({"id": i, "v": [i, 1], "s": "x"}))
        .collect();
    let input = dir.put("rows.json", &Value::from(rows).to_string());
    let r = expect(
        dir.write(&[
            "--input",
            &input,
            "--format",
            "jsonl",
            "--file-size",
            "16384",
        ]),
        0,
    )
    .await;
    let doc = r.stdout_json();
    assert_eq!(doc["rows"], 20_000);
    let groups = doc["files"].as_array().unwrap();
    assert!(groups.len() > 1, "{doc}");
    check_listed(&dir, &doc);
    let mut lines = 0;
    for group in groups {
        let text = fs::read_to_string(dir.path("out").join(group[0].as_str().unwrap())).unwrap();
        lines += text.lines().count();
    }
    assert_eq!(lines, 20_000);
    // Zero is no size.
    let r = expect(dir.write(&["--input", &input, "--file-size", "0"]), 2).await;
    assert!(r.stderr.contains("--file-size"), "{r:?}");
}

#[tokio::test]
async fn each_input_format_is_read_by_its_extension_and_stdin_is_jsonl() {
    let dir = Dir::new();
    let jsonl = dir.put("a.jsonl", "{\"id\": 1, \"v\": [1, 2], \"s\": \"a\"}\n");
    let ndjson = dir.put("b.ndjson", "{\"id\": 2, \"v\": [1, 2], \"s\": \"b\"}\n");
    let json_rows = dir.put("c.json", r#"{"rows": [{"id": 3, "v": [1, 2], "s": "c"}]}"#);
    let json_array = dir.put("d.JSON", r#"[{"id": 4, "v": [1, 2], "s": "d"}]"#);
    let csv = dir.put("e.csv", "id,v,s\n5,\"[1,2]\",e\n");
    // Parquet with the types a user's file may have: large_utf8, float32 lists.
    let parquet = dir.path("f.parquet");
    write_parquet(&parquet);
    let parquet = parquet.display().to_string();
    let mut c = dir.write(&[
        "--input",
        &jsonl,
        &ndjson,
        &json_rows,
        &json_array,
        &csv,
        &parquet,
    ]);
    c.args(["--input", "-"]);
    c.write_stdin("{\"id\": 8, \"v\": [1, 2], \"s\": \"h\"}\n");
    let r = expect(c, 0).await;
    assert_eq!(r.stdout_json()["rows"], 8);
    assert_eq!(
        parquet_ids(&dir.path("out/1.parquet")),
        [1, 2, 3, 4, 5, 6, 7, 8]
    );
}

/// ids 6 and 7, `s` as large_utf8.
fn write_parquet(path: &Path) {
    write_parquet_with(path, vec![Some(3.0), Some(4.0)]);
}

/// ids 6 and 7, the second's vector `second`.
fn write_parquet_with(path: &Path, second: Vec<Option<f32>>) {
    let ids: ArrayRef = Arc::new(Int64Array::from(vec![6, 7]));
    let v: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Float32Type, _, _>(vec![
        Some(vec![Some(1.0), Some(2.0)]),
        Some(second),
    ]));
    let s: ArrayRef = Arc::new(LargeStringArray::from(vec!["f", "g"]));
    let batch = RecordBatch::try_from_iter([("id", ids), ("v", v), ("s", s)]).unwrap();
    let mut w =
        ArrowWriter::try_new(fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[tokio::test]
async fn a_bad_row_exits_2_naming_line_field_and_reason_and_leaves_nothing() {
    let dir = Dir::new();
    fs::create_dir(dir.path("out")).unwrap();
    let input = dir.put("rows.jsonl", BAD);
    let r = expect(dir.write(&["--input", &input]), 2).await;
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr_error(),
        json!({"kind": "invalid_input", "delivery": "NotSent", "attempts": 0,
               "message": format!("input {input}: line 2, field `v`: expected 2 elements, got 3; nothing was written")})
    );
    assert_eq!(dir.out_files(), Vec::<String>::new());
    // In text, the same on stderr; a second input's lines count from 1.
    let good = dir.put("good.jsonl", GOOD);
    let c = dir.write_text(&["--input", &good, &input]);
    let r = expect(c, 2).await;
    assert_eq!(
        r.stderr,
        format!(
            "error: input {input}: line 2, field `v`: expected 2 elements, got 3; nothing was written\n"
        )
    );
    assert_eq!(dir.out_files(), Vec::<String>::new());
}

#[tokio::test]
async fn reject_writes_bad_rows_with_reasons_and_the_run_goes_on() {
    let dir = Dir::new();
    let input = dir.put("rows.jsonl", BAD);
    let reject = dir.arg("rejected.jsonl");
    let r = expect(dir.write(&["--input", &input, "--reject", &reject]), 0).await;
    assert_eq!(r.stdout_json()["rows"], 2);
    assert_eq!(r.stderr, "", "notes are for text output");
    assert_eq!(parquet_ids(&dir.path("out/1.parquet")), [1, 3]);
    let lines: Vec<Value> = fs::read_to_string(&reject)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            json!({"input": input, "line": 2, "row": 2, "field": "v",
                   "reason": "expected 2 elements, got 3",
                   "text": "{\"id\": 2, \"v\": [1, 2, 3], \"s\": \"ab\"}"}),
            json!({"input": input, "line": 4, "row": 4, "field": "s",
                   "reason": "5 bytes of UTF-8 exceed max_length 4",
                   "text": "{\"id\": 4, \"v\": [7, 8], \"s\": \"abcde\"}"}),
        ]
    );
    // From stdin, the lines are quoted all the same.
    let dir = Dir::new();
    let reject = dir.arg("rejected.jsonl");
    let mut c = dir.write_text(&["--input", "-", "--reject", &reject]);
    c.write_stdin(BAD);
    let r = expect(c, 0).await;
    assert_eq!(r.stderr, format!("2 rows refused; see {reject}\n"));
    let text = fs::read_to_string(&reject).unwrap();
    let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(first["input"], "stdin");
    assert_eq!(
        first["text"],
        "{\"id\": 2, \"v\": [1, 2, 3], \"s\": \"ab\"}"
    );
    assert_eq!(text.lines().count(), 2);
}

#[tokio::test]
async fn bad_schemas_and_unreadable_inputs_exit_2_before_writing() {
    let dir = Dir::new();
    let input = dir.put("rows.jsonl", GOOD);
    let message =
        |r: &crate::common::cli_env::Run| r.stderr_error()["message"].as_str().unwrap().to_owned();
    // A schema that is not one.
    dir.put(
        "schema.json",
        r#"{"fields": [{"name": "id", "type": "Nope"}]}"#,
    );
    let r = expect(dir.write(&["--input", &input]), 2).await;
    assert!(
        message(&r).starts_with(&format!("schema {}: ", dir.arg("schema.json"))),
        "{r:?}"
    );
    fs::remove_file(dir.path("schema.json")).unwrap();
    let r = expect(dir.write(&["--input", &input]), 2).await;
    assert!(message(&r).contains("cannot read it"), "{r:?}");
    dir.put("schema.json", SCHEMA);
    // Inputs: missing, of no known format, not Parquet inside.
    let missing = dir.arg("missing.jsonl");
    let r = expect(dir.write(&["--input", &missing]), 2).await;
    assert!(
        message(&r).starts_with(&format!("input {missing}: cannot read it")),
        "{r:?}"
    );
    let txt = dir.put("rows.txt", GOOD);
    let r = expect(dir.write(&["--input", &txt]), 2).await;
    assert!(message(&r).contains("cannot tell its format"), "{r:?}");
    let fake = dir.put("fake.parquet", "not parquet");
    let r = expect(dir.write(&["--input", &fake]), 2).await;
    assert!(message(&r).contains("not a Parquet file"), "{r:?}");
    // JSON that is not JSON.
    let broken = dir.put("broken.json", "[{\"id\": 1,");
    expect(dir.write(&["--input", &broken]), 2).await;
    assert_eq!(dir.out_files(), Vec::<String>::new());
    // NumPy cannot carry a nullable field: refused before any row.
    dir.put(
        "schema.json",
        r#"{"fields": [{"name": "id", "type": "Int64", "primaryKey": true},
                       {"name": "n", "type": "Int64", "nullable": true},
                       {"name": "v", "type": "FloatVector", "params": [{"key": "dim", "value": "2"}]}]}"#,
    );
    let r = expect(dir.write(&["--input", &input, "--format", "numpy"]), 2).await;
    assert!(
        message(&r).contains("NumPy cannot carry field `n`"),
        "{r:?}"
    );
}

#[tokio::test]
async fn the_schema_and_the_collection_are_one_or_the_other() {
    let dir = Dir::new();
    let input = dir.put("rows.jsonl", GOOD);
    let mut c = cli();
    c.args(["write", "--input", &input, "--out", &dir.arg("out")]);
    let r = expect(c, 2).await;
    assert!(r.stderr.contains("--schema"), "{r:?}");
    let r = expect(dir.write(&["--input", &input, "--collection", "c"]), 2).await;
    assert!(r.stderr.contains("cannot be used with"), "{r:?}");
}

#[tokio::test]
async fn bad_rows_in_parquet_and_csv_are_named_within_their_input() {
    let dir = Dir::new();
    let good = dir.put("good.jsonl", GOOD);
    let parquet = dir.path("bad.parquet");
    write_parquet_with(&parquet, vec![Some(1.0), Some(2.0), Some(3.0)]);
    let parquet = parquet.display().to_string();
    let r = expect(dir.write(&["--input", &good, &parquet]), 2).await;
    assert_eq!(
        r.stderr_error()["message"],
        format!(
            "input {parquet}: row 2, field `v`: expected 2 elements, got 3; nothing was written"
        )
    );
    assert_eq!(dir.out_files(), Vec::<String>::new());
    // CSV: rejected lines are quoted as they are in the file.
    let csv = dir.put("rows.csv", "id,v,s\n5,\"[1,2]\",e\n6,\"[1]\",f\n");
    let reject = dir.arg("rejected.jsonl");
    let r = expect(dir.write(&["--input", &csv, "--reject", &reject]), 0).await;
    assert_eq!(r.stdout_json()["rows"], 1);
    let line: Value = serde_json::from_str(fs::read_to_string(&reject).unwrap().trim()).unwrap();
    assert_eq!(
        line,
        json!({"input": csv, "line": 3, "row": 2, "field": "v",
               "reason": "expected 2 elements, got 1", "text": "6,\"[1]\",f"})
    );
}
