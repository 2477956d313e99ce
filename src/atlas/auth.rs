//! Credentials and the two ways Atlas accepts them: HTTP Digest for programmatic API keys, and
//! OAuth2 client credentials for service accounts. Secrets stay inside [`SecretString`] and are
//! exposed only to compute a digest response or a token request.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use digest_auth::{AuthContext, WwwAuthenticateHeader};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// What the tool authenticates with.
#[derive(Clone)]
pub enum Credentials {
    /// A programmatic API key (HTTP Digest).
    ApiKey {
        /// Public key (the digest username); not secret.
        public_key: String,
        /// Private key (the digest password).
        private_key: SecretString,
    },
    /// A service account (OAuth2 client credentials).
    ServiceAccount {
        /// Client id; not secret.
        client_id: String,
        /// Client secret.
        client_secret: SecretString,
    },
}

impl Credentials {
    /// The credential's public identity: what the snapshot records about who collected it.
    pub fn identity(&self) -> &str {
        match self {
            Credentials::ApiKey { public_key, .. } => public_key,
            Credentials::ServiceAccount { client_id, .. } => client_id,
        }
    }

    /// `api_key` or `service_account`.
    pub fn kind(&self) -> &'static str {
        match self {
            Credentials::ApiKey { .. } => "api_key",
            Credentials::ServiceAccount { .. } => "service_account",
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Credentials({}: {}, secret: [redacted])",
            self.kind(),
            self.identity()
        )
    }
}

/// Tokens are renewed this long before Atlas says they expire, so none expires in flight.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

struct Token {
    value: SecretString,
    renew_at: Instant,
}

/// The token endpoint's answer.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// Holds the state that authentication carries between requests: the digest challenge (reused
/// with a rising nonce count) or the OAuth token (reused until shortly before it expires).
pub(crate) struct Authenticator {
    credentials: Credentials,
    challenge: Mutex<Option<WwwAuthenticateHeader>>,
    token: tokio::sync::Mutex<Option<Token>>,
}

/// What a 401 with a digest challenge means for the request that got it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ChallengeOutcome {
    /// First challenge, or the nonce went stale: answer it and send again.
    Answer,
    /// The server refused a fresh answer: the key or its access list is wrong.
    Refused,
}

