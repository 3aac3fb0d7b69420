//! Two-phase imports in the emulator, in both modes, over real HTTP with
//! plain reqwest on a manual clock: a job created with `auto_commit`
//! `"false"` waits in `Uncommitted` until commit (`Committing`, then
//! `Completed`) or abort (`Failed`, reason `ABORTED_REASON`); what each
//! refuses, with exact codes, messages, states, progress and request-log
//! entries.

use std::time::Duration;

use serde_json::{Value, json};
use zilliz_import_emulator::{Emulator, EmulatorHandle, JobState};

/// The reason an aborted job fails with, as the spec's abort operation
/// states it (written here, not taken from the emulator, so the test checks
/// the emulator against the spec).
const ABORTED_REASON: &str = "aborted by user";

const CREATE: &str = "/v2/vectordb/jobs/import/create";
const DESCRIBE: &str = "/v2/vectordb/jobs/import/describe";
const LIST: &str = "/v2/vectordb/jobs/import/list";
const COMMIT: &str = "/v2/vectordb/jobs/import/commit";
const ABORT: &str = "/v2/vectordb/jobs/import/abort";

const CLUSTER: &str = "in01-emulator";
const OTHER_CLUSTER: &str = "in01-other";
const PROJECT: &str = "proj-emulator";
const REGION: &str = "aws-us-west-2";

/// What commit and abort answer on success, byte for byte.
const DONE: &str = r#"{"code":0,"data":{}}"#;

/// Jobs take 10 s: Pending for 1 s, Importing until 10 s; committing takes 1 s.
const JOB: Duration = Duration::from_secs(10);

thread_local! {
    // One client per test thread: building a client is slow, and each test has
    // its own runtime (a pooled connection must not outlive its runtime).
    static CLIENT: reqwest::Client = reqwest::Client::new();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Cloud,
    Milvus,
}

const MODES: [Mode; 2] = [Mode::Cloud, Mode::Milvus];

/// An emulator in one mode, with the bodies that mode takes.
struct Emu {
    h: EmulatorHandle,
    mode: Mode,
}

/// A describe answer's state, progress, and whether `completeTime` is set.
type Seen = (String, i64, bool);

fn seen(state: &str, progress: i64, complete: bool) -> Seen {
    (state.to_owned(), progress, complete)
}

impl Emu {
    /// 10 s jobs, paths containing `fail` fail, a manual clock; on the
    /// control plane a second cluster, to look for jobs in the wrong place.
    async fn start(mode: Mode) -> Self {
        let builder = Emulator::builder()
            .job_duration(JOB)
            .fail_when_url_contains("fail")
            .manual_clock();
        let builder = match mode {
            Mode::Cloud => builder.cluster_ids([CLUSTER, OTHER_CLUSTER]),
            Mode::Milvus => builder.milvus(),
        };
        let h = builder.start().await.expect("emulator starts");
        Self { h, mode }
    }

    /// Moves emulator time on by `secs` seconds.
    fn advance(&self, secs: f64) {
        self.h.advance(Duration::from_secs_f64(secs));
    }

    /// POSTs `body` with the right token: the status and the answer as text.
    async fn post_text(&self, path: &str, body: &Value) -> (u16, String) {
        let resp = CLIENT
            .with(Clone::clone)
            .post(format!("{}{path}", self.h.base_url()))
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", self.h.api_key()))
            .body(body.to_string())
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        (status, resp.text().await.expect("an answer"))
    }

