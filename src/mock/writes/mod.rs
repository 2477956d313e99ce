//! The simulated Atlas takes writes: the remediation calls of `WRITE-AND-FEDERATION-NOTES.md`
//! Part A on their real paths and versions, each changing the world so later reads (the
//! listings and the check GETs) show it, answered as Atlas answers (`X-Java-Method`,
//! `Deprecation`/`Sunset` on deprecated endpoints, 404 for what is gone, 403 for a caller
//! without the role). Writes are applied one at a time per world.
//!
//! The route table is written here apart from the client's catalogue in `atlas`, as the read
//! routes are: a client sending the wrong method, path or version finds out here.
//!
//! Where Atlas's behaviour is not recorded, the choices are the mock's, listed in
//! `fixtures/README.md` ("Writes"): removing or demoting an org's last active `ORG_OWNER` is
//! 409 `CANNOT_REMOVE_LAST_ORG_OWNER`; removing a user's last org role, or last role in a
//! project, is 400 `CANNOT_REMOVE_LAST_ROLE`; adding a role already held or removing one not
//! held is 409; a 404 carries the error code the notes report for that object
//! (`API_KEY_NOT_FOUND`, `USERNAME_NOT_FOUND`, `INVALID_INVITATION_ID`) and `null` elsewhere, as
//! the one recorded v2 delete 404 does.

mod check;
mod listing;
mod ops;
mod roles;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde_json::Value;

pub(crate) use check::check;
pub use roles::CallerRoles;
pub(crate) use roles::read_caller_roles;

use super::api_error::ApiError;

/// Which role a write needs of the caller, as `x-rolesRequirements` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Organization Owner.
    OrgOwner,
    /// Project Access Manager (`GROUP_ACCESS_MANAGER`; Project Owner and Org Owner hold it).
    ProjectAccessManager,
    /// Project Owner.
    ProjectOwner,
    /// Project Database Access Admin or Project Stream Processing Owner.
    DatabaseAccessAdmin,
}

/// Every write the simulated Atlas takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    RemoveOrgUser,
    RemoveGroupUser,
    AddOrgUserRole,
    RemoveOrgUserRole,
    AddGroupUserRole,
    RemoveGroupUserRole,
    RemoveOrgTeamUser,
    RemoveGroupTeam,
    UpdateGroupTeam,
    DeleteOrgApiKey,
    RemoveGroupApiKey,
    UpdateOrgApiKey,
    UpdateGroupApiKeyRoles,
    DeleteOrgServiceAccount,
    DeleteGroupServiceAccount,
    UpdateOrgServiceAccount,
    UpdateGroupServiceAccount,
    DeleteOrgServiceAccountSecret,
    DeleteGroupDatabaseUser,
    UpdateGroupDatabaseUser,
    DeleteOrgInvite,
    DeleteGroupInvite,
}

/// One write route.
#[derive(Debug)]
pub(crate) struct WriteRoute {
    /// What it does.
    pub op: Op,
    /// `DELETE`, `POST` or `PATCH`.
    pub method: &'static str,
    /// Path template; a parameter may carry a custom method (`{userId}:addRole`).
    pub template: &'static str,
    /// The media-type version it is served with.
    pub version: &'static str,
    /// The handler Atlas names in `X-Java-Method`.
    pub java: &'static str,
    /// The role it needs.
    pub need: Need,
    /// `Deprecation` date, for deprecated endpoints.
    pub deprecation: Option<&'static str>,
}

const V2023: &str = "2023-01-01";
const V2024: &str = "2024-08-05";
const V2025: &str = "2025-02-19";
/// The sunset of the deprecated 2023-01-01 user, team-member and invitation endpoints, as
/// recorded since March 2026.
pub(crate) const SUNSET: &str = "Thu, 1 Jul 2027 00:00:00 GMT";
const DEPRECATED_ORG_INVITES: &str = "Wed, 19 Feb 2025 00:00:00 GMT";
const DEPRECATED_GROUP_INVITES: &str = "Wed, 4 Oct 2023 00:00:00 GMT";

const fn w(
    op: Op,
    method: &'static str,
    template: &'static str,
    version: &'static str,
    java: &'static str,
    need: Need,
) -> WriteRoute {
    WriteRoute {
        op,
        method,
        template,
        version,
        java,
        need,
        deprecation: None,
    }
}

