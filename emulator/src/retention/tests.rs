//! Retention over a store: the count and byte limits, jobs that never
//! finish, and forgetting from the middle.

use super::*;
use crate::rules::option_keys;
use crate::store::tests::{D, create, new_job, secs, settle, two_phase};
use crate::store::{Action, JobTarget, NewJob, Refused, Store};

#[test]
fn finished_jobs_beyond_the_limit_are_dropped_oldest_first() {
    let mut store = Store::new(3);
    let at = |s| Duration::from_secs(s);
    let (a, _) = create(&mut store, new_job("s3://b/a", Some("k")), at(0), D, &[]);
    let (b, _) = create(&mut store, new_job("s3://b/b", None), at(1), D, &[]);
    let (c, _) = create(&mut store, new_job("s3://b/c", None), at(2), D, &[]);
    // Four jobs, but the oldest is still running at t=5: nothing dropped.
    let (d, _) = create(&mut store, new_job("s3://b/d", None), at(5), D, &[]);
    assert_eq!(store.len(), 4);
    // At t=11 `a` (done at 10) and `b` (done at 11) have finished; both go
    // to get back to three.
    let (e, _) = create(&mut store, new_job("s3://b/e", None), at(11), D, &[]);
    let held: Vec<&str> = store.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(held, [c.as_str(), d.as_str(), e.as_str()]);
    assert!(store.get(&a).is_none());
    assert!(store.get(&b).is_none());
    assert_eq!(store.get(&c).map(|j| j.id.as_str()), Some(c.as_str()));
    // The key went with its job: reusing it makes a new one.
    let (again, created) = create(&mut store, new_job("s3://b/a", Some("k")), at(11), D, &[]);
    assert!(created);
    assert_ne!(again, a);
    assert_eq!(store.idempotency_len(), 1);
}

#[test]
fn pruning_skips_an_unfinished_job_and_holds_the_limit() {
    let mut store = Store::new(5);
    let waiting = two_phase(&mut store, "s3://b/waiting", "false");
    let mut ids = Vec::new();
    // Each job is done 10 s after its create, long before the next one.
    for i in 1..=20u32 {
        let url = format!("s3://b/{i}");
        let key = format!("k{i}");
        let at = Duration::from_secs(u64::from(i) * 100);
        ids.push(create(&mut store, new_job(&url, Some(&key)), at, D, &[]).0);
        assert_eq!(
            store.len(),
            (usize::try_from(i).unwrap() + 1).min(5),
            "after create {i}"
        );
    }
    let held: Vec<&str> = store.iter().map(|j| j.id.as_str()).collect();
    let mut expected = vec![waiting.as_str()];
    expected.extend(ids[16..].iter().map(String::as_str));
    assert_eq!(
        held, expected,
        "the waiting job, then the newest, in creation order"
    );
    // Lookups by id still find exactly the held jobs.
    assert_eq!(
        store.get(&waiting).map(|j| j.id.as_str()),
        Some(waiting.as_str())
    );
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(store.get(id).is_some(), i >= 16, "{i}");
    }
    // Idempotency keys: a held job's still finds it, a forgotten one's is free.
    let at = Duration::from_secs(2_100);
    let again = create(&mut store, new_job("s3://b/20", Some("k20")), at, D, &[]);
    assert_eq!(again, (ids[19].clone(), false));
    let (new, created) = create(&mut store, new_job("s3://b/1", Some("k1")), at, D, &[]);
    assert!(created);
    assert!(!ids.contains(&new));
    assert_eq!(
        store.idempotency_len(),
        4,
        "keys of the four held auto-commit jobs"
    );
}

