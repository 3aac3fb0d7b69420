//! [`TemporarySecret`]: a credential the service hands out, a volume's
//! temporary access key, secret key and session token (`build.rs` makes
//! the spec's `TemporarySecret` schema this type).
//!
//! It decodes from the JSON string the server sends and shows
//! [`REDACTED`] everywhere else: Debug, Display, and Serialize too, so an
//! answer written out as JSON (a log, `--output json`) holds no credential.
//! Only [`TemporarySecret::expose_secret`] gives the value, to sign with.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::REDACTED;

/// A temporary storage credential; shown only by
/// [`expose_secret`](Self::expose_secret).
#[derive(Clone, serde::Deserialize)]
#[serde(from = "String")]
pub struct TemporarySecret(SecretString);

impl TemporarySecret {
    /// The credential itself, for signing requests: never print it.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl From<String> for TemporarySecret {
    fn from(value: String) -> Self {
        TemporarySecret(value.into())
    }
}

impl fmt::Debug for TemporarySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for TemporarySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl PartialEq for TemporarySecret {
    fn eq(&self, other: &Self) -> bool {
        self.expose_secret() == other.expose_secret()
    }
}

/// Written as [`REDACTED`]: what is serialized is shown or stored.
impl serde::Serialize for TemporarySecret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(REDACTED)
    }
}

impl schemars::JsonSchema for TemporarySecret {
    fn schema_name() -> String {
        "TemporarySecret".to_owned()
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        String::json_schema(generator)
    }
}
