//! Resumable, concurrent uploads of local files and folders to a Zilliz
//! Cloud volume (through the temporary credentials its `apply` hands out)
//! or to the user's own bucket, on `object_store`.
//!
//! - **Keys** as the SDKs build them: `prefix + path + relative path` (a
//!   single file: its name).
//! - **Parts** of the SDKs' size (`max(5 MiB, size / 1000)` rounded up to
//!   MiB, at most 10,000 parts); a file smaller than one part is one PUT.
//!   Parts of all files go concurrently under one bound, each read from
//!   its file only when its turn comes, so memory stays at
//!   `concurrency * part size` plus a constant.
//! - **Retries**: throttling, 5xx and time-outs are sent again with a
//!   backoff; refused or expiring volume credentials are renewed (apply
//!   again) [`REFRESH_MARGIN`] before `expireTime` and when the store
//!   refuses them.
//! - **Resumable**: a journal beside each source (see [`journal`]) keeps
//!   the upload id and the completed parts; the same call after a crash or
//!   Ctrl-C sends no completed part again. An object already there with
//!   the same size is skipped.
//! - **Quota**: a volume's `maxContentLength` and `maxFileNumber` are
//!   checked before anything is sent.
//! - **Secrets** (secret keys, session tokens) never show in `Debug`,
//!   errors, logs or journals.

mod bucket;
mod credentials;
mod destination;
mod direct;
mod error;
pub mod journal;
mod plan;
mod report;
mod request;
mod transfer;
mod uploader;
#[cfg(feature = "volumes")]
mod volume_grants;

pub use bucket::{BucketCloud, BucketCredentials, BucketDestination};
pub use credentials::{Clock, REFRESH_MARGIN, system_clock};
pub use destination::{Destination, StoreDestination};
pub use direct::DirectStore;
pub use error::UploadError;
pub use grant::{GrantError, GrantSource, StorageGrant};
pub use plan::{
    MAX_PARTS, MIN_PART_SIZE, effective_part_size, normalize_dir, object_key, part_size_for,
};
pub use report::{Progress, UploadReport, UploadedFile};
pub use uploader::{DEFAULT_CONCURRENCY, DEFAULT_RETRIES, Uploader, UploaderBuilder};
#[cfg(feature = "volumes")]
pub use volume_grants::{GrantMappingError, VolumeGrants, storage_grant};

mod grant;

/// object_store, as this crate uses it (to build a [`StoreDestination`] or
/// an HTTP connector for [`UploaderBuilder::http_connector`]).
pub use object_store;
/// The secret type of [`StorageGrant`] and [`BucketCredentials`].
pub use secrecy;
