//! The emulator's jobs: how they are created, found, and how their state follows the clock.

use std::collections::HashMap;
use std::time::Duration;

use super::{EmulatedJob, JobState};

/// How long an `Idempotency-Key` is remembered, as in open-source Milvus.
const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// One file of a job; sizes and rows are derived from the URL so they are stable.
#[derive(Debug)]
pub(crate) struct JobFile {
    pub(crate) url: String,
    pub(crate) name: String,
    pub(crate) size: i64,
    pub(crate) rows: i64,
    pub(crate) fails: bool,
}

/// A job as stored: only what was asked for and when; state is computed on read.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) cluster_id: String,
    pub(crate) db_name: String,
    pub(crate) collection_name: String,
    pub(crate) partition_name: String,
    pub(crate) files: Vec<JobFile>,
    pub(crate) created_at: Duration,
    pub(crate) idempotency_key: Option<String>,
}

/// The state of a job at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub(crate) state: JobState,
    pub(crate) progress: i64,
    /// Emulator time at which the job finished (completed or failed).
    pub(crate) finished_at: Option<Duration>,
}

impl Job {
    pub(crate) fn fails(&self) -> bool {
        self.files.iter().any(|f| f.fails)
    }

    pub(crate) fn file_size(&self) -> i64 {
        self.files.iter().map(|f| f.size).sum()
    }

    pub(crate) fn total_rows(&self) -> i64 {
        self.files.iter().map(|f| f.rows).sum()
    }

    /// Names of all files, comma-separated, as one `fileName` for the whole job.
    pub(crate) fn file_name(&self) -> String {
        let names: Vec<&str> = self.files.iter().map(|f| f.name.as_str()).collect();
        names.join(",")
    }

    /// The first tenth of `duration` is Pending, the rest Importing with progress
    /// rising linearly, then Completed; a failing job stops at half the duration.
    pub(crate) fn snapshot(&self, now: Duration, duration: Duration) -> Snapshot {
        let elapsed = now.saturating_sub(self.created_at);
        if self.fails() {
            let fail_after = duration / 2;
            if elapsed >= fail_after {
                return Snapshot {
                    state: JobState::Failed,
                    progress: progress_at(fail_after, duration),
                    finished_at: Some(self.created_at + fail_after),
                };
            }
        }
        if elapsed >= duration {
            return Snapshot {
                state: JobState::Completed,
                progress: 100,
                finished_at: Some(self.created_at + duration),
            };
        }
        if elapsed < duration / 10 {
            return Snapshot {
                state: JobState::Pending,
                progress: 0,
                finished_at: None,
            };
        }
        Snapshot {
            state: JobState::Importing,
            progress: progress_at(elapsed, duration),
            finished_at: None,
        }
    }
}

/// Percent done while importing: 0 at a tenth of the duration, capped at 99.
fn progress_at(elapsed: Duration, duration: Duration) -> i64 {
    let start = (duration / 10).as_nanos();
    let span = duration.as_nanos().saturating_sub(start).max(1);
    let done = elapsed.as_nanos().saturating_sub(start);
    i64::try_from((done * 100 / span).min(99)).unwrap_or(99)
}

/// What a create asks for, already validated.
#[derive(Debug)]
pub(crate) struct NewJob {
    pub(crate) cluster_id: String,
    pub(crate) db_name: String,
    pub(crate) collection_name: String,
    pub(crate) partition_name: String,
    pub(crate) urls: Vec<String>,
    pub(crate) idempotency_key: Option<String>,
}

type IdemKey = (String, String, String, String);

/// All jobs, in creation order, plus the indexes to find them quickly.
#[derive(Debug)]
pub(crate) struct Store {
    jobs: Vec<Job>,
    by_id: HashMap<String, usize>,
    idempotency: HashMap<IdemKey, (usize, Duration)>,
    id_base: u64,
}

impl Store {
    pub(crate) fn new() -> Self {
        // Ids look like the service's 18-digit decimal ids; a random base keeps
        // two emulators in one process from handing out the same ids.
        let id_base = 448_700_000_000_000_000 + fastrand::u64(0..10_000_000_000_000);
        Self {
            jobs: Vec::new(),
            by_id: HashMap::new(),
            idempotency: HashMap::new(),
            id_base,
        }
    }

