//! `wait` (and the wait after `create --wait` or `commit --wait`): one job
//! followed with a progress bar, or several at once as one stream of
//! events, the exit code the worst job's.

use std::{collections::HashMap, time::Duration};

use futures::StreamExt;
use tokio::time::Instant;
use zilliz_import::{Client, JobEvent, Target, WaitOptions};

use crate::{
    ending::{Ended, Failure, WaitEnd},
    exit_codes, many_view,
    output::Printer,
    progress_bar,
};

/// What is left of a command's `timeout` for the wait that ends it, the
/// command having `started` then (at least a moment, so the wait polls once).
pub fn time_left(timeout: Duration, started: Instant) -> Duration {
    timeout
        .saturating_sub(started.elapsed())
        .max(Duration::from_millis(1))
}

/// Follows one job to its end, a progress bar (or lines) on stderr, then
/// prints how it ended. The job is polled as `job_id` and shown as `shown`:
/// an id given on the command line is shown as given, one the server
/// answered as escaped for display.
pub async fn wait(
    client: &Client,
    target: &Target,
    job_id: &str,
    shown: &str,
    options: WaitOptions,
    printer: &Printer,
) -> Result<Ended, Failure> {
    let bar = progress_bar::ProgressView::new(shown);
    let options = options
        .on_progress(bar.reporter())
        .on_poll_error(bar.poll_error_reporter());
    let result = client.wait_for_import_job(target, job_id, options).await;
    bar.finish(&result);
    Ok(printer.waited(&result?).into())
}

/// Follows several jobs at once (a repeated id once), printing each event
/// as it comes, then how each wait ended; the exit code is the worst job's.
pub async fn wait_many(
    client: &Client,
    target: &Target,
    job_ids: Vec<String>,
    options: WaitOptions,
    printer: &Printer,
) -> Result<Ended, Failure> {
    // A blank id is refused before anything is sent, with the error the
    // one-job wait gives: the library's own check, which refuses it before
    // sending.
    if let Some(blank) = job_ids.iter().find(|id| id.trim().is_empty()) {
        client.describe_import_job(target, blank).await?;
    }
    // Each id once, in the order first given, and where each stands in
    // that order: hashed, so that many ids cost no more than a few.
    let mut ids: Vec<String> = Vec::with_capacity(job_ids.len());
    let mut position: HashMap<String, usize> = HashMap::with_capacity(job_ids.len());
    for id in job_ids {
        let next = ids.len();
        if *position.entry(id.clone()).or_insert(next) == next {
            ids.push(id);
        }
    }
    let view = many_view::ManyView::new(&ids);
    let mut ends: Vec<Option<WaitEnd>> = std::iter::repeat_with(|| None).take(ids.len()).collect();
    let mut events = std::pin::pin!(client.wait_for_import_jobs(target, ids.clone(), options));
    while let Some(event) = events.next().await {
        // The stream names each job as it was given.
        let Some(&index) = position.get(event.job_id()) else {
            continue;
        };
        let printed = match event {
            JobEvent::Progress { job_id, progress } => {
                view.progress(printer, index, &job_id, &progress)
            }
            JobEvent::PollFailed { job_id, error } => {
                view.poll_failed(&job_id, &error);
                Ok(())
            }
            JobEvent::Ended { job_id, outcome } => {
                let end = outcome.map_err(Failure::from);
                let printed = view.ended(printer, index, &job_id, &end);
                ends[index] = Some(end);
                printed
            }
            _ => Ok(()),
        };
        if printed.is_err() {
            return Ok(Ended::StdoutClosed);
        }
    }
    let lines_shown = !view.draws_bars();
    // The bars are done: the ticker stops before the result is printed.
    drop(view);
    // In the order given; the stream ends each job exactly once.
    let ends: Vec<(String, WaitEnd)> = ids
        .into_iter()
        .zip(ends)
        .filter_map(|(id, end)| Some((id, end?)))
        .collect();
    let worst =
        exit_codes::worst_exit_code(ends.iter().map(|(_, end)| exit_codes::end_exit_code(end)));
    if printer.waited_many(&ends, lines_shown).is_err() {
        return Ok(Ended::StdoutClosed);
    }
    Ok(match worst {
        0 => Ended::Done,
        code => Ended::Reported(code),
    })
}
