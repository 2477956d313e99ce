//! The credential that collected the snapshot, and what it may do: its kind and public identity
//! (`meta.credential`, never a secret) and, when the snapshot holds it as a principal (an API key
//! `apikey:<publicKey>` or a service account `sa:<clientId>` of an org it read), its org and
//! project roles. A coverage gap is a read that credential was refused, so the report's first
//! screen and `manifest.json` say which credential it was and what it held.

use schemars::JsonSchema;
use serde::Serialize;

use super::Review;
use crate::model::{Scope, key};

/// What the reader is told a "could not read" means.
pub const GAP_MEANING: &str = "A \"could not read\" (coverage gap) means this credential lacked the role Atlas requires for that read: give it that role, or accept the gap as named.";

/// What the reader is told when the credential's roles are not in the snapshot.
pub const NOT_VISIBLE: &str = "roles not visible to itself";

/// The collecting credential and its roles, as `manifest.json` records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CredentialAccess {
    /// `api_key` or `service_account` (as `meta.credential` names it); empty when unrecorded.
    pub kind: String,
    /// The public key or client id.
    pub identity: String,
    /// Its principal key (`apikey:<publicKey>`, `sa:<clientId>`), when the kind is known.
    pub principal: Option<String>,
    /// Whether the snapshot holds that principal, so that its roles below are known.
    pub roles_visible: bool,
    /// Its org and project roles (not the project roles its org roles imply), by scope.
    pub roles: Vec<CredentialRole>,
}

/// One role of the collecting credential.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct CredentialRole {
    /// `org:<id>` or `project:<id>`.
    pub scope: String,
    /// The org's or project's name.
    pub scope_name: String,
    /// The role, as Atlas names it.
    pub role: String,
}

impl CredentialAccess {
    /// The credential of the review's snapshot and the roles the snapshot shows it holding.
    pub fn of(review: &Review<'_>) -> CredentialAccess {
        let recorded = review.snapshot.meta.credential.as_str();
        let (kind, identity) = recorded.split_once(':').unwrap_or(("", recorded));
        let principal = match kind {
            "api_key" => Some(key::api_key(identity)),
            "service_account" => Some(key::service_account(identity)),
            _ => None,
        };
        let roles_visible = principal
            .as_deref()
            .is_some_and(|k| review.principal(k).is_some());
        let mut roles: Vec<CredentialRole> = match principal.as_deref() {
            Some(k) if roles_visible => review
                .snapshot
                .grants
                .iter()
                .filter(|g| g.principal == k && Review::reviewable(g))
                .filter_map(|g| {
                    let (scope, name) = match &g.scope {
                        Scope::Org { org_id } => (key::org(org_id), review.org_name(org_id)),
                        Scope::Project { project_id, .. } => {
                            (key::project(project_id), review.project_name(project_id))
                        }
                        Scope::Database { .. } => return None,
                    };
                    Some(CredentialRole {
                        scope,
                        scope_name: name.to_string(),
                        role: g.role.clone(),
                    })
                })
                .collect(),
            _ => Vec::new(),
        };
        roles.sort();
        roles.dedup();
        CredentialAccess {
            kind: kind.to_string(),
            identity: identity.to_string(),
            principal,
            roles_visible,
            roles,
        }
    }

    /// `API key abcdefgh`, `service account mdb_sa_id_…`, or the recorded text.
    pub fn describe(&self) -> String {
        match self.kind.as_str() {
            "api_key" => format!("API key {}", self.identity),
            "service_account" => format!("service account {}", self.identity),
            "" if self.identity.is_empty() => "not recorded".to_string(),
            other => format!("{other} {}", self.identity),
        }
    }

    /// Its roles in words, one per role (`ORG_OWNER on Northwind (org)`), or, when the snapshot
    /// does not hold the credential, [`NOT_VISIBLE`] alone (or, when it does not even name it,
    /// a sentence saying so).
    pub fn role_lines(&self) -> Vec<String> {
        if self.kind.is_empty() && self.identity.is_empty() {
            return vec!["the snapshot does not name it, so its roles are unknown".to_string()];
        }
        if !self.roles_visible {
            return vec![NOT_VISIBLE.to_string()];
        }
        if self.roles.is_empty() {
            return vec!["no org or project role".to_string()];
        }
        self.roles
            .iter()
            .map(|r| {
                let level = if r.scope.starts_with("org:") {
                    "org"
                } else {
                    "project"
                };
                format!("{} on {} ({level})", r.role, r.scope_name)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::ReportInput;
    use crate::report::sample;

    #[test]
    fn a_key_the_snapshot_holds_shows_its_roles_and_one_it_does_not_says_so() {
        let mut s = sample::ordinary();
        s.estate.snapshot.meta.credential = "api_key:abcdefgh".into();
        let input = s.input();
        let review = Review::new(&input);
        let c = CredentialAccess::of(&review);
        assert_eq!(c.principal.as_deref(), Some("apikey:abcdefgh"));
        assert!(c.roles_visible);
        assert_eq!(
            c.roles
                .iter()
                .map(|r| (r.scope.as_str(), r.role.as_str()))
                .collect::<Vec<_>>(),
            [("org:o1", "ORG_OWNER")]
        );
        assert_eq!(c.describe(), "API key abcdefgh");
        assert!(c.role_lines()[0].starts_with("ORG_OWNER on "), "{c:?}");

        let mut s = sample::ordinary();
        s.estate.snapshot.meta.credential = "service_account:mdb_sa_id_elsewhere".into();
        let input: ReportInput<'_> = s.input();
        let review = Review::new(&input);
        let c = CredentialAccess::of(&review);
        assert_eq!(c.principal.as_deref(), Some("sa:mdb_sa_id_elsewhere"));
        assert!(!c.roles_visible);
        assert!(c.roles.is_empty());
        assert_eq!(c.role_lines(), [NOT_VISIBLE]);
        assert_eq!(c.describe(), "service account mdb_sa_id_elsewhere");
    }
}
