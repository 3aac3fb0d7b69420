//! The crate's create versus a raw `reqwest` call with the same body and
//! headers, against the same loopback server in the same run: sequential
//! per-call latency, then throughput at concurrency 1, 16 and 128.
//!
//! Two servers: the in-process emulator (what a test suite talks to) and a
//! minimal axum server that answers a fixed envelope (so the client's own
//! cost is a larger share of each call). The servers run on their own
//! one-worker runtime; the clients on a current-thread runtime, so each side
//! has about one core of this 2-core machine. Crate and raw calls alternate
//! in rounds (every order in turn) so drift in machine load hits both alike.
//!
//! `cargo bench --all-features --bench client_overhead`
//!
//! Narrower runs (environment): `ZI_OVERHEAD_SERVERS` (default
//! `emulator,minimal`), `ZI_OVERHEAD_CONCURRENCY` (default `1,16,128`) and
//! `ZI_OVERHEAD_LATENCY=0` (no sequential latency part); `ZI_OVERHEAD_ROUNDS`
//! (throughput rounds, default 8) and `ZI_OVERHEAD_CALLS` (calls per round at
//! 16 and 128 in flight, default 6,000: about 0.15 s a round when quiet, too
//! short on a shared machine). The issue's check, throughput at 16 and 128
//! in flight against the emulator:
//!
//! ```text
//! ZI_OVERHEAD_SERVERS=emulator ZI_OVERHEAD_CONCURRENCY=16,128 ZI_OVERHEAD_LATENCY=0 \
//!     ZI_OVERHEAD_ROUNDS=16 ZI_OVERHEAD_CALLS=30000 cargo bench --all-features --bench client_overhead
//! ```

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use common::*;
use futures::future::join_all;
use zilliz_import::{
    Client,
    generated::{self, types},
};

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Crate,
    Raw,
    RawConfigured,
    Generated,
}

const SIDES: [Side; 4] = [Side::Crate, Side::Raw, Side::RawConfigured, Side::Generated];

impl Side {
    fn label(self) -> &'static str {
        match self {
            Side::Crate => "zilliz-import",
            Side::Raw => "raw reqwest (Client::new())",
            Side::RawConfigured => "raw reqwest, configured like the crate",
            Side::Generated => "generated layer only (Client::raw())",
        }
    }
}

struct Sides {
    client: Client,
    raw: Raw,
    raw_configured: Raw,
}

impl Sides {
    async fn call(&self, side: Side) -> Result<String, String> {
        match side {
            Side::Crate => self
                .client
                .create_import_job(job())
                .await
                .map(|c| c.job_id)
                .map_err(|e| e.to_string()),
            Side::Raw => self.raw.create().await,
            Side::RawConfigured => self.raw_configured.create().await,
            Side::Generated => {
                // progenitor's client alone: no validation, retries, envelope
                // check or response capture (the crate's hook passes through).
                let body = types::CreateImportJobRequest::builder()
                    .cluster_id(CLUSTER.to_owned())
                    .collection_name(COLLECTION)
                    .object_url(Some(OBJECT_URL.to_owned()));
                let response = self
                    .client
                    .raw()
                    .create_import_job()
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| format!("{e:?}"))?
                    .into_inner();
                match (response.code, response.data.job_id) {
                    (generated::Code::Int64(0 | 200), job_id) => Ok(job_id),
                    (code, _) => Err(format!("code {code}")),
                }
            }
        }
    }
}

/// The sides in a different order each round (rotated, and reversed every
/// other cycle), so a change in machine load during a round does not favour
/// one side.
fn order(round: usize) -> [Side; 4] {
    let mut sides = SIDES;
    sides.rotate_left(round % 4);
    if (round / 4) % 2 == 1 {
        sides.reverse();
    }
    sides
}

/// Sequential calls, one at a time; every call's latency, per side.
async fn latency(sides: &Sides, rounds: usize, per_round: usize) -> [Vec<Duration>; 4] {
    for side in SIDES {
        for _ in 0..per_round {
            sides.call(side).await.expect("warm-up call");
        }
    }
    let mut out: [Vec<Duration>; 4] = Default::default();
    for round in 0..rounds {
        for side in order(round) {
            let samples = &mut out[side as usize];
            for _ in 0..per_round {
                let t = Instant::now();
                sides.call(side).await.expect("call");
                samples.push(t.elapsed());
            }
        }
    }
    for samples in &mut out {
        samples.sort();
    }
    out
}

/// `total` calls by `concurrency` loops sharing a counter; calls per second.
async fn throughput(sides: &Sides, side: Side, concurrency: usize, total: usize) -> f64 {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let next = Arc::clone(&next);
        async move {
            let mut errors = 0usize;
            while next.fetch_add(1, Ordering::Relaxed) < total {
                if sides.call(side).await.is_err() {
                    errors += 1;
                }
            }
            errors
        }
    });
    let errors: usize = join_all(workers).await.into_iter().sum();
    let elapsed = started.elapsed();
    assert_eq!(
        errors, 0,
        "{errors} failed calls at concurrency {concurrency}"
    );
    total as f64 / elapsed.as_secs_f64()
}

