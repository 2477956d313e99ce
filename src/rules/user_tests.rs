//! Unit tests of the Atlas user rules.

use jiff::Timestamp;

use crate::model::{AtlasUser, Membership, PrincipalDetail, Via};
use crate::rules::testkit::{Estate, days_ago, fact, facts, hours_ago, only, user_key};
use crate::rules::{Action, RuleId, Severity};

pub(super) const ALICE: &str = "alice@example.test";
pub(super) const BOB: &str = "bob@example.test";

/// Org `o1` with project `p1`, and org `o2` with project `p2`.
pub(super) fn estate() -> Estate {
    let mut e = Estate::new();
    e.org("o2");
    e.project("o1", "p1", &[]);
    e.project("o2", "p2", &[]);
    e
}

pub(super) fn atlas<'e>(e: &'e mut Estate, email: &str) -> &'e mut AtlasUser {
    match &mut e.principal_mut(&user_key(email)).detail {
        PrincipalDetail::AtlasUser(u) => u,
        _ => panic!("{email} is not an Atlas user"),
    }
}

fn last_auth(e: &mut Estate, email: &str, at: Option<Timestamp>) {
    atlas(e, email).last_auth = at;
}

/// Sets the person's membership of `o1`.
fn membership<'e>(e: &'e mut Estate, email: &str) -> &'e mut Membership {
    &mut atlas(e, email).memberships[0]
}

/// Adds a membership of `org` to an existing person.
fn join(e: &mut Estate, email: &str, org: &str) {
    let mut m = atlas(e, email).memberships[0].clone();
    m.org_id = org.into();
    atlas(e, email).memberships.push(m);
    e.principal_mut(&user_key(email)).org_ids.push(org.into());
}

// USER_INACTIVE

#[test]
fn inactive_flags_91_days_but_not_exactly_90() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.user("o1", BOB);
    last_auth(&mut e, ALICE, Some(days_ago(91)));
    last_auth(&mut e, BOB, Some(days_ago(90)));
    let f = only(&e, RuleId::UserInactive);
    assert_eq!(f.principal.key, user_key(ALICE));
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.scope.org_id, "o1");
    assert_eq!(fact(&f, "days_since"), 91);
    assert_eq!(fact(&f, "limit_days"), 90);
    assert_eq!(fact(&f, "lastAuth"), "2026-08-21T09:00:00Z");
    assert!(
        f.evidence.summary.contains("2026-08-21 (91 days"),
        "{}",
        f.evidence.summary
    );
    assert_eq!(f.recommendation.action, Action::Revoke);
}

#[test]
fn inactive_falls_back_to_created_at_when_never_logged_in() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.user("o1", BOB);
    last_auth(&mut e, ALICE, None);
    atlas(&mut e, ALICE).created_at = Some(hours_ago(160 * 24 + 3));
    last_auth(&mut e, BOB, None);
    atlas(&mut e, BOB).created_at = Some(hours_ago(12 * 24 + 3));
    let f = only(&e, RuleId::UserInactive);
    assert_eq!(f.principal.key, user_key(ALICE));
    assert_eq!(fact(&f, "days_since"), 160);
    assert!(f.evidence.facts.iter().all(|x| x.name != "lastAuth"));
    assert!(fact(&f, "createdAt").is_string());
    assert!(
        f.evidence
            .summary
            .starts_with("Never logged in; created 2026-06-13")
    );
}

#[test]
fn inactive_is_high_for_a_direct_owner() {
    let mut e = estate();
    e.user("o1", ALICE);
    last_auth(&mut e, ALICE, Some(days_ago(200)));
    e.org_role(&user_key(ALICE), "o1", "ORG_OWNER");
    let f = only(&e, RuleId::UserInactive);
    assert_eq!(f.severity, Severity::High);
    assert_eq!(fact(&f, "grant")["role"], "ORG_OWNER");
    assert_eq!(fact(&f, "grant")["via"], "direct");
}

