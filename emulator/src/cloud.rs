//! The Zilliz Cloud control plane's operations (the default mode): a
//! cluster (`clusterId`) or a project (`projectId` with `regionId`) in every
//! body, object URLs or a volume as the source, the service's codes.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::call::{Call, Endpoint, Handled, Page, idempotency_key};
use crate::codes;
use crate::reply::Reply;
use crate::rules;
use crate::shared::lock;
use crate::spec::{limits, types};
use crate::store::{Action, Job, JobTarget, Measured, NewJob, Source};
use crate::view::JobState;
use crate::wire::{self, Decoded, Problem, set};

pub(crate) fn handle(call: &Call<'_>, endpoint: Endpoint) -> Handled {
    if endpoint.is_volume() {
        return crate::volumes::handle(call, endpoint);
    }
    match endpoint {
        Endpoint::Create => create(call),
        Endpoint::Describe => describe(call),
        Endpoint::List => list(call),
        Endpoint::Commit => settle(call, Action::Commit),
        Endpoint::Abort => settle(call, Action::Abort),
        // Served by a cluster's own endpoint, not the control plane (the
        // docs give `https://${CLUSTER_ENDPOINT}/v2/vectordb/collections/describe`).
        Endpoint::DescribeCollection => Err(Reply::http(
            StatusCode::NOT_FOUND,
            "no such endpoint: collections/describe is served by a cluster's endpoint",
        )),
        _ => unreachable!("volumes are handled above"),
    }
}

/// `invalid parameter: …`, code 80000.
fn bad(message: impl AsRef<str>) -> Reply {
    Reply::err(
        codes::BAD_PARAMETER,
        format!("invalid parameter: {}", message.as_ref()),
    )
}

fn decoded<T>(result: Result<Decoded<T>, Problem>) -> Result<Decoded<T>, Reply> {
    result.map_err(|problem| match problem {
        Problem::Format(m) | Problem::OptionValue(m) => bad(m),
    })
}

/// The target a body names: a known cluster, or a known project in its
/// region. Empty is 96025 and an unknown cluster 96018, as the service
/// answers; an unknown project, half a project, or a cluster and a project
/// together are 80000.
fn target(
    call: &Call<'_>,
    cluster_id: &Option<String>,
    project_id: &Option<String>,
    region_id: &Option<String>,
) -> Result<JobTarget, Reply> {
    let config = &call.shared.config;
    match (set(cluster_id), set(project_id), set(region_id)) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            Err(bad("set clusterId, or projectId with regionId, not both"))
        }
        (Some(id), None, None) => {
            if config.cluster_ids.contains(id) {
                Ok(JobTarget::Cluster(id.to_owned()))
            } else {
                Err(Reply::err(
                    codes::CLUSTER_NOT_FOUND,
                    format!("cluster not found: clusterId '{id}' does not exist"),
                ))
            }
        }
        (None, Some(project), Some(region)) => {
            let key = (project.to_owned(), region.to_owned());
            if config.projects.contains(&key) {
                Ok(JobTarget::Project {
                    project_id: key.0,
                    region_id: key.1,
                })
            } else {
                Err(bad(format!(
                    "project '{project}' in region '{region}' does not exist"
                )))
            }
        }
        (None, Some(_), None) => Err(bad("projectId goes with regionId, which is empty")),
        (None, None, Some(_)) => Err(bad("regionId goes with projectId, which is empty")),
        (None, None, None) => Err(Reply::err(
            codes::CLUSTER_ID_EMPTY,
            "clusterId is empty: set clusterId to the id of your cluster",
        )),
    }
}

/// `cluster 'in01-…'` or `project 'proj-…' in region '…'`, for messages.
fn named(target: &JobTarget) -> String {
    match target {
        JobTarget::Cluster(id) => format!("cluster '{id}'"),
        JobTarget::Project {
            project_id,
            region_id,
        } => format!("project '{project_id}' in region '{region_id}'"),
        JobTarget::Milvus => "this server".to_owned(),
    }
}

