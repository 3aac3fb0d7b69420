//! HTTP handling: routing, auth, lenient body parsing, validation and the envelope.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::store::NewJob;
use super::{RecordedRequest, Shared, lock};
use crate::{REDACTED, redact::redact_urls_in_text};

const CREATE: &str = "/v2/vectordb/jobs/import/create";
const DESCRIBE: &str = "/v2/vectordb/jobs/import/describe";
const GET_PROGRESS: &str = "/v2/vectordb/jobs/import/getProgress";
const GET_PROGRESS_SNAKE: &str = "/v2/vectordb/jobs/import/get_progress";
const LIST: &str = "/v2/vectordb/jobs/import/list";

const CODE_BAD_PARAMETER: i64 = 80000;
const CODE_ILLEGAL_KEY: i64 = 21119;
const CODE_PAGE_SIZE: i64 = 96008;
const CODE_CURRENT_PAGE: i64 = 96009;
const CODE_CLUSTER_NOT_FOUND: i64 = 96018;
const CODE_CLUSTER_EMPTY: i64 = 96025;
const CODE_JOB_NOT_FOUND: i64 = 96026;

/// Body keys whose values are credentials and must never be recorded.
const SECRET_KEYS: &[&str] = &[
    "accesskey",
    "secretkey",
    "token",
    "apikey",
    "api_key",
    "password",
];

/// One fallback handler does everything, so every request (even to an
/// unknown path) is recorded the same way.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new().fallback(dispatch).with_state(shared)
}

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
}

async fn dispatch(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    let authorized = is_authorized(&headers, &shared.config.api_key);
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let idempotency_key = header_string(&headers, "idempotency-key");

    let reply = handle(
        &shared,
        &method,
        &path,
        authorized,
        parsed.as_ref(),
        &headers,
    );

    let recorded_body = parsed
        .map(|v| redact(v, &shared.config.api_key))
        .unwrap_or(Value::Null);
    lock(&shared.requests).push(RecordedRequest {
        method: method.as_str().to_owned(),
        path,
        authorized,
        idempotency_key,
        content_type: header_string(&headers, header::CONTENT_TYPE.as_str()),
        user_agent: header_string(&headers, header::USER_AGENT.as_str()),
        body: recorded_body,
        status: reply.status.as_u16(),
        code: reply.code,
    });

    let mut response = (reply.status, axum::Json(reply.body)).into_response();
    if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().simple().to_string()) {
        // The service sends a request id; clients may carry it into errors.
        response.headers_mut().insert("requestid", id);
    }
    response
}

fn handle(
    shared: &Shared,
    method: &Method,
    path: &str,
    authorized: bool,
    body: Option<&Value>,
    headers: &HeaderMap,
) -> Reply {
    let endpoint = match path {
        CREATE => Endpoint::Create,
        DESCRIBE | GET_PROGRESS | GET_PROGRESS_SNAKE => Endpoint::Describe,
        LIST => Endpoint::List,
        _ => {
            return Reply::err_status(
                StatusCode::NOT_FOUND,
                404,
                format!("no such endpoint: {method} {path}"),
            );
        }
    };
    if method != Method::POST {
        return Reply::err_status(
            StatusCode::METHOD_NOT_ALLOWED,
            405,
            format!("method {method} not allowed on {path}; use POST"),
        );
    }
    if !authorized {
        return Reply::err_status(
            StatusCode::UNAUTHORIZED,
            CODE_ILLEGAL_KEY,
            "The apikey is illegal.",
        );
    }
    let Some(body) = body else {
        return Reply::err(
            CODE_BAD_PARAMETER,
            "invalid parameter: the request body is not valid JSON",
        );
    };
    let Some(obj) = body.as_object() else {
        return Reply::err(
            CODE_BAD_PARAMETER,
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
fn redact(value: Value, api_key: &str) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let secret = SECRET_KEYS.iter().any(|s| k.eq_ignore_ascii_case(s));
                    let v = if secret && !v.is_null() {
                        Value::String(REDACTED.to_owned())
                    } else {
                        redact(v, api_key)
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| redact(v, api_key)).collect())
        }
        Value::String(s) if !api_key.is_empty() && s.contains(api_key) => {
            Value::String(REDACTED.to_owned())
        }
        Value::String(s) => Value::String(redact_urls_in_text(&s)),
        other => other,
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
            CODE_BAD_PARAMETER,
            format!("invalid parameter: {field} must be a string"),
        )),
    }
}

/// An integer field: absent, `null` and `""` mean unset; numeric strings are accepted.
fn opt_int(obj: &Map<String, Value>, field: &str) -> Result<Option<i64>, Reply> {
    let bad = || {
        Reply::err(
            CODE_BAD_PARAMETER,
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
            CODE_CLUSTER_EMPTY,
            "clusterId is empty: set clusterId to the id of your cluster",
        ));
    };
    if !shared.config.cluster_ids.contains(&id) {
        return Err(Reply::err(
            CODE_CLUSTER_NOT_FOUND,
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
            CODE_BAD_PARAMETER,
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
            CODE_BAD_PARAMETER,
            "invalid parameter: collectionName is required",
        ));
    };
    let urls = object_urls(obj)?;
    if urls.is_empty() {
        return Err(Reply::err(
            CODE_BAD_PARAMETER,
            "invalid parameter: no data source; set objectUrls (or objectUrl)",
        ));
    }
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let bytes = v.as_bytes();
            if bytes.len() > 256 || !bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
                return Err(Reply::err(
                    CODE_BAD_PARAMETER,
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
    let (job_id, _created) = lock(&shared.store).create(new, now, &shared.config.fail_substrings);
    Ok(Reply::ok(json!({ "jobId": job_id })))
}

fn describe(shared: &Shared, obj: &Map<String, Value>) -> Handled {
    let cluster_id = cluster(shared, obj)?;
    let Some(job_id) = opt_str(obj, "jobId")? else {
        return Err(Reply::err(
            CODE_BAD_PARAMETER,
            "invalid parameter: jobId is required",
        ));
    };
    let now = shared.clock.now();
    let duration = shared.config.job_duration;
    let store = lock(&shared.store);
    let Some(job) = store.get(&job_id).filter(|j| j.cluster_id == cluster_id) else {
        return Err(Reply::err(
            CODE_JOB_NOT_FOUND,
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
            CODE_PAGE_SIZE,
            format!("pageSize must be between 1 and 100, got {page_size}"),
        ));
    }
    let current_page = opt_int(obj, "currentPage")?.unwrap_or(1);
    if current_page < 1 {
        return Err(Reply::err(
            CODE_CURRENT_PAGE,
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
            redact(body, "the-key"),
            json!({
                "accessKey": "<redacted>", "secretKey": "<redacted>", "token": null,
                "nested": [{"Token": "<redacted>"}], "apiKey": "<redacted>",
                "note": "<redacted>", "collectionName": "c"
            })
        );
    }
}
