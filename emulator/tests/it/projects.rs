//! The control plane's project targets and volume sources, and the
//! bodies the official Python SDK sends (to both modes), over real HTTP
//! with plain reqwest.

use std::time::Duration;

use serde_json::{Value, json};
use zilliz_import_emulator::{Emulator, EmulatorHandle, JobState};

use crate::milvus::milvus;
use crate::support::*;

/// The API key of these tests' emulators.
const CLOUD_KEY: &str = "cloud-test-key";

/// A control-plane emulator with the default project, 10 s jobs and a manual clock.
async fn cloud() -> EmulatorHandle {
    Emulator::builder()
        .api_key(CLOUD_KEY)
        .job_duration(Duration::from_secs(10))
        .fail_when_url_contains("fail")
        .manual_clock()
        .start()
        .await
        .expect("emulator starts")
}

#[tokio::test]
async fn cloud_takes_the_python_sdk_bodies_with_every_key() {
    let h = cloud().await;
    let id = created(
        &h,
        &[("DB-Name", "default")],
        json!({
            "collectionName": "c", "dbName": "", "partitionName": "", "files": null,
            "objectUrl": "", "objectUrls": [["s3://b/a.parquet"]], "clusterId": "",
            "projectId": PROJECT, "regionId": REGION, "accessKey": "", "secretKey": "",
            "token": "", "volumeName": "", "dataPaths": null, "options": {}
        }),
    )
    .await;
    let (_, answer) = post(
        &h,
        DESCRIBE,
        json!({"jobId": id, "clusterId": "", "projectId": PROJECT, "regionId": REGION}),
    )
    .await;
    assert_eq!(answer["data"]["jobId"], id.as_str(), "{answer}");
    let (_, answer) = post(
        &h,
        LIST,
        json!({"collectionName": "", "dbName": "", "clusterId": "", "projectId": PROJECT,
               "regionId": REGION, "pageSize": 10, "currentPage": 1}),
    )
    .await;
    assert_eq!(answer["data"]["count"], 1, "{answer}");
    // With a cluster: the cluster is the target, the blank project ids unset.
    let (_, answer) = post(
        &h,
        LIST,
        json!({"collectionName": "", "dbName": "", "clusterId": CLUSTER, "projectId": "",
               "regionId": "", "pageSize": 10, "currentPage": 1}),
    )
    .await;
    assert_eq!(
        answer,
        json!({"code": 0, "data": {"count": 0, "currentPage": 1, "pageSize": 10, "records": []}})
    );
    assert_eq!(h.requests()[0].db_name.as_deref(), Some("default"));
}

#[tokio::test]
async fn cloud_a_project_job_is_found_through_its_project_only() {
    let h = cloud().await;
    let id = created(
        &h,
        &[],
        json!({"projectId": PROJECT, "regionId": REGION, "collectionName": "c",
               "objectUrls": [["s3://bucket/p/a.parquet"]]}),
    )
    .await;
    let job = h.jobs().remove(0);
    assert_eq!(
        (
            job.cluster_id.as_str(),
            job.project_id.as_str(),
            job.region_id.as_str()
        ),
        ("", PROJECT, REGION)
    );
    h.advance(Duration::from_millis(5_500));
    let (_, answer) = post(
        &h,
        DESCRIBE,
        json!({"projectId": PROJECT, "regionId": REGION, "jobId": id}),
    )
    .await;
    assert_eq!(
        answer,
        json!({"code": 0, "data": {
            "jobId": id, "collectionName": "c", "fileName": "p/a.parquet",
            "fileSize": job.file_size, "state": "Importing", "progress": 50,
            "completeTime": "", "reason": "", "totalRows": 0,
            "details": [{
                "fileName": "p/a.parquet", "fileSize": job.file_size, "state": "Importing",
                "progress": 50, "completeTime": "", "reason": "", "totalRows": 0,
            }],
        }})
    );
    let (_, answer) = post(
        &h,
        LIST,
        json!({"projectId": PROJECT, "regionId": REGION, "collectionName": "c"}),
    )
    .await;
    assert_eq!(
        answer,
        json!({"code": 0, "data": {"count": 1, "currentPage": 1, "pageSize": 10, "records": [
            {"collectionName": "c", "jobId": id, "state": "InProgress", "progress": 50}
        ]}})
    );
    // Not through the cluster.
    let (_, answer) = post(&h, DESCRIBE, json!({"clusterId": CLUSTER, "jobId": id})).await;
    assert_eq!(
        answer,
        json!({"code": 96026, "message": format!("job not found: jobId '{id}' does not exist in cluster '{CLUSTER}'")})
    );
    let (_, answer) = post(&h, LIST, json!({"clusterId": CLUSTER})).await;
    assert_eq!(answer["data"]["count"], 0);
    // Nor through another collection's listing.
    let (_, answer) = post(
        &h,
        LIST,
        json!({"projectId": PROJECT, "regionId": REGION, "collectionName": "other"}),
    )
    .await;
    assert_eq!(answer["data"]["records"], json!([]));
}

