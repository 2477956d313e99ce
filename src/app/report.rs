//! `report`, `rules` and `init`: the policy is read (and rejected whole when it has problems)
//! before anything is collected, the rules run, the files are written, and the outcome becomes
//! an exit code: 3 when coverage is incomplete, else 1 when an open finding reaches `--fail-on`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::{EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, collect_live};
use crate::cli::{InitArgs, ReportArgs, RulesArgs};
use crate::model::{self, Snapshot};
use crate::report::{self, Format};
use crate::rules::{self, Findings, Policy, RuleId, Severity, Status};

/// The policy file `report` reads when `--policy` is not given and the file exists.
pub const DEFAULT_POLICY: &str = "atlas-audit.toml";

/// Reads the policy named on the command line, or `./atlas-audit.toml` when present, or the
/// defaults. Returns where it came from, for the summary.
///
/// # Errors
/// The file cannot be read or has problems (all of them are listed).
pub fn load_policy(explicit: Option<&Path>) -> Result<(Policy, String)> {
    match explicit {
        Some(path) => Ok((Policy::load(path)?, path.display().to_string())),
        None if Path::new(DEFAULT_POLICY).is_file() => Ok((
            Policy::load(Path::new(DEFAULT_POLICY))?,
            DEFAULT_POLICY.into(),
        )),
        None => Ok((Policy::default(), "defaults (no policy file)".into())),
    }
}

pub(super) async fn run(args: ReportArgs, quiet: bool) -> Result<ExitCode> {
    let formats = Format::parse_list(&args.format).map_err(anyhow::Error::msg)?;
    let (policy, policy_origin) = load_policy(args.policy.as_deref())?;
    let snapshot = match &args.snapshot {
        Some(path) => model::load(path)?,
        None => collect_live(&args.live, quiet).await?,
    };
    let findings = rules::evaluate(&snapshot, &policy)?;
    let written = report::write(&args.out, &findings, &formats)?;
    if !quiet {
        print!("{}", render(&snapshot, &findings, &policy_origin));
        print!("{}", written_lines(&written));
    }
    Ok(exit_code(&snapshot, &findings, args.fail_on))
}

/// 3 when coverage is incomplete (it wins), else 1 when an open finding is at or above
/// `fail_on`, else 0.
pub fn exit_code(snapshot: &Snapshot, findings: &Findings, fail_on: Option<Severity>) -> ExitCode {
    if !snapshot.is_complete() {
        ExitCode::from(EXIT_INCOMPLETE)
    } else if fail_on.is_some_and(|floor| findings.open_at_least(floor) > 0) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::from(EXIT_OK)
    }
}

/// The lines that say where the files are.
pub fn written_lines(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| format!("written: {}\n", p.display()))
        .collect()
}

/// The findings summary printed after a report: counts by severity and rule, what could not be
/// judged, exemption warnings, and coverage.
pub fn render(snapshot: &Snapshot, findings: &Findings, policy_origin: &str) -> String {
    let mut s = String::new();
    let total = findings.findings.len();
    let exempted = findings
        .findings
        .iter()
        .filter(|f| f.status == Status::Exempted)
        .count();
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|sev| {
            let n = findings
                .findings
                .iter()
                .filter(|f| f.severity == *sev)
                .count();
            (n > 0).then(|| format!("{n} {sev}"))
        })
        .collect();
    let _ = writeln!(
        s,
        "findings as of {}: {total}{}{}",
        findings.as_of.strftime("%Y-%m-%d %H:%M UTC"),
        if by_severity.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_severity.join(", "))
        },
        if exempted > 0 {
            format!("; {exempted} exempted")
        } else {
            String::new()
        }
    );
    let _ = writeln!(s, "policy: {policy_origin}");
    let mut by_rule: BTreeMap<(Severity, RuleId), (usize, usize)> = BTreeMap::new();
    for f in &findings.findings {
        let e = by_rule.entry((f.severity, f.rule)).or_default();
        e.0 += 1;
        if f.status == Status::Exempted {
            e.1 += 1;
        }
    }
    for ((sev, rule), (n, ex)) in by_rule {
        let _ = writeln!(
            s,
            "  {:<8} {:<34} {n:>5}{}",
            sev.as_str(),
            rule.as_str(),
            if ex > 0 {
                format!("  ({ex} exempted)")
            } else {
                String::new()
            }
        );
    }
    if !findings.not_evaluated.is_empty() {
        let mut rules: Vec<&str> = findings
            .not_evaluated
            .iter()
            .map(|n| n.rule.as_str())
            .collect();
        rules.dedup();
        let _ = writeln!(
            s,
            "not evaluated: {} rule/scope pairs could not be judged ({}); findings.json says why",
            findings.not_evaluated.len(),
            rules.join(", ")
        );
    }
    for w in &findings.exemption_warnings {
        let at = w
            .policy_line
            .map(|l| format!("line {l}: "))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "exemption warning: {at}{} {}: {}",
            w.rule, w.principal, w.message
        );
    }
    if snapshot.is_complete() {
        let _ = writeln!(s, "coverage: complete");
    } else {
        let _ = writeln!(
            s,
            "coverage: INCOMPLETE: {} scope(s) could not be read; rules that needed them say \"not evaluated\"",
            snapshot.coverage.len()
        );
    }
    s
}

pub(super) fn catalogue(args: &RulesArgs) -> Result<ExitCode> {
    if args.json {
        let rows: Vec<serde_json::Value> = RuleId::ALL
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.as_str(),
                    "default_severity": r.default_severity().as_str(),
                    "family": format!("{:?}", r.family()),
                    "checks": r.checks(),
                    "why": r.why(),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        print!("{}", catalogue_text());
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// The catalogue as text: one block per rule.
pub fn catalogue_text() -> String {
    let mut s = String::new();
    for r in RuleId::ALL {
        let _ = writeln!(s, "{:<34} {}", r.as_str(), r.default_severity());
        let _ = writeln!(s, "    checks: {}", r.checks());
        let _ = writeln!(s, "    why:    {}", r.why());
    }
    let _ = writeln!(
        s,
        "\n{} rules. Change a severity, or turn a rule off, in the policy file's [severity] table (`atlas-audit init` writes one).",
        RuleId::ALL.len()
    );
    s
}

pub(super) fn init(args: &InitArgs, quiet: bool) -> Result<ExitCode> {
    if args.out.exists() && !args.force {
        bail!(
            "{} exists; pass --force to replace it, or --out to write elsewhere",
            args.out.display()
        );
    }
    let text = rules::policy::starter();
    model::write_atomic(&args.out, |w| std::io::Write::write_all(w, text.as_bytes()))
        .with_context(|| format!("writing {}", args.out.display()))?;
    if !quiet {
        println!(
            "wrote {}: every key with its default; edit it and pass it with --policy",
            args.out.display()
        );
    }
    Ok(ExitCode::from(EXIT_OK))
}
