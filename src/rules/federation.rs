//! Federation (single sign-on) rules: identity-provider groups mapped to powerful roles, a
//! federated org open to any domain, and people who sign in outside the identity provider.
//! Reading federation needs Organization Owner; where it could not be read the rules say "not
//! evaluated" for that org rather than passing it clean. An org without federation (Atlas has
//! no settings for it) is judged only where the policy says its members must use SSO.

use std::collections::BTreeSet;

use super::context::{Context, Draft, Out, describe_scope, grant_fact};
use super::finding::{Fact, FindingScope, Recommendation, Severity};
use super::org::{blocked_orgs, org_subject};
use crate::model::{Federation, Org, PrincipalDetail, PrincipalKind, Scope, Via};

/// `getOrgFederationSettings`.
const SETTINGS: &str = "getOrgFederationSettings";
/// `getFederationSettingConnectedOrgConfig`.
const CONNECTED: &str = "getFederationSettingConnectedOrgConfig";
/// `listFederationSettingConnectedOrgConfigRoleMappings`.
const MAPPINGS: &str = "listFederationSettingConnectedOrgConfigRoleMappings";
/// `listFederationSettingIdentityProviders`.
const PROVIDERS: &str = "listFederationSettingIdentityProviders";
/// The org role a role mapping must not hand out lightly.
const ORG_OWNER: &str = "ORG_OWNER";

/// FEDERATION_ROLE_MAPPING_PRIVILEGED: one finding per identity-provider group whose role
/// mapping gives ORG_OWNER (high) or a privileged project role (medium).
pub(super) fn role_mapping_privileged(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let blocked = blocked_orgs(ctx, out, &[SETTINGS, CONNECTED, MAPPINGS]);
    let privileged = &ctx.policy.roles.privileged_project_roles;
    for group in ctx.principals(PrincipalKind::IdpGroup) {
        let Some(org_id) = group.org_ids.first().map(String::as_str) else {
            continue;
        };
        if blocked.contains(org_id) {
            continue;
        }
        let mapped: Vec<_> = ctx
            .grants(&group.key)
            .iter()
            .copied()
            .filter(|g| matches!(g.via, Via::IdpGroup(_)))
            .filter(|g| match g.scope {
                Scope::Org { .. } => g.role == ORG_OWNER,
                _ => privileged.contains(&g.role),
            })
            .collect();
        if mapped.is_empty() {
            continue;
        }
        let owner = mapped.iter().any(|g| g.role == ORG_OWNER);
        let held: Vec<String> = mapped
            .iter()
            .map(|g| format!("{} on {}", g.role, describe_scope(ctx, &g.scope)))
            .collect();
        let mut facts: Vec<Fact> = mapped.iter().map(|g| grant_fact(ctx, g)).collect();
        facts.push(Fact::new("externalGroupName", &group.name));
        let draft = Draft::new(
            group,
            FindingScope::org(org_id),
            format!(
                "Identity-provider group {} is mapped to {}",
                group.name,
                if owner {
                    ORG_OWNER
                } else {
                    "a privileged project role"
                }
            ),
            format!(
                "The federation role mapping of org {} gives every member of identity-provider group {} {}: membership is managed at the identity provider, so whoever is added there gets the role at the next sign-in.",
                ctx.org_name(org_id),
                group.name,
                held.join("; ")
            ),
            facts,
            Recommendation::revoke(format!(
                "Narrow the role mapping of {} in the org's federation settings to the least role its members need (ORG_MEMBER with read-only project roles), or confirm who may join the group at the identity provider and record it as an exemption.",
                group.name
            )),
        );
        out.flag(draft.with_severity(if owner {
            Severity::High
        } else {
            Severity::Medium
        }));
    }
}

/// FEDERATION_DOMAIN_RESTRICTION_OFF: a connected org whose `domainRestrictionEnabled` is false.
pub(super) fn domain_restriction_off(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let blocked = blocked_orgs(ctx, out, &[SETTINGS, CONNECTED]);
    for org in &ctx.snapshot.orgs {
        if blocked.contains(org.id.as_str()) {
            continue;
        }
        let Some(f) = &org.federation else { continue };
        let Some(c) = &f.connected else { continue };
        let scope = FindingScope::org(&org.id);
        match c.domain_restriction_enabled {
            Some(true) => {}
            None => out.not_evaluated(
                scope,
                None,
                "Atlas did not report domainRestrictionEnabled for the org's federation, so whether it is on was not judged",
            ),
            Some(false) => {
                let domains = federation_domains(f);
                out.flag(Draft::new(
                    org_subject(org),
                    scope,
                    format!("Federated org {} does not restrict its members' domains", org.name),
                    format!(
                        "Org {} ({}) signs in through its identity provider, but domainRestrictionEnabled is false: accounts of any domain, not only {}, can be invited and join.",
                        org.name,
                        org.id,
                        if domains.is_empty() {
                            "the company's".to_string()
                        } else {
                            domains.iter().cloned().collect::<Vec<_>>().join(", ")
                        }
                    ),
                    vec![
                        Fact::new("domainRestrictionEnabled", false),
                        Fact::new("domainAllowList", &c.domain_allow_list),
                        Fact::new("federatedDomains", &f.federated_domains),
                    ],
                    Recommendation::modify(
                        "domainRestrictionEnabled: true",
                        "Turn on \"Restrict Access by Domain\" for the org in Federation Management, once every member who must stay uses a verified domain.",
                    ),
                ));
            }
        }
    }
}

