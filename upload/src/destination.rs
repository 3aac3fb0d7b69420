//! Where an upload goes: a volume (through the grants its `apply` hands
//! out), the user's own S3-compatible bucket, or any object_store store;
//! and how each is opened into the stores the uploader drives.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, Checksum};
use object_store::client::{HttpClient, HttpConnector};
use object_store::multipart::MultipartStore;
use object_store::{ClientOptions, ObjectStore, RetryConfig};
use secrecy::ExposeSecret;

use crate::bucket::{BucketCloud, BucketDestination};
use crate::credentials::{Clock, GrantCredentials};
use crate::error::UploadError;
use crate::grant::{GrantSource, StorageGrant};
use crate::plan::normalize_dir;

/// Where an upload goes.
pub enum Destination {
    /// A Zilliz Cloud volume: keys are `volumePrefix + path + relative`,
    /// with the credentials `grants` hands out for `path`.
    Volume {
        grants: Arc<dyn GrantSource>,
        /// The directory inside the volume (`apply`'s `path`).
        path: String,
    },
    /// The user's own bucket: S3-compatible (AWS, MinIO, ...), GCS or
    /// Azure.
    Bucket(BucketDestination),
    /// Any object_store store that has multipart uploads (an in-memory
    /// store in tests, one built with options of its own), keys under
    /// `prefix`.
    Store(StoreDestination),
}

impl fmt::Debug for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Volume { path, .. } => f
                .debug_struct("Volume")
                .field("path", path)
                .finish_non_exhaustive(),
            Destination::Bucket(b) => b.fmt(f),
            Destination::Store(s) => s.fmt(f),
        }
    }
}

/// Any store with multipart uploads.
#[derive(Clone)]
pub struct StoreDestination {
    pub objects: Arc<dyn ObjectStore>,
    pub multipart: Arc<dyn MultipartStore>,
    /// Names the store in journals (so a journal for another store is not
    /// used): e.g. its URL.
    pub name: String,
    pub prefix: String,
}

impl fmt::Debug for StoreDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreDestination")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// One store, seen as both traits.
type Stores = (Arc<dyn ObjectStore>, Arc<dyn MultipartStore>);

/// What the uploader needs of a destination once opened.
pub(crate) struct Opened {
    pub objects: Arc<dyn ObjectStore>,
    pub multipart: Arc<dyn MultipartStore>,
    /// The key prefix (the volume's prefix, or the bucket's).
    pub prefix: String,
    /// The directory below it (a volume path), may be empty.
    pub dir: String,
    /// Identifies the store in journals: `endpoint/bucket`.
    pub identity: String,
    /// The volume's credentials, renewed on refusal; `None` for a bucket.
    pub grants: Option<Arc<GrantCredentials>>,
    /// Static secrets to scrub from error texts.
    pub secrets: Vec<String>,
    pub max_content_length: Option<u64>,
    pub max_file_number: Option<u64>,
}

/// How the stores are built: the HTTP client options and retries.
pub(crate) struct StoreSettings {
    pub retries: usize,
    /// Hash every payload into its SigV4 signature instead of sending a
    /// CRC64NVME checksum with it (see [`crate::UploaderBuilder::signed_payload`]).
    pub signed_payload: bool,
    pub clock: Clock,
    pub connector: Option<Arc<dyn HttpConnector>>,
}

#[derive(Debug)]
struct SharedConnector(Arc<dyn HttpConnector>);

impl HttpConnector for SharedConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        self.0.connect(options)
    }
}

fn client_options(endpoint: Option<&str>) -> ClientOptions {
    // The SDKs' read time-out: a part of up to 100 MiB on a slow link.
    ClientOptions::new()
        .with_allow_http(endpoint.is_some_and(|e| e.starts_with("http://")))
        .with_timeout(Duration::from_secs(300))
        .with_connect_timeout(Duration::from_secs(10))
}

