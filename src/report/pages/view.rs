//! The page view: what the templates see, a serialisable reading of the [`Review`] (names for
//! ids, counts, the findings shown), never the snapshot itself, with every Atlas text shortened
//! to the page's [`Limits`] and every character that hides or reorders text made visible.

use serde::Serialize;

use super::email::EMAIL_BUDGET;
use super::finding::{
    FindingView, PrincipalView, RuleRowView, RuleView, principals_needing_action, rule_rows, rules,
    top,
};
use super::list::{Budget, List};
use crate::report::cell::push_visible;
use crate::report::{Baseline, Names, Review, change_line};
use crate::rules::{FindingScope, Severity, SubjectKind};

/// Appended to text the email shortens.
pub const SHORTENED: &str = "… [shortened; full text in findings.csv]";

/// The files a page points to for what it does not show.
const FILES: Files = Files {
    workbook: "access-review.xlsx",
    findings_csv: "findings.csv",
    findings_json: "findings.json",
    report: "report.html",
    manifest: "manifest.json",
};

/// How much of the review a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Limits {
    /// Findings shown under each rule.
    pub(super) per_rule: usize,
    /// The most severe open findings, listed on their own.
    pub(super) top: usize,
    /// Rows of every other list (principals, gaps, not evaluated, warnings, orgs).
    pub(super) list: usize,
    /// Facts shown per finding.
    pub(super) facts: usize,
    /// Characters of a name, key or short value; `None` keeps all.
    pub(super) name: Option<usize>,
    /// Characters of a sentence; `None` keeps all.
    pub(super) text: Option<usize>,
    /// Bytes, roughly, the findings of all rules may fill: a page a browser still opens.
    pub(super) rule_bytes: usize,
    /// Bytes, roughly, each other list may fill.
    pub(super) list_bytes: usize,
}

/// `report.html`: every finding up to 200 per rule, whole text.
pub(super) const REPORT: Limits = Limits {
    per_rule: 200,
    top: 0,
    list: 1000,
    facts: 50,
    name: None,
    text: None,
    rule_bytes: 16 << 20,
    list_bytes: 2 << 20,
};

impl Limits {
    /// The name of the scope's org.
    pub(super) fn org(&self, r: &Review<'_>, scope: &FindingScope) -> String {
        self.name(r.org_name(&scope.org_id))
    }

    /// The name of the scope's project, when it has one.
    pub(super) fn project(&self, r: &Review<'_>, scope: &FindingScope) -> Option<String> {
        scope
            .project_id
            .as_deref()
            .map(|p| self.name(r.project_name(p)))
    }

    pub(super) fn name(&self, s: &str) -> String {
        shorten(s, self.name)
    }

    pub(super) fn text(&self, s: &str) -> String {
        shorten(s, self.text)
    }
}

/// The text with hidden characters made visible and, past `limit` characters, cut with
/// [`SHORTENED`].
pub(super) fn shorten(s: &str, limit: Option<usize>) -> String {
    let mut out = String::with_capacity(s.len().min(limit.unwrap_or(usize::MAX)));
    for (n, c) in s.chars().enumerate() {
        if limit.is_some_and(|max| n >= max) {
            out.push_str(SHORTENED);
            break;
        }
        push_visible(&mut out, c);
    }
    out
}

fn since(r: &Review<'_>, b: Baseline<'_>, l: &Limits) -> SinceView {
    use crate::changes::ChangeKind;
    let names = Names::of(&[r.snapshot, b.snapshot]);
    let c = b.changes;
    SinceView {
        baseline: l.name(&c.baseline),
        baseline_as_of: moment(c.baseline_as_of),
        days: c.days(),
        total: c.changes.len(),
        counts: ChangeKind::ALL
            .into_iter()
            .map(|k| ChangeCount {
                kind: k.as_str(),
                label: k.heading(),
                count: c.count(k),
            })
            .collect(),
        items: List::take(&c.changes, l.list, &Budget::new(l.list_bytes), |ch| {
            ChangeView {
                kind: ch.kind.as_str(),
                label: ch.kind.heading(),
                line: l.text(&change_line(ch, &names)),
            }
        }),
    }
}

