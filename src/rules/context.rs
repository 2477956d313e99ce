//! What every rule reads: the snapshot and policy, the as-of time, and indexes built once so
//! that each rule is a pass over the principals rather than a search per principal.

use jiff::{SignedDuration, Timestamp};

use super::finding::{Finding, FindingScope, NotEvaluated, Recommendation, Severity, Subject};
use super::history::History;
use super::policy::Policy;
use super::{Evidence, Fact, RuleId, Status};
use crate::model::{
    AccessLogEntry, AccessLogWindow, CoverageGap, Event, Grant, Org, Principal, PrincipalDetail,
    PrincipalKind, Project, Scope, Snapshot,
};

/// Said of every finding about a service account that Atlas manages itself.
const SYSTEM_MANAGED_NOTE: &str = " Atlas manages this service account itself for one of its integrations (it is listed only when system-managed accounts are asked for): act on it through the integration that uses it.";

/// The read-only input of every rule.
pub struct Context<'a> {
    /// The estate.
    pub snapshot: &'a Snapshot,
    /// The policy.
    pub policy: &'a Policy,
    /// The snapshot's `collected_at`: every age is measured from here. Rules never read a clock.
    pub as_of: Timestamp,
    /// What earlier runs saw (the evidence store); empty without one.
    pub history: &'a History,
    principals: Map<&'a str, &'a Principal>,
    grants: Map<&'a str, Vec<&'a Grant>>,
    org_grants: Map<&'a str, Vec<&'a Grant>>,
    orgs: Map<&'a str, &'a Org>,
    projects: Map<&'a str, &'a Project>,
    gaps: Map<&'a str, Vec<&'a CoverageGap>>,
    authored: Map<&'a str, Vec<Timestamp>>,
    project_events: Map<&'a str, Vec<&'a Event>>,
    org_level_events: Map<&'a str, Vec<&'a Event>>,
    org_events: Map<&'a str, Vec<&'a Event>>,
    access_logs: Map<&'a str, Vec<&'a AccessLogEntry>>,
    windows: Map<(&'a str, &'a str), &'a AccessLogWindow>,
}

/// The indexes' map. Its keys come from the snapshot; a collision-heavy estate could only slow
/// one offline run, so the faster hasher is worth it.
pub(crate) type Map<K, V> = rustc_hash::FxHashMap<K, V>;

type Grants<'a> = (Map<&'a str, Vec<&'a Grant>>, Map<&'a str, Vec<&'a Grant>>);

fn index_grants(snapshot: &Snapshot) -> Grants<'_> {
    let mut grants: Map<&str, Vec<&Grant>> = Map::default();
    let mut org_grants: Map<&str, Vec<&Grant>> = Map::default();
    for g in &snapshot.grants {
        grants.entry(g.principal.as_str()).or_default().push(g);
        if let Scope::Org { org_id } = &g.scope {
            org_grants.entry(org_id.as_str()).or_default().push(g);
        }
    }
    (grants, org_grants)
}

struct EventIndexes<'a> {
    authored: Map<&'a str, Vec<Timestamp>>,
    by_project: Map<&'a str, Vec<&'a Event>>,
    org_level: Map<&'a str, Vec<&'a Event>>,
    by_org: Map<&'a str, Vec<&'a Event>>,
}

fn index_events<'a>(
    snapshot: &'a Snapshot,
    projects: &Map<&'a str, &'a Project>,
) -> EventIndexes<'a> {
    let mut ix = EventIndexes {
        authored: Map::default(),
        by_project: Map::default(),
        org_level: Map::default(),
        by_org: Map::default(),
    };
    for e in &snapshot.events {
        if let Some(actor) = &e.actor {
            ix.authored
                .entry(actor.as_str())
                .or_default()
                .push(e.created);
        }
        match e.project_id.as_deref() {
            Some(p) => ix.by_project.entry(p).or_default().push(e),
            None => {
                if let Some(o) = e.org_id.as_deref() {
                    ix.org_level.entry(o).or_default().push(e);
                }
            }
        }
        let org = e.org_id.as_deref().or_else(|| {
            e.project_id
                .as_deref()
                .and_then(|p| projects.get(p))
                .map(|p| p.org_id.as_str())
        });
        if let Some(o) = org {
            ix.by_org.entry(o).or_default().push(e);
        }
    }
    ix
}

