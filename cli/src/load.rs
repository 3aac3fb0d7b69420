//! `load`: rows on disk to a finished import in one command. Three stages,
//! each said as it ends (a line on stderr; with `--output json` a document
//! on stdout), then the wait:
//!
//! 1. **write**: the rows into data files (`write`'s own writing) in the
//!    work directory's `files/`;
//! 2. **upload**: those files into the volume's folder or the bucket (the
//!    resumable uploader, which goes on from its journals);
//! 3. **import**: the create, naming the groups as the deployment takes
//!    them (`volumeName` + `dataPaths`, `objectUrls`, or Milvus's `files`),
//!    then the wait for its end.
//!
//! The work directory's journal (`load_journal`) keeps each stage's end,
//! and the create's idempotency key before it is sent: after a kill, the
//! same command skips what was done and starts the import only once.

use std::path::PathBuf;

use serde_json::{Value, json};
use tokio::time::Instant;
use zilliz_import::{Client, CreateImportJob, Target, WaitOptions};
use zilliz_import_upload::{normalize_dir, object_key};

use crate::{
    args::{LoadArgs, WriteArgs},
    ending::{Ended, Failure},
    interrupted::{Interrupted, Write, sending},
    last_words,
    load_journal::{LoadJournal, Written, default_work_dir, fingerprint},
    output::{self, Printer},
    signals::{Signal, Signals},
    storage_flags::{Place, StorageArgs},
    upload,
    waits::{time_left, wait},
    write,
};

/// The stage lines: text on stderr, JSON documents on stdout.
struct Stages<'a>(&'a Printer);

impl Stages<'_> {
    fn done(&self, doc: Value, text: String) -> Result<(), Failure> {
        if !self.0.is_json() {
            output::note_line(&text);
            return Ok(());
        }
        self.0.json(&doc).map_err(|_| Failure::StdoutClosed)
    }
}

/// Runs `load`; a signal ends it between or inside stages, the journal
/// keeping what was done.
pub async fn load(
    args: LoadArgs,
    client: Client,
    printer: &Printer,
    signals: &mut Signals,
) -> Result<Ended, Failure> {
    let started = Instant::now();
    let target = args.target.target();
    if target.cloud().is_none() && args.storage.place.volume.is_some() {
        return Err(Failure::Input(
            "--volume is a volume of the Zilliz Cloud control plane: give --cluster-id, or \
             --project-id with --region-id"
                .into(),
        ));
    }
    if args.input.iter().any(|p| p.as_os_str() == "-") {
        return Err(Failure::Input(
            "load reads its rows from files (a rerun reads them again), not `-`".into(),
        ));
    }
    let destination = match (&args.storage.place.volume, &args.storage.place.to) {
        (Some(volume), _) => format!("volume {volume}"),
        (None, to) => to.clone().unwrap_or_default(),
    };
    let purpose = format!("collection {} to {destination}", args.collection);
    let id = fingerprint(&args.input, &purpose)?;
    let work = (args.work_dir.clone()).unwrap_or_else(|| default_work_dir(&args.input, &id));
    let dir = match &args.storage.place.path {
        Some(path) => normalize_dir(path).map_err(|e| Failure::Input(format!("--path {e}")))?,
        None if args.storage.place.volume.is_some() => format!("load-{id}/"),
        None => String::new(),
    };
    let mut load = Load {
        journal: LoadJournal::open(&work, &purpose)?,
        args: &args,
        client: &client,
        printer,
        stages: Stages(printer),
        target,
        work,
        dir,
        destination,
    };
    let written = load.write(signals).await?;
    let groups = load.upload(&written, signals).await?;
    let (job_id, shown) = load.import(groups, signals).await?;
    last_words::created(&shown);
    let options = WaitOptions::default().deadline(time_left(args.timeout, started));
    tokio::select! {
        ended = wait(&client, &load.target, &job_id, &shown, options, printer) => ended,
        signal = signals.next() => Err(interrupted(signal)),
    }
}

