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

    /// The wall-clock rendering (RFC 3339, UTC, whole seconds) of an emulator instant.
    ///
    /// Adds in whole seconds with saturation, so no instant (however far a
    /// test advanced the clock, however long the jobs) can overflow.
    pub(crate) fn rfc3339(&self, at: Duration) -> String {
        let start = self
            .started_wall
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        format_unix_secs(start.saturating_add(at.as_secs()))
    }
}

/// `2024-04-01T06:17:55Z`, the shape the service uses for `completeTime`, of
/// a count of seconds since the Unix epoch; any `u64` is fine.
fn format_unix_secs(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    // d is 1..=31 and m is 1..=12, so the casts cannot truncate.
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_unix_secs(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix_secs(1_711_952_275), "2024-04-01T06:17:55Z");
        assert_eq!(format_unix_secs(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn extreme_instants_do_not_overflow() {
        let c = Clock::new(true);
        c.advance(Duration::MAX);
        c.advance(Duration::MAX);
        assert_eq!(c.now(), Duration::from_nanos(u64::MAX));
        // Far beyond what SystemTime can add; formats without panicking.
        let far = c.rfc3339(Duration::MAX);
        assert!(far.ends_with('Z'), "{far}");
        assert!(format_unix_secs(u64::MAX).ends_with('Z'));
    }

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let c = Clock::new(true);
        assert_eq!(c.now(), Duration::ZERO);
        c.advance(Duration::from_secs(600));
        assert_eq!(c.now(), Duration::from_secs(600));
    }
}