type Rest<'a> = (
    Map<&'a str, &'a Principal>,
    Map<&'a str, Vec<&'a CoverageGap>>,
    Map<&'a str, Vec<&'a AccessLogEntry>>,
    Map<(&'a str, &'a str), &'a AccessLogWindow>,
);

fn index_rest(snapshot: &Snapshot) -> Rest<'_> {
    let principals = snapshot
        .principals
        .iter()
        .map(|p| (p.key.as_str(), p))
        .collect();
    let mut gaps: Map<&str, Vec<&CoverageGap>> = Map::default();
    for g in &snapshot.coverage {
        gaps.entry(g.scope.as_str()).or_default().push(g);
    }
    let mut access_logs: Map<&str, Vec<&AccessLogEntry>> = Map::default();
    for l in &snapshot.access_logs {
        access_logs
            .entry(l.project_id.as_str())
            .or_default()
            .push(l);
    }
    let windows = snapshot
        .access_log_windows
        .iter()
        .map(|w| ((w.project_id.as_str(), w.cluster.as_str()), w))
        .collect();
    (principals, gaps, access_logs, windows)
}

impl<'a> Context<'a> {
    /// Indexes a snapshot for the rules. The three groups of indexes are built in parallel.
    pub fn new(
        snapshot: &'a Snapshot,
        policy: &'a Policy,
        as_of: Timestamp,
        history: &'a History,
    ) -> Self {
        let projects: Map<&str, &Project> = snapshot
            .projects
            .iter()
            .map(|p| (p.id.as_str(), p))
            .collect();
        let ((grants, org_grants), (events, rest)) = rayon::join(
            || index_grants(snapshot),
            || {
                rayon::join(
                    || index_events(snapshot, &projects),
                    || index_rest(snapshot),
                )
            },
        );
        let (principals, gaps, access_logs, windows) = rest;
        Context {
            snapshot,
            policy,
            as_of,
            history,
            principals,
            grants,
            org_grants,
            orgs: snapshot.orgs.iter().map(|o| (o.id.as_str(), o)).collect(),
            projects,
            gaps,
            authored: events.authored,
            project_events: events.by_project,
            org_level_events: events.org_level,
            org_events: events.by_org,
            access_logs,
            windows,
        }
    }

    /// Grants on an org itself (`Scope::Org`), by org id.
    pub fn org_grants(&self, org_id: &str) -> &[&'a Grant] {
        self.org_grants
            .get(org_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// A principal by key.
    pub fn principal(&self, key: &str) -> Option<&'a Principal> {
        self.principals.get(key).copied()
    }

    /// Principals of one kind, in key order.
    pub fn principals(&self, kind: PrincipalKind) -> impl Iterator<Item = &'a Principal> + 'a {
        self.snapshot
            .principals
            .iter()
            .filter(move |p| p.kind == kind)
    }

    /// Every grant a principal holds, by every path (direct, team, org role).
    pub fn grants(&self, key: &str) -> &[&'a Grant] {
        self.grants.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// An org by id.
    pub fn org(&self, id: &str) -> Option<&'a Org> {
        self.orgs.get(id).copied()
    }

    /// A project by id.
    pub fn project(&self, id: &str) -> Option<&'a Project> {
        self.projects.get(id).copied()
    }

    /// The org's display name, or its id.
    pub fn org_name(&self, id: &str) -> String {
        self.org(id)
            .map_or_else(|| id.to_string(), |o| o.name.clone())
    }

