//! The `write` command: rows from files (or standard input) into the data
//! files an import reads, checked against the collection's schema by the
//! writer crate. Its inputs are `write_inputs`'s, its reject file
//! `reject_file`'s.
//!
//! The writing is blocking work: it runs on a blocking thread. A signal
//! stops it (`write_stop`): the writer, dropped, removes the `*.partial`
//! files it had begun, and the run ends as interrupted (130 or 143).

use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use tokio::runtime::Handle;
use zilliz_import::Client;
use zilliz_import_upload::DirectStore;
use zilliz_import_writer::{
    Format, ObjectStoreSink, RowError, Schema, Summary, WriteError, Writer,
};

use crate::{
    args::{WriteArgs, WriteFormat},
    ending::{Ended, Failure},
    interrupted::Interrupted,
    output::Printer,
    progress_bar::{TICK, on_terminal},
    reject_file::{self, Rejects},
    signals::Signals,
    storage_flags::{Place, upload_failure},
    write_inputs::{Failed, Input},
    write_stop::Stop,
};

/// Runs `write`: the schema (from its file, or from describe through
/// `client`), then every input into the writer, then the result.
pub async fn write(
    args: WriteArgs,
    client: Option<Client>,
    printer: &Printer,
    signals: &mut Signals,
) -> Result<Ended, Failure> {
    let out = match (&args.out, &args.into.volume, &args.into.to) {
        (Some(out), _, _) => out.display().to_string(),
        (None, Some(volume), _) => format!("volume {volume}"),
        (None, None, to) => to.clone().unwrap_or_default(),
    };
    let (summary, rejected) = write_rows(args, client, signals).await?;
    if let Some((count, path)) = rejected.filter(|(count, _)| *count > 0) {
        printer.note(&format!("{count} rows refused; see {path}"));
    }
    Ok(printer.line(&result(&summary, &out, printer)).into())
}

/// The writing of `write` (and of `load`'s first stage): the schema, then
/// every input into the writer, a signal stopping it with no file left;
/// the summary, and with `--reject` how many rows were refused and where.
pub async fn write_rows(
    args: WriteArgs,
    client: Option<Client>,
    signals: &mut Signals,
) -> Result<(Summary, Option<(u64, String)>), Failure> {
    let interrupted = |signal| Failure::Interrupted(Interrupted::by(signal));
    let opening = async {
        let direct = direct_store(&args.into, client.as_ref()).await?;
        Ok::<_, Failure>((schema(&args, client).await?, direct))
    };
    let (schema, direct) = tokio::select! {
        opened = opening => opened?,
        signal = signals.next() => return Err(interrupted(signal)),
    };
    let stop = Stop::default();
    let stopping = stop.clone();
    let mut writing =
        tokio::task::spawn_blocking(move || write_files(schema, args, direct, &stopping));
    let written = tokio::select! {
        written = &mut writing => written,
        signal = signals.next() => {
            // The writer sees the stop at its next read and removes its
            // files as it ends; a second signal does not wait for that.
            stop.set();
            tokio::select! {
                _ = writing => {}
                _ = signals.next() => {}
            }
            return Err(interrupted(signal));
        }
    };
    written.map_err(|_| Failure::Input("the writer stopped unexpectedly".to_owned()))?
}

/// What `write` prints: with `--output json`, `{"files", "rows", "bytes"}`.
fn result(summary: &Summary, out: &str, printer: &Printer) -> String {
    if printer.is_json() {
        let doc = json!({"files": summary.files(), "rows": summary.rows, "bytes": summary.bytes});
        return serde_json::to_string_pretty(&doc).unwrap_or_default();
    }
    let mut text = format!(
        "wrote {} rows ({} bytes) in {} file groups to {out}",
        summary.rows,
        summary.bytes,
        summary.groups.len()
    );
    for group in &summary.groups {
        text.push_str(&format!("\n{}", group.files.join(" ")));
    }
    text
}

/// The schema `--schema` names, or that `--collection` has on the server.
async fn schema(args: &WriteArgs, client: Option<Client>) -> Result<Schema, Failure> {
    if let (Some(name), Some(client)) = (&args.collection, client) {
        let described = client.describe_collection(args.db.as_deref(), name).await?;
        let value = serde_json::to_value(described).unwrap_or_default();
        return Schema::from_json_value(&value)
            .map_err(|e| Failure::Input(format!("the schema of collection {name}: {e}")));
    }
    let path = args.schema.as_deref().unwrap_or(Path::new("-"));
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Input(format!("schema {shown}: cannot read it: {e}")))?;
    Schema::from_json(&text).map_err(|e| Failure::Input(format!("schema {shown}: {e}")))
}

