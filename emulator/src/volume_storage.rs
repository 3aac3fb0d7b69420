//! Volumes' storage: a local directory served as an S3-compatible endpoint
//! on a listener of its own, so a real S3 client (SigV4 with a session
//! token) uploads into the volumes the emulator hands out.
//!
//! The endpoint is `s3s` over `s3s-fs` (a directory per bucket, an object
//! per file, multipart uploads): one bucket, [`BUCKET`], holds every
//! volume under the prefix `<volume>/`. Apply grants an access key, a
//! secret key and a session token for one folder of one volume until an
//! instant of the emulator's clock; the endpoint checks each request's
//! signature with the grant's secret (s3s), then that the grant exists and
//! has not expired (`ExpiredToken`), that the request carries its session
//! token (`InvalidToken` otherwise, as AWS answers), and that it touches
//! only objects under the granted folder (`AccessDenied`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::path::S3Path;
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{S3Result, s3_error};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::shared::{Shared, lock};

/// The bucket every volume lives in, under the prefix `<volume>/`.
pub(crate) const BUCKET: &str = "emulator-volumes";
/// The region apply answers; s3s checks no region.
pub(crate) const REGION: &str = "us-east-1";
/// The most grants held at once.
const MAX_GRANTS: usize = 10_000;
/// The header carrying a session token (SigV4, signed).
const SECURITY_TOKEN: &str = "x-amz-security-token";

/// Temporary credentials for one folder of one volume.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) secret_key: String,
    pub(crate) session_token: String,
    pub(crate) volume: String,
    /// What the keys may write under: `<volume>/<path>`.
    pub(crate) prefix: String,
    /// When the grant expires, on the emulator's clock.
    pub(crate) expires_at: Duration,
}

/// The grants handed out, by access key: shared by apply (which adds),
/// delete (which revokes) and the endpoint.
#[derive(Debug, Default)]
pub(crate) struct Grants {
    by_key: Mutex<HashMap<String, Grant>>,
}

impl Grants {
    /// Adds a grant; grants expired by `now` are dropped on the way, so
    /// they do not pile up over a long run, and past [`MAX_GRANTS`] the one
    /// that expires first goes, so that no client can make them grow
    /// without bound.
    pub(crate) fn add(&self, access_key: String, grant: Grant, now: Duration) {
        let mut by_key = lock(&self.by_key);
        by_key.retain(|_, g| g.expires_at > now);
        if by_key.len() >= MAX_GRANTS {
            let first = by_key.iter().min_by_key(|(_, g)| g.expires_at);
            if let Some(key) = first.map(|(k, _)| k.clone()) {
                by_key.remove(&key);
            }
        }
        by_key.insert(access_key, grant);
    }

    /// Revokes every grant of `volume` (when it is deleted).
    pub(crate) fn revoke(&self, volume: &str) {
        lock(&self.by_key).retain(|_, g| g.volume != volume);
    }

    fn get(&self, access_key: &str) -> Option<Grant> {
        lock(&self.by_key).get(access_key).cloned()
    }
}

/// The directory the volumes are kept in: given, or a temporary one
/// removed when the emulator is dropped.
#[derive(Debug)]
pub(crate) struct Storage {
    root: PathBuf,
    /// Held so the temporary directory lives as long as the emulator.
    _temporary: Option<tempfile::TempDir>,
}

impl Storage {
    /// `dir`, or a new temporary directory; the bucket's directory is made.
    pub(crate) fn new(dir: Option<PathBuf>) -> std::io::Result<Self> {
        let (root, temporary) = match dir {
            Some(dir) => (dir, None),
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("zilliz-emulator-volumes-")
                    .tempdir()?;
                (temp.path().to_owned(), Some(temp))
            }
        };
        std::fs::create_dir_all(root.join(BUCKET))?;
        Ok(Storage {
            root,
            _temporary: temporary,
        })
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The file of the object `key` of [`BUCKET`] (keys are checked
    /// relative and without `..` by whoever builds them).
    fn object(&self, key: &str) -> PathBuf {
        self.root.join(BUCKET).join(key)
    }

    /// Whether a data path of an import exists under `prefix`: a path
    /// ending with `/` is a folder holding at least one object, any other
    /// an object.
    pub(crate) fn holds(&self, prefix: &str, path: &str) -> bool {
        let file = self.object(&format!("{prefix}{path}"));
        if path.ends_with('/') {
            std::fs::read_dir(&file).is_ok_and(|mut d| d.next().is_some())
        } else {
            file.is_file()
        }
    }

    /// The bytes and rows of what a data path names under `prefix` (a
    /// folder: the files in it), for a job's `fileSize` and rows, so an
    /// import of files someone uploaded reports what they hold, as the
    /// service does. Rows are read from a Parquet file's footer (the row
    /// count its writer recorded) and counted as the lines of a JSONL
    /// file; other formats, and a Parquet file whose footer does not
    /// parse, have no count (`None`): the job then reports the rows the
    /// emulator makes up for any file.
    pub(crate) fn measure(&self, prefix: &str, path: &str) -> Option<(i64, Option<i64>)> {
        let at = self.object(&format!("{prefix}{path}"));
        let files: Vec<PathBuf> = if path.ends_with('/') {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&at)
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            files
        } else {
            vec![at]
        };
        let (mut bytes, mut rows) = (0i64, Some(0i64));
        for file in &files {
            let len = std::fs::metadata(file).ok()?.len();
            bytes = bytes.saturating_add(i64::try_from(len).unwrap_or(i64::MAX));
            rows = rows.zip(rows_in(file)).map(|(a, b)| a.saturating_add(b));
        }
        Some((bytes, rows))
    }

