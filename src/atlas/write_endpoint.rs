//! The catalogue of Atlas write (remediation) operations and of the GETs that read their
//! targets again, with the method, path template and media-type version of each
//! (`WRITE-AND-FEDERATION-NOTES.md` Part A), and the one way a request path is built from a
//! template and raw values: each value percent-encoded as a single segment (notes A0).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::endpoint::{Endpoint, Shape};

/// The HTTP method of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum WriteMethod {
    /// `DELETE`
    Delete,
    /// `POST`
    Post,
    /// `PATCH`
    Patch,
    /// `PUT`
    Put,
}

impl WriteMethod {
    /// The method as sent.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteMethod::Delete => "DELETE",
            WriteMethod::Post => "POST",
            WriteMethod::Patch => "PATCH",
            WriteMethod::Put => "PUT",
        }
    }

    /// Whether sending it twice does what sending it once does (DELETE and PUT): only such
    /// calls are sent again after a failure that may have reached Atlas.
    pub fn idempotent(self) -> bool {
        matches!(self, WriteMethod::Delete | WriteMethod::Put)
    }

    pub(super) fn http(self) -> reqwest::Method {
        match self {
            WriteMethod::Delete => reqwest::Method::DELETE,
            WriteMethod::Post => reqwest::Method::POST,
            WriteMethod::Patch => reqwest::Method::PATCH,
            WriteMethod::Put => reqwest::Method::PUT,
        }
    }
}

impl std::fmt::Display for WriteMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One Atlas write operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteEndpoint {
    /// Atlas's operation id.
    pub name: &'static str,
    /// The method.
    pub method: WriteMethod,
    /// Path template below `/api/atlas/v2`; a parameter may share its segment with a custom
    /// method (`/orgs/{orgId}/users/{userId}:addRole`).
    pub template: &'static str,
    /// Media-type version for `Accept` and `Content-Type`.
    pub version: &'static str,
}

impl WriteEndpoint {
    /// The endpoint as the request path knows endpoints (name, template and version for the
    /// throttle, the tallies and the media type).
    pub fn as_endpoint(&self) -> Endpoint {
        Endpoint {
            name: self.name,
            template: self.template,
            version: self.version,
            shape: Shape::Object,
            count_is_estimate: false,
        }
    }

    /// This operation's path for raw parameter values, in template order.
    ///
    /// # Errors
    /// [`PathError`] when the count of values does not match or a value is empty.
    pub fn path(&self, values: &[&str]) -> Result<String, PathError> {
        fill_path(self.template, values)
    }

    /// The write operation called `name`.
    pub fn named(name: &str) -> Option<&'static WriteEndpoint> {
        WRITES.iter().find(|w| w.name == name)
    }
}

/// Why a path could not be built from a template.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PathError {
    /// Not as many values as the template has parameters.
    #[error("path template {template} takes {wanted} values; {given} were given")]
    Count {
        /// The template.
        template: String,
        /// Its parameters.
        wanted: usize,
        /// Values given.
        given: usize,
    },
    /// An empty value (Atlas would answer a different path, e.g. 405 for `/groups/`).
    #[error("path template {template}: the value for {{{param}}} is empty")]
    Empty {
        /// The template.
        template: String,
        /// The parameter.
        param: String,
    },
}

/// What a path segment leaves unescaped: Go's `url.PathEscape`, which the Atlas SDK uses:
/// letters, digits, `-._~` and `$&+:=@`; everything else, `/`, `,`, `;`, `?` and space
/// included, is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b':')
    .remove(b'=')
    .remove(b'@');

/// One raw value as a single path segment (`arn:aws:iam::1:role/x` → `arn:aws:iam::1:role%2Fx`).
pub fn encode_segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// Fills a template's `{param}`s, in order, with `values`, each percent-encoded on its own.
///
/// # Errors
/// [`PathError`] when the count of values does not match or a value is empty.
pub fn fill_path(template: &str, values: &[&str]) -> Result<String, PathError> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    let mut used = 0;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        out.push_str(&rest[..open]);
        let param = &rest[open + 1..close];
        let value = values.get(used).ok_or_else(|| PathError::Count {
            template: template.into(),
            wanted: template.matches('{').count(),
            given: values.len(),
        })?;
        if value.is_empty() {
            return Err(PathError::Empty {
                template: template.into(),
                param: param.into(),
            });
        }
        out.push_str(&encode_segment(value));
        used += 1;
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    if used != values.len() {
        return Err(PathError::Count {
            template: template.into(),
            wanted: used,
            given: values.len(),
        });
    }
    Ok(out)
}

