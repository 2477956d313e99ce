//! Denied scopes: 403 (and, in a second run, 401) on one project, on an org's settings, on the
//! API key access lists of that org (an Org Read Only key is refused them) and on one project's
//! audit-log configuration (it needs Project Owner). The collection completes and exits 3; every
//! report's first screen names each gap; the rules that needed the refused data say "not
//! evaluated" for exactly those scopes.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;
use atlas_audit::model::{CoverageGap, Snapshot};
use serde_json::Value;

const ORG: &str = "6650a1000000000000000001";
/// Denied whole.
const PROJECT: &str = "6650b1000000000000000002";
/// Its audit-log configuration is refused.
const AUDITED: &str = "6650b1000000000000000003";

/// The fault spec refusing every scope above with `kind` (`deny` or `unauth`).
fn spec(kind: &str) -> String {
    let mut items = vec![
        format!("{kind}=/groups/{PROJECT}"),
        format!("{kind}=/orgs/{ORG}/settings"),
        format!("{kind}=/groups/{AUDITED}/auditLog"),
    ];
    let keys = fixtures().join(format!("demo/orgs/{ORG}/apiKeys"));
    for entry in std::fs::read_dir(keys).unwrap() {
        let id = entry.unwrap().file_name().into_string().unwrap();
        if !id.ends_with(".json") {
            items.push(format!("{kind}=/orgs/{ORG}/apiKeys/{id}/accessList"));
        }
    }
    items.join(",")
}

async fn run(args: Vec<String>, env: Vec<(String, String)>) -> Output {
    run_binary(args, env, None).await
}

fn path_arg(p: &Path) -> String {
    p.display().to_string()
}

/// The visible text of the HTML from its start to the first heading after the coverage banner.
fn first_screen_html(html: &str) -> &str {
    let start = html
        .find("Coverage: INCOMPLETE")
        .expect("a coverage banner");
    let end = html[start..]
        .find("Findings by severity")
        .map_or(html.len(), |i| start + i);
    &html[start..end]
}

