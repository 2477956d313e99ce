//! The table printed at the end of `collect`, `report`, `summary` and `demo`: a label column,
//! then either free text or a name, a right-aligned count and a note. The widths are fixed, so
//! the parts that different commands print (the estate, the findings, the files) line up as one
//! table.

use std::fmt::Write as _;

/// Width of the label column.
pub const LABEL: usize = 16;
/// Width of the name column of an item row.
pub const NAME: usize = 34;
/// Width of the right-aligned count of an item row.
pub const COUNT: usize = 13;

/// A row of a label and free text. A sub-row under the row above has an indented label, or
/// none.
pub fn text(out: &mut String, label: &str, text: &str) {
    let line = format!("{label:<LABEL$}{text}");
    let _ = writeln!(out, "{}", line.trim_end());
}

/// A row of a label, a name, a count (grouped by thousands) and a note.
pub fn item(out: &mut String, label: &str, name: &str, count: u64, note: &str) {
    let count = grouped(count);
    let line = format!("{label:<LABEL$}{name:<NAME$}{count:>COUNT$}  {note}");
    let _ = writeln!(out, "{}", line.trim_end());
}

/// A count grouped by thousands: `1,234,567`.
pub fn grouped(n: u64) -> String {
    indicatif::HumanCount(n).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_share_one_grid() {
        let mut out = String::new();
        text(&mut out, "files", "out/");
        item(&mut out, "", "findings.json", 1_234_567, "bytes");
        item(&mut out, "  high", "APIKEY_PRIVILEGED", 2, "");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "files           out/");
        assert_eq!(
            lines[1],
            format!("{:16}{:34}{:>13}  bytes", "", "findings.json", "1,234,567")
        );
        assert!(
            lines[2].ends_with(" 2"),
            "no trailing blanks: {:?}",
            lines[2]
        );
        assert_eq!(
            lines[1].find("1,234,567").unwrap() + "1,234,567".len(),
            lines[2].len(),
            "counts end in the same column"
        );
    }
}
