//! Property tests ("fuzzing") of the decoding path and of the create request.
//!
//! (a) Whatever a server answers (random bytes, random JSON, envelopes with
//!     random `code` types and `data` shapes, random statuses, garbage
//!     `Retry-After` and `requestid` headers), create, describe and list never
//!     panic and end in `Ok` or one of the documented errors, exactly the one
//!     a small model of the rules predicts; HTTP 200 with `code` 0 (or 200)
//!     and well-formed `data` is always `Ok`, with the values sent.
//! (b) Whatever the caller puts in a `CreateImportJob`, `validate()` never
//!     panics; when it refuses, nothing is sent; when it accepts, the JSON
//!     body on the wire holds exactly the fields that were set.
//!
//! Each property reuses one runtime, one loopback server
//! (`common/faulty_server.rs`) and one client across its cases.
//!
//! A quick run (the default case counts below, a few seconds):
//!
//!     cargo test --no-default-features --test it fuzz_decode::
//!
//! A longer fuzzing session (PROPTEST_CASES overrides every property's count;
//! --release makes each case cheaper):
//!
//!     PROPTEST_CASES=100000 cargo test --no-default-features --release --test it fuzz_decode::
//!
//! Add PROPTEST_MAX_SHRINK_ITERS=100000 to shrink a failure further. A
//! failure prints the minimal input; no regression file is written.

use std::{fmt::Debug, time::Duration};

use crate::common::{
    faulty_server::{Fault, FaultyServer},
    properties::run,
};
use proptest::{prelude::*, test_runner::TestCaseError};
use serde_json::{Map, Value, json};
use zilliz_import::{
    Client, CreateImportJob, Delivery, Error, ImportJobPage, ImportProgress, ImportState,
    ListImportJobs, RetryPolicy,
};

const CREATE_PATH: &str = "/v2/vectordb/jobs/import/create";
const API_KEY: &str = "fuzz-api-key-that-no-generated-text-holds-5f3a";

/// Server text: printable text, or any characters of any plane (controls,
/// surrogates' neighbours, private use, bidi overrides).
fn server_text(max: usize) -> BoxedStrategy<String> {
    prop_oneof![
        proptest::string::string_regex(&format!("\\PC{{0,{max}}}")).unwrap(),
        prop::collection::vec(any::<char>(), 0..=max).prop_map(String::from_iter),
    ]
    .boxed()
}

/// A percent as a server may send it: any integer, or a fraction.
fn progress_value() -> BoxedStrategy<f64> {
    prop_oneof![
        any::<i64>().prop_map(|i| i as f64),
        (-5i64..=105).prop_map(|i| i as f64),
        -5.0f64..105.0,
    ]
    .boxed()
}

