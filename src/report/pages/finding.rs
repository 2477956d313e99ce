//! Findings as the pages show them: each with its facts and exemption, the findings of each
//! rule, the most severe open ones, and the principals that need action.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use super::list::{Budget, List};
use super::view::{Limits, label, moment};
use crate::report::{ActivityCells, Review, RuleCount};
use crate::rules::{ExemptionNote, Finding, RuleId, Severity, Status, SubjectKind};

/// A rule with findings: what it checks, its counts by severity and the findings shown.
#[derive(Debug, Serialize)]
pub(super) struct RuleView {
    /// Its counts over every severity, under the highest severity among its findings (the
    /// section's place on the page).
    #[serde(flatten)]
    counts: RuleRowView,
    /// Its findings by severity, most severe first: a rule whose severity depends on the
    /// principal is counted under each severity it gave.
    by_severity: Vec<RuleRowView>,
    why: &'static str,
    findings: List<FindingView>,
}

/// One rule's findings of one severity: a row of the pages' findings-by-rule tables.
#[derive(Debug, Serialize)]
pub(super) struct RuleRowView {
    rule: &'static str,
    severity: &'static str,
    label: &'static str,
    open: usize,
    exempted: usize,
    total: usize,
    checks: &'static str,
}

#[derive(Debug, Serialize)]
pub(super) struct FindingView {
    id: String,
    rule: &'static str,
    severity: &'static str,
    label: &'static str,
    status: &'static str,
    principal: SubjectView,
    org: String,
    project: Option<String>,
    title: String,
    summary: String,
    /// `name: value` lines.
    facts: List<String>,
    action: &'static str,
    to: Option<String>,
    recommendation: String,
    exemption: Option<ExemptionView>,
}

#[derive(Debug, Serialize)]
struct SubjectView {
    name: String,
    key: String,
    kind: &'static str,
}

#[derive(Debug, Serialize)]
struct ExemptionView {
    reason: String,
    owner: Option<String>,
    ticket: Option<String>,
    expires: String,
    expired: bool,
    policy_line: Option<usize>,
}

#[derive(Debug, Serialize)]
pub(super) struct PrincipalView {
    name: String,
    key: String,
    kind: &'static str,
    /// The worst severity among its open findings.
    severity: &'static str,
    label: &'static str,
    /// Its open critical and high findings.
    findings: usize,
    rules: Vec<&'static str>,
    /// `Revoke`, or `Modify to <lesser role>`, one per distinct recommendation.
    actions: Vec<String>,
    /// Last activity: `2027-01-13 10:20 UTC`, `never` or `no information`.
    last_activity: String,
    /// How long ago: `2 days ago`, `today`, `created 300 days ago`.
    inactive: Option<String>,
    days_inactive: Option<i64>,
}

/// A fact's value as text: strings bare, `none` for null or empty lists, objects as `key: value`.
pub(super) fn value_text(v: &Value, nested: bool) -> String {
    let enclose = |inner: String, open: char, close: char| {
        if nested {
            format!("{open}{inner}{close}")
        } else {
            inner
        }
    };
    match v {
        Value::Null => "none".into(),
        Value::String(s) if s.is_empty() => "\"\"".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "none".into(),
        Value::Array(a) => enclose(
            a.iter()
                .map(|x| value_text(x, true))
                .collect::<Vec<_>>()
                .join(", "),
            '[',
            ']',
        ),
        Value::Object(o) => enclose(
            o.iter()
                .map(|(k, x)| format!("{k}: {}", value_text(x, true)))
                .collect::<Vec<_>>()
                .join(", "),
            '(',
            ')',
        ),
        other => other.to_string(),
    }
}

/// Last activity in words, and how long ago: `2027-01-13 10:20 UTC`, `2 days ago`; `never`,
/// `created 300 days ago`; `no information`.
fn activity_words(a: &ActivityCells) -> (String, Option<String>) {
    let ago = |days: i64| match days {
        0 => "today".to_string(),
        1 => "1 day ago".to_string(),
        n => format!("{n} days ago"),
    };
    match (a.at, a.days_inactive) {
        (Some(at), days) => (moment(at), days.map(ago)),
        (None, Some(days)) => (
            a.sentinel.replace('_', " "),
            Some(format!("created {}", ago(days))),
        ),
        (None, None) => (a.sentinel.replace('_', " "), None),
    }
}

/// One row per rule and severity, most severe first (as [`Review::rule_counts`]).
pub(super) fn rule_rows(r: &Review<'_>) -> Vec<RuleRowView> {
    r.rule_counts().into_iter().map(rule_row).collect()
}

fn rule_row(c: RuleCount) -> RuleRowView {
    RuleRowView {
        rule: c.rule.as_str(),
        severity: c.severity.as_str(),
        label: label(c.severity),
        open: c.open,
        exempted: c.exempted,
        total: c.open + c.exempted,
        checks: c.rule.checks(),
    }
}

