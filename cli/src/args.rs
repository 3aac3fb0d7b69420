//! The command line, as clap sees it.

use std::{path::PathBuf, time::Duration};

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use zilliz_import::DEFAULT_ABORT_GRACE;

use crate::{
    durations::{Span, parse_timeout},
    emulator_args::EmulatorArgs,
    storage_flags::{Place, StorageArgs},
    upload::UploadArgs,
    volume::VolumeCommand,
};

const EXIT_CODES: &str = "\
Exit codes:
  0  success; a wait also ends 0 when a two-phase import (--no-auto-commit)
     reaches Uncommitted and awaits commit
  2  bad usage or invalid input (nothing was sent; `write`: a bad row, schema
     or input file, and no file left in --out; `upload`: a source, a
     destination or a volume's limit that rules the upload out)
  3  the API answered with an error code (e.g. a refused commit or abort)
  4  network, HTTP or decoding failure; a listing the server kept from
     ending (a page repeated, or the page limit reached); an object
     store's failure (`upload`: its journals keep the parts sent)
  5  the import job failed, or was aborted
  6  --timeout passed: waiting for the job timed out, or a request was cut
     short (the error says it may have been sent) or could not be sent
130  interrupted by SIGINT (Ctrl-C)
141  stdout was closed before everything was printed (as SIGPIPE would)
143  terminated by SIGTERM

`wait` with several JOB_IDs exits with the worst of its jobs' codes, worst
first: 2 (nothing was sent), 5, 3, 4, 6, then 0.

A job that `create` started is reported however the command ends (an error,
a signal, a closed stdout): with --output json as the document
{\"jobId\": ...} on stdout, and in a note on stderr.";

const SECRET_FLAGS: &str = "Flags on a command line are visible to other users of the machine \
(ps, /proc); prefer the environment variable.";

/// Start and follow bulk-import jobs on Zilliz Cloud, or run a local emulator.
#[derive(Debug, Parser)]
#[command(name = "zilliz-import", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// API key (sent as a bearer token). Flags on a command line are visible to
    /// other users of the machine; prefer ZILLIZ_API_KEY.
    #[arg(long, env = "ZILLIZ_API_KEY", hide_env_values = true, global = true)]
    pub api_key: Option<String>,

    /// Base URL of the API (default: the global control plane).
    #[arg(long, env = "ZILLIZ_BASE_URL", global = true)]
    pub base_url: Option<String>,

    /// Output format: `json` prints the API's data object on stdout.
    #[arg(long, value_enum, default_value_t = Output::Text, global = true)]
    pub output: Output,

    /// Send at most N requests per second for each kind of request (create,
    /// describe, list, ...), whatever the command; 0: no limit. The default
    /// is the service's documented limit.
    #[arg(
        long,
        value_name = "N",
        env = "ZILLIZ_RATE_LIMIT",
        default_value_t = 20,
        global = true
    )]
    pub rate_limit: u32,

    /// More log output on stderr (-v, -vv, -vvv). Secrets are never logged.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// A CA certificate (PEM file) to trust besides the system's, for a
    /// self-hosted Milvus behind TLS.
    #[arg(long, value_name = "PEM", global = true)]
    pub ca_cert: Option<PathBuf>,

    /// A client certificate chain (PEM file), for mutual TLS; needs --client-key.
    #[arg(long, value_name = "PEM", global = true, requires = "client_key")]
    pub client_cert: Option<PathBuf>,

    /// The client certificate's private key (PEM file), for mutual TLS.
    #[arg(long, value_name = "PEM", global = true, requires = "client_cert")]
    pub client_key: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// For people.
    Text,
    /// For programs: one JSON document on stdout; errors as JSON on stderr.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start an import job.
    Create(Box<CreateArgs>),
    /// Show a job's progress.
    Describe {
        #[command(flatten)]
        target: TargetArgs,
        /// The job's id.
        job_id: String,
    },
    /// List import jobs: a cluster's or a project's, a page at a time, or
    /// on open-source Milvus all of them.
    List(ListArgs),
    /// Wait for jobs to finish, showing their progress. A two-phase import
    /// ends its wait (exit 0) when it reaches Uncommitted and awaits commit.
    ///
    /// With several job ids, each is followed until it ends (a repeated id
    /// once): in text, a line per event on stdout, each starting
    /// `job JOB_ID: ` (on a terminal, bars for as many jobs as fit on the
    /// screen and a line that counts the rest, then a line per job); with
    /// `--output json`, one document, `{"jobs": [...]}`, in the order
    /// given, each entry's `jobId` the id given (and `serverJobId` the
    /// server's, where its answer named the job otherwise). The exit code
    /// is the worst job's.
    Wait {
        #[command(flatten)]
        target: TargetArgs,
        /// The jobs' ids: one, or several to follow at once.
        #[arg(value_name = "JOB_ID", required = true)]
        job_ids: Vec<String>,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Commit a two-phase import that awaits commit (state Uncommitted):
    /// its data becomes visible. Safe to repeat.
    Commit {
        #[command(flatten)]
        target: TargetArgs,
        /// The job's id.
        job_id: String,
        /// Then wait for the job to complete, showing its progress.
        #[arg(long)]
        wait: bool,
        /// Give up after this long (e.g. 90s, 10m, 2h): the commit, and with
        /// --wait the wait.
        #[arg(long, value_parser = parse_timeout, default_value = "24h")]
        timeout: Duration,
    },
    /// Abort an import job: it stops and its staged data is discarded (it
    /// ends Failed, aborted). Refused for a job committing or completed.
    /// Safe to repeat.
    Abort {
        #[command(flatten)]
        target: TargetArgs,
        /// The job's id.
        job_id: String,
        /// Give up after this long (e.g. 30s, 2m); without it, the client's
        /// own bounds apply (3 attempts of at most 30s each).
        #[arg(long, value_parser = parse_timeout)]
        timeout: Option<Duration>,
    },
    /// Run a local emulator of the import API until stopped. Prints its base
    /// URL as the first line on stdout. Uses --api-key as the key (or, with
    /// --milvus, the `user:password` token) it accepts. Ctrl-C (SIGINT)
    /// stops it, exit 0; SIGTERM too, exit 143.
    Emulator(Box<EmulatorArgs>),
    /// Write the data files an import reads (Parquet by default) from rows
    /// in JSONL, JSON, CSV or Parquet files, checked against the
    /// collection's schema. Files appear in --out only once every row is
    /// written: a bad row exits 2 naming its input, line, field and
    /// reason, and leaves no file (unless --reject). With --output json,
    /// one document on stdout: {"files": [[...]], "rows": N, "bytes": B},
    /// the paths relative to --out.
    Write(Box<WriteArgs>),
    /// Manage the Zilliz Cloud control plane's volumes, the storage an
    /// import reads with --volume and --data-path: create, list, describe,
    /// delete. With --output json, one document on stdout: the volume, the
    /// page, or {"volumeName": NAME, "created"|"deleted": true}.
    Volume {
        #[command(subcommand)]
        command: VolumeCommand,
    },
    /// Upload files and folders to a volume (--volume NAME --path DIR, on
    /// the control plane) or to your own bucket (--to s3://, gs:// or az://BUCKET/PREFIX),
    /// resumably: an interrupted upload leaves a journal beside each
    /// unfinished file, and the same command goes on without sending a
    /// finished part again. A volume's limits are checked before anything
    /// is sent (exit 2). With --output json, one document on stdout:
    /// {"files": [...], "bytes": B, "partsSent": N, "partsSkipped": M}.
    Upload(Box<UploadArgs>),
    /// Write rows into data files, upload them, import them and wait: the
    /// whole path in one command, a line per stage (write, upload,
    /// import). Resumable: after a kill, the same command skips the stages
    /// done (kept in --work-dir's journal) and starts the import only once
    /// (its idempotency key is kept before it is sent). With --output
    /// json, a document per stage on stdout, the last the job's end (with
    /// `jobId` and `state`). Exit codes as `create --wait`.
    Load(Box<LoadArgs>),
}

