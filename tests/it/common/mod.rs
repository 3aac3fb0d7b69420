//! Helpers shared by the integration tests: clients with fast retries,
//! ready-made envelopes and assertions, and the scripted loopback server
//! ([`faulty_server`]). The CLI crate's tests take this module as theirs
//! too (`cli/tests/it/common`), so its constants and paths are written once.

pub mod config_inputs;
pub mod faulty_server;
pub mod properties;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use faulty_server::Fault;
use httpmock::{Mock, MockServer, Then, prelude::POST};
use serde_json::{Value, json};
use zilliz_import::ErrorKind;
use zilliz_import::{Client, CreateImportJob, Error, ImportState, RetryPolicy, WaitOptions};
use zilliz_import_emulator::EmulatorHandle;

// ------------------------------------------------------------ fixtures
//
// Every id, key, path and URL the tests share, written once. A test keeps
// a literal of its own only where the value itself is what it checks (a
// blank id, a malformed URL, an unknown cluster).

/// The API key every client sends. Like the three below, a recognisable
/// secret: any of them showing up in output is a leak.
pub const API_KEY: &str = "APIKEY-SENTINEL-123";
/// A storage secret key (sent with [`ACCESS_KEY`]).
pub const SECRET_KEY: &str = "SECRET-SENTINEL-456";
/// A storage session token (sent with the access and secret key).
pub const SESSION_TOKEN: &str = "TOKEN-SENTINEL-789";
/// The signature of a presigned URL: the secret part of its query.
pub const SIGNATURE: &str = "SIG-SENTINEL";
/// A presigned URL's query: `X-Amz-Signature=` and [`SIGNATURE`].
pub const PRESIGNED_QUERY: &str = "X-Amz-Signature=SIG-SENTINEL";
/// What no output may hold. The signature alone is stricter than the whole
/// [`PRESIGNED_QUERY`]: it also catches a partial or re-encoded echo.
pub const SENTINELS: [&str; 4] = [API_KEY, SECRET_KEY, SESSION_TOKEN, SIGNATURE];
/// A storage access key: no secret (Debug shows it), but sent with one.
pub const ACCESS_KEY: &str = "AKIAEXAMPLE";

/// The seed example's cluster id: the cluster the tests target, save those
/// that run an emulator on its default one.
pub const CLUSTER: &str = "inxx-xxxxxxxxxxxxxxx";
/// A second cluster an emulator serves, whose jobs [`CLUSTER`] must not see.
pub const OTHER_CLUSTER: &str = "inxx-yyyyyyyyyyyyyyy";
/// A serverless project, the control plane's other target (with [`REGION`]).
pub const PROJECT: &str = "proj-0123456789abcdef";
/// The region of [`PROJECT`].
pub const REGION: &str = "aws-us-west-2";
/// The seed example's job id.
pub const JOB_ID: &str = "448707763884413158";
/// The seed example's collection.
pub const COLLECTION: &str = "medium_articles";

/// The seed's example object URL.
pub const SEED_URL: &str = "https://s3.us-west-2.amazonaws.com/publicdataset.zillizcloud.com/medium_articles_2020_dpr/medium_articles_2020_dpr.json";
/// The file of [`SEED_URL`] as describe names it: its path in the bucket.
pub const SEED_FILE: &str = "medium_articles_2020_dpr/medium_articles_2020_dpr.json";
/// An object URL where any would do.
pub const OBJECT_URL: &str = "s3://b/a.json";
/// Object URL groups: a NumPy group (one file per field), then a Parquet file.
pub const OBJECT_URL_GROUPS: [&[&str]; 2] = [
    &["s3://bucket/g1/id.npy", "s3://bucket/g1/vec.npy"],
    &["s3://bucket/g2/c.parquet"],
];
/// A volume of the control plane.
pub const VOLUME: &str = "my_volume";
/// Data paths in [`VOLUME`]: a file, then a folder.
pub const DATA_PATHS: [&[&str]; 2] = [&["json-folder/1.json"], &["f2/"]];

/// How long a job of the tests' emulators runs, in emulator time: Pending
/// for the first second; a failing one fails at 5 s; a two-phase one
/// awaits commit from 10 s.
pub const JOB_DURATION: Duration = Duration::from_secs(10);

/// A loopback base URL for clients that are built but send nothing (port
/// 9, discard, where nothing listens in the tests).
pub const UNUSED_BASE_URL: &str = "http://127.0.0.1:9";
/// [`UNUSED_BASE_URL`] over https.
pub const UNUSED_HTTPS_BASE_URL: &str = "https://127.0.0.1:9";

/// Where a create is sent.
pub const CREATE_PATH: &str = "/v2/vectordb/jobs/import/create";
/// Where a describe is sent.
pub const DESCRIBE_PATH: &str = "/v2/vectordb/jobs/import/describe";
/// Describe's older path, which a describe falls back to on a 404.
pub const GET_PROGRESS_PATH: &str = "/v2/vectordb/jobs/import/get_progress";
/// Where a list is sent.
pub const LIST_PATH: &str = "/v2/vectordb/jobs/import/list";
/// Where a commit is sent.
pub const COMMIT_PATH: &str = "/v2/vectordb/jobs/import/commit";
/// Where an abort is sent.
pub const ABORT_PATH: &str = "/v2/vectordb/jobs/import/abort";

