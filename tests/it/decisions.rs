//! `decisions`: workbooks a report wrote, filled in the way a reviewer's spreadsheet would
//! (Python's openpyxl loads, sets cells and saves the whole package again), read back into
//! `decisions.csv` and the store; and tampered, foreign, conflicting and incomplete workbooks
//! refused with exit 2, naming sheet and row, with nothing written or recorded.
//!
//! Needs python3 with openpyxl (`pip install openpyxl`); without it each test says so and
//! passes without running.

use std::path::Path;
use std::process::Command;

use crate::common::*;
use calamine::{Data, Reader, Xlsx, open_workbook};

/// Whether python3 can import openpyxl; prints why not.
pub(crate) fn openpyxl() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import openpyxl"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: python3 with openpyxl is not installed (pip install openpyxl)");
    }
    ok
}

/// One Access Review row as the test reads it: its spreadsheet row and cells by header.
pub(crate) struct Row {
    pub(crate) row: u32,
    cells: std::collections::BTreeMap<String, String>,
}

impl Row {
    pub(crate) fn get(&self, header: &str) -> &str {
        self.cells.get(header).map_or("", String::as_str)
    }
}

pub(crate) fn rows(book: &Path) -> Vec<Row> {
    let mut x: Xlsx<_> = open_workbook(book).unwrap();
    let range = x.worksheet_range("Access Review").unwrap();
    let mut it = range.rows();
    let header: Vec<String> = it.next().unwrap().iter().map(|c| c.to_string()).collect();
    it.enumerate()
        .map(|(i, r)| Row {
            row: i as u32 + 2,
            cells: header
                .iter()
                .zip(r)
                .map(|(h, c)| {
                    let v = match c {
                        Data::Empty => String::new(),
                        other => other.to_string(),
                    };
                    (h.clone(), v)
                })
                .collect(),
        })
        .collect()
}

