//! Where files go: a [`Sink`] makes files that stay invisible under their
//! final names until the whole write is committed, so a failed or
//! interrupted run leaves no file that looks finished.
//!
//! [`LocalDir`] writes `NAME.partial` files and renames them at commit.
//! Another store (an `object_store::ObjectStore`, for instance) fits the
//! same trait: upload under a temporary key or as an unfinished multipart
//! upload, complete or copy at commit, delete or abort at abort.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use crate::error::WriteError;

/// One file being written.
pub trait SinkFile: Write + Send {
    /// Flushes the file and makes it durable; it stays invisible until
    /// [`Sink::commit`]. Returns its size in bytes.
    fn close(self: Box<Self>) -> Result<u64, WriteError>;
}

/// A place that takes files, all made visible at once at the end.
pub trait Sink: Send {
    /// Starts the file at `path`: relative to the output root, `/`
    /// separated. Fails if a finished file of that name exists.
    fn create(&mut self, path: &str) -> Result<Box<dyn SinkFile>, WriteError>;

    /// Makes every closed file visible under its final name.
    fn commit(&mut self) -> Result<(), WriteError>;

    /// Removes every file started and not committed. Best effort: called
    /// on the way out of a failure.
    fn abort(&mut self);
}

/// Files in a local directory, written as `NAME.partial` and renamed at
/// commit.
pub struct LocalDir {
    root: PathBuf,
    /// (temporary, final) paths of the files started.
    started: Vec<(PathBuf, PathBuf)>,
    /// Directories this sink created, deepest last.
    made_dirs: Vec<PathBuf>,
}

/// The suffix of a file not yet committed.
pub const PARTIAL_SUFFIX: &str = ".partial";

impl LocalDir {
    /// A sink into `root`, created if missing.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, WriteError> {
        let root = root.into();
        let mut sink = LocalDir {
            root: root.clone(),
            started: Vec::new(),
            made_dirs: Vec::new(),
        };
        sink.make_dirs(&root)?;
        Ok(sink)
    }

    /// The output root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn make_dirs(&mut self, dir: &Path) -> Result<(), WriteError> {
        let mut missing = Vec::new();
        let mut at = Some(dir);
        while let Some(d) = at {
            if d.as_os_str().is_empty() || d.exists() {
                break;
            }
            missing.push(d.to_path_buf());
            at = d.parent();
        }
        for d in missing.into_iter().rev() {
            match fs::create_dir(&d) {
                Ok(()) => self.made_dirs.push(d),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(WriteError::io(d, e)),
            }
        }
        Ok(())
    }
}

/// Bytes between the syncs a [`LocalFile`] starts in the background.
const SYNC_EVERY: u64 = 64 << 20;

struct LocalFile {
    path: PathBuf,
    out: BufWriter<File>,
    /// Bytes written since the last background sync started.
    unsynced: u64,
    /// [`SYNC_EVERY`], smaller in tests.
    sync_every: u64,
    /// The background sync in flight, if any.
    syncing: Option<JoinHandle<io::Result<()>>>,
}

impl LocalFile {
    /// Every [`SYNC_EVERY`] bytes, a thread of its own syncs what is
    /// written so far: the disk works while rows are still parsed, and the
    /// sync at [`SinkFile::close`], which the caller waits for, finds
    /// little left to write. One at a time; an error is kept for `close`.
    fn count(&mut self, written: usize) -> io::Result<()> {
        self.unsynced += written as u64;
        if self.unsynced < self.sync_every
            || self.syncing.as_ref().is_some_and(|s| !s.is_finished())
        {
            return Ok(());
        }
        self.wait_sync()?;
        let file = self.out.get_ref().try_clone()?;
        self.syncing = Some(std::thread::spawn(move || file.sync_data()));
        self.unsynced = 0;
        Ok(())
    }

    fn wait_sync(&mut self) -> io::Result<()> {
        match self.syncing.take().map(JoinHandle::join) {
            None => Ok(()),
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("background sync panicked")),
        }
    }
}

impl Write for LocalFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.count(n)?;
        Ok(n)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)?;
        self.count(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl SinkFile for LocalFile {
    fn close(mut self: Box<Self>) -> Result<u64, WriteError> {
        self.wait_sync()
            .map_err(|e| WriteError::io(&self.path, e))?;
        let LocalFile { path, out, .. } = *self;
        let file = out
            .into_inner()
            .map_err(|e| WriteError::io(&path, e.into_error()))?;
        file.sync_data().map_err(|e| WriteError::io(&path, e))?;
        let len = file.metadata().map_err(|e| WriteError::io(&path, e))?.len();
        Ok(len)
    }
}

impl Sink for LocalDir {
    fn create(&mut self, path: &str) -> Result<Box<dyn SinkFile>, WriteError> {
        let target = path
            .split('/')
            .filter(|p| !p.is_empty())
            .fold(self.root.clone(), |acc, part| acc.join(part));
        if target.exists() {
            return Err(WriteError::Exists { path: target });
        }
        if let Some(parent) = target.parent() {
            let parent = parent.to_path_buf();
            self.make_dirs(&parent)?;
        }
        let mut partial = target.clone().into_os_string();
        partial.push(PARTIAL_SUFFIX);
        let partial = PathBuf::from(partial);
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&partial)
            .map_err(|e| WriteError::io(&partial, e))?;
        self.started.push((partial.clone(), target));
        Ok(Box::new(LocalFile {
            path: partial,
            out: BufWriter::with_capacity(1 << 20, file),
            unsynced: 0,
            sync_every: SYNC_EVERY,
            syncing: None,
        }))
    }

    fn commit(&mut self) -> Result<(), WriteError> {
        for (partial, target) in &self.started {
            if target.exists() {
                return Err(WriteError::Exists {
                    path: target.clone(),
                });
            }
            fs::rename(partial, target).map_err(|e| WriteError::io(partial, e))?;
        }
        let dirs: Vec<PathBuf> = self
            .started
            .iter()
            .filter_map(|(_, t)| t.parent().map(Path::to_path_buf))
            .collect();
        for dir in dirs {
            // Makes the renames durable; not every platform can open a
            // directory, so a failure here is not an error.
            if let Ok(d) = File::open(&dir) {
                let _ = d.sync_all();
            }
        }
        self.started.clear();
        self.made_dirs.clear();
        Ok(())
    }

    fn abort(&mut self) {
        for (partial, _) in self.started.drain(..) {
            let _ = fs::remove_file(partial);
        }
        for dir in self.made_dirs.drain(..).rev() {
            let _ = fs::remove_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_syncs_leave_the_bytes_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let file = File::create(&path).unwrap();
        let mut f = Box::new(LocalFile {
            path: path.clone(),
            out: BufWriter::with_capacity(64, file),
            unsynced: 0,
            sync_every: 1000,
            syncing: None,
        });
        let mut want = Vec::new();
        let mut started = 0;
        for i in 0..200u32 {
            let chunk = i.to_le_bytes().repeat(25);
            f.write_all(&chunk).unwrap();
            want.extend_from_slice(&chunk);
            started += usize::from(f.unsynced == 0);
            if i % 2 == 0 {
                // Let the next one start.
                f.wait_sync().unwrap();
            }
        }
        assert!(started >= 10, "{started} syncs started");
        assert_eq!(f.close().unwrap(), want.len() as u64);
        assert_eq!(fs::read(&path).unwrap(), want);
    }
}
