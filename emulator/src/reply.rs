//! An answer before it becomes HTTP: the status, the services' envelope
//! (`{"code": 0, "data": {...}}` on success, `{"code", "message"}` on
//! failure: `zilliz-import-api.md`, "The envelope"), and the code the
//! request log records.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json};

/// An answer before it becomes HTTP: status, envelope code, envelope JSON.
#[derive(Debug)]
pub(crate) struct Reply {
    status: StatusCode,
    code: i64,
    body: Value,
}

/// The envelope code of an answer, carried from the handler to the request
/// log in the response's extensions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReplyCode(pub(crate) i64);

/// The redacted body as the log keeps it, carried the same way.
#[derive(Debug, Clone)]
pub(crate) struct RecordedBody(pub(crate) String);

impl Reply {
    /// A success, `{"code": 0, "data": data}`, `data` being one of the
    /// spec's data types (an empty map for commit and abort, which answer
    /// `{"code":0,"data":{}}`).
    ///
    /// The spec types `progress` as a number (a server has sent 10.5), so
    /// the generated types hold `f64` and would write `50.0`; the services
    /// write whole percentages as integers, and so does the emulator.
    pub(crate) fn ok<T: Serialize>(data: &T) -> Self {
        match serde_json::to_value(data) {
            Ok(mut data) => {
                whole_progress(&mut data);
                Self {
                    status: StatusCode::OK,
                    code: 0,
                    body: json!({ "code": 0, "data": data }),
                }
            }
            Err(_) => Self::http(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error in the emulator: the answer does not serialize",
            ),
        }
    }

    /// A failure with HTTP 200, as the services answer most failures.
    pub(crate) fn err(code: i64, message: impl Into<String>) -> Self {
        Self::err_status(StatusCode::OK, code, message)
    }

    pub(crate) fn err_status(status: StatusCode, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            body: json!({ "code": code, "message": message.into() }),
        }
    }

    /// Errors about the HTTP exchange itself use the HTTP status as the code.
    pub(crate) fn http(status: StatusCode, message: impl Into<String>) -> Self {
        Self::err_status(status, i64::from(status.as_u16()), message)
    }

    pub(crate) fn into_response(self) -> Response {
        let bytes = serde_json::to_vec(&self.body).unwrap_or_default();
        let mut response = Response::new(Body::from(bytes));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Ok(id) = HeaderValue::from_str(&uuid::Uuid::new_v4().simple().to_string()) {
            // The service sends a request id; clients may carry it into errors.
            headers.insert("requestid", id);
        }
        response.extensions_mut().insert(ReplyCode(self.code));
        response
    }
}

/// Writes every whole `progress` value (at any depth) as an integer.
fn whole_progress(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "progress"
                    && let Some(f) = v.as_f64()
                    && v.is_f64()
                    && f.fract() == 0.0
                    && (0.0..=100.0).contains(&f)
                {
                    // A whole number from 0 to 100: the cast is exact.
                    *v = Value::from(f as i64);
                } else {
                    whole_progress(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_progress),
        _ => {}
    }
}

/// The answer when a handler panics: the connection still gets an envelope.
pub(crate) fn internal_error() -> Response {
    Reply::http(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error in the emulator",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_progress_is_an_integer_at_any_depth() {
        let mut v = json!({"progress": 50.0, "details": [{"progress": 10.5}, {"progress": 100.0}],
                           "fileSize": 3.0});
        whole_progress(&mut v);
        assert_eq!(
            v,
            json!({"progress": 50, "details": [{"progress": 10.5}, {"progress": 100}],
                   "fileSize": 3.0})
        );
        assert!(v["progress"].is_i64());
    }
}
