//! What failed in one call, and whether the request may have reached the
//! server.
//!
//! [`Error`] is the failure of one call: one request and its retries. It owes
//! its caller one answer above all, could the request have reached the
//! server? That decides whether a failed `create` may be retried without
//! starting a second import, so [`Error::delivery`] states it instead of
//! leaving callers to guess from a message. As smithy-rs' `SdkError` sorts a
//! failure by the phase it happened in, [`ErrorKind`] says what went wrong,
//! while what every failure has (attempts, the HTTP status, the request id)
//! is carried once, by the error itself. A client that cannot be built fails
//! with a [`BuildError`] of its own, before any call.

use std::{error::Error as StdError, fmt, sync::Arc, time::Duration};

/// Whether a failed request may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing was sent: invalid input, or a connection that was never
    /// established, or a deadline that passed first. Retrying cannot
    /// duplicate anything.
    NotSent,
    /// The request may or may not have been processed (a timeout, or a
    /// connection lost after the request was written). Retrying a create
    /// without an idempotency key could start a second import.
    MaybeSent,
    /// The server received the request and answered.
    Received,
}

/// The failure of one call, after its retries.
///
/// Messages never contain the API key, the storage secret key, the session
/// token or the query string of a presigned URL: text that comes from the
/// server is scrubbed of them before it is stored here.
///
/// Cheap to clone (the transport's error is shared): a wait for many jobs
/// reports a failed poll as an event and still keeps it for its outcome.
#[derive(Debug, Clone)]
pub struct Error {
    kind: ErrorKind,
    attempts: u32,
    status: Option<u16>,
    request_id: Option<String>,
    /// The transport's error, reached through [`StdError::source`] only.
    source: Option<Arc<reqwest::Error>>,
}

/// What went wrong, one variant per kind of failure.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument failed validation; no request was sent.
    #[non_exhaustive]
    InvalidInput {
        /// The argument or field at fault, named as in the API where it has a name.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The connection could not be established (refused, DNS, TLS
    /// handshake); the request never left the client.
    Connect,
    /// No complete answer came within the attempt's time; the request may
    /// have been processed. Without a [`source`](StdError::source), the
    /// call's deadline (not the attempt timeout) cut the attempt short.
    Timeout,
    /// The connection failed after it was established (reset, closed
    /// mid-answer); the request may have been processed.
    Transport,
    /// The service answered with a non-zero `code`.
    #[non_exhaustive]
    Api {
        /// The service's error code, for example 96026 for an unknown job.
        code: i64,
        /// The service's message.
        message: String,
    },
    /// An HTTP status the API does not use for its envelope, for example a
    /// gateway's HTML 502, or a throttling 429.
    #[non_exhaustive]
    Http {
        /// The start of the body, at most a few hundred characters.
        excerpt: String,
        /// How long the server asked to wait before trying again.
        retry_after: Option<Duration>,
    },
    /// The server answered, but the body is not the API's envelope.
    #[non_exhaustive]
    Decode {
        /// What did not match.
        reason: String,
        /// The start of the body, at most a few hundred characters.
        excerpt: String,
    },
    /// The answer was larger than the client reads; it was not decoded.
    #[non_exhaustive]
    BodyTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// The call's deadline (its operation timeout, the deadline of the wait
    /// it belongs to) passed before a request could be sent.
    DeadlineReached,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        Error {
            kind,
            attempts: 0,
            status: None,
            request_id: None,
            source: None,
        }
    }

    /// An invalid argument, its reason with control characters escaped.
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput {
            field,
            reason: crate::redact::escape_controls(&reason.into()),
        })
    }

    /// A transport failure, sorted by whether the request can have left.
    pub(crate) fn transport(e: reqwest::Error) -> Self {
        let kind = if e.is_connect() {
            ErrorKind::Connect
        } else if e.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::Transport
        };
        Error {
            source: Some(Arc::new(e)),
            ..Error::new(kind)
        }
    }

    pub(crate) fn answered(mut self, status: Option<u16>, request_id: Option<String>) -> Self {
        self.status = status;
        self.request_id = request_id;
        self
    }

    pub(crate) fn with_attempts(mut self, n: u32) -> Self {
        self.attempts = n;
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Whether the request may have reached the server. A create that failed
    /// with [`Delivery::MaybeSent`] may have started a job: list the jobs
    /// before creating it again, or create with an idempotency key.
    pub fn delivery(&self) -> Delivery {
        match self.kind {
            ErrorKind::InvalidInput { .. } | ErrorKind::Connect | ErrorKind::DeadlineReached => {
                Delivery::NotSent
            }
            ErrorKind::Timeout | ErrorKind::Transport => Delivery::MaybeSent,
            ErrorKind::Api { .. }
            | ErrorKind::Http { .. }
            | ErrorKind::Decode { .. }
            | ErrorKind::BodyTooLarge { .. } => Delivery::Received,
        }
    }

    /// `false` only when the request certainly never reached the server.
    pub fn may_have_been_sent(&self) -> bool {
        self.delivery() != Delivery::NotSent
    }

    /// Attempts made, the first included; 0 when nothing was sent.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The HTTP status of the last answer, where one came.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The `requestid` header of the last answer, where the service sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The service's error code, for [`ErrorKind::Api`].
    pub fn api_code(&self) -> Option<i64> {
        match self.kind {
            ErrorKind::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.attempts;
        let status = self.status.unwrap_or_default();
        let rid = self
            .request_id
            .as_deref()
            .map(|id| format!(" [request id {id}]"))
            .unwrap_or_default();
        let source = match &self.source {
            Some(e) => format!(": {e}"),
            None => String::from(": the call's deadline passed"),
        };
        match &self.kind {
            ErrorKind::InvalidInput { field, reason } => {
                write!(f, "invalid input: {field}: {reason}")
            }
            ErrorKind::Connect => write!(
                f,
                "could not connect (request not sent) after {n} attempt(s){source}"
            ),
            ErrorKind::Timeout => write!(
                f,
                "timed out (request may have been sent) after {n} attempt(s){source}"
            ),
            ErrorKind::Transport => write!(
                f,
                "connection lost (request may have been sent) after {n} attempt(s){source}"
            ),
            ErrorKind::Api { code, message } => {
                write!(f, "API error {code} (HTTP {status}){rid}: {message}")
            }
            ErrorKind::Http { excerpt, .. } => {
                write!(f, "unexpected HTTP status {status}{rid}: {excerpt:?}")
            }
            ErrorKind::Decode { reason, excerpt } => write!(
                f,
                "undecodable response (HTTP {status}): {reason}; body starts {excerpt:?}"
            ),
            ErrorKind::BodyTooLarge { limit } => write!(
                f,
                "response body larger than the {limit}-byte limit (HTTP {status})"
            ),
            ErrorKind::DeadlineReached => {
                f.write_str("the call's deadline passed before a request could be sent")
            }
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

/// A client could not be built: no request was or can be sent with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct BuildError(pub(crate) String);

impl BuildError {
    /// What is wrong with the configuration, without the common prefix.
    pub fn reason(&self) -> &str {
        &self.0
    }
}
