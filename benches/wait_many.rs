//! Following 100 jobs at once under a rate limit of 20 requests per second:
//! the most describes the server received in any one-second window, and how
//! late each completion was seen (from the job's end, as the emulator
//! records it, to its `Ended` event).
//!
//! The emulator runs on its real clock (a rate limit is per real second, so
//! nothing is scaled); each job lasts 20–40 s, drawn at random; the jobs are
//! created at once through a client without a limit, then followed through
//! a client limited to 20/s (and again at 10/s, where the order of polls
//! matters more), two ways:
//!
//! - `wait_for_import_jobs`: one stream, polls ordered by predicted finish;
//! - 100 `wait_for_import_job` futures joined, sharing the same limiter.
//!
//! `cargo bench --all-features --bench wait_many`
//! (`ZI_BENCH_QUICK=1`: 30 jobs of 4–8 s, for a smoke test.)

mod common;

use std::{collections::HashMap, num::NonZeroU32, time::Duration};

use common::*;
use futures::{StreamExt, future::join_all};
use zilliz_import::Target;
use zilliz_import::{Client, JobEvent, WaitOptions};
use zilliz_import_emulator::{Emulator, EmulatorHandle};

/// The documented limit, and a harder one to show where order matters.
const LIMITS: [u32; 2] = [20, 10];
const DESCRIBE: &str = "/v2/vectordb/jobs/import/describe";

struct Run {
    label: &'static str,
    limit: u32,
    jobs: usize,
    describes: usize,
    busiest_window: usize,
    delays: Vec<f64>,
    completed: usize,
}

/// The most requests whose arrival falls in one window `[t, t + 1 s)`.
fn busiest_window(mut at: Vec<Duration>) -> usize {
    at.sort();
    let mut best = 0;
    let mut start = 0;
    for end in 0..at.len() {
        while at[end] - at[start] >= Duration::from_secs(1) {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

async fn emulator(jobs: usize, shortest: Duration, longest: Duration) -> EmulatorHandle {
    Emulator::builder()
        .api_key(API_KEY)
        .job_durations(shortest, longest)
        .request_log_capacity(100_000)
        .job_limit(jobs * 2)
        .start()
        .await
        .unwrap()
}

async fn create_all(emulator: &EmulatorHandle, n: usize) -> Vec<String> {
    let unlimited = crate_client(&emulator.base_url());
    let created = join_all((0..n).map(|_| unlimited.create_import_job(job()))).await;
    created.into_iter().map(|c| c.unwrap().job_id).collect()
}

fn limited(emulator: &EmulatorHandle, limit: u32) -> Client {
    Client::builder()
        .api_key(API_KEY)
        .base_url(emulator.base_url())
        .rate_limit(NonZeroU32::new(limit).unwrap())
        .build()
        .unwrap()
}

/// What the server saw, and when each job's end was seen.
fn measure(
    label: &'static str,
    emulator: &EmulatorHandle,
    ids: &[String],
    seen_done: HashMap<String, Duration>,
) -> Run {
    let describes: Vec<Duration> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.path == DESCRIBE)
        .map(|r| r.at)
        .collect();
    let finished: HashMap<String, Duration> = emulator
        .jobs()
        .into_iter()
        .filter_map(|j| Some((j.job_id, j.finished_at?)))
        .collect();
    let delays = ids
        .iter()
        .filter_map(|id| {
            let seen = seen_done.get(id)?;
            Some(seen.saturating_sub(finished[id]).as_secs_f64())
        })
        .collect::<Vec<_>>();
    Run {
        label,
        limit: 0,
        jobs: ids.len(),
        describes: describes.len(),
        busiest_window: busiest_window(describes),
        completed: delays.len(),
        delays,
    }
}

async fn one_stream(n: usize, shortest: Duration, longest: Duration, limit: u32) -> Run {
    let emulator = emulator(n, shortest, longest).await;
    let ids = create_all(&emulator, n).await;
    let client = limited(&emulator, limit);
    let mut seen_done = HashMap::new();
    let mut events = std::pin::pin!(client.wait_for_import_jobs(
        &Target::cluster(CLUSTER),
        ids.clone(),
        WaitOptions::default()
    ));
    while let Some(event) = events.next().await {
        if let JobEvent::Ended { job_id, outcome } = event {
            assert!(outcome.unwrap().completed().is_some());
            seen_done.insert(job_id, emulator.elapsed());
        }
    }
    Run {
        limit,
        ..measure(
            "wait_for_import_jobs (one stream)",
            &emulator,
            &ids,
            seen_done,
        )
    }
}

async fn joined_waits(n: usize, shortest: Duration, longest: Duration, limit: u32) -> Run {
    let emulator = emulator(n, shortest, longest).await;
    let ids = create_all(&emulator, n).await;
    let client = limited(&emulator, limit);
    let waits = ids.iter().map(|id| {
        let (client, emulator) = (&client, &emulator);
        async move {
            let done = client
                .wait_for_import_job(&Target::cluster(CLUSTER), id, WaitOptions::default())
                .await
                .unwrap();
            assert!(done.completed().is_some());
            (id.clone(), emulator.elapsed())
        }
    });
    let seen_done = join_all(waits).await.into_iter().collect();
    Run {
        limit,
        ..measure(
            "wait_for_import_job x N, joined",
            &emulator,
            &ids,
            seen_done,
        )
    }
}

fn main() {
    let quick = quick();
    let (n, shortest, longest) = if quick {
        (30, Duration::from_secs(4), Duration::from_secs(8))
    } else {
        (100, Duration::from_secs(20), Duration::from_secs(40))
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let runs = rt.block_on(async {
        let mut runs = vec![];
        for limit in LIMITS {
            runs.push(one_stream(n, shortest, longest, limit).await);
            runs.push(joined_waits(n, shortest, longest, limit).await);
        }
        runs
    });
    println!(
        "\n## Measured: {n} jobs of {}-{} s followed at once under a client rate limit \
         (emulator on its real clock)",
        shortest.as_secs(),
        longest.as_secs()
    );
    println!(
        "| limit | how | jobs seen done | describes | most describes in any 1 s | delay mean s | delay median s | delay max s |"
    );
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in &runs {
        let mean = r.delays.iter().sum::<f64>() / r.delays.len().max(1) as f64;
        let max = r.delays.iter().cloned().fold(0.0, f64::max);
        println!(
            "| {}/s | {} | {}/{} | {} | {} | {mean:.2} | {:.2} | {max:.2} |",
            r.limit,
            r.label,
            r.completed,
            r.jobs,
            r.describes,
            r.busiest_window,
            median_f64(&r.delays),
        );
    }
    let stream = &runs[0];
    let max_delay = stream.delays.iter().cloned().fold(0.0, f64::max);
    let verdict = |ok: bool| if ok { "PASS" } else { "FAIL" };
    for r in &runs {
        println!(
            "{}: {}, limit {}/s: never more than the limit in any 1-s window (most: {})",
            verdict(r.busiest_window <= r.limit as usize),
            r.label,
            r.limit,
            r.busiest_window,
        );
    }
    println!(
        "{}: every completion seen within 5 s of the job's end by the stream at {}/s (all {} seen, latest {max_delay:.2} s)",
        verdict(stream.completed == stream.jobs && max_delay <= 5.0),
        stream.limit,
        stream.completed,
    );
}
