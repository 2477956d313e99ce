//! Collection under faults: transient errors change nothing; denied scopes become named gaps.

use crate::common::*;
use atlas_audit::mock::NonceReuse;
use pretty_assertions::assert_eq;

fn project_ids() -> Vec<String> {
    snapshot_from_world(&demo_world())
        .projects
        .iter()
        .map(|p| p.id.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_percent_transient_faults_leave_the_snapshot_unchanged() {
    let expected = estate_json(&snapshot_from_world(&demo_world()));
    // Whether the server takes a digest nonce again or only once changes nothing either.
    for reuse in [NonceReuse::Unlimited, NonceReuse::Once] {
        let mut config = mock_config_with_faults(
            "500=0.03,502=0.01,503=0.02,504=0.01,429=0.01,drop=0.01,slow=0.01,expire=0.01,slow-ms=1500,seed=11",
        );
        config.nonce_reuse = reuse;
        let (snapshot, server) = collect_from(demo_world(), config, credentials(), |url| {
            let mut o = fast_options(url);
            o.timeout = std::time::Duration::from_secs(1);
            o
        })
        .await;
        let stats = server.stats();
        let injected: u64 = stats.faults_injected.values().sum();
        assert!(
            injected >= 5,
            "{reuse:?}: faults were injected: {:?}",
            stats.faults_injected
        );
        assert!(
            snapshot.coverage.is_empty(),
            "{reuse:?}: gaps: {:#?}",
            snapshot.coverage
        );
        let retries: u64 = snapshot.meta.endpoints.values().map(|t| t.retries).sum();
        let expired = stats.faults_injected.get("expire").copied().unwrap_or(0);
        assert!(
            retries >= injected - expired,
            "{reuse:?}: every fault was retried ({retries} retries, {injected} faults)"
        );
        assert_eq!(estate_json(&snapshot), expected, "{reuse:?}");
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_project_is_a_named_gap_and_the_rest_is_collected() {
    let denied = project_ids()[0].clone();
    let config = mock_config_with_faults(&format!("deny=/groups/{denied}"));
    let (snapshot, server) = collect_from(demo_world(), config, credentials(), fast_options).await;
    assert!(!snapshot.coverage.is_empty());
    for gap in &snapshot.coverage {
        assert!(
            gap.scope.starts_with(&format!("project:{denied}")),
            "{gap:?}"
        );
        assert_eq!(gap.status, Some(403));
        assert!(gap.reason.contains("access denied"), "{}", gap.reason);
    }
    let endpoints: Vec<&str> = snapshot
        .coverage
        .iter()
        .map(|g| g.endpoint.as_str())
        .collect();
    assert!(
        endpoints.contains(&"listGroupDatabaseUsers"),
        "{endpoints:?}"
    );
    // Everything outside the denied project matches a clean collection.
    let clean = snapshot_from_world(&demo_world());
    let others = |s: &atlas_audit::model::Snapshot| {
        s.principals
            .iter()
            .filter(|p| p.project_id.as_deref() != Some(denied.as_str()))
            .count()
    };
    assert_eq!(others(&snapshot), others(&clean));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_is_a_gap_that_names_the_endpoint() {
    let project = project_ids()[0].clone();
    let config = mock_config_with_faults(&format!("malformed=/groups/{project}/databaseUsers"));
    let (snapshot, server) = collect_from(demo_world(), config, credentials(), fast_options).await;
    assert_eq!(snapshot.coverage.len(), 1, "{:#?}", snapshot.coverage);
    let gap = &snapshot.coverage[0];
    assert_eq!(gap.endpoint, "listGroupDatabaseUsers");
    assert_eq!(gap.scope, format!("project:{project}"));
    assert!(gap.reason.contains("not valid JSON"), "{}", gap.reason);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_bucket_per_caller_is_learned_and_respected() {
    // One bucket for every request of the caller (the server before endpoint sets): each
    // endpoint learns from its first 429 that it belongs to the one set, and the set that
    // each org and project seemed to have is found to be one bucket per caller.
    // Small pages, so each org and project makes requests enough to meet the shared bucket.
    let (snapshot, client, server) = collect_demo_rate_limited("all=25/s", 3).await;
    let learned = client.learned_rate_limits();
    let whole = learned
        .iter()
        .find(|l| l.endpoint_set == "/")
        .unwrap_or_else(|| panic!("the whole API's set learned from the 429 body: {learned:#?}"));
    assert_eq!((whole.capacity, whole.per_second), (Some(25.0), Some(25.0)));
    assert!(
        whole.caller_wide,
        "one bucket per caller, found out: {whole:#?}"
    );
    let limited = server.stats().rate_limited;
    let sent: u64 = snapshot.meta.endpoints.values().map(|t| t.requests).sum();
    assert!(
        sent > 75,
        "enough requests to exhaust the bucket three times ({sent})"
    );
    // Each endpoint meets a 429 before it knows its set, and the set a few more before it is
    // known to be one bucket per caller; paced after that.
    let endpoints = snapshot.meta.endpoints.len() as u64;
    assert!(
        limited <= 2 * endpoints,
        "paced after learning: {limited} 429s for {sent} requests of {endpoints} endpoints"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_are_retried_then_reported() {
    // Every request fails: retries run out and the scope is a gap, not a hang.
    let config = mock_config_with_faults("500=1.0,seed=3");
    let server = start(demo_world(), config).await;
    let client =
        atlas_audit::atlas::Client::new(credentials(), fast_options(server.base_url())).unwrap();
    let err = atlas_audit::collect::collect(&client, &collect_options())
        .await
        .expect_err("nothing readable");
    let told = atlas_audit::model::with_causes(&err);
    assert!(told.contains("HTTP 500"), "{told}");
    let tally = client.tallies();
    let orgs = &tally["listOrgs"];
    assert_eq!(orgs.retries, 6, "max_retries honoured");
    assert_eq!(orgs.failures, 1);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_scope_is_a_gap_and_is_not_resent() {
    let org = snapshot_from_world(&demo_world()).orgs[0].id.clone();
    let config = mock_config_with_faults(&format!("unauth=/orgs/{org}/settings"));
    let (snapshot, server) = collect_from(demo_world(), config, credentials(), fast_options).await;
    assert_eq!(snapshot.coverage.len(), 1, "{:#?}", snapshot.coverage);
    let gap = &snapshot.coverage[0];
    assert_eq!(
        (gap.scope.as_str(), gap.status),
        (format!("org:{org}").as_str(), Some(401))
    );
    assert_eq!(gap.endpoint, "getOrgSettings");
    let settings = &snapshot.meta.endpoints["getOrgSettings"];
    assert_eq!(
        settings.requests, 2,
        "one request per org, none repeated: {settings:?}"
    );
    assert_eq!(settings.failures, 1);
    assert!(
        snapshot
            .orgs
            .iter()
            .any(|o| o.id == org && o.settings.is_none())
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_short_of_atlas_count_is_reread_then_named() {
    // payments-prod: a prefix fault on storefront-prod's databaseUsers would reach its
    // X.509 users' certificate listings too.
    let project = project_ids()[1].clone();
    let config = mock_config_with_faults(&format!("overcount=/groups/{project}/databaseUsers"));
    let (snapshot, server) = collect_from(demo_world(), config, credentials(), fast_options).await;
    assert_eq!(snapshot.coverage.len(), 1, "{:#?}", snapshot.coverage);
    let gap = &snapshot.coverage[0];
    assert_eq!(gap.scope, format!("project:{project}"));
    assert_eq!(gap.endpoint, "listGroupDatabaseUsers");
    assert!(
        gap.reason.contains("Atlas counted") && gap.reason.contains("second read"),
        "{}",
        gap.reason
    );
    assert_eq!(
        server.stats().faults_injected["overcount"],
        2,
        "read, then read again"
    );
    // What was read is kept: the gap says it may not be all.
    let clean = snapshot_from_world(&demo_world());
    assert_eq!(snapshot.principals.len(), clean.principals.len());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_count_that_disagrees_is_an_estimate_not_a_gap() {
    // Atlas calls an event listing's totalCount an estimate: a read that ends on a short page
    // is the listing, whatever the count says, and is not read again.
    let org = "6650a1000000000000000001";
    let config = mock_config_with_faults(&format!("overcount=/orgs/{org}/events"));
    let (snapshot, server) = collect_from(demo_world(), config, credentials(), fast_options).await;
    assert!(
        snapshot.coverage.is_empty(),
        "gaps: {:#?}",
        snapshot.coverage
    );
    assert_eq!(server.stats().faults_injected["overcount"], 1, "read once");
    assert_eq!(
        estate_json(&snapshot),
        estate_json(&snapshot_from_world(&demo_world()))
    );
    server.shutdown().await;
}

// One test per fault kind, each with what it must show beyond an unchanged snapshot. The
// matrix in tests/it/faults_matrix.rs runs them all at 10%, alone and together.

use crate::common::faults::*;
use atlas_audit::mock::MockStats;
use std::time::Duration;

/// Asserts the run is complete and equal to the demo world outside `meta`.
fn assert_identical(run: &FaultRun) {
    let snapshot = run.snapshot();
    assert!(
        snapshot.coverage.is_empty(),
        "gaps: {:#?}\nserver: {:?}",
        snapshot.coverage,
        run.stats
    );
    assert_eq!(
        estate_json(snapshot),
        estate_json(&snapshot_from_world(&demo_world()))
    );
}

fn statuses(stats: &MockStats, status: u16) -> u64 {
    stats.by_status.get(&status).copied().unwrap_or(0)
}

/// Collects the demo world under `spec`, asserts the snapshot unchanged and at least `least`
/// faults of kind `key` injected.
async fn survives_with(
    spec: &str,
    credentials: atlas_audit::atlas::Credentials,
    options: impl FnOnce(String) -> atlas_audit::atlas::ClientOptions,
    key: &str,
    least: u64,
) -> FaultRun {
    let run = fault_run(demo_world(), faulty(spec), credentials, options).await;
    assert_identical(&run);
    assert!(run.injected_of(key) >= least, "{key}: {:?}", run.stats);
    run
}

/// [`survives_with`] the API key and the fault options, each fault retried.
async fn survives(spec: &str, key: &str, least: u64) -> FaultRun {
    let run = survives_with(spec, credentials(), fault_options, key, least).await;
    assert!(run.retries() >= run.injected_of(key), "every {key} retried");
    run
}

#[tokio::test(flavor = "multi_thread")]
async fn a_storm_of_429_with_retry_after_is_waited_out_within_the_wait_cap() {
    // Half of all requests refused with Retry-After: 1. Each refusal pauses its bucket, but
    // never longer than backoff_max (50 ms here), so the storm costs well under a second per
    // refusal.
    let run = survives("429=0.5,seed=5", "429", 50).await;
    let refused = run.injected_of("429");
    assert!(
        run.elapsed < Duration::from_millis(250 * refused),
        "Retry-After capped: {refused} refusals took {:?}",
        run.elapsed
    );
    let limited: u64 = run
        .snapshot()
        .meta
        .endpoints
        .values()
        .map(|t| t.rate_limited)
        .sum();
    assert_eq!(limited, refused, "every 429 seen and counted");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_storm_of_429_without_retry_after_falls_back_to_backoff() {
    let run = survives("429-bare=0.5,seed=6", "429-bare", 50).await;
    assert_eq!(statuses(&run.stats, 429), run.injected_of("429-bare"));
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_of_every_kind_are_retried() {
    let run = survives("500=0.1,502=0.1,503=0.1,504=0.1,seed=8", "500", 1).await;
    for status in [500, 502, 503, 504] {
        assert!(
            statuses(&run.stats, status) > 0,
            "{status} injected: {:?}",
            run.stats
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bodies_that_stall_past_the_timeout_are_abandoned_and_retried() {
    // Headers and half the body arrive, then nothing for 1.5 s; the client's timeout is 0.5 s
    // and covers the body, so each stall costs one timeout, not the full hang.
    let run = survives("stall=0.2,slow-ms=1500,seed=9", "stall", 10).await;
    // Cut at the timeout: nowhere near the 1.5 s each stall would otherwise cost.
    let stalls = run.injected_of("stall");
    assert!(
        run.elapsed < Duration::from_millis(1500) * stalls as u32,
        "{stalls} stalls took {:?}",
        run.elapsed
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_json_is_read_again() {
    survives("truncated=0.3,seed=10", "truncated", 20).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_that_move_while_a_listing_is_read_are_deduplicated_or_reread() {
    // Every listing longer than a page shifts on its first pass: by an insertion (the item
    // before the page comes again, and is dropped by its id) or by a removal (an item is
    // skipped, the count disagrees, and the listing is read again).
    let options = |url| atlas_audit::atlas::ClientOptions {
        page_size: 2,
        ..fault_options(url)
    };
    let run = survives_with("shift=1,seed=3", credentials(), options, "shift", 10).await;
    // A removal made some listing be read again. (An insertion leaves only a repeat to drop,
    // which the unchanged snapshot already shows was dropped.)
    let clean = fault_run(demo_world(), faulty(""), credentials(), options).await;
    let pages = |r: &FaultRun, e: &str| r.snapshot().meta.endpoints.get(e).map_or(0, |t| t.pages);
    let reread: Vec<&String> = clean
        .snapshot()
        .meta
        .endpoints
        .keys()
        .filter(|e| pages(&run, e) > pages(&clean, e))
        .collect();
    assert!(
        !reread.is_empty(),
        "a removal made some listing be read again"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_account_token_that_expires_mid_run_is_renewed() {
    let run = survives_with(
        "expire=0.1,seed=7",
        service_account(),
        fault_options,
        "expire",
        5,
    )
    .await;
    let expired = run.injected_of("expire");
    assert!(
        run.stats.tokens_issued > 1 && run.stats.tokens_issued <= expired + 1,
        "a new token after each expiry, no more: {} tokens for {expired} expiries",
        run.stats.tokens_issued
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_digest_nonce_that_goes_stale_mid_run_is_answered_afresh() {
    let run = survives_with(
        "expire=0.1,seed=7",
        credentials(),
        fault_options,
        "expire",
        5,
    )
    .await;
    assert!(run.stats.stale_nonces >= run.injected_of("expire"));
    assert_eq!(run.stats.auth_failures, 0, "no answer was refused");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_exits_3_naming_a_listing_that_stays_short_and_nothing_else() {
    // A listing Atlas overcounts stays short on the re-read: the binary must name exactly that
    // scope and exit 3, while truncated bodies and stale nonces elsewhere change nothing.
    let project = project_ids()[2].clone();
    let config = mock_config_with_faults(&format!(
        "overcount=/groups/{project}/databaseUsers,truncated=0.03,expire=0.03,seed=12"
    ));
    let server = start(demo_world(), config).await;
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("snapshot.json");
    let mut cmd = atlas_audit_command();
    cmd.args(["collect", "--as-of", "2027-01-15T12:00:00Z", "--out"])
        .arg(&snap)
        .env("MONGODB_ATLAS_BASE_URL", server.base_url())
        .env("MONGODB_ATLAS_PUBLIC_API_KEY", PUBLIC_KEY)
        .env("MONGODB_ATLAS_PRIVATE_API_KEY", PRIVATE_KEY);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("INCOMPLETE: 1 scope could not be read")
            && stdout.contains(&format!("project:{project} (listGroupDatabaseUsers)")),
        "{stdout}"
    );
    let stats = server.stats();
    assert!(
        stats.faults_injected.get("truncated").copied().unwrap_or(0) > 0,
        "{stats:?}"
    );
    let snapshot = atlas_audit::model::load(&snap).unwrap();
    let gaps: Vec<(&str, &str)> = snapshot
        .coverage
        .iter()
        .map(|g| (g.scope.as_str(), g.endpoint.as_str()))
        .collect();
    assert_eq!(
        gaps,
        vec![(
            format!("project:{project}").as_str(),
            "listGroupDatabaseUsers"
        )]
    );
    // Outside that one gap, the estate is the fault-free one.
    let mut expected = snapshot_from_world(&demo_world());
    expected.coverage = snapshot.coverage.clone();
    assert_eq!(estate_json(&snapshot), estate_json(&expected));
    server.shutdown().await;
}
