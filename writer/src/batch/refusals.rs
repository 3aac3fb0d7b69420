//! The rows an Arrow batch refuses, and the error for a column that cannot
//! be used at all.

use std::collections::BTreeMap;

use crate::error::{Reason, WriteError};
use crate::rows::Refusal;

/// The first refusal of each row.
#[derive(Default)]
pub(super) struct Refusals(pub(super) BTreeMap<usize, Refusal>);

impl Refusals {
    pub(super) fn add(&mut self, row: usize, field: &str, reason: Reason) {
        self.0.entry(row).or_insert_with(|| Refusal {
            field: Some(field.to_owned()),
            reason,
        });
    }
}

pub(super) fn column_error(column: &str, reason: impl Into<String>) -> WriteError {
    WriteError::Column {
        column: column.to_owned(),
        reason: reason.into(),
    }
}
