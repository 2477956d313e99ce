//! One reading of the snapshot, the findings and the policy, shared by every renderer: names for
//! ids, the findings about each principal and each grant, which grants are privileged, what is
//! known of each principal's last activity, and the counts a summary shows. Renderers only
//! format what this computes, so the CSV, the workbook and the pages always agree.

use std::collections::BTreeMap;

use jiff::Timestamp;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::model::{
    CoverageGap, Grant, LastActivity, Org, Principal, PrincipalDetail, PrincipalKind, Project,
    Scope, Snapshot, Via, counted,
};
use crate::rules::{Finding, Findings, Policy, RuleId, Severity, Status};

/// What a report is made from.
pub struct ReportInput<'a> {
    /// The estate.
    pub snapshot: &'a Snapshot,
    /// What the rules found.
    pub findings: &'a Findings,
    /// The policy they ran under.
    pub policy: &'a Policy,
    /// Where the policy came from: a path, or "defaults (no policy file)".
    pub policy_origin: String,
    /// `sha256:<hex>` of the policy file's bytes, or `defaults`.
    pub policy_digest: String,
    /// The last review and what changed since, with `--baseline`.
    pub baseline: Option<Baseline<'a>>,
}

impl<'a> ReportInput<'a> {
    /// The input of a run under `policy` given by no policy file, without a baseline.
    pub fn without_policy_file(
        snapshot: &'a Snapshot,
        findings: &'a Findings,
        policy: &'a Policy,
    ) -> Self {
        ReportInput {
            snapshot,
            findings,
            policy,
            policy_origin: "defaults (no policy file)".into(),
            policy_digest: "defaults".into(),
            baseline: None,
        }
    }
}

/// The last review's snapshot and the changes since.
#[derive(Clone, Copy)]
pub struct Baseline<'a> {
    /// The baseline snapshot (for the names of what is gone).
    pub snapshot: &'a Snapshot,
    /// What changed.
    pub changes: &'a crate::changes::Changes,
}

/// Open and exempted counts of one rule's findings of one severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCount {
    /// The rule.
    pub rule: RuleId,
    /// The severity of these findings.
    pub severity: Severity,
    /// Open findings.
    pub open: usize,
    /// Exempted findings.
    pub exempted: usize,
}

/// What is known of a principal's last activity, ready for a cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityCells<'p> {
    /// The moment, when one was seen.
    pub at: Option<Timestamp>,
    /// `never` or `no_information` when there is no moment; empty when there is.
    pub sentinel: &'static str,
    /// Where the moment came from (`last_auth`, `access_log`, …), or the sentinel.
    pub source: &'static str,
    /// Whole days from the last activity (or, for a principal never active, from its creation)
    /// to the as-of moment; `None` when nothing tells.
    pub days_inactive: Option<i64>,
    /// Why nothing can be said, for `no_information`.
    pub reason: Option<&'p str>,
}

impl ActivityCells<'_> {
    /// The last-activity cell as text: an RFC 3339 time, `never` or `no_information`.
    pub fn last_text(&self) -> String {
        match self.at {
            Some(t) => t.to_string(),
            None => self.sentinel.to_string(),
        }
    }

    /// The days-inactive cell as text: a number, or `no_information`.
    pub fn days_text(&self) -> String {
        match self.days_inactive {
            Some(d) => d.to_string(),
            None => "no_information".to_string(),
        }
    }
}

/// The shared reading. Build it once per report with [`Review::new`].
pub struct Review<'a> {
    /// The estate.
    pub snapshot: &'a Snapshot,
    /// The findings, in `findings.json` order.
    pub findings: &'a Findings,
    /// The policy.
    pub policy: &'a Policy,
    /// Where the policy came from.
    pub policy_origin: &'a str,
    /// Its digest.
    pub policy_digest: &'a str,
    /// The as-of moment of every age.
    pub as_of: Timestamp,
    /// The last review and what changed since, with `--baseline`.
    pub baseline: Option<Baseline<'a>>,
    /// SHA-256 of the snapshot file the report was made from, when it was made from one.
    pub snapshot_sha256: Option<String>,
    /// The report digest (`identity::report_digest`), recorded in the workbook and manifest.
    pub report_digest: String,
    /// Grants the evidence store says were removed since the review (with `--store`).
    pub remediated: Vec<super::Remediated>,
    /// The last review (with `--store`): the Access Review sheet's last review columns.
    pub last_review: Option<super::last_review::LastReview>,
    orgs: FxHashMap<&'a str, &'a Org>,
    projects: FxHashMap<&'a str, &'a Project>,
    principals: FxHashMap<&'a str, &'a Principal>,
    by_principal: FxHashMap<&'a str, Vec<u32>>,
    privileged: FxHashSet<&'a str>,
    dangerous_custom: FxHashSet<(&'a str, &'a str)>,
    implied: FxHashMap<(&'a str, &'a str, &'a str), u32>,
    grant_counts: FxHashMap<&'a str, u32>,
    /// The directory of people, once [`Review::prepare_directory`] has built it.
    directory: Option<super::directory::Directory<'a>>,
}

