//! The syntax of string-typed fields' values, checked against the field's
//! type (rows, Arrow columns and defaults alike).

use super::DataType;
use crate::error::Reason;
use crate::strings;

impl DataType {
    /// Checks a string value of a string-typed field: VarChar's byte
    /// length, Geometry's WKT, Timestamptz's ISO-8601 (Text takes any
    /// string). Other types take no string and are not checked here.
    pub(crate) fn check_text(&self, value: &str) -> Result<(), Reason> {
        match self {
            DataType::VarChar { max_length } if value.len() > *max_length as usize => {
                Err(Reason::TooLong {
                    bytes: value.len(),
                    max_length: *max_length,
                })
            }
            DataType::Geometry => strings::check_wkt(value).map_err(|detail| Reason::Malformed {
                expected: "WKT",
                detail,
            }),
            DataType::Timestamptz => {
                strings::check_timestamptz(value).map_err(|detail| Reason::Malformed {
                    expected: "an ISO-8601 timestamp",
                    detail: detail.to_owned(),
                })
            }
            _ => Ok(()),
        }
    }
}
