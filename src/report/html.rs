//! `report.html`, `email.html` and `email.txt` from Tera templates.
//!
//! The templates live in `templates/`, are embedded in the binary, and any of them can be
//! replaced by a file of the same name in `--templates DIR`. They see a `Page`: a serialisable
//! reading of the [`Review`] (names for ids, counts, the findings shown), never the snapshot
//! itself. Text from Atlas reaches them with every character that hides or reorders text made
//! visible (`[U+202E]`, see [`super::visible`]), and templates named `*.html` escape it. The email stays under
//! [`EMAIL_BUDGET`] bytes for any estate: long text is shortened with [`SHORTENED`], and a page
//! still too large is rendered again with fewer findings, saying how many were left out.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use css_inline::CSSInliner;
use serde::Serialize;
use serde_json::Value;
use tera::Tera;

use super::cell::push_visible;
use super::{ActivityCells, ReportError, Review};
use crate::rules::{ExemptionNote, Finding, RuleId, Severity, Status, SubjectKind};

/// The templates a report renders.
pub const TEMPLATE_NAMES: &[&str] = &["report.html", "email.html", "email.txt"];

/// The built-in templates, in [`TEMPLATE_NAMES`] order.
const BUILT_IN: [&str; 3] = [
    include_str!("../../templates/report.html"),
    include_str!("../../templates/email.html"),
    include_str!("../../templates/email.txt"),
];

/// The largest `email.html` (and `email.txt`) in bytes: under the size at which Gmail clips.
pub const EMAIL_BUDGET: usize = 102_400;

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
struct Limits {
    /// Findings shown under each rule.
    per_rule: usize,
    /// The most severe open findings, listed on their own.
    top: usize,
    /// Rows of every other list (principals, gaps, not evaluated, warnings, orgs).
    list: usize,
    /// Facts shown per finding.
    facts: usize,
    /// Characters of a name, key or short value; `None` keeps all.
    name: Option<usize>,
    /// Characters of a sentence; `None` keeps all.
    text: Option<usize>,
    /// Bytes, roughly, the findings of all rules may fill: a page a browser still opens.
    rule_bytes: usize,
    /// Bytes, roughly, each other list may fill.
    list_bytes: usize,
}

/// `report.html`: every finding up to 200 per rule, whole text.
const REPORT: Limits = Limits {
    per_rule: 200,
    top: 0,
    list: 1000,
    facts: 50,
    name: None,
    text: None,
    rule_bytes: 16 << 20,
    list_bytes: 2 << 20,
};

/// The email: counts, the 25 most severe open findings, short text.
const EMAIL: Limits = Limits {
    per_rule: 0,
    top: 25,
    list: 10,
    facts: 0,
    name: Some(80),
    text: Some(400),
    rule_bytes: usize::MAX,
    list_bytes: usize::MAX,
};

impl Limits {
    /// The next smaller email: half the findings, then no list rows; `None` when nothing is left.
    fn smaller(self) -> Option<Limits> {
        if self.top > 0 {
            Some(Limits {
                top: self.top / 2,
                ..self
            })
        } else if self.list > 0 {
            Some(Limits { list: 0, ..self })
        } else {
            None
        }
    }

    fn name(&self, s: &str) -> String {
        shorten(s, self.name)
    }

    fn text(&self, s: &str) -> String {
        shorten(s, self.text)
    }
}

/// The loaded templates.
pub struct Templates {
    tera: Tera,
    /// Where each template came from: its name, or the path of the file that replaced it.
    origins: BTreeMap<&'static str, String>,
}

