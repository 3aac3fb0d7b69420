//! The crate's main job, start to finish: rows on disk to a finished
//! import. It generates a few thousand rows of the `medium_articles`
//! collection, writes them into Parquet files (the writer crate), uploads
//! them into a volume (the uploader crate, through the credentials the
//! volume's apply hands out), imports them from the volume and waits for
//! the job, printing the progress of each stage.
//!
//! Offline by default, against an in-process emulator whose volumes are a
//! temporary directory: no account, no network. With `ZILLIZ_API_KEY`,
//! `ZILLIZ_CLUSTER_ID` and `ZILLIZ_VOLUME` (an existing volume, in the
//! cluster's project and region) set, and optionally `ZILLIZ_BASE_URL`,
//! the same code talks to Zilliz Cloud.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use zilliz_import::{Client, CloudTarget, CreateImportJob, NewVolume, Target, WaitOptions};
use zilliz_import_emulator::{Emulator, EmulatorHandle};
use zilliz_import_upload::{Destination, Progress, Uploader, VolumeGrants};
use zilliz_import_writer::{DataType, Dim, Field, Schema, Writer};

const COLLECTION: &str = "medium_articles";
/// The emulator's default cluster, and the project and region its volume
/// is created in.
const EMULATOR_CLUSTER: &str = "in01-emulator";
const EMULATOR_PROJECT: &str = "proj-emulator";
const EMULATOR_REGION: &str = "aws-us-west-2";
const ROWS: i64 = 3_000;
const DIM: u32 = 768;
/// The volume folder the files go to.
const FOLDER: &str = "articles/";

/// A row of `medium_articles` (the public `medium_articles_2020_dpr` data
/// set's columns).
#[derive(Serialize)]
struct Article {
    id: i64,
    title: String,
    title_vector: Vec<f32>,
    link: String,
    reading_time: i64,
    publication: String,
    claps: i64,
    responses: i64,
}

/// The collection's schema, as the emulator's `medium_articles` has it.
fn schema() -> Result<Schema, Box<dyn std::error::Error>> {
    let varchar = |name: &str| Field::new(name, DataType::VarChar { max_length: 512 });
    Ok(Schema::builder()
        .field(Field::new("id", DataType::Int64).primary_key())
        .field(varchar("title"))
        .field(Field::new(
            "title_vector",
            DataType::FloatVector {
                dim: Dim::new(DIM)?,
            },
        ))
        .field(varchar("link"))
        .field(Field::new("reading_time", DataType::Int64))
        .field(varchar("publication"))
        .field(Field::new("claps", DataType::Int64))
        .field(Field::new("responses", DataType::Int64))
        .dynamic_field(true)
        .build()?)
}

/// Row `id`, its vector drawn from a small deterministic generator.
fn article(id: i64) -> Article {
    let mut state = (id as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let title_vector = (0..DIM)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        })
        .collect();
    Article {
        id,
        title: format!("Article {id}"),
        title_vector,
        link: format!("https://example.com/articles/{id}"),
        reading_time: id % 15 + 1,
        publication: ["Towards Data Science", "The Startup", "Better Programming"]
            [(id % 3) as usize]
            .to_owned(),
        claps: id * 7 % 1000,
        responses: id % 20,
    }
}

/// The client, the cluster and the volume: Zilliz Cloud's when the
/// variables name them, else the emulator's (kept alive by the handle).
async fn connect()
-> Result<(Client, String, String, Option<EmulatorHandle>), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if let (Some(_), Some(cluster), Some(volume)) = (
        var("ZILLIZ_API_KEY"),
        var("ZILLIZ_CLUSTER_ID"),
        var("ZILLIZ_VOLUME"),
    ) {
        println!(
            "talking to Zilliz Cloud (ZILLIZ_API_KEY, ZILLIZ_CLUSTER_ID and ZILLIZ_VOLUME are set)"
        );
        return Ok((Client::from_env()?, cluster, volume, None));
    }
    let emulator = Emulator::builder()
        .job_duration(Duration::from_secs(3))
        .start()
        .await?;
    println!(
        "no ZILLIZ_API_KEY/ZILLIZ_CLUSTER_ID/ZILLIZ_VOLUME: using the local emulator at {}",
        emulator.base_url()
    );
    let client = Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.base_url())
        .build()?;
    let volume = "quickstart";
    client
        .create_volume(&NewVolume::managed(
            EMULATOR_PROJECT,
            EMULATOR_REGION,
            volume,
        ))
        .await?;
    println!(
        "created volume `{volume}` (its files: {})",
        emulator.volume_storage_dir().display()
    );
    Ok((
        client,
        EMULATOR_CLUSTER.to_owned(),
        volume.to_owned(),
        Some(emulator),
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, cluster, volume, _emulator) = connect().await?;

    // 1. Write: rows into Parquet files of about 4 MiB, each its own group.
    let dir = tempfile::tempdir()?;
    let mut writer = Writer::builder(schema()?)
        .file_size(4 << 20)
        .create_in(dir.path())?;
    for id in 0..ROWS {
        writer.push(&article(id))?;
    }
    let written = writer.finish()?;
    println!(
        "write:  {} rows, {} bytes, in {} files: {}",
        written.rows,
        written.bytes,
        written.groups.len(),
        written.files().concat().join(" ")
    );

    // 2. Upload: the folder into the volume, through apply's credentials.
    let grants = Arc::new(VolumeGrants::new(client.clone(), &volume));
    let destination = Destination::Volume {
        grants,
        path: FOLDER.to_owned(),
    };
    let report = Uploader::default()
        .upload(&[dir.path().to_owned()], &destination, |p| match p {
            Progress::Planned { files, bytes } => {
                println!("upload: {files} files, {bytes} bytes, to volume `{volume}`")
            }
            Progress::FileDone { key, .. } => println!("upload: {key} done"),
            _ => {}
        })
        .await?;
    println!(
        "upload: {} bytes in {} parts",
        report.bytes, report.parts_sent
    );

    // 3. Import from the volume, a group per file, and wait for the job.
    let groups = written
        .files()
        .into_iter()
        .map(|group| group.into_iter().map(|f| format!("{FOLDER}{f}")));
    let job =
        CreateImportJob::from_volume(CloudTarget::cluster(&cluster), COLLECTION, &volume, groups)
            .generate_idempotency_key();
    let created = client.create_import_job(job).await?;
    println!("import: created job {}", created.shown_job_id());
    let options = WaitOptions::default()
        .interval(Duration::from_millis(250), Duration::from_secs(5))
        .deadline(Duration::from_secs(3600))
        .on_progress(|p| println!("import: {:<10} {:>3}%", p.state.as_str(), p.progress));
    let done = client
        .wait_for_import_job(&Target::cluster(&cluster), &created.job_id, options)
        .await?
        .into_progress();
    println!(
        "job {} {}: {} rows imported, completed at {}",
        done.job_id,
        done.state,
        done.total_rows.unwrap_or(0),
        done.complete_time.as_deref().unwrap_or("-"),
    );
    Ok(())
}
