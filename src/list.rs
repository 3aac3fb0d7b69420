//! [`ListImportJobs`]: one page of a target's jobs, checked before sending.

use std::num::NonZeroU32;

use crate::{
    Error, Target,
    checks::{check_page, not_blank_if_set},
    generated::types,
    limits,
};

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
    pub fn of(target: Target) -> Self {
        ListImportJobs {
            target,
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
        self.target = self.target.database(name);
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
        not_blank_if_set("collectionName", self.collection_name.as_deref())?;
        if !self.is_paged() {
            return Ok(());
        }
        check_page(self.page, self.page_size)
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
