//! Sequential creates: zilliz-import versus the official Rust SDK
//! (`milvus-sdk-rust` 3.0.3, `milvus::v2::bulk_import::BulkImport::bulk_import`),
//! both against the same in-process emulator, in the same run.
//!
//! ```sh
//! cargo run --release --manifest-path benches/peer/Cargo.toml
//! ```
//!
//! The emulator runs on its own one-worker Tokio runtime; the two clients run
//! on one client runtime, either a current-thread runtime or a multi-thread
//! one (2 workers, the calls in a spawned task), and the bench does both, one
//! after the other. Each side sends the seed's create (cluster id, collection
//! `medium_articles`, one object URL) through one reused client, one call at
//! a time; rounds alternate which side goes first. Every answer is checked
//! (a job id must come back), and the emulator's request log is checked too
//! (every create authorised and answered with code 0).
//!
//! Settings (environment):
//!
//! - `ZI_PEER_ROUNDS` (default 10) and `ZI_PEER_CALLS` (default 500 per side
//!   per round); `ZI_BENCH_QUICK=1` makes it 2 × 50 (a smoke test);
//! - `ZI_PEER_RUNTIME`: `current`, `multi` or `both` (default).
//!
//! Prints one `RESULT` line per runtime flavour.

use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

use milvus::v2::bulk_import::{BulkImport, BulkImportConfig, BulkImportRequest};
use zilliz_import::{
    Client, CreateImportJob,
    };
use zilliz_import_emulator::{Emulator, EmulatorHandle};

const API_KEY: &str = "peer-bench-key";
/// The seed's example create (as in the crate's tests/common/mod.rs).
const CLUSTER: &str = "inxx-xxxxxxxxxxxxxxx";
const COLLECTION: &str = "medium_articles";
const OBJECT_URL: &str = "https://s3.us-west-2.amazonaws.com/publicdataset.zillizcloud.com/medium_articles_2020_dpr/medium_articles_2020_dpr.json";
const CREATE_PATH: &str = "/v2/vectordb/jobs/import/create";

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Side {
    Crate,
    Sdk,
}

impl Side {
    fn label(self) -> &'static str {
        match self {
            Side::Crate => "zilliz-import",
            Side::Sdk => "milvus-sdk-rust 3.0.3",
        }
    }
}

struct Clients {
    krate: Client,
    sdk: BulkImport,
}

impl Clients {
    fn new(base_url: &str) -> Clients {
        let krate = Client::builder()
            .api_key(API_KEY)
            .base_url(base_url)
            .build()
            .expect("zilliz-import client");
        let sdk = BulkImport::new(&BulkImportConfig::new().url(base_url).api_key(API_KEY))
            .expect("milvus-sdk-rust BulkImport client");
        Clients { krate, sdk }
    }

    /// One create; the job id it answered, or why it failed.
    async fn create(&self, side: Side) -> Result<String, String> {
        match side {
            Side::Crate => self
                .krate
                .create_import_job(CreateImportJob::new(CLUSTER, COLLECTION, OBJECT_URL))
                .await
                .map(|created| created.job_id)
                .map_err(|e| e.to_string()),
            Side::Sdk => {
                let request = BulkImportRequest::builder()
                    .cluster_id(CLUSTER)
                    .collection_name(COLLECTION)
                    .object_url(OBJECT_URL)
                    .build()
                    .map_err(|e| format!("request: {e}"))?;
                let response = self
                    .sdk
                    .bulk_import(request)
                    .await
                    .map_err(|e| e.to_string())?;
                response
                    .job_id()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("no jobId in {:?}", response.data()))
            }
        }
    }
}

/// Each side's latencies, and each round's creates per second.
#[derive(Default)]
struct Samples {
    latencies: BTreeMap<Side, Vec<Duration>>,
    per_second: BTreeMap<Side, Vec<f64>>,
}

