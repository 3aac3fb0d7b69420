//! HTTP handling: routing, auth, bounded body reading, lenient parsing,
//! validation and the envelope.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::Response;
use bytes::BytesMut;
use hyper::body::{Body as _, Incoming};
use serde_json::{Map, Value, json};

use super::log::Entry;
use super::store::NewJob;
use super::{MAX_BODY_BYTES, MAX_RECORDED_BODY_BYTES, Shared, lock};
use crate::{REDACTED, redact::redact_urls_in_text};

const CREATE: &str = "/v2/vectordb/jobs/import/create";
const DESCRIBE: &str = "/v2/vectordb/jobs/import/describe";
const GET_PROGRESS: &str = "/v2/vectordb/jobs/import/getProgress";
const GET_PROGRESS_SNAKE: &str = "/v2/vectordb/jobs/import/get_progress";
const LIST: &str = "/v2/vectordb/jobs/import/list";

use crate::codes;

/// Body keys whose values are credentials and must never be recorded.
const SECRET_KEYS: &[&str] = &[
    "accesskey",
    "secretkey",
    "token",
    "apikey",
    "api_key",
    "password",
];

#[derive(Clone, Copy)]
enum Endpoint {
    Create,
    Describe,
    List,
}

/// An answer before it becomes HTTP: status, envelope code, envelope JSON.
struct Reply {
    status: StatusCode,
    code: i64,
    body: Value,
}

impl Reply {
    fn ok(data: Value) -> Self {
        Self {
            status: StatusCode::OK,
            code: 0,
            body: json!({ "code": 0, "data": data }),
        }
    }

    fn err(code: i64, message: impl Into<String>) -> Self {
        Self::err_status(StatusCode::OK, code, message)
    }

    fn err_status(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            body: json!({ "code": code, "message": message.into() }),
        }
    }

    /// Errors about the HTTP exchange itself use the HTTP status as the code.
    fn http(status: StatusCode, message: impl Into<String>) -> Self {
        Self::err_status(status, i64::from(status.as_u16()), message)
    }

    fn into_response(self) -> Response {
        let bytes = serde_json::to_vec(&self.body).unwrap_or_default();
        let mut response = Response::new(Body::from(bytes));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().simple().to_string()) {
            // The service sends a request id; clients may carry it into errors.
            headers.insert("requestid", id);
        }
        response
    }
}

/// The answer when a handler panics: the connection still gets an envelope.
pub(crate) fn internal_error() -> Response {
    Reply::http(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error in the emulator",
    )
    .into_response()
}

/// Handles one request; every request (even to an unknown path) is recorded.
///
/// Order matters for memory: the path, method and bearer token are checked
/// from the head alone, and only a request that passes all three has its body
/// read (bounded in size and time), parsed and recorded. Anything else is
/// answered without touching the body, which hyper then discards or, if it
/// has not arrived yet, stops reading by closing the connection after the answer.
pub(crate) async fn dispatch(shared: Arc<Shared>, req: Request<Incoming>) -> Response {
    let (parts, body) = req.into_parts();
    let headers = &parts.headers;
    let authorized = is_authorized(headers, &shared.config.api_key);

    let (reply, recorded_body) = match route(&parts.method, parts.uri.path(), authorized) {
        Err(reply) => (reply, None),
        Ok(endpoint) => {
            match read_body(body, headers, shared.config.body_read_timeout).await {
                Err(reply) => (reply, None),
                Ok(bytes) => {
                    let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
                    // Redact before acting, so nothing about recording can
                    // fail after a job was stored.
                    let recorded = parsed
                        .as_ref()
                        .filter(|_| bytes.len() <= MAX_RECORDED_BODY_BYTES)
                        .map(|v| redact(v, &shared.config.api_key))
                        .and_then(|v| serde_json::to_string(&v).ok());
                    drop(bytes);
                    (
                        handle(&shared, endpoint, parsed.as_ref(), headers),
                        recorded,
                    )
                }
            }
        }
    };

    lock(&shared.requests).push(Entry {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        authorized,
        idempotency_key: header_string(headers, "idempotency-key"),
        content_type: header_string(headers, header::CONTENT_TYPE.as_str()),
        user_agent: header_string(headers, header::USER_AGENT.as_str()),
        body: recorded_body,
        status: reply.status.as_u16(),
        code: reply.code,
    });
    reply.into_response()
}