#[test]
fn inactive_is_high_through_a_team_and_through_an_org_role() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.user("o1", BOB);
    last_auth(&mut e, ALICE, Some(days_ago(140)));
    last_auth(&mut e, BOB, Some(days_ago(140)));
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
    let out = e.run(RuleId::UserInactive);
    assert_eq!(out.findings.len(), 2);
    for f in &out.findings {
        assert_eq!(f.severity, Severity::High, "{}", f.principal.key);
    }
    let alice = out
        .findings
        .iter()
        .find(|f| f.principal.key == user_key(ALICE))
        .unwrap();
    assert_eq!(fact(alice, "grant")["via"], "team:sre");
    let bob = out
        .findings
        .iter()
        .find(|f| f.principal.key == user_key(BOB))
        .unwrap();
    assert_eq!(fact(bob, "grant")["via"], "org-role");
    assert_eq!(fact(bob, "grant")["implied_by"], "ORG_OWNER");
}

#[test]
fn inactive_is_medium_for_a_role_outside_the_privileged_list() {
    let mut e = estate();
    e.user("o1", ALICE);
    last_auth(&mut e, ALICE, Some(days_ago(140)));
    e.project_role(
        &user_key(ALICE),
        "p1",
        "GROUP_DATA_ACCESS_READ_WRITE",
        Via::Direct,
    );
    let f = only(&e, RuleId::UserInactive);
    assert_eq!(f.severity, Severity::Medium);
    assert!(facts(&f, "grant").is_empty());
}

#[test]
fn inactive_judges_each_org_on_its_own_grants() {
    let mut e = estate();
    e.user("o1", ALICE);
    join(&mut e, ALICE, "o2");
    last_auth(&mut e, ALICE, Some(days_ago(100)));
    e.project_role(&user_key(ALICE), "p1", "GROUP_OWNER", Via::Direct);
    let out = e.run(RuleId::UserInactive);
    let by_org = |org: &str| {
        out.findings
            .iter()
            .find(|f| f.scope.org_id == org)
            .map(|f| f.severity)
    };
    assert_eq!(by_org("o1"), Some(Severity::High));
    assert_eq!(by_org("o2"), Some(Severity::Medium));
}

#[test]
fn inactive_ignores_pending_members() {
    let mut e = estate();
    e.user("o1", ALICE);
    last_auth(&mut e, ALICE, None);
    membership(&mut e, ALICE).status = "PENDING".into();
    assert!(e.flagged(RuleId::UserInactive).is_empty());
}

#[test]
fn inactive_is_not_evaluated_without_dates_or_without_the_user_listing() {
    let mut e = estate();
    e.user("o1", ALICE);
    last_auth(&mut e, ALICE, None);
    atlas(&mut e, ALICE).created_at = None;
    e.user("o2", BOB);
    last_auth(&mut e, BOB, Some(days_ago(300)));
    e.gap("org:o2", "listOrgUsers");
    let out = e.run(RuleId::UserInactive);
    assert!(out.findings.is_empty(), "{:?}", out.findings);
    assert_eq!(out.not_evaluated.len(), 2, "{:?}", out.not_evaluated);
    let alice = out
        .not_evaluated
        .iter()
        .find(|n| n.principal.as_deref() == Some(user_key(ALICE).as_str()))
        .unwrap();
    assert!(alice.reason.contains("lastAuth"));
    let org = out
        .not_evaluated
        .iter()
        .find(|n| n.principal.is_none())
        .unwrap();
    assert_eq!(org.scope.org_id, "o2");
    assert!(org.reason.contains("listOrgUsers"));
}

#[test]
fn inactive_reports_an_unknown_membership_status() {
    let mut e = estate();
    e.user("o1", ALICE);
    membership(&mut e, ALICE).status = "SUSPENDED".into();
    let out = e.run(RuleId::UserInactive);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    assert!(out.not_evaluated[0].reason.contains("SUSPENDED"));
}

// USER_INVITE_STALE

