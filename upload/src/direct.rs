//! Writing straight into a destination, with no local copy: the store a
//! [`Destination`] opens (a volume's with the credentials its apply hands
//! out, renewed before they expire; a bucket's with its keys) and the key
//! prefix, for a streaming sink such as the writer's `ObjectStoreSink`.
//! The resumable [`crate::Uploader`] is for files already on disk.

use std::fmt;
use std::sync::Arc;

use object_store::ObjectStore;

use crate::credentials::system_clock;
use crate::destination::{Destination, StoreSettings};
use crate::error::UploadError;
use crate::uploader::DEFAULT_RETRIES;

/// A destination's store and where under it objects go.
#[derive(Clone)]
pub struct DirectStore {
    pub store: Arc<dyn ObjectStore>,
    /// `volumePrefix + path` for a volume, the bucket's prefix otherwise;
    /// no leading or trailing `/` (empty for a bucket's root).
    pub prefix: String,
}

/// The store's own Debug may show its configuration: only the prefix is.
impl fmt::Debug for DirectStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Destination {
    /// Opens the destination for direct writes (a volume: one apply). The
    /// store retries transient failures itself ([`DEFAULT_RETRIES`] times),
    /// as nothing above it does. A volume's limits cannot be checked
    /// before a streamed write: the service refuses what passes them.
    pub async fn direct_store(&self) -> Result<DirectStore, UploadError> {
        let settings = StoreSettings {
            retries: DEFAULT_RETRIES,
            signed_payload: false,
            clock: system_clock(),
            connector: None,
        };
        let opened = self.open(&settings).await?;
        let prefix = [opened.prefix.as_str(), opened.dir.as_str()]
            .iter()
            .map(|p| p.trim_matches('/'))
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("/");
        Ok(DirectStore {
            store: opened.objects,
            prefix,
        })
    }
}
