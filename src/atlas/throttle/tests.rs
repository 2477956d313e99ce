//! The throttle's tests: what a 429 teaches, and how buckets pace, pause and widen.

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
fn turn(state: &mut State, template: &'static str, path: &str, now: Instant) -> Option<Duration> {
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

#[test]
fn an_items_reads_and_writes_share_their_scoped_listings_bucket() {
    let throttle = Throttle::default();
    let state = throttle.lock();
    let listing = state.key("/groups/{groupId}/users", "/groups/p1/users");
    for (template, path) in [
        ("/groups/{groupId}/users/{userId}", "/groups/p1/users/u1"),
        (
            "/groups/{groupId}/users/{userId}:removeRole",
            "/groups/p1/users/u1:removeRole",
        ),
    ] {
        assert_eq!(state.key(template, path), listing, "{template}");
    }
    let db = state.key(
        "/groups/{groupId}/databaseUsers",
        "/groups/p1/databaseUsers",
    );
    assert_eq!(
        state.key(
            "/groups/{groupId}/databaseUsers/{databaseName}/{username}",
            "/groups/p1/databaseUsers/admin/x"
        ),
        db
    );
    // Not below an unscoped listing, nor past a named segment.
    assert_ne!(
        state.key("/orgs/{orgId}", "/orgs/o1"),
        state.key("/orgs", "/orgs")
    );
    assert_ne!(
        state.key("/orgs/{orgId}/settings", "/orgs/o1/settings"),
        state.key("/orgs/{orgId}", "/orgs/o1")
    );
}

#[test]
fn documented_sets_pace_from_the_first_request_and_a_429_still_corrects_them() {
    const USER: &str = "/groups/{groupId}/users/{userId}";
    const REMOVE: &str = "/groups/{groupId}/users/{userId}:removeRole";
    const TEAMS: &str = "/groups/{groupId}/teams";
    let throttle = Throttle::default();
    throttle.learn_documented(&[
        DocumentedSet {
            endpoints: vec![
                "/api/atlas/v2/groups/{groupId}/users".into(),
                "/api/atlas/v2/groups/{groupId}/teams".into(),
            ],
            capacity: 2.0,
            per_second: 4.0,
            caller_wide: false,
        },
        DocumentedSet {
            endpoints: vec!["/api/atlas/v2/orgs".into()],
            capacity: 1.0,
            per_second: 1.0,
            caller_wide: true,
        },
    ]);
    let now = Instant::now();
    let mut state = throttle.lock();
    // A full bucket, then one turn every 1/4 s (paced at PACE): the read, the write and the
    // teams listing the set names all count in the project's one bucket.
    assert_eq!(turn(&mut state, USER, "/groups/a/users/u", now), None);
    assert_eq!(
        turn(&mut state, REMOVE, "/groups/a/users/u:removeRole", now),
        None
    );
    let wait = turn(&mut state, TEAMS, "/groups/a/teams", now).unwrap();
    assert!((wait.as_secs_f64() - 0.25 / PACE).abs() < 1e-3, "{wait:?}");
    // Another project has its own bucket.
    assert_eq!(turn(&mut state, USER, "/groups/b/users/u", now), None);
    drop(state);

    // The service disagrees: its 429 on an emptied bucket names another shape, which wins.
    sent(&throttle, USER, "/groups/c/users/u", now);
    let ticket = sent(&throttle, USER, "/groups/c/users/u", now);
    refuse(
        &throttle,
        &ticket,
        USER,
        "/groups/c/users/u",
        &atlas_429("api/atlas/v2/groups/{groupId}/users", 2, 1, 1),
        Some(0),
    );
    let learned = throttle.learned();
    let users = learned
        .iter()
        .find(|l| l.endpoint_set == "/groups/{}/users")
        .unwrap();
    assert_eq!(users.per_second, Some(1.0));
    assert!(!users.caller_wide);
    assert!(
        learned
            .iter()
            .any(|l| l.endpoint_set == "/orgs" && l.caller_wide)
    );
}

/// A project's user reads, as `GET /rateLimits` documents them: one request, then one every
/// 1/10 s.
const USER: &str = "/groups/{groupId}/users/{userId}";

fn one_a_tenth_second() -> Throttle {
    let throttle = Throttle::default();
    throttle.learn_documented(&[DocumentedSet {
        endpoints: vec!["/api/atlas/v2/groups/{groupId}/users".into()],
        capacity: 1.0,
        per_second: 10.0,
        caller_wide: false,
    }]);
    throttle
}

#[test]
fn a_bucket_paced_from_its_first_request_counts_refill_from_its_first_send() {
    let throttle = one_a_tenth_second();
    let t0 = Instant::now();
    let path = "/groups/a/users/u";
    let mut state = throttle.lock();
    let mut ticket = state.reserve(USER, path, t0).0;
    // Sent 50 ms after its turn was taken (it waited for a permit): the server's bucket starts
    // refilling then, so the next turn is a full 1/10 s after the send, not after the reserve.
    let sent_at = t0 + Duration::from_millis(50);
    assert!(state.confirm(&mut ticket, USER, path, sent_at));
    let wait = turn(&mut state, USER, path, sent_at).unwrap();
    assert!((wait.as_secs_f64() - 0.1 / PACE).abs() < 1e-3, "{wait:?}");
}

#[test]
fn the_first_answer_of_a_bucket_paced_from_its_first_request_restarts_the_refill() {
    let throttle = one_a_tenth_second();
    let path = "/groups/a/users/u";
    let sent_at = Instant::now();
    let ticket = sent(&throttle, USER, path, sent_at);
    let mut state = throttle.lock();
    // The answer comes 60 ms after the send: the server's bucket began somewhere between, so
    // the next turn is a full 1/10 s after the answer, not 40 ms later.
    let answered_at = sent_at + Duration::from_millis(60);
    state.answered(&ticket, answered_at);
    let wait = turn(&mut state, USER, path, answered_at).unwrap();
    assert!((wait.as_secs_f64() - 0.1 / PACE).abs() < 1e-3, "{wait:?}");
    // Later answers change nothing.
    let later = answered_at + Duration::from_millis(10);
    let before = state.buckets[&ticket.key].tokens;
    state.answered(&ticket, later);
    assert_eq!(state.buckets[&ticket.key].tokens, before);
    assert_eq!(state.buckets[&ticket.key].updated, answered_at);
}
