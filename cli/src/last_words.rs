//! What a run says as it ends short of its result, however it ends: an
//! error, a signal, a closed stdout, a panic. Above all, the id of a job it
//! created: a script that lost it would start a second import. With
//! `--output json` that id is the result document on stdout,
//! `{"jobId": ...}`; in text, a note on stderr. How a signal that came
//! while a write was on its way is told is `interrupted`'s.

use std::{process::ExitCode, sync::OnceLock};

use crate::{
    args::Output,
    ending::{Ended, Failure},
    exit_codes,
    output::{self, Printer},
};

/// A job this run created.
static CREATED: OnceLock<String> = OnceLock::new();

/// The output mode, for the panic hook, which has no printer.
static MODE: OnceLock<Output> = OnceLock::new();

/// Records that this run created job `id`.
pub fn created(id: &str) {
    let _ = CREATED.set(id.to_owned());
}

/// The exit code of a run that ended `ended`, after its last words: for a
/// failure, the job it created (on stdout in JSON mode) and the error (on
/// stderr). A closed stdout ends a run quietly, unless it created a job,
/// whose id is then said on stderr, the one channel left.
pub fn exit(printer: &Printer, ended: Result<Ended, Failure>) -> ExitCode {
    let failure = match ended {
        Ok(Ended::Done) => return ExitCode::SUCCESS,
        Ok(Ended::Reported(code)) => return ExitCode::from(code),
        Ok(Ended::StdoutClosed) if CREATED.get().is_none() => {
            return ExitCode::from(exit_codes::STDOUT_CLOSED);
        }
        Ok(Ended::StdoutClosed) => Failure::StdoutClosed,
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
