//! Unit tests of TEAM_EMPTY_WITH_ROLES: an empty team with project roles is flagged; a team
//! with members, or without roles, is not; a missing user or team listing is not evaluated.

use serde_json::json;

use crate::model::{Scope, Via};
use crate::rules::testkit::{Estate, user_key};
use crate::rules::{Action, RuleId, Severity, SubjectKind};

fn estate() -> Estate {
    let mut e = Estate::new();
    e.project("o1", "p1", &[]);
    e.project("o1", "p2", &[]);
    e.user("o1", "a@x.test");
    e
}

#[test]
fn an_empty_team_with_project_roles_is_flagged_with_its_grants() {
    let mut e = estate();
    e.team("o1", "legacy-migration", &[]);
    let k = "team:o1/legacy-migration";
    e.project_role(k, "p1", "GROUP_DATA_ACCESS_ADMIN", Via::Direct);
    e.project_role(k, "p2", "GROUP_CLUSTER_MANAGER", Via::Direct);
    let out = e.run(RuleId::TeamEmptyWithRoles);
    assert_eq!(out.findings.len(), 1);
    let f = &out.findings[0];
    assert_eq!(f.principal.key, k);
    assert_eq!(f.principal.kind, SubjectKind::Team);
    assert_eq!(f.scope.key(), "org:o1");
    assert_eq!(f.severity, Severity::Low);
    let roles: Vec<&serde_json::Value> =
        f.evidence.facts.iter().map(|x| &x.value["role"]).collect();
    assert_eq!(
        roles,
        [
            &json!("GROUP_DATA_ACCESS_ADMIN"),
            &json!("GROUP_CLUSTER_MANAGER")
        ]
    );
    assert_eq!(f.evidence.facts[0].value["via"], json!("direct"));
    assert!(f.title.contains("2 project roles"));
    assert_eq!(f.recommendation.action, Action::Revoke);
    assert!(f.recommendation.text.contains("project-p1"));
}

#[test]
fn a_team_with_members_or_without_project_roles_is_not_flagged() {
    let mut e = estate();
    e.team("o1", "sre", &[&user_key("a@x.test")]);
    e.project_role("team:o1/sre", "p1", "GROUP_OWNER", Via::Direct);
    e.team("o1", "design-reviewers", &[]);
    // An org-scope grant is not a project role.
    e.grant(
        "team:o1/design-reviewers",
        Scope::Org {
            org_id: "o1".into(),
        },
        "ORG_READ_ONLY",
        Via::Direct,
    );
    let out = e.run(RuleId::TeamEmptyWithRoles);
    assert!(out.findings.is_empty(), "{:?}", out.findings);
    assert!(out.not_evaluated.is_empty());
}

#[test]
fn without_the_user_listing_membership_is_unknown() {
    let mut e = estate();
    e.team("o1", "legacy-migration", &[]);
    e.project_role("team:o1/legacy-migration", "p1", "GROUP_OWNER", Via::Direct);
    e.gap("org:o1", "listOrgUsers");
    let out = e.run(RuleId::TeamEmptyWithRoles);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    assert_eq!(out.not_evaluated[0].scope.key(), "org:o1");
    assert!(out.not_evaluated[0].reason.contains("listOrgUsers"));
}

#[test]
fn an_empty_team_whose_roles_may_sit_in_an_unread_project_is_not_evaluated_there() {
    let mut e = estate();
    e.team("o1", "quiet", &[]);
    e.gap("project:p2", "listGroupTeams");
    let out = e.run(RuleId::TeamEmptyWithRoles);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    assert_eq!(out.not_evaluated[0].scope.key(), "project:p2");
    assert!(out.not_evaluated[0].reason.contains("listGroupTeams"));
}
