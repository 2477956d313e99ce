//! Credentials and the two ways Atlas accepts them: HTTP Digest for programmatic API keys, and
//! OAuth2 client credentials for service accounts. Secrets stay inside [`SecretString`] and are
//! exposed only to compute a digest response or a token request.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use digest_auth::{AuthContext, HttpMethod, WwwAuthenticateHeader};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::error::AuthError;

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

    /// `API key <publicKey>` or `service account <clientId>`, for messages.
    pub fn describe(&self) -> String {
        match self {
            Credentials::ApiKey { public_key, .. } => format!("API key {public_key}"),
            Credentials::ServiceAccount { client_id, .. } => {
                format!("service account {client_id}")
            }
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
/// with a rising nonce count, or asked for afresh by every request once the server has shown it
/// takes each nonce only once) or the OAuth token (reused until shortly before it expires).
pub(crate) struct Authenticator {
    credentials: Credentials,
    digest: Mutex<DigestState>,
    token: tokio::sync::Mutex<Option<Token>>,
}

/// Digest state shared by every request of a client.
#[derive(Default)]
struct DigestState {
    /// The challenge answered with a rising nonce count, once a request has been accepted with it.
    shared: Option<WwwAuthenticateHeader>,
    /// Every request fetches its own challenge: the server refused reused nonces twice in a row.
    fresh_per_request: bool,
    /// Different nonces refused on reuse since the last accepted reuse.
    reuse_refused: u32,
    /// The last nonce refused on reuse (requests in flight with one nonce count once).
    last_refused: Option<String>,
}

/// What a request's `Authorization` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DigestSent {
    /// Nothing: the request goes out bare to be challenged.
    Nothing,
    /// The shared challenge's nonce, reused (it was answered before, by this or another request).
    Reused(String),
    /// A challenge this request received itself, answered for the first time.
    Fresh,
}

/// What a 401 with a digest challenge means for the request that got it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ChallengeOutcome {
    /// Answer the new challenge (held by the request) and send again.
    Answer,
    /// The server refused an answer to a fresh challenge: the key or its access list is wrong.
    Refused,
}

/// One logical request's own digest challenge: the one it was sent, answered by it first.
#[derive(Default)]
pub(crate) struct DigestRound {
    own: Option<WwwAuthenticateHeader>,
}

