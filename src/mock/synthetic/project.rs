//! A synthetic project and what it holds: settings, IP access list, audit-log configuration,
//! clusters, team roles and custom database roles. Database users are in `dbusers`, the
//! clusters' access history in `access`.

use serde::Serialize;

use super::kit::{DAY, Link, Rng, object_id, raw, rfc3339, self_link};
use super::org::{OrgCtx, ProjectRef};
use super::{Clock, Serials};
use super::{access, dbusers, paths};
use crate::mock::world::{RawItem, WorldBuilder};

/// What a project's events refer to.
#[derive(Debug)]
pub(crate) struct ProjectCtx {
    pub clusters: Vec<String>,
    /// A sample of the project's database usernames.
    pub db_users: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupSettings {
    is_collect_database_specifics_statistics_enabled: bool,
    is_data_explorer_enabled: bool,
    #[serde(rename = "isDataExplorerGenAIFeaturesEnabled")]
    is_data_explorer_gen_ai_features_enabled: bool,
    #[serde(rename = "isDataExplorerGenAISampleDocumentPassingEnabled")]
    is_data_explorer_gen_ai_sample_document_passing_enabled: bool,
    is_extended_storage_sizes_enabled: bool,
    is_performance_advisor_enabled: bool,
    is_realtime_performance_panel_enabled: bool,
    is_schema_advisor_enabled: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NetworkEntry<'a> {
    cidr_block: String,
    comment: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete_after_date: Option<String>,
    group_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip_address: Option<String>,
    links: [Link; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuditLog {
    audit_authorization_success: bool,
    audit_filter: &'static str,
    configuration_type: &'static str,
    enabled: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TeamRole<'a> {
    links: [Link; 1],
    role_names: Vec<&'static str>,
    team_id: &'a str,
}

/// Builds every path of one project and returns what its events need.
pub(crate) fn build(
    builder: &mut WorldBuilder,
    org: &OrgCtx,
    project: &ProjectRef,
    db_users: usize,
    clock: &Clock,
    serials: &mut Serials,
    rng: &mut Rng,
) -> ProjectCtx {
    let base = format!("/groups/{}", project.id);
    let explorer = rng.chance(0.7);
    builder.object(
        format!("{base}/settings"),
        raw(&GroupSettings {
            is_collect_database_specifics_statistics_enabled: true,
            is_data_explorer_enabled: explorer,
            is_data_explorer_gen_ai_features_enabled: explorer && rng.chance(0.5),
            is_data_explorer_gen_ai_sample_document_passing_enabled: false,
            is_extended_storage_sizes_enabled: false,
            is_performance_advisor_enabled: true,
            is_realtime_performance_panel_enabled: true,
            is_schema_advisor_enabled: true,
        }),
    );
    builder.listing(
        format!("{base}/accessList"),
        access_list(project, clock, rng),
    );
    let audited = (project.env == "production" && rng.chance(0.6)) || rng.chance(0.15);
    builder.object(
        format!("{base}/auditLog"),
        raw(&AuditLog {
            audit_authorization_success: false,
            audit_filter: if audited {
                r#"{"atype":{"$in":["authenticate","createUser","dropUser","grantRolesToUser"]}}"#
            } else {
                "{}"
            },
            configuration_type: if audited { "FILTER_JSON" } else { "NONE" },
            enabled: audited,
        }),
    );
    builder.listing(format!("{base}/teams"), team_roles(org, project, rng));
    let custom_roles = custom_roles(rng);
    let role_names: Vec<String> = custom_roles.iter().map(|r| r.0.clone()).collect();
    builder.listing(
        format!("{base}/customDBRoles/roles"),
        custom_roles.into_iter().map(|r| r.1).collect(),
    );
    let clusters = clusters(builder, project, clock, serials, rng);
    let usernames = dbusers::build(
        builder,
        &dbusers::Scope {
            org,
            project,
            clusters: &clusters,
            custom_roles: &role_names,
        },
        db_users,
        clock,
        rng,
    );
    for cluster in &clusters {
        access::history(builder, project, cluster, &usernames, clock, serials, rng);
    }
    paths::build(builder, org, project, &usernames, clock);
    let sample = usernames
        .into_iter()
        .take(64)
        .map(|(name, _)| name)
        .collect();
    ProjectCtx {
        clusters,
        db_users: sample,
    }
}

/// The IP access list: an office range, app servers, sometimes a temporary entry, and in
/// some projects the whole internet.
fn access_list(project: &ProjectRef, clock: &Clock, rng: &mut Rng) -> Vec<RawItem> {
    let link = |entry: &str| self_link(&format!("/groups/{}/accessList/{entry}", project.id));
    let mut entries = vec![NetworkEntry {
        cidr_block: "203.0.113.0/24".into(),
        comment: "Office VPN",
        delete_after_date: None,
        group_id: &project.id,
        ip_address: None,
        links: link("203.0.113.0%2F24"),
    }];
    for _ in 0..rng.below(3) {
        let ip = rng.ip();
        entries.push(NetworkEntry {
            cidr_block: format!("{ip}/32"),
            comment: "App server",
            delete_after_date: None,
            group_id: &project.id,
            links: link(&ip),
            ip_address: Some(ip),
        });
    }
    if rng.chance(0.1) {
        let ip = rng.ip();
        entries.push(NetworkEntry {
            cidr_block: format!("{ip}/32"),
            comment: "Temporary debugging access",
            delete_after_date: Some(rfc3339(clock.now + rng.range(1, 7) * DAY)),
            group_id: &project.id,
            links: link(&ip),
            ip_address: Some(ip),
        });
    }
    if project.global % 11 == 3 || rng.chance(0.05) {
        entries.push(NetworkEntry {
            cidr_block: "0.0.0.0/0".into(),
            comment: "Allow access from anywhere",
            delete_after_date: None,
            group_id: &project.id,
            ip_address: None,
            links: link("0.0.0.0%2F0"),
        });
    }
    entries.iter().map(raw).collect()
}

/// Team roles on the project; the org's memberless last team holds admin rights on the
/// org's first project.
fn team_roles(org: &OrgCtx, project: &ProjectRef, rng: &mut Rng) -> Vec<RawItem> {
    let mut assigned: Vec<(&str, Vec<&'static str>)> = Vec::new();
    let usable = org.teams.len().saturating_sub(1);
    for _ in 0..rng.below(3) {
        if usable == 0 {
            break;
        }
        let team = org.teams[rng.below(usable)].0.as_str();
        if assigned.iter().any(|(t, _)| *t == team) {
            continue;
        }
        let role = *rng.weighted(&[
            (40, "GROUP_READ_ONLY"),
            (25, "GROUP_DATA_ACCESS_READ_WRITE"),
            (15, "GROUP_CLUSTER_MANAGER"),
            (10, "GROUP_OWNER"),
            (10, "GROUP_DATA_ACCESS_READ_ONLY"),
        ]);
        assigned.push((team, vec![role]));
    }
    if org.projects.first().is_some_and(|p| p.id == project.id)
        && let Some((empty, _)) = org.teams.last()
    {
        assigned.push((empty, vec!["GROUP_DATA_ACCESS_ADMIN", "GROUP_READ_ONLY"]));
    }
    assigned
        .into_iter()
        .map(|(team, roles)| {
            raw(&TeamRole {
                links: self_link(&format!("/groups/{}/teams/{team}", project.id)),
                role_names: roles,
                team_id: team,
            })
        })
        .collect()
}

/// A privilege's resource; Atlas leaves out the keys it does not use (recorded: `{"db":"x"}`,
/// `{"cluster":true}`).
#[derive(Serialize)]
struct Resource {
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    cluster: bool,
    #[serde(skip_serializing_if = "str::is_empty")]
    collection: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    db: &'static str,
}

#[derive(Serialize)]
struct Action {
    action: &'static str,
    resources: Vec<Resource>,
}

#[derive(Serialize)]
struct Inherited {
    db: &'static str,
    role: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomRole {
    actions: Vec<Action>,
    inherited_roles: Vec<Inherited>,
    role_name: &'static str,
}

fn on_db(db: &'static str, collection: &'static str) -> Vec<Resource> {
    vec![Resource {
        cluster: false,
        collection,
        db,
    }]
}

fn on_cluster() -> Vec<Resource> {
    vec![Resource {
        cluster: true,
        collection: "",
        db: "",
    }]
}

/// Zero to three custom roles, some harmless, some able to drop or export anything.
fn custom_roles(rng: &mut Rng) -> Vec<(String, RawItem)> {
    let all = [
        CustomRole {
            actions: vec![
                Action {
                    action: "FIND",
                    resources: on_db("orders", ""),
                },
                Action {
                    action: "LIST_COLLECTIONS",
                    resources: on_db("orders", ""),
                },
            ],
            inherited_roles: vec![],
            role_name: "ordersReadOnly",
        },
        CustomRole {
            actions: vec![
                Action {
                    action: "DROP_DATABASE",
                    resources: on_db("", ""),
                },
                Action {
                    action: "DROP_COLLECTION",
                    resources: on_db("", ""),
                },
                Action {
                    action: "KILL_ANY_SESSION",
                    resources: on_cluster(),
                },
            ],
            inherited_roles: vec![],
            role_name: "opsCleanup",
        },
        CustomRole {
            actions: vec![Action {
                action: "OUT_TO_S3",
                resources: on_cluster(),
            }],
            inherited_roles: vec![Inherited {
                db: "admin",
                role: "readAnyDatabase",
            }],
            role_name: "lakeExporter",
        },
        CustomRole {
            actions: vec![
                Action {
                    action: "INSERT",
                    resources: on_db("reporting", "events"),
                },
                Action {
                    action: "UPDATE",
                    resources: on_db("reporting", "events"),
                },
            ],
            inherited_roles: vec![Inherited {
                db: "reporting",
                role: "read",
            }],
            role_name: "reportingWriter",
        },
    ];
    let count = rng.below(4);
    let skip = rng.below(all.len());
    (0..count)
        .map(|k| &all[(skip + k) % all.len()])
        .map(|role| (role.role_name.to_owned(), raw(role)))
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EmployeeGrant {
    expiration_time: String,
    grant_type: &'static str,
}

#[derive(Serialize)]
struct Tag {
    key: &'static str,
    value: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Cluster<'a> {
    backup_enabled: bool,
    cluster_type: &'static str,
    create_date: String,
    group_id: &'a str,
    id: String,
    labels: [Tag; 0],
    links: [Link; 1],
    #[serde(
        rename = "mongoDBEmployeeAccessGrant",
        skip_serializing_if = "Option::is_none"
    )]
    employee_access_grant: Option<EmployeeGrant>,
    #[serde(rename = "mongoDBMajorVersion")]
    major_version: &'static str,
    #[serde(rename = "mongoDBVersion")]
    version: &'static str,
    name: &'a str,
    paused: bool,
    replication_specs: [ReplicationSpec; 1],
    state_name: &'static str,
    tags: [Tag; 1],
    termination_protection_enabled: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReplicationSpec {
    region_configs: [RegionConfig; 1],
    zone_name: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegionConfig {
    electable_specs: HardwareSpec,
    priority: u8,
    provider_name: &'static str,
    region_name: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HardwareSpec {
    instance_size: &'static str,
    node_count: u8,
}

const CLUSTER_NAMES: [&str; 3] = ["Cluster0", "analytics", "archive"];

fn clusters(
    builder: &mut WorldBuilder,
    project: &ProjectRef,
    clock: &Clock,
    serials: &mut Serials,
    rng: &mut Rng,
) -> Vec<String> {
    let names: Vec<String> = CLUSTER_NAMES[..project.clusters.min(3)]
        .iter()
        .map(|n| (*n).to_owned())
        .collect();
    let items = names
        .iter()
        .map(|name| {
            let created = (project.created + rng.range(0, 30) * DAY).min(clock.now);
            let (major, version) =
                *rng.pick(&[("8.0", "8.0.4"), ("7.0", "7.0.16"), ("6.0", "6.0.19")]);
            raw(&Cluster {
                backup_enabled: project.env == "production",
                cluster_type: if rng.chance(0.2) {
                    "SHARDED"
                } else {
                    "REPLICASET"
                },
                create_date: rfc3339(created),
                group_id: &project.id,
                id: object_id(created, 8, serials.next_cluster()),
                labels: [],
                links: self_link(&format!("/groups/{}/clusters/{name}", project.id)),
                employee_access_grant: (project.global % 17 == 5 || rng.chance(0.02)).then(|| {
                    EmployeeGrant {
                        expiration_time: rfc3339(clock.now + rng.range(1, 10) * DAY),
                        grant_type: "CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA",
                    }
                }),
                major_version: major,
                version,
                name,
                paused: project.env == "development" && rng.chance(0.2),
                replication_specs: [ReplicationSpec {
                    region_configs: [RegionConfig {
                        electable_specs: HardwareSpec {
                            instance_size: if project.env == "production" {
                                "M30"
                            } else {
                                "M10"
                            },
                            node_count: 3,
                        },
                        priority: 7,
                        provider_name: "AWS",
                        region_name: "US_EAST_1",
                    }],
                    zone_name: "Zone 1",
                }],
                state_name: "IDLE",
                tags: [Tag {
                    key: "environment",
                    value: project.env,
                }],
                termination_protection_enabled: project.env == "production",
            })
        })
        .collect();
    builder.listing(format!("/groups/{}/clusters", project.id), items);
    names
}
