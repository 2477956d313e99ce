//! The further paths to a project, end to end against the simulated Atlas: invitations made
//! per project, LDAP and X.509 settings, certificates of Atlas-managed X.509 database users and
//! cloud-provider roles. Each is collected from the demo in Atlas's shapes; a refusal of each is
//! a gap that names what it needs, and the rules that needed it say "not evaluated"; the report
//! lists the roles and the settings; a certificate's 64-bit serial survives every file.

use crate::common::*;
use atlas_audit::model::{self, PrincipalDetail, PrincipalKind, Snapshot};
use atlas_audit::rules::{self, Policy, RuleId};

const STOREFRONT: &str = "6650b1000000000000000001";
const PAYMENTS: &str = "6650b1000000000000000002";
const INVENTORY: &str = "6650b1000000000000000003";
/// orders-etl's certificate: above 2^53, as Atlas's are.
const SERIAL: i64 = 7_184_323_023_436_304_348;

fn detail<'s>(s: &'s Snapshot, key: &str) -> &'s PrincipalDetail {
    &s.principals
        .iter()
        .find(|p| p.key == key)
        .unwrap_or_else(|| panic!("no principal {key}"))
        .detail
}

fn with_as_of(mut s: Snapshot) -> Snapshot {
    s.meta.collected_at = Some(now());
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn each_path_is_collected_in_atlas_shapes_with_the_fewest_requests() {
    let (s, server) = collect_from(demo_world(), mock_config(), credentials(), fast_options).await;
    server.shutdown().await;
    assert!(s.coverage.is_empty(), "{:#?}", s.coverage);

    // A person known only from payments-prod's invitation: pending, with the project role.
    let PrincipalDetail::AtlasUser(felix) = detail(&s, "user:felix.wagner@northwind.example")
    else {
        panic!("not an Atlas user")
    };
    assert_eq!(felix.memberships.len(), 1);
    assert_eq!(felix.memberships[0].status, "PENDING");
    assert_eq!(felix.project_invitations[0].project_id, PAYMENTS);
    assert!(s.grants.iter().any(|g| {
        g.principal == "user:felix.wagner@northwind.example"
            && g.scope.project_id() == Some(PAYMENTS)
            && g.role == "GROUP_READ_ONLY"
            && g.via == model::Via::Direct
    }));
    // One already pending in the org is merged, not doubled: the org's invitation dates stay.
    let maya = "user:maya.singh@northwind.example";
    assert_eq!(s.principals.iter().filter(|p| p.key == maya).count(), 1);
    let PrincipalDetail::AtlasUser(m) = detail(&s, maya) else {
        panic!()
    };
    assert_eq!(m.memberships.len(), 1);
    assert_eq!(m.project_invitations.len(), 1);
    assert_eq!(
        m.memberships[0].inviter.as_deref(),
        Some("james.okafor@northwind.example")
    );
    assert_eq!(
        m.project_invitations[0].inviter.as_deref(),
        Some("qzvtkmra")
    );

    // LDAP and customer X.509 on inventory-prod; Atlas's defaults elsewhere.
    let security = |id: &str| {
        s.projects
            .iter()
            .find(|p| p.id == id)
            .and_then(|p| p.user_security.clone())
            .expect("read")
    };
    let inventory = security(INVENTORY);
    assert!(inventory.ldap_authentication && inventory.ldap_authorization);
    assert!(inventory.customer_x509);
    assert_eq!(
        inventory.ldap_server.as_deref(),
        Some("ldap.northwind.example:636")
    );
    assert_eq!(inventory.user_to_dn_mapping.len(), 1);
    assert!(!security(PAYMENTS).is_configured());

    // Certificates of the Atlas-managed X.509 users, the serial whole.
    let key = format!("dbuser:{STOREFRONT}/$external/orders-etl");
    let PrincipalDetail::DatabaseUser(etl) = detail(&s, &key) else {
        panic!()
    };
    assert_eq!(etl.certificates.len(), 1);
    assert_eq!(etl.certificates[0].id, SERIAL);

    // The cloud-provider roles: principals without grants, with what uses them.
    let roles: Vec<_> = s
        .principals
        .iter()
        .filter(|p| p.kind == PrincipalKind::CloudProviderRole)
        .collect();
    assert_eq!(roles.len(), 2);
    let export = roles
        .iter()
        .find(|p| p.key == format!("cloudrole:{PAYMENTS}/6652c1000000000000000001"))
        .unwrap();
    assert_eq!(
        export.name,
        "arn:aws:iam::123456789012:role/atlas-snapshot-export"
    );
    let PrincipalDetail::CloudProviderRole(r) = &export.detail else {
        panic!()
    };
    assert!(r.authorized);
    assert_eq!(r.features[0].feature, "EXPORT_SNAPSHOT");
    assert_eq!(r.features[0].target, "6652c2000000000000000001");
    let unauthorized = roles.iter().find(|p| p.key != export.key).unwrap();
    assert!(
        unauthorized.name.ends_with("(not authorized)"),
        "{}",
        unauthorized.name
    );
    assert!(
        !s.grants
            .iter()
            .any(|g| g.principal.starts_with("cloudrole:"))
    );

    // One request per project for each of the three, one per Atlas-managed X.509 user.
    let requests = |op: &str| {
        s.meta
            .endpoints
            .get(op)
            .map_or(0, |t| t.requests - t.challenges)
    };
    let projects = s.projects.len() as u64;
    assert_eq!(requests("listGroupInvites"), projects);
    assert_eq!(requests("getGroupUserSecurity"), projects);
    assert_eq!(requests("listGroupCloudProviderAccess"), projects);
    assert_eq!(requests("listGroupDatabaseUserCerts"), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_on_each_path_is_a_named_gap_and_its_rules_are_not_evaluated() {
    let spec = [
        format!("deny=/groups/{PAYMENTS}/invites"),
        format!("deny=/groups/{INVENTORY}/userSecurity"),
        format!("deny=/groups/{PAYMENTS}/cloudProviderAccess"),
        format!("deny=/groups/{STOREFRONT}/databaseUsers/orders-etl/certs"),
    ]
    .join(",");
    let (s, server) = collect_from(
        demo_world(),
        mock_config_with_faults(&spec),
        credentials(),
        fast_options,
    )
    .await;
    server.shutdown().await;
    let gap = |endpoint: &str| {
        s.coverage
            .iter()
            .find(|g| g.endpoint == endpoint)
            .unwrap_or_else(|| panic!("no gap of {endpoint}: {:#?}", s.coverage))
    };
    assert_eq!(s.coverage.len(), 4, "{:#?}", s.coverage);
    for (endpoint, scope) in [
        ("listGroupInvites", format!("project:{PAYMENTS}")),
        ("getGroupUserSecurity", format!("project:{INVENTORY}")),
        (
            "listGroupCloudProviderAccess",
            format!("project:{PAYMENTS}"),
        ),
        (
            "listGroupDatabaseUserCerts",
            format!("dbuser:{STOREFRONT}/$external/orders-etl"),
        ),
    ] {
        let g = gap(endpoint);
        assert_eq!(g.scope, scope);
        assert_eq!(g.status, Some(403));
    }
    // The two that need more than Project Read Only say which role.
    for endpoint in ["listGroupInvites", "getGroupUserSecurity"] {
        assert!(
            gap(endpoint).reason.contains("Project Owner"),
            "{}",
            gap(endpoint).reason
        );
    }
    // What was refused is unknown, not empty.
    assert!(
        !s.principals
            .iter()
            .any(|p| p.key == "user:felix.wagner@northwind.example")
    );
    assert!(
        !s.principals
            .iter()
            .any(|p| p.kind == PrincipalKind::CloudProviderRole)
    );
    assert!(
        s.projects
            .iter()
            .find(|p| p.id == INVENTORY)
            .unwrap()
            .user_security
            .is_none()
    );

    let findings = rules::evaluate(&with_as_of(s.clone()), &Policy::default()).unwrap();
    let flagged = |rule: RuleId| -> Vec<&str> {
        findings
            .findings
            .iter()
            .filter(|f| f.rule == rule)
            .map(|f| f.principal.key.as_str())
            .collect()
    };
    let not_evaluated = |rule: RuleId| {
        findings
            .not_evaluated
            .iter()
            .filter(|n| n.rule == rule)
            .collect::<Vec<_>>()
    };
    let invites = not_evaluated(RuleId::UserInviteStale);
    assert_eq!(invites.len(), 1);
    assert_eq!(invites[0].scope.project_id.as_deref(), Some(PAYMENTS));
    assert!(
        invites[0].reason.contains("Project Owner"),
        "{}",
        invites[0].reason
    );
    let etl = format!("dbuser:{STOREFRONT}/$external/orders-etl");
    let certs = not_evaluated(RuleId::DbuserCertExpiring);
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].principal.as_deref(), Some(etl.as_str()));
    assert!(flagged(RuleId::DbuserCertExpiring).is_empty());
    // The certificates that were read are still judged.
    assert_eq!(
        flagged(RuleId::DbuserCertLongLived),
        vec![format!("dbuser:{STOREFRONT}/$external/archive-reader").as_str()]
    );
}

#[test]
fn the_report_lists_cloud_provider_access_and_ldap_settings() {
    let (dir, _) = report_in_temp(&demo_snapshot(), &[]);
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    let section = |id: &str| {
        let start = html
            .find(&format!("<h2 id=\"{id}\""))
            .unwrap_or_else(|| panic!("no {id}"));
        let end = html[start + 4..]
            .find("<h2")
            .map_or(html.len(), |i| start + 4 + i);
        html[start..end].to_string()
    };
    let cloud = section("cloud-access");
    for needle in [
        "· 2",
        "arn:aws:iam::123456789012:role/atlas-snapshot-export",
        "exports backup snapshots to cloud storage (6652c2000000000000000001)",
        "data leaves Atlas this way",
        "not authorized",
    ] {
        assert!(cloud.contains(needle), "{needle} in {cloud}");
    }
    let ldap = section("ldap-x509");
    for needle in [
        "inventory-prod",
        "authentication and authorization through ldap.northwind.example:636",
        "granted to LDAP group CN=inventory-readers,OU=groups,DC=northwind,DC=example: read@inventory",
    ] {
        assert!(ldap.contains(needle), "{needle} in {ldap}");
    }
    assert!(
        !ldap.contains("payments-prod"),
        "only configured projects: {ldap}"
    );
    let principals = std::fs::read_to_string(dir.path().join("out/principals.csv")).unwrap();
    assert_eq!(principals.matches(",cloud_provider_role,").count(), 2);
    assert!(principals.contains("authorized; used by EXPORT_SNAPSHOT"));
}

#[test]
fn a_certificate_serial_survives_the_snapshot_file_and_findings_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json");
    let snapshot = demo_snapshot();
    model::save(&snapshot, &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(&format!("\"id\":{SERIAL},")),
        "written as an integer"
    );
    let back = model::load(&path).unwrap();
    let key = format!("dbuser:{STOREFRONT}/$external/orders-etl");
    let PrincipalDetail::DatabaseUser(d) = detail(&back, &key) else {
        panic!()
    };
    assert_eq!(d.certificates[0].id, SERIAL);
    // In findings the serial is a string, which no JSON reader rounds.
    let findings = rules::evaluate(&snapshot, &Policy::default()).unwrap();
    let f = findings
        .findings
        .iter()
        .find(|f| f.rule == RuleId::DbuserCertExpiring)
        .unwrap();
    let fact = f
        .evidence
        .facts
        .iter()
        .find(|x| x.name == "certificate")
        .unwrap();
    assert_eq!(fact.value["id"], SERIAL.to_string());
}
