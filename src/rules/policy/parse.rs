//! Policy text to [`Policy`], step one: the raw TOML, parsed with recovery so that every syntax
//! error is found, with byte spans turned into 1-based lines and columns. Step two, checking what
//! the keys and values mean, is `validate`; this file merges both steps' problems.

use toml::de::DeTable;

use super::codes::Code;
use super::span::{KeyPlaces, Lines, TOP_LEVEL};
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
            let (code, field, message) = explain(e, &places, &lines);
            Problem {
                line,
                column,
                code,
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
                    code: f.code,
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
fn explain(e: &SyntaxError, places: &KeyPlaces, lines: &Lines) -> (Code, String, String) {
    let field = places.field_at(e.at, lines);
    let found = e.found.as_str();
    if e.message.starts_with("string values must be quoted") && !found.is_empty() {
        let message = format!("TOML syntax: text values must be quoted; write \"{found}\"");
        return (Code::Unquoted, field, message);
    }
    if e.message.starts_with("duplicate key") && !found.is_empty() {
        let key = found.trim_matches(['"', '\'']);
        let field = join(&field, key);
        let message = format!("TOML syntax: `{key}` is given twice; keep one");
        return (Code::DuplicateKey, field, message);
    }
    let in_list = [
        "missing comma between array elements",
        "unexpected `=` in array",
        "unclosed array",
    ];
    if in_list.iter().any(|m| e.message.starts_with(m))
        && let Some((line, key)) = list_opened_above(lines, lines.line(e.at))
    {
        let table = places.field_at(lines.start(line), lines);
        let message = format!(
            "TOML syntax: {}; if the list opened on line {line} ends before this, close it with `]`",
            e.message
        );
        return (Code::OpenList, join(&table, key), message);
    }
    (Code::Syntax, field, format!("TOML syntax: {}", e.message))
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
