//! Unit tests of DBUSER_ORPHANED and DBUSER_INACTIVE.

use serde_json::Value;

use super::super::tests::{dbkey, estate};
use crate::model::PrincipalDetail;
use crate::rules::history::{History, LogRead, PastLogin};
use crate::rules::testkit::{Estate, cluster, days_ago, fact, only};
use crate::rules::{Action, RuleId, Severity};

// DBUSER_ORPHANED

fn removed(e: &mut Estate, email: &str, org: &str, days: i64) {
    e.event("user:admin@example.test", org, days, "REMOVED_FROM_ORG")
        .target = Some(email.into());
}

#[test]
fn orphaned_flags_a_user_named_after_someone_removed_from_the_org() {
    let mut e = estate();
    removed(&mut e, "dana.whitfield@example.test", "o1", 75);
    e.db_user("p1", "dana.whitfield", &[("read", "shop")], &[]);
    e.login("p1", "c1", "dana.whitfield", 72, false);
    e.login("p1", "c1", "dana.whitfield", 73, false);
    let f = only(&e, RuleId::DbuserOrphaned);
    assert_eq!(f.principal.key, dbkey("p1", "dana.whitfield"));
    assert_eq!(f.severity, Severity::High);
    assert_eq!(
        fact(&f, "person")["username"],
        "dana.whitfield@example.test"
    );
    assert_eq!(fact(&f, "person")["days_since_removed"], 75);
    assert_eq!(fact(&f, "failed_logins")["count"], 2);
    assert!(
        f.evidence.summary.contains("75 days before"),
        "{}",
        f.evidence.summary
    );
    assert_eq!(f.recommendation.action, Action::Revoke);
}

#[test]
fn orphaned_passes_users_named_after_active_members() {
    let mut e = estate();
    e.user("o1", "carlos.mendes@example.test");
    // Removed once, but listed as an active member now.
    removed(&mut e, "carlos.mendes@example.test", "o1", 200);
    e.db_user("p2", "Carlos.Mendes", &[("readWrite", "shop")], &[]);
    e.db_user("p2", "svc-app", &[("readWrite", "shop")], &[]);
    assert!(e.flagged(RuleId::DbuserOrphaned).is_empty());
}

#[test]
fn orphaned_matches_the_whole_email_and_a_non_active_membership() {
    let mut e = estate();
    e.user("o1", "zoe@example.test");
    if let PrincipalDetail::AtlasUser(u) = &mut e.principal_mut("user:zoe@example.test").detail {
        u.memberships[0].status = "INVITATION_EXPIRED".into();
    }
    e.db_user("p2", "ZOE@example.test", &[("read", "shop")], &[]);
    let f = only(&e, RuleId::DbuserOrphaned);
    assert_eq!(
        fact(&f, "person")["orgMembershipStatus"],
        "INVITATION_EXPIRED"
    );
}

#[test]
fn orphaned_only_knows_people_of_the_projects_org_from_membership_events() {
    let mut e = estate();
    e.org("o2");
    removed(&mut e, "dana@example.test", "o2", 10);
    e.event("user:admin@example.test", "o1", 5, "MONGODB_USER_ADDED")
        .target = Some("erin@example.test".into());
    e.db_user("p1", "dana", &[("read", "shop")], &[]);
    e.db_user("p1", "erin", &[("read", "shop")], &[]);
    assert!(e.flagged(RuleId::DbuserOrphaned).is_empty());
}

#[test]
fn orphaned_is_not_evaluated_without_the_org_user_listing() {
    let mut e = estate();
    removed(&mut e, "dana@example.test", "o1", 10);
    e.db_user("p1", "dana", &[("read", "shop")], &[]);
    e.gap("org:o1", "listOrgUsers");
    let out = e.run(RuleId::DbuserOrphaned);
    assert!(out.findings.is_empty());
    let mut projects: Vec<_> = out
        .not_evaluated
        .iter()
        .map(|n| n.scope.project_id.clone().unwrap())
        .collect();
    projects.sort();
    assert_eq!(projects, vec!["p1", "p2"]);
}

// DBUSER_INACTIVE

#[test]
fn inactive_flags_a_user_without_success_over_a_long_enough_window() {
    let mut e = estate();
    e.observed("p1", "c1", 100);
    e.db_user("p1", "legacy-reporting", &[("read", "shop")], &["c1"]);
    e.login("p1", "c1", "legacy-reporting", 60 * 24, false);
    e.login("p1", "c1", "legacy-reporting", 61 * 24, false);
    let f = only(&e, RuleId::DbuserInactive);
    assert_eq!(f.principal.key, dbkey("p1", "legacy-reporting"));
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(fact(&f, "observed_window")["days"], 100);
    assert_eq!(fact(&f, "last_successful_authentication"), &Value::Null);
    assert_eq!(fact(&f, "failed_attempts")["count"], 2);
    assert_eq!(f.recommendation.action, Action::Revoke);
}

