//! [`CreateImportJob`]: what to load, into which collection, where; checked
//! before anything is sent.
//!
//! A create names one [`Target`] and one [`Source`]. The typed constructors
//! make only pairs a deployment reads (object URLs or a volume on the
//! control plane, files on Milvus), so a wrong pair does not compile there;
//! [`CreateImportJob::from_source`] takes any pair, for callers that choose
//! at run time, and refuses a wrong one before sending. The request holds
//! storage credentials, so it keeps them in secret types and prints a
//! placeholder in their place; a presigned URL prints without its query.

use std::{collections::BTreeMap, fmt, time::Duration};

use secrecy::{ExposeSecret, SecretString};

use crate::{
    CloudTarget, Error, Groups, Source, Target,
    checks::{check_idempotency_key, is_positive_duration, not_blank, not_blank_if_set},
    generated::types,
    redact::{REDACTED, Scrubber, escape_controls, url_secrets},
};

/// The names of the import options this crate sets for you; any other key
/// goes through [`CreateImportJob::option`].
pub mod option_keys {
    /// How long the job may run, such as `"300s"`: it fails when it runs longer.
    pub const TIMEOUT: &str = "timeout";
    /// `"false"` parks a finished job in `Uncommitted` until commit or abort.
    pub const AUTO_COMMIT: &str = "auto_commit";
    /// The CSV field separator.
    pub const SEPARATOR: &str = "sep";
    /// The CSV text that stands for null.
    pub const NULL_KEY: &str = "nullkey";
}

/// Which `Idempotency-Key` a create carries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IdempotencyKey {
    /// None: the create is retried only when the server cannot have started it.
    #[default]
    None,
    /// This key, on every attempt.
    Key(String),
    /// A fresh random key, made once per call and sent on every attempt.
    Generate,
}

/// A request to start an import: what to load, into which collection, where.
///
/// It reads one [`Source`]; a second one cannot be added:
///
/// ```compile_fail
/// use zilliz_import::CreateImportJob;
/// let job = CreateImportJob::from_files("c", [["a.parquet"]]).object_url("s3://b/a.json");
/// ```
#[derive(Clone)]
#[must_use]
pub struct CreateImportJob {
    target: Target,
    collection_name: String,
    partition_name: Option<String>,
    source: Source,
    access_key: Option<String>,
    secret_key: Option<SecretString>,
    token: Option<SecretString>,
    options: BTreeMap<String, String>,
    idempotency_key: IdempotencyKey,
}

impl CreateImportJob {
    /// Import the file (or folder) at `object_url` into `collection_name` of
    /// a cluster: the seed page's request.
    pub fn new(
        cluster_id: impl Into<String>,
        collection_name: impl Into<String>,
        object_url: impl Into<String>,
    ) -> Self {
        Self::from_object_url(cluster_id, collection_name, object_url)
    }

    /// Import one object URL into a cluster's or project's collection.
    pub fn from_object_url(
        target: impl Into<CloudTarget>,
        collection_name: impl Into<String>,
        object_url: impl Into<String>,
    ) -> Self {
        let source = Source::ObjectUrl(object_url.into());
        Self::from_source(target.into().into(), collection_name, source)
    }

    /// Import groups of object URLs into a cluster's collection.
    pub fn with_object_urls(
        cluster_id: impl Into<String>,
        collection_name: impl Into<String>,
        groups: impl Groups,
    ) -> Self {
        Self::from_object_urls(cluster_id, collection_name, groups)
    }

    /// Import groups of object URLs into a cluster's or project's collection.
    pub fn from_object_urls(
        target: impl Into<CloudTarget>,
        collection_name: impl Into<String>,
        groups: impl Groups,
    ) -> Self {
        let source = Source::object_urls(groups);
        Self::from_source(target.into().into(), collection_name, source)
    }

    /// Import paths of a volume into a cluster's or project's collection.
    pub fn from_volume(
        target: impl Into<CloudTarget>,
        collection_name: impl Into<String>,
        volume_name: impl Into<String>,
        data_paths: impl Groups,
    ) -> Self {
        let source = Source::volume(volume_name, data_paths);
        Self::from_source(target.into().into(), collection_name, source)
    }

    /// Import files of Milvus's own bucket into a Milvus collection.
    pub fn from_files(collection_name: impl Into<String>, files: impl Groups) -> Self {
        Self::from_source(Target::milvus(), collection_name, Source::files(files))
    }

