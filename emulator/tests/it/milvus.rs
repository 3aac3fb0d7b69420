//! The emulator's open-source Milvus mode over real HTTP with plain
//! reqwest: exact answers and codes.

use std::time::Duration;

use serde_json::{Value, json};
use zilliz_import_emulator::{DEFAULT_MILVUS_TOKEN, Emulator, EmulatorHandle, JobState};

use crate::support::*;

/// A Milvus-mode emulator with the default token, 10 s jobs and a manual clock.
pub(crate) async fn milvus() -> EmulatorHandle {
    Emulator::builder()
        .milvus()
        .job_duration(Duration::from_secs(10))
        .fail_when_url_contains("fail")
        .manual_clock()
        .start()
        .await
        .expect("emulator starts")
}

/// A Milvus create of `files` into collection `c`.
async fn milvus_create(h: &EmulatorHandle, files: Value) -> String {
    created(h, &[], json!({"collectionName": "c", "files": files})).await
}

// ------------------------------------------------------------------ Milvus

#[tokio::test]
async fn milvus_auth_is_401_with_1800_unless_the_token_is_right() {
    let h = milvus().await;
    assert_eq!(h.api_key(), DEFAULT_MILVUS_TOKEN);
    assert_eq!(DEFAULT_MILVUS_TOKEN, "root:Milvus");
    let body = json!({"jobId": "1"}).to_string();
    let refused = json!({"code": 1800, "message": "user hasn't authenticated"});
    for token in [None, Some("root:wrong"), Some(""), Some("emulator-key")] {
        let (status, answer) = send(&h, DESCRIBE, token, &[], body.clone()).await;
        assert_eq!((status, &answer), (401, &refused), "{token:?}");
    }
    // The right token gets through to the operation (and its own error).
    let (status, answer) = send(&h, DESCRIBE, Some("root:Milvus"), &[], body.clone()).await;
    assert_eq!(
        (status, answer),
        (
            200,
            json!({"code": 2100, "message": "import job does not exist, jobID=1"})
        )
    );
    let recorded: Vec<(bool, u16, i64)> = h
        .requests()
        .iter()
        .map(|r| (r.authorized, r.status, r.code))
        .collect();
    assert_eq!(
        recorded,
        [
            (false, 401, 1800),
            (false, 401, 1800),
            (false, 401, 1800),
            (false, 401, 1800),
            (true, 200, 2100)
        ]
    );

    // A token set explicitly wins in Milvus mode too.
    let h = Emulator::builder()
        .milvus()
        .api_key("alice:s3cret")
        .manual_clock()
        .start()
        .await
        .expect("emulator starts");
    assert_eq!(h.api_key(), "alice:s3cret");
    let (status, answer) = send(&h, LIST, Some("root:Milvus"), &[], "{}").await;
    assert_eq!((status, answer), (401, refused));
    let (status, answer) = send(&h, LIST, Some("alice:s3cret"), &[], "{}").await;
    assert_eq!(
        (status, answer),
        (200, json!({"code": 0, "data": {"records": []}}))
    );
}

#[tokio::test]
async fn milvus_unknown_paths_and_methods_are_404_and_405_before_auth_and_recorded() {
    let h = milvus().await;
    let (status, answer) = send(&h, "/v2/vectordb/jobs/import/nope", None, &[], "{}").await;
    assert_eq!(
        (status, answer),
        (
            404,
            json!({"code": 404, "message": "no such endpoint: POST /v2/vectordb/jobs/import/nope"})
        )
    );
    let resp = client()
        .get(format!("{}{LIST}", h.base_url()))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(
        resp.json::<Value>().await.expect("JSON"),
        json!({"code": 405, "message": format!("method GET not allowed on {LIST}; use POST")})
    );
    let recorded: Vec<(String, u16, i64)> = h
        .requests()
        .into_iter()
        .map(|r| (r.method, r.status, r.code))
        .collect();
    assert_eq!(
        recorded,
        [("POST".to_owned(), 404, 404), ("GET".to_owned(), 405, 405)]
    );
}

