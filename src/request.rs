//! Requests the caller builds, checked before anything is sent.
//!
//! [`CreateImportJob`] holds storage credentials, so it keeps them in secret
//! types and prints a placeholder in their place; a presigned URL prints
//! without its query string (the signature).

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    num::NonZeroU32,
    time::Duration,
};

use secrecy::{ExposeSecret, SecretString};

use crate::{
    CloudTarget, Error, Target,
    generated::types,
    limits,
    redact::{REDACTED, Scrubber, escape_controls, redact_url, url_secrets},
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
/// Each deployment has its constructors, so a source goes only where it is
/// read: object URLs and volumes to a [`CloudTarget`] (a cluster or a
/// project), files to open-source Milvus.
///
/// ```
/// use std::time::Duration;
/// use zilliz_import::{CloudTarget, CreateImportJob};
/// // The seed's shortcut: a cluster, a collection, one object URL.
/// let job = CreateImportJob::new("in01-0123456789abcdef", "medium_articles", "s3://bucket/a.parquet")
///     .partition("p2024")
///     .storage_credentials("AKIAEXAMPLE", "wJalrEXAMPLEKEY")
///     .generate_idempotency_key();
/// assert!(format!("{job:?}").contains("secret_key: Some(\"<redacted>\")"));
/// // A serverless project, from a volume.
/// let project = CloudTarget::project("proj-0123456789abcdef", "aws-us-west-2");
/// let job = CreateImportJob::from_volume(project, "medium_articles", "my_volume", [["folder/1.parquet"]]);
/// // Open-source Milvus: files in its bucket, a NumPy group, options as strings.
/// let job = CreateImportJob::from_files("medium_articles", [vec!["a.parquet"], vec!["id.npy", "vec.npy"]])
///     .timeout(Duration::from_secs(300))
///     .auto_commit(false);
/// ```
#[derive(Clone)]
#[must_use]
pub struct CreateImportJob {
    target: Target,
    collection_name: String,
    partition_name: Option<String>,
    // The sources: exactly one is set, and each goes to one kind of target
    // (checked by `validate`; the constructors only make right pairs).
    object_url: Option<String>,
    object_urls: Option<Vec<Vec<String>>>,
    volume_name: Option<String>,
    data_paths: Option<Vec<Vec<String>>>,
    files: Option<Vec<Vec<String>>>,
    access_key: Option<String>,
    secret_key: Option<SecretString>,
    token: Option<SecretString>,
    options: BTreeMap<String, String>,
    idempotency_key: IdempotencyKey,
}

/// Groups of paths from any nesting of iterables of strings.
fn collect_groups<G, U>(groups: G) -> Vec<Vec<String>>
where
    G: IntoIterator,
    G::Item: IntoIterator<Item = U>,
    U: Into<String>,
{
    groups
        .into_iter()
        .map(|g| g.into_iter().map(Into::into).collect())
        .collect()
}

impl CreateImportJob {
    /// Import the file (or folder) at `object_url` into `collection_name` of
    /// a cluster: the seed page's request.
    pub fn new(
        cluster_id: impl Into<String>,
        collection_name: impl Into<String>,
        object_url: impl Into<String>,
    ) -> Self {
        Self::from_object_url(
            CloudTarget::cluster(cluster_id),
            collection_name,
            object_url,
        )
    }

    /// Import the file (or folder) at `object_url` (sent as the seed's
    /// `objectUrl`) into a cluster or a project.
    pub fn from_object_url(
        target: impl Into<CloudTarget>,
        collection_name: impl Into<String>,
        object_url: impl Into<String>,
    ) -> Self {
        Self::with(target.into().into(), collection_name.into()).object_url(object_url)
    }

    /// Import groups of files (`objectUrls`: one inner list per file group)
    /// into a cluster; later docs prefer it over a single `objectUrl`.
    pub fn with_object_urls<G, U>(
        cluster_id: impl Into<String>,
        collection_name: impl Into<String>,
        groups: G,
    ) -> Self
    where
        G: IntoIterator,
        G::Item: IntoIterator<Item = U>,
        U: Into<String>,
    {
        Self::from_object_urls(CloudTarget::cluster(cluster_id), collection_name, groups)
    }

    /// Import groups of object URLs into a cluster or a project.
    pub fn from_object_urls<G, U>(
        target: impl Into<CloudTarget>,
        collection_name: impl Into<String>,
        groups: G,
    ) -> Self
    where
        G: IntoIterator,
        G::Item: IntoIterator<Item = U>,
        U: Into<String>,
    {
        Self::with(target.into().into(), collection_name.into()).object_urls(groups)
    }

    /// Import from a volume (`volumeName`), reading these paths in it
    /// (`dataPaths`, one inner list per file group), into a cluster or a
    /// project.
    pub fn from_volume<G, U>(
        target: impl Into<CloudTarget>,
        collection_name: impl Into<String>,
        volume_name: impl Into<String>,
        data_paths: G,
    ) -> Self
    where
        G: IntoIterator,
        G::Item: IntoIterator<Item = U>,
        U: Into<String>,
    {
        CreateImportJob {
            volume_name: Some(volume_name.into()),
            data_paths: Some(collect_groups(data_paths)),
            ..Self::with(target.into().into(), collection_name.into())
        }
    }

    /// Import files from the bucket an open-source Milvus is configured with
    /// (`files`, one inner list per file group: one file, or for NumPy one
    /// `.npy` file per field). The client's base URL is the Milvus.
    pub fn from_files<G, U>(collection_name: impl Into<String>, files: G) -> Self
    where
        G: IntoIterator,
        G::Item: IntoIterator<Item = U>,
        U: Into<String>,
    {
        CreateImportJob {
            files: Some(collect_groups(files)),
            ..Self::with(Target::milvus(), collection_name.into())
        }
    }

    fn with(target: Target, collection_name: String) -> Self {
        CreateImportJob {
            target,
            collection_name,
            partition_name: None,
            object_url: None,
            object_urls: None,
            volume_name: None,
            data_paths: None,
            files: None,
            access_key: None,
            secret_key: None,
            token: None,
            options: BTreeMap::new(),
            idempotency_key: IdempotencyKey::None,
        }
    }

    /// The target partition.
    pub fn partition(mut self, name: impl Into<String>) -> Self {
        self.partition_name = Some(name.into());
        self
    }

    /// The database of the target collection (`dbName`, and the `DB-Name`
    /// header).
    pub fn database(mut self, name: impl Into<String>) -> Self {
        self.target.set_database(name.into());
        self
    }

    /// Sets `objectUrl`. Exactly one source may be set: on a job with
    /// another (`objectUrls`, a volume, files) it is refused before sending.
    pub fn object_url(mut self, url: impl Into<String>) -> Self {
        self.object_url = Some(url.into());
        self
    }

    /// Sets `objectUrls`; see [`object_url`](Self::object_url).
    pub fn object_urls<G, U>(mut self, groups: G) -> Self
    where
        G: IntoIterator,
        G::Item: IntoIterator<Item = U>,
        U: Into<String>,
    {
        self.object_urls = Some(collect_groups(groups));
        self
    }

    /// An import option (`options`), such as `skip_disk_quota_check`; sent
    /// as a JSON string, as the server requires. Replaces an earlier value
    /// of the same key. The typed setters below set the documented keys.
    pub fn option(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.insert(key.into(), value.into());
        self
    }

    /// How long the job may run before the server fails it (option
    /// `timeout`, sent as e.g. `"300s"`); without it a stuck job can run for
    /// ever. Must not be zero.
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

    /// Whether the job commits its data when it finishes (option
    /// `auto_commit`, sent as `"true"` or `"false"`; the server's default is
    /// true). With `false` the job waits in `Uncommitted` for a commit or an
    /// abort.
    pub fn auto_commit(self, auto_commit: bool) -> Self {
        self.option(option_keys::AUTO_COMMIT, auto_commit.to_string())
    }

    /// The field separator of CSV files (option `sep`).
    pub fn separator(self, separator: char) -> Self {
        self.option(option_keys::SEPARATOR, separator.to_string())
    }

    /// The text that stands for null in CSV files (option `nullkey`).
    pub fn null_key(self, null_key: impl Into<String>) -> Self {
        self.option(option_keys::NULL_KEY, null_key.into())
    }

    /// The object store's access key and secret key; they go together.
    pub fn storage_credentials(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.access_key = Some(access_key.into());
        self.secret_key = Some(SecretString::from(secret_key.into()));
        self
    }

    /// Only the access key. Prefer [`storage_credentials`](Self::storage_credentials);
    /// this exists for callers that read the two from different places.
    pub fn access_key(mut self, access_key: impl Into<String>) -> Self {
        self.access_key = Some(access_key.into());
        self
    }

    /// Only the secret key; see [`access_key`](Self::access_key).
    pub fn secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.secret_key = Some(SecretString::from(secret_key.into()));
        self
    }

    /// The session token of temporary storage credentials (`token`).
    pub fn session_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(SecretString::from(token.into()));
        self
    }

    /// Send this `Idempotency-Key` on every attempt, which makes the create
    /// safe to retry after a timeout or a 5xx, **if the server honours the
    /// header** (open-source Milvus 2.6.24+ does; a server that does not know
    /// it ignores it, and a retry could then start a second import).
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = IdempotencyKey::Key(key.into());
        self
    }

    /// Like [`idempotency_key`](Self::idempotency_key) with a random key made
    /// once for this call; read it back from [`crate::CreatedImportJob::idempotency_key`].
    pub fn generate_idempotency_key(mut self) -> Self {
        self.idempotency_key = IdempotencyKey::Generate;
        self
    }

    /// The target cluster's id; empty when the target is a project or Milvus
    /// (see [`target`](Self::target)).
    pub fn cluster_id(&self) -> &str {
        match self.target.cloud() {
            Some(CloudTarget::Cluster { cluster_id }) => cluster_id,
            _ => "",
        }
    }

    /// Where the job is to run.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The target collection.
    pub fn collection_name(&self) -> &str {
        &self.collection_name
    }

    /// Checks every rule the API states, so a bad request is refused with a
    /// message naming the field instead of being sent: the target's ids, one
    /// source and one the target reads, no empty group or path, one file per
    /// group for JSON, Parquet and CSV, no more groups than the target takes,
    /// credentials that go together, option keys and the idempotency key.
    pub fn validate(&self) -> Result<(), Error> {
        self.target.validate_ids()?;
        not_blank("collectionName", &self.collection_name)?;
        if let Some(p) = &self.partition_name {
            not_blank("partitionName", p)?;
        }
        self.target.validate_database()?;
        let groups = self.check_source()?;
        let max = self.target.max_file_groups();
        if groups > max {
            return Err(Error::invalid(
                self.source_field(),
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

    /// The body field of the source that is set, for messages.
    fn source_field(&self) -> &'static str {
        if self.files.is_some() {
            "files"
        } else if self.data_paths.is_some() {
            "dataPaths"
        } else if self.object_urls.is_some() {
            "objectUrls"
        } else {
            "objectUrl"
        }
    }

    /// Exactly one source, one the target reads, every group sound; returns
    /// how many groups it names.
    fn check_source(&self) -> Result<usize, Error> {
        let object = self.object_url.is_some() || self.object_urls.is_some();
        let set = [
            object,
            self.volume_name.is_some() || self.data_paths.is_some(),
            self.files.is_some(),
        ];
        match set.iter().filter(|s| **s).count() {
            0 => {
                return Err(Error::invalid(
                    "objectUrl",
                    "no data source: set object URLs, a volume, or (for Milvus) files",
                ));
            }
            1 => {}
            _ => {
                return Err(Error::invalid(
                    self.source_field(),
                    "more than one data source: set only one of object URLs, a volume, files",
                ));
            }
        }
        if self.files.is_some() && !self.target.is_milvus() {
            return Err(Error::invalid(
                "files",
                format!(
                    "files are read by open-source Milvus only; {} reads object URLs or a volume",
                    self.target.kind()
                ),
            ));
        }
        if self.files.is_none() && self.target.is_milvus() {
            return Err(Error::invalid(
                self.source_field(),
                "open-source Milvus reads files from its own bucket, not object URLs or volumes",
            ));
        }
        if let Some(files) = &self.files {
            return check_groups("files", files, |_| Ok(()));
        }
        if self.volume_name.is_some() || self.data_paths.is_some() {
            not_blank(
                "volumeName",
                self.volume_name.as_deref().unwrap_or_default(),
            )?;
            let Some(paths) = &self.data_paths else {
                return Err(Error::invalid("dataPaths", "a volume needs data paths"));
            };
            return check_groups("dataPaths", paths, |_| Ok(()));
        }
        match (&self.object_url, &self.object_urls) {
            (Some(_), Some(_)) => Err(Error::invalid(
                "objectUrl",
                "objectUrl and objectUrls are both set; send exactly one",
            )),
            (Some(url), None) => {
                check_object_url("objectUrl", url)?;
                Ok(1)
            }
            (_, groups) => check_groups("objectUrls", groups.as_deref().unwrap_or_default(), |u| {
                check_object_url("objectUrls", u)
            }),
        }
    }

    /// Storage credentials go with object URLs, and with each other.
    fn check_credentials(&self) -> Result<(), Error> {
        let has_secret = self
            .secret_key
            .as_ref()
            .is_some_and(|s| !s.expose_secret().is_empty());
        let has_access = self.access_key.as_deref().is_some_and(|a| !a.is_empty());
        if (has_access || has_secret || self.session_token_value().is_some())
            && self.object_url.is_none()
            && self.object_urls.is_none()
        {
            return Err(Error::invalid(
                if has_access { "accessKey" } else { "secretKey" },
                "storage credentials go with object URLs; volumes and Milvus files need none",
            ));
        }
        match (has_access, has_secret) {
            (true, false) => {
                return Err(Error::invalid(
                    "secretKey",
                    "an access key was given without a secret key; they go together",
                ));
            }
            (false, true) => {
                return Err(Error::invalid(
                    "accessKey",
                    "a secret key was given without an access key; they go together",
                ));
            }
            _ => {}
        }
        if self.session_token_value().is_some() && !has_secret {
            return Err(Error::invalid(
                "token",
                "a session token needs the access key and secret key it belongs to",
            ));
        }
        Ok(())
    }

    /// The session token, when one is set and not empty (empty means unset,
    /// as for every optional string of this API).
    fn session_token_value(&self) -> Option<&str> {
        self.token
            .as_ref()
            .map(|t| t.expose_secret())
            .filter(|t| !t.is_empty())
    }

    /// The key to send on every attempt of this call, made now if asked for.
    pub(crate) fn resolve_idempotency_key(&self) -> Option<String> {
        match &self.idempotency_key {
            IdempotencyKey::None => None,
            IdempotencyKey::Key(k) => Some(k.clone()),
            IdempotencyKey::Generate => Some(uuid::Uuid::new_v4().to_string()),
        }
    }

    /// The secrets this request carries, for scrubbing server text.
    pub(crate) fn scrubber(&self, base: Scrubber) -> Scrubber {
        let urls = self
            .object_url
            .iter()
            .chain(self.object_urls.iter().flatten().flatten());
        let mut s = base;
        for secret in urls.flat_map(|u| url_secrets(u)) {
            s = s.with(secret);
        }
        for secret in self.secret_key.iter().chain(&self.token) {
            s = s.with(secret.expose_secret());
        }
        s
    }

    /// The generated body. Built through the generated builder, so a field
    /// added to `openapi.yaml` does not break this code.
    pub(crate) fn to_body(&self) -> Result<types::CreateImportJobRequest, Error> {
        let ids = self.target.body_ids();
        let options: HashMap<String, String> = self.options.clone().into_iter().collect();
        let mut b = types::CreateImportJobRequest::builder()
            .cluster_id(ids.cluster_id)
            .project_id(ids.project_id)
            .region_id(ids.region_id)
            .collection_name(self.collection_name.clone())
            .partition_name(self.partition_name.clone())
            .db_name(self.target.database_name().map(str::to_owned))
            .object_url(self.object_url.clone())
            .object_urls(self.object_urls.clone().unwrap_or_default())
            .volume_name(self.volume_name.clone())
            .data_paths(self.data_paths.clone().unwrap_or_default())
            .files(self.files.clone().unwrap_or_default())
            .options(options);
        if let (Some(ak), Some(sk)) = (&self.access_key, &self.secret_key)
            && !ak.is_empty()
        {
            b = b
                .access_key(Some(ak.clone()))
                .secret_key(Some(sk.expose_secret().to_owned()));
        }
        if let Some(token) = self.session_token_value() {
            b = b.token(Some(token.to_owned()));
        }
        b.try_into()
            .map_err(|e: types::error::ConversionError| Error::invalid("body", e.to_string()))
    }
}

impl fmt::Debug for CreateImportJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |s: &Option<SecretString>| s.as_ref().map(|_| REDACTED);
        f.debug_struct("CreateImportJob")
            .field("target", &self.target)
            .field("collection_name", &self.collection_name)
            .field("partition_name", &self.partition_name)
            .field("object_url", &self.object_url.as_deref().map(redact_url))
            .field(
                "object_urls",
                &self.object_urls.as_ref().map(|groups| {
                    groups
                        .iter()
                        .map(|g| g.iter().map(|u| redact_url(u)).collect::<Vec<_>>())
                        .collect::<Vec<_>>()
                }),
            )
            .field("volume_name", &self.volume_name)
            .field("data_paths", &self.data_paths)
            .field("files", &self.files)
            .field("access_key", &self.access_key)
            .field("secret_key", &redacted(&self.secret_key))
            .field("token", &redacted(&self.token))
            .field("options", &self.options)
            .field("idempotency_key", &self.idempotency_key)
            .finish()
    }
}

