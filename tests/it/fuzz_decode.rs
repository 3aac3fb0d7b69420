//! Property tests ("fuzzing") of the decoding path and of the create request.
//!
//! (a) Whatever a server answers (random bytes, random JSON, envelopes with
//!     random `code` types and `data` shapes, random statuses, garbage
//!     `Retry-After` and `requestid` headers), create, describe and list never
//!     panic and end in `Ok` or one of the documented errors, exactly the one
//!     the oracle predicts; HTTP 200 with `code` 0 (or 200) and well-formed
//!     `data` is always `Ok`, with the values sent.
//! (b) Whatever the caller puts in a `CreateImportJob`, `validate()` never
//!     panics; when it refuses, it names a field a documented rule refuses
//!     and nothing is sent; when it accepts, the JSON body on the wire holds
//!     exactly the fields that were set.
//!
//! The oracle (`fuzz_decode/oracle.rs`) states what each answer must come to
//! from facts written once as tables in `facts.rs` (the success codes, the
//! statuses that are retried and how often, what a percent, a state name or
//! a `Retry-After` value reads as), and every input is made with its
//! meaning (`answers.rs`, `data.rs`, `requests.rs`). No expectation is
//! computed by a copy of the crate's code, so a rule wrong in the crate
//! fails here instead of passing on both sides.
//!
//! Each property reuses one runtime, one loopback server
//! (`common/faulty_server.rs`) and one client across its cases.
//!
//! A quick run (the default case counts below, a few seconds):
//!
//!     cargo test --no-default-features --test it fuzz_decode::
//!
//! A longer fuzzing session (PROPTEST_CASES overrides every property's count;
//! --release makes each case cheaper):
//!
//!     PROPTEST_CASES=100000 cargo test --no-default-features --release --test it fuzz_decode::
//!
//! Add PROPTEST_MAX_SHRINK_ITERS=100000 to shrink a failure further. A
//! failure prints the minimal input; no regression file is written.

mod answers;
mod data;
mod facts;
mod harness;
mod oracle;
mod random;
mod requests;

use crate::common::{API_KEY, CREATE_PATH, faulty_server::Fault, properties::run, uuid_regex};
use answers::{DataShape, op, raw};
use facts::{Body, RetryAfter, SUCCESS_CODES, Wait};
use harness::Harness;
use oracle::Answer;
use proptest::{prelude::*, test_runner::TestCaseError};
use requests::Key;
use serde_json::{Value, json};
use zilliz_import::ErrorKind;
use zilliz_import::{Delivery, Error};

/// No `Retry-After` header.
const NO_RETRY_AFTER: RetryAfter = RetryAfter {
    sent: None,
    wait: Wait::Unset,
};

// ---------------------------------------------------------------------------
// (a) Decoding

/// Random bytes, text and JSON under random statuses and headers.
#[test]
fn any_answer_decodes_to_ok_or_a_documented_error() {
    let h = Harness::new();
    let strategy = (
        op(),
        answers::status(),
        answers::body_bytes(),
        answers::content_type(),
        answers::request_id(),
        answers::retry_after(),
    );
    run(96, strategy, |(op, status, body, ct, id, retry)| {
        let outcome = h.call(op, vec![raw(status, ct, &id, &retry, body.clone())]);
        let answer = Answer {
            op,
            status,
            body: &body,
            meaning: Body::read(&body),
            request_id: &id,
            retry_after: &retry,
        };
        oracle::check(&answer, &outcome, &h.server)
    });
}

/// Envelopes with random `code` types and values, `message` types and
/// `data` shapes, under HTTP 200 (and now and then another status).
#[test]
fn envelopes_decode_as_the_model_predicts() {
    let h = Harness::new();
    let strategy = (
        answers::op_and_envelope(),
        prop_oneof![6 => Just(200u16), 1 => answers::status()],
        answers::request_id(),
    );
    run(128, strategy, |((op, env), status, id)| {
        let body = env.body();
        let json = Some("application/json");
        let outcome = h.call(
            op,
            vec![raw(status, json, &id, &NO_RETRY_AFTER, body.clone())],
        );
        let answer = Answer {
            op,
            status,
            body: &body,
            meaning: env.meaning(),
            request_id: &id,
            retry_after: &NO_RETRY_AFTER,
        };
        oracle::check(&answer, &outcome, &h.server)?;
        if let (Ok(data), DataShape::Valid(sent)) = (&outcome, &env.data) {
            sent.check(data)?;
        }
        Ok(())
    });
}

