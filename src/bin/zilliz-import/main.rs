//! `zilliz-import`: the crate's client and emulator on the command line.

mod args;
mod exit_codes;
mod json_array;
mod last_words;
mod many_view;
mod output;
mod progress_bar;
mod signals;
mod tls_files;
mod walk_json;

use std::{collections::HashMap, num::NonZeroU32, process::ExitCode, time::Duration};

use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
use futures::StreamExt;
use tokio::time::Instant;
use zilliz_import::{
    Client, CloudTarget, CreateImportJob, Error, JobEvent, ListImportJobs, Target, WaitOptions,
};
use zilliz_import_emulator::Emulator;

use args::{Cli, Command, CreateArgs, EmulatorArgs, ListArgs, TargetArgs};
use last_words::{Interrupted, Write, sending};
use output::{Closed, Failure, Printed, Printer};
use signals::{Signal, Signals};
use walk_json::{WalkJson, WalkOut};

/// How a command ended, short of an error: its result printed, or stdout
/// closed before it could be.
enum Ended {
    Done,
    StdoutClosed,
    /// The program exits with this code: the result, printed, tells of
    /// failures (a wait for several jobs), or the emulator was stopped by
    /// SIGTERM.
    Reported(u8),
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
    last_words::quiet_panics();
    let matches = Cli::command().get_matches();
    let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // Which flags came from the environment: a cluster id or storage keys
    // set there for other commands must not be read as a wrong mix here.
    let from_env = |name: &str| {
        matches.subcommand().is_some_and(|(_, m)| {
            matches!(m.try_get_raw(name), Ok(Some(_)))
                && m.value_source(name) == Some(ValueSource::EnvVariable)
        })
    };
    let env = FromEnv {
        cluster_id: from_env("cluster_id"),
        storage_keys: from_env("access_key") || from_env("secret_key"),
    };
    if let Err(message) = check_mix(&mut cli.command, env) {
        Cli::command()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit();
    }
    init_logging(cli.verbose);
    last_words::set_mode(cli.output);
    let printer = Printer::new(cli.output);
    // Caught before anything is sent: a signal then ends the run through
    // the same last words as a failure, the job it created named.
    let mut signals = Signals::catch();
    if let Command::Emulator(args) = cli.command {
        let ended = emulator(args, cli.api_key, &mut signals).await;
        return last_words::exit(&printer, ended.map_err(Failure::from));
    }
    let ended = tokio::select! {
        ended = run(cli, &printer) => ended,
        signal = signals.next() => Err(Failure::Interrupted(Interrupted::by(signal))),
    };
    last_words::exit(&printer, ended)
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
    let started = Instant::now();
    let mut builder = Client::builder().api_key(cli.api_key.unwrap_or_default());
    if let Some(url) = cli.base_url {
        builder = builder.base_url(url);
    }
    builder = tls_files::tls(builder, &cli.ca_cert, &cli.client_cert, &cli.client_key)?;
    if let Some(per_second) = NonZeroU32::new(cli.rate_limit) {
        builder = builder.rate_limit(per_second);
    }
    // A `--timeout` bounds its whole command: every call it makes ends by
    // then (a wait after a create or a commit gets what is left).
    let timeout = match &cli.command {
        Command::Create(args) => args.wait.then_some(args.timeout),
        Command::Commit { timeout, .. } => Some(*timeout),
        Command::Abort { timeout, .. } => *timeout,
        _ => None,
    };
    if let Some(timeout) = timeout {
        builder = builder.operation_timeout(timeout);
    }
    let client = builder.build()?;
    match cli.command {
        Command::Create(args) => create(&client, *args, started, printer).await,
        Command::Describe { target, job_id } => {
            let progress = client.describe_import_job(target.target(), &job_id).await?;
            Ok(printer.progress(&progress).into())
        }
        Command::List(args) => list(&client, args, printer).await,
        Command::Wait {
            target,
            job_ids,
            wait: w,
        } => {
            let options = WaitOptions::default()
                .timeout(w.timeout)
                .max_poll_failures(w.max_poll_failures)
                .abort_on_timeout(w.abort_on_timeout);
            let target = target.target();
            match job_ids.as_slice() {
                [job_id] => wait(&client, &target, job_id, options, printer).await,
                _ => wait_many(&client, &target, job_ids, options, printer).await,
            }
        }
        Command::Commit {
            target,
            job_id,
            wait: then_wait,
            timeout,
        } => {
            let target = target.target();
            let commit = client.commit_import_job(&target, &job_id);
            let settled = sending(Write::Commit, commit).await?;
            if !then_wait {
                return Ok(printer.settled("commit", &settled).into());
            }
            printer.note(&output::settled_text("commit", &settled));
            // Just committed: a server may show Uncommitted for a moment.
            let options = WaitOptions::default()
                .timeout(time_left(timeout, started))
                .through_uncommitted(true);
            wait(&client, &target, &job_id, options, printer).await
        }
        Command::Abort { target, job_id, .. } => {
            let abort = client.abort_import_job(target.target(), &job_id);
            let settled = sending(Write::Abort, abort).await?;
            Ok(printer.settled("abort", &settled).into())
        }
        Command::Emulator(_) => unreachable!("handled above"),
    }
}

