//! The control plane's volumes: create, list, describe and delete with
//! their rules and exact answers; apply's credentials used by a real S3
//! client (object_store, SigV4 with the session token) against the
//! emulator's own endpoint, refused once expired, with another token, or
//! outside the granted folder; and an import from a volume that fails, as
//! the service's does, when a file is missing, and reports the bytes and
//! rows of the files it finds.

use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStoreExt, PutPayload};
use serde_json::{Value, json};
use zilliz_import_emulator::{EmulatorHandle, JobState};

use crate::support::*;

const VOLUMES: &str = "/v2/volumes";

async fn get(h: &EmulatorHandle, path: &str) -> (u16, Value) {
    let resp = client()
        .get(format!("{}{path}", h.base_url()))
        .bearer_auth(h.api_key())
        .send()
        .await
        .expect("sent");
    (resp.status().as_u16(), resp.json().await.expect("JSON"))
}

async fn delete(h: &EmulatorHandle, path: &str) -> (u16, Value) {
    let resp = client()
        .delete(format!("{}{path}", h.base_url()))
        .bearer_auth(h.api_key())
        .send()
        .await
        .expect("sent");
    (resp.status().as_u16(), resp.json().await.expect("JSON"))
}

fn bad(message: &str) -> Value {
    json!({"code": 80000, "message": format!("invalid parameter: {message}")})
}

async fn start() -> EmulatorHandle {
    manual_builder()
        .projects([(PROJECT, REGION)])
        .start()
        .await
        .expect("starts")
}

async fn create_volume(h: &EmulatorHandle, name: &str) {
    let body = json!({"projectId": PROJECT, "regionId": REGION, "volumeName": name});
    let (status, answer) = post(h, "/v2/volumes/create", body).await;
    assert_eq!(
        (status, answer),
        (200, json!({"code": 0, "data": {"volumeName": name}}))
    );
}

