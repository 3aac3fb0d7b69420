//! How a command ends: its result printed ([`Ended`]), or a [`Failure`]
//! (an error, how a wait or a walk ended, a signal, a closed stdout), and
//! what printing a result gives ([`Printed`]). The exit code of each is
//! `exit_codes`'s; what is printed of it, `output`'s and `last_words`'.

use zilliz_import::{BuildError, Error, ImportProgress, WaitError, WaitOutcome, WalkError};

use crate::interrupted::Interrupted;

/// stdout went away (or failed) before everything was printed.
#[derive(Debug)]
pub struct Closed;

/// What printing a result gives.
pub type Printed = Result<(), Closed>;

/// How a command ended, short of an error: its result printed, or stdout
/// closed before it could be.
pub enum Ended {
    Done,
    StdoutClosed,
    /// The program exits with this code: the result, printed, tells of
    /// failures (a wait for several jobs), or the emulator was stopped by
    /// SIGTERM.
    Reported(u8),
}

impl From<Printed> for Ended {
    fn from(p: Printed) -> Self {
        match p {
            Ok(()) => Ended::Done,
            Err(Closed) => Ended::StdoutClosed,
        }
    }
}

/// Why a command failed: one call, how a wait or a page walk ended, a
/// signal, or (reported only when a job was created) a closed stdout.
#[derive(Debug)]
pub enum Failure {
    Call(Error),
    /// The client, a flag's file or the program's own resources could not
    /// be set up: nothing was sent. The whole message.
    Config(String),
    /// The input (a data file, a row, a schema) cannot be used: nothing
    /// was written. The whole message.
    Input(String),
    /// An upload to object storage failed (after its retries): its store
    /// refused it or could not be reached. The whole message, which holds
    /// no secret (the uploader scrubs them).
    Storage(String),
    Wait(WaitError),
    Walk(WalkError),
    Interrupted(Interrupted),
    StdoutClosed,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Call(e)
    }
}

impl From<BuildError> for Failure {
    fn from(e: BuildError) -> Self {
        Failure::Config(e.to_string())
    }
}

impl Failure {
    /// A configuration the program cannot run with, told as the client's are.
    pub fn config(why: impl std::fmt::Display) -> Self {
        Failure::Config(format!("invalid configuration: {why}"))
    }
}

impl From<WaitError> for Failure {
    fn from(e: WaitError) -> Self {
        Failure::Wait(e)
    }
}

impl From<WalkError> for Failure {
    fn from(e: WalkError) -> Self {
        Failure::Walk(e)
    }
}

impl Failure {
    /// The failed call, when one request's failure is what ended the command.
    pub fn call(&self) -> Option<&Error> {
        match self {
            Failure::Call(e) => Some(e),
            Failure::Wait(e) => e.request_error(),
            Failure::Walk(e) => e.request_error(),
            Failure::Config(_)
            | Failure::Input(_)
            | Failure::Storage(_)
            | Failure::Interrupted(_)
            | Failure::StdoutClosed => None,
        }
    }

    /// The last progress a wait saw, where it saw any.
    pub fn wait_progress(&self) -> Option<&ImportProgress> {
        match self {
            Failure::Wait(e) => e.last_progress(),
            _ => None,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Call(e) => e.fmt(f),
            Failure::Config(message) | Failure::Input(message) | Failure::Storage(message) => {
                f.write_str(message)
            }
            Failure::Wait(e) => e.fmt(f),
            Failure::Walk(e) => e.fmt(f),
            Failure::Interrupted(e) => e.fmt(f),
            Failure::StdoutClosed => f.write_str("stdout was closed before the result was printed"),
        }
    }
}

/// How the wait for one of several jobs ended.
pub type WaitEnd = Result<WaitOutcome, Failure>;
