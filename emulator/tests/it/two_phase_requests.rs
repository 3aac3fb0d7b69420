//! What commit and abort take, in both modes over real HTTP: unknown and
//! missing job ids, the target a job was created on, list's state names,
//! the `auto_commit` values and the method and token.

use serde_json::{Value, json};
use zilliz_import_emulator::JobState;

use crate::support::*;
use crate::two_phase::*;

#[tokio::test]
async fn unknown_and_missing_job_ids_are_answered_as_describe_answers_them() {
    for mode in MODES {
        let emu = Emu::start(mode).await;
        let id = emu.two_phase("a.parquet").await;
        let unknown = "448700000000000000";
        let bodies = match mode {
            Mode::Cloud => vec![
                (
                    json!({"clusterId": CLUSTER, "jobId": unknown}),
                    json!({"code": 96026, "message": format!(
                        "job not found: jobId '{unknown}' does not exist in cluster '{CLUSTER}'"
                    )}),
                ),
                (
                    json!({"clusterId": CLUSTER, "jobId": format!("+{id}")}),
                    json!({"code": 96026, "message": format!(
                        "job not found: jobId '+{id}' does not exist in cluster '{CLUSTER}'"
                    )}),
                ),
                (
                    json!({"clusterId": CLUSTER, "jobId": " "}),
                    json!({"code": 80000, "message": "invalid parameter: jobId is required"}),
                ),
                (
                    json!({"jobId": id}),
                    json!({"code": 96025, "message": "clusterId is empty: set clusterId to the id of your cluster"}),
                ),
                (
                    json!({"clusterId": "in01-nowhere", "jobId": id}),
                    json!({"code": 96018, "message": "cluster not found: clusterId 'in01-nowhere' does not exist"}),
                ),
            ],
            Mode::Milvus => vec![
                (
                    json!({"jobId": unknown}),
                    json!({"code": 2100, "message": format!("import job does not exist, jobID={unknown}")}),
                ),
                (
                    json!({"jobId": "é€😀"}),
                    json!({"code": 2100, "message": "import job does not exist, jobID=é€😀"}),
                ),
                (
                    json!({"jobId": ""}),
                    json!({"code": 1802, "message": "missing required parameters, error: jobId is required"}),
                ),
                (
                    json!({"clusterId": CLUSTER}),
                    json!({"code": 1802, "message": "missing required parameters, error: jobId is required"}),
                ),
            ],
        };
        let count = bodies.len();
        for (body, expected) in bodies {
            assert_eq!(emu.post(DESCRIBE, &body).await, (200, expected.clone()));
            for path in [COMMIT, ABORT] {
                assert_eq!(
                    emu.post(path, &body).await,
                    (200, expected.clone()),
                    "{mode:?} {path} {body}"
                );
            }
        }
        assert_eq!(emu.log(COMMIT).len(), count);
        assert_eq!(emu.log(ABORT).len(), count);
        // The job itself was never touched.
        assert_eq!(emu.seen(&id).await, seen("Pending", 0, false));
    }
    // Milvus reads only jobId, as Go ignores the other keys; ids may be numbers.
    let emu = Emu::start(Mode::Milvus).await;
    let id = emu.two_phase("a.parquet").await;
    emu.advance(10.0);
    let number: u64 = id.parse().expect("decimal");
    let body = json!({"jobId": number, "clusterId": [], "dbName": {"x": 1}});
    assert_eq!(emu.post_text(COMMIT, &body).await, (200, DONE.to_owned()));
    assert_eq!(emu.seen(&id).await, seen("Committing", 99, false));
}

#[tokio::test]
async fn cloud_a_job_is_found_only_through_the_target_it_was_created_on() {
    let emu = Emu::start(Mode::Cloud).await;
    let id = emu.two_phase("a.parquet").await;
    let on_project = {
        let body = json!({
            "projectId": PROJECT, "regionId": REGION, "collectionName": "c",
            "objectUrls": [["s3://bucket/b.parquet"]], "options": {"auto_commit": "0"},
        });
        let (_, answer) = emu.post(CREATE, &body).await;
        answer["data"]["jobId"].as_str().expect("jobId").to_owned()
    };
    emu.advance(10.0);
    let elsewhere = [
        (
            json!({"clusterId": OTHER_CLUSTER, "jobId": id}),
            format!("cluster '{OTHER_CLUSTER}'"),
        ),
        (
            json!({"projectId": PROJECT, "regionId": REGION, "jobId": id}),
            format!("project '{PROJECT}' in region '{REGION}'"),
        ),
    ];
    for (body, place) in &elsewhere {
        let expected = json!({"code": 96026, "message": format!(
            "job not found: jobId '{id}' does not exist in {place}"
        )});
        for path in [DESCRIBE, COMMIT, ABORT] {
            assert_eq!(
                emu.post(path, body).await,
                (200, expected.clone()),
                "{path}"
            );
        }
    }
    assert_eq!(emu.seen(&id).await, seen("Uncommitted", 99, false));
    assert_eq!(emu.log(COMMIT), [(200, 96026), (200, 96026)]);
    assert_eq!(emu.log(ABORT), [(200, 96026), (200, 96026)]);
    // Through its own target, it commits.
    assert_eq!(emu.settle(COMMIT, &id).await, (200, DONE.to_owned()));
    // A project's job, through its project (and not through a cluster).
    let project_ref = json!({"projectId": PROJECT, "regionId": REGION, "jobId": on_project});
    let (_, answer) = emu.post(ABORT, &emu.job_ref(&on_project)).await;
    assert_eq!(answer["code"], 96026, "{answer}");
    assert_eq!(
        emu.post_text(ABORT, &project_ref).await,
        (200, DONE.to_owned())
    );
    let (_, described) = emu.post(DESCRIBE, &project_ref).await;
    assert_eq!(described["data"]["state"], "Failed");
    assert_eq!(described["data"]["reason"], ABORTED_REASON);
}

