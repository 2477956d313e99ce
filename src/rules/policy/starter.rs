//! The commented starter policy that `atlas-audit init` writes. It is generated from the
//! defaults ([`Policy::default`]), the key lists the validator checks against, and the rule
//! catalogue, so it always shows exactly what an empty policy means.

use std::fmt::Write as _;

use super::keys::{
    COMPANY_DOMAINS, EXEMPTION_FIELDS, PRINCIPAL_KEY_FORMS, PRODUCTION_TAGS, REQUIRE_COMMENT,
    ROLE_LISTS, SSO_REQUIRED_ORGS, THRESHOLDS,
};
use super::{Policy, RuleId};

/// Lists longer than this on one line are written one item per line.
const MAX_LINE: usize = 100;

/// The starter policy text: every key with its default, commented.
pub fn starter() -> String {
    let defaults = Policy::default();
    let mut s = String::new();
    s.push_str(
        "# atlas-audit policy file (atlas-audit.toml)\n\
         #\n\
         # Tunes what atlas-audit flags: ages and counts, which roles count as privileged, which\n\
         # projects are production, each rule's severity, and accepted findings (exemptions).\n\
         # Every value shown is the default. Every key is optional: delete a line to keep its\n\
         # default, edit it to override. An empty file means the defaults.\n",
    );

    s.push_str("\n[thresholds]\n");
    for key in THRESHOLDS {
        let unit = if key.days { " days" } else { "" };
        let _ = writeln!(s, "# {} ({} to {}{unit}).", key.help, key.min, key.max);
        let _ = writeln!(s, "{} = {}", key.name, (key.get)(&defaults.thresholds));
    }

    s.push_str(
        "\n[roles]\n\
         # Roles are an open set: any name is accepted, and a role atlas-audit does not know is\n\
         # reported as not evaluated, never dropped.\n",
    );
    for list in ROLE_LISTS {
        let _ = writeln!(s, "# {}.", list.help);
        s.push_str(&list_line(list.name, (list.get)(&defaults.roles)));
    }

    s.push_str("\n[projects]\n");
    s.push_str(
        "# Project tags (key=value, compared without regard to case) that mark a project as\n\
         # production, for DBUSER_PASSWORD_AUTH_PROD.\n",
    );
    let tags: Vec<String> = defaults
        .production_tags
        .iter()
        .map(|t| t.to_string())
        .collect();
    s.push_str(&list_line(PRODUCTION_TAGS, &tags));

    s.push_str(
        "\n[review]\n\
         # Decisions (Keep, Revoke, Modify) that `atlas-audit decisions` refuses without a comment.\n",
    );
    s.push_str(&list_line(
        REQUIRE_COMMENT,
        &defaults.review.require_comment,
    ));

    s.push_str(
        "\n[federation]\n\
         # For USER_NOT_FEDERATED: the company's email domains, added to those the identity\n\
         # providers list (a person whose username is in none is flagged), and the orgs (ids, or\n\
         # \"*\" for all) whose members must sign in through the identity provider even where\n\
         # Atlas shows no active one.\n",
    );
    s.push_str(&list_line(
        COMPANY_DOMAINS,
        &defaults.federation.company_domains,
    ));
    s.push_str(&list_line(
        SSO_REQUIRED_ORGS,
        &defaults.federation.sso_required_orgs,
    ));

    s.push_str(
        "\n[severity]\n\
         # Give a rule another severity (critical, high, medium, low, info), or switch it \"off\".\n\
         # Every rule is listed with its default severity; remove the leading \"# \" to change one.\n",
    );
    let settings: Vec<String> = RuleId::ALL
        .iter()
        .map(|r| format!("# {} = \"{}\"", r.as_str(), r.default_severity()))
        .collect();
    let width = settings.iter().map(String::len).max().unwrap_or(0);
    for (setting, rule) in settings.iter().zip(RuleId::ALL) {
        let _ = writeln!(s, "{setting:width$}   # {}", first_sentence(rule.checks()));
    }

    s.push_str(
        "\n# Exemptions accept a finding: it stays in every report, marked exempted with its reason,\n\
         # until the day after `expires`; then it is open again and the report says the exemption\n\
         # expired. An exemption that matches nothing is reported too. Copy the block below once per\n\
         # exemption and remove the leading \"# \".\n",
    );
    s.push_str("# Principal keys (the key column of principals.csv in a report):\n");
    for form in PRINCIPAL_KEY_FORMS {
        let _ = writeln!(s, "#   {form}");
    }
    s.push_str("#\n# [[exemption]]\n");
    let fields: Vec<String> = EXEMPTION_FIELDS
        .iter()
        .map(|f| format!("# {} = {}", f.name, f.example))
        .collect();
    let width = fields.iter().map(String::len).max().unwrap_or(0);
    for (line, f) in fields.iter().zip(EXEMPTION_FIELDS) {
        let need = if f.required { "required" } else { "optional" };
        let _ = writeln!(s, "{line:width$}   # {need}: {}", f.help);
    }
    s
}

/// `name = [ ... ]`, on one line when it fits, else one item per line.
fn list_line(name: &str, items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| quote(i)).collect();
    let one_line = format!("{name} = [{}]\n", quoted.join(", "));
    if one_line.len() <= MAX_LINE {
        return one_line;
    }
    let mut s = format!("{name} = [\n");
    for q in &quoted {
        let _ = writeln!(s, "    {q},");
    }
    s.push_str("]\n");
    s
}

/// A TOML string literal.
fn quote(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// The text up to and including the first full stop that ends a sentence.
fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(i) => &text[..=i],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_go_one_item_per_line() {
        let short = list_line("k", &["a".into(), "b".into()]);
        assert_eq!(short, "k = [\"a\", \"b\"]\n");
        let long: Vec<String> = (0..20).map(|i| format!("ROLE_NUMBER_{i}")).collect();
        let text = list_line("k", &long);
        assert!(
            text.starts_with("k = [\n    \"ROLE_NUMBER_0\",\n"),
            "{text}"
        );
        assert!(text.ends_with("    \"ROLE_NUMBER_19\",\n]\n"), "{text}");
    }

    #[test]
    fn the_first_sentence_stops_at_the_first_full_stop() {
        assert_eq!(first_sentence("One thing. Another."), "One thing.");
        assert_eq!(
            first_sentence("Only one (a, b, ...) here."),
            "Only one (a, b, ...) here."
        );
    }

    #[test]
    fn every_rule_is_listed_with_its_default_severity() {
        let text = starter();
        for rule in RuleId::ALL {
            let line = format!("# {} = \"{}\"", rule.as_str(), rule.default_severity());
            assert!(text.contains(&line), "{line} missing");
        }
    }
}
