//! The `zilliz-import` binary, run for real against an in-process emulator:
//! output in text and JSON for every command, each documented exit code, the
//! help text, and the `emulator` subcommand as a child process.

use std::time::Duration;

use crate::common::cli_env::{
    CLUSTER, Run, ZILLIZ_VARS, assert_wrong_key, cli, client, closed_port_url, cluster_args,
    create_args_on, emulator, emulator_builder, expect, run, spawn_emulator, squash, start,
};
use regex::Regex;
use serde_json::{Value, json};
use zilliz_import::{CreateImportJob, ImportState, WaitOptions};
use zilliz_import_emulator::{EmulatorHandle, JobState};

const KEY: &str = "cli-test-key";
const URL: &str = "s3://bucket/dir/data.parquet";
const CREATE_PATH: &str = "/v2/vectordb/jobs/import/create";
const LIST_PATH: &str = "/v2/vectordb/jobs/import/list";

/// The binary pointed at `base` with `key`, then `args`.
fn cmd_at(base: &str, key: &str, args: &[&str]) -> assert_cmd::Command {
    let mut c = cli();
    c.args(["--api-key", key, "--base-url", base]).args(args);
    c
}

/// The binary pointed at `h` with the right key, then `args`.
fn cmd(h: &EmulatorHandle, args: &[&str]) -> assert_cmd::Command {
    cmd_at(&h.base_url(), KEY, args)
}

/// `--output json`, then `args`.
fn json_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    [&["--output", "json"][..], args].concat()
}

/// [`cmd`] with `--output json` before `args`.
fn jcmd(h: &EmulatorHandle, args: &[&str]) -> assert_cmd::Command {
    cmd(h, &json_args(args))
}

/// `create` of [`URL`] into `c` on the emulator's cluster, then `extra`.
fn create_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    create_args_on(CLUSTER, "c", URL, extra)
}

/// Runs `c`, checks that it succeeded, and parses its stdout as JSON.
async fn run_json(c: assert_cmd::Command) -> (Run, Value) {
    let r = expect(c, 0).await;
    let v = r.stdout_json();
    (r, v)
}

/// Runs `c`, checks that it exited with `code`, and returns the JSON error on stderr.
async fn run_error(c: assert_cmd::Command, code: i32) -> Value {
    expect(c, code).await.stderr_error()
}

/// Runs `c` and checks that it exited with `code`, printed nothing on stdout
/// and reported an error of `kind` and `delivery` (none for how a wait or a
/// walk ended: that is not one request), which it returns.
async fn failure(c: assert_cmd::Command, code: i32, kind: &str, delivery: Option<&str>) -> Value {
    let r = expect(c, code).await;
    assert_eq!(r.stdout, "");
    let e = r.stderr_error();
    assert_eq!(e["kind"], json!(kind));
    assert_eq!(
        e.get("delivery"),
        delivery.map(|d| json!(d)).as_ref(),
        "{e}"
    );
    e
}

/// An emulator whose jobs take 300 ms.
async fn quick_emulator() -> EmulatorHandle {
    emulator(KEY, Duration::from_millis(300)).await
}

