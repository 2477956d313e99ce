//! Endpoint families: the simulated Atlas's endpoint sets, the groups of routes that share a
//! rate-limit bucket. Atlas keys its buckets by endpoint set and scope; the recordings show
//! one capacity per family of handlers (`WRITE-AND-FEDERATION-NOTES.md` §A9), and this table
//! groups the served routes the same way:
//!
//! | family | routes |
//! |---|---|
//! | `orgs` | `/orgs`, `/orgs/{orgId}` |
//! | `projects` | `/orgs/{orgId}/groups`, `/groups`, `/groups/{groupId}` |
//! | `org-users` | `/orgs/{orgId}/users` |
//! | `teams` | `/orgs/{orgId}/teams`, `/groups/{groupId}/teams` |
//! | `api-keys` | `/orgs/{orgId}/apiKeys` and each key's `accessList` |
//! | `service-accounts` | `/orgs/{orgId}/serviceAccounts` and each account's `groups` and `accessList` |
//! | `events` | `/orgs/{orgId}/events`, `/groups/{groupId}/events` |
//! | `settings` | `/orgs/{orgId}/settings`, `/groups/{groupId}/settings`, `/groups/{groupId}/auditLog`, `/groups/{groupId}/userSecurity`, `/groups/{groupId}/cloudProviderAccess` |
//! | `network-access` | `/groups/{groupId}/accessList` |
//! | `clusters` | `/groups/{groupId}/clusters`, `/groups/{groupId}/flexClusters` |
//! | `database-users` | `/groups/{groupId}/databaseUsers` and each user's `certs` |
//! | `custom-roles` | `/groups/{groupId}/customDBRoles/roles` |
//! | `access-logs` | `/groups/{groupId}/dbAccessHistory/clusters/{clusterName}` |
//! | `project-users` | `/groups/{groupId}/users/{userId}` and its writes |
//! | `invitations` | `/orgs/{orgId}/invites`, `/groups/{groupId}/invites` and their items |
//! | `federation` | `/orgs/{orgId}/federationSettings` and `/federationSettings/...` |
//!
//! Writes share the family of what they change: a user's (`org-users`, `project-users`), a
//! team's, a key's, an account's, a database user's, an invitation's.
//! | `default` | any other path |
//!
//! A route added later without an entry here takes the family of the deepest listed route its
//! template extends (`/groups/{groupId}/clusters/{name}/...` is `clusters`), else `default`.
//!
//! The scope of a bucket is the org of `/orgs/{orgId}/...`, the project of
//! `/groups/{groupId}/...`, and otherwise the caller (public key or client id).

/// One endpoint family.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Family {
    /// The name used in `--rate-limit` and in the counters.
    pub name: &'static str,
    /// The path pattern a 429 names for the family, after `api/atlas/v2`.
    pub pattern: &'static str,
}

/// Routes that belong to no listed family.
pub(crate) const DEFAULT: Family = Family {
    name: "default",
    pattern: "/*",
};

/// Every family, `default` last.
pub(crate) static FAMILIES: &[Family] = &[
    Family {
        name: "orgs",
        pattern: "/orgs",
    },
    Family {
        name: "projects",
        pattern: "/groups",
    },
    Family {
        name: "org-users",
        pattern: "/orgs/{orgId}/users",
    },
    Family {
        name: "teams",
        pattern: "/orgs/{orgId}/teams",
    },
    Family {
        name: "api-keys",
        pattern: "/orgs/{orgId}/apiKeys",
    },
    Family {
        name: "service-accounts",
        pattern: "/orgs/{orgId}/serviceAccounts",
    },
    Family {
        name: "events",
        pattern: "/orgs/{orgId}/events",
    },
    Family {
        name: "settings",
        pattern: "/orgs/{orgId}/settings",
    },
    Family {
        name: "network-access",
        pattern: "/groups/{groupId}/accessList",
    },
    Family {
        name: "clusters",
        pattern: "/groups/{groupId}/clusters",
    },
    Family {
        name: "database-users",
        pattern: "/groups/{groupId}/databaseUsers",
    },
    Family {
        name: "custom-roles",
        pattern: "/groups/{groupId}/customDBRoles/roles",
    },
    Family {
        name: "access-logs",
        pattern: "/groups/{groupId}/dbAccessHistory/clusters/{clusterName}",
    },
    Family {
        name: "project-users",
        pattern: "/groups/{groupId}/users",
    },
    Family {
        name: "invitations",
        pattern: "/orgs/{orgId}/invites",
    },
    Family {
        name: "federation",
        pattern: "/federationSettings",
    },
    DEFAULT,
];