/// Whether `path` (encoded) has the shape of `template`: the same literal segments, a
/// non-empty value for each parameter, the same custom-method suffix.
pub fn matches_template(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| match t.find('{') {
            None => t == p,
            Some(open) => {
                let suffix = t.rfind('}').map_or("", |close| &t[close + 1..]);
                p.len() > open + suffix.len() && p.starts_with(&t[..open]) && p.ends_with(suffix)
            }
        })
}

const V2023: &str = "2023-01-01";
const V2024: &str = "2024-08-05";
const V_USERS: &str = "2025-02-19";

const fn w(
    name: &'static str,
    method: WriteMethod,
    template: &'static str,
    version: &'static str,
) -> WriteEndpoint {
    WriteEndpoint {
        name,
        method,
        template,
        version,
    }
}

use WriteMethod::{Delete, Patch, Post};

/// `DELETE /orgs/{orgId}/users/{userId}`: takes the user out of the org (active or pending).
pub const REMOVE_ORG_USER: WriteEndpoint = w(
    "removeOrgUser",
    Delete,
    "/orgs/{orgId}/users/{userId}",
    V_USERS,
);
/// `DELETE /groups/{groupId}/users/{userId}`: takes the user out of the project.
pub const REMOVE_GROUP_USER: WriteEndpoint = w(
    "removeGroupUser",
    Delete,
    "/groups/{groupId}/users/{userId}",
    V_USERS,
);
/// `POST /orgs/{orgId}/users/{userId}:addRole`, body `{"orgRole"}`.
pub const ADD_ORG_USER_ROLE: WriteEndpoint = w(
    "addOrgUserRole",
    Post,
    "/orgs/{orgId}/users/{userId}:addRole",
    V_USERS,
);
/// `POST /orgs/{orgId}/users/{userId}:removeRole`, body `{"orgRole"}`.
pub const REMOVE_ORG_USER_ROLE: WriteEndpoint = w(
    "removeOrgUserRole",
    Post,
    "/orgs/{orgId}/users/{userId}:removeRole",
    V_USERS,
);
/// `POST /groups/{groupId}/users/{userId}:addRole`, body `{"groupRole"}`.
pub const ADD_GROUP_USER_ROLE: WriteEndpoint = w(
    "addGroupUserRole",
    Post,
    "/groups/{groupId}/users/{userId}:addRole",
    V_USERS,
);
/// `POST /groups/{groupId}/users/{userId}:removeRole`, body `{"groupRole"}`.
pub const REMOVE_GROUP_USER_ROLE: WriteEndpoint = w(
    "removeGroupUserRole",
    Post,
    "/groups/{groupId}/users/{userId}:removeRole",
    V_USERS,
);
/// `POST /orgs/{orgId}/teams/{teamId}:removeUser`, body `{"id": userId}`.
pub const REMOVE_ORG_TEAM_USER: WriteEndpoint = w(
    "removeOrgTeamUser",
    Post,
    "/orgs/{orgId}/teams/{teamId}:removeUser",
    V_USERS,
);
/// `DELETE /groups/{groupId}/teams/{teamId}`: takes the team off the project.
pub const REMOVE_GROUP_TEAM: WriteEndpoint = w(
    "removeGroupTeam",
    Delete,
    "/groups/{groupId}/teams/{teamId}",
    V2023,
);
/// `PATCH /groups/{groupId}/teams/{teamId}`, body `{"roleNames", "teamId"}` (replaces the set).
pub const UPDATE_GROUP_TEAM: WriteEndpoint = w(
    "updateGroupTeam",
    Patch,
    "/groups/{groupId}/teams/{teamId}",
    V2023,
);
/// `DELETE /orgs/{orgId}/apiKeys/{apiUserId}`: deletes the key (from every project too).
pub const DELETE_ORG_API_KEY: WriteEndpoint = w(
    "deleteOrgApiKey",
    Delete,
    "/orgs/{orgId}/apiKeys/{apiUserId}",
    V2023,
);
/// `DELETE /groups/{groupId}/apiKeys/{apiUserId}`: unassigns the key from the project.
pub const REMOVE_GROUP_API_KEY: WriteEndpoint = w(
    "removeGroupApiKey",
    Delete,
    "/groups/{groupId}/apiKeys/{apiUserId}",
    V2023,
);
/// `PATCH /orgs/{orgId}/apiKeys/{apiUserId}`, body `{desc?, roles?}` (org roles, replaced).
pub const UPDATE_ORG_API_KEY: WriteEndpoint = w(
    "updateOrgApiKey",
    Patch,
    "/orgs/{orgId}/apiKeys/{apiUserId}",
    V2023,
);
/// `PATCH /groups/{groupId}/apiKeys/{apiUserId}`, body `{roles}` (the project's, replaced).
pub const UPDATE_GROUP_API_KEY_ROLES: WriteEndpoint = w(
    "updateGroupApiKeyRoles",
    Patch,
    "/groups/{groupId}/apiKeys/{apiUserId}",
    V2023,
);
/// `DELETE /orgs/{orgId}/serviceAccounts/{clientId}`: deletes the account and its secrets.
pub const DELETE_ORG_SERVICE_ACCOUNT: WriteEndpoint = w(
    "deleteOrgServiceAccount",
    Delete,
    "/orgs/{orgId}/serviceAccounts/{clientId}",
    V2024,
);
/// `DELETE /groups/{groupId}/serviceAccounts/{clientId}`: unassigns it (its secrets stay valid).
pub const DELETE_GROUP_SERVICE_ACCOUNT: WriteEndpoint = w(
    "deleteGroupServiceAccount",
    Delete,
    "/groups/{groupId}/serviceAccounts/{clientId}",
    V2024,
);
/// `PATCH /orgs/{orgId}/serviceAccounts/{clientId}`, body `{name?, description?, roles?}`.
pub const UPDATE_ORG_SERVICE_ACCOUNT: WriteEndpoint = w(
    "updateOrgServiceAccount",
    Patch,
    "/orgs/{orgId}/serviceAccounts/{clientId}",
    V2024,
);
/// `PATCH /groups/{groupId}/serviceAccounts/{clientId}`, body `{roles}` (the project's).
pub const UPDATE_GROUP_SERVICE_ACCOUNT: WriteEndpoint = w(
    "updateGroupServiceAccount",
    Patch,
    "/groups/{groupId}/serviceAccounts/{clientId}",
    V2024,
);
/// `DELETE /orgs/{orgId}/serviceAccounts/{clientId}/secrets/{secretId}`.
pub const DELETE_ORG_SERVICE_ACCOUNT_SECRET: WriteEndpoint = w(
    "deleteOrgServiceAccountSecret",
    Delete,
    "/orgs/{orgId}/serviceAccounts/{clientId}/secrets/{secretId}",
    V2024,
);
/// `DELETE /groups/{groupId}/databaseUsers/{databaseName}/{username}`.
pub const DELETE_GROUP_DATABASE_USER: WriteEndpoint = w(
    "deleteGroupDatabaseUser",
    Delete,
    "/groups/{groupId}/databaseUsers/{databaseName}/{username}",
    V2023,
);
/// `PATCH /groups/{groupId}/databaseUsers/{databaseName}/{username}`: listed fields replaced.
pub const UPDATE_GROUP_DATABASE_USER: WriteEndpoint = w(
    "updateGroupDatabaseUser",
    Patch,
    "/groups/{groupId}/databaseUsers/{databaseName}/{username}",
    V2023,
);
/// `DELETE /orgs/{orgId}/invites/{invitationId}` (deprecated, sunset 2027-07-01).
pub const DELETE_ORG_INVITE: WriteEndpoint = w(
    "deleteOrgInvite",
    Delete,
    "/orgs/{orgId}/invites/{invitationId}",
    V2023,
);
/// `DELETE /groups/{groupId}/invites/{invitationId}` (deprecated).
pub const DELETE_GROUP_INVITE: WriteEndpoint = w(
    "deleteGroupInvite",
    Delete,
    "/groups/{groupId}/invites/{invitationId}",
    V2023,
);

