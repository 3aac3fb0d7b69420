//! After create: describe, list, walking every page, and waiting for a job.

use std::time::Duration;

use crate::common::faulty_server::{Fault, FaultyServer};
use crate::common::*;
use futures::StreamExt;
use httpmock::prelude::*;
use serde_json::{Value, json};
use zilliz_import::ErrorKind;
use zilliz_import::Target;
use zilliz_import::{
    Client, Delivery, ImportJobPage, ImportState, ListImportJobs, RetryPolicy, WaitError,
    WaitOptions, WaitOutcome, WalkError,
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn fast_wait() -> WaitOptions {
    WaitOptions::default()
        .interval(ms(1), ms(5))
        .deadline(Duration::from_secs(10))
}

fn poll(state: &str, percent: i64) -> Fault {
    Fault::json(200, &progress(state, percent), &[])
}

/// Waits for the job on a fresh server playing `script`, with `retry` and
/// fast polling; returns the outcome, every progress report, and the server.
async fn wait_recorded(
    script: Vec<Fault>,
    retry: RetryPolicy,
) -> (
    Result<WaitOutcome, WaitError>,
    Vec<(ImportState, u8)>,
    FaultyServer,
) {
    let server = FaultyServer::start(script).await;
    let (options, log) = recording(fast_wait());
    let outcome = client_with(server.url(), retry)
        .wait_for_import_job(&Target::cluster(CLUSTER), JOB_ID, options)
        .await;
    let reports = log.lock().unwrap().clone();
    (outcome, reports, server)
}

// ------------------------------------------------------------------ describe

#[tokio::test]
async fn describe_decodes_every_field_of_the_documented_example() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(DESCRIBE_PATH)
                .header("authorization", format!("Bearer {API_KEY}"))
                .header("content-type", "application/json")
                .json_body(describe_body());
            then.status(200).json_body(json!({
                "code": 0,
                "data": {
                    "jobId": JOB_ID,
                    "collectionName": COLLECTION,
                    "fileName": SEED_FILE,
                    "fileSize": 3352866,
                    "state": "Completed",
                    "progress": 100,
                    "completeTime": "2024-04-01T06:17:55Z",
                    "reason": "",
                    "totalRows": 3000000000i64,
                    "details": [{
                        "fileName": SEED_FILE,
                        "fileSize": 3352866,
                        "state": "Completed",
                        "progress": 100,
                        "completeTime": "2024-04-01T06:17:53Z",
                        "reason": "",
                        "totalRows": 3000000000i64,
                    }],
                },
            }));
        })
        .await;

    let p = client(&server.base_url())
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap();

    assert_eq!(p.job_id, JOB_ID);
    assert_eq!(p.collection_name.as_deref(), Some(COLLECTION));
    assert_eq!(p.file_name.as_deref(), Some(SEED_FILE));
    assert_eq!(p.file_size, Some(3352866));
    assert_eq!(p.state, ImportState::Completed);
    assert_eq!(p.progress, 100);
    assert_eq!(p.complete_time.as_deref(), Some("2024-04-01T06:17:55Z"));
    assert_eq!(p.reason, None, "an empty reason is no reason");
    assert_eq!(p.total_rows, Some(3_000_000_000));
    assert_eq!(p.details.len(), 1);
    let d = &p.details[0];
    assert_eq!(d.file_name.as_deref(), Some(SEED_FILE));
    assert_eq!(d.file_size, Some(3352866));
    assert_eq!(d.state, ImportState::Completed);
    assert_eq!(d.progress, 100);
    assert_eq!(d.complete_time.as_deref(), Some("2024-04-01T06:17:53Z"));
    assert_eq!(d.reason, None);
    assert_eq!(d.total_rows, Some(3_000_000_000));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn describe_tolerates_unknown_states_and_sparse_answers() {
    let server = MockServer::start_async().await;
    on_post(&server, DESCRIBE_PATH, |then| {
        then.status(200).json_body(ok(json!({
            "jobId": JOB_ID,
            "state": "Flushing",
            "progress": 250,
            "completeTime": "",
            "reason": "still going",
            "details": null,
        })));
    })
    .await;

    let p = client(&server.base_url())
        .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
        .await
        .unwrap();

    assert_eq!(p.state, ImportState::Other("Flushing".into()));
    assert!(!p.state.is_terminal());
    assert_eq!(p.state.to_string(), "Flushing");
    assert_eq!(p.progress, 100, "clamped to 100");
    assert_eq!(p.collection_name, None);
    assert_eq!(p.file_size, None);
    assert_eq!(p.total_rows, None);
    assert_eq!(p.complete_time, None);
    assert_eq!(p.reason.as_deref(), Some("still going"));
    assert!(p.details.is_empty());
}

