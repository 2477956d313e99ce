//! Whether a failed attempt is sent again, and when. Every way one attempt can fail is a
//! [`Failure`], classified in one place ([`Failure::retry`]); one [`RetryBudget`] per logical
//! request counts what its retries have spent and says whether to go on and after what wait.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::HeaderMap;

use super::error::{ApiErrorBody, AuthError};

/// Every way one attempt of a request can fail.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Atlas answered with an error status (a 401 that asks for no new round included).
    Status {
        /// The HTTP status.
        status: u16,
        /// The answer's `Retry-After`.
        retry_after: Option<Duration>,
        /// Atlas's error body, when it sent one.
        body: Option<Box<ApiErrorBody>>,
        /// The answer's headers (`X-Java-Method`, `Deprecation`, `RateLimit-Remaining`).
        headers: Box<HeaderMap>,
        /// The answer's body as sent.
        raw: Bytes,
        /// When the attempt was sent.
        sent_at: jiff::Timestamp,
    },
    /// No whole answer: the request could not be built, or connecting, waiting for the answer
    /// or reading its body failed.
    Transport(reqwest::Error),
    /// The body is not the JSON the endpoint promises.
    Decode(serde_json::Error),
    /// A 401 that asks for another authentication round: a digest challenge to answer (the
    /// first, a stale nonce, a refused reuse) or a bearer token to renew (expired or revoked).
    Challenged,
    /// Atlas refused a fresh digest answer: the credential itself; why, in a sentence.
    Refused(String),
    /// No token could be had for the service account.
    Token(AuthError),
}

/// Whether sending a request twice has the effect of sending it once: GET, PUT and DELETE are
/// (a repeated delete may answer 404, but changes nothing more); POST and PATCH are not.
pub(crate) fn idempotent(method: &reqwest::Method) -> bool {
    matches!(
        *method,
        reqwest::Method::GET
            | reqwest::Method::PUT
            | reqwest::Method::DELETE
            | reqwest::Method::HEAD
    )
}

/// What a failure calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// A passing failure: try again after the backoff, or the server's `Retry-After` if given.
    Backoff(Option<Duration>),
    /// The server pacing us (429): try again once the request's bucket gives it a turn.
    Paced(Option<Duration>),
    /// Authenticate afresh (answer the new challenge, fetch a new token) and send again at once.
    Reauthenticate,
    /// Give up: the same request will fail the same way.
    Never,
}

impl Failure {
    /// The one retry decision. Statuses: 429 is pacing; 408 and every 5xx pass; other 4xx mean
    /// the request itself is wrong or not allowed, and repeating it changes nothing. A request
    /// that could not be built fails the same way again; every other transport failure may
    /// pass. A body that is not JSON at all was cut short in transit and is sent for again;
    /// JSON of the wrong shape is what the endpoint answers. A refused credential or token
    /// request ends the request.
    pub fn retry(&self) -> Retry {
        match self {
            Failure::Status {
                status: 429,
                retry_after,
                ..
            } => Retry::Paced(*retry_after),
            Failure::Status {
                status: 408 | 500..=599,
                retry_after,
                ..
            } => Retry::Backoff(*retry_after),
            Failure::Status { .. } => Retry::Never,
            Failure::Transport(e) if e.is_builder() => Retry::Never,
            Failure::Transport(_) => Retry::Backoff(None),
            Failure::Decode(e) if e.is_data() => Retry::Never,
            Failure::Decode(_) => Retry::Backoff(None),
            Failure::Challenged => Retry::Reauthenticate,
            Failure::Refused(_) | Failure::Token(_) => Retry::Never,
        }
    }
}

impl Failure {
    /// The retry decision for a request that is `idempotent` or not. An idempotent request is
    /// decided by [`Failure::retry`]. One that is not may have been carried out by Atlas before
    /// its answer was lost (a 5xx, a timeout, a connection broken after sending): sending it
    /// again could act twice, so it ends there and is reported. What Atlas refused unprocessed
    /// is still sent again: a 429 (Atlas paced it), an authentication round, and a connection
    /// that could not be made at all (nothing was sent).
    pub fn retry_for(&self, idempotent: bool) -> Retry {
        let retry = self.retry();
        if idempotent {
            return retry;
        }
        match (self, retry) {
            (Failure::Transport(e), Retry::Backoff(_)) if e.is_connect() => retry,
            (_, Retry::Backoff(_)) => Retry::Never,
            _ => retry,
        }
    }
}

