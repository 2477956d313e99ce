//! Injected faults: transient ones drawn per request from a seeded deterministic generator
//! (429 with and without `Retry-After`, 5xx, slow answers, stalled or dropped or truncated
//! bodies, listings that shift while they are paged, expired credentials) and permanent ones
//! tied to path prefixes (403, 401, malformed bodies, overcounted listings).
//!
//! The draw for a request depends only on the seed, the request line and how many times that
//! same request line was seen before, not on arrival order: a run with concurrent requests
//! meets the same faults on the same requests every time, and a retry gets a fresh draw.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

/// A transient fault kind, drawn per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Transient {
    /// 429 `RATE_LIMITED_TOKEN_BUCKET` with `Retry-After: 1`.
    TooManyRequests,
    /// 500 `UNEXPECTED_ERROR`.
    Internal,
    /// 502 from the load balancer, with an HTML body.
    BadGateway,
    /// 503 `SERVICE_UNAVAILABLE` with `Retry-After: 1`.
    Unavailable,
    /// 504 from the load balancer, with an HTML body.
    GatewayTimeout,
    /// The normal answer, after `slow-ms`.
    Slow,
    /// 200 headers and half the body, then the connection is cut.
    Drop,
    /// 429 `RATE_LIMITED` with no `Retry-After` and no bucket in the body: the client must
    /// choose its own wait.
    TooManyRequestsBare,
    /// 200 whose JSON body is cut in half, sent whole with a matching `Content-Length`: the
    /// transfer is clean, the JSON is not.
    Truncated,
    /// 200 headers and half the body, then nothing for `slow-ms`, then the cut: a body that
    /// stalls past the client's timeout.
    Stall,
    /// On a page after the first, the listing moves by one item for the rest of that pass: an
    /// item inserted before the page (its predecessor is served again) or one removed (an item
    /// is skipped). Only a listing's first pass is ever shifted; a re-read sees it whole.
    Shift,
    /// The credential expires under the request: the bearer token is revoked (401
    /// `INVALID_TOKEN`) or the digest nonce goes stale (401 with `stale=true`).
    Expire,
}

impl Transient {
    const ALL: [Transient; 12] = [
        Transient::TooManyRequests,
        Transient::Internal,
        Transient::BadGateway,
        Transient::Unavailable,
        Transient::GatewayTimeout,
        Transient::Slow,
        Transient::Drop,
        Transient::TooManyRequestsBare,
        Transient::Truncated,
        Transient::Stall,
        Transient::Shift,
        Transient::Expire,
    ];

    /// Every transient kind, in draw order.
    pub fn all() -> &'static [Transient] {
        &Self::ALL
    }

    /// The key in a fault spec and in `MockStats::faults_injected`.
    pub fn key(self) -> &'static str {
        match self {
            Transient::TooManyRequests => "429",
            Transient::Internal => "500",
            Transient::BadGateway => "502",
            Transient::Unavailable => "503",
            Transient::GatewayTimeout => "504",
            Transient::Slow => "slow",
            Transient::Drop => "drop",
            Transient::TooManyRequestsBare => "429-bare",
            Transient::Truncated => "truncated",
            Transient::Stall => "stall",
            Transient::Shift => "shift",
            Transient::Expire => "expire",
        }
    }
}

/// A permanent fault kind, applied to every request below a path prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permanent {
    /// 403: the credential lacks the role for this scope.
    Deny,
    /// 401 `USER_UNAUTHORIZED` after authentication succeeded (no challenge).
    Unauth,
    /// 200 with a body that is not valid JSON.
    Malformed,
    /// A listing whose `totalCount` is one more than the items it serves, as when an item is
    /// lost between Atlas counting and paging.
    Overcount,
}

impl Permanent {
    /// The key in a fault spec and in `MockStats::faults_injected`.
    pub fn key(self) -> &'static str {
        match self {
            Permanent::Deny => "deny",
            Permanent::Unauth => "unauth",
            Permanent::Malformed => "malformed",
            Permanent::Overcount => "overcount",
        }
    }
}

const VALID_KEYS: &str = "429, 429-bare, 500, 502, 503, 504, slow, stall, drop, truncated, shift, expire (probabilities 0..1), slow-ms, seed, deny, unauth, malformed, overcount (path prefixes)";

