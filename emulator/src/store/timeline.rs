//! How a job's state follows the clock: a pure function of its plan, its
//! settlement (commit or abort) and the instant, so nothing runs in the
//! background and a manual clock can jump anywhere.

use std::time::Duration;

use super::job::Snapshot;
use crate::view::JobState;

/// What a job does over time, fixed at create: from `created_at`, a tenth
/// of `duration` Pending, then Importing with progress as its
/// [`ProgressModel`] has it, then Completed, or, with `waits_for_commit`,
/// Uncommitted at 99 % until a [`Settlement`]; or, with `fails`, Failed at
/// half the duration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Plan {
    pub(crate) created_at: Duration,
    pub(crate) duration: Duration,
    pub(crate) progress: ProgressModel,
    pub(crate) fails: bool,
    /// Created with `auto_commit` false: the end of the import is
    /// `Uncommitted`, not `Completed`.
    pub(crate) waits_for_commit: bool,
}

/// What commit or abort recorded, and when: from that instant on it, not
/// the plan, decides the job's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Settlement {
    /// Committed at `at`: `Committing` for a tenth of the job duration, then
    /// `Completed`.
    Committed { at: Duration },
    /// Aborted at `at`: `Failed` from then on, with [`ABORTED_REASON`].
    Aborted { at: Duration },
}

impl Settlement {
    pub(super) fn at(self) -> Duration {
        match self {
            Self::Committed { at } | Self::Aborted { at } => at,
        }
    }
}

/// The state at `now` of a job with this plan and settlement; a pure
/// function, so every transition can be tested without a store or a clock.
///
/// A settlement counts only from its instant on; until then the plan
/// decides. Arithmetic saturates, so no duration or instant overflows.
pub(crate) fn snapshot_at(plan: &Plan, settlement: Option<Settlement>, now: Duration) -> Snapshot {
    match settlement {
        Some(Settlement::Aborted { at }) if now >= at => Snapshot {
            state: JobState::Failed,
            // As it was when aborted; a failed job never reads 100.
            progress: planned(plan, at).progress.min(99),
            finished_at: Some(at),
            aborted: true,
        },
        Some(Settlement::Committed { at }) if now >= at => {
            let done = at.saturating_add(plan.duration / 10);
            if now >= done {
                Snapshot {
                    state: JobState::Completed,
                    progress: 100,
                    finished_at: Some(done),
                    aborted: false,
                }
            } else {
                Snapshot {
                    state: JobState::Committing,
                    progress: 99,
                    finished_at: None,
                    aborted: false,
                }
            }
        }
        _ => planned(plan, now),
    }
}

/// [`Job::finished_from`], as a pure function of what a job stores.
///
/// The plan alone finishes a job half-way if it fails, at its end if it
/// commits itself, never if it waits for a commit; an instant past the end
/// of the clock (an overflow) is never reached. An abort finishes it at
/// once; a commit a tenth of the duration later (as [`snapshot_at`] has it,
/// saturating), whatever the plan said before (a commit is accepted only
/// of a job the plan had not finished).
pub(crate) fn finished_from(plan: &Plan, settlement: Option<Settlement>) -> Option<Duration> {
    let by_plan = if plan.fails {
        plan.created_at.checked_add(plan.duration / 2)
    } else if plan.waits_for_commit {
        None
    } else {
        plan.created_at.checked_add(plan.duration)
    };
    match settlement {
        None => by_plan,
        Some(Settlement::Aborted { at }) => Some(by_plan.map_or(at, |t| t.min(at))),
        Some(Settlement::Committed { at }) => Some(at.saturating_add(plan.duration / 10)),
    }
}