/// What the budget allows after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Send again at once with fresh authentication (not counted as a retry).
    Reauthenticate,
    /// Send again after this wait (zero: as soon as the request's bucket gives it a turn).
    Retry(Duration),
    /// Stop: the failure is the request's result.
    GiveUp,
}

/// What one logical request may spend on retries, and what it has spent. Failures that may
/// pass get `max_retries`; rate limiting is the server pacing us, not failing, so it has its
/// own, larger allowance and a long throttled run still completes; authentication rounds are
/// bounded like retries (each answers a new nonce or carries a new token, and a token can
/// expire under every request that carries it, not only this one).
#[derive(Debug)]
pub(crate) struct RetryBudget {
    max_retries: u32,
    backoff_base: Duration,
    backoff_max: Duration,
    /// Retries after failures that may pass.
    failed: u32,
    /// 429s answered.
    rate_limited: u32,
    /// Authentication rounds taken.
    auth_rounds: u32,
}

impl RetryBudget {
    /// A fresh budget: `max_retries` retries, backoff from `backoff_base` doubling up to
    /// `backoff_max` (which also caps a server's `Retry-After`).
    pub fn new(max_retries: u32, backoff_base: Duration, backoff_max: Duration) -> Self {
        RetryBudget {
            max_retries,
            backoff_base,
            backoff_max,
            failed: 0,
            rate_limited: 0,
            auth_rounds: 0,
        }
    }

    /// Spends what `retry` costs, and says what comes next.
    pub fn spend(&mut self, retry: Retry) -> Next {
        match retry {
            Retry::Never => Next::GiveUp,
            Retry::Reauthenticate if self.auth_rounds < self.max_retries + 3 => {
                self.auth_rounds += 1;
                Next::Reauthenticate
            }
            Retry::Reauthenticate => Next::GiveUp,
            Retry::Paced(server_wait) => {
                self.rate_limited += 1;
                if self.rate_limited > self.max_retries * 4 {
                    return Next::GiveUp;
                }
                Next::Retry(match server_wait {
                    // The 429 paused the request's bucket for its Retry-After: waiting for a
                    // turn there is the wait.
                    Some(_) => Duration::ZERO,
                    None => self.backoff(),
                })
            }
            Retry::Backoff(server_wait) => {
                if self.failed >= self.max_retries {
                    return Next::GiveUp;
                }
                self.failed += 1;
                Next::Retry(match server_wait {
                    Some(w) => w.min(self.backoff_max),
                    None => self.backoff(),
                })
            }
        }
    }

    /// Authentication rounds taken so far.
    pub fn auth_rounds(&self) -> u32 {
        self.auth_rounds
    }

