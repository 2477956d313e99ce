//! The plan's own guard rails; Atlas is not known to enforce any of them (notes A8, Part C):
//! an org keeps a human `ORG_OWNER`, the credential that runs the plan is never touched. A
//! user's last role is never removed before its replacement (the builder orders add before
//! remove), and no access-list entry is ever deleted: the plan has no step that could.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{Grant, PrincipalKind, Scope, Snapshot, Via, key};

/// The role whose last holder the plan never removes.
pub const ORG_OWNER: &str = "ORG_OWNER";

/// Guard-rail state over one plan.
pub struct Guard {
    /// Per org: the owners, and whether each is a person with an active membership.
    owners: BTreeMap<String, BTreeMap<String, bool>>,
    /// Owners the plan already takes away, per org.
    removed: BTreeMap<String, BTreeSet<String>>,
    /// The principal key of the credential that runs the plan.
    credential: Option<String>,
}

impl Guard {
    /// The owners of every org of the snapshot and the credential's principal key.
    pub fn new(snapshot: &Snapshot) -> Self {
        let principals: std::collections::HashMap<&str, &crate::model::Principal> = snapshot
            .principals
            .iter()
            .map(|p| (p.key.as_str(), p))
            .collect();
        let mut owners: BTreeMap<String, BTreeMap<String, bool>> = BTreeMap::new();
        for g in snapshot.grants.iter().filter(|g| is_owner_grant(g)) {
            let human = principals.get(g.principal.as_str()).is_some_and(|p| {
                p.kind == PrincipalKind::AtlasUser && is_active(p, g.scope.org_id())
            });
            owners
                .entry(g.scope.org_id().to_string())
                .or_default()
                .insert(g.principal.clone(), human);
        }
        Guard {
            owners,
            removed: BTreeMap::new(),
            credential: credential_key(&snapshot.meta.credential),
        }
    }

    /// Whether a principal is the credential that runs the plan.
    pub fn is_credential(&self, principal: &str) -> bool {
        self.credential.as_deref() == Some(principal)
    }

    /// Takes `principal`'s `ORG_OWNER` on `org` away, if the org keeps a human owner after
    /// everything the plan already takes away; otherwise says why not and takes nothing.
    ///
    /// # Errors
    /// The reason, when it would leave the org without a human owner.
    pub fn remove_owner(&mut self, org: &str, principal: &str) -> Result<(), String> {
        let Some(owners) = self.owners.get(org) else {
            return Ok(());
        };
        if !owners.contains_key(principal) {
            return Ok(());
        }
        let removed = self.removed.entry(org.to_string()).or_default();
        let humans_left = owners
            .iter()
            .filter(|(k, human)| **human && *k != principal && !removed.contains(*k))
            .count();
        if humans_left == 0 {
            return Err(format!(
                "it would leave org {org} without a person as ORG_OWNER (Atlas is not known to prevent this); make someone else owner first, then plan again"
            ));
        }
        removed.insert(principal.to_string());
        Ok(())
    }
}

fn is_owner_grant(g: &Grant) -> bool {
    matches!(g.scope, Scope::Org { .. }) && g.role == ORG_OWNER && g.via == Via::Direct
}

fn is_active(p: &crate::model::Principal, org: &str) -> bool {
    match &p.detail {
        crate::model::PrincipalDetail::AtlasUser(u) => u
            .memberships
            .iter()
            .any(|m| m.org_id == org && m.status == "ACTIVE"),
        _ => false,
    }
}

/// The principal key of `meta.credential` (`api_key:<publicKey>`, `service_account:<id>`).
pub fn credential_key(credential: &str) -> Option<String> {
    if let Some(pk) = credential.strip_prefix("api_key:") {
        Some(key::api_key(pk))
    } else {
        credential
            .strip_prefix("service_account:")
            .map(key::service_account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::Estate;

    #[test]
    fn the_last_human_owner_stays_whatever_keys_own() {
        let mut e = Estate::new();
        e.user("o1", "ann@example.com");
        e.user("o1", "bob@example.com");
        e.api_key("o1", "k1");
        for p in ["user:ann@example.com", "user:bob@example.com", "apikey:k1"] {
            e.org_role(p, "o1", ORG_OWNER);
        }
        let mut g = Guard::new(&e.snapshot);
        assert_eq!(g.remove_owner("o1", "apikey:k1"), Ok(()));
        assert_eq!(g.remove_owner("o1", "user:ann@example.com"), Ok(()));
        let err = g.remove_owner("o1", "user:bob@example.com").unwrap_err();
        assert!(err.contains("without a person as ORG_OWNER"), "{err}");
        // Someone who is not an owner is never in the way.
        assert_eq!(g.remove_owner("o1", "user:cy@example.com"), Ok(()));
    }

    #[test]
    fn a_pending_owner_is_not_a_person_who_can_run_the_org() {
        let mut e = Estate::new();
        e.user("o1", "ann@example.com");
        e.user("o1", "new@example.com");
        if let crate::model::PrincipalDetail::AtlasUser(u) =
            &mut e.principal_mut("user:new@example.com").detail
        {
            u.memberships[0].status = "PENDING".into();
        }
        e.org_role("user:ann@example.com", "o1", ORG_OWNER);
        e.org_role("user:new@example.com", "o1", ORG_OWNER);
        let mut g = Guard::new(&e.snapshot);
        assert!(g.remove_owner("o1", "user:ann@example.com").is_err());
    }

    #[test]
    fn the_credential_is_known_by_its_principal_key() {
        assert_eq!(credential_key("api_key:abcd"), Some("apikey:abcd".into()));
        assert_eq!(
            credential_key("service_account:mdb_sa_id_1"),
            Some("sa:mdb_sa_id_1".into())
        );
        assert_eq!(credential_key(""), None);
    }
}
