//! What a wait for several jobs shows while it runs.
//!
//! On a terminal: a bar for each of the first jobs given, as many as fit on
//! the screen, and one line that sums up the rest; every spinner is moved
//! by one ticker thread. A bar each with a ticker of its own cost an OS
//! thread per job (3,000 ids: 3,000 threads, and a 5 s wait took 12 s), and
//! every redraw drew every bar. Anywhere else: a line per event, starting
//! `job ID: `, progress and ends through the printer (stdout in text,
//! stderr in JSON), failed polls on stderr.

use std::{
    fmt,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
        mpsc::{self, RecvTimeoutError},
    },
    thread::JoinHandle,
};

use indicatif::{MultiProgress, ProgressBar, ProgressState, ProgressStyle};
use zilliz_import::{Error, ImportProgress, WaitError};

use crate::{
    ending::{Failure, Printed, WaitEnd},
    output::{self, Printer},
    progress_bar::{TICK, job_bar, on_terminal},
};

/// The view; `index` in its calls is the job's place among the ids given
/// (each id once).
pub struct ManyView {
    display: Option<Display>,
}

/// The bars of a terminal.
struct Display {
    multi: MultiProgress,
    /// The bars of the first jobs given.
    bars: Vec<ProgressBar>,
    /// The line for the jobs beyond them, if any.
    rest: Option<Rest>,
    /// Kept for its drop, which stops the ticker.
    _ticker: Option<Ticker>,
}

impl ManyView {
    /// A view of `job_ids`, each once, in the order given.
    pub fn new(job_ids: &[String]) -> Self {
        let display =
            on_terminal().then(|| Display::new(MultiProgress::new(), job_ids, screen_rows()));
        ManyView { display }
    }

    /// Whether bars are drawn (rather than a line per event).
    pub fn draws_bars(&self) -> bool {
        self.display.is_some()
    }

    pub fn progress(
        &self,
        printer: &Printer,
        index: usize,
        job_id: &str,
        p: &ImportProgress,
    ) -> Printed {
        let Some(display) = &self.display else {
            return printer.event_line(&output::progress_text(job_id, p));
        };
        if let Some(bar) = display.bars.get(index) {
            bar.set_position(u64::from(p.progress));
            bar.set_message(p.state.to_string());
        }
        Ok(())
    }

    /// A failed poll, on stderr as the one-job wait says it.
    pub fn poll_failed(&self, job_id: &str, e: &Error) {
        let line = output::poll_failed_text(job_id, e);
        match &self.display {
            Some(display) => {
                let _ = display.multi.println(line);
            }
            None => output::note_line(&line),
        }
    }

    pub fn ended(&self, printer: &Printer, index: usize, job_id: &str, end: &WaitEnd) -> Printed {
        let Some(display) = &self.display else {
            return printer.event_line(&output::ended_text(job_id, end));
        };
        let how = How::of(end);
        let Some(bar) = display.bars.get(index) else {
            if let Some(rest) = &display.rest {
                rest.ended(how);
            }
            return Ok(());
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
        match how {
            How::Completed | How::AwaitsCommit => bar.finish_with_message(how.on_bar()),
            _ => bar.abandon_with_message(how.on_bar()),
        }
        Ok(())
    }
}

impl Display {
    /// Bars on `multi` for as many of `job_ids` as fit in `rows` with the
    /// line for the rest below them and the cursor's line.
    fn new(multi: MultiProgress, job_ids: &[String], rows: usize) -> Self {
        let shown = if job_ids.len() < rows {
            job_ids.len()
        } else {
            rows.saturating_sub(2).max(1)
        };
        let bars: Vec<ProgressBar> = job_ids[..shown]
            .iter()
            .map(|id| multi.add(job_bar(id)))
            .collect();
        let rest = (shown < job_ids.len()).then(|| Rest::new(&multi, job_ids.len() - shown));
        let mut ticked = bars.clone();
        ticked.extend(rest.as_ref().map(|r| r.line.clone()));
        Display {
            multi,
            bars,
            rest,
            _ticker: Ticker::start(ticked),
        }
    }
}

/// The height of stderr's terminal, or 24 rows where it tells none.
fn screen_rows() -> usize {
    usize::from(console::Term::stderr().size().0)
}

/// How a job's wait ended, as the display names it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum How {
    Completed,
    AwaitsCommit,
    Failed,
    Aborted,
    TimedOut,
    Error,
}

impl How {
    /// In the order the line for the rest names them.
    const ALL: [How; 6] = [
        How::Completed,
        How::AwaitsCommit,
        How::Failed,
        How::Aborted,
        How::TimedOut,
        How::Error,
    ];

    fn of(end: &WaitEnd) -> How {
        match end {
            Ok(outcome) if outcome.awaits_commit() => How::AwaitsCommit,
            Ok(_) => How::Completed,
            Err(Failure::Wait(WaitError::JobFailed { .. })) => How::Failed,
            Err(Failure::Wait(WaitError::Aborted { .. })) => How::Aborted,
            Err(Failure::Wait(WaitError::TimedOut { .. })) => How::TimedOut,
            Err(_) => How::Error,
        }
    }

