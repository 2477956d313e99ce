//! Collection under faults: transient errors change nothing; denied scopes become named gaps.

mod common;

use common::*;
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
    let config = mock_config_with_faults(
        "500=0.03,502=0.01,503=0.02,504=0.01,429=0.01,drop=0.01,slow=0.01,slow-ms=1500,seed=11",
    );
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
        "faults were injected: {:?}",
        stats.faults_injected
    );
    assert!(
        snapshot.coverage.is_empty(),
        "gaps: {:#?}",
        snapshot.coverage
    );
    let retries: u64 = snapshot.meta.endpoints.values().map(|t| t.retries).sum();
    assert!(
        retries >= injected,
        "every fault was retried ({retries} retries, {injected} faults)"
    );
    assert_eq!(
        estate_json(&snapshot),
        estate_json(&snapshot_from_world(&demo_world()))
    );
    server.shutdown().await;
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
async fn rate_limit_is_learned_and_respected() {
    let mut config = mock_config();
    config.rate_limit = Some("25/s".parse().unwrap());
    let server = start(demo_world(), config).await;
    let client =
        atlas_audit::atlas::Client::new(credentials(), fast_options(server.base_url())).unwrap();
    let snapshot = atlas_audit::collect::collect(&client, &collect_options())
        .await
        .unwrap();
    assert!(
        snapshot.coverage.is_empty(),
        "gaps: {:#?}",
        snapshot.coverage
    );
    let (capacity, rate) = client
        .learned_rate_limit()
        .expect("bucket learned from the 429 body");
    assert_eq!((capacity, rate), (25.0, 25.0));
    let limited = server.stats().rate_limited;
    let sent: u64 = snapshot.meta.endpoints.values().map(|t| t.requests).sum();
    assert!(
        sent > 75,
        "enough requests to exhaust the bucket three times ({sent})"
    );
    assert!(
        limited <= 4 * 4,
        "paced after learning: {limited} 429s for {sent} requests"
    );
    assert_eq!(
        estate_json(&snapshot),
        estate_json(&snapshot_from_world(&demo_world()))
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
    assert!(err.to_string().contains("HTTP 500"), "{err}");
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
    let project = project_ids()[0].clone();
    let config = mock_config_with_faults(&format!("overcount=/groups/{project}/databaseUsers"));
    let (snapshot, server) = collect_from(demo_world(), config, credentials(), fast_options).await;
    assert_eq!(snapshot.coverage.len(), 1, "{:#?}", snapshot.coverage);
    let gap = &snapshot.coverage[0];
    assert_eq!(gap.scope, format!("project:{project}"));
    assert_eq!(gap.endpoint, "listGroupDatabaseUsers");
    assert!(
        gap.reason.contains("Atlas counted") && gap.reason.contains("twice"),
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