/// An emulator on a clock that only moves when the test says so.
async fn manual_emulator() -> EmulatorHandle {
    start(emulator_builder(KEY, Duration::from_secs(10)).manual_clock()).await
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

/// The lines of `text`, each split at whitespace.
fn rows(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .map(|l| l.split_whitespace().collect())
        .collect()
}

/// The JSON of a job `id` that completed with `total_rows`.
fn assert_completed_json(v: &Value, id: &str, total_rows: i64) {
    assert_eq!(v["jobId"], json!(id));
    assert_eq!(v["state"], json!("Completed"));
    assert_eq!(v["progress"], json!(100));
    assert_eq!(v["totalRows"], json!(total_rows));
}

// ---------------------------------------------------------------- help

#[test]
fn help_lists_the_commands_and_exit_codes() {
    let out = cli().arg("--help").output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let text = squash(&String::from_utf8(out.stdout).expect("utf-8"));
    for command in [
        "create", "describe", "list", "wait", "commit", "abort", "emulator",
    ] {
        assert!(
            Regex::new(&format!(r"\b{command}\b"))
                .unwrap()
                .is_match(&text),
            "{command} in {text}"
        );
    }
    assert!(
        text.contains(
            "Exit codes: 0 success; a wait also ends 0 when a two-phase import \
             (--no-auto-commit) reaches Uncommitted and awaits commit \
             2 bad usage or invalid input (nothing was sent) \
             3 the API answered with an error code (e.g. a refused commit or abort) \
             4 network, HTTP or decoding failure; \
             a listing the server kept from ending (a page repeated, or the page limit reached) \
             5 the import job failed, or was aborted 6 --timeout passed: waiting for the job timed out, \
             or a request was cut short (the error says it may have been sent) or could not be sent \
             130 interrupted by SIGINT (Ctrl-C) 141 stdout was closed before everything was printed \
             (as SIGPIPE would) 143 terminated by SIGTERM"
        ),
        "{text}"
    );
    assert!(
        text.ends_with(
            "A job that `create` started is reported however the command ends (an error, a \
             signal, a closed stdout): with --output json as the document {\"jobId\": ...} on \
             stdout, and in a note on stderr."
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
    let h = quick_emulator().await;
    let args = create_args_on(
        CLUSTER,
        "medium_articles",
        URL,
        &[
            "--partition",
            "p2024",
            "--db",
            "db1",
            "--idempotency-key",
            "idem-cli-1",
        ],
    );
    let r = expect(cmd(&h, &args), 0).await;
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
    let h = quick_emulator().await;
    let (r, v) = run_json(jcmd(&h, &create_args(&[]))).await;
    let jobs = h.jobs();
    assert_eq!(jobs.len(), 1);
    assert_eq!(v, json!({ "jobId": jobs[0].job_id }));
    assert_eq!(r.stderr, "");
    assert_eq!(jobs[0].idempotency_key, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_cluster_and_storage_credentials_come_from_the_environment() {
    let h = quick_emulator().await;
    let mut c = cli();
    c.env("ZILLIZ_API_KEY", KEY)
        .env("ZILLIZ_BASE_URL", h.base_url())
        .env("ZILLIZ_CLUSTER_ID", CLUSTER)
        .env("ZILLIZ_ACCESS_KEY", "ak-from-env")
        .env("ZILLIZ_SECRET_KEY", "sk-from-env")
        .args(["create", "--collection", "c", "--object-url", URL]);
    let r = expect(c, 0).await;
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
    let h = quick_emulator().await;
    let r = expect(cmd(&h, &create_args(&["--wait"])), 0).await;
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
    let h = quick_emulator().await;
    let (r, v) = run_json(jcmd(&h, &create_args(&["--wait"]))).await;
    let job = h.jobs().remove(0);
    assert_completed_json(&v, &job.job_id, job.total_rows);
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
    let describe = cluster_args("describe", &[&id]);
    let (r, v) = run_json(jcmd(&h, &describe)).await;
    assert_eq!(r.stderr, "");
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
    let (_, v) = run_json(jcmd(&h, &describe)).await;
    let complete_time = v["completeTime"].as_str().expect("completeTime").to_owned();
    assert!(!complete_time.is_empty());
    // One file: the job's own fields are those of its only `details` entry.
    let file = json!({
        "fileName": job.file_name,
        "fileSize": job.file_size,
        "state": "Completed",
        "progress": 100,
        "totalRows": job.total_rows,
        "completeTime": complete_time,
        "reason": null,
    });
    let mut expected = json!({
        "jobId": id,
        "collectionName": "medium_articles",
        "details": [file.clone()],
    });
    let top = expected.as_object_mut().expect("an object");
    top.extend(file.as_object().expect("an object").clone());
    assert_eq!(v, expected);

    let r = expect(cmd(&h, &describe), 0).await;
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
    let r = expect(cmd(&h, &cluster_args("describe", &[&id])), 0).await;
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

    let page_2 = cluster_args("list", &["--page", "2", "--page-size", "1"]);
    let (r, v) = run_json(jcmd(&h, &page_2)).await;
    assert_eq!(r.stderr, "");
    assert_eq!(
        v,
        json!({
            "count": 3,
            "currentPage": 2,
            "pageSize": 1,
            "records": [{"jobId": ids[1], "collectionName": "c2", "state": "Pending", "progress": 0}],
        })
    );

    // Halfway: list's `InProgress` reads as Importing.
    h.advance(Duration::from_millis(5_500));
    let r = expect(cmd(&h, &cluster_args("list", &[])), 0).await;
    assert_eq!(
        rows(&r.stdout),
        vec![
            vec!["JOB", "ID", "STATE", "PROGRESS", "COLLECTION"],
            vec![ids[0].as_str(), "Importing", "50%", "c1"],
            vec![ids[1].as_str(), "Importing", "50%", "c2"],
            vec![ids[2].as_str(), "Importing", "50%", "c3"],
        ],
        "{r:#?}"
    );

    let r = expect(cmd(&h, &page_2), 0).await;
    let table = rows(&r.stdout);
    assert_eq!(table.len(), 2, "{r:#?}");
    assert_eq!(table[1], vec![ids[1].as_str(), "Importing", "50%", "c2"]);
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
    let (_, v) = run_json(jcmd(&h, &cluster_args("list", &["--all"]))).await;
    let records: Vec<Value> = ids
        .iter()
        .enumerate()
        .map(|(n, id)| {
            json!({"jobId": id, "collectionName": format!("c{n}"), "state": "Pending", "progress": 0})
        })
        .collect();
    assert_eq!(v, json!({ "count": 12, "records": records }));
    assert_eq!(count_path(&h, LIST_PATH), 2);

    // Page size 4: three full pages; the total the emulator reports (12)
    // ends the walk without asking for an empty fourth.
    let all_by_4 = cluster_args("list", &["--all", "--page-size", "4"]);
    let r = expect(cmd(&h, &all_by_4), 0).await;
    let listed: Vec<&str> = r
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(listed, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(count_path(&h, LIST_PATH), 2 + 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_all_conflicts_with_page() {
    let h = manual_emulator().await;
    let r = expect(cmd(&h, &cluster_args("list", &["--all", "--page", "2"])), 2).await;
    assert!(r.stderr.contains("cannot be used with"), "{r:#?}");
    assert_eq!(h.requests().len(), 0);
}

// ---------------------------------------------------------------- wait

#[tokio::test(flavor = "multi_thread")]
async fn wait_text_and_json_follow_a_job_to_completion() {
    let h = quick_emulator().await;
    let id = lib_create(&h, "c", URL).await;
    let wait = cluster_args("wait", &[&id]);
    let r = expect(cmd(&h, &wait), 0).await;
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

    let (r, v) = run_json(jcmd(&h, &wait)).await;
    assert_completed_json(&v, &id, job.total_rows);
    // Already complete: a single progress line.
    assert_eq!(r.stderr, format!("job {id}: Completed 100%\n"));
}

// ---------------------------------------------------------------- exit code 2

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2_and_send_nothing() {
    let h = quick_emulator().await;
    let cases: [(Vec<&str>, &str); 8] = [
        (
            cluster_args("create", &["--object-url", URL]),
            "--collection <COLLECTION>",
        ),
        (
            vec!["create", "--collection", "c", "--object-url", URL],
            "give --cluster-id, or --project-id with --region-id",
        ),
        (cluster_args("describe", &[]), "<JOB_ID>"),
        (
            vec!["--output", "yaml", "list", "--cluster-id", CLUSTER],
            "yaml",
        ),
        (cluster_args("list", &["--page-size", "ten"]), "ten"),
        (cluster_args("wait", &["1", "--timeout", "soon"]), "soon"),
        (create_args(&["--timeout", "1s"]), "--wait"),
        (vec!["frobnicate"], "frobnicate"),
    ];
    for (args, mention) in cases {
        let r = run(cmd(&h, &args)).await;
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
    let h = quick_emulator().await;

    let create = |url: &'static str| create_args_on(CLUSTER, "c", url, &[]);
    let e = failure(
        jcmd(&h, &create("nope")),
        2,
        "invalid_input",
        Some("NotSent"),
    )
    .await;
    assert_eq!(e["field"], json!("objectUrl"));
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

    let e = run_error(jcmd(&h, &create("s3://")), 2).await;
    assert_eq!(e["field"], json!("objectUrl"));

    // Text mode: one line, `error: ` and the message.
    let r = expect(cmd(&h, &create("nope")), 2).await;
    assert!(
        r.stderr
            .starts_with("error: invalid input: objectUrl: `nope` is not a URL"),
        "{r:#?}"
    );
    assert_eq!(r.stderr.lines().count(), 1);

    for (args, field) in [
        (create_args(&["--secret-key", "sk-only"]), "accessKey"),
        (create_args_on(CLUSTER, " ", URL, &[]), "collectionName"),
    ] {
        let e = run_error(jcmd(&h, &args), 2).await;
        assert_eq!(e["field"], json!(field));
    }

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
        let full = [&args[..], &["--cluster-id", CLUSTER]].concat();
        let e = run_error(jcmd(&h, &full), 2).await;
        assert_eq!(e["field"], json!(field), "{args:?}");
        assert_eq!(e["message"], json!(message), "{args:?}");
    }

    let e = run_error(jcmd(&h, &cluster_args("describe", &[" "])), 2).await;
    assert_eq!(e["field"], json!("jobId"));

    assert_eq!(
        h.requests().len(),
        0,
        "nothing reached the emulator: {:?}",
        h.requests()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_configuration_exits_2_and_sends_nothing() {
    let h = quick_emulator().await;
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
    let e = run_error(c, 2).await;
    assert_eq!(e["kind"], json!("invalid_config"));
    assert!(e["message"].as_str().unwrap().contains("no API key"), "{e}");

    let c = cmd_at("http://example.com", KEY, &cluster_args("list", &[]));
    let r = expect(c, 2).await;
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
    let h = quick_emulator().await;

    let describe = cluster_args("describe", &["4242"]);
    let e = failure(jcmd(&h, &describe), 3, "api", Some("Received")).await;
    assert_eq!(e["code"], json!(96026));
    assert_eq!(e["status"], json!(200));
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

    let r = expect(cmd(&h, &describe), 3).await;
    assert_eq!(r.stdout, "");
    let re = Regex::new(
        r"^error: API error 96026 \(HTTP 200\) \[request id [0-9a-f]{32}\]: job not found: jobId '4242' does not exist in cluster 'in01-emulator'\n$",
    )
    .unwrap();
    assert!(re.is_match(&r.stderr), "{r:#?}");

    // Wrong key: HTTP 401 with 21119, not retried.
    let before = h.requests().len();
    let list = json_args(&cluster_args("list", &[]));
    let e = run_error(cmd_at(&h.base_url(), "wrong-key", &list), 3).await;
    assert_eq!(e["code"], json!(21119));
    assert_eq!(e["status"], json!(401));
    assert_eq!(e["apiMessage"], json!("The apikey is illegal."));
    let reqs = h.requests();
    assert_eq!(reqs.len(), before + 1);
    assert!(!reqs[before].authorized);

    // Unknown cluster.
    let create = create_args_on("in01-nope", "c", URL, &[]);
    let e = run_error(jcmd(&h, &create), 3).await;
    assert_eq!(e["code"], json!(96018));
    assert_eq!(h.job_count(), 0);
}

// ---------------------------------------------------------------- exit code 4

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_port_exits_4() {
    let base = closed_port_url();
    let describe = json_args(&cluster_args("describe", &["1"]));
    let e = failure(cmd_at(&base, KEY, &describe), 4, "connect", Some("NotSent")).await;
    assert_eq!(e["attempts"], json!(3), "connection failures are retried");
    assert_eq!(e.get("code"), None);

    let r = expect(cmd_at(&base, KEY, &create_args(&[])), 4).await;
    assert!(
        r.stderr
            .starts_with("error: could not connect (request not sent) after 3 attempt(s): "),
        "{r:#?}"
    );

    // `wait` polls through connection failures until its deadline: exit 6.
    let wait = json_args(&cluster_args("wait", &["1", "--timeout", "300ms"]));
    let e = run_error(cmd_at(&base, KEY, &wait), 6).await;
    assert_eq!(e["kind"], json!("wait_timed_out"));
    // A wait only reads: its end is not a request in doubt. Why it saw
    // nothing is the last poll's failure, a request that never left.
    assert_eq!(e.get("delivery"), None, "{e}");
    assert_eq!(e["lastError"]["kind"], json!("connect"), "{e}");
    assert_eq!(e["lastError"]["delivery"], json!("NotSent"), "{e}");
    let message = e["message"].as_str().unwrap();
    assert!(
        message.contains("; no progress was seen; the last poll failed: could not connect"),
        "{e}"
    );
    // ... and says so as it goes, instead of waiting in silence.
    let text_wait = cluster_args("wait", &["1", "--timeout", "300ms"]);
    let r = expect(cmd_at(&base, KEY, &text_wait), 6).await;
    assert!(
        // As many attempts as fit before the deadline.
        r.stderr.starts_with(
            "job 1: poll failed, polling again: could not connect (request not sent) after "
        ),
        "{r:#?}"
    );
}

/// Log lines on a pipe (a file, CI) should be plain text, as the progress
/// output already is; today they carry ANSI colour codes.
#[tokio::test(flavor = "multi_thread")]
async fn verbose_logs_on_a_pipe_are_plain_text() {
    let h = quick_emulator().await;
    let r = expect(cmd(&h, &["-vv", "list", "--cluster-id", CLUSTER]), 0).await;
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
    let h = quick_emulator().await;
    let url = "s3://bucket/fail/data.parquet";
    let create = create_args_on(CLUSTER, "c", url, &["--wait"]);
    let r = expect(jcmd(&h, &create), 5).await;
    let job = h.jobs().remove(0);
    assert_eq!(job.state, JobState::Failed);
    // The job was created: its id is the result document, and the error names it.
    assert_eq!(r.stdout_json(), json!({ "jobId": job.job_id }));
    let e = r.stderr_error();
    assert_eq!(e["kind"], json!("import_failed"));
    assert_eq!(e.get("delivery"), None, "not one request: {e}");
    assert_eq!(e["jobId"], json!(job.job_id));
    assert_eq!(
        e["message"],
        json!(format!(
            "import job {} failed: failed to read object {url}: access denied (emulated failure)",
            job.job_id
        ))
    );

    let id = lib_create(&h, "c", url).await;
    let r = expect(cmd(&h, &cluster_args("wait", &[&id])), 5).await;
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
    let wait = cluster_args("wait", &[&id, "--timeout", "50ms"]);
    let e = failure(jcmd(&h, &wait), 6, "wait_timed_out", None).await;
    assert_eq!(e.get("lastError"), None, "no poll failed: {e}");
    let msg = e["message"].as_str().unwrap();
    assert!(msg.starts_with("gave up waiting after "), "{msg}");
    assert!(
        msg.ends_with(&format!("; last seen: job {id} Pending at 0%")),
        "{msg}"
    );
    assert_eq!(h.jobs()[0].state, JobState::Pending, "the job goes on");

    let create = create_args(&["--wait", "--timeout", "50ms"]);
    let r = expect(cmd(&h, &create), 6).await;
    assert_eq!(h.job_count(), 2);
    let second = &h.jobs()[1].job_id;
    assert!(
        r.stderr
            .starts_with(&format!("created import job {second}\n")),
        "{r:#?}"
    );
    let last: Vec<&str> = r.stderr.lines().rev().take(2).collect();
    assert!(
        last[1].starts_with("error: gave up waiting after "),
        "{r:#?}"
    );
    assert_eq!(
        last[0],
        format!("note: import job {second} was created and goes on server-side")
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
        .expect("the 200 ms job completes")
        .completed()
        .expect("Completed, not awaiting commit");
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
    assert_wrong_key(&e);

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
    let r = expect(c, 2).await;
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
    // No key from the environment: refused before any request.
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no API key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