/// Every write route.
pub(crate) static WRITE_ROUTES: &[WriteRoute] = &[
    w(
        Op::RemoveOrgUser,
        "DELETE",
        "/orgs/{orgId}/users/{userId}",
        V2025,
        "ApiOrganizationUsersResource::removeUser",
        Need::OrgOwner,
    ),
    w(
        Op::RemoveGroupUser,
        "DELETE",
        "/groups/{groupId}/users/{userId}",
        V2025,
        "ApiGroupUsersResource::removeUser",
        Need::ProjectAccessManager,
    ),
    w(
        Op::AddOrgUserRole,
        "POST",
        "/orgs/{orgId}/users/{userId}:addRole",
        V2025,
        "ApiOrganizationUsersResource::addRole",
        Need::OrgOwner,
    ),
    w(
        Op::RemoveOrgUserRole,
        "POST",
        "/orgs/{orgId}/users/{userId}:removeRole",
        V2025,
        "ApiOrganizationUsersResource::removeRole",
        Need::OrgOwner,
    ),
    w(
        Op::AddGroupUserRole,
        "POST",
        "/groups/{groupId}/users/{userId}:addRole",
        V2025,
        "ApiGroupUsersResource::addRole",
        Need::ProjectAccessManager,
    ),
    w(
        Op::RemoveGroupUserRole,
        "POST",
        "/groups/{groupId}/users/{userId}:removeRole",
        V2025,
        "ApiGroupUsersResource::removeRole",
        Need::ProjectAccessManager,
    ),
    w(
        Op::RemoveOrgTeamUser,
        "POST",
        "/orgs/{orgId}/teams/{teamId}:removeUser",
        V2025,
        "ApiOrganizationTeamsResource::removeUser",
        Need::OrgOwner,
    ),
    w(
        Op::RemoveGroupTeam,
        "DELETE",
        "/groups/{groupId}/teams/{teamId}",
        V2023,
        "ApiGroupTeamsResource::removeTeam",
        Need::ProjectAccessManager,
    ),
    w(
        Op::UpdateGroupTeam,
        "PATCH",
        "/groups/{groupId}/teams/{teamId}",
        V2023,
        "ApiGroupTeamsResource::patchTeam",
        Need::ProjectAccessManager,
    ),
    w(
        Op::DeleteOrgApiKey,
        "DELETE",
        "/orgs/{orgId}/apiKeys/{apiUserId}",
        V2023,
        "ApiOrganizationApiUsersResource::deleteApiUser",
        Need::OrgOwner,
    ),
    w(
        Op::RemoveGroupApiKey,
        "DELETE",
        "/groups/{groupId}/apiKeys/{apiUserId}",
        V2023,
        "ApiProjectApiUsersResource::removeApiUserFromGroup",
        Need::ProjectAccessManager,
    ),
    w(
        Op::UpdateOrgApiKey,
        "PATCH",
        "/orgs/{orgId}/apiKeys/{apiUserId}",
        V2023,
        "ApiOrganizationApiUsersResource::patchApiUser",
        Need::OrgOwner,
    ),
    w(
        Op::UpdateGroupApiKeyRoles,
        "PATCH",
        "/groups/{groupId}/apiKeys/{apiUserId}",
        V2023,
        "ApiProjectApiUsersResource::patchApiUserRoles",
        Need::ProjectAccessManager,
    ),
    w(
        Op::DeleteOrgServiceAccount,
        "DELETE",
        "/orgs/{orgId}/serviceAccounts/{clientId}",
        V2024,
        "ApiOrgServiceAccountsResource::deleteServiceAccount",
        Need::OrgOwner,
    ),
    w(
        Op::DeleteGroupServiceAccount,
        "DELETE",
        "/groups/{groupId}/serviceAccounts/{clientId}",
        V2024,
        "ApiGroupServiceAccountsResource::deleteServiceAccount",
        Need::ProjectOwner,
    ),
    w(
        Op::UpdateOrgServiceAccount,
        "PATCH",
        "/orgs/{orgId}/serviceAccounts/{clientId}",
        V2024,
        "ApiOrgServiceAccountsResource::updateServiceAccount",
        Need::OrgOwner,
    ),
    w(
        Op::UpdateGroupServiceAccount,
        "PATCH",
        "/groups/{groupId}/serviceAccounts/{clientId}",
        V2024,
        "ApiGroupServiceAccountsResource::updateServiceAccount",
        Need::ProjectOwner,
    ),
    w(
        Op::DeleteOrgServiceAccountSecret,
        "DELETE",
        "/orgs/{orgId}/serviceAccounts/{clientId}/secrets/{secretId}",
        V2024,
        "ApiOrgServiceAccountsResource::deleteSecret",
        Need::OrgOwner,
    ),
    w(
        Op::DeleteGroupDatabaseUser,
        "DELETE",
        "/groups/{groupId}/databaseUsers/{databaseName}/{username}",
        V2023,
        "ApiAtlasV2DatabaseUsersResource::deleteUser",
        Need::DatabaseAccessAdmin,
    ),
    w(
        Op::UpdateGroupDatabaseUser,
        "PATCH",
        "/groups/{groupId}/databaseUsers/{databaseName}/{username}",
        V2023,
        "ApiAtlasV2DatabaseUsersResource::patchUser",
        Need::DatabaseAccessAdmin,
    ),
    WriteRoute {
        deprecation: Some(DEPRECATED_ORG_INVITES),
        ..w(
            Op::DeleteOrgInvite,
            "DELETE",
            "/orgs/{orgId}/invites/{invitationId}",
            V2023,
            "ApiOrganizationInvitationResource::deleteInvitations",
            Need::OrgOwner,
        )
    },
    WriteRoute {
        deprecation: Some(DEPRECATED_GROUP_INVITES),
        ..w(
            Op::DeleteGroupInvite,
            "DELETE",
            "/groups/{groupId}/invites/{invitationId}",
            V2023,
            "ApiGroupInvitationResource::deleteInvitations",
            Need::ProjectOwner,
        )
    },
];