impl<'a> Review<'a> {
    /// Indexes the input.
    pub fn new(input: &'a ReportInput<'a>) -> Self {
        let snapshot = input.snapshot;
        let findings = input.findings;
        let policy = input.policy;
        // The indexes are independent: built side by side.
        let index_findings = || {
            let mut by_principal: FxHashMap<&str, Vec<u32>> = FxHashMap::default();
            for (i, f) in findings.findings.iter().enumerate() {
                by_principal
                    .entry(f.principal.key.as_str())
                    .or_default()
                    .push(i as u32);
            }
            by_principal
        };
        let count_grants = || {
            let mut implied: FxHashMap<(&str, &str, &str), u32> = FxHashMap::default();
            let mut grant_counts: FxHashMap<&str, u32> = FxHashMap::default();
            for g in &snapshot.grants {
                *grant_counts.entry(g.principal.as_str()).or_default() += 1;
                if let Via::OrgRole(role) = &g.via {
                    *implied
                        .entry((g.principal.as_str(), g.scope.org_id(), role.as_str()))
                        .or_default() += 1;
                }
            }
            (implied, grant_counts)
        };
        let index_principals = || {
            snapshot
                .principals
                .iter()
                .map(|p| (p.key.as_str(), p))
                .collect()
        };
        let ((by_principal, principals), (implied, grant_counts)) = rayon::join(
            || rayon::join(index_findings, index_principals),
            count_grants,
        );
        let dangerous_custom = snapshot
            .custom_roles
            .iter()
            .filter(|r| {
                r.actions
                    .iter()
                    .any(|a| policy.roles.dangerous_actions.contains(&a.action))
            })
            .map(|r| (r.project_id.as_str(), r.name.as_str()))
            .collect();
        let mut review = Review {
            snapshot,
            findings,
            policy,
            policy_origin: &input.policy_origin,
            policy_digest: &input.policy_digest,
            as_of: findings.as_of,
            baseline: input.baseline,
            snapshot_sha256: None,
            report_digest: super::identity::report_digest(None, &input.policy_digest, findings),
            remediated: Vec::new(),
            last_review: None,
            orgs: snapshot.orgs.iter().map(|o| (o.id.as_str(), o)).collect(),
            projects: snapshot
                .projects
                .iter()
                .map(|p| (p.id.as_str(), p))
                .collect(),
            principals,
            by_principal,
            privileged: FxHashSet::default(),
            dangerous_custom,
            implied,
            grant_counts,
            directory: None,
        };
        let privileged: FxHashSet<&str> = snapshot
            .grants
            .par_iter()
            .filter(|g| review.is_privileged(g))
            .map(|g| g.principal.as_str())
            .collect();
        review.privileged = privileged;
        review
    }

    /// Records the snapshot file's SHA-256, and the report digest that follows from it.
    pub fn set_snapshot_sha256(&mut self, sha256: Option<String>) {
        self.report_digest =
            super::identity::report_digest(sha256.as_deref(), self.policy_digest, self.findings);
        self.snapshot_sha256 = sha256;
    }

    /// The org's name, or its id when the snapshot does not hold it.
    pub fn org_name<'s>(&'s self, id: &'s str) -> &'s str {
        self.orgs.get(id).map_or(id, |o| o.name.as_str())
    }

    /// Builds the directory of people once, for every output that shows it (`directory.csv`,
    /// `directory.json`, the People sheet), as the indexes are built once before rendering.
    pub fn prepare_directory(&mut self) {
        let directory = super::directory::Directory::new(self);
        self.directory = Some(directory);
    }

    /// The directory of people: the one [`Review::prepare_directory`] built, or else built now.
    pub fn directory(&self) -> std::borrow::Cow<'_, super::directory::Directory<'a>> {
        match &self.directory {
            Some(d) => std::borrow::Cow::Borrowed(d),
            None => std::borrow::Cow::Owned(super::directory::Directory::new(self)),
        }
    }

    /// The project's name, or its id when the snapshot does not hold it.
    pub fn project_name<'s>(&'s self, id: &'s str) -> &'s str {
        self.projects.get(id).map_or(id, |p| p.name.as_str())
    }

