//! The `data` of each operation's answer, made with what it must decode
//! to: well-formed data (each percent with the percent it must read as,
//! each state with the state), with the check of what the crate decoded,
//! and data that breaks the operation's schema in `openapi.yaml`.

use std::fmt::Debug;

use proptest::{prelude::*, test_runner::TestCaseError};
use serde_json::{Map, Value, json};
use zilliz_import::ImportState;

use super::{
    facts::{PERCENTS, STATES},
    harness::{Data, Op},
    oracle::{same_opt, same_text},
    random::{arb_json, parsed, server_text},
};

// ---------------------------------------------------------- percent, state

/// A `progress` as sent (`None`: left out) and what it must read as in a
/// running job and in a failed one.
#[derive(Debug, Clone)]
pub struct Percent {
    sent: Option<Value>,
    running: u8,
    failed: u8,
}

impl Percent {
    /// What it reads as beside a state that reads as `state`.
    fn reads_as(&self, state: &State) -> u8 {
        if state.is_failed() {
            self.failed
        } else {
            self.running
        }
    }
}

/// The oracle's percents, and whole ones, fractions and values past either
/// end made at random, each with the percent it must read as.
fn percent() -> BoxedStrategy<Percent> {
    let reads = |sent: Value, running: u8, failed: u8| Percent {
        sent: Some(sent),
        running,
        failed,
    };
    prop_oneof![
        3 => prop::sample::select(PERCENTS.to_vec()).prop_map(|(json, running, failed)| {
            Percent { sent: json.map(parsed), running, failed }
        }),
        // A whole percent short of 100 reads as itself.
        2 => (0u8..100).prop_map(move |n| reads(json!(n), n, n)),
        // A fraction is cut to its whole part.
        2 => (0u8..100, 0.0f64..0.99).prop_map(move |(n, f)| reads(json!(f64::from(n) + f), n, n)),
        // Past either end: the nearer end.
        1 => (101i64..=i64::MAX).prop_map(move |n| reads(json!(n), 100, 99)),
        1 => (i64::MIN..0).prop_map(move |n| reads(json!(n), 0, 0)),
    ]
    .boxed()
}

/// A `state` as sent and what it must read as.
#[derive(Debug, Clone)]
pub struct State {
    sent: Option<Option<String>>,
    reads_as: Reading,
}

#[derive(Debug, Clone)]
enum Reading {
    Exactly(ImportState),
    /// A name the servers do not use: itself, as the crate shows text.
    Other(String),
}

impl State {
    fn is_failed(&self) -> bool {
        matches!(self.reads_as, Reading::Exactly(ImportState::Failed))
    }

    fn check(&self, got: &ImportState) -> Result<(), TestCaseError> {
        match (&self.reads_as, got) {
            (Reading::Exactly(want), got) => prop_assert_eq!(got, want),
            (Reading::Other(sent), ImportState::Other(g)) => same_text(g, sent)?,
            (Reading::Other(sent), g) => prop_assert!(false, "{:?} read as {:?}", sent, g),
        }
        Ok(())
    }
}

/// The oracle's state names, other names, and none (absent or null: no
/// state, an empty [`ImportState::Other`]).
fn state() -> impl Strategy<Value = State> {
    let none = |sent| State {
        sent,
        reads_as: Reading::Exactly(ImportState::Other(String::new())),
    };
    prop_oneof![
        1 => Just(none(None)),
        1 => Just(none(Some(None))),
        6 => prop::sample::select(STATES.to_vec()).prop_map(|(name, state)| State {
            sent: Some(Some(name.to_owned())),
            reads_as: Reading::Exactly(state),
        }),
        2 => server_text(10)
            .prop_filter("not a state name", |s| !STATES.iter().any(|(n, _)| n == s))
            .prop_map(|s| State { sent: Some(Some(s.clone())), reads_as: Reading::Other(s) }),
    ]
}