/// A write path matched: the route and its parameters, percent-decoded.
#[derive(Debug)]
pub(crate) struct WriteMatch {
    pub route: &'static WriteRoute,
    pub params: BTreeMap<&'static str, String>,
}

impl WriteMatch {
    /// A parameter's decoded value (empty when absent: templates are fixed).
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map_or("", String::as_str)
    }
}

/// How a non-GET request's path and method meet the write table.
#[derive(Debug)]
pub(crate) enum Found {
    /// A write route.
    Write(WriteMatch),
    /// The path is served, not for this method: the methods it takes.
    WrongMethod(String),
    /// No such path.
    Nothing,
}

/// One path segment decoded (`a%2Fb` → `a/b`).
pub(crate) fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// The parameters of `path` when it has the shape of `template`.
fn match_template(template: &'static str, path: &str) -> Option<BTreeMap<&'static str, String>> {
    let t: Vec<&'static str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    if t.len() != p.len() {
        return None;
    }
    let mut params = BTreeMap::new();
    for (t, p) in t.iter().zip(&p) {
        match (t.find('{'), t.find('}')) {
            (Some(open), Some(close)) => {
                let (prefix, suffix) = (&t[..open], &t[close + 1..]);
                let value = p.strip_prefix(prefix)?.strip_suffix(suffix)?;
                let name = &t[open + 1..close];
                // Ids never hold `:`, so `u1:addRole` is not a user id; a database user's
                // name may (an AWS ARN).
                if value.is_empty()
                    || (suffix.is_empty() && name != "username" && value.contains(':'))
                {
                    return None;
                }
                params.insert(name, decode(value));
            }
            _ if t == p => {}
            _ => return None,
        }
    }
    Some(params)
}

/// Finds the write route for `method` and `path` (below `/api/atlas/v2`).
pub(crate) fn find(method: &str, path: &str) -> Found {
    let mut allowed = Vec::new();
    for route in WRITE_ROUTES {
        if let Some(params) = match_template(route.template, path) {
            if route.method == method {
                return Found::Write(WriteMatch { route, params });
            }
            allowed.push(route.method);
        }
    }
    // A custom method (`:addRole`) on a path no write route names is no resource at all.
    if !path.contains(':') && super::routes::match_path(path).is_some() {
        allowed.insert(0, "GET");
    }
    if allowed.is_empty() {
        Found::Nothing
    } else {
        Found::WrongMethod(allowed.join(", "))
    }
}