    /// The principal with this key.
    pub fn principal(&self, key: &str) -> Option<&'a Principal> {
        self.principals.get(key).copied()
    }

    /// Findings about the principal (or org or project) with this key, in output order.
    pub fn findings_about(&self, key: &str) -> impl Iterator<Item = &'a Finding> + '_ {
        let all = &self.findings.findings;
        self.by_principal
            .get(key)
            .into_iter()
            .flatten()
            .map(move |&i| &all[i as usize])
    }

    /// Ids of the findings a grant answers to: those about its principal in the grant's project,
    /// or org-wide in the grant's org. Joined with `; `.
    pub fn grant_finding_ids(&self, g: &Grant) -> String {
        join_ids(self.grant_findings(g))
    }

    /// The findings a grant answers to (see [`Review::grant_finding_ids`]): a finding that
    /// names grants in its evidence answers only for grants of those roles; one that names none
    /// (an inactive user, a key with no access list) answers for every grant in its scope.
    pub fn grant_findings(&self, g: &'a Grant) -> impl Iterator<Item = &'a Finding> + '_ {
        let org = g.scope.org_id();
        let project = g.scope.project_id();
        self.findings_about(&g.principal).filter(move |f| {
            f.scope.org_id == org
                && match (&f.scope.project_id, project) {
                    (None, _) => true,
                    (Some(fp), Some(gp)) => fp == gp,
                    (Some(_), None) => false,
                }
                && names_role(f, &g.role)
        })
    }

    /// Whether the role is one the policy treats as privileged at that level: an org or project
    /// role the privilege rules look for, a database admin role, or a custom database role with
    /// a dangerous action.
    pub fn is_privileged(&self, g: &Grant) -> bool {
        let roles = &self.policy.roles;
        let listed = |list: &[String]| list.iter().any(|r| r == &g.role);
        match &g.scope {
            Scope::Org { .. } => g.role == "ORG_OWNER" || listed(&roles.privileged_machine_roles),
            Scope::Project { .. } => {
                listed(&roles.privileged_project_roles) || listed(&roles.privileged_machine_roles)
            }
            Scope::Database { project_id, .. } => {
                listed(&roles.database_admin_roles_high)
                    || listed(&roles.database_admin_roles_medium)
                    || self
                        .dangerous_custom
                        .contains(&(project_id.as_str(), g.role.as_str()))
            }
        }
    }

    /// Grants held by the principal, implied ones included.
    pub fn grant_count(&self, key: &str) -> u32 {
        self.grant_counts.get(key).copied().unwrap_or(0)
    }

    /// Whether the principal holds any privileged grant.
    pub fn principal_privileged(&self, key: &str) -> bool {
        self.privileged.contains(key)
    }

    /// Whether a reviewer decides on this grant itself. A project role implied by an org role
    /// is decided with that org role, so only direct and team grants are reviewed.
    pub fn reviewable(g: &Grant) -> bool {
        !matches!(g.via, Via::OrgRole(_))
    }

    /// For an org-role grant, how many project grants it implies (0 for any other grant).
    pub fn implied_by(&self, g: &Grant) -> u32 {
        match (&g.scope, &g.via) {
            (Scope::Org { org_id }, Via::Direct) => self
                .implied
                .get(&(g.principal.as_str(), org_id.as_str(), g.role.as_str()))
                .copied()
                .unwrap_or(0),
            _ => 0,
        }
    }

    /// What is known of the principal's last activity.
    pub fn activity<'p>(&self, p: &'p Principal) -> ActivityCells<'p> {
        match &p.last_activity {
            LastActivity::Seen { at, source } => ActivityCells {
                at: Some(*at),
                sentinel: "",
                source: source.as_str(),
                days_inactive: Some(self.days_since(*at)),
                reason: None,
            },
            LastActivity::Never => ActivityCells {
                at: None,
                sentinel: "never",
                source: "never",
                days_inactive: p.created.map(|c| self.days_since(c)),
                reason: None,
            },
            LastActivity::NoInformation { reason } => ActivityCells {
                at: None,
                sentinel: "no_information",
                source: "no_information",
                days_inactive: None,
                reason: Some(reason),
            },
        }
    }

    /// Whole days from `t` to the as-of moment.
    pub fn days_since(&self, t: Timestamp) -> i64 {
        (self.as_of.as_second() - t.as_second()).div_euclid(86_400)
    }

    /// Findings by severity: `(severity, open, exempted)` for every severity.
    pub fn severity_counts(&self) -> Vec<(Severity, usize, usize)> {
        let mut counts: BTreeMap<Severity, (usize, usize)> =
            Severity::ALL.iter().map(|s| (*s, (0, 0))).collect();
        for f in &self.findings.findings {
            let c = counts.entry(f.severity).or_default();
            match f.status {
                Status::Open => c.0 += 1,
                Status::Exempted => c.1 += 1,
            }
        }
        counts.into_iter().map(|(s, (o, e))| (s, o, e)).collect()
    }

    /// Open findings in all.
    pub fn open_count(&self) -> usize {
        self.findings
            .findings
            .iter()
            .filter(|f| f.status == Status::Open)
            .count()
    }

    /// Findings per rule and severity: one row for each severity a rule's findings carry (a
    /// rule whose severity depends on the principal has several), most severe first, then by
    /// catalogue order, as the terminal's table lists them. A reader summing one severity over
    /// these rows gets that severity's count in [`Review::severity_counts`].
    pub fn rule_counts(&self) -> Vec<RuleCount> {
        let mut by_rule: BTreeMap<(Severity, RuleId), RuleCount> = BTreeMap::new();
        for f in &self.findings.findings {
            let c = by_rule.entry((f.severity, f.rule)).or_insert(RuleCount {
                rule: f.rule,
                severity: f.severity,
                open: 0,
                exempted: 0,
            });
            match f.status {
                Status::Open => c.open += 1,
                Status::Exempted => c.exempted += 1,
            }
        }
        by_rule.into_values().collect()
    }

    /// Principals of each kind, in [`PrincipalKind`] order.
    pub fn population(&self) -> Vec<(PrincipalKind, usize)> {
        let mut counts: BTreeMap<PrincipalKind, usize> = BTreeMap::new();
        for p in &self.snapshot.principals {
            *counts.entry(p.kind).or_default() += 1;
        }
        counts.into_iter().collect()
    }

    /// Grants a reviewer decides on, and grants implied by org roles.
    pub fn grant_counts(&self) -> (usize, usize) {
        let reviewable = self
            .snapshot
            .grants
            .iter()
            .filter(|g| Review::reviewable(g))
            .count();
        (reviewable, self.snapshot.grants.len() - reviewable)
    }

    /// What could not be read.
    pub fn coverage(&self) -> &'a [CoverageGap] {
        &self.snapshot.coverage
    }

    /// `complete`, or `incomplete: N scopes could not be read`.
    pub fn coverage_status(&self) -> String {
        if self.snapshot.is_complete() {
            "complete".to_string()
        } else {
            format!(
                "incomplete: {} could not be read",
                counted(self.snapshot.coverage.len(), "scope", "scopes")
            )
        }
    }

    /// The orgs and projects the run covered, in words.
    pub fn scope_text(&self) -> String {
        let scope = &self.snapshot.meta.scope;
        let orgs = if scope.orgs.is_empty() {
            "every org the credential can read".to_string()
        } else {
            format!("orgs {}", scope.orgs.join(", "))
        };
        let projects = if scope.projects.is_empty() {
            String::new()
        } else {
            format!(", projects {}", scope.projects.join(", "))
        };
        format!(
            "{orgs}{projects}: {}, {}",
            counted(self.snapshot.orgs.len(), "org", "orgs"),
            counted(self.snapshot.projects.len(), "project", "projects")
        )
    }
}

