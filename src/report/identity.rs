//! Which report a workbook belongs to, so `decisions` can read it back without Atlas: the
//! as-of, the snapshot's SHA-256 and a report digest, written on the Summary sheet and in the
//! document's custom properties, and the report digest also in `manifest.json`.
//!
//! The manifest lists the workbook's own SHA-256, so the workbook cannot carry the manifest's
//! digest. The report digest stands in for it: it is computed before any file is written, from
//! what the report is made of (the snapshot's SHA-256, the policy's digest, the as-of, and every
//! finding's id and status), so two reports with the same digest say the same thing.
//!
//! Each Access Review row also carries a check value over its evidence cells and the report
//! digest ([`row_check`]), in a hidden column: a row whose evidence was edited, or copied from
//! another report's workbook, no longer matches it. It proves the cells unchanged, not who
//! changed them: anyone who can run this code can recompute it (there is no secret).

use sha2::{Digest, Sha256};

use crate::files::hex;
use crate::rules::Findings;

/// Summary label of the report digest.
pub const LABEL_REPORT_DIGEST: &str = "Report digest";
/// Summary label of the snapshot's SHA-256.
pub const LABEL_SNAPSHOT_SHA256: &str = "Snapshot SHA-256";
/// Summary label of the as-of moment as RFC 3339 text.
pub const LABEL_AS_OF_TEXT: &str = "As of (RFC 3339)";
/// Custom document property of the report digest.
pub const PROPERTY_REPORT_DIGEST: &str = "atlas-audit report digest";
/// Custom document property of the snapshot's SHA-256.
pub const PROPERTY_SNAPSHOT_SHA256: &str = "atlas-audit snapshot sha256";
/// Custom document property of the as-of moment.
pub const PROPERTY_AS_OF: &str = "atlas-audit as of";
/// What the workbook says in place of a snapshot digest when the report was not made from a
/// snapshot file (collected live without one).
pub const NO_SNAPSHOT: &str = "none (collected live)";

/// The report digest: `sha256:` and the hex SHA-256 over the snapshot's SHA-256 (or
/// [`NO_SNAPSHOT`]), the policy's digest, the as-of, and each finding's id and status in
/// `findings.json` order, each part ended by a newline.
pub fn report_digest(
    snapshot_sha256: Option<&str>,
    policy_digest: &str,
    findings: &Findings,
) -> String {
    let mut h = Sha256::new();
    h.update(b"atlas-audit report digest 1\n");
    for part in [
        snapshot_sha256.unwrap_or(NO_SNAPSHOT),
        policy_digest,
        &findings.as_of.to_string(),
    ] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    for f in &findings.findings {
        h.update(f.id.as_bytes());
        h.update(b" ");
        h.update(f.status.as_str().as_bytes());
        h.update(b"\n");
    }
    format!("sha256:{}", hex(&h.finalize()))
}

/// One evidence cell as the row check sees it: text as written, a number (or date) in whole
/// seconds of its Excel serial, so a spreadsheet that re-writes a date through its own clock
/// type (to the microsecond) keeps the check. An empty cell is an empty text.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckedCell<'a> {
    /// Text, as written in the cell.
    Text(&'a str),
    /// A number or an Excel date serial.
    Number(f64),
}

/// Feeds the cells of a row into a check value, row after row.
#[derive(Clone, Default)]
pub struct RowCheck {
    /// The hasher after the report's digest: where every row starts.
    seed: Sha256,
    /// The bytes of the row's cells so far, hashed at once when the row is finished.
    row: Vec<u8>,
}

impl RowCheck {
    /// A check value for rows of the report with this digest.
    pub fn new(report_digest: &str) -> Self {
        let mut seed = Sha256::new();
        seed.update(report_digest.as_bytes());
        seed.update([0x1e]);
        RowCheck {
            seed,
            row: Vec::with_capacity(512),
        }
    }

    /// The next cell, left to right.
    pub fn cell(&mut self, cell: CheckedCell<'_>) {
        match cell {
            CheckedCell::Text(t) => {
                // Line ends are the one thing spreadsheet files do not keep as written.
                let bytes = t.as_bytes();
                if bytes.contains(&b'\r') {
                    self.row.extend(bytes.iter().filter(|b| **b != b'\r'));
                } else {
                    self.row.extend_from_slice(bytes);
                }
            }
            CheckedCell::Number(n) => {
                use std::io::Write as _;
                let seconds = (n * 86_400.0).round() as i64;
                let _ = write!(self.row, "#{seconds}");
            }
        }
        self.row.push(0x1f);
    }

    /// The check value of the cells fed since the last row: `C-` and 16 hex digits. The next
    /// cell starts a new row.
    pub fn finish(&mut self) -> String {
        let mut hasher = self.seed.clone();
        hasher.update(&self.row);
        self.row.clear();
        let digest = hasher.finalize();
        let mut check = String::with_capacity(18);
        check.push_str("C-");
        crate::files::push_hex(&mut check, &digest[..8]);
        check
    }
}

/// The check value of a row's evidence cells.
pub fn row_check<'c>(
    report_digest: &str,
    cells: impl IntoIterator<Item = CheckedCell<'c>>,
) -> String {
    let mut check = RowCheck::new(report_digest);
    for c in cells {
        check.cell(c);
    }
    check.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_cell_or_report_changes_the_check() {
        let cells = || [CheckedCell::Text("user:a"), CheckedCell::Number(46_000.25)];
        let base = row_check("sha256:1", cells());
        assert_eq!(base.len(), 18);
        assert_ne!(base, row_check("sha256:2", cells()));
        assert_ne!(
            base,
            row_check(
                "sha256:1",
                [CheckedCell::Text("user:b"), CheckedCell::Number(46_000.25)]
            )
        );
        // A date re-written to the microsecond keeps its check; a day later does not.
        let near = 46_000.25 + 0.000_001 / 86_400.0;
        assert_eq!(
            base,
            row_check(
                "sha256:1",
                [CheckedCell::Text("user:a"), CheckedCell::Number(near)]
            )
        );
        assert_ne!(
            base,
            row_check(
                "sha256:1",
                [CheckedCell::Text("user:a"), CheckedCell::Number(46_001.25)]
            )
        );
        // Cells do not run into each other.
        assert_ne!(
            row_check("d", [CheckedCell::Text("ab"), CheckedCell::Text("")]),
            row_check("d", [CheckedCell::Text("a"), CheckedCell::Text("b")])
        );
    }
}