/// What the crate shows of server text: control characters (Cc) and
/// format characters (Cf, as the `regex` crate's Unicode tables know them)
/// escaped. Text holding `://` is also redacted by rules the unit tests of
/// `src/redact.rs` pin down; the model does not follow them (`None`).
fn shown(text: &str) -> Option<String> {
    static FORMAT: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"^\p{Cf}$").unwrap());
    if text.contains("://") {
        return None;
    }
    let escape = |c: char| c.is_control() || FORMAT.is_match(c.encode_utf8(&mut [0; 4]));
    Some(
        text.chars()
            .map(|c| {
                if escape(c) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// `got` is `sent` as the crate shows it (where the model can tell).
fn same_text(got: &str, sent: &str) -> Result<(), TestCaseError> {
    if let Some(want) = shown(sent) {
        prop_assert_eq!(got, want.as_str());
    }
    Ok(())
}

/// As [`same_text`] for an optional field, where empty means unset.
fn same_opt(got: &Option<String>, sent: Option<String>) -> Result<(), TestCaseError> {
    match (got, non_empty(sent)) {
        (None, None) => Ok(()),
        (Some(g), Some(s)) => same_text(g, &s),
        (g, s) => {
            prop_assert!(false, "{:?} decoded as {:?}", s, g);
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------
// Harness

/// One runtime, one server, one client for every case of a property.
struct Harness {
    rt: tokio::runtime::Runtime,
    server: FaultyServer,
    client: Client,
}

impl Harness {
    fn new() -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(FaultyServer::start(vec![Fault::Empty200]));
        let client = Client::builder()
            // No generated text holds it, so the scrubber only escapes and
            // redacts URLs (the model below).
            .api_key(API_KEY)
            .base_url(server.url())
            .timeout(Duration::from_secs(5))
            .retry(
                RetryPolicy::default()
                    .with_backoff(Duration::from_millis(1), Duration::from_millis(2))
                    .with_max_retry_after(Duration::from_millis(2)),
            )
            .build()
            .unwrap();
        Harness { rt, server, client }
    }

    fn call(&self, op: Op, script: Vec<Fault>) -> Outcome {
        self.server.reset(script);
        self.rt.block_on(async {
            match op {
                Op::Create => self
                    .client
                    .create_import_job(CreateImportJob::new("in01-x", "c", "s3://b/k.json"))
                    .await
                    .map(|c| Data::Created(c.job_id, c.request_id)),
                Op::Describe => self
                    .client
                    .describe_import_job("in01-x", "j-1")
                    .await
                    .map(|p| Data::Progress(Box::new(p))),
                Op::List => self
                    .client
                    .list_import_jobs(&ListImportJobs::new("in01-x"))
                    .await
                    .map(Data::Page),
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Create,
    Describe,
    List,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![Just(Op::Create), Just(Op::Describe), Just(Op::List)]
}

#[derive(Debug)]
enum Data {
    Created(String, Option<String>),
    Progress(Box<ImportProgress>),
    Page(ImportJobPage),
}

type Outcome = Result<Data, Error>;

/// What the crate keeps of a body in an error: lossy UTF-8, at most 256
/// characters, an ellipsis when cut.
fn excerpt(body: &[u8]) -> Option<String> {
    let text = shown(&String::from_utf8_lossy(body))?;
    let mut cut: String = text.chars().take(256).collect();
    if text.chars().nth(256).is_some() {
        cut.push('…');
    }
    Some(cut)
}

/// `got` is the excerpt of `body` (where the model can tell).
fn same_excerpt(got: &str, body: &[u8]) -> Result<(), TestCaseError> {
    if let Some(want) = excerpt(body) {
        prop_assert_eq!(got, want.as_str());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// A model of how a body is read.

/// What a body with a 2xx status must turn into.
#[derive(Debug, PartialEq)]
enum Expect {
    Ok,
    Api(i64, String),
    Decode,
    /// `data` of unknown validity under a success code.
    OkOrDecode,
    /// A top-level JSON array: serde reads it positionally (code, message,
    /// data), which the model does not follow; any documented outcome.
    Anything,
}

/// How `data` relates to the operation's schema.
#[derive(Debug, Clone, Copy, PartialEq)]
enum DataKind {
    Valid,
    Invalid,
    Unknown,
}

fn message_of(envelope: &Map<String, Value>) -> Result<String, ()> {
    match envelope.get("message") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(()),
    }
}

/// An integer `code`, or a string holding one (the seed types `code` as a
/// string, so the client accepts both).
fn code_of(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.parse::<i64>().ok()))
}

/// The envelope's error code and message, when the body is a JSON object
/// with an integer `code` that is not a success and a string (or no)
/// `message`: what the crate reports as `Error::Api` whatever the status.
fn api_error_in(body: &Value) -> Option<(i64, String)> {
    let obj = body.as_object()?;
    let code = code_of(obj.get("code")?)?;
    if code == 0 || code == 200 {
        return None;
    }
    Some((code, message_of(obj).ok()?))
}

/// The outcome of a 2xx answer carrying `body`.
fn expect_2xx(body: &[u8], data: DataKind) -> Expect {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Expect::Decode;
    };
    if value.is_array() {
        return Expect::Anything;
    }
    let Some(obj) = value.as_object() else {
        return Expect::Decode;
    };
    let Some(code) = obj.get("code").and_then(code_of) else {
        return Expect::Decode;
    };
    let Ok(message) = message_of(obj) else {
        return Expect::Decode;
    };
    if code != 0 && code != 200 {
        return Expect::Api(code, message);
    }
    match (obj.get("data"), data) {
        (None | Some(Value::Null), _) => Expect::Decode,
        (Some(_), DataKind::Valid) => Expect::Ok,
        (Some(_), DataKind::Invalid) => Expect::Decode,
        (Some(_), DataKind::Unknown) => Expect::OkOrDecode,
    }
}

/// Attempts the client makes for an answer that failed with `err`.
fn expected_attempts(op: Op, err: &Error) -> u32 {
    match err {
        Error::Http { status: 429, .. } => 3,
        Error::Http {
            status: 502..=504, ..
        } if op != Op::Create => 3,
        _ => 1,
    }
}

/// Checks one answer (`status`, `body`, optional `requestid` and
/// `Retry-After`) against the model.
#[allow(clippy::too_many_arguments)] // every input of one case, named
fn check(
    op: Op,
    status: u16,
    body: &[u8],
    data: DataKind,
    request_id: Option<&str>,
    retry_after: Option<&str>,
    outcome: &Outcome,
    server: &FaultyServer,
) -> Result<(), TestCaseError> {
    // A 204 or 304 has no body, whatever the server writes after the head.
    let body: &[u8] = if status == 204 || status == 304 {
        b""
    } else {
        body
    };
    let ok_2xx = (200..300).contains(&status);
    let json = serde_json::from_slice::<Value>(body).ok();
    let request_id = request_id.filter(|v| v.bytes().all(|b| (0x21..=0x7e).contains(&b)));

    let attempts = match outcome {
        Ok(_) => 1,
        Err(e) => e.attempts(),
    };
    // A describe answered 404 is asked once more at the older path
    // `get_progress` (answered alike here, so not remembered).
    let fallback = usize::from(op == Op::Describe && status == 404);
    prop_assert_eq!(server.requests_received(), attempts as usize + fallback);
    prop_assert_eq!(server.turns(), attempts as usize + fallback);
    if fallback == 1 {
        let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
        prop_assert_eq!(
            paths,
            [
                "/v2/vectordb/jobs/import/describe",
                "/v2/vectordb/jobs/import/get_progress"
            ]
        );
    }

    let err = match outcome {
        Ok(data_out) => {
            prop_assert!(ok_2xx, "Ok from HTTP {}", status);
            let expect = expect_2xx(body, data);
            prop_assert!(
                matches!(expect, Expect::Ok | Expect::OkOrDecode | Expect::Anything),
                "Ok where the model expects {:?}",
                expect
            );
            if let Data::Created(_, id) = data_out {
                prop_assert_eq!(id.as_deref(), request_id);
            }
            return Ok(());
        }
        Err(e) => e,
    };

    prop_assert_eq!(err.attempts(), expected_attempts(op, err), "{:?}", err);
    prop_assert_eq!(err.delivery(), Delivery::Received, "{:?}", err);
    prop_assert_eq!(err.status(), Some(status), "{:?}", err);
    prop_assert!(!err.to_string().is_empty());

    if ok_2xx {
        let expect = expect_2xx(body, data);
        match (&expect, err) {
            (
                Expect::Api(code, message),
                Error::Api {
                    code: c,
                    message: m,
                    request_id: id,
                    ..
                },
            ) => {
                prop_assert_eq!(c, code);
                same_text(m, message)?;
                prop_assert_eq!(id.as_deref(), request_id);
            }
            (Expect::Decode | Expect::OkOrDecode, Error::Decode { excerpt: e, .. }) => {
                same_excerpt(e, body)?;
            }
            (Expect::Anything, Error::Api { .. } | Error::Decode { .. }) => {}
            _ => prop_assert!(false, "model expects {:?}, got {:?}", expect, err),
        }
        return Ok(());
    }

    // Not 2xx: the envelope's error if there is one, else the status.
    // Throttling and gateway statuses stay HTTP errors even with an envelope
    // (they decide retries and carry Retry-After).
    let transient = matches!(status, 429 | 502..=504);
    let api = json.as_ref().and_then(api_error_in).filter(|_| !transient);
    match (api, err) {
        (
            Some((code, message)),
            Error::Api {
                code: c,
                message: m,
                request_id: id,
                ..
            },
        ) => {
            prop_assert_eq!(*c, code);
            same_text(m, &message)?;
            prop_assert_eq!(id.as_deref(), request_id);
        }
        (
            None,
            Error::Http {
                excerpt: e,
                retry_after: wait,
                request_id: id,
                ..
            },
        ) => {
            same_excerpt(e, body)?;
            prop_assert_eq!(id.as_deref(), request_id);
            let value = retry_after.map(|v| v.trim_matches([' ', '\t']));
            match value {
                Some(v) if v.bytes().all(|b| b.is_ascii_digit()) && !v.is_empty() => {
                    let secs: Option<u64> = v.parse().ok();
                    prop_assert_eq!(*wait, secs.map(Duration::from_secs));
                }
                Some(v) if v.parse::<u64>().is_err() && httpdate::parse_http_date(v).is_err() => {
                    prop_assert_eq!(*wait, None);
                }
                None => prop_assert_eq!(*wait, None),
                Some(_) => {}
            }
        }
        (Some(_), _) if json.as_ref().is_some_and(Value::is_array) => {}
        (None, _) if !transient && json.as_ref().is_some_and(Value::is_array) => {
            prop_assert!(
                matches!(err, Error::Http { .. } | Error::Api { .. }),
                "{:?}",
                err
            );
        }
        (api, other) => prop_assert!(false, "expected Api {:?} or Http, got {:?}", api, other),
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Strategies for answers

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![Just(0i64), Just(200), Just(96026)].prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        server_text(12).prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("code".to_owned()),
                    Just("message".to_owned()),
                    Just("data".to_owned()),
                    Just("jobId".to_owned()),
                    Just("state".to_owned()),
                    Just("progress".to_owned()),
                    Just("records".to_owned()),
                    Just("details".to_owned()),
                    server_text(6),
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn opt<T: Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<Option<T>>> {
    // absent, null, or a value
    prop_oneof![1 => Just(None), 1 => Just(Some(None)), 3 => s.prop_map(|v| Some(Some(v)))]
}

fn put(obj: &mut Map<String, Value>, key: &str, v: &Option<Option<impl Into<Value> + Clone>>) {
    match v {
        None => {}
        Some(None) => {
            obj.insert(key.into(), Value::Null);
        }
        Some(Some(v)) => {
            obj.insert(key.into(), v.clone().into());
        }
    }
}

fn flat<T: Clone>(v: &Option<Option<T>>) -> Option<T> {
    v.clone().flatten()
}

fn state_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Pending".to_owned()),
        Just("Importing".to_owned()),
        Just("InProgress".to_owned()),
        Just("Completed".to_owned()),
        Just("Failed".to_owned()),
        Just("PreImporting".to_owned()),
        Just("Stats".to_owned()),
        Just("IndexBuilding".to_owned()),
        Just("Sorting".to_owned()),
        Just("Uncommitted".to_owned()),
        Just("Committing".to_owned()),
        server_text(10),
    ]
}

/// The states Milvus's pipeline and two-phase imports add, by name.
const NAMED: [&str; 6] = [
    "PreImporting",
    "Stats",
    "IndexBuilding",
    "Sorting",
    "Uncommitted",
    "Committing",
];

fn same_state(got: &ImportState, sent: Option<String>) -> Result<(), TestCaseError> {
    match (sent.as_deref(), got) {
        (None, _) => prop_assert_eq!(got, &ImportState::Other(String::new())),
        (Some("Pending"), _) => prop_assert_eq!(got, &ImportState::Pending),
        (Some("Importing" | "InProgress"), _) => prop_assert_eq!(got, &ImportState::Importing),
        (Some("Completed"), _) => prop_assert_eq!(got, &ImportState::Completed),
        (Some("Failed"), _) => prop_assert_eq!(got, &ImportState::Failed),
        (Some(named), _) if NAMED.contains(&named) => {
            prop_assert!(
                !matches!(got, ImportState::Other(_)),
                "{:?} as {:?}",
                named,
                got
            );
            prop_assert_eq!(got.as_str(), named);
        }
        (Some(other), ImportState::Other(g)) => same_text(g, other)?,
        (Some(other), g) => prop_assert!(false, "{:?} decoded as {:?}", other, g),
    }
    Ok(())
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// Whole, 0 to 100, and short of 100 for a failed job.
fn percent(p: Option<f64>, state: &ImportState) -> u8 {
    let whole = p.unwrap_or(0.0).clamp(0.0, 100.0).floor() as u8;
    if *state == ImportState::Failed {
        whole.min(99)
    } else {
        whole
    }
}

/// A file entry of describe's `details`, well-formed.
#[derive(Debug, Clone)]
struct Detail {
    file_name: Option<Option<String>>,
    file_size: Option<Option<i64>>,
    state: Option<Option<String>>,
    progress: Option<Option<f64>>,
    complete_time: Option<Option<String>>,
    reason: Option<Option<String>>,
    total_rows: Option<Option<i64>>,
}

impl Detail {
    fn json(&self) -> Value {
        let mut o = Map::new();
        put(&mut o, "fileName", &self.file_name);
        put(&mut o, "fileSize", &self.file_size);
        put(&mut o, "state", &self.state);
        put(&mut o, "progress", &self.progress);
        put(&mut o, "completeTime", &self.complete_time);
        put(&mut o, "reason", &self.reason);
        put(&mut o, "totalRows", &self.total_rows);
        Value::Object(o)
    }
}

fn detail() -> impl Strategy<Value = Detail> {
    (
        opt(server_text(8)),
        opt(any::<i64>()),
        opt(state_name()),
        opt(progress_value()),
        opt(server_text(8)),
        opt(server_text(8)),
        opt(any::<i64>()),
    )
        .prop_map(
            |(file_name, file_size, state, progress, complete_time, reason, total_rows)| Detail {
                file_name,
                file_size,
                state,
                progress,
                complete_time,
                reason,
                total_rows,
            },
        )
}

/// Well-formed `data` for one operation, and the check of what it decodes to.
#[derive(Debug, Clone)]
enum ValidData {
    Created {
        job_id: String,
        extra: Vec<(String, Value)>,
    },
    Progress {
        job_id: Option<Option<String>>,
        collection_name: Option<Option<String>>,
        file_name: Option<Option<String>>,
        file_size: Option<Option<i64>>,
        state: Option<Option<String>>,
        progress: Option<Option<f64>>,
        total_rows: Option<Option<i64>>,
        reason: Option<Option<String>>,
        details: Option<Option<Vec<Detail>>>,
    },
    Page {
        count: Option<Option<i64>>,
        current_page: Option<Option<i64>>,
        records: Option<Option<Vec<Record>>>,
    },
}

/// A list record: collectionName, jobId, state, progress.
type Record = (Option<String>, Option<String>, Option<String>, Option<f64>);

fn valid_data(op: Op) -> BoxedStrategy<ValidData> {
    match op {
        Op::Create => (
            server_text(20),
            prop::collection::vec(("[a-z]{1,6}", arb_json()), 0..3),
        )
            .prop_map(|(job_id, extra)| ValidData::Created { job_id, extra })
            .boxed(),
        Op::Describe => (
            opt(server_text(12)),
            opt(server_text(8)),
            opt(server_text(8)),
            opt(any::<i64>()),
            opt(state_name()),
            opt(progress_value()),
            opt(any::<i64>()),
            opt(server_text(8)),
            opt(prop::collection::vec(detail(), 0..3)),
        )
            .prop_map(
                |(
                    job_id,
                    collection_name,
                    file_name,
                    file_size,
                    state,
                    progress,
                    total_rows,
                    reason,
                    details,
                )| ValidData::Progress {
                    job_id,
                    collection_name,
                    file_name,
                    file_size,
                    state,
                    progress,
                    total_rows,
                    reason,
                    details,
                },
            )
            .boxed(),
        Op::List => (
            opt(any::<i64>()),
            opt(any::<i64>()),
            opt(prop::collection::vec(
                (
                    proptest::option::of(server_text(8)),
                    proptest::option::of(server_text(8)),
                    proptest::option::of(state_name()),
                    proptest::option::of(progress_value()),
                ),
                0..4,
            )),
        )
            .prop_map(|(count, current_page, records)| ValidData::Page {
                count,
                current_page,
                records,
            })
            .boxed(),
    }
}

impl ValidData {
    fn json(&self) -> Value {
        let mut o = Map::new();
        match self {
            ValidData::Created { job_id, extra } => {
                for (k, v) in extra {
                    o.insert(k.clone(), v.clone());
                }
                o.insert("jobId".into(), job_id.clone().into());
            }
            ValidData::Progress {
                job_id,
                collection_name,
                file_name,
                file_size,
                state,
                progress,
                total_rows,
                reason,
                details,
            } => {
                put(&mut o, "jobId", job_id);
                put(&mut o, "collectionName", collection_name);
                put(&mut o, "fileName", file_name);
                put(&mut o, "fileSize", file_size);
                put(&mut o, "state", state);
                put(&mut o, "progress", progress);
                put(&mut o, "totalRows", total_rows);
                put(&mut o, "reason", reason);
                let details = details.as_ref().map(|d| {
                    d.as_ref()
                        .map(|d| Value::Array(d.iter().map(Detail::json).collect()))
                });
                put(&mut o, "details", &details);
            }
            ValidData::Page {
                count,
                current_page,
                records,
            } => {
                put(&mut o, "count", count);
                put(&mut o, "currentPage", current_page);
                let records = records.as_ref().map(|r| {
                    r.as_ref().map(|r| {
                        Value::Array(
                            r.iter()
                                .map(|(c, j, s, p)| {
                                    let mut rec = Map::new();
                                    put(&mut rec, "collectionName", &c.clone().map(Some));
                                    put(&mut rec, "jobId", &j.clone().map(Some));
                                    put(&mut rec, "state", &s.clone().map(Some));
                                    put(&mut rec, "progress", &p.map(Some));
                                    Value::Object(rec)
                                })
                                .collect(),
                        )
                    })
                });
                put(&mut o, "records", &records);
            }
        }
        Value::Object(o)
    }

    /// Checks the decoded value against what was sent.
    fn check(&self, got: &Data) -> Result<(), TestCaseError> {
        match (self, got) {
            (ValidData::Created { job_id, .. }, Data::Created(got, _)) => {
                same_text(got, job_id)?;
            }
            (
                ValidData::Progress {
                    job_id,
                    collection_name,
                    file_name,
                    file_size,
                    state,
                    progress,
                    total_rows,
                    reason,
                    details,
                },
                Data::Progress(p),
            ) => {
                same_text(&p.job_id, &flat(job_id).unwrap_or_default())?;
                same_opt(&p.collection_name, flat(collection_name))?;
                same_opt(&p.file_name, flat(file_name))?;
                prop_assert_eq!(p.file_size, flat(file_size));
                same_state(&p.state, flat(state))?;
                prop_assert_eq!(p.progress, percent(flat(progress), &p.state));
                prop_assert!(p.progress <= 100);
                prop_assert_eq!(p.total_rows, flat(total_rows));
                same_opt(&p.reason, flat(reason))?;
                let details = flat(details).unwrap_or_default();
                prop_assert_eq!(p.details.len(), details.len());
                for (d, sent) in p.details.iter().zip(&details) {
                    same_opt(&d.file_name, flat(&sent.file_name))?;
                    prop_assert_eq!(d.file_size, flat(&sent.file_size));
                    same_state(&d.state, flat(&sent.state))?;
                    prop_assert_eq!(d.progress, percent(flat(&sent.progress), &d.state));
                    prop_assert_eq!(d.total_rows, flat(&sent.total_rows));
                    same_opt(&d.complete_time, flat(&sent.complete_time))?;
                    same_opt(&d.reason, flat(&sent.reason))?;
                }
            }
            (
                ValidData::Page {
                    count,
                    current_page,
                    records,
                },
                Data::Page(page),
            ) => {
                prop_assert_eq!(page.count, flat(count));
                prop_assert_eq!(page.current_page, flat(current_page));
                let records = flat(records).unwrap_or_default();
                prop_assert_eq!(page.records.len(), records.len());
                for (r, (c, j, s, p)) in page.records.iter().zip(&records) {
                    same_text(&r.job_id, &j.clone().unwrap_or_default())?;
                    same_opt(&r.collection_name, c.clone())?;
                    same_state(&r.state, s.clone())?;
                    prop_assert_eq!(r.progress, percent(*p, &r.state));
                }
            }
            (want, got) => prop_assert!(false, "{:?} decoded as {:?}", want, got),
        }
        Ok(())
    }
}

/// `data` that breaks the operation's schema.
fn invalid_data(op: Op) -> BoxedStrategy<Value> {
    let not_a_string = prop_oneof![
        Just(json!(5)),
        Just(json!(true)),
        Just(json!(null)),
        Just(json!({})),
        Just(json!([1])),
    ];
    let not_an_integer = prop_oneof![
        Just(json!("50")),
        Just(json!(1.5)),
        Just(json!(18446744073709551615u64)),
        Just(json!(true)),
        Just(json!({})),
    ];
    // A percent may be fractional (`10.5` decodes), so only non-numbers break it.
    let not_a_number = prop_oneof![Just(json!("50")), Just(json!(true)), Just(json!({}))];
    let scalar = prop_oneof![Just(json!("data")), Just(json!(7)), Just(json!(false))];
    match op {
        Op::Create => prop_oneof![
            not_a_string.prop_map(|v| json!({ "jobId": v })),
            Just(json!({})),
            Just(json!({"job_id": "1"})),
            scalar,
        ]
        .boxed(),
        Op::Describe => prop_oneof![
            (
                prop_oneof![Just("fileSize"), Just("totalRows")],
                not_an_integer
            )
                .prop_map(|(k, v)| json!({ k: v })),
            not_a_number.clone().prop_map(|v| json!({ "progress": v })),
            prop_oneof![Just("jobId"), Just("state"), Just("reason")].prop_map(|k| json!({ k: 5 })),
            Just(json!({"details": {}})),
            Just(json!({"details": [5]})),
            not_a_number.prop_map(|v| json!({"details": [{"progress": v}]})),
            scalar,
        ]
        .boxed(),
        Op::List => prop_oneof![
            prop_oneof![Just("count"), Just("currentPage"), Just("pageSize")]
                .prop_map(|k| json!({ k: "1" })),
            Just(json!({"records": {}})),
            Just(json!({"records": ["x"]})),
            Just(json!({"records": [{"progress": "x"}]})),
            Just(json!({"records": [{"jobId": 1}]})),
            scalar,
        ]
        .boxed(),
    }
}

/// The `code` of an envelope: integers that mean success, integers that do
/// not, and values of the wrong type.
fn code() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(Some(json!(0))),
        1 => Just(Some(json!(200))),
        2 => any::<i64>().prop_map(|c| Some(json!(c))),
        1 => prop_oneof![Just(96026i64), Just(21119), Just(-1)].prop_map(|c| Some(json!(c))),
        1 => prop_oneof![
            Just(json!("0")),
            Just(json!(0.0)),
            Just(json!(null)),
            Just(json!(false)),
            Just(json!(9223372036854775808u64)),
            Just(json!({"code": 0})),
        ]
        .prop_map(Some),
        1 => Just(None),
    ]
}

fn message() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        2 => Just(None),
        1 => Just(Some(Value::Null)),
        3 => server_text(40).prop_map(|s| Some(Value::String(s))),
        1 => prop_oneof![Just(json!(5)), Just(json!(["x"]))].prop_map(Some),
    ]
}

#[derive(Debug, Clone)]
enum DataShape {
    Absent,
    Null,
    Valid(ValidData),
    Invalid(Value),
    Random(Value),
}

fn data_shape(op: Op) -> impl Strategy<Value = DataShape> {
    prop_oneof![
        1 => Just(DataShape::Absent),
        1 => Just(DataShape::Null),
        5 => valid_data(op).prop_map(DataShape::Valid),
        2 => invalid_data(op).prop_map(DataShape::Invalid),
        1 => arb_json().prop_map(DataShape::Random),
    ]
}

#[derive(Debug, Clone)]
struct Envelope {
    code: Option<Value>,
    message: Option<Value>,
    data: DataShape,
}

impl Envelope {
    fn body(&self) -> Vec<u8> {
        let mut o = Map::new();
        if let Some(c) = &self.code {
            o.insert("code".into(), c.clone());
        }
        if let Some(m) = &self.message {
            o.insert("message".into(), m.clone());
        }
        match &self.data {
            DataShape::Absent => {}
            DataShape::Null => {
                o.insert("data".into(), Value::Null);
            }
            DataShape::Valid(d) => {
                o.insert("data".into(), d.json());
            }
            DataShape::Invalid(v) | DataShape::Random(v) => {
                o.insert("data".into(), v.clone());
            }
        }
        serde_json::to_vec(&Value::Object(o)).unwrap()
    }

    fn kind(&self) -> DataKind {
        match self.data {
            DataShape::Valid(_) => DataKind::Valid,
            DataShape::Random(_) => DataKind::Unknown,
            _ => DataKind::Invalid,
        }
    }
}

fn envelope(op: Op) -> impl Strategy<Value = Envelope> {
    (code(), message(), data_shape(op)).prop_map(|(code, message, data)| Envelope {
        code,
        message,
        data,
    })
}

fn op_and_envelope() -> impl Strategy<Value = (Op, Envelope)> {
    op().prop_flat_map(|op| (Just(op), envelope(op)))
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => Just(200u16),
        1 => prop_oneof![Just(201u16), Just(202), Just(204), Just(206)],
        1 => prop_oneof![Just(301u16), Just(304), Just(307)],
        1 => prop_oneof![Just(400u16), Just(401), Just(403), Just(404), Just(429)],
        1 => prop_oneof![Just(500u16), Just(502), Just(503), Just(504)],
        1 => 200u16..600,
    ]
}

fn header_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        2 => "[!-~]{1,40}".prop_map(Some),
        1 => "[!-~]{0,6}[é€][!-~]{0,6}".prop_map(Some),
    ]
}

fn retry_after_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        2 => Just(None),
        2 => "[0-9]{1,4}".prop_map(Some),
        1 => "[0-9]{21,25}".prop_map(Some),
        1 => Just(Some("Wed, 21 Oct 2015 07:28:00 GMT".to_owned())),
        1 => Just(Some("Fri, 01 Jan 2100 00:00:00 GMT".to_owned())),
        2 => "[!-~][ -~]{0,20}[!-~]".prop_map(Some),
        1 => Just(Some("-1".to_owned())),
        1 => Just(Some("1.5".to_owned())),
    ]
}

fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..600),
        1 => server_text(400).prop_map(String::into_bytes),
        2 => arb_json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        1 => prop_oneof![Just(b"<html><body>Bad Gateway</body></html>".to_vec()), Just(Vec::new())],
    ]
}

fn raw(
    status: u16,
    content_type: Option<&str>,
    request_id: &Option<String>,
    retry_after: &Option<String>,
    body: Vec<u8>,
) -> Fault {
    let mut headers = Vec::new();
    if let Some(ct) = content_type {
        headers.push(("Content-Type".to_owned(), ct.to_owned()));
    }
    if let Some(id) = request_id {
        headers.push(("requestid".to_owned(), id.clone()));
    }
    if let Some(v) = retry_after {
        headers.push(("Retry-After".to_owned(), v.clone()));
    }
    Fault::Raw {
        status,
        headers,
        body,
    }
}

// ---------------------------------------------------------------------------
// (a) Decoding

/// Random bytes, text and JSON under random statuses and headers.
#[test]
fn any_answer_decodes_to_ok_or_a_documented_error() {
    let h = Harness::new();
    let strategy = (
        op(),
        status(),
        body_bytes(),
        prop_oneof![
            Just(Some("application/json")),
            Just(Some("text/html")),
            Just(Some("text/plain; charset=utf-8")),
            Just(None)
        ],
        header_value(),
        retry_after_value(),
    );
    run(96, strategy, |(op, status, body, ct, id, retry)| {
        let outcome = h.call(op, vec![raw(status, ct, &id, &retry, body.clone())]);
        check(
            op,
            status,
            &body,
            DataKind::Unknown,
            id.as_deref(),
            retry.as_deref(),
            &outcome,
            &h.server,
        )
    });
}

