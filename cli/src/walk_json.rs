//! `--output json list --all`: the one document of a walk over every page,
//! `{"count": N, "records": [...]}`, byte for byte as serde_json
//! pretty-prints it, without holding the records as values.
//!
//! Holding every page's records took 1.8 GB for 40 pages of 15 MB, and
//! would have taken 45 GB at the default bound of 1,000 pages. The count
//! comes first but is known only once the walk is over, so each page's
//! records are written out as the document's text at once and held as
//! bytes until then: in memory up to [`SPILL_AT`], past that in an unnamed
//! temporary file (in `$TMPDIR`, removed by the system when the program
//! ends). Where no such file can be made or written, they stay in memory,
//! as before.

use std::{
    fs::File,
    io::{self, Read, Seek, Write},
};

use crate::{ending::Failure, json_array};
use serde::Serialize;

/// How many bytes of records are held in memory before they go to a file.
pub const SPILL_AT: usize = 8 << 20;

/// The document, built page by page.
pub struct WalkJson {
    count: u64,
    held: Held,
    spill_at: usize,
}

/// The records' text so far, as [`json_array::element`] writes them.
enum Held {
    Memory(Vec<u8>),
    /// An unnamed file, of which the first `len` bytes are the records.
    File {
        file: File,
        len: u64,
    },
}

/// Why the document could not be written.
#[derive(Debug)]
pub enum WalkOut {
    /// stdout went away.
    Closed,
    /// The temporary file could not be read back.
    Spool(io::Error),
}

impl WalkJson {
    /// A document without records, which holds up to `spill_at` bytes of
    /// them in memory.
    pub fn new(spill_at: usize) -> Self {
        WalkJson {
            count: 0,
            held: Held::Memory(Vec::new()),
            spill_at,
        }
    }

    /// Adds a page's records. An error: the temporary file failed, and what
    /// it held could not be read back.
    pub fn push(&mut self, records: &[impl Serialize]) -> io::Result<()> {
        let mut text = Vec::new();
        for record in records {
            json_array::element(&mut text, self.count, record);
            self.count += 1;
        }
        self.append(text)
    }

    fn append(&mut self, text: Vec<u8>) -> io::Result<()> {
        match &mut self.held {
            Held::Memory(held) => {
                held.extend_from_slice(&text);
                if held.len() > self.spill_at {
                    self.spill();
                }
            }
            Held::File { file, len } => {
                if file.write_all(&text).is_ok() {
                    *len += text.len() as u64;
                    return Ok(());
                }
                // The disk is full: back to memory, as if no file could be made.
                let mut held = read_back(file, *len)?;
                held.extend_from_slice(&text);
                self.held = Held::Memory(held);
                self.spill_at = usize::MAX;
            }
        }
        Ok(())
    }

    /// Moves what memory holds to a new temporary file, if one can be made
    /// and written; else keeps it in memory for good.
    fn spill(&mut self) {
        let Held::Memory(held) = &mut self.held else {
            return;
        };
        match tempfile::tempfile().and_then(|mut file| file.write_all(held).map(|()| file)) {
            Ok(file) => {
                let len = held.len() as u64;
                self.held = Held::File { file, len };
            }
            Err(_) => self.spill_at = usize::MAX,
        }
    }

    /// Writes the document and a newline to `out`, and flushes it.
    pub fn finish(self, out: &mut impl Write) -> Result<(), WalkOut> {
        let closed = |_: io::Error| WalkOut::Closed;
        let head = json_array::open(&[("count", self.count.to_string())], "records");
        out.write_all(head.as_bytes()).map_err(closed)?;
        match self.held {
            Held::Memory(held) => out.write_all(&held).map_err(closed)?,
            Held::File { mut file, len } => {
                file.rewind().map_err(WalkOut::Spool)?;
                let mut file = file.take(len);
                let mut buf = vec![0; 64 << 10];
                loop {
                    let n = file.read(&mut buf).map_err(WalkOut::Spool)?;
                    if n == 0 {
                        break;
                    }
                    out.write_all(&buf[..n]).map_err(closed)?;
                }
            }
        }
        out.write_all(json_array::close(self.count).as_bytes())
            .and_then(|()| out.flush())
            .map_err(closed)
    }
}

/// The temporary file of a JSON walk failed, and what it held is lost: a
/// local failure, told as the configuration's (exit 2), as `sort` does.
pub fn spool_failed(e: &std::io::Error) -> Failure {
    let dir = std::env::temp_dir();
    Failure::config(format!(
        "the listing's temporary file in {} failed: {e}",
        dir.display()
    ))
}

/// The first `len` bytes of `file`.
fn read_back(file: &mut File, len: u64) -> io::Result<Vec<u8>> {
    file.rewind()?;
    let mut held = Vec::new();
    file.take(len).read_to_end(&mut held)?;
    Ok(held)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// What the CLI printed before the records were streamed: every record
    /// held, then one `to_string_pretty` and a newline.
    fn held_document(records: &[Value]) -> Vec<u8> {
        let doc = json!({ "count": records.len(), "records": records });
        let mut text = serde_json::to_string_pretty(&doc).unwrap().into_bytes();
        text.push(b'\n');
        text
    }

    fn streamed(pages: &[Vec<Value>], spill_at: usize) -> Vec<u8> {
        let mut doc = WalkJson::new(spill_at);
        for page in pages {
            doc.push(page).unwrap();
        }
        let spilled = matches!(doc.held, Held::File { .. });
        if spill_at == 0 && pages.iter().any(|p| !p.is_empty()) {
            assert!(spilled, "every record goes to the file");
        }
        if spill_at == SPILL_AT {
            assert!(!spilled, "a few records stay in memory");
        }
        let mut out = Vec::new();
        doc.finish(&mut out).unwrap();
        out
    }

    fn record(n: usize) -> Value {
        json!({
            "jobId": format!("job-{n}"),
            "collectionName": if n.is_multiple_of(3) { Value::Null } else { json!(format!("c \"{n}\"\n\u{202e}é")) },
            "state": "Importing",
            "progress": n % 101,
        })
    }

    #[test]
    fn the_streamed_document_is_the_held_one_byte_for_byte() {
        let odd = json!({"b": [1, {"c": []}, {}], "a": {"z": null, "y": "\t"}, "e": [[]]});
        let cases: Vec<Vec<Vec<Value>>> = vec![
            vec![],
            vec![vec![]],
            vec![vec![record(1)]],
            vec![
                (0..10).map(record).collect(),
                (10..13).map(record).collect(),
            ],
            vec![vec![record(0)], vec![], vec![odd, record(2)]],
        ];
        for pages in cases {
            let all: Vec<Value> = pages.concat();
            let expected = String::from_utf8(held_document(&all)).unwrap();
            for spill_at in [0, 100, SPILL_AT] {
                let got = String::from_utf8(streamed(&pages, spill_at)).unwrap();
                assert_eq!(got, expected, "spill at {spill_at}");
            }
        }
    }

    /// A writer that takes `room` bytes, then fails as a closed pipe does.
    struct Closing {
        room: usize,
    }

    impl Write for Closing {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_stdout_is_told_apart_from_the_file() {
        for spill_at in [0, SPILL_AT] {
            for room in [0, 10, 200] {
                let mut doc = WalkJson::new(spill_at);
                doc.push(&(0..5).map(record).collect::<Vec<_>>()).unwrap();
                let out = doc.finish(&mut Closing { room });
                assert!(matches!(out, Err(WalkOut::Closed)), "{room}: {out:?}");
            }
        }
    }
}
