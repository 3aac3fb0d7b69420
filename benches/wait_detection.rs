//! Waiting for a job: polls made and detection delay (from the moment the
//! job really finished to the moment the waiter saw it), for jobs of 5 s,
//! 60 s and 10 min, on three models of what describe reports while a job
//! imports: a percent that rises steadily, one that stays at 0 until the job
//! completes, and one that rises to 80 % and holds there for the last 30 %
//! of the job (an index build). Compared:
//!
//! - `wait_for_import_job`: the crate's predictive schedule
//!   ([`PollSchedule`], default 1 s to 30 s);
//! - exponential backoff, the yardstick: 1 s doubling to 30 s, no reset, no
//!   jitter (written here);
//! - fixed 1 s polling: describe, sleep 1 s, repeat (the loop users write);
//! - in the simulation only, the crate's previous schedule (1 s doubling to
//!   30 s, reset to 1 s whenever progress moved, each pause drawn uniformly
//!   between 1 s and the current interval), copied here.
//!
//! Part 1 is measured: the real `wait_for_import_job` against the in-process
//! emulator on its real clock, with every time scaled down by `SCALE` (job
//! durations and all three schedules alike), then scaled back up. Loopback
//! round trips and timer lateness are scaled up with them: both are measured
//! and printed first, as job time.
//!
//! Part 2 is a SIMULATION at full scale, many trials, a 100 ms round trip:
//! the real [`PollSchedule`] (not a copy) fed as `wait_for_import_job` feeds
//! it. Its progress models are copies of the emulator's, checked against
//! the emulator (manual clock) before anything runs.
//!
//! A last SIMULATION spreads the job lengths over ±10 %: at exactly 60 s
//! or 10 min, the backoff's polls happen to land just after the end.
//!
//! Both parts end with a PASS/FAIL line (also as `RESULT`) for each goal:
//!
//! - 60 s steady job: at most 12 polls in every trial, mean delay ≤ 2 s;
//! - 10 min steady job: at most 30 polls in every trial, mean delay ≤ 3 s;
//! - silent job, each length: in *every* trial no more polls than the
//!   fewest the backoff made on the same job, and no delay above 30 s (the
//!   maximum interval).
//!
//! `cargo bench --all-features --bench wait_detection`
//! (`ZI_BENCH_QUICK=1`: a short run; `ZI_BENCH_WAIT_SCALE=N`: the time scale
//! of part 1, default 20)

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures::future::join_all;
use zilliz_import::Target;
use zilliz_import::{Client, ImportState, PollSchedule, WaitOptions};
use zilliz_import_emulator::{Emulator, EmulatorHandle, JobState, ProgressModel};

const JOBS: [(&str, f64); 3] = [("5 s", 5.0), ("60 s", 60.0), ("10 min", 600.0)];
const MIN: f64 = 1.0;
const MAX: f64 = 30.0;
const FIXED: f64 = 1.0;
/// The simulated round trip, in seconds.
const RTT: f64 = 0.1;
const STALL_AT: u8 = 80;
const STALL_SHARE: f64 = 0.3;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Model {
    Steady,
    Silent,
    Stall,
}

const MODELS: [Model; 3] = [Model::Steady, Model::Silent, Model::Stall];

/// What describe says at one instant.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Seen {
    Pending,
    Importing(u8),
    Completed,
}

impl Seen {
    fn percent(self) -> u8 {
        match self {
            Seen::Pending => 0,
            Seen::Importing(p) => p,
            Seen::Completed => 100,
        }
    }
}

