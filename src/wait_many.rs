//! Following jobs through one client: one until it ends, or many at once
//! as a stream of events. The wait for one job is the wait for many with a
//! single id, so both end on the same rules (see `wait`).
//!
//! A service that starts many imports follows them together. Each job is
//! read by the same rules as [`Client::wait_for_import_job`] (its own
//! [`PollSchedule`](crate::PollSchedule), failure count and outcome), but
//! every poll goes through the one client, so all of them share its rate
//! limiter. When more jobs are due than the limiter lets through, the one
//! whose poll is needed soonest goes first (its predicted finish, or for a
//! job backing off, its due time plus its pause): the next poll is chosen
//! only once the limiter has room for it, so a slot goes to the job that
//! needs it most rather than to whichever asked first.

use std::{
    collections::{HashSet, VecDeque},
    pin::Pin,
    task::Poll,
    time::Duration,
};

use futures::{FutureExt, Stream, StreamExt, stream::FuturesUnordered};
use tokio::time::Instant;

use crate::{
    Client, Error, ImportProgress, Target, WaitError, WaitOptions, WaitOutcome,
    poll_queue::PollQueue,
    wait::{Follow, Seen},
};

/// Polls in flight at once at most: enough to keep a limit of tens per
/// second busy over a slow link, few enough that due jobs still queue here,
/// in order of need, rather than inside the rate limiter.
const MAX_IN_FLIGHT: usize = 16;

/// What happened to one of the jobs [`Client::wait_for_import_jobs`]
/// follows. Each job gives any number of `Progress` and `PollFailed`
/// events, then exactly one `Ended`.
#[derive(Debug)]
#[non_exhaustive]
pub enum JobEvent {
    /// The job's state changed or its percent rose (never reported lower
    /// than before). Not sent for the answer that ends the wait: `Ended`
    /// carries that one.
    Progress {
        /// The job, as it was asked for.
        job_id: String,
        /// What describe answered.
        progress: ImportProgress,
    },
    /// A poll failed; the job will be polled again
    /// ([`WaitOptions::max_poll_failures`] in a row end its wait).
    PollFailed {
        /// The job, as it was asked for.
        job_id: String,
        /// The poll's failure.
        error: Error,
    },
    /// The job's wait is over, as [`Client::wait_for_import_job`] would
    /// have ended it: completed, ready to commit, failed, aborted, timed
    /// out, or unfollowable.
    Ended {
        /// The job, as it was asked for.
        job_id: String,
        /// How it ended.
        outcome: Result<WaitOutcome, WaitError>,
    },
}

impl JobEvent {
    /// The job the event is about.
    pub fn job_id(&self) -> &str {
        match self {
            JobEvent::Progress { job_id, .. }
            | JobEvent::PollFailed { job_id, .. }
            | JobEvent::Ended { job_id, .. } => job_id,
        }
    }
}

impl Client {
    /// Polls a job until it is `Completed` ([`WaitOutcome::Completed`]), a
    /// two-phase import reaches `Uncommitted`
    /// ([`WaitOutcome::ReadyToCommit`]: commit or abort it next), it fails
    /// ([`WaitError::JobFailed`] with the reason) or is aborted
    /// ([`WaitError::Aborted`]), or the deadline passes
    /// ([`WaitError::TimedOut`] with the last progress seen, the last poll's
    /// failure if it failed, and the abort if
    /// [`WaitOptions::abort_on_timeout`] asked for one).
    ///
    /// Polls are spaced by a [`PollSchedule`](crate::PollSchedule): backing
    /// off while the job gives no signal, then aimed shortly before the
    /// finish its progress rate predicts.
    ///
    /// A failed poll is reported to [`WaitOptions::on_poll_error`] and the
    /// wait goes on, unless the answer proves the job cannot be followed (a
    /// refused key, no such job or cluster) or
    /// [`WaitOptions::max_poll_failures`] polls in a row have failed: that
    /// poll's error ends the wait as [`WaitError::Request`].
    ///
    /// `target` is where the job runs, as for
    /// [`describe_import_job`](Client::describe_import_job). To follow many
    /// jobs at once see [`Client::wait_for_import_jobs`].
    pub async fn wait_for_import_job(
        &self,
        target: &Target,
        job_id: &str,
        options: WaitOptions,
    ) -> Result<WaitOutcome, WaitError> {
        let job = std::iter::once(job_id.to_owned());
        let mut many = Many::new(self.clone(), target.clone(), job, options);
        while let Some(event) = many.next_event().await {
            if let JobEvent::Ended { outcome, .. } = event {
                return outcome;
            }
        }
        unreachable!("a followed job's last event is `Ended`")
    }

