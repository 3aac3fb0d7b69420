//! What a wait follows a job by: its options, and the rules that read each
//! poll's answer.
//!
//! Polls describe on a [`PollSchedule`]: quick at first, when a job is most
//! likely to fail, then backing off, and once the progress rate predicts a
//! finish, aimed shortly before it. A failed poll is not the end of the wait: the
//! job runs on server-side whatever one answer said. Only the deadline
//! (which bounds every poll too), a `Failed` job, an answer proving the job
//! cannot be followed (a refused key, no such job), or too many failed polls
//! in a row end it. The waits themselves, of one job or many, are in
//! `wait_many`.

use std::{fmt, time::Duration};

use crate::{
    Error, ErrorKind, ImportProgress, ImportState, PollSchedule, WaitError, WaitOutcome, codes,
    progress::settle,
};

/// How many polls in a row may fail before a wait gives up, by default.
pub const DEFAULT_MAX_POLL_FAILURES: u32 = 10;

/// How long after its deadline a wait told to abort on timeout gives the
/// abort, by default: one request, which is quick when the server is well,
/// with room for a retry after a lost connection.
pub const DEFAULT_ABORT_GRACE: Duration = Duration::from_secs(10);

/// A callback told of each change in a job's progress.
pub type ProgressCallback = Box<dyn FnMut(&ImportProgress) + Send>;

/// A callback told of each poll that failed transiently (the wait goes on).
pub type PollErrorCallback = Box<dyn FnMut(&Error) + Send>;

/// How [`Client::wait_for_import_job`](crate::Client::wait_for_import_job) polls.
#[derive(Debug)]
#[must_use]
pub struct WaitOptions {
    min_interval: Duration,
    max_interval: Duration,
    pub(crate) deadline: Duration,
    on_progress: Callback<ProgressCallback>,
    on_poll_error: Callback<PollErrorCallback>,
    max_poll_failures: u32,
    pub(crate) abort_on_timeout: bool,
    pub(crate) abort_grace: Duration,
    through_uncommitted: bool,
}

impl Default for WaitOptions {
    /// Poll between 1 s and 30 s apart, for at most 24 hours, giving up
    /// after [`DEFAULT_MAX_POLL_FAILURES`] failed polls in a row.
    fn default() -> Self {
        WaitOptions {
            min_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            deadline: Duration::from_secs(24 * 3600),
            on_progress: Callback(None),
            on_poll_error: Callback(None),
            max_poll_failures: DEFAULT_MAX_POLL_FAILURES,
            abort_on_timeout: false,
            abort_grace: DEFAULT_ABORT_GRACE,
            through_uncommitted: false,
        }
    }
}

/// A callback, if one was given; Debug output says only whether it was.
struct Callback<F>(Option<F>);

impl<F> fmt::Debug for Callback<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.is_some().fmt(f)
    }
}

impl WaitOptions {
    /// The shortest and the longest pause between polls.
    pub fn interval(mut self, min: Duration, max: Duration) -> Self {
        self.min_interval = min;
        self.max_interval = max.max(min);
        self
    }

    /// Give up (with [`WaitError::TimedOut`]) this long after the wait
    /// starts. The deadline bounds the whole wait: a poll under way is cut
    /// off when it passes. One too far to add to the clock means none.
    pub fn deadline(mut self, after: Duration) -> Self {
        self.deadline = after;
        self
    }

    /// The old name of [`deadline`](Self::deadline).
    #[deprecated(since = "0.2.0", note = "renamed `deadline`")]
    pub fn timeout(self, after: Duration) -> Self {
        self.deadline(after)
    }

    /// Called with the progress each time its state changes or its percent
    /// rises; never with a percent lower than one already reported.
    pub fn on_progress(mut self, f: impl FnMut(&ImportProgress) + Send + 'static) -> Self {
        self.on_progress = Callback(Some(Box::new(f)));
        self
    }

    /// Called with each poll that failed (a connection refused, a timeout,
    /// a 500, an undecodable answer, a busy code) after which the wait goes
    /// on: without it such a wait is silent until it ends.
    pub fn on_poll_error(mut self, f: impl FnMut(&Error) + Send + 'static) -> Self {
        self.on_poll_error = Callback(Some(Box::new(f)));
        self
    }

    /// Give up after this many failed polls in a row (default
    /// [`DEFAULT_MAX_POLL_FAILURES`]), returning the last failure; a
    /// successful poll starts the count again. At least 1.
    pub fn max_poll_failures(mut self, n: u32) -> Self {
        self.max_poll_failures = n.max(1);
        self
    }

    /// When the deadline passes, abort the job rather than leave it running
    /// (off by default): for a job that must not land late. The abort is
    /// sent after the deadline and must end within
    /// [`abort_grace`](Self::abort_grace) of it, so the wait returns by
    /// then; its fate is in [`WaitError::TimedOut`]'s `abort`. A server
    /// refuses to abort a job already committing or completed.
    pub fn abort_on_timeout(mut self, abort: bool) -> Self {
        self.abort_on_timeout = abort;
        self
    }

