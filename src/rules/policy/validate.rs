//! Policy text to [`Policy`], step two: what the keys and values of the raw TOML mean. Every
//! problem is collected (unknown keys, wrong types, values out of range, bad rule ids, dates and
//! globs) with the byte offset it is at; nothing stops at the first. The keys it knows are in
//! `keys`.

use std::collections::BTreeMap;
use std::ops::Range;

use jiff::civil::Date;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::codes::Code;
use super::keys::{
    EXEMPTION_FIELDS, PRODUCTION_TAGS, ROLE_LISTS, ROOT_TABLES, THRESHOLDS, ThresholdKey, home_of,
    principal_prefixes,
};
use super::span::{Lines, table_region, table_starts};
use super::{Exemption, Policy, Roles, SeveritySetting, TagMatch, Thresholds};
use crate::rules::{RuleId, Severity};

/// One problem found in step two, at a byte offset.
pub(super) struct Found {
    /// Byte offset of the key or value the problem is about.
    pub at: usize,
    /// What kind of problem it is.
    pub code: Code,
    /// The field, as a path (`exemption[2].expires`).
    pub field: String,
    /// What is wrong and what was expected.
    pub message: String,
    /// For something reported missing: the text it was looked for in. When a syntax error lies
    /// there the parser may just have lost it, so the problem is not reported.
    pub looked_in: Option<Range<usize>>,
}

type Value<'i> = Spanned<DeValue<'i>>;

/// Checks the raw document and builds the policy from what is valid in it, with every problem.
pub(super) fn validate(
    root: &DeTable<'_>,
    lines: &Lines<'_>,
    end_of_text: usize,
) -> (Policy, Vec<Found>) {
    let mut check = Checker {
        found: Vec::new(),
        lines,
        table_starts: table_starts(root),
        end_of_text,
    };
    let mut policy = Policy::default();
    for (key, value) in root.iter() {
        match key.get_ref().as_ref() {
            "thresholds" => policy.thresholds = check.thresholds(value),
            "roles" => policy.roles = check.roles(value),
            "projects" => {
                if let Some(tags) = check.projects(value) {
                    policy.production_tags = tags;
                }
            }
            "severity" => policy.severity = check.severity(value),
            "exemption" => policy.exemptions = check.exemptions(value),
            other => {
                let message = unknown_key(other, value, "", ROOT_TABLES);
                check.found(key.span().start, Code::UnknownKey, other, message);
            }
        }
    }
    (policy, check.found)
}

/// The problems found so far, and what is needed to place them.
struct Checker<'l, 't> {
    found: Vec<Found>,
    lines: &'l Lines<'t>,
    table_starts: Vec<usize>,
    end_of_text: usize,
}

impl Checker<'_, '_> {
    fn found(
        &mut self,
        at: usize,
        code: Code,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.found.push(Found {
            at,
            code,
            field: field.into(),
            message: message.into(),
            looked_in: None,
        });
    }

