//! A synthetic organization: the org itself, its settings, projects, teams and people, in the
//! shapes of `AtlasOrganization`, `OrganizationSettings`, `Group`, `TeamResponse` and the
//! 2025-02-19 `OrgUserResponse`.

use serde::Serialize;

use super::kit::{
    APPS, COMPANIES, COUNTRIES, DAY, FIRST_NAMES, LAST_NAMES, Link, Rng, TEAMS, object_id, raw,
    rfc3339, self_link,
};
use super::{Clock, Serials};
use crate::mock::world::{Membership, RawItem};

/// A project, as the rest of the org refers to it.
#[derive(Debug, Clone)]
pub(crate) struct ProjectRef {
    pub id: String,
    pub name: String,
    pub env: &'static str,
    pub created: i64,
    /// Number across every org, for the plan's per-project counts.
    pub global: usize,
    pub clusters: usize,
}

/// A person in the org.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub id: String,
    pub email: String,
    pub active: bool,
}

/// What the rest of the generator needs to know about an org.
#[derive(Debug)]
pub(crate) struct OrgCtx {
    pub index: usize,
    pub id: String,
    pub name: String,
    pub domain: String,
    pub projects: Vec<ProjectRef>,
    pub teams: Vec<(String, String)>,
    pub people: Vec<Person>,
    /// (id, publicKey) of each API key.
    pub keys: Vec<(String, String)>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Org<'a> {
    id: &'a str,
    is_deleted: bool,
    links: [Link; 1],
    name: &'a str,
    skip_default_alerts_settings: bool,
}

#[derive(Serialize)]
struct Tag<'a> {
    key: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Group<'a> {
    cluster_count: usize,
    created: String,
    id: &'a str,
    links: [Link; 1],
    name: &'a str,
    org_id: &'a str,
    tags: [Tag<'a>; 2],
    with_default_alerts_settings: bool,
}

/// Starts an org: its identity and its projects.
pub(crate) fn begin(
    index: usize,
    projects: usize,
    clock: &Clock,
    serials: &mut Serials,
    rng: &mut Rng,
) -> OrgCtx {
    let company = COMPANIES[index % COMPANIES.len()];
    let name = match index / COMPANIES.len() {
        0 => company.to_owned(),
        n => format!("{company} {}", n + 1),
    };
    let word = company
        .split(' ')
        .next()
        .unwrap_or(company)
        .to_ascii_lowercase();
    let domain = match index / COMPANIES.len() {
        0 => format!("{word}.example"),
        n => format!("{word}{}.example", n + 1),
    };
    let org_created = clock.days_ago(rng, 1500, 2500);
    let id = object_id(org_created, 1, index as u64);
    let projects = (0..projects)
        .map(|p| {
            let global = serials.next_project();
            let app = APPS[p % APPS.len()];
            let env = *rng.weighted(&[(35, "production"), (30, "staging"), (35, "development")]);
            let short = &env[..4];
            let name = match p / APPS.len() {
                0 => format!("{app}-{short}"),
                n => format!("{app}-{short}-{n}"),
            };
            let created = clock.days_ago(rng, 30, 1400);
            ProjectRef {
                id: object_id(created, 2, global as u64),
                name,
                env,
                created,
                global,
                clusters: 1 + rng.below(3),
            }
        })
        .collect();
    OrgCtx {
        index,
        id,
        name,
        domain,
        projects,
        teams: Vec::new(),
        people: Vec::new(),
        keys: Vec::new(),
    }
}

/// The org's entry in `/orgs`.
pub(crate) fn org_item(ctx: &OrgCtx) -> RawItem {
    raw(&Org {
        id: &ctx.id,
        is_deleted: false,
        links: self_link(&format!("/orgs/{}", ctx.id)),
        name: &ctx.name,
        skip_default_alerts_settings: false,
    })
}

