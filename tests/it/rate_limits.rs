//! Rate limits per endpoint set: a simulated Atlas whose endpoint families have buckets of
//! different sizes, per org and project, and a client that learns each bucket on its own.

use std::time::{Duration, Instant};

use crate::common::*;
use atlas_audit::atlas::endpoint::{self, Endpoint};
use atlas_audit::atlas::types::OrgUser;
use atlas_audit::atlas::{Client, ClientOptions};
use pretty_assertions::assert_eq;

/// Small enough to bite on the demo world read 3 items a page: events and org users.
const DIFFERING: &str = "events=4/s,burst=2,org-users=2/s,burst=1,default=1000/s";

/// Fewer than the first demo org's active and pending users.
const LISTING_PAGE: usize = 15;

#[tokio::test(flavor = "multi_thread")]
async fn differing_buckets_are_each_learned_and_nothing_fails() {
    let (snapshot, client, server) = collect_demo_rate_limited(DIFFERING, 3).await;
    let tallies = snapshot.meta.endpoints.values();
    let failures: u64 = tallies.clone().map(|t| t.failures).sum();
    let answered_429: u64 = tallies.clone().map(|t| t.rate_limited).sum();
    assert_eq!(failures, 0);
    let stats = server.stats();
    assert!(
        stats.rate_limited_by_family.contains_key("events")
            && stats.rate_limited_by_family.contains_key("org-users"),
        "both small families bit: {:?}",
        stats.rate_limited_by_family
    );
    assert_eq!(
        answered_429, stats.rate_limited,
        "every 429 seen and counted"
    );

    // Each small family learned with its own shape, per scope; nothing taken for a bucket
    // per caller.
    let learned = client.learned_rate_limits();
    let set = |name: &str| {
        learned
            .iter()
            .find(|l| l.endpoint_set == name)
            .unwrap_or_else(|| panic!("{name} learned: {learned:#?}"))
    };
    let events = set("/orgs/{}/events");
    assert_eq!((events.capacity, events.per_second), (Some(2.0), Some(4.0)));
    let users = set("/orgs/{}/users");
    assert_eq!((users.capacity, users.per_second), (Some(1.0), Some(2.0)));
    assert!(
        learned.iter().all(|l| !l.caller_wide),
        "no set keyed by caller: {learned:#?}"
    );
    // A 429 costs a retry, not a burst: after the first few per bucket, requests are paced.
    let buckets = stats
        .requests_by_bucket
        .keys()
        .filter(|b| b.starts_with("events ") || b.starts_with("org-users "))
        .count() as u64;
    assert!(
        stats.rate_limited <= 3 * buckets,
        "{} 429s for {buckets} small buckets: {:?}",
        stats.rate_limited,
        stats.rate_limited_by_family
    );
    server.shutdown().await;
}

