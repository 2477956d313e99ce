//! Turning what is wanted of grants (revoke, or modify to a role) into steps: which Atlas call
//! carries it out for each kind of principal and path, what else the call takes away, and what
//! only a person can do. Every step goes through the guard rails ([`super::guard`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::calls::{self, Call};
use super::condition::{Condition, DbRole};
use super::guard::{Guard, ORG_OWNER};
use super::types::{AlsoRemoves, Manual, Reason, Step, Target};
use crate::model::{Grant, Principal, PrincipalDetail, PrincipalKind, Scope, Snapshot, Via, key};

/// What is wanted of one grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// Take it away.
    Revoke,
    /// Change its role to this one; `None` when no target is known (a manual step).
    Modify(Option<String>),
}

/// One grant and what is wanted of it, with why.
#[derive(Debug, Clone)]
pub struct Intent<'a> {
    /// The grant, as the snapshot has it.
    pub grant: &'a Grant,
    /// Revoke or modify.
    pub want: Want,
    /// Why (the decision row).
    pub reason: Reason,
}

/// Builds the steps and manual entries of one plan.
pub struct Builder<'a> {
    /// The snapshot.
    pub snapshot: &'a Snapshot,
    principals: HashMap<&'a str, &'a Principal>,
    grants: HashMap<&'a str, Vec<&'a Grant>>,
    /// Guard-rail state.
    pub guard: Guard,
    /// Steps so far, in order.
    pub steps: Vec<Step>,
    /// Manual entries so far.
    pub manual: Vec<Manual>,
}

/// The target of a grant, addressed through `object`.
pub fn target_of(g: &Grant, object: &str) -> Target {
    Target {
        scope: g.scope.key(),
        role: Some(g.role.clone()),
        object: object.to_string(),
    }
}

fn merged(intents: &[&Intent<'_>]) -> Reason {
    let mut r = intents
        .first()
        .map(|i| i.reason.clone())
        .unwrap_or_default();
    r.grant_ids = intents.iter().map(|i| i.grant.id()).collect();
    r.grant_ids.sort();
    r.grant_ids.dedup();
    r
}

fn held(role: &str, project: Option<&str>) -> Condition {
    Condition::RoleHeld {
        role: role.to_string(),
        project_id: project.map(str::to_string),
    }
}

/// The roles at the org (no `project`) or on the project are exactly `roles`.
fn exactly(roles: &[String], project: Option<&str>) -> Condition {
    Condition::RolesExactly {
        roles: roles.to_vec(),
        project_id: project.map(str::to_string),
    }
}

fn all(of: Vec<Condition>) -> Condition {
    if of.len() == 1 {
        of.into_iter().next().unwrap_or(Condition::Present)
    } else {
        Condition::All { of }
    }
}

/// A role a Modify may move to at a scope: org roles at org level, project roles on projects,
/// any database role name on databases.
fn valid_target(scope: &Scope, role: &str) -> bool {
    match scope {
        Scope::Org { .. } => role.starts_with("ORG_"),
        Scope::Project { .. } => role.starts_with("GROUP_"),
        Scope::Database { .. } => !role.is_empty() && !role.contains(char::is_whitespace),
    }
}

/// The role changes a set of intents on one object asks for, after the manual ones are set
/// aside: roles removed, and (old, new) swaps.
struct Changes<'i, 'a> {
    revokes: Vec<&'i Intent<'a>>,
    swaps: Vec<(&'i Intent<'a>, String)>,
}

impl Changes<'_, '_> {
    fn intents(&self) -> Vec<&Intent<'_>> {
        self.revokes
            .iter()
            .copied()
            .chain(self.swaps.iter().map(|(i, _)| *i))
            .collect()
    }

    /// `current` after the changes, sorted.
    fn apply(&self, current: &[String]) -> Vec<String> {
        let gone: BTreeSet<&str> = self
            .intents()
            .iter()
            .map(|i| i.grant.role.as_str())
            .collect();
        let mut out: BTreeSet<String> = current
            .iter()
            .filter(|r| !gone.contains(r.as_str()))
            .cloned()
            .collect();
        out.extend(self.swaps.iter().map(|(_, t)| t.clone()));
        out.into_iter().collect()
    }

    fn is_empty(&self) -> bool {
        self.revokes.is_empty() && self.swaps.is_empty()
    }
}

