//! The Summary sheet: what was reviewed, from what, the counts, and how to review.

use rust_xlsxwriter::Worksheet;

use super::{Sheet, Style, Styles, Written};
use crate::report::identity::{
    LABEL_AS_OF_TEXT, LABEL_REPORT_DIGEST, LABEL_SNAPSHOT_SHA256, NO_SNAPSHOT,
};
use crate::report::{ReportError, Review};
use crate::rules::RuleId;

/// How to review.
const INSTRUCTIONS: &[&str] = &[
    "Each row of the Access Review sheet is one grant, named by its Grant id a reviewer decides on. Project roles implied by an org role are decided with that org role: see its Implies projects column.",
    "For every row choose a Decision (Keep, Revoke or Modify) from the list, and fill in Reviewer (your name) and Date (the day you decided).",
    "A Comment is expected for every decision other than Keep: say why, and for Modify, to what. Rows marked Revoke or Modify without a comment are highlighted.",
    "Recommendation is the tool's suggestion, from the most severe open finding on the grant; the Findings sheet explains every finding id.",
    "Modify to is the role a Modify should leave (the list holds the roles of the row's level); left empty, the recommendation's lesser role is taken, or the change is done by hand.",
    "Only the Decision, Modify to, Reviewer, Date and Comment columns can be edited; the filters work as usual. The sheet has no password: Excel sorts a protected sheet's locked cells only once it is unprotected (Review > Unprotect Sheet).",
];

/// Coverage gaps named on the Summary sheet; the Coverage sheet lists them all.
const SUMMARY_GAPS: usize = 10;

/// Column widths, in characters.
const WIDTHS: [f64; 5] = [34.0, 14.0, 12.0, 12.0, 100.0];

/// Writes the Summary into `sheet`.
pub(super) fn write(
    mut sheet: Worksheet,
    styles: &Styles,
    review: &Review<'_>,
) -> Result<Worksheet, ReportError> {
    let fail = |source| ReportError::Workbook {
        sheet: Some("Summary".into()),
        source,
    };
    sheet.set_name("Summary").map_err(fail)?;
    for (col, width) in WIDTHS.into_iter().enumerate() {
        sheet.set_column_width(col as u16, width).map_err(fail)?;
    }
    let mut s = Sheet::new(&mut sheet, styles);
    s.wrap_long = false;
    contents(&mut s, review).map_err(fail)?;
    Ok(sheet)
}

fn contents(s: &mut Sheet<'_>, review: &Review<'_>) -> Written {
    s.styled("Atlas access review", Style::Title)?;
    s.next_row();
    facts(s, review)?;
    s.next_row();
    population(s, review)?;
    s.next_row();
    findings(s, review)?;
    s.next_row();
    remediated(s, review)?;
    s.label("How to review")?;
    s.next_row();
    for (i, line) in INSTRUCTIONS.iter().enumerate() {
        s.text(&format!("{}.", i + 1))?;
        s.text(line)?;
        s.next_row();
    }
    Ok(())
}

fn facts(s: &mut Sheet<'_>, review: &Review<'_>) -> Written {
    let meta = &review.snapshot.meta;
    let mut coverage = review.coverage_status();
    if !review.snapshot.is_complete() || !review.findings.not_evaluated.is_empty() {
        coverage.push_str(" (see the Coverage sheet)");
    }
    let recorded = |v: &str| {
        if v.is_empty() {
            "not recorded".to_string()
        } else {
            v.to_string()
        }
    };
    let facts = [
        ("Scope", review.scope_text()),
        (
            "Tool version",
            concat!("atlas-audit ", env!("CARGO_PKG_VERSION")).into(),
        ),
        ("Snapshot tool version", recorded(&meta.tool_version)),
        ("Credential", recorded(&meta.credential)),
        ("Atlas", recorded(&meta.base_url)),
        ("Policy", review.policy_origin.to_string()),
        ("Policy digest", review.policy_digest.to_string()),
        (LABEL_AS_OF_TEXT, review.as_of.to_string()),
        (
            LABEL_SNAPSHOT_SHA256,
            review
                .snapshot_sha256
                .clone()
                .unwrap_or_else(|| NO_SNAPSHOT.into()),
        ),
        (LABEL_REPORT_DIGEST, review.report_digest.clone()),
        ("Coverage", coverage),
    ];
    s.label("As of (UTC)")?;
    s.time_or(Some(review.as_of), "")?;
    s.next_row();
    for (label, value) in facts {
        s.label(label)?;
        s.text(&value)?;
        s.next_row();
    }
    // The first gaps by name, so the first screen says what could not be read.
    let gaps = review.coverage();
    for g in gaps.iter().take(SUMMARY_GAPS) {
        s.label("Could not read")?;
        s.text(&format!("{}, {}: {}", g.scope, g.endpoint, g.reason))?;
        s.next_row();
    }
    if gaps.len() > SUMMARY_GAPS {
        s.label("Could not read")?;
        s.text(&format!(
            "and {} more on the Coverage sheet",
            gaps.len() - SUMMARY_GAPS
        ))?;
        s.next_row();
    }
    Ok(())
}

fn population(s: &mut Sheet<'_>, review: &Review<'_>) -> Written {
    s.label("Principals")?;
    s.label("Count")?;
    s.next_row();
    for (kind, n) in review.population() {
        s.text(kind.as_str())?;
        s.count(n as u64)?;
        s.next_row();
    }
    let (reviewable, implied) = review.grant_counts();
    let grants = [
        ("Grants to decide (Access Review sheet)", reviewable),
        ("Project grants implied by org roles", implied),
    ];
    for (label, n) in grants {
        s.label(label)?;
        s.count(n as u64)?;
        s.next_row();
    }
    Ok(())
}

/// With `--store` and removals since the review: their count and one line each (the
/// section is absent otherwise, so a report without a store keeps its layout).
fn remediated(s: &mut Sheet<'_>, review: &Review<'_>) -> Written {
    let views = crate::report::remediation::views(review);
    if views.is_empty() {
        return Ok(());
    }
    s.label("Remediated since the review")?;
    s.count(views.len() as u64)?;
    s.next_row();
    for v in &views {
        s.text(&v.remediated.grant_id)?;
        s.text(&v.line())?;
        s.next_row();
    }
    s.next_row();
    Ok(())
}

fn findings(s: &mut Sheet<'_>, review: &Review<'_>) -> Written {
    for h in ["Findings by severity", "Open", "Exempted"] {
        s.label(h)?;
    }
    s.next_row();
    for (severity, open, exempted) in review.severity_counts() {
        s.severity(Some(severity))?;
        s.count(open as u64)?;
        s.count(exempted as u64)?;
        s.next_row();
    }
    s.next_row();
    for h in [
        "Findings by rule",
        "Severity",
        "Open",
        "Exempted",
        "What it checks",
    ] {
        s.label(h)?;
    }
    s.next_row();
    for c in review.rule_counts() {
        s.text(c.rule.as_str())?;
        s.severity(Some(c.severity))?;
        s.count(c.open as u64)?;
        s.count(c.exempted as u64)?;
        s.text(RuleId::checks(c.rule))?;
        s.next_row();
    }
    Ok(())
}
