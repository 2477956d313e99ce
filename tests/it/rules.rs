//! The rule engine over the demo estate: every rule of the catalogue fires, on exactly the
//! principals `fixtures/demo/SCENARIO.md` names, and the whole `findings.json` is pinned.

use std::collections::BTreeMap;

use crate::common::*;
use atlas_audit::rules::{self, Findings, Policy, RuleId, Severity, Status};
use pretty_assertions::assert_eq;

fn demo_findings(policy: &Policy) -> Findings {
    rules::evaluate(&demo_snapshot(), policy).expect("rules run")
}

const A: &str = "6650a1000000000000000001";
const B: &str = "6650a1000000000000000002";

fn user(name: &str) -> String {
    format!("user:{name}@northwind.example")
}

fn dbuser(project: u8, name: &str) -> String {
    format!("dbuser:6650b10000000000000000{project:02}/admin/{name}")
}

fn sa(n: u8) -> String {
    format!("sa:mdb_sa_id_6650f10000000000000000{n:02}")
}

/// Rule → the principal keys it must flag (a key twice when flagged in two orgs).
fn expected() -> BTreeMap<RuleId, Vec<String>> {
    use RuleId::*;
    let org = |id: &str| format!("org:{id}");
    let project = |n: u8| format!("project:6650b10000000000000000{n:02}");
    let users = |names: &[&str]| names.iter().map(|n| user(n)).collect::<Vec<_>>();
    let mut m = BTreeMap::new();
    m.insert(OrgMfaNotRequired, vec![org(B)]);
    m.insert(OrgApiAccessListNotRequired, vec![org(B)]);
    m.insert(OrgEmployeeAccessUnrestricted, vec![org(A)]);
    m.insert(OrgNoSecurityContact, vec![org(B)]);
    m.insert(OrgOwnerCount, vec![org(A)]);
    m.insert(ProjectNetworkOpen, vec![project(4)]);
    m.insert(ProjectAuditingDisabled, vec![project(3)]);
    m.insert(ClusterEmployeeAccess, vec![project(2)]);
    m.insert(
        UserInactive,
        users(&[
            "tom.becker",
            "hannah.berg",
            "oliver.grant",
            "kenji.watanabe",
            "victor.alvarez",
            "sam.oduya",
        ]),
    );
    // felix.wagner is known only from payments-prod's per-project invitation.
    m.insert(
        UserInviteStale,
        users(&["liam.foster", "zoe.marshall", "felix.wagner"]),
    );
    m.insert(
        UserOrgOwner,
        users(&[
            "maria.chen",
            "maria.chen",
            "james.okafor",
            "priya.raman",
            "tom.becker",
            "mei.tanaka",
        ]),
    );
    // Implied org-owner access counts: priya.raman (org A) and maria.chen (org B) hold
    // GROUP_OWNER on every project of their org through ORG_OWNER.
    m.insert(
        UserPrivilegedProjectRole,
        users(&[
            "maria.chen",
            "maria.chen",
            "tom.becker",
            "james.okafor",
            "ahmed.nasser",
            "lena.vogel",
            "hannah.berg",
            "grace.liu",
            "isabel.moreno",
            "priya.raman",
            "mei.tanaka",
        ]),
    );
    m.insert(
        UserUnusedPrivilege,
        users(&["tom.becker", "hannah.berg", "lena.vogel", "isabel.moreno"]),
    );
    m.insert(
        ApikeyPrivileged,
        vec!["apikey:qzvtkmra".into(), "apikey:hbwnxcpe".into()],
    );
    m.insert(
        ApikeyNoAccessList,
        vec!["apikey:sjdkwvqe".into(), "apikey:hbwnxcpe".into()],
    );
    m.insert(
        ApikeyUnused,
        vec!["apikey:qzvtkmra".into(), "apikey:bxplorty".into()],
    );
    m.insert(SaPrivileged, vec![sa(1)]);
    m.insert(SaNoAccessList, vec![sa(5)]);
    m.insert(SaUnused, vec![sa(3)]);
    m.insert(SaSecretExpiring, vec![sa(2)]);
    m.insert(SaSecretLongLived, vec![sa(1), sa(3), sa(5), sa(6)]);
    m.insert(
        TeamEmptyWithRoles,
        vec![format!("team:{A}/legacy-migration")],
    );
    m.insert(
        DbuserAdminRole,
        vec![
            dbuser(1, "backup-agent"),
            dbuser(4, "storefront-stg-app"),
            dbuser(6, "ml-admin"),
            dbuser(3, "inventory-analytics"),
        ],
    );
    m.insert(
        DbuserUnscoped,
        vec![dbuser(1, "backup-agent"), dbuser(4, "storefront-stg-app")],
    );
    m.insert(
        DbuserDangerousCustomRole,
        vec![dbuser(2, "payments-migrator")],
    );
    m.insert(
        DbuserPasswordAuthProd,
        vec![
            dbuser(1, "backup-agent"),
            dbuser(1, "dana.whitfield"),
            dbuser(2, "payments-migrator"),
            dbuser(2, "payments-readonly-bi"),
            dbuser(3, "inventory-analytics"),
            dbuser(3, "inventory-batch"),
            dbuser(3, "legacy-reporting"),
        ],
    );
    m.insert(DbuserOrphaned, vec![dbuser(1, "dana.whitfield")]);
    m.insert(
        FederationRoleMappingPrivileged,
        vec![format!("idpgroup:{A}/northwind-atlas-dba")],
    );
    m.insert(
        FederationDomainRestrictionOff,
        vec!["org:6650a1000000000000000002".into()],
    );
    m.insert(
        UserNotFederated,
        vec!["user:ana.souza@brightlake-consulting.example".into()],
    );
    let x509 = |name: &str| format!("dbuser:6650b1000000000000000001/$external/{name}");
    // orders-api, with a fresh certificate, is the twin of both.
    m.insert(DbuserCertExpiring, vec![x509("orders-etl")]);
    m.insert(DbuserCertLongLived, vec![x509("archive-reader")]);
    // DBUSER_INACTIVE needs 90 days of observation; one collection sees Atlas's last week.
    for keys in m.values_mut() {
        keys.sort();
    }
    m
}

