//! What every rule reads: the snapshot and policy, the as-of time, and indexes built once so
//! that each rule is a pass over the principals rather than a search per principal.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

use super::finding::{Finding, FindingScope, NotEvaluated, Recommendation, Severity, Subject};
use super::policy::Policy;
use super::{Evidence, Fact, RuleId, Status};
use crate::model::{CoverageGap, Grant, Org, Principal, PrincipalKind, Project, Scope, Snapshot};

/// The read-only input of every rule.
pub struct Context<'a> {
    /// The estate.
    pub snapshot: &'a Snapshot,
    /// The policy.
    pub policy: &'a Policy,
    /// The snapshot's `collected_at`: every age is measured from here. Rules never read a clock.
    pub as_of: Timestamp,
    principals: HashMap<&'a str, &'a Principal>,
    grants: HashMap<&'a str, Vec<&'a Grant>>,
    orgs: HashMap<&'a str, &'a Org>,
    projects: HashMap<&'a str, &'a Project>,
    gaps: HashMap<&'a str, Vec<&'a CoverageGap>>,
    authored: HashMap<&'a str, Vec<Timestamp>>,
}

impl<'a> Context<'a> {
    /// Indexes a snapshot for the rules.
    pub fn new(snapshot: &'a Snapshot, policy: &'a Policy, as_of: Timestamp) -> Self {
        let mut grants: HashMap<&str, Vec<&Grant>> = HashMap::new();
        for g in &snapshot.grants {
            grants.entry(g.principal.as_str()).or_default().push(g);
        }
        let mut gaps: HashMap<&str, Vec<&CoverageGap>> = HashMap::new();
        for g in &snapshot.coverage {
            gaps.entry(g.scope.as_str()).or_default().push(g);
        }
        let mut authored: HashMap<&str, Vec<Timestamp>> = HashMap::new();
        for e in &snapshot.events {
            if let Some(actor) = &e.actor {
                authored.entry(actor.as_str()).or_default().push(e.created);
            }
        }
        Context {
            snapshot,
            policy,
            as_of,
            principals: snapshot
                .principals
                .iter()
                .map(|p| (p.key.as_str(), p))
                .collect(),
            grants,
            orgs: snapshot.orgs.iter().map(|o| (o.id.as_str(), o)).collect(),
            projects: snapshot
                .projects
                .iter()
                .map(|p| (p.id.as_str(), p))
                .collect(),
            gaps,
            authored,
        }
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
    pub fn gap(&self, scope: &str, endpoints: &[&str]) -> Option<&'a CoverageGap> {
        self.gaps
            .get(scope)?
            .iter()
            .copied()
            .find(|g| endpoints.contains(&g.endpoint.as_str()))
    }

    /// When the principal authored events, in snapshot order (oldest first).
    pub fn authored(&self, key: &str) -> &[Timestamp] {
        self.authored.get(key).map(Vec::as_slice).unwrap_or(&[])
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

    /// The as-of moment minus `days` days.
    pub fn days_before(&self, days: u32) -> Timestamp {
        self.as_of - SignedDuration::from_hours(i64::from(days) * 24)
    }

    /// The org a grant scope, principal or gap belongs to, for principals in one org.
    pub fn first_org(&self, p: &Principal) -> Option<&'a str> {
        p.org_ids
            .first()
            .and_then(|id| self.orgs.get_key_value(id.as_str()).map(|(k, _)| *k))
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
    /// Natural severity (the catalogue default, or the rule's own grading).
    pub severity: Severity,
    /// One line.
    pub title: String,
    /// One or two sentences of evidence.
    pub summary: String,
    /// The facts.
    pub facts: Vec<Fact>,
    /// What to do.
    pub recommendation: Recommendation,
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

    /// The rule's catalogue severity.
    pub fn default_severity(&self) -> Severity {
        self.rule.default_severity()
    }

    /// Records a finding.
    pub fn flag(&mut self, d: Draft) {
        let Some(severity) = self.ctx.policy.severity_for(self.rule, d.severity) else {
            return;
        };
        self.output.findings.push(Finding {
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
