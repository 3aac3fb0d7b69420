//! Load: 10,000 creates at concurrency 256 through one client against the
//! emulator running as a separate process (so this process holds only the
//! client), sampling this process's RSS every 1,000 calls; then a second
//! batch of 10,000 on the same client, to show memory stays flat once the
//! connection pool is warm. The same for raw reqwest, for scale.
//!
//! `cargo build --release -p zilliz-import-cli && cargo bench --all-features --bench load_memory`

mod common;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Instant,
};

use common::*;
use futures::future::join_all;

const CONCURRENCY: usize = 256;

struct Batch {
    seconds: f64,
    errors: usize,
    samples: Vec<(usize, u64)>,
}

async fn batch<F, Fut>(total: usize, call: F) -> Batch
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let errors = AtomicUsize::new(0);
    let samples = Mutex::new(vec![(0, rss_kib())]);
    let started = Instant::now();
    join_all((0..CONCURRENCY).map(|_| async {
        while next.fetch_add(1, Ordering::Relaxed) < total {
            if !call().await {
                errors.fetch_add(1, Ordering::Relaxed);
            }
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(1_000) {
                samples.lock().unwrap().push((n, rss_kib()));
            }
        }
    }))
    .await;
    Batch {
        seconds: started.elapsed().as_secs_f64(),
        errors: errors.into_inner(),
        samples: samples.into_inner().unwrap(),
    }
}

fn report(label: &str, n: usize, batches: &[Batch], emulator_pid: u32) {
    println!(
        "\n## {label}: {n} creates x {} batches at concurrency {CONCURRENCY}",
        batches.len()
    );
    for (i, b) in batches.iter().enumerate() {
        let rss: Vec<String> = b
            .samples
            .iter()
            .map(|(n, kib)| format!("{}k:{:.1}", n / 1000, *kib as f64 / 1024.0))
            .collect();
        let first = b.samples.first().unwrap().1 as f64 / 1024.0;
        let last = b.samples.last().unwrap().1 as f64 / 1024.0;
        let max = b.samples.iter().map(|s| s.1).max().unwrap() as f64 / 1024.0;
        println!(
            "batch {}: {:.2} s, {:.0} calls/s, {} errors; RSS MiB start {first:.1}, max {max:.1}, \
             end {last:.1} (growth {:+.1} MiB, {:+.1} KiB per 1,000 calls)",
            i + 1,
            b.seconds,
            n as f64 / b.seconds,
            b.errors,
            last - first,
            (last - first) * 1024.0 / (n as f64 / 1000.0),
        );
        println!("  RSS by calls done (k:MiB): {}", rss.join(" "));
    }
    println!(
        "RESULT load {label}: client RSS after batch 1 {:.1} MiB, after the last batch {:.1} MiB \
         (emulator process RSS {:.1} MiB, it keeps every job and request)",
        batches[0].samples.last().unwrap().1 as f64 / 1024.0,
        batches.last().unwrap().samples.last().unwrap().1 as f64 / 1024.0,
        proc_kib(&emulator_pid.to_string(), "VmRSS:") as f64 / 1024.0,
    );
}

fn main() {
    let total = if quick() { 2_000 } else { 10_000 };
    let rt = tokio::runtime::Runtime::new().unwrap();
    println!(
        "bench process RSS before the runtime work: {:.1} MiB",
        rss_kib() as f64 / 1024.0
    );
    rt.block_on(async {
        let emulator = StandaloneEmulator::spawn();
        let client = crate_client(&emulator.base_url);
        let body = {
            // The crate's exact body, captured by a short-lived in-process emulator.
            let probe = zilliz_import_emulator::Emulator::builder()
                .api_key(API_KEY)
                .start()
                .await
                .expect("probe emulator");
            let body = capture_body(&crate_client(&probe.base_url()), &probe).await;
            probe.shutdown().await;
            body
        };
        client.create_import_job(job()).await.expect("create");
        println!(
            "after building the client and one call: {:.1} MiB",
            rss_kib() as f64 / 1024.0
        );
        let mut crate_batches = Vec::new();
        for _ in 0..3 {
            crate_batches.push(
                batch(total, || async {
                    client.create_import_job(job()).await.is_ok()
                })
                .await,
            );
        }
        report("zilliz-import", total, &crate_batches, emulator.pid());

        let raw = Arc::new(Raw::new(&emulator.base_url, body));
        let mut raw_batches = Vec::new();
        for _ in 0..3 {
            raw_batches.push(batch(total, || async { raw.create().await.is_ok() }).await);
        }
        report(
            "raw reqwest (same process, after)",
            total,
            &raw_batches,
            emulator.pid(),
        );
    });
}
