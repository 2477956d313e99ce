//! Counters of what the simulated Atlas received and answered, so tests and benchmarks can
//! assert how a client behaved (how many requests, which routes, how many retries provoked).

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

/// A snapshot of the server's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MockStats {
    /// Every HTTP request received, whatever its path or outcome.
    pub requests: u64,
    /// Responses by HTTP status. A dropped, stalled or truncated answer counts under the 200 it
    /// started with.
    pub by_status: BTreeMap<u16, u64>,
    /// Complete 2xx answers of API routes, by route template
    /// (`"GET /orgs/{orgId}/users"`); dropped and malformed answers are not counted.
    pub by_route: BTreeMap<String, u64>,
    /// Injected faults by kind: `"429"`, `"429-bare"`, `"500"`, `"502"`, `"503"`, `"504"`,
    /// `"slow"`, `"stall"`, `"drop"`, `"truncated"`, `"expire"`, `"shift"` (once per shifted
    /// pass), `"deny"`, `"unauth"`, `"malformed"`, `"overcount"`.
    pub faults_injected: BTreeMap<String, u64>,
    /// Digest challenges sent (401 with `WWW-Authenticate: Digest`), stale ones included.
    pub digest_challenges: u64,
    /// Challenges sent with `stale=true` (unknown or used-up nonce).
    pub stale_nonces: u64,
    /// Single-use nonces answered a second time and refused (`stale=false`).
    pub reused_nonces_refused: u64,
    /// OAuth access tokens issued.
    pub tokens_issued: u64,
    /// Requests refused by the rate limiter (not counting injected 429s).
    pub rate_limited: u64,
    /// The same, by endpoint family (`"events"`; `"all"` under one shared bucket).
    pub rate_limited_by_family: BTreeMap<String, u64>,
    /// Tokens granted, by bucket (`"events org:ID"`, `"orgs caller:KEY"`): the requests each
    /// bucket let through. Only limited families have buckets.
    pub requests_by_bucket: BTreeMap<String, u64>,
    /// API requests whose `Accept` did not name the route's version (refused with 406 only
    /// when `strict_accept` is set, counted either way).
    pub wrong_accept: u64,
    /// Refused credentials: wrong digest password or user, replayed `nc`, unknown or expired
    /// bearer token, bad client credentials at the token endpoint.
    pub auth_failures: u64,
    /// Every write that got past authentication, the rate limiter and injected faults, in
    /// the order it was applied, with the status it was answered.
    pub writes: Vec<WriteRecord>,
}

/// One write the simulated Atlas took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WriteRecord {
    /// `DELETE`, `POST`, `PATCH` or `PUT`.
    pub method: String,
    /// The path below `/api/atlas/v2`, as sent (percent-encoded).
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<serde_json::Value>,
    /// The status answered.
    pub status: u16,
}

impl MockStats {
    /// The writes Atlas carried out (2xx), as `METHOD path` lines.
    pub fn applied_writes(&self) -> Vec<String> {
        self.writes
            .iter()
            .filter(|w| (200..300).contains(&w.status))
            .map(|w| format!("{} {}", w.method, w.path))
            .collect()
    }
}

/// The live counters behind a lock.
#[derive(Debug, Default)]
pub(crate) struct Recorder(Mutex<MockStats>);

impl Recorder {
    /// Applies a change to the counters.
    pub fn update(&self, change: impl FnOnce(&mut MockStats)) {
        let mut stats = self.0.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut stats);
    }

    /// Counts one injected fault.
    pub fn fault(&self, key: &str) {
        self.update(|s| *s.faults_injected.entry(key.to_owned()).or_insert(0) += 1);
    }

    /// A copy of the counters.
    pub fn snapshot(&self) -> MockStats {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
