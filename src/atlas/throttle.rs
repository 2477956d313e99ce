//! Client-side pacing. Atlas limits requests with token buckets whose size and refill it reveals
//! in its 429 answers (`parameters: [path, retryAfter, capacity, refillRate, refillSeconds]`) and
//! partly in `RateLimit-Limit` / `RateLimit-Remaining`. The throttle starts unpaced, learns the
//! bucket from the first 429, and from then on spaces requests so that the server's bucket never
//! runs dry: one 429 per run instead of one per burst.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A learned token bucket, shared by every request of a client.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Learned bucket: capacity and tokens per second.
    bucket: Option<(f64, f64)>,
    tokens: f64,
    updated: Option<Instant>,
    /// Nobody sends before this (a server's `Retry-After`).
    paused_until: Option<Instant>,
}

impl State {
    fn refill(&mut self, now: Instant) {
        if let (Some((capacity, rate)), Some(updated)) = (self.bucket, self.updated) {
            let elapsed = now.saturating_duration_since(updated).as_secs_f64();
            self.tokens = (self.tokens + elapsed * rate).min(capacity);
        }
        self.updated = Some(now);
    }

    /// How long to wait before a token is free; takes it when none.
    fn try_take(&mut self, now: Instant) -> Option<Duration> {
        if let Some(until) = self.paused_until {
            if now < until {
                return Some(until - now);
            }
            self.paused_until = None;
        }
        let (_, rate) = self.bucket?;
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            None
        } else {
            Some(Duration::from_secs_f64((1.0 - self.tokens) / rate))
        }
    }
}

impl Throttle {
    /// Waits until a request may be sent, and counts it.
    pub async fn acquire(&self) {
        loop {
            let wait = {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                state.try_take(Instant::now())
            };
            match wait {
                None => return,
                Some(d) => tokio::time::sleep(d).await,
            }
        }
    }

    /// Learns from a successful response's `RateLimit-Remaining`: the server knows better how
    /// many tokens are left (other clients may share the bucket). The header is a whole number
    /// rounded down, taken before this response travelled back: while pacing at the refill rate
    /// it reads 0 almost always, so it only lowers our count by what exceeds it by a token.
    pub fn observe_remaining(&self, remaining: Option<u64>) {
        let Some(remaining) = remaining else { return };
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.bucket.is_some() {
            state.refill(Instant::now());
            state.tokens = state.tokens.min(remaining as f64 + 1.0);
        }
    }

    /// Learns from a 429: pause everyone for `Retry-After`, and adopt the bucket if the body
    /// described it.
    pub fn observe_limited(&self, retry_after: Option<Duration>, bucket: Option<(f64, f64)>) {
        let now = Instant::now();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((capacity, rate)) = bucket
            && capacity >= 1.0
            && rate > 0.0
        {
            state.bucket = Some((capacity, rate));
        }
        state.tokens = 0.0;
        state.updated = Some(now);
        if let Some(wait) = retry_after {
            let until = now + wait;
            state.paused_until = Some(state.paused_until.map_or(until, |u| u.max(until)));
        }
    }

    /// The learned bucket (capacity, tokens per second), for logs and tests.
    pub fn learned(&self) -> Option<(f64, f64)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).bucket
    }
}

/// Reads the bucket out of a 429 body's `parameters`: `[path, retryAfter, capacity, refill, seconds]`.
pub(crate) fn bucket_from_parameters(parameters: &[serde_json::Value]) -> Option<(f64, f64)> {
    let number = |i: usize| parameters.get(i).and_then(serde_json::Value::as_f64);
    let (capacity, refill, seconds) = (number(2)?, number(3)?, number(4)?);
    (seconds > 0.0).then_some((capacity, refill / seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_atlas_429_parameters() {
        let p: Vec<serde_json::Value> =
            serde_json::from_str(r#"["api/atlas/v2/orgs",55,10,5,60]"#).unwrap();
        let (capacity, rate) = bucket_from_parameters(&p).unwrap();
        assert_eq!(capacity, 10.0);
        assert!((rate - 5.0 / 60.0).abs() < 1e-9);
        assert!(bucket_from_parameters(&p[..3]).is_none());
    }

    #[test]
    fn paces_after_learning_the_bucket() {
        let mut s = State {
            bucket: Some((2.0, 10.0)),
            tokens: 2.0,
            ..Default::default()
        };
        let t0 = Instant::now();
        assert!(s.try_take(t0).is_none());
        assert!(s.try_take(t0).is_none());
        let wait = s.try_take(t0).expect("bucket empty");
        assert!((wait.as_secs_f64() - 0.1).abs() < 1e-6, "{wait:?}");
        assert!(s.try_take(t0 + Duration::from_millis(100)).is_none());
    }

    #[test]
    fn a_zero_remaining_header_does_not_erase_the_refill() {
        let throttle = Throttle::default();
        throttle.observe_limited(None, Some((10.0, 1000.0)));
        std::thread::sleep(Duration::from_millis(5));
        throttle.observe_remaining(Some(0));
        let mut state = throttle.state.lock().unwrap();
        state.refill(Instant::now());
        assert!(
            state.tokens >= 1.0,
            "a token's worth of refill survives: {}",
            state.tokens
        );
        assert!(state.tokens <= 10.0);
    }

    #[test]
    fn unpaced_until_a_429_teaches_it() {
        let mut s = State::default();
        for _ in 0..1000 {
            assert!(s.try_take(Instant::now()).is_none());
        }
    }
}
