//! The writer: rows and batches in, groups of files out.
//!
//! Rows gather in column buffers; every few MiB they become a batch that
//! the current file group takes (Parquet ends a row group at about 24 MiB),
//! so memory stays bounded whatever the number of rows. A new group starts
//! when the current one would pass the file size target. Nothing becomes
//! visible until [`Writer::finish`]: after any failure, or if the writer is
//! dropped unfinished, every file it started is removed.

mod inputs;

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::RecordBatch;
use serde::Serialize;

use crate::batch;
use crate::error::{RowError, WriteError};
use crate::format::{Context, Format, GroupWriter};
use crate::rows::{Refusal, RowReader};
use crate::schema::Schema;
use crate::sink::{LocalDir, Sink};

/// Default file size target: 1 GiB, far under Milvus's 16 GB per file.
pub const DEFAULT_FILE_SIZE: u64 = 1 << 30;

/// Default cap on file groups: one Milvus import request takes at most
/// 1,024 files (its `maxFileNum`, configurable on the server; Zilliz Cloud
/// about 1,000).
pub const DEFAULT_MAX_GROUPS: u32 = 1024;

/// Default Parquet row group size: 24 MiB, between the Java writer's 16 and
/// pymilvus's 32 (the server reads a row group at a time).
pub const DEFAULT_ROW_GROUP_BYTES: usize = 24 << 20;

/// What to do with a row that cannot be written.
#[non_exhaustive]
pub enum BadRows {
    /// Fail the whole write at the first bad row, leaving no file.
    Fail,
    /// Skip bad rows and list them in [`Summary::rejected`].
    Collect,
    /// Skip bad rows and hand each to this function (to write a reject
    /// file, say).
    Report(Box<dyn FnMut(RowError) + Send>),
}

/// One import file group: the paths (relative to the output root, `/`
/// separated) that go together into one entry of `files` / `dataPaths`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileGroup {
    pub files: Vec<String>,
    pub rows: u64,
    pub bytes: u64,
}

/// What a finished write produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub groups: Vec<FileGroup>,
    /// Rows written.
    pub rows: u64,
    /// Bytes written, over all files.
    pub bytes: u64,
    /// Rows refused, when bad rows are collected.
    pub rejected: Vec<RowError>,
    /// How many rows were refused (whatever [`BadRows`] said).
    pub rejected_count: u64,
}

impl Summary {
    /// The groups as import requests take them: a list of lists of paths.
    pub fn files(&self) -> Vec<Vec<String>> {
        self.groups.iter().map(|g| g.files.clone()).collect()
    }
}

/// Settings for a [`Writer`].
pub struct WriterBuilder {
    schema: Arc<Schema>,
    format: Format,
    file_size: u64,
    max_groups: u32,
    row_group_bytes: usize,
    bad_rows: BadRows,
    scratch: PathBuf,
    threads: usize,
}

impl WriterBuilder {
    /// Threads that parse JSONL input and encode JSON and JSONL output (by
    /// default the machine's cores, at most 8; 1 does all on the caller's
    /// thread).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// The output format (Parquet by default).
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// The size at which a new file group starts (1 GiB by default). A
    /// group can pass it by about one batch (a few MiB).
    pub fn file_size(mut self, bytes: u64) -> Self {
        self.file_size = bytes.max(1);
        self
    }

    /// The most file groups one write may make ([`DEFAULT_MAX_GROUPS`] by
    /// default, what one import takes). A write that needs one more fails
    /// with [`WriteError::TooManyGroups`] before starting it, and leaves
    /// nothing behind.
    pub fn max_groups(mut self, groups: u32) -> Self {
        self.max_groups = groups.max(1);
        self
    }

    /// Parquet row group size, in bytes before encoding (24 MiB by
    /// default).
    pub fn row_group_bytes(mut self, bytes: usize) -> Self {
        self.row_group_bytes = bytes.max(1);
        self
    }

    /// What to do with bad rows ([`BadRows::Fail`] by default).
    pub fn bad_rows(mut self, bad_rows: BadRows) -> Self {
        self.bad_rows = bad_rows;
        self
    }