    /// The value as a table, or a problem.
    fn table<'v, 'i>(&mut self, value: &'v Value<'i>, field: &str) -> Option<&'v DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                let message = format!("expected a table, found {}", kind(other));
                self.found(value.span().start, Code::WrongType, field, message);
                None
            }
        }
    }

    /// Reports every key of `table` not in `known`.
    fn unknown_keys(&mut self, table: &DeTable<'_>, table_name: &str, known: &[&str]) {
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            if !known.contains(&name) {
                let message = unknown_key(name, value, table_name, known);
                let field = format!("{table_name}.{name}");
                self.found(key.span().start, Code::UnknownKey, field, message);
            }
        }
    }

    /// The value as a string, or a problem saying `expected`.
    fn string<'v>(&mut self, value: &'v Value<'_>, field: &str, expected: &str) -> Option<&'v str> {
        match value.get_ref() {
            DeValue::String(s) => Some(s.as_ref()),
            other => {
                let message = format!("expected {expected}, found {}", kind(other));
                self.found(value.span().start, Code::WrongType, field, message);
                None
            }
        }
    }

    /// `[thresholds]`: defaults for what is not given or not valid.
    fn thresholds(&mut self, value: &Value<'_>) -> Thresholds {
        let mut thresholds = Thresholds::default();
        let Some(table) = self.table(value, "thresholds") else {
            return thresholds;
        };
        let names: Vec<&str> = THRESHOLDS.iter().map(|k| k.name).collect();
        self.unknown_keys(table, "thresholds", &names);
        // Where each valid given value is, for the min/max check; a bad one is already reported.
        let mut given: BTreeMap<&str, usize> = BTreeMap::new();
        let mut bad = Vec::new();
        for key in THRESHOLDS {
            let Some(value) = table.get(key.name) else {
                continue;
            };
            match self.count(value, key) {
                Some(n) => {
                    (key.set)(&mut thresholds, n);
                    given.insert(key.name, value.span().start);
                }
                None => bad.push(key.name),
            }
        }
        let (min, max) = (thresholds.min_org_owners, thresholds.max_org_owners);
        if min > max && !bad.contains(&"min_org_owners") && !bad.contains(&"max_org_owners") {
            let default = if given.contains_key("max_org_owners") {
                ""
            } else {
                ", the default"
            };
            let (field, at, message) = match given.get("max_org_owners") {
                Some(at) => (
                    "max_org_owners",
                    *at,
                    format!("{max} is below min_org_owners ({min}); expected at least {min}"),
                ),
                None => (
                    "min_org_owners",
                    given
                        .get("min_org_owners")
                        .copied()
                        .unwrap_or(value.span().start),
                    format!(
                        "{min} is above max_org_owners ({max}{default}); lower it or set max_org_owners too"
                    ),
                ),
            };
            let field = format!("thresholds.{field}");
            self.found(at, Code::OwnerBounds, field, message);
        }
        thresholds
    }

    /// A whole number of days or a count within the key's range.
    fn count(&mut self, value: &Value<'_>, key: &ThresholdKey) -> Option<u32> {
        let field = format!("thresholds.{}", key.name);
        let (expected, unit) = if key.days {
            ("an integer number of days", " days")
        } else {
            ("an integer count", "")
        };
        let at = value.span().start;
        match value.get_ref() {
            DeValue::Integer(i) => {
                let n = i128::from_str_radix(i.as_str(), i.radix()).ok();
                match n.and_then(|n| u32::try_from(n).ok()) {
                    Some(n) if (key.min..=key.max).contains(&n) => Some(n),
                    _ => {
                        let message = format!(
                            "{i} is out of range; expected {} to {}{unit}",
                            key.min, key.max
                        );
                        self.found(at, Code::OutOfRange, field, message);
                        None
                    }
                }
            }
            DeValue::String(s) if s.trim().parse::<i64>().is_ok() => {
                let message = format!(
                    "expected {expected}, found a string; write {} without quotes",
                    s.trim()
                );
                self.found(at, Code::WrongType, field, message);
                None
            }
            DeValue::String(s) => {
                let message = format!("expected {expected}, found a string ({s:?})");
                self.found(at, Code::WrongType, field, message);
                None
            }
            DeValue::Float(f) => {
                let message = format!("expected {expected}, found a float ({f})");
                self.found(at, Code::WrongType, field, message);
                None
            }
            other => {
                let message = format!("expected {expected}, found {}", kind(other));
                self.found(at, Code::WrongType, field, message);
                None
            }
        }
    }

    /// `[roles]`: a given list replaces the default list.
    fn roles(&mut self, value: &Value<'_>) -> Roles {
        let mut roles = Roles::default();
        let Some(table) = self.table(value, "roles") else {
            return roles;
        };
        let names: Vec<&str> = ROLE_LISTS.iter().map(|k| k.name).collect();
        self.unknown_keys(table, "roles", &names);
        for list in ROLE_LISTS {
            let Some(value) = table.get(list.name) else {
                continue;
            };
            let field = format!("roles.{}", list.name);
            let example = (list.get)(&Roles::default())
                .first()
                .map_or("…", |r| r.as_str())
                .to_string();
            let expected = format!("a list of names, like [{example:?}]");
            let Some(items) = self.list(value, &field, &expected) else {
                continue;
            };
            let mut names = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let field = format!("{field}[{}]", i + 1);
                let Some(name) = self.string(item, &field, "a role name (a string)") else {
                    continue;
                };
                let at = item.span().start;
                if name.trim().is_empty() {
                    self.found(
                        at,
                        Code::BadRoleName,
                        field,
                        "empty role name; name a role or remove the entry",
                    );
                } else if name.trim() != name {
                    let message = format!("{name:?} has spaces around it; remove them");
                    self.found(at, Code::BadRoleName, field, message);
                } else {
                    names.push(name.to_string());
                }
            }
            (list.set)(&mut roles, names);
        }
        roles
    }

    /// The value as an array, or a problem.
    fn list<'v, 'i>(
        &mut self,
        value: &'v Value<'i>,
        field: &str,
        expected: &str,
    ) -> Option<&'v [Value<'i>]> {
        match value.get_ref() {
            DeValue::Array(items) => Some(&items[..]),
            other => {
                let message = format!("expected {expected}, found {}", kind(other));
                self.found(value.span().start, Code::WrongType, field, message);
                None
            }
        }
    }

    /// The production tags, when `[projects]` gives them.
    fn projects(&mut self, value: &Value<'_>) -> Option<Vec<TagMatch>> {
        let table = self.table(value, "projects")?;
        self.unknown_keys(table, "projects", &[PRODUCTION_TAGS]);
        let value = table.get(PRODUCTION_TAGS)?;
        let field = format!("projects.{PRODUCTION_TAGS}");
        let items = self.list(
            value,
            &field,
            "a list of \"key=value\" tags, like [\"environment=production\"]",
        )?;
        let mut tags = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let field = format!("{field}[{}]", i + 1);
            let Some(text) = self.string(item, &field, "a \"key=value\" tag (a string)") else {
                continue;
            };
            let tag = text
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .filter(|(k, v)| !k.is_empty() && !v.is_empty());
            match tag {
                Some((key, value)) => tags.push(TagMatch {
                    key: key.to_string(),
                    value: value.to_string(),
                }),
                None => {
                    let message = format!(
                        "{text:?} is not a tag; expected key=value with both sides non-empty, like \"environment=production\""
                    );
                    self.found(item.span().start, Code::BadTag, field, message);
                }
            }
        }
        Some(tags)
    }

    /// `[severity]`: rule id to severity or `off` (accepted in any case, like severities).
    fn severity(&mut self, value: &Value<'_>) -> BTreeMap<RuleId, SeveritySetting> {
        let mut settings = BTreeMap::new();
        let Some(table) = self.table(value, "severity") else {
            return settings;
        };
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            let field = format!("severity.{name}");
            let rule = match name.parse::<RuleId>() {
                Ok(rule) => Some(rule),
                Err(message) => {
                    self.found(key.span().start, Code::UnknownRule, &field, message);
                    None
                }
            };
            let expected = "a severity in quotes (\"critical\", \"high\", \"medium\", \"low\", \"info\" or \"off\")";
            let Some(text) = self.string(value, &field, expected) else {
                continue;
            };
            let setting = if text.trim().eq_ignore_ascii_case("off") {
                Some(SeveritySetting::Off)
            } else {
                text.parse::<Severity>().ok().map(SeveritySetting::Level)
            };
            match (rule, setting) {
                (Some(rule), Some(setting)) => {
                    settings.insert(rule, setting);
                }
                (_, None) => {
                    let message = format!(
                        "{text:?} is not a severity; expected critical, high, medium, low, info or off"
                    );
                    self.found(value.span().start, Code::UnknownSeverity, field, message);
                }
                (None, Some(_)) => {}
            }
        }
        settings
    }

    /// `[[exemption]]` tables (or an inline list of tables).
    fn exemptions(&mut self, value: &Value<'_>) -> Vec<Exemption> {
        let items = match value.get_ref() {
            DeValue::Array(items) => &items[..],
            other => {
                let message = format!(
                    "expected [[exemption]] with double brackets (a list of tables), found {}",
                    match other {
                        DeValue::Table(_) => "a single table",
                        other => kind(other),
                    }
                );
                self.found(value.span().start, Code::WrongType, "exemption", message);
                return Vec::new();
            }
        };
        let mut exemptions = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let field = format!("exemption[{}]", i + 1);
            let DeValue::Table(table) = item.get_ref() else {
                let message = format!(
                    "expected an exemption table, found {}",
                    kind(item.get_ref())
                );
                self.found(item.span().start, Code::WrongType, field, message);
                continue;
            };
            if let Some(e) = self.exemption(table, item.span().start, &field) {
                exemptions.push(e);
            }
        }
        exemptions
    }

    /// One exemption, opened at byte `header`; `None` when any part of it is wrong.
    fn exemption(&mut self, table: &DeTable<'_>, header: usize, prefix: &str) -> Option<Exemption> {
        let problems_before = self.found.len();
        let names: Vec<&str> = EXEMPTION_FIELDS.iter().map(|f| f.name).collect();
        self.unknown_keys(table, prefix, &names);
        for f in EXEMPTION_FIELDS.iter().filter(|f| f.required) {
            if table.get(f.name).is_none() {
                let region = table_region(&self.table_starts, header, self.end_of_text);
                self.found.push(Found {
                    at: header,
                    code: Code::MissingField,
                    field: format!("{prefix}.{}", f.name),
                    message: format!(
                        "missing `{}`; every exemption needs rule, principal, reason and expires",
                        f.name
                    ),
                    looked_in: Some(region),
                });
            }
        }
        let field = |name: &str| format!("{prefix}.{name}");

        let rule = table.get("rule").and_then(|v| {
            let text = self.string(v, &field("rule"), "a rule id in quotes")?;
            text.parse::<RuleId>()
                .map_err(|message| {
                    self.found(v.span().start, Code::UnknownRule, field("rule"), message)
                })
                .ok()
        });
        let principal = table.get("principal").and_then(|v| {
            let text = self.string(v, &field("principal"), "a principal key or glob in quotes")?;
            self.principal(text, v.span().start, &field("principal"))
        });
        let scope = table.get("scope").and_then(|v| {
            let text = self.string(v, &field("scope"), "org:<id> or project:<id> in quotes")?;
            self.scope(text, v.span().start, &field("scope"))
        });
        let reason = table
            .get("reason")
            .and_then(|v| self.non_empty(v, &field("reason"), "why the access is accepted"));
        let owner = table
            .get("owner")
            .and_then(|v| self.non_empty(v, &field("owner"), "who owns the decision"));
        let ticket = table
            .get("ticket")
            .and_then(|v| self.non_empty(v, &field("ticket"), "the ticket that records it"));
        let expires = table
            .get("expires")
            .and_then(|v| self.date(v, &field("expires")));

        if self.found.len() > problems_before {
            return None;
        }
        Some(Exemption {
            rule: rule?,
            principal: principal?,
            scope,
            reason: reason?,
            owner,
            ticket,
            expires: expires?,
            line: Some(self.lines.line(header)),
        })
    }

    /// A non-empty string: `what` says what it should hold.
    fn non_empty(&mut self, value: &Value<'_>, field: &str, what: &str) -> Option<String> {
        let text = self.string(value, field, &format!("{what}, in quotes"))?;
        if text.trim().is_empty() {
            let message = format!("empty; say {what}, or remove the line");
            self.found(value.span().start, Code::EmptyText, field, message);
            return None;
        }
        Some(text.to_string())
    }

    /// A principal key or glob: a known key prefix or `*` first, then a valid glob.
    fn principal(&mut self, text: &str, at: usize, field: &str) -> Option<String> {
        let known = principal_prefixes().any(|p| text.starts_with(p)) || text.starts_with('*');
        if !known {
            let prefixes: Vec<&str> = principal_prefixes().collect();
            let (last, rest) = prefixes.split_last().expect("key forms are listed");
            let mut message = format!(
                "{text:?} is not a principal key; expected a key starting with {} or {last}, or a glob starting with *",
                rest.join(", ")
            );
            // An email address alone is the commonest slip: it names a person.
            if text.contains('@') && !text.contains(':') {
                message.push_str(&format!("; did you mean \"user:{text}\"?"));
            }
            self.found(at, Code::BadPrincipal, field, message);
            return None;
        }
        self.glob(text, at, field)
    }

    /// An org or project key, or a glob over them.
    fn scope(&mut self, text: &str, at: usize, field: &str) -> Option<String> {
        let known = ["org:", "project:", "*"]
            .iter()
            .any(|p| text.starts_with(p));
        if !known {
            let message = format!(
                "{text:?} is not a scope; expected org:<id> or project:<id> (a glob may start with *)"
            );
            self.found(at, Code::BadScope, field, message);
            return None;
        }
        self.glob(text, at, field)
    }

    /// The pattern, when the exemption matcher can compile it.
    fn glob(&mut self, text: &str, at: usize, field: &str) -> Option<String> {
        match crate::rules::exemptions::key_glob(text) {
            Ok(_) => Some(text.to_string()),
            Err(e) => {
                let message = format!("{text:?} is not a valid glob: {}", e.kind());
                self.found(at, Code::BadGlob, field, message);
                None
            }
        }
    }

    /// A calendar date without a time, bare (TOML local date) or quoted.
    fn date(&mut self, value: &Value<'_>, field: &str) -> Option<Date> {
        let at = value.span().start;
        let result = match value.get_ref() {
            DeValue::Datetime(dt) => match (dt.date, dt.time) {
                (Some(d), None) => Date::new(d.year as i16, d.month as i8, d.day as i8)
                    .map_err(|_| format!("{dt} is not a calendar date; expected YYYY-MM-DD")),
                (Some(d), Some(_)) => Err(format!(
                    "give a date without a time: found {dt}; expected YYYY-MM-DD, like {d}"
                )),
                (None, _) => Err(format!("expected a date YYYY-MM-DD, found a time ({dt})")),
            },
            DeValue::String(s) => date_text(s),
            other => Err(format!("expected a date YYYY-MM-DD, found {}", kind(other))),
        };
        result
            .map_err(|message| self.found(at, Code::BadDate, field, message))
            .ok()
    }
}