fn s3_builder(settings: &StoreSettings, endpoint: Option<&str>) -> AmazonS3Builder {
    let mut builder = AmazonS3Builder::new()
        .with_unsigned_payload(!settings.signed_payload)
        .with_client_options(client_options(endpoint))
        .with_retry(RetryConfig {
            max_retries: settings.retries,
            ..RetryConfig::default()
        });
    if !settings.signed_payload {
        builder = builder.with_checksum_algorithm(Checksum::CRC64NVME);
    }
    if let Some(endpoint) = endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if let Some(connector) = &settings.connector {
        builder = builder.with_http_connector(SharedConnector(connector.clone()));
    }
    builder
}

fn built<T: ObjectStore + MultipartStore>(
    store: object_store::Result<T>,
) -> Result<Stores, UploadError> {
    let store = Arc::new(store.map_err(|e| UploadError::InvalidDestination(e.to_string()))?);
    Ok((store.clone(), store))
}

/// A grant's endpoint as a URL; `None` for AWS itself (object_store
/// then goes to the region's virtual-hosted endpoint).
fn grant_endpoint(grant: &StorageGrant) -> Option<String> {
    let endpoint = grant.endpoint.trim_end_matches('/');
    let url = if endpoint.contains("://") {
        endpoint.to_owned()
    } else {
        format!("https://{endpoint}")
    };
    let host = url.split("://").nth(1).unwrap_or_default();
    if host.ends_with("amazonaws.com") {
        return None;
    }
    // Aliyun OSS and Tencent COS take virtual-hosted requests only.
    if matches!(grant.cloud.as_str(), "ali" | "tc") {
        let (scheme, host) = url.split_once("://").unwrap_or(("https", &url));
        return Some(format!("{scheme}://{}.{host}", grant.bucket));
    }
    Some(url)
}

impl Destination {
    pub(crate) async fn open(&self, settings: &StoreSettings) -> Result<Opened, UploadError> {
        match self {
            Destination::Volume { grants, path } => {
                let dir = normalize_dir(path).map_err(UploadError::InvalidDestination)?;
                let creds =
                    GrantCredentials::first(grants.clone(), dir.clone(), settings.clock.clone())
                        .await?;
                let grant = creds.grant().await;
                let endpoint = grant_endpoint(&grant);
                let (objects, multipart) = if grant.cloud == "gcp" {
                    open_gcs(&grant, endpoint.as_deref(), &creds, settings)?
                } else {
                    let mut builder = s3_builder(settings, endpoint.as_deref())
                        .with_bucket_name(&grant.bucket)
                        .with_region(&grant.region)
                        .with_credentials(creds.clone());
                    if matches!(grant.cloud.as_str(), "ali" | "tc") {
                        builder = builder.with_virtual_hosted_style_request(true);
                    }
                    built(builder.build())?
                };
                Ok(Opened {
                    objects,
                    multipart,
                    prefix: grant.prefix.clone(),
                    dir,
                    identity: format!("{}/{}", grant.endpoint, grant.bucket),
                    grants: Some(creds),
                    secrets: Vec::new(),
                    max_content_length: grant.max_content_length,
                    max_file_number: grant.max_file_number,
                })
            }
            Destination::Bucket(b) => {
                let (objects, multipart) = match b.cloud {
                    BucketCloud::S3 => open_s3_bucket(b, settings)?,
                    BucketCloud::Gcs => open_gcs_bucket(b, settings)?,
                    BucketCloud::Azure => open_azure_bucket(b, settings)?,
                };
                // S3's journals predate the other clouds: their identity
                // stays `endpoint/bucket`. Azure's names the account when
                // known (a container name is only unique within one).
                let place = match (b.cloud, b.endpoint.as_deref()) {
                    (_, Some(endpoint)) => endpoint.to_owned(),
                    (BucketCloud::Azure, None) => match b.setting("AZURE_STORAGE_ACCOUNT_NAME") {
                        Some(account) => format!("az:{account}"),
                        None => "az".to_owned(),
                    },
                    (cloud, None) => cloud.scheme().to_owned(),
                };
                Ok(Opened {
                    objects,
                    multipart,
                    prefix: b.prefix.clone(),
                    dir: String::new(),
                    identity: format!("{place}/{}", b.bucket),
                    grants: None,
                    secrets: b.secrets(),
                    max_content_length: None,
                    max_file_number: None,
                })
            }
            Destination::Store(s) => Ok(Opened {
                objects: s.objects.clone(),
                multipart: s.multipart.clone(),
                prefix: s.prefix.clone(),
                dir: String::new(),
                identity: s.name.clone(),
                grants: None,
                secrets: Vec::new(),
                max_content_length: None,
                max_file_number: None,
            }),
        }
    }
}

