//! Following a job until it ends.
//!
//! Polls describe with a jittered, growing interval: quick at first, when a
//! job is most likely to fail, slower as it runs on, and back to quick
//! whenever progress moves. A poll that fails transiently is not the end
//! of the wait; only the deadline, a `Failed` job or a lasting error is.

use std::{fmt, time::Duration};

use tokio::time::Instant;

use crate::{Client, Error, ImportProgress, ImportState, retry::is_retryable};

/// A callback told of each change in a job's progress.
pub type ProgressCallback = Box<dyn FnMut(&ImportProgress) + Send>;

/// A callback told of each poll that failed transiently (the wait goes on).
pub type PollErrorCallback = Box<dyn FnMut(&Error) + Send>;

/// How [`Client::wait_for_import_job`] polls.
#[must_use]
pub struct WaitOptions {
    min_interval: Duration,
    max_interval: Duration,
    timeout: Duration,
    on_progress: Option<ProgressCallback>,
    on_poll_error: Option<PollErrorCallback>,
}

impl Default for WaitOptions {
    /// Poll between 1 s and 30 s apart, for at most 24 hours.
    fn default() -> Self {
        WaitOptions {
            min_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            timeout: Duration::from_secs(24 * 3600),
            on_progress: None,
            on_poll_error: None,
        }
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("min_interval", &self.min_interval)
            .field("max_interval", &self.max_interval)
            .field("timeout", &self.timeout)
            .field("on_progress", &self.on_progress.is_some())
            .field("on_poll_error", &self.on_poll_error.is_some())
            .finish()
    }
}

impl WaitOptions {
    /// The shortest and the longest pause between polls.
    pub fn interval(mut self, min: Duration, max: Duration) -> Self {
        self.min_interval = min;
        self.max_interval = max.max(min);
        self
    }

    /// Give up (with [`Error::WaitTimedOut`]) after this long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Called with the progress each time its state changes or its percent
    /// rises; never with a percent lower than one already reported.
    pub fn on_progress(mut self, f: impl FnMut(&ImportProgress) + Send + 'static) -> Self {
        self.on_progress = Some(Box::new(f));
        self
    }

    /// Called with each poll that failed transiently (a connection refused,
    /// a timeout, a 503), after which the wait goes on: without it such a
    /// wait is silent until its deadline.
    pub fn on_poll_error(mut self, f: impl FnMut(&Error) + Send + 'static) -> Self {
        self.on_poll_error = Some(Box::new(f));
        self
    }
}

impl Client {
    /// Polls a job until it is `Completed` (returns its final progress) or
    /// `Failed` ([`Error::ImportFailed`] with the reason), or the deadline
    /// passes ([`Error::WaitTimedOut`] with the last progress seen).
    pub async fn wait_for_import_job(
        &self,
        cluster_id: &str,
        job_id: &str,
        mut options: WaitOptions,
    ) -> Result<ImportProgress, Error> {
        let started = Instant::now();
        let deadline = started + options.timeout;
        let mut interval = options.min_interval;
        let mut last: Option<ImportProgress> = None;
        loop {
            match self.describe_import_job(cluster_id, job_id).await {
                Ok(mut now) => {
                    let moved = monotonic(&mut now, last.as_ref());
                    if moved {
                        if let Some(report) = options.on_progress.as_mut() {
                            report(&now);
                        }
                        interval = options.min_interval;
                    }
                    match now.state {
                        ImportState::Completed => return Ok(now),
                        ImportState::Failed => {
                            return Err(Error::ImportFailed {
                                reason: now.reason.clone().unwrap_or_default(),
                                progress: Box::new(now),
                            });
                        }
                        _ => last = Some(now),
                    }
                }
                Err(e) if is_retryable(&e, true) => {
                    tracing::warn!(error = %e, job_id, "poll failed; will poll again");
                    if let Some(report) = options.on_poll_error.as_mut() {
                        report(&e);
                    }
                }
                Err(e) => return Err(e),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::WaitTimedOut {
                    waited: started.elapsed(),
                    last: last.map(Box::new),
                });
            }
            tokio::time::sleep(jittered(options.min_interval, interval).min(left)).await;
            interval = interval.saturating_mul(2).min(options.max_interval);
        }
    }
}

/// Keeps progress from running backwards; says whether it changed since `last`.
fn monotonic(now: &mut ImportProgress, last: Option<&ImportProgress>) -> bool {
    if now.state == ImportState::Completed {
        now.progress = 100;
    }
    match last {
        None => true,
        Some(last) => {
            now.progress = now.progress.max(last.progress);
            now.state != last.state || now.progress > last.progress
        }
    }
}

/// A pause drawn uniformly between `min` and `ceiling`, so many waiters
/// started together do not poll in lockstep.
fn jittered(min: Duration, ceiling: Duration) -> Duration {
    min + ceiling.saturating_sub(min).mul_f64(fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(state: ImportState, progress: u8) -> ImportProgress {
        ImportProgress {
            job_id: "j".into(),
            collection_name: None,
            file_name: None,
            file_size: None,
            state,
            progress,
            total_rows: None,
            complete_time: None,
            reason: None,
            details: vec![],
        }
    }

    #[test]
    fn progress_never_moves_backwards() {
        let seen = p(ImportState::Importing, 60);
        let mut now = p(ImportState::Importing, 40);
        assert!(!monotonic(&mut now, Some(&seen)));
        assert_eq!(now.progress, 60);
        let mut done = p(ImportState::Completed, 0);
        assert!(monotonic(&mut done, Some(&seen)));
        assert_eq!(done.progress, 100);
    }

    #[test]
    fn jitter_stays_in_bounds() {
        let (lo, hi) = (Duration::from_millis(10), Duration::from_millis(40));
        for _ in 0..100 {
            let d = jittered(lo, hi);
            assert!(d >= lo && d <= hi, "{d:?}");
        }
        assert_eq!(jittered(lo, lo), lo);
    }
}
