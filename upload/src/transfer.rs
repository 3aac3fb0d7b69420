//! One file's way to its object: skipped when the object is there with the
//! same size, one PUT when it is smaller than a part, otherwise a multipart
//! upload whose parts go up concurrently (each under one permit of the
//! upload-wide bound, read from the file only once it holds it) and whose
//! progress the journal beside the file keeps.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::error::{Failure, UploadError};
use crate::journal::{self, Identity, Journal, JournalPart, part_count};
use crate::plan::{PlannedFile, effective_part_size, mtime_ns};
use crate::report::{Progress, UploadedFile};
use crate::request::{CallError, Requester};

/// What every file of one upload shares.
pub(crate) struct Shared<'a> {
    pub objects: Arc<dyn ObjectStore>,
    pub multipart: Arc<dyn MultipartStore>,
    pub requester: Requester,
    pub permits: Arc<Semaphore>,
    pub identity: String,
    pub part_size: Option<u64>,
    pub on_progress: &'a (dyn Fn(Progress) + Send + Sync),
}

/// The file being sent, for the errors.
struct Target<'a> {
    file: &'a PlannedFile,
    key_text: &'a str,
    key: Key,
}

impl Target<'_> {
    fn error(
        &self,
        e: CallError,
        operation: &'static str,
        part: Option<usize>,
        partly: bool,
    ) -> UploadError {
        match e {
            CallError::Grant(e) => e,
            CallError::Store(Failure::Credentials, message) => UploadError::CredentialsRefused {
                file: self.file.source.clone(),
                key: self.key_text.to_owned(),
                part,
                message,
                partly_written: partly,
            },
            CallError::Store(failure, message) => UploadError::Store {
                file: self.file.source.clone(),
                key: self.key_text.to_owned(),
                part,
                operation,
                message,
                transient: failure == Failure::Transient,
                partly_written: partly,
            },
        }
    }
}

impl Shared<'_> {
    /// Sends `file` to `key`.
    pub(crate) async fn send(
        &self,
        file: &PlannedFile,
        key: &str,
    ) -> Result<UploadedFile, UploadError> {
        let target = Target {
            file,
            key_text: key,
            key: Key::from(key),
        };
        let part_size = effective_part_size(file.size, self.part_size);
        let parts = part_count(file.size, part_size) as u64;
        let journal_path = journal::journal_path(&file.source);
        let mut outcome = UploadedFile {
            source: file.source.clone(),
            key: key.to_owned(),
            bytes: file.size,
            parts_sent: 0,
            parts_skipped: 0,
            skipped: false,
        };

        let head = {
            let _permit = self.permits.acquire().await.expect("never closed");
            self.requester.call(|| self.objects.head(&target.key)).await
        };
        match head {
            Ok(meta) if meta.size == file.size => {
                self.abort_stale(&target, &journal_path, None).await;
                remove_journal(&journal_path)?;
                outcome.skipped = true;
                outcome.parts_skipped = parts;
                self.done(file, key, true);
                return Ok(outcome);
            }
            Ok(_) | Err(CallError::Store(Failure::NoSuchUpload, _)) => {}
            Err(e) => return Err(target.error(e, "HEAD", None, false)),
        }

        if file.size < part_size {
            remove_journal(&journal_path)?;
            let data = {
                let _permit = self.permits.acquire().await.expect("never closed");
                let data = read_part(file.source.clone(), 0, file.size).await?;
                let payload = PutPayload::from(data);
                self.requester
                    .call(|| self.objects.put(&target.key, payload.clone()))
                    .await
                    .map_err(|e| target.error(e, "PUT", None, false))?;
                payload.content_length()
            };
            outcome.parts_sent = 1;
            (self.on_progress)(Progress::PartSent {
                source: file.source.clone(),
                part: 0,
                bytes: data as u64,
            });
            self.done(file, key, false);
            return Ok(outcome);
        }

        let identity = Identity {
            destination: self.identity.clone(),
            key: key.to_owned(),
            size: file.size,
            mtime_ns: file.mtime_ns,
            part_size,
        };
        let mut fresh_start = false;
        // `None` when the source's folder takes no journal (read-only):
        // the upload goes on, but cannot be resumed.
        let mut journal_at = Some(journal_path.as_path());
        loop {
            if !fresh_start {
                self.abort_stale(&target, &journal_path, Some(&identity))
                    .await;
            }
            let resumed = journal::load(&journal_path).filter(|j| j.matches(&identity));
            let journal = match resumed {
                Some(j) if !fresh_start => j,
                _ => {
                    let id = self
                        .requester
                        .call(|| self.multipart.create_multipart(&target.key))
                        .await
                        .map_err(|e| target.error(e, "CreateMultipartUpload", None, false))?;
                    let journal = Journal::new(&identity, id);
                    match journal.save(&journal_path) {
                        Ok(()) => {}
                        Err(e)
                            if matches!(
                                e.kind(),
                                std::io::ErrorKind::PermissionDenied
                                    | std::io::ErrorKind::ReadOnlyFilesystem
                            ) =>
                        {
                            tracing::warn!(
                                source = %file.source.display(),
                                "no journal can be written beside the file ({e}): \
                                 its upload cannot be resumed"
                            );
                            journal_at = None;
                        }
                        Err(source) => {
                            return Err(UploadError::Journal {
                                path: journal_path.clone(),
                                source,
                            });
                        }
                    }
                    journal
                }
            };
            match self
                .multipart_parts(&target, journal, journal_at, &mut outcome)
                .await
            {
                Ok(()) => break,
                Err(Stop::Failed(e)) => return Err(e),
                // The upload is gone (aborted, expired): start the file
                // over, once.
                Err(Stop::Restart) if !fresh_start => {
                    fresh_start = true;
                    outcome.parts_sent = 0;
                    outcome.parts_skipped = 0;
                }
                Err(Stop::Restart) => {
                    return Err(UploadError::Store {
                        file: file.source.clone(),
                        key: key.to_owned(),
                        part: None,
                        operation: "UploadPart",
                        message: "the multipart upload vanished twice".into(),
                        transient: false,
                        partly_written: false,
                    });
                }
            }
        }
        remove_journal(&journal_path)?;
        self.done(file, key, false);
        Ok(outcome)
    }

    /// Aborts the multipart upload of a journal beside the file that is
    /// for this object but will not be resumed (the object is there, or
    /// the source changed): the store would otherwise keep its parts until
    /// a lifecycle rule drops them. Best effort: a failure only leaves them.
    async fn abort_stale(&self, target: &Target<'_>, journal_path: &Path, keep: Option<&Identity>) {
        let Some(stale) = journal::load(journal_path) else {
            return;
        };
        let same_object = stale.destination == self.identity && stale.key == target.key_text;
        if same_object && !keep.is_some_and(|id| stale.matches(id)) {
            let _ = self
                .multipart
                .abort_multipart(&target.key, &stale.upload_id)
                .await;
        }
    }

    fn done(&self, file: &PlannedFile, key: &str, skipped: bool) {
        (self.on_progress)(Progress::FileDone {
            source: file.source.clone(),
            key: key.to_owned(),
            skipped,
        });
    }
}

