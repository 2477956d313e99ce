//! Policy text to [`Policy`], step two: what the keys and values of the raw TOML mean. Every
//! problem is collected (unknown keys, wrong types, values out of range, bad rule ids, dates and
//! globs) with the byte offset it is at; nothing stops at the first. The keys it knows are in
//! `keys`; the exemptions are checked in `validate_exemption.rs`.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::codes::Code;
use super::keys::{
    COMPANY_DOMAINS, DECISIONS, PRODUCTION_TAGS, REQUIRE_COMMENT, ROLE_LISTS, ROOT_TABLES,
    SSO_REQUIRED_ORGS, THRESHOLDS, ThresholdKey, home_of,
};
use super::span::{Lines, table_starts};
use super::{FederationPolicy, Policy, ReviewRules, Roles, SeveritySetting, TagMatch, Thresholds};
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

#[path = "validate_exemption.rs"]
mod exemption;

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
            "review" => policy.review = check.review(value),
            "federation" => policy.federation = check.federation(value),
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

    /// `[review]`: `require_comment`, a list of decisions, replaces the default list.
    fn review(&mut self, value: &Value<'_>) -> ReviewRules {
        let mut review = ReviewRules::default();
        let Some(table) = self.table(value, "review") else {
            return review;
        };
        self.unknown_keys(table, "review", &[REQUIRE_COMMENT]);
        let Some(value) = table.get(REQUIRE_COMMENT) else {
            return review;
        };
        let field = format!("review.{REQUIRE_COMMENT}");
        let Some(items) = self.list(
            value,
            &field,
            "a list of decisions, like [\"Revoke\", \"Modify\"]",
        ) else {
            return review;
        };
        let mut decisions = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let field = format!("{field}[{}]", i + 1);
            let Some(name) = self.string(item, &field, "a decision (a string)") else {
                continue;
            };
            match DECISIONS
                .iter()
                .find(|d| d.eq_ignore_ascii_case(name.trim()))
            {
                Some(d) if !decisions.iter().any(|x: &String| x == d) => {
                    decisions.push(d.to_string())
                }
                Some(_) => {}
                None => {
                    let message = format!(
                        "{name:?} is not a decision; expected one of {}",
                        DECISIONS.join(", ")
                    );
                    self.found(item.span().start, Code::UnknownDecision, field, message);
                }
            }
        }
        review.require_comment = decisions;
        review
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

    /// `[federation]`: the company's domains and the orgs that must use single sign-on, each a
    /// list of bare names (lowercased domains; org ids or `*`).
    fn federation(&mut self, value: &Value<'_>) -> FederationPolicy {
        let mut federation = FederationPolicy::default();
        let Some(table) = self.table(value, "federation") else {
            return federation;
        };
        self.unknown_keys(table, "federation", &[COMPANY_DOMAINS, SSO_REQUIRED_ORGS]);
        for (name, example) in [
            (COMPANY_DOMAINS, "\"example.com\""),
            (SSO_REQUIRED_ORGS, "\"*\""),
        ] {
            let Some(value) = table.get(name) else {
                continue;
            };
            let field = format!("federation.{name}");
            let expected = format!("a list of names, like [{example}]");
            let Some(items) = self.list(value, &field, &expected) else {
                continue;
            };
            let mut names = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let field = format!("{field}[{}]", i + 1);
                let Some(text) = self.string(item, &field, "a name (a string)") else {
                    continue;
                };
                let bare = !text.is_empty()
                    && !text.contains(['@', '/', ':'])
                    && !text.chars().any(char::is_whitespace);
                if bare {
                    names.push(if name == COMPANY_DOMAINS {
                        text.trim_start_matches('.').to_ascii_lowercase()
                    } else {
                        text.to_string()
                    });
                } else {
                    let message = format!(
                        "{text:?} is not a bare name; write a domain as example.com (no @, scheme or spaces) and an org by its id"
                    );
                    self.found(item.span().start, Code::BadDomain, field, message);
                }
            }
            if name == COMPANY_DOMAINS {
                federation.company_domains = names;
            } else {
                federation.sso_required_orgs = names;
            }
        }
        federation
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

#[cfg(test)]
mod review_tests {
    use std::path::Path;

    use crate::rules::Policy;

    #[test]
    fn federation_lists_domains_and_orgs_and_refuses_addresses() {
        let policy = Policy::parse(
            "[federation]\ncompany_domains = [\"Northwind.example\"]\nsso_required_orgs = [\"*\"]\n",
            Path::new("p.toml"),
        )
        .unwrap();
        assert_eq!(policy.federation.company_domains, ["northwind.example"]);
        assert!(policy.federation.requires_sso("any-org"));
        assert!(!Policy::default().federation.requires_sso("any-org"));
        let bad = Policy::parse(
            "[federation]\ncompany_domains = [\"a@b.example\"]\ndomains = 1\n",
            Path::new("p.toml"),
        )
        .unwrap_err();
        let bad = crate::model::with_causes(&bad);
        assert!(
            bad.contains("[P020] federation.company_domains[1]"),
            "{bad}"
        );
        assert!(
            bad.contains("federation.domains"),
            "the unknown key too: {bad}"
        );
    }

    #[test]
    fn review_require_comment_is_a_list_of_decisions() {
        let policy = Policy::parse(
            "[review]\nrequire_comment = [\"revoke\"]\n",
            Path::new("p.toml"),
        )
        .unwrap();
        assert_eq!(policy.review.require_comment, ["Revoke"]);
        let none = Policy::parse("[review]\nrequire_comment = []\n", Path::new("p.toml")).unwrap();
        assert!(none.review.require_comment.is_empty());
        assert_eq!(
            Policy::default().review.require_comment,
            ["Revoke", "Modify"]
        );
        let bad = Policy::parse(
            "[review]\nrequire_comment = [\"Delete\"]\nrequire = 1\n",
            Path::new("p.toml"),
        )
        .unwrap_err();
        let bad = crate::model::with_causes(&bad);
        assert!(bad.contains("[P019] review.require_comment[1]"), "{bad}");
        assert!(bad.contains("\"Delete\" is not a decision"), "{bad}");
        assert!(bad.contains("review.require"), "the unknown key too: {bad}");
    }
}