#[test]
fn inactive_passes_a_success_exactly_90_days_old_but_not_91() {
    let mut e = estate();
    e.observed("p1", "c1", 100);
    e.db_user("p1", "at-90", &[("read", "shop")], &["c1"]);
    e.db_user("p1", "at-91", &[("read", "shop")], &["c1"]);
    e.login("p1", "c1", "at-90", 90 * 24, true);
    e.login("p1", "c1", "at-91", 91 * 24, true);
    let f = only(&e, RuleId::DbuserInactive);
    assert_eq!(f.principal.key, dbkey("p1", "at-91"));
    assert_eq!(fact(&f, "last_successful_authentication")["days_since"], 91);
}

#[test]
fn inactive_counts_only_successes_on_reachable_clusters_and_its_auth_database() {
    let mut e = estate();
    e.project("o1", "p3", &[])
        .clusters
        .as_mut()
        .unwrap()
        .push(cluster("c2"));
    e.observed("p3", "c1", 100);
    e.observed("p3", "c2", 100);
    e.db_user("p3", "scoped", &[("read", "shop")], &["c1"]);
    e.login("p3", "c2", "scoped", 24, true);
    e.db_user("p3", "external", &[("read", "shop")], &["c1"]);
    e.login("p3", "c1", "external", 24, true);
    e.snapshot.access_logs.last_mut().unwrap().auth_source = Some("$external".into());
    e.db_user("p3", "unscoped", &[("read", "shop")], &[]);
    e.login("p3", "c2", "unscoped", 24, true);
    let mut flagged = e.flagged(RuleId::DbuserInactive);
    flagged.sort();
    assert_eq!(
        flagged,
        vec![dbkey("p3", "external"), dbkey("p3", "scoped")]
    );
}

#[test]
fn inactive_is_not_evaluated_once_per_project_when_the_window_is_short() {
    let mut e = estate();
    e.observed("p1", "c1", 7);
    e.db_user("p1", "dana", &[("read", "shop")], &[]);
    e.db_user("p1", "bi", &[("read", "shop")], &["c1"]);
    let out = e.run(RuleId::DbuserInactive);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1, "{:?}", out.not_evaluated);
    let n = &out.not_evaluated[0];
    assert!(n.principal.is_none());
    assert_eq!(n.scope.project_id.as_deref(), Some("p1"));
    assert!(
        n.reason.contains(
            "access logs of c1 cover 7 days (since 2026-11-13), fewer than inactive_days 90"
        ),
        "{}",
        n.reason
    );
    assert!(n.reason.starts_with("2 database users"));
    assert!(n.reason.contains("collections at most 7 days apart"));
}

#[test]
fn inactive_needs_every_reachable_cluster_observed() {
    let mut e = estate();
    e.project("o1", "p3", &[])
        .clusters
        .as_mut()
        .unwrap()
        .push(cluster("c2"));
    e.observed("p3", "c1", 100);
    e.observed("p3", "c2", 7);
    e.db_user("p3", "unscoped", &[("read", "shop")], &[]);
    e.db_user("p3", "scoped", &[("read", "shop")], &["c1"]);
    let out = e.run(RuleId::DbuserInactive);
    let keys: Vec<_> = out
        .findings
        .iter()
        .map(|f| f.principal.key.clone())
        .collect();
    assert_eq!(keys, vec![dbkey("p3", "scoped")]);
    assert_eq!(out.not_evaluated.len(), 1);
    assert!(out.not_evaluated[0].reason.contains("c2 cover 7 days"));
    assert!(!out.not_evaluated[0].reason.contains("of c1"));
}

#[test]
fn inactive_is_not_evaluated_for_unread_logs_or_clusters() {
    let mut e = estate();
    e.observed("p1", "c1", 100);
    e.gap("project:p1/cluster:c1", "getGroupDbAccessHistoryCluster");
    e.db_user("p1", "a", &[("read", "shop")], &["c1"]);
    e.db_user("p2", "b", &[("read", "shop")], &[]);
    e.snapshot.projects[1].clusters = None;
    e.gap("project:p2", "listGroupClusters");
    let out = e.run(RuleId::DbuserInactive);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 2, "{:?}", out.not_evaluated);
    let reason = |p: &str| {
        out.not_evaluated
            .iter()
            .find(|n| n.scope.project_id.as_deref() == Some(p))
            .unwrap()
            .reason
            .clone()
    };
    assert!(reason("p1").contains("access logs of c1 were not read whole"));
    assert!(!reason("p1").contains("collections at most"));
    assert!(reason("p2").contains("listGroupClusters"));

    // A cluster with no window at all is not observed either.
    e.snapshot.coverage.clear();
    e.snapshot.access_log_windows.clear();
    let out = e.run(RuleId::DbuserInactive);
    assert!(out.findings.is_empty());
    assert!(reason_of(&out, "p1").contains("no access log of c1 was read"));
}

