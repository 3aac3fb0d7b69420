//! Text inputs: JSONL (parsed on worker threads), Milvus JSON row files
//! and CSV. Each reader turns its input into rows of JSON text for the
//! same row reader, so every input is checked the same way.

use std::io::Read;

use super::Writer;
use crate::csv_rows;
use crate::error::{Reason, RowError, WriteError};
use crate::json_rows::{self, Stop};
use crate::jsonl;
use crate::rows::Refusal;

impl Writer {
    /// Writes every line of JSONL input (any `Read`; it is read in large
    /// blocks, so a `BufReader` adds nothing); blank lines are skipped, and
    /// bad rows are named by line number. Lines are parsed on
    /// [`WriterBuilder::threads`](super::WriterBuilder::threads) threads, rows stay in input order.
    /// Returns the rows read (written or refused).
    pub fn write_jsonl<R: Read>(&mut self, input: R) -> Result<u64, WriteError> {
        self.check_open()?;
        let result = self.flush_rows();
        self.failing(result)?;
        let mut rows = 0u64;
        let read_error = |e| WriteError::io("JSONL input", e);
        let result = if self.threads <= 1 {
            let mut blocks = jsonl::Blocks::new(input);
            let mut lines = jsonl::Lines::default();
            loop {
                match blocks.next_block() {
                    Ok(Some(block)) => {
                        let mut parsed = jsonl::parse(&mut self.reader, block);
                        lines.number(&mut parsed);
                        blocks.recycle(std::mem::take(&mut parsed.spare));
                        rows += parsed.rows;
                        self.take_parsed(parsed)?;
                    }
                    Ok(None) => break Ok(()),
                    Err(e) => break Err(read_error(e)),
                }
            }
        } else {
            let schema = self.context.schema.clone();
            jsonl::run_parallel(&schema, input, self.threads, read_error, |parsed| {
                rows += parsed.rows;
                self.take_parsed(parsed)
            })
        };
        self.failing(result)?;
        Ok(rows)
    }

    /// Writes a Milvus JSON row file, `{"rows": [...]}` or `[...]`, read
    /// as a stream from any `Read`; bad rows are named by their position
    /// in the file. Returns the rows read (written or refused). Text that
    /// is not JSON ends the write: the file cannot be read past it.
    pub fn write_json_rows<R: Read>(&mut self, input: R) -> Result<u64, WriteError> {
        self.check_open()?;
        let first = self.rows_given + 1;
        let read = json_rows::for_each_row(input, |text| {
            let result = self.reader.push_bytes(text);
            self.after_row(result, None)
        });
        match read {
            Ok(rows) => Ok(rows),
            Err(Stop::Row(e)) => self.failing(Err(e)),
            Err(Stop::Text { after, message }) => {
                let error = RowError {
                    row: first + after,
                    line: None,
                    field: None,
                    reason: Reason::Syntax(message),
                };
                self.failing(Err(WriteError::Row(error)))
            }
        }
    }

    /// Writes CSV rows as Milvus reads them: a header row; scalars as text;
    /// JSON, arrays and vectors as JSON text; `null_key` (Milvus's
    /// `nullkey`, `""` by default) meaning null in nullable and
    /// default-valued fields; other columns into `$meta` as strings. Bad
    /// rows are named by line. Returns the rows read.
    pub fn write_csv<R: Read>(
        &mut self,
        input: R,
        separator: u8,
        null_key: &str,
    ) -> Result<u64, WriteError> {
        self.check_open()?;
        let schema = self.context.schema.clone();
        let read = csv_rows::for_each_row(&schema, input, separator, null_key, |text, line| {
            let result = match text {
                Ok(text) => self.reader.push_bytes(text),
                Err(reason) => Err(Refusal {
                    field: None,
                    reason,
                }),
            };
            self.after_row(result, Some(line))
        });
        self.failing(read)
    }

    /// Takes a parsed block of JSONL: its bad rows, then its batch.
    fn take_parsed(&mut self, parsed: jsonl::Parsed) -> Result<(), WriteError> {
        let base = self.rows_given;
        self.rows_given += parsed.rows;
        for (index, line, refusal) in parsed.refusals {
            self.refuse(RowError {
                row: base + index + 1,
                line: Some(line),
                field: refusal.field,
                reason: refusal.reason,
            })?;
        }
        match parsed.batch {
            Some(batch) => self.write_canonical(&batch, parsed.bytes),
            None => Ok(()),
        }
    }
}
