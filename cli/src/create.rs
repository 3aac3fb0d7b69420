//! `create`: a job made from the flags, sent, and with `--wait` followed
//! to its end.

use tokio::time::Instant;
use zilliz_import::{Client, CloudTarget, CreateImportJob, CreatedImportJob, WaitOptions};

use crate::{
    args::CreateArgs,
    ending::{Ended, Failure},
    interrupted::{Write, sending},
    last_words,
    output::Printer,
    waits::{time_left, wait},
};

/// Sends the create the flags describe (the job's id kept for the last
/// words, should the run end short); with `--wait`, follows the job to its
/// end, the wait getting what is left of `--timeout`.
pub async fn create(
    client: &Client,
    args: CreateArgs,
    started: Instant,
    printer: &Printer,
) -> Result<Ended, Failure> {
    let target = args.target.target();
    let cloud = target.cloud().cloned();
    let object_urls_given = !args.object_url.is_empty();
    let mut job = match (cloud, args.volume) {
        (Some(cloud), Some(volume)) => {
            let groups = args.data_path.into_iter().map(|p| [p]);
            CreateImportJob::from_volume(cloud, args.collection, volume, groups)
        }
        (Some(cloud), None) => object_urls(cloud, args.collection, args.object_url),
        // Milvus: `check_mix` let only files through.
        (None, _) => {
            let singles = args.file.into_iter().map(|f| vec![f]);
            CreateImportJob::from_files(args.collection, singles.chain(args.file_group))
        }
    };
    if let Some(db) = target.database_name() {
        job = job.database(db);
    }
    for (key, value) in args.options {
        job = job.option(key, value);
    }
    if args.no_auto_commit {
        job = job.auto_commit(false);
    }
    if let Some(p) = args.partition {
        job = job.partition(p);
    }
    // Storage keys from the environment are for object URLs only.
    if object_urls_given {
        if let Some(ak) = args.access_key {
            job = job.access_key(ak);
        }
        if let Some(sk) = args.secret_key {
            job = job.secret_key(sk);
        }
    }
    if let Some(key) = args.idempotency_key {
        job = job.idempotency_key(key);
    }
    let created = sending(Write::Create, client.create_import_job(job)).await?;
    // What is printed and said in the last words is the id as shown.
    let shown = &created.shown_job_id();
    last_words::created(shown);
    if !args.wait {
        return Ok(printer.created(&created).into());
    }
    printer.note(&format!("created import job {shown}"));
    let options = WaitOptions::default()
        .deadline(time_left(args.timeout, started))
        .max_poll_failures(args.max_poll_failures)
        .abort_on_timeout(args.abort_on_timeout);
    wait(
        client,
        &target,
        polled_id(&created),
        shown,
        options,
        printer,
    )
    .await
}

/// The id the server answered, to poll the job with: the escaped form
/// names no job.
fn polled_id(created: &CreatedImportJob) -> &str {
    &created.job_id
}

/// One URL goes as the seed's `objectUrl`; several as `objectUrls`, one
/// group each.
fn object_urls(cloud: CloudTarget, collection: String, mut urls: Vec<String>) -> CreateImportJob {
    if urls.len() == 1
        && let Some(url) = urls.pop()
    {
        return CreateImportJob::from_object_url(cloud, collection, url);
    }
    CreateImportJob::from_object_urls(cloud, collection, urls.into_iter().map(|u| [u]))
}