fn invite(e: &mut Estate, email: &str, status: &str, sent: Option<i64>, expires: Option<i64>) {
    e.user("o1", email);
    last_auth(e, email, None);
    let m = membership(e, email);
    m.status = status.into();
    m.invitation_created_at = sent.map(days_ago);
    m.invitation_expires_at = expires.map(days_ago);
    m.inviter = Some("owner@example.test".into());
}

#[test]
fn invite_stale_flags_a_pending_invitation_older_than_30_days_not_exactly_30() {
    let mut e = estate();
    invite(&mut e, ALICE, "PENDING", Some(31), Some(-15));
    invite(&mut e, BOB, "PENDING", Some(30), Some(-15));
    let f = only(&e, RuleId::UserInviteStale);
    assert_eq!(f.principal.key, user_key(ALICE));
    assert_eq!(f.severity, Severity::Low);
    assert_eq!(fact(&f, "days_since"), 31);
    assert_eq!(fact(&f, "orgMembershipStatus"), "PENDING");
    assert_eq!(fact(&f, "inviterUsername"), "owner@example.test");
    assert_eq!(f.recommendation.action, Action::Revoke);
}

#[test]
fn invite_stale_flags_a_pending_invitation_past_its_expiry() {
    let mut e = estate();
    invite(&mut e, ALICE, "PENDING", Some(5), Some(1));
    invite(&mut e, BOB, "PENDING", Some(5), Some(-25));
    let f = only(&e, RuleId::UserInviteStale);
    assert_eq!(f.principal.key, user_key(ALICE));
    assert!(
        f.evidence.summary.contains("expired 2026-11-19"),
        "{}",
        f.evidence.summary
    );
}

#[test]
fn invite_stale_flags_expired_but_not_rejected_invitations() {
    let mut e = estate();
    invite(&mut e, ALICE, "INVITATION_EXPIRED", Some(70), Some(40));
    invite(&mut e, BOB, "INVITATION_REJECTED", Some(100), None);
    let f = only(&e, RuleId::UserInviteStale);
    assert_eq!(f.principal.key, user_key(ALICE));
    assert_eq!(fact(&f, "orgMembershipStatus"), "INVITATION_EXPIRED");
    assert!(f.evidence.summary.contains("40 days before"));
}

#[test]
fn invite_stale_ignores_active_members_and_young_invitations() {
    let mut e = estate();
    e.user("o1", ALICE);
    invite(&mut e, BOB, "PENDING", Some(5), Some(-25));
    assert!(e.run(RuleId::UserInviteStale).findings.is_empty());
}

#[test]
fn invite_stale_is_not_evaluated_without_an_invitation_date_or_listing() {
    let mut e = estate();
    invite(&mut e, ALICE, "PENDING", None, None);
    e.gap("org:o2", "listOrgUsers");
    let out = e.run(RuleId::UserInviteStale);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 2, "{:?}", out.not_evaluated);
    assert!(
        out.not_evaluated
            .iter()
            .any(|n| n.principal.as_deref() == Some(user_key(ALICE).as_str())
                && n.reason.contains("invitationCreatedAt"))
    );
    assert!(out.not_evaluated.iter().any(|n| n.scope.org_id == "o2"));
}

// USER_ORG_OWNER

#[test]
fn org_owner_flags_a_direct_owner_and_recommends_org_member() {
    let mut e = estate();
    e.user("o1", ALICE);
    e.user("o1", BOB);
    e.org_role(&user_key(ALICE), "o1", "ORG_OWNER");
    e.project_role(
        &user_key(ALICE),
        "p1",
        "GROUP_OWNER",
        Via::OrgRole("ORG_OWNER".into()),
    );
    e.org_role(&user_key(BOB), "o1", "ORG_MEMBER");
    let f = only(&e, RuleId::UserOrgOwner);
    assert_eq!(f.principal.key, user_key(ALICE));
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.recommendation.action, Action::Modify);
    assert_eq!(f.recommendation.to.as_deref(), Some("ORG_MEMBER"));
    assert!(f.recommendation.text.contains("record an exemption"));
    assert_eq!(fact(&f, "implied_project_grants"), 1);
    assert_eq!(fact(&f, "grant")["role"], "ORG_OWNER");
}

