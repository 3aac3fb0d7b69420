//! `zilliz-import`: the crate's client and emulator on the command line.
//! This file reads the command line and runs the command it names; each
//! command with more to it than one call has a module of its own.

mod args;
mod create;
mod durations;
mod emulator_args;
mod emulator_command;
mod ending;
mod error_json;
mod exit_codes;
mod interrupted;
mod json_array;
mod last_words;
mod list;
mod load;
mod load_journal;
mod many_view;
mod output;
mod progress_bar;
mod reject_file;
mod signals;
mod storage_flags;
mod target_flags;
mod tls_files;
mod upload;
mod volume;
mod waits;
mod walk_json;
mod write;
mod write_inputs;
mod write_stop;

use std::{num::NonZeroU32, process::ExitCode};

use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
use tokio::time::Instant;
use zilliz_import::{Client, WaitOptions};

use args::{Cli, Command};
use ending::{Ended, Failure};
use interrupted::{Interrupted, Write, sending};
use output::Printer;
use signals::Signals;
use target_flags::{FromEnv, check_mix};
use waits::{time_left, wait, wait_many};

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
        let ended = emulator_command::emulator(*args, cli.api_key, &mut signals).await;
        return last_words::exit(&printer, ended);
    }
    if let Command::Write(_) = &cli.command {
        // A signal stops the writing, which then removes its files.
        let ended = write_command(cli, &printer, &mut signals).await;
        return last_words::exit(&printer, ended);
    }
    if let Command::Load(_) = &cli.command {
        // Its stages meet a signal each in its own way (the writing
        // stops, the journal keeps what was done).
        let ended = load_command(cli, &printer, &mut signals).await;
        return last_words::exit(&printer, ended);
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
    if let Command::Upload(args) = &cli.command {
        // A bucket needs no client (nor an API key).
        let volume = args.storage.place.volume.is_some();
        let client = volume.then(|| client(&cli)).transpose()?;
        let Command::Upload(args) = cli.command else {
            unreachable!("matched above")
        };
        return upload::upload(*args, client, printer).await;
    }
    let client = client(&cli)?;
    match cli.command {
        Command::Create(args) => create::create(&client, *args, started, printer).await,
        Command::Describe { target, job_id } => {
            let progress = client
                .describe_import_job(&target.target(), &job_id)
                .await?;
            Ok(printer.progress(&progress).into())
        }
        Command::List(args) => list::list(&client, args, printer).await,
        Command::Wait {
            target,
            job_ids,
            wait: w,
        } => {
            let options = WaitOptions::default()
                .deadline(w.timeout)
                .max_poll_failures(w.max_poll_failures)
                .abort_on_timeout(w.abort_on_timeout);
            let target = target.target();
            match job_ids.as_slice() {
                [job_id] => wait(&client, &target, job_id, job_id, options, printer).await,
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
                .deadline(time_left(timeout, started))
                .through_uncommitted(true);
            wait(&client, &target, &job_id, &job_id, options, printer).await
        }
        Command::Abort { target, job_id, .. } => {
            let target = target.target();
            let abort = client.abort_import_job(&target, &job_id);
            let settled = sending(Write::Abort, abort).await?;
            Ok(printer.settled("abort", &settled).into())
        }
        Command::Volume { command } => volume::volume(&client, command, printer).await,
        Command::Emulator(_) | Command::Write(_) | Command::Load(_) | Command::Upload(_) => {
            unreachable!("handled above")
        }
    }
}

/// `write`: a schema from a file needs no client (nor an API key).
async fn write_command(
    cli: Cli,
    printer: &Printer,
    signals: &mut Signals,
) -> Result<Ended, Failure> {
    let Command::Write(args) = &cli.command else {
        unreachable!("called for write only")
    };
    // The schema of a collection, or a volume to write into.
    let needs_client = args.collection.is_some() || args.into.volume.is_some();
    let client = needs_client.then(|| client(&cli)).transpose()?;
    let Command::Write(args) = cli.command else {
        unreachable!("called for write only")
    };
    write::write(*args, client, printer, signals).await
}

/// `load`: its client, then its stages.
async fn load_command(
    cli: Cli,
    printer: &Printer,
    signals: &mut Signals,
) -> Result<Ended, Failure> {
    let client = client(&cli)?;
    let Command::Load(args) = cli.command else {
        unreachable!("called for load only")
    };
    load::load(*args, client, printer, signals).await
}

/// The client the global flags describe.
fn client(cli: &Cli) -> Result<Client, Failure> {
    let mut builder = Client::builder().api_key(cli.api_key.clone().unwrap_or_default());
    if let Some(url) = &cli.base_url {
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
    Ok(builder.build()?)
}
