//! What an answer decoded by the generated client means for the caller.
//!
//! progenitor decodes every answer: the operation's envelope for a 200, the
//! error envelope for a 4xx or 5xx. The service answers most failures with
//! HTTP 200 and a non-zero `code`, so a decoded envelope is still read
//! here: its `code` (0 or 200 is success) decides between the data and an
//! [`ErrorKind::Api`]. An answer whose body did not decode keeps its status
//! and headers in what the hooks noted ([`Seen`]).

use progenitor_client::{Error as Generated, ResponseValue};

use crate::{
    error::{Error, ErrorKind},
    generated::types,
    hooks::{Cut, Seen},
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

/// What one call came to: the data and the request id, or an [`Error`].
/// `scrubber` (the client's secrets and the request's) is made only when
/// server text is kept.
pub(crate) fn settle<R: Envelope + serde::de::DeserializeOwned>(
    result: Result<ResponseValue<R>, Generated<types::ErrorEnvelope>>,
    seen: Seen,
    scrubber: &(dyn Fn() -> Scrubber + Sync),
) -> Result<(R::Data, Option<String>), Error> {
    let head = seen.head.as_ref();
    let status = head.map(|h| h.status.as_u16());
    let body = head.map(|h| &h.body[..]).unwrap_or_default();
    let retry_after = head.and_then(|h| h.retry_after);
    let request_id = || {
        let id = head?.request_id.as_ref()?.to_str().ok()?;
        Some(scrubber().id(id))
    };
    let fail = |kind| {
        Err(Error::new(kind)
            .answered(status, request_id())
            .with_attempts(seen.attempts))
    };
    let excerpt = || scrubber().excerpt(body);
    let refusal = |envelope: Option<types::ErrorEnvelope>| match envelope.and_then(error_code) {
        Some((c, message)) if !matches!(status, Some(429 | 502..=504)) => {
            api(c, message.as_deref(), scrubber)
        }
        _ => ErrorKind::Http {
            excerpt: excerpt(),
            retry_after,
        },
    };
    // A 2xx the operation's envelope does not hold: an error envelope whose
    // `data` the type cannot hold (a string, say) is still the error its
    // code names; anything else is not the envelope.
    let undecoded =
        |e: serde_json::Error| match serde_json::from_slice(body).ok().and_then(error_code) {
            Some((c, message)) => api(c, message.as_deref(), scrubber),
            None => decode(&e.to_string(), excerpt(), scrubber),
        };
    let envelope = match result {
        Ok(answer) => answer.into_inner(),
        // Another 2xx than the declared 200: the envelope still decides.
        Err(Generated::UnexpectedResponse(_))
            if status.is_some_and(|s| (200..300).contains(&s)) =>
        {
            match serde_json::from_slice::<R>(body) {
                Ok(envelope) => envelope,
                Err(e) => return fail(undecoded(e)),
            }
        }
        // Throttling and gateway statuses stay HTTP errors even with an
        // envelope: they decide retries and carry Retry-After. Others with
        // an error code are API errors, e.g. 401 with 21119. A status the
        // spec does not declare (a 3xx) is read as the error envelope too.
        Err(Generated::ErrorResponse(answer)) => return fail(refusal(Some(answer.into_inner()))),
        Err(Generated::UnexpectedResponse(_)) => {
            return fail(refusal(serde_json::from_slice(body).ok()));
        }
        Err(Generated::InvalidResponsePayload(_, e)) if status == Some(200) => {
            return fail(undecoded(e));
        }
        Err(Generated::InvalidResponsePayload(..)) => return fail(refusal(None)),
        // The deadline, not the attempt timeout, cut this attempt short.
        Err(Generated::CommunicationError(e) | Generated::ResponseBodyError(e))
            if e.is_timeout() && seen.deadline_cut =>
        {
            return Err(Error::new(ErrorKind::Timeout).with_attempts(seen.attempts));
        }
        Err(Generated::CommunicationError(e) | Generated::ResponseBodyError(e)) => {
            return Err(Error::transport(e).with_attempts(seen.attempts));
        }
        Err(Generated::InvalidRequest(reason)) => {
            return Err(Error::invalid("body", reason));
        }
        Err(Generated::Custom(_)) => {
            return match seen.cut {
                Some(Cut::TooLarge(limit)) => fail(ErrorKind::BodyTooLarge { limit }),
                _ => Err(Error::new(ErrorKind::DeadlineReached)),
            };
        }
        Err(other) => return fail(decode(&other.to_string(), String::new(), scrubber)),
    };
    match code(envelope.code()) {
        Some(c) if !is_success(c) => fail(api(c, envelope.message(), scrubber)),
        Some(_) => match envelope.into_data() {
            Some(data) => Ok((data, request_id())),
            None => fail(ErrorKind::Decode {
                reason: "a success envelope without `data`".to_owned(),
                excerpt: excerpt(),
            }),
        },
        None => fail(ErrorKind::Decode {
            reason: "the envelope's `code` is not a number".to_owned(),
            excerpt: excerpt(),
        }),
    }
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
