//! `report`, `rules` and `init`: the policy is read (and rejected whole when it has problems)
//! before anything is collected, the rules run, the files are written, and the outcome becomes
//! an exit code: 3 when coverage is incomplete, else 1 when an open finding reaches `--fail-on`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use super::output::{Folder, Owner};
use super::{EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, collect_live, interrupt, table};
use crate::changes::{self, Changes};
use crate::cli::{DiffArgs, InitArgs, ReportArgs, RulesArgs};
use crate::files;
use crate::model::{self, Snapshot};
use crate::report::{self, Format};
use crate::rules::{self, Findings, Policy, RuleId, Severity, Status};
use crate::store;

/// The policy file `report` reads when `--policy` is not given and the file exists.
pub const DEFAULT_POLICY: &str = "atlas-audit.toml";

/// Reads the policy named on the command line, or `./atlas-audit.toml` when present, or the
/// defaults. Returns where it came from, for the summary.
///
/// # Errors
/// The file cannot be read or has problems (all of them are listed).
pub fn load_policy(explicit: Option<&Path>) -> Result<LoadedPolicy> {
    let path = match explicit {
        Some(path) => path,
        None if Path::new(DEFAULT_POLICY).is_file() => Path::new(DEFAULT_POLICY),
        None => return Ok(LoadedPolicy::defaults()),
    };
    let policy = Policy::load(path).map_err(|e| match e {
        rules::policy::PolicyError::Read { path, source } => anyhow::anyhow!(
            "cannot read the policy file {} ({source}); check --policy, or write a starter policy with `atlas-audit init --out {}`",
            path.display(),
            path.display()
        ),
        invalid => invalid.into(),
    })?;
    let digest = files::sha256_file(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(LoadedPolicy {
        policy,
        origin: path.display().to_string(),
        digest: format!("sha256:{digest}"),
    })
}

/// A policy with where it came from.
pub struct LoadedPolicy {
    /// The policy.
    pub policy: Policy,
    /// A path, or "defaults (no policy file)".
    pub origin: String,
    /// `sha256:<hex>` of the file, or `defaults`.
    pub digest: String,
}

impl LoadedPolicy {
    /// The catalogue defaults.
    pub fn defaults() -> Self {
        LoadedPolicy {
            policy: Policy::default(),
            origin: "defaults (no policy file)".into(),
            digest: "defaults".into(),
        }
    }
}

pub(super) async fn run(args: ReportArgs, quiet: bool) -> Result<ExitCode> {
    let formats = Format::parse_list(&args.format).map_err(anyhow::Error::msg)?;
    let email = super::email::settings(&args.email, &formats)?;
    let loaded = load_policy(args.policy.as_deref())?;
    // Broken templates are reported before anything is collected.
    if let Some(dir) = args.templates.as_deref().filter(|d| !d.is_dir()) {
        bail!(
            "--templates {}: no such folder; give a folder holding any of {} (copies of the built-in ones in the project's templates/ folder to edit)",
            dir.display(),
            report::TEMPLATE_NAMES.join(", ")
        );
    }
    let templates = if formats.contains(&Format::Html) {
        Some(report::Templates::load(args.templates.as_deref())?)
    } else {
        None
    };
    // The output folder is checked, and its hidden stand-in created, before any work.
    let folder = Folder::prepare(&args.out, Owner::Report { force: args.force })?;
    let shown = args.out.display();
    interrupt::leaves(if args.out.exists() {
        format!("{shown}/ is as it was")
    } else {
        format!("{shown}/ was not written")
    });
    let started = Instant::now();
    // With a store, the store opens first (a bad one is an error before any work), and the
    // snapshot's bytes are kept as read or collected.
    let mut store = match &args.store.path {
        Some(path) => Some(super::open_store(path)?),
        None => None,
    };
    // A snapshot file is read once: hashed as it is parsed (for the manifest and the
    // workbook), and its bytes kept for a store.
    let (mut snapshot, snapshot_sha256, snapshot_json) = match &args.snapshot {
        Some(path) => {
            let file = model::load_hashed(path)?;
            let kept = store.is_some().then_some(file.bytes);
            (file.snapshot, Some(file.sha256), kept)
        }
        None => {
            let snapshot = collect_live(&args.live, quiet).await?;
            let json = match &store {
                Some(_) => Some(serde_json::to_vec_pretty(&snapshot)?),
                None => None,
            };
            (snapshot, None, json)
        }
    };
    tracing::info!(ms = started.elapsed().as_millis() as u64, "snapshot ready");
    let started = Instant::now();
    let findings = judge(&snapshot, &loaded.policy, store.as_ref())?;
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        findings = findings.findings.len(),
        "rules evaluated"
    );
    let baseline = match (&args.baseline, &store, &args.store.path) {
        (None, Some(store), Some(path)) => {
            store_baseline(store, path, &snapshot, &findings, &loaded.policy)?
        }
        (Some(path), store, _) => Some(against_baseline(
            path,
            &snapshot,
            &findings,
            &loaded.policy,
            store.as_ref(),
        )?),
        _ => None,
    };
    // The renderers read neither events nor access logs: their memory goes back before
    // rendering starts.
    // Freeing them takes a while, so it happens beside the rendering.
    // The store keeps each read's logins, so with a store the access logs stay.
    let unread = (
        std::mem::take(&mut snapshot.events),
        if store.is_some() {
            Vec::new()
        } else {
            std::mem::take(&mut snapshot.access_logs)
        },
    );
    std::thread::spawn(move || drop(unread));
    let started = Instant::now();
    // With a store, what apply removed since the review (the newest attestation's as-of).
    let remediated = match (&store, &args.store.path) {
        (Some(store), Some(path)) => Some(
            store
                .review_as_of()
                .and_then(|since| store.remediated(since, jiff::Timestamp::now()))
                .with_context(|| format!("reading remediation from {}", path.display()))?,
        ),
        _ => None,
    };
    // With a store, the last review: each grant's newest decision, and what is new or changed.
    let last_review = match (&store, &args.store.path) {
        (Some(store), Some(path)) => Some(
            store
                .last_review()
                .with_context(|| format!("reading the last review from {}", path.display()))?
                .unwrap_or_default(),
        ),
        _ => None,
    };
    let options = report::Options {
        formats,
        templates,
        snapshot_sha256,
        remediated,
        last_review,
    };
    let mut written = write_report(
        folder.path(),
        &snapshot,
        &findings,
        &loaded,
        &options,
        baseline.as_ref().map(|(old, changes)| report::Baseline {
            snapshot: old,
            changes,
        }),
    )?;
    folder.commit(&mut written)?;
    interrupt::leaves(format!("the report in {shown}/ is complete"));
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        peak_mib = super::summary::peak_memory_mib().unwrap_or(0),
        "report written"
    );
    let recorded = match (&mut store, &snapshot_json) {
        (Some(store), Some(json)) => {
            let manifest = std::fs::read_to_string(args.out.join("manifest.json")).ok();
            Some(store.record(&crate::store::Record {
                kind: "report",
                snapshot: &snapshot,
                snapshot_json: json,
                // Taken as the file was read; none for a live collection.
                snapshot_sha256: options.snapshot_sha256.as_deref(),
                findings: Some(&findings),
                manifest: manifest.as_deref(),
            })?)
        }
        _ => None,
    };
    if !quiet {
        print!("{}", render(&snapshot, &findings, &loaded.origin));
        print!("{}", written_lines(&args.out, &written));
        if let (Some(run), Some(path)) = (recorded, &args.store.path) {
            let mut out = String::new();
            table::text(
                &mut out,
                "evidence store",
                &format!("run {run} in {}", path.display()),
            );
            print!("{out}");
        }
    }
    if let Some(email) = &email {
        super::email::send(email, &args.out, &written, &findings, quiet).await?;
    }
    let code = exit_code(&snapshot, &findings, args.fail_on);
    // The process ends here: the system takes the memory back at once, which is faster than
    // freeing millions of small allocations one by one.
    std::mem::forget(snapshot);
    std::mem::forget(findings);
    Ok(code)
}

