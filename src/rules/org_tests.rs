//! Unit tests of the org rules: each setting rule fires on `false` only, an unreported setting or
//! unread settings are "not evaluated", and the owner count counts active people only.

use serde_json::json;

use crate::model::{PrincipalDetail, key};
use crate::rules::testkit::{Estate, fact, user_key};
use crate::rules::{Action, RuleId, Severity, SubjectKind};

fn settings(e: &mut Estate) -> &mut crate::model::OrgSettings {
    e.org("o1").settings.as_mut().unwrap()
}

#[test]
fn mfa_off_is_flagged_with_the_setting_and_who_switched_it_off() {
    let mut e = Estate::new();
    settings(&mut e).mfa_required = Some(false);
    e.user("o1", "maria@x.test");
    e.event(
        &user_key("maria@x.test"),
        "o1",
        12,
        "ORG_TWO_FACTOR_AUTH_OPTIONAL",
    );
    let out = e.run(RuleId::OrgMfaNotRequired);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.principal.key, "org:o1");
    assert_eq!(f.principal.kind, SubjectKind::Org);
    assert_eq!(f.scope.key(), "org:o1");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(fact(f, "multiFactorAuthRequired"), &json!(false));
    assert_eq!(fact(f, "event")["by"], json!("user:maria@x.test"));
    assert!(
        f.evidence.summary.contains("2026-11-08"),
        "{}",
        f.evidence.summary
    );
    assert_eq!(f.recommendation.action, Action::Modify);
    assert_eq!(
        f.recommendation.to.as_deref(),
        Some("multiFactorAuthRequired: true")
    );
}

#[test]
fn mfa_required_is_clean() {
    let e = Estate::new();
    let out = e.run(RuleId::OrgMfaNotRequired);
    assert!(out.findings.is_empty());
    assert!(out.not_evaluated.is_empty());
}

#[test]
fn an_unreported_setting_is_not_evaluated() {
    let mut e = Estate::new();
    settings(&mut e).mfa_required = None;
    settings(&mut e).api_access_list_required = None;
    settings(&mut e).restrict_employee_access = None;
    for (rule, field) in [
        (RuleId::OrgMfaNotRequired, "multiFactorAuthRequired"),
        (RuleId::OrgApiAccessListNotRequired, "apiAccessListRequired"),
        (
            RuleId::OrgEmployeeAccessUnrestricted,
            "restrictEmployeeAccess",
        ),
    ] {
        let out = e.run(rule);
        assert!(out.findings.is_empty(), "{rule}");
        assert_eq!(out.not_evaluated.len(), 1, "{rule}");
        assert!(out.not_evaluated[0].reason.contains(field), "{rule}");
        assert_eq!(out.not_evaluated[0].scope.key(), "org:o1");
    }
}

#[test]
fn unread_settings_are_not_evaluated_citing_the_gap() {
    let mut e = Estate::new();
    e.org("o1").settings = None;
    e.gap("org:o1", "getOrgSettings");
    e.org("o2").settings = None; // no gap recorded: still not evaluated, never clean
    for rule in [
        RuleId::OrgMfaNotRequired,
        RuleId::OrgApiAccessListNotRequired,
        RuleId::OrgEmployeeAccessUnrestricted,
        RuleId::OrgNoSecurityContact,
    ] {
        let out = e.run(rule);
        assert!(out.findings.is_empty(), "{rule}");
        assert_eq!(out.not_evaluated.len(), 2, "{rule}");
        let o1 = out
            .not_evaluated
            .iter()
            .find(|n| n.scope.org_id == "o1")
            .unwrap();
        assert!(
            o1.reason
                .contains("getOrgSettings could not be read for org:o1"),
            "{}",
            o1.reason
        );
        let o2 = out
            .not_evaluated
            .iter()
            .find(|n| n.scope.org_id == "o2")
            .unwrap();
        assert!(o2.reason.contains("getOrgSettings"), "{}", o2.reason);
    }
}

#[test]
fn api_access_list_not_required_is_flagged_and_required_is_not() {
    let mut e = Estate::new();
    e.org("o2")
        .settings
        .as_mut()
        .unwrap()
        .api_access_list_required = Some(false);
    let out = e.run(RuleId::OrgApiAccessListNotRequired);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.principal.key, "org:o2");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(fact(f, "apiAccessListRequired"), &json!(false));
    assert_eq!(
        f.recommendation.to.as_deref(),
        Some("apiAccessListRequired: true")
    );
    assert!(out.not_evaluated.is_empty());
}

#[test]
fn employee_access_unrestricted_is_flagged_and_restricted_is_not() {
    let mut e = Estate::new();
    e.org("o2");
    settings(&mut e).restrict_employee_access = Some(false);
    let out = e.run(RuleId::OrgEmployeeAccessUnrestricted);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.principal.key, "org:o1");
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(fact(f, "restrictEmployeeAccess"), &json!(false));
    assert_eq!(
        f.recommendation.to.as_deref(),
        Some("restrictEmployeeAccess: true")
    );
}

