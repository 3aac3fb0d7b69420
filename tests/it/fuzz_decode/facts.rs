//! The facts the decoding properties rest on, written once as tables, and
//! what each part of an answer means in their terms: the references'
//! (`../shared/reference/`: the success codes, the statuses gateways
//! answer, the state names), the README's (which statuses are retried, for
//! which requests, how many times) and HTTP's (RFC 9110: a 204 or 304 has
//! no content; `Retry-After` is delay-seconds or an HTTP-date). None is
//! taken from the crate's own rules.

use serde_json::Value;
use zilliz_import::ImportState;

/// The `code`s that mean success: the seed documents 200, its example
/// shows 0, and the reference says to treat both as success. Any other
/// integer is the service's error code.
pub const SUCCESS_CODES: [i64; 2] = [0, 200];

/// `code` as a string, and what each reads as: the seed's schema types
/// `code` as a string, so a number written as one is that number; a string
/// that is no number is no code.
pub const CODE_STRINGS: [(&str, Code); 6] = [
    ("0", Code::Success),
    ("200", Code::Success),
    ("96026", Code::Failure(96026)),
    ("-1", Code::Failure(-1)),
    ("", Code::Unreadable),
    ("zero", Code::Unreadable),
];

/// JSON that is no `code`: the code is an integer, so a fraction, a number
/// past what 64 signed bits hold, or another type is none.
pub const NOT_CODES: [&str; 6] = [
    "0.0",
    "null",
    "false",
    "9223372036854775808",
    r#"{"code": 0}"#,
    "[0]",
];

/// JSON that is no `message`, which is a string (null or absent: none).
pub const NOT_MESSAGES: [&str; 2] = ["5", r#"["x"]"#];

/// The statuses a gateway or a throttle answers (the reference: "429/502/
/// 503/504 with HTML or an empty body"). They stay HTTP errors whatever the
/// body says, and are the only statuses retried (README, "Errors and
/// retries"): 429 for every request, since the server did not process it;
/// the others only for a request that is safe to repeat (describe and list;
/// not a create without an idempotency key). Second: whether a create
/// without a key is retried.
pub const TRANSIENT: [(u16, bool); 4] = [(429, true), (502, false), (503, false), (504, false)];

/// Attempts in all for a retried request (README: "3 attempts in all").
pub const ATTEMPTS: u32 = 3;

/// Statuses whose answers have no content, whatever the server writes after
/// the head (RFC 9110, 15.3.5 and 15.4.5).
pub const NO_CONTENT: [u16; 2] = [204, 304];

/// The most characters of a body an error keeps, then `…`: the crate's
/// "at most a few hundred characters", to the character.
pub const EXCERPT_CHARS: usize = 256;

/// Every state name the servers use and what it reads as: describe's four,
/// open-source Milvus's pipeline and two-phase states, and list's
/// `InProgress` for `Importing` (the reference). Any other name reads as
/// itself, as [`ImportState::Other`].
pub const STATES: [(&str, ImportState); 11] = [
    ("Pending", ImportState::Pending),
    ("Importing", ImportState::Importing),
    ("InProgress", ImportState::Importing),
    ("Completed", ImportState::Completed),
    ("Failed", ImportState::Failed),
    ("PreImporting", ImportState::PreImporting),
    ("Stats", ImportState::Stats),
    ("IndexBuilding", ImportState::IndexBuilding),
    ("Sorting", ImportState::Sorting),
    ("Uncommitted", ImportState::Uncommitted),
    ("Committing", ImportState::Committing),
];

/// A `progress` as sent (JSON text; `None`: left out) and the percent it
/// reads as for a running job and for a failed one. A percent is whole,
/// from 0 to 100 (a fraction is cut to its whole part, a value outside is
/// brought to the nearer end), and a failed job never reads 100, which
/// would read as done.
pub const PERCENTS: [(Option<&str>, u8, u8); 18] = [
    (None, 0, 0),
    (Some("null"), 0, 0),
    (Some("0"), 0, 0),
    (Some("0.999"), 0, 0),
    (Some("40"), 40, 40),
    (Some("40.5"), 40, 40),
    (Some("99"), 99, 99),
    (Some("99.99"), 99, 99),
    (Some("100"), 100, 99),
    (Some("100.0"), 100, 99),
    (Some("250"), 100, 99),
    (Some("1e300"), 100, 99),
    (Some("9223372036854775807"), 100, 99),
    (Some("18446744073709551615"), 100, 99),
    (Some("-5"), 0, 0),
    (Some("-0.5"), 0, 0),
    (Some("-1e300"), 0, 0),
    (Some("-9223372036854775808"), 0, 0),
];

/// `Retry-After` values and what each reads as (RFC 9110, 10.2.3:
/// delay-seconds, which are digits only, or an HTTP-date).
pub const RETRY_AFTERS: [(&str, Wait); 9] = [
    ("0", Wait::Seconds(0)),
    ("1", Wait::Seconds(1)),
    ("120", Wait::Seconds(120)),
    ("0007", Wait::Seconds(7)),
    ("-1", Wait::Unset),
    ("1.5", Wait::Unset),
    // More seconds than 64 bits count: not read (any wait is capped).
    ("99999999999999999999999", Wait::Unset),
    ("Wed, 21 Oct 2015 07:28:00 GMT", Wait::Until(1_445_412_480)),
    ("Fri, 01 Jan 2100 00:00:00 GMT", Wait::Until(4_102_444_800)),
];

/// Characters in neither delay-seconds nor an HTTP-date: a `Retry-After`
/// holding one is neither.
pub const NOT_IN_RETRY_AFTER: &str = "!\"#$%&'()*;<=>?@[\\]^_`{|}~";

// ------------------------------------------------------------ meanings

/// What a `code` reads as.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Code {
    Success,
    Failure(i64),
    /// No code: absent, or not an integer.
    Unreadable,
    /// A string the tables do not state (made at random): any reading.
    Unknown,
}