/// Sends `endpoint` for `path` and says how long it took from `since`.
async fn timed(client: &Client, endpoint: &Endpoint, path: String, since: Instant) -> Duration {
    let _: serde_json::Value = client
        .get_object(endpoint, &path, &[])
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    since.elapsed()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_retry_after_holds_back_only_its_own_bucket() {
    // Org users refill one token every 5 s; everything else is generous. One permit only: a
    // request waiting for its bucket must not keep it.
    let mut config = mock_config();
    config.rate_limit = Some("org-users=1/5s,default=1000/s".parse().unwrap());
    let server = start(demo_world(), config).await;
    let client = Client::new(
        credentials(),
        ClientOptions {
            concurrency: 1,
            page_size: LISTING_PAGE,
            backoff_max: Duration::from_secs(30),
            ..fast_options(server.base_url())
        },
    )
    .unwrap();
    let direct = snapshot_from_world(&demo_world());
    let (org, other_org) = (&direct.orgs[0].id, &direct.orgs[1].id);
    let projects: Vec<&str> = direct.projects.iter().map(|p| p.id.as_str()).collect();

    // A listing of the first org's users (more than a page of them): its second page meets
    // the empty bucket (Retry-After: 5) while it holds the listing's permit.
    let started = Instant::now();
    let listing = {
        let client = &client;
        let path = format!("/orgs/{org}/users");
        async move {
            let users = client
                .get_all::<OrgUser>(&endpoint::ORG_USERS, &path, &[])
                .await
                .unwrap();
            (users.items.len(), started.elapsed())
        }
    };
    let others = async {
        // Once the listing has been refused, everything else: other families of the same
        // org, the same family in the other org, and every project.
        while server.stats().rate_limited == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let since = Instant::now();
        let mut requests = vec![
            timed(
                &client,
                &endpoint::ORG_TEAMS,
                format!("/orgs/{org}/teams"),
                since,
            ),
            timed(
                &client,
                &endpoint::ORG_SETTINGS,
                format!("/orgs/{org}/settings"),
                since,
            ),
            timed(
                &client,
                &endpoint::ORG_USERS,
                format!("/orgs/{other_org}/users"),
                since,
            ),
        ];
        for p in &projects {
            requests.push(timed(
                &client,
                &endpoint::DATABASE_USERS,
                format!("/groups/{p}/databaseUsers"),
                since,
            ));
            requests.push(timed(
                &client,
                &endpoint::PROJECT_SETTINGS,
                format!("/groups/{p}/settings"),
                since,
            ));
        }
        let n = requests.len();
        let slowest = futures::future::join_all(requests)
            .await
            .into_iter()
            .max()
            .unwrap();
        (n, slowest)
    };
    let ((users, paused), (n, slowest)) = tokio::join!(listing, others);
    assert!(users > LISTING_PAGE, "two pages read: {users} users");
    // The listing waited out its bucket (5 s a page); the others went at once. Orders of
    // magnitude apart, so a slow machine cannot blur them.
    assert!(paused >= Duration::from_secs(4), "{paused:?}");
    assert!(
        slowest * 10 < paused,
        "{n} requests of other buckets took {slowest:?}, the paused listing {paused:?}"
    );
    server.shutdown().await;
}

/// `GET /rateLimits` teaches the project-users set before any request of it: each project's
/// bucket is paced from its first request, and none is answered 429.
#[tokio::test(flavor = "multi_thread")]
async fn documented_limits_pace_from_the_first_request_without_a_429() {
    let mut config = mock_config();
    config.rate_limit = Some("project-users=4/s,burst=2,default=1000/s".parse().unwrap());
    let server = start(demo_world(), config).await;
    let client = Client::new(credentials(), fast_options(server.base_url())).unwrap();
    const PROJECT: &str = "5f00000000000000000000aa";
    let learned = client
        .learn_documented_rate_limits("groupId", PROJECT)
        .await;
    assert!(learned > 0, "the simulated Atlas lists its sets");
    let users = client
        .learned_rate_limits()
        .into_iter()
        .find(|l| l.endpoint_set == "/groups/{}/users")
        .expect("project-users documented");
    assert_eq!((users.capacity, users.per_second), (Some(2.0), Some(4.0)));
    assert!(!users.caller_wide);

    // Two projects, five reads each, side by side: a burst of 2, then 3 more at 4/s each.
    let t = Instant::now();
    let read = |project: &'static str| {
        let client = &client;
        async move {
            for i in 0..5 {
                let path = format!("/groups/{project}/users/5f00000000000000000000b{i}");
                client.get_one(&path, "2025-02-19").await.unwrap();
            }
        }
    };
    futures::join!(read(PROJECT), read("5f00000000000000000000ab"));
    let took = t.elapsed();
    let stats = server.stats();
    assert_eq!(stats.rate_limited, 0, "{:?}", stats.rate_limited_by_family);
    assert!(took >= Duration::from_millis(700), "paced: {took:?}");
    assert!(
        took < Duration::from_millis(1_500),
        "the projects' buckets are apart: {took:?}"
    );
    server.shutdown().await;
}

/// A credential that may not read `GET /rateLimits` costs one refused request: nothing is
/// learned from it, and the buckets are left to be learned from 429s.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_rate_limit_listing_teaches_nothing() {
    let mut config = mock_config_with_faults("deny=/rateLimits");
    config.rate_limit = Some("project-users=4/s,burst=2,default=1000/s".parse().unwrap());
    let server = start(demo_world(), config).await;
    let client = Client::new(credentials(), fast_options(server.base_url())).unwrap();
    let learned = client
        .learn_documented_rate_limits("groupId", "5f00000000000000000000aa")
        .await;
    assert_eq!(learned, 0);
    assert!(
        client
            .learned_rate_limits()
            .iter()
            .all(|l| l.per_second.is_none()),
        "{:#?}",
        client.learned_rate_limits()
    );
    server.shutdown().await;
}
