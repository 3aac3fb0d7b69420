//! The inputs of `write`: which reader each file takes (by its extension),
//! opening it, and feeding it to the writer.

use std::{
    fs::File,
    io::{self, Read, Seek, Write},
    path::{Path, PathBuf},
};

use indicatif::ProgressBar;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use zilliz_import_writer::{WriteError, Writer};

use crate::{ending::Failure, write_stop::Stop};

/// What an input holds, as its extension says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jsonl,
    Json,
    Csv,
    Parquet,
}

impl Kind {
    /// Whether a bad row's line can be quoted from the input.
    pub fn has_lines(self) -> bool {
        matches!(self, Kind::Jsonl | Kind::Csv)
    }
}

/// One `--input`: a file, or `-` (JSONL on standard input).
#[derive(Debug)]
pub struct Input {
    pub path: Option<PathBuf>,
    pub kind: Kind,
    /// What messages call it: the path as given, or `stdin`.
    pub name: String,
    /// Standard input as read, kept to quote rejected lines from.
    pub copy: Option<File>,
}

impl Input {
    /// The input `path` names, refused (exit 2) when its extension is none
    /// of the readers' or it cannot be opened: before anything is written.
    pub fn new(path: &Path) -> Result<Input, Failure> {
        if path.as_os_str() == "-" {
            return Ok(Input {
                path: None,
                kind: Kind::Jsonl,
                name: "stdin".to_owned(),
                copy: None,
            });
        }
        let name = path.display().to_string();
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let kind = match extension.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Kind::Jsonl,
            "json" => Kind::Json,
            "csv" => Kind::Csv,
            "parquet" => Kind::Parquet,
            _ => {
                return Err(Failure::Input(format!(
                    "input {name}: cannot tell its format; name it .jsonl, .json, .csv or \
                     .parquet (or give `-` for JSONL on standard input)"
                )));
            }
        };
        File::open(path).map_err(|e| unreadable(&name, &e))?;
        Ok(Input {
            path: Some(path.to_owned()),
            kind,
            name,
            copy: None,
        })
    }

    /// The input's size in bytes, when it is a file.
    pub fn len(&self) -> Option<u64> {
        std::fs::metadata(self.path.as_ref()?).ok().map(|m| m.len())
    }

    /// Writes every row of the input; the rows read (written or refused).
    /// `keep_copy` keeps what standard input gave, to quote lines from.
    pub fn write_to(
        &mut self,
        writer: &mut Writer,
        bar: &ProgressBar,
        keep_copy: bool,
        stop: &Stop,
    ) -> Result<u64, Failed> {
        let Some(path) = &self.path else {
            let stdin = stop.reader(io::stdin(), false);
            if !keep_copy {
                return Ok(writer.write_jsonl(bar.wrap_read(stdin))?);
            }
            let copy = tempfile::tempfile().map_err(|e| Failed::Read(e.to_string()))?;
            let mut tee = Tee {
                input: bar.wrap_read(stdin),
                copy,
            };
            let rows = writer.write_jsonl(&mut tee)?;
            let mut copy = tee.copy;
            copy.rewind().map_err(|e| Failed::Read(e.to_string()))?;
            self.copy = Some(copy);
            return Ok(rows);
        };
        let file = File::open(path).map_err(|e| Failed::Read(e.to_string()))?;
        let regular = Stop::is_regular(&file);
        let text = |file| bar.wrap_read(stop.reader(file, regular));
        Ok(match self.kind {
            Kind::Parquet => self.write_parquet(file, writer, bar, stop)?,
            Kind::Jsonl => writer.write_jsonl(text(file))?,
            Kind::Json => writer.write_json_rows(text(file))?,
            Kind::Csv => writer.write_csv(text(file), b',', "")?,
        })
    }

    /// A Parquet input's batches into the writer's Arrow path.
    fn write_parquet(
        &self,
        file: File,
        writer: &mut Writer,
        bar: &ProgressBar,
        stop: &Stop,
    ) -> Result<u64, Failed> {
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(|e| Failed::Read(format!("not a Parquet file it can read: {e}")))?;
        let mut rows = 0;
        for batch in reader {
            stop.check().map_err(|e| Failed::Read(e.to_string()))?;
            let batch = batch.map_err(|e| Failed::Read(e.to_string()))?;
            writer.write_batch(&batch)?;
            rows += batch.num_rows() as u64;
        }
        bar.inc(self.len().unwrap_or(0));
        Ok(rows)
    }

    /// The input again, from its start, to quote rejected lines from.
    pub fn reopen(&self) -> io::Result<Box<dyn Read>> {
        match (&self.path, &self.copy) {
            (Some(path), _) => Ok(Box::new(File::open(path)?)),
            (None, Some(copy)) => Ok(Box::new(copy.try_clone()?)),
            (None, None) => Err(io::Error::other("standard input was not kept")),
        }
    }
}

/// How feeding one input failed: the input could not be read, or the
/// writer refused (a bad row, or its own failure).
#[derive(Debug)]
pub enum Failed {
    Read(String),
    Write(WriteError),
}

impl From<WriteError> for Failed {
    fn from(e: WriteError) -> Self {
        match e {
            // The writer names its reader's input as "JSONL input": the
            // input failed, not the output.
            WriteError::Io { path, source } if path.as_os_str() == "JSONL input" => {
                Failed::Read(source.to_string())
            }
            e => Failed::Write(e),
        }
    }
}

fn unreadable(name: &str, e: &io::Error) -> Failure {
    Failure::Input(format!("input {name}: cannot read it: {e}"))
}

/// A reader that keeps a copy of what it reads.
struct Tee<R> {
    input: R,
    copy: File,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.input.read(buf)?;
        self.copy.write_all(&buf[..n])?;
        Ok(n)
    }
}