#[tokio::test]
async fn cloud_targets_are_checked() {
    let h = Emulator::builder()
        .api_key(CLOUD_KEY)
        .projects([("proj-a", "gcp-us-west1"), ("proj-b", "aws-us-west-2")])
        .manual_clock()
        .start()
        .await
        .expect("emulator starts");
    let url = json!([["s3://b/a.json"]]);
    let cases = [
        (
            json!({"projectId": "proj-a", "collectionName": "c", "objectUrls": url}),
            json!({"code": 80000, "message": "invalid parameter: projectId goes with regionId, which is empty"}),
        ),
        (
            json!({"regionId": "gcp-us-west1", "projectId": "", "collectionName": "c", "objectUrls": url}),
            json!({"code": 80000, "message": "invalid parameter: regionId goes with projectId, which is empty"}),
        ),
        (
            json!({"clusterId": CLUSTER, "projectId": "proj-a", "regionId": "gcp-us-west1",
                   "collectionName": "c", "objectUrls": url}),
            json!({"code": 80000, "message": "invalid parameter: set clusterId, or projectId with regionId, not both"}),
        ),
        (
            json!({"projectId": "proj-a", "regionId": "aws-us-west-2", "collectionName": "c", "objectUrls": url}),
            json!({"code": 80000, "message": "invalid parameter: project 'proj-a' in region 'aws-us-west-2' does not exist"}),
        ),
        (
            json!({"projectId": PROJECT, "regionId": REGION, "collectionName": "c", "objectUrls": url}),
            json!({"code": 80000, "message": "invalid parameter: project 'proj-emulator' in region 'aws-us-west-2' does not exist"}),
        ),
    ];
    for (body, expected) in cases {
        for path in [CREATE, DESCRIBE, LIST] {
            let mut body = body.clone();
            body["jobId"] = json!("1");
            let (status, answer) = post(&h, path, body.clone()).await;
            assert_eq!((status, &answer), (200, &expected), "{path} {body}");
        }
    }
    created(
        &h,
        &[],
        json!({"projectId": "proj-b", "regionId": "aws-us-west-2", "collectionName": "c",
               "objectUrl": "s3://b/a.json"}),
    )
    .await;
    assert_eq!(h.jobs()[0].object_urls, ["s3://b/a.json"]);
}