/// Which faults to inject. Parsed from `key=value,...`, e.g.
/// `500=0.05,429=0.02,slow=0.01,slow-ms=3000,seed=7,deny=/groups/X,malformed=/orgs/Y/teams`.
/// `slow-ms` is how long a `slow` answer waits and a `stall`ed body hangs.
/// The default injects nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    /// Probability of each transient kind per request; together at most 1.
    pub rates: Vec<(Transient, f64)>,
    /// How long a `slow` answer waits, and a `stall`ed body hangs before the cut.
    pub slow: Duration,
    /// Seed of the deterministic draws.
    pub seed: u64,
    /// Path prefixes (below `/api/atlas/v2`) with a permanent fault, in spec order.
    pub prefixes: Vec<(Permanent, String)>,
}

impl Default for FaultSpec {
    fn default() -> Self {
        FaultSpec {
            rates: Vec::new(),
            slow: Duration::from_millis(3000),
            seed: 0,
            prefixes: Vec::new(),
        }
    }
}

/// Why a fault spec could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FaultSpecError {
    /// A key that is not a fault kind.
    #[error("unknown fault `{key}`; valid keys: {VALID_KEYS}")]
    UnknownKey {
        /// The key as written.
        key: String,
    },
    /// A value that does not fit its key.
    #[error("invalid value `{value}` for fault `{key}`: expected {expected}")]
    BadValue {
        /// The key.
        key: String,
        /// The value as written.
        value: String,
        /// What the key takes.
        expected: &'static str,
    },
    /// An item without `=`.
    #[error("fault `{item}` has no value; write key=value (valid keys: {VALID_KEYS})")]
    MissingValue {
        /// The item as written.
        item: String,
    },
    /// Transient probabilities adding up to more than 1.
    #[error("fault probabilities add up to {sum}, more than 1")]
    TooLikely {
        /// Their sum.
        sum: f64,
    },
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let mut spec = FaultSpec::default();
        for item in input.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| FaultSpecError::MissingValue { item: item.into() })?;
            let bad = |expected| FaultSpecError::BadValue {
                key: key.into(),
                value: value.into(),
                expected,
            };
            if let Some(kind) = Transient::ALL.into_iter().find(|t| t.key() == key) {
                let p: f64 = value
                    .parse()
                    .ok()
                    .filter(|p: &f64| (0.0..=1.0).contains(p))
                    .ok_or_else(|| bad("a probability from 0 to 1"))?;
                spec.rates.retain(|(k, _)| *k != kind);
                spec.rates.push((kind, p));
                continue;
            }
            let permanent = match key {
                "deny" => Permanent::Deny,
                "unauth" => Permanent::Unauth,
                "malformed" => Permanent::Malformed,
                "overcount" => Permanent::Overcount,
                "slow-ms" => {
                    spec.slow = Duration::from_millis(
                        value.parse().map_err(|_| bad("milliseconds, an integer"))?,
                    );
                    continue;
                }
                "seed" => {
                    spec.seed = value.parse().map_err(|_| bad("an unsigned integer"))?;
                    continue;
                }
                _ => return Err(FaultSpecError::UnknownKey { key: key.into() }),
            };
            let prefix = value.strip_prefix("/api/atlas/v2").unwrap_or(value);
            if !prefix.starts_with('/') {
                return Err(bad("an API path prefix starting with /, e.g. /groups/<id>"));
            }
            spec.prefixes.push((permanent, prefix.to_owned()));
        }
        spec.rates.sort_by_key(|(k, _)| *k);
        let sum: f64 = spec.rates.iter().map(|(_, p)| p).sum();
        if sum > 1.0 + 1e-9 {
            return Err(FaultSpecError::TooLikely { sum });
        }
        Ok(spec)
    }
}

impl fmt::Display for FaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut items: Vec<String> = self
            .rates
            .iter()
            .map(|(k, p)| format!("{}={p}", k.key()))
            .collect();
        items.push(format!("slow-ms={}", self.slow.as_millis()));
        items.push(format!("seed={}", self.seed));
        items.extend(
            self.prefixes
                .iter()
                .map(|(k, p)| format!("{}={p}", k.key())),
        );
        f.write_str(&items.join(","))
    }
}

