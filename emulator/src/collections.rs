//! The collections the emulator knows, each with its schema, as
//! `collections/describe` answers them (open-source Milvus, and a Zilliz
//! Cloud cluster endpoint; the control plane does not serve the path).
//!
//! A schema is given as the `data` of a describe answer (or the whole
//! answer), decoded into the spec's `CollectionDescription` when the
//! emulator starts, so one that is not that shape is refused then, not
//! answered later. Unless replaced, the quickstart's collection
//! ([`DEFAULT_COLLECTION`]) is known, in the database `default`.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::spec::types;

/// The collection the crate's quickstart imports into, known unless
/// replaced by [`crate::EmulatorBuilder::collection`].
pub const DEFAULT_COLLECTION: &str = "medium_articles";

/// The database Milvus uses when none is named.
pub(crate) const DEFAULT_DATABASE: &str = "default";

/// The default collection's schema: the public `medium_articles_2020_dpr`
/// data set's columns, with the dynamic field on.
pub(crate) fn default_schema() -> Value {
    let varchar = |name: &str| {
        json!({"name": name, "type": "VarChar", "primaryKey": false, "autoId": false,
               "params": [{"key": "max_length", "value": "512"}]})
    };
    let int64 =
        |name: &str| json!({"name": name, "type": "Int64", "primaryKey": false, "autoId": false});
    json!({
        "collectionName": DEFAULT_COLLECTION,
        "description": "",
        "autoId": false,
        "enableDynamicField": true,
        "fields": [
            {"name": "id", "type": "Int64", "primaryKey": true, "autoId": false},
            varchar("title"),
            {"name": "title_vector", "type": "FloatVector", "primaryKey": false, "autoId": false,
             "params": [{"key": "dim", "value": "768"}]},
            varchar("link"),
            int64("reading_time"),
            varchar("publication"),
            int64("claps"),
            int64("responses"),
        ],
        "functions": [],
        "consistencyLevel": "Bounded",
        "shardsNum": 1,
        "partitionsNum": 1,
    })
}

/// The known collections, by database and name.
#[derive(Debug, Default)]
pub(crate) struct Collections(HashMap<(String, String), types::CollectionDescription>);

impl Collections {
    /// Decodes each `(name, schema)` (later ones replace earlier ones of the
    /// same name) into the database `default`; the answer's
    /// `collectionName` is always the name given.
    pub(crate) fn new(given: Vec<(String, Value)>) -> Result<Self, String> {
        let mut known = HashMap::new();
        for (name, schema) in given {
            let data = match schema.get("data") {
                Some(data) if data.is_object() => data.clone(),
                _ => schema,
            };
            let mut description: types::CollectionDescription = serde_json::from_value(data)
                .map_err(|e| format!("collection `{name}`: not a describe answer's data: {e}"))?;
            if description.fields.is_empty() {
                return Err(format!("collection `{name}`: no `fields`"));
            }
            description.collection_name = Some(name.clone());
            known.insert((DEFAULT_DATABASE.to_owned(), name), description);
        }
        Ok(Collections(known))
    }

    pub(crate) fn get(&self, db: &str, name: &str) -> Option<&types::CollectionDescription> {
        self.0.get(&(db.to_owned(), name.to_owned()))
    }

    /// Whether any collection is in `db`: Milvus refuses an unknown
    /// database (code 800) before looking for the collection.
    pub(crate) fn has_database(&self, db: &str) -> bool {
        db == DEFAULT_DATABASE || self.0.keys().any(|(d, _)| d == db)
    }
}