    /// Any target and source, chosen at run time; a pair the target does not
    /// read (files on the control plane, object URLs on Milvus) is refused
    /// before sending.
    pub fn from_source(target: Target, collection_name: impl Into<String>, source: Source) -> Self {
        CreateImportJob {
            target,
            collection_name: collection_name.into(),
            partition_name: None,
            source,
            access_key: None,
            secret_key: None,
            token: None,
            options: BTreeMap::new(),
            idempotency_key: IdempotencyKey::None,
        }
    }

    /// Import into this partition.
    pub fn partition(mut self, name: impl Into<String>) -> Self {
        self.partition_name = Some(name.into());
        self
    }

    /// The collection's database, if not the default.
    pub fn database(mut self, name: impl Into<String>) -> Self {
        self.target = self.target.database(name);
        self
    }

    /// An import option; every value is a string on the wire.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.insert(key.into(), value.into());
        self
    }

    /// The job option `timeout`: the job fails when it runs longer. Sent as
    /// seconds, such as `"300s"` or `"1.5s"`.
    pub fn timeout(self, timeout: Duration) -> Self {
        let text = match timeout.subsec_nanos() {
            0 => format!("{}s", timeout.as_secs()),
            nanos => {
                let fraction = format!("{nanos:09}");
                format!("{}.{}s", timeout.as_secs(), fraction.trim_end_matches('0'))
            }
        };
        self.option(option_keys::TIMEOUT, text)
    }

    /// `false`: a two-phase import, parked in `Uncommitted` until commit or abort.
    pub fn auto_commit(self, auto_commit: bool) -> Self {
        self.option(option_keys::AUTO_COMMIT, auto_commit.to_string())
    }

    /// The CSV field separator.
    pub fn separator(self, separator: char) -> Self {
        self.option(option_keys::SEPARATOR, separator.to_string())
    }

    /// The CSV text that stands for null.
    pub fn null_key(self, null_key: impl Into<String>) -> Self {
        self.option(option_keys::NULL_KEY, null_key.into())
    }

    /// Credentials for object URLs in a bucket the service cannot read anonymously.
    pub fn storage_credentials(
        self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.access_key(access_key).secret_key(secret_key)
    }

    /// The access key alone (with [`secret_key`](Self::secret_key)).
    pub fn access_key(mut self, access_key: impl Into<String>) -> Self {
        self.access_key = Some(access_key.into());
        self
    }

    /// The secret key alone (with [`access_key`](Self::access_key)).
    pub fn secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.secret_key = Some(SecretString::from(secret_key.into()));
        self
    }

    /// The session token of temporary storage credentials.
    pub fn session_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }

    /// Send this `Idempotency-Key` on every attempt: a server that honours it
    /// starts the import once however often the create is repeated.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = IdempotencyKey::Key(key.into());
        self
    }

    /// Make a random `Idempotency-Key` per call, sent on every attempt.
    pub fn generate_idempotency_key(mut self) -> Self {
        self.idempotency_key = IdempotencyKey::Generate;
        self
    }

    /// The cluster id, or empty for a project or Milvus.
    pub fn cluster_id(&self) -> &str {
        match self.target.cloud() {
            Some(CloudTarget::Cluster { cluster_id }) => cluster_id,
            _ => "",
        }
    }

    /// Where the job runs.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// What the job reads.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The collection imported into.
    pub fn collection_name(&self) -> &str {
        &self.collection_name
    }

    /// Checks what the server would refuse; nothing is sent.
    pub fn validate(&self) -> Result<(), Error> {
        self.target.validate_ids()?;
        not_blank("collectionName", &self.collection_name)?;
        not_blank_if_set("partitionName", self.partition_name.as_deref())?;
        self.target.validate_database()?;
        let groups = self.source.check(&self.target)?;
        let max = self.target.max_file_groups();
        if groups > max {
            return Err(Error::invalid(
                self.source.field(),
                format!(
                    "{groups} file groups; {} takes at most {max} in one request",
                    self.target.kind()
                ),
            ));
        }
        self.check_credentials()?;
        for (key, value) in &self.options {
            if key.trim().is_empty() {
                return Err(Error::invalid("options", "an option key is empty"));
            }
            if key == option_keys::TIMEOUT && !is_positive_duration(value) {
                return Err(Error::invalid(
                    "options",
                    format!(
                        "timeout `{}` is not a positive number of seconds, minutes or hours, such as 300s",
                        escape_controls(value)
                    ),
                ));
            }
        }
        if let IdempotencyKey::Key(key) = &self.idempotency_key {
            check_idempotency_key(key)?;
        }
        Ok(())
    }

    /// Storage credentials go with object URLs, and with each other.
    fn check_credentials(&self) -> Result<(), Error> {
        let secret = self.secret_key.as_ref().map(|s| s.expose_secret());
        let access = self.access_key.as_deref().is_some_and(|a| !a.is_empty());
        let secret = secret.is_some_and(|s| !s.is_empty());
        let token = self.session_token_value().is_some();
        let (field, reason) = match (access, secret, token) {
            (false, false, false) => return Ok(()),
            _ if self.source.object_urls_iter().next().is_none() => (
                if access { "accessKey" } else { "secretKey" },
                "storage credentials go with object URLs; volumes and Milvus files need none",
            ),
            (true, false, _) => (
                "secretKey",
                "an access key was given without a secret key; they go together",
            ),
            (false, true, _) => (
                "accessKey",
                "a secret key was given without an access key; they go together",
            ),
            (false, false, true) => (
                "token",
                "a session token needs the access key and secret key it belongs to",
            ),
            (true, true, _) => return Ok(()),
        };
        Err(Error::invalid(field, reason))
    }

    /// The session token, when one is set and not empty (empty means unset,
    /// as for every optional string of this API).
    fn session_token_value(&self) -> Option<&str> {
        self.token
            .as_ref()
            .map(|t| t.expose_secret())
            .filter(|t| !t.is_empty())
    }

    /// The secrets this request carries, for scrubbing server text.
    fn scrubber(&self, base: Scrubber) -> Scrubber {
        let urls = self.source.object_urls_iter().flat_map(|u| url_secrets(u));
        let keys = self.secret_key.iter().chain(&self.token);
        let s = urls.fold(base, |s, secret| s.with(secret));
        keys.fold(s, |s, secret| s.with(secret.expose_secret()))
    }

    /// The request as sent, once checked: the generated body (the job's
    /// fields moved into it), the `Idempotency-Key` of every attempt (made
    /// now if asked for), and `base` with the secrets the request carries.
    pub(crate) fn into_body(
        self,
        base: Scrubber,
    ) -> Result<(types::CreateImportJobRequest, Option<String>, Scrubber), Error> {
        self.validate()?;
        let scrubber = self.scrubber(base);
        let token = self.session_token_value().map(str::to_owned);
        let key = match self.idempotency_key {
            IdempotencyKey::None => None,
            IdempotencyKey::Key(k) => Some(k),
            IdempotencyKey::Generate => Some(uuid::Uuid::new_v4().to_string()),
        };
        let ids = self.target.body_ids();
        let (access_key, secret_key) = match (self.access_key, self.secret_key) {
            (Some(ak), Some(sk)) if !ak.is_empty() => (Some(ak), Some(sk.expose_secret().into())),
            _ => (None, None),
        };
        let (mut object_url, mut object_urls, mut volume_name, mut data_paths, mut files) =
            Default::default();
        match self.source {
            Source::ObjectUrl(url) => object_url = Some(url),
            Source::ObjectUrls(groups) => object_urls = groups,
            Source::Volume {
                name,
                data_paths: d,
            } => (volume_name, data_paths) = (Some(name), d),
            Source::Files(groups) => files = groups,
        }
        let body = types::CreateImportJobRequest {
            access_key,
            cluster_id: ids.cluster_id,
            collection_name: self.collection_name,
            data_paths,
            db_name: self.target.database_name().map(str::to_owned),
            files,
            object_url,
            object_urls,
            options: self.options.into_iter().collect(),
            partition_name: self.partition_name,
            project_id: ids.project_id,
            region_id: ids.region_id,
            secret_key,
            token,
            volume_name,
        };
        Ok((body, key, scrubber))
    }
}

impl fmt::Debug for CreateImportJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |s: &Option<SecretString>| s.as_ref().map(|_| REDACTED);
        f.debug_struct("CreateImportJob")
            .field("target", &self.target)
            .field("collection_name", &self.collection_name)
            .field("partition_name", &self.partition_name)
            .field("source", &self.source)
            .field("access_key", &self.access_key)
            .field("secret_key", &redacted(&self.secret_key))
            .field("token", &redacted(&self.token))
            .field("options", &self.options)
            .field("idempotency_key", &self.idempotency_key)
            .finish()
    }
}
