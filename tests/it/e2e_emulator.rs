//! The client against the emulator, end to end, for every operation, including
//! the failure and idempotency paths.
//!
//! Timing-sensitive tests use the emulator's manual clock, so a job's state
//! is a pure function of how far the test advanced it: no sleeps, no flakes.

use std::{
    collections::HashSet,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use crate::common::{
    ACCESS_KEY, API_KEY, CLUSTER, COLLECTION, CREATE_PATH, DESCRIBE_PATH, JOB_DURATION, LIST_PATH,
    OBJECT_URL, OBJECT_URL_GROUPS, OTHER_CLUSTER, PRESIGNED_QUERY, SECRET_KEY, SEED_FILE, SEED_URL,
    SESSION_TOKEN, SIGNATURE, api_fields, assert_invalid_input, assert_took, owned, recording,
    recording_then, seed_job,
};
use crate::emulator_env::sent_to;
use futures::TryStreamExt;
use serde_json::{Value, json};
use zilliz_import::ErrorKind;
use zilliz_import::Target;
use zilliz_import::{
    Client, CreateImportJob, CreatedImportJob, Delivery, ImportJobPage, ImportProgress,
    ImportState, ListImportJobs, RetryPolicy, WaitError, WaitOptions, WalkError,
};
use zilliz_import_emulator::{Emulator, EmulatorHandle, JobState};

async fn start() -> EmulatorHandle {
    Emulator::builder()
        .api_key(API_KEY)
        .cluster_ids([CLUSTER, OTHER_CLUSTER])
        .job_duration(JOB_DURATION)
        .fail_when_url_contains("broken")
        .manual_clock()
        .start()
        .await
        .expect("emulator starts")
}

fn client(h: &EmulatorHandle) -> Client {
    client_with_key(h, API_KEY)
}

fn client_with_key(h: &EmulatorHandle, key: &str) -> Client {
    Client::builder()
        .api_key(key)
        .base_url(h.base_url())
        .retry(RetryPolicy::none())
        .build()
        .expect("client builds")
}

fn fast_wait() -> WaitOptions {
    WaitOptions::default()
        .interval(Duration::from_millis(1), Duration::from_millis(4))
        .deadline(Duration::from_secs(20))
}

/// Creates a job importing `url` into collection `coll`, which must succeed.
async fn create_coll(c: &Client, url: &str) -> CreatedImportJob {
    c.create_import_job(CreateImportJob::new(CLUSTER, "coll", url))
        .await
        .unwrap()
}

/// Lists what `request` asks for, which must succeed.
async fn list(c: &Client, request: ListImportJobs) -> ImportJobPage {
    c.list_import_jobs(&request).await.unwrap()
}

/// Describes `job_id` in [`CLUSTER`], which must succeed.
async fn describe(c: &Client, job_id: &str) -> ImportProgress {
    c.describe_import_job(&Target::cluster(CLUSTER), job_id)
        .await
        .unwrap()
}

/// Seconds since the epoch of `2024-04-01T06:17:55Z`-shaped text.
fn parse_rfc3339(s: &str) -> u64 {
    assert_eq!(s.len(), 20, "{s:?}");
    let b = s.as_bytes();
    assert_eq!(
        (b[4], b[7], b[10], b[13], b[16], b[19]),
        (b'-', b'-', b'T', b':', b':', b'Z'),
        "{s:?}"
    );
    epoch_secs(humantime::parse_rfc3339(s).expect("RFC 3339"))
}

fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

// ---------------------------------------------------------------- lifecycle

#[tokio::test]
async fn create_describe_advance_complete_with_exact_fields() {
    let before = SystemTime::now();
    let h = start().await;
    let after = SystemTime::now();
    let c = client(&h);

    let created = c.create_import_job(seed_job()).await.unwrap();
    assert_eq!(created.idempotency_key, None);
    assert!(
        created
            .request_id
            .as_deref()
            .is_some_and(|id| id.len() == 32)
    );
    let jobs = h.jobs();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(created.job_id, job.job_id);
    assert_eq!(created.job_id.len(), 18);
    assert!(created.job_id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(job.cluster_id, CLUSTER);
    assert_eq!(job.collection_name, COLLECTION);
    assert_eq!(job.db_name, "default");
    assert_eq!(job.partition_name, "");
    assert_eq!(job.object_urls, vec![SEED_URL.to_owned()]);
    assert_eq!(job.file_name, SEED_FILE);
    assert!(job.total_rows >= 1_000);

    // t = 0: Pending.
    let p = describe(&c, &created.job_id).await;
    assert_eq!(p.job_id, created.job_id);
    assert_eq!(p.collection_name.as_deref(), Some(COLLECTION));
    assert_eq!(p.file_name.as_deref(), Some(SEED_FILE));
    assert_eq!(p.file_size, Some(job.file_size));
    assert_eq!(p.state, ImportState::Pending);
    assert_eq!(p.progress, 0);
    assert_eq!(p.total_rows, Some(0), "0 rows are reported until Completed");
    assert_eq!(p.complete_time, None);
    assert_eq!(p.reason, None);
    assert_eq!(p.details.len(), 1);
    assert_eq!(p.details[0].file_name.as_deref(), Some(SEED_FILE));
    assert_eq!(p.details[0].file_size, Some(job.file_size));
    assert_eq!(p.details[0].state, ImportState::Pending);
    assert_eq!(p.details[0].complete_time, None);
    assert_eq!(p.details[0].reason, None);

    // t = 5.5 s: Importing, halfway through the importing span.
    h.advance(Duration::from_millis(5_500));
    let p = describe(&c, &created.job_id).await;
    assert_eq!(p.state, ImportState::Importing);
    assert_eq!(p.progress, 50);
    assert_eq!(p.total_rows, Some(0));
    assert_eq!(p.complete_time, None);
    assert_eq!(p.details[0].state, ImportState::Importing);
    assert_eq!(p.details[0].progress, 50);

    // t = 9.999 s: still importing, capped at 99.
    h.advance(Duration::from_millis(4_499));
    let p = describe(&c, &created.job_id).await;
    assert_eq!((p.state.clone(), p.progress), (ImportState::Importing, 99));
    assert_eq!(p.complete_time, None);

    // t = 10 s: Completed.
    h.advance(Duration::from_millis(1));
    let p = describe(&c, &created.job_id).await;
    assert_eq!(p.state, ImportState::Completed);
    assert_eq!(p.progress, 100);
    assert_eq!(p.total_rows, Some(job.total_rows));
    assert_eq!(p.reason, None);
    assert_eq!(p.file_name.as_deref(), Some(SEED_FILE));
    let done = p.complete_time.as_deref().expect("completeTime once done");
    let at = parse_rfc3339(done);
    assert!(
        at >= epoch_secs(before) + 10 && at <= epoch_secs(after) + 10,
        "{done} is not start + 10 s"
    );
    assert_eq!(p.details[0].state, ImportState::Completed);
    assert_eq!(p.details[0].progress, 100);
    assert_eq!(p.details[0].total_rows, Some(job.total_rows));
    assert_eq!(p.details[0].complete_time.as_deref(), Some(done));

    let jobs = h.jobs();
    assert_eq!(jobs[0].state, JobState::Completed);
    assert_eq!(jobs[0].finished_at, Some(JOB_DURATION));

    // Exactly one create and four describes went over the wire, all authorised.
    let reqs = h.requests();
    let paths: Vec<&str> = reqs.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            CREATE_PATH,
            DESCRIBE_PATH,
            DESCRIBE_PATH,
            DESCRIBE_PATH,
            DESCRIBE_PATH
        ]
    );
    assert!(
        reqs.iter()
            .all(|r| r.authorized && r.status == 200 && r.code == 0)
    );
    assert_eq!(
        reqs[1].body,
        json!({"clusterId": CLUSTER, "jobId": created.job_id})
    );
}

