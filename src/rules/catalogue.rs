//! The rule catalogue: every rule id, written exactly as in every output, policy file and
//! exemption, with its default severity, what it checks and why it matters. The ids are a
//! contract other tools read; a test pins the list.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Severity;

macro_rules! catalogue {
    ($( $variant:ident = $id:literal, $family:ident, $severity:ident,
        checks: $checks:literal, why: $why:literal; )*) => {
        /// A rule of the catalogue.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $(
                #[doc = $checks]
                $variant,
            )*
        }

        impl RuleId {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant),*];

            /// The id as written in every output: `UPPER_SNAKE_CASE`.
            pub fn as_str(self) -> &'static str {
                match self { $(RuleId::$variant => $id),* }
            }

            /// The rule's family (the file it lives in).
            pub fn family(self) -> Family {
                match self { $(RuleId::$variant => Family::$family),* }
            }

            /// The severity when the policy does not override it.
            pub fn default_severity(self) -> Severity {
                match self { $(RuleId::$variant => Severity::$severity),* }
            }

            /// What the rule flags, in one sentence.
            pub fn checks(self) -> &'static str {
                match self { $(RuleId::$variant => $checks),* }
            }

            /// Why it matters to an access review.
            pub fn why(self) -> &'static str {
                match self { $(RuleId::$variant => $why),* }
            }
        }
    };
}

