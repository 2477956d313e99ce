//! Database user rules: built-in admin roles, users that write on every cluster, custom roles
//! with destructive actions on wildcard resources, and passwords in production. Users named
//! after people who left, and users that never authenticate, are judged in the siblings
//! `database_user_activity.rs` and `database_user_inactive.rs`, certificates in
//! `database_user_cert.rs`. Every finding is about one database user, scoped to its
//! project.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::context::{Context, Draft, Out};
use super::finding::{Fact, FindingScope, Recommendation, Severity, Subject};
use super::roles;
use crate::model::{
    AuthMethod, CoverageGap, CustomRole, DatabaseRole, DatabaseUser, PrincipalDetail,
    PrincipalKind, RoleAction, RoleResource,
};

#[path = "database_user_activity.rs"]
mod activity;
#[path = "database_user_cert.rs"]
mod cert;
#[path = "database_user_inactive.rs"]
mod inactivity;

pub(super) use activity::orphaned;
pub use activity::person_names;
pub(super) use cert::{cert_expiring, cert_long_lived};
pub(super) use inactivity::inactive;

/// A database user with what the rules need about it.
struct DbUser<'a> {
    key: &'a str,
    subject: Subject,
    user: &'a DatabaseUser,
    project_id: &'a str,
    org_id: &'a str,
}

impl DbUser<'_> {
    fn scope(&self) -> FindingScope {
        FindingScope::project(self.org_id, self.project_id)
    }

    fn name(&self) -> &str {
        &self.user.username
    }
}

/// The finding scope of a project: its org from the snapshot (empty when the project itself is
/// unknown).
fn project_scope(ctx: &Context<'_>, project_id: &str) -> FindingScope {
    let org = ctx.project(project_id).map_or("", |p| p.org_id.as_str());
    FindingScope::project(org, project_id)
}

/// Coverage gaps of `endpoint` on `project:<id>` scopes, by project id.
fn project_gaps<'a>(ctx: &Context<'a>, endpoint: &str) -> BTreeMap<&'a str, &'a CoverageGap> {
    let mut gaps = BTreeMap::new();
    for gap in ctx
        .snapshot
        .coverage
        .iter()
        .filter(|g| g.endpoint == endpoint)
    {
        if let Some(p) = gap.scope.strip_prefix("project:")
            && !p.contains('/')
        {
            gaps.entry(p).or_insert(gap);
        }
    }
    gaps
}

/// Every database user, except in projects whose database-user listing failed: those are
/// reported once as not evaluated.
fn db_users<'a>(ctx: &Context<'a>, out: &mut Out<'_, '_>) -> Vec<DbUser<'a>> {
    let blocked = project_gaps(ctx, "listGroupDatabaseUsers");
    for (project, gap) in &blocked {
        out.gap(project_scope(ctx, project), None, gap);
    }
    ctx.principals(PrincipalKind::DatabaseUser)
        .filter_map(|p| {
            let PrincipalDetail::DatabaseUser(user) = &p.detail else {
                return None;
            };
            let project_id = p.project_id.as_deref()?;
            let org_id = p
                .org_ids
                .first()
                .map(String::as_str)
                .or_else(|| ctx.project(project_id).map(|pr| pr.org_id.as_str()))
                .unwrap_or("");
            Some(DbUser {
                key: &p.key,
                subject: Subject::from(p),
                user,
                project_id,
                org_id,
            })
        })
        .filter(|u| !blocked.contains_key(u.project_id))
        .collect()
}

/// `role@db` or `role@db.collection`.
fn role_label(r: &DatabaseRole) -> String {
    match &r.collection {
        Some(c) if !c.is_empty() => format!("{}@{}.{c}", r.role, r.database),
        _ => format!("{}@{}", r.role, r.database),
    }
}

/// The custom database roles of every project, by (project, name).
struct CustomRoles<'a> {
    by_name: BTreeMap<(&'a str, &'a str), &'a CustomRole>,
}

