//! Emulator memory under a long mixed load: 100,000 requests against the
//! in-process emulator with its default settings, from 16 concurrent clients
//! in the same process, sampling the process's RSS every 10,000 requests.
//!
//! The mix, per 40 requests: 8 creates, 14 describes (of a recent job), 14
//! lists (first page), 3 small describes without a valid key and 1 describe
//! without a valid key carrying a 2 MB JSON body (`[0,0,…]`, the shape that
//! costs most once parsed), sent in full over its own connection.
//!
//! `CARGO_TARGET_DIR=/work/target-emu cargo bench --all-features --bench emulator_memory`
//!
//! `EMU_BENCH_REQUESTS` changes the total (default 100,000) and
//! `EMU_BENCH_BIG_EVERY` how often a 2 MB post is sent (default 40; 0 for
//! never). The bench uses only API that the emulator has always had, so it
//! also runs against older versions of the crate.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zilliz_import_emulator::{Emulator, EmulatorHandle};

const KEY: &str = "bench-key";
const CLUSTER: &str = "in01-bench";
const CREATE: &str = "/v2/vectordb/jobs/import/create";
const DESCRIBE: &str = "/v2/vectordb/jobs/import/describe";
const LIST: &str = "/v2/vectordb/jobs/import/list";
const CONCURRENCY: usize = 16;
const SAMPLES: usize = 10;
const BIG_BODY: usize = 2_000_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

#[derive(Clone, Copy)]
enum Kind {
    Create,
    Describe,
    List,
    Unauthorized,
    UnauthorizedBig,
}

fn kind(i: usize, big_every: usize) -> Kind {
    if big_every > 0 && i % big_every == big_every - 1 {
        return Kind::UnauthorizedBig;
    }
    match i % 40 {
        0..=7 => Kind::Create,
        8..=21 => Kind::Describe,
        22..=35 => Kind::List,
        _ => Kind::Unauthorized,
    }
}

#[derive(Default)]
struct Counts {
    ok: AtomicUsize,
    unexpected: AtomicUsize,
    big_answered_401: AtomicUsize,
    big_cut_before_answer: AtomicUsize,
}

struct Sample {
    requests: usize,
    rss_kib: u64,
    jobs: usize,
    logged: usize,
    seconds: f64,
}

/// `[0,0,…,0]`, exactly `len` bytes.
fn zeros_array(len: usize) -> Vec<u8> {
    let mut body = Vec::with_capacity(len);
    body.push(b'[');
    while body.len() + 3 <= len {
        body.extend_from_slice(b"0,");
    }
    body.push(b'0');
    while body.len() < len - 1 {
        body.push(b' ');
    }
    body.push(b']');
    body
}

/// Sends the whole request over a fresh connection; true if a 401 came back
/// before the server closed it (it may close first, as it does not read it).
async fn big_unauthorized(addr: SocketAddr, body: &[u8]) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return false;
    };
    let head = format!(
        "POST {DESCRIBE} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n\
         authorization: Bearer wrong-key\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let (mut rd, mut wr) = stream.split();
    let write = async {
        if wr.write_all(head.as_bytes()).await.is_ok() {
            let _ = wr.write_all(body).await;
        }
    };
    let read = async {
        let mut got = Vec::new();
        let mut chunk = [0u8; 512];
        while got.len() < 12 {
            match rd.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&chunk[..n]),
            }
        }
        got.starts_with(b"HTTP/1.1 401")
    };
    let ((), answered) =
        tokio::time::timeout(Duration::from_secs(30), async { tokio::join!(write, read) })
            .await
            .unwrap_or(((), false));
    answered
}

async fn post(client: &reqwest::Client, url: &str, key: &str, body: &Value) -> Option<Value> {
    let resp = client
        .post(url)
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .ok()?;
    resp.json().await.ok()
}

