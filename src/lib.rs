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
mod client; // Client: the one pipeline every operation goes through
pub mod codes; // the service's error codes, shared by client, emulator and CLI
mod config; // ClientBuilder: base URL, key, timeouts, checked before any request
mod error; // Error (one call, and whether it may have been sent), WaitError, WalkError
pub mod limits; // the API's limits and key rules, shared by client, emulator and CLI
mod paging; // walking every page of a listing
mod poll_queue; // which of many followed jobs to poll next
mod progress; // typed views of describe and list answers
mod rate_limit; // at most N requests in any one second, bursts included
mod redact; // keeping secrets out of Debug, errors and logs
mod request; // CreateImportJob (every source, options) and ListImportJobs, validated before sending
mod retry; // when to retry, and how long to wait
mod schedule; // when to poll a job next: its predicted finish, or a backoff
mod target; // Target: a control-plane cluster or project, or open-source Milvus
mod transport; // the progenitor exec hook: bounded reads, each body read once
mod two_phase; // commit and abort, safe to retry
mod wait; // polling a job until it ends
mod wait_many; // following many jobs at once, as a stream of events

pub use client::Client;
pub use config::{
    CHINA_BASE_URL, ClientBuilder, DEFAULT_MAX_RESPONSE_BYTES, ENV_API_KEY, ENV_BASE_URL,
    GLOBAL_BASE_URL, Region,
};
pub use error::{AbortOnTimeout, Delivery, Error, WaitError, WalkError};
pub use limits::MAX_IDEMPOTENCY_KEY_LEN;
pub use progress::{
    ABORTED_REASON, CreatedImportJob, FileProgress, ImportJobPage, ImportJobSummary,
    ImportProgress, ImportState,
};
pub use redact::REDACTED;
pub use request::{
    CreateImportJob, DEFAULT_MAX_PAGES, IdempotencyKey, ListImportJobs, option_keys,
};
pub use retry::RetryPolicy;
pub use schedule::PollSchedule;
pub use target::{CloudTarget, Target};
pub use transport::Transport;
pub use two_phase::Settled;
pub use wait::{
    DEFAULT_ABORT_GRACE, DEFAULT_MAX_POLL_FAILURES, PollErrorCallback, ProgressCallback,
    WaitOptions, WaitOutcome,
};
pub use wait_many::JobEvent;
