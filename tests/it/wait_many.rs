//! `Client::wait_for_import_jobs`: many jobs followed through one client as
//! a stream of events, on the emulator's manual clock (each job's events
//! are fixed by its progress curve, not by timing) and against scripted
//! servers. Tests whose polls, deadlines or waits between steps take time
//! run on tokio's paused clock, where that time passes without waiting.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::Duration,
};

use futures::StreamExt;
use serde_json::json;
use zilliz_import::{
    AbortOnTimeout, Client, CreateImportJob, ImportState, JobEvent, RetryPolicy, WaitError,
    WaitOptions, WaitOutcome,
};
use zilliz_import_emulator::{Emulator, EmulatorHandle};

use crate::common::{
    ABORT_PATH, API_KEY, CLUSTER, COLLECTION, DESCRIBE_PATH, JOB_DURATION, JOB_ID, SEED_URL,
    faulty_server::{Fault, FaultyServer},
    progress, recording,
};
use zilliz_import::ErrorKind;
use zilliz_import::Target;

/// How far the emulator's clock moves at a time.
const STEP: Duration = Duration::from_secs(2);

async fn start() -> EmulatorHandle {
    Emulator::builder()
        .api_key(API_KEY)
        .cluster_ids([CLUSTER])
        .job_duration(JOB_DURATION)
        .fail_when_url_contains("broken")
        .manual_clock()
        .start()
        .await
        .expect("emulator starts")
}

fn client(base: &str) -> Client {
    Client::builder()
        .api_key(API_KEY)
        .base_url(base)
        .retry(RetryPolicy::none())
        .build()
        .expect("client builds")
}

/// Polls every few milliseconds: the manual clock decides what each poll
/// sees.
fn fast_wait() -> WaitOptions {
    WaitOptions::default()
        .interval(Duration::from_millis(1), Duration::from_millis(4))
        .deadline(Duration::from_secs(30))
}

fn describes_of(h: &EmulatorHandle, job_id: &str) -> usize {
    h.requests()
        .iter()
        .filter(|r| r.path == DESCRIBE_PATH && r.body["jobId"] == job_id)
        .count()
}

