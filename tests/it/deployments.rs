//! "On the wire, for each target and each source": what every operation
//! sends to a control-plane cluster, a serverless project and an
//! open-source Milvus, and that a wrong mix sends nothing at all.

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use zilliz_import::{
    Client, CloudTarget, CreateImportJob, GLOBAL_BASE_URL, ImportState, ListImportJobs, Target,
    WaitOptions,
};

use crate::common::faulty_server::{Fault, FaultyServer, ReceivedRequest};
use crate::common::*;
use zilliz_import::{ErrorKind, Source};

fn project() -> CloudTarget {
    CloudTarget::project(PROJECT, REGION)
}

/// The one request a call sent, after checking it was the only one.
async fn only_request(server: &FaultyServer) -> ReceivedRequest {
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests.into_iter().next().unwrap()
}

/// Sends `job` to a server answering the seed response; returns the request.
async fn create_sent(job: CreateImportJob) -> ReceivedRequest {
    let server = FaultyServer::start(vec![Fault::created(JOB_ID)]).await;
    let created = client(server.url()).create_import_job(job).await.unwrap();
    assert_eq!(created.job_id, JOB_ID);
    let request = only_request(&server).await;
    assert_eq!(request.path, CREATE_PATH);
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {API_KEY}").as_str())
    );
    request
}

#[tokio::test]
async fn every_target_and_source_goes_out_exactly() {
    let cases: Vec<(&str, CreateImportJob, Value, Option<&str>)> = vec![
        (
            "cluster, one object URL (the seed)",
            seed_job(),
            json!({"clusterId": CLUSTER, "collectionName": COLLECTION, "objectUrl": SEED_URL}),
            None,
        ),
        (
            "cluster, object URL groups, a database",
            CreateImportJob::with_object_urls(CLUSTER, "c", [["s3://b/a.parquet"], ["s3://b/d/"]])
                .database("analytics"),
            json!({"clusterId": CLUSTER, "collectionName": "c", "dbName": "analytics",
                   "objectUrls": [["s3://b/a.parquet"], ["s3://b/d/"]]}),
            Some("analytics"),
        ),
        (
            "project, one object URL with credentials",
            CreateImportJob::from_object_url(project(), "c", OBJECT_URL)
                .storage_credentials(ACCESS_KEY, SECRET_KEY)
                .session_token(SESSION_TOKEN),
            json!({"projectId": PROJECT, "regionId": REGION, "collectionName": "c",
                   "objectUrl": OBJECT_URL, "accessKey": ACCESS_KEY, "secretKey": SECRET_KEY,
                   "token": SESSION_TOKEN}),
            None,
        ),
        (
            "project, a volume",
            CreateImportJob::from_volume(project(), "c", VOLUME, owned(&DATA_PATHS)),
            json!({"projectId": PROJECT, "regionId": REGION, "collectionName": "c",
                   "volumeName": VOLUME, "dataPaths": DATA_PATHS}),
            None,
        ),
        (
            "cluster, a volume, a partition",
            CreateImportJob::from_volume(CLUSTER, "c", VOLUME, [["a.parquet"]]).partition("p1"),
            json!({"clusterId": CLUSTER, "collectionName": "c", "partitionName": "p1",
                   "volumeName": VOLUME, "dataPaths": [["a.parquet"]]}),
            None,
        ),
        (
            "Milvus, files and a NumPy group, every typed option",
            CreateImportJob::from_files("c", [vec!["a.parquet"], vec!["id.npy", "vec.npy"]])
                .database("db1")
                .timeout(Duration::from_secs(300))
                .auto_commit(false)
                .separator(';')
                .null_key("\\N")
                .option("skip_disk_quota_check", "true"),
            json!({"collectionName": "c", "dbName": "db1",
                   "files": [["a.parquet"], ["id.npy", "vec.npy"]],
                   "options": {"timeout": "300s", "auto_commit": "false", "sep": ";",
                               "nullkey": "\\N", "skip_disk_quota_check": "true"}}),
            Some("db1"),
        ),
        (
            "Milvus, a timeout with a fraction, auto commit on",
            CreateImportJob::from_files("c", [["a.csv"]])
                .timeout(Duration::from_millis(1500))
                .auto_commit(true),
            json!({"collectionName": "c", "files": [["a.csv"]],
                   "options": {"timeout": "1.5s", "auto_commit": "true"}}),
            None,
        ),
    ];
    for (name, job, body, db) in cases {
        let request = create_sent(job).await;
        assert_eq!(request.json(), body, "{name}");
        assert_eq!(request.header("db-name"), db, "{name}");
    }
}

