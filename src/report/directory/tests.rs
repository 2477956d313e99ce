use super::*;
use crate::model::{LastActivity, Via};
use crate::report::ReportInput;
use crate::rules::testkit::{Estate, days_ago};
use crate::rules::{self, Findings};

/// An estate of one org with two projects: dev reaches p1 directly and through a team, owner
/// holds ORG_OWNER (implying GROUP_OWNER on both projects), a pending invitee, and database
/// users named after dev (by local part and by whole email, in another case) and one not.
fn estate() -> Estate {
    let mut e = Estate::new();
    e.org("o1");
    e.project("o1", "p1", &[]);
    e.project("o1", "p2", &[]);
    e.user("o1", "dev@example.test");
    e.org_role("user:dev@example.test", "o1", "ORG_MEMBER");
    e.team("o1", "platform", &["user:dev@example.test"]);
    e.project_role("team:o1/platform", "p1", "GROUP_OWNER", Via::Direct);
    for via in [Via::Team("platform".into()), Via::Direct] {
        e.project_role("user:dev@example.test", "p1", "GROUP_OWNER", via);
    }
    e.user("o1", "owner@example.test");
    e.org_role("user:owner@example.test", "o1", "ORG_OWNER");
    for p in ["p1", "p2"] {
        e.project_role(
            "user:owner@example.test",
            p,
            "GROUP_OWNER",
            Via::OrgRole("ORG_OWNER".into()),
        );
    }
    let invitee = e.user("o1", "new@example.test");
    invitee.last_activity = LastActivity::Never;
    if let PrincipalDetail::AtlasUser(u) = &mut invitee.detail {
        u.last_auth = None;
        let m = &mut u.memberships[0];
        m.status = "PENDING".into();
        m.invitation_created_at = Some(days_ago(45));
        m.invitation_expires_at = Some(days_ago(-15));
        m.inviter = Some("owner@example.test".into());
    }
    e.project_role(
        "user:new@example.test",
        "p2",
        "GROUP_READ_ONLY",
        Via::Direct,
    );
    e.db_user("p1", "dev", &[("readWrite", "sales")], &[]);
    e.db_user("p2", "DEV@Example.test", &[("read", "sales")], &[]);
    e.db_user("p2", "backup", &[("backup", "admin")], &[]);
    e.snapshot.principals.sort_by(|a, b| a.key.cmp(&b.key));
    e.snapshot.grants.sort();
    e
}

fn findings(e: &Estate) -> Findings {
    rules::evaluate(&e.snapshot, &e.policy).expect("as-of is set")
}

fn person<'d, 'a>(d: &'d Directory<'a>, key: &str) -> &'d Person<'a> {
    d.people
        .iter()
        .find(|p| p.principal.key == key)
        .unwrap_or_else(|| panic!("{key} is in the directory"))
}

