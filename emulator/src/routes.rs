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
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::{MethodRouter, delete, get, post};
use bytes::BytesMut;
use hyper::body::Body as _;
use serde_json::Value;

use crate::call::{Call, DB_NAME_HEADER, Endpoint, IDEMPOTENCY_KEY_HEADER, header_string};
use crate::log::Entry;
use crate::redact::redact_body;
use crate::reply::{RecordedBody, Reply, ReplyCode};
use crate::shared::{Mode, Shared, lock};
use crate::{MAX_BODY_BYTES, MAX_RECORDED_BODY_BYTES, cloud, codes, milvus};

const CREATE: &str = "/v2/vectordb/jobs/import/create";
const DESCRIBE: &str = "/v2/vectordb/jobs/import/describe";
const GET_PROGRESS: &str = "/v2/vectordb/jobs/import/getProgress";
const GET_PROGRESS_SNAKE: &str = "/v2/vectordb/jobs/import/get_progress";
const LIST: &str = "/v2/vectordb/jobs/import/list";
const COMMIT: &str = "/v2/vectordb/jobs/import/commit";
const ABORT: &str = "/v2/vectordb/jobs/import/abort";
const DESCRIBE_COLLECTION: &str = "/v2/vectordb/collections/describe";
const VOLUMES: &str = "/v2/volumes";
const CREATE_VOLUME: &str = "/v2/volumes/create";
const APPLY_VOLUME: &str = "/v2/volumes/apply";
const VOLUME: &str = "/v2/volumes/{volume_name}";

/// The emulator's routes: one per operation path, POST only (a volume's
/// list, describe and delete: GET and DELETE) and behind the
/// auth check; 405 for another method and 404 for an unknown path, both
/// answered before auth, whatever the token; and the request log around
/// everything.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let handler = |endpoint: Endpoint| {
        move |State(shared): State<Arc<Shared>>, req: Request| async move {
            operation(&shared, endpoint, req).await
        }
    };
    let guarded = |methods: MethodRouter<Arc<Shared>>| {
        // The method router's `route_layer` wraps its methods but not its
        // fallback (the router-wide one would wrap both).
        methods.route_layer(from_fn_with_state(Arc::clone(&shared), authenticate))
    };
    let op = |endpoint: Endpoint| guarded(post(handler(endpoint))).fallback(method_not_allowed);
    Router::new()
        .route(CREATE, op(Endpoint::Create))
        .route(DESCRIBE, op(Endpoint::Describe))
        .route(GET_PROGRESS, op(Endpoint::Describe))
        .route(GET_PROGRESS_SNAKE, op(Endpoint::Describe))
        .route(LIST, op(Endpoint::List))
        .route(COMMIT, op(Endpoint::Commit))
        .route(ABORT, op(Endpoint::Abort))
        .route(DESCRIBE_COLLECTION, op(Endpoint::DescribeCollection))
        .route(
            VOLUMES,
            guarded(get(handler(Endpoint::ListVolumes))).fallback(other_method),
        )
        .route(CREATE_VOLUME, op(Endpoint::CreateVolume))
        .route(APPLY_VOLUME, op(Endpoint::ApplyVolume))
        .route(
            VOLUME,
            guarded(
                get(handler(Endpoint::DescribeVolume))
                    .merge(delete(handler(Endpoint::DeleteVolume))),
            )
            .fallback(other_method),
        )
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

/// 405 on a volume's path that takes GET (and DELETE), not POST.
async fn other_method(method: Method, uri: Uri) -> Response {
    Reply::http(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("method {method} not allowed on {}", uri.path()),
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
    // A volume's GET and DELETE name what they read in the path and query.
    let bodiless = matches!(parts.method, Method::GET | Method::DELETE);
    let bytes = match bodiless {
        true => Bytes::from_static(b"{}"),
        false => match read_body(body, headers, shared.config.body_read_timeout).await {
            Ok(bytes) => bytes,
            Err(reply) => return reply.into_response(),
        },
    };
    let parsed: Option<Value> = serde_json::from_slice(&bytes).ok();
    // Redact before acting, so nothing about recording can fail after a job
    // was stored.
    let recorded = parsed
        .as_ref()
        .filter(|_| bytes.len() <= MAX_RECORDED_BODY_BYTES)
        .map(|v| redact_body(v, &shared.config.api_key))
        .and_then(|v| serde_json::to_string(&v).ok());
    drop(bytes);
    let reply = match parsed.as_ref().map(Value::as_object) {
        None => not_json(shared.config.mode, "the request body is not valid JSON"),
        Some(None) => not_json(shared.config.mode, "the request body must be a JSON object"),
        Some(Some(body)) => {
            let issued = match (&shared.config.external, endpoint) {
                (Some(store), Endpoint::ApplyVolume) if shared.config.mode == Mode::Cloud => Some(
                    store
                        .issue(shared.config.volumes.credentials_lifetime)
                        .await,
                ),
                _ => None,
            };
            let call = Call {
                shared,
                headers,
                uri: &parts.uri,
                body,
                issued,
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