#[test]
fn org_owner_counts_each_org_and_skips_pending_owners() {
    let mut e = estate();
    e.user("o1", ALICE);
    join(&mut e, ALICE, "o2");
    e.org_role(&user_key(ALICE), "o1", "ORG_OWNER");
    e.org_role(&user_key(ALICE), "o2", "ORG_OWNER");
    e.user("o1", BOB);
    membership(&mut e, BOB).status = "PENDING".into();
    e.org_role(&user_key(BOB), "o1", "ORG_OWNER");
    let out = e.run(RuleId::UserOrgOwner);
    let mut orgs: Vec<_> = out
        .findings
        .iter()
        .map(|f| (f.principal.key.clone(), f.scope.org_id.clone()))
        .collect();
    orgs.sort();
    assert_eq!(
        orgs,
        vec![
            (user_key(ALICE), "o1".into()),
            (user_key(ALICE), "o2".into())
        ]
    );
}

#[test]
fn org_owner_is_not_evaluated_without_the_user_listing() {
    let mut e = estate();
    e.gap("org:o1", "listOrgUsers");
    let out = e.run(RuleId::UserOrgOwner);
    assert_eq!(out.not_evaluated.len(), 1);
    assert_eq!(out.not_evaluated[0].scope.org_id, "o1");
}

// USER_INVITE_STALE: invitations made per project

fn project_invite(e: &mut Estate, email: &str, id: &str, sent: i64, expires: i64) {
    atlas(e, email)
        .project_invitations
        .push(crate::model::ProjectInvitation {
            id: id.into(),
            org_id: "o1".into(),
            project_id: "p1".into(),
            roles: vec!["GROUP_READ_ONLY".into()],
            created_at: Some(days_ago(sent)),
            expires_at: Some(days_ago(expires)),
            inviter: Some("abcdefgh".into()),
        });
}

#[test]
fn a_stale_project_invitation_of_an_active_member_is_flagged_on_its_project_and_a_fresh_twin_is_not()
 {
    let mut e = estate();
    e.user("o1", ALICE);
    e.user("o1", BOB);
    project_invite(&mut e, ALICE, "inv-a", 31, 1);
    project_invite(&mut e, BOB, "inv-b", 5, -25);
    let f = only(&e, RuleId::UserInviteStale);
    assert_eq!(f.principal.key, user_key(ALICE));
    assert_eq!(f.scope.key(), "project:p1");
    assert!(f.title.contains("project-p1"), "{}", f.title);
    assert_eq!(fact(&f, "project_invitation")["id"], "inv-a");
    assert_eq!(
        fact(&f, "project_invitation")["roles"][0],
        "GROUP_READ_ONLY"
    );
}

#[test]
fn a_pending_person_known_from_a_project_invitation_is_judged_once_through_the_membership() {
    let mut e = estate();
    // As assembled: the invitation made the pending membership.
    invite(&mut e, ALICE, "PENDING", Some(40), Some(10));
    project_invite(&mut e, ALICE, "inv-a", 40, 10);
    let out = e.run(RuleId::UserInviteStale);
    assert_eq!(out.findings.len(), 1, "{:?}", out.findings);
    let f = &out.findings[0];
    assert_eq!(f.scope.key(), "org:o1");
    assert!(
        f.evidence.summary.contains("project-p1 (GROUP_READ_ONLY)"),
        "{}",
        f.evidence.summary
    );
    assert_eq!(facts(f, "project_invitation").len(), 1);
}

#[test]
fn projects_whose_invitations_could_not_be_read_are_not_evaluated() {
    let mut e = estate();
    e.gap("project:p1", "listGroupInvites");
    let out = e.run(RuleId::UserInviteStale);
    assert_eq!(out.not_evaluated.len(), 1);
    assert_eq!(out.not_evaluated[0].scope.key(), "project:p1");
    assert!(out.not_evaluated[0].reason.contains("listGroupInvites"));
}