    /// Removes a volume and what it holds.
    pub(crate) fn remove(&self, volume: &str) {
        let _ = std::fs::remove_dir_all(self.object(volume));
    }
}

/// Starts the S3 endpoint on `listener` over the volumes' directory,
/// checking requests against the grants; the task serves until aborted.
pub(crate) fn serve(listener: TcpListener, shared: Arc<Shared>) -> std::io::Result<JoinHandle<()>> {
    let root = shared.storage.root();
    let fs = s3s_fs::FileSystem::new(root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    let mut builder = S3ServiceBuilder::new(fs);
    builder.set_auth(GrantAuth(Arc::clone(&shared)));
    builder.set_access(GrantAccess(shared));
    let service: S3Service = builder.build();
    Ok(tokio::spawn(async move {
        loop {
            let Ok((stream, _peer)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let service = service.clone();
            tokio::spawn(async move {
                let connection = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service);
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "volume storage connection ended with an error");
                }
            });
        }
    }))
}

/// The secret key of a granted access key, for s3s to check the signature.
struct GrantAuth(Arc<Shared>);

#[async_trait::async_trait]
impl S3Auth for GrantAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        match self.0.grants.get(access_key) {
            Some(grant) => Ok(SecretKey::from(grant.secret_key)),
            None => Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )),
        }
    }
}

/// What a signed request may do: see the module's docs.
struct GrantAccess(Arc<Shared>);

#[async_trait::async_trait]
impl S3Access for GrantAccess {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let Some(credentials) = cx.credentials() else {
            return Err(s3_error!(AccessDenied, "Signature is required"));
        };
        let Some(grant) = self.0.grants.get(&credentials.access_key) else {
            return Err(s3_error!(InvalidAccessKeyId));
        };
        if self.0.clock.now() >= grant.expires_at {
            return Err(s3_error!(ExpiredToken, "The provided token has expired."));
        }
        let token = cx.headers().get(SECURITY_TOKEN).map(|v| v.as_bytes());
        if token != Some(grant.session_token.as_bytes()) {
            return Err(s3_error!(
                InvalidToken,
                "The provided token is malformed or otherwise invalid."
            ));
        }
        let allowed = match cx.s3_path() {
            S3Path::Object { bucket, key } => {
                &**bucket == BUCKET && key.starts_with(&grant.prefix) && !key.contains("..")
            }
            // Listing the granted folder (the uploader's "is it there").
            S3Path::Bucket { bucket } => {
                let prefix = cx.uri().query().and_then(|q| {
                    url::form_urlencoded::parse(q.as_bytes())
                        .find(|(k, _)| k == "prefix")
                        .map(|(_, v)| v.into_owned())
                });
                &**bucket == BUCKET
                    && cx.method() == hyper::Method::GET
                    && prefix.is_some_and(|p| p.starts_with(&grant.prefix))
            }
            S3Path::Root => false,
        };
        if !allowed {
            return Err(s3_error!(
                AccessDenied,
                "these credentials are for s3://{BUCKET}/{} only",
                grant.prefix
            ));
        }
        Ok(())
    }
}

/// The rows of one file, where its format tells them cheaply (see
/// [`Storage::measure`]).
fn rows_in(file: &Path) -> Option<i64> {
    let name = file.file_name()?.to_str()?;
    if name.ends_with(".parquet") {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let reader = SerializedFileReader::new(std::fs::File::open(file).ok()?).ok()?;
        return Some(reader.metadata().file_metadata().num_rows());
    }
    if name.ends_with(".jsonl") {
        let text = std::fs::read(file).ok()?;
        let lines = text
            .split(|&b| b == b'\n')
            .filter(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
            .count();
        return i64::try_from(lines).ok();
    }
    None
}
