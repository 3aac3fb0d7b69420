//! The moto server the tests run against (started by `ci.sh`), grant
//! sources handing out its STS credentials, and how the recording
//! connector (`common/recording.rs`) names the uploader's S3 requests and
//! lets a test answer some itself.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::recording::{self, Protocol};
use crate::server_tests::{self, fresh_name, run_helper, server_url};
use zilliz_import_upload::object_store::ObjectStore;
use zilliz_import_upload::object_store::aws::AmazonS3Builder;
use zilliz_import_upload::object_store::client::{HttpRequest, HttpResponse, HttpResponseBody};
use zilliz_import_upload::{GrantError, GrantSource, StorageGrant};

/// moto, as `ci.sh` started it.
pub struct Moto {
    pub url: String,
    python: String,
    helper: String,
}

/// The running moto, or `None` (with a message) when there is none and
/// this is not CI. Under `CI=true` a missing moto fails the test: no
/// quiet skip.
pub fn moto() -> Option<Moto> {
    let url = server_url("ZI_MOTO_URL", "moto", "upload/tests/moto/ci.sh")?;
    Some(Moto {
        url,
        python: std::env::var("ZI_MOTO_PYTHON").expect("ZI_MOTO_PYTHON"),
        helper: std::env::var("ZI_MOTO_HELPER").expect("ZI_MOTO_HELPER"),
    })
}

impl Moto {
    fn helper(&self, args: &[&str]) -> String {
        run_helper(
            Command::new(&self.python).arg(&self.helper).args(args),
            &format!("sts.py {args:?}"),
        )
    }

    /// A new bucket of its own (tests run side by side on one moto).
    pub fn bucket(&self, test: &str) -> String {
        let name = fresh_name(test);
        self.helper(&["bucket", &name]);
        name
    }

    /// Fresh STS credentials: (key id, secret, token).
    pub fn assume(&self) -> (String, String, String) {
        let json: serde_json::Value =
            serde_json::from_str(&self.helper(&["assume", "900"])).unwrap();
        let s = |k: &str| json[k].as_str().unwrap().to_owned();
        (s("accessKeyId"), s("secretAccessKey"), s("sessionToken"))
    }

    /// The bucket as the admin reads it.
    pub fn admin_store(&self, bucket: &str) -> impl ObjectStore {
        AmazonS3Builder::new()
            .with_endpoint(&self.url)
            .with_allow_http(true)
            .with_region("us-east-1")
            .with_bucket_name(bucket)
            .with_access_key_id(std::env::var("ZI_MOTO_ADMIN_KEY_ID").unwrap())
            .with_secret_access_key(std::env::var("ZI_MOTO_ADMIN_SECRET").unwrap())
            .build()
            .unwrap()
    }

    pub async fn read(&self, bucket: &str, key: &str) -> Vec<u8> {
        server_tests::read(&self.admin_store(bucket), key).await
    }

    pub async fn keys(&self, bucket: &str) -> Vec<String> {
        server_tests::keys(&self.admin_store(bucket)).await
    }
}

/// How a test's grant source answers.
pub enum Mode {
    /// Fresh STS credentials at each apply.
    Sts,
    /// STS credentials with a session token that is not theirs.
    BadToken,
}

/// A volume's `apply`, handing out moto's STS credentials for `bucket`.
pub struct MotoGrants {
    pub url: String,
    pub bucket: String,
    pub prefix: String,
    pub mode: Mode,
    /// What `expireTime` says, from the test's clock.
    pub lifetime: Option<(Arc<Mutex<SystemTime>>, Duration)>,
    pub max_content_length: Option<u64>,
    pub max_file_number: Option<u64>,
    pub applies: AtomicUsize,
    /// The paths applied for.
    pub paths: Mutex<Vec<String>>,
    /// Every secret handed out, for the tests that look for them.
    pub secrets: Mutex<Vec<String>>,
    moto: Moto,
}

impl MotoGrants {
    pub fn new(moto: &Moto, bucket: &str, mode: Mode) -> Self {
        MotoGrants {
            url: moto.url.clone(),
            bucket: bucket.to_owned(),
            prefix: "volume-prefix/".to_owned(),
            mode,
            lifetime: None,
            max_content_length: None,
            max_file_number: None,
            applies: AtomicUsize::new(0),
            paths: Mutex::new(Vec::new()),
            secrets: Mutex::new(Vec::new()),
            moto: Moto {
                url: moto.url.clone(),
                python: moto.python.clone(),
                helper: moto.helper.clone(),
            },
        }
    }

