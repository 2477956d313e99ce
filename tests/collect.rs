//! Collection against the simulated Atlas: completeness, exact request counts, media types.

mod common;

use atlas_audit::atlas::MAX_PAGE_SIZE;
use atlas_audit::mock::{SyntheticSize, World};
use common::*;
use pretty_assertions::assert_eq;

#[tokio::test(flavor = "multi_thread")]
async fn demo_round_trip_equals_the_world_files() {
    let (snapshot, server) =
        collect_from(demo_world(), mock_config(), credentials(), fast_options).await;
    assert!(
        snapshot.coverage.is_empty(),
        "gaps: {:#?}",
        snapshot.coverage
    );
    assert!(
        snapshot.principals.len() > 20,
        "the demo world is not trivial"
    );
    assert_eq!(
        estate_json(&snapshot),
        estate_json(&snapshot_from_world(&demo_world()))
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn synthetic_round_trip_with_paging() {
    let world = World::synthetic(SyntheticSize::Medium, now());
    assert!(
        world.listings_longer_than(MAX_PAGE_SIZE) > 0,
        "medium must exercise paging"
    );
    let direct = snapshot_from_world(&world);
    let (snapshot, server) = collect_from(world, mock_config(), credentials(), fast_options).await;
    assert!(
        snapshot.coverage.is_empty(),
        "gaps: {:#?}",
        snapshot.coverage
    );
    assert_eq!(estate_json(&snapshot), estate_json(&direct));
    server.shutdown().await;
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