// ---------------------------------------------------------- JSON helpers

fn opt<T: Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<Option<T>>> {
    // absent, null, or a value
    prop_oneof![1 => Just(None), 1 => Just(Some(None)), 3 => s.prop_map(|v| Some(Some(v)))]
}

fn put(obj: &mut Map<String, Value>, key: &str, v: &Option<Option<impl Into<Value> + Clone>>) {
    match v {
        None => {}
        Some(None) => {
            obj.insert(key.into(), Value::Null);
        }
        Some(Some(v)) => {
            obj.insert(key.into(), v.clone().into());
        }
    }
}

/// Puts `v` under `key` unless it is `None` (left out).
pub fn put_value(obj: &mut Map<String, Value>, key: &str, v: &Option<Value>) {
    if let Some(v) = v {
        obj.insert(key.into(), v.clone());
    }
}

fn flat<T: Clone>(v: &Option<Option<T>>) -> Option<T> {
    v.clone().flatten()
}

// ------------------------------------------------------------ valid data

/// A file entry of describe's `details`, well-formed.
#[derive(Debug, Clone)]
pub struct Detail {
    file_name: Option<Option<String>>,
    file_size: Option<Option<i64>>,
    state: State,
    progress: Percent,
    complete_time: Option<Option<String>>,
    reason: Option<Option<String>>,
    total_rows: Option<Option<i64>>,
}

impl Detail {
    fn json(&self) -> Value {
        let mut o = Map::new();
        put(&mut o, "fileName", &self.file_name);
        put(&mut o, "fileSize", &self.file_size);
        put(&mut o, "state", &self.state.sent);
        put_value(&mut o, "progress", &self.progress.sent);
        put(&mut o, "completeTime", &self.complete_time);
        put(&mut o, "reason", &self.reason);
        put(&mut o, "totalRows", &self.total_rows);
        Value::Object(o)
    }
}

fn detail() -> impl Strategy<Value = Detail> {
    (
        opt(server_text(8)),
        opt(any::<i64>()),
        state(),
        percent(),
        opt(server_text(8)),
        opt(server_text(8)),
        opt(any::<i64>()),
    )
        .prop_map(
            |(file_name, file_size, state, progress, complete_time, reason, total_rows)| Detail {
                file_name,
                file_size,
                state,
                progress,
                complete_time,
                reason,
                total_rows,
            },
        )
}

/// A list record: collectionName, jobId (each absent or a value), state,
/// progress.
#[derive(Debug, Clone)]
pub struct Record {
    collection_name: Option<String>,
    job_id: Option<String>,
    state: State,
    progress: Percent,
}

/// Well-formed `data` for one operation, and the check of what it decodes to.
#[derive(Debug, Clone)]
pub enum ValidData {
    Created {
        job_id: String,
        extra: Vec<(String, Value)>,
    },
    Progress {
        job_id: Option<Option<String>>,
        collection_name: Option<Option<String>>,
        file_name: Option<Option<String>>,
        file_size: Option<Option<i64>>,
        state: State,
        progress: Percent,
        total_rows: Option<Option<i64>>,
        reason: Option<Option<String>>,
        details: Option<Option<Vec<Detail>>>,
    },
    Page {
        count: Option<Option<i64>>,
        current_page: Option<Option<i64>>,
        records: Option<Option<Vec<Record>>>,
    },
}

