//! The `emulator` command's flags: what the emulator knows (clusters,
//! projects, a key), how its jobs run, and its limits and timeouts, each
//! default the emulator's own constant; and the emulator they describe.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use clap::Args;
use zilliz_import_emulator::{
    DEFAULT_BODY_READ_TIMEOUT, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_JOB_LIMIT,
    DEFAULT_JOB_MEMORY_LIMIT, DEFAULT_REQUEST_LOG_CAPACITY, DEFAULT_VOLUME_CREDENTIALS_LIFETIME,
    DEFAULT_VOLUME_MAX_CONTENT_LENGTH, DEFAULT_VOLUME_MAX_FILE_NUMBER, DEFAULT_WRITE_TIMEOUT,
    Emulator, EmulatorBuilder,
};

use crate::durations::{Span, parse_span};

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Behave as open-source Milvus: `user:password` tokens (default
    /// root:Milvus), `files` sources, no cluster ids.
    #[arg(long)]
    pub milvus: bool,
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:19600")]
    pub listen: SocketAddr,
    /// Cluster ids the emulator knows (repeat the flag for more); a create
    /// naming another gets code 96018.
    #[arg(long = "cluster-id", default_value = "in01-emulator")]
    pub cluster_ids: Vec<String>,
    /// Serverless projects the emulator knows, each a project id and its
    /// region (repeat the flag for more); a create naming another pair gets
    /// code 80000.
    #[arg(
        long = "project",
        value_name = "ID:REGION",
        value_parser = parse_project,
        default_value = "proj-emulator:aws-us-west-2"
    )]
    pub projects: Vec<(String, String)>,
    /// How long an emulated job takes from start to Completed.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "3s")]
    pub job_duration: Duration,
    /// Jobs whose object URL or path contains this text fail.
    #[arg(long)]
    pub fail_when_url_contains: Option<String>,
    /// The most jobs the emulator holds: past it, finished jobs are
    /// forgotten, oldest first (describe then answers code 96026; 2100 with
    /// --milvus). Jobs not yet finished are never forgotten.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_JOB_LIMIT)]
    pub job_limit: usize,
    /// The most memory the emulator's jobs may hold, e.g. 256MiB, 1GiB or
    /// 500MB (a plain number is bytes). Finished jobs are forgotten, oldest
    /// first, to stay under it; a create that unfinished jobs leave no room
    /// for is refused (code 47055; 2100 with --milvus).
    #[arg(
        long,
        value_name = "SIZE",
        value_parser = parse_size,
        default_value_t = Bytes(DEFAULT_JOB_MEMORY_LIMIT)
    )]
    pub job_memory_limit: Bytes,
    /// How many of the most recent requests the emulator records in memory
    /// (0: none); whatever the count, they never hold more than 32 MiB.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_REQUEST_LOG_CAPACITY)]
    pub request_log_capacity: usize,
    /// How long a client has to send a request's head, and how long a
    /// keep-alive connection may sit idle, before the connection is closed.
    #[arg(
        long,
        value_name = "DURATION",
        value_parser = parse_span,
        default_value_t = Span(DEFAULT_HEADER_READ_TIMEOUT)
    )]
    pub header_read_timeout: Span,
    /// How long a client has, once its head is in, to send the whole body
    /// (then it is answered HTTP 408).
    #[arg(
        long,
        value_name = "DURATION",
        value_parser = parse_span,
        default_value_t = Span(DEFAULT_BODY_READ_TIMEOUT)
    )]
    pub body_read_timeout: Span,
    /// How long writing an answer may make no progress, the client not
    /// reading, before the connection is closed.
    #[arg(
        long,
        value_name = "DURATION",
        value_parser = parse_span,
        default_value_t = Span(DEFAULT_WRITE_TIMEOUT)
    )]
    pub write_timeout: Span,
    /// A collection collections/describe knows (with --milvus), NAME=FILE:
    /// FILE holds its schema as describe answers it (the whole answer, or
    /// its `data`); repeat for more. medium_articles, the quickstart's, is
    /// known unless replaced.
    #[arg(long = "collection", value_name = "NAME=FILE", value_parser = parse_collection)]
    pub collections: Vec<(String, PathBuf)>,
    /// Where volumes keep their files (made if missing; default: a
    /// temporary directory removed when the emulator stops).
    #[arg(long, value_name = "DIR")]
    pub volume_dir: Option<PathBuf>,
    /// Address of the volumes' S3-compatible endpoint, which apply answers
    /// (bucket emulator-volumes, region us-east-1, SigV4 with the keys and
    /// session token it hands out). Default: --listen's address and the
    /// next port (19601), or any free port when --listen's is 0.
    #[arg(long, value_name = "ADDR")]
    pub volume_storage_listen: Option<SocketAddr>,
    /// How long the credentials apply hands out last.
    #[arg(
        long,
        value_name = "DURATION",
        value_parser = parse_span,
        default_value_t = Span(DEFAULT_VOLUME_CREDENTIALS_LIFETIME)
    )]
    pub volume_credentials_lifetime: Span,
    /// The most bytes of one upload, as apply answers it (condition.maxContentLength).
    #[arg(
        long,
        value_name = "SIZE",
        value_parser = parse_size,
        default_value_t = Bytes(DEFAULT_VOLUME_MAX_CONTENT_LENGTH as usize)
    )]
    pub volume_max_content_length: Bytes,
    /// The most files of one upload, as apply answers it (condition.maxFileNumber).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_VOLUME_MAX_FILE_NUMBER)]
    pub volume_max_file_number: i64,
    /// Keep volumes in this S3-compatible store instead:
    /// http(s)://HOST[:PORT]/BUCKET (path-style, the bucket made already;
    /// ?region=R, default us-east-1), with its keys from AWS_ACCESS_KEY_ID
    /// and AWS_SECRET_ACCESS_KEY. Apply then hands out credentials from
    /// its STS (AssumeRole) where it has one, else those keys.
    #[arg(long, value_name = "URL")]
    pub object_store: Option<String>,
    /// The --object-store's access key.
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true, hide = true)]
    pub object_store_access_key: Option<String>,
    /// The --object-store's secret key.
    #[arg(
        long,
        env = "AWS_SECRET_ACCESS_KEY",
        hide_env_values = true,
        hide = true
    )]
    pub object_store_secret_key: Option<String>,
}

