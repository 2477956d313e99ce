//! Policy text to [`Policy`], step one: the raw TOML, parsed with recovery so that every syntax
//! error is found, with byte spans turned into 1-based lines and columns. Step two, checking what
//! the keys and values mean, is `validate`; this file merges both steps' problems.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::validate::{self, Found};
use super::{Policy, Problem};

/// Parses and validates policy text: `Ok` only when there is no problem at all.
pub(super) fn parse(text: &str) -> Result<Policy, Vec<Problem>> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    let lines = Lines::new(text);
    let root = doc.get_ref();
    let (policy, found) = validate::validate(root, &lines, text.len());
    if errors.is_empty() && found.is_empty() {
        return Ok(policy);
    }

    let places = KeyPlaces::of(root);
    let syntax = syntax_errors(&errors, text, &lines);
    let mut problems: Vec<Problem> = syntax
        .iter()
        .map(|e| {
            let (line, column) = lines.position(e.at);
            let (field, message) = explain(e, &places, &lines);
            Problem {
                line,
                column,
                field,
                message,
            }
        })
        .collect();
    let damage = Damage::of(&syntax, &lines);
    problems.extend(
        found
            .into_iter()
            .filter(|f| damage.spares(f, &lines))
            .map(|f| {
                let (line, column) = lines.position(f.at);
                Problem {
                    line,
                    column,
                    field: f.field,
                    message: f.message,
                }
            }),
    );
    // Stable: problems at one place (the fields missing from one exemption) keep the order
    // they were found in, which is the order of the keys in the starter policy.
    problems.sort_by_key(|p| (p.line, p.column));
    Err(problems)
}

/// What the syntax errors make unreliable in the recovered document. The parser recovers with
/// placeholder values (an empty string for an unquoted word, an empty date for a broken one),
/// so a meaning problem on a line with a syntax error is only an echo of it. Past most syntax
/// errors (an unclosed header, array or string) the parser may read the following lines as
/// something else, so meaning problems after them wait until the file parses; the two slips
/// that leave the rest intact (an unquoted word, a key given twice) do not stop the report.
/// Something reported missing may just have been lost in text the parser could not read.
struct Damage {
    /// Byte offsets of the syntax errors.
    offsets: Vec<usize>,
    /// Their lines.
    lines: Vec<usize>,
    /// The line of the first syntax error past which the document cannot be trusted.
    cutoff: Option<usize>,
}

impl Damage {
    fn of(syntax: &[SyntaxError], lines: &Lines) -> Self {
        Damage {
            offsets: syntax.iter().map(|e| e.at).collect(),
            lines: syntax.iter().map(|e| lines.line(e.at)).collect(),
            cutoff: syntax
                .iter()
                .filter(|e| !e.local)
                .map(|e| lines.line(e.at))
                .min(),
        }
    }

    /// Whether a meaning problem can be believed next to the syntax errors.
    fn spares(&self, f: &Found, lines: &Lines) -> bool {
        let line = lines.line(f.at);
        if self.lines.contains(&line) || self.cutoff.is_some_and(|cut| line > cut) {
            return false;
        }
        match &f.looked_in {
            Some(region) => !self.offsets.iter().any(|at| region.contains(at)),
            None => true,
        }
    }
}

/// A syntax error of the TOML parser.
struct SyntaxError {
    /// Byte offset.
    at: usize,
    /// The text the parser stopped at.
    found: String,
    /// The parser's message.
    message: String,
    /// Whether the parser read the rest of the file as written: true for the two slips that
    /// stay within their line (an unquoted word, a key given twice). After any other error
    /// (an unclosed header, list or string) the following lines may be read as something else.
    local: bool,
}

