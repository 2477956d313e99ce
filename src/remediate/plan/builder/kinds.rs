//! The calls per kind of principal and path: org roles, project roles, team memberships and
//! database users.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Not as _;

use super::*;

impl<'a> Builder<'a> {
    /// Org roles of a user, key or service account on one org.
    pub(super) fn org_roles(
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
        // What a key's or account's org change takes away besides: everything in the org
        // when it is deleted, else the project roles its removed org roles implied.
        let machine_also = |b: &Self| {
            b.others_in_org(&p.key, org, decided, |g| {
                if after.is_empty() {
                    !(g.via == Via::Direct && matches!(g.scope, Scope::Org { .. }))
                } else {
                    implied_of(g)
                }
            })
        };
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
                // The whole membership goes: only if the org roles are still exactly these.
                let pre = exactly(&current, None);
                self.push(&p.key, call, org_target(&u.user_id), (pre, Condition::Absent), vec![], reason, also,
                    Some("removing the last org role removes the person from the org, with every project role and team membership there (listed in also_removes, which no decision named)".into()));
            }
            PrincipalDetail::AtlasUser(u) => {
                let adds = self.add_before_removing(p, &c, &current, &u.user_id, None, |t| {
                    calls::org_user_role(true, org, &u.user_id, t)
                });
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
                let also = machine_also(self);
                let (call, note) = if after.is_empty() {
                    (
                        calls::delete_org_api_key(org, &k.id),
                        Some(
                            "no org role would be left: the key is deleted, which also removes it from every project (also_removes)",
                        ),
                    )
                } else {
                    (calls::update_org_api_key(org, &k.id, &after), None)
                };
                let step = (org_target(&k.id), pre, reason, also, note);
                self.machine_org_roles(p, call, after.is_empty(), &removed, &c, step);
            }
            PrincipalDetail::ServiceAccount(s) => {
                let also = machine_also(self);
                let (call, note) = if after.is_empty() {
                    (
                        calls::delete_org_service_account(org, &s.client_id),
                        Some(
                            "REVOKES ITS CREDENTIALS: no org role would be left, so the account is deleted with its secrets (tokens already issued may live up to an hour; unverified)",
                        ),
                    )
                } else {
                    (
                        calls::update_org_service_account(org, &s.client_id, &after),
                        None,
                    )
                };
                let step = (org_target(&s.client_id), pre, reason, also, note);
                self.machine_org_roles(p, call, after.is_empty(), &removed, &c, step);
            }
            _ => {
                for i in c.intents() {
                    self.manual_for(i, "the API has no call for this grant".into());
                }
            }
        }
    }

    /// For each Modify of a user's role at org level (`project` none) or on a project: the
    /// new role added first, unless it is held already, so that the person is never left
    /// without a role. Returns the steps the removals are to wait for.
    fn add_before_removing(
        &mut self,
        p: &Principal,
        c: &Changes<'_, 'a>,
        current: &[String],
        user_id: &str,
        project: Option<&str>,
        add: impl Fn(&str) -> Call,
    ) -> Vec<String> {
        let mut adds = Vec::new();
        for (i, t) in &c.swaps {
            if current.contains(t) {
                continue;
            }
            let mut target = target_of(i.grant, user_id);
            target.role = Some(t.clone());
            let mut reason = i.reason.clone();
            reason.grant_ids = vec![i.grant.id()];
            let note = format!(
                "adds {t} before {} is removed, so the person is never left without a role",
                i.grant.role
            );
            let cond = (held(&i.grant.role, project), held(t, project));
            adds.push(self.push(
                &p.key,
                add(t),
                target,
                cond,
                vec![],
                reason,
                vec![],
                Some(note),
            ));
        }
        adds
    }

    /// A key's or service account's org roles: the whole list rewritten by `call`, or the
    /// credential deleted when `deleted` (no org role would be left). `step` holds the step's
    /// target, precondition, reason, what it also removes and its note.
    fn machine_org_roles(
        &mut self,
        p: &Principal,
        call: Call,
        deleted: bool,
        removed: &[&str],
        c: &Changes<'_, '_>,
        (target, pre, reason, also, note): (
            Target,
            Condition,
            Reason,
            Vec<AlsoRemoves>,
            Option<&str>,
        ),
    ) {
        let effect = if deleted {
            Condition::Absent
        } else {
            self.list_effect(removed, c, None)
        };
        let note = note.map(str::to_string);
        self.push(
            &p.key,
            call,
            target,
            (pre, effect),
            vec![],
            reason,
            also,
            note,
        );
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
    pub(super) fn project_roles(
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
                // The person leaves the project: only if their roles there are still exactly
                // these, so a role given since the snapshot is never taken away unreviewed.
                let pre = exactly(&current, Some(project));
                self.push(&p.key, call, tgt(&u.user_id), (pre, Condition::Absent), vec![], reason, vec![],
                    Some("the last direct role on the project: the person leaves the project (roles through teams or org roles stay)".into()));
            }
            PrincipalDetail::AtlasUser(u) => {
                let adds =
                    self.add_before_removing(p, &c, &current, &u.user_id, Some(project), |t| {
                        calls::group_user_role(true, project, &u.user_id, t)
                    });
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
    pub(super) fn user_team(
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
    pub(super) fn database_user(&mut self, p: &'a Principal, intents: &[&Intent<'a>]) {
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
