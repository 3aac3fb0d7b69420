//! Sequential creates per second: this crate versus `pymilvus`'
//! `bulk_import` (what Python users run today), against the same standalone
//! emulator process in the same run, in alternating rounds.
//!
//! The Python side is benches/pymilvus_bench.py, run with `ZI_BENCH_PYTHON`
//! (default `python3`), which must have `pymilvus` installed
//! (benches/run.sh makes a virtualenv for it). Without it this bench says so
//! and measures only the Rust side.
//!
//! `cargo build --release -p zilliz-import-cli && cargo bench --all-features --bench vs_pymilvus`

mod common;

use std::{
    process::Command,
    time::{Duration, Instant},
};

use common::*;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pymilvus_bench.py");

struct PyRun {
    calls_per_s: f64,
    p50_us: f64,
    version: String,
}

fn python() -> String {
    std::env::var("ZI_BENCH_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn run_python(base_url: &str, calls: usize, extra: &[&str]) -> Result<String, String> {
    let out = Command::new(python())
        .arg(SCRIPT)
        .args([
            "--url",
            base_url,
            "--api-key",
            API_KEY,
            "--cluster-id",
            CLUSTER,
        ])
        .args(["--collection", COLLECTION, "--object-url", OBJECT_URL])
        .args(["--calls", &calls.to_string()])
        .args(extra)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn pymilvus_round(base_url: &str, calls: usize) -> Result<PyRun, String> {
    let line = run_python(base_url, calls, &[])?;
    let v: serde_json::Value =
        serde_json::from_str(line.lines().last().unwrap_or_default()).map_err(|e| e.to_string())?;
    Ok(PyRun {
        calls_per_s: v["calls"].as_f64().unwrap() / v["seconds"].as_f64().unwrap(),
        p50_us: v["p50_us"].as_f64().unwrap(),
        version: format!(
            "pymilvus {} on Python {}",
            v["pymilvus"].as_str().unwrap_or("?"),
            v["python"].as_str().unwrap_or("?")
        ),
    })
}

fn main() {
    let quick = quick();
    let (rounds, rust_calls, py_calls) = if quick { (1, 300, 50) } else { (3, 3_000, 300) };
    let emulator = StandaloneEmulator::spawn();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = crate_client(&emulator.base_url);

    match run_python(&emulator.base_url, 0, &["--signature"]) {
        Ok(sig) => println!("{sig}"),
        Err(e) => println!("pymilvus unavailable ({}): {e}", python()),
    }

    let (mut rust_rates, mut rust_p50, mut py) = (Vec::new(), Vec::new(), Vec::new());
    let mut py_error = None;
    rt.block_on(async {
        for _ in 0..200 {
            client.create_import_job(job()).await.unwrap();
        }
    });
    for round in 0..rounds {
        let rust = || {
            rt.block_on(async {
                let mut lat = Vec::with_capacity(rust_calls);
                let started = Instant::now();
                for _ in 0..rust_calls {
                    let t = Instant::now();
                    client.create_import_job(job()).await.unwrap();
                    lat.push(t.elapsed());
                }
                let rate = rust_calls as f64 / started.elapsed().as_secs_f64();
                lat.sort();
                (rate, percentile(&lat, 50.0))
            })
        };
        let mut python_round = || {
            if py_error.is_none() {
                match pymilvus_round(&emulator.base_url, py_calls) {
                    Ok(r) => py.push(r),
                    Err(e) => py_error = Some(e),
                }
            }
        };
        let mut rust_round = |(rate, p50): (f64, Duration)| {
            rust_rates.push(rate);
            rust_p50.push(us(p50));
        };
        if round % 2 == 0 {
            rust_round(rust());
            python_round();
        } else {
            python_round();
            rust_round(rust());
        }
    }

    println!(
        "\n## Sequential creates against one standalone emulator ({rounds} alternating rounds; \
         {rust_calls} Rust calls and {py_calls} Python calls per round)"
    );
    println!("| client | calls/s (median of rounds) | p50 latency µs |");
    println!("| --- | ---: | ---: |");
    let rust_rate = median_f64(&rust_rates);
    println!(
        "| zilliz-import (Rust) | {rust_rate:.0} | {:.0} |",
        median_f64(&rust_p50)
    );
    if let Some(e) = py_error {
        println!("pymilvus could not be measured: {e}");
        println!("RESULT vs pymilvus: not measured");
        return;
    }
    let py_rate = median_f64(&py.iter().map(|r| r.calls_per_s).collect::<Vec<_>>());
    println!(
        "| {} bulk_import | {py_rate:.0} | {:.0} |",
        py[0].version,
        median_f64(&py.iter().map(|r| r.p50_us).collect::<Vec<_>>())
    );
    let ratio = rust_rate / py_rate;
    println!(
        "RESULT vs pymilvus: zilliz-import is {ratio:.1}x faster sequentially (target >= 20x: {})",
        if ratio >= 20.0 { "met" } else { "MISSED" }
    );
}