impl Authenticator {
    pub fn new(credentials: Credentials) -> Self {
        Authenticator {
            credentials,
            challenge: Mutex::new(None),
            token: tokio::sync::Mutex::new(None),
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The `Authorization` value for a digest request to `uri` (path and query), if a challenge
    /// is known. Each call takes the next nonce count.
    pub fn digest_header(&self, uri: &str) -> Option<String> {
        let Credentials::ApiKey {
            public_key,
            private_key,
        } = &self.credentials
        else {
            return None;
        };
        let mut guard = self.challenge.lock().unwrap_or_else(|p| p.into_inner());
        let prompt = guard.as_mut()?;
        let ctx = AuthContext::new(public_key.as_str(), private_key.expose_secret(), uri);
        prompt.respond(&ctx).ok().map(|h| h.to_header_string())
    }

    /// Records a digest challenge from a 401. `had_auth` says whether the refused request
    /// carried an answer, and `nonce_sent` which nonce it answered.
    pub fn on_challenge(&self, header: &str, nonce_sent: Option<&str>) -> ChallengeOutcome {
        let Ok(prompt) = WwwAuthenticateHeader::parse(header) else {
            return ChallengeOutcome::Refused;
        };
        let mut guard = self.challenge.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = match nonce_sent {
            None => ChallengeOutcome::Answer,
            Some(_) if prompt.stale => ChallengeOutcome::Answer,
            // Another request already replaced the nonce this one answered: try the new one.
            Some(sent) if guard.as_ref().is_some_and(|p| p.nonce != sent) => {
                return ChallengeOutcome::Answer;
            }
            Some(_) => ChallengeOutcome::Refused,
        };
        if outcome == ChallengeOutcome::Answer {
            *guard = Some(prompt);
        }
        outcome
    }

    /// The nonce the next digest answer will use.
    pub fn current_nonce(&self) -> Option<String> {
        let guard = self.challenge.lock().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().map(|p| p.nonce.clone())
    }

    /// The bearer token for a service account, fetching or renewing it when needed.
    pub async fn bearer(
        &self,
        http: &reqwest::Client,
        token_url: &str,
    ) -> Result<Option<SecretString>, String> {
        let Credentials::ServiceAccount {
            client_id,
            client_secret,
        } = &self.credentials
        else {
            return Ok(None);
        };
        let mut guard = self.token.lock().await;
        if let Some(token) = guard.as_ref()
            && Instant::now() < token.renew_at
        {
            return Ok(Some(token.value.clone()));
        }
        let response = http
            .post(token_url)
            .basic_auth(client_id, Some(client_secret.expose_secret()))
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(|e| format!("token request failed: {}", without_url(&e)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("token response: {}", without_url(&e)))?;
        if !status.is_success() {
            return Err(format!(
                "the token endpoint answered HTTP {}: check the client id and secret",
                status.as_u16()
            ));
        }
        let parsed: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| format!("the token response is not the expected JSON ({e})"))?;
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(3600));
        let value = SecretString::from(parsed.access_token);
        *guard = Some(Token {
            value: value.clone(),
            renew_at: Instant::now() + lifetime.saturating_sub(TOKEN_MARGIN).max(lifetime / 2),
        });
        Ok(Some(value))
    }

    /// Forgets the cached token after Atlas refused it, so the next request fetches a new one;
    /// unless the cache already holds a newer token, fetched by a request refused before this
    /// one (the refused token is the one to forget, not its replacement).
    pub async fn drop_token(&self, refused: Option<&SecretString>) {
        let mut guard = self.token.lock().await;
        let replaced = match (guard.as_ref(), refused) {
            (Some(held), Some(refused)) => held.value.expose_secret() != refused.expose_secret(),
            _ => false,
        };
        if !replaced {
            *guard = None;
        }
    }
}

/// reqwest's error text without the URL (which the caller already shows).
pub(crate) fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "the URL");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Credentials {
        Credentials::ApiKey {
            public_key: "pubkey".into(),
            private_key: SecretString::from("very-private-value".to_string()),
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let text = format!("{:?}", key());
        assert!(!text.contains("very-private-value"), "{text}");
        assert!(text.contains("pubkey"));
    }

    #[test]
    fn digest_reuses_the_nonce_with_rising_count() {
        let auth = Authenticator::new(key());
        assert!(auth.digest_header("/a").is_none(), "no challenge yet");
        let challenge = r#"Digest realm="MMS Public API", domain="", nonce="abc", algorithm=MD5, qop="auth", stale=false"#;
        assert_eq!(auth.on_challenge(challenge, None), ChallengeOutcome::Answer);
        let first = auth.digest_header("/api/atlas/v2/orgs").unwrap();
        let second = auth.digest_header("/api/atlas/v2/orgs").unwrap();
        assert!(first.contains("nc=00000001"), "{first}");
        assert!(second.contains("nc=00000002"), "{second}");
        assert!(first.contains(r#"nonce="abc""#));
        assert!(!first.contains("very-private-value"));
    }

    #[test]
    fn a_refused_fresh_answer_is_an_auth_failure_but_stale_is_answered() {
        let auth = Authenticator::new(key());
        let fresh =
            r#"Digest realm="MMS Public API", nonce="n1", algorithm=MD5, qop="auth", stale=false"#;
        auth.on_challenge(fresh, None);
        assert_eq!(
            auth.on_challenge(fresh, Some("n1")),
            ChallengeOutcome::Refused
        );
        let stale =
            r#"Digest realm="MMS Public API", nonce="n2", algorithm=MD5, qop="auth", stale=true"#;
        assert_eq!(
            auth.on_challenge(stale, Some("n1")),
            ChallengeOutcome::Answer
        );
        assert_eq!(auth.current_nonce().as_deref(), Some("n2"));
    }
}
