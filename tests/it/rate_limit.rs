//! The rate limit as the server sees it: concurrent calls never put more
//! than the limit's worth of requests in any one second of arrival times,
//! bursts included; without a limit the same calls all arrive at once, so
//! the count could fail. Many jobs followed as one stream keep to the limit
//! too. On tokio's paused clock, against the scripted loopback server on the
//! same runtime, which records each arrival on that clock: the limiter's
//! waits last exactly what its timers say, on any machine.

use std::{num::NonZeroU32, time::Duration};

use futures::StreamExt;
use serde_json::json;
use tokio::time::Instant;
use zilliz_import::{Client, CreateImportJob, JobEvent, RetryPolicy, WaitOptions};

use crate::common::{
    API_KEY, CLUSTER, COLLECTION, CREATE_PATH, DESCRIBE_PATH, OBJECT_URL, assert_took,
    faulty_server::{Fault, FaultyServer},
};
use zilliz_import::Target;

const LIMIT: usize = 10;
const CALLS: usize = 30;
/// How long every job of [`jobs_server`] runs, from the server's start.
const JOB_TIME: Duration = Duration::from_secs(1);

/// A server that answers a create with a job id of its own and a describe
/// with the job it names: importing for [`JOB_TIME`], then completed.
async fn jobs_server() -> FaultyServer {
    let started = Instant::now();
    FaultyServer::start(vec![Fault::computed(move |n, request| {
        if request.path == CREATE_PATH {
            return Fault::created(&format!("job-{n}"));
        }
        let (state, percent) = if started.elapsed() < JOB_TIME {
            ("Importing", 50)
        } else {
            ("Completed", 100)
        };
        let data = json!({"jobId": request.json()["jobId"], "state": state, "progress": percent});
        Fault::Ok(json!({"code": 0, "data": data}).to_string())
    })])
    .await
}

/// A client of `server`, without retries (each call is one request),
/// limited to `limit` requests per second per operation when given.
fn client(server: &FaultyServer, limit: Option<usize>) -> Client {
    let mut builder = Client::builder()
        .api_key(API_KEY)
        .base_url(server.url())
        .retry(RetryPolicy::none());
    if let Some(n) = limit {
        builder = builder.rate_limit(NonZeroU32::new(n as u32).unwrap());
    }
    builder.build().expect("client builds")
}

/// Creates a job, then describes it `CALLS` times at once; every call must
/// succeed. Returns the arrival times of the describes, in order.
async fn describe_at_once(server: &FaultyServer, c: &Client) -> Vec<Instant> {
    let job = CreateImportJob::new(CLUSTER, COLLECTION, OBJECT_URL);
    let job_id = c.create_import_job(job).await.unwrap().job_id;
    let target = Target::cluster(CLUSTER);
    let calls = (0..CALLS).map(|_| c.describe_import_job(&target, &job_id));
    for (i, result) in futures::future::join_all(calls)
        .await
        .into_iter()
        .enumerate()
    {
        assert!(result.is_ok(), "describe #{i}: {result:?}");
    }
    let at = describe_arrivals(server);
    assert_eq!(at.len(), CALLS, "every describe reached the server once");
    at
}

/// When the server received each describe, earliest first.
fn describe_arrivals(server: &FaultyServer) -> Vec<Instant> {
    let mut at: Vec<Instant> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == DESCRIBE_PATH)
        .map(|r| r.at)
        .collect();
    at.sort();
    at
}

/// The most arrivals (`at`, sorted) within one second `[t, t + 1 s)`; the
/// busiest such second starts at an arrival.
fn busiest_second(at: &[Instant]) -> usize {
    at.iter()
        .map(|&t| {
            at.iter()
                .filter(|&&u| t <= u && u < t + Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test(start_paused = true)]
async fn concurrent_describes_never_exceed_the_limit_in_any_second() {
    let server = jobs_server().await;
    let at = describe_at_once(&server, &client(&server, Some(LIMIT))).await;
    let busiest = busiest_second(&at);
    assert!(
        busiest <= LIMIT,
        "{busiest} describes within one second: {at:?}"
    );
    // 30 at 10 per second: ten at once, ten a second later, the last ten
    // two seconds after the first, and no later. The create had its own
    // window: the first ten did not wait a second for the create's slot.
    for (i, t) in at.iter().enumerate() {
        let batch = Duration::from_secs((i / LIMIT) as u64);
        assert_took(*t - at[0], batch);
    }
}

#[tokio::test(start_paused = true)]
async fn without_a_limit_concurrent_describes_all_arrive_within_a_second() {
    let server = jobs_server().await;
    let at = describe_at_once(&server, &client(&server, None)).await;
    assert_eq!(busiest_second(&at), CALLS);
    assert_eq!(
        at[CALLS - 1],
        at[0],
        "spread over {:?}",
        at[CALLS - 1] - at[0]
    );
}

/// Twelve jobs followed as one stream at 10 per second, their polls due
/// every 50–300 ms: more polls are due at once than the limit lets
/// through, and still no second of arrivals holds more than ten. Every job
/// is seen done.
#[tokio::test(start_paused = true)]
async fn many_jobs_followed_at_once_stay_within_the_limit() {
    let server = jobs_server().await;
    let unlimited = client(&server, None);
    let mut ids = vec![];
    for i in 0..12 {
        let url = format!("s3://bucket/rate/{i}.parquet");
        let job = CreateImportJob::new(CLUSTER, COLLECTION, url);
        ids.push(unlimited.create_import_job(job).await.unwrap().job_id);
    }
    let options = WaitOptions::default()
        .interval(Duration::from_millis(50), Duration::from_millis(300))
        .deadline(Duration::from_secs(30));
    let events: Vec<JobEvent> = client(&server, Some(LIMIT))
        .wait_for_import_jobs(&Target::cluster(CLUSTER), &ids, options)
        .collect()
        .await;
    let completed = events
        .iter()
        .filter(|e| matches!(e, JobEvent::Ended { outcome: Ok(done), .. } if !done.awaits_commit()))
        .count();
    assert_eq!(completed, ids.len(), "{events:?}");
    let at = describe_arrivals(&server);
    assert!(at.len() > ids.len(), "{} describes", at.len());
    let busiest = busiest_second(&at);
    assert!(
        busiest <= LIMIT,
        "{busiest} describes within one second: {at:?}"
    );
}