// ----------------------------------------------------- reference facts
//
// What the references (`../shared/reference/`) state, for tests to expect
// without asking the crate, so that a rule the crate got wrong fails a test
// instead of passing on both sides.

/// The global control plane.
pub const CONTROL_PLANE: &str = "https://api.cloud.zilliz.com";
/// The control plane of the China regions.
pub const CONTROL_PLANE_CHINA: &str = "https://api.cloud.zilliz.com.cn";
/// The control plane's "job not found".
pub const JOB_NOT_FOUND: i64 = 96026;
/// Milvus's "import failed", which is also how it refuses a commit or an
/// abort the job's state does not allow.
pub const MILVUS_IMPORT_FAILED: i64 = 2100;
/// The most file groups Milvus takes in one request ("1,024 files per
/// request").
pub const MAX_FILE_GROUPS_MILVUS: usize = 1024;
/// The most file groups the control plane takes in one request ("up to
/// 1,000 files").
pub const MAX_FILE_GROUPS_CLOUD: usize = 1000;

/// [`OBJECT_URL_GROUPS`] or [`DATA_PATHS`] as a builder takes them.
pub fn owned(groups: &[&[&str]]) -> Vec<Vec<String>> {
    groups
        .iter()
        .map(|g| g.iter().map(|p| p.to_string()).collect())
        .collect()
}

/// The seed's example create.
pub fn seed_job() -> CreateImportJob {
    CreateImportJob::new(CLUSTER, COLLECTION, SEED_URL)
}

/// Matches a lower-case version 4 UUID and nothing else.
pub fn uuid_regex() -> regex::Regex {
    regex::Regex::new("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        .unwrap()
}

/// A presigned URL whose query is the signature sentinel.
pub fn presigned_url() -> String {
    format!("https://bucket.s3.amazonaws.com/data/a.parquet?{PRESIGNED_QUERY}")
}

/// Retries as by default (3 attempts) but with millisecond backoffs.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(5))
}

/// A client for `base` with the sentinel API key and fast retries.
pub fn client(base: &str) -> Client {
    client_with(base, fast_retry())
}

pub fn client_with(base: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .api_key(API_KEY)
        .base_url(base)
        .retry(retry)
        .build()
        .expect("client builds")
}

/// A client for the emulator `h`, with its token and no retries.
pub fn emulator_client(h: &EmulatorHandle) -> Client {
    Client::builder()
        .api_key(h.api_key())
        .base_url(h.base_url())
        .retry(RetryPolicy::none())
        .build()
        .expect("client builds")
}

/// As [`client`], giving up on each attempt after `timeout_ms`.
pub fn timing_out(base: &str, timeout_ms: u64) -> Client {
    Client::builder()
        .api_key(API_KEY)
        .base_url(base)
        .retry(fast_retry())
        .attempt_timeout(Duration::from_millis(timeout_ms))
        .build()
        .expect("client builds")
}

/// Panics if any sentinel secret occurs in `text`.
pub fn assert_no_secrets(what: &str, text: &str) {
    for s in SENTINELS {
        assert!(!text.contains(s), "{what} leaks {s:?}: {text}");
    }
}

/// Checks both renderings of an error.
pub fn assert_error_redacted(e: &zilliz_import::Error) {
    assert_no_secrets("Debug", &format!("{e:?}"));
    assert_no_secrets("Display", &e.to_string());
}

// ---------------------------------------------------------------- envelopes

pub fn ok(data: Value) -> Value {
    json!({"code": 0, "data": data})
}

/// What a create answers: `{"code": 0, "data": {"jobId": JOB_ID}}`.
pub fn created_body() -> Value {
    ok(json!({"jobId": JOB_ID}))
}

pub fn progress(state: &str, percent: i64) -> Value {
    ok(json!({"jobId": JOB_ID, "collectionName": COLLECTION, "state": state, "progress": percent}))
}

pub fn describe_body() -> Value {
    json!({"clusterId": CLUSTER, "jobId": JOB_ID})
}

// ------------------------------------------------------- scripted answers

/// A describe answer with `fields` over a minimal running job.
pub fn describe_with(fields: Value) -> Fault {
    let mut data = json!({"jobId": JOB_ID, "state": "Importing", "progress": 10});
    for (k, v) in fields.as_object().unwrap() {
        data[k] = v.clone();
    }
    Fault::json(200, &ok(data), &[])
}

/// A list answer of `page_size` jobs never seen before, whatever is asked.
pub fn endless_pages(count: Option<i64>) -> Fault {
    Fault::computed(move |n, seen| {
        let size = seen.json()["pageSize"].as_u64().unwrap_or(10);
        let records: Vec<Value> = (0..size)
            .map(
                |i| json!({"jobId": format!("job-{n}-{i}"), "state": "Completed", "progress": 100}),
            )
            .collect();
        Fault::json(200, &ok(json!({"count": count, "records": records})), &[])
    })
}

