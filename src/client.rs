//! The client: one pipeline every operation goes through.
//!
//! An operation is a closure that sends one attempt through the generated
//! client. The pipeline wraps it with the rate limiter, the retry loop, a
//! tracing span, and the classification of what came back into [`Error`],
//! reading the envelope's `code` together with the HTTP status.

use std::{
    fmt,
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use progenitor_client::ResponseValue;
use reqwest::{StatusCode, header::HeaderMap};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::{
    CreateImportJob, CreatedImportJob, Error, ImportJobPage, ImportProgress, ListImportJobs,
    Target,
    config::{ClientBuilder, is_control_plane},
    generated::{self, types},
    rate_limit::{Permit, Window},
    redact::{REDACTED, Scrubber},
    request::not_blank,
    retry::{RetryPolicy, is_retryable, parse_retry_after},
    transport::Mark,
};

/// A generated request builder with the `DB-Name` header set when a
/// database is named. Every operation's builder has its own type, hence a
/// macro rather than a function.
macro_rules! with_database {
    ($send:expr, $db:expr) => {{
        let send = $send;
        match $db {
            Some(db) => send.db_name(db),
            None => send,
        }
    }};
}
pub(crate) use with_database;

/// What [`ClientBuilder`] hands over to make a [`Client`].
pub(crate) struct Parts {
    /// The generated client `raw()` hands out.
    pub(crate) raw: generated::Client,
    /// The same over the same pool, handing answers back undecoded.
    pub(crate) pipeline: generated::Client,
    pub(crate) base_url: String,
    pub(crate) api_key: SecretString,
    pub(crate) retry: RetryPolicy,
    pub(crate) rate_limit: Option<NonZeroU32>,
    pub(crate) max_response_bytes: usize,
    pub(crate) attempt_timeout: Duration,
    pub(crate) operation_timeout: Option<Duration>,
}

/// A client for Zilliz Cloud import jobs. Cheap to clone; clones share the
/// connection pool and the rate limiter.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    raw: generated::Client,
    pipeline: generated::Client,
    base_url: String,
    /// The API key (and, for a `user:password` token, the password alone),
    /// ready to scrub server text: built once, shared by every call.
    scrubber: Scrubber,
    retry: RetryPolicy,
    /// One window of N slots per operation, with a rate limit set.
    limiters: Option<[Window; Operation::COUNT]>,
    max_response_bytes: usize,
    /// How long one attempt may take (the HTTP client's own timeout).
    attempt_timeout: Duration,
    /// How long one call may take, all attempts and backoffs included.
    operation_timeout: Option<Duration>,
    /// Set once describe answered 404 and `get_progress` answered: the
    /// server predates the rename, so describe goes there directly.
    older_describe_path: AtomicBool,
}

/// What bounds one call: none, or an instant after which no attempt runs
/// and no attempt outlives.
pub(crate) type Deadline = Option<tokio::time::Instant>;

/// The operations, for rate limiting and tracing. The control plane limits
/// each endpoint apart, so each has its own limiter.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Operation {
    Create = 0,
    Describe = 1,
    List = 2,
    Commit = 3,
    Abort = 4,
}

impl Operation {
    const COUNT: usize = 5;

