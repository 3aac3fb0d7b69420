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

/// Any JSON under `data` (mostly the answer's own shape, with values of
/// every type): describe_collection never panics, ends `Ok` or in a decode
/// error after one attempt, and an `Ok` keeps every key the server sent
/// with a value (an empty list aside).
#[test]
fn any_data_decodes_to_the_description_or_a_decode_error() {
    use crate::common::{faulty_server::Fault, faulty_server::FaultyServer, properties::run};
    use proptest::prelude::*;
    use serde_json::Value;

    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z\u{e9}\u{202e}]{0,6}".prop_map(Value::from),
    ];
    let key = prop_oneof![
        Just("name"),
        Just("type"),
        Just("fields"),
        Just("params"),
        Just("key"),
        Just("value"),
        Just("functions"),
        Just("defaultValue"),
        Just("collectionID"),
        Just("enableDynamicField"),
        Just("x"),
    ]
    .prop_map(str::to_owned);
    let data = leaf.prop_recursive(4, 48, 5, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(FaultyServer::start(vec![Fault::Empty200]));
    let c = client(server.url());
    run(128, data, |data| {
        server.reset(vec![Fault::json(
            200,
            &json!({"code": 0, "data": data}),
            &[],
        )]);
        match rt.block_on(c.describe_collection(None, "books")) {
            Ok(description) => {
                let back = serde_json::to_value(&description).unwrap();
                for (k, v) in data.as_object().into_iter().flatten() {
                    // An empty list is as good as none: the type skips it.
                    let nothing = v.is_null() || v.as_array().is_some_and(Vec::is_empty);
                    prop_assert!(nothing || back.get(k).is_some(), "{k} lost: {back}");
                }
            }
            Err(e) => {
                prop_assert!(matches!(e.kind(), ErrorKind::Decode { .. }), "{e:?}");
                prop_assert_eq!(e.attempts(), 1);
            }
        }
        Ok(())
    });
}
