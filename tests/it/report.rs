//! `report`, `rules` and `init` end to end through the binary: files written, exit codes
//! (`--fail-on` gives 1, coverage gaps give 3 and win, a bad policy gives 2), and exemptions
//! applied, expired and unmatched.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;
use atlas_audit::model::{self, CoverageGap, Snapshot};
use atlas_audit::rules::{Findings, RuleId, Status};

fn run(args: &[&str], cwd: &Path) -> Output {
    let mut cmd = atlas_audit_command();
    cmd.args(args).current_dir(cwd);
    cmd.output().expect("the binary runs")
}

/// A folder holding the demo snapshot; returns it and the snapshot's path.
fn with_snapshot(snapshot: &Snapshot) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snapshot.json");
    model::save(snapshot, &path).unwrap();
    (dir, path)
}

/// Runs `report` into `dir/out`, replacing the report an earlier call left there.
fn report(dir: &Path, extra: &[&str]) -> (Output, Findings) {
    let mut args = vec![
        "report",
        "--snapshot",
        "snapshot.json",
        "--out",
        "out",
        "--force",
    ];
    args.extend_from_slice(extra);
    let out = run(&args, dir);
    let findings = std::fs::read(dir.join("out/findings.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| {
            panic!(
                "no findings.json; stdout {} stderr {}",
                text(&out.stdout),
                text(&out.stderr)
            )
        });
    (out, findings)
}