/// Every write operation the tool may send.
pub const WRITES: &[WriteEndpoint] = &[
    REMOVE_ORG_USER,
    REMOVE_GROUP_USER,
    ADD_ORG_USER_ROLE,
    REMOVE_ORG_USER_ROLE,
    ADD_GROUP_USER_ROLE,
    REMOVE_GROUP_USER_ROLE,
    REMOVE_ORG_TEAM_USER,
    REMOVE_GROUP_TEAM,
    UPDATE_GROUP_TEAM,
    DELETE_ORG_API_KEY,
    REMOVE_GROUP_API_KEY,
    UPDATE_ORG_API_KEY,
    UPDATE_GROUP_API_KEY_ROLES,
    DELETE_ORG_SERVICE_ACCOUNT,
    DELETE_GROUP_SERVICE_ACCOUNT,
    UPDATE_ORG_SERVICE_ACCOUNT,
    UPDATE_GROUP_SERVICE_ACCOUNT,
    DELETE_ORG_SERVICE_ACCOUNT_SECRET,
    DELETE_GROUP_DATABASE_USER,
    UPDATE_GROUP_DATABASE_USER,
    DELETE_ORG_INVITE,
    DELETE_GROUP_INVITE,
];

const fn check(name: &'static str, template: &'static str, version: &'static str) -> Endpoint {
    Endpoint {
        name,
        template,
        version,
        shape: Shape::Object,
        count_is_estimate: false,
    }
}

