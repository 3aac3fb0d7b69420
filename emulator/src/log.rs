//! The request log: a ring of the most recent requests, bounded in count and bytes.

use std::collections::VecDeque;
use std::mem::size_of;
use std::time::Duration;

/// One request as received, kept so tests can check what a client sent
/// without the recording itself becoming a place credentials leak to.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// When the emulator received the request (its head had been read, its
    /// body not yet), as emulator time since the emulator started: the
    /// manual time with [`EmulatorBuilder::manual_clock`](crate::EmulatorBuilder::manual_clock), else the real
    /// time elapsed plus any [`EmulatorHandle::advance`](crate::EmulatorHandle::advance), as
    /// [`EmulatorHandle::elapsed`](crate::EmulatorHandle::elapsed) reads it. Requests are logged once
    /// answered, so `at` need not rise through [`EmulatorHandle::requests`](crate::EmulatorHandle::requests).
    pub at: Duration,
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Request path without the query string.
    pub path: String,
    /// Whether the bearer token matched; the token itself is never stored.
    pub authorized: bool,
    /// The `Idempotency-Key` header, if sent.
    pub idempotency_key: Option<String>,
    /// The `Content-Type` header, if sent.
    pub content_type: Option<String>,
    /// The `User-Agent` header, if sent.
    pub user_agent: Option<String>,
    /// The `DB-Name` header, if sent.
    pub db_name: Option<String>,
    /// The JSON body with `accessKey`, `secretKey`, `token`, `apiKey` (at any
    /// depth) and any string equal to the API key replaced by `<redacted>`;
    /// `Null` when the body was not JSON, was larger than
    /// [`MAX_RECORDED_BODY_BYTES`](crate::MAX_RECORDED_BODY_BYTES), or was never read: for a request without
    /// the right bearer token, to an unknown path or with another method than
    /// POST, the body is neither read nor kept.
    pub body: serde_json::Value,
    /// HTTP status the emulator answered with.
    pub status: u16,
    /// Envelope `code` the emulator answered with.
    pub code: i64,
}

/// One request as kept in the log: the body as compact redacted JSON text, so
/// what an entry costs is known exactly and charged against the byte budget.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Emulator time when the request's head arrived (see
    /// [`RecordedRequest::at`]).
    pub(crate) at: Duration,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) authorized: bool,
    pub(crate) idempotency_key: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) user_agent: Option<String>,
    pub(crate) db_name: Option<String>,
    /// Redacted JSON text; `None` when no body was read, it was not JSON, or it
    /// was too large to keep.
    pub(crate) body: Option<String>,
    pub(crate) status: u16,
    pub(crate) code: i64,
}

impl Entry {
    /// Bytes this entry holds: its own size plus every string it owns.
    fn cost(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        size_of::<Self>()
            + self.method.len()
            + self.path.len()
            + opt(&self.idempotency_key)
            + opt(&self.content_type)
            + opt(&self.user_agent)
            + opt(&self.db_name)
            + opt(&self.body)
    }

    fn to_public(&self) -> RecordedRequest {
        RecordedRequest {
            at: self.at,
            method: self.method.clone(),
            path: self.path.clone(),
            authorized: self.authorized,
            idempotency_key: self.idempotency_key.clone(),
            content_type: self.content_type.clone(),
            user_agent: self.user_agent.clone(),
            db_name: self.db_name.clone(),
            body: self
                .body
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok())
                .unwrap_or(serde_json::Value::Null),
            status: self.status,
            code: self.code,
        }
    }
}

/// The most recent requests in arrival order. Pushing past `capacity`
/// entries or `max_bytes` bytes drops the oldest; the newest entry is always
/// kept, so a single request larger than the budget is still visible.
#[derive(Debug)]
pub(crate) struct RequestLog {
    entries: VecDeque<(usize, Entry)>,
    capacity: usize,
    max_bytes: usize,
    bytes: usize,
}

impl RequestLog {
    pub(crate) fn new(capacity: usize, max_bytes: usize) -> Self {
        Self {
            entries: VecDeque::new(),
            capacity,
            max_bytes,
            bytes: 0,
        }
    }

    pub(crate) fn push(&mut self, entry: Entry) {
        if self.capacity == 0 {
            return;
        }
        let cost = entry.cost();
        self.entries.push_back((cost, entry));
        self.bytes = self.bytes.saturating_add(cost);
        while self.entries.len() > self.capacity
            || (self.bytes > self.max_bytes && self.entries.len() > 1)
        {
            let Some((dropped, _)) = self.entries.pop_front() else {
                break;
            };
            self.bytes = self.bytes.saturating_sub(dropped);
        }
        // A ring that filled once and then shrank (e.g. after large bodies)
        // should not keep the peak allocation forever.
        if self.entries.capacity() > 2 * self.entries.len().max(64) {
            self.entries.shrink_to(self.entries.len().max(64));
        }
    }

    pub(crate) fn to_public(&self) -> Vec<RecordedRequest> {
        self.entries.iter().map(|(_, e)| e.to_public()).collect()
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, body: Option<&str>) -> Entry {
        Entry {
            at: Duration::ZERO,
            method: "POST".to_owned(),
            path: path.to_owned(),
            authorized: true,
            idempotency_key: None,
            content_type: None,
            user_agent: None,
            db_name: None,
            body: body.map(str::to_owned),
            status: 200,
            code: 0,
        }
    }

    fn paths(log: &RequestLog) -> Vec<String> {
        log.to_public().into_iter().map(|r| r.path).collect()
    }

    #[test]
    fn count_bound_drops_the_oldest_in_order() {
        let mut log = RequestLog::new(3, usize::MAX);
        for i in 0..5 {
            log.push(entry(&format!("/{i}"), None));
        }
        assert_eq!(paths(&log), ["/2", "/3", "/4"]);
    }

    #[test]
    fn byte_bound_drops_the_oldest_but_keeps_the_newest() {
        let one = entry("/a", Some("[1]")).cost();
        let mut log = RequestLog::new(100, 2 * one);
        log.push(entry("/a", Some("[1]")));
        log.push(entry("/b", Some("[2]")));
        assert_eq!(paths(&log), ["/a", "/b"]);
        log.push(entry("/c", Some("[3]")));
        assert_eq!(paths(&log), ["/b", "/c"]);
        assert_eq!(log.bytes(), 2 * one);
        // Larger than the whole budget: kept alone.
        let big = "x".repeat(4 * one);
        log.push(entry("/big", Some(&format!("\"{big}\""))));
        assert_eq!(paths(&log), ["/big"]);
        assert_eq!(log.to_public()[0].body, serde_json::Value::String(big));
        log.push(entry("/d", None));
        assert_eq!(paths(&log), ["/d"]);
        assert_eq!(log.bytes(), entry("/d", None).cost());
    }

    #[test]
    fn zero_capacity_keeps_nothing() {
        let mut log = RequestLog::new(0, usize::MAX);
        log.push(entry("/a", None));
        assert!(log.to_public().is_empty());
    }
}