#[tokio::test]
async fn a_wrong_mix_or_a_broken_rule_sends_nothing() {
    let groups = |n: usize, ext: &str| -> Vec<Vec<String>> {
        (0..n).map(|i| vec![format!("s3://b/{i}.{ext}")]).collect()
    };
    let at_limit =
        |n: usize| -> Vec<Vec<String>> { (0..n).map(|i| vec![format!("{i}.parquet")]).collect() };
    let cases: Vec<(&str, CreateImportJob, &str)> = vec![
        // Object URLs added to a Milvus job, or to a volume job, no longer
        // compile: a job has one `Source` (see `CreateImportJob`'s docs).
        (
            "object URLs on a Milvus target",
            CreateImportJob::from_source(
                Target::milvus(),
                "c",
                Source::ObjectUrl(OBJECT_URL.into()),
            ),
            "objectUrl",
        ),
        (
            "files on a cluster",
            CreateImportJob::from_source(
                Target::cluster(CLUSTER),
                "c",
                Source::files([["a.json"]]),
            ),
            "files",
        ),
        (
            "storage credentials with a volume",
            CreateImportJob::from_volume(CLUSTER, "c", VOLUME, [["a.json"]])
                .storage_credentials(ACCESS_KEY, SECRET_KEY),
            "accessKey",
        ),
        (
            "a volume without data paths",
            CreateImportJob::from_volume(CLUSTER, "c", VOLUME, Vec::<Vec<String>>::new()),
            "dataPaths",
        ),
        (
            "a blank volume name",
            CreateImportJob::from_volume(CLUSTER, "c", " ", [["a.json"]]),
            "volumeName",
        ),
        (
            "a project without a region",
            CreateImportJob::from_object_url(CloudTarget::project(PROJECT, ""), "c", OBJECT_URL),
            "regionId",
        ),
        (
            "a project without an id",
            CreateImportJob::from_volume(CloudTarget::project("", REGION), "c", VOLUME, [["a"]]),
            "projectId",
        ),
        (
            "two Parquet files in one group",
            CreateImportJob::from_files("c", [["a.parquet", "b.parquet"]]),
            "files",
        ),
        (
            "two JSON files in one object URL group",
            CreateImportJob::with_object_urls(CLUSTER, "c", [["s3://b/a.json", "s3://b/b.JSON"]]),
            "objectUrls",
        ),
        (
            "two CSV files in one data path group",
            CreateImportJob::from_volume(CLUSTER, "c", VOLUME, [["a.csv", "b.csv"]]),
            "dataPaths",
        ),
        (
            "an empty group",
            CreateImportJob::from_files("c", [vec!["a.parquet"], vec![]]),
            "files",
        ),
        (
            "an empty path",
            CreateImportJob::from_files("c", [["id.npy", ""]]),
            "files",
        ),
        (
            "no files at all",
            CreateImportJob::from_files("c", Vec::<Vec<String>>::new()),
            "files",
        ),
        (
            "one group more than Milvus takes",
            CreateImportJob::from_files("c", at_limit(MAX_FILE_GROUPS_MILVUS + 1)),
            "files",
        ),
        (
            "one group more than the control plane takes",
            CreateImportJob::with_object_urls(
                CLUSTER,
                "c",
                groups(MAX_FILE_GROUPS_CLOUD + 1, "parquet"),
            ),
            "objectUrls",
        ),
        (
            "an empty option key",
            CreateImportJob::from_files("c", [["a.parquet"]]).option(" ", "x"),
            "options",
        ),
        (
            "a timeout the server cannot read",
            CreateImportJob::from_files("c", [["a.parquet"]]).option("timeout", "5 minutes"),
            "options",
        ),
        (
            "a zero timeout",
            CreateImportJob::from_files("c", [["a.parquet"]]).timeout(Duration::ZERO),
            "options",
        ),
        (
            "a blank database",
            CreateImportJob::from_files("c", [["a.parquet"]]).database(""),
            "dbName",
        ),
    ];
    let server = FaultyServer::start(vec![Fault::created(JOB_ID)]).await;
    let c = client(server.url());
    for (name, job, field) in cases {
        let e = c.create_import_job(job).await.unwrap_err();
        match e.kind() {
            ErrorKind::InvalidInput { field: f, .. } => assert_eq!(*f, field, "{name}: {e}"),
            other => panic!("{name}: {other:?}"),
        }
        assert!(!e.may_have_been_sent(), "{name}");
        assert_error_redacted(&e);
    }
    assert_eq!(server.requests_received(), 0);

    // The limits themselves are allowed.
    let server = FaultyServer::start(vec![Fault::created(JOB_ID)]).await;
    let c = client(server.url());
    c.create_import_job(CreateImportJob::from_files(
        "c",
        at_limit(MAX_FILE_GROUPS_MILVUS),
    ))
    .await
    .unwrap();
    c.create_import_job(CreateImportJob::with_object_urls(
        CLUSTER,
        "c",
        groups(MAX_FILE_GROUPS_CLOUD, "parquet"),
    ))
    .await
    .unwrap();
    let sizes: Vec<usize> = server
        .requests()
        .iter()
        .map(|r| {
            let body = r.json();
            let key = if body.get("files").is_some() {
                "files"
            } else {
                "objectUrls"
            };
            body[key].as_array().unwrap().len()
        })
        .collect();
    assert_eq!(sizes, [1024, 1000]);
}

