//! The user's own bucket as a destination: `s3://BUCKET/PREFIX` (AWS,
//! MinIO, a Milvus's bucket), `gs://BUCKET/PREFIX` (Google Cloud Storage)
//! or `az://CONTAINER/PREFIX` (Azure Blob), read from the user's text, with
//! the keys and endpoint the usual variables of each cloud's tooling give.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::error::UploadError;
use crate::plan::normalize_dir;

/// Which cloud's API a bucket speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BucketCloud {
    /// S3 and every S3-compatible store (MinIO, moto, s3s), SigV4.
    S3,
    /// Google Cloud Storage's JSON/XML API (feature `gcp`).
    Gcs,
    /// Azure Blob Storage, block blobs (feature `azure`).
    Azure,
}

impl BucketCloud {
    /// The URL scheme the CLI shows and journals name.
    pub fn scheme(self) -> &'static str {
        match self {
            BucketCloud::S3 => "s3",
            BucketCloud::Gcs => "gs",
            BucketCloud::Azure => "az",
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

/// `s3://BUCKET/PREFIX`, `gs://BUCKET/PREFIX` or `az://CONTAINER/PREFIX`,
/// with an endpoint and keys.
#[derive(Clone)]
pub struct BucketDestination {
    pub cloud: BucketCloud,
    /// The bucket (the container, on Azure).
    pub bucket: String,
    /// Put before every key (no leading or trailing `/`).
    pub prefix: String,
    /// S3: an S3-compatible endpoint URL (`http://127.0.0.1:9000`), AWS
    /// when `None`. GCS: the API's base URL. Azure: the account's blob
    /// endpoint (Azurite: `http://127.0.0.1:10000/devstoreaccount1`), else
    /// `https://ACCOUNT.blob.core.windows.net`.
    pub endpoint: Option<String>,
    /// S3 only.
    pub region: Option<String>,
    /// S3 only; `None`: object_store's own chain (instance metadata, web
    /// identity).
    pub credentials: Option<BucketCredentials>,
    /// GCS and Azure: settings named as their variables (`AZURE_STORAGE_ACCOUNT_NAME`,
    /// `AZURE_STORAGE_ACCOUNT_KEY`, `GOOGLE_SERVICE_ACCOUNT`, ...), applied
    /// over what object_store's `from_env` reads from the process (which
    /// is where the CLI's keys come from).
    pub settings: Vec<(String, SecretString)>,
}

impl fmt::Debug for BucketDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BucketDestination")
            .field("cloud", &self.cloud)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field(
                "access_key_id",
                &self.credentials.as_ref().map(|c| &c.access_key_id),
            )
            .field(
                "settings",
                &self.settings.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

const EXPECTED: &str = "expected s3://BUCKET/PREFIX, gs://BUCKET/PREFIX or az://CONTAINER/PREFIX";

/// A bucket name as each cloud's rules allow it (S3's and GCS's: 3 to 63
/// lowercase letters, digits, `-` and `.`, GCS also `_`; an Azure
/// container's: 3 to 63 lowercase letters, digits and single `-`, starting
/// and ending with a letter or digit).
fn valid_bucket(cloud: BucketCloud, name: &str) -> bool {
    let edges_alnum = |s: &str| {
        s.bytes()
            .next()
            .zip(s.bytes().last())
            .is_some_and(|(a, b)| a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric())
    };
    let plain = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
    (3..=63).contains(&name.len())
        && match cloud {
            BucketCloud::S3 => name.bytes().all(|b| plain(b) || b == b'.'),
            BucketCloud::Gcs => {
                edges_alnum(name) && name.bytes().all(|b| plain(b) || b == b'.' || b == b'_')
            }
            BucketCloud::Azure => {
                edges_alnum(name) && name.bytes().all(plain) && !name.contains("--")
            }
        }
}

impl BucketDestination {
    /// Reads `s3://BUCKET[/PREFIX]`, `gs://BUCKET[/PREFIX]`, or
    /// `az://CONTAINER[/PREFIX]` (also `azure://`, as object_store's own
    /// URL parsing takes it).
    pub fn parse(url: &str) -> Result<Self, UploadError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| UploadError::InvalidDestination(format!("{url:?}: {EXPECTED}")))?;
        let cloud = match scheme {
            "s3" => BucketCloud::S3,
            "gs" => BucketCloud::Gcs,
            "az" | "azure" => BucketCloud::Azure,
            _ => {
                return Err(UploadError::InvalidDestination(format!(
                    "{url:?}: {EXPECTED}"
                )));
            }
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if !valid_bucket(cloud, bucket) {
            let what = match cloud {
                BucketCloud::Azure => "an Azure container name",
                _ => "a bucket name",
            };
            return Err(UploadError::InvalidDestination(format!(
                "{url:?}: {bucket:?} is not {what}"
            )));
        }
        let prefix = normalize_dir(prefix)
            .map_err(|e| UploadError::InvalidDestination(format!("{url:?}: prefix {e}")))?;
        Ok(BucketDestination {
            cloud,
            bucket: bucket.to_owned(),
            prefix: prefix.trim_end_matches('/').to_owned(),
            endpoint: None,
            region: None,
            credentials: None,
            settings: Vec::new(),
        })
    }

    /// Fills what was not given from the process's `AWS_*` variables (S3;
    /// GCS and Azure read theirs when the store is opened).
    pub fn with_env(self) -> Self {
        self.with_vars(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// S3: fills what was not given from `var` (`AWS_ENDPOINT_URL`,
    /// `AWS_REGION` or `AWS_DEFAULT_REGION`, `AWS_ACCESS_KEY_ID` with
    /// `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`). GCS, Azure:
    /// `AZURE_STORAGE_ACCOUNT_NAME` (for the object URLs of an import).
    pub fn with_vars(mut self, var: impl Fn(&str) -> Option<String>) -> Self {
        match self.cloud {
            BucketCloud::S3 => {}
            BucketCloud::Gcs => return self,
            BucketCloud::Azure => {
                if self.setting("AZURE_STORAGE_ACCOUNT_NAME").is_none()
                    && let Some(account) = var("AZURE_STORAGE_ACCOUNT_NAME")
                {
                    self = self.with_setting("AZURE_STORAGE_ACCOUNT_NAME", account);
                }
                return self;
            }
        }
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

    /// GCS and Azure: one setting, named as its variable.
    pub fn with_setting(mut self, name: &str, value: impl Into<String>) -> Self {
        self.settings.retain(|(k, _)| k != name);
        self.settings.push((name.to_owned(), value.into().into()));
        self
    }

    pub(crate) fn setting(&self, name: &str) -> Option<&str> {
        (self.settings.iter())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.expose_secret())
    }

    /// Where an import reads `key` from, as an object URL. Zilliz Cloud's
    /// reference here names only `s3://` and https URLs: GCS takes
    /// `gs://BUCKET/KEY`, Azure the blob's https URL
    /// (`https://ACCOUNT.blob.core.windows.net/CONTAINER/KEY`), S3 the
    /// endpoint's path-style URL or AWS's regional one.
    pub fn object_url(&self, key: &str) -> Result<String, UploadError> {
        let endpoint = self.endpoint.as_deref().map(|e| e.trim_end_matches('/'));
        let base = match (self.cloud, endpoint) {
            (BucketCloud::Gcs, None) => format!("gs://{}", self.bucket),
            (_, Some(endpoint)) => format!("{endpoint}/{}", self.bucket),
            (BucketCloud::S3, None) => format!(
                "https://s3.{}.amazonaws.com/{}",
                self.region.as_deref().unwrap_or("us-east-1"),
                self.bucket
            ),
            (BucketCloud::Azure, None) => {
                let account = self.setting("AZURE_STORAGE_ACCOUNT_NAME").ok_or_else(|| {
                    UploadError::InvalidDestination(format!(
                        "az://{}: the object URLs need the account: set AZURE_STORAGE_ACCOUNT_NAME",
                        self.bucket
                    ))
                })?;
                format!("https://{account}.blob.core.windows.net/{}", self.bucket)
            }
        };
        Ok(format!("{base}/{key}"))
    }

    /// The values to scrub from error texts: the keys given here and
    /// those the cloud's variables hold.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let secret_name = |name: &str| {
            ["KEY", "SECRET", "TOKEN", "SAS", "PASSWORD"]
                .iter()
                .any(|w| name.to_ascii_uppercase().contains(w))
        };
        let prefix = match self.cloud {
            BucketCloud::S3 => "AWS_",
            BucketCloud::Gcs => "GOOGLE_",
            BucketCloud::Azure => "AZURE_",
        };
        let given = (self.settings.iter())
            .filter(|(k, _)| secret_name(k))
            .map(|(_, v)| v.expose_secret().to_owned());
        let env = std::env::vars()
            .filter(|(k, v)| k.starts_with(prefix) && secret_name(k) && v.len() >= 8)
            .map(|(_, v)| v);
        let s3 = self.credentials.iter().flat_map(|c| {
            std::iter::once(c.secret_access_key.expose_secret().to_owned())
                .chain(c.session_token.iter().map(|t| t.expose_secret().to_owned()))
        });
        given.chain(env).chain(s3).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A `--to` URL is the user's text: it may be refused, never panic.
        #[test]
        fn bucket_urls_never_panic(url in "((s3|gs|az|azure)://)?.{0,30}") {
            if let Ok(b) = BucketDestination::parse(&url) {
                prop_assert!(!b.prefix.starts_with('/') && !b.prefix.ends_with('/'));
                prop_assert!(b.object_url("k").is_ok() || b.cloud == BucketCloud::Azure);
            }
        }
    }

    fn parsed(url: &str) -> (BucketCloud, String, String) {
        let b = BucketDestination::parse(url).unwrap();
        (b.cloud, b.bucket, b.prefix)
    }

    #[test]
    fn bucket_urls() {
        let b = BucketDestination::parse("s3://my-bucket/a/b/").unwrap();
        assert_eq!((b.bucket.as_str(), b.prefix.as_str()), ("my-bucket", "a/b"));
        let b = BucketDestination::parse("s3://my-bucket").unwrap();
        assert_eq!(b.prefix, "");
        let own = |c, b: &str, p: &str| (c, b.to_owned(), p.to_owned());
        use BucketCloud::*;
        assert_eq!(
            parsed("gs://my_bucket.x/in/"),
            own(Gcs, "my_bucket.x", "in")
        );
        assert_eq!(parsed("az://data-2024/a/b"), own(Azure, "data-2024", "a/b"));
        assert_eq!(parsed("azure://ctr"), own(Azure, "ctr", ""));
        for bad in [
            "s3://",
            "s3://B/x",
            "s3://ab",
            "s3://bb/../x",
            "gs://",
            "gs://_bk/x",
            "gs://Bk1/x",
            "az://a_b/x",
            "az://ab",
            "az://a--b/x",
            "az://-ab/x",
            "az://abc/./x",
            "abfs://c/x",
            "http://bucket/x",
            "bucket/x",
        ] {
            assert!(BucketDestination::parse(bad).is_err(), "{bad}");
        }
        let e = BucketDestination::parse("wasb://c/x")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("expected s3://BUCKET/PREFIX, gs://BUCKET/PREFIX or az://CONTAINER/PREFIX"),
            "{e}"
        );
        let e = BucketDestination::parse("az://a_b")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"a_b\" is not an Azure container name"), "{e}");
    }

    /// Each cloud's prefix is read as S3's: `..`, `.` and empty segments
    /// are refused with the URL named, a trailing `/` dropped.
    #[test]
    fn gcs_and_azure_prefixes() {
        use BucketCloud::*;
        let own = |c, b: &str, p: &str| (c, b.to_owned(), p.to_owned());
        assert_eq!(parsed("gs://bk-1/a/b/c/"), own(Gcs, "bk-1", "a/b/c"));
        assert_eq!(parsed("gs://bk-1/"), own(Gcs, "bk-1", ""));
        assert_eq!(parsed("az://c0n/x.y/z"), own(Azure, "c0n", "x.y/z"));
        for (bad, named) in [
            (
                "gs://bkt/a/../b",
                "prefix \"a/../b\": empty, `.` or `..` segment",
            ),
            (
                "gs://bkt/a//b",
                "prefix \"a//b\": empty, `.` or `..` segment",
            ),
            ("az://ctr/..", "prefix \"..\": empty, `.` or `..` segment"),
            (
                "az://ctr/a//b/",
                "prefix \"a//b/\": empty, `.` or `..` segment",
            ),
            ("gs://bkt-/x", "\"bkt-\" is not a bucket name"),
            ("gs://bk/x", "\"bk\" is not a bucket name"),
            ("az://Ctr/x", "\"Ctr\" is not an Azure container name"),
            ("az://ctr-/x", "\"ctr-\" is not an Azure container name"),
            ("az://c.tr/x", "\"c.tr\" is not an Azure container name"),
        ] {
            let e = BucketDestination::parse(bad).unwrap_err();
            assert!(matches!(&e, UploadError::InvalidDestination(_)), "{e:?}");
            assert_eq!(
                e.to_string(),
                format!("invalid destination: {bad:?}: {named}")
            );
        }
        let long = format!("gs://{}/x", "a".repeat(64));
        assert!(BucketDestination::parse(&long).is_err());
        assert!(BucketDestination::parse(&format!("az://{}", "a".repeat(63))).is_ok());
    }

    /// An Azure account key, a GCS service-account key and bearer token
    /// given as settings never show in `Debug` (of the bucket or of the
    /// destination): only their names do.
    #[test]
    fn gcs_and_azure_secrets_never_show() {
        let az = BucketDestination::parse("az://ctr/p")
            .unwrap()
            .with_setting("AZURE_STORAGE_ACCOUNT_NAME", "acct")
            .with_setting("AZURE_STORAGE_ACCOUNT_KEY", "QVpLRVlBWktFWQ==");
        let gs = BucketDestination::parse("gs://bkt/p")
            .unwrap()
            .with_setting(
                "GOOGLE_SERVICE_ACCOUNT_KEY",
                r#"{"private_key":"PRIVATEPEM"}"#,
            )
            .with_setting("GOOGLE_BEARER_TOKEN", "ya29.BEARERTOKEN");
        for b in [az, gs] {
            let shown = format!("{b:?} {:?}", crate::Destination::Bucket(b.clone()));
            for secret in ["QVpLRVlBWktFWQ==", "PRIVATEPEM", "BEARERTOKEN"] {
                assert!(!shown.contains(secret), "{shown}");
            }
            for (name, _) in &b.settings {
                assert!(shown.contains(name.as_str()), "{shown}");
            }
        }
    }

    #[test]
    fn object_urls() {
        let url = |to: &str, endpoint: Option<&str>, vars: &[(&str, &str)]| {
            let mut b = BucketDestination::parse(to).unwrap();
            b.endpoint = endpoint.map(str::to_owned);
            let b = b.with_vars(|n| {
                vars.iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            });
            b.object_url("p/a.parquet").map_err(|e| e.to_string())
        };
        assert_eq!(
            url("gs://bkt/p", None, &[]).unwrap(),
            "gs://bkt/p/a.parquet"
        );
        assert_eq!(
            url(
                "az://ctr/p",
                None,
                &[("AZURE_STORAGE_ACCOUNT_NAME", "acct")]
            )
            .unwrap(),
            "https://acct.blob.core.windows.net/ctr/p/a.parquet"
        );
        let e = url("az://ctr/p", None, &[]).unwrap_err();
        assert!(e.contains("set AZURE_STORAGE_ACCOUNT_NAME"), "{e}");
        assert_eq!(
            url(
                "az://ctr",
                Some("http://127.0.0.1:10000/devstoreaccount1/"),
                &[]
            )
            .unwrap(),
            "http://127.0.0.1:10000/devstoreaccount1/ctr/p/a.parquet"
        );
        assert_eq!(
            url("s3://bkt", None, &[("AWS_REGION", "eu-west-1")]).unwrap(),
            "https://s3.eu-west-1.amazonaws.com/bkt/p/a.parquet"
        );
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
        let shown = format!("{b:?}");
        assert!(shown.contains("AKIDVISIBLE"), "{shown}");
        assert!(
            !shown.contains("SECRETSECRET") && !shown.contains("TOKENTOKEN"),
            "{shown}"
        );
        assert!(b.secrets().contains(&"TOKENTOKEN".to_owned()));
        let c = b.credentials.unwrap();
        assert_eq!(c.session_token.unwrap().expose_secret(), "TOKENTOKEN");

        let az = BucketDestination::parse("az://ctr")
            .unwrap()
            .with_setting("AZURE_STORAGE_ACCOUNT_KEY", "AZKEYAZKEY");
        let shown = format!("{az:?}");
        assert!(shown.contains("AZURE_STORAGE_ACCOUNT_KEY") && !shown.contains("AZKEYAZKEY"));
        assert!(az.secrets().contains(&"AZKEYAZKEY".to_owned()));
    }
}