#[test]
fn jobs_waiting_for_a_commit_are_never_forgotten() {
    let mut store = Store::new(1);
    let waiting = two_phase(&mut store, "s3://b/a", "false");
    let committing = two_phase(&mut store, "s3://b/b", "false");
    // Both wait at t=10; committing one at t=100 keeps it until t=101.
    assert_eq!(
        settle(&mut store, &committing, Action::Commit, 100.0),
        Ok(())
    );
    create(&mut store, new_job("s3://b/c", None), secs(100.5), D, &[]);
    assert_eq!(store.len(), 3);
    // Once aborted the oldest has finished, as have the other two by
    // t=10^6: all three go, leaving the new one.
    assert_eq!(settle(&mut store, &waiting, Action::Abort, 1e6), Ok(()));
    let (last, _) = create(&mut store, new_job("s3://b/d", None), secs(1e6), D, &[]);
    let held: Vec<&str> = store.iter().map(|j| j.id.as_str()).collect();
    assert_eq!(held, [last.as_str()]);
}

/// The bytes one job of this shape is charged, alone in a store.
fn cost_of(job: NewJob) -> usize {
    let mut store = Store::new(10).with_memory_limit(usize::MAX);
    create(&mut store, job, Duration::ZERO, D, &[]);
    store.bytes()
}

/// Jobs of one shape, each the same size as the others: `i` is written
/// with four digits.
type Shape = fn(usize) -> NewJob;

fn one_long_url(i: usize) -> NewJob {
    new_job(&format!("s3://b/{i:04}/{}", "x".repeat(50_000)), None)
}

fn many_short_urls(i: usize) -> NewJob {
    NewJob {
        groups: (0..1_000)
            .map(|j| vec![format!("s3://b/{i:04}/{j:04}.json")])
            .collect(),
        ..new_job("", None)
    }
}

fn milvus_file_groups(i: usize) -> NewJob {
    NewJob {
        target: JobTarget::Milvus,
        source: Source::Files,
        groups: (0..100)
            .map(|j| (0..5).map(|k| format!("{i:04}/g{j:03}/{k}.npy")).collect())
            .collect(),
        ..new_job("", None)
    }
}

fn many_options(i: usize) -> NewJob {
    NewJob {
        options: (0..300)
            .map(|j| (format!("k{i:04}{j:03}"), "v".repeat(100)))
            .collect(),
        ..new_job("s3://b/a", None)
    }
}

fn long_names_and_key(i: usize) -> NewJob {
    NewJob {
        db_name: "d".repeat(20_000),
        collection_name: format!("{}{i:04}", "c".repeat(20_000)),
        partition_name: "p".repeat(20_000),
        ..new_job("s3://b/a", Some(&format!("{i:04}{}", "k".repeat(1_000))))
    }
}

fn a_volume(i: usize) -> NewJob {
    NewJob {
        source: Source::Volume(format!("{i:04}{}", "v".repeat(30_000))),
        groups: (0..10).map(|j| vec![format!("dir/{j}.parquet")]).collect(),
        ..new_job("", None)
    }
}

const SHAPES: [(&str, Shape); 6] = [
    ("one long URL", one_long_url),
    ("many short URLs", many_short_urls),
    ("Milvus file groups", milvus_file_groups),
    ("many options", many_options),
    ("long names and key", long_names_and_key),
    ("a volume", a_volume),
];

#[test]
fn the_byte_budget_holds_whatever_the_shape_of_the_jobs() {
    for (shape, job) in SHAPES {
        let cost = cost_of(job(0));
        let limit = 20 * cost + cost / 2;
        let mut store = Store::new(10_000).with_memory_limit(limit);
        let mut ids = Vec::new();
        for i in 0..60 {
            // Each job is done 10 s after its create, before the next one.
            let at = Duration::from_secs(100 * u64::try_from(i).unwrap());
            ids.push(create(&mut store, job(i), at, D, &[]).0);
            assert_eq!(store.len(), (i + 1).min(20), "{shape}: after create {i}");
            assert_eq!(
                store.bytes(),
                store.len() * cost,
                "{shape}: kept, not recounted"
            );
            assert!(store.bytes() <= limit, "{shape}");
        }
        let held: Vec<&str> = store.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(held, ids[40..], "{shape}: the newest, in creation order");
        assert_eq!(
            store.idempotency_len(),
            held.len() * usize::from(shape == "long names and key")
        );
    }
}

