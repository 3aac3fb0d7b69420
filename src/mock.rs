//! Typed httpmock helpers generated from the same `openapi.yaml` (feature
//! `mock`), for testing code that uses this crate without a network.
//!
//! `server.create_import_job(|when, then| ..)` registers a mock whose `when`
//! and `then` speak the operation's generated types, so a test cannot
//! misspell a path or a field.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use httpmock::MockServer;
//! use zilliz_import::{Client, CreateImportJob, generated::types, mock::MockServerExt};
//!
//! let server = MockServer::start_async().await;
//! let mock = server.create_import_job(|when, then| {
//!     when.body(&types::CreateImportJobRequest::builder()
//!         .cluster_id(Some("in01-x".to_owned()))
//!         .collection_name("medium_articles")
//!         .object_url(Some("s3://bucket/a.json".to_owned()))
//!         .try_into().unwrap());
//!     then.ok(&types::CreateImportJobResponse::builder()
//!         .code(0)
//!         .data(types::CreatedImportJobData::builder().job_id("job-1"))
//!         .try_into().unwrap());
//! });
//! let client = Client::builder().api_key("k").base_url(server.base_url()).build().unwrap();
//! let created = client
//!     .create_import_job(CreateImportJob::new("in01-x", "medium_articles", "s3://bucket/a.json"))
//!     .await
//!     .unwrap();
//! assert_eq!(created.job_id, "job-1");
//! mock.assert_async().await;
//! # }
//! ```
#![allow(missing_docs, clippy::all)]

include!(concat!(env!("OUT_DIR"), "/generated_mock.rs"));
