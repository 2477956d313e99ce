//! Atlas's `ApiError` body (`{detail, error, errorCode, parameters, reason}`), sent as
//! `application/json` with every error status.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

/// An error answer, as Atlas would send it.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    /// The HTTP status, repeated in the body's `error`.
    pub status: StatusCode,
    /// Atlas's `errorCode`, e.g. `RESOURCE_NOT_FOUND`; empty for `null`.
    pub code: &'static str,
    /// Human-readable `detail`.
    pub detail: String,
    /// The values interpolated into `detail`, as Atlas lists them.
    pub parameters: Vec<Value>,
}

#[derive(Serialize)]
struct Body_<'a> {
    detail: &'a str,
    error: u16,
    #[serde(rename = "errorCode")]
    error_code: Option<&'a str>,
    parameters: &'a [Value],
    reason: &'a str,
}

impl ApiError {
    /// An error with a status, code and detail and no parameters.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            detail: detail.into(),
            parameters: Vec::new(),
        }
    }

    /// The same error with `parameters`.
    pub fn with_parameters(mut self, parameters: Vec<Value>) -> Self {
        self.parameters = parameters;
        self
    }

    /// 400 for a query parameter Atlas would refuse.
    pub fn bad_query(detail: impl Into<String>, parameter: &str) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "INVALID_QUERY_PARAMETER", detail)
            .with_parameters(vec![Value::from(parameter)])
    }

    /// 404 `RESOURCE_NOT_FOUND` for a path.
    pub fn not_found(path: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            format!("Cannot find resource {path}."),
        )
        .with_parameters(vec![Value::from(path)])
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        let body = Body_ {
            detail: &self.detail,
            error: self.status.as_u16(),
            // An empty code is sent as `null`, as Atlas does on some 404s (recorded).
            error_code: (!self.code.is_empty()).then_some(self.code),
            parameters: &self.parameters,
            reason: self.status.canonical_reason().unwrap_or("Error"),
        };
        // Serialising strings and JSON values cannot fail.
        serde_json::to_string(&body).unwrap_or_default()
    }

    /// The HTTP response: status, `Content-Type: application/json`, body.
    pub fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.body()));
        *response.status_mut() = self.status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_atlas_fields() {
        let e = ApiError::not_found("/orgs/x/nothing");
        let v: Value = serde_json::from_str(&e.body()).unwrap();
        assert_eq!(v["error"], 404);
        assert_eq!(v["errorCode"], "RESOURCE_NOT_FOUND");
        assert_eq!(v["reason"], "Not Found");
        assert_eq!(v["parameters"][0], "/orgs/x/nothing");
    }
}
