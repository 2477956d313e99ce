//! The route table of the simulated Atlas: every API path it serves, the media-type version
//! Atlas serves it with, and how its answer is shaped.
//!
//! The table is written here independently of the client's own table in `atlas`, on purpose: a
//! client that asks for the wrong version or the wrong path is caught by the disagreement.
//! Facts come from `fixtures/README.md` and `API-NOTES.md` §3.

/// How the answer of a route is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A paged envelope `{links, results, totalCount}` over a stored array.
    Listing,
    /// A single stored object.
    Object,
    /// A stored array sent whole, with no envelope and no paging.
    BareArray,
    /// `{"accessLogs": [...]}`, filtered by the access-history query parameters.
    AccessLogs,
}

/// Which query parameters filter a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filter {
    /// No filter: every item is listed.
    None,
    /// `orgMembershipStatuses` (default ACTIVE and PENDING).
    Membership,
    /// `minDate`, `maxDate` and `eventType`.
    Events,
    /// `includeSystemManaged` (default false: accounts Atlas manages itself are left out).
    SystemManaged,
    /// `protocol` and `idpType`, each repeatable; without them only SAML workforce providers
    /// are listed, as Atlas does.
    IdentityProviders,
}

/// Where a route's data comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// The file whose path is the request path.
    File,
    /// One item of `/orgs`, picked by `orgId`.
    Org,
    /// Every `/orgs/{orgId}/groups` listing, concatenated.
    AllGroups,
    /// One project of any `/orgs/{orgId}/groups` listing, picked by `groupId`.
    Group,
    /// One item read out of the listings writes change (the GETs that check a write).
    Check(Check),
}

/// The single-resource GETs that read a write's target again, served from the listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// `getOrgUser`: an item of `/orgs/{orgId}/users`.
    OrgUser,
    /// `getGroupUser`: an org user with roles in the project, as `GroupUserResponse`.
    GroupUser,
    /// `getOrgApiKey`: an item of `/orgs/{orgId}/apiKeys`.
    OrgApiKey,
    /// `getOrgServiceAccount`: an item of `/orgs/{orgId}/serviceAccounts`.
    OrgServiceAccount,
    /// `getGroupServiceAccount`: the account with its roles in the project.
    GroupServiceAccount,
    /// `getGroupTeam`: an item of `/groups/{groupId}/teams`.
    GroupTeam,
    /// `getGroupDatabaseUser`: an item of `/groups/{groupId}/databaseUsers`.
    GroupDatabaseUser,
    /// `getOrgInvite`: an item of `/orgs/{orgId}/invites`.
    OrgInvite,
    /// `getGroupInvite`: an item of `/groups/{groupId}/invites`.
    GroupInvite,
}

/// One API route below `/api/atlas/v2`.
#[derive(Debug)]
pub(crate) struct Route {
    /// Path template, parameters in braces (`/orgs/{orgId}/users`).
    pub template: &'static str,
    /// The version in `application/vnd.atlas.<version>+json`.
    pub version: &'static str,
    /// How the answer is shaped.
    pub shape: Shape,
    /// Which query parameters filter the listing.
    pub filter: Filter,
    /// Whether the endpoint takes `includeCount`; those that do not always send `totalCount`.
    pub include_count: bool,
    /// Where the data comes from.
    pub source: Source,
    /// For a sub-resource of a listed item: the path parameter naming the item and the template
    /// of the listing that must hold it (an API key's access list needs the key to exist).
    pub parent: Option<(&'static str, &'static str)>,
    /// For an object every project has: the body Atlas sends where nothing is configured,
    /// served when the world holds no file for it.
    pub empty: Option<&'static str>,
}

/// `userSecurity` of a project with neither LDAP nor a customer CA: `customerX509` is `{}` as
/// recorded; the `ldap` flags are Atlas's defaults (what Atlas sends for a project that never
/// configured LDAP is not recorded: unverified).
pub const EMPTY_USER_SECURITY: &str =
    r#"{"customerX509":{},"ldap":{"authenticationEnabled":false,"authorizationEnabled":false}}"#;

/// `cloudProviderAccess` of a project with no role: three empty lists, as recorded.
pub const EMPTY_CLOUD_PROVIDER_ACCESS: &str =
    r#"{"awsIamRoles":[],"azureServicePrincipals":[],"gcpServiceAccounts":[]}"#;

const V2023: &str = "2023-01-01";
const V2024: &str = "2024-08-05";
const V2025: &str = "2025-02-19";
const V_FLEX: &str = "2024-11-13";

const fn route(template: &'static str, version: &'static str, shape: Shape) -> Route {
    Route {
        template,
        version,
        shape,
        filter: Filter::None,
        include_count: true,
        source: Source::File,
        parent: None,
        empty: None,
    }
}

