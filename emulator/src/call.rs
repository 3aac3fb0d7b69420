//! One authorized request with its body parsed, as the mode's operations
//! (`cloud.rs`, `milvus.rs`) read it, and the steps both modes share:
//! storing a create, settling a commit or an abort.

use axum::http::{HeaderMap, Uri};
use serde_json::{Map, Value};

use crate::codes;
use crate::reply::Reply;
use crate::rules;
use crate::shared::{Mode, Shared, lock};
use crate::spec::types;
use crate::store::{Action, JobTarget, Measured, NewJob, Refused};

/// The header open-source Milvus reads the database from.
pub(crate) const DB_NAME_HEADER: &str = "db-name";

/// The header that makes a create idempotent.
pub(crate) const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// The operations; `describe` and both progress paths are one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Create,
    Describe,
    List,
    /// A two-phase import's commit.
    Commit,
    /// A two-phase import's abort.
    Abort,
    /// `collections/describe`: a collection's schema.
    DescribeCollection,
    /// The control plane's volumes (`volumes.rs`).
    CreateVolume,
    ListVolumes,
    DescribeVolume,
    DeleteVolume,
    ApplyVolume,
}

impl Endpoint {
    /// Whether the operation is a volume's: served by the control plane
    /// alone, some of them without a body (GET, DELETE).
    pub(crate) fn is_volume(self) -> bool {
        matches!(
            self,
            Endpoint::CreateVolume
                | Endpoint::ListVolumes
                | Endpoint::DescribeVolume
                | Endpoint::DeleteVolume
                | Endpoint::ApplyVolume
        )
    }
}

/// What an operation answers: `Err` for a refusal, so `?` can end it early.
pub(crate) type Handled = Result<Reply, Reply>;

/// One authorized request with its body parsed: what an operation reads.
pub(crate) struct Call<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) headers: &'a HeaderMap,
    /// The path and query (a volume's name, list's paging).
    pub(crate) uri: &'a Uri,
    /// The JSON body; empty for GET and DELETE.
    pub(crate) body: &'a Map<String, Value>,
    /// For an apply with an external store: the credentials its STS issued
    /// (fetched before the handler runs, which does not wait).
    pub(crate) issued: Option<crate::volume_sts::Issued>,
}

impl Call<'_> {
    /// A header's value as text (lossy), if sent.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        header_string(self.headers, name)
    }

    /// Stores a validated create (or finds the job its idempotency key
    /// made) and answers with its id, as both modes do; refuses a `timeout`
    /// or an `auto_commit` option that does not parse with the mode's invalid
    /// parameter code (1100 on Milvus, 80000 on the control plane), and a
    /// job the memory budget has no room for beside the unfinished ones
    /// with the mode's "too many jobs, retry later" code (2100 on Milvus,
    /// as when it runs too many jobs; 47055 on the control plane).
    pub(crate) fn create_job(&self, new: NewJob) -> Handled {
        self.create_job_missing(new, &[], &[])
    }

    /// [`Call::create_job`], the job's files whose path is in `missing`
    /// marked missing from their volume (a new job only, under the same
    /// lock), so the job fails, and those in `measured` given the bytes
    /// and rows found in the volume.
    pub(crate) fn create_job_missing(
        &self,
        new: NewJob,
        missing: &[String],
        measured: &[Measured],
    ) -> Handled {
        let shared = self.shared;
        let mut store = lock(&shared.store);
        let created = store.create(
            new,
            shared.clock.now(),
            shared.config.job_duration(),
            &shared.config.fail_substrings,
        );
        if let Ok((job_id, true)) = &created
            && !missing.is_empty()
        {
            store.mark_missing(job_id, missing);
        }
        if let Ok((job_id, true)) = &created
            && !measured.is_empty()
        {
            store.set_measured(job_id, measured);
        }
        drop(store);
        let mode = shared.config.mode;
        let (job_id, _created) = created.map_err(|refused| match refused {
            Refused::InvalidOption(problem) => invalid_parameter(mode, &problem),
            Refused::Full(full) => match mode {
                Mode::Cloud => Reply::err(codes::CLUSTER_BUSY, full.to_string()),
                Mode::Milvus => Reply::err(
                    codes::MILVUS_IMPORT_FAILED,
                    format!("import failed: {full}"),
                ),
            },
        })?;
        Ok(Reply::ok(&types::CreatedImportJobData { job_id }))
    }

    /// Commits or aborts the job `job_id` of `target`, as both modes do
    /// once they have read the body their way: `not_found` answers when no
    /// such job is held there; a refusal (see
    /// [`Job::settle`](crate::store::Job::settle) for the rules) is code
    /// 2100 with the job and its state named; success is
    /// `{"code":0,"data":{}}`.
    pub(crate) fn settle_job(
        &self,
        action: Action,
        job_id: &str,
        target: &JobTarget,
        not_found: impl FnOnce() -> Reply,
    ) -> Handled {
        let shared = self.shared;
        let mut store = lock(&shared.store);
        // Read under the lock, so settlements of one job are in clock order.
        let now = shared.clock.now();
        let Some(settled) = store.settle(job_id, target, action, now) else {
            return Err(not_found());
        };
        drop(store);
        settled.map_err(|refusal| Reply::err(codes::MILVUS_IMPORT_FAILED, refusal))?;
        Ok(Reply::ok(&Map::new()))
    }
}

/// A page of a control-plane listing (jobs, volumes): its size and number
/// as sent, checked as the service checks them.
pub(crate) struct Page {
    pub(crate) size: i64,
    pub(crate) number: i64,
}

impl Page {
    /// `pageSize` out of the spec's range is 96008, a `currentPage` below 1
    /// 96009, as the control plane answers.
    pub(crate) fn checked(size: i64, number: i64) -> Result<Page, Reply> {
        let sizes = crate::spec::limits::PAGE_SIZES;
        if !sizes.contains(&size) {
            return Err(Reply::err(
                codes::PAGE_SIZE_OUT_OF_RANGE,
                format!(
                    "pageSize must be between {} and {}, got {size}",
                    sizes.start(),
                    sizes.end()
                ),
            ));
        }
        if number < 1 {
            return Err(Reply::err(
                codes::CURRENT_PAGE_OUT_OF_RANGE,
                format!("currentPage must be at least 1, got {number}"),
            ));
        }
        Ok(Page { size, number })
    }

    /// The page's items of `all`.
    pub(crate) fn of<I: Iterator>(&self, all: I) -> impl Iterator<Item = I::Item> {
        let size = usize::try_from(self.size).unwrap_or(usize::MAX);
        let skip = usize::try_from(self.number - 1)
            .unwrap_or(usize::MAX)
            .saturating_mul(size);
        all.skip(skip).take(size)
    }
}

/// `invalid parameter: …` with the mode's code for it.
pub(crate) fn invalid_parameter(mode: Mode, what: &str) -> Reply {
    let code = match mode {
        Mode::Cloud => codes::BAD_PARAMETER,
        Mode::Milvus => codes::MILVUS_INVALID_PARAMETER,
    };
    Reply::err(code, format!("invalid parameter: {what}"))
}

/// The `Idempotency-Key` header: `None` when absent or empty, the reason
/// when it breaks [`rules::idempotency_key_problem`]'s rule.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, String> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY_HEADER) else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    if let Some(problem) = rules::idempotency_key_problem(bytes) {
        return Err(problem);
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()).filter(|k| !k.is_empty()))
}

pub(crate) fn header_string(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}