/// One section per rule, the rule of the most severe findings first, each with its counts by
/// severity and its findings.
pub(super) fn rules(r: &Review<'_>, l: Limits) -> Vec<RuleView> {
    let mut by_rule: BTreeMap<RuleId, Vec<&Finding>> = BTreeMap::new();
    for f in &r.findings.findings {
        by_rule.entry(f.rule).or_default().push(f);
    }
    // `rule_counts` is sorted by severity first: a rule's first row is its highest severity.
    let mut sections: Vec<(RuleId, Severity, Vec<RuleCount>)> = Vec::new();
    for c in r.rule_counts() {
        match sections.iter_mut().find(|(rule, _, _)| *rule == c.rule) {
            Some((_, _, counts)) => counts.push(c),
            None => sections.push((c.rule, c.severity, vec![c])),
        }
    }
    let budget = Budget::new(l.rule_bytes);
    sections
        .into_iter()
        .map(|(rule, severity, counts)| {
            let all = RuleCount {
                rule,
                severity,
                open: counts.iter().map(|c| c.open).sum(),
                exempted: counts.iter().map(|c| c.exempted).sum(),
            };
            RuleView {
                counts: rule_row(all),
                by_severity: counts.into_iter().map(rule_row).collect(),
                why: rule.why(),
                findings: List::take(
                    by_rule.get(&rule).map_or(&[][..], Vec::as_slice),
                    l.per_rule,
                    &budget,
                    |f| finding(r, f, l),
                ),
            }
        })
        .collect()
}

pub(super) fn top(r: &Review<'_>, l: Limits) -> List<FindingView> {
    let open: Vec<&Finding> = r
        .findings
        .findings
        .iter()
        .filter(|f| f.status == Status::Open)
        .collect();
    List::take(&open, l.top, &Budget::unlimited(), |f| finding(r, f, l))
}

pub(super) fn finding(r: &Review<'_>, f: &Finding, l: Limits) -> FindingView {
    let rec = &f.recommendation;
    FindingView {
        id: f.id.clone(),
        rule: f.rule.as_str(),
        severity: f.severity.as_str(),
        label: label(f.severity),
        status: f.status.as_str(),
        principal: SubjectView {
            name: l.name(&f.principal.name),
            key: l.name(&f.principal.key),
            kind: f.principal.kind.as_str(),
        },
        org: l.org(r, &f.scope),
        project: l.project(r, &f.scope),
        title: l.text(&f.title),
        summary: l.text(&f.evidence.summary),
        facts: List::take(&f.evidence.facts, l.facts, &Budget::unlimited(), |fact| {
            l.text(&format!(
                "{}: {}",
                fact.name,
                value_text(&fact.value, false)
            ))
        }),
        action: rec.action.as_str(),
        to: rec.to.as_deref().map(|t| l.text(t)),
        recommendation: l.text(&rec.text),
        exemption: f.exemption.as_ref().map(|e| exemption(e, l)),
    }
}

fn exemption(e: &ExemptionNote, l: Limits) -> ExemptionView {
    ExemptionView {
        reason: l.text(&e.reason),
        owner: e.owner.as_deref().map(|o| l.name(o)),
        ticket: e.ticket.as_deref().map(|t| l.name(t)),
        expires: e.expires.to_string(),
        expired: e.expired,
        policy_line: e.policy_line,
    }
}

/// A principal with open critical or high findings, gathered over all its findings.
pub(super) struct Needing<'a> {
    first: &'a Finding,
    worst: Severity,
    findings: usize,
    rules: BTreeSet<RuleId>,
    actions: BTreeSet<(crate::rules::Action, Option<&'a str>)>,
}

impl Needing<'_> {
    pub(super) fn view(&self, r: &Review<'_>, l: Limits) -> PrincipalView {
        let subject = &self.first.principal;
        let activity = r.principal(&subject.key).map(|p| r.activity(p));
        let (last_activity, inactive) = activity
            .as_ref()
            .map_or_else(|| ("no information".to_string(), None), activity_words);
        PrincipalView {
            name: l.name(&subject.name),
            key: l.name(&subject.key),
            kind: subject.kind.as_str(),
            severity: self.worst.as_str(),
            label: label(self.worst),
            findings: self.findings,
            rules: self.rules.iter().map(|r| r.as_str()).collect(),
            actions: self
                .actions
                .iter()
                .map(|(action, to)| match to {
                    Some(to) => format!("{} to {}", action.as_str(), l.text(to)),
                    None => action.as_str().to_string(),
                })
                .collect(),
            last_activity,
            inactive,
            days_inactive: activity.and_then(|a| a.days_inactive),
        }
    }
}

/// Principals with open critical or high findings, worst first, then by key.
pub(super) fn principals_needing_action<'a>(r: &Review<'a>) -> Vec<Needing<'a>> {
    let mut by_key: BTreeMap<&str, Needing<'a>> = BTreeMap::new();
    let needing = r.findings.findings.iter().filter(|f| {
        f.status == Status::Open
            && f.severity.at_least(Severity::High)
            && !matches!(f.principal.kind, SubjectKind::Org | SubjectKind::Project)
    });
    for f in needing {
        let n = by_key.entry(&f.principal.key).or_insert_with(|| Needing {
            first: f,
            worst: f.severity,
            findings: 0,
            rules: BTreeSet::new(),
            actions: BTreeSet::new(),
        });
        n.worst = n.worst.min(f.severity);
        n.findings += 1;
        n.rules.insert(f.rule);
        n.actions
            .insert((f.recommendation.action, f.recommendation.to.as_deref()));
    }
    let mut out: Vec<Needing<'a>> = by_key.into_values().collect();
    out.sort_by(|a, b| (a.worst, &a.first.principal.key).cmp(&(b.worst, &b.first.principal.key)));
    out
}
