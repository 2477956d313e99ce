//! The one request path. Every request passes, in order: its turn in the rate-limit bucket of
//! its endpoint set and scope ([`Throttle`]), the concurrency permit, authentication (digest
//! answer or bearer token), the send with a timeout, learning from the response headers and
//! 429s, and one retry decision ([`classify_status`] for a status; a body that is not JSON at
//! all is retried like a 5xx). No request holds a permit while it waits (for its bucket or a
//! backoff), so requests of a slow bucket never keep the others from being sent. Decoding is
//! the last step of that path, so a body cut short is sent for again; paging sits on top of
//! it, never beside it, and drops any item a moving listing serves twice.

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, RETRY_AFTER, WWW_AUTHENTICATE};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tokio::sync::{Semaphore, SemaphorePermit};
use url::Url;

use super::auth::{
    Authenticator, ChallengeOutcome, Credentials, DigestRound, DigestSent, without_url,
};
use super::endpoint::{Endpoint, Shape};
use super::error::{ApiErrorBody, AtlasError, Retry, classify_status};
use super::throttle::{LearnedLimit, Throttle, Ticket};
use super::types::{ListingItem, Page};
use crate::model::EndpointTally;

/// The largest page Atlas serves.
pub const MAX_PAGE_SIZE: usize = 500;

/// How the client behaves. The defaults suit the real Atlas; tests shorten the waits.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Atlas base URL, e.g. `https://cloud.mongodb.com`.
    pub base_url: String,
    /// Requests in flight at once, across everything.
    pub concurrency: usize,
    /// Per-request timeout (connect to last byte).
    pub timeout: Duration,
    /// Retries after the first attempt, for retryable failures.
    pub max_retries: u32,
    /// First backoff; doubles each retry, with jitter.
    pub backoff_base: Duration,
    /// Longest single wait, including a server's `Retry-After`.
    pub backoff_max: Duration,
    /// Items per page (1..=500).
    pub page_size: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            base_url: "https://cloud.mongodb.com".into(),
            concurrency: 4,
            timeout: Duration::from_secs(60),
            max_retries: 6,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(120),
            page_size: MAX_PAGE_SIZE,
        }
    }
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The base URL does not parse.
    #[error("base URL {url:?} is not a URL ({detail}); give e.g. https://cloud.mongodb.com")]
    BadUrl {
        /// As given.
        url: String,
        /// Parser's message.
        detail: String,
    },
    /// Plain HTTP to a host that is not this machine.
    #[error(
        "base URL {url:?} uses plain http:// to a host that is not loopback; credentials would cross the network unencrypted. Use https://, or http:// only with 127.0.0.1, ::1 or localhost"
    )]
    InsecureUrl {
        /// As given.
        url: String,
    },
    /// The HTTP stack could not start.
    #[error("could not start the HTTP client: {0}")]
    Http(String),
}

/// A listing read to its end.
#[derive(Debug)]
pub struct Listing<T> {
    /// Every distinct item, in the server's order (a repeat of an identity already read is
    /// dropped: pages moved under the read).
    pub items: Vec<T>,
    /// Atlas's `totalCount` from the first page, when the endpoint gives one.
    pub total_count: Option<u64>,
    /// Items served again on a later page and dropped.
    pub duplicates: usize,
}

impl<T> Listing<T> {
    /// Whether the distinct items read disagree with Atlas's count. Pages that moved while the
    /// listing was read show up here: an item removed before the current page makes the next
    /// page skip one; an item inserted repeats one (dropped) and hides itself.
    pub fn disagrees(&self) -> bool {
        self.total_count
            .is_some_and(|total| self.items.len() as u64 != total)
    }

    /// Whether fewer distinct items were read than Atlas counted.
    pub fn is_short(&self) -> bool {
        self.total_count
            .is_some_and(|total| (self.items.len() as u64) < total)
    }
}