/// Envelopes with random `code` types and values, `message` types and
/// `data` shapes, under HTTP 200 (and now and then another status).
#[test]
fn envelopes_decode_as_the_model_predicts() {
    let h = Harness::new();
    let strategy = (
        op_and_envelope(),
        prop_oneof![6 => Just(200u16), 1 => status()],
        header_value(),
    );
    run(128, strategy, |((op, env), status, id)| {
        let body = env.body();
        let outcome = h.call(
            op,
            vec![raw(
                status,
                Some("application/json"),
                &id,
                &None,
                body.clone(),
            )],
        );
        check(
            op,
            status,
            &body,
            env.kind(),
            id.as_deref(),
            None,
            &outcome,
            &h.server,
        )?;
        if let (Ok(data), DataShape::Valid(sent)) = (&outcome, &env.data) {
            sent.check(data)?;
        }
        Ok(())
    });
}

/// The rule callers rely on: HTTP 200, `code` 0 or 200, well-formed `data`
/// (with or without a `message`) is always `Ok`, with the values sent.
#[test]
fn success_envelopes_with_valid_data_are_always_ok() {
    let h = Harness::new();
    let strategy = op().prop_flat_map(|op| {
        (
            Just(op),
            prop_oneof![Just(0i64), Just(200)],
            prop_oneof![Just(None), "\\PC{0,20}".prop_map(Some)],
            valid_data(op),
            any::<bool>(),
        )
    });
    run(96, strategy, |(op, code, message, data, chunked)| {
        let mut env = json!({"code": code, "data": data.json()});
        if let Some(m) = message {
            env["message"] = Value::String(m);
        }
        let body = serde_json::to_string(&env).unwrap();
        let fault = if chunked {
            Fault::OkChunked(body)
        } else {
            Fault::Ok(body)
        };
        match h.call(op, vec![fault]) {
            Ok(got) => data.check(&got)?,
            Err(e) => prop_assert!(false, "{} from a success envelope: {:?}", e, e),
        }
        prop_assert_eq!(h.server.requests_received(), 1);
        Ok(())
    });
}

