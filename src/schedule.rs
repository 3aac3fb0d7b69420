//! When to poll a job next: predicting its finish from the rate its progress
//! rises, and backing off while it gives no such signal.
//!
//! A job's describe answer is a percentage. Once two polls have seen it at
//! two different values above 0, the rate between them predicts when it
//! reaches 100, and the next poll is spent shortly before that moment rather
//! than at a fixed pace: a steadily rising 10-minute job costs under 30
//! polls instead of hundreds, and is still seen done within about a second.
//!
//! The rate is measured between the *first* poll that saw each value (the
//! first above 0, and the first at the current value): a poll that sees the
//! same value again says nothing about when it was reached, so only the
//! first one counts, and the two readings' lateness cancels out.
//!
//! Without a rate (the job is pending, or reports 0 % until done), and
//! once the predicted finish has passed with no rise since (an index build
//! that holds the percent near 80), the pause doubles from the minimum
//! interval to the maximum, as a plain exponential backoff does.
//!
//! The schedule is a pure value: readings in, the next pause out. It holds
//! no clock and draws no random numbers, so it is tested and simulated as
//! it runs; [`Client::wait_for_import_job`](crate::Client::wait_for_import_job)
//! and [`Client::wait_for_import_jobs`](crate::Client::wait_for_import_jobs)
//! drive it.

use std::time::Duration;

/// The share of the predicted time left that a pause spends, at least
/// (the rest of the span below is jitter): the next poll lands shortly
/// before the predicted finish, so an estimate a little late costs no delay.
const AIM: f64 = 0.7;

/// How much jitter adds to [`AIM`], and how much it stretches a backoff
/// pause: waiters started together drift apart instead of polling in
/// lockstep.
const JITTER: f64 = 0.1;

/// One job's poll schedule. Feed it each poll's reading with
/// [`record`](PollSchedule::record); ask it for the pause before the next
/// poll with [`next_delay`](PollSchedule::next_delay).
///
/// Times are offsets from any fixed origin the caller chooses (the start of
/// the wait, say), so the schedule needs no clock.
#[derive(Debug, Clone)]
pub struct PollSchedule {
    min: Duration,
    max: Duration,
    polls: u32,
    /// The first reading above 0 %: the rate is measured from here.
    first: Option<Reading>,
    /// The first reading at the highest percent seen so far.
    current: Option<Reading>,
    /// Readings since the percent last rose.
    since_rise: u32,
}

#[derive(Debug, Clone, Copy)]
struct Reading {
    at: Duration,
    progress: u8,
}

impl PollSchedule {
    /// A schedule whose pauses stay between `min` and `max` (a `max` below
    /// `min` is taken as `min`).
    pub fn new(min: Duration, max: Duration) -> Self {
        PollSchedule {
            min,
            max: max.max(min),
            polls: 0,
            first: None,
            current: None,
            since_rise: 0,
        }
    }

    /// Records what a poll at `at` saw: the job's percent. A percent lower
    /// than one already seen counts as no rise (a server may report a stage
    /// of its own restarting at 0); a failed poll is not recorded.
    pub fn record(&mut self, at: Duration, progress: u8) {
        self.polls = self.polls.saturating_add(1);
        let progress = progress.min(100);
        let reading = Reading { at, progress };
        let rose = self
            .current
            .is_none_or(|current| progress > current.progress);
        if !rose {
            self.since_rise = self.since_rise.saturating_add(1);
            return;
        }
        self.since_rise = 0;
        self.current = Some(reading);
        if progress > 0 && self.first.is_none() {
            self.first = Some(reading);
        }
    }

    /// How many readings have been recorded.
    pub fn polls(&self) -> u32 {
        self.polls
    }

    /// The percent per second between the first reading above 0 and the
    /// first at the current percent; `None` until two such readings differ.
    pub fn rate(&self) -> Option<f64> {
        let (first, current) = (self.first?, self.current?);
        let rise = f64::from(current.progress.checked_sub(first.progress)?);
        let span = current.at.checked_sub(first.at)?.as_secs_f64();
        (rise > 0.0 && span > 0.0).then(|| rise / span)
    }

    /// When the job should reach 100 % at the rate seen; `None` without a
    /// rate. Used too to poll, among many jobs, the nearest to its end first.
    pub fn predicted_finish(&self) -> Option<Duration> {
        let rate = self.rate()?;
        let current = self.current?;
        let left = f64::from(100 - current.progress) / rate;
        Duration::try_from_secs_f64(left)
            .ok()
            .and_then(|left| current.at.checked_add(left))
    }

