//! Showing progress while waiting: a bar per job on a terminal, plain lines
//! anywhere else (a log file, CI).

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use zilliz_import::{Error, ImportProgress, WaitError, WaitOutcome};

use crate::output::{self, Failure, Printed, Printer, WaitEnd};

/// Whether bars are drawn: stderr, where they go, is a terminal.
fn on_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// A bar for `job_id`: its percent as the position, its state as the message.
fn job_bar(job_id: &str) -> ProgressBar {
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

/// The view of a wait for several jobs. On a terminal: a bar per job on
/// stderr, in the order given, each finished with how its wait ended. Else
/// a line per event, starting `job ID: `: progress and ends through the
/// printer (stdout in text, stderr in JSON), failed polls on stderr.
pub struct ManyView {
    bars: Option<(MultiProgress, Vec<(String, ProgressBar)>)>,
}

impl ManyView {
    /// `job_ids`: each job once, in the order given.
    pub fn new(job_ids: &[String]) -> Self {
        let bars = on_terminal().then(|| {
            let multi = MultiProgress::new();
            let bars = job_ids
                .iter()
                .map(|id| {
                    let bar = multi.add(job_bar(id));
                    bar.enable_steady_tick(std::time::Duration::from_millis(120));
                    (id.clone(), bar)
                })
                .collect();
            (multi, bars)
        });
        ManyView { bars }
    }

    /// Whether bars are drawn (rather than a line per event).
    pub fn draws_bars(&self) -> bool {
        self.bars.is_some()
    }

    fn bar(&self, job_id: &str) -> Option<&ProgressBar> {
        let (_, bars) = self.bars.as_ref()?;
        bars.iter().find(|(id, _)| id == job_id).map(|(_, bar)| bar)
    }

    pub fn progress(&self, printer: &Printer, job_id: &str, p: &ImportProgress) -> Printed {
        match self.bar(job_id) {
            Some(bar) => {
                bar.set_position(u64::from(p.progress));
                bar.set_message(p.state.to_string());
                Ok(())
            }
            None => printer.event_line(&output::progress_text(job_id, p)),
        }
    }

    /// A failed poll, on stderr as the one-job wait says it.
    pub fn poll_failed(&self, job_id: &str, e: &Error) {
        let line = output::poll_failed_text(job_id, e);
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(line);
            }
            None => output::note_line(&line),
        }
    }

    pub fn ended(&self, printer: &Printer, job_id: &str, end: &WaitEnd) -> Printed {
        let Some(bar) = self.bar(job_id) else {
            return printer.event_line(&output::ended_text(job_id, end));
        };
        // The answer that ended the wait came with no progress event.
        let last = match end {
            Ok(outcome) => Some(outcome.progress()),
            Err(Failure::Wait(e)) => e.last_progress(),
            Err(_) => None,
        };
        if let Some(p) = last {
            bar.set_position(u64::from(p.progress));
        }
        match end {
            Ok(outcome) if outcome.awaits_commit() => {
                bar.finish_with_message("Uncommitted: awaits commit")
            }
            Ok(_) => bar.finish_with_message("Completed"),
            Err(e) => bar.abandon_with_message(match e {
                Failure::Wait(WaitError::JobFailed { .. }) => "Failed",
                Failure::Wait(WaitError::Aborted { .. }) => "aborted",
                Failure::Wait(WaitError::TimedOut { .. }) => "timed out",
                _ => "error",
            }),
        }
        Ok(())
    }
}
