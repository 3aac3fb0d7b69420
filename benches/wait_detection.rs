//! Waiting for a job: requests made and detection delay (from the moment the
//! job really finished to the moment the waiter returned), for jobs of 5 s,
//! 60 s and 10 min, with the crate's `wait_for_import_job` (default
//! schedule: 1 s to 30 s, doubling, reset to 1 s when progress moves,
//! jittered) versus polling describe every 1 s.
//!
//! Part 1 is measured: the real `wait_for_import_job` against the in-process
//! emulator on a real clock, with every time scaled down by `SCALE` (the job
//! durations and the wait intervals alike), then scaled back up. Loopback
//! round trips are scaled up too, so a measured poll costs `SCALE` × ~0.3 ms
//! of "job time".
//!
//! Part 2 is a simulation (labelled as such) of the same schedule, copied
//! from src/wait.rs, at full scale over many trials, with a 100 ms round
//! trip, for two progress models: the emulator's (percent rises steadily)
//! and a job that reports no percent until it completes.
//!
//! `cargo bench --all-features --bench wait_detection`

mod common;

use std::time::Duration;

use common::*;
use futures::future::join_all;
use zilliz_import::{
    Client, ImportState, WaitOptions,
    emulator::{Emulator, EmulatorHandle},
};

const JOBS: [(&str, u64); 3] = [("5 s", 5), ("60 s", 60), ("10 min", 600)];
const MIN: f64 = 1.0;
const MAX: f64 = 30.0;
const FIXED: f64 = 1.0;

#[derive(Clone, Copy, PartialEq)]
enum Strategy {
    Backoff,
    Fixed,
}

impl Strategy {
    fn label(self) -> &'static str {
        match self {
            Strategy::Backoff => "wait_for_import_job (1-30 s backoff)",
            Strategy::Fixed => "fixed 1 s polling",
        }
    }
}

struct Trial {
    requests: usize,
    delay: f64,
}

/// One waiter on a fresh job; figures in full-scale seconds.
async fn measured_trial(
    client: &Client,
    emulator: &EmulatorHandle,
    strategy: Strategy,
    scale: f64,
) -> Trial {
    let job_id = client.create_import_job(job()).await.unwrap().job_id;
    let s = |secs: f64| Duration::from_secs_f64(secs / scale);
    match strategy {
        Strategy::Backoff => {
            let done = client
                .wait_for_import_job(
                    CLUSTER,
                    &job_id,
                    WaitOptions::default().interval(s(MIN), s(MAX)),
                )
                .await
                .unwrap()
                .completed()
                .expect("completed");
            assert_eq!(done.state, ImportState::Completed);
        }
        Strategy::Fixed => loop {
            let p = client.describe_import_job(CLUSTER, &job_id).await.unwrap();
            if p.state == ImportState::Completed {
                break;
            }
            tokio::time::sleep(s(FIXED)).await;
        },
    }
    let returned_at = emulator.elapsed();
    let finished_at = emulator
        .jobs()
        .into_iter()
        .find(|j| j.job_id == job_id)
        .and_then(|j| j.finished_at)
        .expect("the job finished");
    let requests = emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/describe") && r.body["jobId"] == job_id.as_str())
        .count();
    Trial {
        requests,
        delay: returned_at.saturating_sub(finished_at).as_secs_f64() * scale,
    }
}

fn summary(trials: &[Trial]) -> (f64, usize, usize, f64, f64, f64) {
    let req: Vec<usize> = trials.iter().map(|t| t.requests).collect();
    let delays: Vec<f64> = trials.iter().map(|t| t.delay).collect();
    (
        req.iter().sum::<usize>() as f64 / req.len() as f64,
        *req.iter().min().unwrap(),
        *req.iter().max().unwrap(),
        delays.iter().sum::<f64>() / delays.len() as f64,
        median_f64(&delays),
        delays.iter().cloned().fold(0.0, f64::max),
    )
}