#[tokio::test]
async fn wait_reports_an_exact_non_decreasing_sequence_ending_at_completed_100() {
    let h = Arc::new(start().await);
    let c = client(&h);
    let created = c.create_import_job(seed_job()).await.unwrap();

    // Each report moves the emulator 2 s on, so every poll sees a new state:
    // the sequence is fixed by the job's progress curve, not by timing.
    let h2 = Arc::clone(&h);
    let (options, seen) = recording_then(fast_wait(), move || h2.advance(Duration::from_secs(2)));
    let done = c
        .wait_for_import_job(&Target::cluster(CLUSTER), &created.job_id, options)
        .await
        .unwrap()
        .completed()
        .expect("completed");

    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            (ImportState::Pending, 0),
            (ImportState::Importing, 11),
            (ImportState::Importing, 33),
            (ImportState::Importing, 55),
            (ImportState::Importing, 77),
            (ImportState::Completed, 100),
        ]
    );
    assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1));
    assert_eq!(done.state, ImportState::Completed);
    assert_eq!(done.progress, 100);
    assert_eq!(done.job_id, created.job_id);
    assert_eq!(done.total_rows, Some(h.jobs()[0].total_rows));
    assert!(done.complete_time.is_some());
    // One describe per report: nothing polled after Completed.
    assert_eq!(sent_to(&h, DESCRIBE_PATH).len(), 6);
}

#[tokio::test]
async fn wait_with_a_real_clock_completes_and_reports_monotonically() {
    let h = Emulator::builder()
        .api_key(API_KEY)
        .cluster_ids([CLUSTER])
        .job_duration(Duration::from_millis(600))
        .start()
        .await
        .unwrap();
    let c = client(&h);
    let created = c.create_import_job(seed_job()).await.unwrap();
    let (options, seen) = recording(fast_wait());
    let done = c
        .wait_for_import_job(&Target::cluster(CLUSTER), &created.job_id, options)
        .await
        .unwrap()
        .completed()
        .expect("completed");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(done.state, ImportState::Completed);
    assert_eq!(seen.last(), Some(&(ImportState::Completed, 100)));
    assert!(seen.len() >= 2, "{seen:?}");
    // Strictly: each report raises the percent or changes the state.
    for w in seen.windows(2) {
        assert!(w[0].1 <= w[1].1, "{seen:?}");
        assert!(w[0] != w[1], "{seen:?}");
    }
    assert_eq!(
        seen.iter()
            .filter(|(s, _)| *s == ImportState::Completed)
            .count(),
        1
    );
}