    /// Follows every job in `job_ids` (all running at `target`) until each
    /// has ended, as a [`Stream`] of [`JobEvent`]s that ends after the last
    /// job's `Ended`. A repeated id is followed once.
    ///
    /// Each job is polled on its own schedule and ends as
    /// [`Client::wait_for_import_job`] would end it, with the same
    /// `options`: intervals, failures allowed, through-uncommitted and
    /// abort-on-timeout. The timeout bounds the whole stream, and the
    /// callbacks are told of every job.
    ///
    /// All polls share this client's rate limiter
    /// ([`ClientBuilder::rate_limit`](crate::ClientBuilder::rate_limit)):
    /// with a limit of N, no one-second window holds more than N describes,
    /// however many jobs are followed. When more jobs are due than the limit
    /// lets through, the ones whose predicted finish is nearest go first,
    /// and a job still backing off is not starved by them.
    ///
    /// The stream owns a clone of the client and may be moved to another
    /// task. Jobs at different targets: merge their streams with
    /// [`select_all`](futures::stream::select_all()); they still share the limiter.
    pub fn wait_for_import_jobs<I>(
        &self,
        target: &Target,
        job_ids: I,
        options: WaitOptions,
    ) -> impl Stream<Item = JobEvent> + Send + 'static
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let many = Many::new(
            self.clone(),
            target.clone(),
            job_ids.into_iter().map(Into::into),
            options,
        );
        futures::stream::unfold(many, |mut many| async move {
            let event = many.next_event().await?;
            Some((event, many))
        })
    }
}

/// One followed job.
struct Job {
    job_id: String,
    follow: Follow,
}

/// `by` after `at`, or about 30 years after it where that overflows (an
/// interval as long as a `Duration` goes): as `tokio::time::sleep` does.
fn later(at: Instant, by: Duration) -> Instant {
    at.checked_add(by)
        .unwrap_or_else(|| at + Duration::from_secs(86_400 * 365 * 30))
}

/// What a task in flight came back with.
enum Done {
    Polled(usize, Result<ImportProgress, Error>),
    /// The wait of a job timed out, and the abort it asked for was sent.
    Aborted(usize, WaitError),
}

type Task = Pin<Box<dyn Future<Output = Done> + Send>>;

/// The stream's state between events.
struct Many {
    client: Client,
    target: Target,
    options: WaitOptions,
    started: Instant,
    deadline: Option<Instant>,
    jobs: Vec<Job>,
    /// The jobs waiting for their next poll: neither in flight nor ended.
    queue: PollQueue,
    /// Jobs not ended yet.
    open: usize,
    in_flight: FuturesUnordered<Task>,
    /// Jobs whose wait timed out, each with its outcome, to abort (with
    /// abort-on-timeout) as room is made among the tasks in flight: at
    /// most [`MAX_IN_FLIGHT`] wait for the rate limiter at once, which
    /// wakes every waiter each time a slot frees.
    aborts: VecDeque<(usize, WaitError)>,
    events: VecDeque<JobEvent>,
}

impl Many {
    fn new(
        client: Client,
        target: Target,
        job_ids: impl Iterator<Item = String>,
        options: WaitOptions,
    ) -> Self {
        let started = Instant::now();
        let mut given = HashSet::new();
        let jobs: Vec<Job> = job_ids
            .filter(|job_id| given.insert(job_id.clone()))
            .map(|job_id| Job {
                follow: Follow::new(&options),
                job_id,
            })
            .collect();
        let mut queue = PollQueue::default();
        // All due at once, needed at once: polled in the order given.
        (0..jobs.len()).for_each(|i| queue.push(i, started, started));
        Many {
            client,
            target,
            deadline: started.checked_add(options.deadline),
            options,
            started,
            open: jobs.len(),
            jobs,
            queue,
            in_flight: FuturesUnordered::new(),
            aborts: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    async fn next_event(&mut self) -> Option<JobEvent> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
            if self.open == 0 {
                return None;
            }
            let now = Instant::now();
            let past_deadline = self.deadline.is_some_and(|d| now >= d);
            if past_deadline {
                self.time_out_waiting();
                if !self.events.is_empty() {
                    continue;
                }
            }
            self.send_aborts();
            let due_now = self.queue.most_needed(now).is_some();
            let can_send = !past_deadline && self.in_flight.len() < MAX_IN_FLIGHT && due_now;
            // A job due now leaves nothing to sleep for.
            let wake = self.queue.next_due().into_iter().chain(self.deadline).min();
            let sleep = wake.filter(|w| !past_deadline && !due_now && *w > now);
            if self.in_flight.is_empty() && !can_send && sleep.is_none() {
                // Every open job is due or in flight, so this is not reached.
                return None;
            }
            match self.woken(can_send, sleep).await {
                Some(done) => self.settle(done),
                // Room in the rate limiter (a poll may be sent), or the timer.
                None if can_send => self.poll_most_needed(),
                None => {}
            }
        }
    }

