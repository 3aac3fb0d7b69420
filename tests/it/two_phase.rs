//! Two-phase imports through the client: commit and abort on the wire for
//! every target, their retries (a lost answer whose request took effect is
//! a success, checked with describe), a wait that stops at `Uncommitted`,
//! an abort told apart from a failure, and abort-on-deadline. Scripted
//! servers, so each answer, and each request counted, is exact; deadlines
//! on tokio's paused clock, so a poll always answers before one passes.

use std::time::Duration;

use serde_json::{Value, json};
use zilliz_import::{
    ABORTED_REASON, AbortOnTimeout, Client, Error, ImportState, Target, WaitError, WaitOptions,
    WaitOutcome,
};

use crate::common::faulty_server::{Fault, FaultyServer};
use crate::common::*;
use zilliz_import::ErrorKind;

/// What commit and abort answer when they succeed.
fn settled_ok() -> Fault {
    Fault::json(200, &json!({"code": 0, "data": {}}), &[])
}

/// Milvus's refusal: code 2100, HTTP 200.
fn refused(message: &str) -> Fault {
    Fault::json(
        200,
        &json!({"code": MILVUS_IMPORT_FAILED, "message": message}),
        &[],
    )
}

fn describes(state: &str, percent: i64) -> Fault {
    Fault::json(200, &progress(state, percent), &[])
}

fn describes_failed(reason: &str) -> Fault {
    Fault::json(
        200,
        &ok(json!({"jobId": JOB_ID, "state": "Failed", "progress": 40, "reason": reason})),
        &[],
    )
}

fn paths(server: &FaultyServer) -> Vec<String> {
    server.requests().into_iter().map(|r| r.path).collect()
}

fn quick_wait() -> WaitOptions {
    WaitOptions::default()
        .interval(Duration::from_millis(1), Duration::from_millis(4))
        .deadline(Duration::from_secs(10))
}

fn api_code(e: &Error) -> i64 {
    e.api_code()
        .unwrap_or_else(|| panic!("an API error: {e:?}"))
}

#[tokio::test]
async fn commit_and_abort_bodies_on_the_wire_for_every_target() {
    let cases: Vec<(&str, Target, Value, Option<&str>)> = vec![
        ("Milvus", Target::milvus(), json!({"jobId": JOB_ID}), None),
        (
            "Milvus, a database: the header alone",
            Target::milvus().database("db1"),
            json!({"jobId": JOB_ID}),
            Some("db1"),
        ),
        (
            "cluster",
            Target::cluster(CLUSTER),
            json!({"clusterId": CLUSTER, "jobId": JOB_ID}),
            None,
        ),
        (
            "cluster, a database",
            Target::cluster(CLUSTER).database("db1"),
            json!({"clusterId": CLUSTER, "jobId": JOB_ID, "dbName": "db1"}),
            Some("db1"),
        ),
        (
            "project",
            Target::project(PROJECT, REGION),
            json!({"projectId": PROJECT, "regionId": REGION, "jobId": JOB_ID}),
            None,
        ),
    ];
    for (what, target, body, db) in cases {
        for (path, commit) in [(COMMIT_PATH, true), (ABORT_PATH, false)] {
            let server = FaultyServer::start(vec![settled_ok()]).await;
            let c = client(server.url());
            let settled = if commit {
                c.commit_import_job(&target, JOB_ID).await
            } else {
                c.abort_import_job(&target, JOB_ID).await
            }
            .unwrap_or_else(|e| panic!("{what} {path}: {e}"));
            assert_eq!(settled.job_id, JOB_ID);
            assert_eq!(settled.already, None, "{what} {path}");
            let requests = server.requests();
            assert_eq!(requests.len(), 1, "{what} {path}");
            let request = &requests[0];
            assert_eq!(request.path, path, "{what}");
            assert_eq!(request.method, "POST");
            assert_eq!(request.json(), body, "{what} {path}");
            assert_eq!(request.header("db-name"), db, "{what} {path}");
            assert_eq!(
                request.header("authorization"),
                Some(format!("Bearer {API_KEY}").as_str())
            );
        }
    }
}

#[tokio::test]
async fn a_success_without_data_is_a_success() {
    let server = FaultyServer::start(vec![Fault::json(200, &json!({"code": 0}), &[])]).await;
    let settled = client(server.url())
        .commit_import_job(&Target::milvus(), JOB_ID)
        .await
        .unwrap();
    assert_eq!(settled.already, None);
    assert_eq!(server.requests_received(), 1);
}

