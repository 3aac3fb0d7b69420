//! A strict limit of N requests per second: a sliding window of slots.
//!
//! The promise is "never more than N requests in any one-second window,
//! bursts included". A token bucket or GCRA (what `governor` does) cannot
//! keep it: a full bucket lets N requests out at once and refills while
//! they go, so up to 2N − 1 can fall within one second. A server that
//! counts per second then throttles the excess. Here a request instead holds
//! one of N slots from before it is sent until one second after its answer
//! came, so the second that follows a burst has no room for another.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use tokio::sync::Semaphore;

/// How long a released slot stays used: the length of the window.
const WINDOW: Duration = Duration::from_secs(1);

/// N slots, each used by one request at a time: from before the request is
/// sent ([`Window::acquire`]) until one second after its [`Permit`] is
/// dropped. A new permit is granted only while fewer than N slots are used.
///
/// Why that keeps any one-second window `[w, w + 1 s)` to at most N
/// requests, counted where they were sent or where the server received
/// them: a request granted at `g` whose permit dropped at `d` is sent and
/// received within `[g, d]` (the permit is held until its answer has been
/// read, and the server received the request before it answered), and it
/// holds its slot over `[g, d + 1 s)`. So a request sent or received at `s`
/// in the window holds its slot over `[s, s + 1 s)`, which covers the
/// instants just before `w + 1 s`. At such an instant every request of the
/// window holds a slot at once, and no more than N slots are ever used:
/// they are the permits of one semaphore, and a dropped permit goes back to
/// it only one second later. Half-open windows, that is: a request granted
/// exactly when a slot frees may fall at `w + 1 s`.
///
/// One case the argument misses: an attempt cut short (a timeout, a dropped
/// future) may leave bytes in the network, which a server can receive up to
/// one network delay after the slot began to age.
#[derive(Debug)]
pub(crate) struct Window {
    /// The free slots; tokio's semaphore wakes its waiters in order.
    slots: Arc<Semaphore>,
}

/// One slot of a [`Window`], held while a request is in flight. Dropping it
/// starts the slot's last second.
#[derive(Debug)]
#[must_use = "the slot is released when the permit drops"]
pub(crate) struct Permit<'a> {
    window: &'a Window,
}

/// A used slot, given back to the semaphore when dropped: one second after
/// its permit dropped, or sooner if the runtime drops the task that waits
/// out that second (it is shutting down), so no slot is ever lost.
struct Aging(Arc<Semaphore>);

impl Drop for Aging {
    fn drop(&mut self) {
        self.0.add_permits(1);
    }
}

impl Window {
    /// A window allowing `per_second` requests in any one second.
    pub(crate) fn new(per_second: NonZeroU32) -> Self {
        let n = (per_second.get() as usize).min(Semaphore::MAX_PERMITS);
        Window {
            slots: Arc::new(Semaphore::new(n)),
        }
    }