impl Model {
    fn label(self) -> &'static str {
        match self {
            Model::Steady => "steady job (percent rises linearly; the emulator's default)",
            Model::Silent => "silent job (0 % until Completed)",
            Model::Stall => "stalling job (rises to 80 %, holds there for the last 30 %)",
        }
    }

    fn emulator(self) -> ProgressModel {
        match self {
            Model::Steady => ProgressModel::Steady,
            Model::Silent => ProgressModel::Silent,
            Model::Stall => ProgressModel::Stall {
                at: STALL_AT,
                share: STALL_SHARE,
            },
        }
    }

    /// What describe reports `t` after the create of a job of `d`: a copy
    /// of the emulator's model (src/emulator/store.rs), checked against it
    /// by [`check_models`]. Pending for the first tenth.
    fn at(self, t: f64, d: f64) -> Seen {
        if t >= d {
            return Seen::Completed;
        }
        let start = d / 10.0;
        if t < start {
            return Seen::Pending;
        }
        let percent = match self {
            Model::Steady => ((t - start) * 100.0 / (d - start)).min(99.0),
            Model::Silent => 0.0,
            Model::Stall => {
                let top = f64::from(STALL_AT);
                let span = d * (1.0 - STALL_SHARE) - start;
                ((t - start) * top / span).min(top)
            }
        };
        Seen::Importing(percent as u8)
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Strategy {
    Predictive,
    Backoff,
    Fixed,
    Previous,
}

impl Strategy {
    fn label(self) -> &'static str {
        match self {
            Strategy::Predictive => "wait_for_import_job (predictive, 1-30 s)",
            Strategy::Backoff => "exponential backoff 1-30 s (yardstick)",
            Strategy::Fixed => "fixed 1 s polling",
            Strategy::Previous => "previous crate schedule (1-30 s, reset on progress, jittered)",
        }
    }
}

struct Trial {
    polls: usize,
    delay: f64,
}

struct Row {
    model: Model,
    job: &'static str,
    strategy: Strategy,
    trials: Vec<Trial>,
}

// ------------------------------------------------------------ measured

/// One waiter on a fresh job: its id and the emulator time at which the
/// waiter saw it completed. What it cost is read from the emulator once
/// every waiter is done ([`tally`]), so no waiter's bookkeeping delays
/// another's polls.
async fn measured_trial(
    client: &Client,
    emulator: &EmulatorHandle,
    strategy: Strategy,
    scale: f64,
) -> (String, Duration) {
    let job_id = client.create_import_job(job()).await.unwrap().job_id;
    let s = |secs: f64| Duration::from_secs_f64(secs / scale);
    let completed = |state: &ImportState| *state == ImportState::Completed;
    match strategy {
        Strategy::Predictive => {
            let done = client
                .wait_for_import_job(
                    &Target::cluster(CLUSTER),
                    &job_id,
                    WaitOptions::default().interval(s(MIN), s(MAX)),
                )
                .await
                .unwrap()
                .completed()
                .expect("completed");
            assert!(completed(&done.state));
        }
        Strategy::Backoff => {
            let mut interval = MIN;
            loop {
                let p = client
                    .describe_import_job(&Target::cluster(CLUSTER), &job_id)
                    .await
                    .unwrap();
                if completed(&p.state) {
                    break;
                }
                tokio::time::sleep(s(interval)).await;
                interval = (interval * 2.0).min(MAX);
            }
        }
        Strategy::Fixed => loop {
            let p = client
                .describe_import_job(&Target::cluster(CLUSTER), &job_id)
                .await
                .unwrap();
            if completed(&p.state) {
                break;
            }
            tokio::time::sleep(s(FIXED)).await;
        },
        Strategy::Previous => unreachable!("simulated only"),
    }
    (job_id, emulator.elapsed())
}

/// Each waiter's polls (the describes its job got) and detection delay
/// (from the job's `finished_at` to the moment the waiter saw it), in
/// full-scale seconds.
fn tally(emulator: &EmulatorHandle, waited: &[(String, Duration)], scale: f64) -> Vec<Trial> {
    let jobs = emulator.jobs();
    let requests = emulator.requests();
    waited
        .iter()
        .map(|(job_id, returned_at)| {
            let finished_at = jobs
                .iter()
                .find(|j| &j.job_id == job_id)
                .and_then(|j| j.finished_at)
                .expect("the job finished");
            let polls = requests
                .iter()
                .filter(|r| r.path.ends_with("/describe") && r.body["jobId"] == job_id.as_str())
                .count();
            Trial {
                polls,
                delay: returned_at.saturating_sub(finished_at).as_secs_f64() * scale,
            }
        })
        .collect()
}

