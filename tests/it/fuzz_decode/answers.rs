//! Strategies for what a server answers, each part made with its meaning
//! in the terms of `facts.rs`: a `code` with what it reads as, a `message`
//! with its text, `data` of a known kind (`data.rs`), statuses, and headers
//! with what the crate must report of them.

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::{
    data::{ValidData, invalid_data, put_value, valid_data},
    facts::{
        Body, CODE_STRINGS, Code, DataKind, Message, NOT_CODES, NOT_IN_RETRY_AFTER, NOT_MESSAGES,
        RETRY_AFTERS, RequestId, RetryAfter, SUCCESS_CODES, Wait,
    },
    harness::Op,
    random::{arb_json, parsed, server_text},
};
use crate::common::faulty_server::Fault;

// -------------------------------------------------------------- envelopes

/// An envelope's `code` as sent (`None`: left out) and what it reads as.
#[derive(Debug, Clone)]
pub struct CodeCase {
    sent: Option<Value>,
    reads_as: Code,
}

/// Codes that mean success, codes that do not, strings, and what is no code.
fn code() -> impl Strategy<Value = CodeCase> {
    let number = |c: i64| CodeCase {
        sent: Some(json!(c)),
        reads_as: if SUCCESS_CODES.contains(&c) {
            Code::Success
        } else {
            Code::Failure(c)
        },
    };
    prop_oneof![
        3 => prop::sample::select(SUCCESS_CODES.to_vec()).prop_map(number),
        2 => any::<i64>().prop_map(number),
        1 => prop::sample::select(vec![96026i64, 21119, -1]).prop_map(number),
        1 => prop::sample::select(CODE_STRINGS.to_vec()).prop_map(|(text, code)| CodeCase {
            sent: Some(Value::String(text.to_owned())),
            reads_as: code,
        }),
        1 => prop::sample::select(NOT_CODES.to_vec()).prop_map(|json| CodeCase {
            sent: Some(parsed(json)),
            reads_as: Code::Unreadable,
        }),
        1 => Just(CodeCase { sent: None, reads_as: Code::Unreadable }),
    ]
}

/// An envelope's `message` as sent (`None`: left out) and what it reads as.
#[derive(Debug, Clone)]
pub struct MessageCase {
    sent: Option<Value>,
    reads_as: Message,
}

fn message() -> impl Strategy<Value = MessageCase> {
    let none = |sent| MessageCase {
        sent,
        reads_as: Message::Text(String::new()),
    };
    prop_oneof![
        2 => Just(none(None)),
        1 => Just(none(Some(Value::Null))),
        3 => server_text(40).prop_map(|s| MessageCase {
            sent: Some(Value::String(s.clone())),
            reads_as: Message::Text(s),
        }),
        1 => prop::sample::select(NOT_MESSAGES.to_vec()).prop_map(|json| MessageCase {
            sent: Some(parsed(json)),
            reads_as: Message::Unreadable,
        }),
    ]
}

#[derive(Debug, Clone)]
pub enum DataShape {
    Absent,
    Null,
    Valid(Box<ValidData>),
    Invalid(Value),
    Random(Value),
}

fn data_shape(op: Op) -> impl Strategy<Value = DataShape> {
    prop_oneof![
        1 => Just(DataShape::Absent),
        1 => Just(DataShape::Null),
        5 => valid_data(op).prop_map(|d| DataShape::Valid(Box::new(d))),
        2 => invalid_data(op).prop_map(DataShape::Invalid),
        1 => arb_json().prop_map(DataShape::Random),
    ]
}

#[derive(Debug, Clone)]
pub struct Envelope {
    code: CodeCase,
    message: MessageCase,
    pub data: DataShape,
}

impl Envelope {
    pub fn body(&self) -> Vec<u8> {
        let mut o = Map::new();
        put_value(&mut o, "code", &self.code.sent);
        put_value(&mut o, "message", &self.message.sent);
        match &self.data {
            DataShape::Absent => {}
            DataShape::Null => {
                o.insert("data".into(), Value::Null);
            }
            DataShape::Valid(d) => {
                o.insert("data".into(), d.json());
            }
            DataShape::Invalid(v) | DataShape::Random(v) => {
                o.insert("data".into(), v.clone());
            }
        }
        serde_json::to_vec(&Value::Object(o)).unwrap()
    }

