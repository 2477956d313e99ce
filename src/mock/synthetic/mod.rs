//! Deterministic synthetic estates of a named size, for benchmarks and load tests: the same
//! size and the same "now" always give the same bytes.
//!
//! Shapes are those of the contract (`fixtures/README.md`); every kind of risk the rules look
//! for is sprinkled in (too many or too few owners, people gone for months, stale invitations,
//! open networks, admin database users, keys without access lists, expiring secrets, an empty
//! team with roles, ...). Some listings are long enough that clients must page.

mod access;
mod dbusers;
mod events;
mod federation;
mod keys;
mod kit;
mod org;
mod paths;
mod plan;
mod project;

use jiff::Timestamp;

pub use plan::{Plan, SyntheticSize, SyntheticSizeError, Totals};

use crate::mock::world::{World, WorldBuilder};
use kit::{DAY, Rng, seed};

/// "Now" in whole seconds, and dates relative to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    pub now: i64,
}

impl Clock {
    /// A moment between `lo` and `hi` days ago, to the second.
    pub fn days_ago(&self, rng: &mut Rng, lo: i64, hi: i64) -> i64 {
        self.now - rng.range(lo * DAY, hi * DAY)
    }
}

/// Serial numbers across the whole estate, so ids never collide.
#[derive(Debug, Default)]
pub(crate) struct Serials {
    project: usize,
    user: usize,
    team: u64,
    key: u64,
    service_account: u64,
    secret: u64,
    cluster: u64,
    event: u64,
    log_entry: u64,
}

macro_rules! serial {
    ($name:ident, $field:ident, $t:ty) => {
        #[doc = concat!("The next ", stringify!($field), " serial.")]
        pub fn $name(&mut self) -> $t {
            let n = self.$field;
            self.$field += 1;
            n
        }
    };
}

impl Serials {
    serial!(next_project, project, usize);
    serial!(next_user, user, usize);
    serial!(next_team, team, u64);
    serial!(next_key, key, u64);
    serial!(next_service_account, service_account, u64);
    serial!(next_secret, secret, u64);
    serial!(next_cluster, cluster, u64);
    serial!(next_event, event, u64);
    serial!(next_log_entry, log_entry, u64);
}

