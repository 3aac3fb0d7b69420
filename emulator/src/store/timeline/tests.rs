//! Every transition of [`snapshot_at`] and [`finished_from`], without a
//! store or a clock.

use std::time::Duration;

use super::*;
use crate::store::tests::{D, secs};

#[test]
fn progress_curve() {
    let d = Duration::from_secs(10);
    assert_eq!(progress_at(Duration::from_secs(1), d), 0);
    assert_eq!(progress_at(Duration::from_millis(5_500), d), 50);
    assert_eq!(progress_at(Duration::from_secs(5), d), 44);
    assert_eq!(progress_at(Duration::from_secs(10), d), 99);
}

// ---------------------------------------------------------- two-phase

const CREATED: Duration = Duration::from_secs(100);

/// A 10 s job created at t=100 s.
fn plan(fails: bool, waits_for_commit: bool) -> Plan {
    Plan {
        created_at: CREATED,
        duration: D,
        progress: ProgressModel::Steady,
        fails,
        waits_for_commit,
    }
}

/// (state, progress, finished_at, aborted) of a snapshot, to compare in one go.
fn seen(
    plan: Plan,
    settlement: Option<Settlement>,
    now: Duration,
) -> (JobState, i64, Option<Duration>, bool) {
    let s = snapshot_at(&plan, settlement, now);
    (s.state, s.progress, s.finished_at, s.aborted)
}

#[test]
fn an_auto_commit_plan_goes_pending_importing_completed() {
    let p = plan(false, false);
    assert_eq!(seen(p, None, CREATED), (JobState::Pending, 0, None, false));
    assert_eq!(
        seen(p, None, secs(100.999)),
        (JobState::Pending, 0, None, false)
    );
    assert_eq!(
        seen(p, None, secs(101.0)),
        (JobState::Importing, 0, None, false)
    );
    assert_eq!(
        seen(p, None, secs(105.5)),
        (JobState::Importing, 50, None, false)
    );
    let done = (JobState::Completed, 100, Some(secs(110.0)), false);
    assert_eq!(seen(p, None, secs(110.0)), done);
    assert_eq!(seen(p, None, Duration::MAX), done);
}

#[test]
fn a_two_phase_plan_waits_in_uncommitted_for_ever() {
    let p = plan(false, true);
    assert_eq!(seen(p, None, CREATED), (JobState::Pending, 0, None, false));
    assert_eq!(
        seen(p, None, secs(105.5)),
        (JobState::Importing, 50, None, false)
    );
    assert_eq!(
        seen(p, None, secs(109.999)),
        (JobState::Importing, 99, None, false)
    );
    let waiting = (JobState::Uncommitted, 99, None, false);
    assert_eq!(seen(p, None, secs(110.0)), waiting);
    assert_eq!(seen(p, None, secs(1e9)), waiting);
    assert_eq!(seen(p, None, Duration::MAX), waiting);
}

#[test]
fn a_commit_is_committing_for_a_tenth_of_the_duration_then_completed() {
    let p = plan(false, true);
    let committed = Some(Settlement::Committed { at: secs(120.0) });
    // Before its instant the settlement does not count.
    assert_eq!(
        seen(p, committed, secs(119.0)),
        (JobState::Uncommitted, 99, None, false)
    );
    let committing = (JobState::Committing, 99, None, false);
    assert_eq!(seen(p, committed, secs(120.0)), committing);
    assert_eq!(seen(p, committed, secs(120.999)), committing);
    let done = (JobState::Completed, 100, Some(secs(121.0)), false);
    assert_eq!(seen(p, committed, secs(121.0)), done);
    assert_eq!(seen(p, committed, Duration::MAX), done);
}

#[test]
fn an_abort_fails_at_once_with_the_progress_it_had() {
    for waits in [false, true] {
        let p = plan(false, waits);
        let aborted = |at: f64| Some(Settlement::Aborted { at: secs(at) });
        let failed = |progress, at: f64| (JobState::Failed, progress, Some(secs(at)), true);
        // Pending, Importing, and (two-phase) Uncommitted.
        assert_eq!(seen(p, aborted(100.5), secs(100.5)), failed(0, 100.5));
        assert_eq!(seen(p, aborted(105.5), secs(105.5)), failed(50, 105.5));
        assert_eq!(seen(p, aborted(105.5), Duration::MAX), failed(50, 105.5));
        assert_eq!(
            seen(p, aborted(105.5), secs(105.0)),
            (JobState::Importing, 44, None, false),
            "not before its instant"
        );
        if waits {
            assert_eq!(seen(p, aborted(130.0), secs(131.0)), failed(99, 130.0));
        }
    }
    // Even a settlement the rules refuse cannot make a failed job read 100.
    let late = Some(Settlement::Aborted { at: secs(200.0) });
    assert_eq!(seen(plan(false, false), late, secs(200.0)).1, 99);
}