/// What a granted custom role amounts to, its inherited roles followed.
#[derive(Default)]
struct Resolved<'a> {
    /// Each action, with the chain of roles from the granted one to the one that defines it.
    actions: Vec<(String, &'a RoleAction)>,
    /// Built-in roles reached through inheritance, with their chain.
    built_ins: Vec<(String, &'a str)>,
    /// Inherited roles that are neither built-in nor custom, with the chain that names them.
    unknown: Vec<(String, &'a str)>,
}

impl<'a> CustomRoles<'a> {
    fn new(ctx: &Context<'a>) -> Self {
        CustomRoles {
            by_name: ctx
                .snapshot
                .custom_roles
                .iter()
                .map(|r| ((r.project_id.as_str(), r.name.as_str()), r))
                .collect(),
        }
    }

    fn get(&self, project: &str, name: &str) -> Option<&'a CustomRole> {
        self.by_name.get(&(project, name)).copied()
    }

    /// Follows a custom role's inherited roles transitively. Each role is visited once, so
    /// cycles and diamonds end.
    fn resolve(&self, project: &str, name: &'a str) -> Resolved<'a> {
        let mut out = Resolved::default();
        let mut seen = BTreeSet::new();
        let mut chain = Vec::new();
        self.walk(project, name, &mut chain, &mut seen, &mut out);
        out
    }

    fn walk(
        &self,
        project: &str,
        name: &'a str,
        chain: &mut Vec<&'a str>,
        seen: &mut BTreeSet<&'a str>,
        out: &mut Resolved<'a>,
    ) {
        let Some(role) = self.get(project, name) else {
            return;
        };
        if !seen.insert(name) {
            return;
        }
        chain.push(name);
        let path = chain.join(" > ");
        out.actions
            .extend(role.actions.iter().map(|a| (path.clone(), a)));
        for inherited in &role.inherited_roles {
            let r = inherited.role.as_str();
            if self.get(project, r).is_some() {
                self.walk(project, r, chain, seen, out);
            } else if roles::is_built_in_database_role(r) {
                out.built_ins
                    .push((format!("{path} > {r}@{}", inherited.db), r));
            } else {
                out.unknown.push((path.clone(), r));
            }
        }
        chain.pop();
    }
}

/// Says that a role of the user could not be classified, and why.
fn report_unknown_role(
    out: &mut Out<'_, '_>,
    u: &DbUser<'_>,
    role: &str,
    custom_gap: Option<&CoverageGap>,
    judged: &str,
) {
    let reason = match custom_gap {
        Some(gap) => format!(
            "database role {role} is not a built-in role and the project's custom roles could not be read ({}: {}); whether it {judged} was not judged",
            gap.endpoint, gap.reason
        ),
        None => format!(
            "database role {role} is neither a built-in role nor a custom role of the project; whether it {judged} was not judged"
        ),
    };
    out.not_evaluated(u.scope(), Some(u.key), reason);
}

/// DBUSER_ADMIN_ROLE: built-in roles the policy rates high or medium. Custom roles are left to
/// DBUSER_DANGEROUS_CUSTOM_ROLE.
pub(super) fn admin_role(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let customs = CustomRoles::new(ctx);
    let custom_gaps = project_gaps(ctx, "listGroupCustomDbRoleRoles");
    let high = &ctx.policy.roles.database_admin_roles_high;
    let medium = &ctx.policy.roles.database_admin_roles_medium;
    for u in db_users(ctx, out) {
        let mut rated: Vec<(Severity, &DatabaseRole)> = Vec::new();
        for r in &u.user.roles {
            if customs.get(u.project_id, &r.role).is_some() {
                continue;
            }
            if high.contains(&r.role) {
                rated.push((Severity::High, r));
            } else if medium.contains(&r.role) {
                rated.push((Severity::Medium, r));
            } else if !roles::is_built_in_database_role(&r.role) {
                let gap = custom_gaps.get(u.project_id).copied();
                report_unknown_role(out, &u, &r.role, gap, "is an admin role");
            }
        }
        rated.sort();
        let Some(&(severity, worst)) = rated.first() else {
            continue;
        };
        let project = ctx.project_name(u.project_id);
        let labels: Vec<String> = rated.iter().map(|(_, r)| role_label(r)).collect();
        let rated_words: Vec<String> = rated
            .iter()
            .map(|(s, r)| format!("{} ({s})", role_label(r)))
            .collect();
        let mut swaps: Vec<String> = Vec::new();
        for (_, r) in &rated {
            let swap = format!("{} with {}", r.role, roles::lesser_database_role(&r.role));
            if !swaps.contains(&swap) {
                swaps.push(swap);
            }
        }
        let mut facts: Vec<Fact> = rated
            .iter()
            .map(|(s, r)| {
                Fact::new(
                    "role",
                    json!({
                        "roleName": r.role,
                        "databaseName": r.database,
                        "collectionName": r.collection,
                        "rated": s.as_str(),
                    }),
                )
            })
            .collect();
        facts.push(Fact::new("scopes", &u.user.scopes));
        out.flag(Draft::new(
            u.subject.clone(),
            u.scope(),
            format!(
                "Database user {} in {project} holds {}",
                u.name(),
                labels.join(", ")
            ),
            format!(
                "Holds {}; any-database and admin roles reach every database of every cluster it can log in to.",
                rated_words.join(", ")
            ),
            facts,
            Recommendation::modify(
                roles::lesser_database_role(&worst.role),
                format!("For {}, replace {}.", u.name(), swaps.join("; ")),
            ),
        ).with_severity(severity));
    }
}

/// Reports each project whose custom roles could not be read, once; their users are skipped by
/// the rules that need custom roles.
fn report_custom_role_gaps<'a>(
    ctx: &Context<'a>,
    out: &mut Out<'_, '_>,
) -> BTreeMap<&'a str, &'a CoverageGap> {
    let gaps = project_gaps(ctx, "listGroupCustomDbRoleRoles");
    let user_blocked = project_gaps(ctx, "listGroupDatabaseUsers");
    for (project, gap) in &gaps {
        if !user_blocked.contains_key(project) {
            out.gap(project_scope(ctx, project), None, gap);
        }
    }
    gaps
}

/// DBUSER_UNSCOPED: no `scopes` (every cluster of the project) and a write or admin role,
/// built-in or custom (its actions, inherited ones included).
pub(super) fn unscoped(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let customs = CustomRoles::new(ctx);
    let users = db_users(ctx, out);
    let custom_gaps = report_custom_role_gaps(ctx, out);
    for u in users.iter().filter(|u| u.user.scopes.is_empty()) {
        let mut writes: Vec<Fact> = Vec::new();
        let mut unknown: Vec<&str> = Vec::new();
        for r in &u.user.roles {
            if roles::is_built_in_database_role(&r.role) {
                if roles::WRITE_OR_ADMIN_DATABASE_ROLES.contains(&r.role.as_str()) {
                    writes.push(Fact::new(
                        "role",
                        json!({ "roleName": r.role, "databaseName": r.database }),
                    ));
                }
            } else if customs.get(u.project_id, &r.role).is_some() {
                let resolved = customs.resolve(u.project_id, &r.role);
                let actions: BTreeSet<&str> = resolved
                    .actions
                    .iter()
                    .map(|(_, a)| a.action.as_str())
                    .filter(|a| roles::WRITE_ACTIONS.contains(a))
                    .collect();
                let inherited: BTreeSet<&str> = resolved
                    .built_ins
                    .iter()
                    .filter(|(_, b)| roles::WRITE_OR_ADMIN_DATABASE_ROLES.contains(b))
                    .map(|(path, _)| path.as_str())
                    .collect();
                if !actions.is_empty() || !inherited.is_empty() {
                    writes.push(Fact::new(
                        "role",
                        json!({
                            "roleName": r.role,
                            "databaseName": r.database,
                            "custom": true,
                            "write_actions": actions,
                            "inherited_write_roles": inherited,
                        }),
                    ));
                }
                unknown.extend(resolved.unknown.iter().map(|(_, n)| *n));
            } else if !custom_gaps.contains_key(u.project_id) {
                unknown.push(&r.role);
            }
        }
        if writes.is_empty() {
            // Only an unknown role could make this user a writer: report it, do not pass it.
            for role in unknown {
                report_unknown_role(out, u, role, None, "writes");
            }
            continue;
        }
        let project = ctx.project(u.project_id);
        let project_name = ctx.project_name(u.project_id);
        let clusters: Option<Vec<&str>> = project
            .and_then(|p| p.clusters.as_ref())
            .map(|cs| cs.iter().map(|c| c.name.as_str()).collect());
        let reach = match &clusters {
            Some(cs) if !cs.is_empty() => format!(" ({})", cs.join(", ")),
            _ => String::new(),
        };
        let role_names: Vec<String> = writes
            .iter()
            .filter_map(|f| f.value["roleName"].as_str().map(str::to_string))
            .collect();
        let mut facts = vec![Fact::new("scopes", &u.user.scopes)];
        facts.extend(writes);
        if let Some(cs) = &clusters {
            facts.push(Fact::new("project_clusters", cs));
        }
        let text = match &clusters {
            Some(cs) if !cs.is_empty() => format!(
                "Set scopes on {} to the clusters it uses (project {project_name} has {}).",
                u.name(),
                cs.join(", ")
            ),
            _ => format!("Set scopes on {} to the clusters it uses.", u.name()),
        };
        out.flag(Draft::new(
            u.subject.clone(),
            u.scope(),
            format!(
                "Database user {} in {project_name} can write on every cluster (no scopes)",
                u.name()
            ),
            format!(
                "Has no scopes, so it reaches every cluster of {project_name}{reach}, now and later, and holds {}.",
                role_names.join(", ")
            ),
            facts,
            Recommendation::modify("scopes: the clusters it uses", text),
        ));
    }
}

/// Where a wildcard resource applies, in words; `None` for a named database or collection.
fn wildcard(r: &RoleResource) -> Option<&'static str> {
    if r.cluster {
        Some("the cluster")
    } else if r.db.is_empty() {
        Some("every database")
    } else {
        None
    }
}

