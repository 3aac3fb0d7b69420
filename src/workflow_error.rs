//! How a wait and a page walk end when they do not end well.
//!
//! A wait and a page walk are workflows of many reads, and how they end is
//! not a request's failure: [`WaitError`] (the job failed, the wait timed
//! out) and [`WalkError`] (the server repeated a page, the walk reached its
//! bound) wrap an [`Error`] only when one request's failure is what ended
//! them. Neither can leave a write in doubt, so neither claims `MaybeSent`
//! for itself.

use std::time::Duration;

use crate::{
    error::Error,
    progress::{ImportProgress, Settled},
};

/// How a wait ended, when the job did not complete.
///
/// Only [`WaitError::Request`] is about a request; the job's failure and the
/// wait's deadline are outcomes of the workflow. A wait sends only reads, so
/// no variant leaves a write in doubt.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WaitError {
    /// The import job ended in the `Failed` state on its own.
    #[error("import job {} failed: {reason}", progress.job_id)]
    #[non_exhaustive]
    JobFailed {
        /// The service's reason, empty if it gave none.
        reason: String,
        /// The last progress seen.
        progress: Box<ImportProgress>,
    },

    /// The import job was aborted (see [`ImportProgress::is_aborted`]): it
    /// ended `Failed` because someone asked it to, and imported nothing.
    #[error("import job {} was aborted", progress.job_id)]
    #[non_exhaustive]
    Aborted {
        /// The last progress seen.
        progress: Box<ImportProgress>,
    },

    /// The wait's deadline passed; the job goes on server-side, unless the
    /// wait was told to abort it ([`crate::WaitOptions::abort_on_timeout`]).
    #[error(
        "gave up waiting after {waited:?}{}{}{}",
        last_seen(last),
        last_failure(last_error),
        abort_outcome(abort)
    )]
    #[non_exhaustive]
    TimedOut {
        /// How long the wait lasted.
        waited: Duration,
        /// The last progress seen, if any poll succeeded.
        last: Option<Box<ImportProgress>>,
        /// The failure of the last poll, when it failed: why no answer
        /// came near the end.
        last_error: Option<Box<Error>>,
        /// The abort sent when the deadline passed; `None` when the wait
        /// was not told to abort.
        abort: Option<AbortOnTimeout>,
    },

    /// A poll failed in a way that ends the wait: an answer proving the job
    /// cannot be followed (a refused key, no such job), or too many failed
    /// polls in a row.
    #[error(transparent)]
    Request(#[from] Error),
}

/// What became of the abort a wait sent when its deadline passed.
#[derive(Debug)]
#[non_exhaustive]
pub enum AbortOnTimeout {
    /// The job took the abort (or had already been aborted): it ends
    /// `Failed` and imports nothing.
    Accepted(Settled),
    /// The abort failed, or the server refused it (a job already
    /// committing or completed); the job goes on server-side.
    Failed(Box<Error>),
}

impl WaitError {
    /// The failed request that ended the wait, for [`WaitError::Request`].
    pub fn request_error(&self) -> Option<&Error> {
        match self {
            WaitError::Request(e) => Some(e),
            _ => None,
        }
    }

    /// The last progress the wait saw, where it saw any.
    pub fn last_progress(&self) -> Option<&ImportProgress> {
        match self {
            WaitError::JobFailed { progress, .. } | WaitError::Aborted { progress } => {
                Some(progress)
            }
            WaitError::TimedOut { last, .. } => last.as_deref(),
            WaitError::Request(_) => None,
        }
    }
}

/// How a walk over every page of a listing ended early.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WalkError {
    /// The server answered a page with the same jobs as the page before
    /// (it ignores the page number), so the walk stopped instead of looping.
    #[error("listing stopped at page {page}: the server answered it with the same jobs as page {}", page.saturating_sub(1))]
    #[non_exhaustive]
    Stalled {
        /// The page that repeated its predecessor.
        page: u32,
    },

    /// The walk took the most pages it may ([`crate::ListImportJobs::max_pages`]);
    /// the server may hold more. The bound keeps a server that always
    /// answers a full page of new jobs from making the walk endless.
    #[error(
        "listing stopped after {pages} page(s), the most a walk may take; the server may hold more"
    )]
    #[non_exhaustive]
    PageLimitReached {
        /// Pages walked.
        pages: u32,
    },

    /// Listing one page failed.
    #[error(transparent)]
    Request(#[from] Error),
}

impl WalkError {
    /// The failed request that ended the walk, for [`WalkError::Request`].
    pub fn request_error(&self) -> Option<&Error> {
        match self {
            WalkError::Request(e) => Some(e),
            _ => None,
        }
    }
}

fn last_seen(last: &Option<Box<ImportProgress>>) -> String {
    match last {
        Some(p) => format!(
            "; last seen: job {} {} at {}%",
            p.job_id, p.state, p.progress
        ),
        None => String::from("; no progress was seen"),
    }
}

fn abort_outcome(abort: &Option<AbortOnTimeout>) -> String {
    match abort {
        None => String::new(),
        Some(AbortOnTimeout::Accepted(_)) => String::from("; the job was aborted"),
        Some(AbortOnTimeout::Failed(e)) => {
            format!("; aborting the job failed, and it goes on server-side: {e}")
        }
    }
}

fn last_failure(last: &Option<Box<Error>>) -> String {
    last.as_ref()
        .map(|e| format!("; the last poll failed: {e}"))
        .unwrap_or_default()
}
