//! Against Zilliz Cloud itself: opt-in, never part of the default run.
//!
//! ```text
//! ZILLIZ_API_KEY=... ZILLIZ_CLUSTER_ID=in01-... cargo test --test it live:: -- --ignored --skip imports_and_waits
//! ```
//!
//! Read-only: it lists jobs and describes one that does not exist. Starting
//! a real import as well needs `ZILLIZ_LIVE_OBJECT_URL` and
//! `ZILLIZ_LIVE_COLLECTION` (a collection whose schema fits the file). The
//! open-source Milvus tests need `MILVUS_URL` and `MILVUS_TOKEN`:
//! `cargo test --test it live::milvus -- --ignored`.

use std::time::Duration;

use zilliz_import::ErrorKind;
use zilliz_import::{Client, CreateImportJob, ListImportJobs, Target, WaitOptions};

fn live() -> (Client, String) {
    let cluster = std::env::var("ZILLIZ_CLUSTER_ID").expect("ZILLIZ_CLUSTER_ID is set");
    (Client::from_env().expect("ZILLIZ_API_KEY is set"), cluster)
}

#[tokio::test]
#[ignore = "talks to Zilliz Cloud: set ZILLIZ_API_KEY and ZILLIZ_CLUSTER_ID, run with --ignored"]
async fn lists_the_first_page() {
    let (client, cluster) = live();
    let page = client
        .list_import_jobs(&ListImportJobs::new(&cluster).page_size(5))
        .await
        .expect("list succeeds");
    assert!(page.records.len() <= 5, "{page:?}");
}

#[tokio::test]
#[ignore = "talks to Zilliz Cloud: set ZILLIZ_API_KEY and ZILLIZ_CLUSTER_ID, run with --ignored"]
async fn an_unknown_job_is_an_api_error() {
    let (client, cluster) = live();
    let err = client
        .describe_import_job(&Target::cluster(cluster), "job-does-not-exist-0000")
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Api { .. }), "{err:?}");
}

#[tokio::test]
#[ignore = "talks to Zilliz Cloud: set ZILLIZ_API_KEY and ZILLIZ_CLUSTER_ID, run with --ignored"]
async fn a_wrong_key_is_refused() {
    let (_, cluster) = live();
    let client = Client::builder().api_key("not-a-real-key").build().unwrap();
    let err = client
        .list_import_jobs(&ListImportJobs::new(&cluster))
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Api { .. }), "{err:?}");
    assert!(!format!("{err:?}").contains("not-a-real-key"));
}

#[tokio::test]
#[ignore = "starts a real import: also set ZILLIZ_LIVE_OBJECT_URL and ZILLIZ_LIVE_COLLECTION"]
async fn imports_and_waits() {
    let (client, cluster) = live();
    let url = std::env::var("ZILLIZ_LIVE_OBJECT_URL").expect("ZILLIZ_LIVE_OBJECT_URL is set");
    let collection =
        std::env::var("ZILLIZ_LIVE_COLLECTION").expect("ZILLIZ_LIVE_COLLECTION is set");
    let created = client
        .create_import_job(
            CreateImportJob::new(&cluster, collection, url).generate_idempotency_key(),
        )
        .await
        .expect("create succeeds");
    let done = client
        .wait_for_import_job(
            &Target::cluster(cluster),
            &created.job_id,
            WaitOptions::default().deadline(Duration::from_secs(3600)),
        )
        .await
        .expect("the import completes")
        .completed()
        .expect("Completed, not awaiting commit");
    assert_eq!(done.progress, 100);
}

/// An open-source Milvus: `MILVUS_URL` (e.g. `http://localhost:19530`) and
/// `MILVUS_TOKEN` (e.g. `root:Milvus`).
fn live_milvus() -> Client {
    let url = std::env::var("MILVUS_URL").expect("MILVUS_URL is set");
    let token = std::env::var("MILVUS_TOKEN").expect("MILVUS_TOKEN is set");
    Client::builder()
        .api_key(token)
        .base_url(url)
        .build()
        .expect("client builds")
}

#[tokio::test]
#[ignore = "talks to open-source Milvus: set MILVUS_URL and MILVUS_TOKEN, run with --ignored"]
async fn milvus_lists_every_job_on_one_page() {
    let client = live_milvus();
    let pages: Vec<_> = futures::StreamExt::collect(
        client.list_all_import_jobs(ListImportJobs::of(Target::milvus())),
    )
    .await;
    assert_eq!(pages.len(), 1, "{pages:?}");
    let page = pages.into_iter().next().unwrap().expect("list succeeds");
    assert_eq!(page.count, None, "Milvus answers records alone");
}

#[tokio::test]
#[ignore = "talks to open-source Milvus: set MILVUS_URL and MILVUS_TOKEN, run with --ignored"]
async fn milvus_refuses_an_unknown_job_with_a_code() {
    let err = live_milvus()
        .describe_import_job(&Target::milvus(), "1")
        .await
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Api { .. }), "{err:?}");
}
