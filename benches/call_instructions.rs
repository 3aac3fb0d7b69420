//! Instructions per create of the client process, counted rather than timed:
//! this machine is shared and wall-clock ratios move by ±0.1 between runs,
//! while `valgrind --tool=callgrind` counts the same for the same binary and
//! input.
//!
//! ```text
//! call_instructions serve        the emulator (this process, not counted): prints its base URL, serves until killed
//! call_instructions MODE N URL [C]  N creates against URL, one client of MODE, C in flight (default 1)
//! call_instructions sizes URL    the sizes of a create's futures, unpolled (nothing is sent)
//! ```
//!
//! MODE is `crate` (the full client, `create_import_job`), `generated` (the
//! progenitor layer alone, via `Client::raw()`), `reqwest` (plain
//! `reqwest::Client::new()`, the floor) or `reqwest-configured` (reqwest set
//! up as the crate sets it up). Two more, to price a feature that is off by
//! default: `crate-rate-limited` (a rate limit too high to ever wait) and
//! `crate-idempotent` (`generate_idempotency_key()`: a UUID per create and
//! the retry class it allows). The official SDK's twin is
//! `benches/peer/src/bin/instructions.rs`. `benches/instructions.sh` starts
//! one emulator, runs every client under callgrind at two N (300 and 1,300)
//! and divides the difference of the totals by the difference of N, which
//! cancels the one-time start-up (TLS roots, runtime, first connection).
//! Only the client process is counted; the emulator runs in another one.
//! With C > 1, C loops share the N creates on this one thread, as in
//! `client_overhead`'s throughput: the cost per create when the client's
//! thread is what limits throughput, without the machine's load in it.
//!
//! `cargo bench` runs every bench with `--bench` and nothing else: a short
//! smoke run of each mode against an emulator in this process then.

mod common;

use std::{
    num::NonZeroU32,
    sync::atomic::{AtomicUsize, Ordering},
};

use common::*;
use futures::future::join_all;
use zilliz_import::generated::types;

/// The job id a create answered, or why it failed.
type Outcome = Result<String, String>;

/// The four clients, each sending [`job`]'s create with the same body.
struct Clients {
    krate: zilliz_import::Client,
    rate_limited: zilliz_import::Client,
    body: types::CreateImportJobRequest,
    raw: Raw,
    raw_configured: Raw,
}

impl Clients {
    fn new(base_url: &str) -> Clients {
        // The body the crate sends for `job()`, through the generated
        // builder, as JSON for the raw clients.
        let body: types::CreateImportJobRequest = types::CreateImportJobRequest::builder()
            .cluster_id(CLUSTER.to_owned())
            .collection_name(COLLECTION)
            .object_url(Some(OBJECT_URL.to_owned()))
            .try_into()
            .expect("body");
        let json = bytes::Bytes::from(serde_json::to_vec(&body).expect("json"));
        Clients {
            krate: crate_client(base_url),
            rate_limited: zilliz_import::Client::builder()
                .api_key(API_KEY)
                .base_url(base_url)
                .rate_limit(NonZeroU32::new(1_000_000).expect("not zero"))
                .build()
                .expect("client config"),
            body,
            raw: Raw::new(base_url, json.clone()),
            raw_configured: Raw::configured_like_crate(base_url, json),
        }
    }

    async fn create(&self, mode: &str) -> Outcome {
        match mode {
            "crate" => created(&self.krate, job()).await,
            "crate-rate-limited" => created(&self.rate_limited, job()).await,
            "crate-idempotent" => created(&self.krate, job().generate_idempotency_key()).await,
            "generated" => self
                .krate
                .raw()
                .create_import_job()
                .body(self.body.clone())
                .send()
                .await
                .map(|r| r.into_inner().data.job_id)
                .map_err(|e| e.to_string()),
            "reqwest" => self.raw.create().await,
            "reqwest-configured" => self.raw_configured.create().await,
            other => {
                panic!(
                    "unknown mode {other}: crate, crate-rate-limited, crate-idempotent, \
                     generated, reqwest or reqwest-configured"
                )
            }
        }
    }
}

/// `n` creates by `concurrency` loops sharing a counter, every answer checked.
async fn creates(base_url: &str, mode: &str, n: usize, concurrency: usize) {
    let clients = Clients::new(base_url);
    let next = AtomicUsize::new(0);
    let worker = || async {
        while next.fetch_add(1, Ordering::Relaxed) < n {
            match clients.create(mode).await {
                Ok(job_id) if !job_id.is_empty() => {}
                other => panic!("{mode}: a create answered {other:?}"),
            }
        }
    };
    join_all((0..concurrency.max(1)).map(|_| worker())).await;
    println!("{mode}: {n} creates, {concurrency} in flight");
}

/// One create through the crate's client: the job id, or the error's text.
async fn created(client: &zilliz_import::Client, job: zilliz_import::CreateImportJob) -> Outcome {
    client
        .create_import_job(job)
        .await
        .map(|c| c.job_id)
        .map_err(|e| e.to_string())
}

/// The sizes of a create's futures, unpolled: the generated call's is what
/// `Client::create_import_job` boxes (one allocation of that size, and a
/// copy of it), the exec hook's is part of it. Nothing is polled or sent.
fn sizes(url: &str) {
    let clients = Clients::new(url);
    let send = clients
        .krate
        .raw()
        .create_import_job()
        .body(clients.body.clone())
        .send();
    println!("generated call: {}", std::mem::size_of_val(&send));
    let create = clients.krate.create_import_job(job());
    println!("crate create: {}", std::mem::size_of_val(&create));
    let request = reqwest::Request::new(reqwest::Method::POST, url.parse().expect("url"));
    let info = progenitor_client::OperationInfo {
        operation_id: "create_import_job",
    };
    let exec = progenitor_client::ClientHooks::exec(clients.krate.raw(), request, &info);
    println!("exec hook: {}", std::mem::size_of_val(&exec));
    println!("request: {}", std::mem::size_of::<reqwest::Request>());
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["sizes", url] => sizes(url),
        ["serve"] => {
            let emulator = start_emulator().await;
            println!("{}", emulator.base_url());
            std::future::pending::<()>().await;
        }
        [mode, n, url, ref rest @ ..] if rest.len() <= 1 => {
            let n = n.parse().expect("N: a number of creates");
            let c = rest
                .first()
                .map_or(1, |c| c.parse().expect("C: creates in flight"));
            creates(url, mode, n, c).await;
        }
        // `cargo bench`: a smoke run of every mode.
        _ => {
            let emulator = start_emulator().await;
            for mode in [
                "crate",
                "crate-rate-limited",
                "crate-idempotent",
                "generated",
                "reqwest",
                "reqwest-configured",
            ] {
                creates(&emulator.base_url(), mode, 10, 1).await;
                creates(&emulator.base_url(), mode, 40, 16).await;
            }
        }
    }
}