#[tokio::test]
async fn a_milvus_target_is_refused_by_the_control_plane_before_sending() {
    let c = Client::builder()
        .api_key(API_KEY)
        .base_url(GLOBAL_BASE_URL)
        .build()
        .unwrap();
    let e = c
        .create_import_job(CreateImportJob::from_files("c", [["a.parquet"]]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::InvalidInput {
                field: "clusterId",
                ..
            }
        ),
        "{e:?}"
    );
    let e = c
        .describe_import_job(&Target::milvus(), JOB_ID)
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::InvalidInput {
                field: "clusterId",
                ..
            }
        ),
        "{e:?}"
    );
    let e = c
        .list_import_jobs(&ListImportJobs::of(Target::milvus()))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::InvalidInput {
                field: "clusterId",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(!e.may_have_been_sent(), "{e:?}");
}

#[tokio::test]
async fn describe_on_every_target() {
    let cases = [
        (
            Target::cluster(CLUSTER),
            json!({"clusterId": CLUSTER, "jobId": JOB_ID}),
            None,
        ),
        (
            Target::cluster(CLUSTER).database("analytics"),
            json!({"clusterId": CLUSTER, "jobId": JOB_ID, "dbName": "analytics"}),
            Some("analytics"),
        ),
        (
            Target::project(PROJECT, REGION),
            json!({"projectId": PROJECT, "regionId": REGION, "jobId": JOB_ID}),
            None,
        ),
        // Milvus's describe body is `{jobId}`; the database is the header.
        (
            Target::milvus().database("db1"),
            json!({"jobId": JOB_ID}),
            Some("db1"),
        ),
        (Target::milvus(), json!({"jobId": JOB_ID}), None),
    ];
    for (target, body, db) in cases {
        let server =
            FaultyServer::start(vec![Fault::json(200, &progress("Importing", 40), &[])]).await;
        let p = client(server.url())
            .describe_import_job(&target, JOB_ID)
            .await
            .unwrap();
        assert_eq!((p.state, p.progress), (ImportState::Importing, 40));
        let request = only_request(&server).await;
        assert_eq!(request.path, DESCRIBE_PATH, "{target:?}");
        assert_eq!(request.json(), body, "{target:?}");
        assert_eq!(request.header("db-name"), db, "{target:?}");
    }
}

