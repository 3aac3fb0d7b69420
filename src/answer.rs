//! What an answer decoded by the generated client means for the caller.
//!
//! progenitor decodes every answer: the operation's envelope for a 200, the
//! error envelope for a 4xx or 5xx. The service answers most failures with
//! HTTP 200 and a non-zero `code`, so a decoded envelope is still read
//! here: its `code` (0 or 200 is success) decides between the data and an
//! [`ErrorKind::Api`]. An answer whose body did not decode keeps its status
//! and headers in what the hooks noted ([`Seen`]).

use progenitor_client::{Error as Generated, ResponseValue};
use reqwest::header::HeaderMap;

use crate::{
    error::{Error, ErrorKind},
    generated::types,
    hooks::{Cut, Seen, request_id},
    redact::Scrubber,
};

/// The `{code, message, data}` envelope every operation answers with.
pub(crate) trait Envelope {
    type Data;
    fn code(&self) -> &types::Code;
    fn message(&self) -> Option<&str>;
    /// The data of a success: `None` when it lacks what a success must carry.
    fn into_data(self) -> Option<Self::Data>;
}

macro_rules! envelope {
    ($($response:ident => $data:ty: |$d:ident| $take:expr),* $(,)?) => {$(
        impl Envelope for types::$response {
            type Data = $data;
            fn code(&self) -> &types::Code { &self.code }
            fn message(&self) -> Option<&str> { self.message.as_deref() }
            fn into_data(self) -> Option<$data> { let $d = self.data; $take }
        }
    )*};
}

envelope! {
    CreateImportJobResponse => String: |d| d.and_then(|d| d.job_id),
    DescribeImportJobResponse => types::ImportJobProgressData: |d| d,
    ListImportJobsResponse => types::ImportJobListData: |d| d,
    // Commit and abort answer nothing but the code: a success without
    // `data` is still a success.
    ImportJobActionResponse => (): |_d| Some(()),
}

/// The envelope's code as a number: the seed types it as a string, every
/// server sends an integer; a string that is not one is no code.
fn code(code: &types::Code) -> Option<i64> {
    match code {
        types::Code::Int64(n) => Some(*n),
        types::Code::String(s) => s.trim().parse().ok(),
    }
}

/// Success is `code` 0 or 200 (the seed documents 200, its example shows 0).
fn is_success(code: i64) -> bool {
    code == 0 || code == 200
}

/// The request id of an answer, scrubbed like any server text.
fn header_request_id(headers: &HeaderMap, scrubber: &Scrubber) -> Option<String> {
    let id = request_id(headers)?.to_str().ok()?;
    Some(scrubber.scrub(id))
}

