//! What each write does to the world, and what it answers.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::super::api_error::ApiError;
use super::super::world::World;
use super::listing::{self, find, load, org_of, store, strings};
use super::{Op, WriteMatch};

type Answer = Result<(StatusCode, Option<Value>), ApiError>;

const ORG_ROLES: &[&str] = &[
    "ORG_OWNER",
    "ORG_GROUP_CREATOR",
    "ORG_BILLING_ADMIN",
    "ORG_BILLING_READ_ONLY",
    "ORG_STREAM_PROCESSING_ADMIN",
    "ORG_READ_ONLY",
    "ORG_MEMBER",
];

/// 404 ORG_NOT_FOUND / GROUP_NOT_FOUND for an org or project the world does not hold.
pub(crate) fn scope(world: &World, m: &WriteMatch) -> Result<(), ApiError> {
    if let Some(org) = m.params.get("orgId")
        && !world.knows_org(org)
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ORG_NOT_FOUND",
            format!("No organization with ID {org} exists."),
        )
        .with_parameters(vec![Value::from(org.as_str())]));
    }
    if let Some(group) = m.params.get("groupId")
        && (!world.knows_group(group) || org_of(world, group).is_none())
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "GROUP_NOT_FOUND",
            format!("No group with ID {group} exists."),
        )
        .with_parameters(vec![Value::from(group.as_str())]));
    }
    Ok(())
}

/// 404 for an object that is not there; `code` `None` answers `"errorCode": null`.
fn gone(code: Option<&'static str>, what: &str, id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        code.unwrap_or(""),
        format!("Could not find the requested {what} {id}."),
    )
    .with_parameters(vec![Value::from(id)])
}

fn bad(code: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, detail)
}

fn conflict(code: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, detail)
}

/// A required string field of the body.
fn field<'b>(body: Option<&'b Value>, name: &str) -> Result<&'b str, ApiError> {
    body.and_then(|b| b.get(name))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            bad(
                "MISSING_ATTRIBUTE",
                format!("The required attribute {name} was not specified."),
            )
            .with_parameters(vec![Value::from(name)])
        })
}

/// A required array-of-strings field of the body.
fn string_list(body: Option<&Value>, name: &str) -> Result<Vec<String>, ApiError> {
    match body.and_then(|b| b.get(name)) {
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
            Ok(strings(Some(&Value::Array(a.clone()))))
        }
        _ => Err(bad(
            "INVALID_ATTRIBUTE",
            format!("Invalid attribute {name} specified: expected a list of strings."),
        )
        .with_parameters(vec![Value::from(name)])),
    }
}

fn org_role(role: &str) -> Result<(), ApiError> {
    if ORG_ROLES.contains(&role) {
        Ok(())
    } else {
        Err(bad(
            "INVALID_ENUM_VALUE",
            format!("An invalid enumeration value {role} was specified."),
        )
        .with_parameters(vec![Value::from(role)]))
    }
}

fn org_roles(user: &Value) -> Vec<String> {
    strings(user.pointer("/roles/orgRoles"))
}

/// Active users of an org holding `ORG_OWNER`.
fn active_owners(users: &[Value]) -> usize {
    users
        .iter()
        .filter(|u| u.get("orgMembershipStatus").and_then(Value::as_str) == Some("ACTIVE"))
        .filter(|u| org_roles(u).iter().any(|r| r == "ORG_OWNER"))
        .count()
}

fn last_owner(user: &str) -> ApiError {
    conflict(
        "CANNOT_REMOVE_LAST_ORG_OWNER",
        format!("User {user} is the organization's last owner; make another user an owner first."),
    )
    .with_parameters(vec![Value::from(user)])
}

fn last_role(user: &str) -> ApiError {
    bad(
        "CANNOT_REMOVE_LAST_ROLE",
        format!("User {user} must keep at least one role; add the new role first."),
    )
    .with_parameters(vec![Value::from(user)])
}

/// Whether the user is an active owner and the only one.
fn is_last_owner(users: &[Value], i: usize) -> bool {
    let user = &users[i];
    user.get("orgMembershipStatus").and_then(Value::as_str) == Some("ACTIVE")
        && org_roles(user).iter().any(|r| r == "ORG_OWNER")
        && active_owners(users) <= 1
}