impl Code {
    /// What a `code` made at random reads as: an integer by
    /// [`SUCCESS_CODES`], a string by [`CODE_STRINGS`] (else unknown),
    /// anything else none.
    pub fn of(code: Option<&Value>) -> Code {
        match code {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(c) if SUCCESS_CODES.contains(&c) => Code::Success,
                Some(c) => Code::Failure(c),
                None => Code::Unreadable,
            },
            Some(Value::String(s)) => CODE_STRINGS
                .iter()
                .find(|(text, _)| text == s)
                .map_or(Code::Unknown, |(_, code)| *code),
            _ => Code::Unreadable,
        }
    }
}

/// What a `message` reads as: its text (none when null or absent), or no
/// message at all.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Text(String),
    Unreadable,
}

impl Message {
    pub fn of(message: Option<&Value>) -> Message {
        match message {
            None | Some(Value::Null) => Message::Text(String::new()),
            Some(Value::String(s)) => Message::Text(s.clone()),
            Some(_) => Message::Unreadable,
        }
    }
}

/// How `data` relates to the operation's schema in `openapi.yaml`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DataKind {
    Valid,
    /// Breaks the schema, or is absent or null.
    Invalid,
    /// Made at random: may fit the schema or not.
    Unknown,
}

/// What a body says.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// Not JSON, or JSON that is not an object.
    NotAnEnvelope,
    /// A top-level JSON array, which serde may read by position (code,
    /// message, data): any documented outcome.
    Array,
    Envelope {
        code: Code,
        message: Message,
        data: DataKind,
    },
}

impl Body {
    /// The meaning of a body made at random, read with a JSON parser.
    pub fn read(body: &[u8]) -> Body {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Array(_)) => Body::Array,
            Ok(Value::Object(o)) => Body::Envelope {
                code: Code::of(o.get("code")),
                message: Message::of(o.get("message")),
                data: match o.get("data") {
                    None | Some(Value::Null) => DataKind::Invalid,
                    Some(_) => DataKind::Unknown,
                },
            },
            _ => Body::NotAnEnvelope,
        }
    }
}

/// What a `Retry-After` value reads as.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Wait {
    Unset,
    Seconds(u64),
    /// Until this many seconds after the epoch (none once past).
    Until(u64),
}

/// A `Retry-After` header as sent (none: not sent) and what it reads as.
#[derive(Debug, Clone)]
pub struct RetryAfter {
    pub sent: Option<String>,
    pub wait: Wait,
}

/// A `requestid` header as sent (none: not sent) and as the crate must
/// report it: a value of visible ASCII as it is; another (with `é`, `€`)
/// not at all, since only visible ASCII is text in a header value (RFC
/// 9110, 5.5).
#[derive(Debug, Clone)]
pub struct RequestId {
    pub sent: Option<String>,
    pub reported: Option<String>,
}
