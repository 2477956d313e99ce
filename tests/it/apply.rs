//! The review loop's last steps against the simulated Atlas, through the binary: collect →
//! plan → apply (a dry run, then `--yes`) → verify → collect again. The simulated Atlas's
//! write log must hold exactly the planned calls, and the second snapshot must lack exactly the
//! access the plan took away.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::*;
use atlas_audit::mock::MockServer;
use atlas_audit::model::{self, Grant, Snapshot};
use atlas_audit::remediate::journal::{Entry, JOURNAL_FILE, Outcome, Phase};
use atlas_audit::remediate::plan::Plan;

/// Runs the binary against `server` with the demo's API key.
async fn live(server: &MockServer, dir: &Path, args: &[&str]) -> std::process::Output {
    run_against(server, dir, args).await
}

async fn collect(server: &MockServer, dir: &Path, name: &str) -> Snapshot {
    let out = live(server, dir, &["collect", "--out", name]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    model::load(&dir.join(name)).unwrap()
}

fn journal(dir: &Path) -> Vec<Entry> {
    std::fs::read_to_string(dir.join(JOURNAL_FILE))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn offboarding_is_applied_verified_and_gone_from_the_next_collection() {
    let server = start(demo_world(), mock_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let before = collect(&server, d, "before.json").await;
    let leaver = "user:rachel.kim@northwind.example";
    let out = live(
        &server,
        d,
        &[
            "plan",
            "--snapshot",
            "before.json",
            "--offboard",
            "rachel.kim@northwind.example",
            "--out",
            "plan.json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan = read_plan(&d.join("plan.json"));
    assert!(!plan.steps.is_empty());
    assert!(plan.manual.is_empty(), "{:?}", plan.manual);

    // A dry run sends nothing.
    let out = live(&server, d, &["apply", "plan.json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Nothing was sent"));
    assert!(server.stats().writes.is_empty());

    let out = live(&server, d, &["apply", "plan.json", "--yes"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    // Exactly the planned calls, in plan order.
    assert_applied_as_planned(&server.stats().applied_writes(), &plan);
    assert_eq!(server.stats().writes.len(), plan.steps.len());
    let entries = journal(d);
    assert_eq!(entries.len(), plan.steps.len());
    assert!(
        entries.iter().all(|e| e.outcome == Outcome::Done),
        "{entries:#?}"
    );
    assert!(entries.iter().all(|e| e.status.is_some_and(|s| s < 300)));
    assert!(entries.iter().all(|e| e.java_method.is_some()));

    let out = live(&server, d, &["verify", "plan.json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let verified = journal(d)
        .into_iter()
        .filter(|e| e.phase == Phase::Verify && e.outcome == Outcome::Verified)
        .count();
    assert_eq!(verified, plan.steps.len());

    // Run again: every step is done already; nothing more is sent.
    let out = live(&server, d, &["apply", "plan.json", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(server.stats().writes.len(), plan.steps.len());

    // The leaver's access is gone, and only theirs (with the database users named after
    // them that the plan deleted).
    let after = collect(&server, d, "after.json").await;
    let touched: BTreeSet<&str> = plan.steps.iter().map(|s| s.principal.as_str()).collect();
    assert!(touched.contains(leaver));
    let keep = |g: &&Grant| !touched.contains(g.principal.as_str());
    let expected: Vec<&Grant> = before.grants.iter().filter(keep).collect();
    let got: Vec<&Grant> = after.grants.iter().collect();
    assert_eq!(got, expected);
    assert!(after.principals.iter().all(|p| p.key != leaver));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_edited_after_it_was_made_or_for_another_atlas_is_refused() {
    let server = start(demo_world(), mock_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    collect(&server, d, "before.json").await;
    let out = live(
        &server,
        d,
        &[
            "plan",
            "--snapshot",
            "before.json",
            "--offboard",
            "rachel.kim@northwind.example",
            "--out",
            "plan.json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let path = d.join("plan.json");
    let mut plan = read_plan(&path);
    plan.steps.truncate(1);
    plan.steps[0].request.path = plan.steps[0].request.path.replace("users", "apiKeys");
    std::fs::write(d.join("edited.json"), serde_json::to_vec(&plan).unwrap()).unwrap();
    let out = live(&server, d, &["apply", "edited.json", "--yes"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("changed after it was made"),
        "{}",
        text(&out.stderr)
    );
    let mut other = read_plan(&path);
    other.base_url = "https://cloud.mongodb.com".into();
    std::fs::write(d.join("other.json"), serde_json::to_vec(&other).unwrap()).unwrap();
    let out = live(&server, d, &["apply", "other.json", "--yes"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("was made for https://cloud.mongodb.com"),
        "{}",
        text(&out.stderr)
    );
    assert!(server.stats().writes.is_empty());
}

/// Plans the offboarding of `email` over a fresh collection in `d`; returns the plan.
async fn offboarding(server: &MockServer, d: &Path, email: &str) -> Plan {
    collect(server, d, "before.json").await;
    let out = live(
        server,
        d,
        &[
            "plan",
            "--snapshot",
            "before.json",
            "--offboard",
            email,
            "--out",
            "plan.json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    read_plan(&d.join("plan.json"))
}

fn outcomes(d: &Path) -> Vec<(String, Outcome)> {
    journal(d)
        .into_iter()
        .filter(|e| e.phase == Phase::Apply)
        .map(|e| (e.step, e.outcome))
        .collect()
}

/// A decisions.csv with one Revoke of the grant `g`.
fn revoke(g: &Grant) -> String {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    out.write_record(atlas_audit::remediate::decisions::DECISIONS_CSV_HEADER)
        .unwrap();
    out.write_record([
        g.id().as_str(),
        &g.principal,
        &g.scope.key(),
        &g.role,
        &g.via.key(),
        "Revoke",
        "",
        "dana@northwind.example",
        "2027-01-10",
        "no longer on the project",
        "review.xlsx",
        "Access Review",
        "2",
    ])
    .unwrap();
    String::from_utf8(out.into_inner().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_target_changed_since_the_snapshot_is_skipped_and_never_forced() {
    use atlas_audit::atlas::{Client, WriteEndpoint};
    let server = start(demo_world(), mock_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let before = collect(&server, d, "before.json").await;
    // Zoe's only role on the inventory project: revoking it takes her out of the project.
    let g = before
        .grants
        .iter()
        .find(|g| {
            g.principal == "user:zoe.marshall@northwind.example"
                && g.scope.project_id() == Some("6650b1000000000000000003")
                && g.via.key() == "direct"
        })
        .expect("the demo's zoe.marshall on inventory");
    std::fs::write(d.join("decisions.csv"), revoke(g)).unwrap();
    let out = live(
        &server,
        d,
        &[
            "plan",
            "--snapshot",
            "before.json",
            "--decisions",
            "decisions.csv",
            "--out",
            "plan.json",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plan = read_plan(&d.join("plan.json"));
    let [leave] = plan.steps.as_slice() else {
        panic!("one step expected: {:#?}", plan.steps)
    };
    assert_eq!(leave.request.method, "DELETE");
    // After the snapshot, someone gives her a second role there: leaving the project now
    // would take away a role nobody reviewed.
    let client = Client::new(credentials(), fast_options(server.base_url())).unwrap();
    let add = WriteEndpoint::named("addGroupUserRole").unwrap();
    let sent = client
        .write(
            add,
            &format!("{}:addRole", leave.request.path),
            Some(&serde_json::json!({"groupRole": "GROUP_SEARCH_INDEX_EDITOR"})),
        )
        .await
        .unwrap();
    assert!(sent.succeeded(), "{sent:?}");
    let writes_before = server.stats().writes.len();

    let out = live(&server, d, &["apply", "plan.json", "--yes"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(&format!("{} changed", leave.id)),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(outcomes(d), [(leave.id.clone(), Outcome::Changed)]);
    // Nothing was sent.
    assert_eq!(server.stats().writes.len(), writes_before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_the_credential_may_not_make_is_refused_and_named_and_the_rest_goes_on() {
    use atlas_audit::mock::CallerRoles;
    const O1: &str = "6650a1000000000000000001";
    // The credential owns the first org only.
    let world = demo_world()
        .with_caller_roles(CallerRoles::new().grant(&format!("org:{O1}"), &["ORG_OWNER"]));
    let server = start(world, mock_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plan = offboarding(&server, d, "rachel.kim@northwind.example").await;
    let out = live(&server, d, &["apply", "plan.json", "--yes"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("refused (403"), "{stderr}");
    assert!(stderr.contains("the credential needs the"), "{stderr}");
    let done = outcomes(d);
    let in_first = |s: &atlas_audit::remediate::plan::Step| {
        s.target.scope.contains(O1) || s.request.path.contains(O1)
    };
    let first: Vec<_> = plan.steps.iter().filter(|s| in_first(s)).collect();
    assert!(!first.is_empty());
    for s in &first {
        assert!(
            done.contains(&(s.id.clone(), Outcome::Done)),
            "{} {done:?}",
            s.id
        );
    }
    assert!(done.iter().any(|(_, o)| *o == Outcome::Refused), "{done:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_apply_run_again_resumes_after_the_last_completed_step() {
    let server = start(demo_world(), mock_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plan = offboarding(&server, d, "rachel.kim@northwind.example").await;
    assert!(plan.steps.len() >= 2);
    let last = plan.steps.last().unwrap().id.clone();
    // The first run stops short of the last step.
    let out = live(
        &server,
        d,
        &["apply", "plan.json", "--yes", "--skip", &last],
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let first_run = server.stats().writes.len();
    assert_eq!(first_run, plan.steps.len() - 1);
    // The second sends only what is left.
    let out = live(&server, d, &["apply", "plan.json", "--yes"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let writes = server.stats().writes;
    assert_eq!(writes.len(), plan.steps.len());
    let final_step = plan.steps.last().unwrap();
    assert_eq!(
        format!("{} {}", writes[first_run].method, writes[first_run].path),
        format!("{} {}", final_step.request.method, final_step.request.path)
    );
    // An unknown --skip id is refused before anything is sent.
    let out = live(
        &server,
        d,
        &["apply", "plan.json", "--yes", "--skip", "S-999"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("S-999"), "{}", text(&out.stderr));
}
