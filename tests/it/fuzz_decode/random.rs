//! Text and JSON made at random, and JSON text of the facts' tables read
//! as values.

use proptest::prelude::*;
use serde_json::Value;

/// Server text: printable text, or any characters of any plane (controls,
/// surrogates' neighbours, private use, bidi overrides).
pub fn server_text(max: usize) -> BoxedStrategy<String> {
    prop_oneof![
        proptest::string::string_regex(&format!("\\PC{{0,{max}}}")).unwrap(),
        prop::collection::vec(any::<char>(), 0..=max).prop_map(String::from_iter),
    ]
    .boxed()
}

/// JSON text of the facts' tables, as a value.
pub fn parsed(json: &str) -> Value {
    serde_json::from_str(json).expect("the tables of facts.rs hold JSON")
}

pub fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![Just(0i64), Just(200), Just(96026)].prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        server_text(12).prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("code".to_owned()),
                    Just("message".to_owned()),
                    Just("data".to_owned()),
                    Just("jobId".to_owned()),
                    Just("state".to_owned()),
                    Just("progress".to_owned()),
                    Just("records".to_owned()),
                    Just("details".to_owned()),
                    server_text(6),
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