pub fn valid_data(op: Op) -> BoxedStrategy<ValidData> {
    match op {
        Op::Create => (
            server_text(20),
            prop::collection::vec(("[a-z]{1,6}", arb_json()), 0..3),
        )
            .prop_map(|(job_id, extra)| ValidData::Created { job_id, extra })
            .boxed(),
        Op::Describe => (
            opt(server_text(12)),
            opt(server_text(8)),
            opt(server_text(8)),
            opt(any::<i64>()),
            state(),
            percent(),
            opt(any::<i64>()),
            opt(server_text(8)),
            opt(prop::collection::vec(detail(), 0..3)),
        )
            .prop_map(
                |(
                    job_id,
                    collection_name,
                    file_name,
                    file_size,
                    state,
                    progress,
                    total_rows,
                    reason,
                    details,
                )| ValidData::Progress {
                    job_id,
                    collection_name,
                    file_name,
                    file_size,
                    state,
                    progress,
                    total_rows,
                    reason,
                    details,
                },
            )
            .boxed(),
        Op::List => (
            opt(any::<i64>()),
            opt(any::<i64>()),
            opt(prop::collection::vec(
                (
                    proptest::option::of(server_text(8)),
                    proptest::option::of(server_text(8)),
                    state(),
                    percent(),
                )
                    .prop_map(|(collection_name, job_id, state, progress)| {
                        Record {
                            collection_name,
                            job_id,
                            state,
                            progress,
                        }
                    }),
                0..4,
            )),
        )
            .prop_map(|(count, current_page, records)| ValidData::Page {
                count,
                current_page,
                records,
            })
            .boxed(),
    }
}

impl ValidData {
    pub fn json(&self) -> Value {
        let mut o = Map::new();
        match self {
            ValidData::Created { job_id, extra } => {
                for (k, v) in extra {
                    o.insert(k.clone(), v.clone());
                }
                o.insert("jobId".into(), job_id.clone().into());
            }
            ValidData::Progress {
                job_id,
                collection_name,
                file_name,
                file_size,
                state,
                progress,
                total_rows,
                reason,
                details,
            } => {
                put(&mut o, "jobId", job_id);
                put(&mut o, "collectionName", collection_name);
                put(&mut o, "fileName", file_name);
                put(&mut o, "fileSize", file_size);
                put(&mut o, "state", &state.sent);
                put_value(&mut o, "progress", &progress.sent);
                put(&mut o, "totalRows", total_rows);
                put(&mut o, "reason", reason);
                let details = details.as_ref().map(|d| {
                    d.as_ref()
                        .map(|d| Value::Array(d.iter().map(Detail::json).collect()))
                });
                put(&mut o, "details", &details);
            }
            ValidData::Page {
                count,
                current_page,
                records,
            } => {
                put(&mut o, "count", count);
                put(&mut o, "currentPage", current_page);
                let records = records.as_ref().map(|r| {
                    r.as_ref().map(|r| {
                        Value::Array(
                            r.iter()
                                .map(|r| {
                                    let mut rec = Map::new();
                                    put(
                                        &mut rec,
                                        "collectionName",
                                        &r.collection_name.clone().map(Some),
                                    );
                                    put(&mut rec, "jobId", &r.job_id.clone().map(Some));
                                    put(&mut rec, "state", &r.state.sent);
                                    put_value(&mut rec, "progress", &r.progress.sent);
                                    Value::Object(rec)
                                })
                                .collect(),
                        )
                    })
                });
                put(&mut o, "records", &records);
            }
        }
        Value::Object(o)
    }

