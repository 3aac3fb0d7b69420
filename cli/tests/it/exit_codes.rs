//! Each documented exit code of the `zilliz-import` binary, run for real
//! against an in-process emulator or a closed port: what it prints on
//! stdout and stderr, in text and JSON, and that usage errors and invalid
//! input send nothing.

use std::time::Duration;

use regex::Regex;
use serde_json::json;
use zilliz_import_emulator::JobState;

use crate::{
    common::{
        cli_env::{
            KEY, URL, ZILLIZ_VARS, cli, cli_at, cluster_args, cmd, create_args, create_args_on,
            expect, failure, jcmd, json_args, lib_create, quick_emulator, run, run_error,
        },
        faulty_server::refused_url,
    },
    emulator_env::{CLUSTER, emulator},
};

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

    let c = cli_at("http://example.com", KEY, &cluster_args("list", &[]));
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
    let e = run_error(cli_at(&h.base_url(), "wrong-key", &list), 3).await;
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
    let base = refused_url();
    let describe = json_args(&cluster_args("describe", &["1"]));
    let e = failure(cli_at(&base, KEY, &describe), 4, "connect", Some("NotSent")).await;
    assert_eq!(e["attempts"], json!(3), "connection failures are retried");
    assert_eq!(e.get("code"), None);

    let r = expect(cli_at(&base, KEY, &create_args(&[])), 4).await;
    assert!(
        r.stderr
            .starts_with("error: could not connect (request not sent) after 3 attempt(s): "),
        "{r:#?}"
    );

    // `wait` polls through connection failures until its deadline: exit 6.
    let wait = json_args(&cluster_args("wait", &["1", "--timeout", "300ms"]));
    let e = run_error(cli_at(&base, KEY, &wait), 6).await;
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
    let r = expect(cli_at(&base, KEY, &text_wait), 6).await;
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