    /// The message a finished bar shows.
    fn on_bar(self) -> &'static str {
        match self {
            How::Completed => "Completed",
            How::AwaitsCommit => "Uncommitted: awaits commit",
            How::Failed => "Failed",
            How::Aborted => "aborted",
            How::TimedOut => "timed out",
            How::Error => "error",
        }
    }

    /// The words of the line for the rest: `3 completed`.
    fn in_sum(self) -> &'static str {
        match self {
            How::Completed => "completed",
            How::AwaitsCommit => "awaiting commit",
            How::Failed => "failed",
            How::Aborted => "aborted",
            How::TimedOut => "timed out",
            How::Error => "ended in an error",
        }
    }
}

/// The one line for the jobs without a bar: how many are still followed,
/// and how many ended each way.
struct Rest {
    line: ProgressBar,
    counts: Arc<Counts>,
}

/// The counts of [`Rest`], read whenever its line is drawn (on each tick):
/// 100,000 ends in one burst then cost no redraw each.
struct Counts {
    total: usize,
    ended: [AtomicUsize; How::ALL.len()],
}

impl Rest {
    fn new(multi: &MultiProgress, total: usize) -> Self {
        let counts = Arc::new(Counts {
            total,
            ended: Default::default(),
        });
        let shown = Arc::clone(&counts);
        let style = ProgressStyle::with_template("{spinner} {rest}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .with_key("rest", move |_: &ProgressState, w: &mut dyn fmt::Write| {
                let _ = w.write_str(&shown.text());
            });
        let line = multi.add(ProgressBar::new(total as u64));
        line.set_style(style);
        Rest { line, counts }
    }

    fn ended(&self, how: How) {
        self.counts.ended[how as usize].fetch_add(1, Ordering::Relaxed);
        if self.counts.open() == 0 {
            self.line.finish();
        }
    }
}

impl Counts {
    fn count(&self, how: How) -> usize {
        self.ended[how as usize].load(Ordering::Relaxed)
    }

    fn open(&self) -> usize {
        let ended: usize = How::ALL.iter().map(|h| self.count(*h)).sum();
        self.total.saturating_sub(ended)
    }

    /// `2980 more jobs: 2950 followed, 20 completed, 10 failed`.
    fn text(&self) -> String {
        let mut text = format!("{} more jobs: {} followed", self.total, self.open());
        for how in How::ALL {
            let n = self.count(how);
            if n > 0 {
                text.push_str(&format!(", {n} {}", how.in_sum()));
            }
        }
        text
    }
}

/// One thread that moves every spinner of the display, until dropped.
struct Ticker {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    /// `None` where no thread can be started: the spinners then move only
    /// when their job does.
    fn start(bars: Vec<ProgressBar>) -> Option<Ticker> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("progress-ticker".into())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                    for bar in bars.iter().filter(|b| !b.is_finished()) {
                        bar.tick();
                    }
                }
            })
            .ok()?;
        Some(Ticker {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden() -> MultiProgress {
        MultiProgress::with_draw_target(indicatif::ProgressDrawTarget::hidden())
    }

    #[test]
    fn a_screenful_of_bars_then_one_line_for_the_rest() {
        let ids: Vec<String> = (0..500).map(|n| n.to_string()).collect();
        let d = Display::new(hidden(), &ids, 24);
        assert_eq!(d.bars.len(), 22);
        let rest = d.rest.as_ref().expect("a line for the rest");
        assert_eq!(rest.counts.text(), "478 more jobs: 478 followed");
        // A screen just tall enough: every job a bar, no line for the rest.
        let d = Display::new(hidden(), &ids[..23], 24);
        assert_eq!((d.bars.len(), d.rest.is_some()), (23, false));
        let d = Display::new(hidden(), &ids[..24], 24);
        assert_eq!((d.bars.len(), d.rest.is_some()), (22, true));
        // A screen of one row still shows one bar.
        let d = Display::new(hidden(), &ids[..3], 1);
        assert_eq!((d.bars.len(), d.rest.is_some()), (1, true));
    }

    #[test]
    fn the_line_for_the_rest_counts_each_way_a_wait_ended() {
        let rest = Rest::new(&hidden(), 5);
        rest.ended(How::TimedOut);
        rest.ended(How::Completed);
        rest.ended(How::TimedOut);
        assert_eq!(
            rest.counts.text(),
            "5 more jobs: 2 followed, 1 completed, 2 timed out"
        );
        assert!(!rest.line.is_finished());
        rest.ended(How::Error);
        rest.ended(How::AwaitsCommit);
        assert_eq!(
            rest.counts.text(),
            "5 more jobs: 0 followed, 1 completed, 1 awaiting commit, 2 timed out, 1 ended in an error"
        );
        assert!(rest.line.is_finished());
    }
}
