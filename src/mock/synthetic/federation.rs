//! Synthetic federation (SSO): two orgs in three are federated, each pair of orgs sharing one
//! federation settings id (so a collection lists its identity providers once for both). Every
//! federated org has a connected configuration (domain restriction on for even orgs) and two
//! role mappings, one of them privileged; each federation has a SAML, an OIDC workforce and an
//! OIDC workload provider, the last two listed only when asked for.

use serde_json::json;

use super::Clock;
use super::kit::{DAY, object_id, raw, rfc3339};
use super::org::OrgCtx;
use crate::mock::filters::idp_kind;
use crate::mock::world::WorldBuilder;

/// The federation of one federated org: its settings id and its people's domain.
pub(crate) struct Federated {
    /// The federation settings id.
    pub settings_id: String,
    /// The org's domain.
    pub domain: String,
}

/// Whether org `index` is federated.
fn federated(index: usize) -> bool {
    index % 3 != 2
}

/// The org's settings, connected configuration and role mappings, when it is federated.
pub(crate) fn org(builder: &mut WorldBuilder, ctx: &OrgCtx, clock: &Clock) -> Option<Federated> {
    if !federated(ctx.index) {
        return None;
    }
    let pair = (ctx.index / 2) as u64;
    let settings_id = object_id(clock.now - 900 * DAY, 11, pair);
    let legacy = format!("0oa{:017}", pair);
    builder.object(
        format!("/orgs/{}/federationSettings", ctx.id),
        raw(&json!({
            "federatedDomains": [ctx.domain],
            "hasRoleMappings": true,
            "id": settings_id,
            "identityProviderId": legacy,
            "identityProviderStatus": "ACTIVE",
        })),
    );
    let first = ctx.projects.first().map(|p| p.id.as_str());
    let serial = ctx.index as u64 * 2;
    let mut admins = vec![json!({"orgId": ctx.id, "role": "ORG_MEMBER"})];
    match (ctx.index % 4, first) {
        (0, _) | (_, None) => admins.push(json!({"orgId": ctx.id, "role": "ORG_OWNER"})),
        (_, Some(p)) => admins.push(json!({"groupId": p, "role": "GROUP_OWNER"})),
    }
    let mut readers = vec![json!({"orgId": ctx.id, "role": "ORG_MEMBER"})];
    if let Some(p) = first {
        readers.push(json!({"groupId": p, "role": "GROUP_READ_ONLY"}));
    }
    let word = ctx.domain.split('.').next().unwrap_or("org");
    let mappings = vec![
        json!({
            "id": object_id(clock.now - 400 * DAY, 13, serial),
            "externalGroupName": format!("{word}-atlas-admins"),
            "roleAssignments": admins,
        }),
        json!({
            "id": object_id(clock.now - 400 * DAY, 13, serial + 1),
            "externalGroupName": format!("{word}-atlas-readers"),
            "roleAssignments": readers,
        }),
    ];
    let base = format!(
        "/federationSettings/{settings_id}/connectedOrgConfigs/{}",
        ctx.id
    );
    let restricted = ctx.index.is_multiple_of(2);
    builder.object(
        base.clone(),
        raw(&json!({
            "dataAccessIdentityProviderIds": [provider_id(clock, pair, 1)],
            "domainAllowList": if restricted { vec![ctx.domain.clone()] } else { Vec::new() },
            "domainRestrictionEnabled": restricted,
            "identityProviderId": legacy,
            "instantUserProvisioningDisabled": false,
            "orgId": ctx.id,
            "postAuthRoleGrants": ["ORG_MEMBER"],
            "roleMappings": mappings,
            "userConflicts": null,
        })),
    );
    builder.listing(
        format!("{base}/roleMappings"),
        mappings.iter().map(raw).collect(),
    );
    Some(Federated {
        settings_id,
        domain: ctx.domain.clone(),
    })
}

fn provider_id(clock: &Clock, pair: u64, n: u64) -> String {
    object_id(clock.now - 800 * DAY, 12, pair * 3 + n)
}

/// The identity providers of every federation, once each, with the domains of its orgs.
pub(crate) fn providers(builder: &mut WorldBuilder, federated: &[Federated], clock: &Clock) {
    let mut by_settings: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for f in federated {
        by_settings
            .entry(f.settings_id.as_str())
            .or_default()
            .push(f.domain.as_str());
    }
    for (pair, (settings_id, domains)) in by_settings.into_iter().enumerate() {
        let pair = pair as u64;
        let created = rfc3339(clock.now - 800 * DAY);
        let items = [
            json!({
                "associatedDomains": domains,
                "associatedOrgs": [],
                "createdAt": created,
                "displayName": format!("SSO {}", domains.join(" + ")),
                "id": provider_id(clock, pair, 0),
                "idpType": "WORKFORCE",
                "issuerUri": format!("http://www.okta.com/{settings_id}"),
                "oktaIdpId": format!("0oa{pair:017}"),
                "pemFileInfo": {"certificates": [{
                    "notAfter": rfc3339(clock.now + 200 * DAY),
                    "notBefore": created,
                }], "fileName": null},
                "protocol": "SAML",
                "status": "ACTIVE",
                "updatedAt": null,
            }),
            json!({
                "associatedDomains": domains,
                "associatedOrgs": [],
                "audience": "atlas-db",
                "authorizationType": "GROUP",
                "clientId": "atlas-db",
                "createdAt": created,
                "displayName": "Database access",
                "id": provider_id(clock, pair, 1),
                "idpType": "WORKFORCE",
                "issuerUri": "https://login.example/v2.0",
                "oktaIdpId": null,
                "protocol": "OIDC",
                "updatedAt": null,
            }),
            json!({
                "associatedOrgs": [],
                "audience": "ci",
                "authorizationType": "USER",
                "createdAt": created,
                "displayName": "ci-workloads",
                "id": provider_id(clock, pair, 2),
                "idpType": "WORKLOAD",
                "issuerUri": "https://token.ci.example",
                "oktaIdpId": null,
                "protocol": "OIDC",
                "updatedAt": null,
            }),
        ];
        let kinds = items.iter().map(idp_kind).collect();
        builder.identity_providers(
            format!("/federationSettings/{settings_id}/identityProviders"),
            items.iter().map(raw).collect(),
            kinds,
        );
    }
}