/// Route template → family name, for every route of `routes::ROUTES`.
static ROUTE_FAMILIES: &[(&str, &str)] = &[
    ("/orgs", "orgs"),
    ("/orgs/{orgId}", "orgs"),
    ("/orgs/{orgId}/settings", "settings"),
    ("/orgs/{orgId}/groups", "projects"),
    ("/orgs/{orgId}/users", "org-users"),
    ("/orgs/{orgId}/teams", "teams"),
    ("/orgs/{orgId}/apiKeys", "api-keys"),
    ("/orgs/{orgId}/apiKeys/{apiUserId}/accessList", "api-keys"),
    ("/orgs/{orgId}/serviceAccounts", "service-accounts"),
    (
        "/orgs/{orgId}/serviceAccounts/{clientId}/groups",
        "service-accounts",
    ),
    (
        "/orgs/{orgId}/serviceAccounts/{clientId}/accessList",
        "service-accounts",
    ),
    ("/orgs/{orgId}/events", "events"),
    ("/groups", "projects"),
    ("/groups/{groupId}", "projects"),
    ("/groups/{groupId}/settings", "settings"),
    ("/groups/{groupId}/accessList", "network-access"),
    ("/groups/{groupId}/auditLog", "settings"),
    ("/groups/{groupId}/clusters", "clusters"),
    ("/groups/{groupId}/flexClusters", "clusters"),
    ("/groups/{groupId}/teams", "teams"),
    ("/groups/{groupId}/databaseUsers", "database-users"),
    ("/groups/{groupId}/customDBRoles/roles", "custom-roles"),
    (
        "/groups/{groupId}/dbAccessHistory/clusters/{clusterName}",
        "access-logs",
    ),
    ("/groups/{groupId}/events", "events"),
    ("/orgs/{orgId}/federationSettings", "federation"),
    (
        "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}",
        "federation",
    ),
    (
        "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}/roleMappings",
        "federation",
    ),
    (
        "/federationSettings/{federationSettingsId}/identityProviders",
        "federation",
    ),
    ("/groups/{groupId}/userSecurity", "settings"),
    ("/groups/{groupId}/cloudProviderAccess", "settings"),
    (
        "/groups/{groupId}/databaseUsers/{username}/certs",
        "database-users",
    ),
    // The check GETs and the invitation listings (routes::CHECK_ROUTES); writes take the
    // family of the route their template extends (`.../users/{userId}:addRole` is
    // `org-users`), or one listed in WRITE_FAMILIES.
    ("/orgs/{orgId}/users/{userId}", "org-users"),
    ("/groups/{groupId}/users/{userId}", "project-users"),
    ("/orgs/{orgId}/apiKeys/{apiUserId}", "api-keys"),
    (
        "/orgs/{orgId}/serviceAccounts/{clientId}",
        "service-accounts",
    ),
    (
        "/groups/{groupId}/serviceAccounts/{clientId}",
        "service-accounts",
    ),
    ("/groups/{groupId}/teams/{teamId}", "teams"),
    (
        "/groups/{groupId}/databaseUsers/{databaseName}/{username}",
        "database-users",
    ),
    ("/orgs/{orgId}/invites", "invitations"),
    ("/orgs/{orgId}/invites/{invitationId}", "invitations"),
    ("/groups/{groupId}/invites", "invitations"),
    ("/groups/{groupId}/invites/{invitationId}", "invitations"),
];

/// Write templates that extend no served route, with their family.
static WRITE_FAMILIES: &[(&str, &str)] = &[
    ("/groups/{groupId}/apiKeys/{apiUserId}", "api-keys"),
    ("/orgs/{orgId}/teams/{teamId}:removeUser", "teams"),
];

/// The family called `name`, if there is one.
pub(crate) fn named(name: &str) -> Option<&'static Family> {
    FAMILIES.iter().find(|f| f.name == name)
}