/// A describe answer echoing the key, a presigned query and a terminal
/// escape in every string it has, and the key in its request id header.
pub fn echoes_in_every_string() -> Fault {
    let echo = format!("x {API_KEY} \u{1b}[2J");
    let url = format!("s3://b/a.parquet?{PRESIGNED_QUERY}");
    Fault::json(
        200,
        &ok(json!({
            "jobId": JOB_ID, "collectionName": echo, "fileName": url, "state": echo,
            "progress": 100, "completeTime": echo, "reason": format!("{echo} {url}"),
            "details": [{"fileName": echo, "state": "Failed", "reason": echo, "completeTime": url}],
        })),
        &[("requestid", &format!("id-{API_KEY}"))],
    )
}

/// A describe answer with a zero-width space in the job id and the state
/// (`Com\u{200B}pleted`), a soft hyphen in the reason, a word joiner and a
/// BOM in the collection.
pub fn invisible_characters() -> Fault {
    describe_with(json!({
        "jobId": "4487\u{200B}07",
        "state": "Com\u{200B}pleted",
        "progress": 100,
        "reason": "disk\u{AD}full",
        "collectionName": "a\u{2060}b\u{FEFF}",
    }))
}

/// An error (80001) whose message echoes the key as Go's `%x` prints it,
/// in upper case too, and with a zero-width space and a soft hyphen inside
/// it (which a screen shows as the key itself).
pub fn key_echoes_in_hex_and_broken() -> Fault {
    let hex: String = API_KEY.bytes().map(|b| format!("{b:02x}")).collect();
    let (head, tail) = API_KEY.split_at(7);
    let message = format!(
        "bad key {hex} / {head}\u{200B}{tail} / {head}\u{AD}{tail} / {}",
        hex.to_uppercase()
    );
    Fault::json(200, &json!({"code": 80001, "message": message}), &[])
}

// ------------------------------------------------------------ httpmock

/// A mock on `server` answering every POST to `path` as `reply` says.
pub async fn on_post<'a>(server: &'a MockServer, path: &str, reply: impl FnOnce(Then)) -> Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(POST).path(path);
            reply(then);
        })
        .await
}

// ------------------------------------------------------------ assertions

/// The fields of an `ErrorKind::Api` as (code, message, status, request id,
/// attempts); panics on any other variant.
#[track_caller]
pub fn api_fields(e: &Error) -> (i64, &str, u16, Option<&str>, u32) {
    match e.kind() {
        ErrorKind::Api { code, message, .. } => (
            *code,
            message.as_str(),
            e.status().expect("an answer's status"),
            e.request_id(),
            e.attempts(),
        ),
        other => panic!("expected Api, got {other:?}"),
    }
}

/// Panics unless `e` is `ErrorKind::Http` with this status after this many
/// attempts.
#[track_caller]
pub fn assert_http(e: &Error, status: u16, attempts: u32) {
    assert!(
        matches!(e.kind(), ErrorKind::Http { .. })
            && e.status() == Some(status)
            && e.attempts() == attempts,
        "expected Http {{ status: {status}, attempts: {attempts}, .. }}, got {e:?} ({e})"
    );
}

/// Panics unless `e` is `ErrorKind::Decode` with this status after this many
/// attempts.
#[track_caller]
pub fn assert_decode(e: &Error, status: u16, attempts: u32) {
    assert!(
        matches!(e.kind(), ErrorKind::Decode { .. })
            && e.status() == Some(status)
            && e.attempts() == attempts,
        "expected Decode {{ status: {status}, attempts: {attempts}, .. }}, got {e:?} ({e})"
    );
}

/// Panics unless `e` is `ErrorKind::InvalidInput` naming `field`.
#[track_caller]
pub fn assert_invalid_input(e: &Error, field: &str) {
    assert!(
        matches!(e.kind(), ErrorKind::InvalidInput { field: f, .. } if *f == field),
        "expected InvalidInput({field}), got {e:?}"
    );
}

/// Panics unless `took` is `bound`, give or take the timer wheel's
/// millisecond: on tokio's paused clock (`start_paused = true`) time moves
/// only from timer to timer, so a call lasts what its timers say, on any
/// machine however loaded.
#[track_caller]
pub fn assert_took(took: Duration, bound: Duration) {
    assert!(
        took >= bound && took <= bound + Duration::from_millis(5),
        "took {took:?}, bound {bound:?}"
    );
}

// ------------------------------------------------------------- progress

/// What `on_progress` reported, as (state, percent).
pub type ProgressLog = Arc<Mutex<Vec<(ImportState, u8)>>>;

/// `options` recording every report into the returned log.
pub fn recording(options: WaitOptions) -> (WaitOptions, ProgressLog) {
    recording_then(options, || {})
}

/// As [`recording`], calling `after` once each report is logged.
pub fn recording_then(
    options: WaitOptions,
    mut after: impl FnMut() + Send + 'static,
) -> (WaitOptions, ProgressLog) {
    let log: ProgressLog = Arc::default();
    let sink = log.clone();
    let options = options.on_progress(move |p| {
        sink.lock().unwrap().push((p.state.clone(), p.progress));
        after();
    });
    (options, log)
}