#[tokio::test]
async fn cloud_a_volume_create_is_recorded_with_its_paths() {
    let h = cloud().await;
    let id = created(
        &h,
        &[],
        json!({"clusterId": CLUSTER, "collectionName": "c", "dbName": "db1",
               "volumeName": "my_volume", "dataPaths": [["json-folder/1.json"], ["npy/id.npy", "npy/vec.npy"]],
               "options": {"timeout": "1.5h", "skip_disk_quota_check": null}}),
    )
    .await;
    let job = h.jobs().remove(0);
    assert_eq!(job.volume_name, "my_volume");
    assert_eq!(
        job.data_paths,
        ["json-folder/1.json", "npy/id.npy", "npy/vec.npy"]
    );
    assert!(job.object_urls.is_empty() && job.files.is_empty());
    assert_eq!(job.db_name, "db1");
    assert_eq!(
        job.options.into_iter().collect::<Vec<_>>(),
        [
            ("skip_disk_quota_check".to_owned(), String::new()),
            ("timeout".to_owned(), "1.5h".to_owned())
        ]
    );
    assert_eq!(job.file_name, "json-folder/1.json,npy/id.npy,npy/vec.npy");
    assert_eq!(
        h.requests()[0].body["dataPaths"],
        json!([["json-folder/1.json"], ["npy/id.npy", "npy/vec.npy"]])
    );
    let (_, answer) = post(&h, DESCRIBE, json!({"clusterId": CLUSTER, "jobId": id})).await;
    let names: Vec<&str> = answer["data"]["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| d["fileName"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["json-folder/1.json", "npy/id.npy", "npy/vec.npy"]);

    // The fail needle applies to data paths too.
    created(
        &h,
        &[],
        json!({"clusterId": CLUSTER, "collectionName": "c", "volumeName": "v",
               "dataPaths": [["please-fail/1.json"]]}),
    )
    .await;
    h.advance(Duration::from_secs(5));
    assert_eq!(h.jobs()[1].state, JobState::Failed);
}

#[tokio::test]
async fn cloud_sources_are_checked() {
    let h = cloud().await;
    let many: Value = (0..1001)
        .map(|i| json!([format!("s3://b/{i}.json")]))
        .collect();
    let cases = [
        (
            json!({"collectionName": "c", "files": [["a.parquet"]]}),
            json!({"code": 80000, "message": "invalid parameter: files are for open-source Milvus; on the control plane set objectUrls (or objectUrl), or volumeName with dataPaths"}),
        ),
        (
            json!({"collectionName": "c", "volumeName": "v"}),
            json!({"code": 80000, "message": "invalid parameter: volumeName needs dataPaths, one inner list of paths per file group"}),
        ),
        (
            json!({"collectionName": "c", "volumeName": "v", "dataPaths": [[""], []]}),
            json!({"code": 80000, "message": "invalid parameter: volumeName needs dataPaths, one inner list of paths per file group"}),
        ),
        (
            json!({"collectionName": "c", "volumeName": "", "dataPaths": [["a.json"]]}),
            json!({"code": 80000, "message": "invalid parameter: dataPaths need volumeName"}),
        ),
        (
            json!({"collectionName": "c", "volumeName": "v", "dataPaths": [["a.json"]],
                   "objectUrl": "s3://b/a.json"}),
            json!({"code": 80000, "message": "invalid parameter: set objectUrls (or objectUrl), or volumeName with dataPaths, not both"}),
        ),
        (
            json!({"collectionName": "c", "objectUrls": many}),
            json!({"code": 80000, "message": "invalid parameter: at most 1000 file groups per request, got 1001"}),
        ),
        (
            json!({"collectionName": "c", "objectUrl": "s3://b/a.json", "options": {"auto_commit": false}}),
            json!({"code": 80000, "message": "invalid parameter: options.auto_commit must be a string, such as \"false\" rather than false"}),
        ),
        (
            json!({"collectionName": "c", "objectUrl": "s3://b/a.json", "objectUrls": [["s3://b/b.json"]]}),
            json!({"code": 80000, "message": "invalid parameter: objectUrl and objectUrls are both set; send one of them"}),
        ),
        (
            json!({"collectionName": "c", "objectUrls": [["s3://b/a.json"], ["s3://b/1.parquet", "s3://b/2.parquet"]]}),
            json!({"code": 80000, "message": "invalid parameter: objectUrls group 2: a group of 2 files holds a .parquet file; .json, .jsonl, .parquet, .csv take one file per group (only NumPy groups hold several)"}),
        ),
        (
            json!({"collectionName": "c", "volumeName": "v", "dataPaths": [[], ["a/id.npy", " "]]}),
            json!({"code": 80000, "message": "invalid parameter: dataPaths group 1: a path is empty"}),
        ),
        (
            json!({"collectionName": "c", "objectUrls": [["bucket/a.json"]]}),
            json!({"code": 80000, "message": "invalid parameter: an object URL is not a URL"}),
        ),
        (
            json!({"collectionName": "c", "objectUrl": "s3:///a.json"}),
            json!({"code": 80000, "message": "invalid parameter: an object URL names no bucket or host"}),
        ),
        (
            json!({"collectionName": "c", "objectUrl": "s3://b/a.json", "accessKey": "AK"}),
            json!({"code": 80000, "message": "invalid parameter: accessKey and secretKey go together"}),
        ),
        (
            json!({"collectionName": "c", "objectUrl": "s3://b/a.json", "token": "T"}),
            json!({"code": 80000, "message": "invalid parameter: a token goes with the accessKey and secretKey it was issued with"}),
        ),
        (
            json!({"collectionName": "c", "volumeName": "v", "dataPaths": [["a.json"]],
                   "accessKey": "AK", "secretKey": "SK"}),
            json!({"code": 80000, "message": "invalid parameter: storage credentials (accessKey, secretKey, token) go with object URLs; a volume needs none"}),
        ),
        (
            json!({"collectionName": "c", "objectUrl": "s3://b/a.json", "partitionName": "  "}),
            json!({"code": 80000, "message": "invalid parameter: partitionName must not be blank"}),
        ),
        (
            json!({"collectionName": "c", "objectUrl": "s3://b/a.json", "options": {"timeout": "soon"}}),
            json!({"code": 80000, "message": "invalid parameter: parse timeout failed, err=time: invalid duration \"soon\" (options.timeout takes a duration such as \"300s\" or \"1h30m\")"}),
        ),
    ];
    for (body, expected) in cases {
        let mut body = body;
        body["clusterId"] = json!(CLUSTER);
        let (status, answer) = post(&h, CREATE, body.clone()).await;
        assert_eq!((status, answer), (200, expected), "{body}");
    }
    assert_eq!(h.job_count(), 0);
}

#[tokio::test]
async fn milvus_takes_the_python_sdk_bodies_with_every_key() {
    let h = milvus().await;
    let (status, answer) = post_with(
        &h,
        CREATE,
        &[("DB-Name", "analytics")],
        json!({
            "collectionName": "c", "dbName": "", "partitionName": "",
            "files": [["a.parquet"]], "objectUrl": "", "objectUrls": null, "clusterId": "",
            "projectId": "", "regionId": "", "accessKey": "", "secretKey": "", "token": "",
            "volumeName": "", "dataPaths": null, "options": {}
        }),
    )
    .await;
    assert_eq!(
        (status, answer["code"].clone()),
        (200, json!(0)),
        "{answer}"
    );
    let id = answer["data"]["jobId"].as_str().expect("id").to_owned();
    assert_eq!(h.jobs()[0].db_name, "analytics");
    let (_, answer) = post(
        &h,
        DESCRIBE,
        json!({"jobId": id, "clusterId": "", "projectId": "", "regionId": ""}),
    )
    .await;
    assert_eq!(answer["data"]["jobId"], id.as_str(), "{answer}");
    let (_, answer) = post_with(
        &h,
        LIST,
        &[("DB-Name", "analytics")],
        json!({"collectionName": "", "dbName": "", "clusterId": "", "projectId": "",
               "regionId": "", "pageSize": 10, "currentPage": 1}),
    )
    .await;
    assert_eq!(
        answer,
        json!({"code": 0, "data": {"records": [
            {"jobId": id, "collectionName": "c", "state": "Pending", "progress": 0}
        ]}})
    );
}
