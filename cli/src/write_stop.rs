//! Stopping a `write` that a signal ends, so that the writer, not the
//! process's exit, ends it: its reads fail, the writer is dropped, and it
//! removes the `*.partial` files it had begun. Exiting at once would leave
//! them in the output directory.

use std::{
    fs::File,
    io::{self, Read},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
        mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel},
    },
    time::Duration,
};

/// How often a read waiting on a pipe looks whether the run was stopped.
const LOOK: Duration = Duration::from_millis(50);

/// Set once a signal came: every read of the inputs fails from then on.
#[derive(Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    pub fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// An error once stopped, the same for every input.
    pub fn check(&self) -> io::Result<()> {
        if self.0.load(Ordering::Relaxed) {
            return Err(io::Error::other("stopped by a signal"));
        }
        Ok(())
    }

    /// `file` read until stopped. A regular file's reads return at once, so
    /// each is checked; a pipe's (standard input, a FIFO) can wait for
    /// ever, so a thread of its own reads it and each read here waits on
    /// that thread no longer than [`LOOK`] between looks.
    pub fn reader(&self, file: impl Read + Send + 'static, regular: bool) -> Box<dyn Read + Send> {
        if regular {
            return Box::new(Checked {
                stop: self.clone(),
                input: file,
            });
        }
        let (chunks, from) = sync_channel(4);
        std::thread::spawn(move || pump(file, chunks));
        Box::new(Pumped {
            stop: self.clone(),
            from,
            chunk: Vec::new(),
            at: 0,
        })
    }

    /// Whether `file` is a regular file (its reads never wait).
    pub fn is_regular(file: &File) -> bool {
        file.metadata().is_ok_and(|m| m.is_file())
    }
}

struct Checked<R> {
    stop: Stop,
    input: R,
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.stop.check()?;
        self.input.read(buf)
    }
}

/// Reads `input` in chunks into `chunks` until its end (an empty chunk),
/// an error, or the reading side is gone.
fn pump(mut input: impl Read, chunks: SyncSender<io::Result<Vec<u8>>>) {
    loop {
        let mut chunk = vec![0; 256 * 1024];
        let read = match input.read(&mut chunk) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            read => read,
        };
        let end = !matches!(read, Ok(n) if n > 0);
        let sent = chunks.send(read.map(|n| {
            chunk.truncate(n);
            chunk
        }));
        if end || sent.is_err() {
            return;
        }
    }
}

struct Pumped {
    stop: Stop,
    from: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for Pumped {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            self.stop.check()?;
            match self.from.recv_timeout(LOOK) {
                Ok(chunk) => {
                    self.chunk = chunk?;
                    self.at = 0;
                    if self.chunk.is_empty() {
                        return Ok(0);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                // The pump ends after the end or an error, both sent.
                Err(RecvTimeoutError::Disconnected) => return Ok(0),
            }
        }
        self.stop.check()?;
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
