//! Walking every page of a target's jobs.
//!
//! Open-source Milvus has no pages: it answers every job at once, so the
//! walk yields that one page and ends.
//!
//! The service's `count` may be the total or the page's size (its docs
//! disagree), so the walk stops on what it sees: a short or empty page, or
//! more jobs seen than a `count` that can only be a total (it exceeds the
//! page it came with). A page holding only the jobs of the page before means
//! the server ignores the page number; the walk then ends with
//! [`WalkError::Stalled`] instead of looping forever. And whatever the
//! server does, the walk takes at most [`ListImportJobs::max_pages`] pages,
//! so a server that answers every page with new jobs cannot make it
//! endless. The walk remembers one page of ids, not every id it saw.

use std::collections::HashSet;

use futures::Stream;

use crate::{Client, ImportJobPage, ListImportJobs, WalkError};

struct Walk {
    client: Client,
    request: ListImportJobs,
    /// The job ids of the page before.
    previous: HashSet<String>,
    pages: u32,
    jobs_seen: u64,
}

impl Client {
    /// Every page from `request`'s page on, one item per page; ends after the
    /// last page, or after the first error. Takes at most
    /// [`ListImportJobs::max_pages`] pages, then ends with
    /// [`WalkError::PageLimitReached`].
    pub fn list_all_import_jobs(
        &self,
        request: ListImportJobs,
    ) -> impl Stream<Item = Result<ImportJobPage, WalkError>> + Send + 'static {
        let walk = Walk {
            client: self.clone(),
            request,
            previous: HashSet::new(),
            pages: 0,
            jobs_seen: 0,
        };
        // The state is `None` once the walk is over.
        futures::stream::unfold(Some(walk), |walk| async move {
            let mut walk = walk?;
            let (item, more) = walk.next().await;
            Some((item?, more.then_some(walk)))
        })
    }
}

impl Walk {
    /// The next item (`None` when the walk ends without one), and whether
    /// the walk goes on after it.
    async fn next(&mut self) -> (Option<Result<ImportJobPage, WalkError>>, bool) {
        if self.pages >= self.request.max_pages {
            let pages = self.pages;
            return (Some(Err(WalkError::PageLimitReached { pages })), false);
        }
        let page = match self.client.list_import_jobs(&self.request).await {
            Ok(page) => page,
            Err(e) => return (Some(Err(WalkError::Request(e))), false),
        };
        self.pages += 1;
        if page.records.is_empty() {
            return ((self.pages == 1).then_some(Ok(page)), false);
        }
        let ids: HashSet<String> = page.records.iter().map(|r| r.job_id.clone()).collect();
        if ids.is_subset(&self.previous) {
            let page = self.request.page;
            return (Some(Err(WalkError::Stalled { page })), false);
        }
        let len = page.records.len();
        self.jobs_seen += len as u64;
        let past_total = page
            .count
            .and_then(|c| u64::try_from(c).ok())
            .is_some_and(|total| total > len as u64 && self.jobs_seen >= total);
        // Milvus answers every job at once: one page, and the walk is over.
        let more = self.request.is_paged() && len >= self.request.page_size as usize && !past_total;
        self.previous = ids;
        self.request.page = self.request.page.saturating_add(1);
        (Some(Ok(page)), more)
    }
}
