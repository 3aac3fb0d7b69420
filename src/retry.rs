//! When to try a request again, and how long to wait first.
//!
//! The decision is a pure function of the failure and of whether repeating
//! the request is safe. Describe and list are; a create is only when every
//! attempt carries the same `Idempotency-Key`. Without one, a create is
//! repeated only when the server cannot have started the import: the
//! connection never opened, or the server answered 429.

use std::time::{Duration, SystemTime};

/// How the client retries. `RetryPolicy::none()` turns retries off.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default 3). 1 means no retry.
    pub max_attempts: u32,
    /// The backoff before the second attempt, doubled for each one after
    /// (default 200 ms); the wait is drawn uniformly below it (full jitter).
    pub initial_backoff: Duration,
    /// The largest backoff (default 5 s).
    pub max_backoff: Duration,
    /// The longest `Retry-After` the client will honour (default 30 s); a
    /// longer one is cut to this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Sets the total number of attempts (at least 1).
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the first and the largest backoff.
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Sets the longest `Retry-After` honoured.
    pub fn with_max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// How long to wait before attempt `attempt + 1`, after attempt
    /// `attempt` (from 1) failed: the server's `Retry-After` (capped) when it
    /// gave one, else full jitter below `initial * 2^(attempt-1)`.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_retry_after);
        }
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.max_backoff);
        ceiling.mul_f64(fastrand::f64())
    }
}

/// Whether an attempt that ended so may be sent again: an answer's
/// `status`, or no answer (`None`) on a connection that `connected` or not.
/// `repeatable`: repeating the request cannot do anything twice.
pub(crate) fn is_retryable(status: Option<u16>, connected: bool, repeatable: bool) -> bool {
    match status {
        // Throttled: the server did nothing.
        Some(429) => true,
        Some(status) => repeatable && (502..=504).contains(&status),
        // Never connected: nothing was sent.
        None => !connected || repeatable,
    }
}

pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_without_key_is_only_retried_when_nothing_can_have_happened() {
        assert!(is_retryable(Some(429), true, false));
        for status in [500, 502, 503, 504] {
            assert!(!is_retryable(Some(status), true, false), "{status}");
        }
        assert!(is_retryable(Some(503), true, true));
        assert!(!is_retryable(Some(500), true, true));
        assert!(!is_retryable(Some(400), true, true));
        assert!(!is_retryable(Some(200), true, true));
        assert!(is_retryable(None, false, false));
        assert!(!is_retryable(None, true, false));
        assert!(is_retryable(None, true, true));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(12));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(12))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(12));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_is_jittered_below_an_exponential_ceiling_and_retry_after_is_capped() {
        let p = RetryPolicy::default()
            .with_backoff(Duration::from_millis(100), Duration::from_millis(350))
            .with_max_retry_after(Duration::from_secs(2));
        for attempt in 1..=6 {
            let ceiling = Duration::from_millis((100u64 << (attempt - 1)).min(350));
            for _ in 0..50 {
                assert!(p.delay(attempt, None) <= ceiling);
            }
        }
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(60))),
            Duration::from_secs(2)
        );
    }
}
