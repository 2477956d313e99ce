//! Remediation as evidence, through the binary: collect → plan (offboard) → apply `--yes
//! --store` → verify `--store` → collect → report `--store`. The store keeps the plan and
//! every step's end; the next report's remediation.csv lists exactly the grants the plan took
//! away, with their step, the manifest covers it, and report.html names them.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::*;
use atlas_audit::mock::MockServer;

async fn live(server: &MockServer, dir: &Path, args: &[&str]) -> std::process::Output {
    let out = run_against(server, dir, args).await;
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_next_report_lists_what_apply_removed_with_its_step_and_the_manifest_covers_it() {
    let server = start(demo_world(), mock_config()).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    live(
        &server,
        d,
        &["collect", "--out", "before.json", "--store", "a.db"],
    )
    .await;
    live(
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
    let plan = read_plan(&d.join("plan.json"));
    assert!(!plan.steps.is_empty());
    let out = live(
        &server,
        d,
        &["apply", "plan.json", "--yes", "--store", "a.db"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = live(&server, d, &["verify", "plan.json", "--store", "a.db"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // The store holds the plan once and every journal entry.
    let conn = rusqlite::Connection::open(d.join("a.db")).unwrap();
    let (plans, digest): (i64, String) = conn
        .query_row("SELECT COUNT(*), MAX(digest) FROM plans", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((plans, digest.as_str()), (1, plan.digest.as_str()));
    let journal = std::fs::read_to_string(d.join("apply-log.jsonl")).unwrap();
    let events: i64 = conn
        .query_row("SELECT COUNT(*) FROM step_events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events as usize, journal.lines().count());
    assert_eq!(events as usize, 2 * plan.steps.len());

    live(&server, d, &["collect", "--out", "after.json"]).await;
    live(
        &server,
        d,
        &[
            "report",
            "--snapshot",
            "after.json",
            "--store",
            "a.db",
            "--out",
            "rep",
        ],
    )
    .await;

    let mut expected: BTreeSet<(String, String)> = BTreeSet::new();
    for s in &plan.steps {
        for g in &s.reason.grant_ids {
            expected.insert((g.clone(), s.id.clone()));
        }
        for a in &s.also_removes {
            expected.insert((a.grant_id.clone(), s.id.clone()));
        }
    }
    let rows = csv_rows(&d.join("rep/remediation.csv"));
    let got: BTreeSet<(String, String)> =
        rows.iter().map(|r| (r[0].clone(), r[12].clone())).collect();
    let ids: BTreeSet<&String> = expected.iter().map(|(g, _)| g).collect();
    assert_eq!(rows.len(), ids.len(), "one row per grant");
    assert!(got.is_subset(&expected), "{got:#?}\n{expected:#?}");
    assert_eq!(got.iter().map(|(g, _)| g).collect::<BTreeSet<_>>(), ids);
    for r in &rows {
        assert_eq!(r[1], "user:rachel.kim@northwind.example", "{r:?}");
        assert!(
            !r[5].is_empty() && !r[7].is_empty(),
            "removed and verified: {r:?}"
        );
        assert_eq!(r[11], plan.digest);
        assert_eq!(r[13], "no", "the new snapshot no longer shows it: {r:?}");
    }

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("rep/manifest.json")).unwrap()).unwrap();
    let entry = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "remediation.csv")
        .expect("the manifest lists remediation.csv");
    let bytes = std::fs::read(d.join("rep/remediation.csv")).unwrap();
    assert_eq!(
        entry["sha256"].as_str().unwrap(),
        atlas_audit::files::hex(&<sha2::Sha256 as sha2::Digest>::digest(&bytes))
    );
    let html = std::fs::read_to_string(d.join("rep/report.html")).unwrap();
    assert!(html.contains("id=\"remediated\""));
    for g in &ids {
        assert!(html.contains(g.as_str()), "report.html names {g}");
    }

    // The workbook's Summary counts them and has a line for each.
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook(d.join("rep/access-review.xlsx")).unwrap();
    let summary = calamine::Reader::worksheet_range(&mut book, "Summary").unwrap();
    let cells: Vec<String> = summary.cells().map(|(_, _, c)| c.to_string()).collect();
    let at = cells
        .iter()
        .position(|c| c == "Remediated since the review")
        .expect("a Remediated section on the Summary");
    assert_eq!(cells[at + 1], ids.len().to_string());
    for g in &ids {
        assert!(
            cells
                .iter()
                .any(|c| c.contains(g.as_str()) && c.contains("Removed on ")),
            "Summary line for {g}"
        );
    }

    // A report on the snapshot from before the removal still shows the grants: each is named
    // as remediated, and the findings about them as resolved by it.
    live(
        &server,
        d,
        &[
            "report",
            "--snapshot",
            "before.json",
            "--store",
            "a.db",
            "--out",
            "old",
        ],
    )
    .await;
    let rows = csv_rows(&d.join("old/remediation.csv"));
    assert_eq!(rows.len(), ids.len());
    assert!(rows.iter().any(|r| r[13] == "yes"), "{rows:?}");

    // A report without a store writes no remediation.csv.
    live(
        &server,
        d,
        &["report", "--snapshot", "after.json", "--out", "plain"],
    )
    .await;
    assert!(!d.join("plain/remediation.csv").exists());
}
