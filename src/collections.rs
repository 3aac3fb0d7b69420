//! Describing a collection: its schema, which the data-file writer checks
//! rows against before anything is imported.
//!
//! `collections/describe` is served where the collection lives: an
//! open-source Milvus at its own URL, or a Zilliz Cloud cluster at its
//! cluster endpoint (`https://in01-….api.<region>.zillizcloud.com`). The
//! control plane (`api.cloud.zilliz.com`) does not serve it, and its body
//! names no cluster, so a client of the control plane refuses it before
//! sending.

use crate::{
    Client, Error,
    answer::{Envelope, envelope},
    checks::{not_blank, not_blank_if_set},
    client::with_database,
    generated::types::{self, CollectionDescription},
};

envelope! {
    DescribeCollectionResponse => CollectionDescription: |d| d,
}

impl Client {
    /// A collection's schema and state, from the Milvus URL or the cluster
    /// endpoint this client was built for (not the control plane, which
    /// is refused before sending). `database` is sent as `dbName` and
    /// `DB-Name`; without it the server's `default`. A read, retried as
    /// describe is; keys the spec does not list stay in `extra`.
    pub async fn describe_collection(
        &self,
        database: Option<&str>,
        collection: &str,
    ) -> Result<CollectionDescription, Error> {
        if self.on_control_plane() {
            return Err(Error::invalid(
                "baseUrl",
                "the Zilliz Cloud control plane does not describe collections; \
                 use the cluster endpoint (or the Milvus URL) as base URL",
            ));
        }
        not_blank("collectionName", collection)?;
        not_blank_if_set("dbName", database)?;
        let body = types::DescribeCollectionRequest::builder()
            .collection_name(collection)
            .db_name(database.map(str::to_owned));
        let send = with_database!(self.raw().describe_collection().body(body), database).send();
        let (data, _) = self.send(None, &|| self.scrubber(), send).await?;
        Ok(data)
    }
}
