//! Open-source Milvus: its URL is the target, the token is `user:password`,
//! the files are in the bucket Milvus is configured with, and options go as
//! strings. A two-phase import: the job imports its data, waits in
//! `Uncommitted`, and only the commit makes it visible. Runs against the
//! in-process emulator in Milvus mode; point `base_url` at your Milvus
//! (e.g. `http://localhost:19530`) for a real one.
//!
//! ```text
//! cargo run --example milvus
//! ```

use std::time::Duration;

use zilliz_import::{Client, CreateImportJob, ListImportJobs, Target, WaitOptions, WaitOutcome};
use zilliz_import_emulator::Emulator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let milvus = Emulator::builder()
        .milvus()
        .job_duration(Duration::from_secs(2))
        .start()
        .await?;
    let client = Client::builder()
        .api_key(milvus.api_key()) // root:Milvus
        .base_url(milvus.base_url())
        .build()?;

    // One Parquet file, and a NumPy group: one .npy file per field.
    let job = CreateImportJob::from_files(
        "medium_articles",
        [
            vec!["data/part-0.parquet"],
            vec!["data/np/id.npy", "data/np/vector.npy"],
        ],
    )
    .database("default")
    .timeout(Duration::from_secs(300))
    .auto_commit(false)
    .generate_idempotency_key();
    let created = client.create_import_job(job).await?;

    let target = Target::milvus().database("default");
    let options =
        || WaitOptions::default().interval(Duration::from_millis(200), Duration::from_secs(1));
    let ready = client
        .wait_for_import_job(&target, &created.job_id, options())
        .await?;
    if let WaitOutcome::ReadyToCommit(p) = &ready {
        println!(
            "job {}: {} at {}%, awaits commit",
            p.job_id, p.state, p.progress
        );
        // Check what you must here; `abort_import_job` discards it instead.
        client.commit_import_job(&target, &created.job_id).await?;
    }
    let done = client
        .wait_for_import_job(
            &target,
            &created.job_id,
            options().through_uncommitted(true),
        )
        .await?
        .into_progress();
    println!(
        "job {}: {}, {} of {} rows",
        done.job_id,
        done.state,
        done.imported_rows.unwrap_or(0),
        done.total_rows.unwrap_or(0)
    );

    // Milvus answers every job at once: no pages.
    let all = client
        .list_import_jobs(&ListImportJobs::of(target).collection("medium_articles"))
        .await?;
    println!("{} job(s) in medium_articles", all.records.len());
    Ok(())
}
