//! What failed, kept apart by what it is about.
//!
//! [`Error`] is the failure of one call: one request and its retries. It owes
//! its caller one answer above all, could the request have reached the
//! server? That decides whether a failed `create` may be retried without
//! starting a second import, so each variant states it through
//! [`Error::delivery`] instead of leaving callers to guess from a message.
//!
//! A wait and a page walk are workflows of many reads, and how they end is
//! not a request's failure: [`WaitError`] (the job failed, the wait timed
//! out) and [`WalkError`] (the server repeated a page, the walk reached its
//! bound) wrap an [`Error`] only when one request's failure is what ended
//! them. Neither can leave a write in doubt, so neither claims `MaybeSent`
//! for itself.

use std::{sync::Arc, time::Duration};

use crate::{progress::ImportProgress, two_phase::Settled};

/// Whether a failed request may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing was sent: invalid input, bad configuration, or a connection
    /// that was never established. Retrying cannot duplicate anything.
    NotSent,
    /// The request may or may not have been processed (a timeout, or a
    /// connection lost after the request was written). Retrying a create
    /// without an idempotency key could start a second import.
    MaybeSent,
    /// The server received the request and answered.
    Received,
}

/// Everything that can go wrong, one variant per kind of failure.
///
/// Messages never contain the API key, the storage secret key, the session
/// token or the query string of a presigned URL: text that comes from the
/// server is scrubbed of them before it is stored here.
///
/// Cheap to clone (the transport's error is shared): a wait for many jobs
/// reports a failed poll as an event and still keeps it for its outcome.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument failed validation; no request was sent.
    #[error("invalid input: {field}: {reason}")]
    #[non_exhaustive]
    InvalidInput {
        /// The argument or field at fault, named as in the API where it has a name.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// The client could not be configured; no request was sent.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),

    /// The connection could not be established (refused, DNS, TLS handshake);
    /// the request never left the client.
    #[error("could not connect (request not sent) after {attempts} attempt(s): {source}")]
    #[non_exhaustive]
    Connect {
        /// Attempts made, the first included.
        attempts: u32,
        /// The transport's error.
        #[source]
        source: Arc<reqwest::Error>,
    },

    /// No complete answer came within the timeout; the request may have been
    /// processed.
    #[error(
        "timed out (request may have been sent) after {attempts} attempt(s){}",
        source_suffix(source)
    )]
    #[non_exhaustive]
    Timeout {
        /// Attempts made, the first included.
        attempts: u32,
        /// The transport's error; `None` when the call's deadline (not the
        /// HTTP client's timeout) cut the attempt short.
        #[source]
        source: Option<Arc<reqwest::Error>>,
    },

    /// The connection failed after it was established (reset, closed
    /// mid-answer); the request may have been processed.
    #[error("connection lost (request may have been sent) after {attempts} attempt(s): {source}")]
    #[non_exhaustive]
    Transport {
        /// Attempts made, the first included.
        attempts: u32,
        /// The transport's error.
        #[source]
        source: Arc<reqwest::Error>,
    },

    /// The service answered with a non-zero `code`.
    #[error(
        "API error {code} (HTTP {status}){}: {message}",
        request_id_suffix(request_id)
    )]
    #[non_exhaustive]
    Api {
        /// The service's error code, for example 96026 for an unknown job.
        code: i64,
        /// The service's message.
        message: String,
        /// The HTTP status it came with (usually 200; 401 for a bad key).
        status: u16,
        /// The `requestid` response header, where the service sent one.
        request_id: Option<String>,
        /// Attempts made, the first included.
        attempts: u32,
    },

    /// An HTTP status the API does not use for its envelope, for example a
    /// gateway's HTML 502.
    #[error(
        "unexpected HTTP status {status}{}: {excerpt:?}",
        request_id_suffix(request_id)
    )]
    #[non_exhaustive]
    Http {
        /// The HTTP status.
        status: u16,
        /// The start of the body, at most a few hundred characters.
        excerpt: String,
        /// How long the server asked to wait before trying again.
        retry_after: Option<Duration>,
        /// The `requestid` response header, where the service sent one.
        request_id: Option<String>,
        /// Attempts made, the first included.
        attempts: u32,
    },

    /// The server answered, but the body is not the API's envelope.
    #[error("undecodable response (HTTP {status}): {reason}; body starts {excerpt:?}")]
    #[non_exhaustive]
    Decode {
        /// The HTTP status.
        status: u16,
        /// What did not match.
        reason: String,
        /// The start of the body, at most a few hundred characters.
        excerpt: String,
        /// Attempts made, the first included.
        attempts: u32,
    },

    /// The answer was larger than the client reads; it was not decoded.
    #[error("response body larger than the {limit}-byte limit (HTTP {status})")]
    #[non_exhaustive]
    BodyTooLarge {
        /// The HTTP status.
        status: u16,
        /// The configured limit in bytes.
        limit: usize,
        /// Attempts made, the first included.
        attempts: u32,
    },

    /// The call's deadline (its operation timeout, the deadline of the wait
    /// it polls for, or the grace of an abort on timeout) passed before a
    /// request could be sent: nothing was sent.
    #[error("the call's deadline passed before a request could be sent")]
    DeadlineReached,
}