/// What `write` reads, and what it writes.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("schema_source").args(["schema", "collection"]).required(true)))]
#[command(group(ArgGroup::new("written_to").args(["out", "volume", "to"]).required(true)))]
pub struct WriteArgs {
    /// The collection's schema: the answer of collections/describe (whole,
    /// or its `data`), or a collections/create `schema`, as a JSON file.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Fetch the schema of this collection with collections/describe, from
    /// --base-url: an open-source Milvus URL or a Zilliz Cloud cluster
    /// endpoint (not the control plane).
    #[arg(long, value_name = "NAME")]
    pub collection: Option<String>,
    /// With --collection: the collection's database (default: `default`).
    #[arg(long, requires = "collection")]
    pub db: Option<String>,
    /// The rows: JSONL (.jsonl, .ndjson), JSON (.json: an array, or
    /// {"rows": [...]}), CSV (.csv, with a header) or Parquet (.parquet)
    /// files, by extension; `-` reads JSONL from standard input.
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub input: Vec<PathBuf>,
    /// The files' format.
    #[arg(long, value_enum, default_value_t = WriteFormat::Parquet)]
    pub format: WriteFormat,
    /// The directory the files go to (created if missing); files already
    /// there are never overwritten.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["volume", "to"])]
    pub out: Option<PathBuf>,
    /// Instead of --out: the files streamed into a volume's folder
    /// (--volume NAME --path DIR) or a bucket (--to s3://, gs:// or az://BUCKET/PREFIX),
    /// with no local copy; each object appears once every row is written.
    #[command(flatten)]
    pub into: Place,
    /// Start a new file (group) past this many bytes (default 1 GiB).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub file_size: Option<u64>,
    /// Skip bad rows and write each to FILE, one JSON object a line (its
    /// input, line or row, field, reason, and for text inputs the line
    /// itself); the run goes on and exits 0.
    #[arg(long, value_name = "FILE")]
    pub reject: Option<PathBuf>,
}