#[test]
fn inactive_leaves_out_only_a_user_whose_success_has_no_time() {
    let mut e = estate();
    e.observed("p1", "c1", 100);
    e.db_user("p1", "undated", &[("read", "shop")], &["c1"]);
    e.db_user("p1", "silent", &[("read", "shop")], &["c1"]);
    e.login("p1", "c1", "undated", 24, true);
    e.snapshot.access_logs.last_mut().unwrap().at = None;
    // The cluster's coverage entry says Atlas answered in full: the log was read whole.
    e.snapshot.coverage.push(crate::model::CoverageGap {
        scope: "project:p1/cluster:c1".into(),
        endpoint: "getGroupDbAccessHistoryCluster".into(),
        status: Some(200),
        error_code: None,
        reason: "1 access-log entry had a time that could not be read".into(),
    });
    let out = e.run(RuleId::DbuserInactive);
    let keys: Vec<_> = out.findings.iter().map(|f| &f.principal.key).collect();
    assert_eq!(keys, vec![&dbkey("p1", "silent")]);
    assert_eq!(out.not_evaluated.len(), 1, "{:?}", out.not_evaluated);
    let n = &out.not_evaluated[0];
    assert_eq!(
        n.principal.as_deref(),
        Some(dbkey("p1", "undated").as_str())
    );
    assert!(
        n.reason.contains("on c1 at a time that could not be read"),
        "{}",
        n.reason
    );
}

#[test]
fn atlas_agents_are_no_database_users_activity() {
    let mut e = estate();
    e.observed("p1", "c1", 100);
    // A database user named like Atlas's automation agent, and the agent's own logins.
    e.db_user("p1", "mms-automation", &[("read", "shop")], &["c1"]);
    e.login("p1", "c1", "mms-automation", 2, true);
    assert_eq!(
        e.flagged(RuleId::DbuserInactive),
        vec![dbkey("p1", "mms-automation")]
    );
    assert!(crate::model::is_atlas_agent("mms-mongotune"));
    assert!(crate::model::is_atlas_agent("__system"));
    assert!(!crate::model::is_atlas_agent("app-mms-reader"));
}

#[test]
fn orphaned_evidence_names_attempts_without_a_time() {
    let mut e = estate();
    removed(&mut e, "dana.whitfield@example.test", "o1", 75);
    e.db_user("p1", "dana.whitfield", &[("read", "shop")], &[]);
    e.login("p1", "c1", "dana.whitfield", 72, false);
    e.snapshot.access_logs.last_mut().unwrap().at = None;
    let f = only(&e, RuleId::DbuserOrphaned);
    assert_eq!(fact(&f, "failed_logins")["count"], 1);
    assert_eq!(fact(&f, "failed_logins")["latest"], Value::Null);
    assert!(
        f.evidence
            .summary
            .contains("1 failed login, the latest at a time that could not be read on c1"),
        "{}",
        f.evidence.summary
    );
}

/// Weekly reads of `p1`/`c1` recorded in the store, each reaching back a week, from `first`
/// days ago to `last` days ago.
fn weekly_reads(e: &mut Estate, first: i64, last: i64) {
    let mut day = first;
    while day >= last {
        e.history.add_read(
            "p1",
            "c1",
            LogRead {
                start: days_ago(day + 7),
                end: days_ago(day),
                run_id: Some(first - day),
            },
        );
        day -= 7;
    }
}

