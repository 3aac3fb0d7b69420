//! On the wire, for the volume calls: the exact request of each, the
//! answers decoded to exact values, reads retried and writes not, what is
//! refused before sending, and the temporary credentials of apply kept out
//! of Debug, Serialize and every later error.

use crate::common::*;
use httpmock::prelude::*;
use serde_json::{Value, json};
use zilliz_import::{Client, ErrorKind, ListVolumes, NewVolume, RetryPolicy, VolumeType};

const TMP_AK: &str = "ASIA-TMPAK-SENTINEL";
const TMP_SK: &str = "TMPSK-SENTINEL-0a1b2c";
const STS_TOKEN: &str = "STS-TOKEN-SENTINEL-3d4e5f";

fn volume(name: &str) -> Value {
    json!({"volumeName": name, "type": "MANAGED", "regionId": REGION, "status": "RUNNING",
           "createTime": "2025-01-01T08:00:00Z", "newKey": [1]})
}

fn upload() -> Value {
    json!({"code": 0, "message": "success", "data": {
        "volumeName": VOLUME, "volumePrefix": "prefix/", "endpoint": "s3.amazonaws.com",
        "bucketName": "test-bucket", "region": "us-west-2", "cloud": "aws",
        "uploadPath": "prefix/data/",
        "condition": {"maxContentLength": 1073741824i64, "maxFileNumber": 1000},
        "credentials": {"tmpAK": TMP_AK, "tmpSK": TMP_SK, "sessionToken": STS_TOKEN,
                        "expireTime": "2099-12-31T23:59:59Z"}}})
}

#[tokio::test]
async fn create_sends_the_volume_and_is_not_repeated_after_a_5xx() {
    let server = MockServer::start_async().await;
    let managed = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/volumes/create")
                .header("authorization", format!("Bearer {API_KEY}"))
                .json_body(json!({"projectId": PROJECT, "regionId": REGION,
                                  "volumeName": VOLUME, "type": "MANAGED"}));
            then.status(200)
                .json_body(json!({"code": 0, "data": {"volumeName": VOLUME}}));
        })
        .await;
    let c = client(&server.base_url());
    c.create_volume(&NewVolume::managed(PROJECT, REGION, VOLUME))
        .await
        .unwrap();
    managed.assert_calls_async(1).await;
    let external = server
        .mock_async(|when, then| {
            when.method(POST).path("/v2/volumes/create").json_body(
                json!({"projectId": PROJECT, "regionId": REGION,
                                  "volumeName": "ext", "type": "EXTERNAL",
                                  "storageIntegrationId": "integ-1", "path": "data/"}),
            );
            then.status(503);
        })
        .await;
    let e = c
        .create_volume(&NewVolume::external(PROJECT, REGION, "ext", "integ-1").path("data/"))
        .await
        .unwrap_err();
    // Delivered, perhaps done: a second create would find the name taken.
    assert_http(&e, 503, 1);
    external.assert_calls_async(1).await;
}

