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

mod answer;
#[cfg(test)]
mod tests;

use answer::{endpoint_set, named_set, scope_of, shape_of};

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

/// One endpoint set as `GET /rateLimits` describes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DocumentedSet {
    /// Its endpoints' paths (`/api/atlas/v2/groups/{groupId}/users`); the first names the set.
    pub endpoints: Vec<String>,
    /// Tokens of a full bucket.
    pub capacity: f64,
    /// Tokens added per second.
    pub per_second: f64,
    /// Whether its buckets are per caller or IP rather than per org or project.
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
    /// Paced from its very first request (a documented shape) and nothing sent yet: turns
    /// reserved meanwhile. The server's bucket starts refilling when the first request
    /// arrives, not when it was reserved, so the refill counted before then is dropped.
    unsent: Option<u64>,
    /// That first request is sent and no answer has come yet: it arrives somewhere on the
    /// way, so the refill counted from its send may run ahead of the server's. The first
    /// answer drops it ([`Throttle::answered`]).
    first_in_flight: bool,
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
            unsent: None,
            first_in_flight: false,
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
            if self.sent_unpaced == 0 {
                self.unsent = Some(0);
            }
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
    /// Endpoint (as a set name) → the set `GET /rateLimits` listed it in, where a 429 has not
    /// named one.
    documented: HashMap<String, String>,
    sets: HashMap<String, SetInfo>,
    buckets: HashMap<BucketKey, Bucket>,
}

impl State {
    fn key(&self, template: &'static str, path: &str) -> BucketKey {
        let set = match self.membership.get(template) {
            Some(named) => named.clone(),
            None => {
                let own = self
                    .parent_set(template)
                    .unwrap_or_else(|| endpoint_set(template, None));
                self.documented.get(&own).cloned().unwrap_or(own)
            }
        };
        let caller_wide = self.sets.get(&set).is_some_and(|s| s.caller_wide);
        let scope = match scope_of(path) {
            Some((kind, id)) if !caller_wide => format!("{kind}:{id}"),
            _ => String::new(),
        };
        BucketKey { set, scope }
    }

    /// The set of the scoped listing an item's template extends: the single read of an item
    /// and the writes on it (`/groups/{groupId}/users/{userId}:removeRole`) share the bucket of
    /// their listing (`/groups/{groupId}/users`), whether or not a 429 has named it yet: Atlas's
    /// recorded `Ratelimit-Limit` of the reads and writes of one family agree, and counting
    /// them apart would let the server's bucket empty unseen. Only trailing parameters and a
    /// custom method are stripped, and only below a scoped listing, so `/orgs/{orgId}` (whose
    /// recorded limit differs from `/orgs`'s) and `/orgs/{orgId}/settings` keep their own.
    fn parent_set(&self, template: &str) -> Option<String> {
        let path = template.split(':').next().unwrap_or(template);
        let mut listing = path;
        while let Some((parent, last)) = listing.rsplit_once('/') {
            if !(last.starts_with('{') && last.ends_with('}')) {
                break;
            }
            listing = parent;
        }
        if listing == path || !listing.contains('{') {
            return None;
        }
        let set = endpoint_set(listing, None);
        // The listing's own template may have been named into a set by a 429.
        let named = self
            .membership
            .iter()
            .find(|(t, _)| endpoint_set(t, None) == set)
            .map(|(_, named)| named.clone());
        Some(named.unwrap_or(set))
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
            if let Some(unsent) = &mut bucket.unsent {
                *unsent += 1;
            }
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

    /// See [`Throttle::answered`].
    fn answered(&mut self, ticket: &Ticket, now: Instant) {
        if let Some(bucket) = self.buckets.get_mut(&ticket.key)
            && std::mem::take(&mut bucket.first_in_flight)
        {
            bucket.updated = bucket.updated.max(now);
        }
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
                if let Some(unsent) = bucket.unsent.take() {
                    bucket.tokens = bucket.tokens.min(shape.capacity - unsent as f64);
                    bucket.first_in_flight = true;
                }
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

    /// An answer to the request of `ticket` came: the server's bucket has surely begun. The
    /// first answer of a bucket paced from its first request drops the refill counted since
    /// the last count (the first send at the latest): the server's bucket began when that
    /// request arrived, up to a round trip after it was sent, and a later request that
    /// travels faster would otherwise arrive before the server's turn.
    pub fn answered(&self, ticket: &Ticket) {
        self.lock().answered(ticket, Instant::now());
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
            bucket.unsent = None;
            bucket.first_in_flight = false;
            bucket.tokens = 0.0;
            bucket.updated = now;
        }
        if let Some(wait) = retry_after {
            let until = now + wait;
            bucket.paused_until = Some(bucket.paused_until.map_or(until, |u| u.max(until)));
        }
        bucket.reset();
    }

    /// Starts from what Atlas documents of its buckets (`GET /rateLimits`): each set's shape
    /// paces its buckets from their first request, full as the server's start, so no 429 is
    /// needed to learn it. What a 429 already taught wins, and a later 429 or `RateLimit-*`
    /// header still corrects the set (the service's answer is the last word).
    pub fn learn_documented(&self, sets: &[DocumentedSet]) {
        let mut state = self.lock();
        for documented in sets {
            let Some(first) = documented.endpoints.first() else {
                continue;
            };
            let set = endpoint_set(first, None);
            for endpoint in &documented.endpoints {
                let member = endpoint_set(endpoint, None);
                if member != set {
                    state
                        .documented
                        .entry(member)
                        .or_insert_with(|| set.clone());
                }
            }
            let info = state.sets.entry(set).or_default();
            if info.shape.is_none() && documented.capacity >= 1.0 && documented.per_second > 0.0 {
                info.shape = Some(Shape {
                    capacity: documented.capacity,
                    rate: documented.per_second,
                });
            }
            info.caller_wide |= documented.caller_wide;
        }
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
