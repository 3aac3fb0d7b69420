//! The store: creates, idempotency keys, lookups, and the rules of commit
//! and abort; and the helpers the other modules' tests build jobs with.

use std::collections::BTreeMap;
use std::time::Duration;

use super::job::Snapshot;
use super::timeline::Settlement;
use super::*;
use crate::rules::{ABORTED_REASON, option_keys};
use crate::view::JobState;

pub(crate) fn new_job(url: &str, key: Option<&str>) -> NewJob {
    NewJob {
        target: JobTarget::Cluster("c".to_owned()),
        db_name: "default".to_owned(),
        collection_name: "coll".to_owned(),
        partition_name: String::new(),
        source: Source::ObjectUrls,
        groups: vec![vec![url.to_owned()]],
        options: BTreeMap::new(),
        idempotency_key: key.map(str::to_owned),
    }
}

pub(crate) const D: Duration = Duration::from_secs(10);

/// [`Store::create`] of a job whose options parse.
pub(crate) fn create(
    store: &mut Store,
    new: NewJob,
    now: Duration,
    duration: Duration,
    fail: &[String],
) -> (String, bool) {
    store
        .create(new, now, duration, fail)
        .expect("valid options")
}

#[test]
fn idempotency_keys_are_scoped_to_the_target() {
    let mut store = Store::new(10);
    let (a, _) = create(&mut store, new_job("s3://b/a", Some("k")), D, D, &[]);
    let mut on_project = new_job("s3://b/a", Some("k"));
    on_project.target = JobTarget::Project {
        project_id: "p".to_owned(),
        region_id: "r".to_owned(),
    };
    let (b, created) = create(&mut store, on_project, D, D, &[]);
    assert!(created);
    assert_ne!(a, b);
    let (again, created) = create(&mut store, new_job("s3://b/other", Some("k")), D, D, &[]);
    assert_eq!((again, created), (a, false));
}

#[test]
fn groups_are_kept_and_any_path_can_fail() {
    let mut store = Store::new(10);
    let mut job = new_job("x", None);
    job.source = Source::Files;
    job.groups = vec![
        vec!["a/id.npy".to_owned(), "a/vec.npy".to_owned()],
        vec!["b.parquet".to_owned()],
        vec!["c/please-fail.json".to_owned()],
    ];
    let (id, _) = create(&mut store, job, Duration::ZERO, D, &["fail".to_owned()]);
    let job = store.get(&id).expect("held");
    assert_eq!(
        job.groups(),
        [
            vec!["a/id.npy", "a/vec.npy"],
            vec!["b.parquet"],
            vec!["c/please-fail.json"]
        ]
    );
    assert_eq!(job.files[0].name(), "a/id.npy");
    assert!(job.plan.fails);
    assert_eq!(job.snapshot(D).state, JobState::Failed);
}

#[test]
fn lookups_by_any_string_are_safe() {
    let mut store = Store::new(10);
    let (id, _) = create(
        &mut store,
        new_job("s3://b/a", None),
        Duration::ZERO,
        D,
        &[],
    );
    assert!(store.get(&id).is_some());
    for other in [
        "",
        "0",
        "-1",
        "18446744073709551615",
        "99999999999999999999999",
        "é",
        &format!("+{id}"),
        &format!("0{id}"),
    ] {
        assert!(store.get(other).is_none(), "{other}");
    }
}

