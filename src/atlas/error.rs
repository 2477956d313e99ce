//! Errors of the Atlas client, one variant per way a request can end badly.

use serde::Deserialize;

/// Atlas's `ApiError` body, sent with every error status.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ApiErrorBody {
    /// The HTTP status, repeated.
    pub error: Option<u16>,
    /// A stable code such as `RATE_LIMITED` or `RESOURCE_NOT_FOUND`.
    pub error_code: Option<String>,
    /// A sentence saying what went wrong.
    pub detail: Option<String>,
    /// The status's reason phrase.
    pub reason: Option<String>,
    /// Values the detail refers to (for a 429: endpoint set, retry-after, capacity, refill,
    /// period). Absent or `null` reads as none.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub parameters: Vec<serde_json::Value>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<serde_json::Value>, D::Error> {
    Ok(Option::<Vec<serde_json::Value>>::deserialize(deserializer)?.unwrap_or_default())
}

impl ApiErrorBody {
    /// `errorCode: detail`, or whichever of them Atlas sent.
    pub fn summary(&self) -> String {
        match (&self.error_code, &self.detail) {
            (Some(code), Some(detail)) => format!("{code}: {detail}"),
            (Some(code), None) => code.clone(),
            (None, Some(detail)) => detail.clone(),
            (None, None) => self.reason.clone().unwrap_or_default(),
        }
    }
}

/// Everything that can go wrong with one logical request (after retries).
#[derive(Debug, thiserror::Error)]
pub enum AtlasError {
    /// Atlas answered with an error status that is not worth retrying, or retries ran out.
    #[error("{endpoint} {url}: HTTP {status}{}", body_suffix(.body))]
    Status {
        /// The endpoint's operation id.
        endpoint: &'static str,
        /// The URL requested (no secrets: credentials travel in headers).
        url: String,
        /// The HTTP status.
        status: u16,
        /// Atlas's error body, when it sent one.
        body: Option<Box<ApiErrorBody>>,
    },
    /// The connection failed, timed out or broke mid-body, and retries ran out.
    #[error("{endpoint} {url}{}", what.as_ref().map(|w| format!(": {w}")).unwrap_or_default())]
    Transport {
        /// The endpoint's operation id.
        endpoint: &'static str,
        /// The URL requested.
        url: String,
        /// What happened, e.g. "timed out after 30s" or "could not connect", when the HTTP
        /// stack's error does not say it by itself.
        what: Option<String>,
        /// The HTTP stack's error, when it says more than `what` (a timeout says it all).
        #[source]
        cause: Option<HttpError>,
    },
    /// The body was not the JSON the endpoint promises.
    #[error("{endpoint} {url}: the response is not valid JSON for this endpoint")]
    Decode {
        /// The endpoint's operation id.
        endpoint: &'static str,
        /// The URL requested.
        url: String,
        /// serde's error, with line and column.
        #[source]
        cause: serde_json::Error,
    },
    /// Atlas refused the credential itself (a fresh digest answer): nothing can be read with it.
    #[error(
        "{endpoint} {url}: Atlas refused {credential}: {detail}. Check that the private key is the one issued with this public key, that the key still exists in Atlas, and that this machine's public IP address is on the key's API access list"
    )]
    CredentialRefused {
        /// The endpoint's operation id.
        endpoint: &'static str,
        /// The URL requested.
        url: String,
        /// Which credential, by its public identity (`API key abcdefgh`).
        credential: String,
        /// What the server did.
        detail: String,
    },
    /// The credentials were refused, or no token could be had for them.
    #[error("{endpoint} {url}: authentication failed")]
    Auth {
        /// The endpoint's operation id.
        endpoint: &'static str,
        /// The URL requested.
        url: String,
        /// How it failed.
        #[source]
        cause: AuthError,
    },
}

/// How authentication failed for good.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Every fresh digest answer or new token was met with another 401.
    #[error(
        "the server kept answering 401 after {rounds} fresh nonces or tokens; check the API key or service account and that this machine's IP address is on its access list"
    )]
    Unanswered {
        /// Authentication rounds tried.
        rounds: u32,
    },
    /// The token request got no answer.
    #[error("the token request failed")]
    TokenRequest(#[source] HttpError),
    /// The token endpoint's answer broke off.
    #[error("the token response could not be read")]
    TokenResponse(#[source] HttpError),
    /// The token endpoint refused the service account.
    #[error(
        "the token endpoint answered HTTP {0}; check the client id and secret, and that this machine's IP address is on the service account's access list"
    )]
    TokenRefused(u16),
    /// The token endpoint answered with something that is not a token.
    #[error("the token response is not the expected JSON")]
    TokenDecode(#[source] serde_json::Error),
}