/// USER_NOT_FEDERATED: in an org whose members should sign in through the identity provider
/// (an active one is connected, or the policy says so), a person whose username's domain is
/// outside the providers' associated domains and the policy's `company_domains`.
pub(super) fn user_not_federated(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let blocked = blocked_orgs(ctx, out, &[SETTINGS, CONNECTED, PROVIDERS, "listOrgUsers"]);
    let policy = &ctx.policy.federation;
    for org in &ctx.snapshot.orgs {
        if blocked.contains(org.id.as_str()) {
            continue;
        }
        let active_idp = org.federation.as_ref().is_some_and(|f| {
            f.connected.is_some() && f.providers_in_use().any(|p| p.is_active_workforce())
        });
        if !active_idp && !policy.requires_sso(&org.id) {
            continue;
        }
        let mut domains: BTreeSet<String> =
            org.federation.iter().flat_map(federation_domains).collect();
        domains.extend(policy.company_domains.iter().cloned());
        let scope = FindingScope::org(&org.id);
        if domains.is_empty() {
            out.not_evaluated(
                scope,
                None,
                "no domain is known for the org's identity provider: Atlas lists none and the policy names none; give them in [federation] company_domains",
            );
            continue;
        }
        flag_outsiders(ctx, out, org, &domains, active_idp);
    }
}

/// Flags each person in `org` (active or invited) whose username is in none of `domains`.
fn flag_outsiders(
    ctx: &Context<'_>,
    out: &mut Out<'_, '_>,
    org: &Org,
    domains: &BTreeSet<String>,
    active_idp: bool,
) {
    let listed: Vec<String> = domains.iter().cloned().collect();
    for user in ctx.principals(PrincipalKind::AtlasUser) {
        let PrincipalDetail::AtlasUser(u) = &user.detail else {
            continue;
        };
        let member = u
            .memberships
            .iter()
            .any(|m| m.org_id == org.id && matches!(m.status.as_str(), "ACTIVE" | "PENDING"));
        if !member || in_domains(&u.username, domains) {
            continue;
        }
        let why = if active_idp {
            format!(
                "Org {} signs in through an active identity provider",
                org.name
            )
        } else {
            format!("The policy requires single sign-on for org {}", org.name)
        };
        out.flag(Draft::new(
            user,
            FindingScope::org(&org.id),
            format!("{} signs in outside the identity provider", u.username),
            format!(
                "{why}, whose domains are {}; {} is in none of them, so this account signs in with an Atlas password and is not removed when the identity provider disables the person.",
                listed.join(", "),
                u.username
            ),
            vec![
                Fact::new("username", &u.username),
                Fact::new("associatedDomains", &listed),
            ],
            Recommendation::revoke(format!(
                "Remove {} from org {}, or give the person an identity-provider account in {} and remove this one; a guest kept on purpose is an exemption.",
                u.username,
                org.name,
                listed.join(" or ")
            )),
        ));
    }
}

/// The domains people of a federation sign in with: the associated domains of the providers
/// the org uses, and the federation's verified domains.
fn federation_domains(f: &Federation) -> BTreeSet<String> {
    f.providers_in_use()
        .filter(|p| p.is_active_workforce())
        .flat_map(|p| p.associated_domains.iter())
        .chain(&f.federated_domains)
        .map(|d| d.trim_start_matches('.').to_ascii_lowercase())
        .collect()
}

/// Whether a username (an email address) is in one of `domains` or a subdomain of one.
fn in_domains(username: &str, domains: &BTreeSet<String>) -> bool {
    let Some((_, domain)) = username.rsplit_once('@') else {
        return false;
    };
    let domain = domain.to_ascii_lowercase();
    domains.iter().any(|d| {
        domain == *d
            || domain
                .strip_suffix(d.as_str())
                .is_some_and(|s| s.ends_with('.'))
    })
}

#[cfg(test)]
#[path = "federation_tests.rs"]
mod tests;