impl FaultSpec {
    /// Whether the spec injects anything at all.
    pub fn is_empty(&self) -> bool {
        self.rates.iter().all(|(_, p)| *p == 0.0) && self.prefixes.is_empty()
    }

    /// The first permanent fault whose prefix `path` starts with.
    pub fn permanent(&self, path: &str) -> Option<Permanent> {
        self.prefixes
            .iter()
            .find(|(_, prefix)| path.starts_with(prefix.as_str()))
            .map(|(kind, _)| *kind)
    }
}

/// How a shifted listing moved, for the rest of its first pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Shift {
    /// An item appeared before the current page: every later page starts one item earlier.
    Inserted,
    /// An item before the current page went away: every later page starts one item later.
    Removed,
}

/// Where a listing is in its passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// The first pass, shifted from some page on.
    Shifted(Shift),
    /// A later pass: never shifted again.
    Settled,
}

/// Draws transient faults for requests.
#[derive(Debug)]
pub(crate) struct FaultDice {
    spec: FaultSpec,
    /// How many times each request line was seen.
    attempts: Mutex<HashMap<String, u64>>,
    /// Listings (path and query without paging) whose first pass was shifted.
    passes: Mutex<HashMap<String, Pass>>,
}

impl FaultDice {
    /// Dice for a spec.
    pub fn new(spec: FaultSpec) -> Self {
        FaultDice {
            spec,
            attempts: Mutex::new(HashMap::new()),
            passes: Mutex::new(HashMap::new()),
        }
    }

    /// The shift in force for page `page_num` of `listing`, and whether it starts here. Page 1
    /// begins a pass: after a shifted pass, the listing is settled for good. A later page keeps
    /// its pass's shift, or starts one when `drawn` and the listing was never shifted. Which
    /// way it moves depends on the seed and the listing only.
    pub fn shift(&self, listing: &str, page_num: usize, drawn: bool) -> (Option<Shift>, bool) {
        let mut passes = self.passes.lock().unwrap_or_else(|e| e.into_inner());
        match (passes.get(listing).copied(), page_num) {
            (Some(Pass::Shifted(_)), 1) => {
                passes.insert(listing.to_owned(), Pass::Settled);
                (None, false)
            }
            (Some(Pass::Shifted(shift)), _) => (Some(shift), false),
            (None, 2..) if drawn => {
                let shift = if unit(self.spec.seed, listing, 0) < 0.5 {
                    Shift::Inserted
                } else {
                    Shift::Removed
                };
                passes.insert(listing.to_owned(), Pass::Shifted(shift));
                (Some(shift), true)
            }
            _ => (None, false),
        }
    }

    /// The spec.
    pub fn spec(&self) -> &FaultSpec {
        &self.spec
    }

    /// The transient fault (if any) for this occurrence of `request_line`.
    pub fn draw(&self, request_line: &str) -> Option<Transient> {
        if self.spec.rates.is_empty() {
            return None;
        }
        let attempt = {
            let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
            let n = attempts.entry(request_line.to_owned()).or_insert(0);
            *n += 1;
            *n
        };
        let u = unit(self.spec.seed, request_line, attempt);
        let mut edge = 0.0;
        for (kind, p) in &self.spec.rates {
            edge += p;
            if u < edge {
                return Some(*kind);
            }
        }
        None
    }
}

