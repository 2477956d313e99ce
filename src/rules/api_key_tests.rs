//! Unit tests of the API key rules: owner roles by every path, open or missing access lists,
//! and unused keys at the day boundary, each with its twin and its "not evaluated" case.

use serde_json::json;

use crate::model::{ApiKey, PrincipalDetail, Via};
use crate::rules::testkit::{Estate, access_entry, days_ago, fact, facts, hours_ago};
use crate::rules::{Action, RuleId, Severity};

fn detail<'e>(e: &'e mut Estate, public_key: &str) -> &'e mut ApiKey {
    match &mut e.principal_mut(&format!("apikey:{public_key}")).detail {
        PrincipalDetail::ApiKey(k) => k,
        _ => unreachable!(),
    }
}

fn estate() -> Estate {
    let mut e = Estate::new();
    e.project("o1", "p1", &[]);
    e.project("o1", "p2", &[]);
    e.api_key("o1", "kkkk");
    e
}

/// ORG_OWNER on o1 and what the assembler derives from it: GROUP_OWNER on every project.
fn org_owner(e: &mut Estate, principal: &str) {
    e.org_role(principal, "o1", "ORG_OWNER");
    for p in ["p1", "p2"] {
        e.project_role(
            principal,
            p,
            "GROUP_OWNER",
            Via::OrgRole("ORG_OWNER".into()),
        );
    }
}

#[test]
fn an_org_owner_key_is_flagged_with_its_implied_grants() {
    let mut e = estate();
    org_owner(&mut e, "apikey:kkkk");
    let out = e.run(RuleId::ApikeyPrivileged);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.principal.key, "apikey:kkkk");
    assert_eq!(f.scope.key(), "org:o1");
    assert_eq!(f.severity, Severity::High);
    assert_eq!(f.title, "API key key kkkk (kkkk) holds ORG_OWNER");
    // The org role itself is a grant fact; the project grants it implies are counted in one.
    let grants = facts(f, "grant");
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0]["role"], json!("ORG_OWNER"));
    assert_eq!(
        facts(f, "implied_grants"),
        vec![
            &json!({"role": "GROUP_OWNER", "via": "org-role", "implied_by": "ORG_OWNER", "projects": 2})
        ]
    );
    assert!(
        f.evidence
            .summary
            .contains("GROUP_OWNER on 2 projects (org-role, implied by ORG_OWNER)")
    );
    assert_eq!(f.recommendation.action, Action::Modify);
    assert_eq!(f.recommendation.to.as_deref(), Some("ORG_READ_ONLY"));
}

#[test]
fn a_group_owner_key_is_flagged_with_all_its_grants_and_a_project_role_to_move_to() {
    let mut e = estate();
    e.project_role("apikey:kkkk", "p1", "GROUP_OWNER", Via::Direct);
    e.project_role("apikey:kkkk", "p2", "GROUP_CLUSTER_MANAGER", Via::Direct);
    let out = e.run(RuleId::ApikeyPrivileged);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    let roles: Vec<&serde_json::Value> = facts(f, "grant").iter().map(|g| &g["role"]).collect();
    assert_eq!(
        roles,
        [&json!("GROUP_OWNER"), &json!("GROUP_CLUSTER_MANAGER")]
    );
    assert_eq!(fact(f, "privileged_roles"), &json!(["GROUP_OWNER"]));
    assert_eq!(f.recommendation.to.as_deref(), Some("GROUP_READ_ONLY"));
    assert!(f.recommendation.text.contains("project-p1"));
}

#[test]
fn an_implied_grant_alone_makes_a_key_privileged_when_the_policy_lists_only_group_owner() {
    let mut e = estate();
    org_owner(&mut e, "apikey:kkkk");
    e.policy.roles.privileged_machine_roles = vec!["GROUP_OWNER".into()];
    let out = e.run(RuleId::ApikeyPrivileged);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(fact(f, "privileged_roles"), &json!(["GROUP_OWNER"]));
    // The power comes from the org role, so that is what to lower.
    assert_eq!(f.recommendation.to.as_deref(), Some("ORG_READ_ONLY"));
    assert!(f.recommendation.text.contains("Replace ORG_OWNER"));
}