#[tokio::test]
async fn list_names_uncommitted_and_committing_as_describe_does() {
    for mode in MODES {
        let emu = Emu::start(mode).await;
        let waiting = emu.two_phase("a.parquet").await;
        let committing = emu.two_phase("b.parquet").await;
        emu.advance(10.0);
        assert_eq!(
            emu.settle(COMMIT, &committing).await,
            (200, DONE.to_owned())
        );
        let body = match mode {
            Mode::Cloud => json!({"clusterId": CLUSTER}),
            Mode::Milvus => json!({}),
        };
        let (status, answer) = emu.post(LIST, &body).await;
        assert_eq!((status, &answer["code"]), (200, &json!(0)), "{answer}");
        let records: Vec<(String, String, i64)> = answer["data"]["records"]
            .as_array()
            .expect("records")
            .iter()
            .map(|r| {
                (
                    r["jobId"].as_str().expect("jobId").to_owned(),
                    r["state"].as_str().expect("state").to_owned(),
                    r["progress"].as_i64().expect("progress"),
                )
            })
            .collect();
        assert_eq!(
            records,
            [
                (waiting.clone(), "Uncommitted".to_owned(), 99),
                (committing.clone(), "Committing".to_owned(), 99)
            ],
            "{mode:?}"
        );
        assert_eq!(JobState::Uncommitted.list_name(), "Uncommitted");
        assert_eq!(JobState::Committing.list_name(), "Committing");
    }
}

#[tokio::test]
async fn auto_commit_is_read_as_go_reads_a_bool_and_anything_else_is_refused() {
    for mode in MODES {
        let emu = Emu::start(mode).await;
        let code = match mode {
            Mode::Cloud => 80000,
            Mode::Milvus => 1100,
        };
        for value in ["maybe", "", " false", "no", "tRUE"] {
            let body = emu.create_body("a.parquet", json!({"auto_commit": value}));
            let expected = json!({"code": code, "message": format!(
                "invalid parameter: options.auto_commit must be \"true\" or \"false\" \
                 (as Go's strconv.ParseBool reads it), got {value:?}"
            )});
            assert_eq!(emu.post(CREATE, &body).await, (200, expected), "{mode:?}");
        }
        assert_eq!(emu.h.job_count(), 0, "nothing stored");
        assert_eq!(emu.log(CREATE), [(200, code); 5]);
        let waiting = emu.create("a.parquet", json!({"auto_commit": "F"})).await;
        let auto = emu.create("b.parquet", json!({"auto_commit": "T"})).await;
        emu.advance(10.0);
        assert_eq!(emu.seen(&waiting).await, seen("Uncommitted", 99, false));
        assert_eq!(emu.seen(&auto).await, seen("Completed", 100, true));
    }
}

#[tokio::test]
async fn commit_and_abort_are_post_only_and_behind_the_token() {
    for mode in MODES {
        let emu = Emu::start(mode).await;
        let id = emu.two_phase("a.parquet").await;
        emu.advance(10.0);
        let unauthorized = match mode {
            Mode::Cloud => json!({"code": 21119, "message": "The apikey is illegal."}),
            Mode::Milvus => json!({"code": 1800, "message": "user hasn't authenticated"}),
        };
        for path in [COMMIT, ABORT] {
            let url = format!("{}{path}", emu.h.base_url());
            let client = client();
            let resp = client
                .post(&url)
                .header("authorization", "Bearer wrong")
                .body(emu.job_ref(&id).to_string())
                .send()
                .await
                .expect("sent");
            assert_eq!(resp.status().as_u16(), 401);
            let answer: Value = resp.json().await.expect("JSON");
            assert_eq!(answer, unauthorized, "{mode:?} {path}");
            let resp = client
                .get(&url)
                .header("authorization", format!("Bearer {}", emu.h.api_key()))
                .send()
                .await
                .expect("sent");
            assert_eq!(resp.status().as_u16(), 405, "{mode:?} {path}");
        }
        assert_eq!(emu.seen(&id).await, seen("Uncommitted", 99, false));
        let recorded: Vec<(String, String, bool, u16)> = emu
            .h
            .requests()
            .into_iter()
            .filter(|r| r.path == COMMIT || r.path == ABORT)
            .map(|r| (r.method, r.path, r.authorized, r.status))
            .collect();
        let entry = |method: &str, path: &str, authorized, status| {
            (method.to_owned(), path.to_owned(), authorized, status)
        };
        assert_eq!(
            recorded,
            [
                entry("POST", COMMIT, false, 401),
                entry("GET", COMMIT, true, 405),
                entry("POST", ABORT, false, 401),
                entry("GET", ABORT, true, 405),
            ],
            "{mode:?}"
        );
    }
}
