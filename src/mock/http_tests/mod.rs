//! Tests of the simulated Atlas over real HTTP, against a server on 127.0.0.1:0, with a
//! small hand-made world.

mod auth;
mod faults;
mod serve;
mod writes;
mod writes_refused;
mod writes_wire;

use std::net::SocketAddr;
use std::sync::Arc;

use secrecy::SecretString;
use serde_json::value::RawValue;

use super::world::{EventIndex, Membership, RawItem, World, WorldBuilder};
use super::{MockConfig, MockServer};

pub(crate) const PUBLIC_KEY: &str = "pubkey01";
pub(crate) const PRIVATE_KEY: &str = "11111111-2222-3333-4444-555555555555";
pub(crate) const CLIENT_ID: &str = "mdb_sa_id_0123456789abcdef01234567";
pub(crate) const CLIENT_SECRET: &str = "mdb_sa_sk_secret";
pub(crate) const ORG: &str = "6650000000000000000000a1";
pub(crate) const GROUP: &str = "6650000000000000000000b1";

fn item(json: String) -> RawItem {
    RawValue::from_string(json).unwrap()
}

/// One org with one project: 1,201 database users, users of every status, events on three
/// days, an API key, a cluster with access history, a custom role, settings.
pub(crate) fn world() -> Arc<World> {
    let mut b = WorldBuilder::new();
    b.listing(
        "/orgs".into(),
        vec![item(format!(r#"{{"id":"{ORG}","name":"Org One"}}"#))],
    );
    b.listing(
        format!("/orgs/{ORG}/groups"),
        vec![item(format!(
            r#"{{"id":"{GROUP}","name":"orders-prod","orgId":"{ORG}","clusterCount":1}}"#
        ))],
    );
    b.object(
        format!("/orgs/{ORG}/settings"),
        item(r#"{"multiFactorAuthRequired":false}"#.into()),
    );
    let statuses = [
        Membership::Active,
        Membership::Pending,
        Membership::InvitationExpired,
        Membership::InvitationRejected,
    ];
    let names = [
        "ACTIVE",
        "PENDING",
        "INVITATION_EXPIRED",
        "INVITATION_REJECTED",
    ];
    b.members(
        format!("/orgs/{ORG}/users"),
        names
            .iter()
            .map(|s| {
                item(format!(
                    r#"{{"username":"{s}@x.example","orgMembershipStatus":"{s}"}}"#
                ))
            })
            .collect(),
        statuses.to_vec(),
    );
    b.listing(
        format!("/orgs/{ORG}/apiKeys"),
        vec![item(r#"{"id":"k1","publicKey":"abcdefgh"}"#.into())],
    );
    b.listing(format!("/orgs/{ORG}/apiKeys/k1/accessList"), vec![]);
    b.listing(
        format!("/groups/{GROUP}/databaseUsers"),
        (0..1201)
            .map(|i| item(format!(r#"{{"username":"u{i}","databaseName":"admin"}}"#)))
            .collect(),
    );
    b.listing(
        format!("/groups/{GROUP}/customDBRoles/roles"),
        vec![item(r#"{"roleName":"r1","actions":[]}"#.into())],
    );
    b.listing(
        format!("/groups/{GROUP}/clusters"),
        vec![item(r#"{"name":"Cluster0"}"#.into())],
    );
    let mut index = EventIndex::default();
    let mut events = Vec::new();
    for (day, kind) in [(3, "JOINED_ORG"), (2, "API_KEY_CREATED"), (1, "JOINED_ORG")] {
        let created = format!("2026-01-0{day}T00:00:00Z");
        events.push(item(format!(
            r#"{{"created":"{created}","eventTypeName":"{kind}"}}"#
        )));
        index.push(super::load::millis(Some(&created)), kind);
    }
    b.events(format!("/orgs/{ORG}/events"), events, index);
    let logs: Vec<(RawItem, i64, Option<bool>)> = (1..=5)
        .map(|day| {
            let at = format!("2026-01-0{day}T00:00:00Z");
            let ok = day % 2 == 1;
            let raw = item(format!(r#"{{"timestamp":"{at}","authResult":{ok}}}"#));
            (raw, super::load::millis(Some(&at)), Some(ok))
        })
        .collect();
    // Served as of the last entry's day: all five are within the week Atlas keeps.
    b.access_logs(
        format!("/groups/{GROUP}/dbAccessHistory/clusters/Cluster0"),
        logs,
        super::load::millis(Some("2026-01-05T12:00:00Z")),
    );
    Arc::new(b.finish())
}

/// A configuration with both an API key and a service account.
pub(crate) fn config() -> MockConfig {
    MockConfig::new(PUBLIC_KEY, SecretString::from(PRIVATE_KEY))
        .with_service_account(CLIENT_ID, SecretString::from(CLIENT_SECRET))
}

pub(crate) fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

pub(crate) async fn start(config: MockConfig) -> MockServer {
    MockServer::start(world(), config, localhost())
        .await
        .unwrap()
}

/// The version-exact Accept header of a path.
pub(crate) fn accept_for(path: &str) -> String {
    let version = super::routes::match_path(path)
        .map(|m| m.route.version)
        .unwrap_or("2023-01-01");
    super::api::media_type(version)
}

/// A service-account client: fetches a token once, then sends bearer requests.
pub(crate) struct Bearer {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Bearer {
    pub async fn new(server: &MockServer) -> Bearer {
        let http = reqwest::Client::new();
        let base = server.base_url();
        let token = token(&http, &base, CLIENT_ID, CLIENT_SECRET).await.unwrap();
        Bearer { http, base, token }
    }

    /// GET an API path (with query) with the right Accept header.
    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        let path = path_and_query.split('?').next().unwrap_or_default();
        self.http
            .get(format!("{}/api/atlas/v2{path_and_query}", self.base))
            .bearer_auth(&self.token)
            .header("Accept", accept_for(path))
            .send()
            .await
            .unwrap()
    }

    /// GET and parse the JSON body, asserting a status.
    pub async fn json(&self, path_and_query: &str, status: u16) -> serde_json::Value {
        let response = self.get(path_and_query).await;
        assert_eq!(response.status().as_u16(), status, "{path_and_query}");
        body(response).await
    }
}

/// Asks the token endpoint for a token; the access token, or the HTTP status on refusal.
pub(crate) async fn token(
    http: &reqwest::Client,
    base: &str,
    id: &str,
    secret: &str,
) -> Result<String, u16> {
    let response = http
        .post(format!("{base}/api/oauth/token"))
        .basic_auth(id, Some(secret))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    if !response.status().is_success() {
        return Err(response.status().as_u16());
    }
    let body = body(response).await;
    Ok(body["access_token"].as_str().unwrap().to_owned())
}

/// The JSON body of a response.
pub(crate) async fn body(response: reqwest::Response) -> serde_json::Value {
    let bytes = response.bytes().await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}