    /// POSTs `body`: the status and the JSON answer.
    async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, text) = self.post_text(path, body).await;
        (status, serde_json::from_str(&text).expect("JSON answer"))
    }

    /// A create of one file (`fail` in its name makes it fail) with `options`.
    fn create_body(&self, file: &str, options: Value) -> Value {
        match self.mode {
            Mode::Cloud => json!({
                "clusterId": CLUSTER, "collectionName": "c",
                "objectUrls": [[format!("s3://bucket/{file}")]], "options": options,
            }),
            Mode::Milvus => json!({"collectionName": "c", "files": [[file]], "options": options}),
        }
    }

    /// What describe, commit and abort take to name job `id`.
    fn job_ref(&self, id: &str) -> Value {
        match self.mode {
            Mode::Cloud => json!({"clusterId": CLUSTER, "jobId": id}),
            Mode::Milvus => json!({"jobId": id}),
        }
    }

    /// A successful create's job id.
    async fn create(&self, file: &str, options: Value) -> String {
        let (status, answer) = self.post(CREATE, &self.create_body(file, options)).await;
        assert_eq!((status, &answer["code"]), (200, &json!(0)), "{answer}");
        answer["data"]["jobId"].as_str().expect("jobId").to_owned()
    }

    /// A job created with `auto_commit` `"false"`.
    async fn two_phase(&self, file: &str) -> String {
        self.create(file, json!({"auto_commit": "false"})).await
    }

    /// A job that commits itself (no `auto_commit` option).
    async fn auto(&self, file: &str) -> String {
        self.create(file, json!({})).await
    }

    /// Describe's `data` for job `id`.
    async fn describe(&self, id: &str) -> Value {
        let (status, answer) = self.post(DESCRIBE, &self.job_ref(id)).await;
        assert_eq!((status, &answer["code"]), (200, &json!(0)), "{answer}");
        answer["data"].clone()
    }

    /// Job `id`'s state, progress and whether it has a `completeTime`.
    async fn seen(&self, id: &str) -> Seen {
        let d = self.describe(id).await;
        (
            d["state"].as_str().expect("state").to_owned(),
            d["progress"].as_i64().expect("whole progress"),
            !d["completeTime"].as_str().expect("completeTime").is_empty(),
        )
    }

    /// Commits (`COMMIT`) or aborts (`ABORT`) job `id`: status and answer text.
    async fn settle(&self, path: &str, id: &str) -> (u16, String) {
        self.post_text(path, &self.job_ref(id)).await
    }

    /// Commits or aborts job `id`, which must be refused: the JSON answer.
    async fn refused(&self, path: &str, id: &str) -> Value {
        let (status, answer) = self.post(path, &self.job_ref(id)).await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    /// The (status, code) of every request to `path` in the log, in order.
    fn log(&self, path: &str) -> Vec<(u16, i64)> {
        self.h
            .requests()
            .into_iter()
            .filter(|r| r.path == path)
            .inspect(|r| assert!(r.method == "POST" && r.authorized, "{r:?}"))
            .map(|r| (r.status, r.code))
            .collect()
    }
}

/// The 2100 answer for a commit refused in `state`.
fn commit_refused(id: &str, state: &str) -> Value {
    json!({"code": 2100, "message": format!("import failed: job {id} is in state {state}, not Uncommitted")})
}

/// The 2100 answer for an abort refused in `state`.
fn abort_refused(id: &str, state: &str) -> Value {
    json!({"code": 2100, "message": format!("import failed: job {id} is in state {state}, abort not allowed")})
}

#[tokio::test]
async fn a_two_phase_job_waits_in_uncommitted_until_committed_then_completes() {
    for mode in MODES {
        let emu = Emu::start(mode).await;
        let id = emu.two_phase("data.parquet").await;
        assert_eq!(emu.seen(&id).await, seen("Pending", 0, false), "{mode:?}");
        emu.advance(1.0);
        assert_eq!(emu.seen(&id).await, seen("Importing", 0, false), "{mode:?}");
        emu.advance(4.5);
        assert_eq!(
            emu.seen(&id).await,
            seen("Importing", 50, false),
            "{mode:?}"
        );
        emu.advance(4.5);
        assert_eq!(
            emu.seen(&id).await,
            seen("Uncommitted", 99, false),
            "{mode:?}"
        );
        // However long it waits, nothing moves without a commit.
        emu.advance(1e6);
        assert_eq!(
            emu.seen(&id).await,
            seen("Uncommitted", 99, false),
            "{mode:?}"
        );
        let job = emu.h.jobs().remove(0);
        assert_eq!(
            (job.state, job.progress, job.finished_at),
            (JobState::Uncommitted, 99, None)
        );
        if mode == Mode::Milvus {
            let d = emu.describe(&id).await;
            assert_eq!(d["importedRows"], job.total_rows * 99 / 100, "{d}");
            assert_eq!(d["details"][0]["state"], "Uncommitted");
        }

        let committed_at = emu.h.elapsed();
        assert_eq!(
            emu.settle(COMMIT, &id).await,
            (200, DONE.to_owned()),
            "{mode:?}"
        );
        assert_eq!(
            emu.seen(&id).await,
            seen("Committing", 99, false),
            "{mode:?}"
        );
        emu.advance(0.999);
        assert_eq!(
            emu.seen(&id).await,
            seen("Committing", 99, false),
            "{mode:?}"
        );
        emu.advance(0.001);
        assert_eq!(
            emu.seen(&id).await,
            seen("Completed", 100, true),
            "{mode:?}"
        );
        let d = emu.describe(&id).await;
        let job = emu.h.jobs().remove(0);
        assert_eq!(job.state, JobState::Completed);
        assert_eq!(job.finished_at, Some(committed_at + JOB / 10));
        assert_eq!(d["totalRows"], job.total_rows, "{d}");
        assert_eq!(d["completeTime"].as_str().map(str::len), Some(20), "{d}");
        if mode == Mode::Milvus {
            assert_eq!(d["importedRows"], job.total_rows, "{d}");
        }
        assert_eq!(emu.log(COMMIT), [(200, 0)], "{mode:?}");
        let recorded = emu.h.requests();
        let commit = recorded
            .iter()
            .find(|r| r.path == COMMIT)
            .expect("recorded");
        assert_eq!(commit.body, emu.job_ref(&id));
    }
}

