//! `zilliz-import volume` against the emulator: create, list, describe and
//! delete in text and JSON, and the exit codes of what the API refuses (3),
//! what is refused before sending (2, nothing sent) and an unreachable
//! server (4).

use serde_json::json;

use crate::{
    common::cli_env::{KEY, cmd, cmd_on, expect, failure, jcmd, quick_emulator, run_json},
    emulator_env::{PROJECT, REGION},
};

const VOLUMES: &str = "/v2/volumes";

/// `volume create NAME` in the emulator's project, then `rest` (also
/// `cli_upload`'s and `cli_load`'s volumes).
pub(crate) fn create<'a>(name: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let head = [
        "volume",
        "create",
        name,
        "--project-id",
        PROJECT,
        "--region-id",
        REGION,
    ];
    [&head[..], rest].concat()
}

#[tokio::test]
async fn volumes_are_created_listed_described_and_deleted_in_text() {
    let h = quick_emulator().await;
    let r = expect(cmd(&h, &create("v1", &[])), 0).await;
    assert_eq!(r.stdout, "created volume v1\n");
    let external = create(
        "v2",
        &[
            "--type",
            "external",
            "--storage-integration-id",
            "integ-1",
            "--path",
            "data/",
        ],
    );
    expect(cmd(&h, &external), 0).await;
    let r = expect(cmd(&h, &["volume", "list", "--project-id", PROJECT]), 0).await;
    let lines: Vec<Vec<&str>> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert_eq!(lines[0], ["VOLUME", "TYPE", "STATUS", "REGION", "CREATED"]);
    assert_eq!(lines[1][..4], ["v1", "MANAGED", "RUNNING", REGION]);
    assert_eq!(lines[2][..4], ["v2", "EXTERNAL", "RUNNING", REGION]);
    let r = expect(cmd(&h, &["volume", "describe", "v2"]), 0).await;
    let described: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        described[..6],
        [
            "volume: v2",
            "type: EXTERNAL",
            "status: RUNNING",
            &format!("region: {REGION}"),
            "storage integration: integ-1",
            "path: data/",
        ]
    );
    assert!(described[6].starts_with("created: "), "{}", r.stdout);
    let r = expect(cmd(&h, &["volume", "delete", "v1"]), 0).await;
    assert_eq!(r.stdout, "deleted volume v1\n");
    // Gone: the API's refusal, exit 3.
    let r = expect(cmd(&h, &["volume", "describe", "v1"]), 3).await;
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains("volume 'v1' does not exist"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn with_output_json_each_command_prints_one_document() {
    let h = quick_emulator().await;
    let (_, v) = run_json(jcmd(&h, &create("v1", &[]))).await;
    assert_eq!(v, json!({"volumeName": "v1", "created": true}));
    let (_, page) = run_json(jcmd(
        &h,
        &[
            "volume",
            "list",
            "--project-id",
            PROJECT,
            "--type",
            "MANAGED",
        ],
    ))
    .await;
    assert_eq!(
        (&page["count"], &page["currentPage"], &page["pageSize"]),
        (&json!(1), &json!(1), &json!(10))
    );
    assert_eq!(page["volumes"][0]["volumeName"], "v1");
    let (_, v) = run_json(jcmd(&h, &["volume", "describe", "v1"])).await;
    assert_eq!(
        (&v["volumeName"], &v["type"], &v["status"]),
        (&json!("v1"), &json!("MANAGED"), &json!("RUNNING"))
    );
    let (_, v) = run_json(jcmd(&h, &["volume", "delete", "v1"])).await;
    assert_eq!(v, json!({"volumeName": "v1", "deleted": true}));
}

#[tokio::test]
async fn refusals_exit_3_wrong_input_2_with_nothing_sent_and_no_server_4() {
    let h = quick_emulator().await;
    expect(cmd(&h, &create("v1", &[])), 0).await;
    let e = failure(jcmd(&h, &create("v1", &[])), 3, "api", Some("Received")).await;
    assert_eq!(e["code"], 80000);
    assert_eq!(
        e["apiMessage"],
        "invalid parameter: volume 'v1' already exists"
    );
    let volume_requests = || {
        let requests = h.requests();
        requests
            .iter()
            .filter(|r| r.path.starts_with(VOLUMES))
            .count()
    };
    let sent = volume_requests();
    // clap's own rule: EXTERNAL needs its storage integration.
    let r = expect(cmd(&h, &create("v2", &["--type", "EXTERNAL"])), 2).await;
    assert!(
        r.stderr.contains("--storage-integration-id"),
        "{}",
        r.stderr
    );
    // The client's: a page size out of range, a `user:password` token.
    let e = failure(
        jcmd(
            &h,
            &[
                "volume",
                "list",
                "--project-id",
                PROJECT,
                "--page-size",
                "101",
            ],
        ),
        2,
        "invalid_input",
        Some("NotSent"),
    )
    .await;
    assert_eq!(e["field"], "pageSize");
    let milvus = cmd_on(
        &h,
        "root:Milvus",
        &["--output", "json", "volume", "describe", "v1"],
    );
    let e = failure(milvus, 2, "invalid_input", Some("NotSent")).await;
    assert_eq!(e["field"], "baseUrl");
    assert_eq!(volume_requests(), sent);
    // Nothing listening: a network failure.
    let closed = crate::common::cli_env::cli_at(
        "http://127.0.0.1:9",
        KEY,
        &["--output", "json", "volume", "describe", "v1"],
    );
    failure(closed, 4, "connect", Some("NotSent")).await;
}
