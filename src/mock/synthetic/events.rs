//! Synthetic org and project events (`EventViewForOrg`, `EventViewForNdsGroup`) spread over
//! the last 120 days, most recent first, authored by the org's people and API keys and
//! naming the users, keys, teams and database users they touched.

use serde::Serialize;

use super::kit::{DAY, Link, Rng, object_id, raw, rfc3339, self_link};
use super::org::{OrgCtx, ProjectRef};
use super::project::ProjectCtx;
use super::{Clock, Serials};
use crate::mock::world::{EventIndex, WorldBuilder};

/// How far back events go.
const WINDOW_DAYS: i64 = 120;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Nothing,
    User,
    Key,
    Team,
    Project,
    DbUser,
    Network,
    Explorer,
    Cluster,
    /// Raised by Atlas itself: no user or key behind it.
    System,
}

const ORG_TYPES: &[(u32, (&str, Target))] = &[
    (10, ("JOINED_ORG", Target::User)),
    (6, ("INVITED_TO_ORG", Target::User)),
    (8, ("USER_ROLES_CHANGED_AUDIT", Target::User)),
    (3, ("REMOVED_FROM_ORG", Target::User)),
    (6, ("JOINED_TEAM", Target::Team)),
    (2, ("REMOVED_FROM_TEAM", Target::Team)),
    (2, ("TEAM_CREATED", Target::Team)),
    (3, ("TEAM_ADDED_TO_GROUP", Target::Team)),
    (2, ("TEAM_ROLES_MODIFIED", Target::Team)),
    (4, ("API_KEY_CREATED", Target::Key)),
    (3, ("API_KEY_ROLES_CHANGED", Target::Key)),
    (3, ("API_KEY_ACCESS_LIST_ENTRY_ADDED", Target::Key)),
    (2, ("API_KEY_ADDED_TO_GROUP", Target::Key)),
    (3, ("SERVICE_ACCOUNT_CREATED", Target::Nothing)),
    (2, ("SERVICE_ACCOUNT_SECRET_ADDED", Target::Nothing)),
    (2, ("GROUP_CREATED", Target::Project)),
    (2, ("ORG_SETTINGS_UPDATED", Target::Nothing)),
    (1, ("SECURITY_CONTACT_MODIFIED", Target::Nothing)),
    (1, ("ORG_USERS_WITHOUT_MFA", Target::System)),
    (1, ("ORG_SERVICE_ACCOUNT_SECRETS_EXPIRING", Target::System)),
];

const PROJECT_TYPES: &[(u32, (&str, Target))] = &[
    (14, ("MONGODB_USER_ADDED", Target::DbUser)),
    (10, ("MONGODB_USER_UPDATED", Target::DbUser)),
    (3, ("MONGODB_USER_DELETED", Target::DbUser)),
    (2, ("MONGODB_ROLE_ADDED", Target::Nothing)),
    (5, ("NETWORK_PERMISSION_ENTRY_ADDED", Target::Network)),
    (2, ("NETWORK_PERMISSION_ENTRY_REMOVED", Target::Network)),
    (6, ("JOINED_GROUP", Target::User)),
    (5, ("USER_ROLES_CHANGED_AUDIT", Target::User)),
    (2, ("REMOVED_FROM_GROUP", Target::User)),
    (3, ("TEAM_ADDED_TO_GROUP", Target::Team)),
    (8, ("DATA_EXPLORER", Target::Explorer)),
    (8, ("DATA_EXPLORER_CRUD", Target::Explorer)),
    (3, ("API_KEY_ADDED_TO_GROUP", Target::Key)),
    (1, ("AUDIT_LOG_CONFIGURATION_UPDATED", Target::Nothing)),
    (4, ("CLUSTER_UPDATE_SUBMITTED", Target::Cluster)),
    (1, ("EMPLOYEE_ACCESS_GRANTED", Target::System)),
    (1, ("USERS_WITHOUT_MULTI_FACTOR_AUTH", Target::System)),
];

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Event<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    collection: Option<&'static str>,
    created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    db_user_username: Option<&'a str>,
    event_type_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<&'a str>,
    id: String,
    is_global_admin: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    links: Option<[Link; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    op_type: Option<&'static str>,
    org_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    remote_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_public_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    username: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    whitelist_entry: Option<String>,
}

/// Creation times for `count` events, most recent first.
fn times(count: usize, clock: &Clock, rng: &mut Rng) -> Vec<i64> {
    let mut times: Vec<i64> = (0..count)
        .map(|_| clock.now - rng.range(0, WINDOW_DAYS * DAY))
        .collect();
    times.sort_unstable_by(|a, b| b.cmp(a));
    times
}

