//! The whole review loop against the simulated Atlas, through the binary: collect → report →
//! the workbook filled in as a reviewer's spreadsheet would (openpyxl) → decisions → plan →
//! apply --yes → verify → collect again. The simulated Atlas's write log holds exactly the
//! planned calls, and the second snapshot lacks exactly the access the decisions took away.
//!
//! Needs python3 with openpyxl (`.ci/run` installs it); without it the test says so.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::*;
use crate::decisions::{decide, fill_owned, openpyxl, rows};
use atlas_audit::mock::MockServer;
use atlas_audit::model::{self, Grant, Scope, Snapshot, Via};

async fn live(server: &MockServer, dir: &Path, args: &[&str]) -> std::process::Output {
    let out = run_against(server, dir, args).await;
    assert!(
        out.status.success(),
        "atlas-audit {}: {}{}",
        args.join(" "),
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

fn grant<'s>(s: &'s Snapshot, principal: &str, project: &str, role: &str, via: &str) -> &'s Grant {
    s.grants
        .iter()
        .find(|g| {
            g.principal == principal
                && g.scope.project_id() == Some(project)
                && g.role == role
                && g.via.key() == via
        })
        .unwrap_or_else(|| panic!("the demo has no grant {principal} {project} {role} {via}"))
}

const P1: &str = "6650b1000000000000000001";
const P3: &str = "6650b1000000000000000003";
const P4: &str = "6650b1000000000000000004";

#[tokio::test(flavor = "multi_thread")]
async fn decisions_in_a_filled_workbook_are_carried_out_and_gone_from_the_next_collection() {
    if !openpyxl() {
        return;
    }
    let server = start(demo_world(), mock_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    live(&server, d, &["collect", "--out", "before.json"]).await;
    let before = model::load(&d.join("before.json")).unwrap();
    live(
        &server,
        d,
        &["report", "--snapshot", "before.json", "--out", "review"],
    )
    .await;

    // The reviewer's decisions: a direct role, a role held through a team, a database user's
    // role, a Modify to a lesser role, and a Keep.
    let user = |n: &str| format!("user:{n}@northwind.example");
    let revoke = [
        grant(
            &before,
            &user("zoe.marshall"),
            P3,
            "GROUP_READ_ONLY",
            "direct",
        ),
        grant(
            &before,
            &user("lena.vogel"),
            P1,
            "GROUP_OWNER",
            "team:sre-oncall",
        ),
        before
            .grants
            .iter()
            .find(|g| {
                g.principal == "dbuser:6650b1000000000000000004/admin/qa-temp-loadtest"
                    && g.role == "readWrite"
            })
            .expect("the demo's load-test user"),
    ];
    let modify = grant(&before, &user("isabel.moreno"), P4, "GROUP_OWNER", "direct");
    let keep = grant(
        &before,
        &user("maya.singh"),
        P1,
        "GROUP_READ_ONLY",
        "direct",
    );
    let book = d.join("review").join("access-review.xlsx");
    let sheet = rows(&book);
    let row_of = |g: &Grant| {
        sheet
            .iter()
            .find(|r| r.get("Grant id") == g.id())
            .unwrap_or_else(|| panic!("no Access Review row for {}", g.id()))
    };
    let mut edits = Vec::new();
    for g in revoke {
        edits.extend(decide(
            row_of(g),
            "Revoke",
            "dana@northwind.example",
            "no longer needed",
        ));
    }
    edits.extend(decide(
        row_of(modify),
        "Modify",
        "dana@northwind.example",
        "read is enough",
    ));
    edits.push((
        row_of(modify).row,
        "Modify to".into(),
        "GROUP_READ_ONLY".into(),
    ));
    edits.extend(decide(row_of(keep), "Keep", "dana@northwind.example", ""));
    fill_owned(&book, &d.join("reviewed.xlsx"), &edits);

    live(
        &server,
        d,
        &[
            "decisions",
            "reviewed.xlsx",
            "--report",
            "review",
            "--out",
            ".",
        ],
    )
    .await;
    live(
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
    let plan = read_plan(&d.join("plan.json"));
    assert!(plan.manual.is_empty(), "{:#?}", plan.manual);
    live(&server, d, &["apply", "plan.json", "--yes"]).await;
    assert_applied_as_planned(&server.stats().applied_writes(), &plan);
    assert_eq!(server.stats().writes.len(), plan.steps.len());
    live(&server, d, &["verify", "plan.json"]).await;

    live(&server, d, &["collect", "--out", "after.json"]).await;
    let after = model::load(&d.join("after.json")).unwrap();
    let ids = |s: &Snapshot| s.grants.iter().map(Grant::id).collect::<BTreeSet<_>>();
    let (was, is) = (ids(&before), ids(&after));
    // Gone: exactly the decided grants and what leaving the team unavoidably took with it.
    let mut expected_gone: BTreeSet<String> = revoke.iter().map(|g| g.id()).collect();
    expected_gone.insert(modify.id());
    for step in &plan.steps {
        expected_gone.extend(step.also_removes.iter().map(|a| a.grant_id.clone()));
    }
    let gone: BTreeSet<String> = was.difference(&is).cloned().collect();
    assert_eq!(gone, expected_gone);
    // New: only the role the Modify named.
    let lesser = Grant {
        role: "GROUP_READ_ONLY".into(),
        via: Via::Direct,
        scope: Scope::Project {
            org_id: modify.scope.org_id().into(),
            project_id: P4.into(),
        },
        principal: modify.principal.clone(),
    };
    let new: Vec<&String> = is.difference(&was).collect();
    assert_eq!(new, [&lesser.id()]);
    assert!(is.contains(&keep.id()));
}
