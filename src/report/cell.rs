//! Text from Atlas is data. A spreadsheet evaluates a cell that begins with `=`, `+`, `-` or `@`
//! (and some evaluate one that begins with a tab or carriage return) as a formula, so such cells
//! are neutralised with a leading apostrophe before they reach CSV or XLSX.

use std::borrow::Cow;

/// The cell text, with a leading `'` when a spreadsheet would read it as a formula.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_plain_text_is_kept() {
        for bad in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        for ok in ["alice@example.test", "GROUP_OWNER", "", "1-2", "'quoted"] {
            assert_eq!(neutralise(ok), ok);
        }
    }
}
