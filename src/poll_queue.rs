//! Which of many followed jobs to poll next, in logarithmic time.
//!
//! A wait for many jobs asks, before every poll, which due job needs its
//! poll soonest, and, before every sleep, when the next job falls due.
//! Scanning every job for each answer made a wait for n jobs cost n² (a
//! wait for 100,000 ids spent a minute of CPU before its first timeout);
//! two heaps answer both in O(log n).

use std::{cmp::Reverse, collections::BinaryHeap};

use tokio::time::Instant;

/// The jobs that wait for their next poll, by index: each at most once (a
/// job is taken out when its poll starts, or when the wait ends it).
#[derive(Debug, Default)]
pub(crate) struct PollQueue {
    /// Jobs not due yet, earliest first: (due, needed by, index).
    later: BinaryHeap<Reverse<(Instant, Instant, usize)>>,
    /// Jobs due, the most needed first: (needed by, index). Of two needed
    /// at the same instant, the one given first.
    due: BinaryHeap<Reverse<(Instant, usize)>>,
}

impl PollQueue {
    /// Job `index` falls due at `due`, and its poll is needed by `needed`.
    pub(crate) fn push(&mut self, index: usize, due: Instant, needed: Instant) {
        self.later.push(Reverse((due, needed, index)));
    }

    /// The jobs due by `now` join the due ones.
    fn promote(&mut self, now: Instant) {
        while let Some(Reverse((due, needed, index))) = self.later.peek().copied()
            && due <= now
        {
            self.later.pop();
            self.due.push(Reverse((needed, index)));
        }
    }

    /// The job due by `now` whose poll is needed soonest; it stays queued.
    pub(crate) fn most_needed(&mut self, now: Instant) -> Option<usize> {
        self.promote(now);
        self.due.peek().map(|Reverse((_, index))| *index)
    }

    /// As [`PollQueue::most_needed`], taken out of the queue.
    pub(crate) fn take_most_needed(&mut self, now: Instant) -> Option<usize> {
        self.promote(now);
        self.due.pop().map(|Reverse((_, index))| index)
    }

    /// When the next job not yet due falls due.
    pub(crate) fn next_due(&self) -> Option<Instant> {
        self.later.peek().map(|Reverse((due, _, _))| *due)
    }

    /// Takes every queued job out, in index order.
    pub(crate) fn drain(&mut self) -> Vec<usize> {
        let mut all: Vec<usize> = self.due.drain().map(|Reverse((_, i))| i).collect();
        all.extend(self.later.drain().map(|Reverse((_, _, i))| i));
        all.sort_unstable();
        all
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn due_jobs_come_out_most_needed_first_and_the_rest_wait() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut q = PollQueue::default();
        q.push(0, t0 + s(5), t0 + s(9));
        q.push(1, t0 + s(1), t0 + s(8));
        q.push(2, t0 + s(2), t0 + s(3));
        q.push(3, t0 + s(1), t0 + s(3));
        assert_eq!(q.most_needed(t0), None, "none due yet");
        assert_eq!(q.next_due(), Some(t0 + s(1)));
        // At 2 s three are due: needed by 3 s (2 and 3: the first given
        // first), then 8 s.
        assert_eq!(q.most_needed(t0 + s(2)), Some(2));
        assert_eq!(q.take_most_needed(t0 + s(2)), Some(2));
        assert_eq!(q.take_most_needed(t0 + s(2)), Some(3));
        assert_eq!(q.next_due(), Some(t0 + s(5)), "job 1 is due, not waiting");
        assert_eq!(q.take_most_needed(t0 + s(2)), Some(1));
        assert_eq!(q.take_most_needed(t0 + s(2)), None);
        q.push(3, t0 + s(7), t0 + s(7));
        assert_eq!(q.drain(), [0, 3]);
        assert_eq!((q.next_due(), q.most_needed(t0 + s(99))), (None, None));
    }
}