impl Templates {
    /// Loads the built-in templates, replaced by any of the same name in `dir`.
    ///
    /// # Errors
    /// `dir` is not a folder, or a template cannot be read or parsed.
    pub fn load(dir: Option<&Path>) -> Result<Templates, ReportError> {
        if let Some(dir) = dir.filter(|d| !d.is_dir()) {
            return Err(ReportError::Template {
                name: dir.display().to_string(),
                detail: "no such folder of templates".into(),
            });
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.set_escape_fn(escape_html);
        tera.register_filter("thousands", thousands);
        tera.register_filter("pad", pad);
        tera.register_filter("wrap", wrap);
        tera.register_function("get_env", no_env);
        let mut origins = BTreeMap::new();
        for (name, built_in) in TEMPLATE_NAMES.iter().zip(BUILT_IN) {
            let (origin, source) = source(dir, name, built_in)?;
            tera.add_raw_template(name, &source)
                .map_err(|e| template_error(&origin, &e))?;
            origins.insert(*name, origin);
        }
        Ok(Templates { tera, origins })
    }

    fn origin<'s>(&'s self, name: &'s str) -> &'s str {
        self.origins.get(name).map_or(name, String::as_str)
    }

    fn render(&self, name: &str, page: &Page) -> Result<String, ReportError> {
        let context = tera::Context::from_serialize(page)
            .map_err(|e| template_error(self.origin(name), &e))?;
        self.tera
            .render(name, &context)
            .map_err(|e| template_error(self.origin(name), &e))
    }
}

/// The template's origin and text: the file of that name in `dir` when there is one.
fn source(
    dir: Option<&Path>,
    name: &str,
    built_in: &'static str,
) -> Result<(String, String), ReportError> {
    let Some(path) = dir.map(|d| d.join(name)).filter(|p| p.exists()) else {
        return Ok((name.to_string(), built_in.to_string()));
    };
    let origin = path.display().to_string();
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((origin, text)),
        Err(e) => Err(ReportError::Template {
            name: origin,
            detail: format!("cannot read: {e}"),
        }),
    }
}

/// A Tera error with every cause in its chain (the parser's line and column among them).
fn template_error(name: &str, error: &dyn std::error::Error) -> ReportError {
    let mut detail = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        detail.push_str(": ");
        detail.push_str(e.to_string().trim_end());
        cause = e.source();
    }
    ReportError::Template {
        name: name.to_string(),
        detail,
    }
}

/// `report.html`.
///
/// # Errors
/// When the template fails to render.
pub fn report_html(t: &Templates, r: &Review<'_>) -> Result<String, ReportError> {
    t.render("report.html", &Page::new(r, REPORT))
}

/// `email.html`, its CSS inlined, at most [`EMAIL_BUDGET`] bytes.
///
/// # Errors
/// When the template fails to render, or renders too large even with no finding listed.
pub fn email_html(t: &Templates, r: &Review<'_>) -> Result<String, ReportError> {
    fit_email(t.origin("email.html"), |limits| {
        let html = t.render("email.html", &Page::email(r, limits))?;
        inline_css(&html, t.origin("email.html"))
    })
}

/// `email.txt`, the plain-text part of the same email, at most [`EMAIL_BUDGET`] bytes.
///
/// # Errors
/// When the template fails to render, or renders too large even with no finding listed.
pub fn email_txt(t: &Templates, r: &Review<'_>) -> Result<String, ReportError> {
    fit_email(t.origin("email.txt"), |limits| {
        t.render("email.txt", &Page::email(r, limits))
    })
}

/// Renders with [`EMAIL`] limits, then smaller ones, until the text fits the budget.
fn fit_email(
    origin: &str,
    render: impl Fn(Limits) -> Result<String, ReportError>,
) -> Result<String, ReportError> {
    let mut limits = EMAIL;
    loop {
        let text = render(limits)?;
        if text.len() <= EMAIL_BUDGET {
            return Ok(text);
        }
        limits = limits.smaller().ok_or_else(|| ReportError::Template {
            name: origin.to_string(),
            detail: format!(
                "renders to {} bytes even with no finding listed; an email must stay within {EMAIL_BUDGET}",
                text.len()
            ),
        })?;
    }
}

/// Moves the page's CSS into `style` attributes, keeping `@media` rules; never fetches anything.
fn inline_css(html: &str, origin: &str) -> Result<String, ReportError> {
    CSSInliner::options()
        .load_remote_stylesheets(false)
        .keep_at_rules(true)
        .minify_css(true)
        .apply_width_attributes(true)
        .build()
        .inline(html)
        .map_err(|e| ReportError::Template {
            name: origin.to_string(),
            detail: format!("inlining its CSS: {e}"),
        })
}

/// HTML escaping for `*.html` templates: `& < > " '`.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The `thousands` filter: `146888` → `146,888`.
fn thousands(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let Some(n) = value.as_u64() else {
        return Ok(value.clone());
    };
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    Ok(Value::String(out))
}

