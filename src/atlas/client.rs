//! The Atlas client: its options, what it is built from, and what it has learned and counted.
//! The request path is in `request`, the retry decision in `retry`, paging in `paging`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::Semaphore;
use url::Url;

use super::auth::{Authenticator, Credentials};
use super::endpoint::Endpoint;
use super::error::{AtlasError, HttpError};
use super::throttle::{LearnedLimit, Throttle};
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
    #[error("base URL {url:?} is not a URL (give e.g. https://cloud.mongodb.com)")]
    BadUrl {
        /// As given.
        url: String,
        /// The parser's error.
        #[source]
        cause: url::ParseError,
    },
    /// The base URL is not for HTTP.
    #[error(
        "base URL {url:?} uses scheme {scheme:?}, not http or https; give e.g. https://cloud.mongodb.com"
    )]
    BadScheme {
        /// As given.
        url: String,
        /// Its scheme.
        scheme: String,
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
    #[error("could not start the HTTP client")]
    Http(#[source] HttpError),
}

/// The Atlas Administration API v2 client.
pub struct Client {
    pub(super) http: reqwest::Client,
    pub(super) base: Url,
    pub(super) auth: Authenticator,
    pub(super) throttle: Throttle,
    pub(super) permits: Semaphore,
    pub(super) options: ClientOptions,
    tallies: Mutex<BTreeMap<&'static str, EndpointTally>>,
    /// The read endpoints Atlas has said are deprecated, each logged once.
    deprecated: Mutex<std::collections::BTreeSet<&'static str>>,
    /// Set when Atlas refused the credential itself: every later request fails at once with it.
    pub(super) refused: OnceLock<String>,
}

/// Checks a base URL: it must parse, and plain HTTP is for loopback only.
///
/// # Errors
/// [`ClientError::BadUrl`] or [`ClientError::InsecureUrl`].
pub fn check_base_url(raw: &str) -> Result<Url, ClientError> {
    let url = Url::parse(raw.trim_end_matches('/')).map_err(|cause| ClientError::BadUrl {
        url: raw.into(),
        cause,
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
        other => Err(ClientError::BadScheme {
            url: raw.into(),
            scheme: other.into(),
        }),
    }
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
            .map_err(|e| ClientError::Http(e.into()))?;
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
            deprecated: Mutex::new(std::collections::BTreeSet::new()),
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

    pub(super) fn refused_error(&self, endpoint: &Endpoint, url: &str, detail: &str) -> AtlasError {
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

    /// Logs, once per endpoint, a read that Atlas answered as deprecated (`Deprecation`,
    /// `Sunset`): the collection still works, but the endpoint goes away at its sunset and the
    /// population it reads with it.
    pub(super) fn note_deprecation(
        &self,
        endpoint: &Endpoint,
        headers: &reqwest::header::HeaderMap,
    ) {
        let (deprecation, sunset) = (
            super::request::header(headers, "deprecation"),
            super::request::header(headers, "sunset"),
        );
        if deprecation.is_none() && sunset.is_none() {
            return;
        }
        let first = self
            .deprecated
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(endpoint.name);
        if first {
            tracing::warn!(
                operation = endpoint.name,
                deprecation = deprecation.as_deref().unwrap_or("-"),
                sunset = sunset.as_deref().unwrap_or("-"),
                "Atlas marks this read endpoint deprecated; what it reads can no longer be collected after its sunset"
            );
        }
    }

    pub(super) fn tally(&self, endpoint: &Endpoint, f: impl FnOnce(&mut EndpointTally)) {
        let mut t = self.tallies.lock().unwrap_or_else(|p| p.into_inner());
        f(t.entry(endpoint.name).or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Err(ClientError::BadScheme { .. })
        ));
        assert!(matches!(
            check_base_url("not a url"),
            Err(ClientError::BadUrl { .. })
        ));
    }
}
