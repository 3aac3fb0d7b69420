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
use secrecy::{ExposeSecret, SecretString};

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
    /// The user's own S3-compatible bucket (AWS, MinIO, ...).
    Bucket(BucketDestination),
    /// Any object_store store that has multipart uploads (GCS, Azure, an
    /// in-memory store in tests), keys under `prefix`.
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

/// Keys for a bucket destination given on the command line or in code.
#[derive(Clone)]
pub struct BucketCredentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: Option<SecretString>,
}

/// `s3://BUCKET/PREFIX`, with an endpoint and keys.
#[derive(Clone)]
pub struct BucketDestination {
    pub bucket: String,
    /// Put before every key (no leading or trailing `/`).
    pub prefix: String,
    /// An S3-compatible endpoint URL (`http://127.0.0.1:9000`); AWS when
    /// `None`.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// `None`: object_store's own chain (instance metadata, web identity).
    pub credentials: Option<BucketCredentials>,
}

impl fmt::Debug for BucketDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BucketDestination")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field(
                "access_key_id",
                &self.credentials.as_ref().map(|c| &c.access_key_id),
            )
            .finish_non_exhaustive()
    }
}

impl BucketDestination {
    /// Reads `s3://BUCKET[/PREFIX]`.
    pub fn parse(url: &str) -> Result<Self, UploadError> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            UploadError::InvalidDestination(format!("{url:?}: expected s3://BUCKET/PREFIX"))
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !valid_bucket {
            return Err(UploadError::InvalidDestination(format!(
                "{url:?}: {bucket:?} is not a bucket name"
            )));
        }
        let prefix = normalize_dir(prefix).map_err(UploadError::InvalidDestination)?;
        Ok(BucketDestination {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_end_matches('/').to_owned(),
            endpoint: None,
            region: None,
            credentials: None,
        })
    }

    /// Fills what was not given from the process's `AWS_*` variables.
    pub fn with_env(self) -> Self {
        self.with_vars(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Fills what was not given from `var` (`AWS_ENDPOINT_URL`,
    /// `AWS_REGION` or `AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID` with
    /// `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`).
    pub fn with_vars(mut self, var: impl Fn(&str) -> Option<String>) -> Self {
        if self.endpoint.is_none() {
            self.endpoint = var("AWS_ENDPOINT_URL");
        }
        if self.region.is_none() {
            self.region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION"));
        }
        if self.credentials.is_none()
            && let (Some(id), Some(secret)) =
                (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
        {
            self.credentials = Some(BucketCredentials {
                access_key_id: id,
                secret_access_key: secret.into(),
                session_token: var("AWS_SESSION_TOKEN").map(Into::into),
            });
        }
        self
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
                    open_gcs(&grant, &creds, settings)?
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
                let mut builder = s3_builder(settings, b.endpoint.as_deref())
                    .with_bucket_name(&b.bucket)
                    .with_region(b.region.as_deref().unwrap_or("us-east-1"));
                let mut secrets = Vec::new();
                if let Some(c) = &b.credentials {
                    builder = builder
                        .with_access_key_id(&c.access_key_id)
                        .with_secret_access_key(c.secret_access_key.expose_secret());
                    secrets.push(c.secret_access_key.expose_secret().to_owned());
                    if let Some(token) = &c.session_token {
                        builder = builder.with_token(token.expose_secret());
                        secrets.push(token.expose_secret().to_owned());
                    }
                }
                let (objects, multipart) = built(builder.build())?;
                Ok(Opened {
                    objects,
                    multipart,
                    prefix: b.prefix.clone(),
                    dir: String::new(),
                    identity: format!("{}/{}", b.endpoint.as_deref().unwrap_or("s3"), b.bucket),
                    grants: None,
                    secrets,
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

#[cfg(feature = "gcp")]
fn open_gcs(
    grant: &StorageGrant,
    creds: &Arc<GrantCredentials>,
    settings: &StoreSettings,
) -> Result<Stores, UploadError> {
    use object_store::gcp::GoogleCloudStorageBuilder;
    let mut builder = GoogleCloudStorageBuilder::new()
        .with_bucket_name(&grant.bucket)
        .with_client_options(client_options(None))
        .with_retry(RetryConfig {
            max_retries: settings.retries,
            ..RetryConfig::default()
        })
        .with_credentials(Arc::new(crate::credentials::GcpBearer(creds.clone())));
    if let Some(connector) = &settings.connector {
        builder = builder.with_http_connector(SharedConnector(connector.clone()));
    }
    built(builder.build())
}

#[cfg(not(feature = "gcp"))]
fn open_gcs(
    _grant: &StorageGrant,
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
    use proptest::prelude::*;

    proptest! {
        /// A `--to` URL is the user's text: it may be refused, never panic.
        #[test]
        fn bucket_urls_never_panic(url in "(s3://)?.{0,30}") {
            if let Ok(b) = BucketDestination::parse(&url) {
                prop_assert!(!b.prefix.starts_with('/') && !b.prefix.ends_with('/'));
            }
        }
    }

    #[test]
    fn bucket_urls() {
        let b = BucketDestination::parse("s3://my-bucket/a/b/").unwrap();
        assert_eq!((b.bucket.as_str(), b.prefix.as_str()), ("my-bucket", "a/b"));
        let b = BucketDestination::parse("s3://my-bucket").unwrap();
        assert_eq!(b.prefix, "");
        for bad in ["gs://b/p", "s3://", "s3://B/x", "s3://ab", "s3://bb/../x"] {
            assert!(BucketDestination::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bucket_keys_from_vars_never_show() {
        let vars = |name: &str| match name {
            "AWS_ACCESS_KEY_ID" => Some("AKIDVISIBLE".to_owned()),
            "AWS_SECRET_ACCESS_KEY" => Some("SECRETSECRET".to_owned()),
            "AWS_SESSION_TOKEN" => Some("TOKENTOKEN".to_owned()),
            "AWS_ENDPOINT_URL" => Some("http://127.0.0.1:9".to_owned()),
            _ => None,
        };
        let b = BucketDestination::parse("s3://bucket/p")
            .unwrap()
            .with_vars(vars);
        assert_eq!(b.endpoint.as_deref(), Some("http://127.0.0.1:9"));
        let shown = format!("{:?}", Destination::Bucket(b.clone()));
        assert!(shown.contains("AKIDVISIBLE"), "{shown}");
        assert!(
            !shown.contains("SECRETSECRET") && !shown.contains("TOKENTOKEN"),
            "{shown}"
        );
        let c = b.credentials.unwrap();
        assert_eq!(c.session_token.unwrap().expose_secret(), "TOKENTOKEN");
    }

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