/// Which endpoint a request is for, from its head alone: unknown paths are
/// 404, other methods 405, a wrong or missing key 401.
fn route(method: &Method, path: &str, authorized: bool) -> Result<Endpoint, Reply> {
    let endpoint = match path {
        CREATE => Endpoint::Create,
        DESCRIBE | GET_PROGRESS | GET_PROGRESS_SNAKE => Endpoint::Describe,
        LIST => Endpoint::List,
        _ => {
            return Err(Reply::http(
                StatusCode::NOT_FOUND,
                format!("no such endpoint: {method} {path}"),
            ));
        }
    };
    if method != Method::POST {
        return Err(Reply::http(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method {method} not allowed on {path}; use POST"),
        ));
    }
    if !authorized {
        return Err(Reply::err_status(
            StatusCode::UNAUTHORIZED,
            codes::ILLEGAL_API_KEY,
            "The apikey is illegal.",
        ));
    }
    Ok(endpoint)
}

/// Reads the whole body, refusing more than [`MAX_BODY_BYTES`] (413, without
/// reading when the declared length already says so) and giving up after
/// `timeout` (408), so a slow or endless body cannot hold the handler.
async fn read_body(
    mut body: Incoming,
    headers: &HeaderMap,
    timeout: Duration,
) -> Result<Bytes, Reply> {
    let too_large = || {
        Reply::http(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body too large: at most {MAX_BODY_BYTES} bytes are accepted"),
        )
    };
    let limit = MAX_BODY_BYTES as u64;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) || body.size_hint().lower() > limit {
        return Err(too_large());
    }
    let collect = async {
        let mut buf = BytesMut::new();
        while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
            let frame = frame.map_err(|_| {
                Reply::http(StatusCode::BAD_REQUEST, "could not read the request body")
            })?;
            if let Ok(data) = frame.into_data() {
                if buf.len().saturating_add(data.len()) > MAX_BODY_BYTES {
                    return Err(too_large());
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok(buf.freeze())
    };
    tokio::time::timeout(timeout, collect)
        .await
        .unwrap_or_else(|_| {
            Err(Reply::http(
                StatusCode::REQUEST_TIMEOUT,
                format!("request body not received within {timeout:?}"),
            ))
        })
}

fn handle(shared: &Shared, endpoint: Endpoint, body: Option<&Value>, headers: &HeaderMap) -> Reply {
    let Some(body) = body else {
        return Reply::err(
            codes::BAD_PARAMETER,
            "invalid parameter: the request body is not valid JSON",
        );
    };
    let Some(obj) = body.as_object() else {
        return Reply::err(
            codes::BAD_PARAMETER,
            "invalid parameter: the request body must be a JSON object",
        );
    };
    let result = match endpoint {
        Endpoint::Create => create(shared, obj, headers),
        Endpoint::Describe => describe(shared, obj),
        Endpoint::List => list(shared, obj),
    };
    result.unwrap_or_else(|e| e)
}

fn is_authorized(headers: &HeaderMap, key: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, token)) = value.trim().split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && token.trim() == key
}

fn header_string(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Replaces credential values at any depth, any string holding the API key
/// (the Java SDK sends the key inside the body), and the query string of a
/// presigned URL.
fn redact(value: &Value, api_key: &str) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let secret = SECRET_KEYS.iter().any(|s| k.eq_ignore_ascii_case(s));
                    let v = if secret && !v.is_null() {
                        Value::String(REDACTED.to_owned())
                    } else {
                        redact(v, api_key)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| redact(v, api_key)).collect()),
        Value::String(s) if !api_key.is_empty() && s.contains(api_key) => {
            Value::String(REDACTED.to_owned())
        }
        Value::String(s) => Value::String(redact_urls_in_text(s)),
        other => other.clone(),
    }
}

type Handled = Result<Reply, Reply>;

/// A string field: absent, `null` and `""` all mean unset; numbers are accepted
/// as their decimal text (some clients send ids as numbers).
fn opt_str(obj: &Map<String, Value>, field: &str) -> Result<Option<String>, Reply> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(Reply::err(
            codes::BAD_PARAMETER,
            format!("invalid parameter: {field} must be a string"),
        )),
    }
}

