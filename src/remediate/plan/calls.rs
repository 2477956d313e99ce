//! The Atlas calls a step can make and the GETs that check them: methods, paths (each segment
//! percent-encoded on its own, notes A0), media-type versions per operation (notes Part C)
//! and bodies, as WRITE-AND-FEDERATION-NOTES.md Part A gives them.

use serde_json::{Value, json};

use super::types::{Action, Check, Request};

/// User and team-member writes and reads.
pub const V_USERS: &str = "2025-02-19";
/// Service accounts.
pub const V_SERVICE_ACCOUNTS: &str = "2024-08-05";
/// Everything else: keys, teams on projects, database users, invitations.
pub const V_DEFAULT: &str = "2023-01-01";

/// Percent-encodes one path segment the way Go's `url.PathEscape` does (the Atlas SDK's
/// choice): unreserved characters and `@ = : $ & + ! ' ( ) *` stay, everything else (`/`, `,`,
/// `;`, `?`, space, non-ASCII) becomes `%XX`.
pub fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'@'
                    | b'='
                    | b':'
                    | b'$'
                    | b'&'
                    | b'+'
                    | b'!'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `/a/b/c` from segments, each encoded.
fn path(parts: &[&str]) -> String {
    parts.iter().map(|p| format!("/{}", segment(p))).collect()
}

/// A call: what it does, the request and its check.
#[derive(Debug, Clone)]
pub struct Call {
    /// What it does.
    pub action: Action,
    /// The request.
    pub request: Request,
    /// The GET that reads the target.
    pub check: Check,
}

fn call(
    action: Action,
    method: &str,
    path: String,
    version: &str,
    body: Option<Value>,
    check: Check,
) -> Call {
    Call {
        action,
        request: Request {
            method: method.into(),
            path,
            version: version.into(),
            body,
        },
        check,
    }
}

fn check(path: String, version: &str) -> Check {
    Check {
        path,
        version: version.into(),
    }
}

/// `getOrgUser`.
pub fn org_user(org: &str, user: &str) -> Check {
    check(path(&["orgs", org, "users", user]), V_USERS)
}

/// `getGroupUser`.
pub fn group_user(project: &str, user: &str) -> Check {
    check(path(&["groups", project, "users", user]), V_USERS)
}

/// `getOrgApiKey`.
pub fn org_api_key(org: &str, key_id: &str) -> Check {
    check(path(&["orgs", org, "apiKeys", key_id]), V_DEFAULT)
}

/// `getOrgServiceAccount`.
pub fn org_service_account(org: &str, client_id: &str) -> Check {
    check(
        path(&["orgs", org, "serviceAccounts", client_id]),
        V_SERVICE_ACCOUNTS,
    )
}

/// `getGroupServiceAccount`.
pub fn group_service_account(project: &str, client_id: &str) -> Check {
    check(
        path(&["groups", project, "serviceAccounts", client_id]),
        V_SERVICE_ACCOUNTS,
    )
}

/// `getGroupTeam`.
pub fn group_team(project: &str, team_id: &str) -> Check {
    check(path(&["groups", project, "teams", team_id]), V_DEFAULT)
}

/// `getGroupDatabaseUser`.
pub fn database_user(project: &str, database: &str, username: &str) -> Check {
    check(
        path(&["groups", project, "databaseUsers", database, username]),
        V_DEFAULT,
    )
}

/// `removeOrgUser`: works on active and pending users (2025-02-19).
pub fn remove_org_user(org: &str, user: &str) -> Call {
    let p = path(&["orgs", org, "users", user]);
    call(
        Action::RemoveOrgUser,
        "DELETE",
        p,
        V_USERS,
        None,
        org_user(org, user),
    )
}

/// `removeGroupUser`.
pub fn remove_group_user(project: &str, user: &str) -> Call {
    let p = path(&["groups", project, "users", user]);
    let c = group_user(project, user);
    call(Action::RemoveGroupUser, "DELETE", p, V_USERS, None, c)
}

/// `addOrgUserRole` / `removeOrgUserRole`: the narrow, atomic org-role calls.
pub fn org_user_role(add: bool, org: &str, user: &str, role: &str) -> Call {
    let (action, verb) = if add {
        (Action::AddOrgUserRole, "addRole")
    } else {
        (Action::RemoveOrgUserRole, "removeRole")
    };
    let p = format!("{}:{verb}", path(&["orgs", org, "users", user]));
    let body = json!({ "orgRole": role });
    call(action, "POST", p, V_USERS, Some(body), org_user(org, user))
}