/// The rule callers rely on: HTTP 200, `code` 0 or 200, well-formed `data`
/// (with or without a `message`) is always `Ok`, with the values sent.
#[test]
fn success_envelopes_with_valid_data_are_always_ok() {
    let h = Harness::new();
    let strategy = op().prop_flat_map(|op| {
        (
            Just(op),
            prop::sample::select(SUCCESS_CODES.to_vec()),
            prop_oneof![Just(None), "\\PC{0,20}".prop_map(Some)],
            data::valid_data(op),
            any::<bool>(),
        )
    });
    run(96, strategy, |(op, code, message, data, chunked)| {
        let mut env = json!({"code": code, "data": data.json()});
        if let Some(m) = message {
            env["message"] = Value::String(m);
        }
        let body = serde_json::to_string(&env).unwrap();
        let fault = if chunked {
            Fault::OkChunked(body)
        } else {
            Fault::Ok(body)
        };
        match h.call(op, vec![fault]) {
            Ok(got) => data.check(&got)?,
            Err(e) => prop_assert!(false, "{} from a success envelope: {:?}", e, e),
        }
        prop_assert_eq!(h.server.requests_received(), 1);
        Ok(())
    });
}

// ---------------------------------------------------------------------------
// (b) The create request

#[test]
fn create_requests_are_validated_and_sent_exactly_as_set() {
    let h = Harness::new();
    let uuid = uuid_regex();
    run(128, requests::input(), |input| {
        let job = input.build();
        let printed = format!("{job:?}");
        for secret in input.secrets() {
            prop_assert!(
                !printed.contains(secret),
                "Debug shows a secret: {}",
                printed
            );
        }

        let refused = input.refused_fields();
        let validated = job.validate();
        match validated.as_ref().map_err(Error::kind) {
            Ok(()) => prop_assert!(
                refused.is_empty(),
                "validate() took it; the rules refuse {:?}",
                refused
            ),
            Err(ErrorKind::InvalidInput { field, .. }) => prop_assert!(
                refused.contains(field),
                "validate() refused {} ({}); the rules refuse {:?}",
                field,
                validated.as_ref().unwrap_err(),
                refused
            ),
            Err(other) => prop_assert!(false, "validate() = {:?}", other),
        }
        if let Err(e) = &validated {
            prop_assert_eq!(e.delivery(), Delivery::NotSent);
            let text = e.to_string();
            for secret in input.secrets() {
                prop_assert!(!text.contains(secret), "the error shows a secret: {}", text);
            }
        }

        let outcome = h.call_create(job);
        if !refused.is_empty() {
            match outcome.as_ref().map_err(Error::kind) {
                Err(ErrorKind::InvalidInput { field, .. }) => prop_assert!(refused.contains(field)),
                other => prop_assert!(false, "{:?}", other),
            }
            prop_assert_eq!(h.server.requests_received(), 0);
            prop_assert_eq!(h.server.connections(), 0);
            return Ok(());
        }
        let created = match outcome {
            Ok(c) => c,
            Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
        };
        prop_assert_eq!(created.job_id.as_str(), "fz");
        let requests = h.server.requests();
        prop_assert_eq!(requests.len(), 1);
        let r = &requests[0];
        prop_assert_eq!(r.method.as_str(), "POST");
        prop_assert_eq!(r.path.as_str(), CREATE_PATH);
        prop_assert_eq!(r.header("content-type"), Some("application/json"));
        let bearer = format!("Bearer {API_KEY}");
        prop_assert_eq!(r.header("authorization"), Some(bearer.as_str()));
        prop_assert_eq!(r.json(), input.expected_body());
        let sent_key = r.header("idempotency-key");
        match &input.key {
            Key::None => prop_assert_eq!(sent_key, None),
            Key::Fixed { key, .. } => prop_assert_eq!(sent_key, Some(key.as_str())),
            Key::Generate => {
                let k = sent_key.unwrap_or_default();
                prop_assert!(uuid.is_match(k), "generated key {:?}", k);
            }
        }
        prop_assert_eq!(created.idempotency_key.as_deref(), sent_key);
        Ok(())
    });
}
