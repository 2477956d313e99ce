//! `atlas-audit decisions`: reviewers' decisions read back from filled-in workbooks.
//!
//! Each workbook is read with `calamine` (`workbook.rs`), then checked (`checks.rs`): it must
//! belong to the expected report, its evidence cells must still match their row check, every
//! decided row needs a reviewer, a date and (as the policy asks) a comment, and one grant
//! decided two ways is a conflict. Every problem is collected; when there is any, nothing is
//! written or recorded. Otherwise the decisions become `decisions.csv` (one row per decided
//! grant, sorted by grant id) and, with a store, an attestation.

mod checks;
mod workbook;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use checks::{Expected, Outcome, Tally, check};
pub use workbook::{ReadRow, ReadWorkbook, ReportIdentity, read_workbook};

/// `decisions.csv`'s header, in order (the contract `plan` reads).
pub const DECISIONS_CSV_HEADER: &[&str] = &[
    "grant_id",
    "principal",
    "scope",
    "role",
    "via",
    "decision",
    "modify_to",
    "reviewer",
    "date",
    "comment",
    "workbook",
    "sheet",
    "row",
];

/// The file `decisions` writes.
pub const DECISIONS_CSV: &str = "decisions.csv";

/// What a reviewer decided about a grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DecisionKind {
    /// The access stays.
    Keep,
    /// The access goes.
    Revoke,
    /// The access is changed to a lesser role.
    Modify,
}

impl DecisionKind {
    /// Every decision, in list order.
    pub const ALL: [DecisionKind; 3] = [
        DecisionKind::Keep,
        DecisionKind::Revoke,
        DecisionKind::Modify,
    ];

    /// `Keep`, `Revoke` or `Modify`.
    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Keep => "Keep",
            DecisionKind::Revoke => "Revoke",
            DecisionKind::Modify => "Modify",
        }
    }

    /// The decision a cell names, ignoring case and spaces around it.
    pub fn parse(text: &str) -> Option<DecisionKind> {
        let text = text.trim();
        Self::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(text))
    }

    /// Reads a decision as [`DecisionKind::parse`] does, naming the text it refuses.
    fn deserialize_lenient<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DecisionKind, D::Error> {
        let text = String::deserialize(deserializer)?;
        DecisionKind::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("{text:?} is not Keep, Revoke or Modify"))
        })
    }
}

impl fmt::Display for DecisionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of `decisions.csv`: one decided grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// `G-` and 10 hex digits (`model::Grant::id`).
    pub grant_id: String,
    /// Principal key.
    pub principal: String,
    /// `Scope::key()`.
    pub scope: String,
    /// The role.
    pub role: String,
    /// `Via::key()`.
    pub via: String,
    /// Keep, Revoke or Modify.
    #[serde(deserialize_with = "DecisionKind::deserialize_lenient")]
    pub decision: DecisionKind,
    /// For a Modify, the role the reviewer chose; empty when none.
    pub modify_to: String,
    /// Who decided.
    pub reviewer: String,
    /// When, `YYYY-MM-DD`.
    pub date: String,
    /// Why.
    pub comment: String,
    /// The workbook's file name, as given.
    pub workbook: String,
    /// The sheet.
    pub sheet: String,
    /// The 1-based spreadsheet row.
    pub row: u32,
}

/// One thing wrong with a workbook: where, and what to fix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    /// The workbook, as given.
    pub workbook: String,
    /// The sheet, when the problem is on one.
    pub sheet: Option<String>,
    /// The 1-based row, when the problem is on one.
    pub row: Option<u32>,
    /// The cell (`T12`), when the problem is in one.
    pub cell: Option<String>,
    /// What is wrong and what to do.
    pub what: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.workbook)?;
        if let Some(sheet) = &self.sheet {
            write!(f, ": sheet {sheet}")?;
        }
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
        }
        if let Some(cell) = &self.cell {
            write!(f, ", cell {cell}")?;
        }
        write!(f, ": {}", self.what)
    }
}

/// Why the decisions could not be taken: every problem found, in workbook order.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) in the workbooks; nothing was written or recorded:\n{}", problems.len(), list(problems))]
pub struct Refused {
    /// Every problem.
    pub problems: Vec<Problem>,
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `decisions.csv`'s bytes: the header, then one row per decision, in the order given.
///
/// # Errors
/// Never in practice: the writer writes to memory.
pub fn decisions_csv(decisions: &[Decision]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(DECISIONS_CSV_HEADER)?;
    for d in decisions {
        w.write_record([
            d.grant_id.as_str(),
            &d.principal,
            &d.scope,
            &d.role,
            &d.via,
            d.decision.as_str(),
            &d.modify_to,
            &d.reviewer,
            &d.date,
            &d.comment,
            &d.workbook,
            &d.sheet,
            &d.row.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests;
