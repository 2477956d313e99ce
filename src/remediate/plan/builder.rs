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

    /// Org roles of a user, key or service account on one org.
    fn org_roles(
        &mut self,
        p: &'a Principal,
        org: &str,
        intents: &[&Intent<'a>],
        covered: &BTreeMap<(String, String), Vec<String>>,
        decided: &BTreeSet<String>,
    ) {
        let c = self.changes(intents);
        if c.is_empty() {
            return;
        }
        let current: Vec<String> = self
            .grants_of(&p.key)
            .into_iter()
            .filter(|g| g.scope == Scope::Org { org_id: org.into() } && g.via == Via::Direct)
            .map(|g| g.role.clone())
            .collect();
        let after = c.apply(&current);
        let removed: Vec<&str> = c.intents().iter().map(|i| i.grant.role.as_str()).collect();
        let mut reason = merged(&c.intents());
        for r in &removed {
            if let Some(ids) = covered.get(&(org.to_string(), r.to_string())) {
                reason.grant_ids.extend(ids.iter().cloned());
            }
        }
        reason.grant_ids.sort();
        let implied_of =
            |g: &Grant| matches!(&g.via, Via::OrgRole(r) if removed.contains(&r.as_str()));
        let pre = all(removed.iter().map(|r| held(r, None)).collect());
        let org_target = |object: &str| Target {
            scope: key::org(org),
            role: None,
            object: object.to_string(),
        };
        match &p.detail {
            PrincipalDetail::AtlasUser(u) if after.is_empty() => {
                let also = self.others_in_org(&p.key, org, decided, |g| {
                    !(g.via == Via::Direct && matches!(g.scope, Scope::Org { .. }))
                });
                let call = calls::remove_org_user(org, &u.user_id);
                self.push(&p.key, call, org_target(&u.user_id), (pre, Condition::Absent), vec![], reason, also,
                    Some("removing the last org role removes the person from the org, with every project role and team membership there (listed in also_removes, which no decision named)".into()));
            }
            PrincipalDetail::AtlasUser(u) => {
                let mut adds = Vec::new();
                for (i, t) in &c.swaps {
                    if current.contains(t) {
                        continue;
                    }
                    let call = calls::org_user_role(true, org, &u.user_id, t);
                    let mut tg = target_of(i.grant, &u.user_id);
                    tg.role = Some(t.clone());
                    let mut r = i.reason.clone();
                    r.grant_ids = vec![i.grant.id()];
                    let note = Some(format!(
                        "adds {t} before {} is removed, so the person is never left without a role",
                        i.grant.role
                    ));
                    adds.push(self.push(
                        &p.key,
                        call,
                        tg,
                        (held(&i.grant.role, None), held(t, None)),
                        vec![],
                        r,
                        vec![],
                        note,
                    ));
                }
                for i in c.intents() {
                    let call = calls::org_user_role(false, org, &u.user_id, &i.grant.role);
                    let role = i.grant.role.clone();
                    let also = self.others_in_org(
                        &p.key,
                        org,
                        decided,
                        |g| matches!(&g.via, Via::OrgRole(r) if *r == role),
                    );
                    let mut r = i.reason.clone();
                    r.grant_ids = vec![i.grant.id()];
                    if let Some(ids) = covered.get(&(org.to_string(), role.clone())) {
                        r.grant_ids.extend(ids.iter().cloned());
                    }
                    let cond = (held(&role, None), held(&role, None).not());
                    self.push(
                        &p.key,
                        call,
                        target_of(i.grant, &u.user_id),
                        cond,
                        adds.clone(),
                        r,
                        also,
                        None,
                    );
                }
            }
            PrincipalDetail::ApiKey(k) => {
                let also = self.others_in_org(&p.key, org, decided, |g| {
                    if after.is_empty() {
                        !(g.via == Via::Direct && matches!(g.scope, Scope::Org { .. }))
                    } else {
                        implied_of(g)
                    }
                });
                let (call, eff, note) = if after.is_empty() {
                    (calls::delete_org_api_key(org, &k.id), Condition::Absent,
                     Some("no org role would be left: the key is deleted, which also removes it from every project (also_removes)".to_string()))
                } else {
                    (
                        calls::update_org_api_key(org, &k.id, &after),
                        self.list_effect(&removed, &c, None),
                        None,
                    )
                };
                self.push(
                    &p.key,
                    call,
                    org_target(&k.id),
                    (pre, eff),
                    vec![],
                    reason,
                    also,
                    note,
                );
            }
            PrincipalDetail::ServiceAccount(s) => {
                let also = self.others_in_org(&p.key, org, decided, |g| {
                    if after.is_empty() {
                        !(g.via == Via::Direct && matches!(g.scope, Scope::Org { .. }))
                    } else {
                        implied_of(g)
                    }
                });
                let (call, eff, note) = if after.is_empty() {
                    (calls::delete_org_service_account(org, &s.client_id), Condition::Absent,
                     Some("REVOKES ITS CREDENTIALS: no org role would be left, so the account is deleted with its secrets (tokens already issued may live up to an hour; unverified)".to_string()))
                } else {
                    (
                        calls::update_org_service_account(org, &s.client_id, &after),
                        self.list_effect(&removed, &c, None),
                        None,
                    )
                };
                self.push(
                    &p.key,
                    call,
                    org_target(&s.client_id),
                    (pre, eff),
                    vec![],
                    reason,
                    also,
                    note,
                );
            }
            _ => {
                for i in c.intents() {
                    self.manual_for(i, "the API has no call for this grant".into());
                }
            }
        }
    }

    /// After a whole-list rewrite: the removed roles gone, the new ones held.
    fn list_effect(
        &self,
        removed: &[&str],
        c: &Changes<'_, '_>,
        project: Option<&str>,
    ) -> Condition {
        let mut of: Vec<Condition> = removed.iter().map(|r| held(r, project).not()).collect();
        of.extend(c.swaps.iter().map(|(_, t)| held(t, project)));
        all(of)
    }

    /// Project roles held directly by a user, key, service account or team on one project.
    fn project_roles(
        &mut self,
        p: &'a Principal,
        org: &str,
        project: &str,
        intents: &[&Intent<'a>],
    ) {
        let c = self.changes(intents);
        if c.is_empty() {
            return;
        }
        let current: Vec<String> = self
            .grants_of(&p.key)
            .into_iter()
            .filter(|g| {
                g.scope.project_id() == Some(project)
                    && matches!(g.scope, Scope::Project { .. })
                    && g.via == Via::Direct
            })
            .map(|g| g.role.clone())
            .collect();
        let after = c.apply(&current);
        let removed: Vec<&str> = c.intents().iter().map(|i| i.grant.role.as_str()).collect();
        let reason = merged(&c.intents());
        let pre = all(removed.iter().map(|r| held(r, Some(project))).collect());
        let tgt = |object: &str| Target {
            scope: key::project(project),
            role: None,
            object: object.to_string(),
        };
        match &p.detail {
            PrincipalDetail::AtlasUser(u) if after.is_empty() => {
                let call = calls::remove_group_user(project, &u.user_id);
                self.push(&p.key, call, tgt(&u.user_id), (pre, Condition::Absent), vec![], reason, vec![],
                    Some("the last direct role on the project: the person leaves the project (roles through teams or org roles stay)".into()));
            }
            PrincipalDetail::AtlasUser(u) => {
                let mut adds = Vec::new();
                for (i, t) in &c.swaps {
                    if current.contains(t) {
                        continue;
                    }
                    let call = calls::group_user_role(true, project, &u.user_id, t);
                    let mut tg = target_of(i.grant, &u.user_id);
                    tg.role = Some(t.clone());
                    let mut r = i.reason.clone();
                    r.grant_ids = vec![i.grant.id()];
                    let note = Some(format!(
                        "adds {t} before {} is removed, so the person is never left without a role",
                        i.grant.role
                    ));
                    let cond = (held(&i.grant.role, Some(project)), held(t, Some(project)));
                    adds.push(self.push(&p.key, call, tg, cond, vec![], r, vec![], note));
                }
                for i in c.intents() {
                    let role = &i.grant.role;
                    let call = calls::group_user_role(false, project, &u.user_id, role);
                    let mut r = i.reason.clone();
                    r.grant_ids = vec![i.grant.id()];
                    let cond = (held(role, Some(project)), held(role, Some(project)).not());
                    self.push(
                        &p.key,
                        call,
                        target_of(i.grant, &u.user_id),
                        cond,
                        adds.clone(),
                        r,
                        vec![],
                        None,
                    );
                }
            }
            PrincipalDetail::ApiKey(k) => {
                let (call, note) = if after.is_empty() {
                    (calls::remove_group_api_key(org, project, &k.id), Some("no role would be left on the project: the key leaves it and stays in the org".to_string()))
                } else {
                    (
                        calls::update_group_api_key(org, project, &k.id, &after),
                        None,
                    )
                };
                let eff = self.list_effect(&removed, &c, Some(project));
                self.push(
                    &p.key,
                    call,
                    tgt(&k.id),
                    (pre, eff),
                    vec![],
                    reason,
                    vec![],
                    note,
                );
            }
            PrincipalDetail::ServiceAccount(s) => {
                let (call, eff) = if after.is_empty() {
                    (
                        calls::delete_group_service_account(project, &s.client_id),
                        Condition::Absent,
                    )
                } else {
                    (
                        calls::update_group_service_account(project, &s.client_id, &after),
                        self.list_effect(&removed, &c, Some(project)),
                    )
                };
                let note = "removing project access does not revoke the account's credentials: its secrets stay valid until they expire or are deleted (see the manual entry offering that)";
                self.push(
                    &p.key,
                    call,
                    tgt(&s.client_id),
                    (pre, eff),
                    vec![],
                    reason.clone(),
                    vec![],
                    Some(note.into()),
                );
                let secrets: Vec<&str> = s.secrets.iter().map(|x| x.id.as_str()).collect();
                self.manual(&p.key, Target { scope: key::org(org), role: None, object: s.client_id.clone() }, reason,
                    format!("OFFERED, NOT PLANNED: to really revoke {}, delete its secrets ({}; deleteOrgServiceAccountSecret) or the account (deleteOrgServiceAccount); the plan does so only when the decision revokes the account at org level", s.client_id, if secrets.is_empty() { "none listed".to_string() } else { secrets.join(", ") }));
            }
            PrincipalDetail::Team(t) => {
                let members = self.team_members_grants(p, org, project, &removed, after.is_empty());
                let (call, eff, note) = if after.is_empty() {
                    (
                        calls::remove_group_team(project, &t.team_id),
                        Condition::Absent,
                        "the team leaves the project: every member loses the roles it gave there",
                    )
                } else {
                    (
                        calls::update_group_team(project, &t.team_id, &after),
                        Condition::TeamProjectRoles {
                            roles: after.clone(),
                        },
                        "the team's roles change for every member",
                    )
                };
                let pre = Condition::TeamProjectRoles {
                    roles: current.clone(),
                };
                self.push(
                    &p.key,
                    call,
                    tgt(&t.team_id),
                    (pre, eff),
                    vec![],
                    reason,
                    members,
                    Some(format!("{note} (also_removes; no decision named them)")),
                );
            }
            _ => {
                for i in c.intents() {
                    self.manual_for(i, "the API has no call for this grant".into());
                }
            }
        }
    }

    /// The members' grants a change of a team's roles on a project takes away.
    fn team_members_grants(
        &self,
        team: &Principal,
        org: &str,
        project: &str,
        removed: &[&str],
        whole: bool,
    ) -> Vec<AlsoRemoves> {
        let mut out: Vec<AlsoRemoves> = self
            .snapshot
            .grants
            .iter()
            .filter(|g| {
                g.scope.org_id() == org
                    && g.scope.project_id() == Some(project)
                    && g.via == Via::Team(team.name.clone())
                    && (whole || removed.contains(&g.role.as_str()))
            })
            .map(AlsoRemoves::of)
            .collect();
        out.sort();
        out
    }

    /// Roles a user holds through one team: taken away by taking the person off the team.
    fn user_team(
        &mut self,
        p: &'a Principal,
        org: &str,
        team: &str,
        intents: &[&Intent<'a>],
        decided: &BTreeSet<String>,
    ) {
        let mut revokes = Vec::new();
        for &i in intents {
            if i.want == Want::Revoke {
                revokes.push(i);
            } else {
                self.manual_for(i, format!("the role is held through team {team}; changing it means changing the team's roles (for every member) or moving the person to another team"));
            }
        }
        if revokes.is_empty() {
            return;
        }
        let team_id = match self.principal(&key::team(org, team)).map(|t| &t.detail) {
            Some(PrincipalDetail::Team(t)) => t.team_id.clone(),
            _ => {
                for i in revokes {
                    self.manual_for(
                        i,
                        format!(
                            "team {team} of org {org} is not in the snapshot, so its id is unknown"
                        ),
                    );
                }
                return;
            }
        };
        let PrincipalDetail::AtlasUser(u) = &p.detail else {
            return;
        };
        let also = self.others_in_org(&p.key, org, decided, |g| {
            g.via == Via::Team(team.to_string())
        });
        let call = calls::remove_org_team_user(org, &team_id, &u.user_id);
        let member = Condition::TeamMember {
            team_id: team_id.clone(),
        };
        let target = Target {
            scope: key::org(org),
            role: None,
            object: team_id,
        };
        self.push(&p.key, call, target, (member.clone(), member.not()), vec![], merged(&revokes), also,
            Some(format!("the roles come from team {team}: the person leaves the team, which takes away every role it gives them (also_removes, which no decision named)")));
    }

    /// Database roles of one database user: one whole-list update, or the user deleted when
    /// none is left.
    fn database_user(&mut self, p: &'a Principal, intents: &[&Intent<'a>]) {
        let PrincipalDetail::DatabaseUser(d) = &p.detail else {
            return;
        };
        let Some(project) = p.project_id.clone() else {
            return;
        };
        let c = self.changes(intents);
        if c.is_empty() {
            return;
        }
        let as_db = |r: &crate::model::DatabaseRole| DbRole {
            role: r.role.clone(),
            database: r.database.clone(),
            collection: r.collection.clone(),
        };
        let resource = |r: &crate::model::DatabaseRole| match &r.collection {
            Some(c) => format!("{}.{c}", r.database),
            None => r.database.clone(),
        };
        let current: Vec<DbRole> = d.roles.iter().map(as_db).collect();
        let mut after: Vec<DbRole> = Vec::new();
        for r in &d.roles {
            let hit = c.intents().into_iter().find(|i| {
                i.grant.role == r.role && matches!(&i.grant.scope, Scope::Database { resource: res, .. } if *res == resource(r))
            });
            match hit.map(|i| &i.want) {
                None => after.push(as_db(r)),
                Some(Want::Modify(Some(t))) => after.push(DbRole {
                    role: t.clone(),
                    ..as_db(r)
                }),
                Some(_) => {}
            }
        }
        after.sort();
        after.dedup();
        let reason = merged(&c.intents());
        let target = Target {
            scope: key::project(&project),
            role: None,
            object: format!("{}/{}", d.database_name, d.username),
        };
        let pre = Condition::DbUserRoles { roles: current };
        let (call, eff, note) = if after.is_empty() {
            (
                calls::delete_database_user(&project, &d.database_name, &d.username),
                Condition::Absent,
                Some("no role would be left: the database user is deleted".to_string()),
            )
        } else {
            (
                calls::update_database_user(&project, &d.database_name, &d.username, &after),
                Condition::DbUserRoles {
                    roles: after.clone(),
                },
                None,
            )
        };
        self.push(
            &p.key,
            call,
            target,
            (pre, eff),
            vec![],
            reason,
            vec![],
            note,
        );
    }
}

#[cfg(test)]
#[path = "builder_tests.rs"]
mod tests;
