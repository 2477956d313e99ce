//! Output for scripts and manuals: `summary --json` says what the table says, with the same
//! exit code; `man` renders pages generated from the command line itself.

use crate::common::{atlas_audit_command, demo_snapshot, text};

#[test]
fn summary_json_counts_what_the_snapshot_holds_and_exits_as_the_table_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut snapshot = demo_snapshot();
    let path = dir.path().join("snapshot.json");
    atlas_audit::model::save(&snapshot, &path).unwrap();
    let run = |path: &std::path::Path| {
        atlas_audit_command()
            .args(["summary", "--json", "--snapshot"])
            .arg(path)
            .output()
            .unwrap()
    };
    let out = run(&path);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["complete"], true);
    assert_eq!(v["read"]["principals"], snapshot.principals.len());
    assert_eq!(v["read"]["grants"], snapshot.grants.len());
    let orgs = v["orgs"].as_array().unwrap();
    assert_eq!(orgs.len(), snapshot.orgs.len());
    let grants: u64 = orgs.iter().map(|o| o["grants"].as_u64().unwrap()).sum();
    assert_eq!(
        grants as usize,
        snapshot.grants.len(),
        "every grant in one org"
    );
    let projects: u64 = orgs.iter().map(|o| o["projects"].as_u64().unwrap()).sum();
    assert_eq!(projects as usize, snapshot.projects.len());
    assert_eq!(v["coverage"].as_array().unwrap().len(), 0);

    // A gap: exit 3, `complete` false, and the gap listed.
    snapshot.coverage.push(atlas_audit::model::CoverageGap {
        scope: "org:6650a1000000000000000001".into(),
        endpoint: "listOrgUsers".into(),
        status: Some(403),
        error_code: None,
        reason: "access denied".into(),
    });
    let gapped = dir.path().join("gapped.json");
    atlas_audit::model::save(&snapshot, &gapped).unwrap();
    let out = run(&gapped);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["complete"], false);
    assert_eq!(v["coverage"][0]["endpoint"], "listOrgUsers");
}

#[test]
fn man_prints_the_main_page_and_writes_one_page_per_command() {
    let out = atlas_audit_command().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH atlas-audit"),
        "{page}"
    );
    for command in ["collect", "report", "decisions", "apply", "man"] {
        assert!(page.contains(command), "the main page names {command}");
    }

    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = atlas_audit_command()
        .args(["man", "--out"])
        .arg(&pages)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = std::fs::read_to_string(pages.join("atlas-audit-report.1")).unwrap();
    assert!(report.contains(".TH atlas-audit-report"), "{report}");
    // Flags as the page writes them: roff escapes each dash.
    for flag in ["fail\\-on", "baseline", "store"] {
        assert!(report.contains(flag), "the report page documents --{flag}");
    }
    let written = std::fs::read_dir(&pages).unwrap().count();
    assert!(written >= 15, "{written} pages");
    assert!(!pages.join("atlas-audit-help.1").exists());
}
