//! Unit tests of USER_PRIVILEGED_PROJECT_ROLE and USER_UNUSED_PRIVILEGE.

use serde_json::Value;

use super::super::tests::{ALICE, BOB, estate};
use crate::model::Via;
use crate::rules::testkit::{days_ago, fact, facts, only, user_key};
use crate::rules::{Action, RuleId};

// USER_PRIVILEGED_PROJECT_ROLE

#[test]
fn privileged_role_flags_a_direct_grant_and_recommends_read_only() {
    let mut e = estate();
    e.project("o1", "p3", &[]);
    e.user("o1", ALICE);
    e.user("o1", BOB);
    e.project_role(&user_key(ALICE), "p1", "GROUP_OWNER", Via::Direct);
    e.project_role(&user_key(ALICE), "p3", "GROUP_OWNER", Via::Direct);
    e.project_role(
        &user_key(BOB),
        "p1",
        "GROUP_DATA_ACCESS_READ_WRITE",
        Via::Direct,
    );
    e.project_role(&user_key(BOB), "p1", "GROUP_READ_ONLY", Via::Direct);
    let f = only(&e, RuleId::UserPrivilegedProjectRole);
    assert_eq!(f.principal.key, user_key(ALICE));
    assert_eq!(f.scope.org_id, "o1");
    assert_eq!(facts(&f, "grant").len(), 2);
    assert_eq!(fact(&f, "grant")["via"], "direct");
    assert_eq!(f.recommendation.action, Action::Modify);
    assert_eq!(f.recommendation.to.as_deref(), Some("GROUP_READ_ONLY"));
}

#[test]
fn privileged_role_counts_team_grants() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.project_role(
        &user_key(ALICE),
        "p1",
        "GROUP_OWNER",
        Via::Team("sre".into()),
    );
    let f = only(&e, RuleId::UserPrivilegedProjectRole);
    assert_eq!(fact(&f, "grant")["via"], "team:sre");
    assert!(
        f.recommendation.text.contains("team sre"),
        "{}",
        f.recommendation.text
    );
}

#[test]
fn privileged_role_counts_org_role_grants_and_points_at_the_org_role() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.org_role(&user_key(ALICE), "o1", "ORG_OWNER");
    e.project_role(
        &user_key(ALICE),
        "p1",
        "GROUP_OWNER",
        Via::OrgRole("ORG_OWNER".into()),
    );
    let f = only(&e, RuleId::UserPrivilegedProjectRole);
    assert_eq!(fact(&f, "grant")["via"], "org-role");
    assert_eq!(fact(&f, "grant")["implied_by"], "ORG_OWNER");
    assert_eq!(f.recommendation.to.as_deref(), Some("GROUP_READ_ONLY"));
    assert!(f.recommendation.text.contains("USER_ORG_OWNER"));
    assert!(f.recommendation.text.contains("ORG_MEMBER"));
}

#[test]
fn privileged_role_names_the_data_read_only_role_for_data_admins() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.project_role(
        &user_key(ALICE),
        "p1",
        "GROUP_DATA_ACCESS_ADMIN",
        Via::Direct,
    );
    e.project_role(
        &user_key(ALICE),
        "p1",
        "GROUP_DATABASE_ACCESS_ADMIN",
        Via::Direct,
    );
    let f = only(&e, RuleId::UserPrivilegedProjectRole);
    assert_eq!(
        f.recommendation.to.as_deref(),
        Some("GROUP_DATA_ACCESS_READ_ONLY, GROUP_READ_ONLY")
    );
    assert!(
        f.recommendation
            .text
            .contains("GROUP_DATA_ACCESS_ADMIN with GROUP_DATA_ACCESS_READ_ONLY")
    );
}

#[test]
fn privileged_role_reports_an_unknown_role_unless_the_policy_lists_it() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.project_role(&user_key(ALICE), "p1", "GROUP_SOMETHING_NEW", Via::Direct);
    let out = e.run(RuleId::UserPrivilegedProjectRole);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    let n = &out.not_evaluated[0];
    assert_eq!(n.principal.as_deref(), Some(user_key(ALICE).as_str()));
    assert_eq!(n.scope.project_id.as_deref(), Some("p1"));
    assert_eq!(
        n.reason,
        "role GROUP_SOMETHING_NEW is not one atlas-audit knows; whether it is privileged was not judged; list it in [roles] privileged_project_roles of the policy if it is"
    );

    e.policy
        .roles
        .privileged_project_roles
        .push("GROUP_SOMETHING_NEW".into());
    let out = e.run(RuleId::UserPrivilegedProjectRole);
    assert_eq!(out.findings.len(), 1);
    assert!(out.not_evaluated.is_empty());
}

#[test]
fn privileged_role_notes_listings_it_could_not_read() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.project_role(&user_key(ALICE), "p1", "GROUP_OWNER", Via::Direct);
    e.gap("project:p1", "listGroupTeams");
    e.gap("org:o2", "listOrgUsers");
    let out = e.run(RuleId::UserPrivilegedProjectRole);
    assert_eq!(out.findings.len(), 1);
    let team = out
        .not_evaluated
        .iter()
        .find(|n| n.scope.project_id.as_deref() == Some("p1"))
        .unwrap();
    assert!(team.reason.contains("listGroupTeams"));
    assert!(out.not_evaluated.iter().any(|n| n.scope.org_id == "o2"
        && n.scope.project_id.is_none()
        && n.reason.contains("listOrgUsers")));
}