#[tokio::test]
async fn a_milvus_describe_answer_decodes_with_imported_rows() {
    // As open-source Milvus answers: no fileName, reason only when set,
    // totalRows the rows to import and importedRows those done.
    let answer = ok(json!({
        "jobId": JOB_ID, "collectionName": "c", "completeTime": "", "state": "Importing",
        "progress": 40, "importedRows": 400, "totalRows": 1000, "fileSize": 2048,
        "details": [{"fileName": "a.parquet", "fileSize": 2048, "progress": 40,
                     "completeTime": "", "state": "Importing", "importedRows": 400,
                     "totalRows": 1000}]
    }));
    let server = FaultyServer::start(vec![Fault::json(200, &answer, &[])]).await;
    let p = client(server.url())
        .describe_import_job(&Target::milvus(), JOB_ID)
        .await
        .unwrap();
    assert_eq!(p.file_name, None);
    assert_eq!(p.reason, None);
    assert_eq!((p.imported_rows, p.total_rows), (Some(400), Some(1000)));
    assert_eq!(p.details.len(), 1);
    assert_eq!(p.details[0].imported_rows, Some(400));
    assert_eq!(p.details[0].file_name.as_deref(), Some("a.parquet"));

    // Milvus refuses a token with HTTP 401 and code 1800: an API error that
    // keeps its code (the official Rust SDK reports a bare HTTP error).
    let refused = json!({"code": 1800, "message": "user hasn't authenticated"});
    let server = FaultyServer::start(vec![Fault::json(401, &refused, &[])]).await;
    let e = client(server.url())
        .describe_import_job(&Target::milvus(), JOB_ID)
        .await
        .unwrap_err();
    assert_eq!(
        api_fields(&e),
        (1800, "user hasn't authenticated", 401, None, 1)
    );
}

#[tokio::test]
async fn describe_falls_back_to_get_progress_once_and_remembers() {
    let not_found = Fault::text(404, "text/plain", "404 page not found", &[]);
    let server = FaultyServer::start(vec![
        not_found.clone(),
        Fault::json(200, &progress("Importing", 10), &[]),
        Fault::json(200, &progress("Completed", 100), &[]),
    ])
    .await;
    let c = client(server.url());
    let first = c
        .describe_import_job(&Target::milvus(), JOB_ID)
        .await
        .unwrap();
    assert_eq!(first.progress, 10);
    let second = c
        .describe_import_job(&Target::milvus(), JOB_ID)
        .await
        .unwrap();
    assert_eq!(second.state, ImportState::Completed);
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, [DESCRIBE_PATH, GET_PROGRESS_PATH, GET_PROGRESS_PATH]);
    // Both ask the same thing.
    let bodies: Vec<Value> = server.requests().iter().map(|r| r.json()).collect();
    assert!(bodies.iter().all(|b| *b == json!({"jobId": JOB_ID})));
    // Clones share what was learnt.
    let clone = c.clone();
    clone
        .describe_import_job(&Target::milvus(), JOB_ID)
        .await
        .unwrap();
    assert_eq!(server.requests().last().unwrap().path, GET_PROGRESS_PATH);

    // A server where neither path exists: the 404 is the error, and the
    // next describe tries the current path first again.
    let server = FaultyServer::start(vec![not_found]).await;
    let c = client(server.url());
    for _ in 0..2 {
        let e = c
            .describe_import_job(&Target::milvus(), JOB_ID)
            .await
            .unwrap_err();
        assert_eq!(e.status(), Some(404), "{e:?}");
    }
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            DESCRIBE_PATH,
            GET_PROGRESS_PATH,
            DESCRIBE_PATH,
            GET_PROGRESS_PATH
        ]
    );
}

