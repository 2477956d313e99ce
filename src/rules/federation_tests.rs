//! Unit tests of the federation rules: each with a principal built to trigger it and a twin
//! built not to, and "not evaluated" where the federation could not be read.

use crate::model::{
    ConnectedOrg, Federation, IdentityProvider, IdpGroup, LastActivity, Principal, PrincipalDetail,
    PrincipalKind, Scope, Via, key,
};
use crate::rules::testkit::{Estate, fact, only, user_key};
use crate::rules::{Action, RuleId, Severity, SubjectKind};

fn provider(domains: &[&str], status: Option<&str>) -> IdentityProvider {
    IdentityProvider {
        id: "6650d1000000000000000001".into(),
        okta_idp_id: Some("0oaNorthwind".into()),
        display_name: Some("Northwind Okta".into()),
        protocol: "SAML".into(),
        idp_type: "WORKFORCE".into(),
        status: status.map(str::to_string),
        associated_domains: domains.iter().map(|d| d.to_string()).collect(),
        issuer_uri: None,
        certificates_not_after: Vec::new(),
        used_by_org: true,
    }
}

/// Org `o1` federated through an active SAML provider for `northwind.example`, with the domain
/// restriction as given.
fn federated(restricted: Option<bool>) -> Estate {
    let mut e = Estate::new();
    e.project("o1", "p1", &[]);
    e.org("o1").federation = Some(Federation {
        federation_settings_id: "fs1".into(),
        identity_provider_status: Some("ACTIVE".into()),
        federated_domains: Vec::new(),
        connected: Some(ConnectedOrg {
            domain_restriction_enabled: restricted,
            domain_allow_list: Vec::new(),
            post_auth_role_grants: vec!["ORG_MEMBER".into()],
            identity_provider_id: Some("0oaNorthwind".into()),
            data_access_identity_provider_ids: Vec::new(),
        }),
        role_mappings: Some(Vec::new()),
        identity_providers: Some(vec![provider(&["northwind.example"], Some("ACTIVE"))]),
    });
    e
}

/// An identity-provider group of `o1` with the given grants.
fn group(e: &mut Estate, name: &str, grants: &[(Option<&str>, &str)]) -> String {
    let k = key::idp_group("o1", name);
    e.snapshot.principals.push(Principal {
        key: k.clone(),
        kind: PrincipalKind::IdpGroup,
        name: name.into(),
        org_ids: vec!["o1".into()],
        project_id: None,
        created: None,
        activity: Vec::new(),
        last_activity: LastActivity::NoInformation {
            reason: "group".into(),
        },
        detail: PrincipalDetail::IdpGroup(IdpGroup {
            federation_settings_id: "fs1".into(),
            role_mapping_id: None,
        }),
    });
    for (project, role) in grants {
        let scope = match project {
            Some(p) => Scope::Project {
                org_id: "o1".into(),
                project_id: (*p).into(),
            },
            None => Scope::Org {
                org_id: "o1".into(),
            },
        };
        e.grant(&k, scope, role, Via::IdpGroup(name.into()));
    }
    k
}

#[test]
fn a_group_mapped_to_org_owner_is_high_and_to_a_privileged_project_role_medium() {
    let mut e = federated(Some(true));
    let owners = group(&mut e, "atlas-admins", &[(None, "ORG_OWNER")]);
    let dbas = group(
        &mut e,
        "dba",
        &[
            (None, "ORG_MEMBER"),
            (Some("p1"), "GROUP_DATA_ACCESS_ADMIN"),
        ],
    );
    // The twin: read-only roles only.
    group(
        &mut e,
        "analysts",
        &[(None, "ORG_MEMBER"), (Some("p1"), "GROUP_READ_ONLY")],
    );
    let out = e.run(RuleId::FederationRoleMappingPrivileged);
    assert!(out.not_evaluated.is_empty(), "{:?}", out.not_evaluated);
    let mut found: Vec<(String, Severity)> = out
        .findings
        .iter()
        .map(|f| (f.principal.key.clone(), f.severity))
        .collect();
    found.sort();
    assert_eq!(found, [(owners, Severity::High), (dbas, Severity::Medium)]);
    let f = only(
        &{
            let mut e = federated(Some(true));
            group(&mut e, "atlas-admins", &[(None, "ORG_OWNER")]);
            e
        },
        RuleId::FederationRoleMappingPrivileged,
    );
    assert_eq!(f.principal.kind, SubjectKind::IdpGroup);
    assert_eq!(fact(&f, "grant")["via"], "idp-group:atlas-admins");
    assert_eq!(f.recommendation.action, Action::Revoke);
}

