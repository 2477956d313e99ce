//! Client-side pacing, keyed the way Atlas keys its token buckets: by endpoint set and scope
//! (org, project, or the caller). Before anything is known, a request's set is its endpoint's
//! path template and its scope the org or project its path names; such a bucket is not paced.
//!
//! A 429 teaches (`parameters: [set, retryAfter, capacity, refillRate, refillSeconds]`, or the
//! same read from `detail`): the endpoint belongs to the set it names, so endpoints sharing a
//! set share its bucket per scope from then on; the set's capacity and refill pace every scope's
//! bucket of the set; and its `Retry-After` pauses that one bucket while every other bucket goes
//! on at full speed. `RateLimit-Limit` teaches a set's capacity and `RateLimit-Remaining` lowers
//! a bucket's count when the server knows of fewer tokens. A 429 on a bucket that still held
//! most of its tokens means the server's bucket is wider than one org or project: the set is
//! keyed by caller alone from then on.
//!
//! A request reserves its turn: it takes a token now if there is one, or the next one to come,
//! and sleeps once until then. A 429 resets its bucket and wakes the sleepers to queue again.
//! Once the request also holds a concurrency permit it confirms its turn just before it is
//! sent: a turn taken before its bucket was reset or its endpoint's set was learned is taken
//! again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::error::ApiErrorBody;

/// What the client has learned of one endpoint set, for logs and tests.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnedLimit {
    /// The endpoint set, ids replaced by `{}` (`/orgs/{}/events`); an endpoint the server has
    /// not yet named a set for stands for itself.
    pub endpoint_set: String,
    /// The endpoint templates known to belong to the set.
    pub templates: Vec<&'static str>,
    /// Buckets of the set in use: one per org, project or caller.
    pub scopes: usize,
    /// Tokens of a full bucket, from a 429 body or `RateLimit-Limit`.
    pub capacity: Option<f64>,
    /// Tokens added per second, from a 429 body.
    pub per_second: Option<f64>,
    /// Whether the set is keyed by caller alone (the server's bucket spans orgs and projects).
    pub caller_wide: bool,
}

/// Pace at this share of a learned refill rate. The local count starts no later than the
/// server's (a bucket is reset when its 429 arrives, after the server emptied it) and every
/// request arrives after it was sent, so exact pacing should not outrun the server; but
/// requests overtake each other on the way, and a bucket emptied by many scopes at once sits
/// at zero. Measured on the `large` collect benchmark (3 runs each): at 1.00 one bucket per
/// caller answered 41–46 429s and took 1.012–1.055× its floor; at 0.99, 17–36 and 1.010× every
/// run, for a cost of about 1% where buckets are per scope (1.011–1.012× against 1.004–1.008×).
const PACE: f64 = 0.99;

/// Requests sharing one server-side bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct BucketKey {
    set: String,
    /// `org:ID`, `project:ID`, or empty for the caller.
    scope: String,
}

/// A request's turn in its bucket.
#[derive(Debug, Clone)]
pub(crate) struct Ticket {
    key: BucketKey,
    /// The bucket's epoch when the turn was taken.
    epoch: u64,
    /// Tokens the paced bucket still held besides this request's when it was confirmed (a 429
    /// despite many is the sign of a wider server bucket).
    spare: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Shape {
    capacity: f64,
    /// Tokens per second.
    rate: f64,
}

#[derive(Debug, Default)]
struct SetInfo {
    /// From a 429 body.
    shape: Option<Shape>,
    /// From `RateLimit-Limit`.
    capacity: Option<f64>,
    caller_wide: bool,
}

#[derive(Debug)]
struct Bucket {
    /// Tokens left, negative when turns are reserved ahead; meaningful once `paced`.
    tokens: f64,
    updated: Instant,
    /// Whether the set's shape is known and `tokens` counts.
    paced: bool,
    /// Requests sent (confirmed) before the bucket was paced: a full bucket less these is the
    /// fewest tokens the server can hold for it.
    sent_unpaced: u64,
    /// Nobody of this bucket sends before this (a server's `Retry-After`).
    paused_until: Option<Instant>,
    /// Changes when the bucket is reset, so reserved turns are taken again.
    epoch: u64,
    wake: Arc<Notify>,
}

impl Bucket {
    fn new(now: Instant) -> Bucket {
        Bucket {
            tokens: 0.0,
            updated: now,
            paced: false,
            sent_unpaced: 0,
            paused_until: None,
            epoch: 0,
            wake: Arc::new(Notify::new()),
        }
    }