/// Copies `from` to `to` with cells set through openpyxl: (row, header, value); a value
/// `date:YYYY-MM-DD` becomes a real date cell.
fn fill(from: &Path, to: &Path, edits: &[(u32, &str, &str)]) {
    let script = r#"
import sys, json, datetime, openpyxl
src, dst, edits = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
wb = openpyxl.load_workbook(src)
ws = wb["Access Review"]
cols = {c.value: c.column for c in ws[1]}
for row, header, value in edits:
    if value.startswith("date:"):
        value = datetime.date.fromisoformat(value[5:])
    ws.cell(row=row, column=cols[header], value=value)
wb.save(dst)
"#;
    let edits = serde_json::to_string(edits).unwrap();
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(from)
        .arg(to)
        .arg(edits)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

pub(crate) fn decide(
    row: &Row,
    decision: &str,
    reviewer: &str,
    comment: &str,
) -> Vec<(u32, String, String)> {
    vec![
        (row.row, "Decision".into(), decision.into()),
        (row.row, "Reviewer".into(), reviewer.into()),
        (row.row, "Date".into(), "date:2027-01-10".into()),
        (row.row, "Comment".into(), comment.into()),
    ]
}

pub(crate) fn fill_owned(from: &Path, to: &Path, edits: &[(u32, String, String)]) {
    let edits: Vec<(u32, &str, &str)> = edits
        .iter()
        .map(|(r, h, v)| (*r, h.as_str(), v.as_str()))
        .collect();
    fill(from, to, &edits);
}

fn decisions(dir: &Path, args: &[&str]) -> std::process::Output {
    atlas_audit_command()
        .arg("decisions")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stored_decisions(db: &Path) -> usize {
    atlas_audit::store::Store::open(db)
        .unwrap()
        .latest_decisions()
        .unwrap()
        .len()
}

#[test]
fn filled_workbooks_of_one_report_become_decisions_csv_and_an_attestation() {
    if !openpyxl() {
        return;
    }
    let (dir, _) = report_in_temp(
        &demo_snapshot(),
        &["--format", "xlsx", "--store", "audit.db"],
    );
    let d = dir.path();
    let book = d.join("out/access-review.xlsx");
    let all = rows(&book);
    let project = all
        .iter()
        .find(|r| r.get("Level") == "project" && r.get("Role") != "GROUP_READ_ONLY")
        .unwrap();
    let (a, b) = (&all[0], &all[1]);
    // Two reviewers split the work: each fills in a copy of the same workbook.
    let mut first = decide(a, "Revoke", "dana@example.com", "left the team");
    first.extend(decide(b, "Keep", "dana@example.com", ""));
    fill_owned(&book, &d.join("dana.xlsx"), &first);
    let mut second = decide(project, "Modify", "lee@example.com", "read is enough");
    second.push((project.row, "Modify to".into(), "GROUP_READ_ONLY".into()));
    // The same decision on the same grant twice is no conflict.
    second.extend(decide(b, "Keep", "lee@example.com", ""));
    fill_owned(&book, &d.join("lee.xlsx"), &second);

    std::fs::create_dir(d.join("decided")).unwrap();
    let out = decisions(
        d,
        &[
            "dana.xlsx",
            "lee.xlsx",
            "--store",
            "audit.db",
            "--report",
            "out",
            "--out",
            "decided",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = std::fs::read_to_string(d.join("decided/decisions.csv")).unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "grant_id,principal,scope,role,via,decision,modify_to,reviewer,date,comment,workbook,sheet,row"
    );
    assert_eq!(lines.len(), 4, "{csv}");
    let mut ids: Vec<&str> = lines[1..].iter().map(|l| &l[..12]).collect();
    let sorted = {
        let mut s = ids.clone();
        s.sort();
        s
    };
    assert_eq!(ids, sorted, "sorted by grant id");
    ids.sort();
    let mut want = vec![
        a.get("Grant id"),
        b.get("Grant id"),
        project.get("Grant id"),
    ];
    want.sort();
    assert_eq!(ids, want);
    let revoke = lines
        .iter()
        .find(|l| l.starts_with(a.get("Grant id")))
        .unwrap();
    assert!(
        revoke.contains(&format!(",{},", a.get("Principal key"))),
        "{revoke}"
    );
    assert!(
        revoke.ends_with(&format!(
            ",Revoke,,dana@example.com,2027-01-10,left the team,dana.xlsx,Access Review,{}",
            a.row
        )),
        "{revoke}"
    );
    let modify = lines
        .iter()
        .find(|l| l.starts_with(project.get("Grant id")))
        .unwrap();
    assert!(
        modify.contains(",Modify,GROUP_READ_ONLY,lee@example.com,"),
        "{modify}"
    );
    assert!(modify.contains(",project:"), "the scope key: {modify}");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("reviewer"), "{stdout}");
    assert!(stdout.contains("lee@example.com"), "{stdout}");
    assert_eq!(stored_decisions(&d.join("audit.db")), 3);

    // The same outcome for scripts, as one JSON object (no store this time: no attestation).
    std::fs::create_dir(d.join("decided-json")).unwrap();
    let json = decisions(
        d,
        &[
            "dana.xlsx",
            "lee.xlsx",
            "--report",
            "out",
            "--out",
            "decided-json",
            "--json",
        ],
    );
    assert_eq!(json.status.code(), Some(0), "{}", text(&json.stderr));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("one JSON object");
    assert_eq!(v["decided"], 3, "{v:#}");
    assert!(v["undecided"].as_u64().unwrap() > 0, "{v:#}");
    assert!(v["attestation"].is_null(), "{v:#}");
    let reviewers: Vec<(&str, u64)> = v["reviewers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["decided"].as_u64().unwrap()))
        .collect();
    // The grant both decided alike counts once, for the first workbook's reviewer.
    assert_eq!(
        reviewers,
        [("dana@example.com", 2), ("lee@example.com", 1)],
        "{v:#}"
    );
    assert_eq!(v["workbooks"].as_array().unwrap().len(), 2, "{v:#}");
    assert!(
        v["written"].as_str().unwrap().ends_with("decisions.csv"),
        "{v:#}"
    );

    // The plan of the store's latest attestation is the plan of its decisions.csv.
    let plan = |args: &[&str], out: &str| {
        let run = atlas_audit_command()
            .args(["plan", "--snapshot", "snapshot.json", "--out", out])
            .args(args)
            .current_dir(d)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
        let plan: atlas_audit::remediate::plan::Plan =
            serde_json::from_slice(&std::fs::read(d.join(out)).unwrap()).unwrap();
        plan
    };
    let from_csv = plan(&["--decisions", "decided/decisions.csv"], "csv-plan.json");
    let from_store = plan(&["--store", "audit.db"], "store-plan.json");
    assert!(!from_store.steps.is_empty());
    assert_eq!(from_store.steps, from_csv.steps);
    assert!(from_store.source.decisions.is_none());
    // Nothing to plan from: exit 2 saying what to give.
    let none = atlas_audit_command()
        .args(["plan", "--snapshot", "snapshot.json"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(
        text(&none.stderr).contains("--store PATH"),
        "{}",
        text(&none.stderr)
    );
}

/// Runs `decisions` over workbooks filled from the report in `d` and expects a refusal.
fn refused(d: &Path, books: &[&str], expect: &[&str]) {
    let out = decisions(d, &[books, &["--store", "audit.db"]].concat());
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for e in expect {
        assert!(stderr.contains(e), "{e:?} not in: {stderr}");
    }
    assert!(!d.join("decisions.csv").exists(), "nothing written");
    assert_eq!(stored_decisions(&d.join("audit.db")), 0, "nothing recorded");
}

#[test]
fn tampered_foreign_conflicting_and_incomplete_workbooks_are_refused_naming_sheet_and_row() {
    if !openpyxl() {
        return;
    }
    let (dir, _) = report_in_temp(
        &demo_snapshot(),
        &["--format", "xlsx", "--store", "audit.db"],
    );
    let d = dir.path();
    let book = d.join("out/access-review.xlsx");
    let all = rows(&book);
    let (a, b, c) = (&all[0], &all[1], &all[2]);

    // An evidence cell edited: the Role of a decided row.
    let mut edits = decide(a, "Keep", "dana@example.com", "");
    edits.push((a.row, "Role".into(), "ORG_READ_ONLY".into()));
    fill_owned(&book, &d.join("tampered.xlsx"), &edits);
    refused(
        d,
        &["tampered.xlsx"],
        &[
            &format!("tampered.xlsx: sheet Access Review, row {}", a.row),
            "restore the row",
        ],
    );

    // Missing reviewer, date and comment, each named by its cell.
    let mut edits = decide(a, "Revoke", "dana@example.com", "");
    edits.extend(decide(b, "Keep", "", ""));
    edits.extend(decide(c, "Keep", "dana@example.com", ""));
    edits.retain(|(r, h, _)| !(*r == c.row && h == "Date"));
    fill_owned(&book, &d.join("incomplete.xlsx"), &edits);
    refused(
        d,
        &["incomplete.xlsx"],
        &[
            &format!("sheet Access Review, row {}, cell", a.row),
            "without a Comment",
            &format!("sheet Access Review, row {}, cell", b.row),
            "without a Reviewer",
            &format!("sheet Access Review, row {}, cell", c.row),
            "without a Date",
        ],
    );

    // Two reviewers, two decisions on one grant.
    fill_owned(
        &book,
        &d.join("keep.xlsx"),
        &decide(a, "Keep", "dana@example.com", ""),
    );
    fill_owned(
        &book,
        &d.join("revoke.xlsx"),
        &decide(a, "Revoke", "lee@example.com", "no longer needed"),
    );
    refused(
        d,
        &["keep.xlsx", "revoke.xlsx"],
        &[
            "dana@example.com",
            "lee@example.com",
            "keep.xlsx",
            &format!("revoke.xlsx: sheet Access Review, row {}", a.row),
        ],
    );

    // A workbook of another report (another snapshot) beside one of this report.
    let mut other = demo_snapshot();
    other.grants.pop();
    let (other_dir, _) = report_in_temp(&other, &["--format", "xlsx"]);
    fill_owned(
        &other_dir.path().join("out/access-review.xlsx"),
        &d.join("foreign.xlsx"),
        &decide(
            &rows(&other_dir.path().join("out/access-review.xlsx"))[0],
            "Keep",
            "kim@example.com",
            "",
        ),
    );
    fill_owned(
        &book,
        &d.join("ours.xlsx"),
        &decide(a, "Keep", "dana@example.com", ""),
    );
    refused(
        d,
        &["ours.xlsx", "foreign.xlsx"],
        &[
            "foreign.xlsx: sheet Summary",
            "belongs to another report",
            "snapshot SHA-256",
        ],
    );
}