// ---------------------------------------------------------------------------
// (b) The create request

/// A string from the kinds of text a caller might pass, blank ones included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(String::new()),
        1 => prop_oneof![Just(" "), Just("\t\n"), Just("\u{3000}")].prop_map(str::to_owned),
        4 => "[a-zA-Z0-9_-]{1,16}",
        2 => "\\PC{0,16}",
        1 => "[ ]{1,2}[a-z]{1,4}[ ]{1,2}",
    ]
}

/// The crate's documented rule for an object URL: it parses and names a
/// host (the bucket).
fn url_is_valid(s: &str) -> bool {
    url::Url::parse(s)
        .ok()
        .and_then(|u| u.host_str().map(|h| !h.is_empty()))
        .unwrap_or(false)
}

fn object_url() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "s3://[a-z][a-z0-9-]{2,10}/[a-z]{1,8}\\.(json|parquet|npy)",
        1 => "https://[a-z]{1,8}\\.example\\.com/[a-z]{1,8}\\.parquet\\?X-Amz-Signature=[a-f0-9]{8}",
        1 => prop_oneof![
            Just(""),
            Just("not a url"),
            Just("s3:///no-bucket"),
            Just("file:///etc/passwd"),
            Just("/relative/k.json"),
            Just("http://"),
            Just("s3:bucket/key"),
        ]
        .prop_map(str::to_owned),
        1 => "\\PC{0,24}",
    ]
}

