//! `apply` and `verify`: wiring only. The plan is read and checked before any credential is
//! used; each step's end is printed and journaled as it happens.

use std::collections::{BTreeSet, HashMap};
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::Timestamp;

use super::{EXIT_FINDINGS, EXIT_OK, client_from};
use crate::cli::{ApplyArgs, StoreArg, VerifyArgs};
use crate::remediate::apply::{self, Applied};
use crate::remediate::journal::{Entry, JOURNAL_FILE, Journal, Outcome};
use crate::remediate::plan::{Plan, Step};

fn read_plan(path: &Path) -> Result<(Plan, Vec<u8>)> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read the plan {}", path.display()))?;
    let plan = serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "{} is not a plan written by `atlas-audit plan`",
            path.display()
        )
    })?;
    Ok((plan, bytes))
}

/// With `--store`: records the plan once, replays the journal's entries into the store (those
/// already there are kept once; a run that could not reach the store is caught up), and has
/// every later entry recorded as it is written.
fn mirror_into_store(
    store: &StoreArg,
    plan: &Plan,
    plan_json: &[u8],
    journal: &mut Journal,
) -> Result<()> {
    let Some(path) = &store.path else {
        return Ok(());
    };
    let mut store = super::open_store(path)?;
    store
        .record_plan(plan, plan_json)
        .with_context(|| format!("recording the plan in {}", path.display()))?;
    let steps: HashMap<String, Step> = plan
        .steps
        .iter()
        .map(|s| (s.id.clone(), s.clone()))
        .collect();
    for entry in journal.entries() {
        if let Some(step) = steps.get(&entry.step) {
            store
                .record_step(step, entry)
                .with_context(|| format!("recording the journal in {}", path.display()))?;
        }
    }
    journal.mirror_to(Box::new(
        move |entry: &Entry| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            match steps.get(&entry.step) {
                Some(step) => Ok(store.record_step(step, entry)?),
                None => Ok(()),
            }
        },
    ));
    Ok(())
}

fn journal_path(plan: &Path, log: Option<&PathBuf>) -> PathBuf {
    log.cloned().unwrap_or_else(|| {
        plan.parent()
            .unwrap_or_else(|| Path::new("."))
            .join(JOURNAL_FILE)
    })
}

/// How old the plan's snapshot is, for the first line a person reads.
fn age_line(plan: &Plan) -> String {
    let now = Timestamp::now();
    let days = |t: Timestamp| (now.as_second() - t.as_second()).div_euclid(86_400);
    match plan.snapshot.as_of {
        Some(as_of) => format!(
            "plan made {} over a snapshot as of {as_of} ({} days old): {} steps, {} manual",
            plan.made_at,
            days(as_of),
            plan.steps.len(),
            plan.manual.len()
        ),
        None => format!(
            "plan made {}: {} steps, {} manual",
            plan.made_at,
            plan.steps.len(),
            plan.manual.len()
        ),
    }
}

fn bar(len: usize, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    if quiet || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} steps {msg}") {
        bar.set_style(style);
    }
    bar
}

/// `apply PLAN [--yes]`.
pub async fn apply(args: &ApplyArgs, quiet: bool) -> Result<ExitCode> {
    let (plan, plan_json) = read_plan(&args.plan)?;
    let (client, _) = client_from(&args.connection)?;
    let skip: BTreeSet<String> = args.skip.iter().cloned().collect();
    apply::check(&plan, client.base_url(), &skip)?;
    let mut journal = Journal::open(&journal_path(&args.plan, args.log.as_ref()), &plan.digest)?;
    if !quiet {
        eprintln!("{}", age_line(&plan));
    }
    if !args.yes {
        if !quiet {
            print!("{}", crate::remediate::plan::text::render(&plan));
            println!(
                "Nothing was sent. Run again with --yes to carry out these {} steps against {}.",
                plan.steps.len() - skip.len(),
                plan.base_url
            );
        }
        return Ok(ExitCode::from(EXIT_OK));
    }
    mirror_into_store(&args.store, &plan, &plan_json, &mut journal)?;
    let progress = bar(plan.steps.len(), quiet);
    let applied = apply::apply(
        &client,
        &plan,
        &skip,
        &mut journal,
        |step, outcome, message| {
            progress.inc(1);
            if !quiet && !matches!(outcome, Outcome::Done) {
                progress.suspend(|| eprintln!("{} {}: {message}", step.id, outcome.as_str()));
            }
        },
    )
    .await?;
    progress.finish_and_clear();
    if !quiet {
        println!("{}", summary(&applied, journal.path()));
    }
    Ok(ExitCode::from(if applied.all_done() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }))
}

/// `verify PLAN`.
pub async fn verify(args: &VerifyArgs, quiet: bool) -> Result<ExitCode> {
    let (plan, plan_json) = read_plan(&args.plan)?;
    let (client, _) = client_from(&args.connection)?;
    apply::check(&plan, client.base_url(), &BTreeSet::new())?;
    let mut journal = Journal::open(&journal_path(&args.plan, args.log.as_ref()), &plan.digest)?;
    mirror_into_store(&args.store, &plan, &plan_json, &mut journal)?;
    let progress = bar(plan.steps.len(), quiet);
    let verified = apply::verify(&client, &plan, &mut journal, |step, outcome, message| {
        progress.inc(1);
        if !quiet && outcome != Some(Outcome::Verified) {
            progress.suspend(|| eprintln!("{} {message}", step.id));
        }
    })
    .await?;
    progress.finish_and_clear();
    let good = verified
        .steps
        .iter()
        .filter(|(_, o, _)| *o == Outcome::Verified)
        .count();
    if !quiet {
        println!(
            "verified {good} of {} steps in effect; journal {}",
            verified.steps.len(),
            journal.path().display()
        );
    }
    Ok(ExitCode::from(if good == verified.steps.len() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }))
}

fn summary(applied: &Applied, journal: &Path) -> String {
    let mut counts: std::collections::BTreeMap<Outcome, usize> = Default::default();
    for (_, o, _) in &applied.steps {
        *counts.entry(*o).or_default() += 1;
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(o, n)| format!("{n} {}", o.as_str()))
        .collect();
    format!(
        "{} of {} steps complete ({}); journal {}",
        applied.completed(),
        applied.steps.len(),
        parts.join(", "),
        journal.display()
    )
}
