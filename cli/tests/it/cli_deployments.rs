//! The binary on every deployment: Milvus files and options, a serverless
//! project with a volume, repeated object URLs, the TLS flags, and every
//! wrong mix of flags exiting 2 with nothing sent.

use std::time::Duration;

use serde_json::{Value, json};
use zilliz_import_emulator::{DEFAULT_MILVUS_TOKEN, Emulator, EmulatorHandle};

use crate::{
    common::{
        CREATE_PATH, DESCRIBE_PATH, LIST_PATH,
        cli_env::{KEY, cli, cmd_on, expect, run, spawn_emulator},
    },
    emulator_env::{CLUSTER, PROJECT, REGION, sent_to, start},
};

async fn milvus() -> EmulatorHandle {
    start(
        Emulator::builder()
            .milvus()
            .job_duration(Duration::from_millis(300)),
    )
    .await
}

#[tokio::test]
async fn milvus_files_options_database_then_wait_describe_and_list() {
    let h = milvus().await;
    let token = DEFAULT_MILVUS_TOKEN;
    let created = expect(
        cmd_on(
            &h,
            token,
            &[
                "create",
                "--collection",
                "c",
                "--db",
                "db1",
                "--file",
                "a.parquet",
                "--file-group",
                "np/id.npy,np/vec.npy",
                "--option",
                "timeout=300s",
                "--option",
                "sep==",
            ],
        ),
        0,
    )
    .await;
    let job_id = created.stdout.trim().to_owned();
    assert!(job_id.bytes().all(|b| b.is_ascii_digit()), "{job_id}");
    let creates = sent_to(&h, CREATE_PATH);
    assert_eq!(creates.len(), 1);
    assert_eq!(
        creates[0].body,
        json!({"collectionName": "c", "dbName": "db1",
               "files": [["a.parquet"], ["np/id.npy", "np/vec.npy"]],
               "options": {"timeout": "300s", "sep": "="}})
    );
    assert_eq!(creates[0].db_name.as_deref(), Some("db1"));

    expect(cmd_on(&h, token, &["wait", &job_id, "--db", "db1"]), 0).await;
    let described = expect(
        cmd_on(
            &h,
            token,
            &["--output", "json", "describe", &job_id, "--db", "db1"],
        ),
        0,
    )
    .await
    .stdout_json();
    assert_eq!(described["state"], "Completed");
    assert_eq!(described["importedRows"], described["totalRows"]);
    // Milvus's describe body is the job id; the database is the header.
    for r in sent_to(&h, DESCRIBE_PATH) {
        assert_eq!(r.body, json!({"jobId": job_id}));
        assert_eq!(r.db_name.as_deref(), Some("db1"));
    }

    let listed = expect(
        cmd_on(
            &h,
            token,
            &[
                "--output",
                "json",
                "list",
                "--collection",
                "c",
                "--db",
                "db1",
                "--all",
            ],
        ),
        0,
    )
    .await
    .stdout_json();
    let ids: Vec<&Value> = listed["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["jobId"])
        .collect();
    assert_eq!(ids, [&json!(job_id)]);
    let lists = sent_to(&h, LIST_PATH);
    assert_eq!(lists.len(), 1, "no pages on Milvus: one request");
    assert_eq!(
        lists[0].body,
        json!({"collectionName": "c", "dbName": "db1"})
    );
}

#[tokio::test]
async fn a_project_with_a_volume_and_repeated_object_urls() {
    let h = start(
        Emulator::builder()
            .api_key(KEY)
            .job_duration(Duration::from_millis(200)),
    )
    .await;
    let project = ["--project-id", PROJECT, "--region-id", REGION];
    let create = [
        &["create", "--collection", "c"][..],
        &project,
        &[
            "--volume",
            "v",
            "--data-path",
            "dir/",
            "--data-path",
            "b.parquet",
        ],
    ]
    .concat();
    let job_id = expect(cmd_on(&h, KEY, &create), 0)
        .await
        .stdout
        .trim()
        .to_owned();
    assert_eq!(
        sent_to(&h, CREATE_PATH)[0].body,
        json!({"projectId": PROJECT, "regionId": REGION, "collectionName": "c",
               "volumeName": "v", "dataPaths": [["dir/"], ["b.parquet"]]})
    );
    let wait = [&["wait", job_id.as_str()][..], &project].concat();
    expect(cmd_on(&h, KEY, &wait), 0).await;
    assert_eq!(
        sent_to(&h, DESCRIBE_PATH)[0].body,
        json!({"projectId": PROJECT, "regionId": REGION, "jobId": job_id})
    );
    let list = [&["--output", "json", "list"][..], &project].concat();
    let page = expect(cmd_on(&h, KEY, &list), 0).await.stdout_json();
    assert_eq!(page["records"][0]["jobId"], json!(job_id));

    // Several object URLs: one group each, as objectUrls.
    let urls = [
        "create",
        "--cluster-id",
        CLUSTER,
        "--collection",
        "c",
        "--object-url",
        "s3://b/a.parquet",
        "--object-url",
        "s3://b/d/",
    ];
    expect(cmd_on(&h, KEY, &urls), 0).await;
    assert_eq!(
        sent_to(&h, CREATE_PATH)[1].body,
        json!({"clusterId": CLUSTER, "collectionName": "c",
               "objectUrls": [["s3://b/a.parquet"], ["s3://b/d/"]]})
    );
}

#[tokio::test]
async fn every_wrong_mix_exits_2_and_sends_nothing() {
    let h = start(Emulator::builder().api_key(KEY)).await;
    let base = ["create", "--collection", "c"];
    let cases: [(&str, &[&str]); 11] = [
        (
            "files with a cluster id",
            &["--cluster-id", CLUSTER, "--file", "a.parquet"],
        ),
        (
            "two sources",
            &[
                "--cluster-id",
                CLUSTER,
                "--object-url",
                "s3://b/a",
                "--volume",
                "v",
                "--data-path",
                "p",
            ],
        ),
        (
            "files and a volume",
            &["--file", "a.parquet", "--volume", "v", "--data-path", "p"],
        ),
        (
            "a volume without data paths",
            &["--cluster-id", CLUSTER, "--volume", "v"],
        ),
        (
            "data paths without a volume",
            &["--cluster-id", CLUSTER, "--data-path", "p"],
        ),
        (
            "a project without a region",
            &["--project-id", PROJECT, "--object-url", "s3://b/a"],
        ),
        (
            "two Parquet files in one group",
            &["--file-group", "a.parquet,b.parquet"],
        ),
        (
            "an option without =",
            &["--file", "a.parquet", "--option", "auto_commit"],
        ),
        (
            "object URLs without a target",
            &["--object-url", "s3://b/a"],
        ),
        (
            "a cluster and a project",
            &[
                "--cluster-id",
                CLUSTER,
                "--project-id",
                PROJECT,
                "--region-id",
                REGION,
                "--object-url",
                "s3://b/a",
            ],
        ),
        (
            "storage keys with files",
            &[
                "--file",
                "a.parquet",
                "--access-key",
                "AK",
                "--secret-key",
                "SK",
            ],
        ),
    ];
    for (name, rest) in cases {
        let args = [&base[..], rest].concat();
        let r = run(cmd_on(&h, KEY, &args)).await;
        assert_eq!(r.code, 2, "{name}: {r:?}");
        assert!(r.stderr.contains(why(name)), "{name}: {}", r.stderr);
    }
    for (name, args) in [
        (
            "no source",
            &["create", "--cluster-id", CLUSTER, "--collection", "c"][..],
        ),
        (
            "an empty path in a group",
            &[
                "create",
                "--collection",
                "c",
                "--file-group",
                "a.npy,,b.npy",
            ],
        ),
        (
            "a project without a region, on describe",
            &["describe", "1", "--project-id", PROJECT],
        ),
    ] {
        let r = run(cmd_on(&h, KEY, args)).await;
        assert_eq!(r.code, 2, "{name}: {r:?}");
        assert!(r.stderr.contains(why(name)), "{name}: {}", r.stderr);
    }
    assert_eq!(h.requests().len(), 0, "{:?}", h.requests());
}

/// What the refusal of each wrong mix says, so exit code 2 is known to
/// come for that reason and not another.
fn why(case: &str) -> &'static str {
    match case {
        "files with a cluster id" => "--file and --file-group are for open-source Milvus",
        "two sources" | "files and a volume" => "cannot be used with",
        "a volume without data paths" => "--data-path <PATH>",
        "data paths without a volume" => "--volume <NAME>",
        "a project without a region" | "a project without a region, on describe" => {
            "--region-id <REGION_ID>"
        }
        "two Parquet files in one group" => "a group of 2 files holds a .parquet file",
        "an option without =" => "expected KEY=VALUE",
        "object URLs without a target" => "give --cluster-id, or --project-id with --region-id",
        "a cluster and a project" => "name two targets",
        "storage keys with files" => "go with --object-url",
        "no source" => "--object-url <URL>",
        "an empty path in a group" => "a path in the group is empty",
        other => panic!("no reason written for {other}"),
    }
}

