//! The catalogue of Atlas endpoints the collector reads: each with its operation id, path
//! template, media-type version and how its listing comes back.

/// How an endpoint returns its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One object.
    Object,
    /// The paginated envelope `{results, totalCount, links}`; `include_count` says whether the
    /// endpoint takes `includeCount`.
    Paged {
        /// Whether `includeCount` is a parameter of this endpoint.
        include_count: bool,
    },
    /// A bare JSON array, not paginated.
    BareArray,
}

/// One Atlas Administration API v2 operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// Atlas's operation id, used in logs, tallies and coverage entries.
    pub name: &'static str,
    /// Path template below `/api/atlas/v2`, for people reading logs.
    pub template: &'static str,
    /// Media-type version for the `Accept` header.
    pub version: &'static str,
    /// How the data comes back.
    pub shape: Shape,
    /// Atlas's `totalCount` for this listing is an estimate that may disagree with the items a
    /// complete read returns (events: the spec says so, and recordings show it), so a
    /// disagreement is not a sign of a listing cut short.
    pub count_is_estimate: bool,
}

impl Endpoint {
    /// The `Accept` header value this endpoint wants.
    pub fn accept(&self) -> String {
        format!("application/vnd.atlas.{}+json", self.version)
    }
}

const fn paged(name: &'static str, template: &'static str, version: &'static str) -> Endpoint {
    Endpoint {
        name,
        template,
        version,
        shape: Shape::Paged {
            include_count: true,
        },
        count_is_estimate: false,
    }
}

const fn paged_no_count(
    name: &'static str,
    template: &'static str,
    version: &'static str,
) -> Endpoint {
    Endpoint {
        name,
        template,
        version,
        shape: Shape::Paged {
            include_count: false,
        },
        count_is_estimate: false,
    }
}

const fn object(name: &'static str, template: &'static str, version: &'static str) -> Endpoint {
    Endpoint {
        name,
        template,
        version,
        shape: Shape::Object,
        count_is_estimate: false,
    }
}

/// A paged listing whose `totalCount` is an estimate (events).
const fn paged_estimate(
    name: &'static str,
    template: &'static str,
    version: &'static str,
) -> Endpoint {
    Endpoint {
        count_is_estimate: true,
        ..paged(name, template, version)
    }
}

const V2023: &str = "2023-01-01";
/// User listings: the 2023-01-01 version hides pending users and sunsets 2027-07-01.
const V_USERS: &str = "2025-02-19";
/// Service accounts and clusters.
const V2024: &str = "2024-08-05";
/// Flex clusters.
const V_FLEX: &str = "2024-11-13";
/// Identity-provider GET by id: 2023-01-01 (SAML only) was sunset on 2025-01-01.
const V_IDP: &str = "2023-11-15";

/// `GET /orgs`
pub const LIST_ORGS: Endpoint = paged("listOrgs", "/orgs", V2023);
/// `GET /orgs/{orgId}`
pub const GET_ORG: Endpoint = object("getOrg", "/orgs/{orgId}", V2023);
/// `GET /orgs/{orgId}/settings`
pub const ORG_SETTINGS: Endpoint = object("getOrgSettings", "/orgs/{orgId}/settings", V2023);
/// `GET /orgs/{orgId}/groups`
pub const ORG_PROJECTS: Endpoint = paged("getOrgGroups", "/orgs/{orgId}/groups", V2023);
/// `GET /groups/{groupId}`
pub const GET_PROJECT: Endpoint = object("getGroup", "/groups/{groupId}", V2023);
/// `GET /orgs/{orgId}/users` (every membership status)
pub const ORG_USERS: Endpoint = paged("listOrgUsers", "/orgs/{orgId}/users", V_USERS);
/// `GET /orgs/{orgId}/teams`
pub const ORG_TEAMS: Endpoint = paged("listOrgTeams", "/orgs/{orgId}/teams", V2023);
/// `GET /orgs/{orgId}/apiKeys`
pub const ORG_API_KEYS: Endpoint = paged("listOrgApiKeys", "/orgs/{orgId}/apiKeys", V2023);
/// `GET /orgs/{orgId}/apiKeys/{apiUserId}/accessList`
pub const API_KEY_ACCESS_LIST: Endpoint = paged(
    "listOrgApiKeyAccessListEntries",
    "/orgs/{orgId}/apiKeys/{apiUserId}/accessList",
    V2023,
);
/// `GET /orgs/{orgId}/serviceAccounts`
pub const ORG_SERVICE_ACCOUNTS: Endpoint = paged_no_count(
    "listOrgServiceAccounts",
    "/orgs/{orgId}/serviceAccounts",
    V2024,
);
/// `GET /orgs/{orgId}/serviceAccounts/{clientId}/groups`
pub const SERVICE_ACCOUNT_PROJECTS: Endpoint = paged_no_count(
    "getOrgServiceAccountGroups",
    "/orgs/{orgId}/serviceAccounts/{clientId}/groups",
    V2024,
);
/// `GET /orgs/{orgId}/serviceAccounts/{clientId}/accessList`
pub const SERVICE_ACCOUNT_ACCESS_LIST: Endpoint = paged(
    "listOrgServiceAccountAccessList",
    "/orgs/{orgId}/serviceAccounts/{clientId}/accessList",
    V2024,
);
/// `GET /orgs/{orgId}/events`
pub const ORG_EVENTS: Endpoint = paged_estimate("listOrgEvents", "/orgs/{orgId}/events", V2023);
/// `GET /groups/{groupId}/settings`
pub const PROJECT_SETTINGS: Endpoint =
    object("getGroupSettings", "/groups/{groupId}/settings", V2023);
