//! What the emulator's tests share: the paths and ids they use, a reqwest
//! client per test thread, posting JSON and reading answers, and raw-TCP
//! helpers for the tests of bounds and connections.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::timeout;
use zilliz_import_emulator::{Emulator, EmulatorBuilder, EmulatorHandle};

pub(crate) const CREATE: &str = "/v2/vectordb/jobs/import/create";
pub(crate) const DESCRIBE: &str = "/v2/vectordb/jobs/import/describe";
pub(crate) const GET_PROGRESS: &str = "/v2/vectordb/jobs/import/get_progress";
pub(crate) const LIST: &str = "/v2/vectordb/jobs/import/list";
pub(crate) const COMMIT: &str = "/v2/vectordb/jobs/import/commit";
pub(crate) const ABORT: &str = "/v2/vectordb/jobs/import/abort";

/// The API key of the control-plane emulators these tests start.
pub(crate) const KEY: &str = "secret-test-key";
/// The emulator's default cluster, and another one.
pub(crate) const CLUSTER: &str = "in01-emulator";
pub(crate) const OTHER_CLUSTER: &str = "in01-other";
/// The emulator's default project and its region.
pub(crate) const PROJECT: &str = "proj-emulator";
pub(crate) const REGION: &str = "aws-us-west-2";
/// The seed's example object URL.
pub(crate) const EXAMPLE_URL: &str = "https://s3.us-west-2.amazonaws.com/publicdataset.zillizcloud.com/medium_articles_2020_dpr/medium_articles_2020_dpr.json";

thread_local! {
    // One client per test thread: building a client is slow, and each test has
    // its own runtime (a pooled connection must not outlive its runtime).
    static CLIENT: reqwest::Client = reqwest::Client::new();
}

/// This test thread's reqwest client.
pub(crate) fn client() -> reqwest::Client {
    CLIENT.with(Clone::clone)
}

/// A control-plane emulator with [`KEY`], [`CLUSTER`] and [`OTHER_CLUSTER`],
/// jobs of `duration`, paths containing `fail` failing, a manual clock.
pub(crate) async fn start_manual(duration: Duration) -> EmulatorHandle {
    Emulator::builder()
        .api_key(KEY)
        .cluster_ids([CLUSTER, OTHER_CLUSTER])
        .job_duration(duration)
        .fail_when_url_contains("fail")
        .manual_clock()
        .start()
        .await
        .expect("emulator starts")
}

/// [`KEY`], [`CLUSTER`] alone, 10 s jobs and a manual clock, to set more on.
pub(crate) fn manual_builder() -> EmulatorBuilder {
    Emulator::builder()
        .api_key(KEY)
        .cluster_ids([CLUSTER])
        .job_duration(Duration::from_secs(10))
        .manual_clock()
}

/// POSTs `body` with `Bearer <token>` (none when `token` is `None`) and
/// extra headers; the HTTP status and the JSON answer.
pub(crate) async fn send(
    h: &EmulatorHandle,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut req = client()
        .post(format!("{}{path}", h.base_url()))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("request sent");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON answer"))
}

/// POSTs JSON with the handle's own token.
pub(crate) async fn post(h: &EmulatorHandle, path: &str, body: Value) -> (u16, Value) {
    send(h, path, Some(h.api_key()), &[], body.to_string()).await
}

/// POSTs JSON with the handle's token and extra headers.
pub(crate) async fn post_with(
    h: &EmulatorHandle,
    path: &str,
    headers: &[(&str, &str)],
    body: Value,
) -> (u16, Value) {
    send(h, path, Some(h.api_key()), headers, body.to_string()).await
}

/// A successful create's job id; `data` holds `jobId` alone.
pub(crate) async fn created(h: &EmulatorHandle, headers: &[(&str, &str)], body: Value) -> String {
    let (status, answer) = post_with(h, CREATE, headers, body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["code"], 0, "{answer}");
    assert_eq!(keys(&answer["data"]), set(&["jobId"]));
    answer["data"]["jobId"].as_str().expect("jobId").to_owned()
}

/// A create of `url` into `collection` on [`CLUSTER`]; the job id.
pub(crate) async fn create(h: &EmulatorHandle, collection: &str, url: &str) -> String {
    let (status, body) = post(
        h,
        CREATE,
        json!({"clusterId": CLUSTER, "collectionName": collection, "objectUrl": url}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], 0, "{body}");
    body["data"]["jobId"].as_str().expect("jobId").to_owned()
}

/// Describe's `data` for `job_id` on [`CLUSTER`].
pub(crate) async fn describe(h: &EmulatorHandle, job_id: &str) -> Value {
    let (status, body) = post(h, DESCRIBE, json!({"clusterId": CLUSTER, "jobId": job_id})).await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], 0, "{body}");
    body["data"].clone()
}

/// The keys of a JSON object.
pub(crate) fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

/// A set of keys, to compare with [`keys`].
pub(crate) fn set(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| (*k).to_owned()).collect()
}

/// A request head as bytes; `auth` is the bearer token, if any.
pub(crate) fn head(path: &str, auth: Option<&str>, content_length: usize) -> Vec<u8> {
    let mut h = format!(
        "POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {content_length}\r\n"
    );
    if let Some(key) = auth {
        h.push_str(&format!("authorization: Bearer {key}\r\n"));
    }
    h.push_str("\r\n");
    h.into_bytes()
}

/// Reads one response (head and a `content-length` body) within `limit`:
/// status and JSON body, or `None` if the connection ended or time ran out first.
pub(crate) async fn read_response(stream: &mut TcpStream, limit: Duration) -> Option<(u16, Value)> {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if buf.len() > 64 * 1024 {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let status: u16 = head.get(9..12)?.parse().ok()?;
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))?
            .trim()
            .parse()
            .ok()?;
        while buf.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let body = serde_json::from_slice(&buf[head_end..head_end + length]).ok()?;
        Some((status, body))
    };
    timeout(limit, read).await.ok().flatten()
}

/// Waits (at most `limit`) for the server to close the connection: a read
/// that returns end-of-file or an error. Bytes before that (an error page) are
/// skipped. `Some(elapsed)` when it closed, `None` when it was still open.
pub(crate) async fn wait_closed(
    stream: &mut TcpStream,
    since: Instant,
    limit: Duration,
) -> Option<Duration> {
    let closed = async {
        let mut chunk = [0u8; 1024];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return since.elapsed(),
                Ok(_) => {}
            }
        }
    };
    timeout(limit, closed).await.ok()
}