/// DBUSER_DANGEROUS_CUSTOM_ROLE: a custom role (directly or inherited) grants a
/// `dangerous_actions` action on a wildcard resource (cluster-wide, or any database).
pub(super) fn dangerous_custom_role(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let customs = CustomRoles::new(ctx);
    let dangerous = &ctx.policy.roles.dangerous_actions;
    let users = db_users(ctx, out);
    let custom_gaps = report_custom_role_gaps(ctx, out);
    for u in users
        .iter()
        .filter(|u| !custom_gaps.contains_key(u.project_id))
    {
        let mut facts: Vec<Fact> = Vec::new();
        let mut granted: Vec<String> = Vec::new();
        let mut hits: Vec<String> = Vec::new();
        let mut actions: Vec<&str> = Vec::new();
        for r in &u.user.roles {
            if roles::is_built_in_database_role(&r.role) {
                continue;
            }
            if customs.get(u.project_id, &r.role).is_none() {
                report_unknown_role(out, u, &r.role, None, "grants dangerous actions");
                continue;
            }
            let resolved = customs.resolve(u.project_id, &r.role);
            for (_, name) in &resolved.unknown {
                report_unknown_role(out, u, name, None, "grants dangerous actions");
            }
            let before = facts.len();
            for (path, a) in &resolved.actions {
                if !dangerous.contains(&a.action) {
                    continue;
                }
                for res in &a.resources {
                    let Some(place) = wildcard(res) else { continue };
                    facts.push(Fact::new(
                        "action",
                        json!({
                            "roleName": r.role,
                            "action": a.action,
                            "resource": { "cluster": res.cluster, "db": res.db, "collection": res.collection },
                            "inheritance": path,
                        }),
                    ));
                    hits.push(format!("{} on {place}", a.action));
                    if !actions.contains(&a.action.as_str()) {
                        actions.push(&a.action);
                    }
                }
            }
            if facts.len() > before && !granted.contains(&r.role) {
                granted.push(r.role.clone());
            }
        }
        if facts.is_empty() {
            continue;
        }
        let project = ctx.project_name(u.project_id);
        let role_list = granted.join(", ");
        let action_list = actions.join(", ");
        out.flag(Draft::new(
            u.subject.clone(),
            u.scope(),
            format!(
                "Database user {} in {project} holds custom role {role_list} with destructive actions on wildcard resources",
                u.name()
            ),
            format!("Custom role {role_list} grants {}.", hits.join(", ")),
            facts,
            Recommendation::modify(
                format!("{role_list} limited to named databases and collections, without {action_list}"),
                format!(
                    "Narrow custom role {role_list} to the named databases and collections {} needs and drop {action_list}; give one-off operations a temporary user instead.",
                    u.name()
                ),
            ),
        ));
    }
}

