//! An HTTP connector for the tests against a real store (moto, Azurite):
//! each request the uploader makes is recorded, then sent on through
//! object_store's own reqwest connector, so a test can count requests by
//! operation and look at what each named.
//!
//! What is the store's own stays in its harness, as a [`Protocol`]: how a
//! request is named (S3's `UploadPart` is Azure's `PutBlock`), what else a
//! test keeps of it, and whether the test answers a request itself.
//! Included by each test crate as `#[path = "common/recording.rs"] mod
//! recording;`.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use zilliz_import_upload::object_store::ClientOptions;
use zilliz_import_upload::object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpRequest, HttpResponse, HttpService, ReqwestConnector,
};

/// A store's requests as its tests see them.
pub trait Protocol: Clone + Default + Send + Sync + 'static {
    /// One request, as recorded.
    type Seen: Clone + Debug + Send + 'static;

    /// Names `req` (its operation) and keeps what the tests check of it.
    fn seen(req: &HttpRequest) -> Self::Seen;

    /// The operation `seen` names, as [`Recorder::count`] takes it.
    fn op(seen: &Self::Seen) -> &'static str;

    /// An answer the test gives instead of the store, `nth` being the
    /// request's index among the requests of its operation; `None` (the
    /// default) sends the request on.
    fn answer(&self, _seen: &Self::Seen, _nth: usize) -> Option<HttpResponse> {
        None
    }
}

/// Records the requests, then sends them on (unless `protocol` answers).
/// Clones share the record: a test keeps one and gives the uploader its
/// [`connector`](Self::connector).
#[derive(Clone)]
pub struct Recorder<P: Protocol> {
    pub seen: Arc<Mutex<Vec<P::Seen>>>,
    pub protocol: P,
}

// By hand: a derive would want `P::Seen: Default`, which a record of
// requests has no need of.
impl<P: Protocol> Default for Recorder<P> {
    fn default() -> Self {
        Recorder {
            seen: Arc::default(),
            protocol: P::default(),
        }
    }
}

impl<P: Protocol> Debug for Recorder<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Recorder")
    }
}

impl<P: Protocol> Recorder<P> {
    pub fn connector(&self) -> Arc<dyn HttpConnector> {
        Arc::new(self.clone())
    }

    /// How many requests named `op` were sent.
    pub fn count(&self, op: &str) -> usize {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|s| P::op(s) == op)
            .count()
    }

    /// How many requests were sent.
    #[allow(dead_code, reason = "not every test crate counts all requests")]
    pub fn total(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// The requests, counted by operation.
    pub fn ops(&self) -> HashMap<&'static str, usize> {
        let mut ops = HashMap::new();
        for s in self.seen.lock().unwrap().iter() {
            *ops.entry(P::op(s)).or_default() += 1;
        }
        ops
    }
}

impl<P: Protocol> HttpConnector for Recorder<P> {
    fn connect(
        &self,
        options: &ClientOptions,
    ) -> zilliz_import_upload::object_store::Result<HttpClient> {
        Ok(HttpClient::new(RecordingService {
            inner: ReqwestConnector::default().connect(options)?,
            recorder: self.clone(),
        }))
    }
}

struct RecordingService<P: Protocol> {
    inner: HttpClient,
    recorder: Recorder<P>,
}

// By hand: a derive would want `P: Debug`, which a protocol holding a
// test's closure is not.
impl<P: Protocol> Debug for RecordingService<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingService")
            .field("inner", &self.inner)
            .field("recorder", &self.recorder)
            .finish()
    }
}

#[async_trait::async_trait]
impl<P: Protocol> HttpService for RecordingService<P> {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let seen = P::seen(&req);
        // The record stays locked until `answer` has been asked, so that
        // the answers come in the order of the `nth`s.
        let answer = {
            let mut all = self.recorder.seen.lock().unwrap();
            let nth = all.iter().filter(|s| P::op(s) == P::op(&seen)).count();
            all.push(seen.clone());
            self.recorder.protocol.answer(&seen, nth)
        };
        match answer {
            Some(answer) => Ok(answer),
            None => self.inner.execute(req).await,
        }
    }
}