#[test]
fn a_read_only_key_is_not_privileged() {
    let mut e = estate();
    e.org_role("apikey:kkkk", "o1", "ORG_READ_ONLY");
    e.project_role(
        "apikey:kkkk",
        "p1",
        "GROUP_READ_ONLY",
        Via::OrgRole("ORG_READ_ONLY".into()),
    );
    e.project_role("apikey:kkkk", "p2", "GROUP_CLUSTER_MANAGER", Via::Direct);
    let out = e.run(RuleId::ApikeyPrivileged);
    assert!(out.findings.is_empty());
    assert!(out.not_evaluated.is_empty());
}

#[test]
fn an_unknown_role_is_not_evaluated_unless_the_policy_lists_it() {
    let mut e = estate();
    e.project_role("apikey:kkkk", "p1", "GROUP_SOMETHING_NEW", Via::Direct);
    let out = e.run(RuleId::ApikeyPrivileged);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    let n = &out.not_evaluated[0];
    assert_eq!(n.principal.as_deref(), Some("apikey:kkkk"));
    assert!(
        n.reason
            .starts_with("role GROUP_SOMETHING_NEW is not one atlas-audit knows")
    );

    e.policy
        .roles
        .privileged_machine_roles
        .push("GROUP_SOMETHING_NEW".into());
    let out = e.run(RuleId::ApikeyPrivileged);
    assert_eq!(out.findings.len(), 1);
    assert!(out.not_evaluated.is_empty());
}

#[test]
fn without_the_key_listing_the_org_is_not_evaluated() {
    let mut e = estate();
    e.gap("org:o1", "listOrgApiKeys");
    for rule in [
        RuleId::ApikeyPrivileged,
        RuleId::ApikeyNoAccessList,
        RuleId::ApikeyUnused,
    ] {
        let out = e.run(rule);
        assert!(out.findings.is_empty(), "{rule}");
        assert_eq!(out.not_evaluated.len(), 1, "{rule}");
        assert!(out.not_evaluated[0].reason.contains("listOrgApiKeys"));
    }
}

#[test]
fn a_key_without_entries_is_flagged() {
    let mut e = estate();
    detail(&mut e, "kkkk").access_list = Some(Vec::new());
    e.org("o1")
        .settings
        .as_mut()
        .unwrap()
        .api_access_list_required = Some(false);
    let out = e.run(RuleId::ApikeyNoAccessList);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.principal.key, "apikey:kkkk");
    assert_eq!(f.severity, Severity::High);
    assert!(f.title.ends_with("has no access-list entry"));
    assert_eq!(fact(f, "apiAccessListRequired"), &json!(false));
    assert_eq!(f.recommendation.action, Action::Modify);
}

#[test]
fn an_open_entry_is_flagged_naming_who_added_it_and_its_last_use() {
    let mut e = estate();
    let mut open = access_entry("0.0.0.0/0", Some(days_ago(2)));
    open.created = Some(days_ago(33));
    detail(&mut e, "kkkk").access_list = Some(vec![open, access_entry("203.0.113.20/32", None)]);
    e.user("o1", "ahmed@x.test");
    e.event(
        "user:ahmed@x.test",
        "o1",
        33,
        "API_KEY_ACCESS_LIST_ENTRY_ADDED",
    )
    .target = Some("kkkk".into());
    // The same event for another key names nobody here.
    e.event(
        "user:other@x.test",
        "o1",
        33,
        "API_KEY_ACCESS_LIST_ENTRY_ADDED",
    )
    .target = Some("zzzz".into());
    let out = e.run(RuleId::ApikeyNoAccessList);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    let entry = fact(f, "accessListEntry");
    assert_eq!(entry["cidrBlock"], json!("0.0.0.0/0"));
    assert_eq!(entry["added_by"], json!("user:ahmed@x.test"));
    assert_eq!(entry["lastUsedAddress"], json!("203.0.113.50"));
    assert!(
        f.evidence
            .summary
            .contains("added 2026-10-18 (33 days before the as-of date) by user:ahmed@x.test")
    );
    assert!(f.evidence.summary.contains("last used 2026-11-18"));
    assert!(f.recommendation.text.contains("delete 0.0.0.0/0"));
}

