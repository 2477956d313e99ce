//! Collection against the simulated Atlas: completeness, exact request counts, media types.

use crate::common::*;
use atlas_audit::atlas::{Client, MAX_PAGE_SIZE};
use atlas_audit::collect;
use atlas_audit::mock::{MockServer, NonceReuse, SyntheticSize, World};
use atlas_audit::model::PrincipalDetail;
use pretty_assertions::assert_eq;

/// The server's two ways with digest nonces: reusable with a rising count, or good for one
/// request (a reuse refused with `stale=false`). Collections must not depend on which.
const NONCE_MODES: [NonceReuse; 2] = [NonceReuse::Unlimited, NonceReuse::Once];

#[tokio::test(flavor = "multi_thread")]
async fn demo_round_trip_equals_the_world_files() {
    let expected = estate_json(&snapshot_from_world(&demo_world()));
    for mode in NONCE_MODES {
        let mut config = mock_config();
        config.nonce_reuse = mode;
        let (snapshot, server) =
            collect_from(demo_world(), config, credentials(), fast_options).await;
        assert!(
            snapshot.coverage.is_empty(),
            "{mode:?} gaps: {:#?}",
            snapshot.coverage
        );
        assert!(
            snapshot.principals.len() > 20,
            "the demo world is not trivial"
        );
        assert_eq!(estate_json(&snapshot), expected, "{mode:?}");
        // The account Atlas manages itself is listed only when asked for, and marked.
        let managed: Vec<(&str, Option<bool>)> = snapshot
            .principals
            .iter()
            .filter_map(|p| match &p.detail {
                PrincipalDetail::ServiceAccount(s) => {
                    Some((s.client_id.as_str(), s.system_managed))
                }
                _ => None,
            })
            .collect();
        assert_eq!(managed.len(), 6, "{managed:?}");
        for (id, flag) in managed {
            let expected = id == "mdb_sa_id_6650f1000000000000000006";
            assert_eq!(flag, Some(expected), "{id}");
        }
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn synthetic_round_trip_with_paging() {
    let world = World::synthetic(SyntheticSize::Medium, now());
    assert!(
        world.listings_longer_than(MAX_PAGE_SIZE) > 0,
        "medium must exercise paging"
    );
    let direct = estate_json(&snapshot_from_world(&world));
    let world = std::sync::Arc::new(world);
    for mode in NONCE_MODES {
        let mut config = mock_config();
        config.nonce_reuse = mode;
        let server = MockServer::start(world.clone(), config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let client = Client::new(credentials(), fast_options(server.base_url())).unwrap();
        let snapshot = collect::collect(&client, &collect_options()).await.unwrap();
        assert!(
            snapshot.coverage.is_empty(),
            "{mode:?} gaps: {:#?}",
            snapshot.coverage
        );
        assert_eq!(estate_json(&snapshot), direct, "{mode:?}");
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_are_the_minimum_the_api_allows() {
    let world = World::synthetic(SyntheticSize::Medium, now());
    let expected = minimum_requests(&world, &snapshot_from_world(&world));
    let (snapshot, server) = collect_from(world, mock_config(), credentials(), fast_options).await;
    let tallies = &snapshot.meta.endpoints;
    let sent: u64 = tallies.values().map(|t| t.requests).sum();
    let challenges: u64 = tallies.values().map(|t| t.challenges).sum();
    let retries: u64 = tallies.values().map(|t| t.retries).sum();
    assert_eq!(challenges, 1, "one digest challenge for the whole run");
    assert_eq!(retries, 0);
    assert_eq!(
        sent - challenges,
        expected,
        "requests beyond the first challenge"
    );
    assert_eq!(
        server.stats().requests,
        sent,
        "the server saw exactly what the client counted"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_sends_its_own_media_type() {
    let mut config = mock_config();
    config.strict_accept = true;
    let (snapshot, server) = collect_from(demo_world(), config, credentials(), fast_options).await;
    assert_eq!(server.stats().wrong_accept, 0);
    assert!(
        snapshot.coverage.is_empty(),
        "gaps: {:#?}",
        snapshot.coverage
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_media_type_is_caught_by_the_strict_server() {
    use atlas_audit::atlas::{Client, endpoint};
    let mut config = mock_config();
    config.strict_accept = true;
    let server = start(demo_world(), config).await;
    let client = Client::new(credentials(), fast_options(server.base_url())).unwrap();
    // listOrgs asked for with the users' version: the server must refuse it.
    let wrong = endpoint::Endpoint {
        version: "2025-02-19",
        ..endpoint::LIST_ORGS
    };
    let err = client
        .get_all::<serde_json::Value>(&wrong, "/orgs", &[])
        .await
        .expect_err("406 expected");
    assert_eq!(err.status(), Some(406), "{err}");
    assert_eq!(server.stats().wrong_accept, 1);
    server.shutdown().await;
}

/// Copies the demo world and gives one cluster `n` access-log entries in Atlas's form, ending
/// at the world's `as_of`: pairs 13 s apart, the two of a pair in the same second (so the same
/// `timestamp`) and told apart only by their `logLine`s.
fn demo_with_busy_cluster(n: usize) -> (tempfile::TempDir, World) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join("demo"), dir.path());
    let as_of: jiff::Timestamp = "2026-11-20T09:00:00Z".parse().unwrap();
    let logs: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let pair = i / 2;
            let at = as_of - jiff::SignedDuration::from_secs(13 * pair as i64 + 1)
                + jiff::SignedDuration::from_millis(300 * (i % 2) as i64);
            let user = format!("app-user-{}", pair % 7);
            let line = serde_json::json!({
                "t": {"$date": at.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()},
                "s": "I",
                "c": "ACCESS",
                "ctx": format!("conn{i}"),
                "attr": {"user": user, "db": "admin"},
            });
            serde_json::json!({
                "authResult": pair % 11 != 0,
                "authSource": "admin",
                "failureReason": null,
                "groupId": "6650b1000000000000000001",
                "hostname": "storefront-main-shard-00-00.x4kq9.mongodb.net",
                "ipAddress": "10.20.3.41",
                "logLine": line.to_string(),
                "timestamp": atlas_audit::model::logtime::java_date(at, "GMT").unwrap(),
                "username": user,
            })
        })
        .collect();
    let file = dir
        .path()
        .join("groups/6650b1000000000000000001/dbAccessHistory/clusters/storefront-main.json");
    std::fs::write(
        &file,
        serde_json::to_string(&serde_json::json!({ "accessLogs": logs })).unwrap(),
    )
    .unwrap();
    let world = World::load(dir.path(), now()).unwrap();
    (dir, world)
}

#[tokio::test(flavor = "multi_thread")]
async fn access_logs_over_the_cap_are_read_in_halves() {
    let (_dir, world) = demo_with_busy_cluster(45_000);
    let direct = snapshot_from_world(&world);
    let busy = direct
        .access_logs
        .iter()
        .filter(|l| l.cluster == "storefront-main")
        .count();
    assert!(
        busy > atlas_audit::collect::MAX_ACCESS_LOGS,
        "the window holds more than one answer: {busy}"
    );
    let (snapshot, server) = collect_from(world, mock_config(), credentials(), fast_options).await;
    assert!(
        snapshot.coverage.is_empty(),
        "gaps: {:#?}",
        snapshot.coverage
    );
    let calls = snapshot.meta.endpoints["getGroupDbAccessHistoryCluster"].pages;
    let clusters: usize = direct
        .projects
        .iter()
        .map(|p| p.clusters.as_ref().map_or(0, Vec::len))
        .sum();
    assert!(
        calls > clusters as u64,
        "the busy cluster was read in parts ({calls} calls, {clusters} clusters)"
    );
    assert_eq!(
        estate_json(&snapshot),
        estate_json(&direct),
        "nothing lost, nothing doubled"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tenant_clusters_are_never_asked_for_history_and_flex_clusters_are_read() {
    let (snapshot, server) =
        collect_from(demo_world(), mock_config(), credentials(), fast_options).await;
    assert!(snapshot.coverage.is_empty(), "{:#?}", snapshot.coverage);
    let clusters: Vec<&atlas_audit::model::Cluster> = snapshot
        .projects
        .iter()
        .flat_map(|p| p.clusters.iter().flatten())
        .collect();
    let tier = |name: &str| {
        clusters
            .iter()
            .find(|c| c.name == name)
            .map(|c| (c.tier.clone(), c.is_tenant()))
    };
    assert_eq!(tier("sandbox-free"), Some((Some("M0".into()), true)));
    assert_eq!(tier("ml-flex"), Some((Some("FLEX".into()), true)));
    assert_eq!(tier("payments-core"), Some((Some("M40".into()), false)));
    let stats = server.stats();
    // Asked for a tenant cluster's history, the simulated Atlas answers 400: none was asked.
    assert_eq!(stats.by_status.get(&400), None, "{stats:?}");
    let dedicated = clusters.iter().filter(|c| !c.is_tenant()).count() as u64;
    assert_eq!(
        stats.by_route["GET /groups/{groupId}/dbAccessHistory/clusters/{clusterName}"],
        dedicated
    );
    assert_eq!(stats.by_route["GET /groups/{groupId}/flexClusters"], 6);
    assert!(
        !snapshot
            .access_log_windows
            .iter()
            .any(|w| w.cluster == "sandbox-free" || w.cluster == "ml-flex")
    );
    server.shutdown().await;
}