#[derive(Debug, Clone)]
enum Source {
    Url(String),
    Urls(Vec<Vec<String>>),
    Both(String, Vec<Vec<String>>),
    Neither,
}

fn groups() -> impl Strategy<Value = Vec<Vec<String>>> {
    prop::collection::vec(prop::collection::vec(object_url(), 0..3), 0..3)
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        4 => object_url().prop_map(Source::Url),
        3 => groups().prop_map(Source::Urls),
        1 => (object_url(), groups()).prop_map(|(u, g)| Source::Both(u, g)),
        1 => Just(Source::Neither),
    ]
}

#[derive(Debug, Clone)]
enum Key {
    None,
    Generate,
    Fixed(String),
}

fn key() -> impl Strategy<Value = Key> {
    prop_oneof![
        2 => Just(Key::None),
        1 => Just(Key::Generate),
        3 => prop_oneof![
            3 => "[!-~]{1,40}",
            2 => "[!-~][ -~]{0,60}[!-~]",
            1 => "[!-~]{256}",
            1 => "[!-~]{257,300}",
            1 => Just(String::new()),
            1 => "[!-~]{0,5}[\\t\\x7f\\u{e9}\\u{20ac}][!-~]{0,5}",
            // HTTP trims header values, so these would reach the server as
            // another key (or none): they must be refused.
            1 => "[ ]{1,3}[!-~]{0,8}",
            1 => "[!-~]{0,8}[ ]{1,3}",
        ]
        .prop_map(Key::Fixed),
    ]
}

