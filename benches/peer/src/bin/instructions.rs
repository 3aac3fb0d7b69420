//! The official Rust SDK's twin of `benches/call_instructions.rs`: N
//! creates through `milvus-sdk-rust` 3.0.3
//! (`milvus::v2::bulk_import::BulkImport::bulk_import`, its REST client on
//! reqwest 0.12) against an emulator started by `call_instructions serve`.
//!
//! ```text
//! instructions N URL [C]    N creates, C in flight (default 1)
//! ```
//!
//! `benches/instructions.sh` runs it under callgrind at two N, as it runs
//! the crate's clients, and takes the difference.

use std::sync::atomic::{AtomicUsize, Ordering};

use futures::future::join_all;
use milvus::v2::bulk_import::{BulkImport, BulkImportConfig, BulkImportRequest};

// The create of `benches/common/mod.rs` (`job()`), field for field.
const API_KEY: &str = "bench-api-key";
const CLUSTER: &str = "in01-emulator";
const COLLECTION: &str = "medium_articles";
const OBJECT_URL: &str =
    "s3://publicdataset/medium_articles_2020_dpr/medium_articles_2020_dpr.json";

/// One create as a user writes it (a request built for every call), checked.
async fn create(sdk: &BulkImport) {
    let request = BulkImportRequest::builder()
        .cluster_id(CLUSTER)
        .collection_name(COLLECTION)
        .object_url(OBJECT_URL)
        .build()
        .expect("request");
    let response = sdk
        .bulk_import(request)
        .await
        .unwrap_or_else(|e| panic!("sdk: a create failed: {e}"));
    assert!(
        response.job_id().is_some_and(|id| !id.is_empty()),
        "sdk: a create answered no job id: {:?}",
        response.data()
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (n, url, c) = match &args[..] {
        [n, url] => (n, url, 1),
        [n, url, c] => (n, url, c.parse().expect("C: creates in flight")),
        _ => panic!("usage: instructions N URL [C] (an emulator from `call_instructions serve`)"),
    };
    let n: usize = n.parse().expect("N: a number of creates");
    let sdk = BulkImport::new(&BulkImportConfig::new().url(url.as_str()).api_key(API_KEY))
        .expect("milvus-sdk-rust BulkImport client");
    // As `call_instructions` does: C loops on this thread share the N creates.
    let next = AtomicUsize::new(0);
    let worker = || async {
        while next.fetch_add(1, Ordering::Relaxed) < n {
            create(&sdk).await;
        }
    };
    join_all((0..c.max(1)).map(|_| worker())).await;
    println!("sdk: {n} creates, {c} in flight");
}
