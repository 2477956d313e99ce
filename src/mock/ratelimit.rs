//! Atlas's token-bucket rate limiting: one bucket per endpoint family and scope
//! ([`super::families`]), one token per API request, 429 with `Retry-After` and Atlas's
//! `RATE_LIMITED_TOKEN_BUCKET` body when it is empty. Each family has its own size and refill
//! ([`RateLimits`]), so a client that learns one bucket and paces everything to it is slow.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Instant;

use super::families::{self, Family};

/// A token bucket's size and refill.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Tokens the bucket holds when full (requests that can be made in a burst).
    pub capacity: u32,
    /// Tokens added per second.
    pub refill_per_sec: f64,
}

impl RateLimit {
    /// The refill as Atlas states it, in whole numbers: R tokens every D seconds
    /// (50/s → (50, 1); 0.5/s → (1, 2); 100/min → (5, 3)).
    pub fn refill_fraction(&self) -> (u64, u64) {
        let rate = self.refill_per_sec;
        for seconds in 1..=3600u64 {
            let tokens = rate * seconds as f64;
            if tokens >= 1.0 && (tokens - tokens.round()).abs() < 1e-6 {
                return (tokens.round() as u64, seconds);
            }
        }
        ((rate * 3600.0).round().max(1.0) as u64, 3600)
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (tokens, seconds) = self.refill_fraction();
        write!(f, "{tokens}/{seconds}s,burst={}", self.capacity)
    }
}

/// The item name for one bucket per caller shared by every family.
const ALL: &str = "all";

/// The limits of the simulated Atlas, per endpoint family. Written as comma-separated items
/// `[FAMILY=]N/PERIOD`, PERIOD being `s`, `min`, `Ks` or `Kmin` (N tokens every PERIOD), each
/// optionally followed by `,burst=M` for a capacity of M (default N):
/// `orgs=10/60s,events=300/60s,default=100/s`. A rate without a family is the `default` item,
/// the limit of every family the list does not name. `all=N/PERIOD`, alone, is one bucket per
/// caller for every request whatever its family (the simulated Atlas before endpoint sets).
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    /// Family name (or `default`, or `all`) → its limit.
    items: BTreeMap<&'static str, RateLimit>,
}

impl From<RateLimit> for RateLimits {
    /// The same limit for every family (the `default` item alone).
    fn from(limit: RateLimit) -> Self {
        RateLimits {
            items: BTreeMap::from([(families::DEFAULT.name, limit)]),
        }
    }
}

impl RateLimits {
    /// The limit of a family: its own item, else `default`'s; `None` for no limit.
    pub(crate) fn of(&self, family: &Family) -> Option<RateLimit> {
        self.items
            .get(family.name)
            .or_else(|| self.items.get(families::DEFAULT.name))
            .copied()
    }

    /// The one limit shared by every family (`all=`), if that is the configuration.
    pub(crate) fn shared(&self) -> Option<RateLimit> {
        self.items.get(ALL).copied()
    }
}

impl fmt::Display for RateLimits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self
            .items
            .iter()
            .map(|(name, limit)| format!("{name}={limit}"))
            .collect();
        f.write_str(&items.join(","))
    }
}

/// Why a rate-limit string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid rate limit `{input}`: {problem}; expected comma-separated items \
     [FAMILY=]N/PERIOD[,burst=M] with PERIOD s, min, Ks or Kmin (e.g. 50/s, 100/min,burst=20 \
     or orgs=10/60s,events=300/60s,default=100/s); families: {families}, or all=N/PERIOD alone \
     for one bucket per caller"
)]
pub struct RateLimitError {
    input: String,
    problem: String,
    families: String,
}

impl FromStr for RateLimits {
    type Err = RateLimitError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |problem: String| RateLimitError {
            input: input.to_owned(),
            problem,
            families: families::names(),
        };
        let mut items: BTreeMap<&'static str, RateLimit> = BTreeMap::new();
        let mut last: Option<&'static str> = None;
        for part in input.split(',').map(str::trim) {
            if let Some(burst) = part.strip_prefix("burst=") {
                let Some(name) = last else {
                    return Err(fail(format!("`{part}` must follow a rate")));
                };
                let capacity = burst
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|&b| b > 0)
                    .ok_or_else(|| fail(format!("in `{part}`, M must be a positive integer")))?;
                if let Some(limit) = items.get_mut(name) {
                    limit.capacity = capacity;
                }
                continue;
            }
            let (name, rate) = match part.split_once('=') {
                Some((name, rate)) => (name.trim(), rate),
                None => (families::DEFAULT.name, part),
            };
            let name = if name == ALL {
                ALL
            } else {
                families::named(name)
                    .ok_or_else(|| fail(format!("`{name}` in `{part}` is not a family")))?
                    .name
            };
            let limit = parse_rate(rate).map_err(|p| fail(format!("in `{part}`, {p}")))?;
            if items.insert(name, limit).is_some() {
                return Err(fail(format!("`{name}` is given twice")));
            }
            last = Some(name);
        }
        if items.contains_key(ALL) && items.len() > 1 {
            return Err(fail(
                "`all` stands for every family and must come alone".into(),
            ));
        }
        Ok(RateLimits { items })
    }
}

