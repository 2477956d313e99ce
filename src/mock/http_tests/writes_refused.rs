//! Writes the simulated Atlas refuses or answers differently, as Atlas does: a repeated delete,
//! the last owner or last role, a caller without the role, and the wrong version.

use serde_json::json;

use super::writes::{V25, config, read, roles, serve, world, write};
use super::{GROUP, ORG};
use crate::atlas::write_endpoint::{self as w, WriteEndpoint};
use crate::mock::CallerRoles;

#[tokio::test]
async fn a_repeated_delete_is_404_with_the_code_atlas_sends() {
    let (server, client) = serve(world(), config()).await;
    for (endpoint, values, code) in [
        (&w::REMOVE_ORG_USER, [ORG, "u-bob"], None),
        (&w::REMOVE_GROUP_TEAM, [GROUP, "t1"], None),
        (
            &w::DELETE_ORG_API_KEY,
            [ORG, "k1"],
            Some("API_KEY_NOT_FOUND"),
        ),
    ] {
        assert_eq!(write(&client, endpoint, &values, None).await.status, 204);
        let again = write(&client, endpoint, &values, None).await;
        assert_eq!(again.status, 404, "{again:?}");
        assert_eq!(again.error_code.as_deref(), code, "{}", endpoint.name);
        assert!(again.detail.is_some());
    }
    // A project that does not exist.
    let missing = write(
        &client,
        &w::REMOVE_GROUP_USER,
        &["6650000000000000000000ff", "u-bob"],
        None,
    )
    .await;
    assert_eq!(
        (missing.status, missing.error_code.as_deref()),
        (404, Some("GROUP_NOT_FOUND"))
    );
    // 404 is not retried: each was sent once.
    assert_eq!(server.stats().writes.len(), 7);
    server.shutdown().await;
}

#[tokio::test]
async fn the_last_owner_and_a_last_role_are_refused() {
    let (server, client) = serve(world(), config()).await;
    let removed = write(&client, &w::REMOVE_ORG_USER, &[ORG, "u-owner"], None).await;
    assert_eq!(
        (removed.status, removed.error_code.as_deref()),
        (409, Some("CANNOT_REMOVE_LAST_ORG_OWNER"))
    );
    let demoted = write(
        &client,
        &w::REMOVE_ORG_USER_ROLE,
        &[ORG, "u-owner"],
        Some(json!({"orgRole": "ORG_OWNER"})),
    )
    .await;
    assert_eq!(demoted.status, 409);
    let last = write(
        &client,
        &w::REMOVE_ORG_USER_ROLE,
        &[ORG, "u-bob"],
        Some(json!({"orgRole": "ORG_MEMBER"})),
    )
    .await;
    assert_eq!(
        (last.status, last.error_code.as_deref()),
        (400, Some("CANNOT_REMOVE_LAST_ROLE"))
    );
    let last = write(
        &client,
        &w::REMOVE_GROUP_USER_ROLE,
        &[GROUP, "u-bob"],
        Some(json!({"groupRole": "GROUP_READ_ONLY"})),
    )
    .await;
    assert_eq!(last.status, 400);
    // With a second owner in place, the first may go.
    let promoted = write(
        &client,
        &w::ADD_ORG_USER_ROLE,
        &[ORG, "u-bob"],
        Some(json!({"orgRole": "ORG_OWNER"})),
    )
    .await;
    assert_eq!(promoted.status, 200);
    assert_eq!(
        write(&client, &w::REMOVE_ORG_USER, &[ORG, "u-owner"], None)
            .await
            .status,
        204
    );
    // Nothing refused changed the world.
    let bob = read(&client, "/orgs/{o}/users/{u}", &[ORG, "u-bob"], V25).await;
    assert_eq!(roles(&bob, "/roles/orgRoles"), ["ORG_MEMBER", "ORG_OWNER"]);
    server.shutdown().await;
}

#[tokio::test]
async fn a_caller_without_the_role_gets_403_and_changes_nothing() {
    let roles = CallerRoles::new()
        .grant(&format!("org:{ORG}"), &["ORG_MEMBER"])
        .grant(&format!("project:{GROUP}"), &["GROUP_ACCESS_MANAGER"]);
    let (server, client) = serve(world().with_caller_roles(roles), config()).await;
    let refused = write(&client, &w::REMOVE_ORG_USER, &[ORG, "u-bob"], None).await;
    assert_eq!(
        (refused.status, refused.error_code.as_deref()),
        (403, Some("USER_UNAUTHORIZED"))
    );
    assert!(
        refused
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("Organization Owner")
    );
    let refused = write(
        &client,
        &w::DELETE_GROUP_SERVICE_ACCOUNT,
        &[GROUP, "mdb_sa_id_1"],
        None,
    )
    .await;
    assert_eq!(refused.status, 403, "needs Project Owner");
    assert!(
        read(&client, "/orgs/{o}/users/{u}", &[ORG, "u-bob"], V25)
            .await
            .is_some()
    );
    // Project Access Manager is enough for a project role.
    let done = write(&client, &w::REMOVE_GROUP_USER, &[GROUP, "u-bob"], None).await;
    assert_eq!(done.status, 204);
    assert_eq!(
        server
            .stats()
            .writes
            .iter()
            .filter(|w| w.status == 403)
            .count(),
        2
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_wrong_version_is_refused_as_for_reads() {
    let (server, client) = serve(world(), config()).await;
    let wrong = WriteEndpoint {
        version: "2023-01-01",
        ..w::REMOVE_ORG_USER
    };
    let outcome = write(&client, &wrong, &[ORG, "u-bob"], None).await;
    assert_eq!(
        (outcome.status, outcome.error_code.as_deref()),
        (406, Some("INVALID_VERSION_DATE"))
    );
    assert!(
        read(&client, "/orgs/{o}/users/{u}", &[ORG, "u-bob"], V25)
            .await
            .is_some()
    );
    server.shutdown().await;
}
