//! What the program prints, in text or JSON, and the exit code of an error.
//!
//! Results go to stdout, everything else (notes, progress, errors) to stderr,
//! so `--output json` leaves one JSON document on stdout for a program to read.
//!
//! Every write is fallible: a reader that goes away (`| head -3`) must end
//! the program quietly, not panic as `println!` does. Results report a
//! closed stdout as [`Closed`]; a closed stderr is ignored, as nothing could
//! be told there anyway.

use std::io::{self, Write};

use serde_json::{Value, json};
use zilliz_import::{
    CreatedImportJob, Error, ImportJobPage, ImportJobSummary, ImportProgress, Settled, WaitError,
    WaitOutcome,
};

use crate::{
    args::Output,
    ending::{Closed, Failure, Printed, WaitEnd},
    error_json::error_json,
    exit_codes::exit_code,
    json_array,
    walk_json::{WalkJson, WalkOut},
};

/// A line on stderr; a closed stderr is ignored.
pub fn note_line(text: &str) {
    // One write: stderr is unbuffered, and a wait for many jobs says much.
    let _ = io::stderr()
        .lock()
        .write_all(format!("{text}\n").as_bytes());
}

pub struct Printer {
    mode: Output,
}

impl Printer {
    pub fn new(mode: Output) -> Self {
        Printer { mode }
    }

    /// Whether results are one JSON document.
    pub fn is_json(&self) -> bool {
        self.mode == Output::Json
    }

    /// One line of a result on stdout.
    pub fn line(&self, text: &str) -> Printed {
        self.out(text)
    }

    fn out(&self, text: &str) -> Printed {
        self.out_all([text])
    }

    /// Lines on stdout at once: written through one buffer, flushed once.
    pub fn out_all<T: AsRef<str>>(&self, lines: impl IntoIterator<Item = T>) -> Printed {
        let mut stdout = io::BufWriter::new(io::stdout().lock());
        for line in lines {
            stdout
                .write_all(line.as_ref().as_bytes())
                .and_then(|()| stdout.write_all(b"\n"))
                .map_err(|_| Closed)?;
        }
        stdout.flush().map_err(|_| Closed)
    }

    pub fn json(&self, value: &impl serde::Serialize) -> Printed {
        // Serialising these plain structs cannot fail.
        self.out(&serde_json::to_string_pretty(value).unwrap_or_default())
    }

    pub fn created(&self, created: &CreatedImportJob) -> Printed {
        match self.mode {
            Output::Json => self.json(created),
            Output::Text => self.out(&created.shown_job_id()),
        }
    }

    pub fn progress(&self, p: &ImportProgress) -> Printed {
        if self.mode == Output::Json {
            return self.json(p);
        }
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let mut text = format!(
            "job:        {}\ncollection: {}\nstate:      {}\nprogress:   {}%\nrows:       {}\nfile:       {}\ncompleted:  {}",
            p.job_id,
            opt(&p.collection_name),
            p.state,
            p.progress,
            // Milvus reports the rows done apart from the rows to import.
            match (p.imported_rows, p.total_rows) {
                (Some(done), Some(all)) => format!("{done} of {all}"),
                (None, Some(rows)) | (Some(rows), None) => rows.to_string(),
                (None, None) => "-".into(),
            },
            opt(&p.file_name),
            opt(&p.complete_time),
        );
        if let Some(reason) = &p.reason {
            text.push_str(&format!("\nreason:     {reason}"));
        }
        self.out(&text)
    }

    /// How a wait ended well. JSON: the progress with `outcome`
    /// (`completed` or `ready_to_commit`); text: the progress, and for a
    /// job that awaits commit, a line saying so and what to run next.
    pub fn waited(&self, outcome: &WaitOutcome) -> Printed {
        let p = outcome.progress();
        if self.mode == Output::Json {
            return self.json(&waited_json(outcome));
        }
        self.progress(p)?;
        if outcome.awaits_commit() {
            self.out(&format!(
                "next:       awaits commit: zilliz-import commit {id} (or abort {id})",
                id = p.job_id
            ))?;
        }
        Ok(())
    }