// ---------------------------------------------------------------------- list

fn record(job_id: &str, state: &str, percent: i64) -> Value {
    json!({"collectionName": COLLECTION, "jobId": job_id, "state": state, "progress": percent})
}

fn page(current: i64, size: i64, records: Vec<Value>) -> Value {
    ok(
        json!({"count": records.len(), "currentPage": current, "pageSize": size, "records": records}),
    )
}

#[tokio::test]
async fn list_sends_the_page_asked_for_and_decodes_it() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(LIST_PATH)
                .header("authorization", format!("Bearer {API_KEY}"))
                .json_body(json!({"clusterId": CLUSTER, "pageSize": 10, "currentPage": 1}));
            then.status(200).json_body(page(
                1,
                10,
                vec![
                    record(JOB_ID, "Completed", 100),
                    record("job-2", "InProgress", 35),
                    record("job-3", "Pending", 0),
                    record("job-4", "Failed", 12),
                ],
            ));
        })
        .await;
    let third = server
        .mock_async(|when, then| {
            when.method(POST).path(LIST_PATH).json_body(
                json!({"clusterId": CLUSTER, "dbName": "analytics", "pageSize": 100, "currentPage": 3}),
            );
            then.status(200).json_body(page(3, 100, vec![]));
        })
        .await;
    let c = client(&server.base_url());

    let p = c
        .list_import_jobs(&ListImportJobs::new(CLUSTER))
        .await
        .unwrap();
    assert_eq!(p.count, Some(4));
    assert_eq!(p.current_page, Some(1));
    assert_eq!(p.page_size, Some(10));
    let got: Vec<_> = p
        .records
        .iter()
        .map(|r| {
            (
                r.job_id.as_str(),
                r.collection_name.as_deref(),
                r.state.clone(),
                r.progress,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (JOB_ID, Some(COLLECTION), ImportState::Completed, 100),
            ("job-2", Some(COLLECTION), ImportState::Importing, 35),
            ("job-3", Some(COLLECTION), ImportState::Pending, 0),
            ("job-4", Some(COLLECTION), ImportState::Failed, 12),
        ]
    );

    let empty = c
        .list_import_jobs(
            &ListImportJobs::new(CLUSTER)
                .database("analytics")
                .page_size(100)
                .page(3),
        )
        .await
        .unwrap();
    assert!(empty.records.is_empty());
    first.assert_calls_async(1).await;
    third.assert_calls_async(1).await;
}

#[tokio::test]
async fn out_of_range_pages_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200).json_body(page(1, 10, vec![]));
        })
        .await;
    let c = client(&server.base_url());

    for (request, expected) in [
        (ListImportJobs::new(CLUSTER).page_size(0), "pageSize"),
        (ListImportJobs::new(CLUSTER).page_size(101), "pageSize"),
        (ListImportJobs::new(CLUSTER).page(0), "currentPage"),
        (ListImportJobs::new(" "), "clusterId"),
    ] {
        let err = c.list_import_jobs(&request).await.unwrap_err();
        assert_invalid_input(&err, expected);
        assert_eq!(err.delivery(), Delivery::NotSent);

        let walked: Vec<_> = c.list_all_import_jobs(request.clone()).collect().await;
        assert_eq!(walked.len(), 1, "{request:?}");
        assert!(
            matches!(&walked[0], Err(WalkError::Request(e))
                if matches!(e.kind(), ErrorKind::InvalidInput { field, .. } if *field == expected)),
            "{walked:?}"
        );
    }
    // The bounds themselves are allowed.
    ListImportJobs::new(CLUSTER)
        .page_size(1)
        .validate()
        .unwrap();
    ListImportJobs::new(CLUSTER)
        .page_size(100)
        .validate()
        .unwrap();
    mock.assert_calls_async(0).await;
}

async fn page_mock<'a>(
    server: &'a MockServer,
    current: i64,
    records: Vec<Value>,
) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(LIST_PATH)
                .json_body(json!({"clusterId": CLUSTER, "pageSize": 2, "currentPage": current}));
            then.status(200).json_body(page(current, 2, records));
        })
        .await
}