#[tokio::test]
async fn an_abort_fails_an_uncommitted_job_and_again_changes_nothing() {
    for mode in MODES {
        let emu = Emu::start(mode).await;
        let id = emu.two_phase("data.parquet").await;
        emu.advance(12.0);
        assert_eq!(emu.seen(&id).await, seen("Uncommitted", 99, false));
        assert_eq!(
            emu.settle(ABORT, &id).await,
            (200, DONE.to_owned()),
            "{mode:?}"
        );
        let d = emu.describe(&id).await;
        assert_eq!(
            (&d["state"], &d["progress"], &d["reason"]),
            (&json!("Failed"), &json!(99), &json!(ABORTED_REASON)),
            "{mode:?} {d}"
        );
        let aborted_at = d["completeTime"].clone();
        assert_eq!(aborted_at.as_str().map(str::len), Some(20), "{d}");
        // The job, not a file, was stopped: no file has a reason.
        match mode {
            Mode::Cloud => assert_eq!(d["details"][0]["reason"], ""),
            Mode::Milvus => assert!(d["details"][0].get("reason").is_none(), "{d}"),
        }
        let job = emu.h.jobs().remove(0);
        assert_eq!(
            (job.state, job.progress, job.finished_at),
            (JobState::Failed, 99, Some(Duration::from_secs(12)))
        );

        // Again, later: a success that changes nothing.
        emu.advance(3600.0);
        assert_eq!(
            emu.settle(ABORT, &id).await,
            (200, DONE.to_owned()),
            "{mode:?}"
        );
        let again = emu.describe(&id).await;
        assert_eq!(again, d, "{mode:?}");
        assert_eq!(emu.h.jobs().remove(0), job);
        // And it cannot be committed any more.
        assert_eq!(
            emu.refused(COMMIT, &id).await,
            commit_refused(&id, "Failed")
        );
        assert_eq!(emu.log(ABORT), [(200, 0), (200, 0)], "{mode:?}");
        assert_eq!(emu.log(COMMIT), [(200, 2100)], "{mode:?}");
    }
}

#[tokio::test]
async fn an_abort_while_pending_or_importing_fails_the_job_where_it_stood() {
    for mode in MODES {
        let emu = Emu::start(mode).await;
        let pending = emu.two_phase("a.parquet").await;
        let importing = emu.auto("b.parquet").await;
        // Would fail on its own at 5 s; aborted first, it was aborted.
        let failing = emu.two_phase("please-fail.parquet").await;
        assert_eq!(emu.settle(ABORT, &pending).await, (200, DONE.to_owned()));
        emu.advance(2.0);
        assert_eq!(emu.settle(ABORT, &failing).await, (200, DONE.to_owned()));
        emu.advance(3.5);
        assert_eq!(emu.seen(&importing).await, seen("Importing", 50, false));
        assert_eq!(emu.settle(ABORT, &importing).await, (200, DONE.to_owned()));
        emu.advance(100.0);
        for (id, progress) in [(&pending, 0), (&importing, 50), (&failing, 11)] {
            assert_eq!(
                emu.seen(id).await,
                seen("Failed", progress, true),
                "{mode:?}"
            );
            let d = emu.describe(id).await;
            assert_eq!(d["reason"], ABORTED_REASON, "{mode:?} {d}");
        }
        let finished: Vec<Option<Duration>> = emu.h.jobs().iter().map(|j| j.finished_at).collect();
        let ms = |ms| Some(Duration::from_millis(ms));
        assert_eq!(finished, [ms(0), ms(5_500), ms(2_000)]);
        assert_eq!(emu.log(ABORT), [(200, 0); 3], "{mode:?}");
    }
}