fn open_s3_bucket(b: &BucketDestination, settings: &StoreSettings) -> Result<Stores, UploadError> {
    let mut builder = s3_builder(settings, b.endpoint.as_deref())
        .with_bucket_name(&b.bucket)
        .with_region(b.region.as_deref().unwrap_or("us-east-1"));
    if let Some(c) = &b.credentials {
        builder = builder
            .with_access_key_id(&c.access_key_id)
            .with_secret_access_key(c.secret_access_key.expose_secret());
        if let Some(token) = &c.session_token {
            builder = builder.with_token(token.expose_secret());
        }
    }
    built(builder.build())
}

/// A bucket's settings as the builder's config keys (`AZURE_STORAGE_ACCOUNT_KEY`
/// is `azure_storage_account_key`, as `from_env` reads the variables).
#[cfg(any(feature = "gcp", feature = "azure"))]
fn config_keys<K: std::str::FromStr>(b: &BucketDestination) -> Result<Vec<(K, &str)>, UploadError> {
    (b.settings.iter())
        .map(|(name, value)| match name.to_ascii_lowercase().parse() {
            Ok(key) => Ok((key, value.expose_secret())),
            Err(_) => Err(UploadError::InvalidDestination(format!(
                "{}://{}: {name} is not a setting of this store",
                b.cloud.scheme(),
                b.bucket
            ))),
        })
        .collect()
}

/// GCS: credentials as object_store's `from_env` finds them
/// (`GOOGLE_SERVICE_ACCOUNT`, `GOOGLE_SERVICE_ACCOUNT_KEY`,
/// `GOOGLE_APPLICATION_CREDENTIALS`, else the metadata server).
#[cfg(feature = "gcp")]
fn open_gcs_bucket(b: &BucketDestination, settings: &StoreSettings) -> Result<Stores, UploadError> {
    use object_store::gcp::GoogleCloudStorageBuilder;
    let mut builder = GoogleCloudStorageBuilder::from_env();
    for (key, value) in config_keys(b)? {
        builder = builder.with_config(key, value);
    }
    builder = builder
        .with_bucket_name(&b.bucket)
        .with_client_options(client_options(b.endpoint.as_deref()))
        .with_retry(RetryConfig {
            max_retries: settings.retries,
            ..RetryConfig::default()
        });
    if let Some(endpoint) = &b.endpoint {
        builder = builder.with_base_url(endpoint);
    }
    if let Some(connector) = &settings.connector {
        builder = builder.with_http_connector(SharedConnector(connector.clone()));
    }
    built(builder.build())
}