fn csv_rows(review: &Review<'_>) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    directory_csv(review, &mut out).unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, DIRECTORY_CSV_HEADER);
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .cloned()
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

#[test]
fn a_person_reached_directly_and_through_a_team_shows_both_paths() {
    let e = estate();
    let f = findings(&e);
    let input = ReportInput::without_policy_file(&e.snapshot, &f, &e.policy);
    let review = Review::new(&input);
    let d = Directory::new(&review);
    let dev = person(&d, "user:dev@example.test");
    let p1: Vec<&Access<'_>> = dev
        .access
        .iter()
        .filter(|a| a.scope.project_id() == Some("p1"))
        .collect();
    assert_eq!(p1.len(), 1, "one role on p1, held two ways");
    assert_eq!(p1[0].role, "GROUP_OWNER");
    assert_eq!(p1[0].paths, ["direct", "team:platform"]);
    assert_eq!(dev.teams, [("o1", "platform")]);
    assert_eq!(dev.paths(), ["direct", "team:platform"]);

    let owner = person(&d, "user:owner@example.test");
    let implied: Vec<&str> = owner
        .access
        .iter()
        .filter(|a| a.scope.project_id().is_some())
        .flat_map(|a| a.paths.iter().map(String::as_str))
        .collect();
    assert_eq!(
        implied,
        ["org-role", "org-role"],
        "both projects, by the org role"
    );

    let rows = csv_rows(&review);
    let dev_row = rows
        .iter()
        .find(|r| r["principal_key"] == "user:dev@example.test")
        .unwrap();
    assert!(
        dev_row["projects"].contains("GROUP_OWNER (direct, team:platform)"),
        "{dev_row:?}"
    );
    assert_eq!(dev_row["paths"], "direct; team:platform");
    assert!(
        dev_row["org_roles"].contains("ORG_MEMBER (direct)"),
        "{dev_row:?}"
    );
    assert!(dev_row["teams"].ends_with(": platform"), "{dev_row:?}");
}

#[test]
fn a_pending_invitee_shows_the_invitation_with_its_dates() {
    let e = estate();
    let f = findings(&e);
    let input = ReportInput::without_policy_file(&e.snapshot, &f, &e.policy);
    let review = Review::new(&input);
    let d = Directory::new(&review);
    let new = person(&d, "user:new@example.test");
    assert_eq!(new.invitations.len(), 1);
    assert_eq!(new.invitations[0].status, "PENDING");
    assert!(person(&d, "user:dev@example.test").invitations.is_empty());

    let rows = csv_rows(&review);
    let row = rows
        .iter()
        .find(|r| r["principal_key"] == "user:new@example.test")
        .unwrap();
    let invited = crate::model::utc_day(days_ago(45)).to_string();
    let expires = crate::model::utc_day(days_ago(-15)).to_string();
    assert!(
        row["invitations"].ends_with(&format!(": PENDING, invited {invited}, expires {expires}")),
        "{row:?}"
    );
    assert_eq!(row["status"], "PENDING");
    assert_eq!(row["last_activity"], "never");

    let mut out = Vec::new();
    directory_json(&review, &mut out).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let user = json["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == "user:new@example.test")
        .unwrap();
    assert_eq!(user["active"], false);
    assert_eq!(user["invitations"][0]["status"], "PENDING");
    assert_eq!(user["invitations"][0]["inviter"], "owner@example.test");
    assert_eq!(user["memberships"][0]["type"], "organization");
    assert_eq!(user["memberships"][0]["status"], "PENDING");
    assert_eq!(user["memberships"][1]["type"], "workspace");
    assert_eq!(user["memberships"][1]["id"], "p2");
    assert_eq!(user["memberships"][1]["organization_id"], "o1");
    assert_eq!(
        user["memberships"][1]["roles"][0]["role"],
        "GROUP_READ_ONLY"
    );
    assert_eq!(user["memberships"][1]["roles"][0]["paths"][0], "direct");
}

#[test]
fn database_users_named_after_a_person_match_the_email_or_its_local_part() {
    let e = estate();
    let f = findings(&e);
    let input = ReportInput::without_policy_file(&e.snapshot, &f, &e.policy);
    let review = Review::new(&input);
    let d = Directory::new(&review);
    let named: Vec<(&str, &str)> = person(&d, "user:dev@example.test")
        .database_users
        .iter()
        .map(|n| (n.principal.key.as_str(), n.matched))
        .collect();
    assert_eq!(
        named,
        [
            ("dbuser:p1/admin/dev", "local_part"),
            ("dbuser:p2/admin/DEV@Example.test", "email"),
        ]
    );
    assert!(
        person(&d, "user:owner@example.test")
            .database_users
            .is_empty()
    );
    let rows = csv_rows(&review);
    let row = rows
        .iter()
        .find(|r| r["principal_key"] == "user:dev@example.test")
        .unwrap();
    assert!(
        row["database_users"].contains("dev (named after the local part)"),
        "{row:?}"
    );
}

#[test]
fn every_person_is_one_row_and_findings_and_activity_are_theirs() {
    let e = estate();
    let f = findings(&e);
    let input = ReportInput::without_policy_file(&e.snapshot, &f, &e.policy);
    let review = Review::new(&input);
    let rows = csv_rows(&review);
    let keys: Vec<&str> = rows.iter().map(|r| r["principal_key"].as_str()).collect();
    assert_eq!(
        keys,
        [
            "user:dev@example.test",
            "user:new@example.test",
            "user:owner@example.test"
        ]
    );
    for row in &rows {
        let open: Vec<&str> = f
            .findings
            .iter()
            .filter(|x| x.principal.key == row["principal_key"] && x.status == Status::Open)
            .map(|x| x.id.as_str())
            .collect();
        assert_eq!(row["open_findings"], open.len().to_string(), "{row:?}");
        assert_eq!(row["open_finding_ids"], open.join("; "), "{row:?}");
    }
    let owner = rows
        .iter()
        .find(|r| r["username"] == "owner@example.test")
        .unwrap();
    assert!(
        !owner["highest_severity"].is_empty(),
        "the org owner has findings"
    );
    let mut again = Vec::new();
    directory_json(&review, &mut again).unwrap();
    let mut first = Vec::new();
    directory_json(&review, &mut first).unwrap();
    assert_eq!(first, again);
}

#[test]
fn a_person_reached_through_a_team_and_an_idp_group_shows_both_paths() {
    use crate::model::{Federation, IdentityProvider, RoleMapping, RoleMappingAssignment};
    let mut e = estate();
    // o1 signs in through a SAML provider for example.test; its group `platform-admins` is
    // mapped to GROUP_OWNER on p1.
    e.org("o1").federation = Some(Federation {
        federation_settings_id: "fs1".into(),
        identity_provider_status: Some("ACTIVE".into()),
        federated_domains: Vec::new(),
        connected: None,
        role_mappings: Some(vec![RoleMapping {
            id: Some("rm1".into()),
            external_group_name: "platform-admins".into(),
            assignments: vec![RoleMappingAssignment {
                project_id: Some("p1".into()),
                role: "GROUP_OWNER".into(),
            }],
        }]),
        identity_providers: Some(vec![IdentityProvider {
            id: "idp1".into(),
            okta_idp_id: None,
            display_name: Some("Example SSO".into()),
            protocol: "SAML".into(),
            idp_type: "WORKFORCE".into(),
            status: Some("ACTIVE".into()),
            associated_domains: vec!["Example.test".into()],
            issuer_uri: None,
            certificates_not_after: Vec::new(),
            used_by_org: true,
        }]),
    });
    // The twin: the same role, held by a guest from another domain, who signs in with a
    // password, so no group can have given it.
    e.user("o1", "guest@elsewhere.test");
    e.project_role(
        "user:guest@elsewhere.test",
        "p1",
        "GROUP_OWNER",
        Via::Direct,
    );
    e.snapshot.principals.sort_by(|a, b| a.key.cmp(&b.key));
    e.snapshot.grants.sort();
    let f = findings(&e);
    let input = ReportInput::without_policy_file(&e.snapshot, &f, &e.policy);
    let review = Review::new(&input);
    let d = Directory::new(&review);
    let on_p1 = |key: &str| -> Vec<String> {
        person(&d, key)
            .access
            .iter()
            .find(|a| a.scope.project_id() == Some("p1"))
            .map(|a| a.paths.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        on_p1("user:dev@example.test"),
        ["direct", "idp-group:platform-admins", "team:platform"]
    );
    assert_eq!(on_p1("user:guest@elsewhere.test"), ["direct"]);
    // A role no mapping gives keeps its own paths only.
    let dev = person(&d, "user:dev@example.test");
    let org_role = dev.access.iter().find(|a| a.role == "ORG_MEMBER").unwrap();
    assert_eq!(org_role.paths, ["direct"]);

    let rows = csv_rows(&review);
    let row = rows
        .iter()
        .find(|r| r["principal_key"] == "user:dev@example.test")
        .unwrap();
    assert_eq!(
        row["paths"],
        "direct; idp-group:platform-admins; team:platform"
    );
    let mut json = Vec::new();
    directory_json(&review, &mut json).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let user = json["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "dev@example.test")
        .unwrap();
    let p1 = user["memberships"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "p1")
        .unwrap();
    assert_eq!(
        p1["roles"][0]["paths"],
        serde_json::json!(["direct", "idp-group:platform-admins", "team:platform"])
    );
}
