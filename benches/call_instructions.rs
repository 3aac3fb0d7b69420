//! Instructions per create call, counted rather than timed: this machine is
//! shared and wall-clock ratios move by ±0.1 between runs, while
//! `valgrind --tool=callgrind` counts the same for the same binary and input.
//!
//! `call_instructions MODE N` makes N sequential creates against a minimal
//! in-process server (the same server work in every mode) with one of:
//! `crate` (the full client), `generated` (the progenitor layer alone, via
//! `Client::raw()`), `reqwest` (plain `reqwest::Client::new()`), or
//! `reqwest-configured` (reqwest set up as the crate sets it up).
//! `benches/run.sh` runs each mode under callgrind at two N and divides the
//! difference of the totals by the difference of N, which cancels the
//! one-time start-up (TLS roots, runtime, server).
//!
//! ```text
//! cargo bench --all-features --bench call_instructions --no-run
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/deps/call_instructions-* crate 1300
//! ```

mod common;

use common::*;
use zilliz_import::generated::types;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    // `cargo bench` runs every bench with `--bench`: do a short smoke run then.
    let mode = args
        .next()
        .filter(|m| m != "--bench")
        .unwrap_or_else(|| "crate".into());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10);

    let base = start_minimal_server().await;
    let client = crate_client(&base);
    let body: types::CreateImportJobRequest = types::CreateImportJobRequest::builder()
        .cluster_id(CLUSTER.to_owned())
        .collection_name(COLLECTION)
        .object_url(Some(OBJECT_URL.to_owned()))
        .try_into()
        .expect("body");
    let json = bytes::Bytes::from(serde_json::to_vec(&body).expect("json"));
    let raw = Raw::new(&base, json.clone());
    let raw_configured = Raw::configured_like_crate(&base, json);

    for _ in 0..n {
        let job_id = match mode.as_str() {
            "crate" => client
                .create_import_job(job())
                .await
                .map(|c| c.job_id)
                .map_err(|e| e.to_string()),
            "generated" => client
                .raw()
                .create_import_job()
                .body(body.clone())
                .send()
                .await
                .map(|r| {
                    r.into_inner()
                        .data
                        .and_then(|d| d.job_id)
                        .unwrap_or_default()
                })
                .map_err(|e| e.to_string()),
            "reqwest" => raw.create().await,
            "reqwest-configured" => raw_configured.create().await,
            other => {
                panic!("unknown mode {other}: crate, generated, reqwest or reqwest-configured")
            }
        };
        assert_eq!(job_id.as_deref(), Ok("448707763884413158"));
    }
    println!("{mode}: {n} creates");
}
