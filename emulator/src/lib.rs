//! A local, in-process stand-in for the bulk-import REST API
//! (`/v2/vectordb/jobs/import/*`), as Zilliz Cloud's control plane or as
//! open-source Milvus serves it.
//!
//! It exists so the client, the CLI and their tests can be exercised offline,
//! repeatably and fast: jobs move through `Pending`, `Importing` and
//! `Completed` (or `Failed`; a two-phase import waits in `Uncommitted` for a
//! commit or an abort) on a clock that tests can drive by hand, errors
//! come back with the services' codes inside their `{code, message}`
//! envelope, and recent requests are recorded (with credentials redacted)
//! for inspection.
//!
//! # An independent witness
//!
//! The emulator does not depend on the client crate. It reads the spec the
//! client is generated from, `openapi.yaml`, on its own (see its
//! `build.rs`): bodies are decoded into, and answers built from, the types
//! progenitor generates from it, and the rules the spec's request schemas
//! state (the most file groups, the page sizes, the idempotency key's
//! length, the required fields) are read from it. The rules the spec cannot
//! state (codes, option values, file formats, who takes which source) the
//! emulator states itself, from the services' documentation, citing it. A
//! test of the client against the emulator is then a test of two readings,
//! not of one rule against itself.
//!
//! # Two modes
//!
//! **Control plane** (the default) answers as `api.cloud.zilliz.com`:
//!
//! - the bearer token is an API key (default `emulator-key`); a wrong one is
//!   HTTP 401, code 21119;
//! - every body names a cluster (`clusterId`, one of
//!   [`EmulatorBuilder::cluster_ids`]) or a project (`projectId` with
//!   `regionId`, one of [`EmulatorBuilder::projects`]); a job is found by
//!   describe and list only through the target it was created on;
//! - a create reads object URLs (`objectUrls`, or the single `objectUrl`,
//!   not both) or a volume (`volumeName` with `dataPaths`), at most as many
//!   groups as the spec's `maxItems` (1,000), each group sound (no blank
//!   path; one file per group for JSON, JSONL, Parquet and CSV; empty groups
//!   are dropped, as Milvus drops them), each object URL a URL with a host,
//!   and string `options`; storage credentials (`accessKey` with
//!   `secretKey`, and `token` with both) only with object URLs; `files` is
//!   refused; all with code 80000;
//! - list pages (`pageSize` within the spec's bounds, 1 to 100,
//!   `currentPage`) and answers `count`, `currentPage`, `pageSize` and
//!   `records`, naming `Importing` `InProgress`;
//! - commit and abort (see [Two-phase imports](#two-phase-imports)) take a
//!   body checked exactly as describe's (target, then `jobId`) and find the
//!   job only through the target it was created on (96026 otherwise). The
//!   control plane's docs do not list these two operations: that it serves
//!   them, and as open-source Milvus does (refusals are Milvus's code 2100),
//!   is an assumption of the emulator, not verified.
//!
//! **Open-source Milvus** ([`EmulatorBuilder::milvus`]) answers as Milvus's
//! REST v2 handlers do:
//!
//! - the bearer token is `user:password`, default [`DEFAULT_MILVUS_TOKEN`];
//!   a wrong or missing one is HTTP 401, code 1800;
//! - nothing names the cluster: `clusterId`, `objectUrls` and every other key
//!   Milvus does not read are ignored, as Go's JSON decoding ignores them;
//! - a create needs `collectionName` and `files` (1802 without), takes at
//!   most as many groups as the spec's `maxItems` of `files` (1,024), empty
//!   groups dropped, no blank path and one file per group for JSON, JSONL,
//!   Parquet and CSV (2100 otherwise), and string `options` (1100
//!   otherwise; `null` reads as `""`); a body that is not JSON is 1801;
//! - `describe` and `get_progress` take `{jobId}` and answer `importedRows`
//!   and `totalRows` (the rows to import), `reason` only when there is one,
//!   and no job-level `fileName`; an unknown job is 2100;
//! - list takes `collectionName` and `dbName` and answers every matching job
//!   in `records` alone, with describe's state names;
//! - the database is the body's `dbName`, else the `DB-Name` header, else
//!   `default`;
//! - commit and abort take `{jobId}` as describe does (1802 without it,
//!   2100 for an unknown job);
//! - `collections/describe` takes `{dbName, collectionName}` (1802 without
//!   the name) and answers the schema of a collection it knows
//!   ([`EmulatorBuilder::collection`]; [`DEFAULT_COLLECTION`] unless
//!   replaced), 800 for a database it has none in, 100 for an unknown
//!   collection (`can't find collection[database=DB][collection=NAME]`).
//!   The control plane answers that path HTTP 404: a cluster's own
//!   endpoint serves it.
//!
//! Both modes take what the official SDKs send: every key present, with
//! `""` or `null` for the unset ones, and ids as numbers; a `partitionName`
//! or `dbName` of only spaces is refused as an invalid parameter (80000;
//! 1100 on Milvus). Both read the option `timeout` as Go's
//! `time.ParseDuration` does and refuse one that does not parse, as they
//! refuse an `auto_commit` that does not (see
//! [Two-phase imports](#two-phase-imports)). Both honour `Idempotency-Key`
//! on create (printable ASCII, at most the spec's `maxLength`, 256 bytes;
//! an empty one counts as none); both record the `DB-Name` header. The
//! fail needle ([`EmulatorBuilder::fail_when_url_contains`]) applies to
//! every path: URLs, volume paths and files.
//!
//! A job's files report a size and rows made up from their paths (stable
//! from one run to the next), except the files of a volume the emulator
//! holds: those report the bytes uploaded and the rows they hold (a Parquet
//! file's footer count, a JSONL file's lines; other formats' rows are made
//! up too).
//!
//! List results are returned in creation order (oldest first).
//!
//! # Volumes
//!
//! The control plane also serves volumes (`/v2/volumes`: create, list,
//! describe, delete, apply; the rules are stated in `volumes.rs`, refusals
//! 80000; Milvus mode answers HTTP 404). Their files are kept in a local
//! directory ([`EmulatorBuilder::volume_dir`], a temporary one by default)
//! served as an S3-compatible endpoint on a second listener
//! ([`EmulatorHandle::volume_storage_url`]; `s3s` over `s3s-fs`): apply
//! answers that endpoint, the bucket `emulator-volumes`, region
//! `us-east-1`, cloud `aws`, the prefix `<volume>/`, the builder's
//! `condition` ([`EmulatorBuilder::volume_condition`]) and fresh keys with a
//! session token that the endpoint checks (SigV4), which expire on the
//! emulator's clock ([`EmulatorBuilder::volume_credentials_lifetime`]) and
//! write only under the folder applied for. An import from a volume the
//! emulator holds, naming a file that is not there (or a folder holding
//! none), is taken and its job fails, as the service's does, with the
//! reason `failed to get file size of PATH: NoSuchKey: ...`; a volume the
//! emulator does not hold is taken as before, its files present.
//!
//! Given an external S3-compatible store instead
//! ([`EmulatorBuilder::volume_object_store`]), apply answers that store and
//! credentials from its STS (`AssumeRole`) where it has one, else the
//! store's own keys; the emulator then does not look into the store.
//!
//! # Two-phase imports
//!
//! As open-source Milvus does (milvus-io/milvus#48524, #50692), and on both
//! modes, a job created with the option `auto_commit` set to `"false"`
//! imports its data, then waits in `Uncommitted` (progress 99, no
//! `completeTime`) for as long as it takes, until:
//!
//! - `POST /v2/vectordb/jobs/import/commit`: the job is `Committing`
//!   (progress 99) for a tenth of the job duration, then `Completed`
//!   (progress 100, `completeTime` a tenth of the duration after the commit);
//! - `POST /v2/vectordb/jobs/import/abort`: the job is `Failed` at once,
//!   with the reason [`ABORTED_REASON`], its progress
//!   as it was and `completeTime` the moment of the abort. A job can be
//!   aborted while `Pending` or `Importing` too, whether it commits itself
//!   or not.
//!
//! Both answer `{"code":0,"data":{}}`. Refused, with code 2100 and a message
//! naming the job and its state: a commit of a job that is not
//! `Uncommitted`; an abort of a job that is `Committing` or `Completed` (an
//! auto-commit job that completed, say) or that failed on its own. Aborting
//! an aborted job again succeeds and changes nothing (as since #50692; older
//! servers refused it). A job whose files fail (see
//! [`EmulatorBuilder::fail_when_url_contains`]) still fails at half its
//! duration, with its own reason, unless it was aborted before.
//!
//! `auto_commit` is read as Milvus reads it, with Go's `strconv.ParseBool`:
//! `1`, `t`, `T`, `TRUE`, `true`, `True` and `0`, `f`, `F`, `FALSE`,
//! `false`, `False`; absent, it is true. Any other value refuses the create
//! as an invalid parameter (1100 on Milvus, 80000 on the control plane);
//! what the real servers do with such a value is unverified.
//!
//! # Bounds
//!
//! The emulator can be left running (`zilliz-import emulator`) and faced with
//! any client, so everything it holds or waits for is bounded:
//!
//! - the request log is a ring of the most recent requests
//!   ([`DEFAULT_REQUEST_LOG_CAPACITY`] entries and [`REQUEST_LOG_MAX_BYTES`]
//!   bytes; see [`EmulatorBuilder::request_log_capacity`]);
//! - a request's body is read only after its path, method and bearer token
//!   have been accepted, and at most [`MAX_BODY_BYTES`] of it;
//! - the jobs held are bounded in count and in bytes: finished jobs are
//!   forgotten, oldest first, to keep at most [`DEFAULT_JOB_LIMIT`] jobs
//!   ([`EmulatorBuilder::job_limit`]) and [`DEFAULT_JOB_MEMORY_LIMIT`]
//!   bytes ([`EmulatorBuilder::job_memory_limit`]), whatever their shape;
//!   running jobs are kept, and so are two-phase jobs until they are
//!   committed or aborted, past the count but not past the bytes: a create
//!   that unfinished jobs leave no room for is refused (47055; 2100 on
//!   Milvus), storing nothing;
//! - a request head must arrive within [`DEFAULT_HEADER_READ_TIMEOUT`], which
//!   also closes idle keep-alive connections; a body within
//!   [`DEFAULT_BODY_READ_TIMEOUT`]; and a write that makes no progress for
//!   [`DEFAULT_WRITE_TIMEOUT`] closes the connection.