#[tokio::test]
async fn milvus_create_answers_a_numeric_job_id_and_records_the_job() {
    let h = milvus().await;
    let id = created(
        &h,
        &[("DB-Name", "analytics")],
        json!({
            "collectionName": "books", "partitionName": "archive",
            "files": [["one.parquet"], ["vec/id.npy", "vec/embedding.npy"], []],
            "options": {"timeout": "300s", "auto_commit": "true", "sep": ",", "nullkey": null}
        }),
    )
    .await;
    assert_eq!(id.len(), 18);
    assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");

    let job = h.jobs().remove(0);
    assert_eq!(job.job_id, id);
    assert_eq!(job.db_name, "analytics", "from the DB-Name header");
    assert_eq!(job.collection_name, "books");
    assert_eq!(job.partition_name, "archive");
    assert_eq!(
        job.files,
        [
            vec!["one.parquet".to_owned()],
            vec!["vec/id.npy".to_owned(), "vec/embedding.npy".to_owned()]
        ],
        "the empty group dropped"
    );
    assert_eq!(
        job.options.into_iter().collect::<Vec<_>>(),
        [
            ("auto_commit".to_owned(), "true".to_owned()),
            ("nullkey".to_owned(), String::new()),
            ("sep".to_owned(), ",".to_owned()),
            ("timeout".to_owned(), "300s".to_owned()),
        ]
    );
    assert_eq!((job.cluster_id.as_str(), job.project_id.as_str()), ("", ""));
    assert!(job.object_urls.is_empty() && job.data_paths.is_empty());
    assert_eq!(job.state, JobState::Pending);

    // The body's dbName wins over the header.
    created(
        &h,
        &[("DB-Name", "analytics")],
        json!({"collectionName": "c", "dbName": "other", "files": [["a.json"]]}),
    )
    .await;
    assert_eq!(h.jobs()[1].db_name, "other");
    milvus_create(&h, json!([["b.csv"]])).await;
    assert_eq!(h.jobs()[2].db_name, "default");

    let recorded = h.requests();
    assert_eq!(recorded[0].db_name.as_deref(), Some("analytics"));
    assert_eq!(recorded[2].db_name, None);
}

