//! How a refused value stops deserialization: its reason goes into the
//! row's fault slot, and a placeholder serde error unwinds the
//! deserializer; the row reader then reports the reason, not the error.

use serde::de;

use crate::columns::{List, Values};
use crate::error::Reason;

/// Where a refused value leaves its reason.
pub(crate) type Fault = Option<Reason>;

pub(crate) fn fail<T, E: de::Error>(fault: &mut Fault, reason: Reason) -> Result<T, E> {
    *fault = Some(reason);
    Err(E::custom("value refused"))
}

/// A float as a reason shows it: whole numbers without a fraction, others
/// in their shortest form (`1e39`, not forty digits).
pub(crate) fn show(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{}", v as i64)
    } else {
        ryu::Buffer::new().format(v).to_owned()
    }
}

pub(crate) fn close<V: Values, E: de::Error>(
    list: &mut List<V>,
    fault: &mut Fault,
) -> Result<(), E> {
    match list.close() {
        Ok(()) => Ok(()),
        Err(reason) => fail(fault, reason),
    }
}