#[test]
fn what_a_job_holds_is_estimated_from_its_paths_held_once() {
    // The create: 1,000 groups of 1,900-character paths.
    let path = |j: usize| format!("s3://bucket/{j:04}/{}", "p".repeat(1_883));
    assert_eq!(path(0).len(), 1_900);
    let groups: Vec<Vec<String>> = (0..1_000).map(|j| vec![path(j)]).collect();
    let by_url = NewJob {
        groups: groups.clone(),
        ..new_job("", None)
    };
    let on_volume = NewJob {
        source: Source::Volume("v".to_owned()),
        groups: groups.clone(),
        ..new_job("", None)
    };
    let on_milvus = NewJob {
        target: JobTarget::Milvus,
        source: Source::Files,
        groups,
        ..new_job("", None)
    };
    for new in [by_url, on_volume, on_milvus] {
        let mut store = Store::new(10).with_memory_limit(usize::MAX);
        let (id, _) = create(&mut store, new, Duration::ZERO, D, &[]);
        let job = store.get(&id).expect("held");
        for file in &job.files {
            // The name is read from the path, not a copy of it.
            let name = file.name();
            let tail = &file.path[file.path.len() - name.len()..];
            assert!(std::ptr::eq(name, tail), "{} bytes copied", name.len());
            assert_eq!(file.heap_bytes(), 1_900);
        }
        // The paths, plus a few percent for the structs around them.
        let payload = 1_000 * 1_900;
        assert!(
            (payload..payload + payload / 20).contains(&store.bytes()),
            "{}",
            store.bytes()
        );
    }
    // A name that parsing changed is its own string, and is counted.
    let mut store = Store::new(10).with_memory_limit(usize::MAX);
    let (id, _) = create(
        &mut store,
        new_job("s3://b/a b.json", None),
        Duration::ZERO,
        D,
        &[],
    );
    let file = &store.get(&id).expect("held").files[0];
    assert_eq!(file.name(), "a%20b.json");
    assert_eq!(
        file.heap_bytes(),
        "s3://b/a b.json".len() + "a%20b.json".len()
    );
}

/// A job of one 1,000-character URL, two-phase unless `auto_commit` is
/// "1", with the idempotency key `key`.
fn keyed(key: &str, auto_commit: &str) -> NewJob {
    let mut job = new_job(&format!("s3://b/{}", "x".repeat(1_000)), Some(key));
    job.options
        .insert(option_keys::AUTO_COMMIT.to_owned(), auto_commit.to_owned());
    job
}

#[test]
fn a_create_the_unfinished_jobs_leave_no_room_for_stores_nothing() {
    let c = cost_of(keyed("k0", "0"));
    assert_eq!(cost_of(keyed("k0", "1")), c, "jobs of one size");
    let limit = 3 * c + c / 2;
    let mut store = Store::new(10).with_memory_limit(limit);
    let at = |s: u64| Duration::from_secs(s);
    let (finished, _) = create(&mut store, keyed("k0", "1"), at(0), D, &[]);
    let (w1, _) = create(&mut store, keyed("k1", "0"), at(20), D, &[]);
    let (w2, _) = create(&mut store, keyed("k2", "0"), at(20), D, &[]);
    assert_eq!(store.len(), 3);
    // A third waiting job fits once the finished one goes.
    let (w3, _) = create(&mut store, keyed("k3", "0"), at(20), D, &[]);
    let held = |store: &Store| store.iter().map(|j| j.id.clone()).collect::<Vec<_>>();
    assert_eq!(held(&store), [w1.clone(), w2.clone(), w3.clone()]);
    assert!(store.get(&finished).is_none());
    // A fourth does not: refused, and nothing changed.
    let full = Full {
        unfinished: 3 * c,
        needed: c,
        limit,
    };
    assert_eq!(
        store.create(keyed("k4", "0"), at(30), D, &[]),
        Err(Refused::Full(full))
    );
    assert_eq!(held(&store), [w1.clone(), w2.clone(), w3.clone()]);
    assert_eq!((store.bytes(), store.idempotency_len()), (3 * c, 3));
    assert_eq!(
        full.to_string(),
        format!(
            "too many unfinished import jobs: they hold {} bytes and this one needs {c}, \
                 over the emulator's job memory limit of {limit} bytes; retry once jobs have \
                 finished (commit or abort two-phase ones)",
            3 * c
        )
    );
    // Aborted, the oldest has finished: the retry is stored in its place,
    // with the id the refused create would have had.
    assert_eq!(settle(&mut store, &w1, Action::Abort, 40.0), Ok(()));
    let (w4, created) = create(&mut store, keyed("k4", "0"), at(40), D, &[]);
    assert!(created);
    let next: u64 = w3.parse::<u64>().unwrap() + 1;
    assert_eq!(w4, next.to_string());
    assert_eq!(held(&store), [w2, w3, w4.clone()]);
    assert_eq!((store.bytes(), store.idempotency_len()), (3 * c, 3));
    assert_eq!(
        create(&mut store, keyed("k4", "0"), at(40), D, &[]),
        (w4, false)
    );
    // A job larger than the whole budget is refused on an empty store.
    let mut small = Store::new(10).with_memory_limit(c - 1);
    let refused = small.create(keyed("k0", "1"), at(0), D, &[]);
    let too_big = Full {
        unfinished: 0,
        needed: c,
        limit: c - 1,
    };
    assert_eq!(refused, Err(Refused::Full(too_big)));
    assert_eq!(
        (small.len(), small.bytes(), small.idempotency_len()),
        (0, 0, 0)
    );
}