/// On tokio's paused clock as well as the emulator's manual one: the
/// deadline always leaves room for many polls.
#[tokio::test(start_paused = true)]
async fn wait_times_out_on_a_stuck_job_reporting_once() {
    let h = start().await; // the manual clock never moves
    let c = client(&h);
    let created = c.create_import_job(seed_job()).await.unwrap();
    let (options, calls) = recording(
        WaitOptions::default()
            .interval(Duration::from_millis(1), Duration::from_millis(2))
            .deadline(Duration::from_millis(150)),
    );
    let err = c
        .wait_for_import_job(&Target::cluster(CLUSTER), &created.job_id, options)
        .await
        .unwrap_err();
    let WaitError::TimedOut {
        waited,
        last,
        last_error,
        ..
    } = &err
    else {
        panic!("expected TimedOut, got {err:?}");
    };
    assert!(last_error.is_none(), "no poll failed: {last_error:?}");
    assert_took(*waited, Duration::from_millis(150));
    let last = last.as_deref().expect("a poll succeeded");
    assert_eq!(
        (last.state.clone(), last.progress),
        (ImportState::Pending, 0)
    );
    assert_eq!(last.job_id, created.job_id);
    // A wait only reads: its timeout is not a request in doubt.
    assert!(err.request_error().is_none());
    // Many polls, one report: nothing changed after the first.
    assert!(sent_to(&h, DESCRIBE_PATH).len() >= 3);
    assert_eq!(*calls.lock().unwrap(), [(ImportState::Pending, 0)]);
}

// ------------------------------------------------------------------ failures

#[tokio::test]
async fn a_failing_job_describes_as_failed_and_wait_returns_import_failed() {
    let h = start().await;
    let c = client(&h);
    let url = "s3://bucket/broken/part-0001.parquet";
    let created = create_coll(&c, url).await;
    let reason = format!("failed to read object {url}: access denied (emulated failure)");

    h.advance(Duration::from_millis(4_999));
    let p = describe(&c, &created.job_id).await;
    assert_eq!(p.state, ImportState::Importing);
    assert_eq!(p.reason, None);

    h.advance(Duration::from_millis(1));
    let p = describe(&c, &created.job_id).await;
    assert_eq!(p.state, ImportState::Failed);
    assert_eq!(p.progress, 44);
    assert_eq!(p.reason.as_deref(), Some(reason.as_str()));
    assert_eq!(p.total_rows, Some(0));
    assert!(
        p.complete_time.is_some(),
        "the emulator stamps the failure time"
    );
    assert_eq!(p.file_name.as_deref(), Some("broken/part-0001.parquet"));
    assert_eq!(p.details[0].state, ImportState::Failed);
    assert_eq!(p.details[0].reason.as_deref(), Some(reason.as_str()));

    let (options, seen) = recording(fast_wait());
    let err = c
        .wait_for_import_job(&Target::cluster(CLUSTER), &created.job_id, options)
        .await
        .unwrap_err();
    match &err {
        WaitError::JobFailed {
            reason: r,
            progress,
            ..
        } => {
            assert_eq!(r, &reason);
            assert_eq!(progress.state, ImportState::Failed);
            assert_eq!(progress.progress, 44);
            assert_eq!(progress.job_id, created.job_id);
        }
        other => panic!("expected ImportFailed, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        format!("import job {} failed: {reason}", created.job_id)
    );
    assert!(err.request_error().is_none());
    assert_eq!(*seen.lock().unwrap(), [(ImportState::Failed, 44)]);
}

#[tokio::test]
async fn wait_follows_a_job_to_failure_with_the_manual_clock() {
    let h = Arc::new(start().await);
    let c = client(&h);
    let created = c
        .create_import_job(CreateImportJob::with_object_urls(
            CLUSTER,
            "coll",
            [vec!["s3://b/ok.parquet"], vec!["s3://b/broken.parquet"]],
        ))
        .await
        .unwrap();
    let h2 = Arc::clone(&h);
    let (options, seen) = recording_then(fast_wait(), move || h2.advance(Duration::from_secs(2)));
    let err = c
        .wait_for_import_job(&Target::cluster(CLUSTER), &created.job_id, options)
        .await
        .unwrap_err();
    // 0 s Pending, 2 s 11 %, 4 s 33 %, 6 s Failed at the 5 s mark (44 %).
    assert_eq!(
        *seen.lock().unwrap(),
        [
            (ImportState::Pending, 0),
            (ImportState::Importing, 11),
            (ImportState::Importing, 33),
            (ImportState::Failed, 44),
        ]
    );
    let WaitError::JobFailed {
        reason, progress, ..
    } = err
    else {
        panic!("expected ImportFailed, got {err:?}")
    };
    assert_eq!(
        reason,
        "failed to read object s3://b/broken.parquet: access denied (emulated failure)"
    );
    assert_eq!(
        progress.file_name.as_deref(),
        Some("ok.parquet,broken.parquet")
    );
    assert_eq!(progress.details.len(), 2);
    assert_eq!(progress.details[0].reason, None);
    assert_eq!(progress.details[1].reason.as_deref(), Some(reason.as_str()));
}

#[tokio::test]
async fn a_failed_presigned_import_does_not_leak_the_signature_into_the_error() {
    let h = start().await;
    let c = client(&h);
    let url = format!("https://bucket.s3.amazonaws.com/broken/a.parquet?{PRESIGNED_QUERY}");
    let created = create_coll(&c, &url).await;
    h.advance(JOB_DURATION);
    let err = c
        .wait_for_import_job(&Target::cluster(CLUSTER), &created.job_id, fast_wait())
        .await
        .unwrap_err();
    assert!(matches!(err, WaitError::JobFailed { .. }), "{err:?}");
    assert!(!err.to_string().contains(SIGNATURE), "Display leaks: {err}");
    assert!(
        !format!("{err:?}").contains(SIGNATURE),
        "Debug leaks: {err:?}"
    );
}

#[tokio::test]
async fn a_wrong_api_key_is_api_error_21119_with_http_401_on_every_operation() {
    let h = start().await;
    let good = client(&h);
    let created = good.create_import_job(seed_job()).await.unwrap();
    // Default retries: an API error must still be answered after one attempt.
    let bad = Client::builder()
        .api_key("not-the-key")
        .base_url(h.base_url())
        .retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
        )
        .build()
        .unwrap();
    let before = h.requests().len();

    let errors = [
        bad.create_import_job(seed_job()).await.unwrap_err(),
        bad.describe_import_job(&Target::cluster(CLUSTER), &created.job_id)
            .await
            .unwrap_err(),
        bad.list_import_jobs(&ListImportJobs::new(CLUSTER))
            .await
            .unwrap_err(),
    ];
    for e in &errors {
        let (code, message, status, request_id, attempts) = api_fields(e);
        assert_eq!(
            (code, message, status, attempts),
            (21119, "The apikey is illegal.", 401, 1)
        );
        assert!(request_id.is_some());
        assert_eq!(e.api_code(), Some(21119));
        assert_eq!(e.status(), Some(401));
        assert_eq!(e.delivery(), Delivery::Received);
        assert!(!format!("{e:?}{e}").contains("not-the-key"));
    }
    let reqs = h.requests();
    assert_eq!(reqs.len(), before + 3, "an API error is not retried");
    assert!(
        reqs[before..]
            .iter()
            .all(|r| !r.authorized && r.status == 401 && r.code == 21119)
    );
    assert_eq!(h.job_count(), 1, "the unauthorised create made nothing");
}