/// Every route the simulated Atlas serves.
pub(crate) static ROUTES: &[Route] = &[
    route("/orgs", V2023, Shape::Listing),
    Route {
        source: Source::Org,
        ..route("/orgs/{orgId}", V2023, Shape::Object)
    },
    route("/orgs/{orgId}/settings", V2023, Shape::Object),
    route("/orgs/{orgId}/groups", V2023, Shape::Listing),
    Route {
        filter: Filter::Membership,
        ..route("/orgs/{orgId}/users", V2025, Shape::Listing)
    },
    route("/orgs/{orgId}/teams", V2023, Shape::Listing),
    route("/orgs/{orgId}/apiKeys", V2023, Shape::Listing),
    Route {
        parent: Some(("apiUserId", "/orgs/{orgId}/apiKeys")),
        ..route(
            "/orgs/{orgId}/apiKeys/{apiUserId}/accessList",
            V2023,
            Shape::Listing,
        )
    },
    Route {
        include_count: false,
        filter: Filter::SystemManaged,
        ..route("/orgs/{orgId}/serviceAccounts", V2024, Shape::Listing)
    },
    Route {
        include_count: false,
        parent: Some(("clientId", "/orgs/{orgId}/serviceAccounts")),
        ..route(
            "/orgs/{orgId}/serviceAccounts/{clientId}/groups",
            V2024,
            Shape::Listing,
        )
    },
    Route {
        parent: Some(("clientId", "/orgs/{orgId}/serviceAccounts")),
        ..route(
            "/orgs/{orgId}/serviceAccounts/{clientId}/accessList",
            V2024,
            Shape::Listing,
        )
    },
    Route {
        filter: Filter::Events,
        ..route("/orgs/{orgId}/events", V2023, Shape::Listing)
    },
    Route {
        source: Source::AllGroups,
        ..route("/groups", V2023, Shape::Listing)
    },
    Route {
        source: Source::Group,
        ..route("/groups/{groupId}", V2023, Shape::Object)
    },
    route("/groups/{groupId}/settings", V2023, Shape::Object),
    route("/groups/{groupId}/accessList", V2023, Shape::Listing),
    route("/groups/{groupId}/auditLog", V2023, Shape::Object),
    route("/groups/{groupId}/clusters", V2024, Shape::Listing),
    route("/groups/{groupId}/flexClusters", V_FLEX, Shape::Listing),
    route("/groups/{groupId}/teams", V2023, Shape::Listing),
    route("/groups/{groupId}/databaseUsers", V2023, Shape::Listing),
    route(
        "/groups/{groupId}/customDBRoles/roles",
        V2023,
        Shape::BareArray,
    ),
    Route {
        parent: Some(("clusterName", "/groups/{groupId}/clusters")),
        ..route(
            "/groups/{groupId}/dbAccessHistory/clusters/{clusterName}",
            V2023,
            Shape::AccessLogs,
        )
    },
    Route {
        filter: Filter::Events,
        ..route("/groups/{groupId}/events", V2023, Shape::Listing)
    },
    // Federation (WRITE-AND-FEDERATION-NOTES §B1): the org's settings, its connected
    // configuration and role mappings, and the providers of the settings. An org without
    // federation has no file, so its settings answer 404 (what Atlas answers is unverified).
    route("/orgs/{orgId}/federationSettings", V2023, Shape::Object),
    route(
        "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}",
        V2023,
        Shape::Object,
    ),
    Route {
        include_count: false,
        ..route(
            "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}/roleMappings",
            V2023,
            Shape::Listing,
        )
    },
    Route {
        include_count: false,
        filter: Filter::IdentityProviders,
        ..route(
            "/federationSettings/{federationSettingsId}/identityProviders",
            V2023,
            Shape::Listing,
        )
    },
    Route {
        empty: Some(EMPTY_USER_SECURITY),
        ..route("/groups/{groupId}/userSecurity", V2023, Shape::Object)
    },
    Route {
        empty: Some(EMPTY_CLOUD_PROVIDER_ACCESS),
        ..route(
            "/groups/{groupId}/cloudProviderAccess",
            V2023,
            Shape::Object,
        )
    },
    // Matched before the check route `databaseUsers/{databaseName}/{username}`: the literal
    // `certs` decides, as in Atlas, whose path has no database name.
    Route {
        parent: Some(("username", "/groups/{groupId}/databaseUsers")),
        ..route(
            "/groups/{groupId}/databaseUsers/{username}/certs",
            V2023,
            Shape::Listing,
        )
    },
];

const fn check(template: &'static str, version: &'static str, check: Check) -> Route {
    Route {
        source: Source::Check(check),
        ..route(template, version, Shape::Object)
    }
}

