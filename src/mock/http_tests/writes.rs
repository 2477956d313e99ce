//! Writes against the simulated Atlas, through the tool's own client: each write changes what a
//! later read shows, repeats and refusals answer as Atlas would, and the client's retry rules
//! for writes hold against real HTTP.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};

use super::{GROUP, ORG, PRIVATE_KEY, PUBLIC_KEY, item, localhost};
use crate::atlas::write_endpoint::{self as w, WriteEndpoint};
use crate::atlas::{Client, ClientOptions, Credentials, WriteOutcome};
use crate::mock::world::{Membership, World, WorldBuilder};
use crate::mock::{MockConfig, MockServer};

pub(super) const DN: &str = "CN=svc,OU=apps,O=North wind";
pub(super) const ARN: &str = "arn:aws:iam::123456789012:role/app";
pub(super) const OIDC: &str = "0123456789abcdef01234567/analysts";

fn users() -> Vec<Value> {
    vec![
        json!({"id": "u-owner", "username": "owner@x.example", "orgMembershipStatus": "ACTIVE",
               "roles": {"orgRoles": ["ORG_OWNER"], "groupRoleAssignments": []}, "teamIds": []}),
        json!({"id": "u-alice", "username": "alice@x.example", "orgMembershipStatus": "ACTIVE",
               "roles": {"orgRoles": ["ORG_MEMBER", "ORG_READ_ONLY"], "groupRoleAssignments": [
                   {"groupId": GROUP, "groupRoles": ["GROUP_READ_ONLY", "GROUP_CLUSTER_MANAGER"]}]},
               "teamIds": ["t1"]}),
        json!({"id": "u-bob", "username": "bob@x.example", "orgMembershipStatus": "ACTIVE",
               "roles": {"orgRoles": ["ORG_MEMBER"], "groupRoleAssignments": [
                   {"groupId": GROUP, "groupRoles": ["GROUP_READ_ONLY"]}]}, "teamIds": []}),
    ]
}

fn listing(b: &mut WorldBuilder, path: String, items: &[Value]) {
    b.listing(path, items.iter().map(|v| item(v.to_string())).collect());
}

/// One org and project holding one of every object a write changes.
pub(super) fn world() -> World {
    let mut b = WorldBuilder::new();
    listing(
        &mut b,
        "/orgs".into(),
        &[json!({"id": ORG, "name": "Org One"})],
    );
    listing(
        &mut b,
        format!("/orgs/{ORG}/groups"),
        &[json!({"id": GROUP, "name": "orders-prod", "orgId": ORG})],
    );
    let users = users();
    b.members(
        format!("/orgs/{ORG}/users"),
        users.iter().map(|v| item(v.to_string())).collect(),
        vec![Membership::Active; users.len()],
    );
    listing(
        &mut b,
        format!("/orgs/{ORG}/teams"),
        &[json!({"id": "t1", "name": "ops"})],
    );
    listing(
        &mut b,
        format!("/groups/{GROUP}/teams"),
        &[json!({"teamId": "t1", "roleNames": ["GROUP_OWNER"]})],
    );
    listing(
        &mut b,
        format!("/orgs/{ORG}/apiKeys"),
        &[
            json!({"id": "k1", "publicKey": "abcdefgh", "desc": "ci", "roles": [
            {"orgId": ORG, "roleName": "ORG_MEMBER"}, {"groupId": GROUP, "roleName": "GROUP_OWNER"}]}),
        ],
    );
    listing(&mut b, format!("/orgs/{ORG}/apiKeys/k1/accessList"), &[]);
    b.service_accounts(
        format!("/orgs/{ORG}/serviceAccounts"),
        vec![item(
            json!({"clientId": "mdb_sa_id_1", "name": "etl", "roles": ["ORG_MEMBER"],
                   "secrets": [{"id": "s1"}, {"id": "s2"}]})
            .to_string(),
        )],
        vec![false],
    );
    listing(
        &mut b,
        format!("/orgs/{ORG}/serviceAccounts/mdb_sa_id_1/groups"),
        &[json!({"groupId": GROUP, "roles": ["GROUP_READ_ONLY"]})],
    );
    listing(
        &mut b,
        format!("/groups/{GROUP}/databaseUsers"),
        &[
            json!({"username": DN, "databaseName": "$external", "x509Type": "CUSTOMER",
                   "roles": [{"roleName": "readWrite", "databaseName": "inventory"}]}),
            json!({"username": ARN, "databaseName": "$external", "awsIAMType": "ROLE",
                   "roles": [{"roleName": "read", "databaseName": "orders"}]}),
            json!({"username": OIDC, "databaseName": "admin", "oidcAuthType": "IDP_GROUP",
                   "roles": [{"roleName": "readAnyDatabase", "databaseName": "admin"}]}),
        ],
    );
    listing(
        &mut b,
        format!("/orgs/{ORG}/invites"),
        &[json!({"id": "i1", "username": "new@x.example", "roles": ["ORG_MEMBER"]})],
    );
    listing(
        &mut b,
        format!("/groups/{GROUP}/invites"),
        &[json!({"id": "i2", "username": "new@x.example", "roles": ["GROUP_READ_ONLY"]})],
    );
    b.finish()
}