    /// How long after the deadline the abort of
    /// [`abort_on_timeout`](Self::abort_on_timeout) may take, its retries
    /// and its wait for the rate limiter included (default
    /// [`DEFAULT_ABORT_GRACE`]). An abort cut short by it fails with
    /// [`ErrorKind::Timeout`](crate::ErrorKind::Timeout) (it may have been sent) or
    /// [`ErrorKind::DeadlineReached`](crate::ErrorKind::DeadlineReached) (it was not); for many jobs, the grace
    /// bounds all their aborts together. Without it, the abort would be
    /// bounded only by the client's own timeouts: a server that never
    /// answers would hold the wait for minutes past its deadline.
    pub fn abort_grace(mut self, grace: Duration) -> Self {
        self.abort_grace = grace;
        self
    }

    /// Wait on through `Uncommitted` to `Completed` (off by default, when
    /// reaching `Uncommitted` ends the wait as
    /// [`WaitOutcome::ReadyToCommit`]). For a job just committed, whose
    /// server may show `Uncommitted` for a moment; a job nobody commits
    /// then waits until the deadline.
    pub fn through_uncommitted(mut self, on: bool) -> Self {
        self.through_uncommitted = on;
        self
    }
}

/// One job being waited for: what its polls have shown, and when to poll it
/// next. Every wait, of one job or of many, reads each poll's answer through
/// it, so they all end on the same rules.
pub(crate) struct Follow {
    /// When to poll next.
    pub(crate) schedule: PollSchedule,
    last: Option<ImportProgress>,
    /// Failed polls in a row.
    failures: u32,
    /// The failure of the last poll, while polls keep failing.
    failing: Option<Error>,
}

/// What one poll's answer came to.
pub(crate) enum Seen {
    /// Nothing new since the poll before.
    Same,
    /// The state changed or the percent rose.
    Moved(ImportProgress),
    /// The poll failed, and the wait goes on.
    PollFailed(Error),
    /// The wait is over.
    Ended(Result<WaitOutcome, WaitError>),
}

impl Follow {
    pub(crate) fn new(options: &WaitOptions) -> Self {
        Follow {
            schedule: PollSchedule::new(options.min_interval, options.max_interval),
            last: None,
            failures: 0,
            failing: None,
        }
    }

    /// Reads one poll's answer, made `at` into the wait (`past_deadline`:
    /// the wait's deadline had passed when it came back), and tells the
    /// options' callbacks of news: a move (the answer that ends the wait
    /// included), a failed poll the wait goes on after.
    pub(crate) fn observe(
        &mut self,
        job_id: &str,
        answer: Result<ImportProgress, Error>,
        at: Duration,
        past_deadline: bool,
        options: &mut WaitOptions,
    ) -> Seen {
        let mut now = match answer {
            Ok(now) => now,
            Err(e) if ends_wait(&e) => return Seen::Ended(Err(WaitError::Request(e))),
            // The poll was cut short by the deadline, or never sent.
            Err(_) if past_deadline => return Seen::Ended(Err(self.timed_out(at))),
            Err(e) => {
                self.failures += 1;
                tracing::warn!(error = %e, job_id, failures = self.failures, "poll failed; will poll again");
                if self.failures >= options.max_poll_failures {
                    return Seen::Ended(Err(WaitError::Request(e)));
                }
                if let Some(report) = options.on_poll_error.0.as_mut() {
                    report(&e);
                }
                self.failing = Some(e.clone());
                return Seen::PollFailed(e);
            }
        };
        self.failures = 0;
        self.failing = None;
        let moved = monotonic(&mut now, self.last.as_ref());
        if let Some(report) = options.on_progress.0.as_mut().filter(|_| moved) {
            report(&now);
        }
        self.schedule.record(at, now.progress);
        Seen::Ended(match now.state {
            ImportState::Completed => Ok(WaitOutcome::Completed(now)),
            ImportState::Uncommitted if !options.through_uncommitted => {
                Ok(WaitOutcome::ReadyToCommit(now))
            }
            ImportState::Failed if now.is_aborted() => Err(WaitError::Aborted {
                progress: Box::new(now),
            }),
            ImportState::Failed => Err(WaitError::JobFailed {
                reason: now.reason.clone().unwrap_or_default(),
                progress: Box::new(now),
            }),
            _ => {
                self.last = Some(now.clone());
                return if moved { Seen::Moved(now) } else { Seen::Same };
            }
        })
    }

    /// The wait timed out after `waited`: with the last progress seen and
    /// the failure of the last poll, while polls were failing.
    pub(crate) fn timed_out(&mut self, waited: Duration) -> WaitError {
        WaitError::TimedOut {
            waited,
            last: self.last.take().map(Box::new),
            last_error: self.failing.take().map(Box::new),
            abort: None,
        }
    }
}

/// Whether a failed poll proves the job cannot be followed, so polling on
/// would only repeat it: input the client refuses, a key the server refuses,
/// a job or cluster it does not know.
fn ends_wait(e: &Error) -> bool {
    let refused = matches!(e.status(), Some(401 | 403));
    match e.kind() {
        ErrorKind::InvalidInput { .. } => true,
        ErrorKind::Api { code, .. } => codes::is_permanent(*code) || refused,
        ErrorKind::Http { .. } => refused,
        _ => false,
    }
}

/// Keeps progress from running backwards; says whether it changed since `last`.
fn monotonic(now: &mut ImportProgress, last: Option<&ImportProgress>) -> bool {
    if now.state == ImportState::Completed {
        now.progress = 100;
    }
    let Some(last) = last else {
        return true;
    };
    now.progress = settle(now.progress.max(last.progress), &now.state);
    now.state != last.state || now.progress > last.progress
}

#[cfg(test)]
mod tests;