/// The check GETs, and the (deprecated) invitation listings they read.
pub(crate) static CHECK_ROUTES: &[Route] = &[
    check("/orgs/{orgId}/users/{userId}", V2025, Check::OrgUser),
    check("/groups/{groupId}/users/{userId}", V2025, Check::GroupUser),
    check("/orgs/{orgId}/apiKeys/{apiUserId}", V2023, Check::OrgApiKey),
    check(
        "/orgs/{orgId}/serviceAccounts/{clientId}",
        V2024,
        Check::OrgServiceAccount,
    ),
    check(
        "/groups/{groupId}/serviceAccounts/{clientId}",
        V2024,
        Check::GroupServiceAccount,
    ),
    check("/groups/{groupId}/teams/{teamId}", V2023, Check::GroupTeam),
    check(
        "/groups/{groupId}/databaseUsers/{databaseName}/{username}",
        V2023,
        Check::GroupDatabaseUser,
    ),
    check(
        "/orgs/{orgId}/invites/{invitationId}",
        V2023,
        Check::OrgInvite,
    ),
    check(
        "/groups/{groupId}/invites/{invitationId}",
        V2023,
        Check::GroupInvite,
    ),
    route("/orgs/{orgId}/invites", V2023, Shape::BareArray),
    route("/groups/{groupId}/invites", V2023, Shape::BareArray),
];

/// The listings whose items are the parents of sub-resources, with the field that names an
/// item in the sub-resource's path.
pub(crate) static PARENT_KEYS: &[(&str, &str)] = &[
    ("/orgs/{orgId}/apiKeys", "id"),
    ("/orgs/{orgId}/serviceAccounts", "clientId"),
    ("/groups/{groupId}/clusters", "name"),
    ("/groups/{groupId}/databaseUsers", "username"),
];

/// A request path matched against a route, with the values of its parameters.
#[derive(Debug)]
pub(crate) struct Matched<'p> {
    /// The route that matched.
    pub route: &'static Route,
    /// Parameter name (without braces) and value, in path order.
    pub params: Vec<(&'static str, &'p str)>,
}

impl Matched<'_> {
    /// The value of a path parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
}

/// Matches a path below `/api/atlas/v2` (no query) against the route table.
pub(crate) fn match_path(path: &str) -> Option<Matched<'_>> {
    let rest = path.strip_prefix('/')?;
    let segments: Vec<&str> = rest.split('/').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return None;
    }
    ROUTES.iter().chain(CHECK_ROUTES).find_map(|route| {
        let template: Vec<&'static str> = route.template[1..].split('/').collect();
        if template.len() != segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (t, s) in template.iter().zip(&segments) {
            if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                params.push((name, *s));
            } else if t != s {
                return None;
            }
        }
        Some(Matched { route, params })
    })
}

/// Fills a template's parameters from a match (`/orgs/{orgId}/apiKeys` → `/orgs/X/apiKeys`).
pub(crate) fn fill(template: &str, matched: &Matched<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    for segment in template[1..].split('/') {
        out.push('/');
        match segment
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .and_then(|name| matched.param(name))
        {
            Some(value) => out.push_str(value),
            None => out.push_str(segment),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_templates_and_extracts_parameters() {
        let m = match_path("/orgs/abc/apiKeys/k1/accessList").unwrap();
        assert_eq!(
            m.route.template,
            "/orgs/{orgId}/apiKeys/{apiUserId}/accessList"
        );
        assert_eq!(m.param("orgId"), Some("abc"));
        assert_eq!(m.param("apiUserId"), Some("k1"));
        assert_eq!(fill("/orgs/{orgId}/apiKeys", &m), "/orgs/abc/apiKeys");

        assert_eq!(
            match_path("/groups").unwrap().route.source,
            Source::AllGroups
        );
        assert_eq!(match_path("/groups/g").unwrap().route.source, Source::Group);
        assert_eq!(
            match_path("/orgs/o/users").unwrap().route.version,
            "2025-02-19"
        );
        assert_eq!(
            match_path("/groups/g/customDBRoles/roles")
                .unwrap()
                .route
                .shape,
            Shape::BareArray
        );
    }

    #[test]
    fn certificates_are_not_taken_for_a_database_user() {
        let m = match_path("/groups/g/databaseUsers/alice/certs").unwrap();
        assert_eq!(
            m.route.template,
            "/groups/{groupId}/databaseUsers/{username}/certs"
        );
        assert_eq!(m.param("username"), Some("alice"));
        let m = match_path("/groups/g/databaseUsers/admin/alice").unwrap();
        assert_eq!(m.route.source, Source::Check(Check::GroupDatabaseUser));
        assert!(
            match_path("/groups/g/userSecurity")
                .unwrap()
                .route
                .empty
                .is_some()
        );
    }

    #[test]
    fn rejects_unknown_and_malformed_paths() {
        assert!(match_path("/orgs/").is_none());
        assert!(match_path("/orgs//users").is_none());
        assert!(match_path("/orgs/o/nothing").is_none());
        assert!(match_path("orgs").is_none());
        assert!(match_path("/").is_none());
    }

    #[test]
    fn every_template_matches_itself() {
        for route in ROUTES.iter().chain(CHECK_ROUTES) {
            let m = match_path(route.template).unwrap();
            assert_eq!(m.route.template, route.template);
        }
    }
}