/// The Atlas Administration API v2 client.
pub struct Client {
    http: reqwest::Client,
    base: Url,
    auth: Authenticator,
    throttle: Throttle,
    permits: Semaphore,
    options: ClientOptions,
    tallies: Mutex<BTreeMap<&'static str, EndpointTally>>,
    /// Set when Atlas refused the credential itself: every later request fails at once with it.
    refused: OnceLock<String>,
}

/// Checks a base URL: it must parse, and plain HTTP is for loopback only.
///
/// # Errors
/// [`ClientError::BadUrl`] or [`ClientError::InsecureUrl`].
pub fn check_base_url(raw: &str) -> Result<Url, ClientError> {
    let url = Url::parse(raw.trim_end_matches('/')).map_err(|e| ClientError::BadUrl {
        url: raw.into(),
        detail: e.to_string(),
    })?;
    match url.scheme() {
        "https" => Ok(url),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                None => false,
            };
            if loopback {
                Ok(url)
            } else {
                Err(ClientError::InsecureUrl { url: raw.into() })
            }
        }
        other => Err(ClientError::BadUrl {
            url: raw.into(),
            detail: format!("scheme {other:?} is not http or https"),
        }),
    }
}

/// One attempt's failure, with what the retry loop needs to know.
struct Failure {
    error: AtlasError,
    retry: Retry,
}

impl Client {
    /// Builds a client.
    ///
    /// # Errors
    /// When the base URL is bad or insecure, or the HTTP stack cannot start.
    pub fn new(credentials: Credentials, options: ClientOptions) -> Result<Client, ClientError> {
        let base = check_base_url(&options.base_url)?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("atlas-audit/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.timeout.min(Duration::from_secs(30)))
            .build()
            .map_err(|e| ClientError::Http(without_url(&e)))?;
        let permits = Semaphore::new(options.concurrency.max(1));
        tracing::debug!(?credentials, base_url = %base, concurrency = options.concurrency, "Atlas client ready");
        Ok(Client {
            http,
            base,
            auth: Authenticator::new(credentials),
            throttle: Throttle::default(),
            permits,
            options: ClientOptions {
                page_size: options.page_size.clamp(1, MAX_PAGE_SIZE),
                ..options
            },
            tallies: Mutex::new(BTreeMap::new()),
            refused: OnceLock::new(),
        })
    }

    /// The credentials' public identity.
    pub fn credentials(&self) -> &Credentials {
        self.auth.credentials()
    }

    /// The base URL, as used.
    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// Why Atlas refused the credential itself, if it did (a fresh digest answer rejected):
    /// once refused, every request fails at once with this error and nothing more is sent.
    pub fn refusal(&self, endpoint: &Endpoint, url: &str) -> Option<AtlasError> {
        self.refused
            .get()
            .map(|detail| self.refused_error(endpoint, url, detail))
    }

    fn refused_error(&self, endpoint: &Endpoint, url: &str, detail: &str) -> AtlasError {
        AtlasError::CredentialRefused {
            endpoint: endpoint.name,
            url: url.into(),
            credential: self.auth.credentials().describe(),
            detail: detail.into(),
        }
    }

    /// Whether every request now asks for its own digest challenge (the server refused reused
    /// nonces twice in a row).
    pub fn digest_challenge_per_request(&self) -> bool {
        self.auth.fresh_per_request()
    }

    /// Per-endpoint tallies so far.
    pub fn tallies(&self) -> BTreeMap<String, EndpointTally> {
        let t = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
        t.iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect()
    }

    /// Every endpoint set the client has learned something of (from 429s and rate-limit
    /// headers), by name, with its capacity, refill and number of scopes in use.
    pub fn learned_rate_limits(&self) -> Vec<LearnedLimit> {
        self.throttle.learned()
    }

    fn tally(&self, endpoint: &Endpoint, f: impl FnOnce(&mut EndpointTally)) {
        let mut t = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
        f(t.entry(endpoint.name).or_default());
    }

    /// Reads one object.
    ///
    /// # Errors
    /// Any [`AtlasError`], after retries.
    pub async fn get_object<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, AtlasError> {
        let value: T = self.send(endpoint, path, query, &mut None).await?;
        self.tally(endpoint, |t| {
            t.pages += 1;
            t.items += 1;
        });
        Ok(value)
    }

    /// Reads a bare-array endpoint.
    ///
    /// # Errors
    /// Any [`AtlasError`], after retries.
    pub async fn get_array<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        path: &str,
    ) -> Result<Vec<T>, AtlasError> {
        debug_assert_eq!(endpoint.shape, Shape::BareArray);
        let items: Vec<T> = self.send(endpoint, path, &[], &mut None).await?;
        self.tally(endpoint, |t| {
            t.pages += 1;
            t.items += items.len() as u64;
        });
        Ok(items)
    }