async fn check(kind: &str) {
    let server = start(demo_world(), mock_config_with_faults(&spec(kind))).await;
    let dir = tempfile::tempdir().unwrap();
    let (snap, out): (PathBuf, PathBuf) = (dir.path().join("snap.json"), dir.path().join("out"));
    let env = vec![
        ("MONGODB_ATLAS_BASE_URL".to_string(), server.base_url()),
        ("MONGODB_ATLAS_PUBLIC_API_KEY".into(), PUBLIC_KEY.into()),
        ("MONGODB_ATLAS_PRIVATE_API_KEY".into(), PRIVATE_KEY.into()),
    ];
    let collected = run(vec!["collect".into(), "--out".into(), path_arg(&snap)], env).await;
    server.shutdown().await;
    assert_eq!(
        collected.status.code(),
        Some(3),
        "{kind}: {}",
        String::from_utf8_lossy(&collected.stderr)
    );
    let snapshot: Snapshot = atlas_audit::model::load(&snap).unwrap();
    let gaps: &[CoverageGap] = &snapshot.coverage;
    // Each refused scope is a gap, with the status Atlas answered, and nothing else is.
    let status = if kind == "deny" { 403 } else { 401 };
    assert!(
        gaps.iter().all(|g| g.status == Some(status)),
        "{kind}: {gaps:#?}"
    );
    let named = |needle: &str| gaps.iter().any(|g| g.scope.contains(needle));
    assert!(named(&format!("project:{PROJECT}")), "{kind}: {gaps:#?}");
    assert!(
        gaps.iter()
            .any(|g| g.scope == format!("org:{ORG}") && g.endpoint == "getOrgSettings"),
        "{kind}: {gaps:#?}"
    );
    assert!(
        gaps.iter()
            .any(|g| g.endpoint == "getGroupAuditLog" && g.scope.contains(AUDITED)),
        "{kind}: {gaps:#?}"
    );
    assert!(
        gaps.iter()
            .any(|g| g.endpoint == "listOrgApiKeyAccessListEntries"),
        "{kind}: {gaps:#?}"
    );
    // The rest of the estate was read.
    assert!(snapshot.projects.iter().any(|p| p.id == AUDITED));
    assert!(!snapshot.principals.is_empty());

    let reported = run(
        vec![
            "report".into(),
            "--snapshot".into(),
            path_arg(&snap),
            "--out".into(),
            path_arg(&out),
        ],
        Vec::new(),
    )
    .await;
    assert_eq!(
        reported.status.code(),
        Some(3),
        "{kind}: the report exits 3 too"
    );
    let stdout = String::from_utf8_lossy(&reported.stdout);
    // The terminal shows the coverage rows first.
    assert!(stdout.starts_with("coverage        INCOMPLETE"), "{stdout}");

    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let email_html = std::fs::read_to_string(out.join("email.html")).unwrap();
    let email_txt = std::fs::read_to_string(out.join("email.txt")).unwrap();
    // The text version's coverage block, ending at the next blank line, unwrapped.
    let coverage_at = email_txt.find("COVERAGE:").expect("the coverage block");
    let email_top: String = email_txt[coverage_at..]
        .split("\n\n")
        .next()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let email_html_top = first_screen_html(&email_html);
    let html_top = first_screen_html(&html);
    let summary = summary_sheet(&out.join("access-review.xlsx"));
    // Every first screen names every gap, up to its first ten, then says how many more.
    let shown = gaps.len().min(10);
    for g in &gaps[..shown] {
        for (screen, text) in [
            ("report.html", html_top),
            ("email.html", email_html_top),
            ("email.txt", email_top.as_str()),
            ("workbook Summary", summary.as_str()),
            ("stdout", &stdout),
        ] {
            assert!(
                text.contains(&g.scope) && text.contains(&g.endpoint),
                "{kind}: {screen} does not name {} {}:\n{text}",
                g.scope,
                g.endpoint
            );
        }
    }
    if gaps.len() > 10 {
        let more = format!("{} more", gaps.len() - 10);
        assert!(
            html_top.contains(&more) && summary.contains(&more) && stdout.contains(&more),
            "{kind}"
        );
    }

    // The rules that needed the refused data say so for those scopes.
    let findings: Value =
        serde_json::from_slice(&std::fs::read(out.join("findings.json")).unwrap()).unwrap();
    let not_evaluated = findings["not_evaluated"].as_array().unwrap();
    let unjudged = |rule: &str, project: Option<&str>| {
        not_evaluated.iter().any(|n| {
            n["rule"] == rule
                && n["scope"]["org_id"] == ORG
                && project.is_none_or(|p| n["scope"]["project_id"] == p)
        })
    };
    for rule in ["ORG_MFA_NOT_REQUIRED", "ORG_API_ACCESS_LIST_NOT_REQUIRED"] {
        assert!(unjudged(rule, None), "{kind}: {rule}");
    }
    assert!(
        unjudged("PROJECT_AUDITING_DISABLED", Some(AUDITED)),
        "{kind}"
    );
    assert!(unjudged("PROJECT_NETWORK_OPEN", Some(PROJECT)), "{kind}");
    assert!(unjudged("APIKEY_NO_ACCESS_LIST", None), "{kind}");
    // No finding claims what the refused data would have shown.
    let list = findings["findings"].as_array().unwrap();
    assert!(
        !list
            .iter()
            .any(|f| f["rule"] == "ORG_MFA_NOT_REQUIRED" && f["scope"]["org_id"] == ORG),
        "{kind}: judged MFA without the org's settings"
    );
    assert!(
        !list
            .iter()
            .any(|f| f["rule"] == "APIKEY_NO_ACCESS_LIST" && f["scope"]["org_id"] == ORG),
        "{kind}: judged access lists it could not read"
    );
}

/// The Summary sheet's cells, a line per row.
fn summary_sheet(path: &Path) -> String {
    use calamine::Reader as _;
    let mut book = calamine::open_workbook_auto(path).unwrap();
    let range = book.worksheet_range("Summary").unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn forbidden_scopes_are_named_on_every_first_screen_and_not_judged() {
    check("deny").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unauthorized_scopes_are_named_on_every_first_screen_and_not_judged() {
    check("unauth").await;
}
