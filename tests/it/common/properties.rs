//! Running a proptest property the same way in every fuzz module: a short
//! run by default, as many cases as `PROPTEST_CASES` asks for when set, and
//! no failure files written into the tree.

use std::fmt::Debug;

use proptest::{
    strategy::Strategy,
    test_runner::{Config, TestCaseError, TestRunner},
};

/// The default case count, unless PROPTEST_CASES is set.
fn config(default_cases: u32) -> Config {
    let mut c = Config::default(); // reads PROPTEST_CASES and friends
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = default_cases;
    }
    c.failure_persistence = None;
    c
}

/// Runs `test` over `cases` values of `strategy`; panics with proptest's
/// report (the shrunk input) on the first failure.
pub fn run<S>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: Debug,
{
    if let Err(e) = TestRunner::new(config(cases)).run(&strategy, test) {
        panic!("{e}");
    }
}