#[test]
fn huge_durations_do_not_overflow() {
    let mut store = Store::new(10);
    let failing = ["fail".to_owned()];
    let max = Duration::MAX;
    create(
        &mut store,
        new_job("s3://b/a", None),
        Duration::ZERO,
        max,
        &failing,
    );
    create(
        &mut store,
        new_job("s3://b/fail", None),
        Duration::ZERO,
        max,
        &failing,
    );
    create(&mut store, new_job("s3://b/b", None), max, max, &failing);
    let snaps: Vec<Snapshot> = store.iter().map(|j| j.snapshot(max)).collect();
    assert_eq!(snaps.len(), 3);
    assert_eq!(snaps[0].state, JobState::Completed);
    assert_eq!(snaps[0].finished_at, Some(max));
    assert_eq!(snaps[1].state, JobState::Failed);
    assert_eq!(snaps[1].finished_at, Some(max / 2));
    assert_eq!(snaps[2].state, JobState::Pending);
    assert!(
        store
            .iter()
            .all(|j| j.total_rows() > 0 && j.file_size() > 0)
    );
    for (job, snap) in store.iter().zip(&snaps) {
        assert!(snap.imported(job.total_rows()) <= job.total_rows());
    }
}

pub(crate) fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

#[test]
fn the_store_gives_new_jobs_its_model() {
    let mut store = Store::new(10).with_progress_model(ProgressModel::Silent);
    let (id, _) = create(
        &mut store,
        new_job("s3://b/a", None),
        Duration::ZERO,
        D,
        &[],
    );
    let job = store.get(&id).expect("held");
    assert_eq!(job.plan.progress, ProgressModel::Silent);
    let snap = job.snapshot(secs(9.0));
    assert_eq!((snap.state, snap.progress), (JobState::Importing, 0));
    assert_eq!(snap.imported(1_000), 0, "rows follow the percent");
    assert_eq!(
        Store::new(10).progress,
        ProgressModel::Steady,
        "steady unless told"
    );
}

pub(crate) fn two_phase(store: &mut Store, path: &str, auto_commit: &str) -> String {
    let mut job = new_job(path, None);
    job.options
        .insert(option_keys::AUTO_COMMIT.to_owned(), auto_commit.to_owned());
    create(store, job, Duration::ZERO, D, &["fail".to_owned()]).0
}

pub(crate) fn settle(store: &mut Store, id: &str, action: Action, at: f64) -> Result<(), String> {
    let target = JobTarget::Cluster("c".to_owned());
    store
        .settle(id, &target, action, secs(at))
        .expect("held on its cluster")
}

#[test]
fn commit_is_refused_unless_uncommitted() {
    let mut store = Store::new(10);
    let id = two_phase(&mut store, "s3://b/a", "false");
    let refused = |state: &str| {
        Err(format!(
            "import failed: job {id} is in state {state}, not Uncommitted"
        ))
    };
    assert_eq!(
        settle(&mut store, &id, Action::Commit, 0.0),
        refused("Pending")
    );
    assert_eq!(
        settle(&mut store, &id, Action::Commit, 5.0),
        refused("Importing")
    );
    assert_eq!(settle(&mut store, &id, Action::Commit, 10.0), Ok(()));
    assert_eq!(
        settle(&mut store, &id, Action::Commit, 10.5),
        refused("Committing")
    );
    assert_eq!(
        settle(&mut store, &id, Action::Commit, 11.0),
        refused("Completed")
    );
    let job = store.get(&id).expect("held");
    assert_eq!(
        job.settlement,
        Some(Settlement::Committed { at: secs(10.0) })
    );
    assert_eq!(job.snapshot(secs(11.0)).finished_at, Some(secs(11.0)));

    let auto = two_phase(&mut store, "s3://b/b", "true");
    let refused = format!("import failed: job {auto} is in state Completed, not Uncommitted");
    assert_eq!(
        settle(&mut store, &auto, Action::Commit, 20.0),
        Err(refused)
    );
    let fails = two_phase(&mut store, "s3://b/fail", "false");
    let refused = format!("import failed: job {fails} is in state Failed, not Uncommitted");
    assert_eq!(
        settle(&mut store, &fails, Action::Commit, 20.0),
        Err(refused)
    );
    assert!(store.iter().skip(1).all(|j| j.settlement.is_none()));
}

