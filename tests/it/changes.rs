//! Two quarters of one estate: world A reviewed, then world B (a leaver gone, a joiner in, a
//! role raised, an API key removed, an exemption about to end). `report --baseline` and `diff`
//! must list exactly those changes.

use std::collections::BTreeSet;

use crate::common::*;
use atlas_audit::model::{Grant, Scope, Snapshot, Via};

const LEAVER: &str = "user:ethan.brooks@northwind.example";
const JOINER: &str = "user:zoe.new@northwind.example";
const RAISED: &str = "user:ahmed.nasser@northwind.example";
const KEY: &str = "apikey:qzvtkmra";

fn quarters() -> (Snapshot, Snapshot) {
    let a = demo_snapshot();
    let mut b = a.clone();
    b.principals.retain(|p| p.key != LEAVER && p.key != KEY);
    b.grants
        .retain(|g| g.principal != LEAVER && g.principal != KEY);
    let mut joiner = a
        .principals
        .iter()
        .find(|p| p.key == LEAVER)
        .expect("the leaver is in the demo")
        .clone();
    joiner.key = JOINER.into();
    joiner.name = "zoe.new@northwind.example".into();
    let org = joiner.org_ids[0].clone();
    b.principals.push(joiner);
    b.grants.push(Grant {
        principal: JOINER.into(),
        scope: Scope::Org { org_id: org },
        role: "ORG_MEMBER".into(),
        via: Via::Direct,
    });
    let raised = b
        .grants
        .iter_mut()
        .find(|g| g.principal == RAISED && g.role == "GROUP_READ_ONLY")
        .expect("ahmed reads a project");
    raised.role = "GROUP_OWNER".into();
    (a, b)
}

/// Grants a reviewer decides on (implied ones follow their org role).
fn decided(s: &Snapshot, who: &str) -> usize {
    s.grants
        .iter()
        .filter(|g| g.principal == who && !matches!(g.via, Via::OrgRole(_)))
        .count()
}