/// An integer field: absent, `null` and `""` mean unset; numeric strings are accepted.
fn opt_int(obj: &Map<String, Value>, field: &str) -> Result<Option<i64>, Reply> {
    let bad = || {
        Reply::err(
            codes::BAD_PARAMETER,
            format!("invalid parameter: {field} must be an integer"),
        )
    };
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
        Some(_) => Err(bad()),
    }
}

/// Checks `clusterId` the way the service does: empty is 96025, unknown 96018.
fn cluster(shared: &Shared, obj: &Map<String, Value>) -> Result<String, Reply> {
    let Some(id) = opt_str(obj, "clusterId")? else {
        return Err(Reply::err(
            codes::CLUSTER_ID_EMPTY,
            "clusterId is empty: set clusterId to the id of your cluster",
        ));
    };
    if !shared.config.cluster_ids.contains(&id) {
        return Err(Reply::err(
            codes::CLUSTER_NOT_FOUND,
            format!("cluster not found: clusterId '{id}' does not exist"),
        ));
    }
    Ok(id)
}

/// `objectUrls` (array of arrays, flattened; flat strings tolerated) wins over
/// `objectUrl`; empty strings and `null` entries are skipped.
fn object_urls(obj: &Map<String, Value>) -> Result<Vec<String>, Reply> {
    let bad = || {
        Reply::err(
            codes::BAD_PARAMETER,
            "invalid parameter: objectUrls must be an array of arrays of strings",
        )
    };
    let mut urls = Vec::new();
    match obj.get("objectUrls") {
        None | Some(Value::Null) => {}
        Some(Value::Array(groups)) => {
            for group in groups {
                match group {
                    Value::Null => {}
                    Value::String(s) => urls.push(s.clone()),
                    Value::Array(items) => {
                        for item in items {
                            match item {
                                Value::Null => {}
                                Value::String(s) => urls.push(s.clone()),
                                _ => return Err(bad()),
                            }
                        }
                    }
                    _ => return Err(bad()),
                }
            }
        }
        Some(_) => return Err(bad()),
    }
    urls.retain(|u| !u.trim().is_empty());
    if urls.is_empty()
        && let Some(url) = opt_str(obj, "objectUrl")?
    {
        urls.push(url);
    }
    Ok(urls)
}

fn create(shared: &Shared, obj: &Map<String, Value>, headers: &HeaderMap) -> Handled {
    let cluster_id = cluster(shared, obj)?;
    let Some(collection_name) = opt_str(obj, "collectionName")? else {
        return Err(Reply::err(
            codes::BAD_PARAMETER,
            "invalid parameter: collectionName is required",
        ));
    };
    let urls = object_urls(obj)?;
    if urls.is_empty() {
        return Err(Reply::err(
            codes::BAD_PARAMETER,
            "invalid parameter: no data source; set objectUrls (or objectUrl)",
        ));
    }
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let bytes = v.as_bytes();
            if bytes.len() > crate::MAX_IDEMPOTENCY_KEY_LEN
                || !bytes.iter().all(|b| (0x20..0x7f).contains(b))
            {
                return Err(Reply::err(
                    codes::BAD_PARAMETER,
                    "invalid parameter: Idempotency-Key must be printable ASCII, at most 256 bytes",
                ));
            }
            Some(String::from_utf8_lossy(bytes).into_owned()).filter(|k| !k.is_empty())
        }
    };
    let new = NewJob {
        cluster_id,
        db_name: opt_str(obj, "dbName")?.unwrap_or_else(|| "default".to_owned()),
        collection_name,
        partition_name: opt_str(obj, "partitionName")?.unwrap_or_default(),
        urls,
        idempotency_key,
    };
    let now = shared.clock.now();
    let (job_id, _created) = lock(&shared.store).create(
        new,
        now,
        shared.config.job_duration,
        &shared.config.fail_substrings,
    );
    Ok(Reply::ok(json!({ "jobId": job_id })))
}