/// 96026: no job `job_id` in `target` (it may exist in another).
fn job_not_found(job_id: &str, target: &JobTarget) -> Reply {
    Reply::err(
        codes::JOB_NOT_FOUND,
        format!(
            "job not found: jobId '{job_id}' does not exist in {}",
            named(target)
        ),
    )
}

/// Groups without their blank paths, and without the groups left empty.
fn nonblank(groups: &[Vec<String>]) -> Vec<Vec<String>> {
    groups
        .iter()
        .map(|g| {
            g.iter()
                .filter(|p| !p.trim().is_empty())
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|g| !g.is_empty())
        .collect()
}

fn create(call: &Call<'_>) -> Handled {
    let d = decoded(wire::create(call.body, false))?;
    let b = &d.body;
    let target = target(call, &b.cluster_id, &b.project_id, &b.region_id)?;
    if b.collection_name.trim().is_empty() {
        return Err(bad("collectionName is required"));
    }
    let names = [("partitionName", &b.partition_name), ("dbName", &b.db_name)];
    if let Some(field) = wire::blank_name(&names) {
        return Err(bad(format!("{field} must not be blank")));
    }
    if b.files.iter().flatten().any(|p| !p.trim().is_empty()) {
        return Err(bad(
            "files are for open-source Milvus; on the control plane set objectUrls \
             (or objectUrl), or volumeName with dataPaths",
        ));
    }
    let mut urls = nonblank(&b.object_urls);
    if let Some(url) = set(&b.object_url) {
        if !urls.is_empty() {
            // The spec: "send exactly one of the two".
            return Err(bad(
                "objectUrl and objectUrls are both set; send one of them",
            ));
        }
        urls.push(vec![url.to_owned()]);
    }
    let volume = set(&b.volume_name);
    let paths = nonblank(&b.data_paths);
    let by_volume = volume.is_some() || !paths.is_empty();
    let (source, groups) = match (by_volume, urls.is_empty()) {
        (true, false) => {
            return Err(bad(
                "set objectUrls (or objectUrl), or volumeName with dataPaths, not both",
            ));
        }
        (true, true) => match volume {
            None => return Err(bad("dataPaths need volumeName")),
            Some(_) if paths.is_empty() => {
                return Err(bad(
                    "volumeName needs dataPaths, one inner list of paths per file group",
                ));
            }
            Some(name) => (Source::Volume(name.to_owned()), paths),
        },
        (false, false) => (Source::ObjectUrls, urls),
        (false, true) => {
            return Err(bad(
                "no data source; set objectUrls (or objectUrl), or volumeName with dataPaths",
            ));
        }
    };
    if groups.len() > limits::MAX_FILE_GROUPS_CLOUD {
        return Err(bad(format!(
            "at most {} file groups per request, got {}",
            limits::MAX_FILE_GROUPS_CLOUD,
            groups.len()
        )));
    }
    sound_source(call, b, &source)?;
    let (missing, measured) = volume_paths(call, &source, &groups);
    let idempotency_key = idempotency_key(call.headers)
        .map_err(|problem| bad(format!("Idempotency-Key {problem}")))?;
    let new = NewJob {
        target,
        db_name: set(&b.db_name).unwrap_or("default").to_owned(),
        collection_name: b.collection_name.clone(),
        partition_name: set(&b.partition_name).unwrap_or_default().to_owned(),
        source,
        groups,
        options: b.options.clone().into_iter().collect(),
        idempotency_key,
    };
    call.create_job_missing(new, &missing, &measured)
}

/// What a volume the emulator holds has of a create's data paths: those
/// that name nothing in its storage (no object, or a folder with none), and
/// the bytes and rows of the others (see
/// [`Storage::measure`](crate::volume_storage::Storage::measure)), so that
/// describe reports the files a client uploaded as they are. The service
/// takes a create naming a missing file and its job fails once the import
/// reads the files (the reference: "Missing files show up later, as a
/// `Failed` job"), so the emulator does the same. A volume it does not hold
/// (one of the tests' or the caller's, made elsewhere), or one in an
/// external store, is not looked into: its files are taken as present.
fn volume_paths(
    call: &Call<'_>,
    source: &Source,
    groups: &[Vec<String>],
) -> (Vec<String>, Vec<Measured>) {
    let Source::Volume(name) = source else {
        return Default::default();
    };
    let Some(prefix) = lock(&call.shared.volumes).prefix(name) else {
        return Default::default();
    };
    if call.shared.config.external.is_some() {
        return Default::default();
    }
    let storage = &call.shared.storage;
    let (mut missing, mut measured) = (Vec::new(), Vec::new());
    for path in groups.iter().flatten() {
        // Nothing outside the volume is read: such a path names nothing in it.
        let outside = path.starts_with('/') || path.split('/').any(|part| part == "..");
        if outside || !storage.holds(&prefix, path) {
            missing.push(path.clone());
        } else if let Some(found) = storage.measure(&prefix, path) {
            measured.push((path.clone(), found));
        }
    }
    (missing, measured)
}

/// What a create's source must be beyond being there: each group as sent
/// (empty ones aside, as Milvus's proxy drops them) sound by
/// [`rules::file_group_problem`], each object URL a URL
/// ([`rules::object_url_problem`]), and storage credentials as
/// [`rules::credentials_problem`] has them.
fn sound_source(
    call: &Call<'_>,
    b: &types::CreateImportJobRequest,
    source: &Source,
) -> Result<(), Reply> {
    let by_volume = matches!(source, Source::Volume(_));
    let (field, groups) = if by_volume {
        ("dataPaths", &b.data_paths)
    } else {
        ("objectUrls", &b.object_urls)
    };
    let sent = groups.iter().filter(|g| !g.is_empty()).enumerate();
    for (n, group) in sent {
        if let Some(problem) = rules::file_group_problem(group) {
            return Err(bad(format!("{field} group {}: {problem}", n + 1)));
        }
    }
    if !by_volume {
        let urls = b.object_urls.iter().flatten().map(String::as_str);
        for url in urls.chain(set(&b.object_url)) {
            if let Some(problem) = rules::object_url_problem(url) {
                return Err(bad(format!("an object URL {problem}")));
            }
        }
    }
    let sent = |key: &str| {
        call.body
            .get(key)
            .and_then(Value::as_str)
            .is_some_and(|v| !v.is_empty())
    };
    match rules::credentials_problem(
        by_volume,
        sent("accessKey"),
        sent("secretKey"),
        sent("token"),
    ) {
        Some(problem) => Err(bad(problem)),
        None => Ok(()),
    }
}

/// The body of describe, commit and abort: the target, checked, and a
/// `jobId` that is not blank.
fn job_reference(call: &Call<'_>) -> Result<(JobTarget, String), Reply> {
    let d = decoded(wire::describe(call.body, false))?;
    let b = d.body;
    let target = target(call, &b.cluster_id, &b.project_id, &b.region_id)?;
    if b.job_id.trim().is_empty() {
        return Err(bad("jobId is required"));
    }
    Ok((target, b.job_id))
}

fn describe(call: &Call<'_>) -> Handled {
    let (target, job_id) = job_reference(call)?;
    let shared = call.shared;
    let store = lock(&shared.store);
    let Some(job) = store.get(&job_id).filter(|j| j.target == target) else {
        return Err(job_not_found(&job_id, &target));
    };
    let data = progress(call, job);
    drop(store);
    Ok(Reply::ok(&data))
}

/// Commit and abort of a two-phase import.
///
/// The control plane's docs do not list these operations. The emulator
/// assumes it serves them as open-source Milvus does, behind the control
/// plane's own checks: the body names the target and `jobId` and is checked
/// exactly as describe's (same codes), the job is found only through the
/// target it was created on (96026 otherwise), and the rules and refusals
/// are Milvus's (code 2100; see `Call::settle_job`). None of this is
/// verified against the real service.
fn settle(call: &Call<'_>, action: Action) -> Handled {
    let (target, job_id) = job_reference(call)?;
    call.settle_job(action, &job_id, &target, || job_not_found(&job_id, &target))
}

/// Describe's answer as the control plane writes it: one `fileName` for the
/// job, `reason` always (empty while fine), `totalRows` 0 until completed.
fn progress(call: &Call<'_>, job: &Job) -> types::ImportJobProgressData {
    let shared = call.shared;
    let snap = job.snapshot(shared.clock.now());
    let complete_time = snap
        .finished_at
        .map(|t| shared.clock.rfc3339(t))
        .unwrap_or_default();
    let completed = snap.state == JobState::Completed;
    let state = snap.state.describe_name();
    let progress = snap.progress as f64;
    let details = job
        .files
        .iter()
        .map(|f| types::ImportJobFileDetail {
            file_name: Some(f.name().to_owned()),
            file_size: Some(f.size),
            state: Some(state.to_owned()),
            progress: Some(progress),
            complete_time: Some(complete_time.clone()),
            reason: Some(Job::file_reason(&snap, f).unwrap_or_default()),
            total_rows: Some(if completed { f.rows } else { 0 }),
            ..Default::default()
        })
        .collect();
    types::ImportJobProgressData {
        job_id: Some(job.id.clone()),
        collection_name: Some(job.collection_name.clone()),
        file_name: Some(job.file_name()),
        file_size: Some(job.file_size()),
        state: Some(state.to_owned()),
        progress: Some(progress),
        complete_time: Some(complete_time),
        reason: Some(job.reason(&snap)),
        total_rows: Some(if completed { job.total_rows() } else { 0 }),
        details: Some(details),
        ..Default::default()
    }
}

/// An integer field: absent, `null` and `""` mean unset; numeric strings are accepted.
fn opt_int(obj: &Map<String, Value>, field: &str) -> Result<Option<i64>, Reply> {
    let not_int = || bad(format!("{field} must be an integer"));
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| not_int()),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(not_int),
        Some(_) => Err(not_int()),
    }
}