/// Every family name, comma-separated, for messages.
pub(crate) fn names() -> String {
    FAMILIES
        .iter()
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The family of a route template (`None`: the path matched no route).
pub(crate) fn family_of(template: Option<&str>) -> &'static Family {
    let Some(template) = template else {
        return &DEFAULT;
    };
    let listed = |name: &str| named(name).unwrap_or(&DEFAULT);
    if let Some((_, name)) = ROUTE_FAMILIES
        .iter()
        .chain(WRITE_FAMILIES)
        .find(|(t, _)| *t == template)
    {
        return listed(name);
    }
    // A route nobody listed: the deepest listed route it extends, below the bare org or
    // project (everything extends those, and they say nothing about the resource).
    ROUTE_FAMILIES
        .iter()
        .filter(|(t, _)| t.matches('/').count() >= 3)
        .filter(|(t, _)| {
            template
                .strip_prefix(t)
                .is_some_and(|rest| rest.starts_with('/') || rest.starts_with(':'))
        })
        .max_by_key(|(t, _)| t.len())
        .map_or(&DEFAULT, |(_, name)| listed(name))
}

/// The scope of a request's bucket: `org:ID`, `project:ID` or `caller:WHO`.
pub(crate) fn scope_of(api_path: &str, who: &str) -> String {
    let mut segments = api_path.trim_start_matches('/').split('/');
    match (segments.next(), segments.next()) {
        (Some("orgs"), Some(id)) if !id.is_empty() => format!("org:{id}"),
        (Some("groups"), Some(id)) if !id.is_empty() => format!("project:{id}"),
        _ => format!("caller:{who}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::routes::{CHECK_ROUTES, ROUTES};

    #[test]
    fn every_served_route_has_a_listed_family() {
        for route in ROUTES.iter().chain(CHECK_ROUTES) {
            let listed = ROUTE_FAMILIES.iter().find(|(t, _)| *t == route.template);
            let (_, name) = listed.unwrap_or_else(|| panic!("{} has no family", route.template));
            assert!(named(name).is_some(), "{name} is not a family");
            assert_ne!(family_of(Some(route.template)), &DEFAULT);
        }
        for (template, _) in ROUTE_FAMILIES {
            assert!(
                ROUTES
                    .iter()
                    .chain(CHECK_ROUTES)
                    .any(|r| r.template == *template),
                "{template} is listed but not served"
            );
        }
        let mut names: Vec<_> = FAMILIES.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FAMILIES.len(), "family names are unique");
    }

    #[test]
    fn families_group_routes_as_the_recordings_do() {
        let of = |t: &str| family_of(Some(t)).name;
        assert_eq!(of("/orgs"), of("/orgs/{orgId}"));
        assert_eq!(of("/orgs/{orgId}/events"), of("/groups/{groupId}/events"));
        assert_eq!(
            of("/orgs/{orgId}/apiKeys"),
            of("/orgs/{orgId}/apiKeys/{apiUserId}/accessList")
        );
        assert_ne!(of("/orgs/{orgId}/users"), of("/orgs/{orgId}/apiKeys"));
    }

    #[test]
    fn unlisted_routes_fall_back_by_prefix_or_to_default() {
        let of = |t: &str| family_of(Some(t)).name;
        assert_eq!(of("/groups/{groupId}/clusters/{clusterName}/x"), "clusters");
        assert_eq!(of("/groups/{groupId}/flexClustersX"), "default");
        assert_eq!(of("/groups/{groupId}/clustersX"), "default");
        assert_eq!(of("/federationSettings/{id}"), "default");
        assert_eq!(family_of(None).name, "default");
    }

    #[test]
    fn scope_is_the_org_the_project_or_the_caller() {
        assert_eq!(scope_of("/orgs/o1/users", "k"), "org:o1");
        assert_eq!(scope_of("/orgs/o1", "k"), "org:o1");
        assert_eq!(scope_of("/groups/g1/events", "k"), "project:g1");
        assert_eq!(scope_of("/orgs", "k"), "caller:k");
        assert_eq!(scope_of("/groups", "k"), "caller:k");
        assert_eq!(scope_of("/rateLimits", "k"), "caller:k");
    }
}