#[tokio::test]
async fn volumes_are_created_listed_described_and_deleted_by_the_rules() {
    let h = start().await;
    create_volume(&h, "v1").await;
    let external = json!({"projectId": PROJECT, "regionId": REGION, "volumeName": "v2",
                          "type": "EXTERNAL", "storageIntegrationId": "integ-1", "path": "data/"});
    assert_eq!(post(&h, "/v2/volumes/create", external).await.1["code"], 0);
    for (body, refusal) in [
        (
            json!({"projectId": PROJECT, "regionId": REGION, "volumeName": "v1"}),
            bad("volume 'v1' already exists"),
        ),
        (
            json!({"projectId": PROJECT, "regionId": REGION, "volumeName": "x", "type": "EXTERNAL"}),
            bad("an EXTERNAL volume needs storageIntegrationId"),
        ),
        (
            json!({"projectId": PROJECT, "regionId": REGION, "volumeName": "x", "storageIntegrationId": "i"}),
            bad("storageIntegrationId is for EXTERNAL volumes"),
        ),
        (
            json!({"projectId": PROJECT, "regionId": "aws-eu-1", "volumeName": "x"}),
            bad(&format!(
                "project '{PROJECT}' in region 'aws-eu-1' does not exist"
            )),
        ),
        (
            json!({"projectId": PROJECT, "regionId": REGION, "volumeName": "a b"}),
            bad("volumeName is 1 to 64 letters, digits, `_` and `-`"),
        ),
        (
            json!({"projectId": PROJECT, "regionId": REGION}),
            bad("volumeName is required"),
        ),
    ] {
        assert_eq!(post(&h, "/v2/volumes/create", body).await, (200, refusal));
    }
    let (status, mut v1) = get(&h, "/v2/volumes/v1").await;
    let created = v1["data"]["createTime"].take();
    humantime::parse_rfc3339(created.as_str().unwrap()).expect("RFC 3339");
    assert_eq!(
        (status, v1),
        (
            200,
            json!({"code": 0, "data": {"volumeName": "v1", "type": "MANAGED", "regionId": REGION,
                   "status": "RUNNING", "createTime": null}})
        )
    );
    let (_, page) = get(
        &h,
        &format!("{VOLUMES}?projectId={PROJECT}&pageSize=1&currentPage=2"),
    )
    .await;
    assert_eq!(page["data"]["count"], 2);
    assert_eq!(page["data"]["volumes"][0]["volumeName"], "v2");
    assert_eq!(
        page["data"]["volumes"][0]["storageIntegrationId"],
        "integ-1"
    );
    assert_eq!(page["data"]["volumes"][0]["path"], "data/");
    let (_, managed) = get(&h, &format!("{VOLUMES}?projectId={PROJECT}&type=MANAGED")).await;
    assert_eq!(managed["data"]["count"], 1);
    let (_, refused) = get(&h, &format!("{VOLUMES}?projectId={PROJECT}&pageSize=101")).await;
    assert_eq!(refused["code"], 96008);
    assert_eq!(delete(&h, "/v2/volumes/v1").await.1["code"], 0);
    assert_eq!(
        get(&h, "/v2/volumes/v1").await,
        (200, bad("volume 'v1' does not exist"))
    );
    assert_eq!(
        delete(&h, "/v2/volumes/v1").await,
        (200, bad("volume 'v1' does not exist"))
    );
    // The name is the whole segment, escapes decoded: `v2&x=1` is not `v2`.
    assert_eq!(
        get(&h, "/v2/volumes/%76%32").await.1["data"]["volumeName"],
        "v2"
    );
    assert_eq!(
        get(&h, "/v2/volumes/v2&x=1").await,
        (200, bad("volume 'v2&x=1' does not exist"))
    );
    // Another method than the path's is 405; auth comes first otherwise.
    let resp = client()
        .put(format!("{}/v2/volumes/v2", h.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 405);
}

/// An S3 client for what apply answered, as the SDKs build one (SigV4 with
/// the session token, path-style, the region), with `token` in place of the
/// session token when given.
fn s3(upload: &Value, token: Option<&str>) -> AmazonS3 {
    let creds = &upload["credentials"];
    AmazonS3Builder::new()
        .with_endpoint(upload["endpoint"].as_str().unwrap())
        .with_allow_http(true)
        .with_bucket_name(upload["bucketName"].as_str().unwrap())
        .with_region(upload["region"].as_str().unwrap())
        .with_access_key_id(creds["tmpAK"].as_str().unwrap())
        .with_secret_access_key(creds["tmpSK"].as_str().unwrap())
        .with_token(token.unwrap_or(creds["sessionToken"].as_str().unwrap()))
        .with_retry(object_store::RetryConfig {
            max_retries: 0,
            ..Default::default()
        })
        .build()
        .unwrap()
}

async fn apply(h: &EmulatorHandle, volume: &str, path: &str) -> Value {
    let (status, answer) = post(
        h,
        "/v2/volumes/apply",
        json!({"volumeName": volume, "path": path}),
    )
    .await;
    assert_eq!((status, &answer["code"]), (200, &json!(0)), "{answer}");
    answer["data"].clone()
}

#[tokio::test]
async fn apply_hands_out_keys_a_real_s3_client_uploads_with_until_they_expire() {
    let h = manual_builder()
        .projects([(PROJECT, REGION)])
        .volume_credentials_lifetime(Duration::from_secs(60))
        .volume_condition(1 << 20, Some(3))
        .start()
        .await
        .unwrap();
    create_volume(&h, "vol").await;
    let up = apply(&h, "vol", "run-1/").await;
    assert_eq!(up["endpoint"], h.volume_storage_url());
    assert_eq!(
        (
            &up["volumeName"],
            &up["volumePrefix"],
            &up["bucketName"],
            &up["region"],
            &up["cloud"],
            &up["uploadPath"]
        ),
        (
            &json!("vol"),
            &json!("vol/"),
            &json!("emulator-volumes"),
            &json!("us-east-1"),
            &json!("aws"),
            &json!("vol/run-1/")
        )
    );
    assert_eq!(
        up["condition"],
        json!({"maxContentLength": 1 << 20, "maxFileNumber": 3})
    );
    // A minute after the volume was made, on the emulator's clock.
    let (_, described) = get(&h, "/v2/volumes/vol").await;
    let at = |v: &Value| humantime::parse_rfc3339(v.as_str().unwrap()).unwrap();
    let lifetime = at(&up["credentials"]["expireTime"])
        .duration_since(at(&described["data"]["createTime"]))
        .unwrap();
    assert_eq!(lifetime, Duration::from_secs(60));
    let store = s3(&up, None);
    let key = ObjectPath::from("vol/run-1/a.json");
    store
        .put(&key, PutPayload::from_static(b"{\"id\": 1}\n"))
        .await
        .unwrap();
    let on_disk = h
        .volume_storage_dir()
        .join("emulator-volumes/vol/run-1/a.json");
    assert_eq!(std::fs::read(on_disk).unwrap(), b"{\"id\": 1}\n");
    assert_eq!(store.head(&key).await.unwrap().size, 10);
    // A multipart upload, as the uploader sends a large file: 5 MiB, then the rest.
    let big = ObjectPath::from("vol/run-1/big.bin");
    let mut parts = store.put_multipart(&big).await.unwrap();
    parts.put_part(vec![7u8; 5 << 20].into()).await.unwrap();
    parts.put_part(vec![8u8; 1000].into()).await.unwrap();
    parts.complete().await.unwrap();
    assert_eq!(store.head(&big).await.unwrap().size, (5 << 20) + 1000);

    // Outside the granted folder, or with another token: refused.
    let outside = store
        .put(
            &ObjectPath::from("vol/run-2/a.json"),
            PutPayload::from_static(b"x"),
        )
        .await
        .unwrap_err();
    assert!(outside.to_string().contains("AccessDenied"), "{outside}");
    let forged = s3(&up, Some("another-token"))
        .put(&key, PutPayload::from_static(b"x"))
        .await
        .unwrap_err();
    assert!(forged.to_string().contains("InvalidToken"), "{forged}");

    // A minute later on the emulator's clock, the keys have expired.
    h.advance(Duration::from_secs(60));
    // (A PUT: a HEAD's refusal has no body to name its code.)
    let again_put = || PutPayload::from_static(b"y");
    let expired = store.put(&key, again_put()).await.unwrap_err();
    assert!(expired.to_string().contains("ExpiredToken"), "{expired}");
    // Apply again: fresh keys work; a deleted volume's keys do not.
    let again = apply(&h, "vol", "run-1/").await;
    assert_ne!(again["credentials"]["tmpAK"], up["credentials"]["tmpAK"]);
    s3(&again, None).head(&key).await.unwrap();
    assert_eq!(delete(&h, "/v2/volumes/vol").await.1["code"], 0);
    let gone = s3(&again, None).put(&key, again_put()).await.unwrap_err();
    assert!(gone.to_string().contains("InvalidAccessKeyId"), "{gone}");
    assert!(!h.volume_storage_dir().join("emulator-volumes/vol").exists());
}

#[tokio::test]
async fn apply_refuses_what_is_no_folder_of_a_known_volume() {
    let h = start().await;
    create_volume(&h, "vol").await;
    for (volume, path, message) in [
        ("vol", "/a/", "path must be relative, without a leading `/`"),
        ("vol", "a", "path must end with `/`"),
        ("vol", "a/../b/", "path must not hold `..`"),
        (
            "vol",
            "a//b/",
            "path must be normalized: no empty or `.` part, no `\\`",
        ),
        ("nope", "a/", "volume 'nope' does not exist"),
    ] {
        let body = json!({"volumeName": volume, "path": path});
        assert_eq!(
            post(&h, "/v2/volumes/apply", body).await,
            (200, bad(message)),
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_import_from_a_volume_fails_when_a_file_is_missing() {
    let h = start().await;
    create_volume(&h, "vol").await;
    let up = apply(&h, "vol", "data/").await;
    let store = s3(&up, None);
    for key in ["vol/data/1.json", "vol/data/npy/id.npy"] {
        store
            .put(&ObjectPath::from(key), PutPayload::from_static(b"[]"))
            .await
            .unwrap();
    }
    let create = |paths: Value| json!({"clusterId": CLUSTER, "collectionName": "c", "volumeName": "vol", "dataPaths": paths});
    let present = created(&h, &[], create(json!([["data/1.json"], ["data/npy/"]]))).await;
    let missing = created(&h, &[], create(json!([["data/1.json"], ["data/2.json"]]))).await;
    h.advance(Duration::from_secs(10));
    let jobs = h.jobs();
    let state = |id: &str| jobs.iter().find(|j| j.job_id == id).unwrap().state;
    assert_eq!(state(&present), JobState::Completed);
    assert_eq!(state(&missing), JobState::Failed);
    let (_, described) = post(
        &h,
        DESCRIBE,
        json!({"clusterId": CLUSTER, "jobId": missing}),
    )
    .await;
    assert_eq!(
        described["data"]["reason"],
        "failed to get file size of data/2.json: NoSuchKey: The specified key does not exist."
    );
    assert_eq!(described["data"]["details"][0]["reason"], "");
}

/// A Parquet file of one `id` column holding `ids`.
fn parquet_file(ids: &[i64]) -> Vec<u8> {
    use parquet::data_type::Int64Type;
    use parquet::file::writer::SerializedFileWriter;
    let schema = parquet::schema::parser::parse_message_type("message m { required int64 id; }");
    let mut buf = Vec::new();
    let mut writer =
        SerializedFileWriter::new(&mut buf, schema.unwrap().into(), Default::default()).unwrap();
    let mut group = writer.next_row_group().unwrap();
    let mut column = group.next_column().unwrap().unwrap();
    column
        .typed::<Int64Type>()
        .write_batch(ids, None, None)
        .unwrap();
    column.close().unwrap();
    group.close().unwrap();
    writer.close().unwrap();
    buf
}

#[tokio::test]
async fn an_import_from_a_volume_reports_the_bytes_and_rows_of_the_files_uploaded() {
    let h = start().await;
    create_volume(&h, "vol").await;
    let up = apply(&h, "vol", "data/").await;
    let store = s3(&up, None);
    let parquet = parquet_file(&(0..1234).collect::<Vec<_>>());
    let jsonl = b"{\"id\": 1}\n{\"id\": 2}\n\n{\"id\": 3}".to_vec();
    let sizes = [parquet.len() as i64, jsonl.len() as i64];
    for (key, bytes) in [
        ("vol/data/a.parquet", parquet.clone()),
        ("vol/data/b.jsonl", jsonl),
        ("vol/data/dir/c.parquet", parquet),
    ] {
        store
            .put(&ObjectPath::from(key), PutPayload::from(bytes))
            .await
            .unwrap();
    }
    let body = json!({"clusterId": CLUSTER, "collectionName": "c", "volumeName": "vol",
        "dataPaths": [["data/a.parquet"], ["data/b.jsonl"], ["data/dir/"]]});
    let id = created(&h, &[], body).await;
    h.advance(Duration::from_secs(10));
    let (_, described) = post(&h, DESCRIBE, json!({"clusterId": CLUSTER, "jobId": id})).await;
    let data = &described["data"];
    assert_eq!(data["state"], "Completed", "{described}");
    // 1,234 rows in each Parquet file (one named, one in the folder), three
    // non-blank lines in the JSONL file; each file's bytes as uploaded.
    assert_eq!(data["totalRows"], json!(1234 + 3 + 1234));
    assert_eq!(data["fileSize"], json!(sizes[0] * 2 + sizes[1]));
    let seen: Vec<(&Value, &Value)> = data["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (&d["fileSize"], &d["totalRows"]))
        .collect();
    let want = [
        (json!(sizes[0]), json!(1234)),
        (json!(sizes[1]), json!(3)),
        (json!(sizes[0]), json!(1234)),
    ];
    assert_eq!(seen, want.iter().map(|(a, b)| (a, b)).collect::<Vec<_>>());
}