/// A comma-separated list from the environment, or `default`.
fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

async fn run_server(name: &str, sides: &Sides, quick: bool) {
    if std::env::var("ZI_OVERHEAD_LATENCY").as_deref() != Ok("0") {
        latency_table(name, sides, quick).await;
    }
    throughput_table(name, sides, quick).await;
}

async fn latency_table(name: &str, sides: &Sides, quick: bool) {
    let (rounds, per_round) = if quick { (8, 100) } else { (16, 400) };
    let lat = latency(sides, rounds, per_round).await;
    println!(
        "\n## {name}: sequential create latency ({} calls per client, {rounds} rounds)",
        lat[0].len()
    );
    println!("| client | p50 µs | p90 µs | p99 µs |");
    println!("| --- | ---: | ---: | ---: |");
    for side in SIDES {
        let s = &lat[side as usize];
        println!(
            "| {} | {:.1} | {:.1} | {:.1} |",
            side.label(),
            us(percentile(s, 50.0)),
            us(percentile(s, 90.0)),
            us(percentile(s, 99.0))
        );
    }
    let p50 = |side: Side| percentile(&lat[side as usize], 50.0).as_secs_f64();
    let ratio = p50(Side::Crate) / p50(Side::Raw);
    println!(
        "RESULT latency {name}: median ratio crate/raw = {ratio:.3} (target <= 1.10: {}); \
         crate/raw-configured-like-crate = {:.3}; generated-layer-only/raw = {:.3}",
        if ratio <= 1.10 { "met" } else { "MISSED" },
        p50(Side::Crate) / p50(Side::RawConfigured),
        p50(Side::Generated) / p50(Side::Raw)
    );
}

async fn throughput_table(name: &str, sides: &Sides, quick: bool) {
    let rounds = env_usize("ZI_OVERHEAD_ROUNDS", if quick { 4 } else { 8 }).max(1);
    println!("\n## {name}: throughput (calls/s, median of {rounds} rounds)");
    println!(
        "| concurrency | zilliz-import | raw reqwest | raw, configured like the crate | generated layer only | crate/raw | crate/raw-configured | generated/raw |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut results = Vec::new();
    let levels = env_list("ZI_OVERHEAD_CONCURRENCY", "1,16,128");
    for concurrency in levels
        .iter()
        .map(|c| c.parse::<usize>().expect("a concurrency"))
    {
        let total = match (quick, concurrency) {
            (true, 1) => 300,
            (true, _) => 2_000,
            (false, 1) => 2_000,
            (false, _) => env_usize("ZI_OVERHEAD_CALLS", 6_000),
        };
        for side in SIDES {
            throughput(sides, side, concurrency, total / 4).await; // warm the pool
        }
        let mut rates: [Vec<f64>; 4] = Default::default();
        for round in 0..rounds {
            for side in order(round) {
                rates[side as usize].push(throughput(sides, side, concurrency, total).await);
            }
        }
        let [k, r, rc, g] = rates.map(|v| median_f64(&v));
        let ratio = k / r;
        println!(
            "| {concurrency} | {k:.0} | {r:.0} | {rc:.0} | {g:.0} | {ratio:.3} | {:.3} | {:.3} |",
            k / rc,
            g / r
        );
        results.push((concurrency, ratio));
    }
    for (concurrency, ratio) in results {
        println!(
            "RESULT throughput {name} c={concurrency}: crate/raw = {ratio:.3} (target >= 0.90: {})",
            if ratio >= 0.90 { "met" } else { "MISSED" }
        );
    }
}

fn main() {
    let quick = quick();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("bench-server")
        .enable_all()
        .build()
        .unwrap();
    let emulator = server_rt.block_on(start_emulator());
    let minimal_url = server_rt.block_on(start_minimal_server());

    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    client_rt.block_on(async {
        let emu_client = crate_client(&emulator.base_url());
        let body = capture_body(&emu_client, &emulator).await;
        println!(
            "create body ({} bytes), identical for both clients: {}",
            body.len(),
            String::from_utf8_lossy(&body)
        );
        let emu = Sides {
            client: emu_client,
            raw: Raw::new(&emulator.base_url(), body.clone()),
            raw_configured: Raw::configured_like_crate(&emulator.base_url(), body.clone()),
        };
        let servers = env_list("ZI_OVERHEAD_SERVERS", "emulator,minimal");
        if servers.iter().any(|s| s == "emulator") {
            run_server("emulator", &emu, quick).await;
        }
        if servers.iter().any(|s| s == "minimal") {
            let minimal = Sides {
                client: crate_client(&minimal_url),
                raw: Raw::new(&minimal_url, body.clone()),
                raw_configured: Raw::configured_like_crate(&minimal_url, body),
            };
            run_server("minimal server", &minimal, quick).await;
        }
    });
    drop(emulator);
}
