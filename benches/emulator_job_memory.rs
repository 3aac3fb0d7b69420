//! Emulator memory under creates of the largest shape a body allows: each
//! create names 1,000 file groups of one 1,900-character object URL (1.9 MB,
//! under the 2 MiB body limit), sent one after another to a
//! `zilliz-import emulator` process, whose VmRSS is read every 10 % of the
//! creates. A separate process, so the figure is the emulator's alone and an
//! older build can be measured by the same bench.
//!
//! `cargo build --release -p zilliz-import-cli && cargo bench --all-features --bench emulator_job_memory`
//!
//! - `EMU_BENCH_CREATES`: how many creates (default 200);
//! - `EMU_BENCH_ARGS`: more arguments for `zilliz-import emulator`, split on
//!   whitespace (e.g. `--job-duration 1h`, `--job-memory-limit 64MiB`);
//! - `ZI_BENCH_CLI`: another `zilliz-import` binary to run (an older build).

mod common;

use std::time::Instant;

use common::{API_KEY, CLUSTER, StandaloneEmulator, env_usize, proc_kib};
use serde_json::{Value, json};

const GROUPS: usize = 1_000;
const PATH_CHARS: usize = 1_900;
const SAMPLES: usize = 10;

/// Create number `i`: 1,000 groups of one URL of exactly 1,900 characters.
fn body(i: usize) -> Value {
    let groups: Vec<Value> = (0..GROUPS)
        .map(|j| {
            let head = format!("s3://bench-bucket/{i:06}/{j:04}/");
            let url = format!("{head}{}", "p".repeat(PATH_CHARS - head.len()));
            json!([url])
        })
        .collect();
    json!({"clusterId": CLUSTER, "collectionName": "big", "objectUrls": groups})
}

struct Sample {
    creates: usize,
    rss_kib: u64,
    held: i64,
    seconds: f64,
}

fn main() {
    let creates = env_usize("EMU_BENCH_CREATES", 200);
    let sample_every = (creates / SAMPLES).max(1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let extra = std::env::var("EMU_BENCH_ARGS").unwrap_or_default();
        let emulator =
            StandaloneEmulator::spawn_with(&extra.split_whitespace().collect::<Vec<_>>());
        let (base, pid) = (&emulator.base_url, emulator.pid().to_string());
        let client = reqwest::Client::new();
        let post = |path: &'static str, body: Value| {
            let request = client
                .post(format!("{base}/v2/vectordb/jobs/import/{path}"))
                .bearer_auth(API_KEY)
                .json(&body);
            async move {
                let answer = request.send().await.ok()?;
                answer.json::<Value>().await.ok()
            }
        };
        let held = || async {
            let list = post("list", json!({"clusterId": CLUSTER, "pageSize": 1})).await;
            list.and_then(|l| l["data"]["count"].as_i64()).unwrap_or(-1)
        };
        let body_bytes = body(0).to_string().len();
        let started = Instant::now();
        let mut samples = vec![Sample {
            creates: 0,
            rss_kib: proc_kib(&pid, "VmRSS:"),
            held: 0,
            seconds: 0.0,
        }];
        let (mut accepted, mut refused, mut other) = (0, 0, Vec::new());
        for i in 0..creates {
            match post("create", body(i)).await {
                Some(answer) if answer["code"] == 0 => accepted += 1,
                Some(answer) if answer["code"] == 47055 => refused += 1,
                answer => other.push(answer),
            }
            if (i + 1) % sample_every == 0 {
                samples.push(Sample {
                    creates: i + 1,
                    rss_kib: proc_kib(&pid, "VmRSS:"),
                    held: held().await,
                    seconds: started.elapsed().as_secs_f64(),
                });
            }
        }
        println!(
            "emulator_job_memory: {creates} creates of {GROUPS} groups of {PATH_CHARS}-character \
             URLs ({body_bytes} bytes each); emulator args: {:?}",
            extra
        );
        println!();
        println!("| creates | emulator RSS (MiB) | jobs held | elapsed (s) |");
        println!("| ---: | ---: | ---: | ---: |");
        for s in &samples {
            println!(
                "| {} | {:.1} | {} | {:.1} |",
                s.creates,
                s.rss_kib as f64 / 1024.0,
                s.held,
                s.seconds
            );
        }
        println!();
        println!(
            "accepted: {accepted}; refused with 47055: {refused}; other answers: {} (first: {:?})",
            other.len(),
            other.first()
        );
        drop(emulator);
    });
}