#![deny(missing_docs)]

mod builder; // Emulator and EmulatorBuilder: settings, then start
mod call; // one authorized request, and the steps both modes share
mod clock; // emulator time: real, or a manual clock tests push forward
mod cloud; // the control plane's operations
mod codes; // the services' envelope codes
mod collections; // the collections describe knows, with their schemas
mod handle; // EmulatorHandle: a running emulator's controls
mod log; // the request log and RecordedRequest
mod milvus; // open-source Milvus's operations
mod redact; // what the request log keeps of a body
mod reply; // an answer: status, envelope, recorded code
mod retention; // which jobs are kept within the count and byte limits
mod routes; // the router, auth, body reading, recording
mod rules; // the services' rules the spec does not state
mod server; // the accept loop and connections, with their timeouts
mod shared; // what the server task and the handle share
mod spec; // what is read from openapi.yaml: wire types and request limits
mod store; // the jobs: create, find, settle, state over time
mod view; // JobState and EmulatedJob, as tests see them
mod volume_storage; // the volumes' files, served as an S3-compatible endpoint
mod volume_sts; // volumes in an external S3 store, with its STS credentials
mod volumes; // the control plane's volumes: create, list, describe, delete, apply
mod wire; // request bodies, normalised and decoded into the spec's types

use std::time::Duration;

