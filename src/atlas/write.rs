//! Writes and single reads through the one request path: [`Client::write`] sends one write
//! operation and keeps what an audit log of applied decisions needs of Atlas's answer;
//! [`Client::get_one`] reads a target again (404 → `None`).

use reqwest::header::HeaderMap;
use serde::Serialize;
use serde_json::Value;

use super::client::Client;
use super::endpoint::Endpoint;
use super::error::{ApiErrorBody, AtlasError};
use super::request::{Answer, Ended, Req, header, header_u64};
use super::retry::Failure;
use super::write_endpoint::{OTHER_GET, WriteEndpoint, WriteMethod, check_for};

/// Atlas's answer to one write: final, whether it did what was asked or not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WriteOutcome {
    /// The operation id.
    pub operation: &'static str,
    /// The method sent.
    pub method: WriteMethod,
    /// The path sent, below `/api/atlas/v2`, encoded.
    pub path: String,
    /// The HTTP status of the last answer.
    pub status: u16,
    /// Atlas's `errorCode` (Atlas sends `null` on some errors).
    pub error_code: Option<String>,
    /// Atlas's `detail`.
    pub detail: Option<String>,
    /// `X-Java-Method`: the server handler that answered.
    pub java_method: Option<String>,
    /// `Deprecation` (an HTTP-date), on deprecated endpoints.
    pub deprecation: Option<String>,
    /// `Sunset` (an HTTP-date), on endpoints going away.
    pub sunset: Option<String>,
    /// `RateLimit-Remaining` of the endpoint set's bucket.
    pub ratelimit_remaining: Option<u64>,
    /// The answer's body: JSON when it is JSON, `None` for an empty body (204).
    pub body: Option<Value>,
    /// When the attempt that got this answer was sent.
    pub sent_at: jiff::Timestamp,
}

impl WriteOutcome {
    /// Whether Atlas did it (2xx).
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether the target was not there (404): for a removal, already done.
    pub fn not_found(&self) -> bool {
        self.status == 404
    }
}

impl Client {
    /// Sends one write: `path` is the operation's template filled by
    /// [`WriteEndpoint::path`]; `body` goes as the operation's versioned media type. It passes
    /// the same gates as every read (rate-limit bucket, permit, authentication). A 429 is
    /// waited out and sent again whatever the method; a 5xx, timeout or broken connection only
    /// for DELETE and PUT; a POST or PATCH that met one is reported, never resent.
    ///
    /// Any answer Atlas gave is an `Ok` [`WriteOutcome`], 4xx and 5xx included: the caller
    /// decides (404 on a removal is "already gone").
    ///
    /// # Errors
    /// [`AtlasError`] when no answer came (connection, timeout, authentication).
    pub async fn write(
        &self,
        endpoint: &WriteEndpoint,
        path: &str,
        body: Option<&Value>,
    ) -> Result<WriteOutcome, AtlasError> {
        let as_endpoint = endpoint.as_endpoint();
        // Serialising a JSON value cannot fail.
        let bytes = body.map(|b| serde_json::to_vec(b).unwrap_or_default());
        let req = Req {
            method: endpoint.method.http(),
            body: bytes.as_deref(),
        };
        let mut permit = None;
        let answered = self
            .run(&as_endpoint, &req, path, &[], &mut permit, Ok)
            .await;
        drop(permit);
        let outcome = match answered {
            Ok(Answer {
                status,
                headers,
                body,
                sent_at,
            }) => outcome(endpoint, path, status, &headers, &body, None, sent_at),
            Err(Ended {
                failure:
                    Failure::Status {
                        status,
                        body: api_error,
                        headers,
                        raw,
                        sent_at,
                        ..
                    },
                ..
            }) => outcome(
                endpoint,
                path,
                status,
                &headers,
                &raw,
                api_error.as_deref(),
                sent_at,
            ),
            Err(ended) => return Err(self.give_up(&as_endpoint, ended)),
        };
        if outcome.deprecation.is_some() || outcome.sunset.is_some() {
            tracing::warn!(
                operation = endpoint.name,
                path,
                deprecation = outcome.deprecation.as_deref().unwrap_or("-"),
                sunset = outcome.sunset.as_deref().unwrap_or("-"),
                "Atlas marks this write endpoint deprecated; it goes away at its sunset"
            );
        }
        tracing::debug!(
            operation = endpoint.name,
            method = %endpoint.method,
            path,
            status = outcome.status,
            error_code = outcome.error_code.as_deref().unwrap_or("-"),
            java_method = outcome.java_method.as_deref().unwrap_or("-"),
            "write"
        );
        Ok(outcome)
    }

    /// Reads one resource at `path` (encoded, below `/api/atlas/v2`) with media-type
    /// `version`: its JSON, or `None` when Atlas answers 404 (gone). Paced as the check
    /// operation whose template the path has (`getOrgUser`, …).
    ///
    /// # Errors
    /// [`AtlasError`] for any other failure, after the retries reads get.
    pub async fn get_one(&self, path: &str, version: &str) -> Result<Option<Value>, AtlasError> {
        let known = check_for(path).copied().unwrap_or(OTHER_GET);
        let endpoint = Endpoint {
            version: leak_version(version, known.version),
            ..known
        };
        let mut permit = None;
        let read = self
            .run(&endpoint, &Req::GET, path, &[], &mut permit, |answer| {
                self.note_deprecation(&endpoint, &answer.headers);
                serde_json::from_slice(&answer.body).map_err(Failure::Decode)
            })
            .await;
        match read {
            Ok(value) => Ok(Some(value)),
            Err(Ended {
                failure: Failure::Status { status: 404, .. },
                ..
            }) => Ok(None),
            Err(ended) => Err(self.give_up(&endpoint, ended)),
        }
    }
}

/// The version as a `'static` str: the catalogue's when it is the one asked for, else one of
/// the versions Atlas publishes, else the catalogue's (a version Atlas does not serve would only
/// be refused).
fn leak_version(asked: &str, known: &'static str) -> &'static str {
    const VERSIONS: &[&str] = &[
        "2023-01-01",
        "2023-02-01",
        "2023-11-15",
        "2024-08-05",
        "2024-11-13",
        "2025-02-19",
    ];
    if asked == known {
        return known;
    }
    VERSIONS
        .iter()
        .copied()
        .find(|v| *v == asked)
        .unwrap_or(known)
}

fn outcome(
    endpoint: &WriteEndpoint,
    path: &str,
    status: u16,
    headers: &HeaderMap,
    raw: &[u8],
    api_error: Option<&ApiErrorBody>,
    sent_at: jiff::Timestamp,
) -> WriteOutcome {
    let body: Option<Value> = serde_json::from_slice(raw).ok();
    WriteOutcome {
        operation: endpoint.name,
        method: endpoint.method,
        path: path.to_owned(),
        status,
        error_code: api_error.and_then(|e| e.error_code.clone()),
        detail: api_error.and_then(|e| e.detail.clone()),
        java_method: header(headers, "x-java-method"),
        deprecation: header(headers, "deprecation"),
        sunset: header(headers, "sunset"),
        ratelimit_remaining: header_u64(headers, "ratelimit-remaining"),
        body,
        sent_at,
    }
}
