//! The emulator over real HTTP, with plain reqwest and nothing of the
//! client crate: exact answers, codes and request-log entries, in one
//! binary (linked once); run one module with a filter, e.g.
//! `cargo test -p zilliz-import-emulator --test it two_phase::`.

mod http; // the control plane: auth, paths, bodies, jobs over time, bounds
mod milvus; // open-source Milvus mode, and control-plane projects and volumes
mod retention; // what is kept and forgotten within the count and byte limits
mod two_phase; // commit and abort in both modes
