//! Helpers shared by the integration tests: clients with fast retries, a
//! scripted loopback HTTP responder (httpmock cannot answer a sequence), and
//! ready-made envelopes.
#![allow(dead_code)]

#[cfg(feature = "cli")]
pub mod cli_env;
pub mod faulty_server;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use httpmock::{Mock, MockServer, Then, prelude::POST};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use zilliz_import::{Client, CreateImportJob, Error, ImportState, RetryPolicy, WaitOptions};

/// Recognisable secrets: any of them showing up in output is a leak.
pub const API_KEY: &str = "APIKEY-SENTINEL-123";
pub const SECRET_KEY: &str = "SECRET-SENTINEL-456";
pub const SESSION_TOKEN: &str = "TOKEN-SENTINEL-789";
pub const PRESIGNED_QUERY: &str = "X-Amz-Signature=SIG-SENTINEL";
pub const SENTINELS: [&str; 4] = [API_KEY, SECRET_KEY, SESSION_TOKEN, PRESIGNED_QUERY];

pub const CLUSTER: &str = "inxx-xxxxxxxxxxxxxxx";
pub const JOB_ID: &str = "448707763884413158";
/// The seed's example object URL.
pub const SEED_URL: &str = "https://s3.us-west-2.amazonaws.com/publicdataset.zillizcloud.com/medium_articles_2020_dpr/medium_articles_2020_dpr.json";

pub const CREATE_PATH: &str = "/v2/vectordb/jobs/import/create";
pub const DESCRIBE_PATH: &str = "/v2/vectordb/jobs/import/describe";
pub const LIST_PATH: &str = "/v2/vectordb/jobs/import/list";

/// The seed's example create.
pub fn seed_job() -> CreateImportJob {
    CreateImportJob::new(CLUSTER, "medium_articles", SEED_URL)
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

/// As [`client`], giving up on each attempt after `timeout_ms`.
pub fn timing_out(base: &str, timeout_ms: u64) -> Client {
    Client::builder()
        .api_key(API_KEY)
        .base_url(base)
        .retry(fast_retry())
        .timeout(Duration::from_millis(timeout_ms))
        .build()
        .expect("client builds")
}

/// Panics if any sentinel secret occurs in `text`.
pub fn assert_no_secrets(what: &str, text: &str) {
    for s in SENTINELS {
        assert!(!text.contains(s), "{what} leaks {s:?}: {text}");
    }
    assert!(
        !text.contains("SIG-SENTINEL"),
        "{what} leaks the signature: {text}"
    );
}

/// Checks both renderings of an error.
pub fn assert_error_redacted(e: &zilliz_import::Error) {
    assert_no_secrets("Debug", &format!("{e:?}"));
    assert_no_secrets("Display", &e.to_string());
}

/// A base URL nothing listens on: bind an ephemeral port, then free it.
pub fn refused_base_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
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
    ok(
        json!({"jobId": JOB_ID, "collectionName": "medium_articles", "state": state, "progress": percent}),
    )
}