/// Writes the report files for a snapshot and its findings.
///
/// # Errors
/// When a template is broken or a file cannot be written.
pub fn write_report(
    out: &Path,
    snapshot: &Snapshot,
    findings: &Findings,
    loaded: &LoadedPolicy,
    options: &report::Options,
    baseline: Option<report::Baseline<'_>>,
) -> Result<Vec<report::Written>> {
    let input = report::ReportInput {
        snapshot,
        findings,
        policy: &loaded.policy,
        policy_origin: loaded.origin.clone(),
        policy_digest: loaded.digest.clone(),
        baseline,
    };
    Ok(report::write(out, &input, options)?)
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

/// The rows that say where the files are: the folder, then each file with its size.
pub fn written_lines(dir: &Path, written: &[report::Written]) -> String {
    let mut s = String::new();
    table::text(&mut s, "files", &format!("{}/", dir.display()));
    for w in written {
        table::item(&mut s, "", &w.name, w.bytes, "bytes");
    }
    if written.iter().any(|w| w.name == "report.html") {
        table::text(
            &mut s,
            "next",
            &format!(
                "open {} in a browser; reviewers fill in access-review.xlsx",
                dir.join("report.html").display()
            ),
        );
    }
    s
}

/// The coverage rows first (a gap is the first thing to see), then the findings rows.
pub fn render(snapshot: &Snapshot, findings: &Findings, policy_origin: &str) -> String {
    let mut s = String::new();
    super::summary::coverage_rows(&mut s, &snapshot.coverage, "manifest.json and report.html");
    s.push_str(&findings_rows(findings, policy_origin));
    s
}

/// The findings rows: the count by severity, one row per rule under its severity, what could
/// not be judged, exemption warnings, and the policy.
pub fn findings_rows(findings: &Findings, policy_origin: &str) -> String {
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
    table::text(
        &mut s,
        "findings",
        &format!(
            "{total} as of {}{}{}",
            findings.as_of.strftime("%Y-%m-%d %H:%M UTC"),
            if by_severity.is_empty() {
                String::new()
            } else {
                format!(": {}", by_severity.join(", "))
            },
            if exempted > 0 {
                format!("; {exempted} exempted")
            } else {
                String::new()
            }
        ),
    );
    let mut by_rule: BTreeMap<(Severity, RuleId), (usize, usize)> = BTreeMap::new();
    for f in &findings.findings {
        let e = by_rule.entry((f.severity, f.rule)).or_default();
        e.0 += 1;
        if f.status == Status::Exempted {
            e.1 += 1;
        }
    }
    let mut last = None;
    for ((sev, rule), (n, ex)) in by_rule {
        let label = if last == Some(sev) {
            String::new()
        } else {
            format!("  {}", sev.as_str())
        };
        last = Some(sev);
        let note = if ex > 0 {
            format!("{ex} exempted")
        } else {
            String::new()
        };
        table::item(&mut s, &label, rule.as_str(), n as u64, &note);
    }
    if !findings.not_evaluated.is_empty() {
        let mut rules: Vec<&str> = findings
            .not_evaluated
            .iter()
            .map(|n| n.rule.as_str())
            .collect();
        rules.dedup();
        table::text(
            &mut s,
            "not evaluated",
            &format!(
                "{} rule/scope pairs could not be judged ({}); findings.json says why",
                findings.not_evaluated.len(),
                rules.join(", ")
            ),
        );
    }
    for w in &findings.exemption_warnings {
        let at = w
            .policy_line
            .map(|l| format!("line {l}: "))
            .unwrap_or_default();
        table::text(
            &mut s,
            "warning",
            &format!("exemption {at}{} {}: {}", w.rule, w.principal, w.message),
        );
    }
    table::text(&mut s, "policy", policy_origin);
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
    files::write_atomic(&args.out, |w| std::io::Write::write_all(w, text.as_bytes()))
        .map_err(|e| anyhow::anyhow!(super::output::explain("--out", &args.out, &e)))?;
    if !quiet {
        println!(
            "wrote {}: every key with its default; edit it and pass it with --policy",
            args.out.display()
        );
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// Loads a baseline snapshot and compares it with `snapshot`, both judged by `policy`.
///
/// # Errors
/// The baseline cannot be read, or the rules fail on it.
pub fn against_baseline(
    path: &Path,
    snapshot: &Snapshot,
    findings: &Findings,
    policy: &Policy,
    store: Option<&store::Store>,
) -> Result<(Snapshot, Changes)> {
    let old = model::load(path).with_context(|| format!("--baseline {}", path.display()))?;
    compare_with(
        old,
        &path.display().to_string(),
        (snapshot, findings),
        policy,
        store,
    )
}

/// Judges a snapshot by `policy`, with what the store remembered at its as-of time when there
/// is a store.
///
/// # Errors
/// The store cannot be read, or the snapshot has no as-of time.
pub fn judge(
    snapshot: &Snapshot,
    policy: &Policy,
    store: Option<&store::Store>,
) -> Result<Findings> {
    let history = match (store, snapshot.meta.collected_at) {
        (Some(store), Some(as_of)) => store.history(as_of)?,
        _ => rules::History::default(),
    };
    Ok(rules::evaluate_with(snapshot, policy, &history)?)
}

/// Judges `old` by `policy` (with the store's memory as of then) and compares it with the new
/// snapshot and its findings; `label` says where it came from.
fn compare_with(
    old: Snapshot,
    label: &str,
    (snapshot, findings): (&Snapshot, &Findings),
    policy: &Policy,
    store: Option<&store::Store>,
) -> Result<(Snapshot, Changes)> {
    let old_findings =
        judge(&old, policy, store).with_context(|| format!("judging the baseline {label}"))?;
    let changes = changes::compare((&old, &old_findings), (snapshot, findings), policy, label);
    Ok((old, changes))
}

/// The store's default baseline: the newest run at least [`store::BASELINE_MIN_DAYS`] days
/// older than `snapshot`, compared with it. None when the store holds no such run.
fn store_baseline(
    store: &store::Store,
    path: &Path,
    snapshot: &Snapshot,
    findings: &Findings,
    policy: &Policy,
) -> Result<Option<(Snapshot, Changes)>> {
    let Some(run) = store.baseline_for(findings.as_of)? else {
        return Ok(None);
    };
    let old = store.snapshot(run.id)?;
    let label = format!("run {} in {} (as of {})", run.id, path.display(), run.as_of);
    compare_with(old, &label, (snapshot, findings), policy, Some(store)).map(Some)
}

/// A snapshot named on the command line: a file, or `run:N` from the store.
fn load_named(name: &str, store: Option<&store::Store>) -> Result<(Snapshot, String)> {
    if let Some(id) = name.strip_prefix("run:") {
        let id: i64 = id
            .parse()
            .with_context(|| format!("{name}: a run is named run:N, N a run id"))?;
        let Some(store) = store else {
            bail!("{name}: reading a run needs --store PATH");
        };
        return Ok((store.snapshot(id)?, name.to_string()));
    }
    let path = Path::new(name);
    Ok((
        model::load(path).with_context(|| format!("reading {}", path.display()))?,
        path.display().to_string(),
    ))
}

/// `diff OLD NEW`: both snapshots judged by the same policy, and what changed printed.
///
/// # Errors
/// A snapshot or the policy cannot be read.
pub fn diff(args: &DiffArgs) -> Result<ExitCode> {
    let loaded = load_policy(args.policy.as_deref())?;
    let store = match &args.store.path {
        Some(path) => Some(super::open_store(path)?),
        None => None,
    };
    let (new, _) = load_named(&args.new, store.as_ref())?;
    let findings = judge(&new, &loaded.policy, store.as_ref())?;
    let (old, label) = load_named(&args.old, store.as_ref())?;
    let (old, changes) = compare_with(
        old,
        &label,
        (&new, &findings),
        &loaded.policy,
        store.as_ref(),
    )?;
    let names = report::Names::of(&[&new, &old]);
    match args.format.as_str() {
        "csv" => {
            use std::io::Write as _;
            std::io::stdout().write_all(&report::changes_csv(&changes, &names))?;
        }
        "json" => println!("{}", serde_json::to_string_pretty(&changes)?),
        _ => print!("{}", report::changes_text(&changes, &names)),
    }
    Ok(ExitCode::from(EXIT_OK))
}
