//! What bounds the writes a wait or a commit sends, on tokio's paused clock
//! (time jumps to the next timer whenever nothing else can run), against a
//! loopback server that never answers them: the abort a wait sends when its
//! deadline passes ends within [`WaitOptions::abort_grace`] of that
//! deadline, for one job and for many; a commit under an operation timeout
//! ends within it, the describe that checks a refusal included.

use std::time::Duration;

use futures::StreamExt;
use serde_json::json;
use tokio::time::Instant;
use zilliz_import::{
    AbortOnTimeout, Client, DEFAULT_ABORT_GRACE, JobEvent, WaitError, WaitOptions,
};

use crate::common::{
    faulty_server::{Fault, FaultyServer},
    *,
};
use zilliz_import::{ErrorKind, Target};

/// Answers describe with a running job and stalls every abort.
async fn unabortable() -> FaultyServer {
    FaultyServer::start(vec![Fault::computed(|_, request| {
        if request.path.ends_with("/describe") {
            Fault::json(200, &progress("Importing", 10), &[])
        } else {
            Fault::Stall
        }
    })])
    .await
}

/// Panics unless `e` timed out and its abort was cut short by the grace
/// after one attempt (not by the HTTP client's own 30 s, nor retried).
#[track_caller]
fn assert_abort_cut_by_grace(e: &WaitError) {
    let WaitError::TimedOut {
        abort: Some(AbortOnTimeout::Failed(abort)),
        ..
    } = e
    else {
        panic!("a timed-out wait whose abort failed: {e:?}");
    };
    assert!(
        matches!(abort.kind(), ErrorKind::Timeout)
            && abort.attempts() == 1
            && std::error::Error::source(&**abort).is_none(),
        "{abort:?}"
    );
}

fn waiting(timeout: Duration) -> WaitOptions {
    WaitOptions::default()
        .deadline(timeout)
        .abort_on_timeout(true)
}

#[tokio::test(start_paused = true)]
async fn the_abort_after_one_jobs_deadline_ends_within_the_grace() {
    let secs = Duration::from_secs;
    for (grace, bound) in [
        (Some(secs(2)), secs(5)),
        (None, secs(3) + DEFAULT_ABORT_GRACE),
    ] {
        let server = unabortable().await;
        let mut options = waiting(secs(3));
        if let Some(grace) = grace {
            options = options.abort_grace(grace);
        }
        let started = Instant::now();
        let e = client(server.url())
            .wait_for_import_job(&Target::cluster(CLUSTER), JOB_ID, options)
            .await
            .unwrap_err();
        assert_took(started.elapsed(), bound);
        assert_abort_cut_by_grace(&e);
        let aborts = server
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/abort"));
        assert_eq!(aborts.count(), 1);
    }
}

#[tokio::test(start_paused = true)]
async fn the_aborts_after_many_jobs_deadline_end_within_the_grace() {
    let server = unabortable().await;
    let options = waiting(Duration::from_secs(3)).abort_grace(Duration::from_secs(2));
    let started = Instant::now();
    let events: Vec<JobEvent> = client(server.url())
        .wait_for_import_jobs(&Target::cluster(CLUSTER), ["1", "2", "3"], options)
        .collect()
        .await;
    assert_took(started.elapsed(), Duration::from_secs(5));
    let ends: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            JobEvent::Ended { job_id, outcome } => Some((job_id, outcome)),
            _ => None,
        })
        .collect();
    assert_eq!(ends.len(), 3);
    for (job_id, outcome) in ends {
        let e = outcome.as_ref().expect_err(job_id);
        assert_abort_cut_by_grace(e);
    }
}

/// A refused commit is checked with a describe; the operation timeout
/// bounds both together, not each one on its own.
#[tokio::test(start_paused = true)]
async fn a_commit_and_the_describe_that_checks_its_refusal_share_one_deadline() {
    let code = MILVUS_IMPORT_FAILED;
    let server = FaultyServer::start(vec![
        // A second passes before the commit is refused ...
        Fault::TooManyRequests {
            retry_after: Some("1".into()),
        },
        Fault::json(
            200,
            &json!({"code": code, "message": "not uncommitted"}),
            &[],
        ),
        // ... and the describe that checks the refusal never answers.
        Fault::Stall,
    ])
    .await;
    let timeout = Duration::from_secs(2);
    let c = Client::builder()
        .api_key(API_KEY)
        .base_url(server.url())
        .retry(fast_retry())
        .operation_timeout(timeout)
        .build()
        .unwrap();
    let started = Instant::now();
    let e = c
        .commit_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap_err();
    assert_took(started.elapsed(), timeout);
    assert_eq!(e.api_code(), Some(code), "the refusal stands: {e:?}");
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, [COMMIT_PATH, COMMIT_PATH, DESCRIBE_PATH]);
}