/// Where each flag came from, when the environment could have set it.
#[derive(Clone, Copy)]
struct FromEnv {
    cluster_id: bool,
    storage_keys: bool,
}

/// A wrong mix of target and source flags, refused before anything is sent
/// (exit code 2): what clap's own rules cannot say. A cluster id from
/// ZILLIZ_CLUSTER_ID gives way to a target named on the command line (a
/// project, or Milvus files), so the variable can stay set.
fn check_mix(command: &mut Command, env: FromEnv) -> Result<(), String> {
    let (target, files) = match command {
        Command::Create(a) => (
            &mut a.target,
            !a.file.is_empty() || !a.file_group.is_empty(),
        ),
        Command::Describe { target, .. }
        | Command::Wait { target, .. }
        | Command::Commit { target, .. }
        | Command::Abort { target, .. } => (target, false),
        Command::List(a) => (&mut a.target, false),
        Command::Emulator(_) => return Ok(()),
    };
    if env.cluster_id && (target.project_id.is_some() || files) {
        target.cluster_id = None;
    }
    if target.cluster_id.is_some() && target.project_id.is_some() {
        return Err("--cluster-id and --project-id name two targets; give one".into());
    }
    let cloud = target.cluster_id.is_some() || target.project_id.is_some();
    let Command::Create(args) = command else {
        return Ok(());
    };
    if files && cloud {
        return Err(
            "--file and --file-group are for open-source Milvus, which takes no \
             --cluster-id or --project-id"
                .into(),
        );
    }
    if !files && !cloud {
        return Err(
            "--object-url and --volume go to the Zilliz Cloud control plane: \
             give --cluster-id, or --project-id with --region-id"
                .into(),
        );
    }
    let auto_commit = zilliz_import::option_keys::AUTO_COMMIT;
    if args.no_auto_commit && args.options.iter().any(|(key, _)| key == auto_commit) {
        return Err(format!(
            "--no-auto-commit and --option {auto_commit}=... both set {auto_commit}; give one"
        ));
    }
    let keys = args.access_key.is_some() || args.secret_key.is_some();
    if keys && args.object_url.is_empty() && !env.storage_keys {
        return Err("--access-key and --secret-key go with --object-url".into());
    }
    Ok(())
}

impl TargetArgs {
    /// The target the flags name; [`check_mix`] has refused two.
    fn target(&self) -> Target {
        let target = match (&self.cluster_id, &self.project_id, &self.region_id) {
            (Some(cluster), _, _) => Target::cluster(cluster),
            (None, Some(project), Some(region)) => Target::project(project, region),
            _ => Target::milvus(),
        };
        match &self.db {
            Some(db) => target.database(db),
            None => target,
        }
    }
}

async fn create(
    client: &Client,
    args: CreateArgs,
    started: Instant,
    printer: &Printer,
) -> Result<Ended, Failure> {
    let target = args.target.target();
    let cloud = target.cloud().cloned();
    let object_urls_given = !args.object_url.is_empty();
    let mut job = match (cloud, args.volume) {
        (Some(cloud), Some(volume)) => {
            let groups = args.data_path.into_iter().map(|p| [p]);
            CreateImportJob::from_volume(cloud, args.collection, volume, groups)
        }
        (Some(cloud), None) => object_urls(cloud, args.collection, args.object_url),
        // Milvus: `check_mix` let only files through.
        (None, _) => {
            let singles = args.file.into_iter().map(|f| vec![f]);
            CreateImportJob::from_files(args.collection, singles.chain(args.file_group))
        }
    };
    if let Some(db) = target.database_name() {
        job = job.database(db);
    }
    for (key, value) in args.options {
        job = job.option(key, value);
    }
    if args.no_auto_commit {
        job = job.auto_commit(false);
    }
    if let Some(p) = args.partition {
        job = job.partition(p);
    }
    // Storage keys from the environment are for object URLs only.
    if object_urls_given {
        if let Some(ak) = args.access_key {
            job = job.access_key(ak);
        }
        if let Some(sk) = args.secret_key {
            job = job.secret_key(sk);
        }
    }
    if let Some(key) = args.idempotency_key {
        job = job.idempotency_key(key);
    }
    let created = sending(Write::Create, client.create_import_job(job)).await?;
    last_words::created(&created.job_id);
    if !args.wait {
        return Ok(printer.created(&created).into());
    }
    printer.note(&format!("created import job {}", created.job_id));
    let options = WaitOptions::default()
        .timeout(time_left(args.timeout, started))
        .max_poll_failures(args.max_poll_failures)
        .abort_on_timeout(args.abort_on_timeout);
    wait(client, &target, &created.job_id, options, printer).await
}