#[tokio::test]
async fn delete_is_a_write_and_describe_a_read() {
    let server = MockServer::start_async().await;
    let path = format!("/v2/volumes/{VOLUME}");
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE).path(path.as_str());
            then.status(502);
        })
        .await;
    let describe = server
        .mock_async(|when, then| {
            when.method(GET).path(path.as_str());
            then.status(503);
        })
        .await;
    let c = client(&server.base_url());
    assert_http(&c.delete_volume(VOLUME).await.unwrap_err(), 502, 1);
    delete.assert_calls_async(1).await;
    assert_http(&c.describe_volume(VOLUME).await.unwrap_err(), 503, 3);
    describe.assert_calls_async(3).await;
    delete.delete_async().await;
    describe.delete_async().await;

    server
        .mock_async(|when, then| {
            when.method(DELETE).path(path.as_str());
            then.status(200).json_body(json!({"code": 0, "data": {}}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(path.as_str());
            then.status(200)
                .json_body(json!({"code": 0, "data": volume(VOLUME)}));
        })
        .await;
    c.delete_volume(VOLUME).await.unwrap();
    let v = c.describe_volume(VOLUME).await.unwrap();
    assert_eq!(v.volume_name.as_deref(), Some(VOLUME));
    assert_eq!(v.type_.as_deref(), Some("MANAGED"));
    assert_eq!(v.region_id.as_deref(), Some(REGION));
    assert_eq!(v.status.as_deref(), Some("RUNNING"));
    assert_eq!(v.create_time.as_deref(), Some("2025-01-01T08:00:00Z"));
    assert_eq!(v.storage_integration_id, None);
    assert_eq!(v.extra["newKey"], json!([1]));
}

#[tokio::test]
async fn list_sends_the_query_and_decodes_the_page() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/volumes")
                .query_param("projectId", PROJECT)
                .query_param("currentPage", "2")
                .query_param("pageSize", "5")
                .query_param("type", "EXTERNAL");
            then.status(200).json_body(json!({"code": 0, "data": {
                "count": 6, "currentPage": 2, "pageSize": 5, "volumes": [volume("v6")]}}));
        })
        .await;
    let c = client(&server.base_url());
    let request = ListVolumes::new(PROJECT)
        .page(2)
        .page_size(5)
        .kind(VolumeType::External);
    let page = c.list_volumes(&request).await.unwrap();
    list.assert_calls_async(1).await;
    assert_eq!(
        (page.count, page.current_page, page.page_size),
        (Some(6), Some(2), Some(5))
    );
    let volumes = page.volumes.unwrap();
    assert_eq!(volumes[0].volume_name.as_deref(), Some("v6"));
    // The first page of 10, no type: the query says so, nothing more.
    let first = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v2/volumes")
                .query_param("projectId", PROJECT)
                .query_param("currentPage", "1")
                .query_param("pageSize", "10")
                .query_param_missing("type");
            then.status(503);
        })
        .await;
    let e = c
        .list_volumes(&ListVolumes::new(PROJECT))
        .await
        .unwrap_err();
    assert_http(&e, 503, 3);
    first.assert_calls_async(3).await;
}

#[tokio::test]
async fn apply_sends_name_and_path_and_decodes_every_field() {
    let server = MockServer::start_async().await;
    let apply = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/volumes/apply")
                .json_body(json!({"volumeName": VOLUME, "path": "bulk_data/run-1/"}));
            then.status(200).json_body(upload());
        })
        .await;
    let c = client(&server.base_url());
    let up = c.apply_volume(VOLUME, "bulk_data/run-1/").await.unwrap();
    apply.assert_calls_async(1).await;
    assert_eq!(
        (
            up.volume_name.as_str(),
            up.volume_prefix.as_str(),
            up.endpoint.as_str(),
            up.bucket_name.as_str(),
            up.region.as_str(),
            up.cloud.as_str(),
            up.upload_path.as_deref()
        ),
        (
            VOLUME,
            "prefix/",
            "s3.amazonaws.com",
            "test-bucket",
            "us-west-2",
            "aws",
            Some("prefix/data/")
        )
    );
    assert_eq!(up.condition.max_content_length, Some(1073741824));
    assert_eq!(up.condition.max_file_number, Some(1000));
    let creds = &up.credentials;
    assert_eq!(creds.tmp_ak.expose_secret(), TMP_AK);
    assert_eq!(creds.tmp_sk.expose_secret(), TMP_SK);
    assert_eq!(creds.session_token.expose_secret(), STS_TOKEN);
    assert_eq!(creds.expire_time, "2099-12-31T23:59:59Z");
}

#[tokio::test]
async fn apply_is_a_read_retried_and_its_code_an_api_error() {
    let server = MockServer::start_async().await;
    let busy = on_post(&server, "/v2/volumes/apply", |then| {
        then.status(504);
    })
    .await;
    let c = client(&server.base_url());
    assert_http(&c.apply_volume(VOLUME, "a/").await.unwrap_err(), 504, 3);
    busy.assert_calls_async(3).await;
    busy.delete_async().await;
    on_post(&server, "/v2/volumes/apply", |then| {
        then.status(200)
            .json_body(json!({"code": 80000, "message": "volume not found"}));
    })
    .await;
    let e = c.apply_volume(VOLUME, "a/").await.unwrap_err();
    assert_eq!(api_fields(&e), (80000, "volume not found", 200, None, 1));
}