#[test]
fn a_job_failing_on_its_own_fails_at_half_unless_aborted_first() {
    for waits in [false, true] {
        let p = plan(true, waits);
        assert_eq!(
            seen(p, None, secs(105.0)),
            (JobState::Failed, 44, Some(secs(105.0)), false)
        );
        assert_eq!(
            seen(p, None, Duration::MAX),
            (JobState::Failed, 44, Some(secs(105.0)), false)
        );
        let aborted = Some(Settlement::Aborted { at: secs(102.0) });
        assert_eq!(
            seen(p, aborted, secs(106.0)),
            (JobState::Failed, 11, Some(secs(102.0)), true)
        );
    }
}

/// A 10 s job created at t=100 s, reporting its percent by `model`.
fn modelled(model: ProgressModel, fails: bool, waits_for_commit: bool) -> Plan {
    Plan {
        progress: model,
        ..plan(fails, waits_for_commit)
    }
}

#[test]
fn a_silent_job_reports_nothing_until_it_ends() {
    let p = modelled(ProgressModel::Silent, false, false);
    assert_eq!(seen(p, None, CREATED), (JobState::Pending, 0, None, false));
    for at in [101.0, 105.5, 109.999] {
        assert_eq!(
            seen(p, None, secs(at)),
            (JobState::Importing, 0, None, false),
            "{at}"
        );
    }
    assert_eq!(
        seen(p, None, secs(110.0)),
        (JobState::Completed, 100, Some(secs(110.0)), false)
    );
    // Two-phase, failing on its own, aborted: still nothing before the end.
    let two_phase = modelled(ProgressModel::Silent, false, true);
    assert_eq!(
        seen(two_phase, None, secs(109.999)),
        (JobState::Importing, 0, None, false)
    );
    assert_eq!(
        seen(two_phase, None, secs(110.0)),
        (JobState::Uncommitted, 99, None, false)
    );
    assert_eq!(
        seen(
            modelled(ProgressModel::Silent, true, false),
            None,
            secs(106.0)
        ),
        (JobState::Failed, 0, Some(secs(105.0)), false)
    );
    let aborted = Some(Settlement::Aborted { at: secs(105.5) });
    assert_eq!(
        seen(p, aborted, secs(106.0)),
        (JobState::Failed, 0, Some(secs(105.5)), true)
    );
}

#[test]
fn a_stalling_job_rises_to_its_percent_then_holds_until_the_end() {
    // 10 s: Pending to 1 s, rising 80 % over 6 s, holding 80 % for 3 s.
    let stall = ProgressModel::Stall { at: 80, share: 0.3 };
    let p = modelled(stall, false, false);
    let importing = |progress| (JobState::Importing, progress, None, false);
    assert_eq!(
        seen(p, None, secs(100.999)),
        (JobState::Pending, 0, None, false)
    );
    assert_eq!(seen(p, None, secs(101.0)), importing(0));
    assert_eq!(seen(p, None, secs(102.5)), importing(20));
    assert_eq!(seen(p, None, secs(104.0)), importing(40));
    assert_eq!(seen(p, None, secs(106.999)), importing(79));
    assert_eq!(seen(p, None, secs(107.0)), importing(80));
    assert_eq!(seen(p, None, secs(109.999)), importing(80));
    assert_eq!(
        seen(p, None, secs(110.0)),
        (JobState::Completed, 100, Some(secs(110.0)), false)
    );
    // Failing at half (5 s), it reports what it had reached.
    assert_eq!(
        seen(modelled(stall, true, false), None, secs(105.0)),
        (JobState::Failed, 53, Some(secs(105.0)), false)
    );
    // Out-of-range settings are clamped: at most 99 %, a share of 0 to
    // 0.9 (NaN as 0), where 0.9 jumps to `at` as Pending ends.
    let model = |at, share| modelled(ProgressModel::Stall { at, share }, false, false);
    assert_eq!(seen(model(255, 0.3), None, secs(107.0)).1, 99);
    assert_eq!(seen(model(80, f64::NAN), None, secs(105.5)).1, 40);
    assert_eq!(seen(model(80, -1.0), None, secs(105.5)).1, 40);
    assert_eq!(seen(model(80, 5.0), None, secs(101.0)).1, 0);
    assert_eq!(seen(model(80, 5.0), None, secs(101.001)).1, 80);
    assert_eq!(seen(model(80, 0.9), None, secs(101.001)).1, 80);
    // Steady by default, and with a stall of no share a linear rise to `at`.
    assert_eq!(ProgressModel::default(), ProgressModel::Steady);
    assert_eq!(seen(model(99, 0.0), None, secs(105.5)).1, 49);
}