    /// Where NumPy columns are spooled while a group is written (the
    /// system's temporary directory by default).
    pub fn scratch_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.scratch = dir.into();
        self
    }

    /// A writer into a local directory (created if missing).
    pub fn create_in(self, dir: impl Into<PathBuf>) -> Result<Writer, WriteError> {
        self.format.check(&self.schema)?;
        let sink = LocalDir::new(dir)?;
        self.create(Box::new(sink))
    }

    /// A writer into any sink.
    pub fn create(self, sink: Box<dyn Sink>) -> Result<Writer, WriteError> {
        self.format.check(&self.schema)?;
        let row_group_bytes = self
            .row_group_bytes
            .min(usize::try_from(self.file_size).unwrap_or(usize::MAX));
        // Batches of at most 4 MiB, smaller for small targets so groups
        // stay near them.
        let chunk_bytes = (row_group_bytes / 4).clamp(16 << 10, 4 << 20);
        Ok(Writer {
            context: Arc::new(Context::new(
                self.schema.clone(),
                row_group_bytes,
                self.scratch,
                self.threads,
            )),
            reader: RowReader::new(self.schema),
            format: self.format,
            sink,
            chunk_bytes,
            file_size: self.file_size,
            max_groups: self.max_groups,
            group: None,
            next_group: 1,
            groups: Vec::new(),
            rows_given: 0,
            rows_written: 0,
            bad_rows: self.bad_rows,
            rejected: Vec::new(),
            rejected_count: 0,
            state: State::Open,
            threads: self.threads,
        })
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Failed,
    Done,
}

struct OpenGroup {
    writer: Box<dyn GroupWriter>,
    rows: u64,
}

/// Writes rows and batches into import files. Make one with
/// [`Writer::builder`].
pub struct Writer {
    context: Arc<Context>,
    reader: RowReader,
    format: Format,
    sink: Box<dyn Sink>,
    chunk_bytes: usize,
    file_size: u64,
    max_groups: u32,
    group: Option<OpenGroup>,
    next_group: u32,
    groups: Vec<FileGroup>,
    rows_given: u64,
    rows_written: u64,
    bad_rows: BadRows,
    rejected: Vec<RowError>,
    rejected_count: u64,
    state: State,
    threads: usize,
}

impl Writer {
    /// Starts the settings of a writer for this schema.
    pub fn builder(schema: Schema) -> WriterBuilder {
        WriterBuilder {
            schema: Arc::new(schema),
            format: Format::default(),
            file_size: DEFAULT_FILE_SIZE,
            max_groups: DEFAULT_MAX_GROUPS,
            row_group_bytes: DEFAULT_ROW_GROUP_BYTES,
            bad_rows: BadRows::Fail,
            scratch: std::env::temp_dir(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
        }
    }

    /// The schema rows are written for.
    pub fn schema(&self) -> &Schema {
        &self.context.schema
    }

    /// Writes one row given as a JSON value.
    pub fn push_json(&mut self, row: &serde_json::Value) -> Result<(), WriteError> {
        self.check_open()?;
        let result = self.reader.push_value(row);
        self.after_row(result, None)
    }

    /// Writes one row of any serializable type (a struct with a field per
    /// column, a map, ...). Floats go through `serde_json`, which turns
    /// NaN and infinities into `null`: such a row is refused as null.
    pub fn push<T: Serialize + ?Sized>(&mut self, row: &T) -> Result<(), WriteError> {
        self.check_open()?;
        let result = self.reader.push_serialize(row);
        self.after_row(result, None)
    }

    /// Writes one row given as JSON text (a JSONL line).
    pub fn push_json_text(&mut self, text: &str) -> Result<(), WriteError> {
        self.check_open()?;
        let result = self.reader.push_text(text);
        self.after_row(result, None)
    }

    /// Writes an Arrow batch. Columns are matched to fields by name and
    /// converted where their types differ from what Milvus reads
    /// (`large_utf8`, `large_list`, `fixed_size_list`, `float64` vectors,
    /// ...); columns already of the right type are not copied.
    pub fn write_batch(&mut self, input: &RecordBatch) -> Result<(), WriteError> {
        self.check_open()?;
        self.flush_rows()?;
        let conformed = match batch::conform(&self.context, input) {
            Ok(c) => c,
            Err(e) => return self.failing(Err(e)),
        };
        let base = self.rows_given;
        self.rows_given += input.num_rows() as u64;
        for (row, refusal) in conformed.refused {
            self.refuse(RowError {
                row: base + row as u64 + 1,
                line: None,
                field: refusal.field,
                reason: refusal.reason,
            })?;
        }
        let batch = conformed.batch;
        let total: usize = batch
            .columns()
            .iter()
            .map(|a| a.get_buffer_memory_size())
            .sum();
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(());
        }
        let per_row = (total / rows).max(1);
        let step = (self.chunk_bytes / per_row).max(1);
        let mut start = 0;
        while start < rows {
            let len = step.min(rows - start);
            let slice = batch.slice(start, len);
            let result = self.write_canonical(&slice, (len * per_row) as u64);
            self.failing(result)?;
            start += len;
        }
        Ok(())
    }

