//! `atlas-audit plan` over the demo snapshot: a hand-written decisions.csv covering each kind
//! of decision the plan treats differently, and an offboarding across both demo orgs.

use std::path::{Path, PathBuf};

use crate::common::*;
use atlas_audit::model::{self, Grant, Snapshot};
use atlas_audit::remediate::plan::{Action, Plan};

const O1: &str = "6650a1000000000000000001";
const O2: &str = "6650a1000000000000000002";
const P1: &str = "6650b1000000000000000001";
const P3: &str = "6650b1000000000000000003";
const P4: &str = "6650b1000000000000000004";
const P5: &str = "6650b1000000000000000005";

/// The demo snapshot, collected with the API key `hbwnxcpe` (so the plan must leave it alone).
fn snapshot() -> Snapshot {
    let mut s = demo_snapshot();
    s.meta.credential = "api_key:hbwnxcpe".into();
    s.meta.base_url = "http://127.0.0.1:8080".into();
    s
}

fn find<'s>(s: &'s Snapshot, principal: &str, scope: &str, role: &str, via: &str) -> &'s Grant {
    s.grants
        .iter()
        .find(|g| {
            g.principal == principal
                && g.scope.key() == scope
                && g.role == role
                && g.via.key() == via
        })
        .unwrap_or_else(|| panic!("the demo has no grant {principal} {scope} {role} {via}"))
}

fn user(name: &str) -> String {
    format!("user:{name}@northwind.example")
}

/// The decisions, as a reviewer would have made them: (principal, scope, role, via,
/// decision, modify_to, comment).
fn decisions(s: &Snapshot) -> String {
    let p = |id: &str| format!("project:{id}");
    let o = |id: &str| format!("org:{id}");
    let rows: Vec<(String, String, &str, &str, &str, &str, &str)> = vec![
        // A direct project role, the person's only one there.
        (
            user("zoe.marshall"),
            p(P3),
            "GROUP_READ_ONLY",
            "direct",
            "Revoke",
            "",
            "no longer on inventory",
        ),
        // A role held through a team.
        (
            user("lena.vogel"),
            p(P1),
            "GROUP_OWNER",
            "team:sre-oncall",
            "Revoke",
            "",
            "left on-call",
        ),
        // A project role implied by an org role, without a decision on the org role.
        (
            user("rachel.kim"),
            p(P5),
            "GROUP_READ_ONLY",
            "org-role:ORG_READ_ONLY",
            "Revoke",
            "",
            "not in the sandbox",
        ),
        // Both owners of the second org: one may go, the last may not.
        (
            user("maria.chen"),
            o(O2),
            "ORG_OWNER",
            "direct",
            "Revoke",
            "",
            "hand over the sandbox",
        ),
        (
            user("mei.tanaka"),
            o(O2),
            "ORG_OWNER",
            "direct",
            "Revoke",
            "",
            "too many owners",
        ),
        // The credential that runs the plan.
        (
            "apikey:hbwnxcpe".into(),
            p(P4),
            "GROUP_OWNER",
            "direct",
            "Revoke",
            "",
            "too broad",
        ),
        // A Modify with a target, and two without (one the recommendation fills in).
        (
            user("isabel.moreno"),
            p(P4),
            "GROUP_OWNER",
            "direct",
            "Modify",
            "GROUP_READ_ONLY",
            "read is enough",
        ),
        (
            "apikey:qzvtkmra".into(),
            o(O1),
            "ORG_OWNER",
            "direct",
            "Modify",
            "",
            "least privilege",
        ),
        (
            user("ethan.brooks"),
            p(P4),
            "GROUP_DATA_ACCESS_READ_ONLY",
            "direct",
            "Modify",
            "",
            "less",
        ),
        // A service account's project access, and a database user's role.
        (
            "sa:mdb_sa_id_6650f1000000000000000002".into(),
            p(P1),
            "GROUP_CLUSTER_MANAGER",
            "direct",
            "Revoke",
            "",
            "unused",
        ),
        (
            "dbuser:6650b1000000000000000004/admin/qa-temp-loadtest".into(),
            format!("{}/db:storefront@storefront-stg", p(P4)),
            "readWrite",
            "direct",
            "Revoke",
            "",
            "load test over",
        ),
        // Kept: not planned.
        (
            user("maya.singh"),
            p(P1),
            "GROUP_READ_ONLY",
            "direct",
            "Keep",
            "",
            "fine",
        ),
    ];
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    out.write_record(atlas_audit::remediate::decisions::DECISIONS_CSV_HEADER)
        .unwrap();
    let mut rows: Vec<(String, Vec<String>)> = rows
        .into_iter()
        .enumerate()
        .map(
            |(n, (principal, scope, role, via, decision, to, comment))| {
                let g = find(s, &principal, &scope, role, via);
                let row = vec![
                    g.id(),
                    principal,
                    scope,
                    role.into(),
                    via.into(),
                    decision.into(),
                    to.into(),
                    "dana@northwind.example".into(),
                    "2027-01-10".into(),
                    comment.into(),
                    "review.xlsx".into(),
                    "Access Review".into(),
                    (n + 2).to_string(),
                ];
                (g.id(), row)
            },
        )
        .collect();
    rows.sort();
    for (_, row) in rows {
        out.write_record(row).unwrap();
    }
    String::from_utf8(out.into_inner().unwrap()).unwrap()
}