#[test]
fn lookups_and_listing_stay_right_after_pruning_from_the_middle() {
    let mut store = Store::new(4);
    let job = |key: &str, auto_commit: &str| {
        let mut job = new_job(&format!("s3://b/{key}"), Some(key));
        job.options
            .insert(option_keys::AUTO_COMMIT.to_owned(), auto_commit.to_owned());
        job
    };
    let mut make = |key: &str, auto_commit: &str, at: f64| {
        create(&mut store, job(key, auto_commit), secs(at), D, &[]).0
    };
    let a = make("a", "true", 0.0);
    let w = make("w", "false", 0.0);
    let b = make("b", "true", 0.0);
    let c = make("c", "true", 0.0);
    let d = make("d", "true", 100.0);
    let e = make("e", "true", 200.0);
    let check = |store: &Store, held: &[&String], gone: &[&String]| {
        let listed: Vec<&String> = store.iter().map(|j| &j.id).collect();
        assert_eq!(listed, held, "creation order");
        let backwards: Vec<&String> = store.iter().rev().map(|j| &j.id).collect();
        assert!(backwards.iter().eq(held.iter().rev()));
        for id in held {
            assert_eq!(store.get(id).map(|j| &j.id), Some(*id));
        }
        for id in gone {
            assert!(store.get(id).is_none(), "{id}");
        }
        assert_eq!(store.idempotency_len(), held.len());
    };
    // `a` and `b` went, oldest finished first; `w` waits in between.
    check(&store, &[&w, &c, &d, &e], &[&a, &b]);
    // The waiting job's key still finds it; a forgotten one's is free.
    assert_eq!(
        create(&mut store, job("w", "false"), secs(200.0), D, &[]),
        (w.clone(), false)
    );
    assert_eq!(store.len(), 4);
    // Committed at 200 s, it is Committing until 201 s: kept past `c`.
    assert_eq!(settle(&mut store, &w, Action::Commit, 200.0), Ok(()));
    let f = create(&mut store, job("f", "true"), secs(200.5), D, &[]).0;
    check(&store, &[&w, &d, &e, &f], &[&a, &b, &c]);
    // Completed at 201 s, it is now the oldest finished job.
    let g = create(&mut store, job("g", "true"), secs(300.0), D, &[]).0;
    check(&store, &[&d, &e, &f, &g], &[&a, &b, &c, &w]);
    let (again, created) = create(&mut store, job("w", "false"), secs(300.0), D, &[]);
    assert!(created);
    assert_ne!(again, w);
}
