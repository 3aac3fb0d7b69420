//! The one place a request meets the network: the generated client's hooks.
//!
//! progenitor builds each request, hands it to [`ClientHooks::exec`] with
//! its operation id, and decodes what comes back. The hooks add what the
//! generated client lacks, keyed by that operation id and by whether the
//! request carries an `Idempotency-Key`:
//!
//! - a rate limiter per operation (the control plane limits each endpoint
//!   apart);
//! - retries, with backoff and `Retry-After`: a request that can have been
//!   processed is repeated only when repeating it cannot do anything twice
//!   (every read; an import's create only with an idempotency key; a
//!   volume's create and delete never, see [`is_write`]);
//! - the deadlines: no attempt starts, and none outlives, the call's;
//! - a bounded read: a body whose `Content-Length` is over the limit, or
//!   that grows past it, is not read further;
//! - one read of a write's success: a 200 to a request that is never
//!   repeated once sent (see [`is_write`]), with a `Content-Length` within
//!   the limit, goes to progenitor unread. The framing bounds it, a
//!   connection lost in it would not be retried anyway, and an answer that
//!   does not decode keeps its bytes in progenitor's error (see `answer`).
//!
//! What the caller needs of the last attempt that progenitor's error may not
//! keep (its status and headers, when a body does not decode) is left in a
//! task-local [`Call`] that [`within`] sets around one call.

use std::{cell::RefCell, num::NonZeroU32, time::Duration};

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{
    ResponseBuilderExt, StatusCode,
    header::{HeaderMap, HeaderName, HeaderValue},
};
use tokio::time::Instant;

use crate::{
    generated,
    rate_limit::{Permit, Window},
    retry::{RetryPolicy, is_retryable, parse_retry_after},
};

/// The generated client's inner value: how its hooks send.
#[doc(hidden)]
#[derive(Debug)]
pub struct Pipeline {
    pub(crate) retry: RetryPolicy,
    /// One window of N slots per operation, with a rate limit set.
    pub(crate) limiters: Option<[Window; SLOTS]>,
    pub(crate) max_bytes: usize,
    /// How long one attempt may take (the HTTP client's own timeout).
    pub(crate) attempt_timeout: Duration,
    /// How long one call may take, all attempts and backoffs included.
    pub(crate) operation_timeout: Option<Duration>,
}

const SLOTS: usize = 11;

/// The rate limiter of an operation: describe and its older path share one.
fn slot(operation_id: &str) -> usize {
    match operation_id {
        "create_import_job" => 0,
        "describe_import_job" | "get_import_job_progress" => 1,
        "list_import_jobs" => 2,
        "commit_import_job" => 3,
        "abort_import_job" => 4,
        "create_volume" => 6,
        "list_volumes" => 7,
        "describe_volume" => 8,
        "delete_volume" => 9,
        "apply_volume" => 10,
        _ => 5,
    }
}

/// Whether repeating a request of `operation_id` could do something twice
/// (or answer a done deed as a failure): an import's create without an
/// `Idempotency-Key` would start a second import; a volume's create
/// would answer that the name is taken, and its delete that the volume is
/// gone, where the first attempt succeeded. Such requests are repeated only
/// when they cannot have been delivered.
fn is_write(operation_id: &str, has_key: bool) -> bool {
    match operation_id {
        "create_import_job" => !has_key,
        "create_volume" | "delete_volume" => true,
        _ => false,
    }
}

impl Pipeline {
    pub(crate) fn limiters(per_second: Option<NonZeroU32>) -> Option<[Window; SLOTS]> {
        per_second.map(|n| std::array::from_fn(|_| Window::new(n)))
    }

    /// Waits until `operation_id` could be sent now without waiting for the
    /// rate limiter, without taking its slot: at once without a rate limit.
    pub(crate) async fn room_for(&self, operation_id: &str) {
        if let Some(limiters) = &self.limiters {
            limiters[slot(operation_id)].room().await;
        }
    }

