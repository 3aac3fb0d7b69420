//! `zilliz-import wait` with several job ids, run for real against the
//! emulator: a line per event in text (stderr is not a terminal under the
//! test harness), one `{"jobs": [...]}` document in JSON, the exit code of
//! the worst job (5, 3, 4, 6, then 0), and the global `--rate-limit`.

use std::time::{Duration, Instant};

use regex::Regex;
use serde_json::{Value, json};
use zilliz_import::CreateImportJob;
use zilliz_import_emulator::{DEFAULT_MILVUS_TOKEN, Emulator, EmulatorHandle, JobState};

use crate::{
    common::{
        ABORT_PATH, COMMIT_PATH, DESCRIBE_PATH, LIST_PATH,
        cli_env::{KEY, Run, URL, cli, cluster_args, cmd_on, expect, lib_create, run, squash},
    },
    emulator_env::{CLUSTER, emulator, emulator_builder, sent_to, start},
};

/// The emulator of [`emulator`] fails jobs whose URL contains "fail", at
/// half their duration.
const FAIL_URL: &str = "s3://bucket/fail/data.parquet";
const FAILED_REASON: &str =
    "failed to read object s3://bucket/fail/data.parquet: access denied (emulated failure)";
/// A job the emulator does not know: describe answers 96026.
const UNKNOWN: &str = "4242";

/// Creates a job of `url` on the emulator's cluster through the library.
async fn create(h: &EmulatorHandle, url: &str) -> String {
    lib_create(h, "c", url).await
}

/// `wait --cluster-id CLUSTER`, the ids, then `extra`.
fn wait_args<'a>(ids: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    cluster_args("wait", &[ids, extra].concat())
}

/// [`wait_args`] with `--output json` first.
fn json_wait_args<'a>(ids: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    [&["--output", "json"][..], &wait_args(ids, extra)].concat()
}

/// The `jobs` of the document on stdout, with their `jobId`s in order.
fn jobs(r: &Run) -> Vec<Value> {
    let doc = r.stdout_json();
    let obj = doc.as_object().expect("an object");
    assert_eq!(obj.len(), 1, "only `jobs` at the top: {doc}");
    doc["jobs"].as_array().expect("`jobs` is an array").clone()
}

/// The `jobId`s of `entries`, in order.
fn job_ids(entries: &[Value]) -> Vec<&str> {
    entries
        .iter()
        .map(|e| e["jobId"].as_str().expect("a jobId"))
        .collect()
}

/// The entry of a job that completed.
fn assert_completed(entry: &Value, id: &str) {
    assert_eq!(entry["jobId"], json!(id), "{entry}");
    assert_eq!(entry["state"], json!("Completed"), "{entry}");
    assert_eq!(entry["progress"], json!(100), "{entry}");
    assert_eq!(entry["outcome"], json!("completed"), "{entry}");
    assert_eq!(entry["exitCode"], json!(0), "{entry}");
    assert_eq!(entry.get("error"), None, "{entry}");
}

/// The entry of a job whose wait failed: `{"jobId", "exitCode", "error"}`,
/// the error of `kind`, which it returns.
fn failed_entry(entry: &Value, id: &str, code: i32, kind: &str) -> Value {
    let obj = entry.as_object().expect("an object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["error", "exitCode", "jobId"], "{entry}");
    assert_eq!(entry["jobId"], json!(id), "{entry}");
    assert_eq!(entry["exitCode"], json!(code), "{entry}");
    let e = entry["error"].clone();
    assert_eq!(e["kind"], json!(kind), "{entry}");
    e
}

/// How many describes of `id` reached the emulator.
fn describes_of(h: &EmulatorHandle, id: &str) -> usize {
    sent_to(h, DESCRIBE_PATH)
        .into_iter()
        .filter(|r| r.body["jobId"] == json!(id))
        .count()
}

/// The entry of the unknown job: the API's 96026.
fn assert_unknown(entry: &Value) {
    let e = failed_entry(entry, UNKNOWN, 3, "api");
    assert_eq!(e["code"], json!(96026), "{e}");
    assert_eq!(e["delivery"], json!("Received"), "{e}");
    assert_eq!(
        e["apiMessage"],
        json!(format!(
            "job not found: jobId '{UNKNOWN}' does not exist in cluster '{CLUSTER}'"
        ))
    );
}

/// The lines of `text` about job `id` (each line is about one job).
fn lines_of<'a>(text: &'a str, id: &str) -> Vec<&'a str> {
    let head = format!("job {id}: ");
    text.lines().filter(|l| l.starts_with(&head)).collect()
}