/// DBUSER_PASSWORD_AUTH_PROD: a SCRAM password user in a project the policy's production tags
/// mark as production.
pub(super) fn password_auth_prod(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    for u in db_users(ctx, out) {
        if u.user.auth_method != AuthMethod::Password {
            continue;
        }
        let Some(project) = ctx.project(u.project_id) else {
            out.not_evaluated(
                u.scope(),
                Some(u.key),
                "the user's project is not in the snapshot, so its tags are unknown",
            );
            continue;
        };
        // The project's own tag that the policy counts as production, for the evidence.
        let Some(tag) = project.tags.iter().find(|(k, v)| {
            ctx.policy
                .is_production(&BTreeMap::from([((*k).clone(), (*v).clone())]))
        }) else {
            continue;
        };
        let tag = format!("{}={}", tag.0, tag.1);
        out.flag(Draft::new(
            u.subject.clone(),
            u.scope(),
            format!(
                "Database user {} in production project {} authenticates with a password",
                u.name(),
                project.name
            ),
            format!(
                "Uses SCRAM password authentication in {}, which is tagged {tag}.",
                project.name
            ),
            vec![
                Fact::new("auth_method", AuthMethod::Password.as_str()),
                Fact::new("databaseName", &u.user.database_name),
                Fact::new("tag", tag),
            ],
            Recommendation::modify(
                "X.509, AWS IAM or OIDC authentication",
                format!(
                    "Move the application behind {} to X.509, AWS IAM or OIDC authentication and delete the password user.",
                    u.name()
                ),
            ),
        ));
    }
}

#[cfg(test)]
#[path = "database_user_tests.rs"]
mod tests;