    fn refill(&mut self, now: Instant, shape: Shape) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * shape.rate * PACE).min(shape.capacity);
        self.updated = now;
    }

    /// Starts counting tokens: whatever the server refilled, it holds at least a full bucket
    /// less what was sent.
    fn pace(&mut self, now: Instant, shape: Shape) {
        if !self.paced {
            self.paced = true;
            self.tokens = (shape.capacity - self.sent_unpaced as f64).max(0.0);
            self.updated = now;
        }
    }

    /// Every reserved turn is void: sleepers queue again.
    fn reset(&mut self) {
        self.epoch += 1;
        self.wake.notify_waiters();
    }
}

/// A reserved turn in the future.
struct Wait {
    until: Instant,
    wake: Arc<Notify>,
}

#[derive(Debug, Default)]
struct State {
    /// Endpoint template → the set a 429 named for it.
    membership: HashMap<&'static str, String>,
    sets: HashMap<String, SetInfo>,
    buckets: HashMap<BucketKey, Bucket>,
}

impl State {
    fn key(&self, template: &'static str, path: &str) -> BucketKey {
        let set = self
            .membership
            .get(template)
            .cloned()
            .unwrap_or_else(|| endpoint_set(template, None));
        let caller_wide = self.sets.get(&set).is_some_and(|s| s.caller_wide);
        let scope = match scope_of(path) {
            Some((kind, id)) if !caller_wide => format!("{kind}:{id}"),
            _ => String::new(),
        };
        BucketKey { set, scope }
    }

    fn shape(&self, set: &str) -> Option<Shape> {
        self.sets.get(set).and_then(|s| s.shape)
    }

    /// Takes a turn in the request's bucket: now, or a reserved one later.
    fn reserve(
        &mut self,
        template: &'static str,
        path: &str,
        now: Instant,
    ) -> (Ticket, Option<Wait>) {
        let key = self.key(template, path);
        let shape = self.shape(&key.set);
        let bucket = self
            .buckets
            .entry(key.clone())
            .or_insert_with(|| Bucket::new(now));
        let mut until = bucket
            .paused_until
            .filter(|until| *until > now)
            .unwrap_or(now);
        if let Some(shape) = shape {
            bucket.pace(now, shape);
            bucket.refill(now, shape);
            if bucket.tokens < 1.0 {
                let refill = (1.0 - bucket.tokens) / (shape.rate * PACE);
                until = until.max(now + Duration::from_secs_f64(refill));
            }
            bucket.tokens -= 1.0;
        }
        let ticket = Ticket {
            key,
            epoch: bucket.epoch,
            spare: None,
        };
        let wait = (until > now).then(|| Wait {
            until,
            wake: Arc::clone(&bucket.wake),
        });
        (ticket, wait)
    }

    /// Whether a turn still stands just before its request is sent; counts the request.
    fn confirm(
        &mut self,
        ticket: &mut Ticket,
        template: &'static str,
        path: &str,
        now: Instant,
    ) -> bool {
        if self.key(template, path) != ticket.key {
            return false;
        }
        let shape = self.shape(&ticket.key.set);
        let Some(bucket) = self.buckets.get_mut(&ticket.key) else {
            return false;
        };
        if bucket.epoch != ticket.epoch {
            return false;
        }
        match shape {
            Some(shape) if bucket.paced => {
                bucket.refill(now, shape);
                ticket.spare = Some(bucket.tokens);
            }
            _ => bucket.sent_unpaced += 1,
        }
        true
    }
}

/// Every bucket of one client.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    state: Mutex<State>,
}

