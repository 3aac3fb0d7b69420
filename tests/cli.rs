//! The `zilliz-import` binary, run for real against an in-process emulator:
//! output in text and JSON for every command, each documented exit code, the
//! help text, and the `emulator` subcommand as a child process.

#[path = "support/cli_env.rs"]
mod cli_env;

use std::time::Duration;

use cli_env::{
    CLUSTER, ZILLIZ_VARS, cli, client, closed_port_url, emulator, run, spawn_emulator, squash,
};
use regex::Regex;
use serde_json::{Value, json};
use zilliz_import::{
    CreateImportJob, Error, ImportState, WaitOptions,
    emulator::{Emulator, EmulatorHandle, JobState},
};

const KEY: &str = "cli-test-key";
const URL: &str = "s3://bucket/dir/data.parquet";
const CREATE_PATH: &str = "/v2/vectordb/jobs/import/create";
const LIST_PATH: &str = "/v2/vectordb/jobs/import/list";

/// The binary pointed at `h` with the right key, then `args`.
fn cmd(h: &EmulatorHandle, args: &[&str]) -> assert_cmd::Command {
    let mut c = cli();
    c.args(["--api-key", KEY, "--base-url", &h.base_url()])
        .args(args);
    c
}

/// An emulator on a clock that only moves when the test says so.
async fn manual_emulator() -> EmulatorHandle {
    Emulator::builder()
        .api_key(KEY)
        .job_duration(Duration::from_secs(10))
        .fail_when_url_contains("fail")
        .manual_clock()
        .start()
        .await
        .expect("emulator starts")
}

/// Creates a job through the library (not the CLI under test).
async fn lib_create(h: &EmulatorHandle, collection: &str, url: &str) -> String {
    client(&h.base_url(), KEY)
        .create_import_job(CreateImportJob::new(CLUSTER, collection, url))
        .await
        .expect("library create")
        .job_id
}

fn count_path(h: &EmulatorHandle, path: &str) -> usize {
    h.requests().iter().filter(|r| r.path == path).count()
}

// ---------------------------------------------------------------- help

#[test]
fn help_lists_the_commands_and_exit_codes() {
    let out = cli().arg("--help").output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = squash(&String::from_utf8(out.stdout).expect("utf-8"));
    for command in ["create", "describe", "list", "wait", "emulator"] {
        assert!(
            Regex::new(&format!(r"\b{command}\b"))
                .unwrap()
                .is_match(&text),
            "{command} in {text}"
        );
    }
    assert!(
        text.contains(
            "Exit codes: 0 success 2 bad usage or invalid input (nothing was sent) \
             3 the API answered with an error code 4 network, HTTP or decoding failure \
             5 the import job failed 6 waiting for the job timed out"
        ),
        "{text}"
    );
    for flag in ["--api-key", "--base-url", "--output", "--verbose"] {
        assert!(text.contains(flag), "{flag} in {text}");
    }
}