#[tokio::test]
async fn wrong_paths_and_names_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.path_includes("/v2/volumes");
            then.status(200).json_body(upload());
        })
        .await;
    let c = client(&server.base_url());
    for (path, says) in [
        ("", "give a folder"),
        ("/data/", "leading `/`"),
        ("data", "ends with `/`"),
        ("a/../b/", "`..`"),
        ("../", "`..`"),
        ("a//b/", "not normalized"),
        ("./a/", "not normalized"),
        ("a\\b/", "`\\`"),
    ] {
        let e = c.apply_volume(VOLUME, path).await.unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::InvalidInput { field: "path", reason, .. } if reason.contains(says)),
            "{path:?}: {e:?}"
        );
    }
    assert_invalid_input(&c.apply_volume(" ", "a/").await.unwrap_err(), "volumeName");
    assert_invalid_input(&c.describe_volume("").await.unwrap_err(), "volumeName");
    assert_invalid_input(&c.delete_volume("").await.unwrap_err(), "volumeName");
    let blank = NewVolume::external(PROJECT, REGION, VOLUME, " ");
    assert_invalid_input(
        &c.create_volume(&blank).await.unwrap_err(),
        "storageIntegrationId",
    );
    let no_slash = NewVolume::external(PROJECT, REGION, VOLUME, "i").path("data");
    assert_invalid_input(&c.create_volume(&no_slash).await.unwrap_err(), "path");
    let big = ListVolumes::new(PROJECT).page_size(101);
    assert_invalid_input(&c.list_volumes(&big).await.unwrap_err(), "pageSize");
    let zero = ListVolumes::new(PROJECT).page(0);
    assert_invalid_input(&c.list_volumes(&zero).await.unwrap_err(), "currentPage");
    assert_invalid_input(
        &c.list_volumes(&ListVolumes::new("")).await.unwrap_err(),
        "projectId",
    );
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_client_with_a_user_password_token_sends_no_volume_call() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.path_includes("/v2/volumes");
            then.status(200).json_body(upload());
        })
        .await;
    let milvus = Client::builder()
        .api_key("root:Milvus")
        .base_url(server.base_url())
        .build()
        .unwrap();
    let refused = |e: zilliz_import::Error| {
        assert!(
            matches!(e.kind(), ErrorKind::InvalidInput { field: "baseUrl", reason, .. } if reason.contains("control plane")),
            "{e:?}"
        );
    };
    refused(milvus.apply_volume(VOLUME, "a/").await.unwrap_err());
    refused(milvus.describe_volume(VOLUME).await.unwrap_err());
    refused(milvus.delete_volume(VOLUME).await.unwrap_err());
    refused(
        milvus
            .list_volumes(&ListVolumes::new(PROJECT))
            .await
            .unwrap_err(),
    );
    refused(
        milvus
            .create_volume(&NewVolume::managed(PROJECT, REGION, VOLUME))
            .await
            .unwrap_err(),
    );
    any.assert_calls_async(0).await;
}

/// Panics if a temporary credential occurs in `text`.
fn assert_no_credentials(what: &str, text: &str) {
    for s in [TMP_AK, TMP_SK, STS_TOKEN, API_KEY] {
        assert!(!text.contains(s), "{what} leaks {s:?}: {text}");
    }
}

#[tokio::test]
async fn temporary_credentials_never_show_in_debug_json_or_errors() {
    let server = MockServer::start_async().await;
    let apply = on_post(&server, "/v2/volumes/apply", |then| {
        then.status(200).json_body(upload());
    })
    .await;
    let c = client_with(&server.base_url(), RetryPolicy::none());
    let up = c.apply_volume(VOLUME, "a/").await.unwrap();
    assert_no_credentials("Debug", &format!("{up:?} {c:?}"));
    assert_no_credentials("JSON", &serde_json::to_string(&up).unwrap());
    assert_eq!(format!("{}", up.credentials.tmp_sk), "<redacted>");
    apply.delete_async().await;

    // A later answer echoing them, in clear and escaped: the client learned them.
    let echo = format!("no such volume: {TMP_SK} {STS_TOKEN} {TMP_AK}");
    let describe = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v2/volumes/{VOLUME}"));
            then.status(200)
                .json_body(json!({"code": 80000, "message": echo}));
        })
        .await;
    let e = c.describe_volume(VOLUME).await.unwrap_err();
    describe.assert_calls_async(1).await;
    assert_no_credentials("an error's Debug", &format!("{e:?}"));
    assert_no_credentials("an error's Display", &e.to_string());

    // An apply answer that does not decode is quoted in its error, before
    // anything could be learned: the credentials go by their keys.
    let fresh = client_with(&server.base_url(), RetryPolicy::none());
    let mut broken = upload();
    broken["data"]["condition"] = json!("not an object");
    on_post(&server, "/v2/volumes/apply", |then| {
        then.status(200).json_body(broken);
    })
    .await;
    let e = fresh.apply_volume(VOLUME, "a/").await.unwrap_err();
    assert_decode(&e, 200, 1);
    assert_no_credentials("a decode error's Debug", &format!("{e:?}"));
    assert_no_credentials("a decode error's Display", &e.to_string());
}
