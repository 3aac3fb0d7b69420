//! `--output json list --all`: the document of a walk over every page, byte
//! for byte as the CLI printed it when it held every record (`count`
//! first, records pretty-printed with their keys sorted), now that records
//! are written out page by page: after a whole walk, a walk that stops on
//! an error part way, a walk long enough to go through the temporary file,
//! and a reader that goes away.

use serde_json::{Value, json};

use crate::common::{
    API_KEY, CLUSTER, LIST_PATH, cli_env,
    faulty_server::{Fault, FaultyServer},
    ok,
};

/// `--output json list --cluster-id CLUSTER --all --page-size SIZE`.
fn list_all(base: &str, page_size: &str) -> assert_cmd::Command {
    let list = cli_env::cluster_args("list", &["--all", "--page-size", page_size]);
    cli_env::cli_at(base, API_KEY, &[&["--output", "json"][..], &list].concat())
}

/// A list answer holding `records`.
fn page(records: &[Value]) -> Fault {
    Fault::json(200, &ok(json!({ "records": records })), &[])
}

/// What the CLI printed when it held every record: one `to_string_pretty`
/// of `{"count", "records"}`, and a newline.
fn held_document(records: &[Value]) -> String {
    let doc = json!({ "count": records.len(), "records": records });
    serde_json::to_string_pretty(&doc).unwrap() + "\n"
}

fn record(job_id: &str, collection: Option<&str>, state: &str, progress: u8) -> Value {
    json!({"jobId": job_id, "collectionName": collection, "state": state, "progress": progress})
}

#[tokio::test]
async fn a_walk_prints_the_same_document_byte_for_byte() {
    let pages = [
        vec![
            record("1", Some("c1"), "Completed", 100),
            record("2", None, "InProgress", 42),
        ],
        vec![
            record("3", Some("with \"quotes\" and é"), "Failed", 7),
            record("4", Some("c4"), "Pending", 0),
        ],
        vec![record("5", Some("c5"), "Importing", 50)],
    ];
    let server = FaultyServer::start(pages.iter().map(|p| page(p)).collect()).await;
    let out = cli_env::run(list_all(server.url(), "2")).await;
    out.assert_code(0);
    assert_eq!(out.stderr, "");
    assert_eq!(
        out.stdout,
        r#"{
  "count": 5,
  "records": [
    {
      "collectionName": "c1",
      "jobId": "1",
      "progress": 100,
      "state": "Completed"
    },
    {
      "collectionName": null,
      "jobId": "2",
      "progress": 42,
      "state": "Importing"
    },
    {
      "collectionName": "with \"quotes\" and é",
      "jobId": "3",
      "progress": 7,
      "state": "Failed"
    },
    {
      "collectionName": "c4",
      "jobId": "4",
      "progress": 0,
      "state": "Pending"
    },
    {
      "collectionName": "c5",
      "jobId": "5",
      "progress": 50,
      "state": "Importing"
    }
  ]
}
"#
    );
    assert_eq!(server.requests_received(), 3, "the short page ends it");
    for (n, r) in server.requests().iter().enumerate() {
        assert_eq!(r.path, LIST_PATH);
        assert_eq!(r.json()["currentPage"], json!(n + 1));
    }

    // No records at all: an empty array on one line.
    let server = FaultyServer::start(vec![page(&[])]).await;
    let out = cli_env::run(list_all(server.url(), "2")).await;
    out.assert_code(0);
    assert_eq!(out.stdout, "{\n  \"count\": 0,\n  \"records\": []\n}\n");
}

#[tokio::test]
async fn a_walk_that_stops_part_way_prints_what_it_listed_then_the_error() {
    let first = [
        record("1", Some("c"), "Completed", 100),
        record("2", Some("c"), "Completed", 100),
    ];
    let second = [
        record("3", Some("c"), "Completed", 100),
        record("4", Some("c"), "Completed", 100),
    ];
    let refused = Fault::json(200, &json!({"code": 1100, "message": "bad request"}), &[]);
    let server = FaultyServer::start(vec![page(&first), page(&second), refused]).await;
    let out = cli_env::run(list_all(server.url(), "2")).await;
    out.assert_code(3);
    assert_eq!(out.stdout, held_document(&[first, second].concat()));
    let e = out.stderr_error();
    assert_eq!(
        (e["kind"].as_str(), e["code"].as_i64()),
        (Some("api"), Some(1100))
    );
    assert_eq!(server.requests_received(), 3);

    // Stopped on the first page: nothing listed.
    let server = FaultyServer::start(vec![Fault::json(
        200,
        &json!({"code": 1100, "message": "bad request"}),
        &[],
    )])
    .await;
    let out = cli_env::run(list_all(server.url(), "2")).await;
    out.assert_code(3);
    assert_eq!(out.stdout, "{\n  \"count\": 0,\n  \"records\": []\n}\n");
}

/// 12 pages of 100 records of 10 KB: past the 8 MiB the CLI holds in memory,
/// so the records go through its temporary file, and come back unchanged.
#[tokio::test]
async fn a_walk_past_what_is_held_in_memory_comes_back_unchanged() {
    let long = "x".repeat(10 << 10);
    let pages: Vec<Vec<Value>> = (0..12)
        .map(|p| {
            let n = if p == 11 { 7 } else { 100 };
            (0..n)
                .map(|i| {
                    record(
                        &format!("{p}-{i}"),
                        Some(&format!("{i}{long}")),
                        "Pending",
                        i,
                    )
                })
                .collect()
        })
        .collect();
    let server = FaultyServer::start(pages.iter().map(|p| page(p)).collect()).await;
    let out = cli_env::run(list_all(server.url(), "100")).await;
    out.assert_code(0);
    let expected = held_document(&pages.concat());
    assert!(expected.len() > 9 << 20, "{}", expected.len());
    assert!(out.stdout == expected, "the document differs");
    assert_eq!(server.requests_received(), 12);
}

/// A reader that goes away (`| head -c 100`): exit 141, no panic.
#[tokio::test]
async fn a_reader_that_goes_away_ends_the_walk_with_141() {
    let long = "y".repeat(1 << 10);
    let records: Vec<Value> = (0..101)
        .map(|i| record(&i.to_string(), Some(&long), "Completed", 100))
        .collect();
    // Past what a pipe holds, so the writer meets the closed end.
    let server = FaultyServer::start(vec![page(&records[..100]), page(&records[100..])]).await;
    let bin = env!("CARGO_BIN_EXE_zilliz-import");
    let script = format!(
        "'{bin}' --api-key {API_KEY} --base-url {} --output json list --cluster-id {CLUSTER} --all --page-size 100 | head -c 100; status=${{PIPESTATUS[0]}}; echo; echo \"status=$status\"",
        server.url()
    );
    let out = cli_env::bash(script).await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    let expected = held_document(&records);
    assert_eq!(stdout, format!("{}\nstatus=141\n", &expected[..100]));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
