//! `zilliz-import`: the crate's client and emulator on the command line.

mod args;
mod output;
mod progress_bar;

use std::{process::ExitCode, sync::OnceLock, time::Duration};

use clap::Parser;
use tokio::time::Instant;
use zilliz_import::{
    Client, CreateImportJob, Error, ListImportJobs, WaitOptions, emulator::Emulator,
};

use args::{Cli, Command, CreateArgs, EmulatorArgs, ListArgs};
use output::{Closed, Failure, Printed, Printer};

/// A job this run created, for the last words of a run that then fails or
/// panics: its id is what a script needs to not start a second import.
static CREATED: OnceLock<String> = OnceLock::new();

/// How a command ended, short of an error: its result printed, or stdout
/// closed before it could be.
enum Ended {
    Done,
    StdoutClosed,
}

impl From<Printed> for Ended {
    fn from(p: Printed) -> Self {
        match p {
            Ok(()) => Ended::Done,
            Err(Closed) => Ended::StdoutClosed,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    quiet_panics();
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let printer = Printer::new(cli.output);
    match run(cli, &printer).await {
        Ok(Ended::Done) => ExitCode::SUCCESS,
        Ok(Ended::StdoutClosed) => ExitCode::from(output::EXIT_STDOUT_CLOSED),
        Err(e) => {
            let created = CREATED.get().map(String::as_str);
            let closed = created.is_some_and(|id| printer.created_before_failure(id).is_err());
            printer.error(&e, created);
            if closed {
                return ExitCode::from(output::EXIT_STDOUT_CLOSED);
            }
            ExitCode::from(output::exit_code(&e))
        }
    }
}

/// The last line of defence, not the fix: a panic's message can quote
/// whatever was being handled (server text, a request), so the hook names
/// only where it happened, and the job this run created, if any.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        output::note_line(&format!(
            "zilliz-import: internal error{at} (a bug; details withheld, as they may hold secrets)"
        ));
        if let Some(id) = CREATED.get() {
            output::note_line(&format!(
                "note: import job {id} was created and goes on server-side"
            ));
        }
    }));
}

/// Only this crate's own events are shown: dependencies' trace output could
/// carry request details the crate cannot vouch for.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "off",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = format!("off,zilliz_import={level}");
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

async fn run(cli: Cli, printer: &Printer) -> Result<Ended, Failure> {
    if let Command::Emulator(args) = cli.command {
        return Ok(emulator(args, cli.api_key).await?);
    }
    let started = Instant::now();
    let mut builder = Client::builder().api_key(cli.api_key.unwrap_or_default());
    if let Some(url) = cli.base_url {
        builder = builder.base_url(url);
    }
    if let Command::Create(CreateArgs {
        wait: true,
        timeout,
        ..
    }) = &cli.command
    {
        // `--timeout` bounds the whole command, the create included.
        builder = builder.operation_timeout(*timeout);
    }
    let client = builder.build()?;
    match cli.command {
        Command::Create(args) => create(&client, args, started, printer).await,
        Command::Describe { cluster, job_id } => {
            let progress = client
                .describe_import_job(&cluster.cluster_id, &job_id)
                .await?;
            Ok(printer.progress(&progress).into())
        }
        Command::List(args) => list(&client, args, printer).await,
        Command::Wait {
            cluster,
            job_id,
            timeout,
            max_poll_failures,
        } => {
            let options = WaitOptions::default()
                .timeout(timeout)
                .max_poll_failures(max_poll_failures);
            wait(&client, &cluster.cluster_id, &job_id, options, printer).await
        }
        Command::Emulator(_) => unreachable!("handled above"),
    }
}

async fn create(
    client: &Client,
    args: CreateArgs,
    started: Instant,
    printer: &Printer,
) -> Result<Ended, Failure> {
    let mut job = CreateImportJob::new(&args.cluster.cluster_id, args.collection, args.object_url);
    if let Some(p) = args.partition {
        job = job.partition(p);
    }
    if let Some(db) = args.db {
        job = job.database(db);
    }
    if let Some(ak) = args.access_key {
        job = job.access_key(ak);
    }
    if let Some(sk) = args.secret_key {
        job = job.secret_key(sk);
    }
    if let Some(key) = args.idempotency_key {
        job = job.idempotency_key(key);
    }
    let created = client.create_import_job(job).await?;
    let _ = CREATED.set(created.job_id.clone());
    if !args.wait {
        return Ok(printer.created(&created).into());
    }
    printer.note(&format!("created import job {}", created.job_id));
    let left = args.timeout.saturating_sub(started.elapsed());
    let options = WaitOptions::default()
        .timeout(left.max(Duration::from_millis(1)))
        .max_poll_failures(args.max_poll_failures);
    wait(
        client,
        &args.cluster.cluster_id,
        &created.job_id,
        options,
        printer,
    )
    .await
}

async fn list(client: &Client, args: ListArgs, printer: &Printer) -> Result<Ended, Failure> {
    let request = ListImportJobs::new(&args.cluster.cluster_id)
        .page_size(args.page_size)
        .page(args.page)
        .max_pages(args.max_pages);
    if !args.all {
        let page = client.list_import_jobs(&request).await?;
        return Ok(printer.page(&page).into());
    }
    request.validate()?;
    if printer.walk_started().is_err() {
        return Ok(Ended::StdoutClosed);
    }
    let mut kept = Vec::new();
    let mut pages = std::pin::pin!(client.list_all_import_jobs(request));
    while let Some(page) = futures::StreamExt::next(&mut pages).await {
        match page {
            Ok(page) => {
                if printer.walk_page(&mut kept, page.records).is_err() {
                    return Ok(Ended::StdoutClosed);
                }
            }
            // What was listed is still printed; then the error says why the
            // walk stopped short.
            Err(e) => {
                let _ = printer.walk_finished(&kept);
                return Err(e.into());
            }
        }
    }
    Ok(printer.walk_finished(&kept).into())
}

async fn wait(
    client: &Client,
    cluster_id: &str,
    job_id: &str,
    options: WaitOptions,
    printer: &Printer,
) -> Result<Ended, Failure> {
    let bar = progress_bar::ProgressView::new(job_id);
    let options = options
        .on_progress(bar.reporter())
        .on_poll_error(bar.poll_error_reporter());
    let result = client
        .wait_for_import_job(cluster_id, job_id, options)
        .await;
    bar.finish(&result);
    Ok(printer.progress(&result?).into())
}

async fn emulator(args: EmulatorArgs, api_key: Option<String>) -> Result<Ended, Error> {
    let mut builder = Emulator::builder()
        .listen(args.listen)
        .cluster_ids(args.cluster_ids)
        .job_duration(args.job_duration);
    if let Some(key) = api_key {
        builder = builder.api_key(key);
    }
    if let Some(pattern) = args.fail_when_url_contains {
        builder = builder.fail_when_url_contains(pattern);
    }
    let handle = builder
        .start()
        .await
        .map_err(|e| Error::InvalidConfig(format!("cannot listen on {}: {e}", args.listen)))?;
    let printed = output::Printer::new(args::Output::Text).line(&handle.base_url());
    output::note_line("emulator listening; stop with Ctrl-C");
    if printed.is_err() {
        handle.shutdown().await;
        return Ok(Ended::StdoutClosed);
    }
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    Ok(Ended::Done)
}