#[test]
fn a_missing_or_blank_security_contact_is_flagged_and_a_set_one_is_not() {
    let mut e = Estate::new();
    settings(&mut e).security_contact = None;
    e.org("o2").settings.as_mut().unwrap().security_contact = Some("   ".into());
    e.org("o3"); // has a contact
    let out = e.run(RuleId::OrgNoSecurityContact);
    let keys: Vec<&str> = out
        .findings
        .iter()
        .map(|f| f.principal.key.as_str())
        .collect();
    assert_eq!(keys, ["org:o1", "org:o2"]);
    assert_eq!(fact(&out.findings[0], "securityContact"), &json!(null));
    assert_eq!(fact(&out.findings[1], "securityContact"), &json!("   "));
    assert_eq!(out.findings[0].severity, Severity::Low);
    assert_eq!(out.findings[0].recommendation.action, Action::Modify);
}

fn owners(e: &mut Estate, org: &str, names: &[&str]) {
    for n in names {
        let email = format!("{n}@x.test");
        if e.snapshot
            .principals
            .iter()
            .all(|p| p.key != user_key(&email))
        {
            e.user(org, &email);
        }
        e.org_role(&user_key(&email), org, "ORG_OWNER");
    }
}

fn set_status(e: &mut Estate, key: &str, status: &str) {
    if let PrincipalDetail::AtlasUser(u) = &mut e.principal_mut(key).detail {
        u.memberships[0].status = status.into();
    }
}

#[test]
fn too_many_owners_are_flagged_naming_each_and_the_bounds() {
    let mut e = Estate::new();
    owners(&mut e, "o1", &["a", "b", "c", "d"]);
    let out = e.run(RuleId::OrgOwnerCount);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.principal.key, "org:o1");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(fact(f, "owner_count"), &json!(4));
    assert_eq!(fact(f, "max_org_owners"), &json!(3));
    let named: Vec<&serde_json::Value> = f
        .evidence
        .facts
        .iter()
        .filter(|x| x.name == "owner")
        .map(|x| &x.value)
        .collect();
    assert_eq!(named.len(), 4);
    assert_eq!(named[0], &json!("user:a@x.test"));
    assert_eq!(f.recommendation.to.as_deref(), Some("ORG_MEMBER"));
}

#[test]
fn keys_accounts_and_invitees_are_listed_but_not_counted() {
    let mut e = Estate::new();
    owners(&mut e, "o1", &["a", "b", "c"]);
    e.api_key("o1", "kkkk");
    e.org_role("apikey:kkkk", "o1", "ORG_OWNER");
    e.service_account("o1", "mdb_sa_id_1");
    e.org_role("sa:mdb_sa_id_1", "o1", "ORG_OWNER");
    owners(&mut e, "o1", &["p"]);
    set_status(&mut e, "user:p@x.test", "PENDING");
    // Three active people: inside 2..3, whatever else holds the role.
    assert!(e.run(RuleId::OrgOwnerCount).findings.is_empty());

    // Down to one active person: flagged, the others listed as not counted.
    e.snapshot
        .grants
        .retain(|g| g.principal != "user:b@x.test" && g.principal != "user:c@x.test");
    let out = e.run(RuleId::OrgOwnerCount);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(fact(f, "owner_count"), &json!(1));
    let not_counted = fact(f, "not_counted").as_array().unwrap();
    let keys: Vec<&str> = not_counted
        .iter()
        .map(|v| v["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["apikey:kkkk", "sa:mdb_sa_id_1", "user:p@x.test"]);
    assert!(
        not_counted[2]["reason"]
            .as_str()
            .unwrap()
            .contains("PENDING")
    );
    assert_eq!(
        f.recommendation.to.as_deref(),
        Some("at least 2 active ORG_OWNERs")
    );
}

#[test]
fn the_bounds_themselves_are_not_flagged() {
    let mut e = Estate::new();
    owners(&mut e, "o1", &["a", "b"]);
    owners(&mut e, "o2", &["c", "d", "e"]);
    // An owner of another org does not count here.
    owners(&mut e, "o2", &["a"]);
    let out = e.run(RuleId::OrgOwnerCount);
    assert!(out.findings.is_empty(), "{:?}", out.findings);
}

#[test]
fn an_org_with_no_owner_at_all_is_flagged() {
    let mut e = Estate::new();
    e.user("o1", "a@x.test");
    let out = e.run(RuleId::OrgOwnerCount);
    assert_eq!(out.findings.len(), 1);
    assert_eq!(fact(&out.findings[0], "owner_count"), &json!(0));
}

#[test]
fn the_policy_moves_the_bounds() {
    let mut e = Estate::new();
    owners(&mut e, "o1", &["a", "b", "c", "d"]);
    e.policy.thresholds.max_org_owners = 4;
    assert!(e.run(RuleId::OrgOwnerCount).findings.is_empty());
}

#[test]
fn owner_count_without_the_user_listing_is_not_evaluated() {
    let mut e = Estate::new();
    owners(&mut e, "o1", &["a", "b", "c", "d"]);
    e.gap(&key::org("o1"), "listOrgUsers");
    let out = e.run(RuleId::OrgOwnerCount);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    assert!(out.not_evaluated[0].reason.contains("listOrgUsers"));
    assert_eq!(out.not_evaluated[0].scope.key(), "org:o1");
}
