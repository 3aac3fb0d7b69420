//! The PEM files of `--ca-cert`, `--client-cert` and `--client-key`, read
//! before anything is sent, so a file that cannot be used is named (exit 2)
//! with nothing sent. Only a regular file of at most [`MAX_PEM_BYTES`] is
//! read: `/dev/zero` would be read until memory ran out, and a FIFO would
//! block the program for ever. What a file holds never appears in a
//! message: a private key is among them.

use std::{
    fs::{File, FileType, Metadata},
    io::Read,
    path::{Path, PathBuf},
};

use zilliz_import::ClientBuilder;

use crate::Failure;

/// The most a PEM file may hold. A bundle of every public CA is about
/// 200 KiB; a certificate or a key, a few KiB.
pub const MAX_PEM_BYTES: u64 = 4 * 1024 * 1024;

/// Sets up TLS on `builder` from the files given.
pub fn tls(
    mut builder: ClientBuilder,
    ca: &Option<PathBuf>,
    cert: &Option<PathBuf>,
    key: &Option<PathBuf>,
) -> Result<ClientBuilder, Failure> {
    if let Some(ca) = ca {
        builder = builder.ca_certificate_pem(read_pem("--ca-cert", ca)?);
    }
    if let (Some(cert), Some(key)) = (cert, key) {
        builder = builder.client_identity_pem(
            read_pem("--client-cert", cert)?,
            read_pem("--client-key", key)?,
        );
    }
    Ok(builder)
}

/// The contents of the file at `path`, given with `flag`. The path is
/// quoted as Rust quotes a string, so a control character in it cannot
/// reach the terminal.
fn read_pem(flag: &str, path: &Path) -> Result<Vec<u8>, Failure> {
    let refuse = |why: String| Failure::config(format!("{flag} {path:?}: {why}"));
    let cannot_read = |e: std::io::Error| refuse(format!("cannot read: {e}"));
    // Looked at before it is opened: opening a FIFO blocks until a writer
    // comes.
    usable(&std::fs::metadata(path).map_err(cannot_read)?).map_err(refuse)?;
    let file = File::open(path).map_err(cannot_read)?;
    // And again once open, in case another file took its place.
    usable(&file.metadata().map_err(cannot_read)?).map_err(refuse)?;
    let mut pem = Vec::new();
    // A file that grows while it is read stops at the cap all the same.
    file.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(cannot_read)?;
    if pem.len() as u64 > MAX_PEM_BYTES {
        return Err(refuse(too_large()));
    }
    Ok(pem)
}

/// Whether a file of this kind and size may be read; why not, if not.
fn usable(meta: &Metadata) -> Result<(), String> {
    if !meta.is_file() {
        return Err(format!(
            "not a regular file ({})",
            kind_of(&meta.file_type())
        ));
    }
    if meta.len() > MAX_PEM_BYTES {
        return Err(too_large());
    }
    Ok(())
}

fn too_large() -> String {
    format!(
        "larger than the {} MiB a PEM file may be",
        MAX_PEM_BYTES >> 20
    )
}

/// What a file that is not a regular one is, in words.
fn kind_of(file_type: &FileType) -> &'static str {
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
    }
    "a special file"
}