/// Builds `/orgs/{id}/events`.
pub(crate) fn org_events(
    builder: &mut WorldBuilder,
    org: &OrgCtx,
    count: usize,
    clock: &Clock,
    serials: &mut Serials,
    rng: &mut Rng,
) {
    let actors = Actors::new(org);
    let mut items = Vec::with_capacity(count);
    let mut index = EventIndex::default();
    for at in times(count, clock, rng) {
        let (name, target) = *rng.weighted(ORG_TYPES);
        let id = object_id(at, 9, serials.next_event());
        let mut event = Event {
            created: rfc3339(at),
            event_type_name: name,
            links: Some(self_link(&format!("/orgs/{}/events/{id}", org.id))),
            id,
            org_id: &org.id,
            ..Event::default()
        };
        actors.author(&mut event, target, rng);
        match target {
            Target::User => event.target_username = actors.someone(rng),
            Target::Team => {
                event.team_id = rng_item(&org.teams, rng).map(|t| t.0.as_str());
                if name == "JOINED_TEAM" || name == "REMOVED_FROM_TEAM" {
                    event.target_username = actors.someone(rng);
                }
            }
            Target::Key => event.target_public_key = rng_item(&org.keys, rng).map(|k| k.1.as_str()),
            Target::Project => event.group_id = rng_item(&org.projects, rng).map(|p| p.id.as_str()),
            _ => {}
        }
        index.push(at * 1000, name);
        items.push(raw(&event));
    }
    builder.events(format!("/orgs/{}/events", org.id), items, index);
}

/// Builds `/groups/{id}/events`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn project_events(
    builder: &mut WorldBuilder,
    org: &OrgCtx,
    project: &ProjectRef,
    context: &ProjectCtx,
    count: usize,
    clock: &Clock,
    serials: &mut Serials,
    rng: &mut Rng,
) {
    let actors = Actors::new(org);
    let mut items = Vec::with_capacity(count);
    let mut index = EventIndex::default();
    for at in times(count, clock, rng) {
        let (name, target) = *rng.weighted(PROJECT_TYPES);
        let id = object_id(at, 10, serials.next_event());
        let mut event = Event {
            created: rfc3339(at),
            event_type_name: name,
            group_id: Some(&project.id),
            links: Some(self_link(&format!("/groups/{}/events/{id}", project.id))),
            id,
            org_id: &org.id,
            ..Event::default()
        };
        actors.author(&mut event, target, rng);
        match target {
            Target::User => event.target_username = actors.someone(rng),
            Target::Team => event.team_id = rng_item(&org.teams, rng).map(|t| t.0.as_str()),
            Target::Key => event.target_public_key = rng_item(&org.keys, rng).map(|k| k.1.as_str()),
            Target::DbUser => {
                event.db_user_username = rng_item(&context.db_users, rng).map(String::as_str);
            }
            Target::Cluster => {
                event.cluster_name = rng_item(&context.clusters, rng).map(String::as_str);
            }
            Target::Network => event.whitelist_entry = Some(format!("{}/32", rng.ip())),
            Target::Explorer => {
                event.database = Some(*rng.pick(&["orders", "payments", "catalog", "reporting"]));
                event.collection = Some(*rng.pick(&["items", "customers", "events", "ledger"]));
                event.op_type = Some(*rng.pick(&["find", "aggregate", "update", "delete"]));
            }
            _ => {}
        }
        if name == "EMPLOYEE_ACCESS_GRANTED" {
            event.is_global_admin = true;
        }
        index.push(at * 1000, name);
        items.push(raw(&event));
    }
    builder.events(format!("/groups/{}/events", project.id), items, index);
}

fn rng_item<'a, T>(items: &'a [T], rng: &mut Rng) -> Option<&'a T> {
    (!items.is_empty()).then(|| &items[rng.below(items.len())])
}

/// Who can author an org's events: its active people and its API keys.
struct Actors<'a> {
    org: &'a OrgCtx,
    active: Vec<usize>,
}

impl<'a> Actors<'a> {
    fn new(org: &'a OrgCtx) -> Self {
        let active = (0..org.people.len())
            .filter(|&i| org.people[i].active)
            .collect();
        Actors { org, active }
    }

    /// Anyone in the org, by username.
    fn someone(&self, rng: &mut Rng) -> Option<&'a str> {
        rng_item(&self.org.people, rng).map(|p| p.email.as_str())
    }

    /// Sets the author of an event: mostly a person, sometimes an API key, nobody for
    /// events Atlas raises itself.
    fn author(&self, event: &mut Event<'a>, target: Target, rng: &mut Rng) {
        if target == Target::System {
            return;
        }
        event.remote_address = Some(rng.ip());
        if rng.chance(0.2) || self.active.is_empty() {
            if let Some((id, public_key)) = rng_item(&self.org.keys, rng) {
                event.api_key_id = Some(id);
                event.public_key = Some(public_key);
            }
        } else {
            let person = &self.org.people[self.active[rng.below(self.active.len())]];
            event.user_id = Some(&person.id);
            event.username = Some(&person.email);
        }
    }
}
