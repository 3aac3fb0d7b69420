//! HTTP handling: the router (one route per operation), the request log and
//! auth middleware, bounded body reading and the envelope. What each
//! operation does is in `cloud.rs` (the control plane) and `milvus.rs`.
//!
//! Order matters for memory. The router answers an unknown path (404) or
//! another method than POST (405) from the head alone; the auth middleware,
//! which runs only on a matched path and method, answers a wrong or missing
//! token (401) from the head too. Only a request that passes all three has its body read
//! (bounded in size and time), parsed and recorded. Anything else is answered
//! without touching the body, which hyper then discards or, if it has not
//! arrived yet, stops reading by closing the connection after the answer.
//! The outermost middleware records every request, whichever way it ended.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::post;
use bytes::BytesMut;
use hyper::body::Body as _;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::log::Entry;
use super::store::{Action, JobTarget, NewJob, Refused};
use super::{MAX_BODY_BYTES, MAX_RECORDED_BODY_BYTES, Mode, Shared, cloud, lock, milvus};
use crate::{REDACTED, codes, generated::types, redact::redact_urls_in_text};

const CREATE: &str = "/v2/vectordb/jobs/import/create";
const DESCRIBE: &str = "/v2/vectordb/jobs/import/describe";
const GET_PROGRESS: &str = "/v2/vectordb/jobs/import/getProgress";
const GET_PROGRESS_SNAKE: &str = "/v2/vectordb/jobs/import/get_progress";
const LIST: &str = "/v2/vectordb/jobs/import/list";
const COMMIT: &str = "/v2/vectordb/jobs/import/commit";
const ABORT: &str = "/v2/vectordb/jobs/import/abort";

/// The header open-source Milvus reads the database from.
pub(crate) const DB_NAME_HEADER: &str = "db-name";

/// The header that makes a create idempotent.
pub(crate) const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// Body keys whose values are credentials and must never be recorded.
const SECRET_KEYS: &[&str] = &[
    "accesskey",
    "secretkey",
    "token",
    "apikey",
    "api_key",
    "password",
];

/// The operations; `describe` and both progress paths are one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Create,
    Describe,
    List,
    /// A two-phase import's commit.
    Commit,
    /// A two-phase import's abort.
    Abort,
}

/// What an operation answers: `Err` for a refusal, so `?` can end it early.
pub(crate) type Handled = Result<Reply, Reply>;

/// One authorized request with its body parsed: what an operation reads.
pub(crate) struct Call<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a Map<String, Value>,
}

impl Call<'_> {
    /// A header's value as text (lossy), if sent.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        header_string(self.headers, name)
    }

    /// Stores a validated create (or finds the job its idempotency key
    /// made) and answers with its id, as both modes do; refuses an
    /// `auto_commit` option that does not parse with the mode's invalid
    /// parameter code (1100 on Milvus, 80000 on the control plane), and a
    /// job the memory budget has no room for beside the unfinished ones
    /// with the mode's "too many jobs, retry later" code (2100 on Milvus,
    /// as when it runs too many jobs; 47055 on the control plane).
    pub(crate) fn create_job(&self, new: NewJob) -> Handled {
        let shared = self.shared;
        let created = lock(&shared.store).create(
            new,
            shared.clock.now(),
            shared.config.job_duration(),
            &shared.config.fail_substrings,
        );
        let mode = shared.config.mode;
        let (job_id, _created) = created.map_err(|refused| match refused {
            Refused::InvalidOption(problem) => invalid_parameter(mode, &problem),
            Refused::Full(full) => match mode {
                Mode::Cloud => Reply::err(codes::CLUSTER_BUSY_V1, full.to_string()),
                Mode::Milvus => Reply::err(
                    codes::MILVUS_IMPORT_FAILED,
                    format!("import failed: {full}"),
                ),
            },
        })?;
        Ok(Reply::ok(&types::CreateImportJobResponse {
            code: 0,
            data: Some(types::CreatedImportJobData { job_id }),
            message: None,
        }))
    }

    /// Commits or aborts the job `job_id` of `target`, as both modes do
    /// once they have read the body their way: `not_found` answers when no
    /// such job is held there; a refusal (see
    /// [`Job::settle`](super::store::Job::settle) for the rules) is code
    /// 2100 with the job and its state named; success is
    /// `{"code":0,"data":{}}`.
    pub(crate) fn settle_job(
        &self,
        action: Action,
        job_id: &str,
        target: &JobTarget,
        not_found: impl FnOnce() -> Reply,
    ) -> Handled {
        let shared = self.shared;
        let mut store = lock(&shared.store);
        // Read under the lock, so settlements of one job are in clock order.
        let now = shared.clock.now();
        let Some(settled) = store.settle(job_id, target, action, now) else {
            return Err(not_found());
        };
        drop(store);
        settled.map_err(|refusal| Reply::err(codes::MILVUS_IMPORT_FAILED, refusal))?;
        Ok(Reply::ok_with_data(&types::ImportJobActionResponse {
            code: 0,
            data: Map::new(),
            message: None,
        }))
    }
}

