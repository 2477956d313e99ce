//! Atlas's token-bucket rate limiting: one bucket per caller (public key or client id), one
//! token per API request, 429 with `Retry-After` and Atlas's `RATE_LIMITED_TOKEN_BUCKET` body
//! when it is empty.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Instant;

/// A token bucket's size and refill: `"50/s"` (capacity 50, refilled 50 per second),
/// `"600/min"`, or either with `",burst=M"` for a capacity of M.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Tokens the bucket holds when full (requests that can be made in a burst).
    pub capacity: u32,
    /// Tokens added per second.
    pub refill_per_sec: f64,
}

/// Why a rate-limit string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid rate limit `{input}`: {problem}; expected N/s or N/min, optionally followed by \
     ,burst=M (e.g. 50/s or 100/min,burst=20)"
)]
pub struct RateLimitError {
    input: String,
    problem: String,
}

impl FromStr for RateLimit {
    type Err = RateLimitError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let fail = |problem: &str| RateLimitError {
            input: input.to_owned(),
            problem: problem.to_owned(),
        };
        let mut parts = input.split(',').map(str::trim);
        let rate = parts.next().unwrap_or_default();
        let (count, unit) = rate
            .split_once('/')
            .ok_or_else(|| fail("the rate has no `/`"))?;
        let count: f64 = count
            .trim()
            .parse()
            .map_err(|_| fail("the count is not a number"))?;
        if !(count.is_finite() && count > 0.0) {
            return Err(fail("the count must be positive"));
        }
        let per_sec = match unit.trim() {
            "s" | "sec" => count,
            "m" | "min" => count / 60.0,
            _ => return Err(fail("the unit must be s or min")),
        };
        let mut capacity = (count.ceil() as u32).max(1);
        for part in parts {
            let burst = part
                .strip_prefix("burst=")
                .ok_or_else(|| fail("only burst=M may follow the rate"))?;
            capacity = burst
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|&b| b > 0)
                .ok_or_else(|| fail("burst must be a positive integer"))?;
        }
        Ok(RateLimit {
            capacity,
            refill_per_sec: per_sec,
        })
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/s,burst={}", self.refill_per_sec, self.capacity)
    }
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

/// What a request got from its bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// A token; `remaining` are left (for `RateLimit-Remaining`).
    Granted { remaining: u32 },
    /// None left; one will be available in `retry_after` seconds (at least 1).
    Denied { retry_after: u64 },
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// One bucket per caller identity.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limiter {
    /// Buckets of the given size, each starting full.
    pub fn new(limit: RateLimit) -> Self {
        Limiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The configured limit.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    /// Takes a token from `who`'s bucket.
    pub fn take(&self, who: &str) -> Take {
        self.take_at(who, Instant::now())
    }

    fn take_at(&self, who: &str, now: Instant) -> Take {
        let capacity = f64::from(self.limit.capacity);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets.entry(who.to_owned()).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.limit.refill_per_sec).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Take::Granted {
                remaining: bucket.tokens.floor() as u32,
            }
        } else {
            let wait = (1.0 - bucket.tokens) / self.limit.refill_per_sec;
            Take::Denied {
                retry_after: (wait.ceil() as u64).max(1),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn parses_rates_and_bursts() {
        let r: RateLimit = "50/s".parse().unwrap();
        assert_eq!((r.capacity, r.refill_per_sec), (50, 50.0));
        let r: RateLimit = "100/min, burst=20".parse().unwrap();
        assert_eq!(r.capacity, 20);
        assert!((r.refill_per_sec - 100.0 / 60.0).abs() < 1e-9);
        let r: RateLimit = "0.5/s".parse().unwrap();
        assert_eq!(r.capacity, 1);
        for bad in ["50", "x/s", "5/h", "5/s,burst=0", "5/s,cap=3", "-1/s"] {
            let err = bad.parse::<RateLimit>().unwrap_err().to_string();
            assert!(err.contains(bad) && err.contains("N/s"), "{err}");
        }
    }

    #[test]
    fn refill_is_stated_in_whole_numbers() {
        let f = |s: &str| s.parse::<RateLimit>().unwrap().refill_fraction();
        assert_eq!(f("50/s"), (50, 1));
        assert_eq!(f("0.5/s"), (1, 2));
        assert_eq!(f("100/min"), (5, 3));
        assert_eq!(f("5/min"), (1, 12));
    }

    #[test]
    fn bucket_empties_and_refills() {
        let limiter = Limiter::new("2/s".parse().unwrap());
        let t0 = Instant::now();
        assert_eq!(limiter.take_at("k", t0), Take::Granted { remaining: 1 });
        assert_eq!(limiter.take_at("k", t0), Take::Granted { remaining: 0 });
        assert_eq!(limiter.take_at("k", t0), Take::Denied { retry_after: 1 });
        // Another caller has its own bucket.
        assert_eq!(limiter.take_at("other", t0), Take::Granted { remaining: 1 });
        let later = t0 + Duration::from_millis(500);
        assert_eq!(limiter.take_at("k", later), Take::Granted { remaining: 0 });

        let slow = Limiter::new("1/min".parse().unwrap());
        assert_eq!(slow.take_at("k", t0), Take::Granted { remaining: 0 });
        assert_eq!(slow.take_at("k", t0), Take::Denied { retry_after: 60 });
    }
}