/// How a principal authenticates, for the credential report.
pub fn auth_method(p: &Principal) -> &'static str {
    match &p.detail {
        PrincipalDetail::AtlasUser(_) => "atlas_login",
        PrincipalDetail::ApiKey(_) => "api_key_digest",
        PrincipalDetail::ServiceAccount(_) => "oauth2_client_secret",
        PrincipalDetail::Team(_) => "N/A",
        PrincipalDetail::IdpGroup(_) => "identity_provider",
        PrincipalDetail::DatabaseUser(d) => d.auth_method.as_str(),
        PrincipalDetail::CloudProviderRole(r) => match r.provider.as_str() {
            "AZURE" => "azure_service_principal",
            "GCP" => "gcp_service_account",
            _ => "aws_iam_role",
        },
    }
}

/// Whether the finding's evidence names no grant, or names one of this role.
fn names_role(f: &Finding, role: &str) -> bool {
    let mut named = f
        .evidence
        .facts
        .iter()
        .filter(|fact| fact.name == "grant" || fact.name == "implied_grants")
        .peekable();
    named.peek().is_none() || named.any(|fact| fact.value["role"] == role)
}

/// The findings' ids, joined with `; `.
pub(crate) fn join_ids<'f>(findings: impl Iterator<Item = &'f Finding>) -> String {
    let mut s = String::new();
    for f in findings {
        if !s.is_empty() {
            s.push_str("; ");
        }
        s.push_str(&f.id);
    }
    s
}
