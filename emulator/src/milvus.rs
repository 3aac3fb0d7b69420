//! Open-source Milvus's REST v2 import operations
//! ([`EmulatorBuilder::milvus`](crate::EmulatorBuilder::milvus)), as its
//! `handler_v2.go` and the proxy's import task answer them: `files` as the
//! source, nothing naming the cluster, the database from the body's `dbName`
//! or the `DB-Name` header, and Milvus's codes (1100, 1801, 1802, 2100).

use crate::call::{Call, DB_NAME_HEADER, Endpoint, Handled, idempotency_key};
use crate::codes;
use crate::reply::Reply;
use crate::rules;
use crate::shared::lock;
use crate::spec::{limits, types};
use crate::store::{Action, Job, JobTarget, NewJob, Source};
use crate::wire::{self, Decoded, Problem, set};

pub(crate) fn handle(call: &Call<'_>, endpoint: Endpoint) -> Handled {
    match endpoint {
        Endpoint::Create => create(call),
        Endpoint::Describe => describe(call),
        Endpoint::List => list(call),
        Endpoint::Commit => settle(call, Action::Commit),
        Endpoint::Abort => settle(call, Action::Abort),
        Endpoint::DescribeCollection => describe_collection(call),
        // Volumes are the control plane's.
        _ => Err(Reply::http(
            axum::http::StatusCode::NOT_FOUND,
            "no such endpoint: volumes are served by the Zilliz Cloud control plane",
        )),
    }
}

/// How Milvus refuses a body that does not decode.
///
/// A value of the wrong JSON type fails Go's decoding: 1801. So does, on
/// the real servers, an option that is not a string (`"auto_commit": false`
/// does not decode into Go's `map[string]string`); the emulator answers
/// that one 1100 (invalid parameter) instead, as the issue that added this
/// mode asks. A client should treat both as "the input was refused".
fn decoded<T>(result: Result<Decoded<T>, Problem>) -> Result<Decoded<T>, Reply> {
    result.map_err(|problem| match problem {
        Problem::Format(m) => Reply::err(
            codes::MILVUS_INCORRECT_PARAMETER_FORMAT,
            format!("can only accept json format request, error: {m}"),
        ),
        Problem::OptionValue(m) => invalid(m),
    })
}

/// 1100, invalid parameter.
fn invalid(message: impl AsRef<str>) -> Reply {
    Reply::err(
        codes::MILVUS_INVALID_PARAMETER,
        format!("invalid parameter: {}", message.as_ref()),
    )
}

/// 1802: a field Go's binding marks `required` is absent (or, for a string, empty).
fn missing(field: &str) -> Reply {
    Reply::err(
        codes::MILVUS_MISSING_PARAMETERS,
        format!("missing required parameters, error: {field} is required"),
    )
}

/// 2100, import failed.
fn import_failed(message: impl Into<String>) -> Reply {
    Reply::err(codes::MILVUS_IMPORT_FAILED, message)
}

/// The database as Milvus picks it: the body's `dbName`, else the `DB-Name`
/// header, else `default`.
fn database(call: &Call<'_>, body: &Option<String>) -> String {
    if let Some(db) = set(body) {
        return db.to_owned();
    }
    call.header(DB_NAME_HEADER)
        .filter(|db| !db.trim().is_empty())
        .unwrap_or_else(|| "default".to_owned())
}

fn create(call: &Call<'_>) -> Handled {
    let d = decoded(wire::create(call.body, true))?;
    let b = &d.body;
    if b.collection_name.trim().is_empty() {
        return Err(missing("collectionName"));
    }
    let names = [("partitionName", &b.partition_name), ("dbName", &b.db_name)];
    if let Some(field) = wire::blank_name(&names) {
        return Err(invalid(format!("{field} must not be blank")));
    }
    if !d.has("files") {
        return Err(missing("files"));
    }
    let idempotency_key = idempotency_key(call.headers)
        .map_err(|problem| invalid(format!("Idempotency-Key {problem}")))?;
    // As the proxy's import task: empty groups go first, then the count,
    // then each group's file type.
    let groups: Vec<Vec<String>> = b.files.iter().filter(|g| !g.is_empty()).cloned().collect();
    if groups.is_empty() {
        return Err(invalid("import request is empty"));
    }
    if groups.len() > limits::MAX_FILE_GROUPS_MILVUS {
        return Err(import_failed(format!(
            "The max number of import files should not exceed {}, but got {}",
            limits::MAX_FILE_GROUPS_MILVUS,
            groups.len()
        )));
    }
    if let Some(problem) = groups.iter().find_map(|g| rules::file_group_problem(g)) {
        return Err(import_failed(problem));
    }
    let new = NewJob {
        target: JobTarget::Milvus,
        db_name: database(call, &b.db_name),
        collection_name: b.collection_name.clone(),
        partition_name: set(&b.partition_name).unwrap_or_default().to_owned(),
        source: Source::Files,
        groups,
        options: b.options.clone().into_iter().collect(),
        idempotency_key,
    };
    call.create_job(new)
}