#[test]
fn create_help_warns_that_secret_flags_are_visible_and_hides_env_values() {
    let out = cli()
        .env("ZILLIZ_SECRET_KEY", "env-secret-value-xyz")
        .env("ZILLIZ_API_KEY", "env-api-key-value-xyz")
        .args(["create", "--help"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let raw = String::from_utf8(out.stdout).expect("utf-8");
    let text = squash(&raw);
    assert!(
        text.contains(
            "Object-storage secret key. Flags on a command line are visible to other users \
             of the machine (ps, /proc); prefer the environment variable."
        ),
        "{text}"
    );
    assert!(text.contains("[env: ZILLIZ_SECRET_KEY"), "{text}");
    assert!(text.contains("[env: ZILLIZ_ACCESS_KEY"), "{text}");
    assert!(
        text.contains("Flags on a command line are visible to other users of the machine; prefer ZILLIZ_API_KEY"),
        "{text}"
    );
    assert!(!raw.contains("env-secret-value-xyz"), "{raw}");
    assert!(!raw.contains("env-api-key-value-xyz"), "{raw}");
}

// ---------------------------------------------------------------- create

#[tokio::test(flavor = "multi_thread")]
async fn create_text_prints_the_job_id_alone_and_sends_every_field() {
    let h = emulator(KEY, Duration::from_millis(300)).await;
    let r = run(cmd(
        &h,
        &[
            "create",
            "--cluster-id",
            CLUSTER,
            "--collection",
            "medium_articles",
            "--object-url",
            URL,
            "--partition",
            "p2024",
            "--db",
            "db1",
            "--idempotency-key",
            "idem-cli-1",
        ],
    ))
    .await;
    r.assert_code(0);
    let jobs = h.jobs();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(r.stdout, format!("{}\n", job.job_id));
    assert_eq!(r.stderr, "");
    assert_eq!(job.cluster_id, CLUSTER);
    assert_eq!(job.collection_name, "medium_articles");
    assert_eq!(job.partition_name, "p2024");
    assert_eq!(job.db_name, "db1");
    assert_eq!(job.object_urls, vec![URL.to_owned()]);
    assert_eq!(job.idempotency_key.as_deref(), Some("idem-cli-1"));

    let reqs = h.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, CREATE_PATH);
    assert!(reqs[0].authorized);
    assert_eq!(reqs[0].status, 200);
    assert_eq!(reqs[0].body.get("accessKey"), None, "no credentials sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn create_json_prints_exactly_the_job_id_object() {
    let h = emulator(KEY, Duration::from_millis(300)).await;
    let r = run(cmd(
        &h,
        &[
            "--output",
            "json",
            "create",
            "--cluster-id",
            CLUSTER,
            "--collection",
            "c",
            "--object-url",
            URL,
        ],
    ))
    .await;
    r.assert_code(0);
    let jobs = h.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(r.stdout_json(), json!({ "jobId": jobs[0].job_id }));
    assert_eq!(r.stderr, "");
    assert_eq!(jobs[0].idempotency_key, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_cluster_and_storage_credentials_come_from_the_environment() {
    let h = emulator(KEY, Duration::from_millis(300)).await;
    let mut c = cli();
    c.env("ZILLIZ_API_KEY", KEY)
        .env("ZILLIZ_BASE_URL", h.base_url())
        .env("ZILLIZ_CLUSTER_ID", CLUSTER)
        .env("ZILLIZ_ACCESS_KEY", "ak-from-env")
        .env("ZILLIZ_SECRET_KEY", "sk-from-env")
        .args(["create", "--collection", "c", "--object-url", URL]);
    let r = run(c).await;
    r.assert_code(0);
    let jobs = h.jobs();
    assert_eq!(r.stdout, format!("{}\n", jobs[0].job_id));
    assert_eq!(jobs[0].cluster_id, CLUSTER);
    let reqs = h.requests();
    assert_eq!(reqs.len(), 1);
    assert!(reqs[0].authorized, "the key came from ZILLIZ_API_KEY");
    // The emulator redacts credentials, so their presence is what shows.
    assert_eq!(reqs[0].body["accessKey"], json!("<redacted>"));
    assert_eq!(reqs[0].body["secretKey"], json!("<redacted>"));
    assert_eq!(reqs[0].body["clusterId"], json!(CLUSTER));
}

#[tokio::test(flavor = "multi_thread")]
async fn create_wait_text_notes_the_id_reports_progress_and_prints_the_result() {
    let h = emulator(KEY, Duration::from_millis(300)).await;
    let r = run(cmd(
        &h,
        &[
            "create",
            "--cluster-id",
            CLUSTER,
            "--collection",
            "c",
            "--object-url",
            URL,
            "--wait",
        ],
    ))
    .await;
    r.assert_code(0);
    let job = h.jobs().remove(0);
    assert_eq!(job.state, JobState::Completed);
    let mut lines = r.stderr.lines();
    assert_eq!(
        lines.next(),
        Some(format!("created import job {}", job.job_id).as_str())
    );
    let progress: Vec<&str> = lines.collect();
    assert_progress_lines(&job.job_id, &progress);
    assert!(
        r.stdout
            .starts_with(&format!("job:        {}\n", job.job_id)),
        "{r:#?}"
    );
    assert!(r.stdout.contains("state:      Completed\n"), "{r:#?}");
    assert!(r.stdout.contains("progress:   100%\n"), "{r:#?}");
    assert!(
        r.stdout
            .contains(&format!("rows:       {}\n", job.total_rows)),
        "{r:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn create_wait_json_prints_the_final_progress_only() {
    let h = emulator(KEY, Duration::from_millis(300)).await;
    let r = run(cmd(
        &h,
        &[
            "--output",
            "json",
            "create",
            "--cluster-id",
            CLUSTER,
            "--collection",
            "c",
            "--object-url",
            URL,
            "--wait",
        ],
    ))
    .await;
    r.assert_code(0);
    let job = h.jobs().remove(0);
    let v = r.stdout_json();
    assert_eq!(v["jobId"], json!(job.job_id));
    assert_eq!(v["state"], json!("Completed"));
    assert_eq!(v["progress"], json!(100));
    assert_eq!(v["totalRows"], json!(job.total_rows));
    assert!(
        !r.stderr.contains("created import job"),
        "notes are silent in json mode: {r:#?}"
    );
    let progress: Vec<&str> = r.stderr.lines().collect();
    assert_progress_lines(&job.job_id, &progress);
}

/// Plain progress lines (stderr is not a terminal), never going backwards,
/// ending at Completed 100%.
fn assert_progress_lines(job_id: &str, lines: &[&str]) {
    let re = Regex::new(&format!(
        r"^job {}: (Pending|Importing|Completed) (\d+)%$",
        regex::escape(job_id)
    ))
    .unwrap();
    assert!(!lines.is_empty(), "progress lines");
    let mut last = 0u32;
    for line in lines {
        let caps = re
            .captures(line)
            .unwrap_or_else(|| panic!("progress line {line:?}"));
        let pct: u32 = caps[2].parse().unwrap();
        assert!(pct >= last, "progress went back: {lines:?}");
        last = pct;
    }
    assert_eq!(
        lines.last().copied(),
        Some(format!("job {job_id}: Completed 100%").as_str())
    );
}

// ---------------------------------------------------------------- describe

#[tokio::test(flavor = "multi_thread")]
async fn describe_json_and_text_show_the_jobs_progress() {
    let h = manual_emulator().await;
    let id = lib_create(&h, "medium_articles", URL).await;

    // Pending: nothing imported yet.
    let r = run(cmd(
        &h,
        &["--output", "json", "describe", "--cluster-id", CLUSTER, &id],
    ))
    .await;
    r.assert_code(0);
    assert_eq!(r.stderr, "");
    let v = r.stdout_json();
    let job = h.jobs().remove(0);
    assert_eq!(v["jobId"], json!(id));
    assert_eq!(v["state"], json!("Pending"));
    assert_eq!(v["progress"], json!(0));
    assert_eq!(v["totalRows"], json!(0));
    assert_eq!(v["completeTime"], Value::Null);
    assert_eq!(v["reason"], Value::Null);
    assert_eq!(v["fileName"], json!(job.file_name));

    h.advance(Duration::from_secs(10));
    let job = h.jobs().remove(0);
    assert_eq!(job.state, JobState::Completed);
    let r = run(cmd(
        &h,
        &["--output", "json", "describe", "--cluster-id", CLUSTER, &id],
    ))
    .await;
    r.assert_code(0);
    let v = r.stdout_json();
    let complete_time = v["completeTime"].as_str().expect("completeTime").to_owned();
    assert!(!complete_time.is_empty());
    assert_eq!(
        v,
        json!({
            "jobId": id,
            "collectionName": "medium_articles",
            "fileName": job.file_name,
            "fileSize": job.file_size,
            "state": "Completed",
            "progress": 100,
            "totalRows": job.total_rows,
            "completeTime": complete_time,
            "reason": null,
            "details": [{
                "fileName": job.file_name,
                "fileSize": job.file_size,
                "state": "Completed",
                "progress": 100,
                "totalRows": job.total_rows,
                "completeTime": complete_time,
                "reason": null,
            }],
        })
    );

    let r = run(cmd(&h, &["describe", "--cluster-id", CLUSTER, &id])).await;
    r.assert_code(0);
    assert_eq!(r.stderr, "");
    assert_eq!(
        r.stdout,
        format!(
            "job:        {id}\n\
             collection: medium_articles\n\
             state:      Completed\n\
             progress:   100%\n\
             rows:       {}\n\
             file:       {}\n\
             completed:  {complete_time}\n",
            job.total_rows, job.file_name
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_of_a_failed_job_succeeds_and_shows_the_reason() {
    let h = manual_emulator().await;
    let id = lib_create(&h, "c", "s3://bucket/fail.parquet").await;
    h.advance(Duration::from_secs(10));
    let r = run(cmd(&h, &["describe", "--cluster-id", CLUSTER, &id])).await;
    r.assert_code(0);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[2], "state:      Failed");
    assert_eq!(
        lines.last().copied(),
        Some(
            "reason:     failed to read object s3://bucket/fail.parquet: access denied (emulated failure)"
        )
    );
}

// ---------------------------------------------------------------- list

#[tokio::test(flavor = "multi_thread")]
async fn list_one_page_in_json_and_text() {
    let h = manual_emulator().await;
    let mut ids = Vec::new();
    for n in 1..=3 {
        ids.push(lib_create(&h, &format!("c{n}"), URL).await);
    }

    let r = run(cmd(
        &h,
        &[
            "--output",
            "json",
            "list",
            "--cluster-id",
            CLUSTER,
            "--page",
            "2",
            "--page-size",
            "1",
        ],
    ))
    .await;
    r.assert_code(0);
    assert_eq!(r.stderr, "");
    assert_eq!(
        r.stdout_json(),
        json!({
            "count": 3,
            "currentPage": 2,
            "pageSize": 1,
            "records": [{"jobId": ids[1], "collectionName": "c2", "state": "Pending", "progress": 0}],
        })
    );

    // Halfway: list's `InProgress` reads as Importing.
    h.advance(Duration::from_millis(5_500));
    let r = run(cmd(&h, &["list", "--cluster-id", CLUSTER])).await;
    r.assert_code(0);
    let rows: Vec<Vec<&str>> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec!["JOB", "ID", "STATE", "PROGRESS", "COLLECTION"],
            vec![ids[0].as_str(), "Importing", "50%", "c1"],
            vec![ids[1].as_str(), "Importing", "50%", "c2"],
            vec![ids[2].as_str(), "Importing", "50%", "c3"],
        ],
        "{r:#?}"
    );

    let r = run(cmd(
        &h,
        &[
            "list",
            "--cluster-id",
            CLUSTER,
            "--page",
            "2",
            "--page-size",
            "1",
        ],
    ))
    .await;
    r.assert_code(0);
    let rows: Vec<Vec<&str>> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 2, "{r:#?}");
    assert_eq!(rows[1], vec![ids[1].as_str(), "Importing", "50%", "c2"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_all_walks_every_page() {
    let h = manual_emulator().await;
    let mut ids = Vec::new();
    for n in 0..12 {
        ids.push(lib_create(&h, &format!("c{n}"), URL).await);
    }
    let before = count_path(&h, LIST_PATH);
    assert_eq!(before, 0);

    // Default page size 10: a full page, then a short one.
    let r = run(cmd(
        &h,
        &["--output", "json", "list", "--cluster-id", CLUSTER, "--all"],
    ))
    .await;
    r.assert_code(0);
    let records: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            json!({"jobId": id, "collectionName": format!("c{n}"), "state": "Pending", "progress": 0})
        })
        .collect();
    assert_eq!(r.stdout_json(), json!({ "count": 12, "records": records }));
    assert_eq!(count_path(&h, LIST_PATH), 2);

    // Page size 4: three full pages and an empty fourth.
    let r = run(cmd(
        &h,
        &["list", "--cluster-id", CLUSTER, "--all", "--page-size", "4"],
    ))
    .await;
    r.assert_code(0);
    let listed: Vec<&str> = r
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(listed, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(count_path(&h, LIST_PATH), 2 + 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_all_conflicts_with_page() {
    let h = manual_emulator().await;
    let r = run(cmd(
        &h,
        &["list", "--cluster-id", CLUSTER, "--all", "--page", "2"],
    ))
    .await;
    r.assert_code(2);
    assert!(r.stderr.contains("cannot be used with"), "{r:#?}");
    assert_eq!(h.requests().len(), 0);
}

// ---------------------------------------------------------------- wait

#[tokio::test(flavor = "multi_thread")]
async fn wait_text_and_json_follow_a_job_to_completion() {
    let h = emulator(KEY, Duration::from_millis(300)).await;
    let id = lib_create(&h, "c", URL).await;
    let r = run(cmd(&h, &["wait", "--cluster-id", CLUSTER, &id])).await;
    r.assert_code(0);
    let job = h.jobs().remove(0);
    let progress: Vec<&str> = r.stderr.lines().collect();
    assert_progress_lines(&id, &progress);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], format!("job:        {id}"));
    assert_eq!(lines[1], "collection: c");
    assert_eq!(lines[2], "state:      Completed");
    assert_eq!(lines[3], "progress:   100%");
    assert_eq!(lines[4], format!("rows:       {}", job.total_rows));
    assert_eq!(lines[5], format!("file:       {}", job.file_name));
    assert!(lines[6].starts_with("completed:  ") && lines[6].len() > "completed:  ".len());
    assert_eq!(lines.len(), 7);

    let r = run(cmd(
        &h,
        &["--output", "json", "wait", "--cluster-id", CLUSTER, &id],
    ))
    .await;
    r.assert_code(0);
    let v = r.stdout_json();
    assert_eq!(v["jobId"], json!(id));
    assert_eq!(v["state"], json!("Completed"));
    assert_eq!(v["progress"], json!(100));
    assert_eq!(v["totalRows"], json!(job.total_rows));
    // Already complete: a single progress line.
    assert_eq!(r.stderr, format!("job {id}: Completed 100%\n"));
}

// ---------------------------------------------------------------- exit code 2

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2_and_send_nothing() {
    let h = emulator(KEY, Duration::from_millis(300)).await;
    let cases: &[(&[&str], &str)] = &[
        (
            &["create", "--cluster-id", CLUSTER, "--object-url", URL],
            "--collection <COLLECTION>",
        ),
        (
            &["create", "--collection", "c", "--object-url", URL],
            "--cluster-id <CLUSTER_ID>",
        ),
        (&["describe", "--cluster-id", CLUSTER], "<JOB_ID>"),
        (
            &["--output", "yaml", "list", "--cluster-id", CLUSTER],
            "yaml",
        ),
        (
            &["list", "--cluster-id", CLUSTER, "--page-size", "ten"],
            "ten",
        ),
        (
            &["wait", "--cluster-id", CLUSTER, "1", "--timeout", "soon"],
            "soon",
        ),
        (
            &[
                "create",
                "--cluster-id",
                CLUSTER,
                "--collection",
                "c",
                "--object-url",
                URL,
                "--timeout",
                "1s",
            ],
            "--wait",
        ),
        (&["frobnicate"], "frobnicate"),
    ];
    for (args, mention) in cases {
        let r = run(cmd(&h, args)).await;
        assert_eq!(r.code, 2, "{args:?}: {r:#?}");
        assert_eq!(r.stdout, "", "{args:?}");
        assert!(r.stderr.starts_with("error: "), "{args:?}: {r:#?}");
        assert!(
            r.stderr.contains(mention),
            "{args:?} mentions {mention}: {r:#?}"
        );
    }
    assert_eq!(h.requests().len(), 0, "nothing reached the emulator");
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_input_exits_2_and_sends_nothing() {
    let h = emulator(KEY, Duration::from_millis(300)).await;

    let create = |url: &'static str| {
        vec![
            "--output",
            "json",
            "create",
            "--cluster-id",
            CLUSTER,
            "--collection",
            "c",
            "--object-url",
            url,
        ]
    };
    let r = run(cmd(&h, &create("nope"))).await;
    r.assert_code(2);
    assert_eq!(r.stdout, "");
    let e = r.stderr_error();
    assert_eq!(e["kind"], json!("invalid_input"));
    assert_eq!(e["field"], json!("objectUrl"));
    assert_eq!(e["delivery"], json!("NotSent"));
    assert_eq!(e["attempts"], json!(0));
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid input: objectUrl: `nope` is not a URL"),
        "{e}"
    );
    assert_eq!(e.get("code"), None);
    assert_eq!(e.get("status"), None);

    let r = run(cmd(&h, &create("s3://"))).await;
    r.assert_code(2);
    assert_eq!(r.stderr_error()["field"], json!("objectUrl"));

    // Text mode: one line, `error: ` and the message.
    let r = run(cmd(
        &h,
        &[
            "create",
            "--cluster-id",
            CLUSTER,
            "--collection",
            "c",
            "--object-url",
            "nope",
        ],
    ))
    .await;
    r.assert_code(2);
    assert!(
        r.stderr
            .starts_with("error: invalid input: objectUrl: `nope` is not a URL"),
        "{r:#?}"
    );
    assert_eq!(r.stderr.lines().count(), 1);

    let r = run(cmd(
        &h,
        &[
            "--output",
            "json",
            "create",
            "--cluster-id",
            CLUSTER,
            "--collection",
            "c",
            "--object-url",
            URL,
            "--secret-key",
            "sk-only",
        ],
    ))
    .await;
    r.assert_code(2);
    assert_eq!(r.stderr_error()["field"], json!("accessKey"));

    let r = run(cmd(
        &h,
        &[
            "--output",
            "json",
            "create",
            "--cluster-id",
            CLUSTER,
            "--collection",
            " ",
            "--object-url",
            URL,
        ],
    ))
    .await;
    r.assert_code(2);
    assert_eq!(r.stderr_error()["field"], json!("collectionName"));

    for (args, field, message) in [
        (
            vec!["list", "--page-size", "0"],
            "pageSize",
            "invalid input: pageSize: 0 is outside 1..=100",
        ),
        (
            vec!["list", "--page-size", "101", "--all"],
            "pageSize",
            "invalid input: pageSize: 101 is outside 1..=100",
        ),
        (
            vec!["list", "--page", "0"],
            "currentPage",
            "invalid input: currentPage: pages count from 1",
        ),
    ] {
        let mut full = vec!["--output", "json"];
        full.extend(args.iter().copied());
        full.extend(["--cluster-id", CLUSTER]);
        let r = run(cmd(&h, &full)).await;
        r.assert_code(2);
        let e = r.stderr_error();
        assert_eq!(e["field"], json!(field), "{args:?}");
        assert_eq!(e["message"], json!(message), "{args:?}");
    }

    let r = run(cmd(
        &h,
        &["--output", "json", "describe", "--cluster-id", CLUSTER, " "],
    ))
    .await;
    r.assert_code(2);
    assert_eq!(r.stderr_error()["field"], json!("jobId"));

    assert_eq!(
        h.requests().len(),
        0,
        "nothing reached the emulator: {:?}",
        h.requests()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_configuration_exits_2_and_sends_nothing() {
    let h = emulator(KEY, Duration::from_millis(300)).await;
    let mut c = cli();
    c.args([
        "--output",
        "json",
        "--base-url",
        &h.base_url(),
        "list",
        "--cluster-id",
        CLUSTER,
    ]);
    let r = run(c).await;
    r.assert_code(2);
    let e = r.stderr_error();
    assert_eq!(e["kind"], json!("invalid_config"));
    assert!(e["message"].as_str().unwrap().contains("no API key"), "{e}");

    let mut c = cli();
    c.args([
        "--api-key",
        KEY,
        "--base-url",
        "http://example.com",
        "list",
        "--cluster-id",
        CLUSTER,
    ]);
    let r = run(c).await;
    r.assert_code(2);
    assert!(
        r.stderr
            .starts_with("error: invalid configuration: base URL `http://example.com`"),
        "{r:#?}"
    );
    assert_eq!(h.requests().len(), 0);
}

// ---------------------------------------------------------------- exit code 3

#[tokio::test(flavor = "multi_thread")]
async fn api_errors_exit_3_with_the_code_on_stderr() {
    let h = emulator(KEY, Duration::from_millis(300)).await;

    let r = run(cmd(
        &h,
        &[
            "--output",
            "json",
            "describe",
            "--cluster-id",
            CLUSTER,
            "4242",
        ],
    ))
    .await;
    r.assert_code(3);
    assert_eq!(r.stdout, "");
    let e = r.stderr_error();
    assert_eq!(e["kind"], json!("api"));
    assert_eq!(e["code"], json!(96026));
    assert_eq!(e["status"], json!(200));
    assert_eq!(e["delivery"], json!("Received"));
    assert_eq!(e["attempts"], json!(1));
    assert_eq!(
        e["apiMessage"],
        json!(format!(
            "job not found: jobId '4242' does not exist in cluster '{CLUSTER}'"
        ))
    );
    let request_id = e["requestId"]
        .as_str()
        .expect("the emulator sends a request id");
    assert!(
        Regex::new("^[0-9a-f]{32}$").unwrap().is_match(request_id),
        "{request_id}"
    );
    assert_eq!(
        e["message"],
        json!(format!(
            "API error 96026 (HTTP 200) [request id {request_id}]: job not found: jobId '4242' does not exist in cluster '{CLUSTER}'"
        ))
    );

    let r = run(cmd(&h, &["describe", "--cluster-id", CLUSTER, "4242"])).await;
    r.assert_code(3);
    assert_eq!(r.stdout, "");
    let re = Regex::new(
        r"^error: API error 96026 \(HTTP 200\) \[request id [0-9a-f]{32}\]: job not found: jobId '4242' does not exist in cluster 'in01-emulator'\n$",
    )
    .unwrap();
    assert!(re.is_match(&r.stderr), "{r:#?}");

    // Wrong key: HTTP 401 with 21119, not retried.
    let before = h.requests().len();
    let mut c = cli();
    c.args([
        "--api-key",
        "wrong-key",
        "--base-url",
        &h.base_url(),
        "--output",
        "json",
        "list",
        "--cluster-id",
        CLUSTER,
    ]);
    let r = run(c).await;
    r.assert_code(3);
    let e = r.stderr_error();
    assert_eq!(e["code"], json!(21119));
    assert_eq!(e["status"], json!(401));
    assert_eq!(e["apiMessage"], json!("The apikey is illegal."));
    let reqs = h.requests();
    assert_eq!(reqs.len(), before + 1);
    assert!(!reqs[before].authorized);

    // Unknown cluster.
    let r = run(cmd(
        &h,
        &[
            "--output",
            "json",
            "create",
            "--cluster-id",
            "in01-nope",
            "--collection",
            "c",
            "--object-url",
            URL,
        ],
    ))
    .await;
    r.assert_code(3);
    assert_eq!(r.stderr_error()["code"], json!(96018));
    assert_eq!(h.job_count(), 0);
}

// ---------------------------------------------------------------- exit code 4

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_port_exits_4() {
    let base = closed_port_url();
    let mut c = cli();
    c.args([
        "--api-key",
        KEY,
        "--base-url",
        &base,
        "--output",
        "json",
        "describe",
        "--cluster-id",
        CLUSTER,
        "1",
    ]);
    let r = run(c).await;
    r.assert_code(4);
    assert_eq!(r.stdout, "");
    let e = r.stderr_error();
    assert_eq!(e["kind"], json!("connect"));
    assert_eq!(e["delivery"], json!("NotSent"));
    assert_eq!(e["attempts"], json!(3), "connection failures are retried");
    assert_eq!(e.get("code"), None);

    let mut c = cli();
    c.args([
        "--api-key",
        KEY,
        "--base-url",
        &base,
        "create",
        "--cluster-id",
        CLUSTER,
        "--collection",
        "c",
        "--object-url",
        URL,
    ]);
    let r = run(c).await;
    r.assert_code(4);
    assert!(
        r.stderr
            .starts_with("error: could not connect (request not sent) after 3 attempt(s): "),
        "{r:#?}"
    );

    // `wait` polls through connection failures until its deadline: exit 6.
    let mut c = cli();
    c.args([
        "--api-key",
        KEY,
        "--base-url",
        &base,
        "--output",
        "json",
        "wait",
        "--cluster-id",
        CLUSTER,
        "1",
        "--timeout",
        "300ms",
    ]);
    let r = run(c).await;
    r.assert_code(6);
    let e = r.stderr_error();
    assert_eq!(e["kind"], json!("wait_timed_out"));
    assert_eq!(e["delivery"], json!("MaybeSent"));
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .ends_with("; no progress was seen"),
        "{e}"
    );
}

/// Log lines on a pipe (a file, CI) should be plain text, as the progress
/// output already is; today they carry ANSI colour codes.
#[tokio::test(flavor = "multi_thread")]
async fn verbose_logs_on_a_pipe_are_plain_text() {
    let h = emulator(KEY, Duration::from_millis(300)).await;
    let r = run(cmd(&h, &["-vv", "list", "--cluster-id", CLUSTER])).await;
    r.assert_code(0);
    assert!(r.stderr.contains("succeeded"), "logging is on: {r:#?}");
    assert!(
        !r.stderr.contains('\u{1b}'),
        "no escape codes on a pipe: {:?}",
        r.stderr
    );
}

// ---------------------------------------------------------------- exit code 5

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_job_exits_5() {
    let h = emulator(KEY, Duration::from_millis(300)).await;
    let url = "s3://bucket/fail/data.parquet";
    let r = run(cmd(
        &h,
        &[
            "--output",
            "json",
            "create",
            "--cluster-id",
            CLUSTER,
            "--collection",
            "c",
            "--object-url",
            url,
            "--wait",
        ],
    ))
    .await;
    r.assert_code(5);
    assert_eq!(r.stdout, "");
    let job = h.jobs().remove(0);
    assert_eq!(job.state, JobState::Failed);
    let e = r.stderr_error();
    assert_eq!(e["kind"], json!("import_failed"));
    assert_eq!(e["delivery"], json!("Received"));
    assert_eq!(
        e["message"],
        json!(format!(
            "import job {} failed: failed to read object {url}: access denied (emulated failure)",
            job.job_id
        ))
    );

    let id = lib_create(&h, "c", url).await;
    let r = run(cmd(&h, &["wait", "--cluster-id", CLUSTER, &id])).await;
    r.assert_code(5);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr.lines().last(),
        Some(format!("error: import job {id} failed: failed to read object {url}: access denied (emulated failure)").as_str())
    );
}

// ---------------------------------------------------------------- exit code 6

#[tokio::test(flavor = "multi_thread")]
async fn a_wait_that_times_out_exits_6() {
    let h = emulator(KEY, Duration::from_secs(3600)).await;
    let id = lib_create(&h, "c", URL).await;
    let r = run(cmd(
        &h,
        &[
            "--output",
            "json",
            "wait",
            "--cluster-id",
            CLUSTER,
            &id,
            "--timeout",
            "50ms",
        ],
    ))
    .await;
    r.assert_code(6);
    assert_eq!(r.stdout, "");
    let e = r.stderr_error();
    assert_eq!(e["kind"], json!("wait_timed_out"));
    assert_eq!(e["delivery"], json!("Received"));
    let msg = e["message"].as_str().unwrap();
    assert!(msg.starts_with("gave up waiting after "), "{msg}");
    assert!(
        msg.ends_with(&format!("; last seen: job {id} Pending at 0%")),
        "{msg}"
    );
    assert_eq!(h.jobs()[0].state, JobState::Pending, "the job goes on");

    let r = run(cmd(
        &h,
        &[
            "create",
            "--cluster-id",
            CLUSTER,
            "--collection",
            "c",
            "--object-url",
            URL,
            "--wait",
            "--timeout",
            "50ms",
        ],
    ))
    .await;
    r.assert_code(6);
    assert_eq!(h.job_count(), 2);
    let second = &h.jobs()[1].job_id;
    assert!(
        r.stderr
            .starts_with(&format!("created import job {second}\n")),
        "{r:#?}"
    );
    assert!(
        r.stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("error: gave up waiting after "),
        "{r:#?}"
    );
}

// ---------------------------------------------------------------- emulator subcommand

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_prints_its_url_and_serves_until_killed() {
    let (mut guard, first, _rest) = spawn_emulator(&[
        "emulator",
        "--listen",
        "127.0.0.1:0",
        "--api-key",
        "k",
        "--job-duration",
        "200ms",
        "--cluster-id",
        "in01-a",
        "--cluster-id",
        "in01-b",
    ]);
    let caps = Regex::new(r"^http://127\.0\.0\.1:(\d+)$")
        .unwrap()
        .captures(&first)
        .unwrap_or_else(|| panic!("first line is the base URL: {first:?}"));
    let port: u16 = caps[1].parse().unwrap();
    assert_ne!(port, 0);

    let c = client(&first, "k");
    let created = c
        .create_import_job(CreateImportJob::new("in01-b", "c", URL))
        .await
        .expect("create against the spawned emulator");
    let done = c
        .wait_for_import_job(
            "in01-b",
            &created.job_id,
            WaitOptions::default()
                .interval(Duration::from_millis(20), Duration::from_millis(50))
                .timeout(Duration::from_secs(10)),
        )
        .await
        .expect("the 200 ms job completes");
    assert_eq!(done.state, ImportState::Completed);

    // Only the listed clusters exist; only the given key is accepted.
    let e = c
        .create_import_job(CreateImportJob::new(CLUSTER, "c", URL))
        .await
        .unwrap_err();
    assert_eq!(e.api_code(), Some(96018), "{e}");
    let e = client(&first, "emulator-key")
        .list_import_jobs(&zilliz_import::ListImportJobs::new("in01-a"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Api {
                code: 21119,
                status: 401,
                ..
            }
        ),
        "{e:?}"
    );

    assert!(
        guard.0.try_wait().expect("try_wait").is_none(),
        "still serving"
    );
    drop(guard);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_subcommand_exits_2_when_it_cannot_listen() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut c = cli();
    c.args(["emulator", "--listen", &addr]);
    let r = run(c).await;
    r.assert_code(2);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.starts_with(&format!(
            "error: invalid configuration: cannot listen on {addr}: "
        )),
        "{r:#?}"
    );
    drop(taken);
}

#[test]
fn the_environment_is_isolated() {
    // The helper must not let the caller's ZILLIZ_* variables through.
    let mut c = cli();
    for var in ZILLIZ_VARS {
        c.env_remove(var);
    }
    let out = c.args(["list"]).output().expect("runs");
    // No cluster id from the environment: a usage error, not a request.
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--cluster-id <CLUSTER_ID>"));
}