fn rows(csv: &str) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Runs `report -q --snapshot SNAPSHOT` with `extra` arguments; it must end with 0 or 3.
fn report(snapshot: &std::path::Path, extra: &[&std::ffi::OsStr]) {
    let run = atlas_audit_command()
        .args(["report", "-q", "--snapshot"])
        .arg(snapshot)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        matches!(run.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// `diff --format csv` with `args`; it must succeed. Returns what it printed.
fn diff_csv(args: &[&std::ffi::OsStr]) -> String {
    let diff = atlas_audit_command()
        .args(["diff", "--format", "csv"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        diff.status.success(),
        "{}",
        String::from_utf8_lossy(&diff.stderr)
    );
    String::from_utf8(diff.stdout).unwrap()
}

#[test]
fn the_second_quarter_shows_exactly_what_changed() {
    let (a, b) = quarters();
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("a.json"), dir.path().join("b.json"));
    atlas_audit::model::save(&a, &old).unwrap();
    atlas_audit::model::save(&b, &new).unwrap();
    let soon = (now() + jiff::SignedDuration::from_hours(24 * 30))
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let policy = dir.path().join("atlas-audit.toml");
    std::fs::write(
        &policy,
        format!(
            "[[exemption]]\nrule = \"USER_INACTIVE\"\nprincipal = \"{RAISED}\"\nreason = \"on leave\"\nowner = \"sec-team\"\nexpires = \"{soon}\"\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("report");
    report(
        &new,
        &[
            "--baseline".as_ref(),
            old.as_os_str(),
            "--policy".as_ref(),
            policy.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
    );
    let csv = std::fs::read_to_string(out.join("changes.csv")).unwrap();
    let rows = rows(&csv);
    let of = |kind: &str| -> Vec<&Vec<String>> { rows.iter().filter(|r| r[0] == kind).collect() };
    let keys = |kind: &str| -> BTreeSet<&str> { of(kind).iter().map(|r| r[1].as_str()).collect() };

    assert_eq!(keys("principal_added"), BTreeSet::from([JOINER]));
    assert_eq!(keys("principal_removed"), BTreeSet::from([LEAVER, KEY]));
    assert_eq!(
        of("grant_added")
            .iter()
            .map(|r| (r[1].as_str(), r[7].as_str()))
            .collect::<Vec<_>>(),
        [(JOINER, "ORG_MEMBER")]
    );
    assert_eq!(
        of("grant_removed").len(),
        decided(&a, LEAVER) + decided(&a, KEY),
        "{csv}"
    );
    assert_eq!(keys("grant_removed"), BTreeSet::from([LEAVER, KEY]));
    let changed = of("grant_changed");
    assert_eq!(changed.len(), 1, "{csv}");
    assert_eq!(changed[0][1], RAISED);
    assert_eq!(changed[0][8], "role GROUP_READ_ONLY → GROUP_OWNER");
    let expiring = of("exemption_expiring");
    assert_eq!(expiring.len(), 1, "{csv}");
    assert!(expiring[0][8].contains(&format!("ends {soon}")), "{csv}");
    // Every finding that came or went is about someone who changed, or about an org or
    // project whose make-up changed with them.
    for r in rows.iter().filter(|r| r[0].starts_with("finding_")) {
        let about = r[1].as_str();
        assert!(
            [LEAVER, JOINER, RAISED, KEY].contains(&about)
                || about.starts_with("org:")
                || about.starts_with("project:"),
            "unexpected finding change {r:?}"
        );
    }
    // The key's findings are resolved with it.
    assert!(of("finding_resolved").iter().any(|r| r[1] == KEY), "{csv}");
    let kinds: BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    for kind in &kinds {
        assert!(
            [
                "principal_added",
                "principal_removed",
                "grant_added",
                "grant_removed",
                "grant_changed",
                "finding_new",
                "finding_resolved",
                "finding_status_changed",
                "exemption_expiring"
            ]
            .contains(kind),
            "{kind}"
        );
    }

    // The same changes from `diff`, and in the workbook, the pages and the manifest.
    let diffed = diff_csv(&[
        "--policy".as_ref(),
        policy.as_os_str(),
        old.as_os_str(),
        new.as_os_str(),
    ]);
    assert_eq!(diffed, csv);
    let text = atlas_audit_command()
        .args(["diff", "--policy"])
        .arg(&policy)
        .arg(&old)
        .arg(&new)
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("Grants changed (1)"), "{text}");
    assert!(
        text.contains("role GROUP_READ_ONLY → GROUP_OWNER"),
        "{text}"
    );

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Since the last review"));
    assert!(html.contains("role GROUP_READ_ONLY → GROUP_OWNER"));
    let email = std::fs::read_to_string(out.join("email.txt")).unwrap();
    assert!(email.contains("SINCE THE LAST REVIEW"), "{email}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["baseline"]["changes"]["grant_changed"], 1);
    assert!(
        manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "changes.csv")
    );
    let book: calamine::Xlsx<_> = calamine::open_workbook(out.join("access-review.xlsx")).unwrap();
    use calamine::Reader as _;
    let mut book = book;
    assert!(book.sheet_names().contains(&"Changes".to_string()));
    let sheet = book.worksheet_range("Changes").unwrap();
    assert_eq!(sheet.height(), rows.len() + 1);
}

#[test]
fn a_snapshot_against_itself_changes_nothing() {
    let a = demo_snapshot();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.json");
    atlas_audit::model::save(&a, &path).unwrap();
    let out = atlas_audit_command()
        .current_dir(dir.path())
        .args(["diff"])
        .arg(&path)
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("no change in principals, grants or findings"),
        "{text}"
    );
}

#[test]
fn a_missing_baseline_is_an_error_naming_the_flag() {
    let a = demo_snapshot();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.json");
    atlas_audit::model::save(&a, &path).unwrap();
    let out = atlas_audit_command()
        .args(["report", "-q", "--snapshot"])
        .arg(&path)
        .args(["--baseline", "no-such-file.json", "--out"])
        .arg(dir.path().join("r"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--baseline no-such-file.json"), "{err}");
}

#[test]
fn with_a_store_the_baseline_is_the_last_review_at_least_80_days_older() {
    let (mut a, b) = quarters();
    a.meta.collected_at = b
        .meta
        .collected_at
        .map(|t| t - jiff::SignedDuration::from_hours(24 * 90));
    let dir = tempfile::tempdir().unwrap();
    let (old, new, db) = (
        dir.path().join("a.json"),
        dir.path().join("b.json"),
        dir.path().join("evidence.db"),
    );
    atlas_audit::model::save(&a, &old).unwrap();
    atlas_audit::model::save(&b, &new).unwrap();
    let report = |snapshot: &std::path::Path, out: &str| {
        let out = dir.path().join(out);
        report(
            snapshot,
            &[
                "--out".as_ref(),
                out.as_os_str(),
                "--store".as_ref(),
                db.as_os_str(),
            ],
        );
    };
    report(&old, "q1");
    assert!(
        !dir.path().join("q1/changes.csv").exists(),
        "the first review has no baseline"
    );
    report(&new, "q2");
    let csv = std::fs::read_to_string(dir.path().join("q2/changes.csv")).unwrap();
    let rows = rows(&csv);
    assert!(
        rows.iter().any(|r| r[0] == "grant_changed"
            && r[1] == RAISED
            && r[8] == "role GROUP_READ_ONLY → GROUP_OWNER"),
        "{csv}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("q2/manifest.json")).unwrap())
            .unwrap();
    let label = manifest["baseline"]["snapshot"].as_str().unwrap();
    assert!(label.starts_with("run 1 in "), "{label}");
    // A third run a week later still compares with the first, not the second.
    let mut c = b.clone();
    c.meta.collected_at = b
        .meta
        .collected_at
        .map(|t| t + jiff::SignedDuration::from_hours(24 * 7));
    let third = dir.path().join("c.json");
    atlas_audit::model::save(&c, &third).unwrap();
    report(&third, "q2b");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("q2b/manifest.json")).unwrap())
            .unwrap();
    assert!(
        manifest["baseline"]["snapshot"]
            .as_str()
            .unwrap()
            .starts_with("run 1 in ")
    );
    // diff reads runs from the store by id.
    let diffed = diff_csv(&[
        "run:1".as_ref(),
        "run:2".as_ref(),
        "--store".as_ref(),
        db.as_os_str(),
    ]);
    assert!(
        diffed.contains("role GROUP_READ_ONLY → GROUP_OWNER"),
        "{diffed}"
    );
    let no_store = atlas_audit_command()
        .args(["diff", "run:1", "run:2"])
        .output()
        .unwrap();
    assert_eq!(no_store.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_store.stderr).contains("needs --store PATH"));
}
