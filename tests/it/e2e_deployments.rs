//! The crate's client against the emulator's other deployments, end to
//! end: open-source Milvus mode (files, a database, options, describe and
//! list through a Milvus target) and a control-plane project reading a
//! volume. (Moved from `emulator_milvus.rs`, whose HTTP-only tests went to
//! the emulator crate's own tests.)

use std::time::Duration;

use serde_json::json;
use zilliz_import::{CloudTarget, CreateImportJob, ImportState, ListImportJobs, Target};
use zilliz_import_emulator::{Emulator, EmulatorHandle};

use crate::{
    common::{DESCRIBE_PATH as DESCRIBE, emulator_client},
    emulator_env::{CLUSTER, PROJECT, REGION},
};

const CLOUD_KEY: &str = "cloud-test-key";

/// A Milvus-mode emulator with the default token, 10 s jobs and a manual clock.
async fn milvus() -> EmulatorHandle {
    Emulator::builder()
        .milvus()
        .job_duration(Duration::from_secs(10))
        .manual_clock()
        .start()
        .await
        .expect("emulator starts")
}

/// A control-plane emulator with the default project, 10 s jobs and a manual clock.
async fn cloud() -> EmulatorHandle {
    Emulator::builder()
        .api_key(CLOUD_KEY)
        .job_duration(Duration::from_secs(10))
        .manual_clock()
        .start()
        .await
        .expect("emulator starts")
}

#[tokio::test]
async fn the_crate_client_drives_milvus_mode() {
    let h = milvus().await;
    let c = emulator_client(&h);
    let job = CreateImportJob::from_files("c", [vec!["a.parquet"], vec!["id.npy", "vec.npy"]])
        .database("analytics")
        .timeout(Duration::from_secs(300))
        .auto_commit(true);
    let created = c.create_import_job(job).await.expect("created");
    let stored = h.jobs().remove(0);
    assert_eq!(stored.job_id, created.job_id);
    assert_eq!(stored.db_name, "analytics");
    assert_eq!(stored.files.len(), 2);
    assert!(stored.options.contains_key("timeout") && stored.options.contains_key("auto_commit"));

    h.advance(Duration::from_millis(5_500));
    let target = Target::milvus().database("analytics");
    let progress = c
        .describe_import_job(&target, &created.job_id)
        .await
        .expect("described");
    assert_eq!(progress.state, ImportState::Importing);
    assert_eq!(progress.progress, 50);
    assert_eq!(progress.total_rows, Some(stored.total_rows));
    assert!(
        progress
            .imported_rows
            .is_some_and(|n| n > 0 && n < stored.total_rows)
    );
    assert_eq!(progress.file_name, None);
    assert_eq!(progress.details.len(), 3);

    let page = c
        .list_import_jobs(&ListImportJobs::of(target))
        .await
        .expect("listed");
    assert_eq!(page.records.len(), 1);
    assert_eq!(page.records[0].job_id, created.job_id);
    assert_eq!(page.records[0].state, ImportState::Importing);

    let describes: Vec<_> = h
        .requests()
        .into_iter()
        .filter(|r| r.path == DESCRIBE)
        .collect();
    assert_eq!(describes.len(), 1);
    assert_eq!(describes[0].body, json!({"jobId": created.job_id}));
    assert_eq!(describes[0].db_name.as_deref(), Some("analytics"));
}

#[tokio::test]
async fn the_crate_client_drives_a_project_and_a_volume() {
    let h = cloud().await;
    let c = emulator_client(&h);
    let project = CloudTarget::project(PROJECT, REGION);
    let job = CreateImportJob::from_volume(project, "c", "my_volume", [["folder/1.parquet"]]);
    let created = c.create_import_job(job).await.expect("created");
    let stored = h.jobs().remove(0);
    assert_eq!(
        (stored.project_id.as_str(), stored.volume_name.as_str()),
        (PROJECT, "my_volume")
    );
    assert_eq!(stored.data_paths, ["folder/1.parquet"]);

    h.advance(Duration::from_secs(10));
    let target = Target::project(PROJECT, REGION);
    let progress = c
        .describe_import_job(&target, &created.job_id)
        .await
        .expect("described");
    assert_eq!(progress.state, ImportState::Completed);
    assert_eq!(progress.file_name.as_deref(), Some("folder/1.parquet"));
    let page = c
        .list_import_jobs(&ListImportJobs::of(target))
        .await
        .expect("listed");
    assert_eq!(page.count, Some(1));
    assert_eq!(page.records[0].job_id, created.job_id);
    // Not in the cluster's listing.
    let page = c
        .list_import_jobs(&ListImportJobs::new(CLUSTER))
        .await
        .expect("listed");
    assert_eq!(page.count, Some(0));
}