/// The most pages [`crate::Client::list_all_import_jobs`] walks unless told
/// otherwise: 1,000 pages (100,000 jobs at 100 a page).
pub const DEFAULT_MAX_PAGES: u32 = 1000;

/// Which jobs to list: a target's, optionally of one collection, a page at
/// a time (open-source Milvus answers every job at once, without pages).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ListImportJobs {
    pub(crate) target: Target,
    pub(crate) collection_name: Option<String>,
    pub(crate) page_size: u32,
    pub(crate) page: u32,
    pub(crate) max_pages: u32,
}

impl ListImportJobs {
    /// A cluster's jobs, the first page of 10.
    pub fn new(cluster_id: impl Into<String>) -> Self {
        Self::of(Target::cluster(cluster_id))
    }

    /// A target's jobs: a cluster's or a project's, the first page of 10;
    /// on Milvus, all of them.
    pub fn of(target: impl Into<Target>) -> Self {
        ListImportJobs {
            target: target.into(),
            collection_name: None,
            page_size: limits::DEFAULT_PAGE_SIZE,
            page: 1,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    /// Jobs per page, 1 to 100 (ignored by Milvus, which has no pages).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// The page, from 1 (ignored by Milvus, which has no pages).
    pub fn page(mut self, page: u32) -> Self {
        self.page = page;
        self
    }

    /// The most pages a walk ([`crate::Client::list_all_import_jobs`]) may
    /// take (default [`DEFAULT_MAX_PAGES`], at least 1); past it the walk
    /// ends with [`crate::WalkError::PageLimitReached`].
    pub fn max_pages(mut self, pages: u32) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    /// Only jobs in this database (`dbName`, and the `DB-Name` header).
    pub fn database(mut self, name: impl Into<String>) -> Self {
        self.target.set_database(name.into());
        self
    }

    /// Only jobs of this collection.
    pub fn collection(mut self, name: impl Into<String>) -> Self {
        self.collection_name = Some(name.into());
        self
    }

    /// Whether the server answers in pages: the control plane does, Milvus
    /// answers every job at once.
    pub(crate) fn is_paged(&self) -> bool {
        !self.target.is_milvus()
    }

    /// Checks the target and the ranges the API enforces (codes 96008 and
    /// 96009).
    pub fn validate(&self) -> Result<(), Error> {
        self.target.validate()?;
        if let Some(c) = &self.collection_name {
            not_blank("collectionName", c)?;
        }
        if !self.is_paged() {
            return Ok(());
        }
        if !limits::PAGE_SIZES.contains(&self.page_size) {
            return Err(Error::invalid(
                "pageSize",
                format!(
                    "{} is outside {}..={}",
                    self.page_size,
                    limits::PAGE_SIZES.start(),
                    limits::PAGE_SIZES.end()
                ),
            ));
        }
        if self.page < 1 {
            return Err(Error::invalid("currentPage", "pages count from 1"));
        }
        Ok(())
    }

    pub(crate) fn to_body(&self) -> Result<types::ListImportJobsRequest, Error> {
        let ids = self.target.body_ids();
        let paged = self.is_paged();
        types::ListImportJobsRequest::builder()
            .cluster_id(ids.cluster_id)
            .project_id(ids.project_id)
            .region_id(ids.region_id)
            .collection_name(self.collection_name.clone())
            .db_name(self.target.database_name().map(str::to_owned))
            .page_size(NonZeroU32::new(self.page_size).filter(|_| paged))
            .current_page(NonZeroU32::new(self.page).filter(|_| paged))
            .try_into()
            .map_err(|e: types::error::ConversionError| Error::invalid("body", e.to_string()))
    }
}

/// Every group of a source sound (see [`limits::file_group_problem`]) and
/// each path accepted by `path`; the number of groups.
fn check_groups(
    field: &'static str,
    groups: &[Vec<String>],
    path: impl Fn(&str) -> Result<(), Error>,
) -> Result<usize, Error> {
    if groups.is_empty() {
        return Err(Error::invalid(
            field,
            "needs at least one group, and every group at least one path",
        ));
    }
    for (n, group) in groups.iter().enumerate() {
        if let Some(problem) = limits::file_group_problem(group) {
            return Err(Error::invalid(field, format!("group {}: {problem}", n + 1)));
        }
        group.iter().try_for_each(|p| path(p))?;
    }
    Ok(groups.len())
}

/// A Go duration the server's `timeout` option takes: a positive number
/// followed by `ms`, `s`, `m` or `h`, such as `300s` or `1.5h`.
fn is_positive_duration(text: &str) -> bool {
    let number = ["ms", "s", "m", "h"]
        .iter()
        .find_map(|unit| text.strip_suffix(unit));
    number
        .filter(|n| n.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        .and_then(|n| n.parse::<f64>().ok())
        .is_some_and(|n| n.is_finite() && n > 0.0)
}

pub(crate) fn not_blank(field: &'static str, value: &str) -> Result<(), Error> {
    if value.trim().is_empty() {
        Err(Error::invalid(field, "must not be empty"))
    } else {
        Ok(())
    }
}

fn check_object_url(field: &'static str, raw: &str) -> Result<(), Error> {
    let url = url::Url::parse(raw)
        .map_err(|e| Error::invalid(field, format!("`{}` is not a URL: {e}", redact_url(raw))))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid(
            field,
            format!("`{}` names no bucket or host", redact_url(raw)),
        ));
    }
    Ok(())
}

fn check_idempotency_key(key: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::invalid("Idempotency-Key", "must not be empty"));
    }
    if let Some(problem) = limits::idempotency_key_problem(key.as_bytes()) {
        return Err(Error::invalid("Idempotency-Key", problem));
    }
    if key.trim() != key {
        // HTTP trims header values: the server would see another key.
        return Err(Error::invalid(
            "Idempotency-Key",
            "must not start or end with a space",
        ));
    }
    Ok(())
}