    /// Exponential backoff with jitter: base·2^(n−1) for the n-th retry of either kind, capped,
    /// then a random point in its upper half.
    fn backoff(&self) -> Duration {
        let n = self.failed.max(self.rate_limited);
        let exp = self
            .backoff_base
            .saturating_mul(1u32 << n.saturating_sub(1).min(16));
        let capped = exp.min(self.backoff_max);
        capped.mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, retry_after: Option<Duration>) -> Failure {
        Failure::Status {
            status,
            retry_after,
            body: None,
            headers: Box::default(),
            raw: Bytes::new(),
            sent_at: jiff::Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn only_idempotent_calls_are_resent_after_a_failure_that_may_have_acted() {
        for s in [500, 502, 503, 504, 408] {
            assert_eq!(status(s, None).retry_for(true), Retry::Backoff(None), "{s}");
            assert_eq!(status(s, None).retry_for(false), Retry::Never, "{s}");
        }
        // Atlas refused a 429 unprocessed: every method waits and goes again.
        let wait = Some(Duration::from_secs(2));
        assert_eq!(status(429, wait).retry_for(false), Retry::Paced(wait));
        assert_eq!(status(429, wait).retry_for(true), Retry::Paced(wait));
        assert_eq!(Failure::Challenged.retry_for(false), Retry::Reauthenticate);
        assert_eq!(status(404, None).retry_for(true), Retry::Never);
        assert!(idempotent(&reqwest::Method::DELETE));
        assert!(idempotent(&reqwest::Method::PUT));
        assert!(!idempotent(&reqwest::Method::POST));
        assert!(!idempotent(&reqwest::Method::PATCH));
    }

    fn decode(body: &str) -> Failure {
        Failure::Decode(serde_json::from_str::<Vec<(String, u8)>>(body).unwrap_err())
    }

    #[test]
    fn retries_only_throttling_server_errors_and_timeouts() {
        let wait = Some(Duration::from_secs(3));
        for s in [408, 500, 502, 503, 504, 599] {
            assert_eq!(status(s, wait).retry(), Retry::Backoff(wait), "{s}");
        }
        assert_eq!(status(429, wait).retry(), Retry::Paced(wait));
        assert_eq!(status(429, None).retry(), Retry::Paced(None));
        for s in [400, 401, 403, 404, 406, 409, 410, 422] {
            assert_eq!(status(s, None).retry(), Retry::Never, "{s}");
        }
    }

    #[test]
    fn broken_json_is_retried_but_the_wrong_shape_is_not() {
        assert_eq!(decode(r#"[["a",1],["b""#).retry(), Retry::Backoff(None));
        assert_eq!(decode("<html>").retry(), Retry::Backoff(None));
        assert_eq!(decode(r#"[["a","one"]]"#).retry(), Retry::Never);
    }

    #[test]
    fn authentication_rounds_or_ends() {
        assert_eq!(Failure::Challenged.retry(), Retry::Reauthenticate);
        assert_eq!(Failure::Refused("no".into()).retry(), Retry::Never);
        assert_eq!(
            Failure::Token(AuthError::TokenRefused(401)).retry(),
            Retry::Never
        );
    }

    fn budget(max_retries: u32) -> RetryBudget {
        RetryBudget::new(
            max_retries,
            Duration::from_millis(100),
            Duration::from_secs(1),
        )
    }

    #[test]
    fn passing_failures_get_max_retries_with_growing_capped_waits() {
        let mut b = budget(5);
        let mut waits = Vec::new();
        while let Next::Retry(wait) = b.spend(Retry::Backoff(None)) {
            waits.push(wait);
        }
        assert_eq!(waits.len(), 5);
        for (n, wait) in waits.iter().enumerate() {
            let full = Duration::from_millis(100 << n).min(Duration::from_secs(1));
            assert!(*wait >= full / 2 && *wait <= full, "retry {n}: {wait:?}");
        }
        assert_eq!(b.spend(Retry::Backoff(None)), Next::GiveUp);
        // A server's wait is taken, capped.
        let mut b = budget(1);
        assert_eq!(
            b.spend(Retry::Backoff(Some(Duration::from_secs(60)))),
            Next::Retry(Duration::from_secs(1))
        );
    }

    #[test]
    fn rate_limiting_has_its_own_larger_allowance() {
        let mut b = budget(2);
        for _ in 0..8 {
            assert_eq!(
                b.spend(Retry::Paced(Some(Duration::from_secs(9)))),
                Next::Retry(Duration::ZERO),
                "the bucket's pause is the wait"
            );
        }
        assert_eq!(b.spend(Retry::Paced(None)), Next::GiveUp);
        // 429s spent none of the allowance for failures.
        let mut b = budget(2);
        for _ in 0..8 {
            b.spend(Retry::Paced(None));
        }
        assert!(matches!(b.spend(Retry::Backoff(None)), Next::Retry(_)));
        assert!(matches!(b.spend(Retry::Backoff(None)), Next::Retry(_)));
        assert_eq!(b.spend(Retry::Backoff(None)), Next::GiveUp);
    }

    #[test]
    fn authentication_rounds_are_bounded_apart_from_retries() {
        let mut b = budget(2);
        for _ in 0..5 {
            assert_eq!(b.spend(Retry::Reauthenticate), Next::Reauthenticate);
        }
        assert_eq!(b.spend(Retry::Reauthenticate), Next::GiveUp);
        assert_eq!(b.auth_rounds(), 5);
        assert!(matches!(b.spend(Retry::Backoff(None)), Next::Retry(_)));
        assert_eq!(b.spend(Retry::Never), Next::GiveUp);
    }
}