#[tokio::test]
async fn list_on_every_target() {
    let page = ok(json!({"count": 0, "currentPage": 1, "pageSize": 10, "records": []}));
    let cases = [
        (
            ListImportJobs::new(CLUSTER),
            json!({"clusterId": CLUSTER, "pageSize": 10, "currentPage": 1}),
            None,
        ),
        (
            ListImportJobs::of(Target::project(PROJECT, REGION))
                .collection("c")
                .page(2),
            json!({"projectId": PROJECT, "regionId": REGION, "collectionName": "c",
                   "pageSize": 10, "currentPage": 2}),
            None,
        ),
        // Milvus has no pages: none are asked for, and a page size it
        // ignores is not checked.
        (
            ListImportJobs::of(Target::milvus())
                .database("db1")
                .collection("c")
                .page_size(1000),
            json!({"collectionName": "c", "dbName": "db1"}),
            Some("db1"),
        ),
    ];
    for (request, body, db) in cases {
        let server = FaultyServer::start(vec![Fault::json(200, &page, &[])]).await;
        client(server.url())
            .list_import_jobs(&request)
            .await
            .unwrap();
        let sent = only_request(&server).await;
        assert_eq!(sent.path, LIST_PATH);
        assert_eq!(sent.json(), body, "{request:?}");
        assert_eq!(sent.header("db-name"), db, "{request:?}");
    }
}

#[tokio::test]
async fn a_milvus_listing_is_one_page_and_the_stream_ends() {
    // Ten records, as many as a page holds: a paged walk would ask again.
    let records: Vec<Value> = (0..10)
        .map(|i| json!({"jobId": format!("{i}"), "collectionName": "c", "state": "Importing", "progress": 5}))
        .collect();
    let answer = ok(json!({ "records": records }));
    let server = FaultyServer::start(vec![Fault::json(200, &answer, &[])]).await;
    let pages: Vec<_> = client(server.url())
        .list_all_import_jobs(ListImportJobs::of(Target::milvus()))
        .collect()
        .await;
    assert_eq!(pages.len(), 1);
    let page = pages.into_iter().next().unwrap().unwrap();
    assert_eq!(page.records.len(), 10);
    assert_eq!(
        (page.count, page.current_page, page.page_size),
        (None, None, None)
    );
    assert_eq!(server.requests_received(), 1);
}

#[tokio::test]
async fn waiting_works_on_a_milvus_target() {
    let server = FaultyServer::start(vec![
        Fault::json(200, &progress("Importing", 50), &[]),
        Fault::json(200, &progress("Completed", 100), &[]),
    ])
    .await;
    let options =
        WaitOptions::default().interval(Duration::from_millis(1), Duration::from_millis(2));
    let done = client(server.url())
        .wait_for_import_job(&Target::milvus().database("db1"), JOB_ID, options)
        .await
        .unwrap()
        .completed()
        .expect("completed");
    assert_eq!(done.state, ImportState::Completed);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for r in requests {
        assert_eq!(r.json(), json!({"jobId": JOB_ID}));
        assert_eq!(r.header("db-name"), Some("db1"));
    }
}

#[tokio::test]
async fn a_wait_on_a_job_milvus_does_not_know_ends_at_the_first_answer() {
    // Milvus answers an unknown job id with 2100; polling again cannot help.
    let unknown = json!({"code": 2100, "message": "import job does not exist, jobID=1"});
    let server = FaultyServer::start(vec![Fault::json(200, &unknown, &[])]).await;
    let options =
        WaitOptions::default().interval(Duration::from_millis(1), Duration::from_millis(2));
    let e = client(server.url())
        .wait_for_import_job(&Target::milvus(), "1", options)
        .await
        .unwrap_err();
    let request = e.request_error().expect("a request's failure");
    assert_eq!(request.api_code(), Some(2100));
    assert_eq!(server.requests_received(), 1);
}