#[tokio::test]
async fn an_unknown_cluster_is_96018_on_every_operation() {
    let h = start().await;
    let c = client(&h);
    let errors = [
        c.create_import_job(CreateImportJob::new("in01-nope", "coll", SEED_URL))
            .await
            .unwrap_err(),
        c.describe_import_job(&Target::cluster("in01-nope"), "448700000000000000")
            .await
            .unwrap_err(),
        c.list_import_jobs(&ListImportJobs::new("in01-nope"))
            .await
            .unwrap_err(),
    ];
    for e in &errors {
        let (code, message, status, _, attempts) = api_fields(e);
        assert_eq!((code, status, attempts), (96018, 200, 1));
        assert_eq!(
            message,
            "cluster not found: clusterId 'in01-nope' does not exist"
        );
    }
    assert_eq!(h.job_count(), 0);
    assert_eq!(h.requests().len(), 3);
}

#[tokio::test]
async fn an_unknown_job_is_96026_including_a_job_of_another_cluster() {
    let h = start().await;
    let c = client(&h);
    let created = c.create_import_job(seed_job()).await.unwrap();
    let e = c
        .describe_import_job(&Target::cluster(CLUSTER), "448799999999999999")
        .await
        .unwrap_err();
    let (code, message, status, ..) = api_fields(&e);
    assert_eq!((code, status), (96026, 200));
    assert_eq!(
        message,
        format!("job not found: jobId '448799999999999999' does not exist in cluster '{CLUSTER}'")
    );
    assert_eq!(e.attempts(), 1);

    let e = c
        .describe_import_job(&Target::cluster(OTHER_CLUSTER), &created.job_id)
        .await
        .unwrap_err();
    assert_eq!(e.api_code(), Some(96026), "{e:?}");

    // wait stops at once on the lasting error.
    let e = c
        .wait_for_import_job(&Target::cluster(CLUSTER), "448799999999999999", fast_wait())
        .await
        .unwrap_err();
    let e = e
        .request_error()
        .expect("a request's failure ended the wait");
    assert_eq!(e.api_code(), Some(96026), "{e:?}");
    assert_eq!(sent_to(&h, DESCRIBE_PATH).len(), 3);
}

// ------------------------------------------------------------------- listing

async fn create_n(c: &Client, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let job = CreateImportJob::new(
            CLUSTER,
            format!("coll_{i:02}"),
            format!("s3://bucket/f{i}.parquet"),
        );
        ids.push(c.create_import_job(job).await.unwrap().job_id);
    }
    ids
}

