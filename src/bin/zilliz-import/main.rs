//! `zilliz-import`: the crate's client and emulator on the command line.

mod args;
mod output;
mod progress_bar;

use std::process::ExitCode;

use clap::Parser;
use zilliz_import::{
    Client, CreateImportJob, Error, ListImportJobs, WaitOptions, emulator::Emulator,
};

use args::{Cli, Command, CreateArgs, EmulatorArgs, ListArgs};
use output::Printer;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let printer = Printer::new(cli.output);
    match run(cli, &printer).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            printer.error(&e);
            ExitCode::from(output::exit_code(&e))
        }
    }
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

async fn run(cli: Cli, printer: &Printer) -> Result<(), Error> {
    if let Command::Emulator(args) = cli.command {
        return emulator(args, cli.api_key).await;
    }
    let mut builder = Client::builder().api_key(cli.api_key.unwrap_or_default());
    if let Some(url) = cli.base_url {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;
    match cli.command {
        Command::Create(args) => create(&client, args, printer).await,
        Command::Describe { cluster, job_id } => {
            let progress = client
                .describe_import_job(&cluster.cluster_id, &job_id)
                .await?;
            printer.progress(&progress);
            Ok(())
        }
        Command::List(args) => list(&client, args, printer).await,
        Command::Wait {
            cluster,
            job_id,
            timeout,
        } => wait(&client, &cluster.cluster_id, &job_id, timeout, printer).await,
        Command::Emulator(_) => unreachable!("handled above"),
    }
}

async fn create(client: &Client, args: CreateArgs, printer: &Printer) -> Result<(), Error> {
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
    if !args.wait {
        printer.created(&created);
        return Ok(());
    }
    printer.note(&format!("created import job {}", created.job_id));
    wait(
        client,
        &args.cluster.cluster_id,
        &created.job_id,
        args.timeout,
        printer,
    )
    .await
}

async fn list(client: &Client, args: ListArgs, printer: &Printer) -> Result<(), Error> {
    let request = ListImportJobs::new(&args.cluster.cluster_id)
        .page_size(args.page_size)
        .page(args.page);
    if !args.all {
        let page = client.list_import_jobs(&request).await?;
        printer.page(&page);
        return Ok(());
    }
    request.validate()?;
    let mut records = Vec::new();
    let mut pages = std::pin::pin!(client.list_all_import_jobs(request));
    while let Some(page) = futures::StreamExt::next(&mut pages).await {
        records.extend(page?.records);
    }
    printer.all_pages(&records);
    Ok(())
}

async fn wait(
    client: &Client,
    cluster_id: &str,
    job_id: &str,
    timeout: std::time::Duration,
    printer: &Printer,
) -> Result<(), Error> {
    let bar = progress_bar::ProgressView::new(job_id);
    let reporter = bar.reporter();
    let result = client
        .wait_for_import_job(
            cluster_id,
            job_id,
            WaitOptions::default()
                .timeout(timeout)
                .on_progress(reporter)
                .on_poll_error(bar.poll_error_reporter()),
        )
        .await;
    bar.finish(&result);
    printer.progress(&result?);
    Ok(())
}

async fn emulator(args: EmulatorArgs, api_key: Option<String>) -> Result<(), Error> {
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
    println!("{}", handle.base_url());
    eprintln!("emulator listening; stop with Ctrl-C");
    let _ = tokio::signal::ctrl_c().await;
    handle.shutdown().await;
    Ok(())
}