#[test]
fn inactive_judges_over_the_stores_continuous_observation() {
    let mut e = estate();
    e.observed("p1", "c1", 7);
    e.db_user("p1", "gone", &[("read", "shop")], &["c1"]);
    e.db_user("p1", "quiet", &[("read", "shop")], &["c1"]);
    e.db_user("p1", "recent", &[("read", "shop")], &["c1"]);
    // Reads every week for 98 days.
    weekly_reads(&mut e, 98, 7);
    // `quiet` last logged in 120 days ago, `recent` 30 days ago: both only in the store.
    let login = |days, run_id| PastLogin {
        at: days_ago(days),
        run_id,
    };
    e.history
        .add_login("p1", "c1", "quiet", Some("admin"), login(120, 1));
    e.history
        .add_login("p1", "c1", "recent", Some("admin"), login(30, 9));
    let out = e.run(RuleId::DbuserInactive);
    assert!(out.not_evaluated.is_empty(), "{:?}", out.not_evaluated);
    let keys: Vec<_> = out
        .findings
        .iter()
        .map(|f| f.principal.key.clone())
        .collect();
    assert_eq!(keys, vec![dbkey("p1", "gone"), dbkey("p1", "quiet")]);
    let gone = &out.findings[0];
    assert_eq!(
        gone.evidence.summary,
        "No successful authentication in 105 days of continuous observation since 2026-08-07 (c1 since 2026-08-07 over 15 reads)."
    );
    assert_eq!(fact(gone, "observed_window")["reads"], 15);
    assert_eq!(fact(gone, "observed_window")["broken"], Value::Null);
    let quiet = &out.findings[1];
    assert!(
        quiet
            .evidence
            .summary
            .contains("the last one seen was 2026-07-23 on c1 (120 days before the as-of date; the limit is 90), recorded by run 1 of the evidence store"),
        "{}",
        quiet.evidence.summary
    );
    assert_eq!(
        fact(quiet, "last_successful_authentication")["recorded_by_run"],
        1
    );

    // Without the store the same snapshot cannot be judged.
    e.history = History::default();
    let out = e.run(RuleId::DbuserInactive);
    assert!(out.findings.is_empty());
    assert!(reason_of(&out, "p1").starts_with("3 database users of"));
}

#[test]
fn inactive_restarts_observation_after_a_gap_and_says_why() {
    let mut e = estate();
    e.observed("p1", "c1", 7);
    e.db_user("p1", "gone", &[("read", "shop")], &["c1"]);
    // Weekly from 140 to 63 days ago, then two weeks without a read, then weekly again.
    weekly_reads(&mut e, 140, 63);
    weekly_reads(&mut e, 49, 7);
    let out = e.run(RuleId::DbuserInactive);
    assert!(out.findings.is_empty());
    let reason = reason_of(&out, "p1");
    assert!(
        reason.contains(
            "access logs of c1 were observed continuously for 56 days (since 2026-09-25, over 8 reads), fewer than inactive_days 90 because the reads of 2026-09-18 and 2026-10-02 were 14 days apart, more than the 7 days of history Atlas keeps"
        ),
        "{reason}"
    );
}

#[test]
fn inactive_passes_a_recent_success_however_short_the_observation() {
    let mut e = estate();
    e.observed("p1", "c1", 7);
    e.db_user("p1", "busy", &[("read", "shop")], &["c1"]);
    e.login("p1", "c1", "busy", 30, true);
    let out = e.run(RuleId::DbuserInactive);
    assert!(out.findings.is_empty());
    assert!(out.not_evaluated.is_empty(), "{:?}", out.not_evaluated);
}

#[test]
fn inactive_passes_a_user_created_within_the_limit() {
    let mut e = estate();
    e.observed("p1", "c1", 100);
    e.db_user("p1", "new", &[("read", "shop")], &["c1"]);
    e.db_user("p1", "old", &[("read", "shop")], &["c1"]);
    e.principal_mut(&dbkey("p1", "new")).created = Some(days_ago(89));
    e.principal_mut(&dbkey("p1", "old")).created = Some(days_ago(91));
    assert_eq!(e.flagged(RuleId::DbuserInactive), vec![dbkey("p1", "old")]);
}

fn reason_of(out: &crate::rules::RuleOutput, project: &str) -> String {
    out.not_evaluated
        .iter()
        .find(|n| n.scope.project_id.as_deref() == Some(project))
        .map(|n| n.reason.clone())
        .unwrap_or_default()
}

#[test]
fn group_identities_are_not_judged_by_their_own_absence_from_the_log() {
    let mut e = Estate::new();
    e.project("o1", "p1", &[]);
    e.observed("p1", "c1", 120);
    e.db_user(
        "p1",
        "CN=readers,OU=groups,DC=example",
        &[("read", "sales")],
        &["c1"],
    );
    e.db_user("p1", "batch", &[("read", "sales")], &["c1"]);
    let k = crate::model::key::database_user("p1", "admin", "CN=readers,OU=groups,DC=example");
    if let crate::model::PrincipalDetail::DatabaseUser(d) = &mut e.principal_mut(&k).detail {
        d.auth_method = crate::model::AuthMethod::LdapGroup;
    }
    let out = e.run(RuleId::DbuserInactive);
    // The password user that never signed in is flagged; the group is named as not judged.
    let flagged: Vec<&str> = out
        .findings
        .iter()
        .map(|f| f.principal.key.as_str())
        .collect();
    assert_eq!(flagged, vec!["dbuser:p1/admin/batch"]);
    assert!(
        out.not_evaluated
            .iter()
            .any(|n| n.reason.contains("1 group database user of project-p1")),
        "{:?}",
        out.not_evaluated
    );
}
