#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// Generated from openapi.yaml by build.rs; nothing in it is written by hand.
pub mod generated;

// Offline helpers: typed httpmock mocks (the emulator is a crate of its
// own, zilliz-import-emulator).
#[cfg(feature = "mock")]
pub mod mock;

// The hand-written layer over the generated client.
mod answer; // what a decoded answer means: data, or the error its code names
mod checks; // what the caller gives, checked before sending, named as the API names it
mod client; // Client: each operation checked, sent, and its answer read
mod codes; // the service's error codes this client acts on
mod collections; // describing a collection: its schema, from Milvus or a cluster endpoint
mod config; // ClientBuilder: base URL, key, timeouts, checked before any request
mod create; // CreateImportJob: a target, a collection and one Source, checked before sending
mod error; // Error (one call, and whether it may have been sent), BuildError
mod hooks; // the generated client's hooks: rate limit, retries, deadlines, bounded reads
mod limits; // the API's limits and key rules
mod list; // ListImportJobs: one page of a target's jobs
mod paging; // walking every page of a listing
mod poll_queue; // which of many followed jobs to poll next
mod progress; // typed views of describe and list answers
mod rate_limit; // at most N requests in any one second, bursts included
mod redact; // keeping secrets out of Debug, errors and logs
mod retry; // when to retry, and how long to wait
mod schedule; // when to poll a job next: its predicted finish, or a backoff
mod source; // Source: object URLs, a volume's paths, or Milvus files
mod target; // Target: a control-plane cluster or project, or open-source Milvus
mod temporary_secret; // TemporarySecret: a credential the service hands out, never shown
mod tls; // rustls with a compiled-in provider, private CAs, client identities
mod two_phase; // commit and abort, safe to retry
mod volumes; // volumes: create, list, describe, delete, and apply for upload credentials
mod wait; // polling a job until it ends
mod wait_many; // following many jobs at once, as a stream of events
mod workflow_error; // WaitError and WalkError: how a wait or a page walk ends

pub use client::Client;
pub use config::{
    CHINA_BASE_URL, ClientBuilder, DEFAULT_MAX_RESPONSE_BYTES, ENV_API_KEY, ENV_BASE_URL,
    GLOBAL_BASE_URL, Region,
};
pub use create::{CreateImportJob, IdempotencyKey, option_keys};
pub use error::{BuildError, Delivery, Error, ErrorKind};
pub use generated::types::{
    CollectionDescription, CollectionField, TemporaryCredentials, Volume, VolumeListData,
    VolumeType, VolumeUpload, VolumeUploadCondition,
};
pub use limits::{DEFAULT_PAGE_SIZE, MAX_IDEMPOTENCY_KEY_LEN};
pub use list::{DEFAULT_MAX_PAGES, ListImportJobs};
pub use progress::{
    ABORTED_REASON, CreatedImportJob, FileProgress, ImportJobPage, ImportJobSummary,
    ImportProgress, ImportState, Settled, WaitOutcome,
};
pub use redact::REDACTED;
pub use retry::RetryPolicy;
#[doc(hidden)]
pub use schedule::PollSchedule;
pub use source::{Groups, Source};
pub use target::{CloudTarget, Target};
pub use temporary_secret::TemporarySecret;
pub use volumes::{ListVolumes, NewVolume};
pub use wait::{
    DEFAULT_ABORT_GRACE, DEFAULT_MAX_POLL_FAILURES, PollErrorCallback, ProgressCallback,
    WaitOptions,
};
pub use wait_many::JobEvent;
pub use workflow_error::{AbortOnTimeout, WaitError, WalkError};