/// `addGroupUserRole` / `removeGroupUserRole`.
pub fn group_user_role(add: bool, project: &str, user: &str, role: &str) -> Call {
    let (action, verb) = if add {
        (Action::AddGroupUserRole, "addRole")
    } else {
        (Action::RemoveGroupUserRole, "removeRole")
    };
    let p = format!("{}:{verb}", path(&["groups", project, "users", user]));
    let body = json!({ "groupRole": role });
    call(
        action,
        "POST",
        p,
        V_USERS,
        Some(body),
        group_user(project, user),
    )
}

/// `removeOrgTeamUser`: the member leaves the team; checked on the org user's `teamIds`.
pub fn remove_org_team_user(org: &str, team_id: &str, user: &str) -> Call {
    let p = format!("{}:removeUser", path(&["orgs", org, "teams", team_id]));
    let body = json!({ "id": user });
    let c = org_user(org, user);
    call(Action::RemoveOrgTeamUser, "POST", p, V_USERS, Some(body), c)
}

/// `removeGroupTeam`.
pub fn remove_group_team(project: &str, team_id: &str) -> Call {
    let p = path(&["groups", project, "teams", team_id]);
    let c = group_team(project, team_id);
    call(Action::RemoveGroupTeam, "DELETE", p, V_DEFAULT, None, c)
}

/// `updateGroupTeam`: `roleNames` replaces the team's roles on the project; the spec wants
/// `teamId` in the body too.
pub fn update_group_team(project: &str, team_id: &str, roles: &[String]) -> Call {
    let p = path(&["groups", project, "teams", team_id]);
    let body = json!({ "teamId": team_id, "roleNames": roles });
    let c = group_team(project, team_id);
    call(
        Action::UpdateGroupTeam,
        "PATCH",
        p,
        V_DEFAULT,
        Some(body),
        c,
    )
}

/// `deleteOrgApiKey`: also removes the key from every project.
pub fn delete_org_api_key(org: &str, key_id: &str) -> Call {
    let p = path(&["orgs", org, "apiKeys", key_id]);
    let c = org_api_key(org, key_id);
    call(Action::DeleteOrgApiKey, "DELETE", p, V_DEFAULT, None, c)
}

/// `removeGroupApiKey`.
pub fn remove_group_api_key(org: &str, project: &str, key_id: &str) -> Call {
    let p = path(&["groups", project, "apiKeys", key_id]);
    let c = org_api_key(org, key_id);
    call(Action::RemoveGroupApiKey, "DELETE", p, V_DEFAULT, None, c)
}

/// `updateOrgApiKey` with the whole list of org roles (never empty).
pub fn update_org_api_key(org: &str, key_id: &str, roles: &[String]) -> Call {
    let p = path(&["orgs", org, "apiKeys", key_id]);
    let c = org_api_key(org, key_id);
    let body = json!({ "roles": roles });
    call(
        Action::UpdateOrgApiKey,
        "PATCH",
        p,
        V_DEFAULT,
        Some(body),
        c,
    )
}

/// `updateGroupApiKeyRoles` with the whole list of the key's roles on the project.
pub fn update_group_api_key(org: &str, project: &str, key_id: &str, roles: &[String]) -> Call {
    let p = path(&["groups", project, "apiKeys", key_id]);
    let c = org_api_key(org, key_id);
    let body = json!({ "roles": roles });
    call(
        Action::UpdateGroupApiKeyRoles,
        "PATCH",
        p,
        V_DEFAULT,
        Some(body),
        c,
    )
}

/// `deleteOrgServiceAccount`: the account and its secrets go; this is what revokes it.
pub fn delete_org_service_account(org: &str, client_id: &str) -> Call {
    let p = path(&["orgs", org, "serviceAccounts", client_id]);
    let c = org_service_account(org, client_id);
    let v = V_SERVICE_ACCOUNTS;
    call(Action::DeleteOrgServiceAccount, "DELETE", p, v, None, c)
}

/// `deleteGroupServiceAccount`: leaves its credentials valid (notes A5).
pub fn delete_group_service_account(project: &str, client_id: &str) -> Call {
    let p = path(&["groups", project, "serviceAccounts", client_id]);
    let c = group_service_account(project, client_id);
    let v = V_SERVICE_ACCOUNTS;
    call(Action::DeleteGroupServiceAccount, "DELETE", p, v, None, c)
}