    /// Waits for whichever comes first: a task in flight done (`Some`), or
    /// else (`None`) room in the rate limiter if a poll is due and may be
    /// sent, or the instant `sleep` (the next job due, or the deadline) if
    /// none is.
    async fn woken(&mut self, can_send: bool, sleep: Option<Instant>) -> Option<Done> {
        let client = &self.client;
        let other = async {
            match sleep {
                _ if can_send => client.room_to_describe().await,
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        let mut other = std::pin::pin!(other);
        let in_flight = &mut self.in_flight;
        std::future::poll_fn(|cx| {
            if !in_flight.is_empty()
                && let Poll::Ready(Some(done)) = in_flight.poll_next_unpin(cx)
            {
                return Poll::Ready(Some(done));
            }
            other.as_mut().poll(cx).map(|()| None)
        })
        .await
    }

    /// Queues job `i`'s next poll, due at `due` after a pause of `pause`,
    /// ranked by the instant by which the poll is needed. For a job whose
    /// predicted finish is still ahead of its poll, that finish: of two
    /// jobs about to end, the nearer is polled first. For any other
    /// (backing off without a rate, or past its predicted finish), its due
    /// time plus the pause: a poll that late only makes its backoff one
    /// step longer. So no job starves behind a crowd of jobs near their
    /// end, and none near its end waits behind a crowd of backoffs.
    fn schedule(&mut self, i: usize, due: Instant, pause: Duration) {
        let finish = self.jobs[i].follow.schedule.predicted_finish();
        let needed = match finish.and_then(|f| self.started.checked_add(f)) {
            Some(finish) if finish > due => finish,
            _ => later(due, pause),
        };
        self.queue.push(i, due, needed);
    }

    /// Starts the poll of the job most in need, and lets it take its rate
    /// limiter slot at once, before another job is chosen.
    fn poll_most_needed(&mut self) {
        let Some(i) = self.queue.take_most_needed(Instant::now()) else {
            return;
        };
        let (client, target) = (self.client.clone(), self.target.clone());
        let job_id = self.jobs[i].job_id.clone();
        let deadline = self.deadline;
        self.in_flight.push(Box::pin(async move {
            let answer = client.describe_until(&target, &job_id, deadline).await;
            Done::Polled(i, answer)
        }));
        if let Some(Some(done)) = self.in_flight.next().now_or_never() {
            self.settle(done);
        }
    }

    fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    fn settle(&mut self, done: Done) {
        let (i, answer) = match done {
            Done::Polled(i, answer) => (i, answer),
            Done::Aborted(i, ended) => return self.end(i, Err(ended)),
        };
        let (at, past) = (self.started.elapsed(), self.past_deadline());
        let (job, events, options) = (&mut self.jobs[i], &mut self.events, &mut self.options);
        let job_id = job.job_id.clone();
        match job.follow.observe(&job_id, answer, at, past, options) {
            Seen::Same => {}
            Seen::Moved(progress) => events.push_back(JobEvent::Progress { job_id, progress }),
            Seen::PollFailed(error) => events.push_back(JobEvent::PollFailed { job_id, error }),
            Seen::Ended(outcome) => return self.finish(i, outcome),
        }
        let at = self.started.elapsed();
        let pause = self.jobs[i].follow.schedule.next_delay(at, fastrand::f64());
        self.schedule(i, later(Instant::now(), pause), pause);
    }

    /// Ends the wait of every job not in flight, in the order given: the
    /// deadline has passed. Polls in flight are bounded by it and end the
    /// same way.
    fn time_out_waiting(&mut self) {
        let waited = self.started.elapsed();
        for i in self.queue.drain() {
            let timed_out = self.jobs[i].follow.timed_out(waited);
            self.finish(i, Err(timed_out));
        }
    }

    /// Ends job `i`'s wait, first aborting it if it timed out and the
    /// options ask for that.
    fn finish(&mut self, i: usize, outcome: Result<WaitOutcome, WaitError>) {
        match outcome {
            Err(ended @ WaitError::TimedOut { .. }) if self.options.abort_on_timeout => {
                self.aborts.push_back((i, ended));
            }
            outcome => self.end(i, outcome),
        }
    }

    /// Starts the aborts waiting, as far as there is room in flight.
    fn send_aborts(&mut self) {
        while self.in_flight.len() < MAX_IN_FLIGHT
            && let Some((i, ended)) = self.aborts.pop_front()
        {
            let (client, target) = (self.client.clone(), self.target.clone());
            let job_id = self.jobs[i].job_id.clone();
            // By when the abort must end: the grace after the wait's
            // deadline (or after now, without one); `None` past the clock's end.
            let by = self
                .deadline
                .unwrap_or_else(Instant::now)
                .checked_add(self.options.abort_grace);
            self.in_flight.push(Box::pin(async move {
                Done::Aborted(i, client.abort_timed_out(&target, &job_id, ended, by).await)
            }));
        }
    }

    fn end(&mut self, i: usize, outcome: Result<WaitOutcome, WaitError>) {
        self.open -= 1;
        let job_id = self.jobs[i].job_id.clone();
        self.events.push_back(JobEvent::Ended { job_id, outcome });
    }
}

#[cfg(test)]
mod tests;