    /// A line about one of several jobs being waited for: on stdout in
    /// text, on stderr in JSON mode, where stdout holds the one document.
    pub fn event_line(&self, text: &str) -> Printed {
        match self.mode {
            Output::Text => self.out(text),
            Output::Json => {
                note_line(text);
                Ok(())
            }
        }
    }

    /// How the waits for several jobs ended, in the order the ids were
    /// given. JSON: `{"jobs": [...]}`, each entry what the one-job wait
    /// prints (the progress with `outcome`, or `{"error": ...}`) with the
    /// `jobId` asked for, the server's `serverJobId` where it differs, and
    /// the job's `exitCode` ([`job_json`]). Text: a line per job
    /// ([`ended_text`]), unless `lines_shown` says each end was already
    /// printed as it came.
    pub fn waited_many(&self, jobs: &[(String, WaitEnd)], lines_shown: bool) -> Printed {
        match self.mode {
            // An entry at a time: 100,000 of them held as values took 400 MB.
            Output::Json => {
                let mut stdout = io::BufWriter::new(io::stdout().lock());
                let mut text = json_array::open(&[], "jobs").into_bytes();
                for (n, (id, end)) in jobs.iter().enumerate() {
                    json_array::element(&mut text, n as u64, &job_json(id, end));
                    stdout.write_all(&text).map_err(|_| Closed)?;
                    text.clear();
                }
                stdout
                    .write_all(json_array::close(jobs.len() as u64).as_bytes())
                    .and_then(|()| stdout.flush())
                    .map_err(|_| Closed)
            }
            Output::Text if lines_shown => Ok(()),
            Output::Text => self.out_all(jobs.iter().map(|(id, end)| ended_text(id, end))),
        }
    }

    /// A commit or an abort the job took. JSON: `jobId`, `action`, and
    /// `already` (the state found) when an earlier attempt had done it.
    pub fn settled(&self, action: &str, settled: &Settled) -> Printed {
        match self.mode {
            Output::Json => {
                let mut v = serde_json::to_value(settled).unwrap_or_default();
                v["action"] = json!(action);
                self.json(&v)
            }
            Output::Text => self.out(&settled_text(action, settled)),
        }
    }

    pub fn page(&self, page: &ImportJobPage) -> Printed {
        match self.mode {
            Output::Json => self.json(page),
            Output::Text => {
                self.out(&header())?;
                rows(self, &page.records)
            }
        }
    }

    /// The start of a walk over every page: in text, the table's header,
    /// so rows can follow page by page without being held.
    pub fn walk_started(&self) -> Printed {
        match self.mode {
            Output::Json => Ok(()),
            Output::Text => self.out(&header()),
        }
    }

    /// One page of a walk: printed now in text; added to the one JSON
    /// document in JSON mode.
    pub fn walk_page(
        &self,
        doc: &mut WalkJson,
        records: &[ImportJobSummary],
    ) -> Result<(), WalkOut> {
        match self.mode {
            Output::Json => doc.push(records).map_err(WalkOut::Spool),
            Output::Text => rows(self, records).map_err(|Closed| WalkOut::Closed),
        }
    }

    /// The end of a walk: the JSON document of every record.
    pub fn walk_finished(&self, doc: WalkJson) -> Result<(), WalkOut> {
        match self.mode {
            Output::Json => doc.finish(&mut io::stdout().lock()),
            Output::Text => Ok(()),
        }
    }

    /// A create that succeeded before a later step failed: its id is the
    /// one thing a script must not lose (retrying would start a second
    /// import), so JSON mode puts it on stdout as the result document.
    pub fn created_before_failure(&self, job_id: &str) -> Printed {
        match self.mode {
            Output::Json => self.json(&json!({ "jobId": job_id })),
            Output::Text => Ok(()),
        }
    }

    /// A side remark for people; silent in JSON mode.
    pub fn note(&self, text: &str) {
        if self.mode == Output::Text {
            note_line(text);
        }
    }