/// An error of the HTTP stack, told without the URL (the message it is the cause of names the
/// URL already); its own causes follow it in the chain.
#[derive(Debug)]
pub struct HttpError(reqwest::Error);

impl From<reqwest::Error> for HttpError {
    fn from(e: reqwest::Error) -> Self {
        HttpError(e)
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.0.to_string();
        match self.0.url() {
            Some(url) => f.write_str(
                &text
                    .replace(&format!(" ({url})"), "")
                    .replace(url.as_str(), "the URL"),
            ),
            None => f.write_str(&text),
        }
    }
}

impl std::error::Error for HttpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
    }
}

fn body_suffix(body: &Option<Box<ApiErrorBody>>) -> String {
    match body {
        Some(b) if !b.summary().is_empty() => format!(" ({})", b.summary()),
        _ => String::new(),
    }
}

impl AtlasError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            AtlasError::Status { status, .. } => Some(*status),
            AtlasError::Auth { .. } | AtlasError::CredentialRefused { .. } => Some(401),
            _ => None,
        }
    }

    /// Atlas's `errorCode`, when it sent one.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            AtlasError::Status { body: Some(b), .. } => b.error_code.as_deref(),
            _ => None,
        }
    }

    /// The endpoint the request was for.
    pub fn endpoint(&self) -> &'static str {
        match self {
            AtlasError::Status { endpoint, .. }
            | AtlasError::Transport { endpoint, .. }
            | AtlasError::Decode { endpoint, .. }
            | AtlasError::Auth { endpoint, .. }
            | AtlasError::CredentialRefused { endpoint, .. } => endpoint,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_with_null_fields_keep_what_they_carry() {
        // As recorded: a 404 with `errorCode` and `parameters` null; a 400 with both set.
        let b: ApiErrorBody = serde_json::from_str(
            r#"{"detail":"Could not find it.","error":404,"errorCode":null,"parameters":null,"reason":"Not Found"}"#,
        )
        .unwrap();
        assert_eq!((b.error, b.error_code.as_deref()), (Some(404), None));
        assert_eq!(b.summary(), "Could not find it.");
        let b: ApiErrorBody = serde_json::from_str(
            r#"{"detail":"d","error":400,"errorCode":"CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API","parameters":["c"],"reason":"Bad Request"}"#,
        )
        .unwrap();
        assert_eq!(
            b.error_code.as_deref(),
            Some("CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API")
        );
        assert_eq!(b.parameters, vec![serde_json::Value::from("c")]);
    }

    #[test]
    fn parameters_may_be_null_or_absent() {
        for json in [
            r#"{"error":429,"errorCode":"RATE_LIMITED","parameters":null}"#,
            r#"{"error":429,"errorCode":"RATE_LIMITED"}"#,
        ] {
            let body: ApiErrorBody = serde_json::from_str(json).unwrap();
            assert!(body.parameters.is_empty(), "{json}");
            assert_eq!(body.error_code.as_deref(), Some("RATE_LIMITED"));
        }
    }

    #[test]
    fn a_cause_is_told_by_the_chain_not_by_the_message() {
        let cause = serde_json::from_slice::<Vec<u8>>(b"[1,").unwrap_err();
        let told = cause.to_string();
        let e = AtlasError::Decode {
            endpoint: "listOrgs",
            url: "https://x/orgs".into(),
            cause,
        };
        assert_eq!(
            e.to_string(),
            "listOrgs https://x/orgs: the response is not valid JSON for this endpoint"
        );
        assert_eq!(
            crate::model::with_causes(&e),
            format!("{e}: {told}"),
            "the parser's message, once, after the request's"
        );
        let e = AtlasError::Auth {
            endpoint: "listOrgs",
            url: "https://x/orgs".into(),
            cause: AuthError::Unanswered { rounds: 9 },
        };
        let text = crate::model::with_causes(&e);
        assert!(
            text.starts_with("listOrgs https://x/orgs: authentication failed: the server kept answering 401 after 9 fresh nonces or tokens; check"),
            "{text}"
        );
        assert_eq!(text.matches("401").count(), 1, "{text}");
    }

    #[test]
    fn error_message_shows_atlas_code_and_detail() {
        let e = AtlasError::Status {
            endpoint: "listOrgs",
            url: "https://x/api/atlas/v2/orgs".into(),
            status: 403,
            body: Some(Box::new(ApiErrorBody {
                error_code: Some("USER_UNAUTHORIZED".into()),
                detail: Some("not allowed".into()),
                ..Default::default()
            })),
        };
        assert_eq!(
            e.to_string(),
            "listOrgs https://x/api/atlas/v2/orgs: HTTP 403 (USER_UNAUTHORIZED: not allowed)"
        );
    }
}