#[tokio::test]
async fn list_pages_have_exact_sizes_and_creation_order() {
    let h = start().await;
    let c = client(&h);
    let ids = create_n(&c, 25).await;
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 25);

    for (page, expect) in [(1u32, 0..10), (2, 10..20), (3, 20..25), (4, 25..25)] {
        let p = list(&c, ListImportJobs::new(CLUSTER).page_size(10).page(page)).await;
        assert_eq!(p.count, Some(25));
        assert_eq!(p.current_page, Some(i64::from(page)));
        assert_eq!(p.page_size, Some(10));
        let got: Vec<&str> = p.records.iter().map(|r| r.job_id.as_str()).collect();
        let want: Vec<&str> = ids[expect.clone()].iter().map(String::as_str).collect();
        assert_eq!(got, want, "page {page}");
        for (r, i) in p.records.iter().zip(expect) {
            assert_eq!(
                r.collection_name.as_deref(),
                Some(format!("coll_{i:02}").as_str())
            );
            assert_eq!((r.state.clone(), r.progress), (ImportState::Pending, 0));
        }
    }

    // Default request: page 1 of 10.
    let p = list(&c, ListImportJobs::new(CLUSTER)).await;
    assert_eq!(p.records.len(), 10);
    let last = sent_to(&h, LIST_PATH).pop().unwrap();
    assert_eq!(
        last.body,
        json!({"clusterId": CLUSTER, "pageSize": 10, "currentPage": 1})
    );

    // The largest page holds all; page size 1 holds one.
    let all = list(&c, ListImportJobs::new(CLUSTER).page_size(100)).await;
    assert_eq!(all.records.len(), 25);
    let one = list(&c, ListImportJobs::new(CLUSTER).page_size(1).page(25)).await;
    assert_eq!(one.records.len(), 1);
    assert_eq!(one.records[0].job_id, ids[24]);

    // The list names Importing `InProgress`; the client reads it as Importing.
    h.advance(Duration::from_millis(5_500));
    let p = list(&c, ListImportJobs::new(CLUSTER)).await;
    assert!(
        p.records
            .iter()
            .all(|r| r.state == ImportState::Importing && r.progress == 50)
    );
    h.advance(JOB_DURATION);
    let p = list(&c, ListImportJobs::new(CLUSTER)).await;
    assert!(
        p.records
            .iter()
            .all(|r| r.state == ImportState::Completed && r.progress == 100)
    );
}

#[tokio::test]
async fn list_all_walks_3_pages_of_10_10_5_with_every_job_once() {
    let h = start().await;
    let c = client(&h);
    let ids = create_n(&c, 25).await;
    let before = sent_to(&h, LIST_PATH).len();

    let pages: Vec<_> = c
        .list_all_import_jobs(ListImportJobs::new(CLUSTER).page_size(10))
        .try_collect()
        .await
        .unwrap();
    let sizes: Vec<usize> = pages.iter().map(|p| p.records.len()).collect();
    assert_eq!(sizes, [10, 10, 5]);
    let pages_seen: Vec<Option<i64>> = pages.iter().map(|p| p.current_page).collect();
    assert_eq!(pages_seen, [Some(1), Some(2), Some(3)]);
    let listed: Vec<String> = pages
        .iter()
        .flat_map(|p| p.records.iter().map(|r| r.job_id.clone()))
        .collect();
    assert_eq!(listed, ids, "every job exactly once, in creation order");
    // The short third page ends the walk: no fourth request.
    let sent = sent_to(&h, LIST_PATH);
    assert_eq!(sent.len() - before, 3);
    let asked: Vec<&Value> = sent[before..]
        .iter()
        .map(|r| &r.body["currentPage"])
        .collect();
    assert_eq!(asked, [&json!(1), &json!(2), &json!(3)]);
}

#[tokio::test]
async fn list_all_on_an_exact_multiple_stops_at_the_reported_total() {
    let h = start().await;
    let c = client(&h);
    let ids = create_n(&c, 20).await;
    let pages: Vec<_> = c
        .list_all_import_jobs(ListImportJobs::new(CLUSTER).page_size(10))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        pages.iter().map(|p| p.records.len()).collect::<Vec<_>>(),
        [10, 10]
    );
    let listed: Vec<String> = pages
        .iter()
        .flat_map(|p| p.records.iter().map(|r| r.job_id.clone()))
        .collect();
    assert_eq!(listed, ids);
    // The emulator's `count` is the total (20): no empty third page is asked for.
    assert_eq!(sent_to(&h, LIST_PATH).len(), 2, "pages 1 and 2");
}

#[tokio::test]
async fn list_all_of_an_empty_cluster_yields_one_empty_page_and_errors_end_the_stream() {
    let h = start().await;
    let c = client(&h);
    let pages: Vec<_> = c
        .list_all_import_jobs(ListImportJobs::new(CLUSTER))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert!(pages[0].records.is_empty());
    assert_eq!(pages[0].count, Some(0));

    let items: Vec<Result<_, WalkError>> =
        futures::StreamExt::collect(c.list_all_import_jobs(ListImportJobs::new("in01-nope"))).await;
    assert_eq!(items.len(), 1);
    let e = items[0].as_ref().unwrap_err().request_error().unwrap();
    assert_eq!(e.api_code(), Some(96018));
}