    pub fn applies(&self) -> usize {
        self.applies.load(Ordering::Relaxed)
    }
}

#[async_trait::async_trait]
impl GrantSource for MotoGrants {
    async fn apply(&self, path: &str) -> Result<StorageGrant, GrantError> {
        self.applies.fetch_add(1, Ordering::Relaxed);
        self.paths.lock().unwrap().push(path.to_owned());
        let (key, secret, mut token) = self.moto.assume();
        if let Mode::BadToken = self.mode {
            token = format!("{}x", &token[..token.len() - 1]);
        }
        self.secrets
            .lock()
            .unwrap()
            .extend([secret.clone(), token.clone()]);
        Ok(StorageGrant {
            endpoint: self.url.clone(),
            bucket: self.bucket.clone(),
            region: "us-east-1".into(),
            cloud: "aws".into(),
            prefix: self.prefix.clone(),
            access_key_id: key,
            secret_access_key: secret.into(),
            session_token: Some(token.into()),
            expire_time: self
                .lifetime
                .as_ref()
                .map(|(clock, life)| *clock.lock().unwrap() + *life),
            max_content_length: self.max_content_length,
            max_file_number: self.max_file_number,
        })
    }
}

/// One request the uploader sent.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `HEAD`, `PUT`, `UploadPart`, `Create`, `Complete`, `Abort`, `GET`.
    pub op: &'static str,
    pub part: Option<usize>,
    /// The URL's path: `/bucket/key`.
    pub path: String,
    /// The access key id it was signed with.
    pub key_id: String,
}

type Inject = Box<dyn FnMut(&Seen, usize) -> Option<HttpResponse> + Send>;

/// S3's requests, by method and query; a test's `inject` may answer some
/// instead of moto.
#[derive(Clone, Default)]
pub struct S3 {
    inject: Arc<Mutex<Option<Inject>>>,
}

/// Counts the requests (and answers some itself, through `inject`).
pub type Recorder = recording::Recorder<S3>;

impl Recorder {
    /// `inject(request, its index among requests of its op)` answers
    /// instead of moto when it returns `Some`.
    pub fn inject(&self, f: impl FnMut(&Seen, usize) -> Option<HttpResponse> + Send + 'static) {
        *self.protocol.inject.lock().unwrap() = Some(Box::new(f));
    }
}

/// An S3 error answer.
pub fn s3_error(status: u16, code: &str, extra: &str) -> HttpResponse {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code>\
         <Message>refused by the test</Message>{extra}</Error>"
    );
    http::Response::builder()
        .status(status)
        .body(HttpResponseBody::from(body))
        .unwrap()
}

impl Protocol for S3 {
    type Seen = Seen;

    fn seen(req: &HttpRequest) -> Seen {
        let query = req.uri().query().unwrap_or_default();
        let part = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("partNumber="))
            .and_then(|n| n.parse::<usize>().ok())
            .map(|n| n - 1);
        let op = match (req.method().as_str(), part.is_some()) {
            ("HEAD", _) => "HEAD",
            ("PUT", true) => "UploadPart",
            ("PUT", false) => "PUT",
            ("POST", _) if query.contains("uploads") => "Create",
            ("POST", _) => "Complete",
            ("DELETE", _) => "Abort",
            _ => "GET",
        };
        let key_id = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split("Credential=").nth(1))
            .and_then(|v| v.split('/').next())
            .unwrap_or_default()
            .to_owned();
        Seen {
            op,
            part,
            path: req.uri().path().to_owned(),
            key_id,
        }
    }

    fn op(seen: &Seen) -> &'static str {
        seen.op
    }

    fn answer(&self, seen: &Seen, nth: usize) -> Option<HttpResponse> {
        let mut inject = self.inject.lock().unwrap();
        inject.as_mut().and_then(|f| f(seen, nth))
    }
}

/// Seconds since the epoch, for the test clocks.
pub fn now() -> SystemTime {
    UNIX_EPOCH
        + Duration::from_secs(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs(),
        )
}
