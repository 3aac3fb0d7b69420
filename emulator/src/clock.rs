//! Time as the emulator sees it: real time, or a manual clock that tests push forward.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Emulator time, measured from the moment the emulator started.
///
/// Both modes keep an offset that `advance` adds to, so a real-time emulator
/// can also be skipped ahead; a manual clock simply never moves on its own.
#[derive(Debug)]
pub(crate) struct Clock {
    manual: bool,
    started: Instant,
    started_wall: SystemTime,
    offset_nanos: AtomicU64,
}

impl Clock {
    pub(crate) fn new(manual: bool) -> Self {
        Self {
            manual,
            started: Instant::now(),
            started_wall: SystemTime::now(),
            offset_nanos: AtomicU64::new(0),
        }
    }

    /// Time elapsed since start, in emulator time.
    pub(crate) fn now(&self) -> Duration {
        let offset = Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst));
        if self.manual {
            offset
        } else {
            self.started.elapsed().saturating_add(offset)
        }
    }

    pub(crate) fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        // Saturate rather than wrap: a huge advance means "far in the future".
        let _ = self
            .offset_nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |old| {
                Some(old.saturating_add(nanos))
            });
    }

    /// The wall-clock rendering (RFC 3339, UTC, whole seconds) of an emulator
    /// instant: `2024-04-01T06:17:55Z`, the shape the service uses for
    /// `completeTime`.
    ///
    /// Adds in whole seconds with saturation and stops at the last second
    /// RFC 3339 can write, so no instant (however far a test advanced the
    /// clock, however long the jobs) can overflow.
    pub(crate) fn rfc3339(&self, at: Duration) -> String {
        /// `9999-12-31T23:59:59Z`: four-digit years end there.
        const LAST_RFC3339_SECOND: u64 = 253_402_300_799;
        let start = self
            .started_wall
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let secs = start.saturating_add(at.as_secs()).min(LAST_RFC3339_SECOND);
        humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_instants_do_not_overflow() {
        let c = Clock::new(true);
        c.advance(Duration::MAX);
        c.advance(Duration::MAX);
        assert_eq!(c.now(), Duration::from_nanos(u64::MAX));
        // Far beyond what SystemTime can add; formats without panicking.
        assert_eq!(c.rfc3339(Duration::MAX), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let c = Clock::new(true);
        assert_eq!(c.now(), Duration::ZERO);
        c.advance(Duration::from_secs(600));
        assert_eq!(c.now(), Duration::from_secs(600));
    }
}