pub fn describe_body() -> Value {
    json!({"clusterId": CLUSTER, "jobId": JOB_ID})
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

/// The fields of an `Error::Api` as (code, message, status, request id,
/// attempts); panics on any other variant.
#[track_caller]
pub fn api_fields(e: &Error) -> (i64, &str, u16, Option<&str>, u32) {
    match e {
        Error::Api {
            code,
            message,
            status,
            request_id,
            attempts,
        } => (
            *code,
            message.as_str(),
            *status,
            request_id.as_deref(),
            *attempts,
        ),
        other => panic!("expected Api, got {other:?}"),
    }
}

/// Panics unless `e` is `Error::Http` with this status after this many
/// attempts.
#[track_caller]
pub fn assert_http(e: &Error, status: u16, attempts: u32) {
    assert!(
        matches!(e, Error::Http { status: s, attempts: a, .. } if *s == status && *a == attempts),
        "expected Http {{ status: {status}, attempts: {attempts}, .. }}, got {e:?} ({e})"
    );
}

/// Panics unless `e` is `Error::Decode` with this status after this many
/// attempts.
#[track_caller]
pub fn assert_decode(e: &Error, status: u16, attempts: u32) {
    assert!(
        matches!(e, Error::Decode { status: s, attempts: a, .. } if *s == status && *a == attempts),
        "expected Decode {{ status: {status}, attempts: {attempts}, .. }}, got {e:?} ({e})"
    );
}

/// Panics unless `e` is `Error::InvalidInput` naming `field`.
#[track_caller]
pub fn assert_invalid_input(e: &Error, field: &str) {
    assert!(
        matches!(e, Error::InvalidInput { field: f, .. } if *f == field),
        "expected InvalidInput({field}), got {e:?}"
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

// ------------------------------------------------------- scripted responder

/// Makes the answer to the `n`th request (from 0) from the request itself.
pub type Answer = Arc<dyn Fn(usize, &Seen) -> Reply + Send + Sync>;

/// One scripted answer.
#[derive(Clone)]
pub enum Reply {
    /// A complete raw HTTP response (status line, headers, body).
    Raw(String),
    /// Read the request, then say nothing for this long and close.
    Silence(Duration),
    /// Whatever the function answers for this request.
    Computed(Answer),
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Raw(raw) => f.debug_tuple("Raw").field(raw).finish(),
            Reply::Silence(d) => f.debug_tuple("Silence").field(d).finish(),
            Reply::Computed(_) => f.write_str("Computed"),
        }
    }
}

impl Reply {
    /// `status` with a JSON body and any extra header lines ("Name: value").
    pub fn json(status: u16, body: &Value, headers: &[&str]) -> Reply {
        Reply::text(status, "application/json", &body.to_string(), headers)
    }

    pub fn text(status: u16, content_type: &str, body: &str, headers: &[&str]) -> Reply {
        let mut head = format!(
            "HTTP/1.1 {status} {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
            reason(status),
            body.len()
        );
        for h in headers {
            head.push_str(h);
            head.push_str("\r\n");
        }
        Reply::Raw(format!("{head}\r\n{body}"))
    }

    /// An HTML gateway error, as a load balancer sends it.
    /// Answers every request with what `answer` makes of it.
    pub fn computed(answer: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static) -> Reply {
        Reply::Computed(Arc::new(answer))
    }

    pub fn gateway(status: u16) -> Reply {
        Reply::text(
            status,
            "text/html",
            "<html><body><h1>Service Unavailable</h1></body></html>",
            &[],
        )
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        401 => "Unauthorized",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Whatever",
    }
}

/// What the responder saw of one request.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub at: Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP/1.1 server that answers each request with the next reply
/// of its script (the last one repeats) and records every request.
pub struct Scripted {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Scripted {
    pub async fn start(script: Vec<Reply>) -> Scripted {
        assert!(!script.is_empty());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, &log, &script).await;
                });
            }
        });
        Scripted {
            base_url,
            seen,
            task,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn hits(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves one request on a connection; every reply closes it.
async fn serve(
    mut stream: TcpStream,
    log: &Mutex<Vec<Seen>>,
    script: &[Reply],
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let Some(request) = read_request(&mut stream, &mut buf).await? else {
        return Ok(());
    };
    let index = {
        let mut log = log.lock().unwrap();
        log.push(request.clone());
        log.len() - 1
    };
    let mut reply = script[index.min(script.len() - 1)].clone();
    if let Reply::Computed(answer) = &reply {
        reply = answer(index, &request);
    }
    match reply {
        Reply::Raw(raw) => {
            stream.write_all(raw.as_bytes()).await?;
            stream.flush().await?;
        }
        Reply::Silence(d) => tokio::time::sleep(d).await,
        Reply::Computed(_) => {}
    }
    Ok(())
}

async fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<Option<Seen>> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let at = Instant::now();
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let path = first.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = serde_json::from_slice(&buf[head_end..head_end + len]).unwrap_or(Value::Null);
    buf.drain(..head_end + len);
    Ok(Some(Seen {
        method,
        path,
        headers,
        body,
        at,
    }))
}