/// What is left of a command's `timeout` for the wait that ends it, the
/// command having `started` then (at least a moment, so the wait polls once).
fn time_left(timeout: Duration, started: Instant) -> Duration {
    timeout
        .saturating_sub(started.elapsed())
        .max(Duration::from_millis(1))
}

/// One URL goes as the seed's `objectUrl`; several as `objectUrls`, one
/// group each.
fn object_urls(cloud: CloudTarget, collection: String, mut urls: Vec<String>) -> CreateImportJob {
    if urls.len() == 1
        && let Some(url) = urls.pop()
    {
        return CreateImportJob::from_object_url(cloud, collection, url);
    }
    CreateImportJob::from_object_urls(cloud, collection, urls.into_iter().map(|u| [u]))
}

async fn list(client: &Client, args: ListArgs, printer: &Printer) -> Result<Ended, Failure> {
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

async fn wait(
    client: &Client,
    target: &Target,
    job_id: &str,
    options: WaitOptions,
    printer: &Printer,
) -> Result<Ended, Failure> {
    let bar = progress_bar::ProgressView::new(job_id);
    let options = options
        .on_progress(bar.reporter())
        .on_poll_error(bar.poll_error_reporter());
    let result = client.wait_for_import_job(target, job_id, options).await;
    bar.finish(&result);
    Ok(printer.waited(&result?).into())
}

/// Follows several jobs at once (a repeated id once), printing each event
/// as it comes, then how each wait ended; the exit code is the worst job's.
async fn wait_many(
    client: &Client,
    target: &Target,
    job_ids: Vec<String>,
    options: WaitOptions,
    printer: &Printer,
) -> Result<Ended, Failure> {
    // A blank id is refused before anything is sent, with the error the
    // one-job wait gives: the library's own check, which refuses it before
    // sending.
    if let Some(blank) = job_ids.iter().find(|id| id.trim().is_empty()) {
        client.describe_import_job(target.clone(), blank).await?;
    }
    // Each id once, in the order first given, and where each stands in
    // that order: hashed, so that many ids cost no more than a few.
    let mut ids: Vec<String> = Vec::with_capacity(job_ids.len());
    let mut position: HashMap<String, usize> = HashMap::with_capacity(job_ids.len());
    for id in job_ids {
        let next = ids.len();
        if *position.entry(id.clone()).or_insert(next) == next {
            ids.push(id);
        }
    }
    let view = many_view::ManyView::new(&ids);
    let mut ends: Vec<Option<output::WaitEnd>> =
        std::iter::repeat_with(|| None).take(ids.len()).collect();
    let mut events =
        std::pin::pin!(client.wait_for_import_jobs(target.clone(), ids.clone(), options));
    while let Some(event) = events.next().await {
        // The stream names each job as it was given.
        let Some(&index) = position.get(event.job_id()) else {
            continue;
        };
        let printed = match event {
            JobEvent::Progress { job_id, progress } => {
                view.progress(printer, index, &job_id, &progress)
            }
            JobEvent::PollFailed { job_id, error } => {
                view.poll_failed(&job_id, &error);
                Ok(())
            }
            JobEvent::Ended { job_id, outcome } => {
                let end = outcome.map_err(Failure::from);
                let printed = view.ended(printer, index, &job_id, &end);
                ends[index] = Some(end);
                printed
            }
            _ => Ok(()),
        };
        if printed.is_err() {
            return Ok(Ended::StdoutClosed);
        }
    }
    let lines_shown = !view.draws_bars();
    // The bars are done: the ticker stops before the result is printed.
    drop(view);
    // In the order given; the stream ends each job exactly once.
    let ends: Vec<(String, output::WaitEnd)> = ids
        .into_iter()
        .zip(ends)
        .filter_map(|(id, end)| Some((id, end?)))
        .collect();
    let worst =
        exit_codes::worst_exit_code(ends.iter().map(|(_, end)| exit_codes::end_exit_code(end)));
    if printer.waited_many(&ends, lines_shown).is_err() {
        return Ok(Ended::StdoutClosed);
    }
    Ok(match worst {
        0 => Ended::Done,
        code => Ended::Reported(code),
    })
}

/// Serves until a signal: SIGINT (Ctrl-C, its documented stop) exits 0,
/// SIGTERM 143; either shuts the server down cleanly first, unless a
/// second signal comes while it does.
async fn emulator(
    args: EmulatorArgs,
    api_key: Option<String>,
    signals: &mut Signals,
) -> Result<Ended, Error> {
    let mut builder = Emulator::builder();
    if args.milvus {
        builder = builder.milvus();
    }
    let mut builder = builder
        .listen(args.listen)
        .cluster_ids(args.cluster_ids)
        .job_duration(args.job_duration)
        .job_memory_limit(args.job_memory_limit);
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
    let signal = signals.next().await;
    tokio::select! {
        () = handle.shutdown() => {}
        _ = signals.next() => {}
    }
    Ok(match signal {
        Signal::Interrupt => Ended::Done,
        Signal::Terminate => Ended::Reported(signal.exit_code()),
    })
}
