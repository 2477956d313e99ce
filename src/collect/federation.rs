//! One org's federation (single sign-on), read with Organization Owner: its federation settings,
//! and when it has some, its connected org configuration and role mappings; then, once per
//! federation settings id however many orgs share it, the identity providers. Every read is
//! the least Atlas allows: the provider listing carries every field, so no provider is read by
//! id, and the role mappings come from one listing per org.
//!
//! What Atlas answers for an org without federation is not recorded anywhere (nor in the
//! spec): both a 404 and settings without an id are read as "no federation", not as a gap.

use std::collections::BTreeMap;

use futures::future::join_all;

use super::raw::{RawFederation, RawOrg};
use super::{Walk, seg};
use crate::atlas::endpoint as ep;
use crate::atlas::{AtlasError, types};
use crate::model::{CoverageGap, key};

/// The identity-provider listing hides OIDC and workload providers unless asked for them
/// (`spec:listFederationSettingIdentityProviders`): both values of both parameters.
pub(crate) const IDP_QUERY: [(&str, &str); 4] = [
    ("protocol", "SAML"),
    ("protocol", "OIDC"),
    ("idpType", "WORKFORCE"),
    ("idpType", "WORKLOAD"),
];

/// The role a credential needs to read federation, as the gap names it.
pub(crate) const FEDERATION_ROLE: &str = "Organization Owner";

impl Walk<'_> {
    /// A failed federation read as a gap: one refused names the role it needs.
    fn federation_gap(&self, scope: &str, error: &AtlasError) {
        match error.status() {
            Some(401 | 403) => self.record(CoverageGap {
                scope: scope.into(),
                endpoint: error.endpoint().into(),
                status: error.status(),
                error_code: error.error_code().map(str::to_string),
                reason: format!(
                    "access denied: reading federation (SSO) settings needs the {FEDERATION_ROLE} role ({error})"
                ),
            }),
            _ => self.gap(scope.into(), error),
        }
    }

    /// An org's federation without its identity providers (read later, once per settings id).
    /// `None` when the org has no federation or it could not be read (a gap).
    pub(super) async fn federation(&self, org_id: &str) -> Option<RawFederation> {
        let scope = key::org(org_id);
        let path = format!("/orgs/{}/federationSettings", seg(org_id));
        let settings = match self
            .client
            .get_object::<types::OrgFederationSettings>(&ep::ORG_FEDERATION_SETTINGS, &path, &[])
            .await
        {
            Ok(s) => s,
            // Unverified: an org without federation is assumed to answer 404 (or settings with
            // no id, below); neither is a gap.
            Err(e) if e.status() == Some(404) => return None,
            Err(e) => {
                self.federation_gap(&scope, &e);
                return None;
            }
        };
        let settings_id = settings.id.clone().filter(|id| !id.is_empty())?;
        let base = format!(
            "/federationSettings/{}/connectedOrgConfigs/{}",
            seg(&settings_id),
            seg(org_id)
        );
        let connected = match self
            .client
            .get_object::<types::ConnectedOrgConfig>(&ep::CONNECTED_ORG_CONFIG, &base, &[])
            .await
        {
            Ok(c) => Some(c),
            // Settings but no configuration for this org: it is not connected (unverified).
            Err(e) if e.status() == Some(404) => None,
            Err(e) => {
                self.federation_gap(&scope, &e);
                return Some(RawFederation {
                    settings,
                    settings_id,
                    connected: None,
                    role_mappings: None,
                    identity_providers: None,
                });
            }
        };
        // Role mappings exist only for a connected org. The configuration may embed them, but
        // every recording embeds `[]`: the listing is the source.
        let role_mappings = match connected {
            Some(_) => {
                let path = format!("{base}/roleMappings");
                match self
                    .client
                    .get_all::<types::AuthFederationRoleMapping>(&ep::ROLE_MAPPINGS, &path, &[])
                    .await
                {
                    Ok(listing) => Some(listing.items),
                    Err(e) => {
                        self.federation_gap(&scope, &e);
                        None
                    }
                }
            }
            None => Some(Vec::new()),
        };
        Some(RawFederation {
            settings,
            settings_id,
            connected,
            role_mappings,
            identity_providers: None,
        })
    }

    /// Reads each federation's identity providers once, however many orgs share it, and gives
    /// them to every org of it. A listing that cannot be read is a gap of each of those orgs.
    pub(super) async fn identity_providers(&self, orgs: &mut [RawOrg]) {
        let mut by_settings: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for org in orgs.iter() {
            if let Some(f) = &org.federation {
                by_settings
                    .entry(f.settings_id.clone())
                    .or_default()
                    .push(org.org.id.clone());
            }
        }
        let query: Vec<(&str, String)> = IDP_QUERY
            .iter()
            .map(|(k, v)| (*k, (*v).to_string()))
            .collect();
        let query = &query;
        let read = join_all(by_settings.into_iter().map(|(id, org_ids)| async move {
            let path = format!("/federationSettings/{}/identityProviders", seg(&id));
            let result = self
                .client
                .get_all::<types::FederationIdentityProvider>(&ep::IDENTITY_PROVIDERS, &path, query)
                .await;
            let providers = match result {
                Ok(listing) => Some(listing.items),
                Err(e) => {
                    for org in &org_ids {
                        self.federation_gap(&key::org(org), &e);
                    }
                    None
                }
            };
            (id, providers)
        }))
        .await;
        let read: BTreeMap<String, Option<Vec<types::FederationIdentityProvider>>> =
            read.into_iter().collect();
        for org in orgs.iter_mut() {
            if let Some(f) = &mut org.federation {
                f.identity_providers = read.get(&f.settings_id).cloned().flatten();
            }
        }
    }
}