/// Loopback describe round trips and how late a short sleep wakes, on an
/// idle runtime: both are scaled up into job time.
async fn calibrate(scale: f64) {
    let emulator = Emulator::builder().api_key(API_KEY).start().await.unwrap();
    let client = crate_client(&emulator.base_url());
    let job_id = client.create_import_job(job()).await.unwrap().job_id;
    let mut rtts = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        client
            .describe_import_job(&Target::cluster(CLUSTER), &job_id)
            .await
            .unwrap();
        rtts.push(started.elapsed());
    }
    let mut late = Vec::new();
    for _ in 0..50 {
        let pause = secs(MIN / scale);
        let started = Instant::now();
        tokio::time::sleep(pause).await;
        late.push(started.elapsed().saturating_sub(pause));
    }
    rtts.sort();
    late.sort();
    let job_ms = |d: Duration| d.as_secs_f64() * scale * 1e3;
    println!(
        "loopback describe round trip (idle): median {:.0} µs, p90 {:.0} µs = {:.1} / {:.1} ms of job time",
        us(percentile(&rtts, 50.0)),
        us(percentile(&rtts, 90.0)),
        job_ms(percentile(&rtts, 50.0)),
        job_ms(percentile(&rtts, 90.0)),
    );
    println!(
        "lateness of a {:.0} ms sleep (idle): median {:.0} µs, max {:.0} µs = {:.1} / {:.1} ms of job time",
        MIN / scale * 1e3,
        us(percentile(&late, 50.0)),
        us(percentile(&late, 100.0)),
        job_ms(percentile(&late, 50.0)),
        job_ms(percentile(&late, 100.0)),
    );
}

async fn measured(scale: f64, trials: usize) -> Vec<Row> {
    // One emulator per row, so its request log holds every poll of the row.
    let mut setups = Vec::new();
    for model in MODELS {
        for (job, d) in JOBS {
            for strategy in [Strategy::Predictive, Strategy::Backoff, Strategy::Fixed] {
                let emulator = Emulator::builder()
                    .api_key(API_KEY)
                    .job_duration(secs(d / scale))
                    .progress_model(model.emulator())
                    .start()
                    .await
                    .unwrap();
                let client = crate_client(&emulator.base_url());
                setups.push((model, job, strategy, emulator, client));
            }
        }
    }
    // Every waiter runs at once: they spend nearly all their time asleep.
    let runs = setups.iter().map(|(_, _, strategy, emulator, client)| {
        join_all((0..trials).map(|_| measured_trial(client, emulator, *strategy, scale)))
    });
    let waited = join_all(runs).await;
    setups
        .iter()
        .zip(waited)
        .map(|((model, job, strategy, emulator, _), waited)| Row {
            model: *model,
            job,
            strategy: *strategy,
            trials: tally(emulator, &waited, scale),
        })
        .collect()
}

// ---------------------------------------------------------- simulation

/// One waiter on a job of `d` created at 0, full scale: each poll is read
/// by the server half a round trip after it is sent, and its answer
/// arrives a round trip after; the pause starts then.
fn simulate(strategy: Strategy, model: Model, d: f64, rng: &mut fastrand::Rng) -> Trial {
    let mut schedule = PollSchedule::new(secs(MIN), secs(MAX));
    let (mut t, mut interval, mut last, mut polls) = (0.0, MIN, None, 0);
    loop {
        polls += 1;
        let seen = model.at(t + RTT / 2.0, d);
        t += RTT;
        if seen == Seen::Completed {
            return Trial {
                polls,
                delay: t - d,
            };
        }
        let pause = match strategy {
            // As `wait_for_import_job` drives it: the reading at the moment
            // the answer came back, the pause asked for then.
            Strategy::Predictive => {
                schedule.record(secs(t), seen.percent());
                schedule.next_delay(secs(t), rng.f64()).as_secs_f64()
            }
            Strategy::Backoff => {
                let pause = interval;
                interval = (interval * 2.0).min(MAX);
                pause
            }
            Strategy::Fixed => FIXED,
            // The crate's schedule before PollSchedule: reset to MIN when
            // the state or the percent moved, a pause drawn uniformly in
            // [MIN, interval], then the interval doubles.
            Strategy::Previous => {
                if last != Some(seen) {
                    interval = MIN;
                }
                last = Some(seen);
                let pause = MIN + (interval - MIN) * rng.f64();
                interval = (interval * 2.0).min(MAX);
                pause
            }
        };
        t += pause;
    }
}