    /// What the envelope says, as the oracle reads it.
    pub fn meaning(&self) -> Body {
        Body::Envelope {
            code: self.code.reads_as,
            message: self.message.reads_as.clone(),
            data: match self.data {
                DataShape::Valid(_) => DataKind::Valid,
                DataShape::Random(_) => DataKind::Unknown,
                _ => DataKind::Invalid,
            },
        }
    }
}

fn envelope(op: Op) -> impl Strategy<Value = Envelope> {
    (code(), message(), data_shape(op)).prop_map(|(code, message, data)| Envelope {
        code,
        message,
        data,
    })
}

pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![Just(Op::Create), Just(Op::Describe), Just(Op::List)]
}

pub fn op_and_envelope() -> impl Strategy<Value = (Op, Envelope)> {
    op().prop_flat_map(|op| (Just(op), envelope(op)))
}

// --------------------------------------------------- statuses and headers

pub fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => Just(200u16),
        1 => prop_oneof![Just(201u16), Just(202), Just(204), Just(206)],
        1 => prop_oneof![Just(301u16), Just(304), Just(307)],
        1 => prop_oneof![Just(400u16), Just(401), Just(403), Just(404), Just(429)],
        1 => prop_oneof![Just(500u16), Just(502), Just(503), Just(504)],
        1 => 200u16..600,
    ]
}

/// No request id, one of visible ASCII (reported as it is), or one with
/// characters outside it (not reported).
pub fn request_id() -> impl Strategy<Value = RequestId> {
    prop_oneof![
        2 => Just(RequestId { sent: None, reported: None }),
        2 => "[!-~]{1,40}"
            // A URL in it would be redacted, which the oracle does not state.
            .prop_filter("no URL", |v| !v.contains("://"))
            .prop_map(|v| RequestId { sent: Some(v.clone()), reported: Some(v) }),
        1 => "[!-~]{0,6}[é€][!-~]{0,6}".prop_map(|v| RequestId { sent: Some(v), reported: None }),
    ]
}

/// No `Retry-After`, the oracle's values, any delay-seconds, or text that
/// is neither form.
pub fn retry_after() -> impl Strategy<Value = RetryAfter> {
    prop_oneof![
        2 => Just(RetryAfter { sent: None, wait: Wait::Unset }),
        2 => prop::sample::select(RETRY_AFTERS.to_vec()).prop_map(|(value, wait)| {
            RetryAfter { sent: Some(value.to_owned()), wait }
        }),
        // Digits, leading zeros and all.
        2 => (0u64..100_000, 0usize..3).prop_map(|(secs, zeros)| RetryAfter {
            sent: Some(format!("{}{secs}", "0".repeat(zeros))),
            wait: Wait::Seconds(secs),
        }),
        2 => "[!-~][ -~]{0,20}[!-~]"
            .prop_filter("neither form", |v| v.contains(|c| NOT_IN_RETRY_AFTER.contains(c)))
            .prop_map(|v| RetryAfter { sent: Some(v), wait: Wait::Unset }),
    ]
}

pub fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        Just(Some("application/json")),
        Just(Some("text/html")),
        Just(Some("text/plain; charset=utf-8")),
        Just(None)
    ]
}

pub fn body_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..600),
        1 => server_text(400).prop_map(String::into_bytes),
        2 => arb_json().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        1 => prop_oneof![Just(b"<html><body>Bad Gateway</body></html>".to_vec()), Just(Vec::new())],
    ]
}

/// The answer: `status`, these headers when sent, `body`.
pub fn raw(
    status: u16,
    content_type: Option<&str>,
    request_id: &RequestId,
    retry_after: &RetryAfter,
    body: Vec<u8>,
) -> Fault {
    let mut headers = Vec::new();
    if let Some(ct) = content_type {
        headers.push(("Content-Type".to_owned(), ct.to_owned()));
    }
    if let Some(id) = &request_id.sent {
        headers.push(("requestid".to_owned(), id.clone()));
    }
    if let Some(v) = &retry_after.sent {
        headers.push(("Retry-After".to_owned(), v.clone()));
    }
    Fault::Raw {
        status,
        headers,
        body,
    }
}
