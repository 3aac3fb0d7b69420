//! The client and the emulator agree on what a request may be.
//!
//! Each row of [`rows()`] is one request, valid or not, on one deployment
//! (a cluster, a project, open-source Milvus), written as the JSON body it
//! is on the wire. The client is asked to send it through its public API
//! ([`client_refuses`]: refused if its types cannot say it or it answers
//! `Error::InvalidInput` without sending), and the emulator is sent the
//! body as raw JSON with reqwest (refused if it answers a non-zero code).
//! The two state their rules apart: the client in its own code, the
//! emulator from the spec and the services' documentation (it imports
//! nothing of the client). So a row on which both refuse, or both accept,
//! is evidence for both readings; a wrong rule on one side shows up as a
//! disagreement.
//!
//! A few rows are known gaps, each with its reason: the client is stricter
//! than the service (it refuses a request the service takes), or looser.
//! They are asserted as gaps, so closing one fails this test until the row
//! says so.
//!
//! Left out, because one side cannot know: an unknown cluster or project
//! (only the server knows its clusters), an `Idempotency-Key` with spaces
//! around it (HTTP trims header values, so no raw request can carry one).

mod rows;

use serde_json::Value;
use zilliz_import::{
    Client, CloudTarget, CreateImportJob, Error, ErrorKind, ListImportJobs, NewVolume, Target,
};
use zilliz_import_emulator::{DEFAULT_MILVUS_TOKEN, Emulator, EmulatorHandle};

use crate::common::{CREATE_PATH, DESCRIBE_PATH, LIST_PATH, emulator_client};
use rows::{Deployment, Expect, Op, Row, rows};

/// Whether the client refuses `row` before sending: its types cannot say
/// it, or the call ends in `Error::InvalidInput` (nothing sent). The one
/// place that knows the client's API.
async fn client_refuses(client: &Client, row: &Row) -> bool {
    let b = &row.body;
    let text = |k: &str| b[k].as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    let target = match row.deployment {
        Deployment::Cluster => Target::cluster(b["clusterId"].as_str().unwrap_or_default()),
        Deployment::Project => Target::project(
            b["projectId"].as_str().unwrap_or_default(),
            b["regionId"].as_str().unwrap_or_default(),
        ),
        Deployment::Milvus => Target::milvus(),
    };
    let result = match row.op {
        Op::Describe => {
            let job_id = b["jobId"].as_str().unwrap_or_default();
            client.describe_import_job(&target, job_id).await.map(drop)
        }
        Op::DescribeCollection => {
            let name = b["collectionName"].as_str().unwrap_or_default();
            let db = b["dbName"].as_str();
            client.describe_collection(db, name).await.map(drop)
        }
        Op::ApplyVolume => {
            let name = b["volumeName"].as_str().unwrap_or_default();
            let path = b["path"].as_str().unwrap_or_default();
            client.apply_volume(name, path).await.map(drop)
        }
        Op::List => {
            let size = u32::try_from(b["pageSize"].as_u64().unwrap_or(10)).unwrap_or(u32::MAX);
            let list = ListImportJobs::of(target).page_size(size);
            client.list_import_jobs(&list).await.map(drop)
        }
        Op::Create => {
            let Some(job) = create_job(row) else {
                return true;
            };
            let mut job = match text("dbName") {
                Some(db) => job.database(db),
                None => job,
            };
            if let Some(p) = text("partitionName") {
                job = job.partition(p);
            }
            for (k, v) in b["options"].as_object().into_iter().flatten() {
                job = job.option(k, v.as_str().unwrap_or_default());
            }
            if let Some(a) = text("accessKey") {
                job = job.access_key(a);
            }
            if let Some(s) = text("secretKey") {
                job = job.secret_key(s);
            }
            if let Some(t) = text("token") {
                job = job.session_token(t);
            }
            if let Some(key) = &row.key {
                job = job.idempotency_key(key);
            }
            client.create_import_job(job).await.map(drop)
        }
    };
    matches!(
        result.as_ref().map_err(Error::kind),
        Err(ErrorKind::InvalidInput { .. })
    )
}