#[test]
fn a_key_with_narrow_entries_has_an_access_list() {
    let e = estate();
    let out = e.run(RuleId::ApikeyNoAccessList);
    assert!(out.findings.is_empty());
    assert!(out.not_evaluated.is_empty());
}

#[test]
fn an_unread_access_list_is_not_evaluated_citing_the_key_gap() {
    let mut e = estate();
    detail(&mut e, "kkkk").access_list = None;
    e.gap("apikey:kkkk", "listOrgApiKeyAccessListEntries");
    for rule in [RuleId::ApikeyNoAccessList, RuleId::ApikeyUnused] {
        let out = e.run(rule);
        assert!(out.findings.is_empty(), "{rule}");
        assert_eq!(out.not_evaluated.len(), 1, "{rule}");
        let n = &out.not_evaluated[0];
        assert_eq!(n.principal.as_deref(), Some("apikey:kkkk"));
        assert!(
            n.reason
                .contains("listOrgApiKeyAccessListEntries could not be read for apikey:kkkk")
        );
    }
}

fn last_used(e: &mut Estate, at: jiff::Timestamp) {
    detail(e, "kkkk").access_list = Some(vec![access_entry("203.0.113.20/32", Some(at))]);
}

#[test]
fn a_key_last_used_exactly_inactive_days_ago_is_not_unused() {
    let mut e = estate();
    last_used(&mut e, days_ago(90));
    assert!(e.run(RuleId::ApikeyUnused).findings.is_empty());
}

#[test]
fn a_key_last_used_a_day_past_the_limit_is_unused() {
    let mut e = estate();
    last_used(&mut e, days_ago(91));
    let out = e.run(RuleId::ApikeyUnused);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(fact(f, "days_since"), &json!(91));
    assert_eq!(fact(f, "limit_days"), &json!(90));
    assert_eq!(fact(f, "last_use_source"), &json!("access-list lastUsed"));
    assert!(
        f.evidence
            .summary
            .contains("2026-08-21 (91 days before the as-of date)")
    );
    assert_eq!(f.recommendation.action, Action::Revoke);
}

#[test]
fn an_hour_past_the_limit_is_unused_and_says_so() {
    let mut e = estate();
    last_used(&mut e, hours_ago(90 * 24 + 1));
    let out = e.run(RuleId::ApikeyUnused);
    assert_eq!(out.findings.len(), 1);
    assert!(
        out.findings[0]
            .evidence
            .summary
            .contains("90 days 1 h before")
    );
}

#[test]
fn a_key_never_used_is_flagged_with_its_entries() {
    let mut e = estate();
    let mut entry = access_entry("203.0.113.41/32", None);
    entry.created = Some(days_ago(150));
    detail(&mut e, "kkkk").access_list = Some(vec![entry]);
    let out = e.run(RuleId::ApikeyUnused);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert!(f.title.ends_with("was never used"));
    assert_eq!(fact(f, "lastUsed"), &json!(null));
    assert!(fact(f, "accessListEntry")["created"].is_string());
    assert!(f.evidence.summary.contains("added 2026-06-23"));
}

#[test]
fn an_authored_event_is_a_use() {
    let mut e = estate();
    last_used(&mut e, days_ago(300));
    e.event("apikey:kkkk", "o1", 10, "CLUSTER_UPDATE_SUBMITTED");
    assert!(e.run(RuleId::ApikeyUnused).findings.is_empty());

    // An old event does not rescue it, and is named as the latest use when it is one.
    let mut e = estate();
    last_used(&mut e, days_ago(300));
    e.event("apikey:kkkk", "o1", 100, "CLUSTER_UPDATE_SUBMITTED");
    let out = e.run(RuleId::ApikeyUnused);
    assert_eq!(out.findings.len(), 1);
    assert_eq!(
        fact(&out.findings[0], "last_use_source"),
        &json!("authored event")
    );
    assert_eq!(fact(&out.findings[0], "days_since"), &json!(100));
}

#[test]
fn a_key_without_entries_has_no_usage_signal() {
    let mut e = estate();
    detail(&mut e, "kkkk").access_list = Some(Vec::new());
    let out = e.run(RuleId::ApikeyUnused);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    assert_eq!(
        out.not_evaluated[0].principal.as_deref(),
        Some("apikey:kkkk")
    );
    assert!(out.not_evaluated[0].reason.contains("no usage signal"));
}