/// Runs `$then` with the `attempts` field of the variants that have one,
/// else gives `$else`: one list of those variants for reading and writing.
macro_rules! on_attempts {
    ($error:expr, $attempts:ident => $then:expr, $else:expr) => {
        match $error {
            Error::Connect { $attempts, .. }
            | Error::Timeout { $attempts, .. }
            | Error::Transport { $attempts, .. }
            | Error::Api { $attempts, .. }
            | Error::Http { $attempts, .. }
            | Error::Decode { $attempts, .. }
            | Error::BodyTooLarge { $attempts, .. } => $then,
            _ => $else,
        }
    };
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    request_id
        .as_deref()
        .map(|id| format!(" [request id {id}]"))
        .unwrap_or_default()
}

fn source_suffix(source: &Option<Arc<reqwest::Error>>) -> String {
    match source {
        Some(e) => format!(": {e}"),
        None => String::from(": the call's deadline passed"),
    }
}

impl Error {
    /// Whether the request may have reached the server.
    pub fn delivery(&self) -> Delivery {
        match self {
            Error::InvalidInput { .. }
            | Error::InvalidConfig(_)
            | Error::Connect { .. }
            | Error::DeadlineReached => Delivery::NotSent,
            Error::Timeout { .. } | Error::Transport { .. } => Delivery::MaybeSent,
            Error::Api { .. }
            | Error::Http { .. }
            | Error::Decode { .. }
            | Error::BodyTooLarge { .. } => Delivery::Received,
        }
    }

    /// Shorthand for `delivery() != Delivery::NotSent`.
    pub fn may_have_been_sent(&self) -> bool {
        self.delivery() != Delivery::NotSent
    }

    /// How many HTTP attempts the failed call made (0 when nothing was sent).
    pub fn attempts(&self) -> u32 {
        on_attempts!(self, attempts => *attempts, 0)
    }

    /// The HTTP status, where the server answered with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. }
            | Error::Http { status, .. }
            | Error::Decode { status, .. }
            | Error::BodyTooLarge { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The service's request id (its `requestid` header), where it sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. } | Error::Http { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The service's error code, for [`Error::Api`].
    pub fn api_code(&self) -> Option<i64> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// An [`Error::InvalidInput`]; the reason may quote the caller's input,
    /// so its control characters are escaped like server text.
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            reason: crate::redact::escape_controls(&reason.into()),
        }
    }

    /// Sets the attempt count on the variants that carry one; the retry loop
    /// knows the count, the classifier of a single response does not.
    pub(crate) fn with_attempts(mut self, n: u32) -> Self {
        on_attempts!(&mut self, attempts => *attempts = n, ());
        self
    }
}

