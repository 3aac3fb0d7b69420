//! What an answer decoded by the generated client means for the caller.
//!
//! progenitor decodes every answer: the operation's envelope for a 200, the
//! error envelope for a 4xx or 5xx. The service answers most failures with
//! HTTP 200 and a non-zero `code`, so a decoded envelope is still read
//! here: its `code` (0 or 200 is success) decides between the data and an
//! [`ErrorKind::Api`]. An answer whose body did not decode keeps its status
//! and headers in what the hooks noted ([`Seen`]), and its bytes in
//! progenitor's error (or, where the hooks read it, in [`Seen`] too).
//!
//! A 200 the hooks pass through unread (see `hooks`) is read only by
//! progenitor, so nothing that decodes may need its bytes afterwards: the
//! spec makes a create's `data` and `jobId` required, and [`Code`]
//! decodes only when it holds a number. A 200 that decodes is then
//! a success with its data or an error with its code; any other fails to
//! decode, and progenitor's error keeps its bytes for the excerpt.

use std::fmt;

use bytes::Bytes;
use progenitor_client::{Error as Generated, ResponseValue};
use serde::de::{self, Deserialize, Deserializer, Unexpected, Visitor};

use crate::{
    error::{Error, ErrorKind},
    generated::types,
    hooks::{Cut, Seen},
    redact::Scrubber,
};

/// The `{code, message, data}` envelope every operation answers with.
pub(crate) trait Envelope {
    type Data;
    fn code(&self) -> &Code;
    fn message(&self) -> Option<&str>;
    /// The data of a success: `None` when it lacks what a success must carry.
    fn into_data(self) -> Option<Self::Data>;
}

macro_rules! envelope {
    ($($response:ident => $data:ty: |$d:ident| $take:expr),* $(,)?) => {$(
        impl Envelope for types::$response {
            type Data = $data;
            fn code(&self) -> &$crate::generated::Code { &self.code }
            fn message(&self) -> Option<&str> { self.message.as_deref() }
            fn into_data(self) -> Option<$data> { let $d = self.data; $take }
        }
    )*};
}
pub(crate) use envelope;

envelope! {
    // `data` and its `jobId` are required: a create that decodes has both.
    CreateImportJobResponse => String: |d| Some(d.job_id),
    DescribeImportJobResponse => types::ImportJobProgressData: |d| d,
    ListImportJobsResponse => types::ImportJobListData: |d| d,
    // Commit and abort answer nothing but the code: a success without
    // `data` is still a success.
    ImportJobActionResponse => (): |_d| Some(()),
    // A volume's create and delete answer its name, or an empty `data`.
    VolumeNameResponse => (): |_d| Some(()),
    DescribeVolumeResponse => types::Volume: |d| d,
    ListVolumesResponse => types::VolumeListData: |d| d,
    ApplyVolumeResponse => types::VolumeUpload: |d| d,
}

/// The envelope's code as a number: the seed types it as a string, every
/// server sends an integer; a string that is not one is no code.
fn code(code: &Code) -> Option<i64> {
    match code {
        Code::Int64(n) => Some(*n),
        Code::String(s) => number(s),
    }
}

fn number(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

/// The envelope's `code` (`generated::Code`: build.rs has progenitor use this
/// type for the spec's `Code` and names it there): an integer, or a string
/// that holds one, kept as sent. It decodes only from those: anything else
/// (a string that is no number, a fraction, an integer past 64 signed bits)
/// is no code, and the envelope holding it does not decode, so progenitor's
/// error keeps the answer's bytes.
#[derive(Clone, Debug, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Code {
    /// The code as every server sends it.
    Int64(i64),
    /// The code as the seed page types it: a string holding an integer.
    String(String),
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Code::Int64(n) => n.fmt(f),
            Code::String(s) => s.fmt(f),
        }
    }
}

impl From<i64> for Code {
    fn from(n: i64) -> Self {
        Code::Int64(n)
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Expect;
        impl Visitor<'_> for Expect {
            type Value = Code;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer code, or a string holding one")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Code, E> {
                Ok(Code::Int64(n))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Code, E> {
                i64::try_from(n)
                    .map(Code::Int64)
                    .map_err(|_| E::invalid_value(Unexpected::Unsigned(n), &self))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Code, E> {
                match number(s) {
                    Some(_) => Ok(Code::String(s.to_owned())),
                    None => Err(E::invalid_value(Unexpected::Str(s), &self)),
                }
            }
        }
        deserializer.deserialize_any(Expect)
    }
}

/// Success is `code` 0 or 200 (the seed documents 200, its example shows 0).
fn is_success(code: i64) -> bool {
    code == 0 || code == 200
}