/// `invalid parameter: …` with the mode's code for it.
fn invalid_parameter(mode: Mode, what: &str) -> Reply {
    let code = match mode {
        Mode::Cloud => codes::BAD_PARAMETER,
        Mode::Milvus => codes::MILVUS_INVALID_PARAMETER,
    };
    Reply::err(code, format!("invalid parameter: {what}"))
}

/// An answer before it becomes HTTP: status, envelope code, envelope JSON.
#[derive(Debug)]
pub(crate) struct Reply {
    status: StatusCode,
    code: i64,
    body: Value,
}

/// The envelope code of an answer, carried from the handler to the request
/// log in the response's extensions.
#[derive(Debug, Clone, Copy)]
struct ReplyCode(i64);

/// The redacted body as the log keeps it, carried the same way.
#[derive(Debug, Clone)]
struct RecordedBody(String);

impl Reply {
    /// A success: one of the generated `*Response` envelopes, as JSON.
    ///
    /// The spec types `progress` as a number (a server has sent 10.5), so
    /// the generated types hold `f64` and would write `50.0`; the services
    /// write whole percentages as integers, and so does the emulator.
    pub(crate) fn ok<T: Serialize>(envelope: &T) -> Self {
        match serde_json::to_value(envelope) {
            Ok(mut body) => {
                whole_progress(&mut body);
                Self {
                    status: StatusCode::OK,
                    code: 0,
                    body,
                }
            }
            Err(_) => Self::http(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error in the emulator: the answer does not serialize",
            ),
        }
    }

    /// [`Reply::ok`] with `data` present even when empty: the generated
    /// types skip an empty `data` map, but the services send `"data":{}`
    /// (commit and abort answer `{"code":0,"data":{}}`).
    pub(crate) fn ok_with_data<T: Serialize>(envelope: &T) -> Self {
        let mut reply = Self::ok(envelope);
        if reply.code == 0
            && let Value::Object(body) = &mut reply.body
        {
            body.entry("data")
                .or_insert_with(|| Value::Object(Map::new()));
        }
        reply
    }

    /// A failure with HTTP 200, as the services answer most failures.
    pub(crate) fn err(code: i64, message: impl Into<String>) -> Self {
        Self::err_status(StatusCode::OK, code, message)
    }

    pub(crate) fn err_status(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
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
        response.extensions_mut().insert(ReplyCode(self.code));
        response
    }
}

/// Writes every whole `progress` value (at any depth) as an integer.
fn whole_progress(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "progress"
                    && let Some(f) = v.as_f64()
                    && v.is_f64()
                    && f.fract() == 0.0
                    && (0.0..=100.0).contains(&f)
                {
                    // A whole number from 0 to 100: the cast is exact.
                    *v = Value::from(f as i64);
                } else {
                    whole_progress(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_progress),
        _ => {}
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

/// The emulator's routes: one per operation path, POST only and behind the
/// auth check; 405 for another method and 404 for an unknown path, both
/// answered before auth, whatever the token; and the request log around
/// everything.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let op = |endpoint: Endpoint| {
        post(
            move |State(shared): State<Arc<Shared>>, req: Request| async move {
                operation(&shared, endpoint, req).await
            },
        )
        // The method router's `route_layer` wraps its methods but not its
        // fallback (the router-wide one would wrap both).
        .route_layer(from_fn_with_state(Arc::clone(&shared), authenticate))
        .fallback(method_not_allowed)
    };
    Router::new()
        .route(CREATE, op(Endpoint::Create))
        .route(DESCRIBE, op(Endpoint::Describe))
        .route(GET_PROGRESS, op(Endpoint::Describe))
        .route(GET_PROGRESS_SNAKE, op(Endpoint::Describe))
        .route(LIST, op(Endpoint::List))
        .route(COMMIT, op(Endpoint::Commit))
        .route(ABORT, op(Endpoint::Abort))
        .fallback(not_found)
        .layer(from_fn_with_state(Arc::clone(&shared), record))
        .with_state(shared)
}

async fn not_found(method: Method, uri: Uri) -> Response {
    Reply::http(
        StatusCode::NOT_FOUND,
        format!("no such endpoint: {method} {}", uri.path()),
    )
    .into_response()
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    Reply::http(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method {method} not allowed on {}; use POST", uri.path()),
    )
    .into_response()
}

