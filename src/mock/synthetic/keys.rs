//! Synthetic machine identities of an org: programmatic API keys with their access lists
//! (`ApiKeyUserDetails`, `UserAccessListResponse`) and service accounts with their secrets,
//! projects and access lists (`OrgServiceAccount`, `ServiceAccountGroup`,
//! `ServiceAccountIPAccessListEntry`).

use serde::Serialize;

use super::kit::{APPS, DAY, Link, Rng, object_id, raw, rfc3339, self_link};
use super::org::OrgCtx;
use super::{Clock, Serials};
use crate::mock::world::{RawItem, WorldBuilder};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RoleAssignment<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    org_id: Option<&'a str>,
    role_name: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ApiKey<'a> {
    desc: &'a str,
    id: &'a str,
    links: [Link; 1],
    private_key: String,
    public_key: &'a str,
    roles: Vec<RoleAssignment<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyAccess {
    cidr_block: String,
    count: u32,
    created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_address: Option<String>,
    links: [Link; 1],
}

const KEY_PROJECT_ROLES: &[(u32, &str)] = &[
    (40, "GROUP_READ_ONLY"),
    (20, "GROUP_CLUSTER_MANAGER"),
    (15, "GROUP_OWNER"),
    (15, "GROUP_DATA_ACCESS_READ_WRITE"),
    (10, "GROUP_BACKUP_MANAGER"),
];

const KEY_PURPOSES: &[&str] = &[
    "Terraform pipeline",
    "CI deploy",
    "Backup exporter",
    "Monitoring integration",
    "Legacy script",
    "Data sync job",
    "Cost reporting",
    "On-call tooling",
];

/// Creates the org's API keys: `/orgs/{id}/apiKeys` and each key's access list. The first key
/// of every org is an org owner with no access list; the second has never been used.
pub(crate) fn api_keys(
    builder: &mut WorldBuilder,
    ctx: &mut OrgCtx,
    count: usize,
    clock: &Clock,
    serials: &mut Serials,
    rng: &mut Rng,
) -> Vec<RawItem> {
    let mut items = Vec::with_capacity(count);
    for k in 0..count {
        let created = clock.days_ago(rng, 10, 900);
        let id = object_id(created, 5, serials.next_key());
        let public_key = rng.letters(8);
        let purpose = KEY_PURPOSES[k % KEY_PURPOSES.len()];
        let desc = format!("{purpose} ({})", APPS[rng.below(APPS.len())]);
        let org_role = if k == 0 {
            "ORG_OWNER"
        } else {
            *rng.weighted(&[
                (55, "ORG_MEMBER"),
                (25, "ORG_READ_ONLY"),
                (8, "ORG_OWNER"),
                (7, "ORG_GROUP_CREATOR"),
                (5, "ORG_BILLING_READ_ONLY"),
            ])
        };
        let mut roles = vec![RoleAssignment {
            group_id: None,
            org_id: Some(&ctx.id),
            role_name: org_role,
        }];
        for _ in 0..rng.below(3) {
            let project = &ctx.projects[rng.below(ctx.projects.len())];
            let role_name = *rng.weighted(KEY_PROJECT_ROLES);
            roles.push(RoleAssignment {
                group_id: Some(&project.id),
                org_id: None,
                role_name,
            });
        }
        items.push(raw(&ApiKey {
            desc: &desc,
            id: &id,
            links: self_link(&format!("/orgs/{}/apiKeys/{id}", ctx.id)),
            private_key: format!("********-****-****-{}", rng.hex(12)),
            public_key: &public_key,
            roles,
        }));
        let access = if k == 0 || rng.chance(0.15) {
            Vec::new()
        } else {
            key_access_list(ctx, &id, created, k == 1, clock, rng)
        };
        builder.listing(format!("/orgs/{}/apiKeys/{id}/accessList", ctx.id), access);
        ctx.keys.push((id, public_key));
    }
    items
}