pub(super) fn config() -> MockConfig {
    MockConfig::new(PUBLIC_KEY, SecretString::from(PRIVATE_KEY))
}

pub(super) async fn serve(world: World, config: MockConfig) -> (MockServer, Client) {
    let server = MockServer::start(Arc::new(world), config, localhost())
        .await
        .unwrap();
    let client = Client::new(
        Credentials::ApiKey {
            public_key: PUBLIC_KEY.into(),
            private_key: SecretString::from(PRIVATE_KEY),
        },
        ClientOptions {
            base_url: server.base_url(),
            max_retries: 2,
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_secs(3),
            ..ClientOptions::default()
        },
    )
    .unwrap();
    (server, client)
}

pub(super) async fn write(
    client: &Client,
    endpoint: &WriteEndpoint,
    values: &[&str],
    body: Option<Value>,
) -> WriteOutcome {
    let path = endpoint.path(values).unwrap();
    client.write(endpoint, &path, body.as_ref()).await.unwrap()
}

pub(super) async fn read(
    client: &Client,
    template: &str,
    values: &[&str],
    version: &str,
) -> Option<Value> {
    let path = w::fill_path(template, values).unwrap();
    client.get_one(&path, version).await.unwrap()
}

pub(super) const V25: &str = "2025-02-19";
pub(super) const V23: &str = "2023-01-01";
pub(super) const V24: &str = "2024-08-05";