    /// The error on stderr; `job_id`: a job the command created before it.
    pub fn error(&self, e: &Failure, job_id: Option<&str>) {
        match self.mode {
            Output::Text => {
                note_line(&format!("error: {e}"));
                if let Some(id) = job_id {
                    note_line(&format!(
                        "note: import job {id} was created and goes on server-side"
                    ));
                }
            }
            Output::Json => {
                let mut v = error_json(e);
                if let Some(id) = job_id {
                    v["jobId"] = json!(id);
                }
                note_line(&json!({ "error": v }).to_string());
            }
        }
    }
}

/// What the one-job wait prints in JSON when it ends well: the progress,
/// with `outcome` (`completed` or `ready_to_commit`).
fn waited_json(outcome: &WaitOutcome) -> Value {
    let mut v = serde_json::to_value(outcome.progress()).unwrap_or_default();
    v["outcome"] = json!(if outcome.awaits_commit() {
        "ready_to_commit"
    } else {
        "completed"
    });
    v
}

/// One job's entry in the JSON of several: its document as the one-job
/// wait prints it (the error as on stderr, `{"error": ...}`), with its
/// `exitCode`. Its `jobId` is always the id asked for, so a program can
/// match entries to ids; where the server's answer named the job
/// otherwise, `serverJobId` says how (empty when it named none).
fn job_json(job_id: &str, end: &WaitEnd) -> Value {
    let (mut v, seen) = match end {
        Ok(outcome) => {
            let mut v = waited_json(outcome);
            v["exitCode"] = json!(0);
            (v, Some(outcome.progress()))
        }
        Err(e) => {
            let v = json!({ "exitCode": exit_code(e), "error": error_json(e) });
            (v, e.wait_progress())
        }
    };
    v["jobId"] = json!(job_id);
    if let Some(p) = seen.filter(|p| p.job_id != job_id) {
        v["serverJobId"] = json!(p.job_id);
    }
    v
}

/// A line of progress of a job being waited for: `job 1: Importing 42%`.
pub fn progress_text(job_id: &str, p: &ImportProgress) -> String {
    format!("job {job_id}: {} {}%", p.state, p.progress)
}

/// A poll of a job that failed, after which the wait goes on.
pub fn poll_failed_text(job_id: &str, e: &Error) -> String {
    format!("job {job_id}: poll failed, polling again: {e}")
}

/// How the wait for one of several jobs ended, as one line starting
/// `job ID: `: `completed`, `ready to commit (...)`, `failed: REASON`
/// (`failed` when the server gave no reason), `aborted`, `timed out: ...`,
/// or `error: ...` (the request that ended it).
pub fn ended_text(job_id: &str, end: &WaitEnd) -> String {
    let how = match end {
        Ok(outcome) if outcome.awaits_commit() => {
            format!("ready to commit (zilliz-import commit {job_id}, or abort {job_id})")
        }
        Ok(_) => "completed".into(),
        Err(Failure::Wait(WaitError::JobFailed { reason, .. })) if reason.is_empty() => {
            "failed".into()
        }
        Err(Failure::Wait(WaitError::JobFailed { reason, .. })) => format!("failed: {reason}"),
        Err(Failure::Wait(WaitError::Aborted { .. })) => "aborted".into(),
        Err(e @ Failure::Wait(WaitError::TimedOut { .. })) => format!("timed out: {e}"),
        Err(e) => format!("error: {e}"),
    };
    format!("job {job_id}: {how}")
}

/// `job 1: commit accepted`, or, when an earlier attempt had done it,
/// `job 1: commit already done (Committing)`.
pub fn settled_text(action: &str, settled: &Settled) -> String {
    match &settled.already {
        None => format!("job {}: {action} accepted", settled.job_id),
        Some(state) => format!("job {}: {action} already done ({state})", settled.job_id),
    }
}

fn header() -> String {
    format!(
        "{:<24} {:<12} {:>8}  COLLECTION",
        "JOB ID", "STATE", "PROGRESS"
    )
}

fn rows(printer: &Printer, records: &[ImportJobSummary]) -> Printed {
    printer.out_all(records.iter().map(|r| {
        let collection = r.collection_name.as_deref().unwrap_or("-");
        format!(
            "{:<24} {:<12} {:>7}%  {collection}",
            r.job_id,
            r.state.as_str(),
            r.progress
        )
    }))
}