    /// The deadline of a call starting now: the operation timeout, or
    /// `outer` (a wait's deadline), whichever comes first.
    pub(crate) fn deadline(&self, outer: Option<Instant>) -> Option<Instant> {
        let own = self
            .operation_timeout
            .and_then(|t| Instant::now().checked_add(t));
        match (own, outer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// What one call's attempts left for its caller: how many were made, and
/// what the last answer said of itself where one came (progenitor's error
/// may not keep it, when a body does not decode).
#[derive(Debug, Default)]
pub(crate) struct Seen {
    /// The operation id progenitor passed the hooks.
    pub(crate) operation: &'static str,
    /// Attempts made, the first included.
    pub(crate) attempts: u32,
    /// The last attempt was given less than the attempt timeout, for the
    /// call's deadline was nearer: its timeout is the deadline's.
    pub(crate) deadline_cut: bool,
    pub(crate) status: Option<u16>,
    /// The body as read (shared, not copied): for an error's excerpt. Empty
    /// for a 200 passed to progenitor unread.
    pub(crate) body: Bytes,
    pub(crate) request_id: Option<HeaderValue>,
    pub(crate) retry_after: Option<Duration>,
    /// Why the last attempt has no answer to decode.
    pub(crate) cut: Option<Cut>,
}

/// The request id header of an answer (the control plane's, or a proxy's).
fn request_id(headers: &HeaderMap) -> Option<&HeaderValue> {
    const REQUEST_ID: HeaderName = HeaderName::from_static("requestid");
    const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
    headers
        .get(REQUEST_ID)
        .or_else(|| headers.get(X_REQUEST_ID))
}

/// Why an attempt ended with nothing for progenitor to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cut {
    /// The body was longer than the limit and was not read to the end.
    TooLarge(usize),
    /// The deadline passed before a request could be sent.
    DeadlinePassed,
}

/// One call's state: its deadline, and what its attempts left.
struct Call {
    /// No attempt starts, and none outlives, this instant.
    deadline: Option<Instant>,
    seen: RefCell<Seen>,
}

tokio::task_local! {
    // Boxed: the scope moves its value in and out of the thread's slot on
    // every poll of the call, a pointer rather than the whole state.
    static CALL: Box<Call>;
}

/// Runs one call of the generated client with `deadline`, and hands back
/// what its attempts left.
pub(crate) async fn within<F: Future>(deadline: Option<Instant>, call: F) -> (F::Output, Seen) {
    let state = Box::new(Call {
        deadline,
        seen: RefCell::default(),
    });
    CALL.scope(state, async {
        let output = call.await;
        (output, CALL.with(|c| c.seen.take()))
    })
    .await
}

impl ClientHooks<std::sync::Arc<Pipeline>> for generated::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let p = self.inner();
        let op = info.operation_id;
        record(|s| s.operation = op);
        // A name made once: looking a `&str` up parses it on every call.
        const KEY: HeaderName = HeaderName::from_static("idempotency-key");
        let repeatable = !is_write(op, request.headers().contains_key(KEY));
        let deadline = p.deadline(CALL.try_with(|c| c.deadline).ok().flatten());
        let limiter = p.limiters.as_ref().map(|l| &l[slot(op)]);
        let mut request = Some(request);
        // The failure of the attempt before, should time run out before the next.
        let mut last = None;
        for n in 1.. {
            // Boxed, as is every wait here that a create does not take: the
            // call's state (boxed whole by the caller) stays small.
            let permit = match limiter {
                Some(window) => match Box::pin(acquire(window, deadline)).await {
                    Some(permit) => Some(permit),
                    None => break,
                },
                None => None,
            };
            let Some(timeout) = time_left(deadline, p.attempt_timeout) else {
                break;
            };
            let deadline_cut = timeout < p.attempt_timeout;
            record(|s| (s.attempts, s.deadline_cut) = (n, deadline_cut));
            let another = n < p.retry.max_attempts;
            let cut = deadline_cut.then_some(timeout);
            let Some((attempt, again)) = next_attempt(&mut request, another, cut) else {
                break;
            };
            let result = self.read(attempt, p.max_bytes, repeatable).await;
            // The answer is in (read, or left to progenitor), or the attempt
            // given up: the slot starts its last second now, not after a
            // backoff.
            drop(permit);
            let status = result.as_ref().ok().map(|r| r.status().as_u16());
            let connected = result.as_ref().err().is_none_or(|e| !e.is_connect());
            let retryable = is_retryable(status, connected, repeatable);
            tracing::debug!(attempt = n, status, "attempt answered");
            // No retry whose backoff would end past the deadline.
            let wait = (retryable && again)
                .then(|| {
                    let asked = result.as_ref().ok().and_then(|r| retry_after(r.headers()));
                    p.retry.delay(n, asked)
                })
                .filter(|wait| deadline.is_none_or(|at| Instant::now() + *wait < at));
            let Some(wait) = wait else {
                return result;
            };
            tracing::warn!(
                attempt = n,
                status,
                retry_in_ms = wait.as_millis() as u64,
                "attempt failed; retrying"
            );
            Box::pin(tokio::time::sleep(wait)).await;
            last = Some(result);
        }
        last.unwrap_or_else(|| Ok(cut(Cut::DeadlinePassed)))
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        match result
            .as_ref()
            .ok()
            .and_then(|r| r.extensions().get::<Cut>())
        {
            Some(why) => Err(progenitor_client::Error::Custom(format!("{why:?}"))),
            None => Ok(()),
        }
    }
}