catalogue! {
    OrgMfaNotRequired = "ORG_MFA_NOT_REQUIRED", Org, High,
        checks: "The organization does not require multi-factor authentication (multiFactorAuthRequired is false).",
        why: "A stolen or guessed password alone opens the Atlas console, with every role its owner holds.";
    OrgApiAccessListNotRequired = "ORG_API_ACCESS_LIST_NOT_REQUIRED", Org, Medium,
        checks: "The organization does not require an IP access list for Admin API calls (apiAccessListRequired is false).",
        why: "A leaked API key or service-account secret works from anywhere on the internet.";
    OrgEmployeeAccessUnrestricted = "ORG_EMPLOYEE_ACCESS_UNRESTRICTED", Org, Low,
        checks: "MongoDB support staff may reach the organization's infrastructure without a grant (restrictEmployeeAccess is false).",
        why: "Third-party access to production systems should be granted case by case and recorded.";
    OrgNoSecurityContact = "ORG_NO_SECURITY_CONTACT", Org, Low,
        checks: "The organization names no security contact.",
        why: "MongoDB's security notices about the organization reach nobody in particular.";
    OrgOwnerCount = "ORG_OWNER_COUNT", Org, Medium,
        checks: "The number of active people holding ORG_OWNER is outside [min_org_owners, max_org_owners] (2..3).",
        why: "One owner is a single point of failure; many owners is unchecked power over every project.";
    ProjectNetworkOpen = "PROJECT_NETWORK_OPEN", Project, High,
        checks: "The project's IP access list admits the whole internet (0.0.0.0/0 or ::/0).",
        why: "Database credentials are then the only barrier between the internet and the data.";
    ProjectAuditingDisabled = "PROJECT_AUDITING_DISABLED", Project, Medium,
        checks: "Database auditing is switched off for the project.",
        why: "Without an audit log nobody can show who read or changed data, which most frameworks require.";
    ClusterEmployeeAccess = "CLUSTER_EMPLOYEE_ACCESS", Project, Medium,
        checks: "A cluster carries an active grant that lets MongoDB staff reach it (mongoDBEmployeeAccessGrant).",
        why: "Third-party access to a cluster should be deliberate, time-boxed and reviewed.";
    UserInactive = "USER_INACTIVE", User, Medium,
        checks: "An active Atlas user has not logged in (lastAuth, or createdAt if never) for more than inactive_days (90); high if the user holds a privileged role.",
        why: "Dormant accounts keep their access and are a favourite way in; access no longer used should be removed.";
    UserInviteStale = "USER_INVITE_STALE", User, Low,
        checks: "A pending invitation is older than invite_max_days (30), or has expired and is still listed.",
        why: "Old invitations grant access to whoever finally accepts them, long after the need was approved.";
    UserOrgOwner = "USER_ORG_OWNER", User, Medium,
        checks: "A person holds ORG_OWNER.",
        why: "Organization owners control every project, user, key and setting; each one should be confirmed.";
    UserPrivilegedProjectRole = "USER_PRIVILEGED_PROJECT_ROLE", User, Medium,
        checks: "A person holds a role in privileged_project_roles, directly, through a team, or implied by an org role.",
        why: "These roles manage data access, database users, network access or the project itself.";
    UserUnusedPrivilege = "USER_UNUSED_PRIVILEGE", User, Medium,
        checks: "A person holds a privileged project role yet authored no event in the last lookback_days (90).",
        why: "Privilege that is not used should be lowered to a read-only role (least privilege).";
    ApikeyPrivileged = "APIKEY_PRIVILEGED", ApiKey, High,
        checks: "A programmatic API key holds ORG_OWNER or GROUP_OWNER.",
        why: "A leaked key with owner rights can do anything, and keys are shared, copied and forgotten.";
    ApikeyNoAccessList = "APIKEY_NO_ACCESS_LIST", ApiKey, High,
        checks: "An API key has no IP access-list entry, or one open to the whole internet.",
        why: "Without an access list a leaked key works from anywhere.";
    ApikeyUnused = "APIKEY_UNUSED", ApiKey, Medium,
        checks: "An API key was last used (access-list lastUsed) more than inactive_days (90) ago, or never.",
        why: "Unused keys are standing credentials with no owner watching them; revoke them.";
    SaPrivileged = "SA_PRIVILEGED", ServiceAccount, High,
        checks: "A service account holds ORG_OWNER or GROUP_OWNER.",
        why: "A leaked client secret with owner rights can do anything in the organization or project.";
    SaNoAccessList = "SA_NO_ACCESS_LIST", ServiceAccount, Medium,
        checks: "A service account has no IP access-list entry.",
        why: "Without an access list a leaked client secret works from anywhere.";
    SaUnused = "SA_UNUSED", ServiceAccount, Medium,
        checks: "No secret of a service account was used within inactive_days (90).",
        why: "Unused machine identities are standing credentials nobody watches; remove them.";
    SaSecretExpiring = "SA_SECRET_EXPIRING", ServiceAccount, Low,
        checks: "A service-account secret expires within secret_warning_days (14), or has expired.",
        why: "An expiring secret breaks automation; an expired one left in place is clutter that hides real ones.";
    SaSecretLongLived = "SA_SECRET_LONG_LIVED", ServiceAccount, Medium,
        checks: "A service-account secret is valid for longer than max_secret_days (90).",
        why: "Long-lived secrets widen the window in which a leaked secret is useful.";
    TeamEmptyWithRoles = "TEAM_EMPTY_WITH_ROLES", Team, Low,
        checks: "A team that holds project roles has no members.",
        why: "Anyone later added to the team silently inherits its roles.";
    DbuserAdminRole = "DBUSER_ADMIN_ROLE", DatabaseUser, High,
        checks: "A database user holds a cluster-wide admin role: atlasAdmin, readWriteAnyDatabase, dbAdminAnyDatabase (high); readAnyDatabase, backup, clusterMonitor, enableSharding (medium).",
        why: "Any-database roles reach every database on every cluster the user can log in to.";
    DbuserUnscoped = "DBUSER_UNSCOPED", DatabaseUser, Medium,
        checks: "A database user with a write or admin role is not limited to named clusters (no scopes).",
        why: "Unscoped users reach every cluster of the project, including ones created later.";
    DbuserDangerousCustomRole = "DBUSER_DANGEROUS_CUSTOM_ROLE", DatabaseUser, High,
        checks: "A database user holds a custom role with high-risk actions (drop, kill, bypass validation, export to cloud storage, ...) on any database or the cluster.",
        why: "Custom roles hide destructive or exfiltrating power behind a harmless-looking name.";
    DbuserPasswordAuthProd = "DBUSER_PASSWORD_AUTH_PROD", DatabaseUser, Medium,
        checks: "A password (SCRAM) database user exists in a project tagged as production (production_tags).",
        why: "Shared, long-lived passwords are the weakest way into production data; prefer X.509, IAM or OIDC.";
    DbuserOrphaned = "DBUSER_ORPHANED", DatabaseUser, High,
        checks: "A database user is named after a person (email or its local part) who is no longer an active member of the organization.",
        why: "The person left, but their database credentials still work.";
    DbuserInactive = "DBUSER_INACTIVE", DatabaseUser, Medium,
        checks: "A database user made no successful authentication over an observed access-log window of at least inactive_days (90).",
        why: "Database credentials that nobody uses should be removed before someone else does.";
    FederationRoleMappingPrivileged = "FEDERATION_ROLE_MAPPING_PRIVILEGED", Federation, High,
        checks: "A federation role mapping gives an identity-provider group ORG_OWNER (high) or a role in privileged_project_roles (medium).",
        why: "Whoever the identity provider puts in the group gets the role at the next sign-in, without anyone in Atlas approving it.";
    FederationDomainRestrictionOff = "FEDERATION_DOMAIN_RESTRICTION_OFF", Federation, Medium,
        checks: "A federated org does not restrict membership to its domains (domainRestrictionEnabled is false).",
        why: "Accounts outside the company's domains can join an org the company believes closed to them.";
    UserNotFederated = "USER_NOT_FEDERATED", Federation, Low,
        checks: "In an org whose members should sign in through the identity provider, a person's username is outside its associated domains (and the policy's company_domains).",
        why: "Such an account signs in with an Atlas password, outside the company's identity provider and its offboarding.";
    DbuserCertExpiring = "DBUSER_CERT_EXPIRING", DatabaseUser, Low,
        checks: "An Atlas-managed X.509 certificate of a database user expires within secret_warning_days (14), or has expired while the user still exists.",
        why: "An expiring certificate breaks the application that uses it; an expired one left behind hides which credentials are live.";
    DbuserCertLongLived = "DBUSER_CERT_LONG_LIVED", DatabaseUser, Medium,
        checks: "An Atlas-managed X.509 certificate of a database user is valid (notAfter − createdAt) for longer than max_certificate_days (93; Atlas issues three months and an hour by default).",
        why: "A long-lived certificate is a database credential that keeps working for as long, wherever it was copied.";
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for RuleId {
    type Err = String;

    /// Parses an id exactly as written (`UPPER_SNAKE_CASE`); the error suggests the nearest id.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RuleId::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| match RuleId::nearest(s) {
                Some(near) => format!("unknown rule id {s:?}; did you mean {near}?"),
                None => format!("unknown rule id {s:?}; `atlas-audit rules` lists them"),
            })
    }
}

