//! Where `upload` and `load` send files: a volume on the control plane
//! (`--volume`, credentials from its apply) or the user's own bucket
//! (`--to s3://...`, `gs://...` or `az://...`, keys from each cloud's usual
//! variables), the uploader's
//! settings, and how an upload's failure ends the run.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use clap::{ArgGroup, Args};
use zilliz_import::Client;
use zilliz_import_upload::{
    BucketDestination, Destination, GrantError, GrantSource, StorageGrant, UploadError, Uploader,
    VolumeGrants, normalize_dir,
};

use crate::ending::Failure;

/// Where files go in a volume or a bucket (`upload`, `load`, and `write`
/// streaming its files there).
#[derive(Debug, Clone, Default, Args)]
pub struct Place {
    /// A volume of the Zilliz Cloud control plane (API key and base URL as
    /// for the other commands); its apply hands out the credentials.
    #[arg(long, value_name = "NAME")]
    pub volume: Option<String>,
    /// With --volume: the folder inside the volume, such as `data/2024/`.
    #[arg(long, value_name = "DIR", requires = "volume")]
    pub path: Option<String>,
    /// Your own bucket: s3://BUCKET/PREFIX (AWS, MinIO, a Milvus's bucket;
    /// keys from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
    /// AWS_SESSION_TOKEN, region from AWS_REGION), gs://BUCKET/PREFIX
    /// (Google Cloud Storage; GOOGLE_SERVICE_ACCOUNT,
    /// GOOGLE_SERVICE_ACCOUNT_KEY, GOOGLE_APPLICATION_CREDENTIALS or
    /// GOOGLE_BEARER_TOKEN) or az://CONTAINER/PREFIX (Azure Blob;
    /// AZURE_STORAGE_ACCOUNT_NAME with AZURE_STORAGE_ACCOUNT_KEY or
    /// AZURE_STORAGE_SAS_TOKEN, or a service principal's AZURE_* variables).
    #[arg(
        long,
        value_name = "s3|gs|az://BUCKET/PREFIX",
        conflicts_with = "volume"
    )]
    pub to: Option<String>,
    /// With --to: the store's endpoint URL. S3: an S3-compatible endpoint
    /// (default AWS_ENDPOINT_URL, else AWS itself); GCS: the API's base URL
    /// (default https://storage.googleapis.com); Azure: the account's blob
    /// endpoint (default https://ACCOUNT.blob.core.windows.net; Azurite:
    /// http://127.0.0.1:10000/devstoreaccount1).
    #[arg(long, value_name = "URL", requires = "to")]
    pub endpoint: Option<String>,
}

/// The destination of an upload, and how it is sent.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("destination").args(["volume", "to"]).required(true)))]
pub struct StorageArgs {
    #[command(flatten)]
    pub place: Place,
    /// Requests in flight at once, parts of all files together.
    #[arg(long, value_name = "N", default_value_t = zilliz_import_upload::DEFAULT_CONCURRENCY,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub concurrency: usize,
    /// The part size of multipart uploads, in bytes (at least 5 MiB);
    /// default: the SDKs' rule, about a thousand parts per file.
    #[arg(long, value_name = "BYTES")]
    pub part_size: Option<u64>,
}

impl StorageArgs {
    /// The uploader these flags describe.
    pub fn uploader(&self) -> Uploader {
        let mut builder = Uploader::builder().concurrency(self.concurrency);
        if let Some(bytes) = self.part_size {
            builder = builder.part_size(bytes);
        }
        builder.build()
    }
}

impl Place {
    /// The destination, `dir` the volume folder to use (for `--volume`);
    /// the grants' failures land in the [`Grants`] given back, so that a
    /// refused apply ends the run as the API's error it is.
    pub fn destination(
        &self,
        client: Option<&Client>,
        dir: &str,
    ) -> Result<(Destination, Option<Grants>), Failure> {
        if let (Some(volume), Some(client)) = (&self.volume, client) {
            let grants = Grants {
                inner: VolumeGrants::new(client.clone(), volume),
                failed: Arc::default(),
            };
            let destination = Destination::Volume {
                grants: Arc::new(grants.clone()),
                path: dir.to_owned(),
            };
            return Ok((destination, Some(grants)));
        }
        Ok((Destination::Bucket(self.bucket()?), None))
    }

    /// `--to` with `--endpoint`, what they leave out taken from the
    /// cloud's variables (S3's here; GCS's and Azure's keys when the store
    /// is opened, so that they never pass through this program's values).
    pub fn bucket(&self) -> Result<BucketDestination, Failure> {
        let to = self.to.as_deref().unwrap_or_default();
        let mut bucket = BucketDestination::parse(to).map_err(|e| Failure::Input(e.to_string()))?;
        bucket.endpoint = self.endpoint.clone();
        Ok(bucket.with_env())
    }

    /// The volume folder `--path` names; `None` without `--volume`.
    /// Required with one: a volume is applied for by folder.
    pub fn volume_dir(&self) -> Result<Option<String>, Failure> {
        match (&self.volume, &self.path) {
            (None, _) => Ok(None),
            (Some(_), None) => Err(Failure::Input(
                "--volume needs --path, the folder inside the volume (such as `data/`)".into(),
            )),
            (Some(_), Some(path)) => normalize_dir(path)
                .map(Some)
                .map_err(|e| Failure::Input(format!("--path {e}"))),
        }
    }
}

/// A volume's grants, keeping the client's error of a failed apply: the
/// uploader reports only its text.
#[derive(Clone)]
pub struct Grants {
    inner: VolumeGrants,
    failed: Arc<Mutex<Option<zilliz_import::Error>>>,
}

impl Grants {
    fn take_failure(&self) -> Option<zilliz_import::Error> {
        self.failed.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

#[async_trait]
impl GrantSource for Grants {
    async fn apply(&self, path: &str) -> Result<StorageGrant, GrantError> {
        match self.inner.apply(path).await {
            Ok(grant) => Ok(grant),
            Err(e) => {
                let text = e.to_string();
                if let Ok(e) = e.downcast::<zilliz_import::Error>() {
                    *self.failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(*e);
                }
                Err(text.into())
            }
        }
    }
}

/// How an upload's failure ends the run: what the user gave that cannot
/// be sent (a source, a destination, a quota that would be passed) is
/// invalid input, exit 2, nothing sent; a refused apply is the client's
/// error (3 for the API's refusal, 4 for the network); the store's
/// failures are 4.
pub fn upload_failure(e: UploadError, grants: Option<&Grants>) -> Failure {
    match e {
        UploadError::Grant { .. } => match grants.and_then(Grants::take_failure) {
            Some(call) => Failure::Call(call),
            None => Failure::Storage(e.to_string()),
        },
        UploadError::InvalidSource { .. }
        | UploadError::Read { .. }
        | UploadError::InvalidDestination(_)
        | UploadError::InvalidKey { .. }
        | UploadError::DuplicateKey { .. }
        | UploadError::QuotaExceeded { .. }
        | UploadError::SourceChanged { .. } => Failure::Input(e.to_string()),
        e => Failure::Storage(e.to_string()),
    }
}
