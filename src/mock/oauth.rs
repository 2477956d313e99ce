//! OAuth 2.0 client credentials for service accounts, as Atlas: `POST /api/oauth/token` with
//! `Authorization: Basic base64(clientId:secret)` and `grant_type=client_credentials` issues a
//! bearer token valid for `expires_in` seconds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};

use super::digest::strip_scheme;

/// Why a token request was refused, with the OAuth 2.0 error code (RFC 6749 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenRefusal {
    /// Missing or wrong client credentials: 401 `invalid_client`.
    InvalidClient,
    /// A grant type other than `client_credentials`: 400 `unsupported_grant_type`.
    UnsupportedGrant,
}

impl TokenRefusal {
    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            TokenRefusal::InvalidClient => 401,
            TokenRefusal::UnsupportedGrant => 400,
        }
    }

    /// The JSON body, `{"error": ..., "error_description": ...}`.
    pub fn body(self) -> &'static str {
        match self {
            TokenRefusal::InvalidClient => {
                r#"{"error":"invalid_client","error_description":"Invalid client credentials."}"#
            }
            TokenRefusal::UnsupportedGrant => {
                r#"{"error":"unsupported_grant_type","error_description":"Only grant_type=client_credentials is supported."}"#
            }
        }
    }
}

/// Issued tokens of the one service account the server knows.
#[derive(Debug)]
pub(crate) struct OAuth {
    client_id: String,
    secret: SecretString,
    ttl: Duration,
    /// Token → (client id, expiry).
    tokens: Mutex<HashMap<String, (String, Instant)>>,
}

impl OAuth {
    /// A token endpoint for one client.
    pub fn new(client_id: String, secret: SecretString, ttl: Duration) -> Self {
        OAuth {
            client_id,
            secret,
            ttl,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Answers a token request: the JSON body to send with 200, or the refusal.
    pub fn issue(&self, authorization: Option<&str>, form: &[u8]) -> Result<String, TokenRefusal> {
        let (id, secret) = authorization
            .and_then(|h| strip_scheme(h, "Basic"))
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|pair| {
                pair.split_once(':')
                    .map(|(a, b)| (a.to_owned(), b.to_owned()))
            })
            .ok_or(TokenRefusal::InvalidClient)?;
        if id != self.client_id || secret != self.secret.expose_secret() {
            return Err(TokenRefusal::InvalidClient);
        }
        let grant = url::form_urlencoded::parse(form)
            .find(|(k, _)| k == "grant_type")
            .map(|(_, v)| v.into_owned());
        if grant.as_deref() != Some("client_credentials") {
            return Err(TokenRefusal::UnsupportedGrant);
        }
        let token: String = std::iter::repeat_with(fastrand::alphanumeric)
            .take(48)
            .collect();
        let now = Instant::now();
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens.retain(|_, (_, expiry)| *expiry > now);
        tokens.insert(token.clone(), (id, now + self.ttl));
        Ok(format!(
            r#"{{"access_token":"{token}","expires_in":{},"token_type":"Bearer"}}"#,
            self.ttl.as_secs()
        ))
    }

    /// Ends a token's life early, as Atlas does when a token is revoked or expires under a
    /// request: later requests carrying it get 401.
    pub fn revoke(&self, token: &str) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        tokens.remove(token);
    }

    /// The client id a bearer token was issued to, if it is known and unexpired.
    pub fn check(&self, token: &str) -> Option<String> {
        let tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        let (client, expiry) = tokens.get(token)?;
        (*expiry > Instant::now()).then(|| client.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(id: &str, secret: &str) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        format!("Basic {b64}")
    }

    #[test]
    fn issues_and_checks_tokens() {
        let o = OAuth::new(
            "mdb_sa_id_1".into(),
            SecretString::from("s"),
            Duration::from_secs(60),
        );
        let body = o
            .issue(
                Some(&basic("mdb_sa_id_1", "s")),
                b"grant_type=client_credentials",
            )
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["token_type"], "Bearer");
        assert_eq!(v["expires_in"], 60);
        let token = v["access_token"].as_str().unwrap();
        assert_eq!(o.check(token).as_deref(), Some("mdb_sa_id_1"));
        assert_eq!(o.check("nope"), None);
        o.revoke(token);
        assert_eq!(o.check(token), None, "revoked");
        assert_eq!(
            o.issue(
                Some(&basic("mdb_sa_id_1", "bad")),
                b"grant_type=client_credentials"
            ),
            Err(TokenRefusal::InvalidClient)
        );
        assert_eq!(
            o.issue(Some(&basic("mdb_sa_id_1", "s")), b"grant_type=password"),
            Err(TokenRefusal::UnsupportedGrant)
        );
        assert_eq!(
            o.issue(None, b"grant_type=client_credentials"),
            Err(TokenRefusal::InvalidClient)
        );
    }
}
