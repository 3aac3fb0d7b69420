//! Showing a job's progress while waiting for it: a bar on a terminal,
//! plain lines anywhere else (a log file, CI). Several jobs: [`crate::many_view`].

use std::{io::IsTerminal, time::Duration};

use indicatif::{ProgressBar, ProgressStyle};
use zilliz_import::{Error, ImportProgress, WaitError, WaitOutcome};

use crate::output;

/// How often a spinner moves while its job does not.
pub const TICK: Duration = Duration::from_millis(120);

/// Whether bars are drawn: stderr, where they go, is a terminal.
pub fn on_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// A bar for `job_id`: its percent as the position, its state as the message.
pub fn job_bar(job_id: &str) -> ProgressBar {
    let bar = ProgressBar::new(100);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} [{bar:40}] {pos:>3}% {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(format!("job {job_id}"));
    bar
}

/// The one-job wait's view, on stderr.
pub struct ProgressView {
    bar: Option<ProgressBar>,
    job_id: String,
}

impl ProgressView {
    pub fn new(job_id: &str) -> Self {
        let bar = on_terminal().then(|| {
            let bar = job_bar(job_id);
            bar.enable_steady_tick(TICK);
            bar
        });
        ProgressView {
            bar,
            job_id: job_id.to_owned(),
        }
    }

    /// The callback for `WaitOptions::on_progress`.
    pub fn reporter(&self) -> impl FnMut(&ImportProgress) + Send + 'static {
        let bar = self.bar.clone();
        let job_id = self.job_id.clone();
        move |p: &ImportProgress| match &bar {
            Some(bar) => {
                bar.set_position(u64::from(p.progress));
                bar.set_message(p.state.to_string());
            }
            None => output::note_line(&output::progress_text(&job_id, p)),
        }
    }

    /// The callback for `WaitOptions::on_poll_error`: a failed poll is said
    /// on stderr, so a wait on an unreachable server is not silent.
    pub fn poll_error_reporter(&self) -> impl FnMut(&Error) + Send + 'static {
        let bar = self.bar.clone();
        let job_id = self.job_id.clone();
        move |e: &Error| {
            let line = output::poll_failed_text(&job_id, e);
            match &bar {
                Some(bar) => bar.println(line),
                None => output::note_line(&line),
            }
        }
    }

    pub fn finish(&self, result: &Result<WaitOutcome, WaitError>) {
        if let Some(bar) = &self.bar {
            match result {
                Ok(WaitOutcome::ReadyToCommit(_)) => {
                    bar.finish_with_message("Uncommitted: awaits commit")
                }
                Ok(_) => bar.finish_with_message("Completed"),
                Err(_) => bar.abandon(),
            }
        }
    }
}