impl World {
    /// A deterministic synthetic estate of a named size, dated relative to `now` (to the
    /// second). See [`SyntheticSize`] for what each size holds.
    pub fn synthetic(size: SyntheticSize, now: Timestamp) -> World {
        let plan = Plan::new(size);
        let clock = Clock {
            now: now.as_second(),
        };
        let mut builder = WorldBuilder::new();
        let mut serials = Serials::default();
        let mut orgs = Vec::with_capacity(plan.totals.orgs);
        let mut federated = Vec::new();
        for o in 0..plan.totals.orgs {
            let mut rng = Rng::new(seed(&[size as u64, o as u64]));
            let mut ctx = org::begin(o, plan.projects[o], &clock, &mut serials, &mut rng);
            orgs.push(org::org_item(&ctx));
            builder.listing(format!("/orgs/{}/groups", ctx.id), org::group_items(&ctx));
            builder.object(format!("/orgs/{}/settings", ctx.id), org::settings(&ctx));
            federated.extend(federation::org(&mut builder, &ctx, &clock));
            let teams = org::teams(&mut ctx, plan.users[o], &clock, &mut serials);
            builder.listing(format!("/orgs/{}/teams", ctx.id), teams);
            let (users, statuses) =
                org::users(&mut ctx, plan.users[o], &clock, &mut serials, &mut rng);
            builder.members(format!("/orgs/{}/users", ctx.id), users, statuses);
            let keys = keys::api_keys(
                &mut builder,
                &mut ctx,
                plan.api_keys[o],
                &clock,
                &mut serials,
                &mut rng,
            );
            builder.listing(format!("/orgs/{}/apiKeys", ctx.id), keys);
            let accounts = keys::service_accounts(
                &mut builder,
                &ctx,
                plan.service_accounts[o],
                &clock,
                &mut serials,
                &mut rng,
            );
            builder.listing(format!("/orgs/{}/serviceAccounts", ctx.id), accounts);
            for project in &ctx.projects {
                let mut rng = Rng::new(seed(&[size as u64, o as u64, 1 + project.global as u64]));
                let db_users = plan.database_users[project.global];
                let context = project::build(
                    &mut builder,
                    &ctx,
                    project,
                    db_users,
                    &clock,
                    &mut serials,
                    &mut rng,
                );
                let count = plan.project_events[project.global];
                events::project_events(
                    &mut builder,
                    &ctx,
                    project,
                    &context,
                    count,
                    &clock,
                    &mut serials,
                    &mut rng,
                );
            }
            events::org_events(
                &mut builder,
                &ctx,
                plan.org_events[o],
                &clock,
                &mut serials,
                &mut rng,
            );
        }
        federation::providers(&mut builder, &federated, &clock);
        builder.listing("/orgs".to_owned(), orgs);
        builder.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    fn check_counts(size: SyntheticSize) -> World {
        let world = World::synthetic(size, now());
        let t = size.totals();
        let census = world.census();
        assert_eq!(census["/orgs"], t.orgs, "{size}");
        assert_eq!(census["/orgs/{orgId}/groups"], t.projects, "{size}");
        assert_eq!(census["/orgs/{orgId}/users"], t.users, "{size}");
        assert_eq!(
            census["/groups/{groupId}/databaseUsers"], t.database_users,
            "{size}"
        );
        assert_eq!(census["/orgs/{orgId}/apiKeys"], t.api_keys, "{size}");
        assert_eq!(
            census["/orgs/{orgId}/serviceAccounts"], t.service_accounts,
            "{size}"
        );
        let events = census["/orgs/{orgId}/events"] + census["/groups/{groupId}/events"];
        assert_eq!(events, t.events, "{size}");
        assert_eq!(world.list("/groups").unwrap().len(), t.projects);
        // Every project has 1 to 3 clusters and an access history for each.
        let clusters = census["/groups/{groupId}/clusters"];
        assert!((t.projects..=3 * t.projects).contains(&clusters));
        let histories = world
            .paths()
            .iter()
            .filter(|p| p.contains("/dbAccessHistory/clusters/"))
            .count();
        assert_eq!(histories, clusters);
        world
    }

    #[test]
    fn small_has_its_counts_and_every_risk() {
        let world = check_counts(SyntheticSize::Small);
        let all = |template: &str| -> String {
            world
                .paths()
                .into_iter()
                .filter(|p| {
                    crate::mock::routes::match_path(p).is_some_and(|m| m.route.template == template)
                })
                .flat_map(|p| {
                    world
                        .list(p)
                        .or_else(|| world.access_history(p))
                        .map(|items| items.iter().map(|i| i.get().to_owned()).collect::<Vec<_>>())
                        .or_else(|| world.object(p).map(|o| vec![o.get().to_owned()]))
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let users = all("/orgs/{orgId}/users");
        assert_eq!(users.matches("\"ORG_OWNER\"").count(), 4);
        for status in ["PENDING", "INVITATION_EXPIRED", "INVITATION_REJECTED"] {
            assert!(
                users.contains(&format!("\"orgMembershipStatus\":\"{status}\"")),
                "{status}"
            );
        }
        assert!(users.contains("\"invitationExpiresAt\":null"));
        let db = all("/groups/{groupId}/databaseUsers");
        for needle in [
            "\"atlasAdmin\"",
            "\"x509Type\":\"CUSTOMER\"",
            "\"awsIAMType\":\"ROLE\"",
            "\"scopes\":[]",
            "deleteAfterDate",
            "\"$external\"",
        ] {
            assert!(db.contains(needle), "{needle}");
        }
        assert!(all("/groups/{groupId}/accessList").contains("0.0.0.0/0"));
        assert!(all("/orgs/{orgId}/settings").contains("\"multiFactorAuthRequired\":false"));
        assert!(all("/orgs/{orgId}/apiKeys/{apiUserId}/accessList").contains("lastUsed"));
        let key_lists = world
            .paths()
            .into_iter()
            .filter(|p| p.contains("/apiKeys/") && world.list(p).is_some_and(<[_]>::is_empty))
            .count();
        assert!(key_lists >= 1, "a key without an access list");
        assert!(all("/orgs/{orgId}/serviceAccounts").contains("\"lastUsedAt\":null"));
        assert!(all("/groups/{groupId}/customDBRoles/roles").contains("DROP_DATABASE"));
        assert!(all("/groups/{groupId}/teams").contains("GROUP_DATA_ACCESS_ADMIN"));
        assert!(all("/orgs/{orgId}/events").contains("\"targetPublicKey\""));
        assert!(all("/groups/{groupId}/events").contains("\"dbUserUsername\""));
        // Access history in Atlas's form, with the other forms and Atlas's agent mixed in.
        let logs = all("/groups/{groupId}/dbAccessHistory/clusters/{clusterName}");
        for needle in [
            r#"GMT 2026","username""#,
            r#""logLine":"{\"t\":{\"$date\":\"2026-"#,
            " EDT 2026",
            " PST 2026",
            r#""timestamp":"2026-"#,
            r#""logLine":"2026-"#,
            r#""failureReason":null"#,
            r#""username":"mms-automation""#,
        ] {
            assert!(logs.contains(needle), "{needle}");
        }
    }

    #[test]
    fn access_history_is_the_last_seven_days_and_every_time_reads() {
        let world = World::synthetic(SyntheticSize::Small, now());
        let week = now() - jiff::SignedDuration::from_hours(24 * crate::model::ACCESS_HISTORY_DAYS);
        let mut entries = 0;
        for path in world.paths() {
            for item in world.access_history(path).unwrap_or_default() {
                let log: serde_json::Value = serde_json::from_str(item.get()).unwrap();
                let text = |field: &str| log[field].as_str();
                let at = crate::model::logtime::entry_time(text("timestamp"), text("logLine"))
                    .unwrap_or_else(|| panic!("{}", item.get()));
                assert!(week <= at && at <= now(), "{at}");
                entries += 1;
            }
        }
        let clusters = world.census()["/groups/{groupId}/clusters"];
        assert!(
            entries >= 3 * clusters,
            "{entries} entries, {clusters} clusters"
        );
    }

    #[test]
    fn same_size_and_now_give_the_same_bytes() {
        let a = World::synthetic(SyntheticSize::Small, now());
        let b = World::synthetic(SyntheticSize::Small, now());
        assert_eq!(a.paths(), b.paths());
        for path in a.paths() {
            let bytes = |w: &World| match w.list(path).or_else(|| w.access_history(path)) {
                Some(items) => items.iter().map(|i| i.get().to_owned()).collect::<Vec<_>>(),
                None => vec![w.object(path).unwrap().get().to_owned()],
            };
            assert_eq!(bytes(&a), bytes(&b), "{path}");
        }
        let later = World::synthetic(
            SyntheticSize::Small,
            now() + jiff::SignedDuration::from_hours(24),
        );
        assert_ne!(
            a.list("/groups").unwrap()[0].get(),
            later.list("/groups").unwrap()[0].get()
        );
    }

    #[test]
    fn medium_has_its_counts_and_pages() {
        let world = check_counts(SyntheticSize::Medium);
        assert!(
            world.listings_longer_than(500) >= 4,
            "{}",
            world.listings_longer_than(500)
        );
    }
}
