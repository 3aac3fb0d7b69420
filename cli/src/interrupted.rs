//! A signal that ended a run, and the write it may have cut short: a
//! request that changes something server-side, marked as on its way while
//! it is, so that the error says it may have reached the server, as the
//! error of a request lost after sending does.

use std::{fmt, sync::Mutex};

use serde_json::{Value, json};

use crate::signals::Signal;

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
