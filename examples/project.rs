//! A Zilliz Cloud serverless project (`projectId` + `regionId` instead of a
//! cluster id), importing one object URL, then listing the project's jobs.
//! Runs against the in-process emulator, which knows the project
//! `proj-emulator` in `aws-us-west-2`.
//!
//! ```text
//! cargo run --example project
//! ```

use std::time::Duration;

use zilliz_import::{Client, CloudTarget, CreateImportJob, ListImportJobs, Target, WaitOptions};
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

    let (project, region) = ("proj-emulator", "aws-us-west-2");
    let job = CreateImportJob::from_object_url(
        CloudTarget::project(project, region),
        "medium_articles",
        "s3://my-bucket/medium_articles.json",
    );
    let created = client.create_import_job(job).await?;

    let target = Target::project(project, region);
    let options =
        WaitOptions::default().interval(Duration::from_millis(200), Duration::from_secs(1));
    let done = client
        .wait_for_import_job(&target, &created.job_id, options)
        .await?
        .into_progress();
    println!("job {}: {}", done.job_id, done.state);

    let page = client.list_import_jobs(&ListImportJobs::of(target)).await?;
    for job in page.records {
        println!("{} {} {}%", job.job_id, job.state, job.progress);
    }
    Ok(())
}
