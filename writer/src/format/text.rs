//! The text formats: JSON (`{"rows": [...]}`), JSONL and CSV, one file per
//! group, written row by row from the canonical columns.
//!
//! Keys of the dynamic field are written as keys of the row in JSON and
//! JSONL (every Milvus with the dynamic field on files undeclared keys into
//! `$meta`), and as a `$meta` column of JSON text in CSV (the CSV reader
//! would otherwise keep every extra cell as a string).

use std::io::Write;
use std::sync::Arc;

use arrow_array::RecordBatch;

use super::encode::{Cell, write_json_str};
use super::group::{Context, GroupWriter};
use crate::error::WriteError;
use crate::sink::{Sink, SinkFile};

pub(crate) enum Kind {
    Json,
    Jsonl,
    Csv { separator: u8, null_key: String },
}

/// Quoting and escaping by the `csv` crate, into the group's buffer.
fn csv_writer(separator: u8, out: &mut Vec<u8>) -> csv::Writer<&mut Vec<u8>> {
    csv::WriterBuilder::new()
        .delimiter(separator)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out)
}

pub(crate) struct TextGroup {
    context: Arc<Context>,
    path: String,
    file: Box<dyn SinkFile>,
    kind: Kind,
    /// `"name":` for each column, ready to copy.
    keys: Vec<Vec<u8>>,
    rows: u64,
    bytes: u64,
    buf: Vec<u8>,
}

impl TextGroup {
    pub(crate) fn open(
        context: &Arc<Context>,
        sink: &mut dyn Sink,
        path: &str,
        kind: Kind,
    ) -> Result<Self, WriteError> {
        let file = sink.create(path)?;
        let keys = context
            .names
            .iter()
            .map(|n| {
                let mut k = Vec::new();
                write_json_str(n, &mut k);
                k.push(b':');
                k
            })
            .collect();
        let mut group = TextGroup {
            context: context.clone(),
            path: path.to_owned(),
            file,
            kind,
            keys,
            rows: 0,
            bytes: 0,
            buf: Vec::with_capacity(1 << 20),
        };
        match &group.kind {
            Kind::Json => group.buf.extend_from_slice(b"{\"rows\":["),
            Kind::Jsonl => {}
            Kind::Csv { separator, .. } => {
                let mut csv = csv_writer(*separator, &mut group.buf);
                let written = csv
                    .write_record(group.context.names.iter())
                    .and_then(|()| csv.flush().map_err(csv::Error::from));
                drop(csv);
                written.map_err(|e| WriteError::io(path, e.into()))?;
            }
        }
        group.flush_buf()?;
        Ok(group)
    }

    fn flush_buf(&mut self) -> Result<(), WriteError> {
        self.file
            .write_all(&self.buf)
            .map_err(|e| WriteError::io(&self.path, e))?;
        self.bytes += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }
}

