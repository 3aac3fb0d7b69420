//! The rate limit as the server sees it: against the emulator on its real
//! clock, concurrent calls never put more than the limit's worth of
//! requests in any one second of arrival times, bursts included; without a
//! limit the same calls all arrive within one second, so the count could
//! fail. Many jobs followed as one stream keep to the limit too.

use std::{num::NonZeroU32, time::Duration};

use zilliz_import::{Client, CreateImportJob, RetryPolicy};
use zilliz_import_emulator::{Emulator, EmulatorHandle};

const KEY: &str = "rate-limit-key";
const CLUSTER: &str = "in01-rate-limit";
const DESCRIBE: &str = "/v2/vectordb/jobs/import/describe";
const LIMIT: usize = 10;
const CALLS: usize = 30;

async fn start() -> EmulatorHandle {
    Emulator::builder()
        .api_key(KEY)
        .cluster_ids([CLUSTER])
        .start()
        .await
        .expect("emulator starts")
}

/// A client of `h`, without retries (each call is one request), limited to
/// `limit` requests per second per operation when given.
fn client(h: &EmulatorHandle, limit: Option<usize>) -> Client {
    let mut builder = Client::builder()
        .api_key(KEY)
        .base_url(h.base_url())
        .retry(RetryPolicy::none());
    if let Some(n) = limit {
        builder = builder.rate_limit(NonZeroU32::new(n as u32).unwrap());
    }
    builder.build().expect("client builds")
}

/// Creates a job, then describes it `CALLS` times at once; every call must
/// succeed. Returns the arrival times of the describes, in order.
async fn describe_at_once(h: &EmulatorHandle, c: &Client) -> Vec<Duration> {
    let job = CreateImportJob::new(CLUSTER, "coll", "s3://bucket/rate/a.parquet");
    let job_id = c.create_import_job(job).await.unwrap().job_id;
    let calls = (0..CALLS).map(|_| c.describe_import_job(CLUSTER, &job_id));
    for (i, result) in futures::future::join_all(calls)
        .await
        .into_iter()
        .enumerate()
    {
        assert!(result.is_ok(), "describe #{i}: {result:?}");
    }
    let at = describe_arrivals(h);
    assert_eq!(at.len(), CALLS, "every describe reached the emulator once");
    at
}

/// When the emulator received each describe, earliest first.
fn describe_arrivals(h: &EmulatorHandle) -> Vec<Duration> {
    let mut at: Vec<Duration> = h
        .requests()
        .into_iter()
        .filter(|r| r.path == DESCRIBE)
        .map(|r| r.at)
        .collect();
    at.sort();
    at
}

/// The most arrivals (`at`, sorted) within one second `[t, t + 1 s)`; the
/// busiest such second starts at an arrival.
fn busiest_second(at: &[Duration]) -> usize {
    at.iter()
        .map(|&t| {
            at.iter()
                .filter(|&&u| t <= u && u < t + Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_describes_never_exceed_the_limit_in_any_second() {
    let h = start().await;
    let at = describe_at_once(&h, &client(&h, Some(LIMIT))).await;
    let busiest = busiest_second(&at);
    assert!(
        busiest <= LIMIT,
        "{busiest} describes within one second: {at:?}"
    );
    // 30 at 10 per second: the last ten come two seconds after the first.
    let span = at[CALLS - 1] - at[0];
    assert!(
        span >= Duration::from_secs(2),
        "30 describes within {span:?}"
    );
    // The create had its own window: the first ten describes went at once,
    // not waiting a second for the create's slot to free.
    let first_ten = at[LIMIT - 1] - at[0];
    assert!(
        first_ten < Duration::from_millis(800),
        "the first ten took {first_ten:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_limit_concurrent_describes_all_arrive_within_a_second() {
    let h = start().await;
    let at = describe_at_once(&h, &client(&h, None)).await;
    assert_eq!(
        busiest_second(&at),
        CALLS,
        "spread over {:?}",
        at[CALLS - 1] - at[0]
    );
}

/// Twelve jobs followed as one stream at 10 per second, their polls due
/// every 50–300 ms: more polls are due at once than the limit lets
/// through, and still no second of arrivals holds more than ten. Every job
/// is seen done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_jobs_followed_at_once_stay_within_the_limit() {
    use futures::StreamExt;
    use zilliz_import::{JobEvent, WaitOptions};

    let h = Emulator::builder()
        .api_key(KEY)
        .cluster_ids([CLUSTER])
        .job_duration(Duration::from_secs(1))
        .start()
        .await
        .expect("emulator starts");
    let unlimited = client(&h, None);
    let mut ids = vec![];
    for i in 0..12 {
        let url = format!("s3://bucket/rate/{i}.parquet");
        let job = CreateImportJob::new(CLUSTER, "coll", url);
        ids.push(unlimited.create_import_job(job).await.unwrap().job_id);
    }
    let options = WaitOptions::default()
        .interval(Duration::from_millis(50), Duration::from_millis(300))
        .timeout(Duration::from_secs(30));
    let events: Vec<JobEvent> = client(&h, Some(LIMIT))
        .wait_for_import_jobs(CLUSTER, &ids, options)
        .collect()
        .await;
    let completed = events
        .iter()
        .filter(|e| matches!(e, JobEvent::Ended { outcome: Ok(done), .. } if !done.awaits_commit()))
        .count();
    assert_eq!(completed, ids.len(), "{events:?}");
    let at = describe_arrivals(&h);
    assert!(at.len() > ids.len(), "{} describes", at.len());
    let busiest = busiest_second(&at);
    assert!(
        busiest <= LIMIT,
        "{busiest} describes within one second: {at:?}"
    );
}