    /// Writes what is left, ends the last group and makes every file
    /// visible under its final name.
    pub fn finish(mut self) -> Result<Summary, WriteError> {
        self.check_open()?;
        let result = self
            .flush_rows()
            .and_then(|()| self.close_group())
            .and_then(|()| self.sink.commit());
        self.failing(result)?;
        self.state = State::Done;
        let bytes = self.groups.iter().map(|g| g.bytes).sum();
        Ok(Summary {
            groups: std::mem::take(&mut self.groups),
            rows: self.rows_written,
            bytes,
            rejected: std::mem::take(&mut self.rejected),
            rejected_count: self.rejected_count,
        })
    }

    fn check_open(&self) -> Result<(), WriteError> {
        match self.state {
            State::Open => Ok(()),
            State::Failed | State::Done => Err(WriteError::Failed),
        }
    }

    /// On an error, removes everything written and refuses further rows.
    fn failing<T>(&mut self, result: Result<T, WriteError>) -> Result<T, WriteError> {
        if result.is_err() {
            self.abort();
        }
        result
    }

    fn abort(&mut self) {
        self.state = State::Failed;
        self.group = None;
        self.sink.abort();
    }

    fn after_row(
        &mut self,
        result: Result<(), Refusal>,
        line: Option<u64>,
    ) -> Result<(), WriteError> {
        self.rows_given += 1;
        match result {
            Ok(()) => {
                if self.reader.bytes() >= self.chunk_bytes {
                    let result = self.flush_rows();
                    self.failing(result)?;
                }
                Ok(())
            }
            Err(refusal) => self.refuse(RowError {
                row: self.rows_given,
                line,
                field: refusal.field,
                reason: refusal.reason,
            }),
        }
    }

    fn refuse(&mut self, error: RowError) -> Result<(), WriteError> {
        self.rejected_count += 1;
        match &mut self.bad_rows {
            BadRows::Fail => {
                self.abort();
                Err(WriteError::Row(error))
            }
            BadRows::Collect => {
                self.rejected.push(error);
                Ok(())
            }
            BadRows::Report(report) => {
                report(error);
                Ok(())
            }
        }
    }

    /// Hands the buffered rows to the current group.
    fn flush_rows(&mut self) -> Result<(), WriteError> {
        if self.reader.rows() == 0 {
            return Ok(());
        }
        let bytes = self.reader.bytes() as u64;
        let batch = self.reader.take_batch();
        self.write_canonical(&batch, bytes)
    }

    fn write_canonical(&mut self, batch: &RecordBatch, bytes: u64) -> Result<(), WriteError> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        if let Some(group) = &self.group
            && group.rows > 0
            && group.writer.bytes() + bytes > self.file_size
        {
            self.close_group()?;
        }
        if self.group.is_none() {
            if self.next_group > self.max_groups {
                return Err(WriteError::TooManyGroups {
                    max: self.max_groups,
                    rows: self.rows_written,
                });
            }
            let writer = self
                .format
                .open(&self.context, self.sink.as_mut(), self.next_group)?;
            self.next_group += 1;
            self.group = Some(OpenGroup { writer, rows: 0 });
        }
        let group = self.group.as_mut().expect("opened above");
        group.writer.write(batch, self.sink.as_mut())?;
        group.rows += batch.num_rows() as u64;
        self.rows_written += batch.num_rows() as u64;
        Ok(())
    }

    fn close_group(&mut self) -> Result<(), WriteError> {
        let Some(group) = self.group.take() else {
            return Ok(());
        };
        let (files, bytes) = group.writer.finish(self.sink.as_mut())?;
        self.groups.push(FileGroup {
            files,
            rows: group.rows,
            bytes,
        });
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if self.state != State::Done {
            self.abort();
        }
    }
}