pub(super) fn roles(v: &Option<Value>, pointer: &str) -> Vec<String> {
    v.as_ref()
        .and_then(|v| v.pointer(pointer))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn user_and_team_writes_change_later_reads() {
    let (server, client) = serve(world(), config()).await;
    let org_user = "/orgs/{o}/users/{u}";
    let group_user = "/groups/{g}/users/{u}";

    // Org role: add, then remove; the listing and the check GET agree.
    let added = write(
        &client,
        &w::ADD_ORG_USER_ROLE,
        &[ORG, "u-bob"],
        Some(json!({"orgRole": "ORG_BILLING_ADMIN"})),
    )
    .await;
    assert_eq!(added.status, 200, "{added:?}");
    assert_eq!(
        added.java_method.as_deref(),
        Some("ApiOrganizationUsersResource::addRole")
    );
    let bob = read(&client, org_user, &[ORG, "u-bob"], V25).await;
    assert_eq!(
        roles(&bob, "/roles/orgRoles"),
        ["ORG_MEMBER", "ORG_BILLING_ADMIN"]
    );
    let removed = write(
        &client,
        &w::REMOVE_ORG_USER_ROLE,
        &[ORG, "u-bob"],
        Some(json!({"orgRole": "ORG_MEMBER"})),
    )
    .await;
    assert_eq!(removed.status, 200);
    assert_eq!(
        roles(&removed.body, "/roles/orgRoles"),
        ["ORG_BILLING_ADMIN"]
    );

    // Project role: add then remove; the project view shows only that project's roles.
    let added = write(
        &client,
        &w::ADD_GROUP_USER_ROLE,
        &[GROUP, "u-bob"],
        Some(json!({"groupRole": "GROUP_DATA_ACCESS_READ_ONLY"})),
    )
    .await;
    assert_eq!(
        roles(&added.body, "/roles"),
        ["GROUP_READ_ONLY", "GROUP_DATA_ACCESS_READ_ONLY"]
    );
    write(
        &client,
        &w::REMOVE_GROUP_USER_ROLE,
        &[GROUP, "u-bob"],
        Some(json!({"groupRole": "GROUP_READ_ONLY"})),
    )
    .await;
    let bob = read(&client, group_user, &[GROUP, "u-bob"], V25).await;
    assert_eq!(roles(&bob, "/roles"), ["GROUP_DATA_ACCESS_READ_ONLY"]);

    // Off the team, off the project, out of the org.
    let off = write(
        &client,
        &w::REMOVE_ORG_TEAM_USER,
        &[ORG, "t1"],
        Some(json!({"id": "u-alice"})),
    )
    .await;
    assert_eq!(off.status, 200);
    assert_eq!(roles(&off.body, "/teamIds"), Vec::<String>::new());
    let gone = write(&client, &w::REMOVE_GROUP_USER, &[GROUP, "u-alice"], None).await;
    assert_eq!(gone.status, 204);
    assert_eq!(
        read(&client, group_user, &[GROUP, "u-alice"], V25).await,
        None
    );
    assert!(
        read(&client, org_user, &[ORG, "u-alice"], V25)
            .await
            .is_some()
    );
    let gone = write(&client, &w::REMOVE_ORG_USER, &[ORG, "u-alice"], None).await;
    assert_eq!(gone.status, 204);
    assert_eq!(gone.body, None);
    assert_eq!(read(&client, org_user, &[ORG, "u-alice"], V25).await, None);

    // The listing the collector reads shows it, membership filter and all.
    let listing = read(&client, "/orgs/{o}/users", &[ORG], V25).await.unwrap();
    let ids: Vec<&str> = listing["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(ids, ["u-owner", "u-bob"]);
    assert_eq!(listing["totalCount"], 2);

    // Teams on the project: change roles, then take the team off.
    let team = "/groups/{g}/teams/{t}";
    let changed = write(
        &client,
        &w::UPDATE_GROUP_TEAM,
        &[GROUP, "t1"],
        Some(json!({"teamId": "t1", "roleNames": ["GROUP_READ_ONLY"]})),
    )
    .await;
    assert_eq!(changed.status, 200);
    assert_eq!(
        changed.body.as_ref().unwrap()["results"][0]["roleNames"],
        json!(["GROUP_READ_ONLY"])
    );
    assert_eq!(
        read(&client, team, &[GROUP, "t1"], V23).await.unwrap()["roleNames"],
        json!(["GROUP_READ_ONLY"])
    );
    assert_eq!(
        write(&client, &w::REMOVE_GROUP_TEAM, &[GROUP, "t1"], None)
            .await
            .status,
        204
    );
    assert_eq!(read(&client, team, &[GROUP, "t1"], V23).await, None);

    let stats = server.stats();
    assert_eq!(stats.applied_writes().len(), 9, "{:?}", stats.writes);
    assert_eq!(
        stats.writes[0].body,
        Some(json!({"orgRole": "ORG_BILLING_ADMIN"}))
    );
    assert_eq!(
        stats.writes[0].path,
        format!("/orgs/{ORG}/users/u-bob:addRole")
    );
    server.shutdown().await;
}

#[tokio::test]
async fn key_account_and_invitation_writes_change_later_reads() {
    let (server, client) = serve(world(), config()).await;
    let key = "/orgs/{o}/apiKeys/{k}";
    let changed = write(
        &client,
        &w::UPDATE_GROUP_API_KEY_ROLES,
        &[GROUP, "k1"],
        Some(json!({"roles": ["GROUP_READ_ONLY"]})),
    )
    .await;
    assert_eq!(changed.status, 200);
    let k1 = read(&client, key, &[ORG, "k1"], V23).await.unwrap();
    assert_eq!(
        k1["roles"],
        json!([{"orgId": ORG, "roleName": "ORG_MEMBER"}, {"groupId": GROUP, "roleName": "GROUP_READ_ONLY"}])
    );
    write(
        &client,
        &w::UPDATE_ORG_API_KEY,
        &[ORG, "k1"],
        Some(json!({"roles": ["ORG_READ_ONLY"]})),
    )
    .await;
    assert_eq!(
        write(&client, &w::REMOVE_GROUP_API_KEY, &[GROUP, "k1"], None)
            .await
            .status,
        204
    );
    let k1 = read(&client, key, &[ORG, "k1"], V23).await.unwrap();
    assert_eq!(
        k1["roles"],
        json!([{"orgId": ORG, "roleName": "ORG_READ_ONLY"}])
    );
    assert_eq!(
        write(&client, &w::DELETE_ORG_API_KEY, &[ORG, "k1"], None)
            .await
            .status,
        204
    );
    assert_eq!(read(&client, key, &[ORG, "k1"], V23).await, None);
    // A deleted key's access list is gone with it.
    assert_eq!(
        read(
            &client,
            "/orgs/{o}/apiKeys/{k}/accessList",
            &[ORG, "k1"],
            V23
        )
        .await,
        None
    );

    let sa = "mdb_sa_id_1";
    let group_sa = "/groups/{g}/serviceAccounts/{c}";
    let changed = write(
        &client,
        &w::UPDATE_GROUP_SERVICE_ACCOUNT,
        &[GROUP, sa],
        Some(json!({"roles": ["GROUP_DATA_ACCESS_READ_ONLY"]})),
    )
    .await;
    assert_eq!(
        roles(&changed.body, "/roles"),
        ["GROUP_DATA_ACCESS_READ_ONLY"]
    );
    assert_eq!(
        roles(&read(&client, group_sa, &[GROUP, sa], V24).await, "/roles"),
        ["GROUP_DATA_ACCESS_READ_ONLY"]
    );
    assert_eq!(
        write(
            &client,
            &w::DELETE_GROUP_SERVICE_ACCOUNT,
            &[GROUP, sa],
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(read(&client, group_sa, &[GROUP, sa], V24).await, None);
    write(
        &client,
        &w::UPDATE_ORG_SERVICE_ACCOUNT,
        &[ORG, sa],
        Some(json!({"roles": ["ORG_READ_ONLY"]})),
    )
    .await;
    assert_eq!(
        write(
            &client,
            &w::DELETE_ORG_SERVICE_ACCOUNT_SECRET,
            &[ORG, sa, "s1"],
            None
        )
        .await
        .status,
        204
    );
    let account = read(&client, "/orgs/{o}/serviceAccounts/{c}", &[ORG, sa], V24)
        .await
        .unwrap();
    assert_eq!(account["roles"], json!(["ORG_READ_ONLY"]));
    assert_eq!(account["secrets"], json!([{"id": "s2"}]));
    assert_eq!(
        write(&client, &w::DELETE_ORG_SERVICE_ACCOUNT, &[ORG, sa], None)
            .await
            .status,
        204
    );
    let listing = read(&client, "/orgs/{o}/serviceAccounts", &[ORG], V24)
        .await
        .unwrap();
    assert_eq!(listing["results"], json!([]));

    for (endpoint, scope, id, check) in [
        (&w::DELETE_ORG_INVITE, ORG, "i1", "/orgs/{o}/invites/{i}"),
        (
            &w::DELETE_GROUP_INVITE,
            GROUP,
            "i2",
            "/groups/{g}/invites/{i}",
        ),
    ] {
        assert!(read(&client, check, &[scope, id], V23).await.is_some());
        let deleted = write(&client, endpoint, &[scope, id], None).await;
        assert_eq!(deleted.status, 204);
        assert!(
            deleted.deprecation.is_some() && deleted.sunset.is_some(),
            "{deleted:?}"
        );
        assert_eq!(read(&client, check, &[scope, id], V23).await, None);
        let again = write(&client, endpoint, &[scope, id], None).await;
        assert_eq!(
            (again.status, again.error_code.as_deref()),
            (404, Some("INVALID_INVITATION_ID"))
        );
    }
    server.shutdown().await;
}
