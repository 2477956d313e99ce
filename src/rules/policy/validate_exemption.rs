//! Policy validation of `[[exemption]]` entries: each field checked (rule id, principal key or
//! glob, scope, the texts, the expiry date), every problem reported, and an exemption kept only
//! when all of it is valid.

use jiff::civil::Date;
use toml::de::{DeTable, DeValue};

use super::super::Exemption;
use super::super::codes::Code;
use super::super::keys::{EXEMPTION_FIELDS, principal_prefixes};
use super::super::span::table_region;
use super::{Checker, Found, Value, kind};
use crate::rules::RuleId;

impl Checker<'_, '_> {
    /// `[[exemption]]` tables (or an inline list of tables).
    pub(super) fn exemptions(&mut self, value: &Value<'_>) -> Vec<Exemption> {
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
