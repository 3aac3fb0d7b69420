//! `zilliz-import write --collection`: the schema fetched with
//! collections/describe from a spawned Milvus-mode emulator, an unknown
//! collection (exit 3), the control plane refused before sending, and the
//! emulator's `--collection NAME=FILE`.

use crate::{
    cli_write::{Dir, GOOD, parquet_ids},
    common::cli_env::{ChildGuard, cli, expect, spawn_emulator},
};

/// A Milvus-mode emulator, spawned, knowing `books` (the schema above) and
/// the default `medium_articles`.
fn milvus_emulator(dir: &Dir) -> (ChildGuard, String) {
    let collection = format!("books={}", dir.arg("schema.json"));
    let (guard, base, _rest) = spawn_emulator(&[
        "emulator",
        "--milvus",
        "--listen",
        "127.0.0.1:0",
        "--collection",
        &collection,
    ]);
    (guard, base)
}

#[tokio::test(flavor = "multi_thread")]
async fn collection_fetches_the_schema_through_describe() {
    let dir = Dir::new();
    let (_guard, base) = milvus_emulator(&dir);
    let input = dir.put("rows.jsonl", GOOD);
    let write = |collection: &str, db: Option<&str>| {
        let mut c = cli();
        c.args([
            "--output",
            "json",
            "--base-url",
            &base,
            "--api-key",
            "root:Milvus",
        ])
        .args(["write", "--collection", collection, "--input", &input])
        .args(["--out", &dir.arg(&format!("out-{collection}"))]);
        if let Some(db) = db {
            c.args(["--db", db]);
        }
        c
    };
    let r = expect(write("books", None), 0).await;
    assert_eq!(r.stdout_json()["rows"], 3);
    assert_eq!(parquet_ids(&dir.path("out-books/1.parquet")), [1, 2, 3]);
    // The quickstart's collection is there too; these rows do not fit it.
    let r = expect(write("medium_articles", Some("default")), 2).await;
    assert!(
        r.stderr_error()["message"]
            .as_str()
            .unwrap()
            .contains("line 1"),
        "{r:?}"
    );
    // An unknown collection is the API's error: exit 3, its code and text.
    let r = expect(write("nope", None), 3).await;
    let e = r.stderr_error();
    assert_eq!(e["code"], 100);
    let message = e["message"].as_str().unwrap();
    assert!(
        message.ends_with(": can't find collection[database=default][collection=nope]"),
        "{message}"
    );
    assert!(!dir.path("out-nope").exists());
}

#[tokio::test]
async fn collection_on_the_control_plane_is_refused_before_sending() {
    let dir = Dir::new();
    let input = dir.put("rows.jsonl", GOOD);
    let mut c = cli();
    c.args([
        "--output",
        "json",
        "--api-key",
        "k",
        "write",
        "--collection",
        "c",
    ])
    .args(["--input", &input, "--out", &dir.arg("out")]);
    let r = expect(c, 2).await;
    assert_eq!(r.stderr_error()["kind"], "invalid_input");
    assert!(
        r.stderr_error()["message"]
            .as_str()
            .unwrap()
            .contains("cluster endpoint"),
        "{r:?}"
    );
}

#[tokio::test]
async fn the_emulator_refuses_a_collection_schema_it_cannot_answer_with() {
    let dir = Dir::new();
    dir.put(
        "bad.json",
        r#"{"fields": [{"fieldName": "id", "dataType": "Int64"}]}"#,
    );
    for (flag, needle) in [
        (
            format!("c={}", dir.arg("bad.json")),
            "collection `c`: not a describe answer",
        ),
        (format!("c={}", dir.arg("none.json")), "cannot read it"),
        ("no-file".to_owned(), "NAME=FILE"),
    ] {
        let mut c = cli();
        c.args([
            "emulator",
            "--milvus",
            "--listen",
            "127.0.0.1:0",
            "--collection",
            &flag,
        ]);
        let r = expect(c, 2).await;
        assert!(r.stderr.contains(needle), "{flag}: {r:?}");
    }
}
