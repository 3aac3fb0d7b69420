//! The `emulator` command: the emulator its flags describe, serving until
//! a signal stops it.

use crate::Failure;

use crate::{
    args::Output,
    emulator_args::EmulatorArgs,
    ending::Ended,
    output::{self, Printer},
    signals::{Signal, Signals},
};

/// Serves until a signal: SIGINT (Ctrl-C, its documented stop) exits 0,
/// SIGTERM 143; either shuts the server down cleanly first, unless a
/// second signal comes while it does.
pub async fn emulator(
    args: EmulatorArgs,
    api_key: Option<String>,
    signals: &mut Signals,
) -> Result<Ended, Failure> {
    let builder = args
        .builder_with_collections(api_key)
        .map_err(Failure::config)?;
    let handle = builder.start().await.map_err(|e| match e.kind() {
        // A `--collection` schema the emulator cannot answer with.
        std::io::ErrorKind::InvalidInput => Failure::config(e),
        // The volumes' S3 endpoint, on a second address, names itself.
        _ if e.to_string().starts_with("volume storage") => {
            Failure::config(format!("cannot listen for the {e}"))
        }
        _ => Failure::config(format!("cannot listen on {}: {e}", args.listen)),
    })?;
    let printed = Printer::new(Output::Text).line(&handle.base_url());
    output::note_line(&format!(
        "emulator listening; volumes' S3 endpoint at {}; stop with Ctrl-C",
        handle.volume_storage_url()
    ));
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