    /// The pause before the next poll, asked at `now` (on the same origin
    /// as the readings). `jitter` is a number in `[0, 1]`, drawn at random
    /// by a waiter (0 gives the shortest pause); values outside are clamped.
    ///
    /// - Before any reading, or without a rate: `min`, doubled for each
    ///   reading after the first, up to `max`.
    /// - With a predicted finish still ahead: 70–80 % of the time left, so
    ///   each poll halves the distance and the last lands just after the
    ///   end, within `min` and `max`.
    /// - With the predicted finish passed: `min`, doubled for each reading
    ///   since the percent last rose, up to `max`.
    pub fn next_delay(&self, now: Duration, jitter: f64) -> Duration {
        // A NaN fails the comparison: it reads as 0, as negatives do.
        let jitter = if jitter >= 0.0 { jitter.min(1.0) } else { 0.0 };
        let pause = match self.predicted_finish() {
            Some(finish) if finish > now => (finish - now).mul_f64(AIM + JITTER * jitter),
            Some(_) => self.backoff(self.since_rise, jitter),
            None => self.backoff(self.polls.saturating_sub(1), jitter),
        };
        pause.clamp(self.min, self.max)
    }

    /// `min` doubled `n` times, stretched by the jitter; at most `max`.
    fn backoff(&self, n: u32, jitter: f64) -> Duration {
        let doubled = self
            .min
            .saturating_mul(1u32.checked_shl(n).unwrap_or(u32::MAX));
        // Through f64, which cannot overflow the way `Duration::mul_f64`
        // panics on, for any interval a caller may set.
        Duration::try_from_secs_f64(doubled.as_secs_f64() * (1.0 + JITTER * jitter))
            .unwrap_or(Duration::MAX)
            .min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(1);
    const MAX: Duration = Duration::from_secs(30);

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn schedule(readings: &[(f64, u8)]) -> PollSchedule {
        let mut s = PollSchedule::new(MIN, MAX);
        for &(at, progress) in readings {
            s.record(secs(at), progress);
        }
        s
    }

    /// The pause after the last reading, asked at its time.
    fn next(s: &PollSchedule, now: f64) -> f64 {
        s.next_delay(secs(now), 0.0).as_secs_f64()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn no_signal_backs_off_exponentially() {
        let mut s = PollSchedule::new(MIN, MAX);
        assert_eq!(s.next_delay(Duration::ZERO, 0.0), MIN, "before any reading");
        let mut at = 0.0;
        let mut pauses = vec![];
        for _ in 0..8 {
            s.record(secs(at), 0);
            let pause = next(&s, at);
            pauses.push(pause);
            at += pause;
        }
        assert_eq!(pauses, [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]);
        assert_eq!(s.predicted_finish(), None);
        assert_eq!(s.rate(), None);
    }

    #[test]
    fn one_reading_above_zero_is_not_a_rate() {
        let s = schedule(&[(0.0, 0), (1.0, 0), (3.0, 40)]);
        assert_eq!(s.rate(), None);
        assert_eq!(next(&s, 3.0), 4.0, "still the backoff: 1 s doubled twice");
    }

    #[test]
    fn steady_progress_aims_shortly_before_the_predicted_finish() {
        // 2 % a second, first seen at 10 % at 5 s: done at 50 s.
        let s = schedule(&[(0.0, 0), (5.0, 10), (10.0, 20)]);
        assert!(close(s.rate().unwrap(), 2.0));
        assert_eq!(s.predicted_finish(), Some(secs(50.0)));
        // 40 s left: 70 % of it, within [1, 30].
        assert!(close(next(&s, 10.0), 28.0));
        // Jitter spans 70 % to 80 %.
        assert!(close(s.next_delay(secs(10.0), 1.0).as_secs_f64(), 30.0));
        assert!(close(s.next_delay(secs(20.0), 1.0).as_secs_f64(), 24.0));
        // Far from the end the pause is the maximum.
        let slow = schedule(&[(0.0, 1), (100.0, 2)]);
        assert_eq!(next(&slow, 100.0), 30.0);
        // Near the end, the minimum.
        let near = schedule(&[(0.0, 10), (10.0, 99)]);
        assert_eq!(next(&near, 10.0), 1.0);
    }

    #[test]
    fn the_rate_runs_from_the_first_reading_at_each_value() {
        // 20 % was first seen at 10 s; seeing it again at 14 s changes nothing.
        let s = schedule(&[(5.0, 10), (10.0, 20), (14.0, 20)]);
        assert_eq!(s.predicted_finish(), Some(secs(50.0)));
        assert!(close(next(&s, 14.0), 0.7 * 36.0));
    }

    #[test]
    fn a_steady_job_is_followed_in_few_polls() {
        // A job rising 1 % every 0.54 s after 6 s pending (the emulator's
        // 60 s job), polled with a 0.1 s round trip.
        let model = |t: f64| -> Option<u8> {
            if t >= 60.0 {
                None
            } else {
                Some((((t - 6.0).max(0.0)) * 100.0 / 54.0).min(99.0) as u8)
            }
        };
        let mut s = PollSchedule::new(MIN, MAX);
        let mut t = 0.0;
        let mut polls = 0;
        loop {
            polls += 1;
            let Some(progress) = model(t) else { break };
            s.record(secs(t), progress);
            t += next(&s, t) + 0.1;
        }
        assert!(polls <= 12, "{polls} polls");
        assert!(t - 60.0 <= 1.5, "seen done {:.2} s late", t - 60.0);
    }

    #[test]
    fn stalled_progress_backs_off_once_the_prediction_has_passed() {
        // 2 %/s to 80 % at 40 s (finish predicted at 50 s), then stuck.
        let mut s = schedule(&[(0.0, 0), (2.0, 4), (40.0, 80)]);
        assert_eq!(s.predicted_finish(), Some(secs(50.0)));
        assert!(close(next(&s, 40.0), 7.0));
        let mut at = 50.0;
        let mut pauses = vec![];
        for _ in 0..7 {
            s.record(secs(at), 80);
            let pause = next(&s, at);
            pauses.push(pause);
            at += pause;
        }
        assert_eq!(pauses, [2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]);
        // It rises again: a new, slower rate, and polls aimed at it.
        s.record(secs(at), 90);
        let finish = s.predicted_finish().unwrap().as_secs_f64();
        assert!(close(finish, at + 10.0 / (86.0 / (at - 2.0))));
        assert!(close(next(&s, at), (0.7 * (finish - at)).clamp(1.0, 30.0)));
    }

    #[test]
    fn progress_going_backwards_is_no_rise() {
        let s = schedule(&[(0.0, 10), (10.0, 30), (20.0, 5)]);
        // The rate and finish stand on 10 % → 30 %: 2 %/s, done at 45 s.
        assert!(close(s.rate().unwrap(), 2.0));
        assert_eq!(s.predicted_finish(), Some(secs(45.0)));
        assert!(close(next(&s, 20.0), 0.7 * 25.0));
        // Past the finish, the lower reading counts as one more without a rise.
        let s = schedule(&[(0.0, 10), (10.0, 30), (50.0, 20), (52.0, 25)]);
        assert_eq!(next(&s, 52.0), 4.0);
    }

    #[test]
    fn a_job_that_finishes_early_is_seen_within_the_pause_it_was_given() {
        // Slow at first (1 %/s), then the job jumps ahead: the next pause is
        // short, never longer than the time the new rate leaves.
        let slow = schedule(&[(0.0, 1), (10.0, 11)]);
        assert!(close(next(&slow, 10.0), 30.0), "89 s left: the maximum");
        let jumped = schedule(&[(0.0, 1), (10.0, 11), (40.0, 98)]);
        let left = jumped.predicted_finish().unwrap().as_secs_f64() - 40.0;
        assert!(left < 1.0, "{left}");
        assert_eq!(next(&jumped, 40.0), 1.0);
        // Whatever the estimate, a pause is at most `max`: a job done
        // early is seen within it.
        for now in [0.0, 10.0, 60.0, 1e6] {
            assert!(slow.next_delay(secs(now), 1.0) <= MAX);
        }
    }

    #[test]
    fn pauses_stay_within_bounds_for_any_input() {
        let mut s = PollSchedule::new(secs(0.5), secs(0.1));
        assert_eq!(
            s.next_delay(Duration::ZERO, f64::NAN),
            secs(0.5),
            "max < min is min"
        );
        for (i, p) in [0u8, 255, 3, 100, 100, 7].into_iter().enumerate() {
            s.record(secs(i as f64), p);
            for jitter in [-1.0, 0.0, 0.5, 2.0, f64::INFINITY] {
                assert_eq!(s.next_delay(secs(i as f64), jitter), secs(0.5));
            }
        }
        // Intervals as long as a `Duration` goes: no overflow.
        let mut s = PollSchedule::new(Duration::MAX, Duration::MAX);
        for (i, p) in [0u8, 0, 50, 60].into_iter().enumerate() {
            s.record(secs(i as f64), p);
            assert_eq!(s.next_delay(secs(i as f64), 1.0), Duration::MAX);
        }
        let mut s = PollSchedule::new(MIN, MAX);
        for n in 0..100 {
            s.record(Duration::MAX, 0);
            let pause = s.next_delay(Duration::MAX, 1.0);
            assert!((MIN..=MAX).contains(&pause), "after {n}: {pause:?}");
        }
    }
}