impl Throttle {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a turn in the bucket of a request for `path` (below `/api/atlas/v2`) of the
    /// endpoint `template`. `before_wait` runs before any wait (to give back what the request
    /// should not hold while it waits).
    pub async fn acquire(
        &self,
        template: &'static str,
        path: &str,
        mut before_wait: impl FnMut(),
    ) -> Ticket {
        loop {
            let (ticket, wait) = self.lock().reserve(template, path, Instant::now());
            let Some(wait) = wait else { return ticket };
            before_wait();
            let woken = wait.wake.notified();
            tokio::select! {
                () = tokio::time::sleep_until(tokio::time::Instant::from_std(wait.until)) => {}
                () = woken => {}
            }
            let still = self
                .lock()
                .buckets
                .get(&ticket.key)
                .is_some_and(|b| b.epoch == ticket.epoch);
            if still {
                return ticket;
            }
        }
    }

    /// Confirms a turn once its request holds a concurrency permit, just before it is sent:
    /// `false` when the bucket was reset or the endpoint's set learned meanwhile, and the turn
    /// must be taken again.
    pub fn confirm(&self, ticket: &mut Ticket, template: &'static str, path: &str) -> bool {
        self.lock().confirm(ticket, template, path, Instant::now())
    }

    /// Learns from the rate-limit headers of an answer that is not a 429: `RateLimit-Limit` is
    /// the set's capacity; `RateLimit-Remaining` is what the server's bucket holds (other
    /// clients may share it). That header is a whole number rounded down, taken before the
    /// answer travelled back: while pacing at the refill rate it reads 0 almost always, so it
    /// only lowers the count by what exceeds it by a token.
    pub fn observe_headers(&self, ticket: &Ticket, limit: Option<u64>, remaining: Option<u64>) {
        if limit.is_none() && remaining.is_none() {
            return;
        }
        let now = Instant::now();
        let mut state = self.lock();
        let shape = state.shape(&ticket.key.set);
        if let Some(limit) = limit.filter(|l| *l > 0) {
            let info = state.sets.entry(ticket.key.set.clone()).or_default();
            info.capacity = Some(limit as f64);
        }
        if let (Some(remaining), Some(shape)) = (remaining, shape)
            && let Some(bucket) = state.buckets.get_mut(&ticket.key)
            && bucket.paced
        {
            bucket.refill(now, shape);
            bucket.tokens = bucket.tokens.min(remaining as f64 + 1.0);
        }
    }

    /// Learns from a 429 for `path` of endpoint `template`: the set it names, the set's shape,
    /// and `retry_after` (already capped), which pauses that one bucket. `remaining` is the
    /// answer's `RateLimit-Remaining`, if sent.
    pub fn observe_limited(
        &self,
        ticket: &Ticket,
        template: &'static str,
        path: &str,
        body: Option<&ApiErrorBody>,
        retry_after: Option<Duration>,
        remaining: Option<u64>,
    ) {
        let now = Instant::now();
        let scope_id = scope_of(path).map(|(_, id)| id);
        let named = body
            .and_then(named_set)
            .map(|raw| endpoint_set(&raw, scope_id));
        let shape = body.and_then(shape_of);
        let mut state = self.lock();
        if let Some(set) = &named {
            state.membership.insert(template, set.clone());
            let info = state.sets.entry(set.clone()).or_default();
            if let Some(shape) = shape {
                info.shape = Some(shape);
            }
        }
        let mut key = state.key(template, path);
        if widens(&state, ticket, &key, remaining) {
            tracing::debug!(
                endpoint_set = %key.set,
                scope = %key.scope,
                "a 429 on a bucket that still held tokens: the server's bucket is per caller"
            );
            if let Some(info) = state.sets.get_mut(&key.set) {
                info.caller_wide = true;
            }
            for (k, bucket) in &mut state.buckets {
                if k.set == key.set {
                    bucket.reset();
                }
            }
            key = state.key(template, path);
        }
        let shape = state.shape(&key.set);
        if shape.is_none() && retry_after.is_none() {
            // Nothing to pace or pause by: the request's own backoff is all there is.
            return;
        }
        let bucket = state.buckets.entry(key).or_insert_with(|| Bucket::new(now));
        if let Some(shape) = shape {
            bucket.pace(now, shape);
            bucket.tokens = 0.0;
            bucket.updated = now;
        }
        if let Some(wait) = retry_after {
            let until = now + wait;
            bucket.paused_until = Some(bucket.paused_until.map_or(until, |u| u.max(until)));
        }
        bucket.reset();
    }

