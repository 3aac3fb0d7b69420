//! What the program prints, in text or JSON, and the exit code of an error.
//!
//! Results go to stdout, everything else (notes, progress, errors) to stderr,
//! so `--output json` leaves one JSON document on stdout for a program to read.

use serde_json::{Value, json};
use zilliz_import::{CreatedImportJob, Error, ImportJobPage, ImportJobSummary, ImportProgress};

use crate::args::Output;

pub struct Printer {
    mode: Output,
}

impl Printer {
    pub fn new(mode: Output) -> Self {
        Printer { mode }
    }

    fn json(&self, value: &impl serde::Serialize) {
        // Serialising these plain structs cannot fail.
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    }

    pub fn created(&self, created: &CreatedImportJob) {
        match self.mode {
            Output::Json => self.json(created),
            Output::Text => println!("{}", created.job_id),
        }
    }

    pub fn progress(&self, p: &ImportProgress) {
        if self.mode == Output::Json {
            return self.json(p);
        }
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        println!("job:        {}", p.job_id);
        println!("collection: {}", opt(&p.collection_name));
        println!("state:      {}", p.state);
        println!("progress:   {}%", p.progress);
        println!(
            "rows:       {}",
            p.total_rows.map_or("-".into(), |r| r.to_string())
        );
        println!("file:       {}", opt(&p.file_name));
        println!("completed:  {}", opt(&p.complete_time));
        if let Some(reason) = &p.reason {
            println!("reason:     {reason}");
        }
    }

    pub fn page(&self, page: &ImportJobPage) {
        match self.mode {
            Output::Json => self.json(page),
            Output::Text => table(&page.records),
        }
    }

    pub fn all_pages(&self, records: &[ImportJobSummary]) {
        match self.mode {
            Output::Json => self.json(&json!({ "count": records.len(), "records": records })),
            Output::Text => table(records),
        }
    }

    /// A side remark for people; silent in JSON mode.
    pub fn note(&self, text: &str) {
        if self.mode == Output::Text {
            eprintln!("{text}");
        }
    }

    pub fn error(&self, e: &Error) {
        match self.mode {
            Output::Text => eprintln!("error: {e}"),
            Output::Json => eprintln!("{}", json!({ "error": error_json(e) })),
        }
    }
}

fn table(records: &[ImportJobSummary]) {
    println!(
        "{:<24} {:<12} {:>8}  COLLECTION",
        "JOB ID", "STATE", "PROGRESS"
    );
    for r in records {
        let collection = r.collection_name.as_deref().unwrap_or("-");
        println!(
            "{:<24} {:<12} {:>7}%  {collection}",
            r.job_id,
            r.state.as_str(),
            r.progress
        );
    }
}

fn error_json(e: &Error) -> Value {
    let mut v = json!({
        "kind": kind(e),
        "message": e.to_string(),
        "delivery": format!("{:?}", e.delivery()),
        "attempts": e.attempts(),
    });
    if let Some(code) = e.api_code() {
        v["code"] = json!(code);
    }
    if let Some(status) = e.status() {
        v["status"] = json!(status);
    }
    if let Error::Api {
        message,
        request_id,
        ..
    } = e
    {
        v["apiMessage"] = json!(message);
        v["requestId"] = json!(request_id);
    }
    if let Error::InvalidInput { field, .. } = e {
        v["field"] = json!(field);
    }
    v
}

fn kind(e: &Error) -> &'static str {
    match e {
        Error::InvalidInput { .. } => "invalid_input",
        Error::InvalidConfig(_) => "invalid_config",
        Error::Connect { .. } => "connect",
        Error::Timeout { .. } => "timeout",
        Error::Transport { .. } => "transport",
        Error::Api { .. } => "api",
        Error::Http { .. } => "http",
        Error::Decode { .. } | Error::BodyTooLarge { .. } => "decode",
        Error::ImportFailed { .. } => "import_failed",
        Error::WaitTimedOut { .. } => "wait_timed_out",
        _ => "other",
    }
}

/// The documented exit codes (see `--help`).
pub fn exit_code(e: &Error) -> u8 {
    match e {
        Error::InvalidInput { .. } | Error::InvalidConfig(_) => 2,
        Error::Api { .. } => 3,
        Error::ImportFailed { .. } => 5,
        Error::WaitTimedOut { .. } => 6,
        _ => 4,
    }
}