/// The syntax errors worth reading, in file order. After one error the parser often trips over
/// the rest of the same line, so only the first of a line is kept; after the first error that
/// is not local, what follows is the parser's confusion, not the file's, so it is left out.
fn syntax_errors(errors: &[toml::de::Error], text: &str, lines: &Lines) -> Vec<SyntaxError> {
    let mut syntax: Vec<SyntaxError> = errors
        .iter()
        .map(|e| {
            let span = e.span().unwrap_or(0..0);
            let message = e.message().to_string();
            SyntaxError {
                at: span.start,
                found: text.get(span).unwrap_or_default().trim().to_string(),
                local: message.starts_with("string values must be quoted")
                    || message.starts_with("duplicate key"),
                message,
            }
        })
        .collect();
    syntax.sort_by_key(|e| e.at);
    syntax.dedup_by_key(|e| lines.line(e.at));
    if let Some(first) = syntax.iter().position(|e| !e.local) {
        syntax.truncate(first + 1);
    }
    syntax
}

/// The field and message for a syntax error: the parser's own words, made plainer for the
/// slips people make most (a word without quotes, a key given twice, a list left open).
fn explain(e: &SyntaxError, places: &KeyPlaces, lines: &Lines) -> (String, String) {
    let field = places.field_at(e.at, lines);
    let found = e.found.as_str();
    if e.message.starts_with("string values must be quoted") && !found.is_empty() {
        let message = format!("TOML syntax: text values must be quoted; write \"{found}\"");
        return (field, message);
    }
    if e.message.starts_with("duplicate key") && !found.is_empty() {
        let key = found.trim_matches(['"', '\'']);
        let field = join(&field, key);
        let message = format!("TOML syntax: `{key}` is given twice; keep one");
        return (field, message);
    }
    let in_list = [
        "missing comma between array elements",
        "unexpected `=` in array",
        "unclosed array",
    ];
    if in_list.iter().any(|m| e.message.starts_with(m))
        && let Some((line, key)) = list_opened_above(lines, lines.line(e.at))
    {
        let table = places.field_at(lines.starts[line - 1], lines);
        let message = format!(
            "TOML syntax: {}; if the list opened on line {line} ends before this, close it with `]`",
            e.message
        );
        return (join(&table, key), message);
    }
    (field, format!("TOML syntax: {}", e.message))
}

/// `table.key`, or `key` at the top level; `table` itself when it already ends with the key.
fn join(table: &str, key: &str) -> String {
    if table.rsplit('.').next() == Some(key) {
        table.to_string()
    } else if table == TOP_LEVEL {
        key.to_string()
    } else {
        format!("{table}.{key}")
    }
}

/// The nearest line at or above `line` that opens a list it does not close (`key = [ ...`),
/// with its key: the list a list error is most likely in. The search stops at a line that
/// sets a plain value, which cannot be inside a list.
fn list_opened_above<'t>(lines: &Lines<'t>, line: usize) -> Option<(usize, &'t str)> {
    for l in (1..=line).rev() {
        // Role names and tags hold no `#`, so cutting at the first one drops only comments.
        let text = lines.text_of(l).split('#').next().unwrap_or_default();
        let Some((key, value)) = text.split_once('=') else {
            continue;
        };
        let value = value.trim_start();
        if value.starts_with('[') && value.matches('[').count() > value.matches(']').count() {
            return Some((l, key.trim()));
        }
        if l != line && !value.is_empty() && !key.trim_start().starts_with(['"', '\'']) {
            return None;
        }
    }
    None
}

/// The field of a syntax error outside any table.
const TOP_LEVEL: &str = "(top level)";

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
struct KeyPlaces {
    /// (start of the key, path), for keys.
    keys: Vec<(usize, String)>,
    /// (start of the header, path), for tables opened by a `[table]` or `[[table]]` header.
    headers: Vec<(usize, String)>,
}