/// Why [`Shared::multipart_parts`] stopped.
enum Stop {
    /// The multipart upload was not found: start the file over.
    Restart,
    Failed(UploadError),
}

impl From<UploadError> for Stop {
    fn from(e: UploadError) -> Self {
        Stop::Failed(e)
    }
}

/// What a part task answers: its index and ETag, or why it failed.
type PartResult = (usize, u64, Result<PartId, PartFailure>);

enum PartFailure {
    Read(UploadError),
    Call(CallError),
}

impl Shared<'_> {
    /// Sends the parts `journal` lacks, each journaled as it completes,
    /// then completes the upload.
    async fn multipart_parts(
        &self,
        target: &Target<'_>,
        mut journal: Journal,
        journal_path: Option<&Path>,
        outcome: &mut UploadedFile,
    ) -> Result<(), Stop> {
        let file = target.file;
        let part_size = journal.part_size;
        let count = part_count(file.size, part_size);
        let mut done = vec![None; count];
        for part in &journal.parts {
            done[part.index] = Some(part.etag.clone());
        }
        let resumed = journal.parts.len();
        if resumed > 0 {
            outcome.parts_skipped = resumed as u64;
            let bytes = journal
                .parts
                .iter()
                .map(|p| part_len(file.size, part_size, p.index))
                .sum();
            (self.on_progress)(Progress::PartsResumed {
                source: file.source.clone(),
                parts: resumed,
                bytes,
            });
        }
        let todo: Vec<usize> = (0..count).filter(|&i| done[i].is_none()).collect();
        let mut pending = todo.into_iter().peekable();
        // Dropping the set (an error, or the caller dropping the upload)
        // aborts the parts in flight; the journal holds the finished ones.
        let mut in_flight: JoinSet<PartResult> = JoinSet::new();
        loop {
            tokio::select! {
                biased;
                Some(joined) = in_flight.join_next(), if !in_flight.is_empty() => {
                    let (index, bytes, result) = joined.map_err(|e| UploadError::Store {
                        file: file.source.clone(),
                        key: target.key_text.to_owned(),
                        part: None,
                        operation: "UploadPart",
                        message: e.to_string(),
                        transient: false,
                        partly_written: true,
                    })?;
                    let etag = match result {
                        Ok(id) => id.content_id,
                        Err(PartFailure::Read(e)) => return Err(Stop::Failed(e)),
                        Err(PartFailure::Call(CallError::Store(Failure::NoSuchUpload, _))) => {
                            return Err(Stop::Restart);
                        }
                        Err(PartFailure::Call(e)) => {
                            return Err(Stop::Failed(target.error(e, "UploadPart", Some(index), true)));
                        }
                    };
                    done[index] = Some(etag.clone());
                    journal.parts.push(JournalPart { index, etag });
                    if let Some(path) = journal_path {
                        save(&journal, path)?;
                    }
                    outcome.parts_sent += 1;
                    (self.on_progress)(Progress::PartSent {
                        source: file.source.clone(),
                        part: index,
                        bytes,
                    });
                }
                permit = self.permits.clone().acquire_owned(), if pending.peek().is_some() => {
                    let permit = permit.expect("never closed");
                    let index = pending.next().expect("peeked");
                    let len = part_len(file.size, part_size, index);
                    let offset = index as u64 * part_size;
                    let source = file.source.clone();
                    let multipart = self.multipart.clone();
                    let requester = self.requester.clone();
                    let key = target.key.clone();
                    let upload_id = journal.upload_id.clone();
                    in_flight.spawn(async move {
                        let _permit = permit;
                        let data = match read_part(source, offset, len).await {
                            Ok(data) => PutPayload::from(data),
                            Err(e) => return (index, len, Err(PartFailure::Read(e))),
                        };
                        let result = requester
                            .call(|| multipart.put_part(&key, &upload_id, index, data.clone()))
                            .await
                            .map_err(PartFailure::Call);
                        (index, len, result)
                    });
                }
                else => break,
            }
        }

        // The parts are from one version of the file only if it did not
        // change meanwhile.
        let still = std::fs::metadata(&file.source)
            .is_ok_and(|now| now.len() == file.size && mtime_ns(&now) == file.mtime_ns);
        if !still {
            if let Some(path) = journal_path {
                remove_journal(path)?;
            }
            let _ = self
                .multipart
                .abort_multipart(&target.key, &journal.upload_id)
                .await;
            return Err(Stop::Failed(UploadError::SourceChanged {
                file: file.source.clone(),
                key: target.key_text.to_owned(),
            }));
        }

        let parts: Vec<PartId> = done
            .into_iter()
            .map(|etag| PartId {
                content_id: etag.expect("every part is done"),
            })
            .collect();
        let _permit = self.permits.acquire().await.expect("never closed");
        match self
            .requester
            .call(|| {
                self.multipart
                    .complete_multipart(&target.key, &journal.upload_id, parts.clone())
            })
            .await
        {
            Ok(_) => Ok(()),
            Err(CallError::Store(Failure::NoSuchUpload, _)) => Err(Stop::Restart),
            Err(e) => Err(Stop::Failed(target.error(
                e,
                "CompleteMultipartUpload",
                None,
                true,
            ))),
        }
    }
}