/// A filter's input as text: a string as it is, anything else as JSON (`7`, `true`).
fn text_of(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

/// The `pad` filter for text columns: `pad(width=10)` fills with spaces on the right to 10
/// characters, `pad(width=8, right=true)` on the left; longer text is kept whole.
fn pad(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = text_of(value);
    let width = args.get("width").and_then(Value::as_u64).unwrap_or(0) as usize;
    let fill = " ".repeat(width.saturating_sub(text.chars().count()));
    let right = args.get("right").and_then(Value::as_bool).unwrap_or(false);
    Ok(Value::String(if right {
        fill + &text
    } else {
        text + &fill
    }))
}

/// The `wrap` filter for text: `wrap(width=76, indent=14)` fills lines to `width` columns,
/// taking the text to start at column `indent` and starting every further line there. Runs of
/// whitespace become one space; a word longer than a line keeps its own line, whole.
fn wrap(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = text_of(value);
    let arg = |name: &str| args.get(name).and_then(Value::as_u64).unwrap_or(0) as usize;
    let indent = arg("indent");
    let room = arg("width").saturating_sub(indent).max(1);
    let mut out = String::with_capacity(text.len() + text.len() / room * (indent + 1));
    let mut line = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if line > 0 && line + 1 + len > room {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += len;
    }
    Ok(Value::String(out))
}

/// Replaces Tera's `get_env`: a report never depends on (or leaks) the environment.
fn no_env(_: &HashMap<String, Value>) -> tera::Result<Value> {
    Err("get_env is not available in report templates: a report depends only on its input".into())
}

/// The text with hidden characters made visible and, past `limit` characters, cut with
/// [`SHORTENED`].
fn shorten(s: &str, limit: Option<usize>) -> String {
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

/// A fact's value as text: strings bare, `none` for null or empty lists, objects as `key: value`.
fn value_text(v: &Value, nested: bool) -> String {
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

fn since(r: &Review<'_>, b: super::Baseline<'_>, l: &Limits) -> SinceView {
    use crate::changes::ChangeKind;
    let names = super::Names::of(&[r.snapshot, b.snapshot]);
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
                line: l.text(&super::change_line(ch, &names)),
            }
        }),
    }
}

/// What the templates see. Every field is documented here for template authors.
#[derive(Debug, Serialize)]
struct Page {
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
    /// Rules with findings, most severe first, each with the findings shown.
    rules: Vec<RuleView>,
    /// The most severe open findings (the email's list; empty in `report.html`).
    top: List<FindingView>,
    /// Findings the email left out to stay under its size budget.
    top_left_out: usize,
    /// Principals (not orgs or projects) with open critical or high findings.
    principals: List<PrincipalView>,
    /// Rules and scopes that could not be judged.
    not_evaluated: List<NotEvaluatedView>,
    /// Exemptions that matched nothing or expired.
    exemption_warnings: List<WarningView>,
    /// What changed since the last review, with `--baseline`.
    since: Option<SinceView>,
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

/// Up to a cap of items, with how many there are in all and how many are not shown.
#[derive(Debug, Serialize)]
struct List<T> {
    items: Vec<T>,
    total: usize,
    more: usize,
    /// The page's size budget, not the cap, ended the list.
    cut: bool,
}

impl<T: Serialize> List<T> {
    /// The first `cap` of `all`, made by `f`, while `budget` admits them.
    fn take<S>(all: &[S], cap: usize, budget: &Budget, mut f: impl FnMut(&S) -> T) -> List<T> {
        let mut items = Vec::new();
        let mut cut = false;
        for s in all.iter().take(cap) {
            let item = f(s);
            if !budget.admit(&item) {
                cut = true;
                break;
            }
            items.push(item);
        }
        List {
            total: all.len(),
            more: all.len() - items.len(),
            items,
            cut,
        }
    }
}

/// Bytes a part of a page may still fill, roughly. Once an item does not fit, none does, so a
/// list is always its first items.
struct Budget(Cell<usize>);

/// Markup a template adds around one item, roughly.
const ITEM_MARKUP: usize = 1_000;

impl Budget {
    fn new(bytes: usize) -> Budget {
        Budget(Cell::new(bytes))
    }

    fn unlimited() -> Budget {
        Budget::new(usize::MAX)
    }