/// A job's event lines: progress lines that never go back, then `end`.
fn assert_events(text: &str, id: &str, end: &str) {
    let lines = lines_of(text, id);
    let progress = Regex::new(&format!(
        r"^job {}: (Pending|Importing) (\d+)%$",
        regex::escape(id)
    ))
    .unwrap();
    let (last, before) = lines.split_last().expect("lines about the job");
    assert_eq!(*last, format!("job {id}: {end}"), "{text}");
    let mut seen = 0u32;
    for line in before {
        let caps = progress
            .captures(line)
            .unwrap_or_else(|| panic!("a progress line: {line:?} in {text}"));
        let pct: u32 = caps[2].parse().unwrap();
        assert!(pct >= seen, "progress went back: {text}");
        seen = pct;
    }
}

// ---------------------------------------------------------------- exit 0

#[tokio::test(flavor = "multi_thread")]
async fn three_jobs_in_text_print_a_line_per_event_and_exit_0() {
    // Long enough that the first poll of each job sees it running.
    let h = emulator(KEY, Duration::from_secs(3)).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(create(&h, URL).await);
    }
    let given: Vec<&str> = ids.iter().map(String::as_str).collect();
    let r = expect(cmd_on(&h, KEY, &wait_args(&given, &[])), 0).await;
    assert_eq!(r.stderr, "", "no poll failed: {r:#?}");
    let head = Regex::new(r"^job (\S+): ").unwrap();
    for line in r.stdout.lines() {
        let id = &head.captures(line).unwrap_or_else(|| panic!("{line:?}"))[1];
        assert!(given.contains(&id), "{line:?}");
    }
    for id in &given {
        assert_events(&r.stdout, id, "completed");
        assert!(
            lines_of(&r.stdout, id).len() >= 2,
            "progress, then the end: {r:#?}"
        );
    }
    assert!(h.jobs().iter().all(|j| j.state == JobState::Completed));
}

#[tokio::test(flavor = "multi_thread")]
async fn three_jobs_in_json_print_one_document_in_the_order_given() {
    let h = emulator(KEY, Duration::from_millis(300)).await;
    let a = create(&h, URL).await;
    let b = create(&h, URL).await;
    let c = create(&h, URL).await;
    // Not in the order created; a repeated id is followed once.
    let r = expect(cmd_on(&h, KEY, &json_wait_args(&[&c, &a, &b, &a], &[])), 0).await;
    let entries = jobs(&r);
    assert_eq!(job_ids(&entries), [&c, &a, &b]);
    for (entry, job) in entries.iter().zip([&c, &a, &b]) {
        assert_completed(entry, job);
        let held = h.jobs().into_iter().find(|j| &j.job_id == job).unwrap();
        assert_eq!(entry["totalRows"], json!(held.total_rows));
    }
    // The event lines go to stderr, where stdout holds the document.
    for id in [&a, &b, &c] {
        assert_events(&r.stderr, id, "completed");
    }
}