#[tokio::test]
async fn list_filters_by_database() {
    let h = start().await;
    let c = client(&h);
    let a = c
        .create_import_job(CreateImportJob::new(CLUSTER, "c", OBJECT_URL).database("db_a"))
        .await
        .unwrap();
    c.create_import_job(CreateImportJob::new(CLUSTER, "c", "s3://b/b.json"))
        .await
        .unwrap();
    let p = list(&c, ListImportJobs::new(CLUSTER).database("db_a")).await;
    assert_eq!(p.count, Some(1));
    assert_eq!(p.records.len(), 1);
    assert_eq!(p.records[0].job_id, a.job_id);
    assert_eq!(sent_to(&h, LIST_PATH)[0].body["dbName"], json!("db_a"));
    let p = list(&c, ListImportJobs::new(CLUSTER)).await;
    assert_eq!(p.records.len(), 2);
}

// --------------------------------------------------------------- idempotency

#[tokio::test]
async fn the_same_explicit_key_twice_returns_the_same_job() {
    let h = start().await;
    let c = client(&h);
    let job = seed_job().idempotency_key("order-42-import");
    let first = c.create_import_job(job.clone()).await.unwrap();
    let second = c.create_import_job(job).await.unwrap();
    assert_eq!(first.job_id, second.job_id);
    assert_eq!(first.idempotency_key.as_deref(), Some("order-42-import"));
    assert_eq!(second.idempotency_key.as_deref(), Some("order-42-import"));
    assert_eq!(h.job_count(), 1);
    let creates = sent_to(&h, CREATE_PATH);
    assert_eq!(creates.len(), 2);
    assert!(
        creates
            .iter()
            .all(|r| r.idempotency_key.as_deref() == Some("order-42-import"))
    );
    assert_eq!(
        h.jobs()[0].idempotency_key.as_deref(),
        Some("order-42-import")
    );

    // The key is scoped to the collection: another collection gets a new job.
    let third = c
        .create_import_job(
            CreateImportJob::new(CLUSTER, "other", SEED_URL).idempotency_key("order-42-import"),
        )
        .await
        .unwrap();
    assert_ne!(third.job_id, first.job_id);
    assert_eq!(h.job_count(), 2);
    // And a different key on the first collection does too.
    let fourth = c
        .create_import_job(seed_job().idempotency_key("order-43-import"))
        .await
        .unwrap();
    assert_ne!(fourth.job_id, first.job_id);
    assert_eq!(h.job_count(), 3);
}

#[tokio::test]
async fn a_generated_key_is_sent_and_reported_and_fresh_per_call() {
    let h = start().await;
    let c = client(&h);
    let job = seed_job().generate_idempotency_key();
    let a = c.create_import_job(job.clone()).await.unwrap();
    let b = c.create_import_job(job).await.unwrap();
    let (ka, kb) = (
        a.idempotency_key.clone().unwrap(),
        b.idempotency_key.clone().unwrap(),
    );
    assert_eq!(ka.len(), 36, "a UUID: {ka}");
    assert!(uuid::Uuid::parse_str(&ka).is_ok());
    assert_ne!(ka, kb, "a fresh key per call");
    assert_ne!(a.job_id, b.job_id);
    let sent: Vec<Option<String>> = sent_to(&h, CREATE_PATH)
        .into_iter()
        .map(|r| r.idempotency_key)
        .collect();
    assert_eq!(sent, [Some(ka.clone()), Some(kb)]);
    assert_eq!(h.jobs()[0].idempotency_key, Some(ka));
    assert_eq!(h.job_count(), 2);

    // Without a key, no header at all.
    let none = c.create_import_job(seed_job()).await.unwrap();
    assert_eq!(none.idempotency_key, None);
    assert_eq!(sent_to(&h, CREATE_PATH)[2].idempotency_key, None);
    assert_eq!(h.job_count(), 3);
}

#[tokio::test]
async fn a_key_reused_after_24_hours_starts_a_new_job() {
    let h = start().await;
    let c = client(&h);
    let job = seed_job().idempotency_key("daily");
    let first = c.create_import_job(job.clone()).await.unwrap();
    h.advance(Duration::from_secs(24 * 3600 - 1));
    assert_eq!(
        c.create_import_job(job.clone()).await.unwrap().job_id,
        first.job_id
    );
    h.advance(Duration::from_secs(1));
    let later = c.create_import_job(job).await.unwrap();
    assert_ne!(later.job_id, first.job_id);
    assert_eq!(h.job_count(), 2);
}

// ----------------------------------------------------------- request bodies