#[test]
fn every_rule_fires_on_exactly_the_principals_the_scenario_names() {
    let findings = demo_findings(&Policy::default());
    let mut got: BTreeMap<RuleId, Vec<String>> = BTreeMap::new();
    for f in &findings.findings {
        got.entry(f.rule).or_default().push(f.principal.key.clone());
    }
    for keys in got.values_mut() {
        keys.sort();
    }
    assert_eq!(got, expected());
    for rule in RuleId::ALL {
        if *rule == RuleId::DbuserInactive {
            // One collection sees a week of access history: judged only over several.
            assert!(!got.contains_key(rule));
            assert!(findings.not_evaluated.iter().any(|n| n.rule == *rule));
        } else {
            assert!(got.contains_key(rule), "{rule} never fires on the demo");
        }
    }
    assert_eq!(findings.findings.len(), 73);
    // Only the account Atlas manages itself is said to be so.
    for f in &findings.findings {
        let marked = f
            .evidence
            .facts
            .iter()
            .any(|fact| fact.name == "system_managed");
        assert_eq!(marked, f.principal.key == sa(6), "{}", f.principal.key);
    }
}

#[test]
fn graded_severities_follow_privilege_and_role() {
    let findings = demo_findings(&Policy::default());
    let severity = |rule: RuleId, key: &str| {
        findings
            .findings
            .iter()
            .find(|f| f.rule == rule && f.principal.key == key)
            .unwrap_or_else(|| panic!("{rule} {key}"))
            .severity
    };
    assert_eq!(
        severity(RuleId::UserInactive, &user("tom.becker")),
        Severity::High
    );
    assert_eq!(
        severity(RuleId::UserInactive, &user("hannah.berg")),
        Severity::High
    );
    assert_eq!(
        severity(RuleId::UserInactive, &user("oliver.grant")),
        Severity::Medium
    );
    assert_eq!(
        severity(RuleId::DbuserAdminRole, &dbuser(1, "backup-agent")),
        Severity::High
    );
    assert_eq!(
        severity(RuleId::DbuserAdminRole, &dbuser(3, "inventory-analytics")),
        Severity::Medium
    );
}

#[test]
fn a_week_of_access_logs_leaves_database_inactivity_unjudged_and_says_why() {
    let findings = demo_findings(&Policy::default());
    let unjudged: Vec<_> = findings
        .not_evaluated
        .iter()
        .filter(|n| n.rule == RuleId::DbuserInactive)
        .collect();
    // Every project where a database user did not authenticate this week: Atlas keeps a week
    // of history, so one collection cannot show 90 days without a login.
    let mut projects: Vec<_> = unjudged
        .iter()
        .filter_map(|n| n.scope.project_id.as_deref())
        .collect();
    projects.sort();
    projects.dedup();
    assert_eq!(
        projects,
        [1, 2, 3, 5]
            .map(|n| format!("6650b10000000000000000{n:02}"))
            .to_vec()
    );
    let inventory = unjudged
        .iter()
        .find(|n| {
            n.scope.project_id.as_deref() == Some("6650b1000000000000000003")
                && n.reason.contains("access logs")
        })
        .unwrap();
    // The LDAP group user of inventory-prod is named apart: its members sign in as themselves.
    assert!(unjudged.iter().any(|n| {
        n.scope.project_id.as_deref() == Some("6650b1000000000000000003")
            && n.reason.contains("1 group database user of inventory-prod")
    }));
    for needle in [
        "2 database users of inventory-prod were not evaluated",
        "access logs of inventory-main cover 6 days",
        "fewer than inactive_days 90",
        "Atlas keeps about 7 days",
        "--store",
    ] {
        assert!(inventory.reason.contains(needle), "{}", inventory.reason);
    }
    // The empty access list of sandbox-cli gives no usage signal: not judged, not clean.
    assert!(findings.not_evaluated.iter().any(
        |n| n.rule == RuleId::ApikeyUnused && n.principal.as_deref() == Some("apikey:sjdkwvqe")
    ));
}