    /// Checks the decoded value against what was sent.
    pub fn check(&self, got: &Data) -> Result<(), TestCaseError> {
        match (self, got) {
            // A created job's id is handed back as sent: the calls that name
            // the job need it so (its shown form escapes what it must).
            (ValidData::Created { job_id, .. }, Data::Created(got, _)) => {
                prop_assert_eq!(got, job_id);
            }
            (
                ValidData::Progress {
                    job_id,
                    collection_name,
                    file_name,
                    file_size,
                    state,
                    progress,
                    total_rows,
                    reason,
                    details,
                },
                Data::Progress(p),
            ) => {
                same_text(&p.job_id, &flat(job_id).unwrap_or_default())?;
                same_opt(&p.collection_name, flat(collection_name))?;
                same_opt(&p.file_name, flat(file_name))?;
                prop_assert_eq!(p.file_size, flat(file_size));
                state.check(&p.state)?;
                prop_assert_eq!(p.progress, progress.reads_as(state));
                prop_assert_eq!(p.total_rows, flat(total_rows));
                same_opt(&p.reason, flat(reason))?;
                let details = flat(details).unwrap_or_default();
                prop_assert_eq!(p.details.len(), details.len());
                for (d, sent) in p.details.iter().zip(&details) {
                    same_opt(&d.file_name, flat(&sent.file_name))?;
                    prop_assert_eq!(d.file_size, flat(&sent.file_size));
                    sent.state.check(&d.state)?;
                    prop_assert_eq!(d.progress, sent.progress.reads_as(&sent.state));
                    prop_assert_eq!(d.total_rows, flat(&sent.total_rows));
                    same_opt(&d.complete_time, flat(&sent.complete_time))?;
                    same_opt(&d.reason, flat(&sent.reason))?;
                }
            }
            (
                ValidData::Page {
                    count,
                    current_page,
                    records,
                },
                Data::Page(page),
            ) => {
                prop_assert_eq!(page.count, flat(count));
                prop_assert_eq!(page.current_page, flat(current_page));
                let records = flat(records).unwrap_or_default();
                prop_assert_eq!(page.records.len(), records.len());
                for (r, sent) in page.records.iter().zip(&records) {
                    same_text(&r.job_id, &sent.job_id.clone().unwrap_or_default())?;
                    same_opt(&r.collection_name, sent.collection_name.clone())?;
                    sent.state.check(&r.state)?;
                    prop_assert_eq!(r.progress, sent.progress.reads_as(&sent.state));
                }
            }
            (want, got) => prop_assert!(false, "{:?} decoded as {:?}", want, got),
        }
        Ok(())
    }
}

/// `data` that breaks the operation's schema in `openapi.yaml`.
pub fn invalid_data(op: Op) -> BoxedStrategy<Value> {
    let not_a_string = prop_oneof![
        Just(json!(5)),
        Just(json!(true)),
        Just(json!(null)),
        Just(json!({})),
        Just(json!([1])),
    ];
    let not_an_integer = prop_oneof![
        Just(json!("50")),
        Just(json!(1.5)),
        Just(json!(18446744073709551615u64)),
        Just(json!(true)),
        Just(json!({})),
    ];
    // A percent may be fractional (`10.5` decodes), so only non-numbers break it.
    let not_a_number = prop_oneof![Just(json!("50")), Just(json!(true)), Just(json!({}))];
    let scalar = prop_oneof![Just(json!("data")), Just(json!(7)), Just(json!(false))];
    match op {
        Op::Create => prop_oneof![
            not_a_string.prop_map(|v| json!({ "jobId": v })),
            Just(json!({})),
            Just(json!({"job_id": "1"})),
            scalar,
        ]
        .boxed(),
        Op::Describe => prop_oneof![
            (
                prop_oneof![Just("fileSize"), Just("totalRows")],
                not_an_integer
            )
                .prop_map(|(k, v)| json!({ k: v })),
            not_a_number.clone().prop_map(|v| json!({ "progress": v })),
            prop_oneof![Just("jobId"), Just("state"), Just("reason")].prop_map(|k| json!({ k: 5 })),
            Just(json!({"details": {}})),
            Just(json!({"details": [5]})),
            not_a_number.prop_map(|v| json!({"details": [{"progress": v}]})),
            scalar,
        ]
        .boxed(),
        Op::List => prop_oneof![
            prop_oneof![Just("count"), Just("currentPage"), Just("pageSize")]
                .prop_map(|k| json!({ k: "1" })),
            Just(json!({"records": {}})),
            Just(json!({"records": ["x"]})),
            Just(json!({"records": [{"progress": "x"}]})),
            Just(json!({"records": [{"jobId": 1}]})),
            scalar,
        ]
        .boxed(),
    }
}