// USER_UNUSED_PRIVILEGE

#[test]
fn unused_privilege_flags_a_privileged_person_without_events() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.user("o1", BOB);
    e.project_role(&user_key(ALICE), "p1", "GROUP_OWNER", Via::Direct);
    e.project_role(&user_key(BOB), "p1", "GROUP_READ_ONLY", Via::Direct);
    let f = only(&e, RuleId::UserUnusedPrivilege);
    assert_eq!(f.principal.key, user_key(ALICE));
    assert_eq!(f.recommendation.action, Action::Modify);
    assert_eq!(f.recommendation.to.as_deref(), Some("GROUP_READ_ONLY"));
    assert_eq!(fact(&f, "last_event"), &Value::Null);
    assert_eq!(fact(&f, "lookback_days"), 90);
}

#[test]
fn unused_privilege_counts_an_event_exactly_90_days_old_but_not_91() {
    let mut e = estate();
    e.snapshot.meta.scope.events_since = Some(days_ago(120));
    e.user("o1", ALICE);
    e.user("o1", BOB);
    for who in [ALICE, BOB] {
        e.project_role(&user_key(who), "p1", "GROUP_OWNER", Via::Direct);
    }
    e.event(&user_key(ALICE), "o1", 91, "CLUSTER_UPDATED");
    e.event(&user_key(BOB), "o1", 90, "CLUSTER_UPDATED");
    let f = only(&e, RuleId::UserUnusedPrivilege);
    assert_eq!(f.principal.key, user_key(ALICE));
    assert_eq!(fact(&f, "last_event")["days_since"], 91);
    assert!(
        f.evidence.summary.contains("2026-08-21"),
        "{}",
        f.evidence.summary
    );
}

#[test]
fn unused_privilege_counts_events_of_another_org() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.project_role(&user_key(ALICE), "p1", "GROUP_OWNER", Via::Direct);
    e.event(&user_key(ALICE), "o2", 3, "CLUSTER_UPDATED");
    assert!(e.flagged(RuleId::UserUnusedPrivilege).is_empty());
}

#[test]
fn unused_privilege_counts_team_and_org_role_grants() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.user("o1", BOB);
    e.project_role(
        &user_key(ALICE),
        "p1",
        "GROUP_OWNER",
        Via::Team("sre".into()),
    );
    e.project_role(
        &user_key(BOB),
        "p1",
        "GROUP_OWNER",
        Via::OrgRole("ORG_OWNER".into()),
    );
    let out = e.run(RuleId::UserUnusedPrivilege);
    let via = |who: &str| {
        let f = out
            .findings
            .iter()
            .find(|f| f.principal.key == user_key(who))
            .unwrap();
        fact(f, "grant")["via"].clone()
    };
    assert_eq!(via(ALICE), "team:sre");
    assert_eq!(via(BOB), "org-role");
}

#[test]
fn unused_privilege_is_not_evaluated_when_events_cover_less_than_the_lookback() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.project_role(&user_key(ALICE), "p1", "GROUP_OWNER", Via::Direct);
    e.snapshot.meta.scope.events_since = Some(days_ago(30));
    let out = e.run(RuleId::UserUnusedPrivilege);
    assert!(out.findings.is_empty());
    let mut orgs: Vec<_> = out
        .not_evaluated
        .iter()
        .map(|n| n.scope.org_id.as_str())
        .collect();
    orgs.sort();
    assert_eq!(orgs, vec!["o1", "o2"]);
    assert!(
        out.not_evaluated[0]
            .reason
            .starts_with("events were collected for 30 days (since 2026-10-21)")
    );

    e.snapshot.meta.scope.events_since = None;
    let out = e.run(RuleId::UserUnusedPrivilege);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 2);
}

#[test]
fn unused_privilege_is_not_evaluated_where_events_could_not_be_read() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.user("o2", BOB);
    e.project_role(&user_key(ALICE), "p1", "GROUP_OWNER", Via::Direct);
    e.project_role(&user_key(BOB), "p2", "GROUP_OWNER", Via::Direct);
    e.gap("project:p1", "listGroupEvents");
    let out = e.run(RuleId::UserUnusedPrivilege);
    let flagged: Vec<_> = out
        .findings
        .iter()
        .map(|f| f.principal.key.clone())
        .collect();
    assert_eq!(flagged, vec![user_key(BOB)]);
    assert_eq!(out.not_evaluated.len(), 1);
    assert_eq!(out.not_evaluated[0].scope.org_id, "o1");
    assert!(out.not_evaluated[0].reason.contains("listGroupEvents"));

    e.gap("org:o2", "listOrgEvents");
    let out = e.run(RuleId::UserUnusedPrivilege);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 2);
}