/// The GETs that read a write's target again (contract-15 "check GETs"); 404 means gone.
pub const CHECKS: &[Endpoint] = &[
    check("getOrgUser", "/orgs/{orgId}/users/{userId}", V_USERS),
    check("getGroupUser", "/groups/{groupId}/users/{userId}", V_USERS),
    check("getOrgApiKey", "/orgs/{orgId}/apiKeys/{apiUserId}", V2023),
    check(
        "getOrgServiceAccount",
        "/orgs/{orgId}/serviceAccounts/{clientId}",
        V2024,
    ),
    check(
        "getGroupServiceAccount",
        "/groups/{groupId}/serviceAccounts/{clientId}",
        V2024,
    ),
    check("getGroupTeam", "/groups/{groupId}/teams/{teamId}", V2023),
    check(
        "getGroupDatabaseUser",
        "/groups/{groupId}/databaseUsers/{databaseName}/{username}",
        V2023,
    ),
    check(
        "getOrgInvite",
        "/orgs/{orgId}/invites/{invitationId}",
        V2023,
    ),
    check(
        "getGroupInvite",
        "/groups/{groupId}/invites/{invitationId}",
        V2023,
    ),
];

/// A GET of a path no check operation describes: read like the others, paced under its own
/// name until Atlas names its endpoint set.
pub const OTHER_GET: Endpoint = check("getOne", "/*", V2023);

/// The check operation whose template `path` has the shape of, for its name and bucket.
pub fn check_for(path: &str) -> Option<&'static Endpoint> {
    CHECKS.iter().find(|e| matches_template(e.template, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_one_by_one_like_go_path_escape() {
        assert_eq!(
            encode_segment("arn:aws:iam::123456789012:role/x"),
            "arn:aws:iam::123456789012:role%2Fx"
        );
        assert_eq!(
            encode_segment("CN=svc,OU=apps,O=North wind"),
            "CN=svc%2COU=apps%2CO=North%20wind"
        );
        assert_eq!(
            encode_segment("0123456789abcdef01234567/user-60"),
            "0123456789abcdef01234567%2Fuser-60"
        );
        assert_eq!(encode_segment("a@b.example"), "a@b.example");
        assert_eq!(encode_segment("$external"), "$external");
        assert_eq!(encode_segment("x;y?z%"), "x%3By%3Fz%25");
    }

    #[test]
    fn paths_fill_templates_and_refuse_bad_values() {
        assert_eq!(
            DELETE_GROUP_DATABASE_USER
                .path(&["g1", "$external", "CN=a,O=b"])
                .unwrap(),
            "/groups/g1/databaseUsers/$external/CN=a%2CO=b"
        );
        assert_eq!(
            ADD_ORG_USER_ROLE.path(&["o1", "u/1"]).unwrap(),
            "/orgs/o1/users/u%2F1:addRole"
        );
        assert!(matches!(
            REMOVE_ORG_USER.path(&["o1"]),
            Err(PathError::Count { .. })
        ));
        assert!(matches!(
            REMOVE_ORG_USER.path(&["o1", "u", "x"]),
            Err(PathError::Count { .. })
        ));
        assert!(matches!(
            REMOVE_ORG_USER.path(&["o1", ""]),
            Err(PathError::Empty { .. })
        ));
    }

    #[test]
    fn catalogue_follows_the_notes() {
        let mut names: Vec<_> = WRITES.iter().map(|w| w.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), WRITES.len(), "operation ids are unique");
        for w in WRITES {
            let user_or_team_member = w.template.starts_with("/orgs/{orgId}/users")
                || w.template.starts_with("/groups/{groupId}/users")
                || w.template.ends_with(":removeUser");
            let sa = w.template.contains("serviceAccounts");
            let want = match (user_or_team_member, sa) {
                (true, _) => "2025-02-19",
                (_, true) => "2024-08-05",
                _ => "2023-01-01",
            };
            assert_eq!(w.version, want, "{}", w.name);
            assert_eq!(w.method == Post, w.template.contains(':'), "{}", w.name);
        }
        assert_eq!(
            check_for("/groups/g/databaseUsers/admin/a%2Fb").map(|e| e.name),
            Some("getGroupDatabaseUser")
        );
        assert_eq!(
            check_for("/orgs/o/users/u").map(|e| e.name),
            Some("getOrgUser")
        );
        assert!(check_for("/orgs/o/users").is_none());
        assert!(matches_template(
            ADD_ORG_USER_ROLE.template,
            "/orgs/o/users/u:addRole"
        ));
        assert!(!matches_template(
            ADD_ORG_USER_ROLE.template,
            "/orgs/o/users/u:removeRole"
        ));
    }
}
