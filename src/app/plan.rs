//! `plan`: the snapshot, the decisions or the people to offboard in; `plan.json` and
//! `plan.txt` out. Offline: nothing here calls Atlas.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use jiff::Timestamp;

use super::EXIT_OK;
use crate::cli::PlanArgs;
use crate::model;
use crate::remediate::decisions::Decision;
use crate::remediate::plan::{self, Basis, FileRef};

/// The emails of an `--offboard-file`: one a line, blank lines and `#` comments skipped.
fn emails_in(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The decisions of the store's latest attestation, as decisions.csv would hold them.
fn attested_rows(store: &std::path::Path) -> Result<Vec<Decision>> {
    let decisions = super::open_store(store)?.latest_decisions()?;
    if decisions.is_empty() {
        bail!(
            "{} holds no attested decisions: record them with `atlas-audit decisions WORKBOOK... --store {}`, or give --decisions",
            store.display(),
            store.display()
        );
    }
    Ok(decisions)
}

/// Runs `plan`.
///
/// # Errors
/// Bad input (unknown grant, disagreeing row, unknown person), or a file that cannot be read
/// or written; the message names it and what to do.
pub fn run(args: &PlanArgs, quiet: bool) -> Result<ExitCode> {
    // The plan names the snapshot by the digest of the very bytes it was made from.
    let model::LoadedFile {
        snapshot, sha256, ..
    } = model::load_hashed(&args.snapshot)?;
    let basis = Basis {
        snapshot: &snapshot,
        sha256,
        made_at: Timestamp::now(),
    };
    let offboarding = !args.offboard.is_empty() || args.offboard_file.is_some();
    let attested = match (&args.decisions, offboarding, &args.store.path) {
        (None, false, Some(store)) => Some(attested_rows(store)?),
        (None, false, None) => bail!(
            "say what to plan: --decisions decisions.csv, --offboard EMAIL..., --offboard-file FILE, or --store PATH for the store's latest attestation"
        ),
        _ => None,
    };
    let made = if args.decisions.is_some() || attested.is_some() {
        let (rows, file) = match (&args.decisions, attested) {
            (Some(path), _) => (
                plan::from_decisions::read(path)?,
                Some(FileRef {
                    file: path.display().to_string(),
                    sha256: crate::files::sha256_file(path)
                        .with_context(|| format!("reading {}", path.display()))?,
                }),
            ),
            (None, rows) => (rows.unwrap_or_default(), None),
        };
        let policy = super::report::load_policy(args.policy.as_deref())?;
        // Without an as-of time no rule runs; a Modify then needs its target in the row.
        let findings = crate::rules::evaluate(&snapshot, &policy.policy).unwrap_or_else(|_| {
            crate::rules::Findings {
                schema_version: crate::rules::FINDINGS_SCHEMA_VERSION,
                as_of: Timestamp::UNIX_EPOCH,
                findings: Vec::new(),
                not_evaluated: Vec::new(),
                exemption_warnings: Vec::new(),
            }
        });
        plan::from_decisions(&basis, &rows, file, &findings)?
    } else {
        let mut emails = args.offboard.clone();
        if let Some(path) = &args.offboard_file {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!(
                    "cannot read {}; give a file of emails, one a line",
                    path.display()
                )
            })?;
            emails.extend(emails_in(&text));
        }
        plan::from_offboard(&basis, &emails)?
    };
    for w in &made.warnings {
        eprintln!("{w}");
    }
    plan::write(&made.plan, &args.out)?;
    if !quiet {
        println!(
            "{} and {} planned: {} and {}",
            model::counted(made.plan.steps.len(), "step", "steps"),
            model::counted(made.plan.manual.len(), "manual entry", "manual entries"),
            args.out.display(),
            plan::text_path(&args.out).display()
        );
    }
    Ok(ExitCode::from(EXIT_OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offboard_files_skip_blanks_and_comments() {
        let text = "# leavers\nann@example.com\n\n  bob@example.com  # left in May\n";
        assert_eq!(emails_in(text), ["ann@example.com", "bob@example.com"]);
    }
}