fn list(call: &Call<'_>) -> Handled {
    let d = decoded(wire::list(call.body, false))?;
    let b = &d.body;
    let target = target(call, &b.cluster_id, &b.project_id, &b.region_id)?;
    let page = Page::checked(
        opt_int(call.body, "pageSize")?.unwrap_or(rules::DEFAULT_PAGE_SIZE),
        opt_int(call.body, "currentPage")?.unwrap_or(1),
    )?;
    let db_name = set(&b.db_name);
    let collection = set(&b.collection_name);
    let shared = call.shared;
    let now = shared.clock.now();
    let store = lock(&shared.store);
    let matching = store.iter().filter(|j| {
        j.target == target
            && db_name.is_none_or(|db| j.db_name == db)
            && collection.is_none_or(|c| j.collection_name == c)
    });
    let count = matching.clone().count();
    let records = page
        .of(matching)
        .map(|j| {
            let snap = j.snapshot(now);
            types::ImportJobListRecord {
                collection_name: Some(j.collection_name.clone()),
                job_id: Some(j.id.clone()),
                state: Some(snap.state.list_name().to_owned()),
                progress: Some(snap.progress as f64),
                ..Default::default()
            }
        })
        .collect();
    drop(store);
    Ok(Reply::ok(&types::ImportJobListData {
        count: Some(i64::try_from(count).unwrap_or(i64::MAX)),
        current_page: Some(page.number),
        page_size: Some(page.size),
        records: Some(records),
    }))
}