/// Refuses a request without the right bearer token, from its head alone.
async fn authenticate(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    if shared.is_authorized(req.headers()) {
        return next.run(req).await;
    }
    let reply = match shared.config.mode {
        Mode::Cloud => Reply::err_status(
            StatusCode::UNAUTHORIZED,
            codes::ILLEGAL_API_KEY,
            "The apikey is illegal.",
        ),
        Mode::Milvus => Reply::err_status(
            StatusCode::UNAUTHORIZED,
            codes::MILVUS_UNAUTHENTICATED,
            "user hasn't authenticated",
        ),
    };
    reply.into_response()
}

/// Records every request (even 404, 405 and 401) once it has been answered.
async fn record(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let mut entry = Entry {
        // Before the handler reads the body or answers: when the head arrived.
        at: shared.clock.now(),
        method: req.method().as_str().to_owned(),
        path: req.uri().path().to_owned(),
        authorized: shared.is_authorized(headers),
        idempotency_key: header_string(headers, IDEMPOTENCY_KEY_HEADER),
        content_type: header_string(headers, header::CONTENT_TYPE.as_str()),
        user_agent: header_string(headers, header::USER_AGENT.as_str()),
        db_name: header_string(headers, DB_NAME_HEADER),
        body: None,
        status: 0,
        code: 0,
    };
    let mut response = next.run(req).await;
    entry.status = response.status().as_u16();
    entry.code = response
        .extensions_mut()
        .remove::<ReplyCode>()
        .map_or_else(|| i64::from(entry.status), |c| c.0);
    entry.body = response
        .extensions_mut()
        .remove::<RecordedBody>()
        .map(|b| b.0);
    lock(&shared.requests).push(entry);
    response
}

/// One authorized request: reads and parses the body, keeps a redacted copy
/// for the log, and hands it to the mode's operation.
async fn operation(shared: &Shared, endpoint: Endpoint, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = &parts.headers;
    let bytes = match read_body(body, headers, shared.config.body_read_timeout).await {
        Ok(bytes) => bytes,
        Err(reply) => return reply.into_response(),
    };
    let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
    // Redact before acting, so nothing about recording can fail after a job
    // was stored.
    let recorded = parsed
        .as_ref()
        .filter(|_| bytes.len() <= MAX_RECORDED_BODY_BYTES)
        .map(|v| redact(v, &shared.config.api_key))
        .and_then(|v| serde_json::to_string(&v).ok());
    drop(bytes);
    let reply = match parsed.as_ref().map(Value::as_object) {
        None => not_json(shared.config.mode, "the request body is not valid JSON"),
        Some(None) => not_json(shared.config.mode, "the request body must be a JSON object"),
        Some(Some(body)) => {
            let call = Call {
                shared,
                headers,
                body,
            };
            let result = match shared.config.mode {
                Mode::Cloud => cloud::handle(&call, endpoint),
                Mode::Milvus => milvus::handle(&call, endpoint),
            };
            result.unwrap_or_else(|e| e)
        }
    };
    let mut response = reply.into_response();
    if let Some(recorded) = recorded {
        response.extensions_mut().insert(RecordedBody(recorded));
    }
    response
}

fn not_json(mode: Mode, what: &str) -> Reply {
    match mode {
        Mode::Cloud => Reply::err(codes::BAD_PARAMETER, format!("invalid parameter: {what}")),
        Mode::Milvus => Reply::err(
            codes::MILVUS_INCORRECT_PARAMETER_FORMAT,
            format!("can only accept json format request, error: {what}"),
        ),
    }
}

/// Reads the whole body, refusing more than [`MAX_BODY_BYTES`] (413, without
/// reading when the declared length already says so) and giving up after
/// `timeout` (408), so a slow or endless body cannot hold the handler.
async fn read_body(mut body: Body, headers: &HeaderMap, timeout: Duration) -> Result<Bytes, Reply> {
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

/// Whether `Authorization` is `Bearer <token>` (scheme in any case, spaces
/// around the token ignored).
pub(crate) fn is_authorized(headers: &HeaderMap, token: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((scheme, sent)) = value.trim().split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer") && sent.trim() == token
}

/// The `Idempotency-Key` header: `None` when absent or empty, the reason
/// when it breaks [`crate::limits::idempotency_key_problem`]'s rule.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, &'static str> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY_HEADER) else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    if let Some(problem) = crate::limits::idempotency_key_problem(bytes) {
        return Err(problem);
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()).filter(|k| !k.is_empty()))
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

    #[test]
    fn whole_progress_is_an_integer_at_any_depth() {
        let mut v = json!({"progress": 50.0, "details": [{"progress": 10.5}, {"progress": 100.0}],
                           "fileSize": 3.0});
        whole_progress(&mut v);
        assert_eq!(
            v,
            json!({"progress": 50, "details": [{"progress": 10.5}, {"progress": 100}],
                   "fileSize": 3.0})
        );
        assert!(v["progress"].is_i64());
    }
}