/// The user's roles in a project (`groupRoleAssignments[groupId].groupRoles`), mutable.
fn assignment<'u>(user: &'u mut Value, group: &str) -> Option<&'u mut Vec<Value>> {
    user.pointer_mut("/roles/groupRoleAssignments")?
        .as_array_mut()?
        .iter_mut()
        .find(|a| a.get("groupId").and_then(Value::as_str) == Some(group))?
        .get_mut("groupRoles")?
        .as_array_mut()
}

/// `GroupUserResponse` of an org user for one project: the user with that project's roles.
pub(crate) fn group_user(user: &Value, group: &str) -> Option<Value> {
    let roles = user
        .pointer("/roles/groupRoleAssignments")?
        .as_array()?
        .iter()
        .find(|a| a.get("groupId").and_then(Value::as_str) == Some(group))?
        .get("groupRoles")?
        .clone();
    let mut out = serde_json::Map::new();
    for key in [
        "id",
        "username",
        "orgMembershipStatus",
        "country",
        "createdAt",
        "firstName",
        "lastName",
        "lastAuth",
        "mobileNumber",
        "invitationCreatedAt",
        "invitationExpiresAt",
        "inviterUsername",
    ] {
        if let Some(v) = user.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    out.insert("roles".into(), roles);
    Some(Value::Object(out))
}

/// A `GroupServiceAccount`: the org account with its roles in the project.
pub(crate) fn group_account(account: &Value, roles: &Value) -> Value {
    let mut out = account.clone();
    if let Some(o) = out.as_object_mut() {
        o.insert("roles".into(), roles.clone());
    }
    out
}

/// Applies one write. The caller holds the world's write lock and has checked the scope.
pub(crate) fn apply(world: &World, m: &WriteMatch, body: Option<&Value>) -> Answer {
    let org = || {
        m.params
            .get("orgId")
            .cloned()
            .or_else(|| org_of(world, m.param("groupId")))
            .unwrap_or_default()
    };
    let group = m.param("groupId");
    match m.route.op {
        Op::RemoveOrgUser
        | Op::AddOrgUserRole
        | Op::RemoveOrgUserRole
        | Op::RemoveGroupUser
        | Op::AddGroupUserRole
        | Op::RemoveGroupUserRole => user_write(world, m, &org(), body),
        Op::RemoveOrgTeamUser => {
            let user_id = field(body, "id")?;
            let team = m.param("teamId");
            let org = org();
            if find(&load(world, &format!("/orgs/{org}/teams")), "id", team).is_none() {
                return Err(gone(None, "team", team));
            }
            let path = format!("/orgs/{org}/users");
            let mut users = load(world, &path);
            let i = find(&users, "id", user_id).ok_or_else(|| gone(None, "user", user_id))?;
            let teams = users[i].get_mut("teamIds").and_then(Value::as_array_mut);
            let Some(teams) = teams.filter(|t| t.iter().any(|x| x.as_str() == Some(team))) else {
                return Err(gone(None, "team member", user_id));
            };
            teams.retain(|x| x.as_str() != Some(team));
            let answer = users[i].clone();
            store(world, &path, users);
            Ok((StatusCode::OK, Some(answer)))
        }
        Op::RemoveGroupTeam | Op::UpdateGroupTeam => {
            let path = format!("/groups/{group}/teams");
            let team = m.param("teamId");
            let mut teams = load(world, &path);
            let i = find(&teams, "teamId", team).ok_or_else(|| gone(None, "team", team))?;
            if m.route.op == Op::RemoveGroupTeam {
                teams.remove(i);
                store(world, &path, teams);
                return Ok((StatusCode::NO_CONTENT, None));
            }
            let names = string_list(body, "roleNames")?;
            if names.is_empty() {
                return Err(bad(
                    "INVALID_ATTRIBUTE",
                    "roleNames must name at least one role.",
                ));
            }
            teams[i]["roleNames"] = json!(names);
            let item = teams[i].clone();
            store(world, &path, teams);
            Ok((
                StatusCode::OK,
                Some(json!({"links": [], "results": [item], "totalCount": 1})),
            ))
        }
        Op::DeleteOrgApiKey
        | Op::RemoveGroupApiKey
        | Op::UpdateOrgApiKey
        | Op::UpdateGroupApiKeyRoles => api_key_write(world, m, &org(), body),
        Op::DeleteOrgServiceAccount
        | Op::DeleteGroupServiceAccount
        | Op::UpdateOrgServiceAccount
        | Op::UpdateGroupServiceAccount
        | Op::DeleteOrgServiceAccountSecret => account_write(world, m, &org(), body),
        Op::DeleteGroupDatabaseUser | Op::UpdateGroupDatabaseUser => {
            let path = format!("/groups/{group}/databaseUsers");
            let (db, name) = (m.param("databaseName"), m.param("username"));
            let mut users = load(world, &path);
            let i = users
                .iter()
                .position(|u| {
                    u.get("databaseName").and_then(Value::as_str) == Some(db)
                        && u.get("username").and_then(Value::as_str) == Some(name)
                })
                .ok_or_else(|| gone(Some("USERNAME_NOT_FOUND"), "database user", name))?;
            if m.route.op == Op::DeleteGroupDatabaseUser {
                users.remove(i);
                store(world, &path, users);
                return Ok((StatusCode::NO_CONTENT, None));
            }
            // Listed fields are replaced, omitted ones kept (notes A6); the password is
            // write-only and the identity fields are the path's.
            if let Some(Value::Object(changes)) = body {
                for (key, value) in changes {
                    if matches!(
                        key.as_str(),
                        "roles" | "scopes" | "description" | "labels" | "deleteAfterDate"
                    ) && let Some(o) = users[i].as_object_mut()
                    {
                        o.insert(key.clone(), value.clone());
                    }
                }
            }
            let item = users[i].clone();
            store(world, &path, users);
            Ok((StatusCode::OK, Some(item)))
        }
        Op::DeleteOrgInvite | Op::DeleteGroupInvite => {
            let path = if m.route.op == Op::DeleteOrgInvite {
                format!("/orgs/{}/invites", org())
            } else {
                format!("/groups/{group}/invites")
            };
            let id = m.param("invitationId");
            let mut invites = load(world, &path);
            let i = find(&invites, "id", id)
                .ok_or_else(|| gone(Some("INVALID_INVITATION_ID"), "invitation", id))?;
            invites.remove(i);
            store(world, &path, invites);
            Ok((StatusCode::NO_CONTENT, None))
        }
    }
}

/// The user writes: remove from org or project, add or remove an org or project role.
fn user_write(world: &World, m: &WriteMatch, org: &str, body: Option<&Value>) -> Answer {
    let path = format!("/orgs/{org}/users");
    let user_id = m.param("userId");
    let group = m.param("groupId");
    let mut users = load(world, &path);
    let i = find(&users, "id", user_id).ok_or_else(|| gone(None, "user", user_id))?;
    let answer = match m.route.op {
        Op::RemoveOrgUser => {
            if is_last_owner(&users, i) {
                return Err(last_owner(user_id));
            }
            users.remove(i);
            store(world, &path, users);
            return Ok((StatusCode::NO_CONTENT, None));
        }
        Op::RemoveGroupUser => {
            let assignments = users[i]
                .pointer_mut("/roles/groupRoleAssignments")
                .and_then(Value::as_array_mut);
            let Some(assignments) = assignments.filter(|a| {
                a.iter()
                    .any(|x| x.get("groupId").and_then(Value::as_str) == Some(group))
            }) else {
                return Err(gone(None, "project user", user_id));
            };
            assignments.retain(|x| x.get("groupId").and_then(Value::as_str) != Some(group));
            store(world, &path, users);
            return Ok((StatusCode::NO_CONTENT, None));
        }
        Op::AddOrgUserRole | Op::RemoveOrgUserRole => {
            let role = field(body, "orgRole")?;
            org_role(role)?;
            let held = org_roles(&users[i]).iter().any(|r| r == role);
            if m.route.op == Op::AddOrgUserRole {
                if held {
                    return Err(conflict(
                        "USER_ALREADY_HAS_ROLE",
                        format!("User {user_id} already holds {role}."),
                    ));
                }
                push_org_role(&mut users[i], role);
            } else {
                if !held {
                    return Err(conflict(
                        "USER_DOES_NOT_HAVE_ROLE",
                        format!("User {user_id} does not hold {role}."),
                    ));
                }
                if role == "ORG_OWNER" && is_last_owner(&users, i) {
                    return Err(last_owner(user_id));
                }
                if org_roles(&users[i]).len() <= 1 {
                    return Err(last_role(user_id));
                }
                if let Some(roles) = users[i]
                    .pointer_mut("/roles/orgRoles")
                    .and_then(Value::as_array_mut)
                {
                    roles.retain(|r| r.as_str() != Some(role));
                }
            }
            users[i].clone()
        }
        _ => {
            let role = field(body, "groupRole")?;
            let adding = m.route.op == Op::AddGroupUserRole;
            let held = assignment(&mut users[i], group)
                .is_some_and(|roles| roles.iter().any(|r| r.as_str() == Some(role)));
            if adding && held {
                return Err(conflict(
                    "USER_ALREADY_HAS_ROLE",
                    format!("User {user_id} already holds {role} in project {group}."),
                ));
            }
            if !adding && !held {
                return Err(conflict(
                    "USER_DOES_NOT_HAVE_ROLE",
                    format!("User {user_id} does not hold {role} in project {group}."),
                ));
            }
            if adding {
                push_group_role(&mut users[i], group, role);
            } else if let Some(roles) = assignment(&mut users[i], group) {
                if roles.len() <= 1 {
                    return Err(last_role(user_id));
                }
                roles.retain(|r| r.as_str() != Some(role));
            }
            group_user(&users[i], group).unwrap_or(Value::Null)
        }
    };
    store(world, &path, users);
    Ok((StatusCode::OK, Some(answer)))
}

fn push_org_role(user: &mut Value, role: &str) {
    if user.pointer("/roles/orgRoles").is_none() {
        user["roles"]["orgRoles"] = json!([]);
    }
    if let Some(roles) = user
        .pointer_mut("/roles/orgRoles")
        .and_then(Value::as_array_mut)
    {
        roles.push(Value::from(role));
    }
}

fn push_group_role(user: &mut Value, group: &str, role: &str) {
    if let Some(roles) = assignment(user, group) {
        roles.push(Value::from(role));
        return;
    }
    if user.pointer("/roles/groupRoleAssignments").is_none() {
        user["roles"]["groupRoleAssignments"] = json!([]);
    }
    if let Some(a) = user
        .pointer_mut("/roles/groupRoleAssignments")
        .and_then(Value::as_array_mut)
    {
        a.push(json!({"groupId": group, "groupRoles": [role]}));
    }
}

/// The API key writes. A key's `roles` are `[{orgId|groupId, roleName}]`.
fn api_key_write(world: &World, m: &WriteMatch, org: &str, body: Option<&Value>) -> Answer {
    let path = format!("/orgs/{org}/apiKeys");
    let id = m.param("apiUserId");
    let group = m.param("groupId");
    let mut keys = load(world, &path);
    let i = find(&keys, "id", id).ok_or_else(|| gone(Some("API_KEY_NOT_FOUND"), "API key", id))?;
    let in_project = |r: &Value| r.get("groupId").and_then(Value::as_str) == Some(group);
    let of_org = |r: &Value| r.get("orgId").is_some();
    match m.route.op {
        Op::DeleteOrgApiKey => {
            keys.remove(i);
            store(world, &path, keys);
            return Ok((StatusCode::NO_CONTENT, None));
        }
        Op::RemoveGroupApiKey => {
            let roles = keys[i].get_mut("roles").and_then(Value::as_array_mut);
            let Some(roles) = roles.filter(|r| r.iter().any(in_project)) else {
                return Err(gone(
                    Some("API_KEY_NOT_FOUND"),
                    "API key in this project",
                    id,
                ));
            };
            roles.retain(|r| !in_project(r));
            store(world, &path, keys);
            return Ok((StatusCode::NO_CONTENT, None));
        }
        Op::UpdateOrgApiKey => {
            let desc = body.and_then(|b| b.get("desc")).and_then(Value::as_str);
            let roles = body.and_then(|b| b.get("roles"));
            if desc.is_none() && roles.is_none() {
                return Err(bad("INVALID_ATTRIBUTE", "Send desc, roles or both."));
            }
            if let Some(desc) = desc {
                keys[i]["desc"] = Value::from(desc);
            }
            if roles.is_some() {
                let roles = string_list(body, "roles")?;
                for role in &roles {
                    org_role(role)?;
                }
                replace_roles(
                    &mut keys[i],
                    |r| !of_org(r),
                    roles.iter().map(|r| json!({"orgId": org, "roleName": r})),
                );
            }
        }
        _ => {
            let roles = string_list(body, "roles")?;
            replace_roles(
                &mut keys[i],
                |r| !in_project(r),
                roles
                    .iter()
                    .map(|r| json!({"groupId": group, "roleName": r})),
            );
        }
    }
    let item = keys[i].clone();
    store(world, &path, keys);
    Ok((StatusCode::OK, Some(item)))
}

/// Keeps the roles `keep` accepts and appends `new`.
fn replace_roles(key: &mut Value, keep: impl Fn(&Value) -> bool, new: impl Iterator<Item = Value>) {
    let mut roles: Vec<Value> = key
        .get("roles")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter(|r| keep(r)).cloned().collect())
        .unwrap_or_default();
    roles.extend(new);
    key["roles"] = Value::Array(roles);
}

