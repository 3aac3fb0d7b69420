//! The oracle of the decoding properties: what an answer must come to.
//!
//! Every expectation is stated from the facts of `facts.rs` and from
//! Unicode's (the Cc and Cf categories, from the `regex` crate's tables).
//! Nothing here calls or copies the crate's own rules, so a rule the crate
//! got wrong fails a property instead of passing on both sides.
//!
//! The strategies (`answers.rs`, `data.rs`) make each input with its
//! meaning; [`Body::read`] gives the meaning of a body made at random. The
//! crate's outcome is read in one place, [`seen`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::{prop_assert, prop_assert_eq, test_runner::TestCaseError};
use zilliz_import::ErrorKind;
use zilliz_import::{Delivery, Error};

use super::{
    facts::{
        ATTEMPTS, Body, Code, DataKind, EXCERPT_CHARS, Message, NO_CONTENT, RequestId, RetryAfter,
        TRANSIENT, Wait,
    },
    harness::{Data, Op, Outcome},
};
use crate::common::{DESCRIBE_PATH, GET_PROGRESS_PATH, faulty_server::FaultyServer};

/// One answer the server played, with what its parts mean.
pub struct Answer<'a> {
    pub op: Op,
    pub status: u16,
    pub body: &'a [u8],
    pub meaning: Body,
    pub request_id: &'a RequestId,
    pub retry_after: &'a RetryAfter,
}

// ------------------------------------------------------------ expectations

/// The kinds of outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Ok,
    Api,
    Decode,
    Http,
}

