//! The emulator over real HTTP, with plain reqwest and nothing of the
//! client crate: exact answers, codes and request-log entries, in one
//! binary (linked once); run one module with a filter, e.g.
//! `cargo test -p zilliz-import-emulator --test it two_phase::`.

mod support; // paths, ids, posting JSON, raw-TCP helpers

mod bounds; // the request log, bodies, jobs held, hostile values
mod collections; // collections/describe: schemas per collection
mod connections; // drippers, idle and stalled connections, a descriptor limit
mod http; // the control plane: auth, paths, refusals, jobs over time, lists
mod milvus; // open-source Milvus mode
mod projects; // control-plane projects and volumes; the Python SDK's bodies
mod retention; // what is kept and forgotten within the count and byte limits
mod two_phase; // commit and abort in both modes
mod two_phase_requests; // what commit and abort take
mod volumes; // volumes, their S3 endpoint, imports from them
mod volumes_moto; // volumes in an external store (moto), with its STS
