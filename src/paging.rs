//! Walking every page of a cluster's jobs.
//!
//! The service's `count` may be the total or the page's size (its docs
//! disagree), so the walk stops on what it sees: a short or empty page. A
//! page holding only jobs already seen means the server ignores the page
//! number; the walk then ends with [`Error::PaginationStalled`] instead of
//! looping forever.

use std::collections::HashSet;

use futures::Stream;

use crate::{Client, Error, ImportJobPage, ListImportJobs};

struct Walk {
    client: Client,
    request: ListImportJobs,
    seen: HashSet<String>,
    done: bool,
}

impl Client {
    /// Every page from `request`'s page on, one item per page; ends after the
    /// last page, or after the first error.
    pub fn list_all_import_jobs(
        &self,
        request: ListImportJobs,
    ) -> impl Stream<Item = Result<ImportJobPage, Error>> + Send + 'static {
        let walk = Walk {
            client: self.clone(),
            request,
            seen: HashSet::new(),
            done: false,
        };
        futures::stream::unfold(walk, |mut walk| async move {
            if walk.done {
                return None;
            }
            let first = walk.seen.is_empty();
            let page = match walk.client.list_import_jobs(&walk.request).await {
                Ok(page) => page,
                Err(e) => {
                    walk.done = true;
                    return Some((Err(e), walk));
                }
            };
            if page.records.is_empty() {
                walk.done = true;
                return first.then_some((Ok(page), walk));
            }
            let fresh = page
                .records
                .iter()
                .filter(|r| walk.seen.insert(r.job_id.clone()))
                .count();
            if fresh == 0 {
                walk.done = true;
                let stalled = Error::PaginationStalled {
                    page: walk.request.page,
                };
                return Some((Err(stalled), walk));
            }
            if page.records.len() < walk.request.page_size as usize {
                walk.done = true;
            }
            walk.request.page += 1;
            Some((Ok(page), walk))
        })
    }
}
