//! `decisions`: filled-in workbooks read back and checked, `decisions.csv` written, and with a
//! store the attestation recorded. Any problem in any workbook stops the run (exit 2) before
//! anything is written, with every problem listed.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::report::load_policy;
use super::{EXIT_OK, table};
use crate::cli::DecisionsArgs;
use crate::files::write_atomic;
use crate::remediate::decisions::{
    self, DECISIONS_CSV, Expected, Refused, ReportIdentity, read_workbook,
};
use crate::report::MANIFEST;
use crate::store::{Attestation, StoredWorkbook};

pub(super) fn run(args: &DecisionsArgs, quiet: bool) -> Result<ExitCode> {
    let loaded = load_policy(args.policy.as_deref())?;
    if !args.out.is_dir() {
        bail!(
            "--out {}: no such folder; create it or give another",
            args.out.display()
        );
    }
    let mut store = match &args.store {
        Some(path) => Some(super::open_store(path)?),
        None => None,
    };
    let mut problems = Vec::new();
    let books: Vec<_> = args
        .workbooks
        .iter()
        .filter_map(|p| read_workbook(p, &mut problems))
        .collect();
    let mut expected = match &args.report {
        Some(dir) => Some(from_report(dir)?),
        None => None,
    };
    if let (None, Some(store), Some(book), Some(path)) =
        (&expected, &store, books.first(), &args.store)
    {
        let sha = &book.report.snapshot_sha256;
        let manifest = store.report_manifest(sha)?.with_context(|| {
            format!(
                "the store {} holds no report of the snapshot {sha} that {} names; give the store the report was recorded in, or --report DIR",
                path.display(),
                book.name
            )
        })?;
        expected = Some(Expected {
            report: identity(&manifest)
                .with_context(|| format!("the store {}: the report's manifest", path.display()))?,
            source: format!("the report recorded in {}", path.display()),
        });
    }
    let outcome = match decisions::check(&books, expected.as_ref(), &loaded.policy.review) {
        Ok(o) if problems.is_empty() => o,
        Ok(_) => return Err(Refused { problems }.into()),
        Err(mut more) => {
            problems.append(&mut more);
            return Err(Refused { problems }.into());
        }
    };
    let csv = decisions::decisions_csv(&outcome.decisions)?;
    let out = args.out.join(DECISIONS_CSV);
    write_atomic(&out, |w| w.write_all(&csv))
        .with_context(|| format!("writing {}", out.display()))?;
    let recorded = match (&mut store, &args.store) {
        (Some(store), Some(path)) => {
            let workbooks: Vec<StoredWorkbook> = books
                .iter()
                .map(|b| StoredWorkbook {
                    name: b.name.clone(),
                    sha256: b.sha256.clone(),
                })
                .collect();
            let id = store.record_attestation(&Attestation {
                report_digest: &outcome.report.report_digest,
                as_of: &outcome.report.as_of,
                snapshot_sha256: &outcome.report.snapshot_sha256,
                workbooks: &workbooks,
                decisions: &outcome.decisions,
                undecided: outcome.undecided,
            })?;
            Some((id, path))
        }
        _ => None,
    };
    if args.json {
        let by = |kind: &str| -> Vec<serde_json::Value> {
            outcome
                .tallies
                .iter()
                .filter(|((k, _), _)| *k == kind)
                .map(|((_, name), t)| {
                    serde_json::json!({"name": name, "decided": t.decided, "undecided": t.undecided})
                })
                .collect()
        };
        let json = serde_json::json!({
            "report_digest": outcome.report.report_digest,
            "as_of": outcome.report.as_of,
            "snapshot_sha256": outcome.report.snapshot_sha256,
            "workbooks": books.iter().map(|b| serde_json::json!({"name": b.name, "sha256": b.sha256})).collect::<Vec<_>>(),
            "decided": outcome.decisions.len(),
            "undecided": outcome.undecided,
            "orgs": by("org"),
            "projects": by("project"),
            "reviewers": by("reviewer"),
            "written": out,
            "attestation": recorded.as_ref().map(|(id, path)| serde_json::json!({"id": id, "store": path})),
        });
        println!("{json:#}");
    } else if !quiet {
        let mut s = String::new();
        table::text(&mut s, "report", &outcome.report.report_digest);
        table::text(&mut s, "as of", &outcome.report.as_of);
        table::item(
            &mut s,
            "grants",
            "decided",
            outcome.decisions.len() as u64,
            "",
        );
        table::item(&mut s, "", "undecided", outcome.undecided as u64, "");
        for ((kind, name), t) in &outcome.tallies {
            let note = if *kind == "reviewer" {
                "decided".to_string()
            } else {
                format!("decided; {} undecided", t.undecided)
            };
            table::item(&mut s, kind, name, t.decided as u64, &note);
        }
        table::text(&mut s, "written", &out.display().to_string());
        if let Some((id, path)) = recorded {
            table::text(
                &mut s,
                "evidence store",
                &format!("attestation {id} in {}", path.display()),
            );
        }
        print!("{s}");
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// The report a report folder's manifest names.
fn from_report(dir: &std::path::Path) -> Result<Expected> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "--report {}: cannot read {}; give the folder a report was written into",
            dir.display(),
            path.display()
        )
    })?;
    Ok(Expected {
        report: identity(&text).with_context(|| format!("--report: {}", path.display()))?,
        source: format!("the report in {}", dir.display()),
    })
}

/// The report identity in a manifest's text.
pub(super) fn identity(manifest: &str) -> Result<ReportIdentity> {
    let m: serde_json::Value = serde_json::from_str(manifest).context("not JSON")?;
    let field = |path: &[&str]| {
        path.iter()
            .try_fold(&m, |v, k| v.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let report_digest = field(&["report_digest"]).context(
        "it has no report_digest (a report written before workbooks recorded their report); write the report again",
    )?;
    Ok(ReportIdentity {
        as_of: field(&["as_of"]).context("it has no as_of")?,
        snapshot_sha256: field(&["source", "snapshot_sha256"])
            .unwrap_or_else(|| crate::report::identity::NO_SNAPSHOT.to_string()),
        report_digest,
    })
}