/// `/orgs/{id}/groups`.
pub(crate) fn group_items(ctx: &OrgCtx) -> Vec<RawItem> {
    ctx.projects
        .iter()
        .map(|p| {
            raw(&Group {
                cluster_count: p.clusters,
                created: rfc3339(p.created),
                id: &p.id,
                links: self_link(&format!("/groups/{}", p.id)),
                name: &p.name,
                org_id: &ctx.id,
                tags: [
                    Tag {
                        key: "environment",
                        value: p.env,
                    },
                    Tag {
                        key: "cost-center",
                        value: if p.global % 2 == 0 {
                            "cc-100"
                        } else {
                            "cc-200"
                        },
                    },
                ],
                with_default_alerts_settings: true,
            })
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionTimeouts {
    absolute_session_timeout_in_seconds: u32,
    idle_session_timeout_in_seconds: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Settings<'a> {
    api_access_list_required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_session_timeouts: Option<SessionTimeouts>,
    #[serde(rename = "genAIFeaturesEnabled")]
    gen_ai_features_enabled: bool,
    max_service_account_secret_validity_in_hours: u32,
    multi_factor_auth_required: bool,
    restrict_employee_access: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    security_contact: Option<&'a str>,
    streams_cross_group_enabled: bool,
}

/// `/orgs/{id}/settings`: every org hygiene flag varies with the org, the first org failing
/// most of them.
pub(crate) fn settings(ctx: &OrgCtx) -> RawItem {
    let o = ctx.index;
    let contact = format!("security@{}", ctx.domain);
    raw(&Settings {
        api_access_list_required: o % 2 == 1,
        custom_session_timeouts: (o % 3 == 1).then_some(SessionTimeouts {
            absolute_session_timeout_in_seconds: 43_200,
            idle_session_timeout_in_seconds: 1_800,
        }),
        gen_ai_features_enabled: true,
        max_service_account_secret_validity_in_hours: if o.is_multiple_of(2) {
            8_760
        } else {
            2_160
        },
        multi_factor_auth_required: !o.is_multiple_of(3),
        restrict_employee_access: o % 4 == 1,
        security_contact: (!o.is_multiple_of(5)).then_some(contact.as_str()),
        streams_cross_group_enabled: false,
    })
}

#[derive(Serialize)]
struct Team<'a> {
    id: &'a str,
    links: [Link; 1],
    name: &'a str,
}

/// Creates the org's teams (about one per 25 people, at least 3) and returns `/orgs/{id}/teams`.
pub(crate) fn teams(
    ctx: &mut OrgCtx,
    people: usize,
    clock: &Clock,
    serials: &mut Serials,
) -> Vec<RawItem> {
    let count = (people / 25).max(3);
    ctx.teams = (0..count)
        .map(|t| {
            let base = TEAMS[t % TEAMS.len()];
            let name = match t / TEAMS.len() {
                0 => base.to_owned(),
                n => format!("{base} {}", n + 1),
            };
            (
                object_id(clock.now - 400 * DAY, 4, serials.next_team()),
                name,
            )
        })
        .collect();
    ctx.teams
        .iter()
        .map(|(id, name)| {
            raw(&Team {
                id,
                links: self_link(&format!("/orgs/{}/teams/{id}", ctx.id)),
                name,
            })
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GroupRoles<'a> {
    group_id: &'a str,
    group_roles: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Roles<'a> {
    group_role_assignments: Vec<GroupRoles<'a>>,
    org_roles: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct User<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<String>,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation_created_at: Option<String>,
    /// Present (possibly null) on pending users only.
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation_expires_at: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inviter_username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_auth: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mobile_number: Option<String>,
    org_membership_status: &'static str,
    roles: Roles<'a>,
    team_ids: Vec<&'a str>,
    username: &'a str,
}

/// Project roles people hold, weighted towards the harmless ones. `GROUP_ALERTS_MANAGER` is
/// documented but not in the published enum: clients must keep roles they do not know.
const PROJECT_ROLES: &[(u32, &str)] = &[
    (40, "GROUP_READ_ONLY"),
    (15, "GROUP_DATA_ACCESS_READ_ONLY"),
    (14, "GROUP_DATA_ACCESS_READ_WRITE"),
    (8, "GROUP_CLUSTER_MANAGER"),
    (7, "GROUP_OWNER"),
    (4, "GROUP_DATA_ACCESS_ADMIN"),
    (3, "GROUP_DATABASE_ACCESS_ADMIN"),
    (4, "GROUP_OBSERVABILITY_VIEWER"),
    (2, "GROUP_BACKUP_MANAGER"),
    (2, "GROUP_SEARCH_INDEX_EDITOR"),
    (1, "GROUP_ALERTS_MANAGER"),
];

const ORG_ROLES: &[(u32, &str)] = &[
    (85, "ORG_MEMBER"),
    (6, "ORG_READ_ONLY"),
    (4, "ORG_GROUP_CREATOR"),
    (3, "ORG_BILLING_ADMIN"),
    (2, "ORG_BILLING_READ_ONLY"),
];

/// How many owners an org has: too many in the first, too few in some, a normal two or
/// three elsewhere.
fn owner_count(org: usize) -> usize {
    match org {
        0 => 4,
        o if o % 3 == 2 => 1,
        o if o % 2 == 1 => 3,
        _ => 2,
    }
}

/// Creates the org's people and returns `/orgs/{id}/users` with each user's status.
pub(crate) fn users(
    ctx: &mut OrgCtx,
    count: usize,
    clock: &Clock,
    serials: &mut Serials,
    rng: &mut Rng,
) -> (Vec<RawItem>, Vec<Membership>) {
    let owners = owner_count(ctx.index).min(count);
    let mut items = Vec::with_capacity(count);
    let mut statuses = Vec::with_capacity(count);
    let mut people = Vec::with_capacity(count);
    for u in 0..count {
        let global = serials.next_user();
        let first = FIRST_NAMES[global % FIRST_NAMES.len()];
        let last = LAST_NAMES[(global / FIRST_NAMES.len()) % LAST_NAMES.len()];
        let round = global / (FIRST_NAMES.len() * LAST_NAMES.len());
        let email = match round {
            0 => format!("{first}.{last}@{}", ctx.domain),
            n => format!("{first}.{last}{n}@{}", ctx.domain),
        };
        let owner = u < owners;
        let status = if owner {
            Membership::Active
        } else {
            *rng.weighted(&[
                (84, Membership::Active),
                (8, Membership::Pending),
                (4, Membership::InvitationExpired),
                (4, Membership::InvitationRejected),
            ])
        };
        let created = clock.days_ago(rng, 20, 1500);
        let id = object_id(created, 3, global as u64);
        people.push(Person {
            id: id.clone(),
            email: email.clone(),
            active: status == Membership::Active,
        });
        statuses.push(status);
        let roles = user_roles(ctx, owner, status, rng);
        // The last team is left without members, though it holds project roles.
        let usable_teams = ctx.teams.len().saturating_sub(1);
        let mut team_ids: Vec<&str> = Vec::new();
        if status == Membership::Active && usable_teams > 0 {
            for _ in 0..rng.below(3) {
                let team = ctx.teams[rng.below(usable_teams)].0.as_str();
                if !team_ids.contains(&team) {
                    team_ids.push(team);
                }
            }
        }
        let inviter = people.first().map(|p| p.email.clone()).unwrap_or_default();
        let mut user = User {
            country: None,
            created_at: None,
            first_name: None,
            id: &id,
            invitation_created_at: None,
            invitation_expires_at: None,
            inviter_username: None,
            last_auth: None,
            last_name: None,
            mobile_number: None,
            org_membership_status: status_name(status),
            roles,
            team_ids,
            username: &email,
        };
        match status {
            Membership::Active => {
                user.country = Some(*rng.pick(COUNTRIES));
                user.created_at = Some(rfc3339(created));
                user.first_name = Some(capitalise(first));
                user.last_name = Some(capitalise(last));
                user.mobile_number = rng
                    .chance(0.4)
                    .then(|| format!("+1555{:07}", rng.range(0, 9_999_999)));
                user.last_auth = last_auth(clock, created, u == 1 && owner, rng).map(rfc3339);
            }
            _ => {
                let invited = match status {
                    Membership::Pending => clock.days_ago(rng, 1, 60),
                    _ => clock.days_ago(rng, 40, 300),
                };
                user.invitation_created_at = Some(rfc3339(invited));
                user.invitation_expires_at = Some(
                    (status != Membership::InvitationRejected).then(|| rfc3339(invited + 30 * DAY)),
                );
                user.inviter_username = Some(&inviter);
            }
        }
        items.push(raw(&user));
    }
    ctx.people = people;
    (items, statuses)
}

fn status_name(status: Membership) -> &'static str {
    match status {
        Membership::Active => "ACTIVE",
        Membership::Pending => "PENDING",
        Membership::InvitationExpired => "INVITATION_EXPIRED",
        Membership::InvitationRejected | Membership::Other => "INVITATION_REJECTED",
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// When an active user last logged in: mostly recently, some long ago, some never. The
/// second owner of every org is a long-gone admin.
fn last_auth(clock: &Clock, created: i64, gone_owner: bool, rng: &mut Rng) -> Option<i64> {
    let ago_days = if gone_owner {
        rng.range(150, 400)
    } else {
        match rng.below(100) {
            0..65 => rng.range(0, 30),
            65..80 => rng.range(30, 90),
            80..92 => rng.range(90, 400),
            _ => return None,
        }
    };
    let at = clock.now - ago_days * DAY - rng.range(0, DAY - 1);
    Some(at.max(created))
}

fn user_roles<'c>(ctx: &'c OrgCtx, owner: bool, status: Membership, rng: &mut Rng) -> Roles<'c> {
    let org_roles = if owner {
        vec!["ORG_OWNER"]
    } else {
        vec![*rng.weighted(ORG_ROLES)]
    };
    let mut assignments: Vec<GroupRoles<'c>> = Vec::new();
    let grants = if owner || status == Membership::InvitationRejected {
        0
    } else {
        rng.below(4)
    };
    for _ in 0..grants {
        let project = &ctx.projects[rng.below(ctx.projects.len())];
        if assignments.iter().any(|a| a.group_id == project.id) {
            continue;
        }
        let mut roles = vec![*rng.weighted(PROJECT_ROLES)];
        if rng.chance(0.15) {
            let extra = *rng.weighted(PROJECT_ROLES);
            if !roles.contains(&extra) {
                roles.push(extra);
            }
        }
        assignments.push(GroupRoles {
            group_id: &project.id,
            group_roles: roles,
        });
    }
    Roles {
        group_role_assignments: assignments,
        org_roles,
    }
}