    /// Every endpoint set something was learned of, by name.
    pub fn learned(&self) -> Vec<LearnedLimit> {
        let state = self.lock();
        let mut learned: Vec<LearnedLimit> = state
            .sets
            .iter()
            .map(|(set, info)| {
                let mut templates: Vec<&'static str> = state
                    .membership
                    .iter()
                    .filter(|(_, s)| *s == set)
                    .map(|(t, _)| *t)
                    .collect();
                templates.sort_unstable();
                LearnedLimit {
                    endpoint_set: set.clone(),
                    templates,
                    scopes: state.buckets.keys().filter(|k| k.set == *set).count(),
                    capacity: info.shape.map(|s| s.capacity).or(info.capacity),
                    per_second: info.shape.map(|s| s.rate),
                    caller_wide: info.caller_wide,
                }
            })
            .collect();
        learned.sort_by(|a, b| a.endpoint_set.cmp(&b.endpoint_set));
        learned
    }
}

/// Whether a 429 shows that the server keys the set more widely than by org or project: the
/// request was sent from a paced org or project bucket that held at least half its tokens
/// besides (a per-scope server bucket, started full like ours and never refilled slower,
/// cannot be empty then), and the answer did not say tokens were left.
fn widens(state: &State, ticket: &Ticket, key: &BucketKey, remaining: Option<u64>) -> bool {
    let Some(spare) = ticket.spare else {
        return false;
    };
    let Some(shape) = state.shape(&key.set) else {
        return false;
    };
    ticket.key == *key
        && !key.scope.is_empty()
        && remaining.is_none_or(|r| r == 0)
        && spare >= (shape.capacity / 2.0).max(1.0)
}

/// The org or project a request path (below `/api/atlas/v2`) is scoped to.
fn scope_of(path: &str) -> Option<(&'static str, &str)> {
    let mut segments = path.trim_start_matches('/').split('/');
    let kind = match segments.next()? {
        "orgs" => "org",
        "groups" => "project",
        _ => return None,
    };
    let id = segments.next().filter(|id| !id.is_empty())?;
    Some((kind, id.split('?').next().unwrap_or(id)))
}

/// An endpoint set as a comparable name: no leading `/`, no `api/atlas/v2`, and every id
/// segment (24 hex digits, a `{param}`, or the request's own org or project id) as `{}`:
/// `api/atlas/v2/orgs/{orgId}/events` and `/orgs/5f…/events` are both `/orgs/{}/events`.
pub(crate) fn endpoint_set(raw: &str, scope_id: Option<&str>) -> String {
    let path = raw
        .trim()
        .trim_end_matches(['.', ',', ';', ':'])
        .split('?')
        .next()
        .unwrap_or_default()
        .trim_start_matches('/');
    let path = match path.strip_prefix("api/atlas/v2") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => path,
    };
    let is_id = |segment: &str| {
        (segment.len() == 24 && segment.bytes().all(|b| b.is_ascii_hexdigit()))
            || (segment.starts_with('{') && segment.ends_with('}'))
            || scope_id == Some(segment)
    };
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| if is_id(s) { "{}" } else { s })
        .collect();
    format!("/{}", segments.join("/"))
}

/// The endpoint set a 429 names: its first parameter, else the path in its `detail`.
fn named_set(body: &ApiErrorBody) -> Option<String> {
    let looks_like_path = |s: &str| s.contains('/');
    if let Some(first) = body.parameters.first().and_then(serde_json::Value::as_str)
        && looks_like_path(first)
    {
        return Some(first.to_owned());
    }
    body.detail
        .as_deref()?
        .split_whitespace()
        .find(|word| word.contains("api/atlas/v2"))
        .map(str::to_owned)
}