/// `GET /groups/{groupId}/accessList`
pub const PROJECT_ACCESS_LIST: Endpoint = paged(
    "listGroupAccessListEntries",
    "/groups/{groupId}/accessList",
    V2023,
);
/// `GET /groups/{groupId}/auditLog`
pub const PROJECT_AUDIT_LOG: Endpoint =
    object("getGroupAuditLog", "/groups/{groupId}/auditLog", V2023);
/// `GET /groups/{groupId}/clusters`
pub const PROJECT_CLUSTERS: Endpoint =
    paged("listGroupClusters", "/groups/{groupId}/clusters", V2024);
/// `GET /groups/{groupId}/flexClusters`: Flex clusters, which the clusters listing leaves out.
pub const PROJECT_FLEX_CLUSTERS: Endpoint = paged(
    "listGroupFlexClusters",
    "/groups/{groupId}/flexClusters",
    V_FLEX,
);
/// `GET /groups/{groupId}/teams`
pub const PROJECT_TEAMS: Endpoint = paged("listGroupTeams", "/groups/{groupId}/teams", V2023);
/// `GET /groups/{groupId}/databaseUsers`
pub const DATABASE_USERS: Endpoint = paged(
    "listGroupDatabaseUsers",
    "/groups/{groupId}/databaseUsers",
    V2023,
);
/// `GET /groups/{groupId}/customDBRoles/roles` (a bare array)
pub const CUSTOM_DB_ROLES: Endpoint = Endpoint {
    name: "listGroupCustomDbRoleRoles",
    template: "/groups/{groupId}/customDBRoles/roles",
    version: V2023,
    shape: Shape::BareArray,
    count_is_estimate: false,
};
/// `GET /groups/{groupId}/dbAccessHistory/clusters/{clusterName}`
pub const ACCESS_HISTORY: Endpoint = object(
    "getGroupDbAccessHistoryCluster",
    "/groups/{groupId}/dbAccessHistory/clusters/{clusterName}",
    V2023,
);
/// `GET /groups/{groupId}/events`
pub const PROJECT_EVENTS: Endpoint =
    paged_estimate("listGroupEvents", "/groups/{groupId}/events", V2023);
