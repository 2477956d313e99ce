//! Unit tests of the service account rules: owner roles, access lists, unused accounts and
//! secrets at their day boundaries, each with its twin and its "not evaluated" case.

use serde_json::json;

use crate::model::{PrincipalDetail, Secret, ServiceAccount, Via};
use crate::rules::testkit::{Estate, access_entry, days_ago, fact};
use crate::rules::{Action, RuleId, Severity};

const SA: &str = "sa:mdb_sa_id_1";

fn estate() -> Estate {
    let mut e = Estate::new();
    e.project("o1", "p1", &[]);
    e.service_account("o1", "mdb_sa_id_1");
    e
}

fn detail(e: &mut Estate) -> &mut ServiceAccount {
    match &mut e.principal_mut(SA).detail {
        PrincipalDetail::ServiceAccount(s) => s,
        _ => unreachable!(),
    }
}

fn secret(id: &str, created_days_ago: i64, expires_days_ago: i64) -> Secret {
    Secret {
        id: id.into(),
        created_at: Some(days_ago(created_days_ago)),
        expires_at: Some(days_ago(expires_days_ago)),
        last_used_at: Some(days_ago(1)),
        masked_value: None,
    }
}

#[test]
fn an_org_owner_account_is_flagged_with_its_implied_grants() {
    let mut e = estate();
    e.org_role(SA, "o1", "ORG_OWNER");
    e.project_role(SA, "p1", "GROUP_OWNER", Via::OrgRole("ORG_OWNER".into()));
    let out = e.run(RuleId::SaPrivileged);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.principal.key, SA);
    assert_eq!(f.scope.key(), "org:o1");
    assert_eq!(f.severity, Severity::High);
    let implied = f
        .evidence
        .facts
        .iter()
        .find(|x| x.name == "implied_grants")
        .unwrap();
    assert_eq!(implied.value["implied_by"], json!("ORG_OWNER"));
    assert_eq!(implied.value["projects"], json!(1));
    assert_eq!(f.recommendation.to.as_deref(), Some("ORG_READ_ONLY"));
}

#[test]
fn a_cluster_manager_account_is_not_privileged() {
    let mut e = estate();
    e.project_role(SA, "p1", "GROUP_CLUSTER_MANAGER", Via::Direct);
    let out = e.run(RuleId::SaPrivileged);
    assert!(out.findings.is_empty());
    assert!(out.not_evaluated.is_empty());
}

#[test]
fn unread_project_roles_or_an_unknown_role_are_not_evaluated() {
    let mut e = estate();
    e.gap(SA, "getOrgServiceAccountGroups");
    let out = e.run(RuleId::SaPrivileged);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    assert_eq!(out.not_evaluated[0].principal.as_deref(), Some(SA));
    assert!(
        out.not_evaluated[0]
            .reason
            .contains("getOrgServiceAccountGroups")
    );

    let mut e = estate();
    e.org_role(SA, "o1", "ORG_FUTURE_ADMIN");
    let out = e.run(RuleId::SaPrivileged);
    assert!(out.findings.is_empty());
    assert!(
        out.not_evaluated[0]
            .reason
            .starts_with("role ORG_FUTURE_ADMIN is not one atlas-audit knows")
    );
}

#[test]
fn without_the_account_listing_every_rule_is_not_evaluated_for_the_org() {
    let mut e = estate();
    e.gap("org:o1", "listOrgServiceAccounts");
    for rule in [
        RuleId::SaPrivileged,
        RuleId::SaNoAccessList,
        RuleId::SaUnused,
        RuleId::SaSecretExpiring,
        RuleId::SaSecretLongLived,
    ] {
        let out = e.run(rule);
        assert!(out.findings.is_empty(), "{rule}");
        assert_eq!(out.not_evaluated.len(), 1, "{rule}");
        assert_eq!(out.not_evaluated[0].scope.key(), "org:o1");
        assert!(
            out.not_evaluated[0]
                .reason
                .contains("listOrgServiceAccounts")
        );
    }
}