/// What the templates see. Every field is documented here for template authors.
#[derive(Debug, Serialize)]
pub(super) struct Page {
    /// The page title.
    title: &'static str,
    /// The as-of moment: `2027-01-15 12:00 UTC`.
    as_of: String,
    /// The same in RFC 3339.
    as_of_rfc3339: String,
    /// This `atlas-audit`'s version.
    tool_version: &'static str,
    /// The version that collected the snapshot, when it says.
    collected_by: Option<String>,
    /// The orgs and projects covered, in words.
    scope: String,
    /// Names of the orgs read.
    orgs: List<String>,
    /// The policy the rules ran under.
    policy: PolicyView,
    /// The credential that collected the snapshot and its roles.
    credential: CredentialView,
    /// Whether every scope was read, and what was not.
    coverage: CoverageView,
    /// Principals by kind.
    population: Vec<KindCount>,
    /// Principals in all.
    principals_total: usize,
    /// Grants a reviewer decides on, and grants implied by org roles.
    grants: GrantCounts,
    /// Finding totals.
    totals: Totals,
    /// Every severity, worst first, with its open and exempted counts.
    severities: Vec<SeverityView>,
    /// Rules with findings, most severe first, each with its counts by severity and the
    /// findings shown.
    rules: Vec<RuleView>,
    /// One row per rule and severity, most severe first: the findings-by-rule tables, whose
    /// rows of one severity add up to that severity's count.
    rule_rows: Vec<RuleRowView>,
    /// The most severe open findings (the email's list; empty in `report.html`).
    pub(super) top: List<FindingView>,
    /// Findings the email left out to stay under its size budget.
    pub(super) top_left_out: usize,
    /// Principals (not orgs or projects) with open critical or high findings.
    principals: List<PrincipalView>,
    /// Per federated org: identity providers, domain restriction, post-authentication roles
    /// and role mappings.
    federation: Vec<super::federation::FederationView>,
    /// Rules and scopes that could not be judged.
    not_evaluated: List<NotEvaluatedView>,
    /// Cloud-provider roles Atlas may assume: where data can flow out.
    cloud_access: List<super::paths::CloudAccessView>,
    /// Projects' LDAP and X.509 settings, and their LDAP group users.
    project_security: List<super::paths::ProjectSecurityView>,
    /// Exemptions that matched nothing or expired.
    exemption_warnings: List<WarningView>,
    /// What changed since the last review, with `--baseline`.
    since: Option<SinceView>,
    /// Grants removed since the review, with `--store` (remediation.csv has them all): one
    /// line each, "G-… user:… ROLE on scope. Removed on … by …, decided by … on …: comment".
    remediated: Vec<String>,
    /// What the page shows at most.
    limits: LimitsView,
    /// The files holding what the page does not show.
    files: Files,
    /// The marker ending shortened text.
    shortened: &'static str,
}

/// What changed since the last review.
#[derive(Debug, Serialize)]
struct SinceView {
    /// The baseline snapshot file.
    baseline: String,
    /// Its as-of moment: `2027-01-15 12:00 UTC`.
    baseline_as_of: String,
    /// Whole days between the two.
    days: i64,
    /// Changes in all.
    total: usize,
    /// Every kind of change with its count, in report order (kinds with none included).
    counts: Vec<ChangeCount>,
    /// The changes shown, each as one line.
    items: List<ChangeView>,
}

#[derive(Debug, Serialize)]
struct ChangeCount {
    /// `grant_added`, …
    kind: &'static str,
    /// `Grants added`, …
    label: &'static str,
    count: usize,
}

#[derive(Debug, Serialize)]
struct ChangeView {
    kind: &'static str,
    label: &'static str,
    /// The change in words: who, where, what.
    line: String,
}

/// The collecting credential, for the first screen.
#[derive(Debug, Serialize)]
struct CredentialView {
    /// `API key abcdefgh`, `service account mdb_sa_id_…`.
    name: String,
    /// Whether the snapshot shows its roles.
    roles_visible: bool,
    /// Its roles in words (`ORG_OWNER on Northwind (org)`), or "roles not visible to itself".
    roles: List<String>,
    /// What a coverage gap means for it.
    gap_meaning: &'static str,
}

#[derive(Debug, Serialize)]
struct PolicyView {
    origin: String,
    digest: String,
}

#[derive(Debug, Serialize)]
struct CoverageView {
    complete: bool,
    status: String,
    gaps: List<GapView>,
}

#[derive(Debug, Serialize)]
struct GapView {
    /// `org:<id>`, `project:<id>` or narrower.
    scope: String,
    /// The org's or project's name, when the scope is one.
    name: Option<String>,
    endpoint: String,
    status: Option<u16>,
    error_code: Option<String>,
    reason: String,
}