fn simulated(sims: usize) -> Vec<Row> {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut rows = Vec::new();
    for model in MODELS {
        for (job, d) in JOBS {
            for strategy in [
                Strategy::Predictive,
                Strategy::Previous,
                Strategy::Backoff,
                Strategy::Fixed,
            ] {
                let trials = (0..sims)
                    .map(|_| simulate(strategy, model, d, &mut rng))
                    .collect();
                rows.push(Row {
                    model,
                    job,
                    strategy,
                    trials,
                });
            }
        }
    }
    rows
}

/// The same at job lengths spread uniformly over ±10 % around 60 s and
/// 10 min (trial `i` of each row on the same length): at exactly 60 s or
/// 600 s the backoff's polls (1, 3, 7, 15, 31, then every 30 s after the
/// first) happen to land just after the end, which no real job arranges.
fn simulated_spread(sims: usize) -> Vec<Row> {
    let mut rng = fastrand::Rng::with_seed(11);
    let mut rows = Vec::new();
    for model in MODELS {
        for (job, d) in &JOBS[1..] {
            for strategy in [Strategy::Predictive, Strategy::Backoff] {
                let mut lengths = fastrand::Rng::with_seed(13);
                let trials = (0..sims)
                    .map(|_| {
                        let d = d * (0.9 + 0.2 * lengths.f64());
                        simulate(strategy, model, d, &mut rng)
                    })
                    .collect();
                rows.push(Row {
                    model,
                    job,
                    strategy,
                    trials,
                });
            }
        }
    }
    rows
}

/// The simulation's copies of the progress models against the emulator's,
/// at instants off the percent boundaries over a 100 s job.
async fn check_models() {
    let d = 100.0;
    for model in MODELS {
        let emulator = Emulator::builder()
            .api_key(API_KEY)
            .manual_clock()
            .job_duration(secs(d))
            .progress_model(model.emulator())
            .start()
            .await
            .unwrap();
        crate_client(&emulator.base_url())
            .create_import_job(job())
            .await
            .unwrap();
        let mut now = Duration::ZERO;
        for k in 0..400 {
            let t = 0.0137 + k as f64 * 0.2617;
            emulator.advance(secs(t).saturating_sub(now));
            now = secs(t);
            let job = &emulator.jobs()[0];
            let emulated = match job.state {
                JobState::Pending => Seen::Pending,
                JobState::Importing => Seen::Importing(job.progress as u8),
                JobState::Completed => Seen::Completed,
                other => panic!("{other:?}"),
            };
            assert_eq!(
                model.at(t, d),
                emulated,
                "{model:?} at {t} s: the simulation's model differs from the emulator's"
            );
        }
    }
}

// ------------------------------------------------------------- reports

struct Summary {
    polls_mean: f64,
    polls_min: usize,
    polls_max: usize,
    delay_mean: f64,
    delay_median: f64,
    delay_max: f64,
}

fn summary(trials: &[Trial]) -> Summary {
    let polls: Vec<usize> = trials.iter().map(|t| t.polls).collect();
    let delays: Vec<f64> = trials.iter().map(|t| t.delay).collect();
    Summary {
        polls_mean: polls.iter().sum::<usize>() as f64 / polls.len() as f64,
        polls_min: *polls.iter().min().unwrap(),
        polls_max: *polls.iter().max().unwrap(),
        delay_mean: delays.iter().sum::<f64>() / delays.len() as f64,
        delay_median: median_f64(&delays),
        delay_max: delays.iter().cloned().fold(f64::MIN, f64::max),
    }
}