/// `N/PERIOD`: N tokens every PERIOD, a full bucket holding N.
fn parse_rate(rate: &str) -> Result<RateLimit, String> {
    let (count, period) = rate
        .split_once('/')
        .ok_or("the rate has no `/` (write N/PERIOD)")?;
    let count: f64 = count
        .trim()
        .parse()
        .map_err(|_| format!("the count `{}` is not a number", count.trim()))?;
    if !(count.is_finite() && count > 0.0) {
        return Err("the count must be positive".into());
    }
    let period = period.trim();
    let (multiple, unit_seconds) = if let Some(k) = period.strip_suffix("min") {
        (k, 60)
    } else if let Some(k) = period.strip_suffix("sec") {
        (k, 1)
    } else if let Some(k) = period.strip_suffix('m') {
        (k, 60)
    } else if let Some(k) = period.strip_suffix('s') {
        (k, 1)
    } else {
        return Err(format!("the period `{period}` is not s, min, Ks or Kmin"));
    };
    let multiple: u32 = if multiple.is_empty() {
        1
    } else {
        multiple.parse().ok().filter(|&k| k > 0).ok_or_else(|| {
            format!("the period `{period}` does not start with a positive whole number")
        })?
    };
    Ok(RateLimit {
        capacity: (count.ceil() as u32).max(1),
        refill_per_sec: count / f64::from(multiple * unit_seconds),
    })
}

/// What a request got from its bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// A token; `remaining` are left (for `RateLimit-Remaining`).
    Granted { remaining: u32 },
    /// None left; one will be available in `retry_after` seconds (at least 1).
    Denied { retry_after: u64 },
}

/// A request's charge against its bucket: which bucket, its limit, and the outcome.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Charge {
    /// The family (`all` when one bucket serves every family).
    pub family: &'static str,
    /// The endpoint set a 429 names: `api/atlas/v2` and the family's pattern.
    pub endpoint_set: String,
    /// `family scope`, the bucket's name in the counters.
    pub bucket: String,
    /// The bucket's size and refill.
    pub limit: RateLimit,
    /// Whether a token was granted.
    pub take: Take,
}