fn run_plan(dir: &Path, args: &[&str]) -> (std::process::Output, PathBuf) {
    let snap = dir.join("snapshot.json");
    model::save(&snapshot(), &snap).unwrap();
    let out = dir.join("plan.json");
    let output = atlas_audit_command()
        .arg("plan")
        .arg("--snapshot")
        .arg(&snap)
        .arg("--out")
        .arg(&out)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (output, out)
}

fn step<'p>(plan: &'p Plan, principal: &str) -> Vec<&'p atlas_audit::remediate::plan::Step> {
    plan.steps
        .iter()
        .filter(|s| s.principal == principal)
        .collect()
}

#[test]
fn the_demo_decisions_become_the_calls_each_needs_and_manual_steps_for_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let s = snapshot();
    std::fs::write(dir.path().join("decisions.csv"), decisions(&s)).unwrap();
    let (output, out) = run_plan(dir.path(), &["--decisions", "decisions.csv"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let plan = read_plan(&out);
    assert!(plan.verify_digest());
    assert_eq!(plan.credential, "api_key:hbwnxcpe");
    assert_eq!(plan.orgs, [O1, O2]);
    let actions =
        |who: &str| -> Vec<Action> { step(&plan, who).iter().map(|s| s.action).collect() };
    assert_eq!(actions(&user("zoe.marshall")), [Action::RemoveGroupUser]);
    assert_eq!(actions(&user("lena.vogel")), [Action::RemoveOrgTeamUser]);
    assert_eq!(step(&plan, &user("lena.vogel"))[0].also_removes.len(), 2);
    assert_eq!(actions(&user("maria.chen")), [Action::RemoveOrgUser]);
    assert!(
        actions(&user("mei.tanaka")).is_empty(),
        "the last owner stays"
    );
    assert!(actions(&user("rachel.kim")).is_empty(), "implied: manual");
    assert!(
        actions("apikey:hbwnxcpe").is_empty(),
        "the credential: manual"
    );
    assert_eq!(
        actions(&user("isabel.moreno")),
        [Action::AddGroupUserRole, Action::RemoveGroupUserRole]
    );
    let key = step(&plan, "apikey:qzvtkmra");
    assert_eq!(key[0].action, Action::UpdateOrgApiKey);
    assert_eq!(
        key[0].request.body,
        Some(serde_json::json!({"roles": ["ORG_READ_ONLY"]}))
    );
    assert!(
        actions(&user("ethan.brooks")).is_empty(),
        "no target: manual"
    );
    assert_eq!(
        actions("sa:mdb_sa_id_6650f1000000000000000002"),
        [Action::DeleteGroupServiceAccount]
    );
    assert_eq!(
        actions("dbuser:6650b1000000000000000004/admin/qa-temp-loadtest"),
        [Action::UpdateGroupDatabaseUser]
    );
    assert!(
        actions(&user("maya.singh")).is_empty(),
        "Keep is not planned"
    );
    let manual: Vec<&str> = plan.manual.iter().map(|m| m.principal.as_str()).collect();
    assert_eq!(
        manual,
        [
            "apikey:hbwnxcpe".to_string(),
            "sa:mdb_sa_id_6650f1000000000000000002".into(),
            user("ethan.brooks"),
            user("mei.tanaka"),
            user("rachel.kim"),
        ]
    );
    let txt = std::fs::read_to_string(dir.path().join("plan.txt")).unwrap();
    let txt: String = txt
        .lines()
        .map(|l| {
            if l.starts_with("snapshot sha256") {
                "snapshot sha256 [..]"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("demo_plan_txt", txt);
}

#[test]
fn a_decision_that_disagrees_with_the_snapshot_is_refused_naming_its_row() {
    let dir = tempfile::tempdir().unwrap();
    let s = snapshot();
    let csv = decisions(&s).replacen(
        ",GROUP_READ_ONLY,direct,Revoke,",
        ",GROUP_OWNER,direct,Revoke,",
        1,
    );
    std::fs::write(dir.path().join("decisions.csv"), csv).unwrap();
    let (output, out) = run_plan(dir.path(), &["--decisions", "decisions.csv"]);
    assert_eq!(output.status.code(), Some(2));
    let err = text(&output.stderr);
    assert!(err.contains("review.xlsx row"), "{err}");
    assert!(err.contains("its role is \"GROUP_OWNER\""), "{err}");
    assert!(!out.exists());
}

#[test]
fn offboarding_across_both_orgs_plans_every_access_of_the_people_and_nobody_elses() {
    let dir = tempfile::tempdir().unwrap();
    let s = snapshot();
    let (output, out) = run_plan(
        dir.path(),
        &[
            "--offboard",
            "rachel.kim@northwind.example",
            "mei.tanaka@northwind.example",
            "nobody@northwind.example",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("nobody@northwind.example"));
    let plan = read_plan(&out);
    assert!(plan.manual.is_empty(), "{:?}", plan.manual);
    let leavers = [user("rachel.kim"), user("mei.tanaka")];
    let db_user = "dbuser:6650b1000000000000000005/admin/mei.tanaka";
    for st in &plan.steps {
        assert!(
            leavers.contains(&st.principal) || st.principal == db_user,
            "{}",
            st.principal
        );
    }
    let mut planned: Vec<&String> = plan
        .steps
        .iter()
        .flat_map(|s| &s.reason.grant_ids)
        .collect();
    planned.sort();
    let mut theirs: Vec<String> = s
        .grants
        .iter()
        .filter(|g| leavers.contains(&g.principal) || g.principal == db_user)
        .map(Grant::id)
        .collect();
    theirs.sort();
    assert_eq!(planned, theirs.iter().collect::<Vec<_>>());
    let org_removals: Vec<&str> = plan
        .steps
        .iter()
        .filter(|s| s.principal == user("rachel.kim") && s.action == Action::RemoveOrgUser)
        .map(|s| s.target.scope.as_str())
        .collect();
    assert_eq!(org_removals, [format!("org:{O1}"), format!("org:{O2}")]);
    // Nobody known: exit 2 naming them.
    let (output, _) = run_plan(dir.path(), &["--offboard", "nobody@northwind.example"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("nobody@northwind.example is not"));
}