    /// Reads a paginated listing to its end: `itemsPerPage` at the maximum, `pageNum` from 1
    /// until a short page. `totalCount` is asked for on the first page only (where the endpoint
    /// takes `includeCount`): it proves the population complete without making deep pages slow.
    /// An item whose identity was already read is dropped (see [`Listing::disagrees`]).
    ///
    /// # Errors
    /// Any [`AtlasError`] on any page, after retries.
    pub async fn get_all<T: DeserializeOwned + ListingItem>(
        &self,
        endpoint: &Endpoint,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Listing<T>, AtlasError> {
        let Shape::Paged { include_count } = endpoint.shape else {
            unreachable!("get_all on a non-paged endpoint {}", endpoint.name);
        };
        let page_size = self.options.page_size;
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut duplicates = 0;
        let mut total_count = None;
        // A listing keeps its permit from one page to the next: the permit queue is first-come
        // first-served, and a continuation page sent to its back would wait behind every
        // request queued since, leaving long listings as a slow tail at the end of a run. It
        // gives the permit back only while a page waits for its bucket or a backoff.
        let mut permit = None;
        for page_num in 1.. {
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.push(("itemsPerPage", page_size.to_string()));
            q.push(("pageNum", page_num.to_string()));
            if include_count {
                q.push(("includeCount", (page_num == 1).to_string()));
            }
            let page: Page<T> = self.send(endpoint, path, &q, &mut permit).await?;
            if page_num == 1 {
                total_count = page.total_count;
            }
            let n = page.results.len();
            let before = items.len();
            for item in page.results {
                if item.identity().is_some_and(|id| !seen.insert(id)) {
                    duplicates += 1;
                } else {
                    items.push(item);
                }
            }
            let kept = items.len() - before;
            self.tally(endpoint, |t| {
                t.pages += 1;
                t.items += kept as u64;
                if page_num == 1 {
                    t.total_count += page.total_count.unwrap_or(0);
                }
            });
            if n < page_size {
                break;
            }
        }
        if duplicates > 0 {
            tracing::debug!(
                endpoint = endpoint.name,
                path,
                duplicates,
                "items served twice while paging were dropped"
            );
        }
        Ok(Listing {
            items,
            total_count,
            duplicates,
        })
    }

    /// Sends one logical GET through every gate and decodes its body, retrying what is worth
    /// retrying: a body that is not JSON at all (cut short in transit) is retried like a 5xx;
    /// JSON of the wrong shape is not, as the same request will get the same answer.
    /// `permit` is the caller's concurrency permit slot: taken once the request's bucket lets
    /// it go, emptied while it waits, and left held on return (a listing keeps it for its next
    /// page).
    async fn send<'c, T: DeserializeOwned>(
        &'c self,
        endpoint: &Endpoint,
        path: &str,
        query: &[(&str, String)],
        permit: &mut Option<SemaphorePermit<'c>>,
    ) -> Result<T, AtlasError> {
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
        if let Some(refused) = self.refusal(endpoint, &shown) {
            return Err(refused);
        }
        let mut round = DigestRound::default();
        let mut attempt = 0u32;
        let mut auth_rounds = 0u32;
        let mut rate_limited = 0u32;
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
                .attempt(endpoint, path, &ticket, (&url, &uri, &shown), &mut round)
                .await;
            let failure = match outcome.and_then(|body| decode(endpoint, &shown, &body)) {
                Ok(value) => return Ok(value),
                Err(f) => f,
            };
            let wait = match failure.retry {
                // A first challenge, a stale nonce or an expired token. Each round answers a
                // new nonce or carries a new token, and a refused fresh answer or a refused
                // token request ends at once (`Never`); so the rounds are bounded like retries
                // (a token can expire under every request that carries it, not only this one).
                Retry::Reauthenticate if auth_rounds < self.options.max_retries + 3 => {
                    auth_rounds += 1;
                    continue;
                }
                Retry::Reauthenticate => {
                    self.tally(endpoint, |t| t.failures += 1);
                    // Not a missing role: the credential itself kept being refused.
                    return Err(AtlasError::Auth {
                        endpoint: endpoint.name,
                        url: shown,
                        detail: format!(
                            "the server kept answering 401 after {auth_rounds} fresh nonces or tokens"
                        ),
                    });
                }
                Retry::Never => {
                    self.tally(endpoint, |t| t.failures += 1);
                    return Err(failure.error);
                }
                Retry::After(server_wait) => {
                    let is_429 = failure.error.status() == Some(429);
                    if is_429 {
                        rate_limited += 1;
                    }
                    // Rate limiting is the server pacing us, not failing: it gets its own,
                    // larger budget so a long throttled run still completes.
                    let exhausted = if is_429 {
                        rate_limited > self.options.max_retries * 4
                    } else {
                        attempt >= self.options.max_retries
                    };
                    if exhausted {
                        self.tally(endpoint, |t| t.failures += 1);
                        return Err(failure.error);
                    }
                    if !is_429 {
                        attempt += 1;
                    }
                    match server_wait {
                        // The 429 paused this request's bucket for its Retry-After: waiting
                        // for a turn there is the wait.
                        Some(_) if is_429 => Duration::ZERO,
                        Some(w) => w.min(self.options.backoff_max),
                        None => self.backoff(attempt.max(rate_limited)),
                    }
                }
            };
            self.tally(endpoint, |t| t.retries += 1);
            tracing::debug!(endpoint = endpoint.name, url = %shown, error = %failure.error, wait_ms = wait.as_millis() as u64, "retrying");
            if !wait.is_zero() {
                *permit = None;
                tokio::time::sleep(wait).await;
            }
        }
    }

    /// Exponential backoff with jitter: base·2^(n−1), capped, then a random point in its upper half.
    fn backoff(&self, n: u32) -> Duration {
        let exp = self
            .options
            .backoff_base
            .saturating_mul(1u32 << n.saturating_sub(1).min(16));
        let capped = exp.min(self.options.backoff_max);
        capped.mul_f64(0.5 + fastrand::f64() * 0.5)
    }

    /// One HTTP exchange of a request for `path` that took its bucket's `ticket`. A 401 that
    /// should be answered comes back as [`Retry::Reauthenticate`] once the authenticator holds
    /// the new challenge; `send` decides.
    async fn attempt(
        &self,
        endpoint: &Endpoint,
        path: &str,
        ticket: &Ticket,
        (url, uri, shown): (&Url, &str, &str),
        round: &mut DigestRound,
    ) -> Result<Bytes, Failure> {
        let mut request = self
            .http
            .get(url.clone())
            .header(ACCEPT, endpoint.accept())
            .timeout(self.options.timeout);
        let mut digest_sent = DigestSent::Nothing;
        let mut bearer_sent = None;
        match self.auth.credentials() {
            Credentials::ApiKey { .. } => {
                let (header, sent) = self.auth.digest_header(round, uri);
                if let Some(header) = header {
                    request = request.header(AUTHORIZATION, header);
                }
                digest_sent = sent;
            }
            Credentials::ServiceAccount { .. } => {
                let token_url = format!("{}/api/oauth/token", self.base_url());
                match self.auth.bearer(&self.http, &token_url).await {
                    Ok(Some(token)) => {
                        request = request.bearer_auth(token.expose_secret());
                        bearer_sent = Some(token);
                    }
                    Ok(None) => {}
                    Err(detail) => {
                        return Err(Failure {
                            error: AtlasError::Auth {
                                endpoint: endpoint.name,
                                url: shown.into(),
                                detail,
                            },
                            retry: Retry::Never,
                        });
                    }
                }
            }
        }
        self.tally(endpoint, |t| t.requests += 1);
        let sent_at = std::time::Instant::now();
        tracing::trace!(endpoint = endpoint.name, url = %shown, accept = %endpoint.accept(), "request");
        let transport = |what: String| Failure {
            error: AtlasError::Transport {
                endpoint: endpoint.name,
                url: shown.into(),
                what,
            },
            retry: Retry::After(None),
        };
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) if e.is_builder() => {
                return Err(Failure {
                    retry: Retry::Never,
                    ..transport(without_url(&e))
                });
            }
            Err(e) => return Err(transport(describe_transport(&e, self.options.timeout))),
        };
        let status = response.status();
        let headers = response.headers().clone();
        tracing::trace!(
            endpoint = endpoint.name,
            url = %shown,
            status = status.as_u16(),
            ms = sent_at.elapsed().as_millis() as u64,
            remaining = header_u64(&headers, "ratelimit-remaining"),
            "response"
        );
        let limit = header_u64(&headers, "ratelimit-limit");
        let remaining = header_u64(&headers, "ratelimit-remaining");
        if status != StatusCode::TOO_MANY_REQUESTS && status != StatusCode::UNAUTHORIZED {
            self.throttle.observe_headers(ticket, limit, remaining);
        }
        if status.is_success() {
            self.auth.accepted(round, &digest_sent);
            return response
                .bytes()
                .await
                .map_err(|e| transport(describe_transport(&e, self.options.timeout)));
        }
        let body = response.bytes().await.unwrap_or_default();
        let api_error: Option<Box<ApiErrorBody>> = serde_json::from_slice(&body).ok();
        let retry_after = header_u64(&headers, RETRY_AFTER.as_str()).map(Duration::from_secs);
        let status_error = AtlasError::Status {
            endpoint: endpoint.name,
            url: shown.into(),
            status: status.as_u16(),
            body: api_error.clone(),
        };
        if status == StatusCode::UNAUTHORIZED {
            return Err(self
                .on_unauthorized(
                    endpoint,
                    shown,
                    &headers,
                    (round, &digest_sent),
                    bearer_sent,
                    status_error,
                )
                .await);
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
        Err(Failure {
            retry: classify_status(status.as_u16(), retry_after),
            error: status_error,
        })
    }

    async fn on_unauthorized(
        &self,
        endpoint: &Endpoint,
        shown: &str,
        headers: &HeaderMap,
        (round, digest_sent): (&mut DigestRound, &DigestSent),
        bearer_sent: Option<secrecy::SecretString>,
        status_error: AtlasError,
    ) -> Failure {
        let challenge = headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.trim_start().to_ascii_lowercase().starts_with("digest"));
        match (self.auth.credentials(), challenge) {
            (Credentials::ApiKey { .. }, Some(challenge)) => {
                self.tally(endpoint, |t| t.challenges += 1);
                match self.auth.on_challenge(round, challenge, digest_sent) {
                    ChallengeOutcome::Answer => Failure {
                        error: status_error,
                        retry: Retry::Reauthenticate,
                    },
                    ChallengeOutcome::Refused => {
                        let detail = self
                            .refused
                            .get_or_init(|| {
                                "its digest answer to a fresh challenge was rejected with HTTP 401"
                                    .into()
                            })
                            .clone();
                        tracing::debug!(endpoint = endpoint.name, "the API key was refused");
                        Failure {
                            error: self.refused_error(endpoint, shown, &detail),
                            retry: Retry::Never,
                        }
                    }
                }
            }
            (Credentials::ServiceAccount { .. }, _) => {
                // The token may have expired early or been revoked: fetch a new one once.
                self.auth.drop_token(bearer_sent.as_ref()).await;
                Failure {
                    error: status_error,
                    retry: Retry::Reauthenticate,
                }
            }
            // A 401 without a challenge, after authenticating: this scope is refused.
            (Credentials::ApiKey { .. }, None) => Failure {
                error: AtlasError::Status {
                    endpoint: endpoint.name,
                    url: shown.into(),
                    status: 401,
                    body: match status_error {
                        AtlasError::Status { body, .. } => body,
                        _ => None,
                    },
                },
                retry: Retry::Never,
            },
        }
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn describe_transport(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        format!("timed out after {}s", timeout.as_secs_f64())
    } else if e.is_connect() {
        format!("could not connect: {}", without_url(e))
    } else if e.is_body() || e.is_decode() {
        format!(
            "the connection broke while reading the response: {}",
            without_url(e)
        )
    } else {
        without_url(e)
    }
}