#[test]
fn no_entry_or_an_open_entry_is_flagged_and_a_narrow_one_is_not() {
    let mut e = estate();
    assert!(e.run(RuleId::SaNoAccessList).findings.is_empty());

    detail(&mut e).access_list = Some(Vec::new());
    let out = e.run(RuleId::SaNoAccessList);
    assert_eq!(out.findings.len(), 1);
    assert_eq!(out.findings[0].severity, Severity::Medium);
    assert!(out.findings[0].title.ends_with("has no access-list entry"));

    detail(&mut e).access_list = Some(vec![access_entry("::/0", Some(days_ago(3)))]);
    let out = e.run(RuleId::SaNoAccessList);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(fact(f, "accessListEntry")["cidrBlock"], json!("::/0"));
    assert_eq!(f.recommendation.action, Action::Modify);
}

#[test]
fn an_unread_access_list_is_not_evaluated() {
    let mut e = estate();
    detail(&mut e).access_list = None;
    e.gap(SA, "listOrgServiceAccountAccessList");
    let out = e.run(RuleId::SaNoAccessList);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    assert!(
        out.not_evaluated[0]
            .reason
            .contains("listOrgServiceAccountAccessList could not be read for sa:mdb_sa_id_1")
    );
}

/// Every use of the account (secret and access list) `days` days ago.
fn used(e: &mut Estate, days: i64) {
    let d = detail(e);
    d.secrets[0].last_used_at = Some(days_ago(days));
    d.access_list = Some(vec![access_entry("203.0.113.30/32", Some(days_ago(days)))]);
}

#[test]
fn an_account_used_exactly_inactive_days_ago_is_not_unused() {
    let mut e = estate();
    used(&mut e, 90);
    assert!(e.run(RuleId::SaUnused).findings.is_empty());
}

#[test]
fn an_account_used_a_day_past_the_limit_is_unused() {
    let mut e = estate();
    used(&mut e, 91);
    let out = e.run(RuleId::SaUnused);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(fact(f, "days_since"), &json!(91));
    assert_eq!(fact(f, "limit_days"), &json!(90));
    assert_eq!(f.recommendation.action, Action::Revoke);
}

#[test]
fn any_recent_signal_is_a_use() {
    // The secret is old but the access list saw a call yesterday.
    let mut e = estate();
    used(&mut e, 200);
    detail(&mut e).access_list = Some(vec![access_entry("203.0.113.30/32", Some(days_ago(1)))]);
    assert!(e.run(RuleId::SaUnused).findings.is_empty());

    // Everything is old but the account authored an event.
    let mut e = estate();
    used(&mut e, 200);
    e.event(SA, "o1", 5, "CLUSTER_UPDATE_SUBMITTED");
    assert!(e.run(RuleId::SaUnused).findings.is_empty());
}

fn never_used(e: &mut Estate, created_days_ago: Option<i64>) {
    let d = detail(e);
    d.secrets[0].last_used_at = None;
    d.access_list = Some(vec![access_entry("203.0.113.30/32", None)]);
    e.principal_mut(SA).created = created_days_ago.map(days_ago);
}

#[test]
fn a_never_used_account_past_its_grace_period_is_unused() {
    let mut e = estate();
    never_used(&mut e, Some(91));
    let out = e.run(RuleId::SaUnused);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert!(f.title.ends_with("was never used"));
    assert_eq!(fact(f, "lastUsedAt"), &json!(null));
    assert!(fact(f, "createdAt").is_string());
    assert_eq!(fact(f, "secret")["lastUsedAt"], json!(null));
}

#[test]
fn a_never_used_account_within_its_grace_period_is_not() {
    let mut e = estate();
    never_used(&mut e, Some(90));
    assert!(e.run(RuleId::SaUnused).findings.is_empty());
}