    /// The project's display name, or its id.
    pub fn project_name(&self, id: &str) -> String {
        self.project(id)
            .map_or_else(|| id.to_string(), |p| p.name.clone())
    }

    /// The coverage gap that kept `endpoint` (an operation id) from being read for exactly
    /// `scope` (`org:<id>`, `project:<id>`, `apikey:<key>`, `project:<id>/cluster:<name>`, ...).
    /// A gap in an answer Atlas gave in full ([`CoverageGap::in_answer`]) kept nothing from
    /// being read and is not one.
    pub fn gap(&self, scope: &str, endpoints: &[&str]) -> Option<&'a CoverageGap> {
        self.gaps
            .get(scope)?
            .iter()
            .copied()
            .find(|g| !g.in_answer() && endpoints.contains(&g.endpoint.as_str()))
    }

    /// When the principal authored events, in snapshot order (oldest first).
    pub fn authored(&self, key: &str) -> &[Timestamp] {
        self.authored.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Events of one project, in snapshot order (oldest first).
    pub fn project_events(&self, project_id: &str) -> &[&'a Event] {
        self.project_events
            .get(project_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Org-level events (no project) of one org, oldest first.
    pub fn org_level_events(&self, org_id: &str) -> &[&'a Event] {
        self.org_level_events
            .get(org_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Every event of an org: its own and its projects', oldest first.
    pub fn org_events(&self, org_id: &str) -> &[&'a Event] {
        self.org_events
            .get(org_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Access-log entries of one project, every cluster.
    pub fn access_logs(&self, project_id: &str) -> &[&'a AccessLogEntry] {
        self.access_logs
            .get(project_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The observed window of one cluster's access log.
    pub fn access_log_window(
        &self,
        project_id: &str,
        cluster: &str,
    ) -> Option<&'a AccessLogWindow> {
        self.windows.get(&(project_id, cluster)).copied()
    }

    /// Time from `t` to the as-of moment.
    pub fn age(&self, t: Timestamp) -> SignedDuration {
        self.as_of.duration_since(t)
    }

    /// Whole days from `t` to the as-of moment (negative for the future).
    pub fn days_since(&self, t: Timestamp) -> i64 {
        self.age(t).as_secs() / 86_400
    }

    /// Whether `t` is strictly more than `days` days before the as-of moment. Exactly `days`
    /// days is not older.
    pub fn older_than(&self, t: Timestamp, days: u32) -> bool {
        self.age(t) > SignedDuration::from_hours(i64::from(days) * 24)
    }

    /// The as-of moment minus `days` days, or the earliest representable moment when that is
    /// before it (an as-of time near year -9999 in a damaged snapshot).
    pub fn days_before(&self, days: u32) -> Timestamp {
        self.as_of
            .checked_sub(SignedDuration::from_hours(i64::from(days) * 24))
            .unwrap_or(Timestamp::MIN)
    }
}

/// Where a grant applies, for evidence: `project storefront-prod (6650…)` or `org Acme (…)`.
pub fn describe_scope(ctx: &Context<'_>, scope: &Scope) -> String {
    match scope {
        Scope::Org { org_id } => format!("org {} ({org_id})", ctx.org_name(org_id)),
        Scope::Project { project_id, .. } => {
            format!("project {} ({project_id})", ctx.project_name(project_id))
        }
        Scope::Database {
            project_id,
            resource,
            ..
        } => format!(
            "database {resource} in project {} ({project_id})",
            ctx.project_name(project_id)
        ),
    }
}

/// A grant as a fact: role, where, and the path that gave it.
pub fn grant_fact(ctx: &Context<'_>, g: &Grant) -> Fact {
    let mut v = serde_json::json!({
        "role": g.role,
        "scope": describe_scope(ctx, &g.scope),
        "via": g.via.label(),
    });
    if let crate::model::Via::OrgRole(role) = &g.via {
        v["implied_by"] = serde_json::Value::from(role.clone());
    }
    Fact {
        name: "grant".into(),
        value: v,
    }
}

/// What one rule produced.
#[derive(Debug, Default)]
pub struct RuleOutput {
    /// Its findings (severity already set by the policy).
    pub findings: Vec<Finding>,
    /// Scopes it could not judge.
    pub not_evaluated: Vec<NotEvaluated>,
}

/// What a rule hands back, collected for one rule at a time. Severity overrides of the policy
/// are applied here so that rules only state their natural severity.
pub struct Out<'c, 'a> {
    ctx: &'c Context<'a>,
    rule: RuleId,
    output: RuleOutput,
}

/// A finding as a rule states it, before the policy's severity and exemptions apply.
pub struct Draft {
    /// What it is about.
    pub principal: Subject,
    /// Where.
    pub scope: FindingScope,
    /// Natural severity: the rule's own grading, or (`None`) the catalogue default.
    pub severity: Option<Severity>,
    /// One line.
    pub title: String,
    /// One or two sentences of evidence.
    pub summary: String,
    /// The facts.
    pub facts: Vec<Fact>,
    /// What to do.
    pub recommendation: Recommendation,
}

impl Draft {
    /// A finding about `principal` in `scope`, at the rule's catalogue severity.
    pub fn new(
        principal: impl Into<Subject>,
        scope: FindingScope,
        title: String,
        summary: String,
        facts: Vec<Fact>,
        recommendation: Recommendation,
    ) -> Self {
        Draft {
            principal: principal.into(),
            scope,
            severity: None,
            title,
            summary,
            facts,
            recommendation,
        }
    }

    /// The same finding at a severity the rule graded itself.
    pub fn with_severity(self, severity: Severity) -> Self {
        Draft {
            severity: Some(severity),
            ..self
        }
    }
}

impl<'c, 'a> Out<'c, 'a> {
    /// Collects for `rule`.
    pub fn new(ctx: &'c Context<'a>, rule: RuleId) -> Self {
        Out {
            ctx,
            rule,
            output: RuleOutput::default(),
        }
    }

    /// Records a finding.
    pub fn flag(&mut self, mut d: Draft) {
        let natural = d.severity.unwrap_or(self.rule.default_severity());
        let Some(severity) = self.ctx.policy.severity_for(self.rule, natural) else {
            return;
        };
        if self
            .ctx
            .principal(&d.principal.key)
            .is_some_and(|p| matches!(&p.detail, PrincipalDetail::ServiceAccount(s) if s.system_managed == Some(true)))
        {
            d.summary.push_str(SYSTEM_MANAGED_NOTE);
            d.facts.push(Fact::new("system_managed", true));
        }
        self.output.findings.push(Finding {
            id: String::new(),
            rule: self.rule,
            severity,
            principal: d.principal,
            scope: d.scope,
            title: d.title,
            evidence: Evidence {
                summary: d.summary,
                facts: d.facts,
            },
            recommendation: d.recommendation,
            status: Status::Open,
            exemption: None,
        });
    }

    /// Records that the rule could not judge `scope` (or one principal in it), and why.
    pub fn not_evaluated(
        &mut self,
        scope: FindingScope,
        principal: Option<&str>,
        reason: impl Into<String>,
    ) {
        self.output.not_evaluated.push(NotEvaluated {
            rule: self.rule,
            scope,
            principal: principal.map(str::to_string),
            reason: reason.into(),
        });
    }

    /// Records a coverage gap as the reason the rule could not judge `scope`.
    pub fn gap(&mut self, scope: FindingScope, principal: Option<&str>, gap: &CoverageGap) {
        let reason = format!(
            "{} could not be read for {}: {}",
            gap.endpoint, gap.scope, gap.reason
        );
        self.not_evaluated(scope, principal, reason);
    }

    /// What was collected.
    pub fn finish(self) -> RuleOutput {
        self.output
    }
}