/// The service-account writes. Project roles live in `/orgs/{orgId}/serviceAccounts/{clientId}/groups`.
fn account_write(world: &World, m: &WriteMatch, org: &str, body: Option<&Value>) -> Answer {
    let path = format!("/orgs/{org}/serviceAccounts");
    let id = m.param("clientId");
    let group = m.param("groupId");
    let mut accounts = load(world, &path);
    let i = find(&accounts, "clientId", id).ok_or_else(|| gone(None, "service account", id))?;
    let groups_path = format!("{path}/{id}/groups");
    match m.route.op {
        Op::DeleteOrgServiceAccount => {
            accounts.remove(i);
            store(world, &path, accounts);
            Ok((StatusCode::NO_CONTENT, None))
        }
        Op::DeleteOrgServiceAccountSecret => {
            let secret = m.param("secretId");
            let secrets = accounts[i].get_mut("secrets").and_then(Value::as_array_mut);
            let Some(secrets) = secrets.filter(|s| find(s, "id", secret).is_some()) else {
                return Err(gone(None, "service account secret", secret));
            };
            secrets.retain(|s| s.get("id").and_then(Value::as_str) != Some(secret));
            store(world, &path, accounts);
            Ok((StatusCode::NO_CONTENT, None))
        }
        Op::UpdateOrgServiceAccount => {
            for key in ["name", "description"] {
                if let Some(v) = body.and_then(|b| b.get(key)) {
                    accounts[i][key] = v.clone();
                }
            }
            if body.and_then(|b| b.get("roles")).is_some() {
                let roles = string_list(body, "roles")?;
                for role in &roles {
                    org_role(role)?;
                }
                accounts[i]["roles"] = json!(roles);
            }
            let item = listing::get_clean(accounts[i].clone());
            store(world, &path, accounts);
            Ok((StatusCode::OK, Some(item)))
        }
        _ => {
            let mut groups = load(world, &groups_path);
            let g = find(&groups, "groupId", group)
                .ok_or_else(|| gone(None, "service account in this project", id))?;
            if m.route.op == Op::DeleteGroupServiceAccount {
                groups.remove(g);
                store(world, &groups_path, groups);
                return Ok((StatusCode::NO_CONTENT, None));
            }
            groups[g]["roles"] = json!(string_list(body, "roles")?);
            let answer = group_account(
                &listing::get_clean(accounts[i].clone()),
                &groups[g]["roles"],
            );
            store(world, &groups_path, groups);
            Ok((StatusCode::OK, Some(answer)))
        }
    }
}