#[derive(Debug, Clone)]
struct Input {
    cluster_id: String,
    collection: String,
    source: Source,
    partition: Option<String>,
    db: Option<String>,
    access_key: Option<String>,
    secret_key: Option<String>,
    token: Option<String>,
    key: Key,
}

/// A non-blank name, now and then padded or outside ASCII.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9_-]{1,16}",
        1 => "[ ]?[a-z]{1,4}[ ]?",
        1 => "\\PC{1,16}".prop_filter("not blank", |s| !s.trim().is_empty()),
    ]
}

fn valid_url() -> impl Strategy<Value = String> {
    prop_oneof![
        "s3://[a-z][a-z0-9-]{2,10}/[a-z]{1,8}\\.(json|parquet|npy)",
        "https://[a-z]{1,8}\\.example\\.com/[a-z]{1,8}\\.parquet\\?X-Amz-Signature=[a-f0-9]{8}",
    ]
}

type Credentials = (Option<String>, Option<String>, Option<String>);

fn wild_credentials() -> impl Strategy<Value = Credentials> {
    (
        proptest::option::of(text()),
        proptest::option::of(text()),
        proptest::option::of(text()),
    )
}

fn credentials() -> impl Strategy<Value = Credentials> {
    prop_oneof![
        3 => Just((None, None, None)),
        2 => (name(), "\\PC{1,24}").prop_map(|(a, s)| (Some(a), Some(s), None)),
        1 => (name(), "\\PC{1,24}", "\\PC{0,24}").prop_map(|(a, s, t)| (Some(a), Some(s), Some(t))),
        2 => wild_credentials(),
    ]
}

fn wild_input() -> impl Strategy<Value = Input> {
    (
        text(),
        text(),
        source(),
        proptest::option::of(text()),
        proptest::option::of(text()),
        wild_credentials(),
        key(),
    )
        .prop_map(Input::from_parts)
}

/// Inputs a caller would plausibly write, so that most pass validation and
/// the wire body gets checked often.
fn plausible_input() -> impl Strategy<Value = Input> {
    (
        name(),
        name(),
        prop_oneof![
            3 => valid_url().prop_map(Source::Url),
            2 => prop::collection::vec(prop::collection::vec(valid_url(), 1..3), 1..3)
                .prop_map(Source::Urls),
            1 => source(),
        ],
        proptest::option::of(name()),
        proptest::option::of(name()),
        credentials(),
        key(),
    )
        .prop_map(Input::from_parts)
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![1 => wild_input(), 2 => plausible_input()]
}

impl Input {
    fn from_parts(
        (cluster_id, collection, source, partition, db, (access_key, secret_key, token), key): (
            String,
            String,
            Source,
            Option<String>,
            Option<String>,
            Credentials,
            Key,
        ),
    ) -> Input {
        Input {
            cluster_id,
            collection,
            source,
            partition,
            db,
            access_key,
            secret_key,
            token,
            key,
        }
    }
}

impl Input {
    fn build(&self) -> CreateImportJob {
        let mut job = match &self.source {
            Source::Url(u) => CreateImportJob::new(&self.cluster_id, &self.collection, u),
            Source::Urls(g) => {
                CreateImportJob::with_object_urls(&self.cluster_id, &self.collection, g.clone())
            }
            Source::Both(u, g) => {
                CreateImportJob::new(&self.cluster_id, &self.collection, u).object_urls(g.clone())
            }
            Source::Neither => CreateImportJob::with_object_urls(
                &self.cluster_id,
                &self.collection,
                Vec::<Vec<String>>::new(),
            ),
        };
        if let Some(p) = &self.partition {
            job = job.partition(p);
        }
        if let Some(d) = &self.db {
            job = job.database(d);
        }
        if let Some(a) = &self.access_key {
            job = job.access_key(a);
        }
        if let Some(s) = &self.secret_key {
            job = job.secret_key(s);
        }
        if let Some(t) = &self.token {
            job = job.session_token(t);
        }
        match &self.key {
            Key::None => job,
            Key::Generate => job.generate_idempotency_key(),
            Key::Fixed(k) => job.idempotency_key(k),
        }
    }