async fn one(
    i: usize,
    big_every: usize,
    h: &EmulatorHandle,
    client: &reqwest::Client,
    recent: &Mutex<VecDeque<String>>,
    big: &[u8],
    counts: &Counts,
) {
    let base = h.base_url();
    let expect = |ok: bool| {
        let counter = if ok { &counts.ok } else { &counts.unexpected };
        counter.fetch_add(1, Ordering::Relaxed);
    };
    match kind(i, big_every) {
        Kind::Create => {
            let body = json!({
                "clusterId": CLUSTER,
                "collectionName": format!("coll_{}", i % 7),
                "objectUrls": [[format!("s3://bench-bucket/run/part-{i:06}.parquet")]],
            });
            let answer = post(client, &format!("{base}{CREATE}"), KEY, &body).await;
            match answer.as_ref().and_then(|a| a["data"]["jobId"].as_str()) {
                Some(id) => {
                    let mut recent = recent.lock().unwrap();
                    recent.push_back(id.to_owned());
                    if recent.len() > 64 {
                        recent.pop_front();
                    }
                    expect(true);
                }
                None => expect(false),
            }
        }
        Kind::Describe => {
            let job_id = recent.lock().unwrap().back().cloned();
            let body = json!({"clusterId": CLUSTER, "jobId": job_id.unwrap_or_default()});
            let answer = post(client, &format!("{base}{DESCRIBE}"), KEY, &body).await;
            expect(answer.is_some_and(|a| a["code"] == 0 || a["code"] == 80000));
        }
        Kind::List => {
            let body = json!({"clusterId": CLUSTER, "pageSize": 10, "currentPage": 1});
            let answer = post(client, &format!("{base}{LIST}"), KEY, &body).await;
            expect(answer.is_some_and(|a| a["code"] == 0));
        }
        Kind::Unauthorized => {
            let body = json!({"clusterId": CLUSTER, "jobId": "1"});
            let answer = post(client, &format!("{base}{DESCRIBE}"), "wrong-key", &body).await;
            expect(answer.is_some_and(|a| a["code"] == 21119));
        }
        Kind::UnauthorizedBig => {
            let counter = if big_unauthorized(h.local_addr(), big).await {
                &counts.big_answered_401
            } else {
                &counts.big_cut_before_answer
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn main() {
    let total = env_usize("EMU_BENCH_REQUESTS", 100_000);
    let big_every = env_usize("EMU_BENCH_BIG_EVERY", 40);
    let sample_every = (total / SAMPLES).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let before_start = rss_kib();
        let h = Emulator::builder()
            .api_key(KEY)
            .cluster_ids([CLUSTER])
            .start()
            .await
            .expect("emulator starts");
        let client = reqwest::Client::new();
        let recent = Mutex::new(VecDeque::new());
        let big = zeros_array(BIG_BODY);
        let counts = Counts::default();
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let started = Instant::now();
        let samples = Mutex::new(vec![Sample {
            requests: 0,
            rss_kib: rss_kib(),
            jobs: 0,
            logged: 0,
            seconds: 0.0,
        }]);
        let h = Arc::new(h);
        futures::future::join_all((0..CONCURRENCY).map(|_| async {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                one(i, big_every, &h, &client, &recent, &big, &counts).await;
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_multiple_of(sample_every) {
                    let rss = rss_kib();
                    samples.lock().unwrap().push(Sample {
                        requests: n,
                        rss_kib: rss,
                        jobs: h.job_count(),
                        logged: h.requests().len(),
                        seconds: started.elapsed().as_secs_f64(),
                    });
                }
            }
        }))
        .await;

        let mut samples = samples.into_inner().unwrap();
        samples.sort_by_key(|s| s.requests);
        println!(
            "emulator_memory: {total} requests, {CONCURRENCY} clients, a 2 MB unauthenticated post every {big_every}"
        );
        println!("RSS before the emulator started: {:.1} MiB", before_start as f64 / 1024.0);
        println!();
        println!("| requests | RSS (MiB) | jobs held | requests logged | elapsed (s) |");
        println!("| ---: | ---: | ---: | ---: | ---: |");
        for s in &samples {
            println!(
                "| {} | {:.1} | {} | {} | {:.1} |",
                s.requests,
                s.rss_kib as f64 / 1024.0,
                s.jobs,
                s.logged,
                s.seconds
            );
        }
        println!();
        println!(
            "answered as expected: {}; unexpected: {}; 2 MB posts answered 401: {}, closed before the answer was read: {}",
            counts.ok.load(Ordering::Relaxed),
            counts.unexpected.load(Ordering::Relaxed),
            counts.big_answered_401.load(Ordering::Relaxed),
            counts.big_cut_before_answer.load(Ordering::Relaxed),
        );
    });
}