#[test]
fn report_writes_both_files_and_exits_by_fail_on() {
    let (dir, _) = with_snapshot(&demo_snapshot());
    let (out, findings) = report(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(findings.findings.len(), 73);
    let csv = std::fs::read_to_string(dir.path().join("out/findings.csv")).unwrap();
    assert_eq!(csv.lines().count(), 74, "a header and one row per finding");
    let stdout = text(&out.stdout);
    assert_eq!(
        row(&stdout, "findings"),
        Some("73 as of 2027-01-15 12:00 UTC: 14 high, 50 medium, 9 low"),
        "{stdout}"
    );
    assert_eq!(
        row(&stdout, "coverage"),
        Some("complete: every requested scope was read"),
        "{stdout}"
    );
    assert!(
        row(&stdout, "  high").is_some_and(|r| r.starts_with("ORG_MFA_NOT_REQUIRED")),
        "each severity heads its rules: {stdout}"
    );

    let (out, _) = report(dir.path(), &["--fail-on", "high"]);
    assert_eq!(out.status.code(), Some(1));
    let (out, _) = report(dir.path(), &["--fail-on", "critical"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the demo has no critical finding"
    );
    let out = run(
        &[
            "report",
            "--snapshot",
            "snapshot.json",
            "--fail-on",
            "severe",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not a severity"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_coverage_gap_gives_3_even_with_findings_over_fail_on() {
    let mut s = demo_snapshot();
    s.coverage.push(CoverageGap {
        scope: "project:6650b1000000000000000002".into(),
        endpoint: "listGroupDatabaseUsers".into(),
        status: Some(403),
        error_code: Some("USER_UNAUTHORIZED".into()),
        reason: "access denied".into(),
    });
    let (dir, _) = with_snapshot(&s);
    let (out, findings) = report(dir.path(), &["--fail-on", "low"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        row(&text(&out.stdout), "coverage").is_some_and(|r| r.starts_with("INCOMPLETE: 1 scope")),
        "{}",
        text(&out.stdout)
    );
    let blocked: Vec<_> = findings
        .not_evaluated
        .iter()
        .filter(|n| n.scope.project_id.as_deref() == Some("6650b1000000000000000002"))
        .map(|n| n.rule)
        .collect();
    assert!(
        blocked.contains(&RuleId::DbuserPasswordAuthProd),
        "{blocked:?}"
    );
}

#[test]
fn exemptions_apply_expire_and_warn_and_fail_on_ignores_exempted() {
    let (dir, _) = with_snapshot(&demo_snapshot());
    // Every high finding is exempted by a glob per rule, one exemption has expired (the as-of
    // date is 2027-01-15), and one matches nothing.
    let (_, plain) = report(dir.path(), &[]);
    let mut high_rules: Vec<RuleId> = plain
        .findings
        .iter()
        .filter(|f| f.severity <= atlas_audit::rules::Severity::High)
        .map(|f| f.rule)
        .collect();
    high_rules.sort();
    high_rules.dedup();
    let mut policy = String::new();
    for rule in &high_rules {
        policy.push_str(&format!(
            "[[exemption]]\nrule = \"{rule}\"\nprincipal = \"*\"\nreason = \"accepted for the test\"\nowner = \"sec@northwind.example\"\nticket = \"SEC-1\"\nexpires = 2027-03-31\n\n"
        ));
    }
    std::fs::write(dir.path().join("all-high.toml"), &policy).unwrap();
    let (out, findings) = report(
        dir.path(),
        &["--policy", "all-high.toml", "--fail-on", "high"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let exempted = findings
        .findings
        .iter()
        .filter(|f| f.status == Status::Exempted)
        .count();
    assert!(exempted > 0);
    assert_eq!(
        findings.findings.len(),
        plain.findings.len(),
        "exempted findings stay"
    );
    assert!(findings.findings.iter().all(|f| {
        f.status == Status::Open
            || f.exemption
                .as_ref()
                .is_some_and(|e| e.ticket.as_deref() == Some("SEC-1"))
    }));

    policy.push_str(
        "[[exemption]]\nrule = \"DBUSER_ORPHANED\"\nprincipal = \"dbuser:*/admin/dana.whitfield\"\nreason = \"old\"\nexpires = \"2027-01-14\"\n\n\
         [[exemption]]\nrule = \"APIKEY_UNUSED\"\nprincipal = \"apikey:nosuchkey\"\nreason = \"gone\"\nexpires = \"2027-06-30\"\n",
    );
    // The expired exemption must be the only one for DBUSER_ORPHANED: drop the glob one.
    let policy = policy.replace(
        "[[exemption]]\nrule = \"DBUSER_ORPHANED\"\nprincipal = \"*\"",
        "[[exemption]]\nrule = \"DBUSER_ORPHANED\"\nprincipal = \"dbuser:nothing*\"",
    );
    std::fs::write(dir.path().join("mixed.toml"), &policy).unwrap();
    let (out, findings) = report(dir.path(), &["--policy", "mixed.toml", "--fail-on", "high"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the expired exemption no longer applies"
    );
    let dana = findings
        .findings
        .iter()
        .find(|f| f.rule == RuleId::DbuserOrphaned)
        .unwrap();
    assert_eq!(dana.status, Status::Open);
    assert!(dana.exemption.as_ref().unwrap().expired);
    let warnings: Vec<&str> = findings
        .exemption_warnings
        .iter()
        .map(|w| w.message.as_str())
        .collect();
    assert!(
        warnings.iter().any(|m| m.contains("expired on 2027-01-14")),
        "{warnings:?}"
    );
    assert!(
        warnings.iter().any(|m| m.contains("matched no finding")),
        "{warnings:?}"
    );
    let stdout = text(&out.stdout);
    assert!(
        row(&stdout, "warning").is_some_and(|r| r.starts_with("exemption line")),
        "{stdout}"
    );
}

#[test]
fn a_bad_policy_stops_before_anything_is_written() {
    let (dir, _) = with_snapshot(&demo_snapshot());
    std::fs::write(
        dir.path().join("bad.toml"),
        "[thresholds]\ninactive_day = 90\n\n[severity]\nUSER_INACTIV = \"high\"\n",
    )
    .unwrap();
    let out = run(
        &[
            "report",
            "--snapshot",
            "snapshot.json",
            "--out",
            "out",
            "--policy",
            "bad.toml",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2"), "{stderr}");
    assert!(stderr.contains("inactive_days"), "{stderr}");
    assert!(stderr.contains("USER_INACTIVE"), "{stderr}");
    assert!(!dir.path().join("out").exists());
}

#[test]
fn a_policy_in_the_working_folder_is_used_by_default() {
    let (dir, _) = with_snapshot(&demo_snapshot());
    std::fs::write(
        dir.path().join("atlas-audit.toml"),
        "[severity]\nDBUSER_PASSWORD_AUTH_PROD = \"off\"\nUSER_INVITE_STALE = \"critical\"\n",
    )
    .unwrap();
    let (out, findings) = report(dir.path(), &["--fail-on", "critical"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(row(&text(&out.stdout), "policy"), Some("atlas-audit.toml"));
    assert!(
        findings
            .findings
            .iter()
            .all(|f| f.rule != RuleId::DbuserPasswordAuthProd)
    );
    assert!(
        findings
            .findings
            .iter()
            .filter(|f| f.rule == RuleId::UserInviteStale)
            .all(|f| f.severity == atlas_audit::rules::Severity::Critical)
    );
}

#[test]
fn init_writes_a_policy_that_report_accepts_and_will_not_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["init"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.path().join("atlas-audit.toml")).unwrap();
    for rule in RuleId::ALL {
        assert!(
            written.contains(rule.as_str()),
            "{rule} missing from the starter"
        );
    }
    let again = run(&["init"], dir.path());
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("--force"));
    assert_eq!(run(&["init", "--force"], dir.path()).status.code(), Some(0));
    model::save(&demo_snapshot(), &dir.path().join("snapshot.json")).unwrap();
    let (out, findings) = report(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(findings.findings.len(), 73, "the starter is the defaults");
}

#[test]
fn rules_lists_the_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["rules"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    for rule in RuleId::ALL {
        assert!(stdout.contains(rule.as_str()), "{rule}");
    }
    let out = run(&["rules", "--json"], dir.path());
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows.len(), RuleId::ALL.len());
    assert_eq!(rows[0]["id"], "ORG_MFA_NOT_REQUIRED");
    assert_eq!(rows[0]["default_severity"], "high");
}

#[test]
fn an_unknown_format_is_refused_with_the_known_ones() {
    let (dir, _) = with_snapshot(&demo_snapshot());
    let out = run(
        &[
            "report",
            "--snapshot",
            "snapshot.json",
            "--format",
            "json,pdf",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("choose from csv, xlsx, html, json"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn report_without_a_snapshot_collects_live_and_names_a_denied_project() {
    // payments-prod is denied: its findings cannot be judged, the rest still are.
    let server = start(
        demo_world(),
        mock_config_with_faults("deny=/groups/6650b1000000000000000002"),
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let base = server.base_url();
    let cwd = dir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        atlas_audit_command()
            .args(["report", "--out", "out", "--as-of", &now().to_string()])
            .current_dir(&cwd)
            .env("MONGODB_ATLAS_BASE_URL", base)
            .env("MONGODB_ATLAS_PUBLIC_API_KEY", PUBLIC_KEY)
            .env("MONGODB_ATLAS_PRIVATE_API_KEY", PRIVATE_KEY)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    server.shutdown().await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let findings: Findings =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/findings.json")).unwrap())
            .unwrap();
    let payments = Some("6650b1000000000000000002");
    assert!(
        findings
            .findings
            .iter()
            .all(|f| f.scope.project_id.as_deref() != payments),
        "nothing is judged in a project that could not be read"
    );
    let unjudged: Vec<RuleId> = findings
        .not_evaluated
        .iter()
        .filter(|n| n.scope.project_id.as_deref() == payments)
        .map(|n| n.rule)
        .collect();
    for rule in [
        RuleId::ProjectNetworkOpen,
        RuleId::ProjectAuditingDisabled,
        RuleId::ClusterEmployeeAccess,
        RuleId::DbuserPasswordAuthProd,
    ] {
        assert!(
            unjudged.contains(&rule),
            "{rule} not reported: {unjudged:?}"
        );
    }
    assert!(
        findings
            .findings
            .iter()
            .any(|f| f.rule == RuleId::ProjectNetworkOpen)
    );
    assert!(
        row(&text(&out.stdout), "coverage").is_some_and(|r| r.starts_with("INCOMPLETE")),
        "{}",
        text(&out.stdout)
    );
}