#[test]
fn abort_is_refused_once_committing_completed_or_failed_on_its_own() {
    let mut store = Store::new(10);
    let committed = two_phase(&mut store, "s3://b/a", "false");
    assert_eq!(settle(&mut store, &committed, Action::Commit, 10.0), Ok(()));
    let refused = |id: &str, state: &str| {
        Err(format!(
            "import failed: job {id} is in state {state}, abort not allowed"
        ))
    };
    assert_eq!(
        settle(&mut store, &committed, Action::Abort, 10.5),
        refused(&committed, "Committing")
    );
    assert_eq!(
        settle(&mut store, &committed, Action::Abort, 11.0),
        refused(&committed, "Completed")
    );
    let auto = two_phase(&mut store, "s3://b/b", "1");
    assert_eq!(
        settle(&mut store, &auto, Action::Abort, 10.0),
        refused(&auto, "Completed")
    );
    let fails = two_phase(&mut store, "s3://b/fail", "false");
    assert_eq!(
        settle(&mut store, &fails, Action::Abort, 5.0),
        Err(format!(
            "import failed: job {fails} is in state Failed: it failed on its own, abort not allowed"
        ))
    );
    let job = store.get(&fails).expect("held");
    let snap = job.snapshot(secs(5.0));
    assert!(!snap.aborted);
    assert!(
        job.reason(&snap)
            .starts_with("failed to read object s3://b/fail")
    );
}

#[test]
fn abort_in_any_running_state_and_again_is_a_no_op() {
    let mut store = Store::new(10);
    for (at, progress) in [(0.0, 0), (5.5, 50), (30.0, 99)] {
        let id = two_phase(&mut store, "s3://b/a", "F");
        assert_eq!(settle(&mut store, &id, Action::Abort, at), Ok(()));
        // Again, later, and with a clock read before the first abort.
        assert_eq!(settle(&mut store, &id, Action::Abort, at + 100.0), Ok(()));
        assert_eq!(settle(&mut store, &id, Action::Abort, 0.0), Ok(()));
        let refused = format!("import failed: job {id} is in state Failed, not Uncommitted");
        assert_eq!(
            settle(&mut store, &id, Action::Commit, at + 100.0),
            Err(refused)
        );
        let job = store.get(&id).expect("held");
        assert_eq!(job.settlement, Some(Settlement::Aborted { at: secs(at) }));
        let snap = job.snapshot(Duration::MAX);
        assert_eq!(
            (snap.state, snap.progress, snap.finished_at, snap.aborted),
            (JobState::Failed, progress, Some(secs(at)), true)
        );
        assert_eq!(job.reason(&snap), ABORTED_REASON);
        assert!(
            job.files
                .iter()
                .all(|f| Job::file_reason(&snap, f).is_none())
        );
        assert_eq!(
            snap.imported(1_000),
            progress * 10,
            "rows loaded when stopped"
        );
    }
    // A job that would fail on its own, aborted before it does: aborted.
    let fails = two_phase(&mut store, "s3://b/fail", "false");
    assert_eq!(settle(&mut store, &fails, Action::Abort, 2.0), Ok(()));
    let job = store.get(&fails).expect("held");
    let snap = job.snapshot(secs(9.0));
    assert!(snap.aborted);
    assert_eq!(job.reason(&snap), ABORTED_REASON);
    assert!(
        job.files
            .iter()
            .all(|f| Job::file_reason(&snap, f).is_none())
    );
}

#[test]
fn an_unparsable_auto_commit_stores_nothing() {
    let mut store = Store::new(10);
    let mut job = new_job("s3://b/a", Some("k"));
    job.options
        .insert(option_keys::AUTO_COMMIT.to_owned(), "maybe".to_owned());
    let Err(Refused::InvalidOption(problem)) = store.create(job, Duration::ZERO, D, &[]) else {
        panic!("refused as an invalid option");
    };
    assert!(problem.contains("\"maybe\""), "{problem}");
    assert_eq!((store.len(), store.idempotency_len()), (0, 0));
}