/// The first commit reached the server, which took it; its answer was lost
/// (the connection closed). The retry is refused, as the job is already
/// committing, and one describe shows that the commit took effect.
#[tokio::test]
async fn a_retried_commit_after_a_dropped_answer_reports_success() {
    let server = FaultyServer::start(vec![
        Fault::ResetAfterRead,
        refused("import failed: job is in state Committing, not Uncommitted"),
        describes("Committing", 99),
    ])
    .await;
    let settled = client(server.url())
        .commit_import_job(&Target::milvus(), JOB_ID)
        .await
        .expect("the commit took effect");
    assert_eq!(settled.already, Some(ImportState::Committing));
    assert_eq!(settled.job_id, JOB_ID);
    assert_eq!(server.requests_received(), 3);
    assert_eq!(paths(&server), [COMMIT_PATH, COMMIT_PATH, DESCRIBE_PATH]);
    // The describe names the same job the commits named.
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.json() == json!({"jobId": JOB_ID}))
    );
}

/// A server before milvus-io/milvus#50692 refuses a second abort: the lost
/// first answer is found out the same way.
#[tokio::test]
async fn a_retried_abort_after_a_dropped_answer_reports_success() {
    let server = FaultyServer::start(vec![
        Fault::ResetAfterRead,
        refused("import failed: job is in state Failed"),
        describes_failed(ABORTED_REASON),
    ])
    .await;
    let settled = client(server.url())
        .abort_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .expect("the abort took effect");
    assert_eq!(settled.already, Some(ImportState::Failed));
    assert_eq!(paths(&server), [ABORT_PATH, ABORT_PATH, DESCRIBE_PATH]);
}

#[tokio::test]
async fn a_commit_already_completed_is_a_success_too() {
    let server = FaultyServer::start(vec![
        refused("import failed: job is in state Completed, not Uncommitted"),
        describes("Completed", 100),
    ])
    .await;
    let settled = client(server.url())
        .commit_import_job(&Target::milvus(), JOB_ID)
        .await
        .unwrap();
    assert_eq!(settled.already, Some(ImportState::Completed));
    assert_eq!(paths(&server), [COMMIT_PATH, DESCRIBE_PATH]);
}

/// A refusal whose describe shows the job elsewhere than the action leads
/// stands, with the server's code and message: one commit, one describe.
#[tokio::test]
async fn a_real_refusal_is_reported_with_its_code() {
    let cases = [
        ("commit of a running job", true, describes("Importing", 50)),
        (
            "commit of a failed job",
            true,
            describes_failed("NoSuchKey"),
        ),
        (
            "abort of a completed job",
            false,
            describes("Completed", 100),
        ),
        (
            "abort of a job failed on its own",
            false,
            describes_failed("NoSuchKey"),
        ),
        (
            "abort of a committing job",
            false,
            describes("Committing", 99),
        ),
    ];
    for (what, commit, describe) in cases {
        let server =
            FaultyServer::start(vec![refused("import failed: not allowed"), describe]).await;
        let c = client(server.url());
        let e = if commit {
            c.commit_import_job(&Target::milvus(), JOB_ID).await
        } else {
            c.abort_import_job(&Target::milvus(), JOB_ID).await
        }
        .expect_err(what);
        assert_eq!(api_code(&e), MILVUS_IMPORT_FAILED, "{what}");
        let ErrorKind::Api { message, .. } = e.kind() else {
            unreachable!()
        };
        assert_eq!(message, "import failed: not allowed", "{what}");
        assert_eq!(e.attempts(), 1, "{what}: a refusal is not retried");
        assert_eq!(server.requests_received(), 2, "{what}");
    }
}

/// A code that says the request is wrong (no such job, a refused key) is
/// final: no describe follows.
#[tokio::test]
async fn a_refusal_that_names_the_request_wrong_is_not_checked() {
    let server = FaultyServer::start(vec![Fault::json(
        200,
        &json!({"code": JOB_NOT_FOUND, "message": "job not found"}),
        &[],
    )])
    .await;
    let e = client(server.url())
        .commit_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap_err();
    assert_eq!(api_code(&e), JOB_NOT_FOUND);
    assert_eq!(paths(&server), [COMMIT_PATH]);
}