/// Waits until each of `jobs` has been described twice since the call:
/// its second describe was sent after the first came back, so after the
/// clock last moved. Looks every 2 ms of tokio's (paused) clock.
async fn each_polled_since(h: &EmulatorHandle, jobs: &[&str]) {
    let before: Vec<usize> = jobs.iter().map(|j| describes_of(h, j)).collect();
    for _ in 0..5_000 {
        if jobs
            .iter()
            .zip(&before)
            .all(|(j, n)| describes_of(h, j) >= n + 2)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("jobs {jobs:?} were not polled again");
}

/// A job's events, in order, as (state, percent) for progress, then how it
/// ended.
#[derive(Debug, Default)]
struct Seen {
    progress: Vec<(ImportState, u8)>,
    failed_polls: usize,
    ended: Vec<Result<WaitOutcome, WaitError>>,
}

fn by_job(events: Vec<JobEvent>) -> BTreeMap<String, Seen> {
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    for event in events {
        let entry = seen.entry(event.job_id().to_owned()).or_default();
        assert!(entry.ended.is_empty(), "an event after the end: {event:?}");
        match event {
            JobEvent::Progress { progress, .. } => {
                entry.progress.push((progress.state, progress.progress))
            }
            JobEvent::PollFailed { .. } => entry.failed_polls += 1,
            JobEvent::Ended { outcome, .. } => entry.ended.push(outcome),
            other => panic!("unexpected event {other:?}"),
        }
    }
    seen
}

#[tokio::test(start_paused = true)]
async fn each_job_gets_its_own_progress_and_one_end() {
    let h = Arc::new(start().await);
    let c = client(&h.base_url());
    let create = |url: &str| CreateImportJob::new(CLUSTER, COLLECTION, url);
    let done = c.create_import_job(create(SEED_URL)).await.unwrap().job_id;
    let broken = c
        .create_import_job(create("s3://bucket/broken.json"))
        .await
        .unwrap()
        .job_id;
    let two_phase = c
        .create_import_job(create(SEED_URL).auto_commit(false))
        .await
        .unwrap()
        .job_id;

    let stream = c.wait_for_import_jobs(
        &Target::cluster(CLUSTER),
        [
            done.clone(),
            broken.clone(),
            two_phase.clone(),
            done.clone(),
        ],
        fast_wait(),
    );
    let events = tokio::spawn(stream.collect::<Vec<_>>());

    // The clock moves 2 s once every open job has seen the time before.
    let mut open = vec![done.as_str(), broken.as_str(), two_phase.as_str()];
    each_polled_since(&h, &open).await;
    for step in 1..=5 {
        h.advance(STEP);
        if step == 3 {
            // 6 s: the broken job failed at 5 s and is polled no more.
            open.retain(|j| *j != broken);
        }
        if step < 5 {
            each_polled_since(&h, &open).await;
        }
    }
    let seen = by_job(
        tokio::time::timeout(Duration::from_secs(10), events)
            .await
            .unwrap()
            .unwrap(),
    );

    assert_eq!(seen.len(), 3, "a repeated id is followed once");
    let done_seen = &seen[&done];
    assert_eq!(
        done_seen.progress,
        [
            (ImportState::Pending, 0),
            (ImportState::Importing, 11),
            (ImportState::Importing, 33),
            (ImportState::Importing, 55),
            (ImportState::Importing, 77),
        ],
        "the answer that ends the wait is in the end event, not a progress event"
    );
    match done_seen.ended.as_slice() {
        [Ok(WaitOutcome::Completed(p))] => {
            assert_eq!((p.job_id.as_str(), p.progress), (done.as_str(), 100))
        }
        other => panic!("{other:?}"),
    }

    let broken_seen = &seen[&broken];
    assert_eq!(broken_seen.progress, done_seen.progress[..3]);
    match broken_seen.ended.as_slice() {
        [
            Err(WaitError::JobFailed {
                reason, progress, ..
            }),
        ] => {
            assert!(!reason.is_empty());
            assert_eq!(progress.state, ImportState::Failed);
        }
        other => panic!("{other:?}"),
    }

    let two_phase_seen = &seen[&two_phase];
    assert_eq!(two_phase_seen.progress, done_seen.progress);
    match two_phase_seen.ended.as_slice() {
        [Ok(WaitOutcome::ReadyToCommit(p))] => {
            assert_eq!(
                (p.state.clone(), p.progress),
                (ImportState::Uncommitted, 99)
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(seen.values().all(|s| s.failed_polls == 0));

    // Nothing is polled once its wait ended.
    let before: HashMap<&str, usize> = [&done, &broken, &two_phase]
        .iter()
        .map(|j| (j.as_str(), describes_of(&h, j)))
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    for (job, n) in before {
        assert_eq!(describes_of(&h, job), n, "{job} polled after its end");
    }
}

#[tokio::test]
async fn no_jobs_end_the_stream_at_once_and_send_nothing() {
    let h = start().await;
    let c = client(&h.base_url());
    let events: Vec<JobEvent> = c
        .wait_for_import_jobs(&Target::cluster(CLUSTER), Vec::<String>::new(), fast_wait())
        .collect()
        .await;
    assert!(events.is_empty());
    assert!(h.requests().is_empty());
}

#[tokio::test]
async fn a_job_that_cannot_be_followed_ends_alone_and_the_others_go_on() {
    let h = start().await;
    let c = client(&h.base_url());
    let job = c
        .create_import_job(CreateImportJob::new(CLUSTER, COLLECTION, SEED_URL))
        .await
        .unwrap()
        .job_id;
    h.advance(JOB_DURATION);
    let seen = by_job(
        c.wait_for_import_jobs(
            &Target::cluster(CLUSTER),
            [" ", "no-such-job", job.as_str()],
            fast_wait(),
        )
        .collect()
        .await,
    );
    match seen[" "].ended.as_slice() {
        [Err(WaitError::Request(e))] => assert!(
            matches!(e.kind(), ErrorKind::InvalidInput { field: "jobId", .. }),
            "{e:?}"
        ),
        other => panic!("{other:?}"),
    }
    match seen["no-such-job"].ended.as_slice() {
        [Err(WaitError::Request(e))] => assert_eq!(e.api_code(), Some(96026)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        seen[&job].ended.as_slice(),
        [Ok(WaitOutcome::Completed(_))]
    ));
    assert_eq!(describes_of(&h, " "), 0, "a blank id is never sent");
    assert_eq!(
        describes_of(&h, "no-such-job"),
        1,
        "an unknown job is asked once"
    );
    assert_eq!(describes_of(&h, &job), 1);
}

#[tokio::test(start_paused = true)]
async fn the_deadline_ends_every_open_job_and_aborts_them_when_asked() {
    let h = start().await;
    let c = client(&h.base_url());
    let mut jobs = vec![];
    for _ in 0..3 {
        let job = CreateImportJob::new(CLUSTER, COLLECTION, SEED_URL).auto_commit(false);
        jobs.push(c.create_import_job(job).await.unwrap().job_id);
    }
    // The clock never moves: every job stays Pending until the deadline.
    let options = fast_wait()
        .deadline(Duration::from_secs(1))
        .abort_on_timeout(true);
    let seen = by_job(
        c.wait_for_import_jobs(&Target::cluster(CLUSTER), &jobs, options)
            .collect()
            .await,
    );
    assert_eq!(seen.len(), 3);
    for job in &jobs {
        assert_eq!(seen[job].progress, [(ImportState::Pending, 0)]);
        match seen[job].ended.as_slice() {
            [
                Err(WaitError::TimedOut {
                    last: Some(last),
                    last_error: None,
                    abort: Some(AbortOnTimeout::Accepted(settled)),
                    ..
                }),
            ] => {
                assert_eq!(last.state, ImportState::Pending);
                assert_eq!(settled.job_id, *job);
            }
            other => panic!("{job}: {other:?}"),
        }
    }
    let aborts: Vec<_> = h
        .requests()
        .into_iter()
        .filter(|r| r.path == ABORT_PATH)
        .map(|r| r.body["jobId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(aborts.len(), 3, "one abort per job");
    for job in &jobs {
        assert!(aborts.contains(job));
        let emulated = h.jobs().into_iter().find(|j| j.job_id == *job).unwrap();
        assert_eq!(emulated.state, zilliz_import_emulator::JobState::Failed);
    }
}

#[tokio::test]
async fn a_failed_poll_is_an_event_and_the_wait_goes_on() {
    let server = FaultyServer::start(vec![
        Fault::gateway(503),
        Fault::json(200, &progress("Importing", 40), &[]),
        Fault::gateway(503),
        Fault::json(200, &progress("Completed", 100), &[]),
    ])
    .await;
    let c = client(server.url());
    let failed = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&failed);
    let (options, reported) = recording(fast_wait().on_poll_error(move |e| {
        sink.lock().unwrap().push(e.status());
    }));
    let events: Vec<JobEvent> = c
        .wait_for_import_jobs(&Target::cluster(CLUSTER), [JOB_ID], options)
        .collect()
        .await;
    // The callbacks are told as the events are: the last answer too.
    assert_eq!(
        *reported.lock().unwrap(),
        [(ImportState::Importing, 40), (ImportState::Completed, 100)]
    );
    assert_eq!(*failed.lock().unwrap(), [Some(503), Some(503)]);
    let kinds: Vec<String> = events
        .iter()
        .map(|e| match e {
            JobEvent::Progress { progress, .. } => format!("progress {}", progress.progress),
            JobEvent::PollFailed { error, .. } => format!("failed {:?}", error.status()),
            JobEvent::Ended { outcome, .. } => format!("ended {}", outcome.is_ok()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "failed Some(503)",
            "progress 40",
            "failed Some(503)",
            "ended true"
        ]
    );
    assert_eq!(server.requests_received(), 4);
    for r in server.requests() {
        assert_eq!(r.json(), json!({"clusterId": CLUSTER, "jobId": JOB_ID}));
    }
}

/// Intervals as long as a `Duration` goes overflow no clock arithmetic:
/// one poll each, then the deadline ends the waits, one job or many.
#[tokio::test(start_paused = true)]
async fn the_longest_intervals_neither_panic_nor_outlive_the_deadline() {
    let h = start().await;
    let c = client(&h.base_url());
    let job = CreateImportJob::new(CLUSTER, COLLECTION, SEED_URL);
    let job_id = c.create_import_job(job).await.unwrap().job_id;
    let options = || {
        WaitOptions::default()
            .interval(Duration::MAX, Duration::MAX)
            .deadline(Duration::from_secs(1))
    };
    let one = c
        .wait_for_import_job(&Target::cluster(CLUSTER), &job_id, options())
        .await;
    assert!(matches!(one, Err(WaitError::TimedOut { .. })), "{one:?}");
    let seen = by_job(
        c.wait_for_import_jobs(&Target::cluster(CLUSTER), [job_id.as_str()], options())
            .collect()
            .await,
    );
    assert!(matches!(
        seen[&job_id].ended.as_slice(),
        [Err(WaitError::TimedOut { .. })]
    ));
    assert_eq!(describes_of(&h, &job_id), 2, "one poll per wait");
}

/// Three hundred ids, each given three times, out of order: each is asked
/// for once, and the deadline ends them in the order first given (the
/// stream keeps its jobs in hashed and heap-ordered structures, so that
/// 100,000 ids cost no more than a few; BENCHMARKS.md, section 8).
#[tokio::test(start_paused = true)]
async fn many_repeated_ids_are_followed_once_and_time_out_in_the_order_given() {
    let server = FaultyServer::start(vec![Fault::computed(|_, request| {
        let id = request.json()["jobId"].clone();
        let data = json!({"jobId": id, "state": "Importing", "progress": 10});
        Fault::json(200, &json!({"code": 0, "data": data}), &[])
    })])
    .await;
    let firsts: Vec<String> = (0..300).map(|n| format!("j{}", (n * 7) % 300)).collect();
    let given: Vec<&String> = firsts
        .iter()
        .chain(firsts.iter().rev())
        .chain(firsts.iter().step_by(2))
        .chain(firsts.iter().skip(1).step_by(2))
        .collect();
    // One poll each: the next would be an hour later, past the deadline.
    let options = WaitOptions::default()
        .interval(Duration::from_secs(3_600), Duration::from_secs(3_600))
        .deadline(Duration::from_secs(3));
    let events: Vec<JobEvent> = client(server.url())
        .wait_for_import_jobs(&Target::cluster(CLUSTER), given, options)
        .collect()
        .await;
    let ended: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            JobEvent::Ended {
                job_id,
                outcome: Err(WaitError::TimedOut { last: Some(_), .. }),
            } => Some(job_id.as_str()),
            JobEvent::Ended { .. } => panic!("{e:?}"),
            _ => None,
        })
        .collect();
    assert_eq!(ended, firsts);
    let seen = by_job(events);
    assert_eq!(seen.len(), 300);
    for (id, s) in &seen {
        assert_eq!(s.progress, [(ImportState::Importing, 10)], "{id}");
    }
    let mut asked: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.json()["jobId"].as_str().unwrap().to_owned())
        .collect();
    asked.sort_unstable();
    let mut expected = firsts.clone();
    expected.sort_unstable();
    assert_eq!(asked, expected, "each id asked for once");
}
