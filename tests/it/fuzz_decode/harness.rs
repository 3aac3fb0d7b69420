//! One runtime, one loopback server and one client for every case of a
//! property, and the three calls the decoding properties make.

use std::time::Duration;

use zilliz_import::{
    Client, CreateImportJob, CreatedImportJob, Error, ImportJobPage, ImportProgress,
    ListImportJobs, RetryPolicy,
};

use crate::common::{
    API_KEY, CLUSTER, COLLECTION, JOB_ID, OBJECT_URL,
    faulty_server::{Fault, FaultyServer},
};
use zilliz_import::Target;

/// One runtime, one server, one client for every case of a property.
pub struct Harness {
    rt: tokio::runtime::Runtime,
    pub server: FaultyServer,
    client: Client,
}

impl Harness {
    pub fn new() -> Harness {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(FaultyServer::start(vec![Fault::Empty200]));
        let client = Client::builder()
            // No generated text holds it, so the scrubber only escapes and
            // redacts URLs (what the oracle states).
            .api_key(API_KEY)
            .base_url(server.url())
            .attempt_timeout(Duration::from_secs(5))
            .retry(
                RetryPolicy::default()
                    .with_backoff(Duration::from_millis(1), Duration::from_millis(2))
                    .with_max_retry_after(Duration::from_millis(2)),
            )
            .build()
            .unwrap();
        Harness { rt, server, client }
    }

    pub fn call(&self, op: Op, script: Vec<Fault>) -> Outcome {
        self.server.reset(script);
        self.rt.block_on(async {
            match op {
                Op::Create => self
                    .client
                    .create_import_job(CreateImportJob::new(CLUSTER, COLLECTION, OBJECT_URL))
                    .await
                    .map(|c| Data::Created(c.job_id, c.request_id)),
                Op::Describe => self
                    .client
                    .describe_import_job(&Target::cluster(CLUSTER), JOB_ID)
                    .await
                    .map(|p| Data::Progress(Box::new(p))),
                Op::List => self
                    .client
                    .list_import_jobs(&ListImportJobs::new(CLUSTER))
                    .await
                    .map(Data::Page),
            }
        })
    }

    pub fn call_create(&self, job: CreateImportJob) -> Result<CreatedImportJob, Error> {
        self.server.reset(vec![Fault::created("fz")]);
        self.rt.block_on(self.client.create_import_job(job))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    Create,
    Describe,
    List,
}

#[derive(Debug)]
pub enum Data {
    Created(String, Option<String>),
    Progress(Box<ImportProgress>),
    Page(ImportJobPage),
}

pub type Outcome = Result<Data, Error>;