fn ids(pages: &[ImportJobPage]) -> Vec<Vec<String>> {
    pages
        .iter()
        .map(|p| p.records.iter().map(|r| r.job_id.clone()).collect())
        .collect()
}

/// A full page of two: j1 and j2, both Completed.
fn j1_j2() -> Vec<Value> {
    vec![
        record("j1", "Completed", 100),
        record("j2", "Completed", 100),
    ]
}

/// Everything `list_all_import_jobs` yields for pages of two.
async fn walk(server: &MockServer) -> Vec<Result<ImportJobPage, WalkError>> {
    client(&server.base_url())
        .list_all_import_jobs(ListImportJobs::new(CLUSTER).page_size(2))
        .collect()
        .await
}

/// The ids of `item`, which must be a page.
fn ids_of(item: &Result<ImportJobPage, WalkError>) -> Vec<Vec<String>> {
    ids(&[item.as_ref().unwrap().clone()])
}

#[tokio::test]
async fn list_all_walks_every_page_and_stops_after_a_short_one() {
    let server = MockServer::start_async().await;
    let p1 = page_mock(&server, 1, j1_j2()).await;
    let p2 = page_mock(
        &server,
        2,
        vec![record("j3", "InProgress", 50), record("j4", "Pending", 0)],
    )
    .await;
    let p3 = page_mock(&server, 3, vec![record("j5", "Failed", 0)]).await;
    let p4 = page_mock(&server, 4, vec![]).await;

    let pages: Vec<ImportJobPage> = walk(&server)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();

    assert_eq!(
        ids(&pages),
        vec![vec!["j1", "j2"], vec!["j3", "j4"], vec!["j5"]]
    );
    assert_eq!(pages[1].records[0].state, ImportState::Importing);
    for m in [&p1, &p2, &p3] {
        m.assert_calls_async(1).await;
    }
    p4.assert_calls_async(0).await;
}

#[tokio::test]
async fn list_all_stops_at_an_empty_page_without_yielding_it() {
    let server = MockServer::start_async().await;
    let p1 = page_mock(&server, 1, j1_j2()).await;
    let p2 = page_mock(&server, 2, vec![]).await;

    let pages = walk(&server).await;

    assert_eq!(pages.len(), 1, "{pages:?}");
    assert_eq!(ids_of(&pages[0]), vec![vec!["j1", "j2"]]);
    p1.assert_calls_async(1).await;
    p2.assert_calls_async(1).await;
}

#[tokio::test]
async fn list_all_yields_a_lone_empty_first_page() {
    let server = MockServer::start_async().await;
    let p1 = page_mock(&server, 1, vec![]).await;

    let pages = walk(&server).await;

    assert_eq!(pages.len(), 1);
    assert!(pages[0].as_ref().unwrap().records.is_empty());
    p1.assert_calls_async(1).await;
}

#[tokio::test]
async fn list_all_ends_when_the_server_repeats_a_page() {
    let server = MockServer::start_async().await;
    // Ignores currentPage: always the same full page.
    let mock = on_post(&server, LIST_PATH, |then| {
        then.status(200).json_body(page(1, 2, j1_j2()));
    })
    .await;

    let items = walk(&server).await;

    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(ids_of(&items[0]), vec![vec!["j1", "j2"]]);
    match &items[1] {
        Err(e @ WalkError::Stalled { page, .. }) => {
            assert_eq!(*page, 2);
            assert!(e.request_error().is_none(), "no request failed");
            assert_eq!(
                e.to_string(),
                "listing stopped at page 2: the server answered it with the same jobs as page 1"
            );
        }
        other => panic!("expected Stalled, got {other:?}"),
    }
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn list_all_ends_after_the_first_error() {
    let server = MockServer::start_async().await;
    let p1 = page_mock(&server, 1, j1_j2()).await;
    let p2 = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(LIST_PATH)
                .json_body(json!({"clusterId": CLUSTER, "pageSize": 2, "currentPage": 2}));
            then.status(200)
                .json_body(json!({"code": 96018, "message": "cluster not found"}));
        })
        .await;

    let items = walk(&server).await;

    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    let (code, .., attempts) = api_fields(items[1].as_ref().unwrap_err().request_error().unwrap());
    assert_eq!((code, attempts), (96018, 1), "{items:?}");
    p1.assert_calls_async(1).await;
    p2.assert_calls_async(1).await;
}