impl KeyPlaces {
    fn of(root: &DeTable<'_>) -> Self {
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
    fn field_at(&self, at: usize, lines: &Lines) -> String {
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
    fn a_syntax_error_names_the_key_on_its_line() {
        let text = "[[exemption]]\nrule = USER_INACTIVE\n";
        let Err(problems) = parse(text) else {
            panic!("an unquoted value is a syntax error")
        };
        assert_eq!(problems[0].field, "exemption[1].rule");
        assert_eq!((problems[0].line, problems[0].column), (2, 8));
        assert!(problems[0].message.starts_with("TOML syntax: "));
    }

    #[test]
    fn echoes_of_a_syntax_error_are_not_reported() {
        // The unquoted date is a syntax error; the placeholder the parser recovers with must
        // not also be called a bad date, and the broken line must not make the rest vanish.
        let text = "[thresholds]\ninactive_days = 0\n\n[[exemption]]\nrule = \"USER_INACTIVE\"\n\
                    principal = \"user:a@b.c\"\nreason = \"r\"\nexpires = 2027-13-45\n";
        let Err(problems) = parse(text) else {
            panic!("problems expected")
        };
        let fields: Vec<(&str, usize)> = problems
            .iter()
            .map(|p| (p.field.as_str(), p.line))
            .collect();
        assert_eq!(
            fields,
            [("thresholds.inactive_days", 2), ("exemption[1].expires", 8)]
        );
        assert!(problems[1].message.starts_with("TOML syntax: "));
    }

    #[test]
    fn a_missing_field_is_not_claimed_where_the_parser_lost_text() {
        // `reason` is on a line the parser cannot read; saying it is missing would be wrong.
        let text = "[[exemption]]\nrule = \"USER_INACTIVE\"\nprincipal = \"user:a@b.c\"\n\
                    reason \"r\"\nexpires = 2027-01-01\n";
        let Err(problems) = parse(text) else {
            panic!("problems expected")
        };
        assert!(
            problems.iter().all(|p| !p.message.contains("missing")),
            "{problems:?}"
        );
        assert_eq!(problems[0].line, 4);
    }

    #[test]
    fn nothing_past_a_structural_syntax_error_is_judged() {
        // The unclosed header makes the parser read the next line as part of it: what it
        // recovers there is not what the file says, so no meaning problem may come from it.
        let text = "[severity]\nUSER_INACTIV = \"high\"\n[thresholds\ninactive_days = 5\n";
        let Err(problems) = parse(text) else {
            panic!("problems expected")
        };
        let found: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert_eq!(found, [(2, "severity.USER_INACTIV"), (3, "thresholds")]);
        assert!(
            problems[1].message.contains("unclosed table"),
            "{problems:?}"
        );
    }

    #[test]
    fn an_unquoted_word_does_not_hide_the_problems_after_it() {
        let text = "[[exemption]]\nrule = USER_INACTIVE\nprincipal = \"user:a\"\nreason = \"r\"\n\
                    expires = 2027-01-01\n\n[thresholds]\ninactive_days = 0\n";
        let Err(problems) = parse(text) else {
            panic!("problems expected")
        };
        let found: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert_eq!(
            found,
            [(2, "exemption[1].rule"), (8, "thresholds.inactive_days")]
        );
        assert_eq!(
            problems[0].message,
            "TOML syntax: text values must be quoted; write \"USER_INACTIVE\""
        );
    }

    #[test]
    fn a_key_given_twice_is_named_with_its_table() {
        let text = "[thresholds]\ninactive_days = 90\ninactive_days = 60\n";
        let Err(problems) = parse(text) else {
            panic!("problems expected")
        };
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].line, problems[0].column), (3, 1));
        assert_eq!(problems[0].field, "thresholds.inactive_days");
        assert_eq!(
            problems[0].message,
            "TOML syntax: `inactive_days` is given twice; keep one"
        );
    }

    #[test]
    fn a_list_error_names_the_list_it_is_in() {
        let text = "[projects]\nproduction_tags = [\n  \"env=prod\",\n  \"tier=gold\"\n  \"env=production\",\n]\n";
        let Err(problems) = parse(text) else {
            panic!("a missing comma is a syntax error")
        };
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 5);
        assert_eq!(problems[0].field, "projects.production_tags");
        assert!(
            problems[0].message.contains("the list opened on line 2"),
            "{}",
            problems[0].message
        );
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
