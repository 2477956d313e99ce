//! The one request path. Every request passes, in order: its turn in the rate-limit bucket of
//! its endpoint set and scope (`throttle`), the concurrency permit, authentication (digest
//! answer or bearer token), the send with a timeout, learning from the response headers and
//! 429s, and decoding; a failure anywhere on that path is one [`Failure`], and [`RetryBudget`]
//! decides whether it is sent again. No request holds a permit while it waits (for its bucket
//! or a backoff), so requests of a slow bucket never keep the others from being sent. Decoding
//! is the last step of the path, so a body cut short is sent for again.

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER, WWW_AUTHENTICATE,
};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tokio::sync::SemaphorePermit;
use url::Url;

use super::auth::{ChallengeOutcome, Credentials, DigestRound, DigestSent};
use super::client::Client;
use super::endpoint::Endpoint;
use super::error::{ApiErrorBody, AtlasError, AuthError};
use super::retry::{Failure, Next, RetryBudget, idempotent};
use super::throttle::Ticket;

/// Where one logical request goes: the URL, the digest `uri` (path and query), and the URL as
/// messages show it.
struct Target {
    url: Url,
    uri: String,
    shown: String,
}

/// What is sent: the method, and the JSON body of a write.
pub(super) struct Req<'b> {
    /// The HTTP method.
    pub method: reqwest::Method,
    /// The body, sent as the endpoint's versioned media type.
    pub body: Option<&'b [u8]>,
}

impl Req<'_> {
    /// A GET without a body.
    pub const GET: Req<'static> = Req {
        method: reqwest::Method::GET,
        body: None,
    };
}

/// A successful answer, whole.
#[derive(Debug)]
pub(super) struct Answer {
    /// The HTTP status (2xx).
    pub status: u16,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Bytes,
    /// When the attempt that got it was sent.
    pub sent_at: jiff::Timestamp,
}

/// How a request ended without an accepted answer: the last attempt's failure.
#[derive(Debug)]
pub(super) struct Ended {
    /// What the last attempt met.
    pub failure: Failure,
    /// The URL, as messages show it.
    pub url: String,
    /// Authentication rounds taken.
    pub auth_rounds: u32,
}

impl Client {
    fn target(&self, path: &str, query: &[(&str, String)]) -> Target {
        let mut url = self.base.clone();
        url.set_path(&format!(
            "{}/api/atlas/v2{path}",
            self.base.path().trim_end_matches('/')
        ));
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let uri = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let shown = url.to_string();
        Target { url, uri, shown }
    }

