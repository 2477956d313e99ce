//! Offboarding: everything a person holds in every org of the snapshot, each a step: the
//! project roles (`removeGroupUser`), the team memberships (`removeOrgTeamUser`), the org
//! membership or pending invitation last (`removeOrgUser`, 2025-02-19, which works on pending
//! users), and the database users named after them (DBUSER_ORPHANED's matching).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Not as _;

use super::builder::{Builder, target_of};
use super::calls;
use super::condition::Condition;
use super::types::{Reason, Target};
use crate::model::{Grant, PrincipalDetail, PrincipalKind, Scope, Via, key};
use crate::rules::person_names;

/// Why an offboarding could not be planned.
#[derive(Debug, thiserror::Error)]
pub enum OffboardError {
    /// No person given is known to the snapshot.
    #[error(
        "{} not among the snapshot's Atlas users; check the spelling, or give the snapshot of the orgs the person belongs to",
        names(emails)
    )]
    Unknown {
        /// The emails.
        emails: Vec<String>,
    },
    /// Nobody was given.
    #[error(
        "no email to offboard; give --offboard EMAIL or an --offboard-file with one email per line"
    )]
    Empty,
}

fn names(emails: &[String]) -> String {
    match emails {
        [one] => format!("{one} is"),
        many => format!("{} are", many.join(", ")),
    }
}

/// Plans the offboarding of each person; returns a warning line for each unknown email when
/// others are known.
///
/// # Errors
/// When no email is given, or none is known.
pub fn offboard(b: &mut Builder<'_>, emails: &[String]) -> Result<Vec<String>, OffboardError> {
    let mut unknown = Vec::new();
    let mut known = Vec::new();
    let mut seen = BTreeSet::new();
    for email in emails.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        if !seen.insert(email.to_lowercase()) {
            continue;
        }
        let found = b
            .snapshot
            .principals
            .iter()
            .find(|p| p.kind == PrincipalKind::AtlasUser && p.name.eq_ignore_ascii_case(email));
        match found {
            Some(p) => known.push((email.to_string(), p)),
            None => unknown.push(email.to_string()),
        }
    }
    if known.is_empty() {
        return Err(if unknown.is_empty() {
            OffboardError::Empty
        } else {
            OffboardError::Unknown { emails: unknown }
        });
    }
    for (email, p) in known {
        person(b, &email, p);
    }
    Ok(unknown
        .into_iter()
        .map(|e| {
            format!(
                "warning: {e} is not among the snapshot's Atlas users; planned for the others only"
            )
        })
        .collect())
}

fn reason(email: &str, grants: &[&Grant]) -> Reason {
    let mut ids: Vec<String> = grants.iter().map(|g| g.id()).collect();
    ids.sort();
    Reason {
        kind: "offboard".into(),
        grant_ids: ids,
        email: Some(email.to_string()),
        ..Reason::default()
    }
}

fn held_all(grants: &[&Grant], project: Option<&str>) -> Condition {
    let of: Vec<Condition> = grants
        .iter()
        .map(|g| Condition::RoleHeld {
            role: g.role.clone(),
            project_id: project.map(str::to_string),
        })
        .collect();
    match of.len() {
        0 => Condition::Present,
        1 => of.into_iter().next().unwrap_or(Condition::Present),
        _ => Condition::All { of },
    }
}

