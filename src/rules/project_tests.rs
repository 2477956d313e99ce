//! Unit tests of the project rules: open networks, auditing off, and MongoDB staff access, each
//! with its clean twin and its "not read" case.

use jiff::SignedDuration;
use serde_json::json;

use crate::model::{EmployeeAccessGrant, NetworkEntry};
use crate::rules::testkit::{Estate, as_of, cluster, days_ago, fact, user_key};
use crate::rules::{Action, RuleId, Severity, SubjectKind};

fn entry(source: &str, comment: Option<&str>) -> NetworkEntry {
    NetworkEntry {
        source: source.into(),
        comment: comment.map(str::to_string),
        delete_after: None,
    }
}

#[test]
fn an_all_addresses_entry_opens_the_project() {
    let mut e = Estate::new();
    let p = e.project("o1", "p1", &[]);
    let mut open = entry("0.0.0.0/0", Some("TEMP vendor load-test"));
    open.delete_after = Some(as_of() + SignedDuration::from_hours(4 * 24));
    p.ip_access_list.as_mut().unwrap().push(open);
    let out = e.run(RuleId::ProjectNetworkOpen);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.principal.key, "project:p1");
    assert_eq!(f.principal.kind, SubjectKind::Project);
    assert_eq!(f.scope.key(), "project:p1");
    assert_eq!(f.scope.org_id, "o1");
    assert_eq!(f.severity, Severity::High);
    let v = fact(f, "accessListEntry");
    assert_eq!(v["cidrBlock"], json!("0.0.0.0/0"));
    assert_eq!(v["comment"], json!("TEMP vendor load-test"));
    assert!(v["deleteAfterDate"].is_string());
    assert!(
        f.evidence
            .summary
            .contains("temporary until 2026-11-24 (4 days after the as-of date)"),
        "{}",
        f.evidence.summary
    );
    assert_eq!(f.recommendation.action, Action::Modify);
}

#[test]
fn ipv6_all_addresses_counts_after_trimming() {
    let mut e = Estate::new();
    let p = e.project("o1", "p1", &[]);
    p.ip_access_list = Some(vec![entry(" ::/0 ", None), entry("::0/0", None)]);
    let out = e.run(RuleId::ProjectNetworkOpen);
    assert_eq!(out.findings.len(), 1);
    let cidrs: Vec<&serde_json::Value> = out.findings[0]
        .evidence
        .facts
        .iter()
        .map(|f| &f.value["cidrBlock"])
        .collect();
    assert_eq!(cidrs, [&json!("::/0"), &json!("::0/0")]);
}

#[test]
fn narrow_blocks_are_not_open() {
    let mut e = Estate::new();
    let p = e.project("o1", "p1", &[]);
    p.ip_access_list = Some(vec![
        entry("10.0.0.0/8", None),
        entry("0.0.0.0/1", None),
        entry("198.51.100.23", None),
    ]);
    let out = e.run(RuleId::ProjectNetworkOpen);
    assert!(out.findings.is_empty());
    assert!(out.not_evaluated.is_empty());
}

#[test]
fn an_unread_access_list_is_not_evaluated() {
    let mut e = Estate::new();
    e.project("o1", "p1", &[]).ip_access_list = None;
    e.gap("project:p1", "listGroupAccessListEntries");
    e.project("o1", "p2", &[]).ip_access_list = None;
    let out = e.run(RuleId::ProjectNetworkOpen);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 2);
    assert_eq!(out.not_evaluated[0].scope.key(), "project:p1");
    assert!(
        out.not_evaluated[0]
            .reason
            .contains("listGroupAccessListEntries could not be read")
    );
    assert!(
        out.not_evaluated[1]
            .reason
            .contains("listGroupAccessListEntries")
    );
}

#[test]
fn auditing_off_is_flagged_with_the_last_change() {
    let mut e = Estate::new();
    e.project("o1", "p1", &[])
        .audit_log
        .as_mut()
        .unwrap()
        .enabled = false;
    e.project("o1", "p2", &[]);
    e.user("o1", "james@x.test");
    let ev = e.event(
        &user_key("james@x.test"),
        "o1",
        50,
        "AUDIT_LOG_CONFIGURATION_UPDATED",
    );
    ev.project_id = Some("p1".into());
    let out = e.run(RuleId::ProjectAuditingDisabled);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.principal.key, "project:p1");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(fact(f, "auditLog.enabled"), &json!(false));
    assert_eq!(fact(f, "event")["by"], json!("user:james@x.test"));
    assert!(f.evidence.summary.contains("50 days before"));
    assert_eq!(
        f.recommendation.to.as_deref(),
        Some("auditLog.enabled: true")
    );
}

#[test]
fn auditing_on_is_clean_and_unread_is_not_evaluated() {
    let mut e = Estate::new();
    e.project("o1", "p1", &[]);
    e.project("o1", "p2", &[]).audit_log = None;
    e.gap("project:p2", "getGroupAuditLog");
    let out = e.run(RuleId::ProjectAuditingDisabled);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    assert_eq!(out.not_evaluated[0].scope.key(), "project:p2");
    assert!(out.not_evaluated[0].reason.contains("getGroupAuditLog"));
}

fn with_grant(name: &str, expires: Option<jiff::Timestamp>) -> crate::model::Cluster {
    let mut c = cluster(name);
    c.employee_access_grant = Some(EmployeeAccessGrant {
        grant_type: Some("CLUSTER_INFRASTRUCTURE".into()),
        expires,
    });
    c
}

#[test]
fn an_active_staff_grant_is_one_finding_per_project_listing_the_clusters() {
    let mut e = Estate::new();
    e.project("o1", "p1", &[]).clusters = Some(vec![
        with_grant("payments-core", Some(days_ago(-3))),
        with_grant("open-ended", None),
        with_grant("old", Some(days_ago(12))),
        cluster("plain"),
    ]);
    let out = e.run(RuleId::ClusterEmployeeAccess);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.principal.key, "project:p1");
    assert_eq!(f.severity, Severity::Medium);
    let grants: Vec<&serde_json::Value> = f
        .evidence
        .facts
        .iter()
        .filter(|x| x.name == "mongoDBEmployeeAccessGrant")
        .map(|x| &x.value)
        .collect();
    assert_eq!(grants.len(), 2, "the expired grant is not listed");
    assert_eq!(grants[0]["cluster"], json!("payments-core"));
    assert_eq!(grants[0]["grantType"], json!("CLUSTER_INFRASTRUCTURE"));
    assert_eq!(grants[0]["days_left"], json!(3));
    assert_eq!(grants[1]["cluster"], json!("open-ended"));
    assert!(f.evidence.summary.contains("until 2026-11-23"));
    assert!(f.evidence.summary.contains("with no expiry date"));
    assert_eq!(f.recommendation.action, Action::Revoke);
}

#[test]
fn a_grant_that_has_expired_or_ends_now_is_not_flagged() {
    let mut e = Estate::new();
    e.project("o1", "p1", &[]).clusters = Some(vec![
        with_grant("inventory-main", Some(days_ago(12))),
        with_grant("ends-now", Some(as_of())),
    ]);
    let out = e.run(RuleId::ClusterEmployeeAccess);
    assert!(out.findings.is_empty());
    assert!(out.not_evaluated.is_empty());
}

#[test]
fn unread_clusters_are_not_evaluated() {
    let mut e = Estate::new();
    e.project("o1", "p1", &[]).clusters = None;
    e.gap("project:p1", "listGroupClusters");
    let out = e.run(RuleId::ClusterEmployeeAccess);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    assert!(out.not_evaluated[0].reason.contains("listGroupClusters"));
}
