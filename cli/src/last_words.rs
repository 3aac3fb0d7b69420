//! What a run says as it ends short of its result, however it ends: an
//! error, a signal, a closed stdout, a panic. Above all, the id of a job it
//! created: a script that lost it would start a second import. With
//! `--output json` that id is the result document on stdout,
//! `{"jobId": ...}`; in text, a note on stderr. A signal that comes while a
//! write is on its way says the write may have reached the server, as the
//! error of a request lost after sending does.

use std::{
    fmt,
    process::ExitCode,
    sync::{Mutex, OnceLock},
};

use serde_json::{Value, json};

use crate::{
    args::Output,
    exit_codes,
    output::{self, Failure, Printer},
    signals::Signal,
};

/// A job this run created.
static CREATED: OnceLock<String> = OnceLock::new();

/// The output mode, for the panic hook, which has no printer.
static MODE: OnceLock<Output> = OnceLock::new();

/// A write whose request is on its way: set before it is sent, cleared
/// once its answer (or failure) is in. A signal drops the run with it set.
static SENDING: Mutex<Option<Write>> = Mutex::new(None);

/// A request that changes something server-side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Create,
    Commit,
    Abort,
}

impl fmt::Display for Write {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Write::Create => "create",
            Write::Commit => "commit",
            Write::Abort => "abort",
        })
    }
}

/// Records that this run created job `id`.
pub fn created(id: &str) {
    let _ = CREATED.set(id.to_owned());
}

/// Runs `call`, the request of `write`, marked as on its way while it runs:
/// a run dropped in the middle (by a signal) leaves the mark.
pub async fn sending<T>(write: Write, call: impl Future<Output = T>) -> T {
    set_sending(Some(write));
    let answer = call.await;
    set_sending(None);
    answer
}

fn set_sending(write: Option<Write>) {
    *SENDING.lock().unwrap_or_else(|e| e.into_inner()) = write;
}

/// How a signal ended a run, and the write it cut short, if one was on
/// its way.
#[derive(Debug)]
pub struct Interrupted {
    pub signal: Signal,
    during: Option<Write>,
}

impl Interrupted {
    /// `signal`, come now.
    pub fn by(signal: Signal) -> Self {
        let during = *SENDING.lock().unwrap_or_else(|e| e.into_inner());
        Interrupted { signal, during }
    }

    /// The JSON error document: `kind` interrupted and the `signal`; for a
    /// write cut short, its `operation` and `delivery` MaybeSent.
    pub fn json(&self) -> Value {
        let mut v = json!({
            "kind": "interrupted",
            "signal": self.signal.to_string(),
            "message": self.to_string(),
        });
        if let Some(write) = self.during {
            v["operation"] = json!(write.to_string());
            v["delivery"] = json!("MaybeSent");
        }
        v
    }
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "interrupted by {}", self.signal)?;
        let Some(write) = self.during else {
            return Ok(());
        };
        write!(
            f,
            " while the {write} request was in flight (request may have been sent)"
        )?;
        match write {
            Write::Create => {
                f.write_str(": a job may have started; list the jobs before creating it again")
            }
            Write::Commit | Write::Abort => write!(f, "; a {write} is safe to repeat"),
        }
    }
}

/// The exit code of a run that ended `ended`, after its last words: for a
/// failure, the job it created (on stdout in JSON mode) and the error (on
/// stderr). A closed stdout ends a run quietly, unless it created a job,
/// whose id is then said on stderr, the one channel left.
pub fn exit(printer: &Printer, ended: Result<crate::Ended, Failure>) -> ExitCode {
    let failure = match ended {
        Ok(crate::Ended::Done) => return ExitCode::SUCCESS,
        Ok(crate::Ended::Reported(code)) => return ExitCode::from(code),
        Ok(crate::Ended::StdoutClosed) if CREATED.get().is_none() => {
            return ExitCode::from(exit_codes::STDOUT_CLOSED);
        }
        Ok(crate::Ended::StdoutClosed) => Failure::StdoutClosed,
        Err(failure) => failure,
    };
    let created = CREATED.get().map(String::as_str);
    // The id first, as the result document (JSON mode), unless stdout is
    // what failed.
    let id_lost = match created {
        Some(id) if !matches!(failure, Failure::StdoutClosed) => {
            printer.created_before_failure(id).is_err()
        }
        _ => false,
    };
    printer.error(&failure, created);
    ExitCode::from(match failure {
        // What ended the run; the id is on stderr anyway.
        Failure::Interrupted(_) => exit_codes::exit_code(&failure),
        _ if id_lost => exit_codes::STDOUT_CLOSED,
        _ => exit_codes::exit_code(&failure),
    })
}

/// Remembers the output mode for [`quiet_panics`].
pub fn set_mode(mode: Output) {
    let _ = MODE.set(mode);
}

/// The last line of defence, not the fix: a panic's message can quote
/// whatever was being handled (server text, a request), so the hook names
/// only where it happened, and the job this run created, if any (in JSON
/// mode, as the document on stdout too).
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        output::note_line(&format!(
            "zilliz-import: internal error{at} (a bug; details withheld, as they may hold secrets)"
        ));
        if let Some(id) = CREATED.get() {
            if let Some(mode) = MODE.get() {
                let _ = Printer::new(*mode).created_before_failure(id);
            }
            output::note_line(&format!(
                "note: import job {id} was created and goes on server-side"
            ));
        }
    }));
}