    /// Waits for a free slot and takes it. Cancelling the wait (dropping the
    /// future) takes nothing: the slot is taken in the same step that
    /// returns the permit.
    pub(crate) async fn acquire(&self) -> Permit<'_> {
        // The semaphore is never closed, so acquiring cannot fail.
        if let Ok(slot) = self.slots.acquire().await {
            slot.forget();
        }
        Permit { window: self }
    }

    /// Waits until a permit could be granted right now, without taking one.
    /// Nothing is reserved: another caller may take the slot before the
    /// caller of `room` asks for it. The multi-job waiter uses it to choose
    /// which job to poll only once a slot is free, so that the job with the
    /// highest priority at that moment gets it.
    pub(crate) async fn room(&self) {
        let _free = self.slots.acquire().await;
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let aging = Aging(Arc::clone(&self.window.slots));
        // Outside a runtime nothing could wait on the window anyway.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                tokio::time::sleep(WINDOW).await;
                drop(aging);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::time::{Instant, sleep, timeout};

    use super::*;

    fn window(n: u32) -> Window {
        Window::new(NonZeroU32::new(n).unwrap())
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Whether `fut` is still pending after `wait` (on the paused clock,
    /// after every timer before then has fired).
    async fn pending_for<F: Future>(wait: Duration, fut: F) -> bool {
        timeout(wait, fut).await.is_err()
    }

    #[test]
    fn permits_and_their_waits_are_send() {
        fn send<T: Send>(_: &T) {}
        let w = window(1);
        send(&w.acquire());
        send(&w.room());
    }

    #[tokio::test(start_paused = true)]
    async fn grants_n_at_once_then_waits_a_second_after_the_first_release() {
        let w = window(3);
        let start = Instant::now();
        let first = w.acquire().await;
        let _second = w.acquire().await;
        let _third = w.acquire().await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        sleep(ms(200)).await;
        drop(first);
        // Released at 200 ms: its slot is used until 1.2 s.
        assert!(pending_for(ms(999), w.acquire()).await);
        let _fourth = w.acquire().await;
        assert_eq!(start.elapsed(), ms(1200));
    }

    #[tokio::test(start_paused = true)]
    async fn a_held_permit_keeps_its_slot_a_second_past_its_release() {
        let w = window(1);
        let start = Instant::now();
        let held = w.acquire().await;
        assert!(pending_for(ms(3000), w.acquire()).await);
        drop(held);
        let _next = w.acquire().await;
        assert_eq!(start.elapsed(), ms(4000));
    }

    #[tokio::test(start_paused = true)]
    async fn room_does_not_take_a_slot() {
        let w = window(1);
        let start = Instant::now();
        w.room().await;
        w.room().await;
        let held = w.acquire().await;
        assert_eq!(start.elapsed(), Duration::ZERO);
        // The one slot is taken now, so there is no room until 1 s after it
        // is released.
        assert!(pending_for(ms(500), w.room()).await);
        drop(held);
        w.room().await;
        assert_eq!(start.elapsed(), ms(1500));
        let _again = w.acquire().await;
        assert_eq!(start.elapsed(), ms(1500));
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_acquire_leaks_no_slot() {
        let w = window(1);
        let start = Instant::now();
        let held = w.acquire().await;
        // Given up while waiting: a leaked slot would block the next
        // acquire forever.
        assert!(pending_for(ms(100), w.acquire()).await);
        drop(held);
        let next = timeout(Duration::from_secs(10), w.acquire()).await;
        assert!(next.is_ok(), "the cancelled waiter kept a slot");
        assert_eq!(start.elapsed(), ms(1100));
        assert_eq!(w.slots.available_permits(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_drop_wakes_a_waiter_that_had_no_release_to_time() {
        // Both slots in flight, no release yet: the waiter sleeps on the
        // notification alone, and must wake to time its wait from the drop.
        let w = Arc::new(window(2));
        let start = Instant::now();
        let a = w.acquire().await;
        let _b = w.acquire().await;
        let waiter = tokio::spawn({
            let w = Arc::clone(&w);
            async move {
                let _p = w.acquire().await;
                start.elapsed()
            }
        });
        sleep(ms(300)).await;
        drop(a);
        let waited = timeout(Duration::from_secs(10), waiter).await;
        assert_eq!(waited.expect("the drop woke no one").unwrap(), ms(1300));
    }

    /// Many tasks holding permits for various times: no one-second window
    /// holds more than N grants, and no instant more than N used slots.
    #[tokio::test(start_paused = true)]
    async fn concurrent_acquirers_never_exceed_n_in_any_second() {
        const N: usize = 5;
        let w = Arc::new(window(N as u32));
        let start = Instant::now();
        let tasks: Vec<_> = (0..60u64)
            .map(|i| {
                let w = Arc::clone(&w);
                tokio::spawn(async move {
                    sleep(ms(i * 53 % 900)).await;
                    let permit = w.acquire().await;
                    let granted = start.elapsed();
                    sleep(ms(i * 37 % 700)).await;
                    drop(permit);
                    (granted, start.elapsed())
                })
            })
            .collect();
        let mut spans = Vec::new();
        for task in tasks {
            spans.push(task.await.unwrap());
        }
        assert_eq!(spans.len(), 60);
        for &(g, _) in &spans {
            let in_window = spans
                .iter()
                .filter(|&&(h, _)| g <= h && h < g + WINDOW)
                .count();
            assert!(in_window <= N, "{in_window} grants in [{g:?}, +1 s)");
            let used = spans
                .iter()
                .filter(|&&(h, d)| h <= g && g < d + WINDOW)
                .count();
            assert!(used <= N, "{used} slots used at {g:?}");
        }
        // Every slot is free again once the last release has aged.
        sleep(WINDOW + ms(1)).await;
        assert_eq!(w.slots.available_permits(), N);
    }

    /// Permits dropped at once come N per second, no faster and no slower:
    /// 12 N requests take 11 s.
    #[tokio::test(start_paused = true)]
    async fn permits_dropped_at_once_come_n_per_second() {
        let w = window(4);
        let start = Instant::now();
        let mut grants = Vec::new();
        for _ in 0..48 {
            drop(w.acquire().await);
            grants.push(start.elapsed());
        }
        for (i, at) in grants.iter().enumerate() {
            assert_eq!(*at, WINDOW * (i / 4) as u32, "grant {i}");
        }
    }
}
