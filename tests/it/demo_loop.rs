//! `demo` runs the whole review loop in its folder: the report's workbook filled in from
//! `fixtures/demo/review.csv` (`reviewed.xlsx`), `decisions.csv`, `plan.json`, the plan applied
//! and verified against the demo's own simulated Atlas (`apply-log.jsonl`), and a second
//! collection and report (`snapshot-after.json`, `report-after/`).

use std::collections::BTreeSet;

use crate::common::*;
use atlas_audit::model::{self, Grant, Snapshot};
use atlas_audit::remediate::journal::{Entry, JOURNAL_FILE, Outcome, Phase};
use atlas_audit::remediate::plan::Plan;

/// `(principal, scope, role, via, decision, modify_to, comment)` of each row, from the
/// columns of that name.
fn decided(path: &std::path::Path) -> BTreeSet<[String; 7]> {
    let mut r = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(path)
        .unwrap();
    let header = r.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let cols = [
        "principal",
        "scope",
        "role",
        "via",
        "decision",
        "modify_to",
        "comment",
    ]
    .map(col);
    r.records()
        .map(|rec| cols.map(|c| rec.as_ref().unwrap()[c].to_string()))
        .collect()
}

#[test]
fn the_demo_carries_the_fixture_decisions_out_and_the_second_snapshot_lacks_the_revoked_grants() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let run = atlas_audit_command()
        .args(["demo", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "stderr: {}", text(&run.stderr));
    for file in [
        "snapshot.json",
        "access-review.xlsx",
        "reviewed.xlsx",
        "decisions.csv",
        "plan.json",
        "plan.txt",
        JOURNAL_FILE,
        "snapshot-after.json",
        "report-after/access-review.xlsx",
        "report-after/report.html",
        "report-after/changes.csv",
        "report-after/manifest.json",
    ] {
        assert!(out.join(file).is_file(), "{file} is missing");
    }

    // decisions.csv holds exactly the fixture's decided rows, read from reviewed.xlsx.
    let fixture = decided(&fixtures().join("demo/review.csv"));
    assert_eq!(fixture.len(), 5, "the fixture decides five grants");
    assert_eq!(decided(&out.join("decisions.csv")), fixture);
    let csv = std::fs::read_to_string(out.join("decisions.csv")).unwrap();
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.contains(",reviewed.xlsx,Access Review,")),
        "{csv}"
    );

    // Every step applied and verified, in the journal.
    let plan: Plan =
        serde_json::from_slice(&std::fs::read(out.join("plan.json")).unwrap()).unwrap();
    assert!(plan.steps.len() >= 4, "{:#?}", plan.steps);
    assert!(plan.manual.is_empty(), "{:#?}", plan.manual);
    let journal: Vec<Entry> = std::fs::read_to_string(out.join(JOURNAL_FILE))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for step in &plan.steps {
        let ended = |phase: Phase| {
            journal
                .iter()
                .filter(|e| e.step == step.id && e.phase == phase)
                .map(|e| e.outcome)
                .collect::<Vec<_>>()
        };
        assert_eq!(ended(Phase::Apply), [Outcome::Done], "step {}", step.id);
        assert_eq!(
            ended(Phase::Verify),
            [Outcome::Verified],
            "step {}",
            step.id
        );
    }

    // The second snapshot lacks exactly the revoked and modified grants (and what leaving a
    // team took with it), keeps the Keep, and gains only the role the Modify named.
    let before = model::load(&out.join("snapshot.json")).unwrap();
    let after = model::load(&out.join("snapshot-after.json")).unwrap();
    let key = |g: &Grant| {
        [
            g.principal.clone(),
            g.scope.key(),
            g.role.clone(),
            g.via.key(),
        ]
    };
    let ids = |s: &Snapshot| s.grants.iter().map(key).collect::<BTreeSet<_>>();
    let (was, is) = (ids(&before), ids(&after));
    let of_row = |r: &[String; 7]| [r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone()];
    let mut expected_gone: BTreeSet<_> = fixture
        .iter()
        .filter(|r| r[4] != "Keep")
        .map(of_row)
        .collect();
    let by_id: std::collections::BTreeMap<String, &Grant> =
        before.grants.iter().map(|g| (g.id(), g)).collect();
    for step in &plan.steps {
        expected_gone.extend(step.also_removes.iter().map(|a| key(by_id[&a.grant_id])));
    }
    let gone: BTreeSet<_> = was.difference(&is).cloned().collect();
    assert_eq!(gone, expected_gone);
    for keep in fixture.iter().filter(|r| r[4] == "Keep") {
        assert!(is.contains(&of_row(keep)), "{keep:?} was kept");
    }
    let new: BTreeSet<_> = is.difference(&was).cloned().collect();
    let modified: BTreeSet<_> = fixture
        .iter()
        .filter(|r| r[4] == "Modify")
        .map(|r| [r[0].clone(), r[1].clone(), r[5].clone(), r[3].clone()])
        .collect();
    assert_eq!(new, modified);

    // The second report's changes name the removed access; the output has a line a stage.
    let changes = std::fs::read_to_string(out.join("report-after/changes.csv")).unwrap();
    assert!(changes.contains("zoe.marshall"), "{changes}");
    let stdout = text(&run.stdout);
    for stage in [
        "reviewed.xlsx:",
        "decisions:",
        "plan:",
        "apply --yes:",
        "verify:",
        "collect again:",
    ] {
        assert!(stdout.contains(stage), "no {stage} line: {stdout}");
    }
    assert!(
        stdout.contains(&format!("grants {} before, {} after", was.len(), is.len())),
        "{stdout}"
    );
}
