//! Showing a job's progress while waiting: a bar on a terminal, plain lines
//! anywhere else (a log file, CI), both on stderr.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};
use zilliz_import::{Error, ImportProgress, WaitError, WaitOutcome};

pub struct ProgressView {
    bar: Option<ProgressBar>,
    job_id: String,
}

impl ProgressView {
    pub fn new(job_id: &str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(100);
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix} [{bar:40}] {pos:>3}% {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_prefix(format!("job {job_id}"));
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
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
            None => crate::output::note_line(&format!("job {job_id}: {} {}%", p.state, p.progress)),
        }
    }

    /// The callback for `WaitOptions::on_poll_error`: a failed poll is said
    /// on stderr, so a wait on an unreachable server is not silent.
    pub fn poll_error_reporter(&self) -> impl FnMut(&Error) + Send + 'static {
        let bar = self.bar.clone();
        let job_id = self.job_id.clone();
        move |e: &Error| {
            let line = format!("job {job_id}: poll failed, polling again: {e}");
            match &bar {
                Some(bar) => bar.println(line),
                None => crate::output::note_line(&line),
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