/// The length of part `index` of a file of `size` bytes.
fn part_len(size: u64, part_size: u64, index: usize) -> u64 {
    let start = index as u64 * part_size;
    size.saturating_sub(start).min(part_size)
}

/// Reads `len` bytes at `offset` of `path`, on the blocking pool (the
/// file is opened for this part only: nothing is held between parts).
async fn read_part(path: PathBuf, offset: u64, len: u64) -> Result<Bytes, UploadError> {
    let at = path.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<Bytes> {
        let mut file = File::open(&path)?;
        file.seek(SeekFrom::Start(offset))?;
        // Filled as read, never zeroed first.
        let mut buf = Vec::with_capacity(usize::try_from(len).map_err(std::io::Error::other)?);
        file.take(len).read_to_end(&mut buf)?;
        if buf.len() as u64 != len {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(Bytes::from(buf))
    })
    .await
    .map_err(|e| UploadError::Read {
        path: at.clone(),
        source: std::io::Error::other(e),
    })?
    .map_err(|source| UploadError::Read { path: at, source })
}

fn save(journal: &Journal, path: &Path) -> Result<(), UploadError> {
    journal.save(path).map_err(|source| UploadError::Journal {
        path: path.to_owned(),
        source,
    })
}

fn remove_journal(path: &Path) -> Result<(), UploadError> {
    journal::remove(path).map_err(|source| UploadError::Journal {
        path: path.to_owned(),
        source,
    })
}