#[test]
fn domain_restriction_off_is_flagged_and_on_is_not() {
    let off = federated(Some(false));
    let f = only(&off, RuleId::FederationDomainRestrictionOff);
    assert_eq!(f.principal.key, "org:o1");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(fact(&f, "domainRestrictionEnabled"), false);
    assert!(
        f.evidence.summary.contains("northwind.example"),
        "{}",
        f.evidence.summary
    );
    let on = federated(Some(true));
    assert!(
        on.run(RuleId::FederationDomainRestrictionOff)
            .findings
            .is_empty()
    );
    // An org without federation is not judged at all.
    let plain = Estate::new();
    let out = plain.run(RuleId::FederationDomainRestrictionOff);
    assert!(out.findings.is_empty() && out.not_evaluated.is_empty());
    // Atlas not saying is not a pass.
    let unknown = federated(None);
    assert_eq!(
        unknown
            .run(RuleId::FederationDomainRestrictionOff)
            .not_evaluated
            .len(),
        1
    );
}

#[test]
fn a_person_outside_the_associated_domains_is_flagged_and_one_inside_is_not() {
    let mut e = federated(Some(true));
    e.user("o1", "contractor@gmail.example");
    e.user("o1", "dana@northwind.example");
    e.user("o1", "lee@eu.northwind.example");
    let out = e.run(RuleId::UserNotFederated);
    assert_eq!(
        out.findings
            .iter()
            .map(|f| f.principal.key.as_str())
            .collect::<Vec<_>>(),
        [user_key("contractor@gmail.example")]
    );
    assert_eq!(out.findings[0].severity, Severity::Low);
    // An inactive provider does not make the org's members SSO users...
    let mut inactive = federated(Some(true));
    if let Some(f) = &mut inactive.org("o1").federation {
        f.identity_providers = Some(vec![provider(&["northwind.example"], Some("INACTIVE"))]);
    }
    inactive.user("o1", "contractor@gmail.example");
    assert!(inactive.run(RuleId::UserNotFederated).findings.is_empty());
    // ...unless the policy says they must be, with the company's domains.
    inactive.policy.federation.sso_required_orgs = vec!["o1".into()];
    inactive.policy.federation.company_domains = vec!["northwind.example".into()];
    assert_eq!(
        inactive.flagged(RuleId::UserNotFederated),
        [user_key("contractor@gmail.example")]
    );
}

#[test]
fn sso_required_without_any_known_domain_is_not_evaluated() {
    let mut e = Estate::new();
    e.user("o1", "someone@example.com");
    e.policy.federation.sso_required_orgs = vec!["*".into()];
    let out = e.run(RuleId::UserNotFederated);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    assert!(out.not_evaluated[0].reason.contains("company_domains"));
}

#[test]
fn without_the_federation_data_each_rule_is_not_evaluated_for_the_org() {
    for (rule, endpoint) in [
        (
            RuleId::FederationRoleMappingPrivileged,
            "listFederationSettingConnectedOrgConfigRoleMappings",
        ),
        (
            RuleId::FederationDomainRestrictionOff,
            "getOrgFederationSettings",
        ),
        (
            RuleId::UserNotFederated,
            "listFederationSettingIdentityProviders",
        ),
    ] {
        let mut e = federated(Some(false));
        group(&mut e, "atlas-admins", &[(None, "ORG_OWNER")]);
        e.user("o1", "contractor@gmail.example");
        e.gap("org:o1", endpoint);
        let out = e.run(rule);
        assert!(out.findings.is_empty(), "{rule}: {:?}", out.findings);
        assert_eq!(out.not_evaluated.len(), 1, "{rule}");
        assert_eq!(out.not_evaluated[0].scope.key(), "org:o1");
        assert!(out.not_evaluated[0].reason.contains(endpoint), "{rule}");
    }
}