fn person(b: &mut Builder<'_>, email: &str, p: &crate::model::Principal) {
    let PrincipalDetail::AtlasUser(u) = &p.detail else {
        return;
    };
    let grants = b.grants_of(&p.key);
    let orgs: BTreeSet<&str> = b.snapshot.orgs.iter().map(|o| o.id.as_str()).collect();
    for m in u
        .memberships
        .iter()
        .filter(|m| orgs.contains(m.org_id.as_str()))
    {
        let org = m.org_id.as_str();
        let in_org: Vec<&Grant> = grants
            .iter()
            .copied()
            .filter(|g| g.scope.org_id() == org)
            .collect();
        let mut first = Vec::new();
        // Project roles held directly, one project at a time.
        let mut projects: BTreeMap<&str, Vec<&Grant>> = BTreeMap::new();
        let mut teams: BTreeMap<String, Vec<&Grant>> =
            m.teams.iter().map(|t| (t.clone(), Vec::new())).collect();
        let mut org_level = Vec::new();
        for g in &in_org {
            match (&g.scope, &g.via) {
                (Scope::Project { project_id, .. }, Via::Direct) => {
                    projects.entry(project_id).or_default().push(g)
                }
                (_, Via::Team(t)) => teams.entry(t.clone()).or_default().push(g),
                _ => org_level.push(*g),
            }
        }
        for (project, gs) in projects {
            let call = calls::remove_group_user(project, &u.user_id);
            let target = Target {
                scope: key::project(project),
                role: None,
                object: u.user_id.clone(),
            };
            let pre = held_all(&gs, Some(project));
            first.push(b.push(
                &p.key,
                call,
                target,
                (pre, Condition::Absent),
                vec![],
                reason(email, &gs),
                vec![],
                None,
            ));
        }
        for (team, gs) in teams {
            let Some(PrincipalDetail::Team(t)) =
                b.principal(&key::team(org, &team)).map(|t| &t.detail)
            else {
                b.manual(&p.key, Target { scope: key::org(org), role: None, object: team.clone() }, reason(email, &gs),
                    format!("team {team} is not in the snapshot, so its id is unknown; take the person off it by hand"));
                continue;
            };
            let call = calls::remove_org_team_user(org, &t.team_id, &u.user_id);
            let member = Condition::TeamMember {
                team_id: t.team_id.clone(),
            };
            let target = Target {
                scope: key::org(org),
                role: None,
                object: t.team_id.clone(),
            };
            first.push(b.push(
                &p.key,
                call,
                target,
                (member.clone(), member.not()),
                vec![],
                reason(email, &gs),
                vec![],
                Some(format!(
                    "leaves team {team}; the team keeps its roles for its other members"
                )),
            ));
        }
        let owner = org_level
            .iter()
            .any(|g| g.role == super::guard::ORG_OWNER && matches!(g.scope, Scope::Org { .. }));
        let target = Target {
            scope: key::org(org),
            role: None,
            object: u.user_id.clone(),
        };
        if owner && let Err(why) = b.guard.remove_owner(org, &p.key) {
            b.manual(&p.key, target, reason(email, &org_level), why);
        } else {
            let call = calls::remove_org_user(org, &u.user_id);
            let note = (m.status != "ACTIVE").then(|| {
                format!(
                    "membership is {}: removing the user withdraws the invitation",
                    m.status
                )
            });
            b.push(
                &p.key,
                call,
                target,
                (Condition::Present, Condition::Absent),
                first,
                reason(email, &org_level),
                vec![],
                note,
            );
        }
        database_users(b, email, org);
    }
}