/// Azure: account and credentials as object_store's `from_env` finds them
/// (`AZURE_STORAGE_ACCOUNT_NAME` with `AZURE_STORAGE_ACCOUNT_KEY`,
/// `AZURE_STORAGE_SAS_TOKEN`, a service principal, workload or managed
/// identity, or `AZURE_STORAGE_USE_EMULATOR`). Multipart parts are blocks,
/// their ids kept in the journal as the parts' ETags; the completion is
/// the put of the block list.
#[cfg(feature = "azure")]
fn open_azure_bucket(
    b: &BucketDestination,
    settings: &StoreSettings,
) -> Result<Stores, UploadError> {
    use object_store::azure::MicrosoftAzureBuilder;
    let mut builder = MicrosoftAzureBuilder::from_env();
    for (key, value) in config_keys(b)? {
        builder = builder.with_config(key, value);
    }
    builder = builder
        .with_container_name(&b.bucket)
        .with_client_options(client_options(b.endpoint.as_deref()))
        .with_retry(RetryConfig {
            max_retries: settings.retries,
            ..RetryConfig::default()
        });
    if let Some(endpoint) = &b.endpoint {
        builder = builder.with_endpoint(endpoint.clone());
    }
    if let Some(connector) = &settings.connector {
        builder = builder.with_http_connector(SharedConnector(connector.clone()));
    }
    built(builder.build())
}

#[cfg(not(feature = "gcp"))]
fn open_gcs_bucket(b: &BucketDestination, _: &StoreSettings) -> Result<Stores, UploadError> {
    Err(UploadError::InvalidDestination(format!(
        "gs://{}: GCS needs the feature `gcp`",
        b.bucket
    )))
}

#[cfg(not(feature = "azure"))]
fn open_azure_bucket(b: &BucketDestination, _: &StoreSettings) -> Result<Stores, UploadError> {
    Err(UploadError::InvalidDestination(format!(
        "az://{}: Azure needs the feature `azure`",
        b.bucket
    )))
}

/// A volume on GCS: the grant's session token as the bearer token, at the
/// grant's endpoint (`storage.googleapis.com`, the default, or another
/// base URL, as a test's fake server is).
#[cfg(feature = "gcp")]
fn open_gcs(
    grant: &StorageGrant,
    endpoint: Option<&str>,
    creds: &Arc<GrantCredentials>,
    settings: &StoreSettings,
) -> Result<Stores, UploadError> {
    use object_store::gcp::GoogleCloudStorageBuilder;
    let mut builder = GoogleCloudStorageBuilder::new()
        .with_bucket_name(&grant.bucket)
        .with_client_options(client_options(endpoint))
        .with_retry(RetryConfig {
            max_retries: settings.retries,
            ..RetryConfig::default()
        })
        .with_credentials(Arc::new(crate::credentials::GcpBearer(creds.clone())));
    if let Some(endpoint) = endpoint {
        builder = builder.with_base_url(endpoint);
    }
    if let Some(connector) = &settings.connector {
        builder = builder.with_http_connector(SharedConnector(connector.clone()));
    }
    built(builder.build())
}

#[cfg(not(feature = "gcp"))]
fn open_gcs(
    _grant: &StorageGrant,
    _endpoint: Option<&str>,
    _creds: &Arc<GrantCredentials>,
    _settings: &StoreSettings,
) -> Result<Stores, UploadError> {
    Err(UploadError::InvalidDestination(
        "the volume is on GCS (cloud: gcp): build with the feature `gcp`".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_endpoints() {
        let grant = |endpoint: &str, cloud: &str| StorageGrant {
            endpoint: endpoint.into(),
            bucket: "bk".into(),
            region: "r".into(),
            cloud: cloud.into(),
            prefix: String::new(),
            access_key_id: String::new(),
            secret_access_key: String::new().into(),
            session_token: None,
            expire_time: None,
            max_content_length: None,
            max_file_number: None,
        };
        assert_eq!(grant_endpoint(&grant("s3.amazonaws.com", "aws")), None);
        assert_eq!(
            grant_endpoint(&grant("http://127.0.0.1:5000/", "aws")).as_deref(),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(
            grant_endpoint(&grant("oss-cn-hangzhou.aliyuncs.com", "ali")).as_deref(),
            Some("https://bk.oss-cn-hangzhou.aliyuncs.com")
        );
    }
}