    /// The field the documented rules refuse first, if any.
    fn expected_refusal(&self) -> Option<&'static str> {
        let blank = |s: &str| s.trim().is_empty();
        if blank(&self.cluster_id) {
            return Some("clusterId");
        }
        if blank(&self.collection) {
            return Some("collectionName");
        }
        if self.partition.as_deref().is_some_and(blank) {
            return Some("partitionName");
        }
        if self.db.as_deref().is_some_and(blank) {
            return Some("dbName");
        }
        match &self.source {
            Source::Both(..) => return Some("objectUrl"),
            // `with_object_urls` with no groups: nothing to import from.
            Source::Neither => return Some("objectUrls"),
            Source::Url(u) if !url_is_valid(u) => return Some("objectUrl"),
            Source::Url(_) => {}
            Source::Urls(g) => {
                // JSON, JSONL, Parquet and CSV take one file per group.
                let single = |u: &String| {
                    let path = u.split(['?', '#']).next().unwrap().to_ascii_lowercase();
                    let name = path.rsplit('/').next().unwrap();
                    [".json", ".jsonl", ".parquet", ".csv"]
                        .iter()
                        .any(|ext| name.len() > ext.len() && name.ends_with(ext))
                };
                if g.is_empty()
                    || g.iter().any(Vec::is_empty)
                    || g.iter().any(|g| g.len() > 1 && g.iter().any(single))
                    || !g.iter().flatten().all(|u| url_is_valid(u))
                {
                    return Some("objectUrls");
                }
            }
        }
        let has_ak = self.access_key.as_deref().is_some_and(|a| !a.is_empty());
        let has_sk = self.secret_key.as_deref().is_some_and(|s| !s.is_empty());
        if has_ak && !has_sk {
            return Some("secretKey");
        }
        if has_sk && !has_ak {
            return Some("accessKey");
        }
        if self.token.as_deref().is_some_and(|t| !t.is_empty()) && !has_sk {
            return Some("token");
        }
        if let Key::Fixed(k) = &self.key
            && (k.is_empty()
                || k.len() > 256
                || !k.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
                || k.trim_matches(' ') != k)
        {
            return Some("Idempotency-Key");
        }
        None
    }

    /// The JSON body a valid request must put on the wire: exactly the
    /// fields that were set.
    fn expected_body(&self) -> Value {
        let mut o = Map::new();
        o.insert("clusterId".into(), self.cluster_id.clone().into());
        o.insert("collectionName".into(), self.collection.clone().into());
        if let Some(p) = &self.partition {
            o.insert("partitionName".into(), p.clone().into());
        }
        if let Some(d) = &self.db {
            o.insert("dbName".into(), d.clone().into());
        }
        match &self.source {
            Source::Url(u) => {
                o.insert("objectUrl".into(), u.clone().into());
            }
            Source::Urls(g) => {
                o.insert("objectUrls".into(), json!(g));
            }
            _ => unreachable!("refused by validate"),
        }
        // Credentials go together; an empty access key (with an empty or no
        // secret) counts as none.
        if let Some(a) = self.access_key.as_deref().filter(|a| !a.is_empty()) {
            o.insert("accessKey".into(), a.into());
            o.insert("secretKey".into(), self.secret_key.clone().unwrap().into());
        }
        // An empty token counts as none.
        if let Some(t) = self.token.as_deref().filter(|t| !t.is_empty()) {
            o.insert("token".into(), t.into());
        }
        Value::Object(o)
    }

    /// Secrets distinctive enough to look for in printed text.
    fn secrets(&self) -> Vec<&str> {
        let others = [
            self.cluster_id.as_str(),
            self.collection.as_str(),
            self.partition.as_deref().unwrap_or(""),
            self.db.as_deref().unwrap_or(""),
            self.access_key.as_deref().unwrap_or(""),
        ];
        let urls = match &self.source {
            Source::Url(u) => vec![u.clone()],
            Source::Urls(g) => g.iter().flatten().cloned().collect(),
            Source::Both(u, g) => std::iter::once(u.clone())
                .chain(g.iter().flatten().cloned())
                .collect(),
            Source::Neither => vec![],
        };
        [self.secret_key.as_deref(), self.token.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| s.len() >= 6)
            .filter(|s| !others.iter().any(|o| o.contains(s)))
            .filter(|s| !urls.iter().any(|u| u.contains(s)))
            .filter(|s| !"CreateImportJob <redacted> Some None".contains(s))
            .collect()
    }
}

#[test]
fn create_requests_are_validated_and_sent_exactly_as_set() {
    let h = Harness::new();
    let uuid =
        regex::Regex::new(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
            .unwrap();
    run(128, input(), |input| {
        let job = input.build();
        let printed = format!("{job:?}");
        for secret in input.secrets() {
            prop_assert!(
                !printed.contains(secret),
                "Debug shows a secret: {}",
                printed
            );
        }

        let validated = job.validate();
        let expected = input.expected_refusal();
        match (&validated, expected) {
            (Ok(()), None) => {}
            (Err(Error::InvalidInput { field, .. }), Some(want)) => {
                prop_assert_eq!(*field, want, "{}", validated.as_ref().unwrap_err());
            }
            (got, want) => prop_assert!(false, "validate() = {:?}, the rules say {:?}", got, want),
        }
        if let Err(e) = &validated {
            prop_assert_eq!(e.delivery(), Delivery::NotSent);
            let text = e.to_string();
            for secret in input.secrets() {
                prop_assert!(!text.contains(secret), "the error shows a secret: {}", text);
            }
        }

        let outcome = h.call_create(job);
        match expected {
            Some(field) => {
                match &outcome {
                    Err(Error::InvalidInput { field: f, .. }) => prop_assert_eq!(*f, field),
                    other => prop_assert!(false, "{:?}", other),
                }
                prop_assert_eq!(h.server.requests_received(), 0);
                prop_assert_eq!(h.server.connections(), 0);
            }
            None => {
                let created = match outcome {
                    Ok(c) => c,
                    Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
                };
                prop_assert_eq!(created.job_id.as_str(), "fz");
                let requests = h.server.requests();
                prop_assert_eq!(requests.len(), 1);
                let r = &requests[0];
                prop_assert_eq!(r.method.as_str(), "POST");
                prop_assert_eq!(r.path.as_str(), CREATE_PATH);
                prop_assert_eq!(r.header("content-type"), Some("application/json"));
                let bearer = format!("Bearer {API_KEY}");
                prop_assert_eq!(r.header("authorization"), Some(bearer.as_str()));
                prop_assert_eq!(r.json(), input.expected_body());
                let sent_key = r.header("idempotency-key");
                match &input.key {
                    Key::None => prop_assert_eq!(sent_key, None),
                    Key::Fixed(k) => prop_assert_eq!(sent_key, Some(k.as_str())),
                    Key::Generate => {
                        let k = sent_key.unwrap_or_default();
                        prop_assert!(uuid.is_match(k), "generated key {:?}", k);
                    }
                }
                prop_assert_eq!(created.idempotency_key.as_deref(), sent_key);
            }
        }
        Ok(())
    });
}

impl Harness {
    fn call_create(&self, job: CreateImportJob) -> Result<zilliz_import::CreatedImportJob, Error> {
        self.server.reset(vec![Fault::created("fz")]);
        self.rt.block_on(self.client.create_import_job(job))
    }
}
