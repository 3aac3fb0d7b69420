use super::*;
use crate::{ImportState, progress::progress_at};

#[tokio::test(start_paused = true)]
async fn timed_out_jobs_are_aborted_a_few_at_a_time() {
    let client = Client::builder()
        .api_key("k")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let ids = (0..40).map(|n| n.to_string());
    let options = WaitOptions::default().abort_on_timeout(true);
    let mut many = Many::new(client, Target::cluster("c"), ids, options);
    for i in many.queue.drain() {
        let timed_out = many.jobs[i].follow.timed_out(Duration::from_secs(1));
        many.finish(i, Err(timed_out));
    }
    many.send_aborts();
    assert_eq!(many.in_flight.len(), MAX_IN_FLIGHT);
    assert_eq!(many.aborts.len(), 40 - MAX_IN_FLIGHT);
    assert_eq!(many.aborts.front().map(|(i, _)| *i), Some(MAX_IN_FLIGHT));
    assert_eq!(many.open, 40, "none has ended before its abort is answered");
}

#[tokio::test(start_paused = true)]
async fn due_jobs_are_polled_by_when_a_poll_is_needed() {
    let client = Client::builder()
        .api_key("k")
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let ids = ["slow", "fresh", "fast", "stalled"].map(String::from);
    let mut many = Many::new(
        client,
        Target::cluster("c"),
        ids.into_iter(),
        WaitOptions::default(),
    );
    let secs = Duration::from_secs;
    // (job, [(at, percent)], due, pause): slow is to end at 90 s, fast
    // at 22.5 s; stalled was to end at 9 s; fresh has no rate.
    /// (job, readings as (at, percent), due, pause), in seconds.
    type Case = (usize, &'static [(u64, u8)], u64, u64);
    let jobs: [Case; 4] = [
        (0, &[(0, 10), (10, 20)], 19, 9),
        (1, &[(10, 0)], 17, 4),
        (2, &[(0, 10), (10, 50)], 18, 1),
        (3, &[(0, 10), (5, 60), (15, 60)], 16, 8),
    ];
    for (i, seen, _, _) in jobs {
        let job = &mut many.jobs[i];
        for &(at, percent) in seen {
            let answer = Ok(progress_at(ImportState::Importing, percent));
            let options = &mut many.options;
            assert!(matches!(
                job.follow
                    .observe(&job.job_id, answer, secs(at), false, options),
                Seen::Moved(_) | Seen::Same
            ));
        }
    }
    tokio::time::advance(secs(20)).await;
    let now = Instant::now();
    let started = many.started;
    // The order in which the jobs come out of a queue of `plan`, as
    // (job, due, pause) in seconds since the start.
    let order = |many: &mut Many, plan: &[(usize, u64, u64)]| {
        many.queue = PollQueue::default();
        for &(i, due, pause) in plan {
            many.schedule(i, started + secs(due), secs(pause));
        }
        let mut order = vec![];
        while let Some(i) = many.queue.take_most_needed(now) {
            order.push(many.jobs[i].job_id.clone());
        }
        order
    };
    let mut plan: Vec<(usize, u64, u64)> = jobs.iter().map(|&(i, _, d, p)| (i, d, p)).collect();
    // Needed by: fresh 17 + 4 = 21 s, fast 22.5 s (its finish, ahead
    // of its due time), stalled 16 + 8 = 24 s (past its finish), slow
    // 90 s.
    assert_eq!(
        order(&mut many, &plan),
        ["fresh", "fast", "stalled", "slow"]
    );
    // A job not due yet is never chosen.
    plan[1] = (1, 21, 4);
    assert_eq!(order(&mut many, &plan), ["fast", "stalled", "slow"]);
    // A backoff long due goes before a job about to end: no starvation.
    plan[1] = (1, 0, 1);
    assert_eq!(
        order(&mut many, &plan),
        ["fresh", "fast", "stalled", "slow"]
    );
    plan[1] = (1, 0, 23);
    assert_eq!(
        order(&mut many, &plan),
        ["fast", "fresh", "stalled", "slow"]
    );
}