#[derive(Debug, Serialize)]
struct KindCount {
    kind: &'static str,
    /// `API keys`, for a heading or a table.
    label: &'static str,
    /// `service account` or `service accounts` (by the count), for a sentence.
    noun: &'static str,
    count: usize,
}

#[derive(Debug, Serialize)]
struct GrantCounts {
    reviewable: usize,
    implied: usize,
}

#[derive(Debug, Serialize)]
struct Totals {
    findings: usize,
    open: usize,
    exempted: usize,
    /// Open findings rated critical or high.
    open_high: usize,
    rules: usize,
    not_evaluated: usize,
    exemption_warnings: usize,
}

#[derive(Debug, Serialize)]
struct SeverityView {
    severity: &'static str,
    /// The severity in capitals, as pages write it.
    label: &'static str,
    open: usize,
    exempted: usize,
    total: usize,
    /// Its share of all findings in words: `89%`, `<1%`, `0%`.
    share: String,
}

#[derive(Debug, Serialize)]
struct NotEvaluatedView {
    rule: &'static str,
    org: String,
    project: Option<String>,
    principal: Option<String>,
    reason: String,
}

#[derive(Debug, Serialize)]
struct WarningView {
    rule: &'static str,
    principal: String,
    policy_line: Option<usize>,
    message: String,
}

#[derive(Debug, Serialize)]
struct LimitsView {
    per_rule: usize,
    top: usize,
    list: usize,
    email_budget: usize,
    email_budget_kb: usize,
}

#[derive(Debug, Clone, Copy, Serialize)]
struct Files {
    workbook: &'static str,
    findings_csv: &'static str,
    findings_json: &'static str,
    report: &'static str,
    manifest: &'static str,
}

impl Page {
    pub(super) fn new(r: &Review<'_>, l: Limits) -> Page {
        let snapshot = r.snapshot;
        let (reviewable, implied) = r.grant_counts();
        let org_names: Vec<&str> = snapshot.orgs.iter().map(|o| o.name.as_str()).collect();
        let principals = principals_needing_action(r);
        Page {
            title: "Atlas access review",
            as_of: moment(r.as_of),
            as_of_rfc3339: r.as_of.to_string(),
            tool_version: env!("CARGO_PKG_VERSION"),
            collected_by: Some(&snapshot.meta.tool_version)
                .filter(|v| !v.is_empty())
                .map(|v| l.name(v)),
            scope: l.text(&r.scope_text()),
            orgs: List::take(&org_names, l.list, &Budget::new(l.list_bytes), |n| {
                l.name(n)
            }),
            policy: PolicyView {
                origin: l.name(r.policy_origin),
                digest: r.policy_digest.to_string(),
            },
            credential: {
                let c = crate::report::credential::CredentialAccess::of(r);
                CredentialView {
                    name: l.name(&c.describe()),
                    roles_visible: c.roles_visible,
                    roles: List::take(&c.role_lines(), l.list, &Budget::new(l.list_bytes), |t| {
                        l.name(t)
                    }),
                    gap_meaning: crate::report::credential::GAP_MEANING,
                }
            },
            coverage: coverage(r, l),
            federation: super::federation::federation(r, l),
            population: population(r),
            principals_total: snapshot.principals.len(),
            grants: GrantCounts {
                reviewable,
                implied,
            },
            totals: totals(r),
            severities: severities(r),
            rules: rules(r, l),
            rule_rows: rule_rows(r),
            top: top(r, l),
            top_left_out: 0,
            principals: List::take(&principals, l.list, &Budget::new(l.list_bytes), |p| {
                p.view(r, l)
            }),
            not_evaluated: List::take(
                &r.findings.not_evaluated,
                l.list,
                &Budget::new(l.list_bytes),
                |n| NotEvaluatedView {
                    rule: n.rule.as_str(),
                    org: l.org(r, &n.scope),
                    project: l.project(r, &n.scope),
                    principal: n.principal.as_deref().map(|p| l.name(p)),
                    reason: l.text(&n.reason),
                },
            ),
            cloud_access: super::paths::cloud_access(r, &l),
            project_security: super::paths::project_security(r, &l),
            exemption_warnings: List::take(
                &r.findings.exemption_warnings,
                l.list,
                &Budget::new(l.list_bytes),
                |w| WarningView {
                    rule: w.rule.as_str(),
                    principal: l.name(&w.principal),
                    policy_line: w.policy_line,
                    message: l.text(&w.message),
                },
            ),
            since: r.baseline.map(|b| since(r, b, &l)),
            remediated: crate::report::remediation::views(r)
                .iter()
                .map(|v| l.text(&v.line()))
                .collect(),
            limits: LimitsView {
                per_rule: l.per_rule,
                top: l.top,
                list: l.list,
                email_budget: EMAIL_BUDGET,
                email_budget_kb: EMAIL_BUDGET / 1024,
            },
            files: FILES,
            shortened: SHORTENED,
        }
    }
}