fn describe(shared: &Shared, obj: &Map<String, Value>) -> Handled {
    let cluster_id = cluster(shared, obj)?;
    let Some(job_id) = opt_str(obj, "jobId")? else {
        return Err(Reply::err(
            codes::BAD_PARAMETER,
            "invalid parameter: jobId is required",
        ));
    };
    let now = shared.clock.now();
    let duration = shared.config.job_duration;
    let store = lock(&shared.store);
    let Some(job) = store.get(&job_id).filter(|j| j.cluster_id == cluster_id) else {
        return Err(Reply::err(
            codes::JOB_NOT_FOUND,
            format!("job not found: jobId '{job_id}' does not exist in cluster '{cluster_id}'"),
        ));
    };
    let snap = job.snapshot(now, duration);
    let complete_time = snap
        .finished_at
        .map(|t| shared.clock.rfc3339(t))
        .unwrap_or_default();
    let completed = snap.state == super::JobState::Completed;
    let failed = snap.state == super::JobState::Failed;
    let details: Vec<Value> = job
        .files
        .iter()
        .map(|f| {
            let reason = if failed && f.fails {
                failure_reason(&f.url)
            } else {
                String::new()
            };
            json!({
                "fileName": f.name,
                "fileSize": f.size,
                "state": snap.state.describe_name(),
                "progress": snap.progress,
                "completeTime": complete_time,
                "reason": reason,
                "totalRows": if completed { f.rows } else { 0 },
            })
        })
        .collect();
    let reason = if failed {
        job.files
            .iter()
            .find(|f| f.fails)
            .map(|f| failure_reason(&f.url))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(Reply::ok(json!({
        "jobId": job.id,
        "collectionName": job.collection_name,
        "fileName": job.file_name(),
        "fileSize": job.file_size(),
        "state": snap.state.describe_name(),
        "progress": snap.progress,
        "completeTime": complete_time,
        "reason": reason,
        "totalRows": if completed { job.total_rows() } else { 0 },
        "details": details,
    })))
}

fn failure_reason(url: &str) -> String {
    format!("failed to read object {url}: access denied (emulated failure)")
}

fn list(shared: &Shared, obj: &Map<String, Value>) -> Handled {
    let cluster_id = cluster(shared, obj)?;
    let page_size = opt_int(obj, "pageSize")?.unwrap_or(10);
    if !(1..=100).contains(&page_size) {
        return Err(Reply::err(
            codes::PAGE_SIZE_OUT_OF_RANGE,
            format!("pageSize must be between 1 and 100, got {page_size}"),
        ));
    }
    let current_page = opt_int(obj, "currentPage")?.unwrap_or(1);
    if current_page < 1 {
        return Err(Reply::err(
            codes::CURRENT_PAGE_OUT_OF_RANGE,
            format!("currentPage must be at least 1, got {current_page}"),
        ));
    }
    let db_name = opt_str(obj, "dbName")?;
    let now = shared.clock.now();
    let duration = shared.config.job_duration;
    let store = lock(&shared.store);
    let matching = store.iter().filter(|j| {
        j.cluster_id == cluster_id && db_name.as_deref().is_none_or(|db| j.db_name == db)
    });
    let count = matching.clone().count();
    // Both are in 1..=100 and >= 1, so the conversions cannot fail.
    let size = usize::try_from(page_size).unwrap_or(10);
    let skip = usize::try_from(current_page - 1)
        .unwrap_or(usize::MAX)
        .saturating_mul(size);
    let records: Vec<Value> = matching
        .skip(skip)
        .take(size)
        .map(|j| {
            let snap = j.snapshot(now, duration);
            json!({
                "collectionName": j.collection_name,
                "jobId": j.id,
                "state": snap.state.list_name(),
                "progress": snap.progress,
            })
        })
        .collect();
    Ok(Reply::ok(json!({
        "count": count,
        "currentPage": current_page,
        "pageSize": page_size,
        "records": records,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_secrets_at_any_depth() {
        let body = json!({
            "accessKey": "AK", "secretKey": "SK", "token": null,
            "nested": [{"Token": "T"}], "apiKey": "k", "note": "xx-the-key-xx",
            "collectionName": "c"
        });
        assert_eq!(
            redact(&body, "the-key"),
            json!({
                "accessKey": "<redacted>", "secretKey": "<redacted>", "token": null,
                "nested": [{"Token": "<redacted>"}], "apiKey": "<redacted>",
                "note": "<redacted>", "collectionName": "c"
            })
        );
    }
}