/// Decodes a body. Broken JSON (a syntax error or a premature end) is worth another request;
/// JSON that does not fit the type is not.
fn decode<T: DeserializeOwned>(endpoint: &Endpoint, url: &str, body: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|e| Failure {
        retry: if e.is_data() {
            Retry::Never
        } else {
            Retry::After(None)
        },
        error: AtlasError::Decode {
            endpoint: endpoint.name,
            url: url.into(),
            detail: e.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_json_is_retried_but_the_wrong_shape_is_not() {
        use super::super::endpoint as ep;
        let decode_retry = |body: &[u8]| {
            decode::<Vec<crate::atlas::types::Organization>>(&ep::LIST_ORGS, "u", body)
                .err()
                .map(|f| f.retry)
        };
        assert_eq!(decode_retry(br#"[{"id":"1","name":"a"}]"#), None);
        assert_eq!(
            decode_retry(br#"[{"id":"1","name":"a"},{"na"#),
            Some(Retry::After(None))
        );
        assert_eq!(decode_retry(b"<html>"), Some(Retry::After(None)));
        assert_eq!(decode_retry(br#"[{"id":"1"}]"#), Some(Retry::Never));
    }

    #[test]
    fn a_listing_disagrees_with_its_count_either_way() {
        let listing = |n: usize, total: Option<u64>| Listing {
            items: vec![(); n],
            total_count: total,
            duplicates: 0,
        };
        assert!(!listing(3, Some(3)).disagrees());
        assert!(!listing(3, None).disagrees());
        assert!(listing(2, Some(3)).disagrees() && listing(2, Some(3)).is_short());
        assert!(listing(4, Some(3)).disagrees() && !listing(4, Some(3)).is_short());
    }

    #[test]
    fn plain_http_only_for_loopback() {
        assert!(check_base_url("https://cloud.mongodb.com").is_ok());
        assert!(check_base_url("http://127.0.0.1:8080").is_ok());
        assert!(check_base_url("http://localhost:1").is_ok());
        assert!(check_base_url("http://[::1]:1").is_ok());
        assert!(matches!(
            check_base_url("http://cloud.mongodb.com"),
            Err(ClientError::InsecureUrl { .. })
        ));
        assert!(matches!(
            check_base_url("http://10.0.0.1"),
            Err(ClientError::InsecureUrl { .. })
        ));
        assert!(matches!(
            check_base_url("ftp://x"),
            Err(ClientError::BadUrl { .. })
        ));
        assert!(matches!(
            check_base_url("not a url"),
            Err(ClientError::BadUrl { .. })
        ));
    }
}