/// The bucket a 429 describes: `parameters` `[set, retryAfter, capacity, refill, seconds]`, or
/// "capacity: C. Refill rate: R per D seconds" in its `detail`.
fn shape_of(body: &ApiErrorBody) -> Option<Shape> {
    let number = |i: usize| body.parameters.get(i).and_then(serde_json::Value::as_f64);
    let (capacity, refill, seconds) = match (number(2), number(3), number(4)) {
        (Some(c), Some(r), Some(s)) => (c, r, s),
        _ => {
            let detail = body.detail.as_deref()?;
            let after = |label: &str| -> Option<&str> {
                let lower = detail.to_ascii_lowercase();
                let at = lower.find(label)? + label.len();
                detail.get(at..)
            };
            let first_number = |text: &str| -> Option<f64> {
                text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .find(|w| !w.is_empty() && *w != ".")?
                    .trim_end_matches('.')
                    .parse()
                    .ok()
            };
            let capacity = first_number(after("capacity:")?)?;
            let refill_text = after("refill rate:")?;
            let (refill, per) = refill_text.split_once(" per ")?;
            (capacity, first_number(refill)?, first_number(per)?)
        }
    };
    (capacity >= 1.0 && refill > 0.0 && seconds > 0.0).then_some(Shape {
        capacity,
        rate: refill / seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: &str = "/orgs/{orgId}/events";
    const PROJECT_EVENTS: &str = "/groups/{groupId}/events";
    const USERS: &str = "/orgs/{orgId}/users";
    const ORG: &str = "5f0000000000000000000001";

    fn body(json: &str) -> ApiErrorBody {
        serde_json::from_str(json).unwrap()
    }

    fn atlas_429(set: &str, capacity: u32, refill: u32, seconds: u32) -> ApiErrorBody {
        body(&format!(
            r#"{{"detail":"Rate limit exceeded for {set}. Please retry after 1 seconds. Request capacity: {capacity}. Refill rate: {refill} per {seconds} seconds.","error":429,"errorCode":"RATE_LIMITED_TOKEN_BUCKET","parameters":["{set}",1,{capacity},{refill},{seconds}],"reason":"Too Many Requests"}}"#
        ))
    }

    /// A request sent at `now`: its turn taken and confirmed.
    fn sent(throttle: &Throttle, template: &'static str, path: &str, now: Instant) -> Ticket {
        let mut state = throttle.lock();
        let mut ticket = state.reserve(template, path, now).0;
        assert!(state.confirm(&mut ticket, template, path, now));
        ticket
    }

    /// A 429 without `Retry-After` for a request of `template` for `path`.
    fn refuse(
        throttle: &Throttle,
        ticket: &Ticket,
        template: &'static str,
        path: &str,
        body: &ApiErrorBody,
        remaining: Option<u64>,
    ) {
        throttle.observe_limited(ticket, template, path, Some(body), None, remaining);
    }

    /// Takes a turn at `now`: `None` when it goes at once, else how long it waits.
    fn turn(
        state: &mut State,
        template: &'static str,
        path: &str,
        now: Instant,
    ) -> Option<Duration> {
        state
            .reserve(template, path, now)
            .1
            .map(|w| w.until.saturating_duration_since(now))
    }

    #[test]
    fn normalises_sets_from_429s_and_templates() {
        assert_eq!(endpoint_set("api/atlas/v2/orgs", None), "/orgs");
        assert_eq!(
            endpoint_set("/api/atlas/v2/orgs/{orgId}/events", None),
            "/orgs/{}/events"
        );
        assert_eq!(endpoint_set(EVENTS, None), "/orgs/{}/events");
        assert_eq!(
            endpoint_set(&format!("api/atlas/v2/orgs/{ORG}/events."), None),
            "/orgs/{}/events"
        );
        assert_eq!(
            endpoint_set("api/atlas/v2/orgs/acme/users", Some("acme")),
            "/orgs/{}/users"
        );
        assert_eq!(endpoint_set("api/atlas/v2", None), "/");
        assert_eq!(endpoint_set("api/atlas/v2/*", None), "/*");
        assert_eq!(endpoint_set("/api/oauth/token", None), "/api/oauth/token");
    }

    #[test]
    fn reads_the_set_and_shape_from_parameters_or_detail() {
        let b = atlas_429("api/atlas/v2/orgs", 10, 5, 60);
        assert_eq!(named_set(&b).as_deref(), Some("api/atlas/v2/orgs"));
        let shape = shape_of(&b).unwrap();
        assert_eq!(shape.capacity, 10.0);
        assert!((shape.rate - 5.0 / 60.0).abs() < 1e-9);
        // No parameters: the detail says it all.
        let mut b = b;
        b.parameters.clear();
        assert_eq!(named_set(&b).as_deref(), Some("api/atlas/v2/orgs."));
        assert_eq!(shape_of(&b), Some(shape));
        // Neither: nothing to learn.
        let bare = body(
            r#"{"error":429,"errorCode":"RATE_LIMITED","detail":"Too many requests.","parameters":null}"#,
        );
        assert_eq!((named_set(&bare), shape_of(&bare)), (None, None));
        // The token endpoint's form names a path but no bucket.
        let token = body(
            r#"{"detail":"Resource /api/oauth/token is limited to 50 requests every 1 minutes.","error":429,"errorCode":"RATE_LIMITED","parameters":["/api/oauth/token",50,1]}"#,
        );
        assert_eq!(named_set(&token).as_deref(), Some("/api/oauth/token"));
        assert_eq!(shape_of(&token), None);
    }

    #[test]
    fn buckets_are_keyed_by_template_and_scope_until_a_429_names_the_set() {
        let throttle = Throttle::default();
        let now = Instant::now();
        let mut state = throttle.lock();
        let a = state.key(EVENTS, &format!("/orgs/{ORG}/events"));
        assert_eq!(
            (a.set.as_str(), a.scope.as_str()),
            ("/orgs/{}/events", &*format!("org:{ORG}"))
        );
        let p = state.key(PROJECT_EVENTS, "/groups/g1/events");
        assert_eq!(
            (p.set.as_str(), p.scope.as_str()),
            ("/groups/{}/events", "project:g1")
        );
        assert_eq!(state.key("/orgs", "/orgs").scope, "");
        // Unpaced before anything is known.
        for _ in 0..1000 {
            assert_eq!(turn(&mut state, EVENTS, "/orgs/a/events", now), None);
        }
        drop(state);
        // A 429 on project events names the org events' set: both share it per scope now.
        let ticket = throttle
            .lock()
            .reserve(PROJECT_EVENTS, "/groups/g1/events", now)
            .0;
        let limited = atlas_429("api/atlas/v2/orgs/{orgId}/events", 10, 5, 1);
        refuse(
            &throttle,
            &ticket,
            PROJECT_EVENTS,
            "/groups/g1/events",
            &limited,
            Some(0),
        );
        let state = throttle.lock();
        let p = state.key(PROJECT_EVENTS, "/groups/g1/events");
        assert_eq!(
            (p.set.as_str(), p.scope.as_str()),
            ("/orgs/{}/events", "project:g1")
        );
        assert_eq!(state.key(EVENTS, "/orgs/a/events").set, "/orgs/{}/events");
        drop(state);
        let learned = throttle.learned();
        let events = learned
            .iter()
            .find(|l| l.endpoint_set == "/orgs/{}/events")
            .unwrap();
        assert_eq!(events.templates, vec![PROJECT_EVENTS]);
        assert_eq!(
            (events.capacity, events.per_second),
            (Some(10.0), Some(5.0))
        );
        assert!(!events.caller_wide);
    }

    #[test]
    fn a_learned_shape_paces_every_scope_from_what_it_may_hold() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        // Three requests went out on org a before the set was known, and a fourth was not
        // sent after all.
        for _ in 0..3 {
            sent(&throttle, EVENTS, "/orgs/a/events", t0);
        }
        throttle.lock().reserve(EVENTS, "/orgs/a/events", t0);
        let ticket = sent(&throttle, EVENTS, "/orgs/b/events", t0);
        let limited = atlas_429("api/atlas/v2/orgs/{orgId}/events", 5, 10, 1);
        refuse(&throttle, &ticket, EVENTS, "/orgs/b/events", &limited, None);
        let mut state = throttle.lock();
        // Org b was emptied by its 429: the next token comes at the refill rate.
        let wait = turn(&mut state, EVENTS, "/orgs/b/events", t0).unwrap();
        assert!((wait.as_secs_f64() - 0.1 / PACE).abs() < 1e-6, "{wait:?}");
        // Org a holds at least 5 - 3 = 2 tokens; org c, never used, a full bucket.
        assert_eq!(turn(&mut state, EVENTS, "/orgs/a/events", t0), None);
        assert_eq!(turn(&mut state, EVENTS, "/orgs/a/events", t0), None);
        assert!(turn(&mut state, EVENTS, "/orgs/a/events", t0).is_some());
        for _ in 0..5 {
            assert_eq!(turn(&mut state, EVENTS, "/orgs/c/events", t0), None);
        }
        // Reserved turns queue one refill apart.
        let second = turn(&mut state, EVENTS, "/orgs/c/events", t0).unwrap();
        let third = turn(&mut state, EVENTS, "/orgs/c/events", t0).unwrap();
        assert!(((third - second).as_secs_f64() - 0.1 / PACE).abs() < 1e-6);
    }

    #[test]
    fn retry_after_pauses_only_its_own_bucket() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        let ticket = throttle.lock().reserve(EVENTS, "/orgs/a/events", t0).0;
        let limited = atlas_429("api/atlas/v2/orgs/{orgId}/events", 100, 100, 1);
        throttle.observe_limited(
            &ticket,
            EVENTS,
            "/orgs/a/events",
            Some(&limited),
            Some(Duration::from_secs(30)),
            Some(0),
        );
        let now = Instant::now();
        let mut state = throttle.lock();
        let paused = turn(&mut state, EVENTS, "/orgs/a/events", now).unwrap();
        assert!(paused > Duration::from_secs(29), "{paused:?}");
        // The same set in another org, another set in the same org, and a bare 429's
        // neighbours all go at once.
        assert_eq!(turn(&mut state, EVENTS, "/orgs/b/events", now), None);
        assert_eq!(turn(&mut state, USERS, "/orgs/a/users", now), None);
        assert_eq!(
            turn(&mut state, PROJECT_EVENTS, "/groups/g/events", now),
            None
        );
    }

    #[test]
    fn a_bare_429_without_retry_after_changes_nothing() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        let ticket = throttle.lock().reserve(USERS, "/orgs/a/users", t0).0;
        let bare = body(r#"{"error":429,"errorCode":"RATE_LIMITED"}"#);
        refuse(&throttle, &ticket, USERS, "/orgs/a/users", &bare, None);
        assert_eq!(
            turn(&mut throttle.lock(), USERS, "/orgs/a/users", Instant::now()),
            None
        );
        // With Retry-After, it pauses the bucket it was sent from.
        throttle.observe_limited(
            &ticket,
            USERS,
            "/orgs/a/users",
            None,
            Some(Duration::from_secs(9)),
            None,
        );
        assert!(turn(&mut throttle.lock(), USERS, "/orgs/a/users", Instant::now()).is_some());
        assert_eq!(
            turn(&mut throttle.lock(), USERS, "/orgs/b/users", Instant::now()),
            None
        );
    }

    #[test]
    fn headers_teach_capacity_and_lower_the_count() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        let ticket = throttle.lock().reserve(USERS, "/orgs/a/users", t0).0;
        throttle.observe_headers(&ticket, Some(500), Some(499));
        let learned = throttle.learned();
        assert_eq!(learned[0].capacity, Some(500.0));
        assert_eq!(learned[0].per_second, None);
        let limited = atlas_429("api/atlas/v2/orgs/{orgId}/users", 10, 1000, 1);
        refuse(
            &throttle,
            &ticket,
            USERS,
            "/orgs/a/users",
            &limited,
            Some(0),
        );
        std::thread::sleep(Duration::from_millis(5));
        // A zero does not erase the refill since: a token's worth survives.
        throttle.observe_headers(&ticket, None, Some(0));
        let key = throttle.lock().key(USERS, "/orgs/a/users");
        let mut state = throttle.lock();
        let bucket = state.buckets.get_mut(&key).unwrap();
        bucket.refill(
            Instant::now(),
            Shape {
                capacity: 10.0,
                rate: 1000.0,
            },
        );
        assert!((1.0..=10.0).contains(&bucket.tokens), "{}", bucket.tokens);
        drop(state);
        // A remaining of 2 against a full local count lowers it to 3.
        std::thread::sleep(Duration::from_millis(20));
        throttle.observe_headers(&ticket, None, Some(2));
        let state = throttle.lock();
        assert!(state.buckets[&key].tokens <= 3.0);
    }

    #[test]
    fn a_turn_taken_before_the_bucket_changed_is_taken_again() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        let mut early = throttle.lock().reserve(EVENTS, "/orgs/a/events", t0).0;
        let other = sent(&throttle, EVENTS, "/orgs/a/events", t0);
        let limited = atlas_429("api/atlas/v2/orgs/{orgId}/events", 10, 10, 1);
        refuse(
            &throttle,
            &other,
            EVENTS,
            "/orgs/a/events",
            &limited,
            Some(0),
        );
        assert!(
            !throttle.confirm(&mut early, EVENTS, "/orgs/a/events"),
            "reset since"
        );
        // A set learned since moves the endpoint to another bucket.
        let mut early = throttle.lock().reserve(USERS, "/orgs/a/users", t0).0;
        let other = sent(&throttle, USERS, "/orgs/a/users", t0);
        let limited = atlas_429("api/atlas/v2/orgs/{orgId}/members", 10, 10, 1);
        refuse(&throttle, &other, USERS, "/orgs/a/users", &limited, Some(0));
        assert!(!throttle.confirm(&mut early, USERS, "/orgs/a/users"));
        let mut now = throttle.lock().reserve(USERS, "/orgs/b/users", t0).0;
        assert!(throttle.confirm(&mut now, USERS, "/orgs/b/users"));
    }

    #[test]
    fn a_429_on_a_bucket_full_of_tokens_keys_the_set_by_caller() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        let shared = atlas_429("api/atlas/v2", 10, 10, 1);
        // A request for an org's events, refused with `remaining` left: the tokens its bucket
        // held besides, and whether the set is keyed by caller since.
        let refused = |org: &str, remaining: Option<u64>| {
            let path = format!("/orgs/{org}/events");
            let ticket = sent(&throttle, EVENTS, &path, t0);
            refuse(&throttle, &ticket, EVENTS, &path, &shared, remaining);
            (ticket.spare, throttle.learned()[0].caller_wide)
        };
        // The first 429 teaches the set; it says nothing of its width.
        assert_eq!(refused("a", Some(0)), (None, false));
        // Org b's bucket starts full; a 429 that says tokens were left is not about it.
        assert_eq!(refused("b", Some(4)), (Some(9.0), false));
        // A 429 on a bucket the client itself emptied is no evidence either.
        let (spare, wide) = refused("b", Some(0));
        assert!(spare.is_some_and(|s| s < 1.0) && !wide, "{spare:?}");
        // A full bucket refused with nothing left: the server's bucket is the caller's.
        assert_eq!(refused("c", Some(0)), (Some(9.0), true));
        let state = throttle.lock();
        assert_eq!(state.key(EVENTS, "/orgs/z/events").scope, "");
        assert_eq!(
            state.key(USERS, "/orgs/z/users").scope,
            "org:z",
            "other sets keep their scope"
        );
    }
}
