//! `upload`: local files and folders into a volume or a bucket with the
//! resumable uploader, a bar of the bytes on a terminal. Interrupted, it
//! leaves each unfinished file's journal beside it: the same command goes
//! on and sends no finished part again.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use zilliz_import::Client;
use zilliz_import_upload::{Progress, UploadReport};

use crate::{
    ending::{Ended, Failure},
    output::{self, Printer},
    progress_bar::{TICK, on_terminal},
    storage_flags::{StorageArgs, upload_failure},
};

/// What `upload` sends, and where.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Files and folders to send: a file lands on the folder (or prefix)
    /// plus its name, a folder's files on it plus their path below the
    /// folder.
    #[arg(value_name = "PATH", required = true)]
    pub sources: Vec<PathBuf>,
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// Runs `upload`; `client` is the control plane's, for `--volume`.
pub async fn upload(
    args: UploadArgs,
    client: Option<Client>,
    printer: &Printer,
) -> Result<Ended, Failure> {
    let dir = args.storage.place.volume_dir()?.unwrap_or_default();
    let report = send(&args.sources, &args.storage, client.as_ref(), &dir, printer).await?;
    if printer.is_json() {
        return Ok(printer.json(&report).into());
    }
    Ok(printer.out_all(report_lines(&report)).into())
}

/// Sends `sources` as `storage` says, into the volume folder `dir`, with
/// the bytes shown as they go; what was sent.
pub async fn send(
    sources: &[PathBuf],
    storage: &StorageArgs,
    client: Option<&Client>,
    dir: &str,
    printer: &Printer,
) -> Result<UploadReport, Failure> {
    let (destination, grants) = storage.place.destination(client, dir)?;
    let view = UploadView::new(printer);
    let sent = storage
        .uploader()
        .upload(sources, &destination, |p| view.show(p))
        .await;
    view.finish(sent.is_ok());
    sent.map_err(|e| upload_failure(e, grants.as_ref()))
}

/// `uploaded N files (B bytes): P parts sent, S skipped`, then a line per
/// file: its key, and `(already there)` for one not sent.
fn report_lines(report: &UploadReport) -> Vec<String> {
    let mut lines = vec![format!(
        "uploaded {} files ({} bytes): {} parts sent, {} skipped",
        report.files.len(),
        report.bytes,
        report.parts_sent,
        report.parts_skipped
    )];
    lines.extend(report.files.iter().map(|f| {
        let skipped = if f.skipped { " (already there)" } else { "" };
        format!("{} -> {}{skipped}", f.source.display(), f.key)
    }));
    lines
}

/// The upload's progress on stderr: a bar of the bytes on a terminal; in
/// text mode elsewhere, a line per file finished (JSON mode keeps stderr
/// for the error).
pub struct UploadView {
    bar: Option<ProgressBar>,
    lines: bool,
}

impl UploadView {
    pub fn new(printer: &Printer) -> Self {
        let bar = on_terminal().then(|| {
            let bar = ProgressBar::no_length();
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} upload [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.enable_steady_tick(TICK);
            bar
        });
        UploadView {
            bar,
            lines: !printer.is_json(),
        }
    }

    /// The uploader's callback.
    pub fn show(&self, progress: Progress) {
        match (&self.bar, progress) {
            (Some(bar), Progress::Planned { files, bytes }) => {
                bar.set_length(bytes);
                bar.set_message(format!("{files} files"));
            }
            (
                Some(bar),
                Progress::PartSent { bytes, .. } | Progress::PartsResumed { bytes, .. },
            ) => bar.inc(bytes),
            (None, Progress::FileDone { key, skipped, .. }) if self.lines => {
                let how = if skipped { "already there" } else { "uploaded" };
                output::note_line(&format!("upload: {key} {how}"));
            }
            _ => {}
        }
    }

    /// Done: the bar cleared, or left as it stopped on a failure.
    pub fn finish(&self, done: bool) {
        match &self.bar {
            Some(bar) if done => bar.finish_and_clear(),
            Some(bar) => bar.abandon(),
            None => {}
        }
    }
}