/// `GET /orgs/{orgId}/federationSettings` (Organization Owner)
pub const ORG_FEDERATION_SETTINGS: Endpoint = object(
    "getOrgFederationSettings",
    "/orgs/{orgId}/federationSettings",
    V2023,
);
/// `GET /federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}`
pub const CONNECTED_ORG_CONFIG: Endpoint = object(
    "getFederationSettingConnectedOrgConfig",
    "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}",
    V2023,
);
/// `GET /federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}/roleMappings`:
/// the spec declares no paging parameters, but the answer is the paged envelope.
pub const ROLE_MAPPINGS: Endpoint = paged_no_count(
    "listFederationSettingConnectedOrgConfigRoleMappings",
    "/federationSettings/{federationSettingsId}/connectedOrgConfigs/{orgId}/roleMappings",
    V2023,
);
/// `GET /federationSettings/{federationSettingsId}/identityProviders`: lists only SAML
/// workforce providers unless both `protocol` and both `idpType` values are asked for.
pub const IDENTITY_PROVIDERS: Endpoint = paged_no_count(
    "listFederationSettingIdentityProviders",
    "/federationSettings/{federationSettingsId}/identityProviders",
    V2023,
);
/// `GET /federationSettings/{federationSettingsId}/identityProviders/{identityProviderId}`
/// (not called by the walk, the listing has every field; the recordings test reads it).
pub const IDENTITY_PROVIDER: Endpoint = object(
    "getFederationSettingIdentityProvider",
    "/federationSettings/{federationSettingsId}/identityProviders/{identityProviderId}",
    V_IDP,
);
/// `GET /groups/{groupId}/invites`: invitations made per project, a bare array with no paging.
/// Deprecated (sunset 2027-07-01) and needs Project Owner, but it shows invitations the user
/// listings do not.
pub const GROUP_INVITES: Endpoint = Endpoint {
    name: "listGroupInvites",
    template: "/groups/{groupId}/invites",
    version: V2023,
    shape: Shape::BareArray,
    count_is_estimate: false,
};
/// `GET /groups/{groupId}/userSecurity`: LDAP and customer X.509 (needs Project Owner).
pub const USER_SECURITY: Endpoint = object(
    "getGroupUserSecurity",
    "/groups/{groupId}/userSecurity",
    V2023,
);
/// `GET /groups/{groupId}/databaseUsers/{username}/certs`: the unexpired certificates of an
/// Atlas-managed X.509 database user.
pub const DATABASE_USER_CERTS: Endpoint = paged(
    "listGroupDatabaseUserCerts",
    "/groups/{groupId}/databaseUsers/{username}/certs",
    V2023,
);
/// `GET /groups/{groupId}/cloudProviderAccess`: one object of three lists, not paginated.
pub const CLOUD_PROVIDER_ACCESS: Endpoint = object(
    "listGroupCloudProviderAccess",
    "/groups/{groupId}/cloudProviderAccess",
    V2023,
);

/// Every endpoint the collector may call, for tests and documentation.
pub const ALL: &[Endpoint] = &[
    LIST_ORGS,
    GET_ORG,
    ORG_SETTINGS,
    ORG_PROJECTS,
    GET_PROJECT,
    ORG_USERS,
    ORG_TEAMS,
    ORG_API_KEYS,
    API_KEY_ACCESS_LIST,
    ORG_SERVICE_ACCOUNTS,
    SERVICE_ACCOUNT_PROJECTS,
    SERVICE_ACCOUNT_ACCESS_LIST,
    ORG_EVENTS,
    PROJECT_SETTINGS,
    PROJECT_ACCESS_LIST,
    PROJECT_AUDIT_LOG,
    PROJECT_CLUSTERS,
    PROJECT_FLEX_CLUSTERS,
    PROJECT_TEAMS,
    DATABASE_USERS,
    CUSTOM_DB_ROLES,
    ACCESS_HISTORY,
    PROJECT_EVENTS,
    ORG_FEDERATION_SETTINGS,
    CONNECTED_ORG_CONFIG,
    ROLE_MAPPINGS,
    IDENTITY_PROVIDERS,
    GROUP_INVITES,
    USER_SECURITY,
    DATABASE_USER_CERTS,
    CLOUD_PROVIDER_ACCESS,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_follow_the_api_notes() {
        assert_eq!(ORG_USERS.accept(), "application/vnd.atlas.2025-02-19+json");
        assert_eq!(ORG_SERVICE_ACCOUNTS.version, "2024-08-05");
        assert_eq!(PROJECT_CLUSTERS.version, "2024-08-05");
        assert_eq!(CUSTOM_DB_ROLES.shape, Shape::BareArray);
        assert_eq!(GROUP_INVITES.shape, Shape::BareArray);
        assert_eq!(CLOUD_PROVIDER_ACCESS.shape, Shape::Object);
        assert_eq!(DATABASE_USER_CERTS.version, "2023-01-01");
        let mut names: Vec<_> = ALL.iter().map(|e| e.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len(), "operation ids are unique");
    }
}
