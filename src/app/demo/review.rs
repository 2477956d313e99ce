//! The demo's review loop, after its first report: the workbook filled in from the reviewer's
//! answers in `fixtures/demo/review.csv` (`reviewed.xlsx`), read back (`decisions.csv`),
//! planned (`plan.json`, `plan.txt`), applied against the demo's own simulated Atlas and
//! verified (`apply-log.jsonl`), then collected and reported again (`snapshot-after.json`,
//! `report-after/`). Each stage calls the library functions its command uses, and each gives
//! one line of counts.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use jiff::civil::Date;
use jiff::{Timestamp, tz::TimeZone};

use crate::atlas::Client;
use crate::collect::{self, CollectOptions};
use crate::files::{sha256_file, write_atomic};
use crate::model::{self, Grant, Snapshot};
use crate::remediate::apply;
use crate::remediate::decisions::{self, DECISIONS_CSV, Expected, ReportIdentity};
use crate::remediate::fill::{self, Answer};
use crate::remediate::journal::{JOURNAL_FILE, Journal, Outcome};
use crate::remediate::plan::{self, Basis, FileRef};
use crate::report::{self, MANIFEST};
use crate::rules::Findings;

use super::super::report::{LoadedPolicy, write_report};

/// The reviewer's answers, in `fixtures/demo/`.
pub(super) const REVIEW_CSV: &str = "review.csv";
/// The report's workbook with the answers filled in.
pub(super) const REVIEWED_XLSX: &str = "reviewed.xlsx";
/// The plan, beside its `plan.txt`.
pub(super) const PLAN_JSON: &str = "plan.json";
/// The second collection, after the plan was applied.
pub(super) const SNAPSHOT_AFTER: &str = "snapshot-after.json";
/// The second report's folder.
pub(super) const REPORT_AFTER: &str = "report-after";

/// `review.csv`'s header: which grant (its principal, scope, role and path keys, as the
/// snapshot and the workbook's hidden columns write them), then the reviewer's cells.
const HEADER: [&str; 9] = [
    "principal",
    "scope",
    "role",
    "via",
    "decision",
    "modify_to",
    "reviewer",
    "date",
    "comment",
];

/// The answers of `review.csv`, each tied to its grant's id in `snapshot`. A date of `today`
/// is `today` (the demo world is dated relative to the day it runs).
///
/// # Errors
/// A malformed file, or a row naming a grant the snapshot lacks (the row is named).
pub(super) fn answers(text: &str, snapshot: &Snapshot, today: Date) -> Result<Vec<Answer>> {
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let header = reader.headers().context("review.csv has no header")?;
    if header.iter().ne(HEADER) {
        bail!("review.csv: the header must be {}", HEADER.join(","));
    }
    let mut out = Vec::new();
    // Records are counted from 1 after the header; comment lines are not counted.
    for (i, record) in reader.records().enumerate() {
        let line = i + 1;
        let r = record.with_context(|| format!("review.csv, record {line}"))?;
        let cell = |n: usize| r.get(n).unwrap_or_default().trim().to_string();
        let (principal, scope, role, via) = (cell(0), cell(1), cell(2), cell(3));
        let grant = snapshot
            .grants
            .iter()
            .find(|g| {
                g.principal == principal
                    && g.role == role
                    && g.scope.key() == scope
                    && g.via.key() == via
            })
            .map(Grant::id)
            .with_context(|| {
                format!(
                    "review.csv, record {line}: the snapshot has no grant {principal} {scope} {role} {via}; name one of its grants"
                )
            })?;
        let date = match cell(7).as_str() {
            "" => None,
            "today" => Some(today),
            day => Some(day.parse::<Date>().with_context(|| {
                format!("review.csv, record {line}: date {day:?} is neither YYYY-MM-DD nor today")
            })?),
        };
        out.push(Answer {
            grant_id: grant,
            decision: cell(4),
            modify_to: cell(5),
            reviewer: cell(6),
            date,
            comment: cell(8),
        });
    }
    Ok(out)
}

/// What the first half of the demo made, for the loop to go on from.
pub(super) struct Before<'a> {
    /// The demo's folder (its hidden staging folder while it is written).
    pub dir: &'a Path,
    /// The first collection, saved as `snapshot.json` in `dir`.
    pub snapshot: &'a Snapshot,
    /// Its findings.
    pub findings: &'a Findings,
    /// The policy (the defaults).
    pub loaded: &'a LoadedPolicy,
    /// `fixtures/demo/review.csv`.
    pub review_csv: &'a str,
    /// How the demo collected, for the second collection.
    pub collect: &'a CollectOptions,
}