/// `updateOrgServiceAccount` with the whole list of org roles (never empty).
pub fn update_org_service_account(org: &str, client_id: &str, roles: &[String]) -> Call {
    let p = path(&["orgs", org, "serviceAccounts", client_id]);
    let c = org_service_account(org, client_id);
    let body = Some(json!({ "roles": roles }));
    let v = V_SERVICE_ACCOUNTS;
    call(Action::UpdateOrgServiceAccount, "PATCH", p, v, body, c)
}

/// `updateGroupServiceAccount` with the whole list of its roles on the project.
pub fn update_group_service_account(project: &str, client_id: &str, roles: &[String]) -> Call {
    let p = path(&["groups", project, "serviceAccounts", client_id]);
    let c = group_service_account(project, client_id);
    let body = Some(json!({ "roles": roles }));
    let v = V_SERVICE_ACCOUNTS;
    call(Action::UpdateGroupServiceAccount, "PATCH", p, v, body, c)
}

/// `deleteGroupDatabaseUser`.
pub fn delete_database_user(project: &str, database: &str, username: &str) -> Call {
    let p = path(&["groups", project, "databaseUsers", database, username]);
    let c = database_user(project, database, username);
    call(
        Action::DeleteGroupDatabaseUser,
        "DELETE",
        p,
        V_DEFAULT,
        None,
        c,
    )
}

/// `updateGroupDatabaseUser` with the whole role list. `scopes` is never sent: omitted, it is
/// kept (verified), while `scopes: []` would mean every cluster.
pub fn update_database_user(
    project: &str,
    database: &str,
    username: &str,
    roles: &[super::condition::DbRole],
) -> Call {
    let p = path(&["groups", project, "databaseUsers", database, username]);
    let c = database_user(project, database, username);
    let roles: Vec<Value> = roles
        .iter()
        .map(|r| {
            let mut v = json!({ "roleName": r.role, "databaseName": r.database });
            if let (Some(c), Some(obj)) = (&r.collection, v.as_object_mut()) {
                obj.insert("collectionName".into(), json!(c));
            }
            v
        })
        .collect();
    let body = json!({
        "databaseName": database, "groupId": project, "username": username, "roles": roles
    });
    let a = Action::UpdateGroupDatabaseUser;
    call(a, "PATCH", p, V_DEFAULT, Some(body), c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_one_by_one() {
        assert_eq!(segment("10.0.0.0/8"), "10.0.0.0%2F8");
        assert_eq!(segment("CN=app,OU=x"), "CN=app%2COU=x");
        assert_eq!(segment("dana@example.com"), "dana@example.com");
        assert_eq!(segment("a b?"), "a%20b%3F");
        let c = delete_database_user("p1", "$external", "arn:aws:iam::1:role/x");
        assert_eq!(
            c.request.path,
            "/groups/p1/databaseUsers/$external/arn:aws:iam::1:role%2Fx"
        );
        assert_eq!(c.check.path, c.request.path);
    }

    #[test]
    fn narrow_role_calls_carry_their_body_and_version() {
        let c = group_user_role(false, "p1", "u1", "GROUP_OWNER");
        assert_eq!(c.request.method, "POST");
        assert_eq!(c.request.path, "/groups/p1/users/u1:removeRole");
        assert_eq!(c.request.version, "2025-02-19");
        assert_eq!(c.request.body, Some(json!({"groupRole": "GROUP_OWNER"})));
        assert_eq!(c.check.path, "/groups/p1/users/u1");
        let c = org_user_role(true, "o1", "u1", "ORG_READ_ONLY");
        assert_eq!(c.request.path, "/orgs/o1/users/u1:addRole");
        assert_eq!(c.request.body, Some(json!({"orgRole": "ORG_READ_ONLY"})));
        let sa = delete_group_service_account("p1", "mdb_sa_id_1");
        assert_eq!(sa.request.version, "2024-08-05");
    }

    #[test]
    fn database_user_updates_never_send_scopes() {
        let roles = vec![super::super::condition::DbRole {
            role: "read".into(),
            database: "sales".into(),
            collection: None,
        }];
        let c = update_database_user("p1", "admin", "app", &roles);
        let body = c.request.body.unwrap();
        assert!(body.get("scopes").is_none(), "{body}");
        assert_eq!(body["roles"][0]["roleName"], "read");
        assert!(body["roles"][0].get("collectionName").is_none());
    }
}