/// A uniform number in [0, 1) from (seed, text, attempt): FNV-1a over the text, then splitmix64.
fn unit(seed: u64, text: &str, attempt: u64) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ attempt.rotate_left(32);
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_full_grammar() {
        let spec: FaultSpec = "500=0.05, 503=0.05,429=0.02,502=0.01,504=0.01,slow=0.02,drop=0.02,\
                               429-bare=0.02,truncated=0.01,stall=0.01,shift=0.01,expire=0.01,\
                               slow-ms=10,seed=7,deny=/groups/g1,unauth=/orgs/o1/settings,\
                               malformed=/api/atlas/v2/groups/g2/databaseUsers"
            .parse()
            .unwrap();
        assert_eq!(spec.rates.len(), 12);
        assert_eq!(
            spec.rates.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
            Transient::all(),
            "every kind parsed, in draw order"
        );
        assert_eq!(spec.slow, Duration::from_millis(10));
        assert_eq!(spec.seed, 7);
        assert_eq!(spec.permanent("/groups/g1/events"), Some(Permanent::Deny));
        assert_eq!(spec.permanent("/orgs/o1/settings"), Some(Permanent::Unauth));
        assert_eq!(
            spec.permanent("/groups/g2/databaseUsers"),
            Some(Permanent::Malformed)
        );
        assert_eq!(spec.permanent("/groups/g3"), None);
        let again: FaultSpec = spec.to_string().parse().unwrap();
        assert_eq!(again, spec);
        assert!("".parse::<FaultSpec>().unwrap().is_empty());
    }

    #[test]
    fn errors_name_the_key_and_the_valid_ones() {
        let err = "501=0.1".parse::<FaultSpec>().unwrap_err().to_string();
        assert!(
            err.contains("`501`") && err.contains("slow-ms") && err.contains("malformed"),
            "{err}"
        );
        for kind in Transient::all() {
            assert!(
                err.contains(kind.key()),
                "{} missing from {err}",
                kind.key()
            );
        }
        let err = "429-bare=often"
            .parse::<FaultSpec>()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`429-bare`") && err.contains("probability"),
            "{err}"
        );
        let err = "429_bare=0.1".parse::<FaultSpec>().unwrap_err().to_string();
        assert!(err.contains("unknown fault `429_bare`"), "{err}");
        let err = "500=lots".parse::<FaultSpec>().unwrap_err().to_string();
        assert!(
            err.contains("`500`") && err.contains("probability"),
            "{err}"
        );
        let err = "500=1.5".parse::<FaultSpec>().unwrap_err().to_string();
        assert!(err.contains("`1.5`"), "{err}");
        let err = "deny=groups/x"
            .parse::<FaultSpec>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("starting with /"), "{err}");
        assert!("500".parse::<FaultSpec>().is_err());
        assert!("500=0.6,503=0.6".parse::<FaultSpec>().is_err());
    }

    #[test]
    fn draws_are_deterministic_and_near_their_rates() {
        let spec: FaultSpec = "500=0.1,drop=0.05,seed=3".parse().unwrap();
        let run = || {
            let dice = FaultDice::new(spec.clone());
            (0..4000)
                .map(|i| dice.draw(&format!("GET /x?pageNum={i}")))
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let count = |k| a.iter().filter(|d| **d == Some(k)).count();
        assert!(
            (320..=480).contains(&count(Transient::Internal)),
            "{}",
            count(Transient::Internal)
        );
        assert!(
            (140..=260).contains(&count(Transient::Drop)),
            "{}",
            count(Transient::Drop)
        );
        // A retry of the same request line draws again.
        let dice = FaultDice::new("500=0.5,seed=1".parse().unwrap());
        let draws: Vec<_> = (0..64).map(|_| dice.draw("GET /same")).collect();
        assert!(draws.iter().any(Option::is_some) && draws.iter().any(Option::is_none));
    }

    #[test]
    fn a_listing_shifts_in_its_first_pass_only() {
        let dice = FaultDice::new("shift=1,seed=5".parse().unwrap());
        let l = "/orgs/o/users?itemsPerPage=2";
        assert_eq!(dice.shift(l, 1, true), (None, false), "page 1 never shifts");
        let (shift, started) = dice.shift(l, 2, true);
        assert!(shift.is_some() && started);
        assert_eq!(dice.shift(l, 3, false), (shift, false), "held for the pass");
        assert_eq!(
            dice.shift(l, 3, true),
            (shift, false),
            "and not started twice"
        );
        // The re-read begins at page 1: settled from then on, whatever is drawn.
        assert_eq!(dice.shift(l, 1, true), (None, false));
        assert_eq!(dice.shift(l, 2, true), (None, false));
        assert_eq!(dice.shift(l, 3, true), (None, false));
        // Both directions occur across listings.
        let kinds: std::collections::HashSet<_> = (0..32)
            .filter_map(|i| dice.shift(&format!("/l{i}"), 2, true).0)
            .collect();
        assert_eq!(kinds.len(), 2, "{kinds:?}");
    }
}
