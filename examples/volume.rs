//! Importing from a Zilliz Cloud volume (`volumeName` + `dataPaths`) into a
//! cluster: each data path is a file group inside the volume. Runs against
//! the in-process emulator.
//!
//! ```text
//! cargo run --example volume
//! ```

use std::time::Duration;

use zilliz_import::Target;
use zilliz_import::{Client, CreateImportJob, WaitOptions};
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

    let cluster = "in01-emulator";
    let job = CreateImportJob::from_volume(
        cluster,
        "medium_articles",
        "my_volume",
        [["json-folder/1.json"], ["parquet-folder/"]],
    )
    .database("default");
    let created = client.create_import_job(job).await?;

    let options =
        WaitOptions::default().interval(Duration::from_millis(200), Duration::from_secs(1));
    let done = client
        .wait_for_import_job(&Target::cluster(cluster), &created.job_id, options)
        .await?
        .into_progress();
    for file in &done.details {
        println!(
            "{}: {}",
            file.file_name.as_deref().unwrap_or("-"),
            file.state
        );
    }
    Ok(())
}
