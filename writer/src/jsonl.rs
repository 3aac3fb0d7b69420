//! JSONL input: read in blocks of whole lines, parsed on worker threads,
//! handed to the writer in input order.
//!
//! Parsing (above all the float vectors) is most of the work of turning
//! JSONL into files, so blocks of about 4 MiB go to a few threads, each
//! with its own column buffers; each block comes back as one batch plus
//! the refusals of its bad rows, with their line numbers. At most two
//! blocks per thread are in flight, so memory stays bounded.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;

use crate::rows::{Refusal, RowReader};
use crate::schema::Schema;

/// Text per block: big enough to keep threads busy, small enough that a
/// few in flight cost little.
const BLOCK_BYTES: usize = 4 << 20;

/// Whole lines of input.
pub(crate) struct Block {
    seq: u64,
    text: Vec<u8>,
}

/// A parsed block.
pub(crate) struct Parsed {
    seq: u64,
    pub(crate) batch: Option<RecordBatch>,
    /// Bytes the batch held in its column buffers.
    pub(crate) bytes: u64,
    /// Rows read (lines that were not blank).
    pub(crate) rows: u64,
    /// Lines in the block.
    lines: u64,
    /// Bad rows: position among the block's rows (0-based), line (within
    /// the block until [`Lines::number`] makes it absolute), why.
    pub(crate) refusals: Vec<(u64, u64, Refusal)>,
    /// The block's buffer, emptied, to read the next block into.
    pub(crate) spare: Vec<u8>,
}

/// Reads the input in blocks that end at a line end. Reads go straight
/// into the block (no second buffer); the part line after the block's last
/// newline is carried into the next one.
pub(crate) struct Blocks<R> {
    input: R,
    seq: u64,
    carry: Vec<u8>,
    done: bool,
    /// Buffers of parsed blocks, to read into again: fresh memory for
    /// every block costs page faults.
    spares: Vec<Vec<u8>>,
}

impl<R: Read> Blocks<R> {
    pub(crate) fn new(input: R) -> Self {
        Blocks {
            input,
            seq: 0,
            carry: Vec::new(),
            done: false,
            spares: Vec::new(),
        }
    }

    /// Takes back a parsed block's buffer.
    pub(crate) fn recycle(&mut self, mut buffer: Vec<u8>) {
        if self.spares.len() < 8 {
            buffer.clear();
            self.spares.push(buffer);
        }
    }

    pub(crate) fn next_block(&mut self) -> io::Result<Option<Block>> {
        let mut text = self
            .spares
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(BLOCK_BYTES + (64 << 10)));
        text.append(&mut self.carry);
        let mut searched = 0;
        loop {
            if text.len() >= BLOCK_BYTES || self.done {
                // End the block at its last newline, or, when a line is
                // longer than a block, at the first one past it.
                if let Some(p) = memchr::memrchr(b'\n', &text[searched..]) {
                    self.carry.extend_from_slice(&text[searched + p + 1..]);
                    text.truncate(searched + p + 1);
                    break;
                }
                if self.done {
                    break;
                }
                searched = text.len();
            }
            // `read_to_end` fills the spare capacity without zeroing it.
            let room = BLOCK_BYTES.max(text.capacity() - text.len()) as u64;
            match (&mut self.input).take(room).read_to_end(&mut text) {
                Ok(0) => self.done = true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if text.is_empty() {
            return Ok(None);
        }
        let block = Block {
            seq: self.seq,
            text,
        };
        self.seq += 1;
        Ok(Some(block))
    }
}

/// Turns the line numbers of blocks, taken in input order, into line
/// numbers of the input.
#[derive(Default)]
pub(crate) struct Lines {
    before: u64,
}

impl Lines {
    pub(crate) fn number(&mut self, parsed: &mut Parsed) {
        for refusal in &mut parsed.refusals {
            refusal.1 += self.before + 1;
        }
        self.before += parsed.lines;
    }
}

/// Parses a block's lines into `reader`'s columns and takes them as a
/// batch.
pub(crate) fn parse(reader: &mut RowReader, block: Block) -> Parsed {
    let mut rows = 0u64;
    let mut refusals = Vec::new();
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', &block.text).chain(std::iter::once(block.text.len()));
    let mut lines = 0u64;
    for (i, end) in ends.enumerate() {
        let raw = &block.text[start..end];
        start = end + 1;
        let line = i as u64;
        if end < block.text.len() {
            lines += 1;
        }
        let mut text = raw.strip_suffix(b"\r").unwrap_or(raw);
        if block.seq == 0 && i == 0 {
            text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        }
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let result = reader.push_bytes(text);
        if let Err(refusal) = result {
            refusals.push((rows, line, refusal));
        }
        rows += 1;
    }
    let bytes = reader.bytes() as u64;
    let batch = (reader.rows() > 0).then(|| reader.take_batch());
    Parsed {
        seq: block.seq,
        batch,
        bytes,
        rows,
        lines,
        refusals,
        spare: block.text,
    }
}

/// Parses blocks on `threads` workers; `handle` gets the results in input
/// order and may stop the run by returning an error.
pub(crate) fn run_parallel<R: Read, E>(
    schema: &Arc<Schema>,
    input: R,
    threads: usize,
    read_error: impl Fn(io::Error) -> E,
    mut handle: impl FnMut(Parsed) -> Result<(), E>,
) -> Result<(), E> {
    let limit = (threads * 2) as u64;
    std::thread::scope(|scope| {
        let (work_tx, work_rx) = mpsc::sync_channel::<Block>(threads);
        let work_rx: Arc<Mutex<Receiver<Block>>> = Arc::new(Mutex::new(work_rx));
        let (done_tx, done_rx) = mpsc::channel::<Parsed>();
        for _ in 0..threads {
            let (work_rx, done_tx) = (work_rx.clone(), done_tx.clone());
            let mut reader = RowReader::new(schema.clone());
            scope.spawn(move || {
                loop {
                    let next = work_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok(block)) = next else { break };
                    if done_tx.send(parse(&mut reader, block)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        let mut blocks = Blocks::new(input);
        let mut lines = Lines::default();
        let mut pending = BTreeMap::new();
        let (mut sent, mut handled) = (0u64, 0u64);
        let mut deliver = |parsed: Parsed,
                           pending: &mut BTreeMap<u64, Parsed>,
                           handled: &mut u64,
                           blocks: &mut Blocks<R>| {
            pending.insert(parsed.seq, parsed);
            while let Some(mut next) = pending.remove(&*handled) {
                *handled += 1;
                lines.number(&mut next);
                blocks.recycle(std::mem::take(&mut next.spare));
                handle(next)?;
            }
            Ok(())
        };
        let mut reading = true;
        let mut pump = || -> Result<(), E> {
            while reading || handled < sent {
                if reading && sent - handled < limit {
                    match blocks.next_block().map_err(&read_error)? {
                        Some(block) => {
                            sent += 1;
                            if work_tx.send(block).is_err() {
                                break;
                            }
                        }
                        None => reading = false,
                    }
                    while let Ok(parsed) = done_rx.try_recv() {
                        deliver(parsed, &mut pending, &mut handled, &mut blocks)?;
                    }
                } else {
                    match done_rx.recv() {
                        Ok(parsed) => deliver(parsed, &mut pending, &mut handled, &mut blocks)?,
                        Err(_) => break,
                    }
                }
            }
            Ok(())
        };
        let result = pump();
        // Workers end once the queue is closed and drained.
        drop(work_tx);
        result
    })
}