    /// Takes the item's weight from the budget, or empties it when the item does not fit.
    fn admit<T: Serialize>(&self, item: &T) -> bool {
        if self.0.get() == usize::MAX {
            return true;
        }
        let json = serde_json::to_string(item).unwrap_or_default();
        let escapes = json.bytes().filter(|b| b"&<>'\"".contains(b)).count();
        let weight = json.len() + 4 * escapes + ITEM_MARKUP;
        let left = self.0.get();
        self.0.set(left.saturating_sub(weight));
        weight <= left
    }
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
struct RuleView {
    rule: &'static str,
    severity: &'static str,
    label: &'static str,
    open: usize,
    exempted: usize,
    total: usize,
    checks: &'static str,
    why: &'static str,
    findings: List<FindingView>,
}

#[derive(Debug, Serialize)]
struct FindingView {
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
struct PrincipalView {
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
    fn new(r: &Review<'_>, l: Limits) -> Page {
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
            coverage: coverage(r, l),
            population: population(r),
            principals_total: snapshot.principals.len(),
            grants: GrantCounts {
                reviewable,
                implied,
            },
            totals: totals(r),
            severities: severities(r),
            rules: rules(r, l),
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
                    org: l.name(r.org_name(&n.scope.org_id)),
                    project: n
                        .scope
                        .project_id
                        .as_deref()
                        .map(|p| l.name(r.project_name(p))),
                    principal: n.principal.as_deref().map(|p| l.name(p)),
                    reason: l.text(&n.reason),
                },
            ),
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

    /// The email's page, saying how many findings the size budget left out.
    fn email(r: &Review<'_>, l: Limits) -> Page {
        let mut page = Page::new(r, l);
        let wanted = EMAIL.top.min(page.top.total);
        page.top_left_out = wanted.saturating_sub(page.top.items.len());
        page
    }
}

fn label(s: Severity) -> &'static str {
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
    }
}

/// A moment as pages write it: `2027-01-15 12:00 UTC`.
fn moment(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
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

fn totals(r: &Review<'_>) -> Totals {
    let findings = &r.findings.findings;
    let open = r.open_count();
    Totals {
        findings: findings.len(),
        open,
        exempted: findings.len() - open,
        open_high: r.findings.open_at_least(Severity::High),
        rules: r.rule_counts().len(),
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

fn rules(r: &Review<'_>, l: Limits) -> Vec<RuleView> {
    let mut by_rule: BTreeMap<RuleId, Vec<&Finding>> = BTreeMap::new();
    for f in &r.findings.findings {
        by_rule.entry(f.rule).or_default().push(f);
    }
    let budget = Budget::new(l.rule_bytes);
    r.rule_counts()
        .into_iter()
        .map(|c| RuleView {
            rule: c.rule.as_str(),
            severity: c.severity.as_str(),
            label: label(c.severity),
            open: c.open,
            exempted: c.exempted,
            total: c.open + c.exempted,
            checks: c.rule.checks(),
            why: c.rule.why(),
            findings: List::take(
                by_rule.get(&c.rule).map_or(&[][..], Vec::as_slice),
                l.per_rule,
                &budget,
                |f| finding(r, f, l),
            ),
        })
        .collect()
}

fn top(r: &Review<'_>, l: Limits) -> List<FindingView> {
    let open: Vec<&Finding> = r
        .findings
        .findings
        .iter()
        .filter(|f| f.status == Status::Open)
        .collect();
    List::take(&open, l.top, &Budget::unlimited(), |f| finding(r, f, l))
}

fn finding(r: &Review<'_>, f: &Finding, l: Limits) -> FindingView {
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
        org: l.name(r.org_name(&f.scope.org_id)),
        project: f
            .scope
            .project_id
            .as_deref()
            .map(|p| l.name(r.project_name(p))),
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
struct Needing<'a> {
    first: &'a Finding,
    worst: Severity,
    findings: usize,
    rules: BTreeSet<RuleId>,
    actions: BTreeSet<(crate::rules::Action, Option<&'a str>)>,
}

impl Needing<'_> {
    fn view(&self, r: &Review<'_>, l: Limits) -> PrincipalView {
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
fn principals_needing_action<'a>(r: &Review<'a>) -> Vec<Needing<'a>> {
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

#[cfg(test)]
#[path = "html_tests.rs"]
mod tests;