/// The formats `write` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WriteFormat {
    Parquet,
    Json,
    Jsonl,
    Csv,
    Numpy,
}

/// What `load` reads, where its files go, and the import it starts.
#[derive(Debug, Args)]
pub struct LoadArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The collection to import into.
    #[arg(long)]
    pub collection: String,
    /// The rows: JSONL, JSON, CSV or Parquet files, by extension (as
    /// `write` reads them; not standard input, which a rerun cannot read
    /// again).
    #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
    pub input: Vec<PathBuf>,
    /// The collection's schema as a JSON file (as `write --schema` takes
    /// it); without it, collections/describe at --base-url (open-source
    /// Milvus or a cluster endpoint).
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// The data files' format.
    #[arg(long, value_enum, default_value_t = WriteFormat::Parquet)]
    pub format: WriteFormat,
    /// Start a new file (group) past this many bytes (default 1 GiB).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub file_size: Option<u64>,
    #[command(flatten)]
    pub storage: StorageArgs,
    /// Where the files and the journal are kept until the import is done
    /// (default: .zilliz-import-load/ID beside the first input, ID derived
    /// from the inputs, the collection and the destination). The volume
    /// folder defaults to load-ID/.
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
    /// Target partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// The access key the import reads a private bucket with (--to on the
    /// Zilliz Cloud control plane; sent as the create's accessKey).
    #[arg(long, env = "ZILLIZ_ACCESS_KEY", hide_env_values = true)]
    pub access_key: Option<String>,
    #[arg(long, env = "ZILLIZ_SECRET_KEY", hide_env_values = true, help = format!("The secret key the import reads a private bucket with (with --access-key). {SECRET_FLAGS}"))]
    pub secret_key: Option<String>,
    /// Give up waiting for the import after this long (the stages before
    /// it included).
    #[arg(long, value_parser = parse_timeout, default_value = "24h")]
    pub timeout: Duration,
}