/// The database users of the org's projects named after the person; a name that also fits
/// another person of the snapshot is left to a person to judge.
fn database_users(b: &mut Builder<'_>, email: &str, org: &str) {
    let names = person_names(email);
    let others: BTreeMap<String, String> = b
        .snapshot
        .principals
        .iter()
        .filter(|p| p.kind == PrincipalKind::AtlasUser && !p.name.eq_ignore_ascii_case(email))
        .flat_map(|p| {
            person_names(&p.name)
                .into_iter()
                .map(|n| (n, p.name.clone()))
        })
        .collect();
    let users: Vec<&crate::model::Principal> = b
        .snapshot
        .principals
        .iter()
        .filter(|p| p.kind == PrincipalKind::DatabaseUser && p.org_ids.iter().any(|o| o == org))
        .collect();
    for p in users {
        let (PrincipalDetail::DatabaseUser(d), Some(project)) =
            (&p.detail, p.project_id.as_deref())
        else {
            continue;
        };
        let name = d.username.to_lowercase();
        if !names.contains(&name) {
            continue;
        }
        let gs = b.grants_of(&p.key);
        let target = Target {
            scope: key::project(project),
            role: None,
            object: format!("{}/{}", d.database_name, d.username),
        };
        if let Some(other) = others.get(&name) {
            let why = format!(
                "database user {} is named after {email} but also fits {other}; decide whose it is",
                d.username
            );
            match gs.first() {
                Some(g) => b.manual(
                    &p.key,
                    target_of(g, &target.object),
                    reason(email, &gs),
                    why,
                ),
                None => b.manual(&p.key, target, reason(email, &gs), why),
            }
            continue;
        }
        let call = calls::delete_database_user(project, &d.database_name, &d.username);
        b.push(
            &p.key,
            call,
            target,
            (Condition::Present, Condition::Absent),
            vec![],
            reason(email, &gs),
            vec![],
            Some(format!(
                "database user named after {email} (as DBUSER_ORPHANED matches names)"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remediate::plan::types::Action;
    use crate::rules::testkit::Estate;

    const ANN: &str = "user:ann@example.com";

    /// Ann in two orgs, with a project role, a team and a database user named after her in
    /// each; Bob owns both orgs and holds the same kinds of access.
    fn estate() -> Estate {
        let mut e = Estate::new();
        e.org("o2");
        e.project("o1", "p1", &[]);
        e.project("o2", "p2", &[]);
        e.user("o1", "ann@example.com");
        e.user("o1", "bob@example.com");
        for (org, project) in [("o1", "p1"), ("o2", "p2")] {
            if org == "o2" {
                for who in ["ann@example.com", "bob@example.com"] {
                    if let PrincipalDetail::AtlasUser(u) =
                        &mut e.principal_mut(&key::user(who)).detail
                    {
                        let mut m = u.memberships[0].clone();
                        m.org_id = org.into();
                        u.memberships.push(m);
                    }
                }
            }
            e.org_role(ANN, org, "ORG_MEMBER");
            e.org_role("user:bob@example.com", org, "ORG_OWNER");
            e.project_role(ANN, project, "GROUP_OWNER", Via::Direct);
            e.project_role("user:bob@example.com", project, "GROUP_OWNER", Via::Direct);
            e.db_user(project, "ann", &[("readWrite", "sales")], &[]);
            e.db_user(project, "bob", &[("readWrite", "sales")], &[]);
        }
        e.team("o1", "ops", &[ANN]);
        e.project_role(ANN, "p1", "GROUP_READ_ONLY", Via::Team("ops".into()));
        if let PrincipalDetail::AtlasUser(u) = &mut e.principal_mut(ANN).detail {
            u.memberships[0].teams.push("ops".into());
        }
        e
    }

    #[test]
    fn everything_the_person_holds_in_both_orgs_is_planned_and_nothing_of_anyone_else() {
        let e = estate();
        let mut b = Builder::new(&e.snapshot);
        let warnings = offboard(&mut b, &["Ann@Example.com".into()]).unwrap();
        assert!(warnings.is_empty());
        assert!(b.manual.is_empty(), "{:?}", b.manual);
        let actions: Vec<(Action, &str)> = b
            .steps
            .iter()
            .map(|s| (s.action, s.target.scope.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                (Action::RemoveGroupUser, "project:p1"),
                (Action::RemoveOrgTeamUser, "org:o1"),
                (Action::RemoveOrgUser, "org:o1"),
                (Action::DeleteGroupDatabaseUser, "project:p1"),
                (Action::RemoveGroupUser, "project:p2"),
                (Action::RemoveOrgUser, "org:o2"),
                (Action::DeleteGroupDatabaseUser, "project:p2"),
            ]
        );
        // The org removal comes after the project and team steps of that org.
        assert_eq!(b.steps[2].after, ["S-001", "S-002"]);
        // Every grant of hers is named once; no grant of anyone else is.
        let mut named: Vec<&String> = b.steps.iter().flat_map(|s| &s.reason.grant_ids).collect();
        named.sort();
        let mut hers: Vec<String> = e
            .snapshot
            .grants
            .iter()
            .filter(|g| g.principal == ANN || g.principal.contains("/admin/ann"))
            .map(Grant::id)
            .collect();
        hers.sort();
        assert_eq!(named, hers.iter().collect::<Vec<_>>());
        assert!(b.steps.iter().all(|s| !s.principal.contains("bob")));
    }

    #[test]
    fn unknown_people_are_an_error_alone_and_a_warning_among_known_ones() {
        let e = estate();
        let mut b = Builder::new(&e.snapshot);
        let err = offboard(&mut b, &["zed@example.com".into()]).unwrap_err();
        assert!(err.to_string().contains("zed@example.com is not"), "{err}");
        let warnings = offboard(
            &mut b,
            &["zed@example.com".into(), "ann@example.com".into()],
        )
        .unwrap();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("zed@example.com"));
        assert!(matches!(offboard(&mut b, &[]), Err(OffboardError::Empty)));
    }

    #[test]
    fn the_last_owner_is_not_offboarded_from_the_org() {
        let e = estate();
        let mut b = Builder::new(&e.snapshot);
        offboard(&mut b, &["bob@example.com".into()]).unwrap();
        assert!(b.steps.iter().all(|s| s.action != Action::RemoveOrgUser));
        assert_eq!(b.manual.len(), 2, "one per org");
        assert!(b.steps.iter().any(|s| s.action == Action::RemoveGroupUser));
    }
}