impl RuleId {
    /// The catalogue id closest to `s` (by edit distance, case-insensitive), when one is close.
    pub fn nearest(s: &str) -> Option<RuleId> {
        let wanted = s.to_ascii_uppercase().replace('-', "_");
        RuleId::ALL
            .iter()
            .map(|r| (strsim::levenshtein(&wanted, r.as_str()), *r))
            .min()
            .filter(|(d, r)| *d <= (r.as_str().len() / 3).max(3))
            .map(|(_, r)| r)
    }
}

impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Rule ids are strings in every file: the schema lists each id with what it checks.
impl schemars::JsonSchema for RuleId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RuleId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let ids: Vec<serde_json::Value> = RuleId::ALL
            .iter()
            .map(|r| serde_json::json!({ "const": r.as_str(), "description": r.checks() }))
            .collect();
        schemars::json_schema!({
            "description": "A rule id of the catalogue (`atlas-audit rules` lists them).",
            "type": "string",
            "oneOf": ids,
        })
    }
}

/// A family of rules: one file of `rules/` each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// Organization settings and owners.
    Org,
    /// Project and cluster settings.
    Project,
    /// Atlas users (people).
    User,
    /// Programmatic API keys.
    ApiKey,
    /// Service accounts.
    ServiceAccount,
    /// Teams.
    Team,
    /// Database users.
    DatabaseUser,
    /// Federation (single sign-on).
    Federation,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_the_design_list() {
        let ids: Vec<&str> = RuleId::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(
            ids,
            [
                "ORG_MFA_NOT_REQUIRED",
                "ORG_API_ACCESS_LIST_NOT_REQUIRED",
                "ORG_EMPLOYEE_ACCESS_UNRESTRICTED",
                "ORG_NO_SECURITY_CONTACT",
                "ORG_OWNER_COUNT",
                "PROJECT_NETWORK_OPEN",
                "PROJECT_AUDITING_DISABLED",
                "CLUSTER_EMPLOYEE_ACCESS",
                "USER_INACTIVE",
                "USER_INVITE_STALE",
                "USER_ORG_OWNER",
                "USER_PRIVILEGED_PROJECT_ROLE",
                "USER_UNUSED_PRIVILEGE",
                "APIKEY_PRIVILEGED",
                "APIKEY_NO_ACCESS_LIST",
                "APIKEY_UNUSED",
                "SA_PRIVILEGED",
                "SA_NO_ACCESS_LIST",
                "SA_UNUSED",
                "SA_SECRET_EXPIRING",
                "SA_SECRET_LONG_LIVED",
                "TEAM_EMPTY_WITH_ROLES",
                "DBUSER_ADMIN_ROLE",
                "DBUSER_UNSCOPED",
                "DBUSER_DANGEROUS_CUSTOM_ROLE",
                "DBUSER_PASSWORD_AUTH_PROD",
                "DBUSER_ORPHANED",
                "DBUSER_INACTIVE",
                "FEDERATION_ROLE_MAPPING_PRIVILEGED",
                "FEDERATION_DOMAIN_RESTRICTION_OFF",
                "USER_NOT_FEDERATED",
                "DBUSER_CERT_EXPIRING",
                "DBUSER_CERT_LONG_LIVED",
            ]
        );
    }

    #[test]
    fn ids_round_trip_and_typos_get_a_suggestion() {
        for r in RuleId::ALL {
            assert_eq!(r.as_str().parse::<RuleId>().unwrap(), *r);
            assert!(
                r.as_str()
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_')
            );
        }
        let err = "USER_INACTIV".parse::<RuleId>().unwrap_err();
        assert!(err.contains("did you mean USER_INACTIVE?"), "{err}");
        let err = "apikey_unused".parse::<RuleId>().unwrap_err();
        assert!(err.contains("did you mean APIKEY_UNUSED?"), "{err}");
        assert_eq!(RuleId::nearest("COMPLETELY_DIFFERENT_THING_XYZ"), None);
    }
}
