//! The crate's main job, start to finish: start the seed's example import,
//! follow it to completion, list the cluster's jobs, print the result.
//!
//! Offline by default, against an in-process emulator: no account, no
//! network. With `ZILLIZ_API_KEY` and `ZILLIZ_CLUSTER_ID` set (and optionally
//! `ZILLIZ_BASE_URL`), the same code talks to Zilliz Cloud.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::time::Duration;

use zilliz_import::Target;
use zilliz_import::{Client, CreateImportJob, ListImportJobs, WaitOptions};
use zilliz_import_emulator::Emulator;

/// The seed's example data set.
const OBJECT_URL: &str = "https://s3.us-west-2.amazonaws.com/publicdataset.zillizcloud.com/medium_articles_2020_dpr/medium_articles_2020_dpr.json";
const COLLECTION: &str = "medium_articles";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let real_cluster = std::env::var("ZILLIZ_CLUSTER_ID")
        .ok()
        .filter(|c| !c.is_empty());
    let real_key = std::env::var("ZILLIZ_API_KEY").is_ok_and(|k| !k.is_empty());

    // Keep the emulator alive for the whole run.
    let (client, cluster_id, _emulator) = match real_cluster {
        Some(cluster) if real_key => {
            println!("talking to Zilliz Cloud (ZILLIZ_API_KEY and ZILLIZ_CLUSTER_ID are set)");
            (Client::from_env()?, cluster, None)
        }
        _ => {
            let emulator = Emulator::builder()
                .job_duration(Duration::from_secs(4))
                .start()
                .await?;
            println!(
                "no ZILLIZ_API_KEY/ZILLIZ_CLUSTER_ID: using the local emulator at {}",
                emulator.base_url()
            );
            let client = Client::builder()
                .api_key(emulator.api_key())
                .base_url(emulator.base_url())
                .build()?;
            (client, "in01-emulator".to_owned(), Some(emulator))
        }
    };

    let job = CreateImportJob::new(&cluster_id, COLLECTION, OBJECT_URL).generate_idempotency_key();
    println!("creating an import into `{COLLECTION}` from {OBJECT_URL}");
    let created = client.create_import_job(job).await?;
    println!("created job {}", created.job_id);

    let options = WaitOptions::default()
        .interval(Duration::from_millis(250), Duration::from_secs(5))
        .deadline(Duration::from_secs(3600))
        .on_progress(|p| println!("  {:<10} {:>3}%", p.state.as_str(), p.progress));
    let done = client
        .wait_for_import_job(&Target::cluster(&cluster_id), &created.job_id, options)
        .await?
        .into_progress();
    println!(
        "job {} {}: {} rows imported, completed at {}",
        done.job_id,
        done.state,
        done.total_rows.unwrap_or(0),
        done.complete_time.as_deref().unwrap_or("-"),
    );

    let page = client
        .list_import_jobs(&ListImportJobs::new(&cluster_id).page_size(10))
        .await?;
    println!("jobs on cluster {cluster_id} (first page):");
    for job in &page.records {
        println!(
            "  {:<24} {:<10} {:>3}%  {}",
            job.job_id,
            job.state.as_str(),
            job.progress,
            job.collection_name.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}