/// A quoted date: `YYYY-MM-DD` exactly (spaces around it allowed), no time part.
fn date_text(s: &str) -> Result<Date, String> {
    let t = s.trim();
    let shaped = |d: &str| {
        d.len() == 10
            && d.char_indices().all(|(i, c)| match i {
                4 | 7 => c == '-',
                _ => c.is_ascii_digit(),
            })
    };
    let (day, rest) = match t.get(..10) {
        Some(day) if shaped(day) => (day, &t[10..]),
        _ => return Err(format!("expected a date YYYY-MM-DD, found {s:?}")),
    };
    if rest.starts_with(['T', 't', ' ']) {
        return Err(format!(
            "give a date without a time: found {s:?}; expected YYYY-MM-DD, like \"{day}\""
        ));
    }
    if !rest.is_empty() {
        return Err(format!("expected a date YYYY-MM-DD, found {s:?}"));
    }
    day.parse::<Date>()
        .map_err(|_| format!("{s:?} is not a calendar date; expected YYYY-MM-DD"))
}

/// The message for a key not in `known`: the nearest known key when one is close, else where
/// the key belongs when it is another table's, else the accepted keys.
fn unknown_key(name: &str, value: &Value<'_>, table: &str, known: &[&str]) -> String {
    let what = if table.is_empty() && matches!(value.get_ref(), DeValue::Table(_)) {
        "table"
    } else {
        "key"
    };
    let place = if table.is_empty() && what == "key" {
        " at the top level"
    } else {
        ""
    };
    if let Some(near) = nearest(name, known) {
        return format!("unknown {what} `{name}`{place}; did you mean `{near}`?");
    }
    if let Some(home) = home_of(name).filter(|home| !home.contains(&format!("[{table}]"))) {
        return format!("unknown {what} `{name}`{place}; it belongs in {home}");
    }
    let list = known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("unknown {what} `{name}`{place}; expected one of {list}")
}

/// The known key closest to `name` by edit distance (ignoring case), when it is close.
fn nearest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let wanted = name.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (strsim::levenshtein(&wanted, &k.to_ascii_lowercase()), *k))
        .min()
        .filter(|(d, k)| *d <= (k.len() / 3).clamp(1, 3))
        .map(|(_, k)| k)
}

/// What kind of TOML value this is, for "found ..." in messages.
fn kind(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(dt) => match (dt.date, dt.time) {
            (Some(_), Some(_)) => "a date-time",
            (Some(_), None) => "a date",
            _ => "a time",
        },
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}
