//! The `zilliz-import` binary, run for real against an in-process emulator:
//! its help, and the output of every command that follows a job (create,
//! describe, list, wait) in text and JSON. The exit codes of failures are
//! `exit_codes.rs`; the `emulator` command is `emulator_command.rs`.

use std::time::Duration;

use regex::Regex;
use serde_json::{Value, json};
use zilliz_import_emulator::JobState;

use crate::{
    common::{
        CREATE_PATH, LIST_PATH,
        cli_env::{
            KEY, URL, cli, cluster_args, cmd, create_args, create_args_on, expect, jcmd,
            lib_create, manual_emulator, quick_emulator, run_json, squash,
        },
    },
    emulator_env::{CLUSTER, sent_to},
};

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
        "create", "describe", "list", "wait", "commit", "abort", "emulator", "write", "volume",
        "upload", "load",
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
             2 bad usage or invalid input (nothing was sent; `write`: a bad row, schema \
             or input file, and no file left in --out; `upload`: a source, a destination or a \
             volume's limit that rules the upload out) \
             3 the API answered with an error code (e.g. a refused commit or abort) \
             4 network, HTTP or decoding failure; \
             a listing the server kept from ending (a page repeated, or the page limit reached); \
             an object store's failure (`upload`: its journals keep the parts sent) \
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
    let before = sent_to(&h, LIST_PATH).len();
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
    assert_eq!(sent_to(&h, LIST_PATH).len(), 2);

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
    assert_eq!(sent_to(&h, LIST_PATH).len(), 2 + 3);
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