#[tokio::test]
async fn a_target_on_the_command_line_wins_over_zilliz_cluster_id() {
    let h = milvus().await;
    let mut c = cmd_on(
        &h,
        DEFAULT_MILVUS_TOKEN,
        &["create", "--collection", "c", "--file", "a.json"],
    );
    c.env("ZILLIZ_CLUSTER_ID", CLUSTER);
    expect(c, 0).await;
    assert_eq!(
        sent_to(&h, CREATE_PATH)[0].body,
        json!({"collectionName": "c", "files": [["a.json"]]})
    );

    let cloud = start(Emulator::builder().api_key(KEY)).await;
    let mut c = cmd_on(
        &cloud,
        KEY,
        &["list", "--project-id", PROJECT, "--region-id", REGION],
    );
    c.env("ZILLIZ_CLUSTER_ID", CLUSTER);
    expect(c, 0).await;
    assert_eq!(
        sent_to(&cloud, LIST_PATH)[0].body,
        json!({"projectId": PROJECT, "regionId": REGION, "pageSize": 10, "currentPage": 1})
    );
}

#[tokio::test]
async fn tls_flags_name_a_file_they_cannot_read_and_go_in_pairs() {
    let h = start(Emulator::builder().api_key(KEY)).await;
    let missing = "/nonexistent/ca.pem";
    let r = expect(
        cmd_on(
            &h,
            KEY,
            &[
                "--ca-cert",
                missing,
                "describe",
                "1",
                "--cluster-id",
                CLUSTER,
            ],
        ),
        2,
    )
    .await;
    assert!(
        r.stderr.contains("--ca-cert") && r.stderr.contains(missing),
        "{}",
        r.stderr
    );
    let r = expect(
        cmd_on(
            &h,
            KEY,
            &[
                "--client-cert",
                missing,
                "describe",
                "1",
                "--cluster-id",
                CLUSTER,
            ],
        ),
        2,
    )
    .await;
    assert!(r.stderr.contains("--client-key"), "{}", r.stderr);
    // TLS settings with a plain-http base URL are a mistake, not a no-op.
    let pem = std::env::temp_dir().join(format!("zi-cli-ca-{}.pem", std::process::id()));
    std::fs::write(&pem, "not a certificate").unwrap();
    let r = expect(
        cmd_on(
            &h,
            KEY,
            &[
                "--ca-cert",
                pem.to_str().unwrap(),
                "describe",
                "1",
                "--cluster-id",
                CLUSTER,
            ],
        ),
        2,
    )
    .await;
    let _ = std::fs::remove_file(&pem);
    assert!(r.stderr.contains("CA certificate"), "{}", r.stderr);
    assert_eq!(h.requests().len(), 0);
}

#[tokio::test]
async fn the_emulator_subcommand_speaks_milvus() {
    let (_child, base, _rest) =
        spawn_emulator(&["emulator", "--milvus", "--listen", "127.0.0.1:0"]);
    let mut c = cli();
    c.args(["--api-key", DEFAULT_MILVUS_TOKEN, "--base-url", &base])
        .args(["create", "--collection", "c", "--file", "a.parquet"]);
    let r = expect(c, 0).await;
    assert!(
        r.stdout.trim().bytes().all(|b| b.is_ascii_digit()),
        "{}",
        r.stdout
    );
    // The control plane's key is refused, as Milvus refuses it: 401, 1800.
    let mut c = cli();
    c.args([
        "--output",
        "json",
        "--api-key",
        "emulator-key",
        "--base-url",
        &base,
    ])
    .args(["describe", "1"]);
    let r = expect(c, 3).await;
    assert_eq!(r.stderr_error()["code"], 1800, "{}", r.stderr);
}