#[test]
fn every_model_survives_huge_durations() {
    let max = Duration::MAX;
    for model in [
        ProgressModel::Steady,
        ProgressModel::Silent,
        ProgressModel::Stall { at: 80, share: 0.3 },
        ProgressModel::Stall { at: 99, share: 0.9 },
    ] {
        for now in [max / 10, max / 2, max - Duration::from_nanos(1)] {
            let percent = model.percent(now, max);
            assert!((0..=99).contains(&percent), "{model:?} {now:?}: {percent}");
        }
        for (now, duration) in [(max, Duration::ZERO), (max, max), (Duration::ZERO, max)] {
            let percent = model.percent(now, duration);
            assert!((0..=99).contains(&percent), "{model:?} {now:?}: {percent}");
        }
    }
    let stall = ProgressModel::Stall { at: 80, share: 0.3 };
    assert_eq!(stall.percent(max / 2, max), 53);
    assert_eq!(stall.percent(max - Duration::from_nanos(1), max), 80);
}

#[test]
fn huge_durations_do_not_overflow_when_settled() {
    let max = Duration::MAX;
    let p = Plan {
        created_at: max,
        duration: max,
        progress: ProgressModel::Steady,
        fails: false,
        waits_for_commit: true,
    };
    assert_eq!(seen(p, None, max).0, JobState::Pending);
    let p = Plan {
        created_at: Duration::ZERO,
        ..p
    };
    assert_eq!(seen(p, None, max), (JobState::Uncommitted, 99, None, false));
    let committed = Some(Settlement::Committed { at: max });
    assert_eq!(
        seen(p, committed, max),
        (JobState::Completed, 100, Some(max), false)
    );
    let committed = Some(Settlement::Committed { at: max / 2 });
    assert_eq!(seen(p, committed, max / 2).0, JobState::Committing);
    let aborted = Some(Settlement::Aborted { at: max });
    assert_eq!(
        seen(p, aborted, max),
        (JobState::Failed, 99, Some(max), true)
    );
    let aborted = Some(Settlement::Aborted { at: Duration::ZERO });
    assert_eq!(
        seen(p, aborted, max),
        (JobState::Failed, 0, Some(Duration::ZERO), true)
    );
}

#[test]
fn finished_from_is_when_snapshots_start_to_read_finished_for_good() {
    let aborted = |at| Some(Settlement::Aborted { at: secs(at) });
    let committed = Some(Settlement::Committed { at: secs(120.0) });
    // Every settlement the rules accept for each plan (fails, waits).
    let cases = [
        (plan(false, false), None, Some(110.0)),
        (plan(false, false), aborted(100.5), Some(100.5)),
        (plan(false, false), aborted(105.5), Some(105.5)),
        (plan(true, false), None, Some(105.0)),
        (plan(true, false), aborted(102.0), Some(102.0)),
        (plan(false, true), None, None),
        (plan(false, true), aborted(100.5), Some(100.5)),
        (plan(false, true), aborted(130.0), Some(130.0)),
        (plan(false, true), committed, Some(121.0)),
        (plan(true, true), None, Some(105.0)),
        (plan(true, true), aborted(102.0), Some(102.0)),
    ];
    for (p, settlement, expected) in cases {
        let from = finished_from(&p, settlement);
        assert_eq!(from, expected.map(secs), "{p:?} {settlement:?}");
        for tenth in 0..3_000 {
            let now = Duration::from_millis(100 * tenth);
            let finished = snapshot_at(&p, settlement, now).finished_at.is_some();
            assert_eq!(
                finished,
                from.is_some_and(|t| now >= t),
                "{p:?} {settlement:?} {now:?}"
            );
        }
    }
    // An end beyond the clock is never reached; one at its edge is.
    let max = Duration::MAX;
    let late = Plan {
        created_at: max - secs(1.0),
        ..plan(false, false)
    };
    assert_eq!(finished_from(&late, None), None);
    assert_eq!(snapshot_at(&late, None, max).finished_at, None);
    let long = Plan {
        created_at: Duration::ZERO,
        duration: max,
        ..plan(true, false)
    };
    assert_eq!(finished_from(&long, None), Some(max / 2));
    let committed_at_the_end = Some(Settlement::Committed { at: max });
    assert_eq!(finished_from(&long, committed_at_the_end), Some(max));
    assert!(
        snapshot_at(&long, committed_at_the_end, max)
            .finished_at
            .is_some()
    );
}