/// `X-Java-Method` for a GET of `template`: the check GETs as Atlas names their handlers, the
/// listings under one name.
pub(crate) fn java_method_for_read(template: Option<&str>) -> &'static str {
    match template {
        Some("/orgs/{orgId}/users/{userId}") => "ApiOrganizationUsersResource::getUser",
        Some("/groups/{groupId}/users/{userId}") => "ApiGroupUsersResource::getUser",
        Some("/orgs/{orgId}/apiKeys/{apiUserId}") => "ApiOrganizationApiUsersResource::getApiUser",
        Some("/orgs/{orgId}/serviceAccounts/{clientId}") => {
            "ApiOrgServiceAccountsResource::getServiceAccount"
        }
        Some("/groups/{groupId}/serviceAccounts/{clientId}") => {
            "ApiGroupServiceAccountsResource::getServiceAccount"
        }
        Some("/groups/{groupId}/teams/{teamId}") => "ApiGroupTeamsResource::getTeam",
        Some("/groups/{groupId}/databaseUsers/{databaseName}/{username}") => {
            "ApiAtlasV2DatabaseUsersResource::getUser"
        }
        Some("/orgs/{orgId}/invites" | "/orgs/{orgId}/invites/{invitationId}") => {
            "ApiOrganizationInvitationResource::getInvitations"
        }
        Some("/groups/{groupId}/invites" | "/groups/{groupId}/invites/{invitationId}") => {
            "ApiGroupInvitationResource::getInvitations"
        }
        _ => "ApiAtlasResource::get",
    }
}

/// The `Deprecation` date of a GET of `template`, for the deprecated invitation endpoints.
pub(crate) fn deprecation_of_read(template: Option<&str>) -> Option<&'static str> {
    match template? {
        "/orgs/{orgId}/invites" | "/orgs/{orgId}/invites/{invitationId}" => {
            Some(DEPRECATED_ORG_INVITES)
        }
        "/groups/{groupId}/invites" | "/groups/{groupId}/invites/{invitationId}" => {
            Some(DEPRECATED_GROUP_INVITES)
        }
        _ => None,
    }
}

/// Applies a matched write to the world under its write lock: the status and JSON body of the
/// answer, or the error Atlas would send.
pub(crate) fn apply(
    world: &super::world::World,
    matched: &WriteMatch,
    body: Option<&Value>,
) -> Result<(StatusCode, Option<Value>), ApiError> {
    let _one_at_a_time = world.write_lock();
    ops::scope(world, matched)?;
    roles::check_role(world, matched)?;
    ops::apply(world, matched, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_routes_methods_and_custom_methods() {
        let Found::Write(m) = find("POST", "/orgs/o1/users/u%2F1:addRole") else {
            panic!("not found");
        };
        assert_eq!(m.route.op, Op::AddOrgUserRole);
        assert_eq!(m.param("userId"), "u/1");
        let Found::Write(m) = find("DELETE", "/groups/g/databaseUsers/$external/CN=a%2CO=b") else {
            panic!("not found");
        };
        assert_eq!(m.param("username"), "CN=a,O=b");
        assert!(matches!(
            find("PUT", "/orgs/o1/users/u1"),
            Found::WrongMethod(m) if m == "GET, DELETE"
        ));
        assert!(matches!(
            find("POST", "/orgs/o1/users/u1:nothing"),
            Found::Nothing
        ));
        assert!(matches!(
            find("DELETE", "/orgs/o1/nothing/x"),
            Found::Nothing
        ));
        assert!(matches!(find("POST", "/orgs/o1/users"), Found::WrongMethod(m) if m == "GET"));
    }

    #[test]
    fn every_write_route_is_unique_and_has_a_family() {
        for (i, a) in WRITE_ROUTES.iter().enumerate() {
            for b in &WRITE_ROUTES[i + 1..] {
                assert!(
                    !(a.method == b.method && a.template == b.template),
                    "{}",
                    a.template
                );
            }
            assert_ne!(
                super::super::families::family_of(Some(a.template)).name,
                "default",
                "{}",
                a.template
            );
        }
    }
}
