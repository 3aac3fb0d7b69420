//! `collections/describe`: the schemas the emulator holds, answered as
//! Milvus answers them, and refused where the control plane would.

use serde_json::{Value, json};
use zilliz_import_emulator::{DEFAULT_COLLECTION, Emulator, EmulatorHandle};

use crate::support::*;

const DESCRIBE_COLLECTION: &str = "/v2/vectordb/collections/describe";

fn books() -> Value {
    json!({
        "collectionName": "ignored: the name given wins",
        "enableDynamicField": false,
        "fields": [
            {"name": "id", "type": "Int64", "primaryKey": true, "autoId": true},
            {"name": "tags", "type": "Array", "elementType": "VarChar", "nullable": true,
             "params": [{"key": "max_capacity", "value": "4"}, {"key": "max_length", "value": "8"}]},
            {"name": "v", "type": "FloatVector", "params": [{"key": "dim", "value": "2"}],
             "futureKey": {"kept": true}},
        ],
        "functions": [{"name": "bm25", "outputFieldNames": ["sparse"]}],
        "indexes": [{"fieldName": "v", "indexName": "v", "metricType": "L2"}],
    })
}

async fn milvus_with_books() -> EmulatorHandle {
    Emulator::builder()
        .milvus()
        .manual_clock()
        .collection("books", json!({"code": 0, "data": books()}))
        .start()
        .await
        .expect("emulator starts")
}

#[tokio::test]
async fn a_known_collection_is_answered_with_its_schema_as_given() {
    let h = milvus_with_books().await;
    let (status, answer) = post(&h, DESCRIBE_COLLECTION, json!({"collectionName": "books"})).await;
    assert_eq!(status, 200);
    let mut want = books();
    want["collectionName"] = json!("books");
    assert_eq!(answer, json!({"code": 0, "data": want}));
    // The quickstart's collection is known too, in `default`.
    let (_, answer) = post(
        &h,
        DESCRIBE_COLLECTION,
        json!({"dbName": "default", "collectionName": DEFAULT_COLLECTION}),
    )
    .await;
    assert_eq!(answer["code"], 0);
    assert_eq!(answer["data"]["collectionName"], DEFAULT_COLLECTION);
    assert_eq!(answer["data"]["enableDynamicField"], true);
    let fields: Vec<&str> = answer["data"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "id",
            "title",
            "title_vector",
            "link",
            "reading_time",
            "publication",
            "claps",
            "responses"
        ]
    );
    assert_eq!(
        answer["data"]["fields"][2]["params"],
        json!([{"key": "dim", "value": "768"}])
    );
}

#[tokio::test]
async fn unknown_collections_databases_and_bad_bodies_get_milvus_codes() {
    let h = milvus_with_books().await;
    let cases = [
        (
            json!({"collectionName": "nope"}),
            json!({"code": 100, "message": "can't find collection[database=default][collection=nope]"}),
        ),
        (
            json!({"dbName": "other", "collectionName": "books"}),
            json!({"code": 800, "message": "database not found[database=other]"}),
        ),
        (
            json!({}),
            json!({"code": 1802, "message": "missing required parameters, error: collectionName is required"}),
        ),
        (
            json!({"collectionName": " "}),
            json!({"code": 1802, "message": "missing required parameters, error: collectionName is required"}),
        ),
        (
            json!({"collectionName": "books", "dbName": "  "}),
            json!({"code": 1100, "message": "invalid parameter: dbName must not be blank"}),
        ),
        (
            json!({"collectionName": ["books"]}),
            json!({"code": 1801, "message": "can only accept json format request, error: collectionName must be a string"}),
        ),
    ];
    for (body, want) in cases {
        let (status, answer) = post(&h, DESCRIBE_COLLECTION, body.clone()).await;
        assert_eq!((status, answer), (200, want), "{body}");
    }
    // The DB-Name header names the database when the body does not.
    let (_, answer) = post_with(
        &h,
        DESCRIBE_COLLECTION,
        &[("DB-Name", "other")],
        json!({"collectionName": "books"}),
    )
    .await;
    assert_eq!(answer["code"], 800);
}

#[tokio::test]
async fn a_schema_that_is_not_a_describe_answer_is_refused_at_start() {
    for schema in [
        json!({"fields": []}),
        json!({"fields": [{"fieldName": "id", "dataType": "Int64"}]}),
        json!("text"),
    ] {
        let e = Emulator::builder()
            .milvus()
            .collection("c", schema.clone())
            .start()
            .await
            .expect_err("refused");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{schema}");
        assert!(e.to_string().starts_with("collection `c`: "), "{e}");
    }
}

#[tokio::test]
async fn the_control_plane_does_not_serve_collections_describe() {
    let h = manual_builder().start().await.unwrap();
    let (status, answer) = post(
        &h,
        DESCRIBE_COLLECTION,
        json!({"clusterId": CLUSTER, "collectionName": DEFAULT_COLLECTION}),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(answer["code"], 404);
}