pub(super) fn label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
        Severity::Info => "INFO",
    }
}

fn coverage(r: &Review<'_>, l: Limits) -> CoverageView {
    CoverageView {
        complete: r.snapshot.is_complete(),
        status: r.coverage_status(),
        gaps: List::take(r.coverage(), l.list, &Budget::new(l.list_bytes), |g| {
            GapView {
                scope: l.name(&g.scope),
                // An org or project the listing did not name shows its id once.
                name: scope_name(r, &g.scope)
                    .filter(|n| !g.scope.ends_with(*n))
                    .map(|n| l.name(n)),
                endpoint: l.name(&g.endpoint),
                status: g.status,
                error_code: g.error_code.as_deref().map(|c| l.name(c)),
                reason: l.text(&g.reason),
            }
        }),
    }
}

/// The org's or project's name for an `org:<id>` or `project:<id>` scope.
fn scope_name<'s>(r: &'s Review<'_>, scope: &'s str) -> Option<&'s str> {
    if let Some(id) = scope.strip_prefix("org:") {
        Some(r.org_name(id))
    } else {
        scope.strip_prefix("project:").map(|id| r.project_name(id))
    }
}

fn population(r: &Review<'_>) -> Vec<KindCount> {
    r.population()
        .into_iter()
        .map(|(kind, count)| {
            let kind = SubjectKind::from(kind);
            let (label, one, many) = kind_names(kind);
            KindCount {
                kind: kind.as_str(),
                label,
                noun: if count == 1 { one } else { many },
                count,
            }
        })
        .collect()
}

/// A kind as a heading, and as a noun in a sentence, singular and plural.
fn kind_names(kind: SubjectKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        SubjectKind::Org => ("Organizations", "organization", "organizations"),
        SubjectKind::Project => ("Projects", "project", "projects"),
        SubjectKind::AtlasUser => ("Atlas users", "Atlas user", "Atlas users"),
        SubjectKind::ApiKey => ("API keys", "API key", "API keys"),
        SubjectKind::ServiceAccount => ("Service accounts", "service account", "service accounts"),
        SubjectKind::Team => ("Teams", "team", "teams"),
        SubjectKind::DatabaseUser => ("Database users", "database user", "database users"),
        SubjectKind::IdpGroup => (
            "Identity-provider groups",
            "identity-provider group",
            "identity-provider groups",
        ),
        SubjectKind::CloudProviderRole => (
            "Cloud provider roles",
            "cloud provider role",
            "cloud provider roles",
        ),
    }
}

/// A moment as pages write it: `2027-01-15 12:00 UTC`.
pub(super) fn moment(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

fn totals(r: &Review<'_>) -> Totals {
    let findings = &r.findings.findings;
    let open = r.open_count();
    Totals {
        findings: findings.len(),
        open,
        exempted: findings.len() - open,
        open_high: r.findings.open_at_least(Severity::High),
        rules: r
            .rule_counts()
            .iter()
            .map(|c| c.rule)
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        not_evaluated: r.findings.not_evaluated.len(),
        exemption_warnings: r.findings.exemption_warnings.len(),
    }
}

fn severities(r: &Review<'_>) -> Vec<SeverityView> {
    let all = r.findings.findings.len();
    r.severity_counts()
        .into_iter()
        .map(|(s, open, exempted)| {
            let total = open + exempted;
            let percent = (total * 100 + all / 2).checked_div(all).unwrap_or(0);
            SeverityView {
                severity: s.as_str(),
                label: label(s),
                open,
                exempted,
                total,
                share: if total > 0 && percent == 0 {
                    "<1%".to_string()
                } else {
                    format!("{percent}%")
                },
            }
        })
        .collect()
}