/// The create's target, collection and source as the client's constructors
/// take them; `None` where they cannot say it (no source at all, or files
/// on a control-plane target).
fn create_job(row: &Row) -> Option<CreateImportJob> {
    let b = &row.body;
    let groups =
        |k: &str| -> Option<Vec<Vec<String>>> { serde_json::from_value(b[k].clone()).ok() };
    let collection = b["collectionName"].as_str().unwrap_or_default();
    let url = b["objectUrl"].as_str().filter(|s| !s.is_empty());
    let cloud = match row.deployment {
        Deployment::Cluster => CloudTarget::cluster(b["clusterId"].as_str().unwrap_or_default()),
        Deployment::Project => CloudTarget::project(
            b["projectId"].as_str().unwrap_or_default(),
            b["regionId"].as_str().unwrap_or_default(),
        ),
        // A second source beside the files: one `Source` cannot say it.
        Deployment::Milvus if url.is_some() => return None,
        Deployment::Milvus => {
            return Some(CreateImportJob::from_files(collection, groups("files")?));
        }
    };
    // A job has one `Source`: `objectUrl` beside another source cannot be said.
    let job = if let Some(volume) = b["volumeName"].as_str() {
        let paths = groups("dataPaths").unwrap_or_default();
        url.is_none()
            .then(|| CreateImportJob::from_volume(cloud, collection, volume, paths))?
    } else if let Some(urls) = groups("objectUrls") {
        url.is_none()
            .then(|| CreateImportJob::from_object_urls(cloud, collection, urls))?
    } else {
        CreateImportJob::from_object_url(cloud, collection, url?)
    };
    Some(job)
}

/// Whether the emulator refuses `row`'s body, sent as raw JSON.
async fn emulator_refuses(h: &EmulatorHandle, row: &Row) -> bool {
    let path = match row.op {
        Op::Create => CREATE_PATH,
        Op::Describe => DESCRIBE_PATH,
        Op::List => LIST_PATH,
        Op::DescribeCollection => "/v2/vectordb/collections/describe",
        Op::ApplyVolume => "/v2/volumes/apply",
    };
    let mut request = reqwest::Client::new()
        .post(format!("{}{path}", h.base_url()))
        .bearer_auth(h.api_key())
        .json(&row.body);
    if let Some(key) = &row.key {
        request = request.header("Idempotency-Key", key);
    }
    let answer: Value = request
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("a JSON answer");
    answer["code"] != 0
}

#[tokio::test]
async fn what_the_client_refuses_the_emulator_refuses_and_the_reverse() {
    let cloud = Emulator::builder().manual_clock().start().await.unwrap();
    let volume = NewVolume::managed("proj-emulator", "aws-us-west-2", rows::VOLUME);
    let made = emulator_client(&cloud).create_volume(&volume).await;
    made.expect("the apply rows' volume");
    let milvus = Emulator::builder()
        .milvus()
        .manual_clock()
        .start()
        .await
        .unwrap();
    assert_eq!(milvus.api_key(), DEFAULT_MILVUS_TOKEN);
    let mut wrong = Vec::new();
    let rows = rows();
    for row in &rows {
        let h = match row.deployment {
            Deployment::Milvus => &milvus,
            Deployment::Cluster | Deployment::Project => &cloud,
        };
        let by_client = client_refuses(&emulator_client(h), row).await;
        let by_emulator = emulator_refuses(h, row).await;
        let expected = match row.expect {
            Expect::Accepted => (false, false),
            Expect::Refused => (true, true),
            Expect::ClientOnly(_) => (true, false),
            Expect::EmulatorOnly(_) => (false, true),
        };
        if (by_client, by_emulator) != expected {
            wrong.push(format!(
                "{:?} {:?} {:?}: expected {:?}, the client refuses: {by_client}, the emulator: \
                 {by_emulator}",
                row.name, row.deployment, row.op, row.expect
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} rows:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}