#[tokio::test]
async fn object_url_groups_partition_database_and_credentials_round_trip_redacted() {
    let h = start().await;
    let c = client(&h);
    let groups = owned(&OBJECT_URL_GROUPS);
    let created = c
        .create_import_job(
            CreateImportJob::with_object_urls(CLUSTER, "coll", groups.clone())
                .partition("p2024")
                .database("analytics")
                .storage_credentials(ACCESS_KEY, SECRET_KEY)
                .session_token(SESSION_TOKEN),
        )
        .await
        .unwrap();

    let creates = sent_to(&h, CREATE_PATH);
    assert_eq!(creates.len(), 1);
    assert_eq!(
        creates[0].body,
        json!({
            "clusterId": CLUSTER,
            "collectionName": "coll",
            "partitionName": "p2024",
            "dbName": "analytics",
            "objectUrls": groups,
            "accessKey": "<redacted>",
            "secretKey": "<redacted>",
            "token": "<redacted>",
        })
    );
    let all = format!("{:?}", h.requests());
    for secret in [SECRET_KEY, SESSION_TOKEN, ACCESS_KEY, API_KEY] {
        assert!(!all.contains(secret), "{secret} recorded: {all}");
    }

    let job = &h.jobs()[0];
    assert_eq!(job.job_id, created.job_id);
    assert_eq!(job.partition_name, "p2024");
    assert_eq!(job.db_name, "analytics");
    assert_eq!(job.object_urls, OBJECT_URL_GROUPS.concat());
    assert_eq!(job.file_name, "g1/id.npy,g1/vec.npy,g2/c.parquet");

    let p = describe(&c, &created.job_id).await;
    assert_eq!(
        p.file_name.as_deref(),
        Some("g1/id.npy,g1/vec.npy,g2/c.parquet")
    );
    let names: Vec<_> = p
        .details
        .iter()
        .map(|d| d.file_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["g1/id.npy", "g1/vec.npy", "g2/c.parquet"]);
    assert_eq!(
        p.details.iter().map(|d| d.file_size.unwrap()).sum::<i64>(),
        p.file_size.unwrap()
    );
}

#[tokio::test]
async fn a_single_object_url_is_sent_as_object_url_without_credentials() {
    let h = start().await;
    let c = client(&h);
    c.create_import_job(seed_job()).await.unwrap();
    // Unset optional fields are left out, not sent as null or "".
    assert_eq!(
        sent_to(&h, CREATE_PATH)[0].body,
        json!({"clusterId": CLUSTER, "collectionName": COLLECTION, "objectUrl": SEED_URL})
    );
}

#[tokio::test]
async fn user_agent_and_content_type_as_the_emulator_recorded_them() {
    let h = start().await;
    let c = client(&h);
    let created = c.create_import_job(seed_job()).await.unwrap();
    describe(&c, &created.job_id).await;
    c.list_import_jobs(&ListImportJobs::new(CLUSTER))
        .await
        .unwrap();
    let reqs = h.requests();
    assert_eq!(reqs.len(), 3);
    let ua = concat!("zilliz-import/", env!("CARGO_PKG_VERSION"));
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.user_agent.as_deref(), Some(ua), "{}", r.path);
        assert_eq!(
            r.content_type.as_deref(),
            Some("application/json"),
            "{}",
            r.path
        );
        assert!(r.authorized);
    }

    let custom = Client::builder()
        .api_key(API_KEY)
        .base_url(h.base_url())
        .user_agent("my-loader/2.1")
        .build()
        .unwrap();
    custom
        .list_import_jobs(&ListImportJobs::new(CLUSTER))
        .await
        .unwrap();
    assert_eq!(h.requests()[3].user_agent.as_deref(), Some("my-loader/2.1"));
}

// ---------------------------------------------------------------- validation

