//! The report set end to end: every file of every format for the demo, pinned where it is text;
//! two runs give byte-identical files whose SHA-256 the manifest holds; hostile Atlas text goes
//! through every renderer inert and whole; and the email stays under 100 KB for the `xl`
//! synthetic estate.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::*;
use atlas_audit::mock::SyntheticSize;
use atlas_audit::model::{PrincipalDetail, Snapshot};
use atlas_audit::report::{self, Format, ReportInput, neutralise};
use atlas_audit::rules::{self, Policy};
use calamine::{Data, Reader, Xlsx};
use sha2::{Digest, Sha256};

const ALL_FILES: &[&str] = &[
    "access-review.xlsx",
    "directory.csv",
    "directory.json",
    "email.html",
    "email.txt",
    "findings.csv",
    "findings.json",
    "grants.csv",
    "principals.csv",
    "report.html",
    "manifest.json",
];

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_demo_report_is_every_file_identical_across_runs_and_hashed_in_the_manifest() {
    let (dir, first) = report_in_temp(&demo_snapshot(), &[]);
    let (second, _) = report_in_temp(&demo_snapshot(), &[]);
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert_eq!(row(&stdout, "files"), Some("out/"), "{stdout}");
    let listed = |name: &str| {
        stdout
            .lines()
            .any(|l| l[16.min(l.len())..].starts_with(name))
    };
    assert!(
        ALL_FILES.iter().all(|name| listed(name)),
        "every file is listed: {stdout}"
    );
    for name in ALL_FILES {
        let a = dir.path().join("out").join(name);
        let b = second.path().join("out").join(name);
        assert!(a.is_file(), "{name} written");
        assert_eq!(sha256(&a), sha256(&b), "{name} differs between two runs");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/manifest.json")).unwrap())
            .unwrap();
    let files = manifest["files"].as_array().unwrap();
    let names: BTreeSet<&str> = files.iter().map(|f| f["name"].as_str().unwrap()).collect();
    let expected: BTreeSet<&str> = ALL_FILES
        .iter()
        .copied()
        .filter(|n| *n != "manifest.json")
        .collect();
    assert_eq!(names, expected);
    for f in files {
        let path = dir.path().join("out").join(f["name"].as_str().unwrap());
        assert_eq!(f["sha256"].as_str().unwrap(), sha256(&path), "{path:?}");
        assert_eq!(
            f["bytes"].as_u64().unwrap(),
            std::fs::metadata(&path).unwrap().len()
        );
    }
    assert_eq!(manifest["counts"]["findings"], 73);
    assert_eq!(manifest["coverage"]["complete"], true);
    assert_eq!(manifest["policy"]["digest"], "defaults");
    assert_eq!(
        manifest["source"]["snapshot_sha256"].as_str().unwrap(),
        sha256(&dir.path().join("snapshot.json"))
    );
    assert_eq!(manifest["as_of"], "2027-01-15T12:00:00Z");
}

#[test]
fn a_format_list_writes_only_those_files_and_the_manifest() {
    let (dir, out) = report_in_temp(&demo_snapshot(), &["--format", "csv"]);
    assert_eq!(out.status.code(), Some(0));
    let mut written: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "directory.csv",
            "findings.csv",
            "grants.csv",
            "manifest.json",
            "principals.csv"
        ]
    );
}

#[test]
fn the_demo_grants_and_principals_csv_are_pinned() {
    let (dir, _) = report_in_temp(&demo_snapshot(), &[]);
    for name in ["grants.csv", "principals.csv"] {
        let text = std::fs::read_to_string(dir.path().join("out").join(name)).unwrap();
        let rows: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(rows.last(), Some(&""), "{name} ends with CRLF");
        insta::assert_snapshot!(format!("demo_{name}"), text);
    }
}

/// The demo with hostile names on orgs, projects and principals of every kind, and hostile
/// descriptions and labels.
fn hostile_demo() -> Snapshot {
    let bad = report::hostile_strings();
    let mut s = demo_snapshot();
    for (i, o) in s.orgs.iter_mut().enumerate() {
        o.name = bad[i % bad.len()].clone();
    }
    for (i, p) in s.projects.iter_mut().enumerate() {
        p.name = bad[(i + 3) % bad.len()].clone();
    }
    for (i, p) in s.principals.iter_mut().enumerate() {
        p.name = bad[i % bad.len()].clone();
        match &mut p.detail {
            PrincipalDetail::ApiKey(k) => k.description = Some(bad[i % bad.len()].clone()),
            PrincipalDetail::DatabaseUser(d) => {
                d.description = Some(bad[(i + 1) % bad.len()].clone());
                d.labels = vec![format!("team={}", bad[(i + 2) % bad.len()])];
            }
            _ => {}
        }
    }
    s
}