// ---------------------------------------------------------------------- wait

#[tokio::test]
async fn wait_reports_each_step_and_returns_the_final_progress() {
    let (done, log, server) = wait_recorded(
        vec![
            poll("Pending", 0),
            poll("Importing", 40),
            poll("Importing", 90),
            poll("Completed", 100),
        ],
        fast_retry(),
    )
    .await;
    let done = done.unwrap().completed().expect("completed");

    assert_eq!(done.job_id, JOB_ID);
    assert_eq!(done.state, ImportState::Completed);
    assert_eq!(done.progress, 100);
    assert_eq!(
        log,
        vec![
            (ImportState::Pending, 0),
            (ImportState::Importing, 40),
            (ImportState::Importing, 90),
            (ImportState::Completed, 100),
        ]
    );
    let seen = server.requests();
    assert_eq!(seen.len(), 4);
    assert!(
        seen.iter()
            .all(|s| s.path == DESCRIBE_PATH && s.json() == describe_body())
    );
}

#[tokio::test]
async fn wait_never_reports_progress_going_backwards_or_repeating() {
    let (done, log, server) = wait_recorded(
        vec![
            poll("Pending", 0),
            poll("Pending", 0),
            poll("Importing", 60),
            poll("Importing", 50),
            poll("Importing", 60),
            poll("Importing", 70),
            poll("Completed", 0),
        ],
        fast_retry(),
    )
    .await;
    let done = done.unwrap().completed().expect("completed");

    assert_eq!(
        done.progress, 100,
        "Completed is 100% whatever the server says"
    );
    assert_eq!(
        log,
        vec![
            (ImportState::Pending, 0),
            (ImportState::Importing, 60),
            (ImportState::Importing, 70),
            (ImportState::Completed, 100),
        ]
    );
    assert_eq!(server.requests_received(), 7);
}

#[tokio::test]
async fn a_failed_job_ends_the_wait_with_its_reason() {
    let failed = ok(json!({
        "jobId": JOB_ID,
        "collectionName": COLLECTION,
        "state": "Failed",
        "progress": 30,
        "reason": "cannot read s3://bucket/a.parquet: access denied",
    }));
    let server =
        FaultyServer::start(vec![poll("Importing", 30), Fault::json(200, &failed, &[])]).await;

    let err = client(server.url())
        .wait_for_import_job(&Target::cluster(CLUSTER), JOB_ID, fast_wait())
        .await
        .unwrap_err();

    match &err {
        WaitError::JobFailed {
            reason, progress, ..
        } => {
            assert_eq!(reason, "cannot read s3://bucket/a.parquet: access denied");
            assert_eq!(progress.job_id, JOB_ID);
            assert_eq!(progress.state, ImportState::Failed);
            assert_eq!(progress.progress, 30);
            assert_eq!(progress.reason.as_deref(), Some(reason.as_str()));
        }
        other => panic!("expected JobFailed, got {other:?}"),
    }
    assert!(err.request_error().is_none(), "no request failed");
    assert_eq!(
        err.to_string(),
        format!("import job {JOB_ID} failed: cannot read s3://bucket/a.parquet: access denied")
    );
    assert_eq!(server.requests_received(), 2);
}

/// On tokio's paused clock: the wait ends at its deadline, not a poll later.
#[tokio::test(start_paused = true)]
async fn a_deadline_ends_the_wait_with_the_last_progress() {
    let server = FaultyServer::start(vec![poll("Pending", 0)]).await;
    let options = WaitOptions::default()
        .interval(ms(5), ms(20))
        .deadline(ms(100));

    let started = tokio::time::Instant::now();
    let err = client(server.url())
        .wait_for_import_job(&Target::cluster(CLUSTER), JOB_ID, options)
        .await
        .unwrap_err();
    let elapsed = started.elapsed();

    match &err {
        WaitError::TimedOut {
            waited,
            last,
            last_error: None,
            ..
        } => {
            assert_took(*waited, ms(100));
            let last = last.as_ref().expect("polls succeeded");
            assert_eq!(last.state, ImportState::Pending);
            assert_eq!(last.job_id, JOB_ID);
        }
        other => panic!("expected TimedOut, got {other:?}"),
    }
    assert!(
        !err.to_string().contains("may have been sent"),
        "a wait only reads: {err}"
    );
    assert_took(elapsed, ms(100));
    // Polls 5 to 20 ms apart: at least one every 20 ms of the 100.
    assert!(
        server.requests_received() >= 5,
        "polled {} times",
        server.requests_received()
    );
}