    fn name(self) -> &'static str {
        match self {
            Operation::Create => "createImportJob",
            Operation::Describe => "describeImportJob",
            Operation::List => "listImportJobs",
            Operation::Commit => "commitImportJob",
            Operation::Abort => "abortImportJob",
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url)
            .field("api_key", &REDACTED)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Configure a client: at least an API key.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client from `ZILLIZ_API_KEY` and, if set, `ZILLIZ_BASE_URL`.
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env().build()
    }

    pub(crate) fn assemble(parts: Parts) -> Client {
        let limiters = parts
            .rate_limit
            .map(|n| std::array::from_fn(|_| Window::new(n)));
        let key = parts.api_key.expose_secret();
        let mut scrubber = Scrubber::default().with(key);
        if let Some((_, password)) = key.split_once(':') {
            scrubber = scrubber.with(password);
        }
        Client {
            inner: Arc::new(Inner {
                raw: parts.raw,
                pipeline: parts.pipeline,
                base_url: parts.base_url,
                scrubber,
                retry: parts.retry,
                limiters,
                max_response_bytes: parts.max_response_bytes,
                attempt_timeout: parts.attempt_timeout,
                operation_timeout: parts.operation_timeout,
                older_describe_path: AtomicBool::new(false),
            }),
        }
    }

    /// The deadline of a call starting now: the operation timeout, or
    /// `outer` (a wait's deadline), whichever comes first.
    pub(crate) fn deadline(&self, outer: Deadline) -> Deadline {
        let own = self
            .inner
            .operation_timeout
            .and_then(|t| tokio::time::Instant::now().checked_add(t));
        match (own, outer) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The generated client, for anything this layer does not wrap. It sends
    /// with the same auth header and timeouts, but without retries or the
    /// envelope check.
    pub fn raw(&self) -> &generated::Client {
        &self.inner.raw
    }

    /// Starts an import job.
    ///
    /// The request is validated first; invalid input sends nothing. Without
    /// an idempotency key a failed create is retried only when the server
    /// cannot have started the job (no connection, or HTTP 429); with one,
    /// every attempt carries the same key and it is retried like describe.
    pub async fn create_import_job(&self, job: CreateImportJob) -> Result<CreatedImportJob, Error> {
        job.validate()?;
        self.check_target(job.target())?;
        let body = job.to_body()?;
        let db = job.target().database_name();
        let key = job.resolve_idempotency_key();
        // Built once, when first needed (the answer's request id and job id,
        // or an error): parsing URLs costs. Clones share its patterns.
        let built = std::sync::OnceLock::new();
        let scrubber = || built.get_or_init(|| job.scrubber(self.scrubber())).clone();
        let raw = &self.inner.pipeline;
        let (data, request_id) = self
            .call(Operation::Create, key.is_some(), None, &scrubber, || {
                let mut send = raw.create_import_job().body(body.clone());
                if let Some(k) = &key {
                    send = send.idempotency_key(k.clone());
                }
                with_database!(send, db).send()
            })
            .await?;
        Ok(CreatedImportJob {
            job_id: scrubber().scrub(&data.job_id),
            idempotency_key: key,
            request_id,
        })
    }

    /// A job's progress. `target` is where the job runs: a cluster id
    /// (`&str`), a [`Target::project`], or [`Target::milvus`], with its
    /// database if not the default.
    ///
    /// A server that answers HTTP 404 here (open-source Milvus before the
    /// rename) is asked once at the older `get_progress` path; when that
    /// answers, this client goes there directly from then on.
    pub async fn describe_import_job(
        &self,
        target: impl Into<Target>,
        job_id: &str,
    ) -> Result<ImportProgress, Error> {
        self.describe_until(&target.into(), job_id, None).await
    }

    /// [`Client::describe_import_job`], every attempt ending by `deadline`.
    pub(crate) async fn describe_until(
        &self,
        target: &Target,
        job_id: &str,
        deadline: Deadline,
    ) -> Result<ImportProgress, Error> {
        self.check_job(target, job_id)?;
        let body = target.job_reference(job_id);
        let db = target.database_name();
        let raw = &self.inner.pipeline;
        let scrubber = || self.scrubber();
        let describe = || {
            self.call(Operation::Describe, true, deadline, &scrubber, || {
                with_database!(raw.describe_import_job().body(body.clone()), db).send()
            })
        };
        let get_progress = || {
            self.call(Operation::Describe, true, deadline, &scrubber, || {
                with_database!(raw.get_import_job_progress().body(body.clone()), db).send()
            })
        };
        let older = &self.inner.older_describe_path;
        let answer = if older.load(Ordering::Relaxed) {
            get_progress().await
        } else {
            match describe().await {
                Err(e) if e.status() == Some(404) => {
                    let answer = get_progress().await;
                    // The path exists if it answered anything but 404.
                    let found = match &answer {
                        Ok(_) => true,
                        Err(e) => e.status().is_some_and(|s| s != 404),
                    };
                    if found {
                        tracing::info!("describe answered 404; using get_progress from now on");
                        older.store(true, Ordering::Relaxed);
                    }
                    answer
                }
                other => other,
            }
        };
        let (data, _) = answer?;
        Ok(ImportProgress::from_wire(data, &self.inner.scrubber))
    }

    /// One page of a target's import jobs (on Milvus, all of them). The page
    /// size and number are checked before sending. To walk every page see
    /// [`Client::list_all_import_jobs`].
    pub async fn list_import_jobs(&self, request: &ListImportJobs) -> Result<ImportJobPage, Error> {
        request.validate()?;
        self.check_target(&request.target)?;
        let body = request.to_body()?;
        let db = request.target.database_name();
        let raw = &self.inner.pipeline;
        let (data, _) = self
            .call(Operation::List, true, None, &|| self.scrubber(), || {
                with_database!(raw.list_import_jobs().body(body.clone()), db).send()
            })
            .await?;
        Ok(ImportJobPage::from_wire(data, &self.inner.scrubber))
    }

    /// What every call naming one job checks before sending: the target,
    /// and a job id that is not blank.
    pub(crate) fn check_job(&self, target: &Target, job_id: &str) -> Result<(), Error> {
        target.validate()?;
        self.check_target(target)?;
        not_blank("jobId", job_id)
    }

    /// The Zilliz Cloud control plane has no jobs of its own: it needs a
    /// cluster or a project named, so a Milvus target (or Milvus files) sent
    /// there is refused before sending.
    fn check_target(&self, target: &Target) -> Result<(), Error> {
        if target.is_milvus() && is_control_plane(&self.inner.base_url) {
            return Err(Error::invalid(
                "clusterId",
                "the Zilliz Cloud control plane needs a cluster id, or a project id and region id; \
                 an open-source Milvus target (and its files) goes to the Milvus URL as base URL",
            ));
        }
        Ok(())
    }

    pub(crate) fn pipeline(&self) -> &generated::Client {
        &self.inner.pipeline
    }

    pub(crate) fn scrubber(&self) -> Scrubber {
        self.inner.scrubber.clone()
    }

    /// Waits until the rate limiter grants `op` a slot, then says how long
    /// the next attempt may take: the attempt timeout, cut to what is left
    /// before `deadline`. The permit (none without a rate limit) must be
    /// held until the attempt's answer is read. `None`: the deadline passed
    /// first, and nothing may be sent.
    async fn ready(
        &self,
        op: Operation,
        deadline: Deadline,
    ) -> Option<(Duration, Option<Permit<'_>>)> {
        let permit = match &self.inner.limiters {
            Some(limiters) => {
                let acquire = limiters[op as usize].acquire();
                Some(match deadline {
                    Some(at) => tokio::time::timeout_at(at, acquire).await.ok()?,
                    None => acquire.await,
                })
            }
            None => None,
        };
        let Some(at) = deadline else {
            return Some((self.inner.attempt_timeout, permit));
        };
        let left = at.saturating_duration_since(tokio::time::Instant::now());
        (!left.is_zero()).then(|| (left.min(self.inner.attempt_timeout), permit))
    }

    /// Waits until `op` could be sent now without waiting for the rate
    /// limiter, without taking its slot: at once without a rate limit.
    /// Another call may still take the slot first.
    pub(crate) async fn room_for(&self, op: Operation) {
        if let Some(limiters) = &self.inner.limiters {
            limiters[op as usize].room().await;
        }
    }

    /// Sends `attempt` until it succeeds, fails for good, runs out of
    /// attempts or reaches its deadline (the operation timeout, or `outer`).
    /// `repeatable`: repeating it cannot do anything twice.
    pub(crate) async fn call<R, Fut>(
        &self,
        op: Operation,
        repeatable: bool,
        outer: Deadline,
        scrubber: &(dyn Fn() -> Scrubber + Sync),
        mut attempt: impl FnMut() -> Fut,
    ) -> Result<(R::Data, Option<String>), Error>
    where
        R: Envelope,
        Fut: Future<Output = Result<ResponseValue<R>, progenitor_client::Error<()>>>,
    {
        let span = tracing::info_span!(
            "zilliz_import",
            operation = op.name(),
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        async {
            let policy = &self.inner.retry;
            let call_started = Instant::now();
            let deadline = self.deadline(outer);
            let limit = self.inner.max_response_bytes;
            let mut n = 0;
            // The failure of the attempt before, should time run out before the next.
            let mut last: Option<Error> = None;
            let (outcome, status, request_id) = loop {
                let Some((timeout, permit)) = self.ready(op, deadline).await else {
                    break (Err(last.unwrap_or(Error::DeadlineReached)), None, None);
                };
                n += 1;
                let started = Instant::now();
                let answered = async { classify(attempt().await, limit, scrubber).await };
                // The HTTP client's own timeout bounds a full-length attempt;
                // one cut short by the deadline needs a timer of its own.
                let Answer {
                    outcome,
                    status,
                    request_id,
                } = if timeout < self.inner.attempt_timeout {
                    tokio::time::timeout(timeout, answered)
                        .await
                        .unwrap_or_else(|_| Answer::failed(Error::Timeout {
                            attempts: 0,
                            source: None,
                        }))
                } else {
                    answered.await
                };
                // The answer is read (or the attempt given up): the slot
                // starts its last second now, not after a backoff.
                drop(permit);
                let outcome = outcome.map_err(|e| e.with_attempts(n));
                tracing::debug!(
                    attempt = n,
                    status,
                    request_id = request_id.as_deref(),
                    duration_ms = started.elapsed().as_millis() as u64,
                    "attempt answered"
                );
                // No retry whose backoff would end past the deadline.
                let retry = match &outcome {
                    Err(e) if n < policy.max_attempts && is_retryable(e, repeatable) => {
                        Some(policy.delay(n, e)).filter(|wait| {
                            deadline.is_none_or(|at| tokio::time::Instant::now() + *wait < at)
                        })
                    }
                    _ => None,
                };
                match (retry, outcome) {
                    (Some(wait), Err(e)) => {
                        tracing::warn!(attempt = n, error = %e, retry_in_ms = wait.as_millis() as u64, "attempt failed; retrying");
                        tokio::time::sleep(wait).await;
                        last = Some(e);
                    }
                    (_, outcome) => break (outcome, status, request_id),
                }
            };

            // The span's fields describe the call as it ended: recorded once.
            let span = tracing::Span::current();
            span.record("attempt", n);
            span.record("duration_ms", call_started.elapsed().as_millis() as u64);
            if let Some(status) = status {
                span.record("status", status);
            }
            if let Some(id) = &request_id {
                span.record("request_id", id.as_str());
            }
            match outcome {
                Ok(data) => {
                    tracing::info!("succeeded");
                    Ok((data, request_id))
                }
                Err(e) => {
                    tracing::warn!(error = %e, may_have_been_sent = e.may_have_been_sent(), "failed");
                    Err(e)
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// The `{code, message, data}` envelope every operation answers with.
pub(crate) trait Envelope: serde::de::DeserializeOwned {
    type Data;
    fn code(&self) -> i64;
    fn message(&self) -> Option<&str>;
    fn into_data(self) -> Option<Self::Data>;
}

macro_rules! envelope {
    ($($response:ident => $data:ident),* $(,)?) => {$(
        impl Envelope for types::$response {
            type Data = types::$data;
            fn code(&self) -> i64 { self.code }
            fn message(&self) -> Option<&str> { self.message.as_deref() }
            fn into_data(self) -> Option<Self::Data> { self.data }
        }
    )*};
}

envelope! {
    CreateImportJobResponse => CreatedImportJobData,
    DescribeImportJobResponse => ImportJobProgressData,
    ListImportJobsResponse => ImportJobListData,
}

/// Commit and abort answer nothing but the code: their `data` is empty, and
/// a success without it is still a success.
impl Envelope for types::ImportJobActionResponse {
    type Data = ();
    fn code(&self) -> i64 {
        self.code
    }
    fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
    fn into_data(self) -> Option<()> {
        Some(())
    }
}

/// The service's envelope reduced to what an error needs; used when the
/// typed decode failed or the status was not the declared 200.
#[derive(serde::Deserialize)]
struct BareEnvelope {
    code: i64,
    message: Option<String>,
}

/// Success is HTTP 2xx with `code` 0 or 200 (the seed documents 200, its
/// example shows 0).
fn is_success_code(code: i64) -> bool {
    code == 0 || code == 200
}

/// The body as JSON, with a numeric-string `code` made a number: the seed
/// page's schema types `code` as a string while its examples and every
/// client use an integer, so both are accepted.
fn lenient_json(body: &[u8]) -> Option<serde_json::Value> {
    let mut value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if let Some(code) = value.get_mut("code")
        && let Some(n) = code.as_str().and_then(|s| s.parse::<i64>().ok())
    {
        *code = n.into();
    }
    Some(value)
}

/// The request id header, scrubbed like any server text.
fn request_id(headers: &HeaderMap, scrubber: &(dyn Fn() -> Scrubber + Sync)) -> Option<String> {
    ["requestid", "x-request-id"]
        .iter()
        .find_map(|h| headers.get(*h))
        .and_then(|v| v.to_str().ok())
        .map(|v| scrubber().scrub(v))
}

/// What one attempt came to: data or an [`Error`], with the status and the
/// request id where an answer came.
struct Answer<T> {
    outcome: Result<T, Error>,
    status: Option<u16>,
    request_id: Option<String>,
}

impl<T> Answer<T> {
    fn failed(e: Error) -> Self {
        Answer {
            outcome: Err(e),
            status: None,
            request_id: None,
        }
    }
}

/// Turns one attempt's outcome into data or an [`Error`]. The pipeline's
/// client hands every answer back undecoded (see `transport`): its body is
/// read here, once, and decoded once, with its status and headers at hand.
async fn classify<R: Envelope>(
    result: Result<ResponseValue<R>, progenitor_client::Error<()>>,
    limit: usize,
    scrubber: &(dyn Fn() -> Scrubber + Sync),
) -> Answer<R::Data> {
    use progenitor_client::Error as P;
    let response = match result {
        Err(P::UnexpectedResponse(response)) => response,
        Err(P::CommunicationError(e) | P::ResponseBodyError(e)) => {
            return Answer::failed(transport_error(e));
        }
        Err(P::InvalidRequest(reason)) => return Answer::failed(Error::invalid("body", reason)),
        // The pipeline's hook hands no answer to progenitor to decode.
        Ok(_) => {
            let reason = "an answer decoded past the crate's transport".to_owned();
            return Answer::failed(decode_error(0, reason, b"", scrubber));
        }
        Err(other) => {
            let reason = scrubber().excerpt(other.to_string().as_bytes());
            return Answer::failed(decode_error(0, reason, b"", scrubber));
        }
    };

    let headers = response.headers();
    let request_id = request_id(headers, scrubber);
    let mark = response.extensions().get::<Mark>().copied();
    let status = match mark {
        Some(Mark::TooLarge(status)) => {
            let status = status.as_u16();
            return Answer {
                outcome: Err(Error::BodyTooLarge {
                    status,
                    limit,
                    attempts: 0,
                }),
                status: Some(status),
                request_id,
            };
        }
        Some(Mark::Undecoded(status)) => status.as_u16(),
        None => response.status().as_u16(),
    };
    let retry_after = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()));
    let body = match response.bytes().await {
        Ok(body) => body,
        Err(e) => return Answer::failed(transport_error(e)),
    };
    let outcome = if status == StatusCode::OK.as_u16() {
        // The declared answer: one decode into the generated envelope.
        match serde_json::from_slice::<R>(&body) {
            Ok(envelope) => settle(envelope, status, request_id.clone(), &body, scrubber),
            Err(e) => lenient::<R>(&body, status, request_id.clone(), e.to_string(), scrubber),
        }
    } else if (200..300).contains(&status) {
        // Another 2xx than the declared 200.
        let reason = format!("HTTP {status} with a body that is not the envelope");
        lenient::<R>(&body, status, request_id.clone(), reason, scrubber)
    } else {
        // Throttling and gateway statuses stay HTTP errors even with an
        // envelope: they decide retries and carry Retry-After. Others with
        // an error envelope are API errors, e.g. 401 with 21119.
        let transient = matches!(status, 429 | 502..=504);
        match lenient_json(&body).and_then(|v| serde_json::from_value::<BareEnvelope>(v).ok()) {
            Some(bare) if !transient && !is_success_code(bare.code) => Err(api_error(
                bare.code,
                bare.message.as_deref(),
                status,
                request_id.clone(),
                scrubber,
            )),
            _ => Err(Error::Http {
                status,
                excerpt: scrubber().excerpt(&body),
                retry_after,
                request_id: request_id.clone(),
                attempts: 0,
            }),
        }
    };
    Answer {
        outcome,
        status: Some(status),
        request_id,
    }
}

/// The data of a decoded envelope, or the error its `code` names.
fn settle<R: Envelope>(
    envelope: R,
    status: u16,
    request_id: Option<String>,
    body: &[u8],
    scrubber: &(dyn Fn() -> Scrubber + Sync),
) -> Result<R::Data, Error> {
    if !is_success_code(envelope.code()) {
        return Err(api_error(
            envelope.code(),
            envelope.message(),
            status,
            request_id,
            scrubber,
        ));
    }
    envelope.into_data().ok_or_else(|| {
        let reason = "a success envelope without `data`".to_owned();
        decode_error(status, reason, body, scrubber)
    })
}

/// What a body the typed decode refused says after all: the typed envelope
/// (with a string `code`), or at least an error code; else a decode error.
fn lenient<R: Envelope>(
    body: &[u8],
    status: u16,
    request_id: Option<String>,
    reason: String,
    scrubber: &(dyn Fn() -> Scrubber + Sync),
) -> Result<R::Data, Error> {
    if let Some(value) = lenient_json(body) {
        if let Ok(envelope) = serde_json::from_value::<R>(value.clone()) {
            return settle(envelope, status, request_id, body, scrubber);
        }
        if let Ok(bare) = serde_json::from_value::<BareEnvelope>(value)
            && !is_success_code(bare.code)
        {
            return Err(api_error(
                bare.code,
                bare.message.as_deref(),
                status,
                request_id,
                scrubber,
            ));
        }
    }
    // serde quotes the offending value, which may be anything the server sent.
    let reason = scrubber().excerpt(reason.as_bytes());
    Err(decode_error(status, reason, body, scrubber))
}

fn api_error(
    code: i64,
    message: Option<&str>,
    status: u16,
    request_id: Option<String>,
    scrubber: &(dyn Fn() -> Scrubber + Sync),
) -> Error {
    Error::Api {
        code,
        message: scrubber().scrub(message.unwrap_or_default()),
        status,
        request_id,
        attempts: 0,
    }
}

/// `reason` must be scrubbed already.
fn decode_error(
    status: u16,
    reason: String,
    body: &[u8],
    scrubber: &(dyn Fn() -> Scrubber + Sync),
) -> Error {
    Error::Decode {
        status,
        reason,
        excerpt: scrubber().excerpt(body),
        attempts: 0,
    }
}

/// A transport failure, sorted by whether the request can have left.
fn transport_error(e: reqwest::Error) -> Error {
    if e.is_connect() {
        Error::Connect {
            attempts: 0,
            source: Arc::new(e),
        }
    } else if e.is_timeout() {
        Error::Timeout {
            attempts: 0,
            source: Some(Arc::new(e)),
        }
    } else {
        Error::Transport {
            attempts: 0,
            source: Arc::new(e),
        }
    }
}
