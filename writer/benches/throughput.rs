//! Throughput and memory of the writer, on the rows of issue 21: an Int64
//! key, a 768-d float vector, a VarChar and a JSON field.
//!
//!     cargo bench --bench throughput                 # all figures, 100,000 rows
//!     cargo bench --bench throughput -- --rows 20000
//!     cargo bench --bench throughput -- --only jsonl->parquet   # for a profiler
//!     cargo bench --bench throughput -- --only jsonl->parquet --threads 1
//!     cargo bench --bench throughput -- --rss [BYTES] # peak RSS, 1,000,000 rows, file size target
//!     cargo bench --bench throughput --features object-store -- --rss-store   # same, into an object store
//!
//! The JSONL lines are what Python's `json.dumps` makes of float32
//! vectors (the shortest f64 digits of each f32, about 18 characters a
//! number), so the same lines can be fed to pymilvus.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::{ArrayRef, Int64Array, ListArray, RecordBatch, StringArray};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use zilliz_import_writer::{Format, Schema, Writer};

const DIM: usize = 768;

fn schema() -> Schema {
    Schema::from_json(
        r#"{"fields": [
            {"name": "id", "type": "Int64", "primaryKey": true},
            {"name": "vector", "type": "FloatVector", "params": [{"key": "dim", "value": "768"}]},
            {"name": "title", "type": "VarChar", "params": [{"key": "max_length", "value": "512"}]},
            {"name": "meta", "type": "JSON"}
        ]}"#,
    )
    .expect("bench schema")
}

/// A small xorshift: the same vectors on every run, no dependency.
struct Rng(u64);
impl Rng {
    fn next_f32(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn line(i: u64, rng: &mut Rng, out: &mut String) {
    use std::fmt::Write as _;
    out.clear();
    write!(out, "{{\"id\": {i}, \"vector\": [").unwrap();
    let mut b = ryu::Buffer::new();
    for d in 0..DIM {
        if d > 0 {
            out.push_str(", ");
        }
        out.push_str(b.format(rng.next_f32() as f64));
    }
    write!(
        out,
        "], \"title\": \"title of row {i}\", \"meta\": {{\"source\": \"bench\", \"n\": {i}, \"tags\": [\"a\", \"b\"]}}}}"
    )
    .unwrap();
}

fn jsonl(rows: u64) -> Vec<u8> {
    let mut rng = Rng(0x9E3779B97F4A7C15);
    let mut out = Vec::new();
    let mut s = String::new();
    for i in 0..rows {
        line(i, &mut rng, &mut s);
        out.extend_from_slice(s.as_bytes());
        out.push(b'\n');
    }
    out
}

/// Wall seconds, CPU seconds and bytes out.
fn jsonl_to(format: Format, input: &[u8], rows: u64, threads: usize) -> (f64, f64, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cpu = cpu_seconds();
    let started = Instant::now();
    let mut writer = Writer::builder(schema())
        .format(format)
        .threads(threads)
        .create_in(dir.path())
        .expect("writer");
    writer.write_jsonl(input).expect("rows");
    let summary = writer.finish().expect("finish");
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(summary.rows, rows);
    (secs, cpu_seconds() - cpu, summary.bytes)
}

fn batches(rows: usize, per_batch: usize) -> Vec<RecordBatch> {
    let mut rng = Rng(0xDEADBEEF);
    let item = Arc::new(ArrowField::new("item", ArrowType::Float32, true));
    let schema = Arc::new(ArrowSchema::new(vec![
        ArrowField::new("id", ArrowType::Int64, true),
        ArrowField::new("vector", ArrowType::List(item.clone()), true),
        ArrowField::new("title", ArrowType::Utf8, true),
        ArrowField::new("meta", ArrowType::Utf8, true),
    ]));
    (0..rows.div_ceil(per_batch))
        .map(|b| {
            let n = per_batch.min(rows - b * per_batch);
            let start = (b * per_batch) as i64;
            let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(start..start + n as i64));
            let values: Vec<f32> = (0..n * DIM).map(|_| rng.next_f32()).collect();
            let offsets = OffsetBuffer::new(ScalarBuffer::from(
                (0..=n).map(|i| (i * DIM) as i32).collect::<Vec<_>>(),
            ));
            let vector: ArrayRef = Arc::new(ListArray::new(
                item.clone(),
                offsets,
                Arc::new(arrow_array::Float32Array::from(values)),
                None,
            ));
            let titles: ArrayRef = Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("title of row {i}")),
            ));
            let metas: ArrayRef = Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("{{\"n\": {i}}}")),
            ));
            RecordBatch::try_new(schema.clone(), vec![ids, vector, titles, metas]).expect("batch")
        })
        .collect()
}

/// Sequential write bandwidth of the disk the outputs go to: 1 GiB in
/// 8 MiB writes, then fdatasync.
fn disk_bandwidth() -> f64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("probe");
    let block = vec![0x5Au8; 8 << 20];
    let started = Instant::now();
    let mut f = std::fs::File::create(&path).expect("probe file");
    for _ in 0..128 {
        f.write_all(&block).expect("write");
    }
    f.sync_data().expect("sync");
    let secs = started.elapsed().as_secs_f64();
    (1u64 << 30) as f64 / secs / 1e6
}

/// CPU seconds this process has used (user + system, all threads).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with ')').
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here.
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// JSONL lines made on demand, so a million rows need no 15 GB file.
struct Lines {
    rng: Rng,
    next: u64,
    rows: u64,
    line: String,
    at: usize,
}