fn csv_cells(path: &Path) -> BTreeSet<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap();
    reader
        .records()
        .flat_map(|r| {
            r.unwrap()
                .iter()
                .map(str::to_string)
                .collect::<Vec<String>>()
        })
        .collect()
}

#[test]
fn hostile_text_reaches_every_file_inert_and_whole() {
    let (dir, _) = report_in_temp(&hostile_demo(), &[]);
    let out = dir.path().join("out");
    let bad = report::hostile_strings();

    // CSV: each string is a whole cell, neutralised where a spreadsheet would evaluate it.
    let cells = csv_cells(&out.join("principals.csv"));
    for s in &bad {
        assert!(
            cells.contains(neutralise(s).as_ref()),
            "principals.csv lacks {s:.40?}"
        );
    }
    assert!(
        !cells
            .iter()
            .any(|c| c.starts_with('=') || c.starts_with('@'))
    );
    let grant_cells = csv_cells(&out.join("grants.csv"));
    assert!(
        !grant_cells
            .iter()
            .any(|c| c.starts_with('=') || c.starts_with('+'))
    );

    // XLSX: the same strings, read back as text, none a formula.
    let mut book: Xlsx<_> = calamine::open_workbook(out.join("access-review.xlsx")).unwrap();
    let sheet = book.worksheet_range("Principals").unwrap();
    let texts: BTreeSet<String> = sheet
        .used_cells()
        .filter_map(|(_, _, c)| match c {
            Data::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    for s in &bad {
        assert!(
            texts.contains(neutralise(s).as_ref()),
            "workbook lacks {s:.40?}"
        );
    }
    for name in book.sheet_names() {
        let formulas = book.worksheet_formula(&name).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "sheet {name} holds a formula"
        );
    }

    // HTML: escaped, never markup; the 10 KB string is whole in the report.
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!page.contains("<script>alert(1)"), "raw script from data");
    assert!(!page.contains("<b>bold</b>"), "raw markup from data");
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;"),
        "escaped markup shown as text"
    );
    assert!(
        page.contains(&bad[9]),
        "the 10 KB name is whole in report.html"
    );
    let email = std::fs::read_to_string(out.join("email.html")).unwrap();
    assert!(!email.contains("<script"), "no script in the email");
    assert!(!email.contains("<svg"), "no svg in the email");
    assert!(!email.contains("<b>bold</b>"));
    assert!(
        email.len() <= 100 * 1024,
        "email.html is {} bytes",
        email.len()
    );
    if !email.contains(&bad[9]) && email.contains("long-xxxx") {
        assert!(email.contains("shortened"), "a cut string says so");
    }
    let text = std::fs::read_to_string(out.join("email.txt")).unwrap();
    assert!(text.contains("Findings") || text.contains("findings"));
}

#[test]
fn the_email_for_the_xl_estate_is_under_100_kb() {
    let snapshot = synthetic_snapshot(SyntheticSize::Xl);
    let policy = Policy::default();
    let findings = rules::evaluate(&snapshot, &policy).unwrap();
    // Tens of thousands of findings: far more than any email could list.
    assert!(
        findings.findings.len() > 50_000,
        "{}",
        findings.findings.len()
    );
    let input = ReportInput::without_policy_file(&snapshot, &findings, &policy);
    let dir = tempfile::tempdir().unwrap();
    let options = report::Options {
        formats: vec![Format::Html],
        ..report::Options::default()
    };
    report::write(dir.path(), &input, &options).unwrap();
    let email = std::fs::metadata(dir.path().join("email.html"))
        .unwrap()
        .len();
    assert!(email <= 100 * 1024, "email.html is {email} bytes");
    let text = std::fs::read_to_string(dir.path().join("email.html")).unwrap();
    assert!(
        text.contains("access-review.xlsx"),
        "points to the workbook"
    );
}