#[tokio::test]
async fn a_two_phase_job_among_completed_ones_is_ready_to_commit_exit_0() {
    let h = start(
        Emulator::builder()
            .milvus()
            .job_duration(Duration::from_millis(300)),
    )
    .await;
    let milvus = crate::emulator_env::client(&h.base_url(), DEFAULT_MILVUS_TOKEN);
    let mut ids = Vec::new();
    for two_phase in [false, true, false] {
        let job = CreateImportJob::from_files("c", [["a.parquet"]]).auto_commit(!two_phase);
        ids.push(milvus.create_import_job(job).await.expect("create").job_id);
    }
    let (one, two_phase, three) = (&ids[0], &ids[1], &ids[2]);
    let given = ["--output", "json", "wait", one, two_phase, three];
    let r = expect(cmd_on(&h, DEFAULT_MILVUS_TOKEN, &given), 0).await;
    let entries = jobs(&r);
    assert_eq!(job_ids(&entries), [one, two_phase, three]);
    assert_completed(&entries[0], one);
    assert_completed(&entries[2], three);
    let ready = &entries[1];
    assert_eq!(ready["state"], json!("Uncommitted"), "{ready}");
    assert_eq!(ready["outcome"], json!("ready_to_commit"), "{ready}");
    assert_eq!(ready["exitCode"], json!(0), "{ready}");

    let r = expect(
        cmd_on(&h, DEFAULT_MILVUS_TOKEN, &["wait", one, two_phase, three]),
        0,
    )
    .await;
    assert_eq!(
        lines_of(&r.stdout, two_phase),
        [format!(
            "job {two_phase}: ready to commit (zilliz-import commit {two_phase}, or abort {two_phase})"
        )],
        "already ended: one line each"
    );
    assert_eq!(lines_of(&r.stdout, one), [format!("job {one}: completed")]);
    let held = h.jobs();
    assert_eq!(held[1].state, JobState::Uncommitted, "nothing committed it");
    assert!(sent_to(&h, COMMIT_PATH).is_empty());
}

// ---------------------------------------------------------------- the worst wins

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_job_among_others_exits_5_and_an_unknown_one_3() {
    let h = emulator(KEY, Duration::from_millis(300)).await;
    let ok = create(&h, URL).await;
    let failing = create(&h, FAIL_URL).await;

    let r = expect(
        cmd_on(&h, KEY, &json_wait_args(&[&ok, &failing, UNKNOWN], &[])),
        5,
    )
    .await;
    let entries = jobs(&r);
    assert_eq!(job_ids(&entries), [ok.as_str(), &failing, UNKNOWN]);
    assert_completed(&entries[0], &ok);
    let e = failed_entry(&entries[1], &failing, 5, "import_failed");
    assert_eq!(e["jobId"], json!(failing));
    assert_eq!(e["state"], json!("Failed"));
    assert_eq!(
        e["message"],
        json!(format!("import job {failing} failed: {FAILED_REASON}"))
    );
    assert_eq!(e.get("delivery"), None, "not one request: {e}");
    assert_unknown(&entries[2]);
    assert_eq!(
        describes_of(&h, UNKNOWN),
        1,
        "an unknown job ends its wait at once"
    );

    // Text: the same ends, a line each.
    let r = expect(
        cmd_on(&h, KEY, &wait_args(&[&ok, &failing, UNKNOWN], &[])),
        5,
    )
    .await;
    assert_events(&r.stdout, &ok, "completed");
    assert_events(&r.stdout, &failing, &format!("failed: {FAILED_REASON}"));
    let unknown = lines_of(&r.stdout, UNKNOWN);
    assert_eq!(unknown.len(), 1, "{r:#?}");
    let re = Regex::new(&format!(
        r"^job {UNKNOWN}: error: API error 96026 \(HTTP 200\) \[request id [0-9a-f]{{32}}\]: job not found: jobId '{UNKNOWN}' does not exist in cluster '{CLUSTER}'$"
    ))
    .unwrap();
    assert!(re.is_match(unknown[0]), "{r:#?}");
    assert_eq!(describes_of(&h, UNKNOWN), 2);

    // Without the failed job, the API's error is the worst.
    let r = expect(cmd_on(&h, KEY, &json_wait_args(&[UNKNOWN, &ok], &[])), 3).await;
    let entries = jobs(&r);
    assert_eq!(job_ids(&entries), [UNKNOWN, ok.as_str()]);
    assert_unknown(&entries[0]);
    assert_completed(&entries[1], &ok);
    let r = expect(cmd_on(&h, KEY, &wait_args(&[&ok, UNKNOWN], &[])), 3).await;
    assert_eq!(lines_of(&r.stdout, &ok), [format!("job {ok}: completed")]);
}