    /// Sends one logical GET through every gate and decodes its body, retrying what is worth
    /// retrying. `permit` is the caller's concurrency permit slot: taken once the request's
    /// bucket lets it go, emptied while it waits, and left held on return (a listing keeps it
    /// for its next page).
    pub(super) async fn send<'c, T: DeserializeOwned>(
        &'c self,
        endpoint: &Endpoint,
        path: &str,
        query: &[(&str, String)],
        permit: &mut Option<SemaphorePermit<'c>>,
    ) -> Result<T, AtlasError> {
        self.run(endpoint, &Req::GET, path, query, permit, |answer| {
            self.note_deprecation(endpoint, &answer.headers);
            serde_json::from_slice(&answer.body).map_err(Failure::Decode)
        })
        .await
        .map_err(|ended| self.give_up(endpoint, ended))
    }

    /// The one request path: sends `req` for `path` through every gate until `finish` accepts
    /// a successful answer, or the retry budget says the last failure is the result.
    pub(super) async fn run<'c, R>(
        &'c self,
        endpoint: &Endpoint,
        req: &Req<'_>,
        path: &str,
        query: &[(&str, String)],
        permit: &mut Option<SemaphorePermit<'c>>,
        finish: impl Fn(Answer) -> Result<R, Failure>,
    ) -> Result<R, Ended> {
        let target = self.target(path, query);
        if let Some(detail) = self.refused.get() {
            return Err(Ended {
                failure: Failure::Refused(detail.clone()),
                url: target.shown,
                auth_rounds: 0,
            });
        }
        let mut round = DigestRound::default();
        let mut budget = RetryBudget::new(
            self.options.max_retries,
            self.options.backoff_base,
            self.options.backoff_max,
        );
        let idempotent = idempotent(&req.method);
        loop {
            let mut ticket = self
                .throttle
                .acquire(endpoint.template, path, || *permit = None)
                .await;
            if permit.is_none() {
                *permit = self.permits.acquire().await.ok();
            }
            if !self.throttle.confirm(&mut ticket, endpoint.template, path) {
                continue;
            }
            let outcome = self
                .attempt(endpoint, req, path, &ticket, &target, &mut round)
                .await;
            let failure = match outcome.and_then(&finish) {
                Ok(value) => return Ok(value),
                Err(f) => f,
            };
            let wait = match budget.spend(failure.retry_for(idempotent)) {
                Next::Reauthenticate => continue,
                Next::Retry(wait) => wait,
                Next::GiveUp => {
                    self.tally(endpoint, |t| t.failures += 1);
                    return Err(Ended {
                        failure,
                        url: target.shown,
                        auth_rounds: budget.auth_rounds(),
                    });
                }
            };
            self.tally(endpoint, |t| t.retries += 1);
            tracing::debug!(endpoint = endpoint.name, method = %req.method, url = %target.shown, ?failure, wait_ms = wait.as_millis() as u64, "retrying");
            if !wait.is_zero() {
                *permit = None;
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// The error a request ends with, from the failure of its last attempt.
    pub(super) fn give_up(&self, endpoint: &Endpoint, ended: Ended) -> AtlasError {
        let Ended {
            failure,
            url,
            auth_rounds,
        } = ended;
        let endpoint_name = endpoint.name;
        match failure {
            Failure::Status { status, body, .. } => AtlasError::Status {
                endpoint: endpoint_name,
                url,
                status,
                body,
            },
            Failure::Transport(e) => {
                let (what, cause) = if e.is_timeout() {
                    let secs = self.options.timeout.as_secs_f64();
                    (Some(format!("timed out after {secs}s")), None)
                } else if e.is_connect() {
                    (Some("could not connect".into()), Some(e.into()))
                } else if e.is_body() || e.is_decode() {
                    let what = "the connection broke while reading the response";
                    (Some(what.into()), Some(e.into()))
                } else {
                    (None, Some(e.into()))
                };
                AtlasError::Transport {
                    endpoint: endpoint_name,
                    url,
                    what,
                    cause,
                }
            }
            Failure::Decode(cause) => AtlasError::Decode {
                endpoint: endpoint_name,
                url,
                cause,
            },
            // Not a missing role: the credential itself kept being refused.
            Failure::Challenged => AtlasError::Auth {
                endpoint: endpoint_name,
                url,
                cause: AuthError::Unanswered {
                    rounds: auth_rounds,
                },
            },
            Failure::Refused(detail) => self.refused_error(endpoint, &url, &detail),
            Failure::Token(cause) => AtlasError::Auth {
                endpoint: endpoint_name,
                url,
                cause,
            },
        }
    }

    /// One HTTP exchange of a request for `path` that took its bucket's `ticket`: the body of a
    /// success, or what failed.
    async fn attempt(
        &self,
        endpoint: &Endpoint,
        req: &Req<'_>,
        path: &str,
        ticket: &Ticket,
        target: &Target,
        round: &mut DigestRound,
    ) -> Result<Answer, Failure> {
        let mut request = self
            .http
            .request(req.method.clone(), target.url.clone())
            .header(ACCEPT, endpoint.accept())
            .timeout(self.options.timeout);
        if let Some(body) = req.body {
            // Atlas declares every write body under the operation's versioned media type.
            request = request
                .header(CONTENT_TYPE, endpoint.accept())
                .body(body.to_vec());
        }
        let mut digest_sent = DigestSent::Nothing;
        let mut bearer_sent = None;
        match self.auth.credentials() {
            Credentials::ApiKey { .. } => {
                let (header, sent) =
                    self.auth
                        .digest_header_for(round, req.method.as_str(), &target.uri);
                if let Some(header) = header {
                    request = request.header(AUTHORIZATION, header);
                }
                digest_sent = sent;
            }
            Credentials::ServiceAccount { .. } => {
                let token_url = format!("{}/api/oauth/token", self.base_url());
                if let Some(token) = self
                    .auth
                    .bearer(&self.http, &token_url)
                    .await
                    .map_err(Failure::Token)?
                {
                    request = request.bearer_auth(token.expose_secret());
                    bearer_sent = Some(token);
                }
            }
        }
        self.tally(endpoint, |t| t.requests += 1);
        let sent_at = Instant::now();
        let sent_time = jiff::Timestamp::now();
        let shown = target.shown.as_str();
        tracing::trace!(endpoint = endpoint.name, method = %req.method, url = %shown, accept = %endpoint.accept(), "request");
        let response = request.send().await.map_err(Failure::Transport)?;
        self.throttle.answered(ticket);
        let status = response.status();
        let headers = response.headers().clone();
        let limit = header_u64(&headers, "ratelimit-limit");
        let remaining = header_u64(&headers, "ratelimit-remaining");
        tracing::trace!(
            endpoint = endpoint.name,
            url = %shown,
            status = status.as_u16(),
            ms = sent_at.elapsed().as_millis() as u64,
            remaining,
            "response"
        );
        if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::UNAUTHORIZED {
            self.throttle.observe_headers(ticket, limit, remaining);
        }
        if status.is_success() {
            self.auth.accepted(round, &digest_sent);
            let body = response.bytes().await.map_err(Failure::Transport)?;
            return Ok(Answer {
                status: status.as_u16(),
                headers,
                body,
                sent_at: sent_time,
            });
        }
        let body = response.bytes().await.unwrap_or_default();
        let api_error: Option<Box<ApiErrorBody>> = serde_json::from_slice(&body).ok();
        let retry_after = header_u64(&headers, RETRY_AFTER.as_str()).map(Duration::from_secs);
        if status == StatusCode::UNAUTHORIZED
            && let Some(failure) = self
                .on_unauthorized(endpoint, &headers, (round, &digest_sent), bearer_sent)
                .await
        {
            return Err(failure);
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.tally(endpoint, |t| t.rate_limited += 1);
            // The pause holds the bucket's requests back: it is capped like any single wait.
            let pause = retry_after.map(|w| w.min(self.options.backoff_max));
            self.throttle.observe_limited(
                ticket,
                endpoint.template,
                path,
                api_error.as_deref(),
                pause,
                remaining,
            );
        }
        Err(Failure::Status {
            status: status.as_u16(),
            retry_after,
            body: api_error,
            headers: Box::new(headers),
            raw: body,
            sent_at: sent_time,
        })
    }

    /// What a 401 means: a digest challenge to answer or a token to renew
    /// ([`Failure::Challenged`]), a refused fresh answer ([`Failure::Refused`]), or, for a 401
    /// without a challenge after authenticating, `None`: the status itself (this scope is
    /// refused).
    async fn on_unauthorized(
        &self,
        endpoint: &Endpoint,
        headers: &HeaderMap,
        (round, digest_sent): (&mut DigestRound, &DigestSent),
        bearer_sent: Option<SecretString>,
    ) -> Option<Failure> {
        let challenge = headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.trim_start().to_ascii_lowercase().starts_with("digest"));
        match (self.auth.credentials(), challenge) {
            (Credentials::ApiKey { .. }, Some(challenge)) => {
                self.tally(endpoint, |t| t.challenges += 1);
                match self.auth.on_challenge(round, challenge, digest_sent) {
                    ChallengeOutcome::Answer => Some(Failure::Challenged),
                    ChallengeOutcome::Refused => {
                        let detail = self
                            .refused
                            .get_or_init(|| {
                                "its digest answer to a fresh challenge was rejected with HTTP 401"
                                    .into()
                            })
                            .clone();
                        tracing::debug!(endpoint = endpoint.name, "the API key was refused");
                        Some(Failure::Refused(detail))
                    }
                }
            }
            (Credentials::ServiceAccount { .. }, _) => {
                // The token may have expired early or been revoked: fetch a new one.
                self.auth.drop_token(bearer_sent.as_ref()).await;
                Some(Failure::Challenged)
            }
            (Credentials::ApiKey { .. }, None) => None,
        }
    }
}

pub(super) fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// A header's text, trimmed.
pub(super) fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
}