fn print_table(rows: &[(&str, Strategy, Vec<Trial>)]) {
    println!(
        "| job | strategy | requests (mean) | requests (min-max) | delay mean s | delay median s | delay max s |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
    for (job, strategy, trials) in rows {
        let (mean, lo, hi, dmean, dmed, dmax) = summary(trials);
        println!(
            "| {job} | {} | {mean:.1} | {lo}-{hi} | {dmean:.2} | {dmed:.2} | {dmax:.2} |",
            strategy.label()
        );
    }
}

/// The emulator's model of a job of `d` seconds at time `t`: (state, percent).
fn emulator_model(t: f64, d: f64) -> (u8, u8) {
    if t >= d {
        (2, 100)
    } else if t < d / 10.0 {
        (0, 0)
    } else {
        (1, (((t - d / 10.0) * 100.0 / (d * 0.9)) as u8).min(99))
    }
}

/// A job that says Importing at 0 % until it is done.
fn silent_model(t: f64, d: f64) -> (u8, u8) {
    if t >= d {
        (2, 100)
    } else if t < d / 10.0 {
        (0, 0)
    } else {
        (1, 0)
    }
}

/// The schedule of src/wait.rs, simulated: poll, reset to `MIN` when the
/// state or percent moved, sleep uniformly in [MIN, interval], double.
fn simulate(
    strategy: Strategy,
    d: f64,
    rtt: f64,
    model: fn(f64, f64) -> (u8, u8),
    rng: &mut fastrand::Rng,
) -> Trial {
    let (mut t, mut interval, mut last, mut requests) = (0.0, MIN, None, 0);
    loop {
        requests += 1;
        let (state, progress) = model(t + rtt / 2.0, d);
        t += rtt;
        if state == 2 {
            return Trial {
                requests,
                delay: t - d,
            };
        }
        match strategy {
            Strategy::Fixed => t += FIXED,
            Strategy::Backoff => {
                let moved = last.is_none_or(|(s, p)| state != s || progress > p);
                if moved {
                    interval = MIN;
                }
                last = Some((state, progress));
                t += MIN + (interval - MIN) * rng.f64();
                interval = (interval * 2.0).min(MAX);
            }
        }
    }
}

fn main() {
    let quick = quick();
    let scale: f64 = std::env::var("ZI_BENCH_WAIT_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 200.0 } else { 20.0 });
    let trials = if quick { 3 } else { 10 };

    let rt = tokio::runtime::Runtime::new().unwrap();
    let rows = rt.block_on(async {
        let mut emulators = Vec::new();
        for (_, secs) in JOBS {
            let emulator = Emulator::builder()
                .api_key(API_KEY)
                .job_duration(Duration::from_secs_f64(secs as f64 / scale))
                .start()
                .await
                .unwrap();
            let client = crate_client(&emulator.base_url());
            emulators.push((emulator, client));
        }
        // Every waiter runs at once: they spend nearly all their time asleep.
        let mut runs = Vec::new();
        for (i, (name, _)) in JOBS.iter().enumerate() {
            for strategy in [Strategy::Backoff, Strategy::Fixed] {
                let (emulator, client) = &emulators[i];
                let all =
                    (0..trials).map(move |_| measured_trial(client, emulator, strategy, scale));
                runs.push(async move { (*name, strategy, join_all(all).await) });
            }
        }
        join_all(runs).await
    });
    println!(
        "\n## Measured: wait_for_import_job vs fixed 1 s polling against the emulator \
         (clock scaled 1/{scale}, {trials} jobs per row; figures scaled back to full time)"
    );
    print_table(&rows);

    let sims = if quick { 1_000 } else { 10_000 };
    let rtt = 0.1;
    let mut rng = fastrand::Rng::with_seed(7);
    for (title, model) in [
        (
            "emulator progress model (percent rises steadily)",
            emulator_model as fn(f64, f64) -> (u8, u8),
        ),
        ("silent job (0 % until Completed)", silent_model),
    ] {
        let rows: Vec<_> = JOBS
            .iter()
            .flat_map(|(name, secs)| {
                [Strategy::Backoff, Strategy::Fixed].map(|strategy| {
                    let trials = (0..sims)
                        .map(|_| simulate(strategy, *secs as f64, rtt, model, &mut rng))
                        .collect::<Vec<_>>();
                    (*name, strategy, trials)
                })
            })
            .collect();
        println!(
            "\n## SIMULATION (not measured): the src/wait.rs schedule, {sims} trials per row, \
             100 ms round trip, {title}"
        );
        print_table(&rows);
    }
}