fn key_access_list(
    ctx: &OrgCtx,
    key_id: &str,
    key_created: i64,
    never_used: bool,
    clock: &Clock,
    rng: &mut Rng,
) -> Vec<RawItem> {
    let mut cidrs = std::collections::HashSet::new();
    (0..1 + rng.below(3))
        .map(|_| {
            let (cidr, ip) = if rng.chance(0.06) {
                ("0.0.0.0/0".to_owned(), None)
            } else if rng.chance(0.2) {
                let ip = rng.ip();
                let net = ip
                    .rsplit_once('.')
                    .map_or(ip.as_str(), |(n, _)| n)
                    .to_owned();
                (format!("{net}.0/24"), None)
            } else {
                let ip = rng.ip();
                (format!("{ip}/32"), Some(ip))
            };
            let created = key_created + rng.range(0, 5 * DAY);
            let used = !never_used && rng.chance(0.8);
            let last_used = used.then(|| {
                let days = *rng.weighted(&[(70, (0, 20)), (30, (100, 400))]);
                (clock.now - rng.range(days.0 * DAY, days.1 * DAY)).max(created)
            });
            let entry = ip.clone().unwrap_or_else(|| cidr.replace('/', "%2F"));
            KeyAccess {
                count: if used { rng.range(1, 50_000) as u32 } else { 0 },
                created: rfc3339(created),
                last_used: last_used.map(rfc3339),
                last_used_address: used.then(|| ip.clone().unwrap_or_else(|| rng.ip())),
                links: self_link(&format!(
                    "/orgs/{}/apiKeys/{key_id}/accessList/{entry}",
                    ctx.id
                )),
                ip_address: ip,
                cidr_block: cidr,
            }
        })
        // Atlas keys an access-list entry by its address: a second draw of one is no new entry.
        .filter(|entry| cidrs.insert(entry.cidr_block.clone()))
        .map(|entry| raw(&entry))
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Secret {
    created_at: String,
    expires_at: String,
    id: String,
    /// Always present, null when the secret was never used.
    last_used_at: Option<String>,
    masked_secret_value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceAccount<'a> {
    client_id: &'a str,
    created_at: String,
    description: &'a str,
    name: &'a str,
    roles: [&'static str; 1],
    secrets: Vec<Secret>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SaGroup<'a> {
    group_id: &'a str,
    roles: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SaAccess {
    cidr_block: String,
    created_at: String,
    ip_address: String,
    last_used_address: Option<String>,
    last_used_at: Option<String>,
    request_count: u32,
}

/// Creates the org's service accounts: `/orgs/{id}/serviceAccounts`, with each one's projects
/// and access list. Secrets vary: long-lived, expiring soon, expired, never used.
pub(crate) fn service_accounts(
    builder: &mut WorldBuilder,
    ctx: &OrgCtx,
    count: usize,
    clock: &Clock,
    serials: &mut Serials,
    rng: &mut Rng,
) -> Vec<RawItem> {
    let mut items = Vec::with_capacity(count);
    for s in 0..count {
        let created = clock.days_ago(rng, 5, 700);
        let serial = serials.next_service_account();
        let client_id = format!("mdb_sa_id_{}", object_id(created, 6, serial));
        let app = APPS[rng.below(APPS.len())];
        let name = format!("{app}-automation-{s}");
        let description = format!("Automation for {app}");
        let role = if s == 0 {
            "ORG_OWNER"
        } else {
            *rng.weighted(&[(60, "ORG_MEMBER"), (30, "ORG_READ_ONLY"), (10, "ORG_OWNER")])
        };
        let secrets = (0..1 + usize::from(rng.chance(0.3)))
            .map(|n| secret(created, s, n, clock, serials, rng))
            .collect();
        items.push(raw(&ServiceAccount {
            client_id: &client_id,
            created_at: rfc3339(created),
            description: &description,
            name: &name,
            roles: [role],
            secrets,
        }));
        let base = format!("/orgs/{}/serviceAccounts/{client_id}", ctx.id);
        let mut groups: Vec<SaGroup<'_>> = Vec::new();
        for _ in 0..rng.below(4) {
            let project = &ctx.projects[rng.below(ctx.projects.len())];
            if groups.iter().any(|g| g.group_id == project.id) {
                continue;
            }
            let role = *rng.weighted(&[
                (45, "GROUP_READ_ONLY"),
                (25, "GROUP_CLUSTER_MANAGER"),
                (15, "GROUP_DATA_ACCESS_READ_WRITE"),
                (15, "GROUP_OWNER"),
            ]);
            groups.push(SaGroup {
                group_id: &project.id,
                roles: vec![role],
            });
        }
        builder.listing(format!("{base}/groups"), groups.iter().map(raw).collect());
        let access = if s == 1 || rng.chance(0.2) {
            Vec::new()
        } else {
            (0..1 + rng.below(2))
                .map(|_| {
                    let ip = rng.ip();
                    let used = rng.chance(0.75);
                    raw(&SaAccess {
                        cidr_block: format!("{ip}/32"),
                        created_at: rfc3339(created + rng.range(0, DAY)),
                        last_used_address: used.then(|| ip.clone()),
                        last_used_at: used.then(|| rfc3339(clock.now - rng.range(0, 60 * DAY))),
                        request_count: if used { rng.range(1, 90_000) as u32 } else { 0 },
                        ip_address: ip,
                    })
                })
                .collect()
        };
        builder.listing(format!("{base}/accessList"), access);
    }
    items
}

/// One secret of a service account. The first account's first secret lives a year; others
/// vary between expired, expiring within days, and 90-day rotations.
fn secret(
    sa_created: i64,
    account: usize,
    n: usize,
    clock: &Clock,
    serials: &mut Serials,
    rng: &mut Rng,
) -> Secret {
    let (created, valid_days) = if account == 0 && n == 0 {
        (clock.days_ago(rng, 10, 60).max(sa_created), 365)
    } else {
        match rng.below(10) {
            0 => (clock.now - 100 * DAY, 90), // expired 10 days ago
            1 => (clock.now - 80 * DAY, 90),  // expires in 10 days
            2 => (clock.days_ago(rng, 1, 30).max(sa_created), 365), // long-lived
            _ => (clock.days_ago(rng, 1, 60).max(sa_created), 90),
        }
    };
    let last_used = match rng.below(10) {
        0 | 1 => None,
        2 => Some(created + rng.range(0, DAY)),
        _ => Some((clock.now - rng.range(0, 10 * DAY)).max(created)),
    };
    let expires = created + valid_days * DAY;
    let last_used = last_used.map(|at| at.min(expires));
    Secret {
        created_at: rfc3339(created),
        expires_at: rfc3339(expires),
        id: object_id(created, 7, serials.next_secret()),
        last_used_at: last_used.map(rfc3339),
        masked_secret_value: format!("mdb_sa_sk_...{}", rng.letters(4)),
    }
}