    /// Creates a job, or returns the existing one when the idempotency key was
    /// already used for the same cluster, database and collection.
    /// The bool is true when a new job was created.
    pub(crate) fn create(
        &mut self,
        new: NewJob,
        now: Duration,
        fail_substrings: &[String],
    ) -> (String, bool) {
        let idem_key = new.idempotency_key.as_ref().map(|k| {
            (
                k.clone(),
                new.cluster_id.clone(),
                new.db_name.clone(),
                new.collection_name.clone(),
            )
        });
        if let Some(key) = &idem_key
            && let Some(&(index, at)) = self.idempotency.get(key)
            && now.saturating_sub(at) < IDEMPOTENCY_TTL
        {
            return (self.jobs[index].id.clone(), false);
        }
        let index = self.jobs.len();
        let id = (self.id_base + index as u64).to_string();
        let files = new
            .urls
            .into_iter()
            .map(|url| {
                let h = fnv1a(url.as_bytes());
                JobFile {
                    name: object_name(&url),
                    // 1 MiB to ~4 GiB, and 1,000 to ~5 billion rows: plausible, stable.
                    size: 1_048_576 + i64::try_from(h % 4_294_967_296).unwrap_or(0),
                    rows: 1_000 + i64::try_from((h >> 20) % 5_000_000_000).unwrap_or(0),
                    fails: fail_substrings
                        .iter()
                        .any(|s| !s.is_empty() && url.contains(s.as_str())),
                    url,
                }
            })
            .collect();
        self.jobs.push(Job {
            id: id.clone(),
            cluster_id: new.cluster_id,
            db_name: new.db_name,
            collection_name: new.collection_name,
            partition_name: new.partition_name,
            files,
            created_at: now,
            idempotency_key: new.idempotency_key,
        });
        self.by_id.insert(id.clone(), index);
        if let Some(key) = idem_key {
            self.idempotency.insert(key, (index, now));
        }
        (id, true)
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Job> {
        self.by_id.get(id).map(|&i| &self.jobs[i])
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Job> {
        self.jobs.iter()
    }

    pub(crate) fn len(&self) -> usize {
        self.jobs.len()
    }

    pub(crate) fn to_public(&self, now: Duration, duration: Duration) -> Vec<EmulatedJob> {
        self.jobs
            .iter()
            .map(|job| {
                let snap = job.snapshot(now, duration);
                EmulatedJob {
                    job_id: job.id.clone(),
                    cluster_id: job.cluster_id.clone(),
                    db_name: job.db_name.clone(),
                    collection_name: job.collection_name.clone(),
                    partition_name: job.partition_name.clone(),
                    object_urls: job.files.iter().map(|f| f.url.clone()).collect(),
                    file_name: job.file_name(),
                    file_size: job.file_size(),
                    total_rows: job.total_rows(),
                    state: snap.state,
                    progress: snap.progress,
                    idempotency_key: job.idempotency_key.clone(),
                    created_at: job.created_at,
                    finished_at: snap.finished_at,
                }
            })
            .collect()
    }
}

/// 64-bit FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The object's key within its bucket, as the service reports it in `fileName`.
///
/// `s3://bucket/key` gives `key`; a path-style `https://host/bucket/key` gives
/// `key`; anything unparsable gives the part after the last `/`.
pub(crate) fn object_name(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(u) => {
            let path = u.path().trim_start_matches('/');
            let key = if matches!(u.scheme(), "http" | "https") {
                match path.split_once('/') {
                    Some((_bucket, key)) if !key.is_empty() => key,
                    _ => path,
                }
            } else {
                path
            };
            if key.is_empty() {
                raw.to_owned()
            } else {
                key.to_owned()
            }
        }
        Err(_) => raw.rsplit('/').next().unwrap_or(raw).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names() {
        assert_eq!(
            object_name(
                "https://s3.us-west-2.amazonaws.com/publicdataset.zillizcloud.com/medium_articles_2020_dpr/medium_articles_2020_dpr.json"
            ),
            "medium_articles_2020_dpr/medium_articles_2020_dpr.json"
        );
        assert_eq!(object_name("s3://bucket/dir/a.parquet"), "dir/a.parquet");
        assert_eq!(object_name("not a url/x.json"), "x.json");
    }

    #[test]
    fn progress_curve() {
        let d = Duration::from_secs(10);
        assert_eq!(progress_at(Duration::from_secs(1), d), 0);
        assert_eq!(progress_at(Duration::from_millis(5_500), d), 50);
        assert_eq!(progress_at(Duration::from_secs(5), d), 44);
        assert_eq!(progress_at(Duration::from_secs(10), d), 99);
    }
}