pub use builder::{
    DEFAULT_VOLUME_CREDENTIALS_LIFETIME, DEFAULT_VOLUME_MAX_CONTENT_LENGTH,
    DEFAULT_VOLUME_MAX_FILE_NUMBER, Emulator, EmulatorBuilder,
};
pub use collections::DEFAULT_COLLECTION;
pub use handle::EmulatorHandle;
pub use log::RecordedRequest;
pub use rules::ABORTED_REASON;
pub use store::ProgressModel;
pub use view::{EmulatedJob, JobState};

/// The bearer token open-source Milvus accepts out of the box
/// (`user:password` of its root user), and the one the emulator accepts in
/// [Milvus mode](EmulatorBuilder::milvus) unless
/// [`EmulatorBuilder::api_key`] sets another.
pub const DEFAULT_MILVUS_TOKEN: &str = "root:Milvus";

/// How many requests [`EmulatorHandle::requests`] keeps by default: enough
/// for a load test of ten thousand calls, a few megabytes for typical bodies.
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 16_384;

/// The most the request log holds in bytes (strings and bodies as recorded),
/// whatever its capacity; older entries are dropped first to stay under it.
pub const REQUEST_LOG_MAX_BYTES: usize = 32 * 1024 * 1024;

/// Largest request body accepted (as received); a larger one is answered
/// HTTP 413 without being read further.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Largest body (as received) that the request log records; a larger one is
/// handled normally but recorded as `Null`.
pub const MAX_RECORDED_BODY_BYTES: usize = 64 * 1024;

/// How many jobs are kept by default before finished ones are forgotten.
pub const DEFAULT_JOB_LIMIT: usize = 10_000;

/// How many bytes of jobs are kept by default (see
/// [`EmulatorBuilder::job_memory_limit`]): 256 MiB, room for the default
/// 10,000 jobs of a few files each, or for about 130 of the largest creates
/// a body can hold (1,000 groups of 1,900-character paths).
pub const DEFAULT_JOB_MEMORY_LIMIT: usize = 256 * 1024 * 1024;

/// How long a client has to send a whole request head, and how long a
/// keep-alive connection may sit idle, by default.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client has to send a whole request body, by default.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long writing an answer may make no progress (the client not reading)
/// before the connection is closed, by default.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);