impl EmulatorArgs {
    /// The emulator these flags describe, taking `api_key` (or, with
    /// --milvus, that `user:password` token) when one is given.
    pub fn builder(&self, api_key: Option<String>) -> EmulatorBuilder {
        let mut builder = Emulator::builder();
        if self.milvus {
            builder = builder.milvus();
        }
        let mut builder = builder
            .listen(self.listen)
            .cluster_ids(self.cluster_ids.iter().cloned())
            .projects(self.projects.iter().cloned())
            .job_duration(self.job_duration)
            .job_limit(self.job_limit)
            .job_memory_limit(self.job_memory_limit.0)
            .request_log_capacity(self.request_log_capacity)
            .header_read_timeout(self.header_read_timeout.0)
            .body_read_timeout(self.body_read_timeout.0)
            .write_timeout(self.write_timeout.0)
            .volume_storage_listen(self.volume_storage_addr())
            .volume_credentials_lifetime(self.volume_credentials_lifetime.0)
            .volume_condition(
                i64::try_from(self.volume_max_content_length.0).unwrap_or(i64::MAX),
                Some(self.volume_max_file_number),
            );
        if let Some(dir) = &self.volume_dir {
            builder = builder.volume_dir(dir);
        }
        if let Some(url) = &self.object_store {
            let key = |k: &Option<String>| k.clone().unwrap_or_default();
            let (access, secret) = (&self.object_store_access_key, &self.object_store_secret_key);
            builder = builder.volume_object_store(url, key(access), key(secret));
        }
        if let Some(key) = api_key {
            builder = builder.api_key(key);
        }
        if let Some(pattern) = &self.fail_when_url_contains {
            builder = builder.fail_when_url_contains(pattern);
        }
        builder
    }
}

impl EmulatorArgs {
    /// Where the volumes' S3 endpoint listens (see `--volume-storage-listen`).
    pub fn volume_storage_addr(&self) -> SocketAddr {
        self.volume_storage_listen.unwrap_or_else(|| {
            let port = match self.listen.port() {
                0 => 0,
                port => port.saturating_add(1),
            };
            SocketAddr::new(self.listen.ip(), port)
        })
    }

    /// [`EmulatorArgs::builder`] with each `--collection`'s schema read from
    /// its file: a file that cannot be read or is not JSON is refused here,
    /// one that is not a describe answer when the emulator starts.
    pub fn builder_with_collections(
        &self,
        api_key: Option<String>,
    ) -> Result<EmulatorBuilder, String> {
        let mut builder = self.builder(api_key);
        for (name, path) in &self.collections {
            let shown = path.display();
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--collection {name}={shown}: cannot read it: {e}"))?;
            let schema = serde_json::from_str(&text)
                .map_err(|e| format!("--collection {name}={shown}: not JSON: {e}"))?;
            builder = builder.collection(name, schema);
        }
        Ok(builder)
    }
}

/// `NAME=FILE`, split at the first `=`; neither part empty.
fn parse_collection(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((name, file)) if !name.trim().is_empty() && !file.is_empty() => {
            Ok((name.to_owned(), PathBuf::from(file)))
        }
        _ => Err("expected NAME=FILE, e.g. books=books-schema.json".to_owned()),
    }
}

/// `ID:REGION`, split at the first `:`; neither part empty or padded.
fn parse_project(text: &str) -> Result<(String, String), String> {
    const SHAPE: &str = "expected ID:REGION, e.g. proj-emulator:aws-us-west-2";
    let Some((id, region)) = text.split_once(':') else {
        return Err(SHAPE.to_owned());
    };
    for part in [id, region] {
        if part.is_empty() || part.trim() != part {
            return Err(format!("{SHAPE} (neither part empty or padded)"));
        }
    }
    Ok((id.to_owned(), region.to_owned()))
}

/// A size in bytes, shown in the largest binary unit that divides it
/// (`256MiB`), as [`parse_size`] reads it back: a flag's default from a
/// constant, in its help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bytes(pub usize);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        match [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
            .into_iter()
            .find(|(scale, _)| n != 0 && n.is_multiple_of(*scale))
        {
            Some((scale, unit)) => write!(f, "{}{unit}", n / scale),
            None => write!(f, "{n}B"),
        }
    }
}

/// A size such as `256MiB`, `1GiB`, `500MB` or `1048576` (bytes): a whole
/// number, then optionally a binary (KiB, MiB, GiB) or decimal (KB, MB, GB)
/// unit, in any case.
fn parse_size(text: &str) -> Result<Bytes, String> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let number: usize = digits
        .parse()
        .map_err(|_| "expected a whole number, then a unit such as MiB".to_owned())?;
    let scale: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" => 1 << 10,
        "mb" => 1_000_000,
        "mib" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return Err("the unit must be B, KB, KiB, MB, MiB, GB or GiB".to_owned()),
    };
    number
        .checked_mul(scale)
        .map(Bytes)
        .ok_or_else(|| "larger than this machine can address".to_owned())
}

#[cfg(test)]
mod tests;
