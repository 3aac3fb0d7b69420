//! On the wire, for `collections/describe`: the exact request, the answer
//! decoded with the keys the spec does not list kept, retries of a read,
//! the service's refusal, and the control plane refused before sending.

use crate::common::*;
use httpmock::prelude::*;
use serde_json::json;
use zilliz_import::{Client, ErrorKind, GLOBAL_BASE_URL};

const PATH: &str = "/v2/vectordb/collections/describe";

fn answer() -> serde_json::Value {
    json!({"code": 0, "data": {
        "collectionName": "books", "collectionID": 448707763883002014i64, "autoId": false,
        "enableDynamicField": true, "load": "LoadStateLoaded",
        "fields": [
            {"name": "id", "type": "Int64", "primaryKey": true, "autoId": false, "id": 100},
            {"name": "v", "type": "FloatVector", "params": [{"key": "dim", "value": "4"}],
             "nullable": false, "elementType": "None", "newKey": 1},
        ],
        "functions": [{"name": "f", "outputFieldNames": ["s"]}],
    }})
}

#[tokio::test]
async fn describe_collection_sends_name_and_database_and_keeps_every_key() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(PATH)
                .header("authorization", format!("Bearer {API_KEY}"))
                .header("db-name", "analytics")
                .json_body(json!({"dbName": "analytics", "collectionName": "books"}));
            then.status(200).json_body(answer());
        })
        .await;
    let data = client(&server.base_url())
        .describe_collection(Some("analytics"), "books")
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    assert_eq!(data.collection_name.as_deref(), Some("books"));
    assert_eq!(data.collection_id, Some(448707763883002014));
    assert_eq!(data.fields[1].name, "v");
    assert_eq!(data.extra["load"], "LoadStateLoaded");
    assert_eq!(data.fields[1].extra["newKey"], 1);
    // Re-serialised, it is the answer's `data` again: what the writer reads.
    assert_eq!(serde_json::to_value(&data).unwrap(), answer()["data"]);
}

#[tokio::test]
async fn without_a_database_the_body_is_the_name_alone_and_no_header_is_sent() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(PATH)
                .header_missing("db-name")
                .json_body(json!({"collectionName": "books"}));
            then.status(200).json_body(answer());
        })
        .await;
    client(&server.base_url())
        .describe_collection(None, "books")
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_failed_describe_is_retried_as_a_read_and_the_code_is_an_api_error() {
    let server = MockServer::start_async().await;
    let busy = on_post(&server, PATH, |then| {
        then.status(503);
    })
    .await;
    let e = client(&server.base_url())
        .describe_collection(None, "books")
        .await
        .unwrap_err();
    assert_http(&e, 503, 3);
    busy.assert_calls_async(3).await;
    busy.delete_async().await;
    let message = "can't find collection[database=default][collection=books]";
    on_post(&server, PATH, |then| {
        then.status(200)
            .json_body(json!({"code": 100, "message": message}));
    })
    .await;
    let e = client(&server.base_url())
        .describe_collection(None, "books")
        .await
        .unwrap_err();
    assert_eq!(api_fields(&e), (100, message, 200, None, 1));
}

#[tokio::test]
async fn blank_names_and_the_control_plane_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    let any = on_post(&server, PATH, |then| {
        then.status(200).json_body(answer());
    })
    .await;
    let c = client(&server.base_url());
    assert_invalid_input(
        &c.describe_collection(None, " ").await.unwrap_err(),
        "collectionName",
    );
    assert_invalid_input(
        &c.describe_collection(Some(""), "books").await.unwrap_err(),
        "dbName",
    );
    any.assert_calls_async(0).await;
    let cloud = Client::builder().api_key(API_KEY).build().unwrap();
    assert_eq!(cloud.base_url(), GLOBAL_BASE_URL);
    let e = cloud.describe_collection(None, "books").await.unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::InvalidInput { field: "baseUrl", reason, .. } if reason.contains("cluster endpoint")),
        "{e:?}"
    );
}
