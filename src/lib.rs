#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "emulator")]
pub mod emulator;
pub mod generated;
#[cfg(feature = "mock")]
pub mod mock;

mod client;
mod config;
mod error;
mod paging;
mod progress;
mod redact;
mod request;
mod retry;
mod transport;
mod wait;

pub use client::Client;
pub use config::{
    CHINA_BASE_URL, ClientBuilder, DEFAULT_MAX_RESPONSE_BYTES, ENV_API_KEY, ENV_BASE_URL,
    GLOBAL_BASE_URL, Region,
};
pub use error::{Delivery, Error};
pub use progress::{
    CreatedImportJob, FileProgress, ImportJobPage, ImportJobSummary, ImportProgress, ImportState,
};
pub use redact::REDACTED;
pub use request::{CreateImportJob, IdempotencyKey, ListImportJobs, MAX_IDEMPOTENCY_KEY_LEN};
pub use retry::RetryPolicy;
pub use wait::{ProgressCallback, WaitOptions};