/// The store `--volume` or `--to` names, opened for the writer to stream
/// into; `None` for `--out`.
async fn direct_store(
    into: &Place,
    client: Option<&Client>,
) -> Result<Option<DirectStore>, Failure> {
    let Some(dir) = into
        .volume_dir()?
        .or_else(|| into.to.as_ref().map(|_| String::new()))
    else {
        return Ok(None);
    };
    let (destination, grants) = into.destination(client, &dir)?;
    let direct = destination.direct_store().await;
    Ok(Some(
        direct.map_err(|e| upload_failure(e, grants.as_ref()))?,
    ))
}

/// Every input into a writer in `--out` (or the store `direct`); the
/// summary, and with `--reject` how many rows were refused and where they
/// are.
fn write_files(
    schema: Schema,
    args: WriteArgs,
    direct: Option<DirectStore>,
    stop: &Stop,
) -> Result<(Summary, Option<(u64, String)>), Failure> {
    let mut inputs: Vec<Input> = args
        .input
        .iter()
        .map(|p| Input::new(p))
        .collect::<Result<_, _>>()?;
    let reject_out = match &args.reject {
        Some(path) => Some(reject_file::create(path).map_err(|e| {
            Failure::Input(format!(
                "reject file {}: cannot create it: {e}",
                path.display()
            ))
        })?),
        None => None,
    };
    let rejects = match &reject_out {
        Some(_) => Some(Rejects::new().map_err(|e| Failure::Input(format!("reject spool: {e}")))?),
        None => None,
    };
    let mut builder = Writer::builder(schema).format(format(args.format));
    if let Some(bytes) = args.file_size {
        builder = builder.file_size(bytes);
    }
    if let Some(rejects) = &rejects {
        builder = builder.bad_rows(rejects.bad_rows());
    }
    let (created, out) = match (direct, &args.out) {
        (Some(direct), _) => {
            let sink =
                ObjectStoreSink::new(direct.store, direct.prefix.as_str(), Handle::current());
            (builder.create(Box::new(sink)), direct.prefix)
        }
        (None, out) => {
            let out = out.clone().unwrap_or_default();
            (builder.create_in(&out), out.display().to_string())
        }
    };
    let mut writer = created.map_err(|e| Failure::Input(format!("output {out}: {e}")))?;
    let bar = bar(inputs.iter().map(Input::len).sum());
    let mut rows_before = 0;
    for (i, input) in inputs.iter_mut().enumerate() {
        if let Some(rejects) = &rejects {
            rejects.at_input(i, rows_before);
        }
        let rows = input
            .write_to(&mut writer, &bar, rejects.is_some(), stop)
            .map_err(|failed| {
                bar.abandon();
                failure(&input.name, rows_before, failed)
            })?;
        rows_before += rows;
    }
    let summary = writer.finish().map_err(|e| {
        bar.abandon();
        Failure::Input(format!("output {out}: {e}"))
    })?;
    bar.finish_and_clear();
    let (Some(rejects), Some(reject_out), Some(path)) = (rejects, reject_out, &args.reject) else {
        return Ok((summary, None));
    };
    let count = rejects
        .finish(&inputs, reject_out)
        .map_err(|e| Failure::Input(format!("reject file {}: {e}", path.display())))?;
    Ok((summary, Some((count, path.display().to_string()))))
}

fn format(format: WriteFormat) -> Format {
    match format {
        WriteFormat::Parquet => Format::default(),
        WriteFormat::Json => Format::Json,
        WriteFormat::Jsonl => Format::Jsonl,
        WriteFormat::Csv => Format::csv(),
        WriteFormat::Numpy => Format::Numpy,
    }
}

/// How one input failed, said as `INPUT: line N, field F: reason` (rows
/// counted within the input); the writer has removed what it wrote.
fn failure(input: &str, rows_before: u64, failed: Failed) -> Failure {
    match failed {
        Failed::Read(why) => Failure::Input(format!("input {input}: {why}")),
        Failed::Write(WriteError::Row(e)) => {
            let e = RowError {
                row: e.row.saturating_sub(rows_before),
                ..e
            };
            Failure::Input(format!("input {input}: {e}; nothing was written"))
        }
        Failed::Write(e) => Failure::Input(format!("input {input}: {e}; nothing was written")),
    }
}

/// A bar of the input bytes read, on a terminal only (stderr); elsewhere a
/// hidden one, so a log gets no redraws.
fn bar(total: Option<u64>) -> ProgressBar {
    if !on_terminal() {
        return ProgressBar::hidden();
    }
    let bar = match total {
        Some(total) => ProgressBar::new(total),
        None => ProgressBar::no_length(),
    };
    let template = match total {
        Some(_) => "{spinner} writing [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec}",
        None => "{spinner} writing {bytes} read, {bytes_per_sec}",
    };
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(TICK);
    bar
}