#[tokio::test]
async fn invalid_input_sends_nothing() {
    let h = start().await;
    let c = client(&h);
    let long_key = "k".repeat(257);
    let cases: Vec<(CreateImportJob, &str)> = vec![
        (CreateImportJob::new("", "coll", SEED_URL), "clusterId"),
        (CreateImportJob::new("   ", "coll", SEED_URL), "clusterId"),
        (
            CreateImportJob::new(CLUSTER, " ", SEED_URL),
            "collectionName",
        ),
        (seed_job().partition(""), "partitionName"),
        (seed_job().database(" "), "dbName"),
        (
            CreateImportJob::new(CLUSTER, "coll", "not a url"),
            "objectUrl",
        ),
        (
            CreateImportJob::new(CLUSTER, "coll", "file:///tmp/x.json"),
            "objectUrl",
        ),
        (
            CreateImportJob::with_object_urls(CLUSTER, "coll", Vec::<Vec<String>>::new()),
            "objectUrls",
        ),
        (
            CreateImportJob::with_object_urls(CLUSTER, "coll", [vec![OBJECT_URL], vec![]]),
            "objectUrls",
        ),
        (
            CreateImportJob::with_object_urls(CLUSTER, "coll", [[OBJECT_URL, "nope"]]),
            "objectUrls",
        ),
        (seed_job().access_key(ACCESS_KEY), "secretKey"),
        (seed_job().secret_key("SECRET-ONLY-1234"), "accessKey"),
        (seed_job().session_token("TOKEN-ONLY-1234"), "token"),
        (seed_job().idempotency_key(""), "Idempotency-Key"),
        (seed_job().idempotency_key(long_key), "Idempotency-Key"),
        (seed_job().idempotency_key("clé"), "Idempotency-Key"),
        (seed_job().idempotency_key(" padded"), "Idempotency-Key"),
        (seed_job().idempotency_key("line\nbreak"), "Idempotency-Key"),
    ];
    for (job, field) in cases {
        let shown = format!("{job:?}");
        let e = c.create_import_job(job).await.unwrap_err();
        match e.kind() {
            ErrorKind::InvalidInput { field: f, .. } => assert_eq!(*f, field, "{shown}"),
            other => panic!("{shown}: expected InvalidInput({field}), got {other:?}"),
        }
        assert_eq!(e.delivery(), Delivery::NotSent);
        assert_eq!(e.attempts(), 0);
        assert!(!e.to_string().contains("SECRET-ONLY-1234"));
    }
    // A key of exactly 256 bytes is fine (checked below by sending it).
    let list_cases = [
        (ListImportJobs::new(CLUSTER).page_size(0), "pageSize"),
        (ListImportJobs::new(CLUSTER).page_size(101), "pageSize"),
        (ListImportJobs::new(CLUSTER).page(0), "currentPage"),
        (ListImportJobs::new(" "), "clusterId"),
    ];
    for (req, field) in list_cases {
        let e = c.list_import_jobs(&req).await.unwrap_err();
        assert_invalid_input(&e, field);
        let e = futures::StreamExt::collect::<Vec<_>>(c.list_all_import_jobs(req.clone())).await;
        assert_eq!(e.len(), 1);
        assert!(matches!(&e[0], Err(WalkError::Request(e))
                if matches!(e.kind(), ErrorKind::InvalidInput { field: f, .. } if *f == field)));
    }
    for (cluster, job, field) in [
        ("", "1", "clusterId"),
        (CLUSTER, "", "jobId"),
        (CLUSTER, "  ", "jobId"),
    ] {
        let e = c
            .describe_import_job(&Target::cluster(cluster), job)
            .await
            .unwrap_err();
        assert_invalid_input(&e, field);
        let e = c
            .wait_for_import_job(&Target::cluster(cluster), job, fast_wait())
            .await
            .unwrap_err();
        assert_invalid_input(e.request_error().expect("invalid input"), field);
    }
    assert_eq!(h.requests().len(), 0, "nothing was sent");
    assert_eq!(h.job_count(), 0);

    // The limits themselves are accepted.
    let max_key = "k".repeat(256);
    let ok = c
        .create_import_job(seed_job().idempotency_key(max_key.clone()))
        .await
        .unwrap();
    assert_eq!(ok.idempotency_key.as_deref(), Some(max_key.as_str()));
    c.list_import_jobs(&ListImportJobs::new(CLUSTER).page_size(100))
        .await
        .unwrap();
    c.list_import_jobs(&ListImportJobs::new(CLUSTER).page_size(1))
        .await
        .unwrap();
    assert_eq!(h.requests().len(), 3);
    assert_eq!(
        h.requests()[0].idempotency_key.as_deref(),
        Some(max_key.as_str())
    );
}

// ----------------------------------------------------------------------- raw

#[tokio::test]
async fn the_raw_generated_client_talks_to_the_emulator_without_the_envelope_check() {
    use zilliz_import::generated::{self, types};
    let h = start().await;
    let c = client(&h);
    let created = c.create_import_job(seed_job()).await.unwrap();

    let ok = c
        .raw()
        .describe_import_job()
        .body(
            types::DescribeImportJobRequest::builder()
                .cluster_id(CLUSTER.to_owned())
                .job_id(created.job_id.clone()),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ok.code, generated::Code::Int64(0));
    let data = ok.data.unwrap();
    assert_eq!(data.job_id.as_deref(), Some(created.job_id.as_str()));
    assert_eq!(data.state.as_deref(), Some("Pending"));
    assert_eq!(data.file_name.as_deref(), Some(SEED_FILE));

    // No envelope check: a 96026 is an Ok value carrying the code.
    let missing = c
        .raw()
        .describe_import_job()
        .body(
            types::DescribeImportJobRequest::builder()
                .cluster_id(CLUSTER.to_owned())
                .job_id("1"),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(missing.code, generated::Code::Int64(96026));
    assert!(missing.data.is_none());

    // The raw list reports the list's own state name.
    let listed = c
        .raw()
        .list_import_jobs()
        .body(types::ListImportJobsRequest::builder().cluster_id(CLUSTER.to_owned()))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.code, generated::Code::Int64(0));
    h.advance(Duration::from_secs(5));
    let listed = c
        .raw()
        .list_import_jobs()
        .body(types::ListImportJobsRequest::builder().cluster_id(CLUSTER.to_owned()))
        .send()
        .await
        .unwrap()
        .into_inner();
    let records = listed.data.unwrap().records.unwrap();
    assert_eq!(records[0].state.as_deref(), Some("InProgress"));
    let reqs = h.requests();
    assert!(
        reqs.iter().all(|r| r.authorized),
        "the raw client sends the key too"
    );
    assert_eq!(reqs.len(), 5);
}
