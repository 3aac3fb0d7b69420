//! `write --reject FILE`: the rows the writer refused, one JSON object a
//! line, each with its input, line (text inputs) or row, field and reason,
//! and for JSONL and CSV the line itself.
//!
//! The writer reports a bad row without its text, so refusals are spooled
//! to a temporary file as they come (memory does not grow with them) and
//! merged with the inputs' lines once every input is written: both are in
//! input order, so one pass over each input finds every line.

use std::{
    fs::File,
    io::{self, BufRead, BufReader, BufWriter, Seek, Write},
    path::Path,
    sync::{Arc, Mutex, PoisonError},
};

use serde_json::{Value, json};
use zilliz_import_writer::{BadRows, RowError};

use crate::write_inputs::Input;

/// The refusals of one run, shared between the writer's callback and the
/// command.
#[derive(Clone)]
pub struct Rejects(Arc<Mutex<Spool>>);

struct Spool {
    out: BufWriter<File>,
    /// The input being written, and the rows of the inputs before it.
    input: usize,
    rows_before: u64,
    count: u64,
    /// The first failure to spool, reported at the end.
    error: Option<io::Error>,
}

impl Rejects {
    pub fn new() -> io::Result<Self> {
        Ok(Rejects(Arc::new(Mutex::new(Spool {
            out: BufWriter::new(tempfile::tempfile()?),
            input: 0,
            rows_before: 0,
            count: 0,
            error: None,
        }))))
    }

    fn spool(&self) -> std::sync::MutexGuard<'_, Spool> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// From now on, refusals are of input `input`, after `rows_before` rows.
    pub fn at_input(&self, input: usize, rows_before: u64) {
        let mut spool = self.spool();
        spool.input = input;
        spool.rows_before = rows_before;
    }

    /// What the writer does with bad rows: spool them here.
    pub fn bad_rows(&self) -> BadRows {
        let me = self.clone();
        BadRows::Report(Box::new(move |e| me.record(e)))
    }

    fn record(&self, e: RowError) {
        let mut spool = self.spool();
        let entry = json!({
            "i": spool.input,
            "line": e.line,
            "row": e.row.saturating_sub(spool.rows_before),
            "field": e.field,
            "reason": e.reason.to_string(),
        });
        spool.count += 1;
        if let Err(err) = writeln!(spool.out, "{entry}") {
            spool.error.get_or_insert(err);
        }
    }

    /// Writes every refusal to `out`, with its line where the input has
    /// lines; the number of rows refused.
    pub fn finish(self, inputs: &[Input], out: File) -> io::Result<u64> {
        let mut spool = self.spool();
        if let Some(e) = spool.error.take() {
            return Err(e);
        }
        spool.out.flush()?;
        let mut entries = spool.out.get_ref().try_clone()?;
        entries.rewind()?;
        let mut out = BufWriter::new(out);
        let mut lines: Option<(usize, Lines)> = None;
        for entry in BufReader::new(entries).lines() {
            let entry: Value = serde_json::from_str(&entry?).map_err(io::Error::other)?;
            let i = entry["i"].as_u64().unwrap_or(0) as usize;
            let input = &inputs[i];
            let mut shown = json!({
                "input": input.name,
                "row": entry["row"],
                "field": entry["field"],
                "reason": entry["reason"],
            });
            let line = entry["line"].as_u64();
            if let Some(n) = line {
                shown["line"] = json!(n);
            }
            if let Some(n) = line.filter(|_| input.kind.has_lines()) {
                if lines.as_ref().is_none_or(|(at, _)| *at != i) {
                    lines = Some((i, Lines::new(input.reopen()?)));
                }
                if let Some((_, reader)) = &mut lines
                    && let Some(text) = reader.line(n)?
                {
                    shown["text"] = json!(text);
                }
            }
            writeln!(out, "{shown}")?;
        }
        out.flush()?;
        Ok(spool.count)
    }
}

/// An input's lines, read forward only, numbered from 1.
struct Lines {
    reader: BufReader<Box<dyn io::Read>>,
    /// The number of the line read last.
    at: u64,
    buf: Vec<u8>,
}

impl Lines {
    fn new(input: Box<dyn io::Read>) -> Self {
        Lines {
            reader: BufReader::new(input),
            at: 0,
            buf: Vec::new(),
        }
    }

    /// Line `n` (without its line ending), if the input has it and it is
    /// not behind what was read.
    fn line(&mut self, n: u64) -> io::Result<Option<String>> {
        while self.at < n {
            self.buf.clear();
            if self.reader.read_until(b'\n', &mut self.buf)? == 0 {
                return Ok(None);
            }
            self.at += 1;
        }
        if self.at != n {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&self.buf);
        Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned()))
    }
}

/// Creates (or empties) the reject file now, so one that cannot be written
/// is refused before any row is.
pub fn create(path: &Path) -> io::Result<File> {
    File::create(path)
}
