//! Two-phase imports in the emulator, in both modes, over real HTTP with
//! plain reqwest on a manual clock: a job created with `auto_commit`
//! `"false"` waits in `Uncommitted` until commit (`Committing`, then
//! `Completed`) or abort (`Failed`, reason `ABORTED_REASON`); what each
//! refuses, with exact codes, messages, states, progress and request-log
//! entries.

use std::time::Duration;

use serde_json::{Value, json};
use zilliz_import_emulator::{Emulator, EmulatorHandle, JobState};

use crate::support::*;

/// The reason an aborted job fails with, as the spec's abort operation
/// states it (written here, not taken from the emulator, so the test checks
/// the emulator against the spec).
pub(crate) const ABORTED_REASON: &str = "aborted by user";

/// What commit and abort answer on success, byte for byte.
pub(crate) const DONE: &str = r#"{"code":0,"data":{}}"#;

/// Jobs take 10 s: Pending for 1 s, Importing until 10 s; committing takes 1 s.
pub(crate) const JOB: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Cloud,
    Milvus,
}

pub(crate) const MODES: [Mode; 2] = [Mode::Cloud, Mode::Milvus];

/// An emulator in one mode, with the bodies that mode takes.
pub(crate) struct Emu {
    pub(crate) h: EmulatorHandle,
    pub(crate) mode: Mode,
}

/// A describe answer's state, progress, and whether `completeTime` is set.
pub(crate) type Seen = (String, i64, bool);

pub(crate) fn seen(state: &str, progress: i64, complete: bool) -> Seen {
    (state.to_owned(), progress, complete)
}

impl Emu {
    /// 10 s jobs, paths containing `fail` fail, a manual clock; on the
    /// control plane a second cluster, to look for jobs in the wrong place.
    pub(crate) async fn start(mode: Mode) -> Self {
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
    pub(crate) fn advance(&self, secs: f64) {
        self.h.advance(Duration::from_secs_f64(secs));
    }

    /// POSTs `body` with the right token: the status and the answer as text.
    pub(crate) async fn post_text(&self, path: &str, body: &Value) -> (u16, String) {
        let resp = client()
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
    pub(crate) async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (status, text) = self.post_text(path, body).await;
        (status, serde_json::from_str(&text).expect("JSON answer"))
    }

    /// A create of one file (`fail` in its name makes it fail) with `options`.
    pub(crate) fn create_body(&self, file: &str, options: Value) -> Value {
        match self.mode {
            Mode::Cloud => json!({
                "clusterId": CLUSTER, "collectionName": "c",
                "objectUrls": [[format!("s3://bucket/{file}")]], "options": options,
            }),
            Mode::Milvus => json!({"collectionName": "c", "files": [[file]], "options": options}),
        }
    }

    /// What describe, commit and abort take to name job `id`.
    pub(crate) fn job_ref(&self, id: &str) -> Value {
        match self.mode {
            Mode::Cloud => json!({"clusterId": CLUSTER, "jobId": id}),
            Mode::Milvus => json!({"jobId": id}),
        }
    }

    /// A successful create's job id.
    pub(crate) async fn create(&self, file: &str, options: Value) -> String {
        let (status, answer) = self.post(CREATE, &self.create_body(file, options)).await;
        assert_eq!((status, &answer["code"]), (200, &json!(0)), "{answer}");
        answer["data"]["jobId"].as_str().expect("jobId").to_owned()
    }

    /// A job created with `auto_commit` `"false"`.
    pub(crate) async fn two_phase(&self, file: &str) -> String {
        self.create(file, json!({"auto_commit": "false"})).await
    }

    /// A job that commits itself (no `auto_commit` option).
    pub(crate) async fn auto(&self, file: &str) -> String {
        self.create(file, json!({})).await
    }

    /// Describe's `data` for job `id`.
    pub(crate) async fn describe(&self, id: &str) -> Value {
        let (status, answer) = self.post(DESCRIBE, &self.job_ref(id)).await;
        assert_eq!((status, &answer["code"]), (200, &json!(0)), "{answer}");
        answer["data"].clone()
    }

    /// Job `id`'s state, progress and whether it has a `completeTime`.
    pub(crate) async fn seen(&self, id: &str) -> Seen {
        let d = self.describe(id).await;
        (
            d["state"].as_str().expect("state").to_owned(),
            d["progress"].as_i64().expect("whole progress"),
            !d["completeTime"].as_str().expect("completeTime").is_empty(),
        )
    }

    /// Commits (`COMMIT`) or aborts (`ABORT`) job `id`: status and answer text.
    pub(crate) async fn settle(&self, path: &str, id: &str) -> (u16, String) {
        self.post_text(path, &self.job_ref(id)).await
    }

    /// Commits or aborts job `id`, which must be refused: the JSON answer.
    pub(crate) async fn refused(&self, path: &str, id: &str) -> Value {
        let (status, answer) = self.post(path, &self.job_ref(id)).await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    /// The (status, code) of every request to `path` in the log, in order.
    pub(crate) fn log(&self, path: &str) -> Vec<(u16, i64)> {
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
pub(crate) fn commit_refused(id: &str, state: &str) -> Value {
    json!({"code": 2100, "message": format!("import failed: job {id} is in state {state}, not Uncommitted")})
}

/// The 2100 answer for an abort refused in `state`.
pub(crate) fn abort_refused(id: &str, state: &str) -> Value {
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