/// Runs the loop in `before.dir` against the simulated Atlas `client` talks to, and returns
/// one line per stage.
///
/// # Errors
/// Any stage failing, or a step not done or not verified: the demo's world is fixed, so each
/// is a fault in the demo, named with the stage.
pub(super) async fn run(client: &Client, before: &Before<'_>) -> Result<Vec<String>> {
    let dir = before.dir;
    let mut lines = Vec::new();

    let today = Timestamp::now().to_zoned(TimeZone::UTC).date();
    let answers = answers(before.review_csv, before.snapshot, today)?;
    let book = std::fs::read(dir.join(report::OutputFile::Workbook.name()))
        .context("reading the report's workbook")?;
    let filled = fill::fill(&book, &answers).context("filling in the demo's workbook")?;
    let reviewed = dir.join(REVIEWED_XLSX);
    write_atomic(&reviewed, |w| w.write_all(&filled))
        .with_context(|| format!("writing {REVIEWED_XLSX}"))?;
    lines.push(format!(
        "{REVIEWED_XLSX}: {} rows filled in from fixtures/demo/{REVIEW_CSV}",
        answers.len()
    ));

    let mut problems = Vec::new();
    let Some(mut book) = decisions::read_workbook(&reviewed, &mut problems) else {
        return Err(decisions::Refused { problems }.into());
    };
    // Named as a reviewer would hand it in, not by the demo's staging path.
    book.name = REVIEWED_XLSX.to_string();
    let expected = Expected {
        report: manifest_identity(dir)?,
        source: "the demo's report".to_string(),
    };
    let outcome = decisions::check(
        std::slice::from_ref(&book),
        Some(&expected),
        &before.loaded.policy.review,
    )
    .map_err(|problems| decisions::Refused { problems })?;
    let csv = decisions::decisions_csv(&outcome.decisions)?;
    let decisions_path = dir.join(DECISIONS_CSV);
    write_atomic(&decisions_path, |w| w.write_all(&csv))
        .with_context(|| format!("writing {DECISIONS_CSV}"))?;
    lines.push(format!(
        "decisions: {} decided, {} undecided of {} grants: {DECISIONS_CSV}",
        outcome.decisions.len(),
        outcome.undecided,
        outcome.grants
    ));

    let rows = plan::from_decisions::read(&decisions_path)?;
    let basis = Basis {
        snapshot: before.snapshot,
        sha256: sha256_file(&dir.join(super::DEMO_SNAPSHOT)).context("reading snapshot.json")?,
        made_at: Timestamp::now(),
    };
    let file = FileRef {
        file: DECISIONS_CSV.to_string(),
        sha256: sha256_file(&decisions_path).context("reading decisions.csv")?,
    };
    let made = plan::from_decisions(&basis, &rows, Some(file), before.findings)?;
    let plan_path = dir.join(PLAN_JSON);
    plan::write(&made.plan, &plan_path)?;
    let plan = made.plan;
    lines.push(format!(
        "plan: {} and {}: {PLAN_JSON}, plan.txt",
        model::counted(plan.steps.len(), "step", "steps"),
        model::counted(plan.manual.len(), "manual entry", "manual entries"),
    ));

    let none = BTreeSet::new();
    apply::check(&plan, client.base_url(), &none)?;
    let mut journal = Journal::open(&dir.join(JOURNAL_FILE), &plan.digest)?;
    let applied = apply::apply(client, &plan, &none, &mut journal, |_, _, _| {}).await?;
    if !applied.all_done() {
        bail!("the demo's plan was not applied whole: {:?}", applied.steps);
    }
    lines.push(format!(
        "apply --yes: {} of {} steps done: {JOURNAL_FILE}",
        applied.completed(),
        plan.steps.len()
    ));
    let verified = apply::verify(client, &plan, &mut journal, |_, _, _| {}).await?;
    let good = verified
        .steps
        .iter()
        .filter(|(_, o, _)| *o == Outcome::Verified)
        .count();
    if good != plan.steps.len() {
        bail!("the demo's plan is not all in effect: {:?}", verified.steps);
    }
    lines.push(format!(
        "verify: {good} of {} steps in effect: {JOURNAL_FILE}",
        plan.steps.len()
    ));

    let after = collect::collect(client, before.collect).await?;
    model::save(&after, &dir.join(SNAPSHOT_AFTER))?;
    let findings = crate::rules::evaluate(&after, &before.loaded.policy)?;
    let changes = crate::changes::compare(
        (before.snapshot, before.findings),
        (&after, &findings),
        &before.loaded.policy,
        super::DEMO_SNAPSHOT,
    );
    write_report(
        &dir.join(REPORT_AFTER),
        &after,
        &findings,
        before.loaded,
        &crate::report::Options {
            snapshot_sha256: Some(
                sha256_file(&dir.join(SNAPSHOT_AFTER)).context("reading snapshot-after.json")?,
            ),
            ..Default::default()
        },
        Some(report::Baseline {
            snapshot: before.snapshot,
            changes: &changes,
        }),
    )?;
    let ids = |s: &Snapshot| s.grants.iter().map(Grant::id).collect::<BTreeSet<_>>();
    let (was, is) = (ids(before.snapshot), ids(&after));
    lines.push(format!(
        "collect again: grants {} before, {} after ({} gone, {} new): {SNAPSHOT_AFTER}, {REPORT_AFTER}/",
        was.len(),
        is.len(),
        was.difference(&is).count(),
        is.difference(&was).count()
    ));
    Ok(lines)
}

/// The report identity the demo's first report recorded in its manifest.
fn manifest_identity(dir: &Path) -> Result<ReportIdentity> {
    let text = std::fs::read_to_string(dir.join(MANIFEST)).context("reading the manifest")?;
    super::super::decisions::identity(&text).context("the demo report's manifest")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_name_their_grants_and_today_is_the_run_day() {
        let snapshot = crate::report::sample::ordinary().estate.snapshot;
        let g = &snapshot.grants[0];
        let today = jiff::civil::date(2027, 1, 10);
        let text = format!(
            "{}\n# a comment line\n{},{},{},{},Revoke,,dana@example.com,today,\"left, in May\"\n",
            HEADER.join(","),
            g.principal,
            g.scope.key(),
            g.role,
            g.via.key()
        );
        let got = answers(&text, &snapshot, today).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].grant_id, g.id());
        assert_eq!(got[0].date, Some(today));
        assert_eq!(got[0].comment, "left, in May");
        let unknown = text.replace(&g.role, "NO_SUCH_ROLE");
        let err = answers(&unknown, &snapshot, today).unwrap_err().to_string();
        assert!(
            err.contains("record 1") && err.contains("NO_SUCH_ROLE"),
            "{err}"
        );
        let bad_day = text.replace("today", "soon");
        assert!(answers(&bad_day, &snapshot, today).is_err());
    }
}