impl generated::Client {
    /// Sends one attempt and reads its body within `limit`, here within the
    /// attempt: a connection that fails mid-answer is retried like one that
    /// fails before it. The answer keeps its status and headers; they are
    /// noted for the caller too, with the body for an error's excerpt.
    ///
    /// A 200 to a request that is not `repeatable` goes unread when its
    /// `Content-Length` is within `limit`: progenitor reads it, once.
    ///
    /// Not an `async fn`: the request goes to the HTTP client at once, not
    /// kept in this future's state as well.
    fn read(
        &self,
        request: reqwest::Request,
        limit: usize,
        repeatable: bool,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> {
        let sent = self.client().execute(request);
        async move {
            let response = sent.await?;
            let status = response.status();
            let request_id = request_id(response.headers()).cloned();
            if status == StatusCode::OK
                && !repeatable
                && response.content_length().is_some_and(|n| n <= limit as u64)
            {
                record(|s| {
                    (s.status, s.request_id, s.retry_after) = (Some(200), request_id, None);
                    s.body = Bytes::new();
                });
                return Ok(response);
            }
            // Boxed: a create's 200 does not come here, and the call's state
            // (boxed whole by the caller) stays small without the read's.
            Box::pin(read_body(response, request_id, limit)).await
        }
    }
}

/// The rest of [`generated::Client::read`]: reads the body of `response`
/// within `limit`, and notes the answer for the caller.
async fn read_body(
    mut response: reqwest::Response,
    request_id: Option<HeaderValue>,
    limit: usize,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    // A success is not retried: its Retry-After means nothing.
    let retry_after = (status != StatusCode::OK)
        .then(|| retry_after(response.headers()))
        .flatten();
    let url = response.url().clone();
    let headers = std::mem::take(response.headers_mut());
    let body = match response.content_length() {
        Some(n) if n > limit as u64 => None,
        // The framing guarantees no more than the announced length.
        Some(_) => Some(response.bytes().await?),
        None => {
            let mut body = Some(Vec::new());
            while let Some(chunk) = response.chunk().await? {
                body = body.filter(|b| b.len() + chunk.len() <= limit);
                let Some(read) = &mut body else { break };
                read.extend_from_slice(&chunk);
            }
            body.map(Bytes::from)
        }
    };
    record(|s| {
        (s.status, s.request_id, s.retry_after) = (Some(status.as_u16()), request_id, retry_after);
        s.body = body.clone().unwrap_or_default();
    });
    let Some(body) = body else {
        return Ok(cut(Cut::TooLarge(limit)));
    };
    // Setting only the URL cannot fail; if it did, an answer without it
    // serves as well.
    let mut answer = http::Response::builder()
        .url(url)
        .body(body.clone())
        .unwrap_or_else(|_| http::Response::new(body));
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    Ok(reqwest::Response::from(answer))
}

/// What attempt sends, and whether `request` is still there for another:
/// a copy where `another` attempt may follow, else `request` itself. A
/// function apart, not code in `exec`: an `async fn` would keep room for
/// the copy, and for the attempt, in its state while the attempt runs.
fn next_attempt(
    request: &mut Option<reqwest::Request>,
    another: bool,
    cut: Option<Duration>,
) -> Option<(reqwest::Request, bool)> {
    // A copy is kept only where another attempt may follow; JSON bodies
    // always copy, and one that did not would be sent once.
    let copy = another.then(|| copy(request.as_ref()?)).flatten();
    let again = copy.is_some();
    let mut attempt = copy.or_else(|| request.take())?;
    // Otherwise the HTTP client's own timeout, the attempt timeout, holds.
    if let Some(timeout) = cut {
        *attempt.timeout_mut() = Some(timeout);
    }
    Some((attempt, again))
}

/// What a request sends, for another attempt: `try_clone` would also copy
/// the per-request settings, which the hooks set on each attempt anyway
/// (allocating them only to drop them). `None` for a body that is not
/// bytes (a stream).
fn copy(request: &reqwest::Request) -> Option<reqwest::Request> {
    let mut copy = reqwest::Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    *copy.body_mut() = match request.body() {
        Some(body) => Some(body.as_bytes()?.to_vec().into()),
        None => None,
    };
    Some(copy)
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, std::time::SystemTime::now())
}

/// An answer that stands for none: `post` turns it into an error before
/// progenitor reads it.
fn cut(why: Cut) -> reqwest::Response {
    record(|s| s.cut = Some(why));
    let mut answer = http::Response::new(Bytes::new());
    answer.extensions_mut().insert(why);
    reqwest::Response::from(answer)
}

/// Notes something of the current call, if there is one (a call made
/// through [`crate::Client::raw`] has none).
fn record(f: impl FnOnce(&mut Seen)) {
    let _ = CALL.try_with(|c| f(&mut c.seen.borrow_mut()));
}

/// Waits until the rate limiter grants a slot. `None`: `deadline` passed
/// first, and nothing may be sent.
async fn acquire(window: &Window, deadline: Option<Instant>) -> Option<Permit<'_>> {
    match deadline {
        Some(at) => tokio::time::timeout_at(at, window.acquire()).await.ok(),
        None => Some(window.acquire().await),
    }
}

/// How long the next attempt may take: the attempt timeout, cut to what is
/// left before `deadline`. `None`: the deadline passed, and nothing may be
/// sent.
fn time_left(deadline: Option<Instant>, attempt_timeout: Duration) -> Option<Duration> {
    let Some(at) = deadline else {
        return Some(attempt_timeout);
    };
    let left = at.saturating_duration_since(Instant::now());
    (!left.is_zero()).then(|| left.min(attempt_timeout))
}