/// The state at `now` as the plan alone has it.
fn planned(plan: &Plan, now: Duration) -> Snapshot {
    let Plan {
        created_at,
        duration,
        progress,
        fails,
        waits_for_commit,
    } = *plan;
    let at = |state, progress, finished_at| Snapshot {
        state,
        progress,
        finished_at,
        aborted: false,
    };
    let elapsed = now.saturating_sub(created_at);
    if fails {
        let fail_after = duration / 2;
        if elapsed >= fail_after {
            return at(
                JobState::Failed,
                progress.percent(fail_after, duration),
                Some(created_at.saturating_add(fail_after)),
            );
        }
    }
    if elapsed >= duration {
        return if waits_for_commit {
            at(JobState::Uncommitted, 99, None)
        } else {
            at(
                JobState::Completed,
                100,
                Some(created_at.saturating_add(duration)),
            )
        };
    }
    if elapsed < duration / 10 {
        return at(JobState::Pending, 0, None);
    }
    at(
        JobState::Importing,
        progress.percent(elapsed, duration),
        None,
    )
}

/// How the emulator's jobs report their percent while `Importing` (set with
/// [`EmulatorBuilder::progress_model`](crate::EmulatorBuilder::progress_model)).
///
/// Real servers differ here, and a waiter that spaces its polls by the rate
/// the percent rises (as the client's poll schedule does) behaves
/// differently on each: a percent that rises steadily lets it predict the
/// finish; one that stays at 0 until the job is done gives it no rate at
/// all; one that stops short while indexes build makes a prediction that
/// passes with no rise. The models let tests and benchmarks face each of
/// these on purpose.
///
/// Whatever the model, a job is `Pending` at 0 % for the first tenth of its
/// duration and `Completed` at 100 % at its end (or `Uncommitted` at 99 %,
/// for a two-phase import); the model decides only the percent in between,
/// including what a job that fails or is aborted reports it had reached.
/// The number of rows imported follows the percent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum ProgressModel {
    /// The percent rises linearly from 0 at the end of `Pending` to 99 just
    /// before the end (the default).
    #[default]
    Steady,
    /// The percent stays at 0 until the job ends: a server that reports no
    /// progress while it imports.
    Silent,
    /// The percent rises linearly to `at` (at most 99), then holds there
    /// for the last `share` of the job's duration (between 0 and 0.9, the
    /// time after `Pending`; NaN reads as 0), as a job holds while its
    /// indexes build. `Stall { at: 80, share: 0.3 }` of a 100 s job: 0 %
    /// at 10 s, 40 % at 40 s, 80 % from 70 s to 100 s, then `Completed`.
    Stall {
        /// The percent the job holds at.
        at: u8,
        /// The share of the job's duration spent holding.
        share: f64,
    },
}

impl ProgressModel {
    /// The percent `elapsed` after create of a job taking `duration`, while
    /// it is `Importing` (from a tenth of `duration` to its end).
    pub(crate) fn percent(self, elapsed: Duration, duration: Duration) -> i64 {
        match self {
            ProgressModel::Steady => progress_at(elapsed, duration),
            ProgressModel::Silent => 0,
            ProgressModel::Stall { at, share } => {
                let top = u128::from(at.min(99));
                let share = if share.is_nan() {
                    0.0
                } else {
                    share.clamp(0.0, 0.9)
                };
                // `as` saturates, and the hold is at most 0.9 of the duration.
                let hold = (duration.as_nanos() as f64 * share) as u128;
                let start = (duration / 10).as_nanos();
                let span = duration
                    .as_nanos()
                    .saturating_sub(hold)
                    .saturating_sub(start)
                    .max(1);
                let done = elapsed.as_nanos().saturating_sub(start).min(span);
                // Nanoseconds of a duration are below 2^95, `top` below 100:
                // the product fits.
                i64::try_from(done * top / span).unwrap_or(99)
            }
        }
    }
}

/// Percent done while importing: 0 at a tenth of the duration, capped at 99.
fn progress_at(elapsed: Duration, duration: Duration) -> i64 {
    let start = (duration / 10).as_nanos();
    let span = duration.as_nanos().saturating_sub(start).max(1);
    let done = elapsed.as_nanos().saturating_sub(start);
    i64::try_from((done * 100 / span).min(99)).unwrap_or(99)
}

#[cfg(test)]
mod tests;