/// What an answer must come to.
#[derive(Debug, PartialEq)]
pub enum Expect {
    /// `Error::Api` with this code and this message.
    Api(i64, String),
    /// Any one of these kinds (one of them alone where the input says which).
    OneOf(&'static [Kind]),
}

fn is_2xx(status: u16) -> bool {
    (200..300).contains(&status)
}

fn transient(status: u16) -> Option<bool> {
    TRANSIENT
        .iter()
        .find(|(s, _)| *s == status)
        .map(|(_, create)| *create)
}

/// The outcome of an answer with `status` and a body meaning `body`: a 2xx
/// with a readable envelope is its data (a success code) or its error (any
/// other code), and a 2xx without one cannot be decoded; another status is
/// the envelope's error when it has one (but a transient status stays an
/// HTTP error), else an HTTP error.
pub fn expect(status: u16, body: &Body) -> Expect {
    use Kind::*;
    let ok_2xx = is_2xx(status);
    let is_transient = transient(status).is_some();
    let error = |code: i64, message: &str| {
        if is_transient {
            Expect::OneOf(&[Http])
        } else {
            Expect::Api(code, message.to_owned())
        }
    };
    let unreadable = if ok_2xx { &[Decode][..] } else { &[Http][..] };
    match body {
        Body::NotAnEnvelope
        | Body::Envelope {
            message: Message::Unreadable,
            ..
        }
        | Body::Envelope {
            code: Code::Unreadable,
            ..
        } => Expect::OneOf(unreadable),
        Body::Array
        | Body::Envelope {
            code: Code::Unknown,
            ..
        } => Expect::OneOf(match (ok_2xx, is_transient) {
            (true, _) => &[Ok, Api, Decode],
            (false, true) => &[Http],
            (false, false) => &[Api, Http],
        }),
        Body::Envelope {
            code: Code::Failure(code),
            message: Message::Text(message),
            ..
        } => error(*code, message),
        Body::Envelope {
            code: Code::Success,
            data,
            ..
        } => Expect::OneOf(match (ok_2xx, data) {
            (false, _) => &[Http],
            (true, DataKind::Valid) => &[Ok],
            (true, DataKind::Invalid) => &[Decode],
            (true, DataKind::Unknown) => &[Ok, Decode],
        }),
    }
}

/// The attempts made for an answer with `status`: a 2xx or a status the
/// table does not retry takes one; a transient one [`ATTEMPTS`], unless it
/// is a 502–504 to a create without a key.
pub fn attempts(op: Op, status: u16) -> u32 {
    match transient(status) {
        Some(for_create) if op != Op::Create || for_create => ATTEMPTS,
        _ => 1,
    }
}

// ------------------------------------------------------------ text shown

/// What the crate shows of server text: control characters (Unicode Cc)
/// and format characters (Cf, as the `regex` crate's Unicode tables know
/// them) escaped as `\u{..}`. Text holding `://` is also redacted by rules
/// the unit tests of `src/redact.rs` pin down, which this oracle does not
/// state (`None`).
pub fn shown(text: &str) -> Option<String> {
    static HIDDEN: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"^[\p{Cc}\p{Cf}]$").unwrap());
    if text.contains("://") {
        return None;
    }
    Some(
        text.chars()
            .map(|c| {
                if HIDDEN.is_match(c.encode_utf8(&mut [0; 4])) {
                    c.escape_unicode().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// `got` is `sent` as the crate shows it (where the oracle can tell).
pub fn same_text(got: &str, sent: &str) -> Result<(), TestCaseError> {
    if let Some(want) = shown(sent) {
        prop_assert_eq!(got, want.as_str());
    }
    Ok(())
}

/// As [`same_text`] for an optional field, where empty means unset.
pub fn same_opt(got: &Option<String>, sent: Option<String>) -> Result<(), TestCaseError> {
    match (got, sent.filter(|s| !s.is_empty())) {
        (None, None) => Ok(()),
        (Some(g), Some(s)) => same_text(g, &s),
        (g, s) => {
            prop_assert!(false, "{:?} decoded as {:?}", s, g);
            Ok(())
        }
    }
}

/// What an error keeps of a body: the text (invalid UTF-8 as U+FFFD), shown,
/// at most [`EXCERPT_CHARS`] characters, `…` when cut.
fn excerpt(body: &[u8]) -> Option<String> {
    let text = shown(&String::from_utf8_lossy(body))?;
    let mut cut: String = text.chars().take(EXCERPT_CHARS).collect();
    if text.chars().nth(EXCERPT_CHARS).is_some() {
        cut.push('…');
    }
    Some(cut)
}

/// `got` is the excerpt of `body` (where the oracle can tell).
fn same_excerpt(got: &str, body: &[u8]) -> Result<(), TestCaseError> {
    if let Some(want) = excerpt(body) {
        prop_assert_eq!(got, want.as_str());
    }
    Ok(())
}

/// `got` is the wait `sent` names: seconds as given, a date as the time
/// left until it (a minute's leeway for the clock read here), none past it.
fn same_wait(got: Option<Duration>, sent: &RetryAfter) -> Result<(), TestCaseError> {
    match sent.wait {
        Wait::Unset => prop_assert_eq!(got, None),
        Wait::Seconds(s) => prop_assert_eq!(got, Some(Duration::from_secs(s))),
        Wait::Until(at) => {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            let left = Duration::from_secs(at).saturating_sub(now);
            let Some(got) = got else {
                prop_assert!(false, "{:?} read as no wait", sent.sent);
                return Ok(());
            };
            prop_assert!(
                got <= left + Duration::from_secs(60) && got + Duration::from_secs(60) >= left,
                "{:?} read as {:?}, {:?} left",
                sent.sent,
                got,
                left
            );
        }
    }
    Ok(())
}

// --------------------------------------------------- the crate's outcome

/// The crate's outcome in the oracle's words: the one place that reads the
/// crate's error variants.
#[derive(Debug)]
pub enum Seen<'a> {
    Ok(&'a Data),
    Api {
        code: i64,
        message: &'a str,
        request_id: Option<&'a str>,
    },
    Decode {
        excerpt: &'a str,
    },
    Http {
        excerpt: &'a str,
        retry_after: Option<Duration>,
        request_id: Option<&'a str>,
    },
    Other(&'a Error),
}

pub fn seen(outcome: &Outcome) -> Seen<'_> {
    let e = match outcome {
        Ok(data) => return Seen::Ok(data),
        Err(e) => e,
    };
    match e.kind() {
        ErrorKind::Api { code, message, .. } => Seen::Api {
            code: *code,
            message,
            request_id: e.request_id(),
        },
        ErrorKind::Decode { excerpt, .. } => Seen::Decode { excerpt },
        ErrorKind::Http {
            excerpt,
            retry_after,
            ..
        } => Seen::Http {
            excerpt,
            retry_after: *retry_after,
            request_id: e.request_id(),
        },
        _ => Seen::Other(e),
    }
}

impl Seen<'_> {
    fn kind(&self) -> Option<Kind> {
        Some(match self {
            Seen::Ok(_) => Kind::Ok,
            Seen::Api { .. } => Kind::Api,
            Seen::Decode { .. } => Kind::Decode,
            Seen::Http { .. } => Kind::Http,
            Seen::Other(_) => return None,
        })
    }
}

// ------------------------------------------------------------ the check

/// Checks what `answer` (played for every request of the call) came to:
/// the requests the server saw, the kind of outcome, and what it carries.
pub fn check(
    answer: &Answer<'_>,
    outcome: &Outcome,
    server: &FaultyServer,
) -> Result<(), TestCaseError> {
    let status = answer.status;
    let (body, meaning) = if NO_CONTENT.contains(&status) {
        (&b""[..], Body::NotAnEnvelope)
    } else {
        (answer.body, answer.meaning.clone())
    };
    let expect = expect(status, &meaning);

    // A 2xx is never retried; a describe answered 404 is asked once more
    // at the older path `get_progress` (answered alike here, so not
    // remembered).
    let attempts = if is_2xx(status) {
        1
    } else {
        attempts(answer.op, status)
    };
    let fallback = usize::from(answer.op == Op::Describe && status == 404);
    prop_assert_eq!(server.requests_received(), attempts as usize + fallback);
    prop_assert_eq!(server.turns(), attempts as usize + fallback);
    if fallback == 1 {
        let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
        prop_assert_eq!(paths, [DESCRIBE_PATH, GET_PROGRESS_PATH]);
    }

    let seen = seen(outcome);
    let kind = seen.kind();
    let allowed = match &expect {
        Expect::Api(..) => kind == Some(Kind::Api),
        Expect::OneOf(kinds) => kind.is_some_and(|k| kinds.contains(&k)),
    };
    prop_assert!(allowed, "the oracle expects {:?}, got {:?}", expect, seen);
    if let Err(e) = outcome {
        prop_assert_eq!(e.attempts(), attempts, "{:?}", e);
        prop_assert_eq!(e.delivery(), Delivery::Received, "{:?}", e);
        prop_assert_eq!(e.status(), Some(status), "{:?}", e);
        prop_assert!(!e.to_string().is_empty());
    }

    let request_id = answer.request_id.reported.as_deref();
    match seen {
        Seen::Ok(Data::Created(_, id)) => prop_assert_eq!(id.as_deref(), request_id),
        Seen::Ok(_) => {}
        Seen::Api {
            code,
            message,
            request_id: id,
        } => {
            if let Expect::Api(want_code, want_message) = &expect {
                prop_assert_eq!(code, *want_code);
                same_text(message, want_message)?;
            }
            prop_assert_eq!(id, request_id);
        }
        Seen::Decode { excerpt } => same_excerpt(excerpt, body)?,
        Seen::Http {
            excerpt,
            retry_after,
            request_id: id,
        } => {
            same_excerpt(excerpt, body)?;
            prop_assert_eq!(id, request_id);
            same_wait(retry_after, answer.retry_after)?;
        }
        Seen::Other(e) => prop_assert!(false, "{:?}", e),
    }
    Ok(())
}