/// How a wait ended, when the job did not complete.
///
/// Only [`WaitError::Request`] is about a request; the job's failure and the
/// wait's deadline are outcomes of the workflow. A wait sends only reads, so
/// no variant leaves a write in doubt.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// The import job ended in the `Failed` state on its own.
    #[error("import job {} failed: {reason}", progress.job_id)]
    #[non_exhaustive]
    JobFailed {
        /// The service's reason, empty if it gave none.
        reason: String,
        /// The last progress seen.
        progress: Box<ImportProgress>,
    },

    /// The import job was aborted (see [`ImportProgress::is_aborted`]): it
    /// ended `Failed` because someone asked it to, and imported nothing.
    #[error("import job {} was aborted", progress.job_id)]
    #[non_exhaustive]
    Aborted {
        /// The last progress seen.
        progress: Box<ImportProgress>,
    },

    /// The wait's deadline passed; the job goes on server-side, unless the
    /// wait was told to abort it ([`crate::WaitOptions::abort_on_timeout`]).
    #[error(
        "gave up waiting after {waited:?}{}{}{}",
        last_seen(last),
        last_failure(last_error),
        abort_outcome(abort)
    )]
    #[non_exhaustive]
    TimedOut {
        /// How long the wait lasted.
        waited: Duration,
        /// The last progress seen, if any poll succeeded.
        last: Option<Box<ImportProgress>>,
        /// The failure of the last poll, when it failed: why no answer
        /// came near the end.
        last_error: Option<Box<Error>>,
        /// The abort sent when the deadline passed; `None` when the wait
        /// was not told to abort.
        abort: Option<AbortOnTimeout>,
    },

    /// A poll failed in a way that ends the wait: an answer proving the job
    /// cannot be followed (a refused key, no such job), or too many failed
    /// polls in a row.
    #[error(transparent)]
    Request(#[from] Error),
}

/// What became of the abort a wait sent when its deadline passed.
#[derive(Debug)]
#[non_exhaustive]
pub enum AbortOnTimeout {
    /// The job took the abort (or had already been aborted): it ends
    /// `Failed` and imports nothing.
    Accepted(Settled),
    /// The abort failed, or the server refused it (a job already
    /// committing or completed); the job goes on server-side.
    Failed(Box<Error>),
}

impl WaitError {
    /// The failed request that ended the wait, for [`WaitError::Request`].
    pub fn request_error(&self) -> Option<&Error> {
        match self {
            WaitError::Request(e) => Some(e),
            _ => None,
        }
    }

    /// The last progress the wait saw, where it saw any.
    pub fn last_progress(&self) -> Option<&ImportProgress> {
        match self {
            WaitError::JobFailed { progress, .. } | WaitError::Aborted { progress } => {
                Some(progress)
            }
            WaitError::TimedOut { last, .. } => last.as_deref(),
            WaitError::Request(_) => None,
        }
    }
}

/// How a walk over every page of a listing ended early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalkError {
    /// The server answered a page with the same jobs as the page before
    /// (it ignores the page number), so the walk stopped instead of looping.
    #[error("listing stopped at page {page}: the server answered it with the same jobs as page {}", page.saturating_sub(1))]
    #[non_exhaustive]
    Stalled {
        /// The page that repeated its predecessor.
        page: u32,
    },

    /// The walk took the most pages it may ([`crate::ListImportJobs::max_pages`]);
    /// the server may hold more. The bound keeps a server that always
    /// answers a full page of new jobs from making the walk endless.
    #[error(
        "listing stopped after {pages} page(s), the most a walk may take; the server may hold more"
    )]
    #[non_exhaustive]
    PageLimitReached {
        /// Pages walked.
        pages: u32,
    },

    /// Listing one page failed.
    #[error(transparent)]
    Request(#[from] Error),
}

impl WalkError {
    /// The failed request that ended the walk, for [`WalkError::Request`].
    pub fn request_error(&self) -> Option<&Error> {
        match self {
            WalkError::Request(e) => Some(e),
            _ => None,
        }
    }
}

fn last_seen(last: &Option<Box<ImportProgress>>) -> String {
    match last {
        Some(p) => format!(
            "; last seen: job {} {} at {}%",
            p.job_id, p.state, p.progress
        ),
        None => String::from("; no progress was seen"),
    }
}

fn abort_outcome(abort: &Option<AbortOnTimeout>) -> String {
    match abort {
        None => String::new(),
        Some(AbortOnTimeout::Accepted(_)) => String::from("; the job was aborted"),
        Some(AbortOnTimeout::Failed(e)) => {
            format!("; aborting the job failed, and it goes on server-side: {e}")
        }
    }
}

fn last_failure(last: &Option<Box<Error>>) -> String {
    last.as_ref()
        .map(|e| format!("; the last poll failed: {e}"))
        .unwrap_or_default()
}