#[test]
fn a_hundred_days_of_observation_flags_only_the_user_that_never_authenticated() {
    // What one read cannot show, built explicitly: inventory-main observed for 100 days, with
    // inventory-batch's last success 89 days 2 hours ago (inside the limit) and nothing from
    // legacy-reporting but its failed attempts of this week.
    let mut snapshot = demo_snapshot();
    let window = snapshot
        .access_log_windows
        .iter_mut()
        .find(|w| w.cluster == "inventory-main")
        .unwrap();
    window.start = now() - jiff::SignedDuration::from_hours(100 * 24);
    let mut batch = snapshot
        .access_logs
        .iter()
        .find(|e| e.username == "inventory-analytics")
        .unwrap()
        .clone();
    batch.username = "inventory-batch".into();
    batch.at = Some(now() - jiff::SignedDuration::from_hours(89 * 24 + 2));
    snapshot.access_logs.push(batch);
    let findings = rules::evaluate(&snapshot, &Policy::default()).unwrap();
    let flagged: Vec<_> = findings
        .findings
        .iter()
        .filter(|f| f.rule == RuleId::DbuserInactive)
        .map(|f| f.principal.key.clone())
        .collect();
    assert_eq!(flagged, vec![dbuser(3, "legacy-reporting")]);
    let f = findings
        .findings
        .iter()
        .find(|f| f.rule == RuleId::DbuserInactive)
        .unwrap();
    assert!(
        f.evidence.summary.contains("2 failed attempts"),
        "{}",
        f.evidence.summary
    );
}

#[test]
fn implied_and_team_paths_are_named_in_the_evidence() {
    let findings = demo_findings(&Policy::default());
    let evidence = |key: &str, org: &str| {
        let f = findings
            .findings
            .iter()
            .find(|f| {
                f.rule == RuleId::UserPrivilegedProjectRole
                    && f.principal.key == key
                    && f.scope.org_id == org
            })
            .unwrap_or_else(|| panic!("{key} in {org}"));
        serde_json::to_string(&f.evidence).unwrap()
    };
    let ahmed = evidence(&user("ahmed.nasser"), A);
    assert!(ahmed.contains("team:sre-oncall"), "{ahmed}");
    let priya = evidence(&user("priya.raman"), A);
    assert!(
        priya.contains("org-role") && priya.contains("ORG_OWNER"),
        "{priya}"
    );
}

#[test]
fn output_is_ordered_worst_first_then_rule_then_principal() {
    let findings = demo_findings(&Policy::default());
    let keys: Vec<_> = findings
        .findings
        .iter()
        .map(|f| (f.severity, f.rule, f.principal.key.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(findings.findings.iter().all(|f| f.status == Status::Open));
}

#[test]
fn rules_are_deterministic_across_runs() {
    let a = serde_json::to_string(&demo_findings(&Policy::default())).unwrap();
    for _ in 0..3 {
        assert_eq!(
            a,
            serde_json::to_string(&demo_findings(&Policy::default())).unwrap()
        );
    }
}

#[test]
fn the_demo_findings_json_is_pinned() {
    let findings = demo_findings(&Policy::default());
    let json = String::from_utf8(atlas_audit::report::findings_json(&findings)).unwrap();
    insta::assert_snapshot!("demo_findings_json", json);
    let csv = String::from_utf8(atlas_audit::report::findings_csv(&findings)).unwrap();
    insta::assert_snapshot!("demo_findings_csv", csv);
}

#[test]
fn users_who_reach_a_tenant_cluster_are_not_evaluated_and_that_is_no_gap() {
    let findings = demo_findings(&Policy::default());
    let reasons: Vec<&str> = findings
        .not_evaluated
        .iter()
        .filter(|n| n.rule == RuleId::DbuserInactive)
        .map(|n| n.reason.as_str())
        .collect();
    assert!(
        reasons.contains(
            &"2 database users of analytics-sandbox were not evaluated: Atlas keeps no access history on tier M0 (sandbox-free), which they can reach"
        ),
        "{reasons:#?}"
    );
    assert!(demo_snapshot().coverage.is_empty());
}