impl Authenticator {
    pub fn new(credentials: Credentials) -> Self {
        Authenticator {
            credentials,
            digest: Mutex::new(DigestState::default()),
            token: tokio::sync::Mutex::new(None),
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    fn state(&self) -> std::sync::MutexGuard<'_, DigestState> {
        self.digest.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The `Authorization` value for a digest request to `uri` (path and query), and what it
    /// answers: the request's own challenge when it holds one, else the shared challenge with
    /// the next nonce count (unless every request now asks for its own), else nothing.
    #[cfg(test)]
    pub fn digest_header(
        &self,
        round: &mut DigestRound,
        uri: &str,
    ) -> (Option<String>, DigestSent) {
        self.digest_header_for(round, "GET", uri)
    }

    /// [`Authenticator::digest_header`] for a request of any method: the method is part of
    /// what a digest answer signs (`HA2 = MD5(method:uri)`).
    pub fn digest_header_for(
        &self,
        round: &mut DigestRound,
        method: &str,
        uri: &str,
    ) -> (Option<String>, DigestSent) {
        let Credentials::ApiKey {
            public_key,
            private_key,
        } = &self.credentials
        else {
            return (None, DigestSent::Nothing);
        };
        let ctx = AuthContext::new_with_method(
            public_key.as_str(),
            private_key.expose_secret(),
            uri,
            None::<&[u8]>,
            HttpMethod::from(method),
        );
        if let Some(own) = round.own.as_mut() {
            // Answered before (the request is being retried after a 5xx, say): a reuse now.
            let sent = if own.nc == 0 {
                DigestSent::Fresh
            } else {
                DigestSent::Reused(own.nonce.clone())
            };
            let header = own.respond(&ctx).ok().map(|h| h.to_header_string());
            return (header, sent);
        }
        let mut state = self.state();
        if state.fresh_per_request {
            return (None, DigestSent::Nothing);
        }
        match state.shared.as_mut() {
            Some(prompt) => {
                let nonce = prompt.nonce.clone();
                let header = prompt.respond(&ctx).ok().map(|h| h.to_header_string());
                (header, DigestSent::Reused(nonce))
            }
            None => (None, DigestSent::Nothing),
        }
    }

    /// Reads a 401's digest challenge for a request that sent `sent`. A bare request, or one
    /// whose reused nonce was refused (whatever the `stale` flag says), answers the new
    /// challenge itself; so does a fresh answer the server calls stale. Only a fresh answer
    /// refused with `stale=false` means the key is refused.
    pub fn on_challenge(
        &self,
        round: &mut DigestRound,
        header: &str,
        sent: &DigestSent,
    ) -> ChallengeOutcome {
        let Ok(prompt) = WwwAuthenticateHeader::parse(header) else {
            return ChallengeOutcome::Refused;
        };
        match sent {
            DigestSent::Fresh if !prompt.stale => return ChallengeOutcome::Refused,
            DigestSent::Reused(nonce) => self.reuse_refused(nonce),
            DigestSent::Fresh | DigestSent::Nothing => {}
        }
        round.own = Some(prompt);
        ChallengeOutcome::Answer
    }

    /// Counts a refused reuse; two different nonces refused on reuse with no accepted reuse
    /// between them switch the client to a fresh challenge per request.
    fn reuse_refused(&self, nonce: &str) {
        let mut state = self.state();
        if state.last_refused.as_deref() == Some(nonce) {
            return;
        }
        state.last_refused = Some(nonce.to_owned());
        state.reuse_refused += 1;
        if state.reuse_refused >= 2 && !state.fresh_per_request {
            state.fresh_per_request = true;
            state.shared = None;
            tracing::info!(
                "Atlas refused reused digest nonces twice in a row; every request asks for a fresh challenge from now on (two requests each)"
            );
        }
    }

    /// Records that a request's answer was accepted: a fresh challenge becomes the shared one
    /// (its nonce count goes on rising), and an accepted reuse clears the refusals.
    pub fn accepted(&self, round: &mut DigestRound, sent: &DigestSent) {
        let mut state = self.state();
        match sent {
            DigestSent::Fresh => {
                if let Some(own) = round.own.take()
                    && !state.fresh_per_request
                {
                    state.shared = Some(own);
                }
            }
            DigestSent::Reused(_) => {
                state.reuse_refused = 0;
                state.last_refused = None;
                if let Some(own) = round.own.take()
                    && !state.fresh_per_request
                {
                    state.shared = Some(own);
                }
            }
            DigestSent::Nothing => {}
        }
    }

    /// Whether every request now fetches its own challenge.
    pub fn fresh_per_request(&self) -> bool {
        self.state().fresh_per_request
    }

    /// The bearer token for a service account, fetching or renewing it when needed.
    pub async fn bearer(
        &self,
        http: &reqwest::Client,
        token_url: &str,
    ) -> Result<Option<SecretString>, AuthError> {
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
            .map_err(|e| AuthError::TokenRequest(e.into()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| AuthError::TokenResponse(e.into()))?;
        if !status.is_success() {
            return Err(AuthError::TokenRefused(status.as_u16()));
        }
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(AuthError::TokenDecode)?;
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

    const CHALLENGE: &str = r#"Digest realm="MMS Public API", domain="", nonce="abc", algorithm=MD5, qop="auth", stale=false"#;

    fn challenge(nonce: &str, stale: bool) -> String {
        format!(
            r#"Digest realm="MMS Public API", nonce="{nonce}", algorithm=MD5, qop="auth", stale={stale}"#
        )
    }

    #[test]
    fn digest_reuses_the_nonce_with_rising_count() {
        let auth = Authenticator::new(key());
        let mut round = DigestRound::default();
        assert_eq!(
            auth.digest_header(&mut round, "/a"),
            (None, DigestSent::Nothing),
            "no challenge yet"
        );
        let sent = DigestSent::Nothing;
        assert_eq!(
            auth.on_challenge(&mut round, CHALLENGE, &sent),
            ChallengeOutcome::Answer
        );
        let (first, sent) = auth.digest_header(&mut round, "/api/atlas/v2/orgs");
        let first = first.unwrap();
        assert_eq!(sent, DigestSent::Fresh);
        auth.accepted(&mut round, &sent);
        let mut next = DigestRound::default();
        let (second, sent) = auth.digest_header(&mut next, "/api/atlas/v2/orgs");
        let second = second.unwrap();
        assert_eq!(sent, DigestSent::Reused("abc".into()));
        assert!(first.contains("nc=00000001"), "{first}");
        assert!(second.contains("nc=00000002"), "{second}");
        assert!(first.contains(r#"nonce="abc""#));
        assert!(!first.contains("very-private-value"));
    }

    #[test]
    fn only_a_refused_fresh_answer_refuses_the_key() {
        let auth = Authenticator::new(key());
        let mut round = DigestRound::default();
        // A reused nonce refused, stale or not, is answered with the new challenge.
        for (nonce, stale) in [("n1", false), ("n2", true)] {
            let sent = DigestSent::Reused("old".into());
            assert_eq!(
                auth.on_challenge(&mut round, &challenge(nonce, stale), &sent),
                ChallengeOutcome::Answer
            );
        }
        // A fresh answer called stale gets one more fresh challenge.
        let fresh = DigestSent::Fresh;
        assert_eq!(
            auth.on_challenge(&mut round, &challenge("n3", true), &fresh),
            ChallengeOutcome::Answer
        );
        assert_eq!(
            auth.on_challenge(&mut round, &challenge("n4", false), &fresh),
            ChallengeOutcome::Refused
        );
    }

    #[test]
    fn a_retried_request_reuses_its_own_challenge() {
        let auth = Authenticator::new(key());
        let mut round = DigestRound::default();
        auth.on_challenge(&mut round, CHALLENGE, &DigestSent::Nothing);
        assert_eq!(auth.digest_header(&mut round, "/x").1, DigestSent::Fresh);
        // The answer went through but the request failed (a 5xx): the next answer reuses it.
        assert_eq!(
            auth.digest_header(&mut round, "/x").1,
            DigestSent::Reused("abc".into())
        );
    }

    #[test]
    fn reuse_refused_twice_in_a_row_switches_to_a_challenge_per_request() {
        let auth = Authenticator::new(key());
        let refuse = |nonce: &str| {
            let mut round = DigestRound::default();
            let sent = DigestSent::Reused(nonce.into());
            auth.on_challenge(&mut round, &challenge("new", false), &sent);
        };
        refuse("a");
        refuse("a"); // a second request in flight with the same nonce counts once
        assert!(!auth.fresh_per_request());
        // An accepted reuse in between clears the count.
        auth.accepted(&mut DigestRound::default(), &DigestSent::Reused("b".into()));
        refuse("c");
        assert!(!auth.fresh_per_request());
        refuse("d");
        assert!(auth.fresh_per_request());
        let (header, sent) = auth.digest_header(&mut DigestRound::default(), "/x");
        assert_eq!((header, sent), (None, DigestSent::Nothing));
    }
}