#[tokio::test]
async fn a_blank_job_id_or_a_milvus_target_at_the_control_plane_sends_nothing() {
    let server = FaultyServer::start(vec![settled_ok()]).await;
    let c = client(server.url());
    assert_invalid_input(
        &c.commit_import_job(&Target::cluster(CLUSTER), " ")
            .await
            .unwrap_err(),
        "jobId",
    );
    assert_invalid_input(
        &c.abort_import_job(&Target::cluster(CLUSTER), "")
            .await
            .unwrap_err(),
        "jobId",
    );
    assert_invalid_input(
        &c.commit_import_job(&Target::cluster(""), JOB_ID)
            .await
            .unwrap_err(),
        "clusterId",
    );
    assert_eq!(server.requests_received(), 0);
    let cloud = Client::builder().api_key(API_KEY).build().unwrap();
    let e = cloud
        .abort_import_job(&Target::milvus(), JOB_ID)
        .await
        .unwrap_err();
    assert_invalid_input(&e, "clusterId");
}

#[tokio::test]
async fn a_wait_stops_at_uncommitted_ready_to_commit() {
    let server = FaultyServer::start(vec![
        describes("Pending", 0),
        describes("Importing", 50),
        describes("Uncommitted", 99),
        describes("Completed", 100),
    ])
    .await;
    let outcome = client(server.url())
        .wait_for_import_job(&Target::milvus(), JOB_ID, quick_wait())
        .await
        .unwrap();
    assert!(outcome.awaits_commit());
    let WaitOutcome::ReadyToCommit(p) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!((p.state, p.progress), (ImportState::Uncommitted, 99));
    assert_eq!(server.requests_received(), 3, "no poll after Uncommitted");
}

#[tokio::test]
async fn after_a_commit_the_wait_follows_committing_to_completed() {
    let server = FaultyServer::start(vec![
        describes("Uncommitted", 99),
        describes("Committing", 99),
        describes("Completed", 100),
    ])
    .await;
    let (options, log) = recording(quick_wait().through_uncommitted(true));
    let done = client(server.url())
        .wait_for_import_job(&Target::milvus(), JOB_ID, options)
        .await
        .unwrap()
        .completed()
        .expect("completed");
    assert_eq!(done.progress, 100);
    assert_eq!(
        *log.lock().unwrap(),
        [
            (ImportState::Uncommitted, 99),
            (ImportState::Committing, 99),
            (ImportState::Completed, 100)
        ]
    );
    assert_eq!(server.requests_received(), 3);
}