#[tokio::test]
async fn a_commit_is_refused_with_2100_unless_the_job_is_uncommitted() {
    for mode in MODES {
        let emu = Emu::start(mode).await;
        let pending = emu.two_phase("a.parquet").await;
        assert_eq!(
            emu.refused(COMMIT, &pending).await,
            commit_refused(&pending, "Pending")
        );
        emu.advance(5.5);
        assert_eq!(
            emu.refused(COMMIT, &pending).await,
            commit_refused(&pending, "Importing"),
            "{mode:?}"
        );
        let completed = emu.auto("b.parquet").await;
        let failed = emu.two_phase("please-fail.parquet").await;
        let committing = emu.two_phase("c.parquet").await;
        emu.advance(10.0);
        assert_eq!(
            emu.settle(COMMIT, &committing).await,
            (200, DONE.to_owned())
        );
        assert_eq!(emu.seen(&committing).await, seen("Committing", 99, false));
        for (id, state) in [
            (&completed, "Completed"),
            (&failed, "Failed"),
            (&committing, "Committing"),
        ] {
            assert_eq!(
                emu.refused(COMMIT, id).await,
                commit_refused(id, state),
                "{mode:?}"
            );
        }
        // Refusals change nothing.
        assert_eq!(emu.seen(&completed).await, seen("Completed", 100, true));
        assert_eq!(emu.seen(&failed).await, seen("Failed", 44, true));
        assert_ne!(emu.describe(&failed).await["reason"], ABORTED_REASON);
        emu.advance(1.0);
        assert_eq!(emu.seen(&committing).await, seen("Completed", 100, true));
        assert_eq!(
            emu.refused(COMMIT, &committing).await,
            commit_refused(&committing, "Completed")
        );
        assert_eq!(
            emu.log(COMMIT),
            [
                (200, 2100),
                (200, 2100),
                (200, 0),
                (200, 2100),
                (200, 2100),
                (200, 2100),
                (200, 2100)
            ],
            "{mode:?}"
        );
    }
}

#[tokio::test]
async fn an_abort_is_refused_with_2100_once_committing_completed_or_failed_on_its_own() {
    for mode in MODES {
        let emu = Emu::start(mode).await;
        let completed = emu.auto("a.parquet").await;
        let committing = emu.two_phase("b.parquet").await;
        let failed = emu.two_phase("please-fail.parquet").await;
        emu.advance(10.0);
        assert_eq!(
            emu.settle(COMMIT, &committing).await,
            (200, DONE.to_owned())
        );
        assert_eq!(
            emu.refused(ABORT, &completed).await,
            abort_refused(&completed, "Completed"),
            "{mode:?}"
        );
        assert_eq!(
            emu.refused(ABORT, &committing).await,
            abort_refused(&committing, "Committing"),
            "{mode:?}"
        );
        assert_eq!(
            emu.refused(ABORT, &failed).await,
            json!({"code": 2100, "message": format!(
                "import failed: job {failed} is in state Failed: it failed on its own, abort not allowed"
            )}),
            "{mode:?}"
        );
        // Nothing changed: the committing job completes, the failed one
        // keeps its own reason.
        emu.advance(1.0);
        assert_eq!(emu.seen(&committing).await, seen("Completed", 100, true));
        let path = match mode {
            Mode::Cloud => "s3://bucket/please-fail.parquet",
            Mode::Milvus => "please-fail.parquet",
        };
        let d = emu.describe(&failed).await;
        assert_eq!(
            d["reason"],
            format!("failed to read object {path}: access denied (emulated failure)"),
            "{d}"
        );
        assert_eq!(
            emu.log(ABORT),
            [(200, 2100), (200, 2100), (200, 2100)],
            "{mode:?}"
        );
    }
}

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
            let client = CLIENT.with(Clone::clone);
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