#[test]
fn a_never_used_account_without_a_creation_date_is_unused() {
    let mut e = estate();
    never_used(&mut e, None);
    let out = e.run(RuleId::SaUnused);
    assert_eq!(out.findings.len(), 1);
    assert_eq!(fact(&out.findings[0], "createdAt"), &json!(null));
}

#[test]
fn a_secret_with_exactly_the_warning_window_left_is_flagged() {
    let mut e = estate();
    detail(&mut e).secrets = vec![secret("s14", 76, -14)];
    let out = e.run(RuleId::SaSecretExpiring);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(fact(f, "secret")["id"], json!("s14"));
    assert_eq!(fact(f, "secret")["days_left"], json!(14));
    assert_eq!(f.recommendation.action, Action::Modify);
    assert_eq!(f.recommendation.to.as_deref(), Some("a new secret"));
    assert!(
        f.evidence
            .summary
            .contains("expires 2026-12-04 (14 days after")
    );
}

#[test]
fn a_secret_with_a_day_more_left_is_not() {
    let mut e = estate();
    detail(&mut e).secrets = vec![secret("s15", 75, -15)];
    let out = e.run(RuleId::SaSecretExpiring);
    assert!(out.findings.is_empty());
    assert!(out.not_evaluated.is_empty());
}

#[test]
fn an_expired_secret_is_flagged_for_deletion() {
    let mut e = estate();
    detail(&mut e).secrets = vec![secret("old", 100, 10), secret("new", 10, -80)];
    let out = e.run(RuleId::SaSecretExpiring);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    let ids: Vec<&serde_json::Value> = f
        .evidence
        .facts
        .iter()
        .filter(|x| x.name == "secret")
        .map(|x| &x.value["id"])
        .collect();
    assert_eq!(ids, [&json!("old")]);
    assert_eq!(fact(f, "secret")["expired_days_ago"], json!(10));
    assert_eq!(
        f.recommendation.to.as_deref(),
        Some("expired secret deleted")
    );
    assert!(
        f.recommendation
            .text
            .contains("Delete the expired secret old")
    );
}

#[test]
fn a_secret_without_a_date_is_not_evaluated() {
    let mut e = estate();
    let mut s = secret("undated", 10, -80);
    s.expires_at = None;
    detail(&mut e).secrets = vec![s];
    for rule in [RuleId::SaSecretExpiring, RuleId::SaSecretLongLived] {
        let out = e.run(rule);
        assert!(out.findings.is_empty(), "{rule}");
        assert_eq!(out.not_evaluated.len(), 1, "{rule}");
        assert_eq!(out.not_evaluated[0].principal.as_deref(), Some(SA));
        assert!(
            out.not_evaluated[0]
                .reason
                .contains("expiresAt for secret undated")
        );
    }
}

#[test]
fn a_secret_valid_exactly_max_days_is_not_long_lived() {
    let mut e = estate();
    detail(&mut e).secrets = vec![secret("s90", 30, -60)];
    assert!(e.run(RuleId::SaSecretLongLived).findings.is_empty());
}

#[test]
fn a_secret_valid_a_day_longer_is_long_lived() {
    let mut e = estate();
    detail(&mut e).secrets = vec![secret("s91", 30, -61), secret("s90", 30, -60)];
    e.org("o1")
        .settings
        .as_mut()
        .unwrap()
        .max_service_account_secret_validity_hours = Some(8760);
    let out = e.run(RuleId::SaSecretLongLived);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.severity, Severity::Medium);
    let secrets: Vec<&serde_json::Value> = f
        .evidence
        .facts
        .iter()
        .filter(|x| x.name == "secret")
        .map(|x| &x.value)
        .collect();
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0]["id"], json!("s91"));
    assert_eq!(secrets[0]["validity_days"], json!(91));
    assert_eq!(
        fact(f, "maxServiceAccountSecretValidityInHours"),
        &json!(8760)
    );
    assert_eq!(
        f.recommendation.to.as_deref(),
        Some("a secret valid at most 90 days")
    );
    assert!(f.recommendation.text.contains("lower it to 2160"));
}
