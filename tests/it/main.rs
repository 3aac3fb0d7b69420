//! The integration tests, in one binary so the crate and its dependencies
//! are linked once. Each module was a test target of its own; run one with
//! a filter, e.g. `cargo test --all-features --test it faults::`.
//!
//! The emulator is a dev-dependency, always there. The tests that drive the
//! `zilliz-import` binary are the CLI crate's (`cli/tests/it`), and those
//! that speak to the emulator over HTTP alone are the emulator crate's.

mod common;
// Helpers for tests that start the emulator, declared here (not in
// `common`, which the CLI crate's tests take whole).
#[path = "common/audit.rs"]
mod audit;
#[path = "common/emulator_env.rs"]
mod emulator_env;

mod abort_grace;
mod agreement;
mod collections_wire;
mod create_wire;
mod deployments;
mod e2e_deployments;
mod e2e_emulator;
mod errors;
mod faults;
mod fuzz_config;
mod fuzz_decode;
mod hardening;
mod lifecycle;
mod live;
mod load;
mod one_read;
mod rate_limit;
mod retries;
mod secrets_audit;
mod server_text;
mod spec;
mod tls;
mod two_phase;
mod volumes_emulator;
mod volumes_wire;
mod wait_many;
