//! The JSON error document of `--output json`, on stderr as
//! `{"error": ...}`: its `kind`, `message`, and for one call's failure
//! whether its request may have been sent (`delivery`) and how often it
//! was tried, the API's code and status, the request id.

use serde_json::{Value, json};
use zilliz_import::{AbortOnTimeout, Error, ErrorKind, WaitError, WalkError};

use crate::ending::Failure;

/// The JSON error document. A call's failure says whether its request may
/// have been sent (`delivery`) and how often it was tried; how a wait or a
/// walk ended says neither, as it is not one request.
pub fn error_json(failure: &Failure) -> Value {
    if let Failure::Interrupted(interrupted) = failure {
        return interrupted.json();
    }
    if let Failure::Config(message) | Failure::Input(message) = failure {
        let kind = match failure {
            Failure::Input(_) => "invalid_input",
            _ => "invalid_config",
        };
        let delivery = "NotSent";
        return json!({ "kind": kind, "message": message, "delivery": delivery, "attempts": 0 });
    }
    if let Failure::Storage(message) = failure {
        return json!({ "kind": "storage", "message": message });
    }
    let Some(e) = failure.call() else {
        let mut v = json!({ "kind": outcome_kind(failure), "message": failure.to_string() });
        if let Failure::Wait(WaitError::TimedOut {
            last_error, abort, ..
        }) = failure
        {
            if let Some(last) = last_error {
                v["lastError"] = call_json(last);
            }
            match abort {
                Some(AbortOnTimeout::Accepted(settled)) => {
                    v["abort"] = json!({ "accepted": true, "already": settled.already });
                }
                Some(AbortOnTimeout::Failed(e)) => {
                    v["abort"] = json!({ "accepted": false, "error": call_json(e) });
                }
                _ => {}
            }
        }
        if let Some(p) = failure.wait_progress() {
            v["jobId"] = json!(p.job_id);
            v["state"] = json!(p.state);
        }
        return v;
    };
    call_json(e)
}

fn call_json(e: &Error) -> Value {
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
    match e.kind() {
        ErrorKind::Api { message, .. } => {
            v["apiMessage"] = json!(message);
            v["requestId"] = json!(e.request_id());
        }
        ErrorKind::InvalidInput { field, .. } => v["field"] = json!(field),
        _ => {}
    }
    v
}

fn kind(e: &Error) -> &'static str {
    match e.kind() {
        ErrorKind::InvalidInput { .. } => "invalid_input",
        ErrorKind::Connect => "connect",
        ErrorKind::Timeout => "timeout",
        ErrorKind::Transport => "transport",
        ErrorKind::Api { .. } => "api",
        ErrorKind::Http { .. } => "http",
        ErrorKind::Decode { .. } | ErrorKind::BodyTooLarge { .. } => "decode",
        ErrorKind::DeadlineReached => "deadline_reached",
        _ => "other",
    }
}

/// The kind of a wait's or walk's outcome (its failed call has [`kind`]).
fn outcome_kind(failure: &Failure) -> &'static str {
    match failure {
        Failure::Wait(WaitError::JobFailed { .. }) => "import_failed",
        Failure::Wait(WaitError::Aborted { .. }) => "import_aborted",
        Failure::Wait(WaitError::TimedOut { .. }) => "wait_timed_out",
        Failure::Walk(WalkError::PageLimitReached { .. }) => "page_limit_reached",
        Failure::Walk(WalkError::Stalled { .. }) => "pagination_stalled",
        Failure::StdoutClosed => "stdout_closed",
        _ => "other",
    }
}