async fn run(clients: &Clients, rounds: usize, calls: usize) -> Samples {
    // Warm-up: connections, pools, allocator.
    for side in [Side::Crate, Side::Sdk] {
        for _ in 0..calls.min(200) {
            clients.create(side).await.expect("warm-up create");
        }
    }
    let mut samples = Samples::default();
    for round in 0..rounds {
        let order = if round % 2 == 0 {
            [Side::Crate, Side::Sdk]
        } else {
            [Side::Sdk, Side::Crate]
        };
        for side in order {
            let latencies = samples.latencies.entry(side).or_default();
            let start = Instant::now();
            for _ in 0..calls {
                let t = Instant::now();
                let job_id = clients
                    .create(side)
                    .await
                    .unwrap_or_else(|e| panic!("{} create failed: {e}", side.label()));
                latencies.push(t.elapsed());
                assert!(!job_id.is_empty(), "{}: empty job id", side.label());
            }
            let rate = calls as f64 / start.elapsed().as_secs_f64();
            samples.per_second.entry(side).or_default().push(rate);
        }
    }
    samples
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn median_f64(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn report(flavour: &str, samples: &mut Samples, rounds: usize, calls: usize) {
    println!("\n{flavour} client runtime: {rounds} rounds x {calls} sequential creates per side");
    println!(
        "{:<24} {:>9} {:>9} {:>9} {:>12}",
        "client", "p50 µs", "p90 µs", "p99 µs", "creates/s"
    );
    let mut p50 = BTreeMap::new();
    let mut rate = BTreeMap::new();
    for side in [Side::Crate, Side::Sdk] {
        let l = samples.latencies.get_mut(&side).expect("samples");
        l.sort_unstable();
        let r = median_f64(&samples.per_second[&side]);
        println!(
            "{:<24} {:>9.1} {:>9.1} {:>9.1} {:>12.0}",
            side.label(),
            micros(percentile(l, 0.5)),
            micros(percentile(l, 0.9)),
            micros(percentile(l, 0.99)),
            r
        );
        p50.insert(side, micros(percentile(l, 0.5)));
        rate.insert(side, r);
    }
    let rates = |side| {
        samples.per_second[&side]
            .iter()
            .map(|r| format!("{r:.0}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("creates/s per round, zilliz-import: {}", rates(Side::Crate));
    println!("creates/s per round, sdk:           {}", rates(Side::Sdk));
    println!(
        "RESULT vs milvus-sdk-rust ({flavour}): median create latency crate {:.1} µs, sdk {:.1} µs, \
         ratio crate/sdk = {:.3}; creates/s crate {:.0}, sdk {:.0}, ratio crate/sdk = {:.3}",
        p50[&Side::Crate],
        p50[&Side::Sdk],
        p50[&Side::Crate] / p50[&Side::Sdk],
        rate[&Side::Crate],
        rate[&Side::Sdk],
        rate[&Side::Crate] / rate[&Side::Sdk],
    );
}

/// What the emulator saw of each client's first create, and whether every
/// create so far was authorised and answered with code 0.
fn check_requests(emulator: &EmulatorHandle) {
    let creates: Vec<_> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.path == CREATE_PATH)
        .collect();
    let bad: Vec<_> = creates
        .iter()
        .filter(|r| !r.authorized || r.status != 200 || r.code != 0)
        .collect();
    assert!(
        bad.is_empty(),
        "{} of {} creates in the emulator's log were refused; first: {:?}",
        bad.len(),
        creates.len(),
        bad.first()
    );
    println!(
        "emulator log: {} creates (the most recent ones), all authorised, HTTP 200, code 0",
        creates.len()
    );
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let quick = std::env::var("ZI_BENCH_QUICK").is_ok_and(|v| v == "1");
    let rounds = env_usize("ZI_PEER_ROUNDS", if quick { 2 } else { 10 }).max(1);
    let calls = env_usize("ZI_PEER_CALLS", if quick { 50 } else { 500 }).max(1);
    let flavours = std::env::var("ZI_PEER_RUNTIME").unwrap_or_else(|_| "both".to_owned());

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("peer-emulator")
        .enable_all()
        .build()
        .expect("server runtime");
    let emulator = server_rt.block_on(async {
        Emulator::builder()
            .api_key(API_KEY)
            .cluster_ids([CLUSTER])
            .job_limit(1_000_000)
            .start()
            .await
            .expect("emulator")
    });
    let base_url = emulator.base_url();
    println!("emulator at {base_url}; server on a 1-worker multi-thread runtime");

    // One create by each, with what the emulator recorded: the SDK must be
    // served, not just answered.
    let probe_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("probe runtime");
    probe_rt.block_on(async {
        let clients = Clients::new(&base_url);
        for side in [Side::Crate, Side::Sdk] {
            let before = emulator.job_count();
            let job_id = clients
                .create(side)
                .await
                .unwrap_or_else(|e| panic!("{} create failed: {e}", side.label()));
            let recorded = emulator
                .requests()
                .into_iter()
                .rev()
                .find(|r| r.path == CREATE_PATH)
                .expect("a recorded create");
            assert_eq!(emulator.job_count(), before + 1, "one job created");
            assert!(
                emulator.jobs().iter().any(|j| j.job_id == job_id),
                "the job id answered is held by the emulator"
            );
            println!(
                "{}: job {job_id}; sent {} {} content-type {:?}, user-agent {:?}, body {}; \
                 answered HTTP {} code {}",
                side.label(),
                recorded.method,
                recorded.path,
                recorded.content_type.as_deref().unwrap_or("-"),
                recorded.user_agent.as_deref().unwrap_or("-"),
                recorded.body,
                recorded.status,
                recorded.code
            );
        }
    });
    drop(probe_rt);

    if matches!(flavours.as_str(), "current" | "both") {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("client runtime");
        let mut samples = rt.block_on(async {
            let clients = Clients::new(&base_url);
            run(&clients, rounds, calls).await
        });
        report("current-thread", &mut samples, rounds, calls);
        check_requests(&emulator);
    }
    if matches!(flavours.as_str(), "multi" | "both") {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("client runtime");
        let base = base_url.clone();
        let mut samples = rt
            .block_on(rt.spawn(async move {
                let clients = Clients::new(&base);
                run(&clients, rounds, calls).await
            }))
            .expect("bench task");
        report("multi-thread (2 workers)", &mut samples, rounds, calls);
        check_requests(&emulator);
    }
    server_rt.block_on(emulator.shutdown());
}