impl GroupWriter for TextGroup {
    fn write(&mut self, batch: &RecordBatch, _sink: &mut dyn Sink) -> Result<(), WriteError> {
        let context = self.context.clone();
        let cells: Vec<Cell<'_>> = context
            .written
            .iter()
            .zip(batch.columns())
            .map(|(w, a)| Cell::new(&context.schema, w, a))
            .collect();
        if let Kind::Csv {
            separator,
            null_key,
        } = &self.kind
        {
            let (separator, null_key) = (*separator, null_key.clone());
            write_csv(
                &context,
                &cells,
                batch.num_rows(),
                separator,
                &null_key,
                &mut self.buf,
            )
            .map_err(|e| match e {
                CsvFailure::Io(e) => WriteError::io(&self.path, e),
                CsvFailure::Ambiguous(field) => WriteError::Unsupported {
                    format: "CSV",
                    field,
                    reason: "a value equals the null key, and Milvus would read it as null or the \
                                 default; choose another null key",
                },
            })?;
            self.rows += batch.num_rows() as u64;
            return self.flush_buf();
        }
        // Rows are encoded on several threads, in slices joined in order.
        let rows = batch.num_rows();
        let threads = self.context.threads.min(rows / 256).max(1);
        let per = rows.div_ceil(threads);
        let json = matches!(self.kind, Kind::Json);
        let (first, keys) = (self.rows, &self.keys);
        let encode = |range: std::ops::Range<usize>, out: &mut Vec<u8>| {
            for row in range {
                if json {
                    out.extend_from_slice(if first + row as u64 == 0 {
                        b"\n"
                    } else {
                        b",\n"
                    });
                    json_row(&context, keys, &cells, row, out);
                } else {
                    json_row(&context, keys, &cells, row, out);
                    out.push(b'\n');
                }
            }
        };
        if threads == 1 {
            encode(0..rows, &mut self.buf);
        } else {
            let parts: Vec<Vec<u8>> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let encode = &encode;
                        scope.spawn(move || {
                            let mut out = Vec::with_capacity(1 << 20);
                            encode(t * per..rows.min((t + 1) * per), &mut out);
                            out
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("encoding a checked batch does not panic"))
                    .collect()
            });
            for part in parts {
                self.buf.extend_from_slice(&part);
            }
        }
        self.rows += rows as u64;
        self.flush_buf()
    }

    fn bytes(&self) -> u64 {
        self.bytes + self.buf.len() as u64
    }

    fn finish(mut self: Box<Self>, _sink: &mut dyn Sink) -> Result<(Vec<String>, u64), WriteError> {
        if let Kind::Json = self.kind {
            self.buf.extend_from_slice(b"\n]}\n");
        }
        self.flush_buf()?;
        let TextGroup { path, file, .. } = *self;
        let bytes = file.close()?;
        Ok((vec![path], bytes))
    }
}

/// Whether Milvus replaces a cell equal to the null key in this column
/// (nullable fields, and fields with a default).
fn reads_null_key(context: &Context, column: usize) -> bool {
    context.written[column].field.is_some_and(|i| {
        let field = &context.schema.fields()[i];
        field.is_nullable() || field.default().is_some()
    })
}

enum CsvFailure {
    Io(std::io::Error),
    Ambiguous(String),
}

/// Writes the rows of a batch as CSV records.
fn write_csv(
    context: &Context,
    cells: &[Cell<'_>],
    rows: usize,
    separator: u8,
    null_key: &str,
    out: &mut Vec<u8>,
) -> Result<(), CsvFailure> {
    let mut csv = csv_writer(separator, out);
    let mut values: Vec<Vec<u8>> = vec![Vec::new(); cells.len()];
    for row in 0..rows {
        for (c, cell) in cells.iter().enumerate() {
            let v = &mut values[c];
            v.clear();
            if cell.is_null(row) {
                v.extend_from_slice(null_key.as_bytes());
            } else {
                cell.plain(row, v);
                if v.as_slice() == null_key.as_bytes() && reads_null_key(context, c) {
                    return Err(CsvFailure::Ambiguous(context.names[c].clone()));
                }
            }
        }
        csv.write_record(&values)
            .map_err(|e| CsvFailure::Io(e.into()))?;
    }
    csv.flush().map_err(CsvFailure::Io)
}

/// One row as a JSON object; keys of `$meta` become the row's own.
fn json_row(
    context: &Context,
    keys: &[Vec<u8>],
    cells: &[Cell<'_>],
    row: usize,
    out: &mut Vec<u8>,
) {
    out.push(b'{');
    let mut first = true;
    for (c, cell) in cells.iter().enumerate() {
        if context.written[c].field.is_none() {
            // `$meta`: its keys become the row's own.
            let Cell::Raw(text) = cell else { continue };
            if arrow_array::Array::is_null(*text, row) {
                continue;
            }
            let meta = text.value(row).trim().as_bytes();
            if let [b'{', inner @ .., b'}'] = meta {
                let inner = inner.trim_ascii();
                if !inner.is_empty() {
                    if !first {
                        out.push(b',');
                    }
                    out.extend_from_slice(inner);
                    first = false;
                }
            }
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        out.extend_from_slice(&keys[c]);
        cell.json(row, out);
    }
    out.push(b'}');
}