#[tokio::test]
async fn an_aborted_job_is_reported_apart_from_a_failed_one() {
    for (reason, aborted) in [
        (ABORTED_REASON, true),
        (" Aborted By User ", true),
        ("failed to get file size: NoSuchKey", false),
        ("", false),
    ] {
        let server =
            FaultyServer::start(vec![describes("Importing", 30), describes_failed(reason)]).await;
        let e = client(server.url())
            .wait_for_import_job(&Target::milvus(), JOB_ID, quick_wait())
            .await
            .unwrap_err();
        match (&e, aborted) {
            (WaitError::Aborted { progress, .. }, true) => {
                assert!(progress.is_aborted());
                assert_eq!(progress.state, ImportState::Failed);
                assert_eq!(e.to_string(), format!("import job {JOB_ID} was aborted"));
            }
            (
                WaitError::JobFailed {
                    reason: r,
                    progress,
                    ..
                },
                false,
            ) => {
                assert_eq!(r, reason.trim());
                assert!(!progress.is_aborted());
            }
            other => panic!("{reason:?}: {other:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn abort_on_timeout_aborts_and_says_so() {
    let server = FaultyServer::start(vec![Fault::computed(|_, request| {
        if request.path == ABORT_PATH {
            settled_ok()
        } else {
            describes("Importing", 40)
        }
    })])
    .await;
    let options = quick_wait()
        .deadline(Duration::from_millis(150))
        .abort_on_timeout(true);
    let e = client(server.url())
        .wait_for_import_job(&Target::cluster(CLUSTER), JOB_ID, options)
        .await
        .unwrap_err();
    let WaitError::TimedOut {
        last,
        abort,
        last_error,
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(last.as_ref().map(|p| p.progress), Some(40));
    assert!(last_error.is_none());
    let Some(AbortOnTimeout::Accepted(settled)) = abort else {
        panic!("{abort:?}")
    };
    assert_eq!(settled.already, None);
    let sent = paths(&server);
    assert_eq!(sent.last().map(String::as_str), Some(ABORT_PATH));
    assert_eq!(sent.iter().filter(|p| *p == ABORT_PATH).count(), 1);
    assert!(sent.len() >= 2, "{sent:?}");
    let abort_body = server.requests().last().unwrap().json();
    assert_eq!(abort_body, json!({"clusterId": CLUSTER, "jobId": JOB_ID}));
    assert!(e.to_string().ends_with("; the job was aborted"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn a_refused_abort_on_timeout_is_reported_and_the_job_goes_on() {
    let server = FaultyServer::start(vec![Fault::computed(|_, request| {
        if request.path == ABORT_PATH {
            refused("import failed: job is in state Committing, abort not allowed")
        } else {
            describes("Committing", 99)
        }
    })])
    .await;
    let options = quick_wait()
        .deadline(Duration::from_millis(100))
        .abort_on_timeout(true);
    let e = client(server.url())
        .wait_for_import_job(&Target::milvus(), JOB_ID, options)
        .await
        .unwrap_err();
    let WaitError::TimedOut {
        abort: Some(AbortOnTimeout::Failed(refusal)),
        ..
    } = &e
    else {
        panic!("{e:?}")
    };
    assert_eq!(api_code(refusal), MILVUS_IMPORT_FAILED);
    // The abort was refused, then checked with one describe.
    let sent = paths(&server);
    let tail: Vec<&str> = sent.iter().rev().take(2).map(String::as_str).collect();
    assert_eq!(tail, [DESCRIBE_PATH, ABORT_PATH]);
    assert!(e.to_string().contains("aborting the job failed"), "{e}");
}

#[tokio::test(start_paused = true)]
async fn without_abort_on_timeout_nothing_is_aborted() {
    let server = FaultyServer::start(vec![describes("Importing", 40)]).await;
    let e = client(server.url())
        .wait_for_import_job(
            &Target::cluster(CLUSTER),
            JOB_ID,
            quick_wait().deadline(Duration::from_millis(60)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, WaitError::TimedOut { abort: None, .. }),
        "{e:?}"
    );
    assert!(paths(&server).iter().all(|p| p == DESCRIBE_PATH));
}

/// The whole flow through the client against the emulator's Milvus mode on
/// its manual clock: the wait stops at Uncommitted, a second commit (as a
/// retry whose first answer was lost would be) is refused by the server and
/// still reports success, and the wait after the commit follows it through.
#[tokio::test]
async fn the_flow_against_the_emulator() {
    use zilliz_import::CreateImportJob;
    use zilliz_import_emulator::Emulator;
    let h = Emulator::builder()
        .milvus()
        .manual_clock()
        .job_duration(JOB_DURATION)
        .start()
        .await
        .unwrap();
    let c = Client::builder()
        .api_key(h.api_key())
        .base_url(h.base_url())
        .build()
        .unwrap();
    let job = CreateImportJob::from_files("c", [["a.parquet"]]).auto_commit(false);
    let id = c.create_import_job(job).await.unwrap().job_id;
    h.advance(Duration::from_secs(60));
    let ready = c
        .wait_for_import_job(&Target::milvus(), &id, quick_wait())
        .await
        .unwrap()
        .ready_to_commit()
        .expect("awaits commit");
    assert_eq!(
        (ready.state, ready.progress),
        (ImportState::Uncommitted, 99)
    );

    let first = c.commit_import_job(&Target::milvus(), &id).await.unwrap();
    assert_eq!(first.already, None);
    let second = c.commit_import_job(&Target::milvus(), &id).await.unwrap();
    assert_eq!(second.already, Some(ImportState::Committing));
    let answered: Vec<(String, i64)> = h
        .requests()
        .into_iter()
        .filter(|r| r.path != CREATE_PATH)
        .map(|r| (r.path.rsplit('/').next().unwrap().to_owned(), r.code))
        .collect();
    let answered: Vec<(&str, i64)> = answered.iter().map(|(p, c)| (p.as_str(), *c)).collect();
    assert_eq!(
        answered,
        [
            ("describe", 0),
            ("commit", 0),
            ("commit", 2100),
            ("describe", 0)
        ]
    );

    h.advance(Duration::from_secs(1));
    let done = c
        .wait_for_import_job(
            &Target::milvus(),
            &id,
            quick_wait().through_uncommitted(true),
        )
        .await
        .unwrap()
        .completed()
        .expect("completed");
    assert_eq!(done.progress, 100);
}