#[tokio::test]
async fn milvus_create_refusals_have_milvus_codes() {
    let h = milvus().await;
    let empty = json!({"code": 1100, "message": "invalid parameter: import request is empty"});
    let cases = [
        (
            json!({"collectionName": "c"}),
            json!({"code": 1802, "message": "missing required parameters, error: files is required"}),
        ),
        (
            json!({"collectionName": "c", "files": null}),
            json!({"code": 1802, "message": "missing required parameters, error: files is required"}),
        ),
        (
            json!({"files": [["a.parquet"]]}),
            json!({"code": 1802, "message": "missing required parameters, error: collectionName is required"}),
        ),
        (
            json!({"collectionName": "", "files": [["a.parquet"]]}),
            json!({"code": 1802, "message": "missing required parameters, error: collectionName is required"}),
        ),
        (json!({"collectionName": "c", "files": []}), empty.clone()),
        (json!({"collectionName": "c", "files": [[], []]}), empty),
        (
            json!({"collectionName": "c", "files": [["a.parquet", "b.parquet"]]}),
            json!({"code": 2100, "message": "a group of 2 files holds a .parquet file; .json, .jsonl, .parquet, .csv take one file per group (only NumPy groups hold several)"}),
        ),
        (
            json!({"collectionName": "c", "files": [["a.json"], ["b/id.npy", ""]]}),
            json!({"code": 2100, "message": "a path is empty"}),
        ),
        (
            json!({"collectionName": "c", "files": [["a.json"]], "dbName": " "}),
            json!({"code": 1100, "message": "invalid parameter: dbName must not be blank"}),
        ),
        (
            json!({"collectionName": "c", "files": [["a.json"]], "options": {"timeout": "1h30"}}),
            json!({"code": 1100, "message": "invalid parameter: parse timeout failed, err=time: invalid duration \"1h30\" (options.timeout takes a duration such as \"300s\" or \"1h30m\")"}),
        ),
        (
            json!({"collectionName": "c", "files": "a.parquet"}),
            json!({"code": 1801, "message": "can only accept json format request, error: files must be an array of arrays of strings"}),
        ),
        (
            json!({"collectionName": "c", "files": [["a.parquet"]], "options": ["timeout"]}),
            json!({"code": 1801, "message": "can only accept json format request, error: options must be an object of strings"}),
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = post(&h, CREATE, body.clone()).await;
        assert_eq!((status, answer), (200, expected), "{body}");
    }
    // Any option value but a string (or null) is refused with 1100.
    for value in [json!(false), json!(300), json!(["a"]), json!({"a": "b"})] {
        let body = json!({"collectionName": "c", "files": [["a.parquet"]],
                          "options": {"auto_commit": value}});
        let (status, answer) = post(&h, CREATE, body.clone()).await;
        assert_eq!(
            (status, answer),
            (
                200,
                json!({"code": 1100, "message": "invalid parameter: options.auto_commit must be a string, such as \"false\" rather than false"})
            ),
            "{body}"
        );
    }
    // Not JSON, or not an object: 1801.
    for raw in ["{not json", "", "[1]"] {
        let (status, answer) = send(&h, CREATE, Some(h.api_key()), &[], raw).await;
        assert_eq!(status, 200);
        assert_eq!(answer["code"], 1801, "{raw:?} {answer}");
    }
    // 1,024 groups are taken; 1,025 are not.
    let groups = |n: usize| -> Value { (0..n).map(|i| json!([format!("f{i}.parquet")])).collect() };
    let (_, answer) = post(
        &h,
        CREATE,
        json!({"collectionName": "c", "files": groups(1025)}),
    )
    .await;
    assert_eq!(
        answer,
        json!({"code": 2100, "message": "The max number of import files should not exceed 1024, but got 1025"})
    );
    assert_eq!(h.job_count(), 0, "nothing was created by a refusal");
    milvus_create(&h, groups(1024)).await;
    assert_eq!(h.jobs()[0].files.len(), 1024);
}

#[tokio::test]
async fn milvus_idempotency_key_is_checked_and_honoured() {
    let h = milvus().await;
    let body = json!({"collectionName": "c", "files": [["a.parquet"]]});
    let (_, answer) = post_with(
        &h,
        CREATE,
        &[("Idempotency-Key", "tab\there")],
        body.clone(),
    )
    .await;
    assert_eq!(
        answer,
        json!({"code": 1100, "message": "invalid parameter: Idempotency-Key must be printable ASCII"})
    );
    let long = "k".repeat(257);
    let (_, answer) = post_with(&h, CREATE, &[("Idempotency-Key", &long)], body.clone()).await;
    assert_eq!(
        answer,
        json!({"code": 1100, "message": "invalid parameter: Idempotency-Key must be at most 256 bytes"})
    );
    assert_eq!(h.job_count(), 0);
    let key = [("Idempotency-Key", "retry-1")];
    let first = created(&h, &key, body.clone()).await;
    let again = created(&h, &key, body.clone()).await;
    assert_eq!(first, again);
    assert_eq!(h.job_count(), 1);
    assert_eq!(h.jobs()[0].idempotency_key.as_deref(), Some("retry-1"));
    // Scoped to the database: the same key in another one is a new job.
    let other = created(&h, &[key[0], ("DB-Name", "analytics")], body).await;
    assert_ne!(other, first);
}

/// The exact describe answer of a one-file Milvus job.
fn milvus_progress(
    job_id: &str,
    file: &str,
    state: &str,
    progress: i64,
    size: i64,
    rows: i64,
    imported: i64,
) -> Value {
    json!({
        "jobId": job_id, "collectionName": "c", "completeTime": "", "state": state,
        "progress": progress, "importedRows": imported, "totalRows": rows, "fileSize": size,
        "details": [{
            "fileName": file, "fileSize": size, "progress": progress, "completeTime": "",
            "state": state, "importedRows": imported, "totalRows": rows,
        }],
    })
}

#[tokio::test]
async fn milvus_describe_and_get_progress_answer_alike_with_milvus_fields() {
    let h = milvus().await;
    let id = milvus_create(&h, json!([["dir/one.parquet"]])).await;
    let job = h.jobs().remove(0);
    let (size, rows) = (job.file_size, job.total_rows);
    assert!(rows >= 1_000);

    let describe = async |path: &str| -> Value {
        // Only jobId is read; the database travels as DB-Name.
        let (status, answer) =
            post_with(&h, path, &[("DB-Name", "default")], json!({"jobId": id})).await;
        assert_eq!(status, 200);
        assert_eq!(answer["code"], 0, "{answer}");
        answer["data"].clone()
    };
    let expect = |state: &str, progress: i64, imported: i64| {
        milvus_progress(
            &id,
            "dir/one.parquet",
            state,
            progress,
            size,
            rows,
            imported,
        )
    };

    let pending = describe(DESCRIBE).await;
    assert_eq!(pending, expect("Pending", 0, 0));
    assert_eq!(describe(GET_PROGRESS).await, pending);
    assert_eq!(
        keys(&pending),
        set(&[
            "jobId",
            "collectionName",
            "completeTime",
            "state",
            "progress",
            "importedRows",
            "totalRows",
            "fileSize",
            "details"
        ]),
        "no fileName, no reason while fine"
    );

    h.advance(Duration::from_millis(5_500));
    let half = describe(DESCRIBE).await;
    assert_eq!(half, expect("Importing", 50, rows * 50 / 100));
    assert_eq!(describe(GET_PROGRESS).await, half);
    assert!(half["progress"].is_i64());

    h.advance(Duration::from_millis(4_499));
    let late = describe(DESCRIBE).await;
    assert_eq!(late, expect("Importing", 99, rows * 99 / 100));

    h.advance(Duration::from_millis(1));
    let done = describe(GET_PROGRESS).await;
    let complete = done["completeTime"].as_str().expect("string").to_owned();
    assert_eq!(complete.len(), 20, "{complete}");
    let mut expected = expect("Completed", 100, rows);
    expected["completeTime"] = json!(complete);
    expected["details"][0]["completeTime"] = json!(complete);
    assert_eq!(done, expected);
    assert_eq!(describe(DESCRIBE).await, done);

    // importedRows rose and totalRows never moved.
    let imported: Vec<i64> = [&pending, &half, &late, &done]
        .iter()
        .map(|d| d["importedRows"].as_i64().expect("i64"))
        .collect();
    assert!(imported.windows(2).all(|w| w[0] < w[1]), "{imported:?}");
    assert!(
        [&pending, &half, &late, &done]
            .iter()
            .all(|d| d["totalRows"] == rows)
    );
}

#[tokio::test]
async fn milvus_a_failed_job_names_its_reason_only_where_it_failed() {
    let h = milvus().await;
    let id = milvus_create(&h, json!([["ok.parquet"], ["please-fail.parquet"]])).await;
    h.advance(Duration::from_secs(5));
    let (_, answer) = post(&h, DESCRIBE, json!({"jobId": id})).await;
    let d = &answer["data"];
    let reason = "failed to read object please-fail.parquet: access denied (emulated failure)";
    assert_eq!(d["state"], "Failed");
    assert_eq!(d["progress"], 44);
    assert_eq!(d["reason"], reason);
    assert!(!keys(&d["details"][0]).contains("reason"));
    assert_eq!(d["details"][1]["reason"], reason);
    assert_eq!(d["details"][1]["fileName"], "please-fail.parquet");
    let (_, list) = post(&h, LIST, json!({})).await;
    assert_eq!(
        list,
        json!({"code": 0, "data": {"records": [
            {"jobId": id, "collectionName": "c", "state": "Failed", "progress": 44, "reason": reason}
        ]}})
    );
}

#[tokio::test]
async fn milvus_an_unknown_job_is_2100_and_a_missing_id_1802() {
    let h = milvus().await;
    let id = milvus_create(&h, json!([["a.json"]])).await;
    for (body, expected) in [
        (
            json!({"jobId": "448700000000000000"}),
            json!({"code": 2100, "message": "import job does not exist, jobID=448700000000000000"}),
        ),
        (
            json!({"jobId": "é€😀"}),
            json!({"code": 2100, "message": "import job does not exist, jobID=é€😀"}),
        ),
        (
            json!({"jobId": format!("+{id}")}),
            json!({"code": 2100, "message": format!("import job does not exist, jobID=+{id}")}),
        ),
        (
            json!({"jobId": ""}),
            json!({"code": 1802, "message": "missing required parameters, error: jobId is required"}),
        ),
        (
            json!({"clusterId": CLUSTER}),
            json!({"code": 1802, "message": "missing required parameters, error: jobId is required"}),
        ),
    ] {
        for path in [DESCRIBE, GET_PROGRESS] {
            let (status, answer) = post(&h, path, body.clone()).await;
            assert_eq!((status, &answer), (200, &expected), "{path} {body}");
        }
    }
    // A numeric id is read as its text.
    let number: u64 = id.parse().expect("decimal");
    let (_, answer) = post(&h, DESCRIBE, json!({"jobId": number})).await;
    assert_eq!(answer["data"]["jobId"], id.as_str());
}

#[tokio::test]
async fn milvus_list_answers_records_alone_by_database_and_collection() {
    let h = milvus().await;
    let a = milvus_create(&h, json!([["a.json"]])).await;
    let b = created(
        &h,
        &[],
        json!({"collectionName": "d", "files": [["b.json"]]}),
    )
    .await;
    let c = created(
        &h,
        &[("DB-Name", "analytics")],
        json!({"collectionName": "c", "files": [["c.json"]]}),
    )
    .await;
    h.advance(Duration::from_millis(5_500));
    let record = |id: &str, collection: &str| json!({"jobId": id, "collectionName": collection, "state": "Importing", "progress": 50});
    let list = async |headers: &[(&str, &str)], body: Value| -> Value {
        let (status, answer) = post_with(&h, LIST, headers, body).await;
        assert_eq!(status, 200);
        assert_eq!(answer["code"], 0, "{answer}");
        assert_eq!(keys(&answer["data"]), set(&["records"]));
        answer["data"]["records"].clone()
    };
    // The database is the body's dbName, else DB-Name, else default.
    assert_eq!(
        list(&[], json!({})).await,
        json!([record(&a, "c"), record(&b, "d")])
    );
    assert_eq!(
        list(&[], json!({"collectionName": "c"})).await,
        json!([record(&a, "c")])
    );
    assert_eq!(
        list(&[("DB-Name", "analytics")], json!({})).await,
        json!([record(&c, "c")])
    );
    assert_eq!(
        list(&[], json!({"dbName": "analytics", "collectionName": "c"})).await,
        json!([record(&c, "c")])
    );
    assert_eq!(
        list(&[("DB-Name", "analytics")], json!({"dbName": "default"})).await,
        json!([record(&a, "c"), record(&b, "d")])
    );
    assert_eq!(list(&[], json!({"dbName": "nope"})).await, json!([]));
    // Paging and control-plane keys are ignored, even of the wrong type.
    assert_eq!(
        list(
            &[],
            json!({"pageSize": 1, "currentPage": "x", "clusterId": [], "collectionName": "d"})
        )
        .await,
        json!([record(&b, "d")])
    );
    let db_names: Vec<Option<String>> = h.requests().into_iter().map(|r| r.db_name).collect();
    assert_eq!(db_names[2].as_deref(), Some("analytics"));
    assert_eq!(db_names[5].as_deref(), Some("analytics"));
}

// ------------------------------------------------------------ control plane