fn print_tables(rows: &[Row]) {
    for model in MODELS {
        println!("\n### {}\n", model.label());
        println!(
            "| job | strategy | polls mean | polls min-max | delay mean s | delay median s | delay max s |"
        );
        println!("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for row in rows.iter().filter(|r| r.model == model) {
            let s = summary(&row.trials);
            println!(
                "| {} | {} | {:.1} | {}-{} | {:.2} | {:.2} | {:.2} |",
                row.job,
                row.strategy.label(),
                s.polls_mean,
                s.polls_min,
                s.polls_max,
                s.delay_mean,
                s.delay_median,
                s.delay_max,
            );
        }
    }
}

fn find<'a>(rows: &'a [Row], model: Model, job: &str, strategy: Strategy) -> &'a [Trial] {
    &rows
        .iter()
        .find(|r| r.model == model && r.job == job && r.strategy == strategy)
        .expect("a row")
        .trials
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

/// One PASS/FAIL line per goal; `part`: "measured" or "SIMULATION".
fn goals(rows: &[Row], part: &str) {
    println!();
    for (job, max_polls, max_mean) in [("60 s", 12, 2.0), ("10 min", 30, 3.0)] {
        let s = summary(find(rows, Model::Steady, job, Strategy::Predictive));
        let polls_ok = s.polls_max <= max_polls;
        let delay_ok = s.delay_mean <= max_mean;
        println!(
            "RESULT wait goal ({part}) {job} steady job: polls max {} (goal <= {max_polls}) {}; \
             delay mean {:.2} s (goal <= {max_mean} s) {}",
            s.polls_max,
            verdict(polls_ok),
            s.delay_mean,
            verdict(delay_ok),
        );
    }
    for (job, _) in JOBS {
        let predictive = summary(find(rows, Model::Silent, job, Strategy::Predictive));
        let backoff = summary(find(rows, Model::Silent, job, Strategy::Backoff));
        let polls_ok = predictive.polls_max <= backoff.polls_min;
        let delay_ok = predictive.delay_max <= MAX;
        println!(
            "RESULT wait goal ({part}) {job} silent job: polls {}-{} vs backoff {}-{} \
             (goal: every trial <= backoff's fewest) {}; delay max {:.2} s (goal <= {MAX} s) {}",
            predictive.polls_min,
            predictive.polls_max,
            backoff.polls_min,
            backoff.polls_max,
            verdict(polls_ok),
            predictive.delay_max,
            verdict(delay_ok),
        );
    }
}

fn main() {
    let quick = quick();
    let scale: f64 = std::env::var("ZI_BENCH_WAIT_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 200.0 } else { 20.0 });
    let trials = if quick { 3 } else { 10 };
    let sims = if quick { 1_000 } else { 10_000 };

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(check_models());

    println!(
        "\n## Measured: real waiters against the emulator on its real clock \
         (times scaled 1/{scale}, {trials} jobs per row all at once; figures scaled back to full time)\n"
    );
    rt.block_on(calibrate(scale));
    let started = Instant::now();
    let rows = rt.block_on(measured(scale, trials));
    println!(
        "(measured part: {:.1} s of wall time)",
        started.elapsed().as_secs_f64()
    );
    print_tables(&rows);
    goals(&rows, "measured");

    println!(
        "\n## SIMULATION (not measured): the real PollSchedule and the other schedules at full \
         scale, {sims} trials per row, {:.0} ms round trip",
        RTT * 1e3
    );
    let rows = simulated(sims);
    print_tables(&rows);
    goals(&rows, "SIMULATION");

    println!(
        "\n## SIMULATION (not measured): as above, job lengths spread uniformly over ±10 % \
         around 60 s and 10 min, {sims} trials per row"
    );
    let rows = simulated_spread(sims);
    print_tables(&rows);
    println!();
    for (job, _) in &JOBS[1..] {
        let predictive = find(&rows, Model::Silent, job, Strategy::Predictive);
        let backoff = find(&rows, Model::Silent, job, Strategy::Backoff);
        let fewer = predictive
            .iter()
            .zip(backoff)
            .filter(|(p, b)| p.polls <= b.polls)
            .count();
        println!(
            "SIMULATION, lengths spread: {job} silent job: predictive polls <= backoff polls on \
             the same length in {fewer} of {sims} trials"
        );
    }
}
