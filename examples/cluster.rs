//! A Zilliz Cloud cluster (`clusterId`), importing object URLs: two file
//! groups, one Parquet file and one folder, with storage credentials.
//! Runs against the in-process emulator; point `base_url` at
//! `https://api.cloud.zilliz.com` (and use your API key) for the real one.
//!
//! ```text
//! cargo run --example cluster
//! ```

use std::time::Duration;

use zilliz_import::{Client, CloudTarget, CreateImportJob, Target, WaitOptions};
use zilliz_import_emulator::Emulator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder()
        .job_duration(Duration::from_secs(2))
        .start()
        .await?;
    let client = Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.base_url())
        .build()?;

    let cluster = CloudTarget::cluster("in01-emulator");
    let job = CreateImportJob::from_object_urls(
        cluster,
        "medium_articles",
        [
            ["s3://my-bucket/2024/part-0.parquet"],
            ["s3://my-bucket/2024/rest/"],
        ],
    )
    .storage_credentials("AKIAEXAMPLE", "example-secret-key");
    let created = client.create_import_job(job).await?;
    println!("created job {}", created.job_id);

    let options =
        WaitOptions::default().interval(Duration::from_millis(200), Duration::from_secs(1));
    let done = client
        .wait_for_import_job(&Target::cluster("in01-emulator"), &created.job_id, options)
        .await?
        .into_progress();
    println!(
        "{} {}%, {} rows",
        done.state,
        done.progress,
        done.total_rows.unwrap_or(0)
    );
    Ok(())
}
