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
    // A volume's create and delete answer its name, or an empty `data`.
    VolumeNameResponse => (): |_d| Some(()),
    DescribeVolumeResponse => types::Volume: |d| d,
    ListVolumesResponse => types::VolumeListData: |d| d,
    ApplyVolumeResponse => types::VolumeUpload: |d| d,
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
/// an id or server text is kept.
pub(crate) fn settle<R: Envelope + serde::de::DeserializeOwned>(
    result: Result<ResponseValue<R>, Generated<types::ErrorEnvelope>>,
    seen: Seen,
    scrubber: &(dyn Fn() -> Scrubber + Sync),
) -> Result<(R::Data, Option<String>), Error> {
    let (status, body) = (seen.status, &seen.body);
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
        // Another 2xx than the declared 200, or a 200 its envelope type does
        // not hold: the envelope still decides.
        Err(Generated::UnexpectedResponse(_) | Generated::InvalidResponsePayload(..))
            if status.is_some_and(|s| (200..300).contains(&s)) =>
        {
            serde_json::from_slice::<R>(body)
        }
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