/// `describe` and `get_progress`: one handler, body `{jobId}`. The job is
/// found by its id alone, in whichever database (the `DB-Name` header is
/// what Milvus checks privileges against, which the emulator does not model).
fn describe(call: &Call<'_>) -> Handled {
    let job_id = job_id(call)?;
    let shared = call.shared;
    let store = lock(&shared.store);
    let Some(job) = store.get(&job_id) else {
        return Err(no_such_job(&job_id));
    };
    let data = progress(call, job);
    drop(store);
    Ok(Reply::ok(&data))
}

/// 2100: no job with this id, as describe answers it.
fn no_such_job(job_id: &str) -> Reply {
    import_failed(format!("import job does not exist, jobID={job_id}"))
}

/// Commit and abort of a two-phase import: body `{jobId}` as describe's
/// (1802 without it, 2100 for an unknown job), then the rules shared with
/// the control plane (see `Call::settle_job`).
fn settle(call: &Call<'_>, action: Action) -> Handled {
    let job_id = job_id(call)?;
    call.settle_job(action, &job_id, &JobTarget::Milvus, || no_such_job(&job_id))
}

/// The body of describe, commit and abort: `{jobId}`, not blank (1802).
fn job_id(call: &Call<'_>) -> Result<String, Reply> {
    let d = decoded(wire::describe(call.body, true))?;
    let job_id = d.body.job_id;
    if job_id.trim().is_empty() {
        return Err(missing("jobId"));
    }
    Ok(job_id)
}

/// Describe's answer as Milvus writes it: no `fileName` for the job,
/// `totalRows` the rows to import from the start, `importedRows` rising with
/// progress, and `reason` only when there is one.
fn progress(call: &Call<'_>, job: &Job) -> types::ImportJobProgressData {
    let shared = call.shared;
    let snap = job.snapshot(shared.clock.now());
    let complete_time = snap
        .finished_at
        .map(|t| shared.clock.rfc3339(t))
        .unwrap_or_default();
    let state = snap.state.describe_name();
    let progress = snap.progress as f64;
    let details: Vec<types::ImportJobFileDetail> = job
        .files
        .iter()
        .map(|f| types::ImportJobFileDetail {
            file_name: Some(f.name().to_owned()),
            file_size: Some(f.size),
            progress: Some(progress),
            complete_time: Some(complete_time.clone()),
            state: Some(state.to_owned()),
            imported_rows: Some(snap.imported(f.rows)),
            total_rows: Some(f.rows),
            reason: Job::file_reason(&snap, f),
        })
        .collect();
    let imported_rows = details
        .iter()
        .filter_map(|f| f.imported_rows)
        .fold(0i64, i64::saturating_add);
    types::ImportJobProgressData {
        job_id: Some(job.id.clone()),
        collection_name: Some(job.collection_name.clone()),
        complete_time: Some(complete_time),
        state: Some(state.to_owned()),
        progress: Some(progress),
        imported_rows: Some(imported_rows),
        total_rows: Some(job.total_rows()),
        reason: Some(job.reason(&snap)).filter(|r| !r.is_empty()),
        file_size: Some(job.file_size()),
        details: Some(details),
        file_name: None,
    }
}

/// `collections/describe`, body `{dbName, collectionName}`: the schema as
/// given, or code 800 for an unknown database and 100 for an unknown
/// collection, in the proxy's words (`describeCollectionTask`).
fn describe_collection(call: &Call<'_>) -> Handled {
    let d = decoded(wire::describe_collection(call.body))?;
    let name = d.body.collection_name;
    if name.trim().is_empty() {
        return Err(missing("collectionName"));
    }
    if let Some(field) = wire::blank_name(&[("dbName", &d.body.db_name)]) {
        return Err(invalid(format!("{field} must not be blank")));
    }
    let db = database(call, &d.body.db_name);
    let collections = &call.shared.config.collections;
    if !collections.has_database(&db) {
        return Err(Reply::err(
            codes::MILVUS_DATABASE_NOT_FOUND,
            format!("database not found[database={db}]"),
        ));
    }
    match collections.get(&db, &name) {
        Some(description) => Ok(Reply::ok(description)),
        None => Err(Reply::err(
            codes::MILVUS_COLLECTION_NOT_FOUND,
            format!("can't find collection[database={db}][collection={name}]"),
        )),
    }
}

/// Every job of the database (optionally of one collection) in `records`
/// alone: no count and no paging, describe's state names.
fn list(call: &Call<'_>) -> Handled {
    let d = decoded(wire::list(call.body, true))?;
    let db_name = database(call, &d.body.db_name);
    let collection = set(&d.body.collection_name);
    let shared = call.shared;
    let now = shared.clock.now();
    let store = lock(&shared.store);
    let records = store
        .iter()
        .filter(|j| j.db_name == db_name && collection.is_none_or(|c| j.collection_name == c))
        .map(|j| {
            let snap = j.snapshot(now);
            types::ImportJobListRecord {
                job_id: Some(j.id.clone()),
                collection_name: Some(j.collection_name.clone()),
                state: Some(snap.state.describe_name().to_owned()),
                progress: Some(snap.progress as f64),
                reason: Some(j.reason(&snap)).filter(|r| !r.is_empty()),
            }
        })
        .collect();
    drop(store);
    Ok(Reply::ok(&types::ImportJobListData {
        records: Some(records),
        ..Default::default()
    }))
}