/// An emulator on a clock that only moves when the test says so: a job
/// completed, and one that stays Pending.
async fn completed_and_pending() -> (EmulatorHandle, String, String) {
    let h = start(emulator_builder(KEY, Duration::from_secs(10)).manual_clock()).await;
    let done = create(&h, URL).await;
    h.advance(Duration::from_secs(10));
    let pending = create(&h, URL).await;
    (h, done, pending)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_timed_out_job_among_completed_ones_exits_6_unless_worse() {
    let (h, done, pending) = completed_and_pending().await;
    let r = expect(
        cmd_on(
            &h,
            KEY,
            &json_wait_args(&[&done, &pending], &["--timeout", "500ms"]),
        ),
        6,
    )
    .await;
    let entries = jobs(&r);
    assert_completed(&entries[0], &done);
    let e = failed_entry(&entries[1], &pending, 6, "wait_timed_out");
    assert_eq!(e["jobId"], json!(pending));
    assert_eq!(e["state"], json!("Pending"));
    assert_eq!(e.get("abort"), None, "not told to abort: {e}");
    let message = e["message"].as_str().unwrap();
    assert!(message.starts_with("gave up waiting after "), "{e}");
    assert!(
        message.ends_with(&format!("; last seen: job {pending} Pending at 0%")),
        "{e}"
    );
    assert_eq!(h.jobs()[1].state, JobState::Pending, "the job goes on");

    let r = expect(
        cmd_on(
            &h,
            KEY,
            &wait_args(&[&pending, &done], &["--timeout", "500ms"]),
        ),
        6,
    )
    .await;
    assert_eq!(
        lines_of(&r.stdout, &done),
        [format!("job {done}: completed")]
    );
    let mine = lines_of(&r.stdout, &pending);
    assert_eq!(mine[0], format!("job {pending}: Pending 0%"), "{r:#?}");
    let last = mine.last().unwrap();
    assert!(
        last.starts_with(&format!("job {pending}: timed out: gave up waiting after ")),
        "{r:#?}"
    );
    assert!(
        last.ends_with(&format!("; last seen: job {pending} Pending at 0%")),
        "{r:#?}"
    );

    // An API error is worse than a timeout.
    let r = expect(
        cmd_on(
            &h,
            KEY,
            &json_wait_args(&[&done, &pending, UNKNOWN], &["--timeout", "500ms"]),
        ),
        3,
    )
    .await;
    let entries = jobs(&r);
    assert_eq!(entries[1]["exitCode"], json!(6));
    assert_eq!(entries[2]["exitCode"], json!(3));
}

#[tokio::test(flavor = "multi_thread")]
async fn abort_on_timeout_aborts_each_job_still_running() {
    let (h, done, pending) = completed_and_pending().await;
    let other = create(&h, URL).await;
    let r = expect(
        cmd_on(
            &h,
            KEY,
            &json_wait_args(
                &[&done, &pending, &other],
                &["--timeout", "500ms", "--abort-on-timeout"],
            ),
        ),
        6,
    )
    .await;
    let entries = jobs(&r);
    assert_completed(&entries[0], &done);
    for (entry, id) in entries[1..].iter().zip([&pending, &other]) {
        let e = failed_entry(entry, id, 6, "wait_timed_out");
        assert_eq!(
            e["abort"],
            json!({"accepted": true, "already": null}),
            "{e}"
        );
    }
    let aborts = sent_to(&h, ABORT_PATH);
    let mut aborted: Vec<&str> = aborts
        .iter()
        .map(|r| r.body["jobId"].as_str().unwrap())
        .collect();
    aborted.sort_unstable();
    let mut expected = [pending.as_str(), other.as_str()];
    expected.sort_unstable();
    assert_eq!(aborted, expected, "the completed job is left alone");
    let held = h.jobs();
    assert_eq!(held[0].state, JobState::Completed);
    assert_eq!(held[1].state, JobState::Failed);
    assert_eq!(held[2].state, JobState::Failed);
}

// ---------------------------------------------------------------- usage

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_of_a_wait_for_several_exit_2_and_send_nothing() {
    let h = emulator(KEY, Duration::from_millis(300)).await;
    // No id at all.
    let r = expect(cmd_on(&h, KEY, &cluster_args("wait", &[])), 2).await;
    assert!(r.stderr.contains("<JOB_ID>..."), "{r:#?}");
    // A blank id among others: refused as the one-job wait refuses it.
    let r = expect(cmd_on(&h, KEY, &json_wait_args(&["1", " ", "2"], &[])), 2).await;
    assert_eq!(r.stdout, "");
    let e = r.stderr_error();
    assert_eq!(e["kind"], json!("invalid_input"), "{e}");
    assert_eq!(e["field"], json!("jobId"), "{e}");
    assert_eq!(e["delivery"], json!("NotSent"), "{e}");
    let r = expect(cmd_on(&h, KEY, &wait_args(&["1", ""], &[])), 2).await;
    assert_eq!(
        r.stderr, "error: invalid input: jobId: must not be empty\n",
        "{r:#?}"
    );
    // A rate limit that is not a number of requests.
    for flag in [
        &["--rate-limit", "abc"][..],
        &["--rate-limit=-1"],
        &["--rate-limit", "2.5"],
    ] {
        let args = [flag, &wait_args(&["1", "2"], &[])].concat();
        let r = run(cmd_on(&h, KEY, &args)).await;
        r.assert_code(2);
        assert_eq!(r.stdout, "");
        assert!(r.stderr.starts_with("error: "), "{r:#?}");
        assert!(r.stderr.contains("--rate-limit <N>"), "{r:#?}");
    }
    let mut c = cmd_on(&h, KEY, &cluster_args("describe", &["1"]));
    c.env("ZILLIZ_RATE_LIMIT", "abc");
    let r = expect(c, 2).await;
    assert!(r.stderr.contains("abc"), "{r:#?}");
    assert_eq!(h.requests().len(), 0, "nothing reached the emulator");
}

// ---------------------------------------------------------------- --rate-limit

#[tokio::test(flavor = "multi_thread")]
async fn rate_limit_is_documented_and_taken_by_every_command() {
    let out = cli().arg("--help").output().expect("runs");
    let help = squash(&String::from_utf8(out.stdout).expect("utf-8"));
    assert!(
        help.contains(
            "--rate-limit <N> Send at most N requests per second for each kind of request \
             (create, describe, list, ...), whatever the command; 0: no limit. The default is \
             the service's documented limit [env: ZILLIZ_RATE_LIMIT=] [default: 20]"
        ),
        "{help}"
    );
    assert!(
        help.contains(
            "`wait` with several JOB_IDs exits with the worst of its jobs' codes, worst \
             first: 2 (nothing was sent), 5, 3, 4, 6, then 0."
        ),
        "{help}"
    );

    let h = emulator(KEY, Duration::from_millis(300)).await;
    let a = create(&h, URL).await;
    let b = create(&h, URL).await;
    for limit in ["0", "5"] {
        let args = [
            &["--rate-limit", limit][..],
            &json_wait_args(&[&a, &b], &[]),
        ]
        .concat();
        let r = expect(cmd_on(&h, KEY, &args), 0).await;
        assert_eq!(job_ids(&jobs(&r)), [&a, &b], "--rate-limit {limit}");
    }
    let mut c = cmd_on(&h, KEY, &wait_args(&[&a, &b], &[]));
    c.env("ZILLIZ_RATE_LIMIT", "7");
    expect(c, 0).await;

    // One request a second: three pages of a listing span two seconds.
    let pages = ["--rate-limit", "1", "list", "--cluster-id", CLUSTER];
    let pages = [&pages[..], &["--all", "--page-size", "1"]].concat();
    let _ = create(&h, URL).await;
    let before = sent_to(&h, LIST_PATH).len();
    let started = Instant::now();
    expect(cmd_on(&h, KEY, &pages), 0).await;
    let took = started.elapsed();
    assert_eq!(sent_to(&h, LIST_PATH).len(), before + 3);
    assert!(took >= Duration::from_millis(1900), "took {took:?}");
}
