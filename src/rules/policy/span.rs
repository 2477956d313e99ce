//! Places in the policy text: byte offsets to lines and columns, and which field or table a
//! byte offset is in. Both steps of reading a policy (`parse` for syntax, `validate` for
//! meaning) place their problems with it.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The field of a syntax error outside any table.
pub(super) const TOP_LEVEL: &str = "(top level)";

/// Where each line of the text starts, to turn byte offsets into lines and columns.
pub(super) struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    /// Indexes the line starts of `text`.
    pub(super) fn new(text: &'t str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    /// The 1-based line of a byte offset (an offset past the end is on the last line).
    pub(super) fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }

    /// The byte offset where a 1-based line starts.
    pub(super) fn start(&self, line: usize) -> usize {
        self.starts[line - 1]
    }

    /// The text of a 1-based line, without its line break.
    pub(super) fn text_of(&self, line: usize) -> &'t str {
        let start = self.starts[line - 1];
        let end = self.starts.get(line).copied().unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// The 1-based line and column of a byte offset. Columns count characters, not bytes, so
    /// they match what an editor shows for non-ASCII text; a tab counts as one.
    pub(super) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line(offset);
        let start = self.starts[line - 1];
        // An offset inside a multi-byte character counts that character as begun.
        let upto = (start..=offset)
            .rev()
            .find(|&i| self.text.is_char_boundary(i))
            .unwrap_or(start);
        (line, self.text[start..upto].chars().count() + 1)
    }
}

/// Every key of the recovered document with the field path it names, to say which field a
/// syntax error is in.
pub(super) struct KeyPlaces {
    /// (start of the key, path), for keys.
    keys: Vec<(usize, String)>,
    /// (start of the header, path), for tables opened by a `[table]` or `[[table]]` header.
    headers: Vec<(usize, String)>,
}

impl KeyPlaces {
    pub(super) fn of(root: &DeTable<'_>) -> Self {
        let mut places = KeyPlaces {
            keys: Vec::new(),
            headers: Vec::new(),
        };
        places.walk_table(root, "");
        places.keys.sort();
        places.headers.sort();
        places
    }

    fn walk_table(&mut self, table: &DeTable<'_>, prefix: &str) {
        for (key, value) in table.iter() {
            let path = if prefix.is_empty() {
                key.get_ref().to_string()
            } else {
                format!("{prefix}.{}", key.get_ref())
            };
            self.keys.push((key.span().start, path.clone()));
            self.walk_value(value, &path);
        }
    }

    fn walk_value(&mut self, value: &Spanned<DeValue<'_>>, path: &str) {
        match value.get_ref() {
            DeValue::Table(t) => {
                self.headers.push((value.span().start, path.to_string()));
                self.walk_table(t, path);
            }
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let DeValue::Table(t) = item.get_ref() {
                        let path = format!("{path}[{}]", i + 1);
                        self.headers.push((item.span().start, path.clone()));
                        self.walk_table(t, &path);
                    }
                }
            }
            _ => {}
        }
    }

    /// The field an error at `at` is in: the table of a header on its line (the header may be
    /// the broken part), else the last key that starts before it on its line, else the table
    /// whose header comes last before it, else the top level.
    pub(super) fn field_at(&self, at: usize, lines: &Lines) -> String {
        let line = lines.line(at);
        let text = lines.text_of(line).trim();
        if text.starts_with('[') {
            let name = text.split('#').next().unwrap_or_default();
            let name = name.trim_matches(|c: char| c == '[' || c == ']' || c.is_whitespace());
            if !name.is_empty() {
                return name.to_string();
            }
        }
        let on_line = self
            .keys
            .iter()
            .rev()
            .find(|(start, _)| *start <= at && lines.line(*start) == line);
        let header = || self.headers.iter().rev().find(|(start, _)| *start <= at);
        on_line
            .or_else(header)
            .map_or_else(|| TOP_LEVEL.to_string(), |(_, path)| path.clone())
    }
}

/// Where every table of the document opens (its header, or its first key for a dotted or
/// inline table), sorted: where one table's keys can end.
pub(super) fn table_starts(root: &DeTable<'_>) -> Vec<usize> {
    KeyPlaces::of(root)
        .headers
        .iter()
        .map(|(s, _)| *s)
        .collect()
}

/// The byte range from `start` to the next table start after it (or the end of the text): where
/// the keys of the table opened at `start` can be.
pub(super) fn table_region(starts: &[usize], start: usize, end_of_text: usize) -> Range<usize> {
    let next = starts.partition_point(|&s| s <= start);
    start..starts.get(next).copied().unwrap_or(end_of_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_one_based_lines_and_columns() {
        let text = "ab\ncd\n\nxyz";
        let lines = Lines::new(text);
        assert_eq!(lines.position(0), (1, 1));
        assert_eq!(lines.position(1), (1, 2));
        // The newline itself is the last column of its line.
        assert_eq!(lines.position(2), (1, 3));
        assert_eq!(lines.position(3), (2, 1));
        assert_eq!(lines.position(6), (3, 1));
        assert_eq!(lines.position(7), (4, 1));
        assert_eq!(lines.position(9), (4, 3));
    }

    #[test]
    fn lines_can_be_read_back_without_their_break() {
        let lines = Lines::new("one\r\ntwo\nthree");
        assert_eq!(
            (lines.text_of(1), lines.text_of(2), lines.text_of(3)),
            ("one", "two", "three")
        );
    }

    #[test]
    fn the_end_of_the_text_is_a_position_too() {
        let lines = Lines::new("a = [\n");
        assert_eq!(lines.position(6), (2, 1));
        assert_eq!(lines.position(600), (2, 1));
        let lines = Lines::new("");
        assert_eq!(lines.position(0), (1, 1));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        // "é" is two bytes, "€" three: the `x` after them is still the 4th character.
        let text = "é€ x";
        let lines = Lines::new(text);
        assert_eq!(lines.position(text.find('x').unwrap()), (1, 4));
        // An offset inside a character points at that character.
        assert_eq!(lines.position(1), (1, 1));
    }

    #[test]
    fn windows_line_endings_do_not_shift_columns() {
        let text = "a = 1\r\nbb = 2\r\n";
        let lines = Lines::new(text);
        assert_eq!(lines.position(text.find("bb").unwrap()), (2, 1));
        assert_eq!(lines.position(text.find('2').unwrap()), (2, 6));
    }

    #[test]
    fn table_regions_end_at_the_next_header() {
        let text = "[[exemption]]\nrule = \"A\"\n[[exemption]]\nrule = \"B\"\n";
        let (doc, _) = DeTable::parse_recoverable(text);
        let starts = table_starts(doc.get_ref());
        let second = text.rfind("[[").unwrap();
        assert_eq!(starts, [0, second]);
        assert_eq!(table_region(&starts, 0, text.len()), 0..second);
        assert_eq!(
            table_region(&starts, second, text.len()),
            second..text.len()
        );
    }
}