fn interrupted(signal: Signal) -> Failure {
    Failure::Interrupted(Interrupted::by(signal))
}

/// One `load` on its way: what it was given, and its journal.
struct Load<'a> {
    args: &'a LoadArgs,
    client: &'a Client,
    printer: &'a Printer,
    stages: Stages<'a>,
    target: Target,
    journal: LoadJournal,
    /// The work directory: the journal, and the files in `files/`.
    work: PathBuf,
    /// The volume folder (empty for a bucket).
    dir: String,
    /// The destination, as the text lines name it.
    destination: String,
}

impl Load<'_> {
    fn files(&self) -> PathBuf {
        self.work.join("files")
    }

    /// The rows into files, unless an earlier run wrote them.
    async fn write(&mut self, signals: &mut Signals) -> Result<Written, Failure> {
        if let Some(written) = self.journal.written.clone() {
            let text = format!(
                "write: done in an earlier run ({} rows in {} files), skipped",
                written.rows,
                written.groups.len()
            );
            self.stages.done(written_doc(&written, true), text)?;
            return Ok(written);
        }
        // What an interrupted write left (files it was writing when the
        // process was killed) is not of this run.
        let files = self.files();
        if files.exists() {
            std::fs::remove_dir_all(&files)
                .map_err(|e| Failure::config(format!("{}: {e}", files.display())))?;
        }
        let args = self.args;
        let write_args = WriteArgs {
            collection: args.schema.is_none().then(|| args.collection.clone()),
            schema: args.schema.clone(),
            db: args.target.db.clone(),
            input: args.input.clone(),
            format: args.format,
            out: Some(files.clone()),
            into: Place::default(),
            file_size: args.file_size,
            reject: None,
        };
        let client = Some(self.client.clone());
        let (summary, _) = write::write_rows(write_args, client, signals).await?;
        let written = Written {
            groups: summary.files(),
            rows: summary.rows,
            bytes: summary.bytes,
        };
        self.journal.written = Some(written.clone());
        self.journal.save(&self.work)?;
        let text = format!(
            "write: {} rows ({} bytes) in {} files in {}",
            written.rows,
            written.bytes,
            written.groups.len(),
            files.display()
        );
        self.stages.done(written_doc(&written, false), text)?;
        Ok(written)
    }

    /// The import's field for the groups: as the target and destination
    /// say.
    fn field(&self) -> &'static str {
        match (&self.args.storage.place.volume, self.target.cloud()) {
            (Some(_), _) => "dataPaths",
            (None, Some(_)) => "objectUrls",
            (None, None) => "files",
        }
    }

    /// The files up (the uploader goes on from its journals), unless an
    /// earlier run sent them all; the groups the import names.
    async fn upload(
        &mut self,
        written: &Written,
        signals: &mut Signals,
    ) -> Result<Vec<Vec<String>>, Failure> {
        let field = self.field();
        if let Some(groups) = self.journal.uploaded.clone() {
            let doc = json!({"stage": "upload", "skipped": true, field: groups});
            let text = "upload: done in an earlier run, skipped".into();
            self.stages.done(doc, text)?;
            return Ok(groups);
        }
        let storage = &self.args.storage;
        let files = [self.files()];
        let client = Some(self.client);
        let sending = upload::send(&files, storage, client, &self.dir, self.printer);
        let report = tokio::select! {
            report = sending => report?,
            signal = signals.next() => return Err(interrupted(signal)),
        };
        let groups = import_groups(written, storage, &self.dir, field)?;
        self.journal.uploaded = Some(groups.clone());
        self.journal.save(&self.work)?;
        let doc = json!({
            "stage": "upload", "skipped": false, field: groups, "bytes": report.bytes,
            "partsSent": report.parts_sent, "partsSkipped": report.parts_skipped,
        });
        let text = format!(
            "upload: {} files ({} bytes) to {}: {} parts sent, {} skipped",
            report.files.len(),
            report.bytes,
            self.destination,
            report.parts_sent,
            report.parts_skipped
        );
        self.stages.done(doc, text)?;
        Ok(groups)
    }

    /// The create, unless an earlier run's was answered; the job's id, and
    /// the same fit to print.
    async fn import(
        &mut self,
        groups: Vec<Vec<String>>,
        signals: &mut Signals,
    ) -> Result<(String, String), Failure> {
        if let (Some(job_id), Some(shown)) = (
            self.journal.job_id.clone(),
            self.journal.shown_job_id.clone(),
        ) {
            let doc = json!({"stage": "import", "skipped": true, "jobId": shown});
            let text = format!("import: job {shown} created in an earlier run, waiting for it");
            self.stages.done(doc, text)?;
            return Ok((job_id, shown));
        }
        // Kept before sending: a create whose answer is lost is sent again
        // with it, and the server answers the job it started.
        let key = (self.journal.idempotency_key.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        self.journal.idempotency_key = Some(key.clone());
        self.journal.save(&self.work)?;
        let job = import_job(self.args, &self.target, groups).idempotency_key(key);
        let create = sending(Write::Create, self.client.create_import_job(job));
        let created = tokio::select! {
            created = create => created?,
            signal = signals.next() => return Err(interrupted(signal)),
        };
        let shown = created.shown_job_id();
        last_words::created(&shown);
        self.journal.job_id = Some(created.job_id.clone());
        self.journal.shown_job_id = Some(shown.clone());
        self.journal.save(&self.work)?;
        let doc = json!({"stage": "import", "skipped": false, "jobId": shown});
        self.stages
            .done(doc, format!("import: created job {shown}"))?;
        Ok((created.job_id, shown))
    }
}