#[tokio::test]
async fn a_transient_failure_while_polling_does_not_end_the_wait() {
    let (done, log, server) = wait_recorded(
        vec![
            poll("Pending", 0),
            Fault::gateway(503),
            poll("Importing", 50),
            poll("Completed", 100),
        ],
        RetryPolicy::none(),
    )
    .await;
    let done = done.unwrap().completed().expect("completed");

    assert_eq!(done.state, ImportState::Completed);
    assert_eq!(
        log,
        vec![
            (ImportState::Pending, 0),
            (ImportState::Importing, 50),
            (ImportState::Completed, 100),
        ]
    );
    assert_eq!(server.requests_received(), 4);
}

/// The failed poll is reported to `on_poll_error`, once, as the 503 it was.
#[tokio::test]
async fn a_transient_poll_failure_is_reported_to_on_poll_error() {
    let server = FaultyServer::start(vec![
        poll("Importing", 10),
        Fault::gateway(503),
        poll("Completed", 100),
    ])
    .await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options = WaitOptions::default()
        .interval(ms(1), ms(5))
        .on_poll_error(move |e| sink.lock().unwrap().push((e.status(), e.attempts())));
    let done = client_with(server.url(), RetryPolicy::none())
        .wait_for_import_job(&Target::cluster(CLUSTER), JOB_ID, options)
        .await
        .unwrap()
        .completed()
        .expect("completed");
    assert_eq!(done.state, ImportState::Completed);
    assert_eq!(*seen.lock().unwrap(), vec![(Some(503), 1)]);
    assert_eq!(server.requests_received(), 3);
}

#[tokio::test]
async fn a_lasting_error_while_polling_ends_the_wait() {
    let server = FaultyServer::start(vec![
        poll("Importing", 10),
        Fault::json(
            200,
            &json!({"code": 96026, "message": "job not found"}),
            &[],
        ),
        poll("Completed", 100),
    ])
    .await;

    let err = client(server.url())
        .wait_for_import_job(&Target::cluster(CLUSTER), JOB_ID, fast_wait())
        .await
        .unwrap_err();

    let (code, .., attempts) = api_fields(err.request_error().expect("a request failed"));
    assert_eq!((code, attempts), (96026, 1), "{err:?}");
    assert_eq!(server.requests_received(), 2);
}

#[tokio::test]
async fn wait_with_a_blank_job_id_sends_nothing() {
    let server = FaultyServer::start(vec![poll("Completed", 100)]).await;
    let err = Client::builder()
        .api_key(API_KEY)
        .base_url(server.url())
        .build()
        .unwrap()
        .wait_for_import_job(&Target::cluster(CLUSTER), "", fast_wait())
        .await
        .unwrap_err();
    assert_invalid_input(err.request_error().expect("invalid input"), "jobId");
    assert_eq!(server.requests_received(), 0);
}

/// A wait that polls through failures until its deadline ends as a timeout
/// (a wait only reads: no request is in doubt), and says why no progress
/// came: the failure of its last poll. On tokio's paused clock, so the
/// deadline always leaves room for several polls.
#[tokio::test(start_paused = true)]
async fn a_timed_out_wait_carries_its_last_failed_poll() {
    let server = FaultyServer::start(vec![Fault::text(500, "text/plain", "oops", &[])]).await;
    let options = WaitOptions::default()
        .interval(ms(5), ms(10))
        .deadline(ms(300))
        .max_poll_failures(1_000);
    let err = client_with(server.url(), RetryPolicy::none())
        .wait_for_import_job(&Target::cluster(CLUSTER), JOB_ID, options)
        .await
        .unwrap_err();
    let WaitError::TimedOut {
        last, last_error, ..
    } = &err
    else {
        panic!("expected TimedOut, got {err:?}");
    };
    assert!(last.is_none(), "{last:?}");
    assert_http(last_error.as_deref().expect("the polls failed"), 500, 1);
    assert!(err.request_error().is_none());
    assert!(
        err.to_string()
            .contains("; no progress was seen; the last poll failed: unexpected HTTP status 500"),
        "{err}"
    );
    assert!(server.requests_received() >= 2);
}
