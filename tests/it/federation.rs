//! Federation (SSO) end to end against the simulated Atlas: role mappings become `idp_group`
//! grants in `grants.csv`, the identity providers are all read (the listing hides OIDC and
//! workload providers unless asked), once per federation shared by two orgs; a credential
//! refused the federation endpoints leaves a gap that names the role, and the three federation
//! rules say "not evaluated" for that org.

use crate::common::*;
use atlas_audit::atlas::Client;
use atlas_audit::atlas::endpoint as ep;
use atlas_audit::atlas::types;
use atlas_audit::model::{PrincipalKind, Scope, Via, key};
use atlas_audit::rules::{self, Policy, RuleId};

const ORG_A: &str = "6650a1000000000000000001";
const ORG_B: &str = "6650a1000000000000000002";
const SETTINGS: &str = "6650c9000000000000000001";
const PAYMENTS: &str = "6650b1000000000000000002";

const FEDERATION_RULES: [RuleId; 3] = [
    RuleId::FederationRoleMappingPrivileged,
    RuleId::FederationDomainRestrictionOff,
    RuleId::UserNotFederated,
];

#[tokio::test(flavor = "multi_thread")]
async fn role_mappings_are_collected_as_idp_group_grants_and_written_to_grants_csv() {
    let (snapshot, server) =
        collect_from(demo_world(), mock_config(), credentials(), fast_options).await;
    assert!(snapshot.is_complete(), "{:#?}", snapshot.coverage);
    let org_a = snapshot.orgs.iter().find(|o| o.id == ORG_A).unwrap();
    let f = org_a.federation.as_ref().expect("org A is federated");
    assert_eq!(f.federation_settings_id, SETTINGS);
    let connected = f.connected.as_ref().unwrap();
    assert_eq!(connected.domain_restriction_enabled, Some(true));
    assert_eq!(connected.post_auth_role_grants, ["ORG_MEMBER"]);
    let providers = f.identity_providers.as_ref().unwrap();
    let kinds: Vec<(&str, &str)> = providers
        .iter()
        .map(|p| (p.protocol.as_str(), p.idp_type.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("SAML", "WORKFORCE"),
            ("OIDC", "WORKFORCE"),
            ("OIDC", "WORKLOAD")
        ]
    );
    assert!(providers[0].used_by_org && providers[1].used_by_org);
    assert_eq!(providers[0].certificates_not_after.len(), 1);

    let group = key::idp_group(ORG_A, "northwind-atlas-dba");
    let p = snapshot.principals.iter().find(|p| p.key == group).unwrap();
    assert_eq!(p.kind, PrincipalKind::IdpGroup);
    assert!(snapshot.grants.iter().any(|g| g.principal == group
        && g.role == "GROUP_DATA_ACCESS_ADMIN"
        && g.via == Via::IdpGroup("northwind-atlas-dba".into())
        && g.scope
            == Scope::Project {
                org_id: ORG_A.into(),
                project_id: PAYMENTS.into()
            }));

    // Two orgs share the federation: its providers are listed once.
    let tally = &snapshot.meta.endpoints[ep::IDENTITY_PROVIDERS.name];
    assert_eq!(tally.requests, 1, "{tally:?}");
    assert_eq!(snapshot.meta.endpoints[ep::ROLE_MAPPINGS.name].requests, 2);
    server.shutdown().await;

    let (dir, _) = report_in_temp(&snapshot, &[]);
    let grants = std::fs::read_to_string(dir.path().join("out/grants.csv")).unwrap();
    let row = grants
        .lines()
        .find(|l| l.contains(&group) && l.contains("GROUP_DATA_ACCESS_ADMIN"))
        .unwrap_or_else(|| panic!("no row for {group}:\n{grants}"));
    assert!(row.contains("idp-group:northwind-atlas-dba"), "{row}");
    assert!(row.contains("idp_group"), "{row}");
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(
        html.contains("Federation (single sign-on)"),
        "the section is there"
    );
    assert!(html.contains("Northwind Okta") && html.contains("ci-pipelines"));
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_federation_is_a_gap_naming_the_role_and_its_rules_are_not_evaluated() {
    let config = mock_config_with_faults(&format!("deny=/orgs/{ORG_A}/federationSettings"));
    let (snapshot, server) = collect_from(demo_world(), config, credentials(), fast_options).await;
    server.shutdown().await;
    assert_eq!(snapshot.coverage.len(), 1, "{:#?}", snapshot.coverage);
    let gap = &snapshot.coverage[0];
    assert_eq!(gap.scope, key::org(ORG_A));
    assert_eq!(gap.endpoint, ep::ORG_FEDERATION_SETTINGS.name);
    assert_eq!(gap.status, Some(403));
    assert!(gap.reason.contains("Organization Owner"), "{}", gap.reason);
    // No role mapping was read: no idp-group grant in org A.
    assert!(
        !snapshot
            .grants
            .iter()
            .any(|g| g.scope.org_id() == ORG_A && matches!(g.via, Via::IdpGroup(_)))
    );

    let findings = rules::evaluate(&snapshot, &Policy::default()).unwrap();
    for rule in FEDERATION_RULES {
        assert!(
            findings
                .not_evaluated
                .iter()
                .any(|n| n.rule == rule && n.scope.key() == key::org(ORG_A)),
            "{rule} is not evaluated for org A"
        );
        assert!(
            !findings
                .findings
                .iter()
                .any(|f| f.rule == rule && f.scope.org_id == ORG_A),
            "{rule} judged nothing in org A"
        );
    }
    // Org B was read: its guest and its open domain restriction are still found.
    let in_b = |rule| {
        findings
            .findings
            .iter()
            .any(|f| f.rule == rule && f.scope.org_id == ORG_B)
    };
    assert!(in_b(RuleId::UserNotFederated) && in_b(RuleId::FederationDomainRestrictionOff));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_triggers_each_federation_rule_on_its_principal_and_not_on_its_twin() {
    let findings = rules::evaluate(&demo_snapshot(), &Policy::default()).unwrap();
    let flagged = |rule| -> Vec<String> {
        findings
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| f.principal.key.clone())
            .collect()
    };
    assert_eq!(
        flagged(RuleId::FederationRoleMappingPrivileged),
        [key::idp_group(ORG_A, "northwind-atlas-dba")]
    );
    assert_eq!(
        flagged(RuleId::FederationDomainRestrictionOff),
        [key::org(ORG_B)]
    );
    assert_eq!(
        flagged(RuleId::UserNotFederated),
        [key::user("ana.souza@brightlake-consulting.example")]
    );
    for rule in FEDERATION_RULES {
        assert!(
            !findings.not_evaluated.iter().any(|n| n.rule == rule),
            "{rule} judged everything"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_identity_provider_listing_hides_oidc_unless_asked() {
    let server = start(demo_world(), mock_config()).await;
    let client = Client::new(credentials(), fast_options(server.base_url())).unwrap();
    let path = format!("/federationSettings/{SETTINGS}/identityProviders");
    let read = |query: Vec<(&'static str, String)>| {
        let (client, path) = (&client, &path);
        async move {
            client
                .get_all::<types::FederationIdentityProvider>(&ep::IDENTITY_PROVIDERS, path, &query)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|p| p.display_name.unwrap_or_default())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(read(Vec::new()).await, ["Northwind Okta"], "SAML only");
    let every: Vec<(&str, String)> = [
        ("protocol", "SAML"),
        ("protocol", "OIDC"),
        ("idpType", "WORKFORCE"),
        ("idpType", "WORKLOAD"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect();
    assert_eq!(read(every).await.len(), 3);
    let oidc_only = vec![("protocol", "OIDC".to_string())];
    assert!(
        read(oidc_only)
            .await
            .contains(&"Northwind Entra (database access)".to_string()),
        "OIDC workforce with its protocol asked"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_federation_path_is_a_gap_of_every_org_it_serves() {
    // The org's own settings are readable; everything under /federationSettings is refused.
    let config = mock_config_with_faults("deny=/federationSettings");
    let (snapshot, server) = collect_from(demo_world(), config, credentials(), fast_options).await;
    server.shutdown().await;
    for org in [ORG_A, ORG_B] {
        let endpoints: Vec<&str> = snapshot
            .coverage
            .iter()
            .filter(|g| g.scope == key::org(org))
            .inspect(|g| assert!(g.reason.contains("Organization Owner"), "{}", g.reason))
            .map(|g| g.endpoint.as_str())
            .collect();
        assert_eq!(
            endpoints,
            [ep::CONNECTED_ORG_CONFIG.name, ep::IDENTITY_PROVIDERS.name],
            "{org}"
        );
    }
    // One refused provider listing, though it is a gap of both orgs.
    assert_eq!(
        snapshot.meta.endpoints[ep::IDENTITY_PROVIDERS.name].failures,
        1
    );
    let findings = rules::evaluate(&snapshot, &Policy::default()).unwrap();
    assert!(
        !findings
            .findings
            .iter()
            .any(|f| FEDERATION_RULES.contains(&f.rule))
    );
}