/// What one call came to: the data and the request id, or an [`Error`].
/// `scrubber` (the client's secrets and the request's) is made only when
/// an id or server text is kept.
pub(crate) fn settle<R: Envelope + serde::de::DeserializeOwned>(
    result: Result<ResponseValue<R>, Generated<types::ErrorEnvelope>>,
    seen: Seen,
    scrubber: &(dyn Fn() -> Scrubber + Sync),
) -> Result<(R::Data, Option<String>), Error> {
    // A 200 passed through unread left no body in `seen`: progenitor's
    // error keeps what it read.
    let body = match &result {
        Err(Generated::InvalidResponsePayload(bytes, _)) => bytes.clone(),
        _ => seen.body.clone(),
    };
    let (status, body): (_, &Bytes) = (seen.status, &body);
    let ok_2xx = status.is_some_and(|s| (200..300).contains(&s));
    let request_id = || Some(scrubber().id(seen.request_id.as_ref()?.to_str().ok()?));
    let fail = |kind| {
        Err(Error::new(kind)
            .answered(status, request_id())
            .with_attempts(seen.attempts))
    };
    let excerpt = || scrubber().excerpt(body);
    // Throttling and gateway statuses stay HTTP errors even with an
    // envelope: they decide retries and carry Retry-After. Others with an
    // error code are API errors, e.g. 401 with 21119.
    let refusal = |envelope: Option<types::ErrorEnvelope>| match envelope.and_then(error_code) {
        Some((c, message)) if !matches!(status, Some(429 | 502..=504)) => {
            api(c, message.as_deref(), scrubber)
        }
        _ => ErrorKind::Http {
            excerpt: excerpt(),
            retry_after: seen.retry_after,
        },
    };
    let decoded = match result {
        Ok(answer) => Ok(answer.into_inner()),
        Err(Generated::ErrorResponse(answer)) => return fail(refusal(Some(answer.into_inner()))),
        // A 200 its envelope type does not hold: the error envelope may
        // still name an error (below).
        Err(Generated::InvalidResponsePayload(_, e)) if ok_2xx => Err(e),
        // Another 2xx than the declared 200: the envelope still decides.
        Err(Generated::UnexpectedResponse(_)) if ok_2xx => serde_json::from_slice::<R>(body),
        // A status the spec does not declare (a 3xx) is read as the error
        // envelope too.
        Err(Generated::UnexpectedResponse(_) | Generated::InvalidResponsePayload(..)) => {
            return fail(refusal(serde_json::from_slice(body).ok()));
        }
        Err(Generated::CommunicationError(e) | Generated::ResponseBodyError(e)) => {
            // The deadline, not the attempt timeout, cut this attempt short.
            let error = if e.is_timeout() && seen.deadline_cut {
                Error::new(ErrorKind::Timeout)
            } else {
                Error::transport(e)
            };
            return Err(error.with_attempts(seen.attempts));
        }
        Err(Generated::InvalidRequest(reason)) => return Err(Error::invalid("body", reason)),
        Err(Generated::Custom(_)) => {
            return match seen.cut {
                Some(Cut::TooLarge(limit)) => fail(ErrorKind::BodyTooLarge { limit }),
                _ => Err(Error::new(ErrorKind::DeadlineReached)),
            };
        }
        Err(other) => return fail(decode(&other.to_string(), String::new(), scrubber)),
    };
    // An error envelope whose `data` the type cannot hold (a string, say) is
    // still the error its code names; anything else is not the envelope.
    let envelope = match decoded {
        Ok(envelope) => envelope,
        Err(e) => match serde_json::from_slice(body).ok().and_then(error_code) {
            Some((c, message)) => return fail(api(c, message.as_deref(), scrubber)),
            None => return fail(decode(&e.to_string(), excerpt(), scrubber)),
        },
    };
    let reason = match code(envelope.code()) {
        Some(c) if !is_success(c) => return fail(api(c, envelope.message(), scrubber)),
        Some(_) => match envelope.into_data() {
            Some(data) => return Ok((data, request_id())),
            None => "a success envelope without `data`",
        },
        None => "the envelope's `code` is not a number",
    };
    fail(ErrorKind::Decode {
        reason: reason.to_owned(),
        excerpt: excerpt(),
    })
}

/// An error envelope's code and message, unless its code is success or none.
fn error_code(envelope: types::ErrorEnvelope) -> Option<(i64, Option<String>)> {
    let code = code(&envelope.code).filter(|c| !is_success(*c))?;
    Some((code, envelope.message))
}

/// A body that is not the envelope; serde quotes the offending value, which
/// may be anything the server sent.
fn decode(reason: &str, excerpt: String, scrubber: &(dyn Fn() -> Scrubber + Sync)) -> ErrorKind {
    ErrorKind::Decode {
        reason: scrubber().excerpt(reason.as_bytes()),
        excerpt,
    }
}

fn api(code: i64, message: Option<&str>, scrubber: &(dyn Fn() -> Scrubber + Sync)) -> ErrorKind {
    ErrorKind::Api {
        code,
        message: scrubber().scrub(message.unwrap_or_default()),
    }
}
