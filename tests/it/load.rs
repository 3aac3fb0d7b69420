//! 10,000 creates at concurrency 256 through the emulator: every call gets its
//! own job id, the emulator holds exactly 10,000 jobs, no error.

use std::{collections::HashSet, time::Instant};

use futures::StreamExt;
use zilliz_import::{Client, CreateImportJob, RetryPolicy};
use zilliz_import_emulator::Emulator;

use crate::common::{API_KEY, CLUSTER, CREATE_PATH};

const CREATES: usize = 10_000;
const CONCURRENCY: usize = 256;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_concurrent_creates_each_get_their_own_job() {
    let h = Emulator::builder()
        .api_key(API_KEY)
        .cluster_ids([CLUSTER])
        .manual_clock()
        .start()
        .await
        .expect("emulator starts");
    // No retries: a failure must surface, not be hidden by a second attempt.
    let client = Client::builder()
        .api_key(API_KEY)
        .base_url(h.base_url())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();

    let started = Instant::now();
    let results: Vec<_> = futures::stream::iter(0..CREATES)
        .map(|i| {
            let client = client.clone();
            async move {
                let job = CreateImportJob::new(
                    CLUSTER,
                    format!("coll_{}", i % 7),
                    format!("s3://bucket/load/part-{i:05}.parquet"),
                );
                // Spawned, so the 256 calls in flight run on all worker threads.
                tokio::spawn(async move { (i, client.create_import_job(job).await) })
                    .await
                    .expect("task did not panic")
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let elapsed = started.elapsed();
    eprintln!(
        "{CREATES} creates at concurrency {CONCURRENCY}: {elapsed:?} ({:.0}/s)",
        CREATES as f64 / elapsed.as_secs_f64()
    );

    let errors: Vec<String> = results
        .iter()
        .filter_map(|(i, r)| r.as_ref().err().map(|e| format!("#{i}: {e}")))
        .collect();
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert_eq!(results.len(), CREATES);
    let calls: HashSet<usize> = results.iter().map(|(i, _)| *i).collect();
    assert_eq!(calls.len(), CREATES, "every call answered once");

    let ids: HashSet<String> = results
        .iter()
        .map(|(_, r)| r.as_ref().unwrap().job_id.clone())
        .collect();
    assert_eq!(ids.len(), CREATES, "every call got its own job id");
    assert_eq!(h.job_count(), CREATES);

    // What the emulator holds is exactly what the calls were told, and each
    // job is the one its call asked for.
    let jobs = h.jobs();
    let held: HashSet<String> = jobs.iter().map(|j| j.job_id.clone()).collect();
    assert_eq!(held, ids);
    let by_id: std::collections::HashMap<&str, &str> = jobs
        .iter()
        .map(|j| (j.job_id.as_str(), j.object_urls[0].as_str()))
        .collect();
    for (i, r) in &results {
        let want = format!("s3://bucket/load/part-{i:05}.parquet");
        assert_eq!(by_id[r.as_ref().unwrap().job_id.as_str()], want);
    }

    let requests = h.requests();
    let creates: Vec<_> = requests.iter().filter(|r| r.path == CREATE_PATH).collect();
    assert_eq!(creates.len(), CREATES, "one request per call: no retries");
    assert_eq!(requests.len(), CREATES);
    assert!(
        creates
            .iter()
            .all(|r| r.authorized && r.status == 200 && r.code == 0)
    );
    assert!(creates.iter().all(|r| r.idempotency_key.is_none()));
}
