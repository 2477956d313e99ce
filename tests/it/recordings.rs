//! Every real Atlas response body recorded by MongoDB's own CLI tests (`../shared/atlas-recordings/`,
//! one folder per operation id, errors under `error-<status>`) is served as recorded by a replay
//! server on 127.0.0.1 and read through the client's one request path. Nothing may be lost:
//! every listing's every entry, every field the wire types have a place for (the decoded value,
//! serialised under the same names, is held against the body), and every error's status, code
//! and detail. A folder added later is picked up here; one this file does not classify fails the
//! test, so that someone decides what it is read as. The bodies are read from `../shared/` and
//! never copied into the project; where that folder is absent the test says so and passes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::common::*;
use atlas_audit::atlas::endpoint::{self as ep, Endpoint};
use atlas_audit::atlas::types::{self, ListingItem};
use atlas_audit::atlas::{AtlasError, Client};
use axum::body::Body;
use axum::http::{Response, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn recordings() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/atlas-recordings");
    dir.is_dir().then_some(dir)
}

/// How a recorded operation is read.
enum ReadAs {
    /// Through an endpoint the collector calls, as this wire type.
    Listing(fn(Arc<Client>, String) -> Check),
    /// An error body of this status.
    Error(u16),
    /// An operation the collector does not read (yet); the reason is printed.
    NotRead(&'static str),
}

type Check =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<Value>, String>> + Send>>;

/// What each recorded operation is read as. A folder missing here fails the test.
fn read_as(operation: &str) -> Option<ReadAs> {
    macro_rules! listing {
        ($endpoint:expr, $ty:ty) => {
            ReadAs::Listing(|client, path| {
                Box::pin(async move { paged::<$ty>(&client, &$endpoint, &path).await })
            })
        };
    }
    macro_rules! object {
        ($endpoint:expr, $ty:ty) => {
            ReadAs::Listing(|client, path| {
                Box::pin(async move { single::<$ty>(&client, &$endpoint, &path).await })
            })
        };
    }
    Some(match operation {
        "listOrgs" => listing!(ep::LIST_ORGS, types::Organization),
        "getOrg" => object!(ep::GET_ORG, types::Organization),
        "listGroups" => listing!(ep::ORG_PROJECTS, types::Project),
        "getGroup" => object!(ep::GET_PROJECT, types::Project),
        "listOrgUsers" | "listOrgTeamUsers" => listing!(ep::ORG_USERS, types::OrgUser),
        "listOrgTeams" => listing!(ep::ORG_TEAMS, types::Team),
        "listGroupTeams" => listing!(ep::PROJECT_TEAMS, types::TeamRole),
        "listOrgApiKeys" | "listGroupApiKeys" => listing!(ep::ORG_API_KEYS, types::ApiKey),
        "listOrgApiKeyAccessListEntries" => {
            listing!(ep::API_KEY_ACCESS_LIST, types::AccessEntry)
        }
        "listGroupDatabaseUsers" => listing!(ep::DATABASE_USERS, types::DatabaseUser),
        "listGroupCustomDbRoleRoles" => ReadAs::Listing(|client, path| {
            Box::pin(async move {
                let items: Vec<types::CustomDbRole> = client
                    .get_array(&ep::CUSTOM_DB_ROLES, &path)
                    .await
                    .map_err(|e| e.to_string())?;
                items.iter().map(to_value).collect()
            })
        }),
        "getGroupDbAccessHistoryCluster" | "getGroupDbAccessHistoryProcess" => {
            object!(ep::ACCESS_HISTORY, types::AccessLogList)
        }
        "listOrgEvents" => listing!(ep::ORG_EVENTS, types::Event),
        "listGroupEvents" => listing!(ep::PROJECT_EVENTS, types::Event),
        "getGroupSettings" => object!(ep::PROJECT_SETTINGS, types::ProjectSettings),
        "listGroupAccessListEntries" => listing!(ep::PROJECT_ACCESS_LIST, types::NetworkEntry),
        "getGroupAuditLog" => object!(ep::PROJECT_AUDIT_LOG, types::AuditLog),
        "listGroupClusters" => listing!(ep::PROJECT_CLUSTERS, types::Cluster),
        "getGroupCluster" | "updateGroupCluster" => object!(ep::PROJECT_CLUSTERS, types::Cluster),
        "listGroupFlexClusters" => listing!(ep::PROJECT_FLEX_CLUSTERS, types::Cluster),
        "listGroupUsers" => ReadAs::NotRead("project users: roles come from the org listing"),
        "listOrgInvites" => {
            ReadAs::NotRead("deprecated invitations: pending users come from the org listing")
        }
        "listGroupInvites" => ReadAs::Listing(|client, path| {
            Box::pin(async move {
                let items: Vec<types::GroupInvitation> = client
                    .get_array(&ep::GROUP_INVITES, &path)
                    .await
                    .map_err(|e| e.to_string())?;
                items.iter().map(to_value).collect()
            })
        }),
        "getGroupUserSecurity" => object!(ep::USER_SECURITY, types::UserSecurity),
        "listGroupDatabaseUserCerts" => listing!(ep::DATABASE_USER_CERTS, types::UserCert),
        "listGroupCloudProviderAccess" => {
            object!(ep::CLOUD_PROVIDER_ACCESS, types::CloudProviderAccessRoles)
        }
        "listGroupProcesses" => ReadAs::NotRead("processes: access history is read per cluster"),
        "getOrgFederationSettings" => {
            object!(ep::ORG_FEDERATION_SETTINGS, types::OrgFederationSettings)
        }
        // Not called by the walk (it reads the org's own configuration): read through another
        // paged 2023-01-01 endpoint of the family, as the items are the same.
        "listFederationSettingConnectedOrgConfigs" => {
            listing!(ep::ROLE_MAPPINGS, types::ConnectedOrgConfig)
        }
        "getFederationSettingConnectedOrgConfig" => {
            object!(ep::CONNECTED_ORG_CONFIG, types::ConnectedOrgConfig)
        }
        "listFederationSettingIdentityProviders" => {
            listing!(ep::IDENTITY_PROVIDERS, types::FederationIdentityProvider)
        }
        "getFederationSettingIdentityProvider" => {
            object!(ep::IDENTITY_PROVIDER, types::FederationIdentityProvider)
        }
        other => {
            let status = other.strip_prefix("error-")?.parse().ok()?;
            ReadAs::Error(status)
        }
    })
}

async fn paged<T: DeserializeOwned + ListingItem + Serialize>(
    client: &Client,
    endpoint: &Endpoint,
    path: &str,
) -> Result<Vec<Value>, String> {
    let listing = client
        .get_all::<T>(endpoint, path, &[])
        .await
        .map_err(|e| e.to_string())?;
    listing.items.iter().map(to_value).collect()
}

async fn single<T: DeserializeOwned + Serialize>(
    client: &Client,
    endpoint: &Endpoint,
    path: &str,
) -> Result<Vec<Value>, String> {
    let item: T = client
        .get_object(endpoint, path, &[])
        .await
        .map_err(|e| e.to_string())?;
    Ok(vec![to_value(&item)?])
}

fn to_value<T: Serialize>(item: &T) -> Result<Value, String> {
    serde_json::to_value(item).map_err(|e| e.to_string())
}

/// The recorded items a decoded read must hold: a listing's `results`, a bare array's
/// elements, or the one object.
fn recorded_items(body: &Value) -> Vec<&Value> {
    match body {
        Value::Array(items) => items.iter().collect(),
        Value::Object(o) if o.contains_key("results") => o["results"]
            .as_array()
            .map(|r| r.iter().collect())
            .unwrap_or_default(),
        other => vec![other],
    }
}

/// Field names a wire type reads under another name too (API keys and service accounts spell
/// their access lists' facts two ways).
fn recorded_key<'v>(raw: &'v serde_json::Map<String, Value>, key: &str) -> Option<&'v Value> {
    raw.get(key)
        .or_else(|| {
            let alias = match key {
                "created" => "createdAt",
                "lastUsed" => "lastUsedAt",
                "count" => "requestCount",
                _ => return None,
            };
            raw.get(alias)
        })
        // A name spelt with other capitals is still the field (a wire type reading
        // `…GenAi…` where Atlas sends `…GenAI…` would read nothing and must be caught).
        .or_else(|| {
            raw.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
}

/// Every field `decoded` has a place for, held against what was recorded: where the recording
/// has a value, the decoded one must say the same (instants compared as instants, numbers as
/// numbers). Returns the paths of what was lost or changed.
fn lost(recorded: &Value, decoded: &Value, path: &str, out: &mut Vec<String>) {
    match (recorded, decoded) {
        (Value::Null, _) => {}
        (_, Value::Null) => out.push(format!("{path}: recorded {recorded}, read as nothing")),
        (Value::Object(r), Value::Object(d)) => {
            for (key, value) in d {
                if let Some(raw) = recorded_key(r, key) {
                    lost(raw, value, &format!("{path}.{key}"), out);
                }
            }
        }
        (Value::Array(r), Value::Array(d)) => {
            if r.len() != d.len() {
                out.push(format!("{path}: {} recorded, {} read", r.len(), d.len()));
            }
            for (i, (r, d)) in r.iter().zip(d).enumerate() {
                lost(r, d, &format!("{path}[{i}]"), out);
            }
        }
        (Value::String(r), Value::String(d)) if r != d => {
            let instant = |s: &str| s.parse::<jiff::Timestamp>().ok();
            if instant(r).is_none() || instant(r) != instant(d) {
                out.push(format!("{path}: recorded {r:?}, read {d:?}"));
            }
        }
        // Integers exactly (a certificate's 64-bit serial loses digits through a double).
        (Value::Number(r), Value::Number(d))
            if match (r.as_i64(), d.as_i64()) {
                (Some(r), Some(d)) => r != d,
                _ => r.as_f64() != d.as_f64(),
            } =>
        {
            out.push(format!("{path}: recorded {r}, read {d}"));
        }
        (r, d) if std::mem::discriminant(r) != std::mem::discriminant(d) => {
            out.push(format!("{path}: recorded {r}, read {d}"));
        }
        _ => {}
    }
}

/// Serves `<folder>/<file>` of the recordings at `/api/atlas/v2/rec/<folder>/<file>`, with
/// the status its folder names (`error-404` → 404, else 200), as Atlas labels its bodies.
async fn replay_server(dir: PathBuf) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = Arc::new(dir);
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let dir = Arc::clone(&dir);
        async move {
            let path = request.uri().path().to_owned();
            let rel = path.strip_prefix("/api/atlas/v2/rec/").unwrap_or_default();
            let (folder, _) = rel.split_once('/').unwrap_or_default();
            let status = folder
                .strip_prefix("error-")
                .and_then(|s| s.parse::<u16>().ok())
                .unwrap_or(200);
            let body = std::fs::read(dir.join(rel)).unwrap_or_default();
            let content_type = if status == 200 {
                "application/vnd.atlas.2023-01-01+json;charset=utf-8"
            } else {
                "application/json"
            };
            Response::builder()
                .status(StatusCode::from_u16(status).unwrap())
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body))
                .unwrap()
        }
    });
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (format!("http://{addr}"), task)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_recorded_body_is_read_whole() {
    let Some(dir) = recordings() else {
        println!(
            "skipped: ../shared/atlas-recordings is not beside this checkout, so there is nothing to replay"
        );
        return;
    };
    let (base, server) = replay_server(dir.clone()).await;
    let client = Arc::new(Client::new(credentials(), fast_options(base)).unwrap());

    let mut folders: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    let mut problems = Vec::new();
    let (mut bodies, mut entries, mut errors, mut skipped) = (0, 0, 0, 0);
    for folder in folders {
        let operation = folder.file_name().unwrap().to_string_lossy().into_owned();
        let Some(how) = read_as(&operation) else {
            problems.push(format!(
                "{operation}: a recorded operation tests/it/recordings.rs does not classify; say what it is read as"
            ));
            continue;
        };
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        for file in files {
            let name = format!(
                "{operation}/{}",
                file.file_name().unwrap().to_string_lossy()
            );
            let recorded: Value = serde_json::from_slice(&std::fs::read(&file).unwrap())
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            let path = format!("/rec/{name}");
            bodies += 1;
            match &how {
                ReadAs::NotRead(why) => {
                    skipped += 1;
                    println!("{name}: not read by the collector ({why})");
                }
                ReadAs::Listing(read) => match read(Arc::clone(&client), path).await {
                    Err(e) => problems.push(format!("{name}: {e}")),
                    Ok(decoded) => {
                        let items = recorded_items(&recorded);
                        if items.len() != decoded.len() {
                            problems.push(format!(
                                "{name}: {} entries recorded, {} read",
                                items.len(),
                                decoded.len()
                            ));
                        }
                        entries += decoded.len();
                        let mut gone = Vec::new();
                        for (i, (r, d)) in items.iter().zip(&decoded).enumerate() {
                            lost(r, d, &format!("[{i}]"), &mut gone);
                        }
                        problems.extend(gone.into_iter().map(|g| format!("{name}{g}")));
                    }
                },
                ReadAs::Error(status) => {
                    errors += 1;
                    let err = client
                        .get_object::<Value>(&ep::GET_ORG, &path, &[])
                        .await
                        .expect_err("an error status");
                    let AtlasError::Status {
                        status: got, body, ..
                    } = &err
                    else {
                        problems.push(format!("{name}: read as {err}"));
                        continue;
                    };
                    let body = body.as_deref().cloned().unwrap_or_default();
                    let want_code = recorded["errorCode"].as_str();
                    let want_detail = recorded["detail"].as_str();
                    if *got != *status
                        || body.error_code.as_deref() != want_code
                        || body.detail.as_deref() != want_detail
                        || body.error != recorded["error"].as_u64().map(|s| s as u16)
                    {
                        problems.push(format!(
                            "{name}: recorded {status} {want_code:?} {want_detail:?}, read {got} {:?} {:?}",
                            body.error_code, body.detail
                        ));
                    }
                    if !err.to_string().contains(want_detail.unwrap_or_default()) {
                        problems.push(format!("{name}: the message loses the detail: {err}"));
                    }
                }
            }
        }
    }
    server.abort();
    println!(
        "{bodies} recorded bodies: {entries} entries read whole, {errors} errors kept, {skipped} of operations not collected"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(bodies >= 78, "every recording was served: {bodies}");
}