/// Where jobs run: a cluster (--cluster-id), a serverless project
/// (--project-id with --region-id) on the Zilliz Cloud control plane, or
/// neither, for an open-source Milvus whose URL is --base-url.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The cluster's id (Zilliz Cloud control plane).
    #[arg(long, env = "ZILLIZ_CLUSTER_ID")]
    pub cluster_id: Option<String>,
    /// A serverless project's id (Zilliz Cloud control plane); needs --region-id.
    #[arg(long, requires = "region_id")]
    pub project_id: Option<String>,
    /// The project's cloud region, such as aws-us-west-2.
    #[arg(long, requires = "project_id")]
    pub region_id: Option<String>,
    /// The database (sent as dbName and as the DB-Name header).
    #[arg(long)]
    pub db: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("source")
        .args(["object_url", "volume", "file", "file_group"])
        .required(true)
        .multiple(true)
))]
pub struct CreateArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Target collection.
    #[arg(long)]
    pub collection: String,
    /// URL of an object (or folder) to import, one file group each; repeat
    /// for more. A single one is sent as objectUrl. Control plane only.
    #[arg(long, value_name = "URL", conflicts_with_all = ["volume", "file", "file_group"])]
    pub object_url: Vec<String>,
    /// A volume to import from, with --data-path. Control plane only.
    #[arg(long, value_name = "NAME", requires = "data_path", conflicts_with_all = ["file", "file_group"])]
    pub volume: Option<String>,
    /// A path inside the volume, one file group each; repeat for more.
    #[arg(long, value_name = "PATH", requires = "volume")]
    pub data_path: Vec<String>,
    /// A file in open-source Milvus's bucket, one file group each; repeat
    /// for more. Milvus only (no --cluster-id or --project-id).
    #[arg(long, value_name = "PATH")]
    pub file: Vec<String>,
    /// Several files as one group (a NumPy file per field), comma-separated;
    /// repeat for more groups. Milvus only.
    #[arg(long, value_name = "A,B,...", value_parser = parse_file_group)]
    pub file_group: Vec<Vec<String>>,
    /// An import option, KEY=VALUE, sent as a string (e.g. timeout=300s,
    /// auto_commit=false, sep=';'); repeat for more.
    #[arg(long = "option", value_name = "KEY=VALUE", value_parser = parse_option)]
    pub options: Vec<(String, String)>,
    /// Target partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Object-storage access key (with --object-url).
    #[arg(long, env = "ZILLIZ_ACCESS_KEY", hide_env_values = true)]
    pub access_key: Option<String>,
    #[arg(long, env = "ZILLIZ_SECRET_KEY", hide_env_values = true, help = format!("Object-storage secret key. {SECRET_FLAGS}"))]
    pub secret_key: Option<String>,
    /// Idempotency-Key: repeat a create safely if the server honours it.
    #[arg(long)]
    pub idempotency_key: Option<String>,
    /// A two-phase import: the job imports its data, then awaits a commit
    /// (`commit JOB_ID`) or an abort. Sends the option auto_commit="false".
    #[arg(long)]
    pub no_auto_commit: bool,
    /// Wait for the job to finish (or, with --no-auto-commit, to await
    /// commit), showing its progress.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after this long, the create included.
    #[arg(long, value_parser = parse_timeout, default_value = "24h", requires = "wait")]
    pub timeout: Duration,
    /// With --wait: give up after this many failed polls in a row.
    #[arg(long, default_value_t = zilliz_import::DEFAULT_MAX_POLL_FAILURES, value_parser = clap::value_parser!(u32).range(1..), requires = "wait")]
    pub max_poll_failures: u32,
    #[arg(long, requires = "wait", help = format!(
        "With --wait: abort the job if --timeout passes first; the abort has up to {} more",
        grace()
    ))]
    pub abort_on_timeout: bool,
}

/// How `wait` waits.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Give up after this long (e.g. 90s, 10m, 2h); bounds every poll too.
    /// With several jobs, it bounds the wait for all of them.
    #[arg(long, value_parser = parse_timeout, default_value = "24h")]
    pub timeout: Duration,
    /// Give up on a job after this many of its polls failed in a row.
    #[arg(long, default_value_t = zilliz_import::DEFAULT_MAX_POLL_FAILURES, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_poll_failures: u32,
    #[arg(long, help = format!(
        "Abort the job (each job still running) if --timeout passes first; the abort has up \
         to {} more (exit 6 still; the output says whether the abort was accepted)",
        grace()
    ))]
    pub abort_on_timeout: bool,
}

/// How long an abort on timeout may take after the deadline: the library's
/// grace, which the CLI keeps.
fn grace() -> Span {
    Span(DEFAULT_ABORT_GRACE)
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Only jobs of this collection.
    #[arg(long)]
    pub collection: Option<String>,
    /// Jobs per page, 1 to 100 (the control plane; Milvus has no pages).
    #[arg(long, default_value_t = zilliz_import::DEFAULT_PAGE_SIZE)]
    pub page_size: u32,
    /// The page, from 1.
    #[arg(long, default_value_t = 1, conflicts_with = "all")]
    pub page: u32,
    /// Every page. With --output json, one document once the walk is over;
    /// the records wait in a temporary file in $TMPDIR past the first 8 MiB.
    #[arg(long)]
    pub all: bool,
    /// With --all: walk at most this many pages.
    #[arg(long, default_value_t = zilliz_import::DEFAULT_MAX_PAGES, value_parser = clap::value_parser!(u32).range(1..), requires = "all")]
    pub max_pages: u32,
}

/// `KEY=VALUE`, split at the first `=`; the key must not be empty.
fn parse_option(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.to_owned(), value.to_owned())),
        Some(_) => Err("the key before `=` is empty".into()),
        None => Err("expected KEY=VALUE, with `=`".into()),
    }
}

/// `A,B,...`: the paths of one file group, none empty.
fn parse_file_group(text: &str) -> Result<Vec<String>, String> {
    let group: Vec<String> = text.split(',').map(str::to_owned).collect();
    if group.iter().any(|p| p.trim().is_empty()) {
        return Err("a path in the group is empty".into());
    }
    Ok(group)
}