fn written_doc(written: &Written, skipped: bool) -> Value {
    json!({
        "stage": "write", "skipped": skipped, "files": written.groups,
        "rows": written.rows, "bytes": written.bytes,
    })
}

/// The groups the import names, from the written files' paths: in a
/// volume, the folder plus the path; in a bucket, the key (Milvus's
/// `files`) or its URL (`objectUrls`: the endpoint's path-style URL, or
/// AWS's regional one, `gs://BUCKET/KEY`, Azure's blob URL).
fn import_groups(
    written: &Written,
    storage: &StorageArgs,
    dir: &str,
    field: &str,
) -> Result<Vec<Vec<String>>, Failure> {
    let map = |f: &dyn Fn(&str) -> Result<String, Failure>| {
        (written.groups.iter())
            .map(|group| group.iter().map(|p| f(p)).collect())
            .collect()
    };
    if storage.place.to.is_none() {
        return map(&|path| Ok(format!("{dir}{path}")));
    }
    let bucket = storage.place.bucket()?;
    let key = |path: &str| object_key(&bucket.prefix, "", path).map_err(Failure::Input);
    if field == "files" {
        return map(&key);
    }
    map(&|path| {
        bucket
            .object_url(&key(path)?)
            .map_err(|e| Failure::Input(e.to_string()))
    })
}

/// The create of the import: from the volume, the object URLs, or
/// Milvus's files, as the target and destination say.
fn import_job(args: &LoadArgs, target: &Target, groups: Vec<Vec<String>>) -> CreateImportJob {
    let collection = args.collection.clone();
    let mut job = match (target.cloud(), &args.storage.place.volume) {
        (Some(cloud), Some(volume)) => {
            CreateImportJob::from_volume(cloud.clone(), collection, volume.clone(), groups)
        }
        (Some(cloud), None) => {
            let job = CreateImportJob::from_object_urls(cloud.clone(), collection, groups);
            match (&args.access_key, &args.secret_key) {
                (Some(ak), Some(sk)) => job.access_key(ak).secret_key(sk),
                _ => job,
            }
        }
        (None, _) => CreateImportJob::from_files(collection, groups),
    };
    if let Some(db) = target.database_name() {
        job = job.database(db);
    }
    if let Some(partition) = &args.partition {
        job = job.partition(partition);
    }
    job
}