impl Charge {
    /// `RateLimit-Remaining`: tokens left after this request (0 when refused).
    pub fn remaining(&self) -> u32 {
        match self.take {
            Take::Granted { remaining } => remaining,
            Take::Denied { .. } => 0,
        }
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Every bucket of the simulated Atlas, created full on first use.
#[derive(Debug)]
pub(crate) struct Limiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limiter {
    /// Buckets of the given sizes, each starting full.
    pub fn new(limits: RateLimits) -> Self {
        Limiter {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// `GET /rateLimits` (`listRateLimits`): the endpoint sets of the scope the query names
    /// (`groupId`, `orgId`, else the caller), each with its bucket's shape. A set lists its
    /// family's pattern first (the name its 429s give) and then the served routes of that
    /// scope in the family; families with no route in the scope are left out, and so is
    /// everything under one shared `all=` bucket (the simulated Atlas before endpoint sets,
    /// which had no such endpoint). The shape of Atlas's own answer beyond its schema (how it
    /// writes paths, which sets a scope lists) is unverified.
    pub fn endpoint_sets(&self, query: Option<&str>) -> serde_json::Value {
        let param = |name: &str| {
            query?
                .split('&')
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        };
        let (prefix, scope) = if param("groupId").is_some() {
            (Some("/groups/{groupId}"), "GROUP")
        } else if param("orgId").is_some() {
            (Some("/orgs/{orgId}"), "ORGANIZATION")
        } else {
            (None, "USER")
        };
        let in_scope = |template: &str| match prefix {
            Some(p) => template.starts_with(p),
            None => !template.contains('{'),
        };
        let mut results = Vec::new();
        if self.limits.shared().is_none() {
            for family in families::FAMILIES {
                let Some(limit) = self.limits.of(family) else {
                    continue;
                };
                let routes: Vec<&str> = super::routes::ROUTES
                    .iter()
                    .chain(super::routes::CHECK_ROUTES)
                    .map(|r| r.template)
                    .filter(|t| in_scope(t) && families::family_of(Some(t)) == family)
                    .collect();
                if routes.is_empty() {
                    continue;
                }
                let (refill, seconds) = limit.refill_fraction();
                let endpoints: Vec<serde_json::Value> = std::iter::once(family.pattern)
                    .chain(routes)
                    .map(|t| serde_json::json!({"method": "GET", "path": format!("/api/atlas/v2{t}")}))
                    .collect();
                results.push(serde_json::json!({
                    "endpointSetId": family.name,
                    "endpointSetName": family.name,
                    "scope": scope,
                    "endpoints": endpoints,
                    "capacity": {"value": limit.capacity, "defaultValue": limit.capacity},
                    "refillRate": {"value": refill, "defaultValue": refill},
                    "refillDurationSeconds": {"value": seconds, "defaultValue": seconds},
                }));
            }
        }
        serde_json::json!({
            "links": [],
            "results": results,
        })
    }

    /// Charges a request for `api_path` (matching route `template`, if any) by caller `who`;
    /// `None` when its family has no limit.
    pub fn charge(&self, api_path: &str, template: Option<&str>, who: &str) -> Option<Charge> {
        self.charge_at(api_path, template, who, Instant::now())
    }

    /// The family, endpoint set, bucket name and limit of a request; `None` for no limit.
    fn locate(
        &self,
        api_path: &str,
        template: Option<&str>,
        who: &str,
    ) -> Option<(&'static str, String, String, RateLimit)> {
        if let Some(limit) = self.limits.shared() {
            return Some((
                ALL,
                "api/atlas/v2".to_owned(),
                format!("{ALL} caller:{who}"),
                limit,
            ));
        }
        let family = families::family_of(template);
        let limit = self.limits.of(family)?;
        let scope = families::scope_of(api_path, who);
        Some((
            family.name,
            format!("api/atlas/v2{}", family.pattern),
            format!("{} {scope}", family.name),
            limit,
        ))
    }

    fn charge_at(
        &self,
        api_path: &str,
        template: Option<&str>,
        who: &str,
        now: Instant,
    ) -> Option<Charge> {
        let (family, endpoint_set, name, limit) = self.locate(api_path, template, who)?;
        let capacity = f64::from(limit.capacity);
        let rate = limit.refill_per_sec;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(name.clone()).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.at = now;
        let take = if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Take::Granted {
                remaining: bucket.tokens.floor() as u32,
            }
        } else {
            let wait = (1.0 - bucket.tokens) / rate;
            Take::Denied {
                retry_after: (wait.ceil() as u64).max(1),
            }
        };
        let charge = Charge {
            family,
            endpoint_set,
            bucket: name,
            limit,
            take,
        };
        Some(charge)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limits(s: &str) -> RateLimits {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn of(l: &RateLimits, family: &str) -> Option<(u32, f64)> {
        l.of(families::named(family).unwrap())
            .map(|r| (r.capacity, r.refill_per_sec))
    }

    #[test]
    fn a_bare_rate_is_the_default_of_every_family() {
        let l = limits("50/s");
        assert_eq!(of(&l, "events"), Some((50, 50.0)));
        assert_eq!(of(&l, "default"), Some((50, 50.0)));
        let l = limits("100/min, burst=20");
        let (capacity, rate) = of(&l, "orgs").unwrap();
        assert_eq!(capacity, 20);
        assert!((rate - 100.0 / 60.0).abs() < 1e-9);
        assert_eq!(of(&limits("0.5/s"), "orgs"), Some((1, 0.5)));
        assert_eq!(l, RateLimits::from(l.of(&families::DEFAULT).unwrap()));
    }

    #[test]
    fn families_have_their_own_rates_periods_and_bursts() {
        let l = limits("orgs=10/60s,burst=5,events=300/60s,api-keys=3/2min,default=100/s");
        let (capacity, rate) = of(&l, "orgs").unwrap();
        assert_eq!(capacity, 5);
        assert!((rate - 10.0 / 60.0).abs() < 1e-9);
        assert_eq!(of(&l, "events"), Some((300, 5.0)));
        let (capacity, rate) = of(&l, "api-keys").unwrap();
        assert_eq!(capacity, 3);
        assert!((rate - 3.0 / 120.0).abs() < 1e-9);
        assert_eq!(of(&l, "clusters"), Some((100, 100.0)), "unnamed: default");
        // No default: families not named are not limited.
        assert_eq!(of(&limits("events=1/s"), "clusters"), None);
        assert_eq!(limits("all=25/s").shared().map(|r| r.capacity), Some(25));
        assert_eq!(limits("25/s").shared(), None);
    }

    #[test]
    fn errors_name_the_item_and_show_the_form() {
        for (bad, names) in [
            ("50", "`50`"),
            ("x/s", "`x`"),
            ("5/h", "`h`"),
            ("5/0s", "`0s`"),
            ("5/s,burst=0", "`burst=0`"),
            ("5/s,cap=3", "`cap`"),
            ("-1/s", "positive"),
            ("burst=3", "must follow a rate"),
            ("event=3/s", "`event`"),
            ("events=1/s,events=2/s", "twice"),
            ("all=1/s,orgs=2/s", "alone"),
        ] {
            let err = bad.parse::<RateLimits>().unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
            assert!(err.contains(names), "{bad}: {err}");
            assert!(err.contains("[FAMILY=]N/PERIOD"), "{err}");
            assert!(err.contains("org-users"), "lists the families: {err}");
        }
    }

    #[test]
    fn written_back_it_reads_the_same() {
        let l = limits("orgs=10/60s,burst=5,events=300/60s,default=100/s");
        assert_eq!(limits(&l.to_string()), l);
    }

    #[test]
    fn refill_is_stated_in_whole_numbers() {
        let f = |s: &str| limits(s).of(&families::DEFAULT).unwrap().refill_fraction();
        assert_eq!(f("50/s"), (50, 1));
        assert_eq!(f("0.5/s"), (1, 2));
        assert_eq!(f("100/min"), (5, 3));
        assert_eq!(f("5/min"), (1, 12));
        assert_eq!(f("10/60s"), (1, 6));
    }

    #[test]
    fn buckets_are_per_family_and_scope() {
        let limiter = Limiter::new(limits("events=2/s,org-users=1/min"));
        let t0 = Instant::now();
        let events =
            |path: &str, at| limiter.charge_at(path, Some("/orgs/{orgId}/events"), "k", at);
        let granted = |c: Option<Charge>| c.unwrap().take;
        assert_eq!(
            granted(events("/orgs/a/events", t0)),
            Take::Granted { remaining: 1 }
        );
        assert_eq!(
            granted(events("/orgs/a/events", t0)),
            Take::Granted { remaining: 0 }
        );
        let refused = events("/orgs/a/events", t0).unwrap();
        assert_eq!(refused.take, Take::Denied { retry_after: 1 });
        assert_eq!(refused.endpoint_set, "api/atlas/v2/orgs/{orgId}/events");
        assert_eq!(refused.bucket, "events org:a");
        // Another org, or another family of the same org, has its own bucket.
        assert_eq!(
            granted(events("/orgs/b/events", t0)),
            Take::Granted { remaining: 1 }
        );
        let users = limiter
            .charge_at("/orgs/a/users", Some("/orgs/{orgId}/users"), "k", t0)
            .unwrap();
        assert_eq!(users.take, Take::Granted { remaining: 0 });
        // A family with no limit is not charged.
        assert!(
            limiter
                .charge_at("/orgs/a/teams", Some("/orgs/{orgId}/teams"), "k", t0)
                .is_none()
        );
        let later = t0 + Duration::from_millis(500);
        assert_eq!(
            granted(events("/orgs/a/events", later)),
            Take::Granted { remaining: 0 }
        );
        let users = limiter.charge_at("/orgs/a/users", Some("/orgs/{orgId}/users"), "k", t0);
        assert_eq!(users.unwrap().take, Take::Denied { retry_after: 60 });
    }

    #[test]
    fn all_is_one_bucket_per_caller() {
        let limiter = Limiter::new(limits("all=1/s"));
        let t0 = Instant::now();
        let a = limiter
            .charge_at("/orgs/a/users", Some("/orgs/{orgId}/users"), "k", t0)
            .unwrap();
        assert_eq!(
            (a.bucket.as_str(), a.take),
            ("all caller:k", Take::Granted { remaining: 0 })
        );
        let b = limiter
            .charge_at(
                "/groups/g/events",
                Some("/groups/{groupId}/events"),
                "k",
                t0,
            )
            .unwrap();
        assert_eq!(b.take, Take::Denied { retry_after: 1 });
        assert_eq!(b.endpoint_set, "api/atlas/v2");
        let other = limiter.charge_at("/orgs", Some("/orgs"), "j", t0).unwrap();
        assert_eq!(other.take, Take::Granted { remaining: 0 });
    }
}