/// `rows` generated lines through `write_jsonl`, as a file would give them.
fn write_lines(writer: &mut Writer, rows: u64) {
    let lines = Lines {
        rng: Rng(1),
        next: 0,
        rows,
        line: String::new(),
        at: 0,
    };
    writer
        .write_jsonl(std::io::BufReader::with_capacity(1 << 20, lines))
        .expect("rows");
}

impl std::io::Read for Lines {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.line.len() {
            if self.next == self.rows {
                return Ok(0);
            }
            line(self.next, &mut self.rng, &mut self.line);
            self.line.push('\n');
            self.next += 1;
            self.at = 0;
        }
        let n = buf.len().min(self.line.len() - self.at);
        buf[..n].copy_from_slice(&self.line.as_bytes()[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Peak memory for a million rows: through `write_jsonl` (block-parallel)
/// and with the given file size target.
fn rss(rows: u64, file_size: u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let before = peak_rss_mb();
    let started = Instant::now();
    let mut writer = Writer::builder(schema())
        .file_size(file_size)
        .create_in(dir.path())
        .expect("writer");
    write_lines(&mut writer, rows);
    let summary = writer.finish().expect("finish");
    println!(
        "rss: {rows} rows of {DIM}-d to Parquet, file size target {file_size}: {} files, {:.0} MB, {:.1} s, \
         peak RSS {:.0} MB (before writing: {before:.0} MB)",
        summary.groups.len(),
        summary.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
}

/// Peak memory for a million rows into an `ObjectStoreSink` (a local
/// directory behind object_store's `LocalFileSystem`, so the bytes go to
/// disk): the parts in flight add at most `(concurrency + 1) * part_size`.
#[cfg(feature = "object-store")]
fn rss_store(rows: u64) {
    use std::sync::Arc;
    use zilliz_import_writer::{DEFAULT_PART_SIZE, DEFAULT_UPLOAD_CONCURRENCY, ObjectStoreSink};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = object_store::local::LocalFileSystem::new_with_prefix(dir.path()).expect("store");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("runtime");
    let before = peak_rss_mb();
    let started = Instant::now();
    let sink = ObjectStoreSink::new(Arc::new(store), "out", runtime.handle().clone());
    let mut writer = Writer::builder(schema())
        .create(Box::new(sink))
        .expect("writer");
    write_lines(&mut writer, rows);
    let summary = writer.finish().expect("finish");
    println!(
        "rss-store: {rows} rows of {DIM}-d to Parquet in an object store ({} MiB parts, {} at once): {} files, \
         {:.0} MB, {:.1} s, peak RSS {:.0} MB (before writing: {before:.0} MB)",
        DEFAULT_PART_SIZE >> 20,
        DEFAULT_UPLOAD_CONCURRENCY,
        summary.groups.len(),
        summary.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        peak_rss_mb()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows: u64 = args
        .iter()
        .position(|a| a == "--rows")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    if let Some(i) = args.iter().position(|a| a == "--rss") {
        let file_size = args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(1 << 30);
        rss(1_000_000, file_size);
        return;
    }
    #[cfg(feature = "object-store")]
    if args.iter().any(|a| a == "--rss-store") {
        rss_store(1_000_000);
        return;
    }
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let input = jsonl(rows);
    println!(
        "input: {rows} JSONL rows, {:.0} MB; {} threads parse JSONL",
        input.len() as f64 / 1e6,
        std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
    );
    if let Some(i) = args.iter().position(|a| a == "--save-jsonl") {
        std::fs::write(&args[i + 1], &input).expect("save");
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    // `--threads N`: only that thread count (for a profiler); else 1 and all.
    let counts: Vec<usize> = match args
        .iter()
        .position(|a| a == "--threads")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
    {
        Some(n) => vec![n],
        None => vec![1, threads],
    };
    for (name, format) in [
        ("jsonl->parquet", Format::default()),
        ("jsonl->json", Format::Json),
    ] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        for &t in &counts {
            let (secs, cpu, bytes) = jsonl_to(format.clone(), &input, rows, t);
            println!(
                "{name}: {:.0} rows/s with {t} thread(s) ({secs:.2} s, {:.0} rows per CPU-second, {:.0} MB out)",
                rows as f64 / secs,
                rows as f64 / cpu,
                bytes as f64 / 1e6
            );
        }
    }
    drop(input);
    if only.is_some() {
        return;
    }
    let batch_rows = rows as usize;
    let input = batches(batch_rows, 8192);
    let in_bytes: usize = input
        .iter()
        .map(|b| {
            b.columns()
                .iter()
                .map(|c| c.get_buffer_memory_size())
                .sum::<usize>()
        })
        .sum();
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let mut writer = Writer::builder(schema())
        .create_in(dir.path())
        .expect("writer");
    for b in &input {
        writer.write_batch(b).expect("batch");
    }
    let summary = writer.finish().expect("finish");
    let secs = started.elapsed().as_secs_f64();
    let dir = tempfile::tempdir().expect("tempdir");
    let json_started = Instant::now();
    let mut writer = Writer::builder(schema())
        .format(Format::Json)
        .create_in(dir.path())
        .expect("writer");
    for b in &input {
        writer.write_batch(b).expect("batch");
    }
    writer.finish().expect("finish");
    let json_secs = json_started.elapsed().as_secs_f64();
    println!(
        "arrow->json: {:.0} rows/s ({json_secs:.2} s)",
        batch_rows as f64 / json_secs
    );
    let disk = disk_bandwidth();
    println!(
        "arrow->parquet: {:.0} MB/s of input ({:.0} MB/s written; {:.2} s), disk sequential write {:.0} MB/s (fdatasync)",
        in_bytes as f64 / secs / 1e6,
        summary.bytes as f64 / secs / 1e6,
        secs,
        disk
    );
}