impl<'a> Builder<'a> {
    /// A builder over a snapshot.
    pub fn new(snapshot: &'a Snapshot) -> Self {
        let mut grants: HashMap<&str, Vec<&Grant>> = HashMap::new();
        for g in &snapshot.grants {
            grants.entry(g.principal.as_str()).or_default().push(g);
        }
        Builder {
            snapshot,
            principals: snapshot
                .principals
                .iter()
                .map(|p| (p.key.as_str(), p))
                .collect(),
            grants,
            guard: Guard::new(snapshot),
            steps: Vec::new(),
            manual: Vec::new(),
        }
    }

    /// A principal of the snapshot.
    pub fn principal(&self, key: &str) -> Option<&'a Principal> {
        self.principals.get(key).copied()
    }

    /// Every grant a principal holds.
    pub fn grants_of(&self, key: &str) -> Vec<&'a Grant> {
        self.grants.get(key).cloned().unwrap_or_default()
    }

    /// Adds a step; returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn push(
        &mut self,
        principal: &str,
        call: Call,
        target: Target,
        (precondition, effect): (Condition, Condition),
        after: Vec<String>,
        reason: Reason,
        also_removes: Vec<AlsoRemoves>,
        note: Option<String>,
    ) -> String {
        let id = format!("S-{:03}", self.steps.len() + 1);
        self.steps.push(Step {
            id: id.clone(),
            principal: principal.to_string(),
            action: call.action,
            target,
            request: call.request,
            check: call.check,
            precondition,
            effect,
            after,
            reason,
            also_removes,
            note,
        });
        id
    }

    /// Adds a manual entry.
    pub fn manual(&mut self, principal: &str, target: Target, reason: Reason, why: String) {
        self.manual.push(Manual {
            principal: principal.to_string(),
            target,
            reason,
            why,
        });
    }

    fn manual_for(&mut self, i: &Intent<'_>, why: String) {
        let mut reason = i.reason.clone();
        reason.grant_ids = vec![i.grant.id()];
        self.manual(&i.grant.principal, target_of(i.grant, ""), reason, why);
    }

    /// Grants of `principal` in `org` that `keep` does not exclude, as also-removes entries.
    fn others_in_org(
        &self,
        principal: &str,
        org: &str,
        decided: &BTreeSet<String>,
        keep: impl Fn(&Grant) -> bool,
    ) -> Vec<AlsoRemoves> {
        let mut out: Vec<AlsoRemoves> = self
            .grants_of(principal)
            .into_iter()
            .filter(|g| g.scope.org_id() == org && keep(g) && !decided.contains(&g.id()))
            .map(AlsoRemoves::of)
            .collect();
        out.sort();
        out
    }

    /// Plans every intent, principal by principal.
    pub fn plan(&mut self, intents: &[Intent<'a>]) {
        let decided: BTreeSet<String> = intents.iter().map(|i| i.grant.id()).collect();
        let mut by_principal: BTreeMap<&str, Vec<&Intent<'a>>> = BTreeMap::new();
        for i in intents {
            by_principal
                .entry(i.grant.principal.as_str())
                .or_default()
                .push(i);
        }
        for (key, list) in by_principal {
            let Some(p) = self.principal(key) else {
                for i in list {
                    self.manual_for(i, format!("{key} is not among the snapshot's principals"));
                }
                continue;
            };
            if self.guard.is_credential(key) {
                for i in list {
                    self.manual_for(
                        i,
                        "this is the credential the plan runs with; removing its access would stop the plan (change it by hand, or run the plan with another credential and plan again)".into(),
                    );
                }
                continue;
            }
            if p.kind == PrincipalKind::IdpGroup {
                for i in list {
                    let why = idp_group_manual(&p.name, i.grant);
                    self.manual_for(i, why);
                }
                continue;
            }
            // Known only from a per-project invitation: Atlas gives no user id until it is
            // accepted, so no user call can address the person.
            if matches!(&p.detail, PrincipalDetail::AtlasUser(u) if u.user_id.is_empty()) {
                for i in list {
                    self.manual_for(
                        i,
                        "the person is known only from a per-project invitation, which has no Atlas user id until accepted: delete the invitation in the project's Access Manager (deleteGroupInvite)".into(),
                    );
                }
                continue;
            }
            self.principal_intents(p, &list, &decided);
        }
    }

    fn principal_intents(
        &mut self,
        p: &'a Principal,
        list: &[&Intent<'a>],
        decided: &BTreeSet<String>,
    ) {
        // Implied project roles: carried out by the step on the org role when that is decided
        // too, otherwise a manual step.
        let mut covered: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        let mut rest: Vec<&Intent<'a>> = Vec::new();
        for i in list {
            let Via::OrgRole(org_role) = &i.grant.via else {
                rest.push(i);
                continue;
            };
            let org = i.grant.scope.org_id().to_string();
            let decided_on_org_role = list.iter().any(|o| {
                o.grant.via == Via::Direct
                    && o.grant.role == *org_role
                    && o.grant.scope
                        == Scope::Org {
                            org_id: org.clone(),
                        }
            });
            if decided_on_org_role {
                covered
                    .entry((org, org_role.clone()))
                    .or_default()
                    .push(i.grant.id());
            } else {
                self.manual_for(
                    i,
                    format!(
                        "{} on {} comes from the org role {org_role} on org {org}, which gives it on every project of the org; decide on the org role itself (its own row) to change it",
                        i.grant.role,
                        i.grant.scope.key()
                    ),
                );
            }
        }
        // Group the others by the object the call addresses.
        let mut groups: BTreeMap<(u8, String, String), Vec<&Intent<'a>>> = BTreeMap::new();
        for i in rest {
            let g = i.grant;
            let k = match (&g.scope, &g.via) {
                (Scope::Org { org_id }, Via::Direct) => (0, org_id.clone(), String::new()),
                (Scope::Project { project_id, .. }, Via::Direct) => {
                    (1, g.scope.org_id().to_string(), project_id.clone())
                }
                (Scope::Project { .. }, Via::Team(name)) => {
                    (2, g.scope.org_id().to_string(), name.clone())
                }
                (Scope::Database { project_id, .. }, Via::Direct) => {
                    (3, g.scope.org_id().to_string(), project_id.clone())
                }
                (_, Via::IdpGroup(group)) => {
                    let why = idp_group_manual(group, g);
                    self.manual_for(i, why);
                    continue;
                }
                _ => {
                    self.manual_for(i, "the API has no call for this grant's path".into());
                    continue;
                }
            };
            groups.entry(k).or_default().push(i);
        }
        for ((level, org, what), intents) in groups {
            match (p.kind, level) {
                (PrincipalKind::AtlasUser, 2) => self.user_team(p, &org, &what, &intents, decided),
                (PrincipalKind::DatabaseUser, 3) => self.database_user(p, &intents),
                (PrincipalKind::DatabaseUser, _) | (_, 3) | (PrincipalKind::Team, 0) => {
                    for i in intents {
                        self.manual_for(i, "the API has no call for this grant".into());
                    }
                }
                (_, 2) => {
                    for i in intents {
                        self.manual_for(i, "only people are members of teams".into());
                    }
                }
                (_, 0) => self.org_roles(p, &org, &intents, &covered, decided),
                _ => self.project_roles(p, &org, &what, &intents),
            }
        }
    }

    /// Sets aside (as manual) the intents that cannot be carried out: a Modify with no or an
    /// invalid target, and anything that would take an org's last human owner.
    fn changes<'i>(&mut self, intents: &[&'i Intent<'a>]) -> Changes<'i, 'a> {
        let mut c = Changes {
            revokes: Vec::new(),
            swaps: Vec::new(),
        };
        for &i in intents {
            let g = i.grant;
            let swap = match &i.want {
                Want::Revoke => None,
                Want::Modify(None) => {
                    self.manual_for(i, "Modify without a role to move to: the decision gives none and no finding recommends a lesser role; write one in \"Modify to\" or change it by hand".into());
                    continue;
                }
                Want::Modify(Some(t)) if !valid_target(&g.scope, t) || *t == g.role => {
                    self.manual_for(
                        i,
                        format!(
                            "Modify to {t:?} is not another role valid at {}",
                            g.scope.key()
                        ),
                    );
                    continue;
                }
                Want::Modify(Some(t)) => Some(t.clone()),
            };
            if matches!(g.scope, Scope::Org { .. })
                && g.role == ORG_OWNER
                && let Err(why) = self.guard.remove_owner(g.scope.org_id(), &g.principal)
            {
                self.manual_for(i, why);
                continue;
            }
            match swap {
                None => c.revokes.push(i),
                Some(t) => c.swaps.push((i, t)),
            }
        }
        c
    }
}

/// Why a grant through a federation role mapping is changed by hand: no single API call
/// removes one role of one group; the role mapping (in the org's federation settings, Org
/// Owner) is edited as a whole, and the identity provider decides who is in the group.
fn idp_group_manual(group: &str, g: &Grant) -> String {
    format!(
        "{} on {} comes from the federation role mapping of identity-provider group {group}; change the mapping in Organization Settings > Federation (or updateRoleMapping on the org's connected configuration) or the group's membership at the identity provider, not with one call on the grant",
        g.role,
        g.scope.key()
    )
}

mod kinds;

#[cfg(test)]
#[path = "builder_tests.rs"]
mod tests;