/// What one call came to: the data and the request id, or an [`Error`].
/// `scrubber` (the client's secrets and the request's) is made only when
/// server text is kept.
pub(crate) async fn settle<R: Envelope + serde::Serialize>(
    result: Result<ResponseValue<R>, Generated<types::ErrorEnvelope>>,
    seen: Seen,
    scrubber: &(dyn Fn() -> Scrubber + Sync),
) -> Result<(R::Data, Option<String>), Error> {
    let status = seen.head.as_ref().map(|h| h.status.as_u16());
    let seen_id = || {
        let id = seen.head.as_ref()?.request_id.as_ref()?.to_str().ok()?;
        Some(scrubber().scrub(id))
    };
    let failed = |kind| Err(Error::new(kind).with_attempts(seen.attempts));
    match result {
        Ok(answer) => {
            let scrubber = scrubber();
            let request_id = header_request_id(answer.headers(), &scrubber);
            let status = answer.status().as_u16();
            let envelope = answer.into_inner();
            let error = |kind| {
                Err(Error::new(kind)
                    .answered(Some(status), request_id.clone())
                    .with_attempts(seen.attempts))
            };
            match code(envelope.code()) {
                Some(c) if !is_success(c) => error(api(c, envelope.message(), &scrubber)),
                Some(_) => {
                    let excerpt = excerpt_of(&envelope, &scrubber);
                    match envelope.into_data() {
                        Some(data) => Ok((data, request_id)),
                        None => error(ErrorKind::Decode {
                            reason: "a success envelope without `data`".to_owned(),
                            excerpt,
                        }),
                    }
                }
                None => error(ErrorKind::Decode {
                    reason: "the envelope's `code` is not a number".to_owned(),
                    excerpt: excerpt_of(&envelope, &scrubber),
                }),
            }
        }
        Err(Generated::ErrorResponse(answer)) => {
            let scrubber = scrubber();
            let request_id = header_request_id(answer.headers(), &scrubber);
            let status = answer.status().as_u16();
            let retry_after = seen.head.as_ref().and_then(|h| h.retry_after);
            let envelope = answer.into_inner();
            // Throttling and gateway statuses stay HTTP errors even with an
            // envelope: they decide retries and carry Retry-After. Others
            // with an error code are API errors, e.g. 401 with 21119.
            let kind = match code(&envelope.code) {
                Some(c) if !is_success(c) && !matches!(status, 429 | 502..=504) => {
                    api(c, envelope.message.as_deref(), &scrubber)
                }
                _ => ErrorKind::Http {
                    excerpt: excerpt_of(&envelope, &scrubber),
                    retry_after,
                },
            };
            Err(Error::new(kind)
                .answered(Some(status), request_id)
                .with_attempts(seen.attempts))
        }
        Err(Generated::InvalidResponsePayload(body, e)) => {
            let excerpt = scrubber().excerpt(&body);
            let kind = match status {
                Some(200) => ErrorKind::Decode {
                    // serde quotes the offending value, which may be anything the server sent.
                    reason: scrubber().excerpt(e.to_string().as_bytes()),
                    excerpt,
                },
                _ => ErrorKind::Http {
                    excerpt,
                    retry_after: seen.head.as_ref().and_then(|h| h.retry_after),
                },
            };
            Err(Error::new(kind)
                .answered(status, seen_id())
                .with_attempts(seen.attempts))
        }
        Err(Generated::UnexpectedResponse(answer)) => {
            // A status the spec does not declare (1xx, 3xx, another 2xx).
            let scrubber = scrubber();
            let request_id = header_request_id(answer.headers(), &scrubber);
            let status = answer.status().as_u16();
            let body = answer.bytes().await.unwrap_or_default();
            let kind = ErrorKind::Http {
                excerpt: scrubber.excerpt(&body),
                retry_after: seen.head.as_ref().and_then(|h| h.retry_after),
            };
            Err(Error::new(kind)
                .answered(Some(status), request_id)
                .with_attempts(seen.attempts))
        }
        // The deadline, not the attempt timeout, cut this attempt short.
        Err(Generated::CommunicationError(e) | Generated::ResponseBodyError(e))
            if e.is_timeout() && seen.deadline_cut =>
        {
            failed(ErrorKind::Timeout)
        }
        Err(Generated::CommunicationError(e) | Generated::ResponseBodyError(e)) => {
            Err(Error::transport(e).with_attempts(seen.attempts))
        }
        Err(Generated::InvalidRequest(reason)) => failed(ErrorKind::InvalidInput {
            field: "body",
            reason,
        }),
        Err(Generated::Custom(_)) => match seen.cut {
            Some(Cut::TooLarge(limit)) => Err(Error::new(ErrorKind::BodyTooLarge { limit })
                .answered(status, seen_id())
                .with_attempts(seen.attempts)),
            _ => failed(ErrorKind::DeadlineReached),
        },
        Err(other) => failed(ErrorKind::Decode {
            reason: scrubber().excerpt(other.to_string().as_bytes()),
            excerpt: String::new(),
        }),
    }
}

fn api(code: i64, message: Option<&str>, scrubber: &Scrubber) -> ErrorKind {
    ErrorKind::Api {
        code,
        message: scrubber.scrub(message.unwrap_or_default()),
    }
}

/// The start of what a decoded envelope said, for an error.
fn excerpt_of(envelope: &impl serde::Serialize, scrubber: &Scrubber) -> String {
    scrubber.excerpt(&serde_json::to_vec(envelope).unwrap_or_default())
}
