//! `list`: one page, or with `--all` every page, each printed (or in JSON
//! written into the one document) as it comes and let go.

use zilliz_import::{Client, ListImportJobs};

use crate::{
    args::ListArgs,
    ending::{Ended, Failure},
    output::Printer,
    walk_json::{self, WalkJson, WalkOut},
};

/// One page as asked, or with `--all` every page; a walk cut short
/// still prints what it listed, then says why it stopped.
pub async fn list(client: &Client, args: ListArgs, printer: &Printer) -> Result<Ended, Failure> {
    let mut request = ListImportJobs::of(args.target.target())
        .page_size(args.page_size)
        .page(args.page)
        .max_pages(args.max_pages);
    if let Some(collection) = args.collection {
        request = request.collection(collection);
    }
    if !args.all {
        let page = client.list_import_jobs(&request).await?;
        return Ok(printer.page(&page).into());
    }
    request.validate()?;
    if printer.walk_started().is_err() {
        return Ok(Ended::StdoutClosed);
    }
    // Each page is printed, or in JSON written into the document, and let go.
    let mut doc = WalkJson::new(walk_json::SPILL_AT);
    let mut pages = std::pin::pin!(client.list_all_import_jobs(request));
    while let Some(page) = futures::StreamExt::next(&mut pages).await {
        match page {
            Ok(page) => match printer.walk_page(&mut doc, &page.records) {
                Ok(()) => {}
                Err(WalkOut::Closed) => return Ok(Ended::StdoutClosed),
                Err(WalkOut::Spool(e)) => return Err(walk_json::spool_failed(&e)),
            },
            // What was listed is still printed; then the error says why the
            // walk stopped short.
            Err(e) => {
                let _ = printer.walk_finished(doc);
                return Err(e.into());
            }
        }
    }
    match printer.walk_finished(doc) {
        Ok(()) => Ok(Ended::Done),
        Err(WalkOut::Closed) => Ok(Ended::StdoutClosed),
        Err(WalkOut::Spool(e)) => Err(walk_json::spool_failed(&e)),
    }
}
