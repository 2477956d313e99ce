//! What changed since the last review: two snapshots and the findings the same policy gives
//! each, compared. Grants are compared by principal, scope and role; a principal whose one role
//! on a scope was swapped for another reads as one change ("role A → B"), and a grant that now
//! comes another way, or to other clusters, as changed. Project roles implied by org roles are
//! left out: they follow the org role, whose change is listed. Principals are compared by key,
//! findings by id (rule, principal and scope), and exemptions that end before the next review
//! are listed. No I/O happens here.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{Timestamp, ToSpan};
use serde::Serialize;

use rustc_hash::FxHashMap;

use crate::model::{Grant, Principal, PrincipalKind, Scope, Snapshot, Via};
use crate::rules::{Finding, Findings, Policy, Severity};

/// Days from one review to the next, for exemptions about to end.
pub const NEXT_REVIEW_DAYS: i64 = 90;

/// The kinds of change, as written in `changes.csv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    PrincipalAdded,
    PrincipalRemoved,
    GrantAdded,
    GrantRemoved,
    GrantChanged,
    FindingNew,
    FindingResolved,
    FindingStatusChanged,
    ExemptionExpiring,
}

impl ChangeKind {
    /// The name used in every output.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::PrincipalAdded => "principal_added",
            ChangeKind::PrincipalRemoved => "principal_removed",
            ChangeKind::GrantAdded => "grant_added",
            ChangeKind::GrantRemoved => "grant_removed",
            ChangeKind::GrantChanged => "grant_changed",
            ChangeKind::FindingNew => "finding_new",
            ChangeKind::FindingResolved => "finding_resolved",
            ChangeKind::FindingStatusChanged => "finding_status_changed",
            ChangeKind::ExemptionExpiring => "exemption_expiring",
        }
    }

    /// A heading for the kind, in plural.
    pub fn heading(self) -> &'static str {
        match self {
            ChangeKind::PrincipalAdded => "Principals added",
            ChangeKind::PrincipalRemoved => "Principals removed",
            ChangeKind::GrantAdded => "Grants added",
            ChangeKind::GrantRemoved => "Grants removed",
            ChangeKind::GrantChanged => "Grants changed",
            ChangeKind::FindingNew => "New findings",
            ChangeKind::FindingResolved => "Resolved findings",
            ChangeKind::FindingStatusChanged => "Findings exempted or reopened",
            ChangeKind::ExemptionExpiring => "Exemptions ending before the next review",
        }
    }

    /// Every kind, in report order.
    pub const ALL: [ChangeKind; 9] = [
        ChangeKind::PrincipalAdded,
        ChangeKind::PrincipalRemoved,
        ChangeKind::GrantAdded,
        ChangeKind::GrantRemoved,
        ChangeKind::GrantChanged,
        ChangeKind::FindingNew,
        ChangeKind::FindingResolved,
        ChangeKind::FindingStatusChanged,
        ChangeKind::ExemptionExpiring,
    ];
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    /// Principal key (for exemptions, the exemption's principal pattern).
    pub principal: String,
    /// Principal kind, when known.
    pub principal_kind: Option<PrincipalKind>,
    /// Display name, when known.
    pub name: String,
    /// Org id.
    pub org_id: Option<String>,
    /// Project id.
    pub project_id: Option<String>,
    /// `org`, `project` or the database resource, for grants.
    pub resource: String,
    /// The role (for a changed role, the new one).
    pub role: String,
    /// What changed, in words: `role A → B`, `via direct → team:ops`, a finding's title.
    pub detail: String,
    /// The finding, for finding changes.
    pub finding_id: Option<String>,
    /// The rule, for finding changes and exemptions.
    pub rule: Option<String>,
    /// The finding's severity.
    pub severity: Option<Severity>,
}

/// Everything that changed between a baseline and the current snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Changes {
    /// The baseline's as-of moment.
    pub baseline_as_of: Timestamp,
    /// Where the baseline came from (a file path).
    pub baseline: String,
    /// The current as-of moment.
    pub as_of: Timestamp,
    /// The changes, grouped by kind in [`ChangeKind::ALL`] order, then by principal.
    pub changes: Vec<Change>,
}

impl Changes {
    /// How many changes of this kind.
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes.iter().filter(|c| c.kind == kind).count()
    }

    /// The changes of this kind.
    pub fn of(&self, kind: ChangeKind) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.kind == kind)
    }

    /// Whole days between the two snapshots.
    pub fn days(&self) -> i64 {
        (self.as_of.as_second() - self.baseline_as_of.as_second()) / 86_400
    }
}

/// A grant's place, for comparing: principal, scope without its cluster list, role.
type GrantKey<'a> = (&'a str, String, &'a str);

/// Grants gone from and come to one principal's place.
type Swap<'k, 'a> = (Vec<&'k GrantKey<'a>>, Vec<&'k GrantKey<'a>>);

/// The ways one grant is held: via and clusters.
type Ways = BTreeSet<String>;

fn scope_text(scope: &Scope) -> String {
    match scope {
        Scope::Org { .. } => "org".into(),
        Scope::Project { .. } => "project".into(),
        Scope::Database { resource, .. } => resource.clone(),
    }
}

fn scope_key(scope: &Scope) -> String {
    format!(
        "{}\0{}\0{}",
        scope.org_id(),
        scope.project_id().unwrap_or_default(),
        scope_text(scope)
    )
}

/// The ways, comma-separated.
fn listed(ways: &Ways) -> String {
    ways.iter().cloned().collect::<Vec<_>>().join(", ")
}

fn way(g: &Grant) -> String {
    let clusters = match &g.scope {
        Scope::Database { clusters, .. } if !clusters.is_empty() => {
            format!(" (clusters {})", clusters.join(", "))
        }
        _ => String::new(),
    };
    format!("{}{clusters}", g.via.label())
}

/// Grants a reviewer decides on (not implied by an org role), by place, with their ways.
fn grants(snapshot: &Snapshot) -> BTreeMap<GrantKey<'_>, (Ways, &Scope)> {
    let mut out: BTreeMap<GrantKey<'_>, (Ways, &Scope)> = BTreeMap::new();
    for g in snapshot
        .grants
        .iter()
        .filter(|g| !matches!(g.via, Via::OrgRole(_)))
    {
        let key = (g.principal.as_str(), scope_key(&g.scope), g.role.as_str());
        let entry = out.entry(key).or_insert_with(|| (Ways::new(), &g.scope));
        entry.0.insert(way(g));
    }
    out
}

/// Compares `old` with `new`, each with the findings the same policy gave it.
pub fn compare(
    old: (&Snapshot, &Findings),
    new: (&Snapshot, &Findings),
    policy: &Policy,
    baseline: &str,
) -> Changes {
    let (old_snapshot, old_findings) = old;
    let (new_snapshot, new_findings) = new;
    let mut changes = Vec::new();
    let mut known: FxHashMap<&str, &Principal> = FxHashMap::default();
    for p in old_snapshot
        .principals
        .iter()
        .chain(&new_snapshot.principals)
    {
        known.insert(p.key.as_str(), p);
    }
    let who = |key: &str| known.get(key).copied();
    let blank = |kind: ChangeKind, principal: &str| {
        let p = who(principal);
        Change {
            kind,
            principal: principal.to_string(),
            principal_kind: p.map(|p| p.kind),
            name: p.map(|p| p.name.clone()).unwrap_or_default(),
            org_id: p.and_then(|p| p.org_ids.first().cloned()),
            project_id: p.and_then(|p| p.project_id.clone()),
            resource: String::new(),
            role: String::new(),
            detail: String::new(),
            finding_id: None,
            rule: None,
            severity: None,
        }
    };

    // Principals.
    let old_keys: BTreeSet<&str> = old_snapshot
        .principals
        .iter()
        .map(|p| p.key.as_str())
        .collect();
    let new_keys: BTreeSet<&str> = new_snapshot
        .principals
        .iter()
        .map(|p| p.key.as_str())
        .collect();
    for key in new_keys.difference(&old_keys) {
        changes.push(blank(ChangeKind::PrincipalAdded, key));
    }
    for key in old_keys.difference(&new_keys) {
        changes.push(blank(ChangeKind::PrincipalRemoved, key));
    }

    // Grants.
    let (before, after) = (grants(old_snapshot), grants(new_snapshot));
    let grant_change = |kind, key: &GrantKey<'_>, scope: &Scope, detail: String| Change {
        org_id: Some(scope.org_id().to_string()),
        project_id: scope.project_id().map(str::to_string),
        resource: scope_text(scope),
        role: key.2.to_string(),
        detail,
        ..blank(kind, key.0)
    };
    // Roles gone and come, by principal and place, to pair one-for-one swaps.
    let mut swaps: BTreeMap<(&str, String), Swap<'_, '_>> = BTreeMap::new();
    for key in before.keys().filter(|k| !after.contains_key(*k)) {
        swaps.entry((key.0, key.1.clone())).or_default().0.push(key);
    }
    for key in after.keys().filter(|k| !before.contains_key(*k)) {
        swaps.entry((key.0, key.1.clone())).or_default().1.push(key);
    }
    for (gone, come) in swaps.values() {
        if let ([was], [now]) = (gone.as_slice(), come.as_slice()) {
            let (_, scope) = &after[*now];
            changes.push(grant_change(
                ChangeKind::GrantChanged,
                now,
                scope,
                format!("role {} → {}", was.2, now.2),
            ));
            continue;
        }
        for key in gone {
            let (ways, scope) = &before[*key];
            let detail = format!("was {}", listed(ways));
            changes.push(grant_change(ChangeKind::GrantRemoved, key, scope, detail));
        }
        for key in come {
            let (ways, scope) = &after[*key];
            let detail = format!("via {}", listed(ways));
            changes.push(grant_change(ChangeKind::GrantAdded, key, scope, detail));
        }
    }
    for (key, (ways, scope)) in &after {
        if let Some((old_ways, _)) = before.get(key)
            && old_ways != ways
        {
            let detail = format!("via {} → {}", listed(old_ways), listed(ways));
            changes.push(grant_change(ChangeKind::GrantChanged, key, scope, detail));
        }
    }

    // Findings.
    let by_id = |f: &Findings| -> BTreeMap<String, Finding> {
        f.findings
            .iter()
            .map(|f| (f.id.clone(), f.clone()))
            .collect()
    };
    let (was, now) = (by_id(old_findings), by_id(new_findings));
    let finding_change = |kind, f: &Finding, detail: String| Change {
        org_id: Some(f.scope.org_id.clone()),
        project_id: f.scope.project_id.clone(),
        name: f.principal.name.clone(),
        detail,
        finding_id: Some(f.id.clone()),
        rule: Some(f.rule.as_str().to_string()),
        severity: Some(f.severity),
        ..blank(kind, &f.principal.key)
    };
    for (id, f) in &now {
        match was.get(id) {
            None => changes.push(finding_change(ChangeKind::FindingNew, f, f.title.clone())),
            Some(old) if old.status != f.status => changes.push(finding_change(
                ChangeKind::FindingStatusChanged,
                f,
                format!("{} → {}", old.status.as_str(), f.status.as_str()),
            )),
            Some(_) => {}
        }
    }
    for (id, f) in &was {
        if !now.contains_key(id) {
            changes.push(finding_change(
                ChangeKind::FindingResolved,
                f,
                f.title.clone(),
            ));
        }
    }

    // Exemptions that end before the next review.
    let today = crate::model::utc_day(new_findings.as_of);
    let horizon = today
        .checked_add(NEXT_REVIEW_DAYS.days())
        .unwrap_or(jiff::civil::Date::MAX);
    for e in policy
        .exemptions
        .iter()
        .filter(|e| e.expires >= today && e.expires < horizon)
    {
        let mut change = blank(ChangeKind::ExemptionExpiring, &e.principal);
        change.rule = Some(e.rule.as_str().to_string());
        change.detail = format!(
            "ends {} ({}){}",
            e.expires,
            e.reason,
            e.owner
                .as_deref()
                .map(|o| format!("; owner {o}"))
                .unwrap_or_default()
        );
        if let Some(scope) = &e.scope {
            change.resource = scope.clone();
        }
        changes.push(change);
    }

    changes.sort();
    Changes {
        baseline_as_of: old_findings.as_of,
        baseline: baseline.to_string(),
        as_of: new_findings.as_of,
        changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::evaluate;
    use crate::rules::testkit::{Estate, user_key};

    fn world_a() -> Estate {
        let mut e = Estate::new();
        e.project("o1", "p1", &[]);
        for who in ["ana@example.com", "bo@example.com", "cy@example.com"] {
            e.user("o1", who);
            e.org_role(&user_key(who), "o1", "ORG_MEMBER");
        }
        e.project_role(
            &user_key("bo@example.com"),
            "p1",
            "GROUP_READ_ONLY",
            Via::Direct,
        );
        e.project_role(
            &user_key("cy@example.com"),
            "p1",
            "GROUP_DATA_ACCESS_READ_ONLY",
            Via::Direct,
        );
        e.api_key("o1", "keyone");
        e.org_role("apikey:keyone", "o1", "ORG_READ_ONLY");
        e
    }

    fn compare_worlds(a: &Estate, b: &Estate) -> Changes {
        let fa = evaluate(&a.snapshot, &b.policy).unwrap();
        let fb = evaluate(&b.snapshot, &b.policy).unwrap();
        compare(
            (&a.snapshot, &fa),
            (&b.snapshot, &fb),
            &b.policy,
            "old.json",
        )
    }

    fn lines(c: &Changes, kind: ChangeKind) -> Vec<String> {
        c.of(kind)
            .map(|c| format!("{} {} {}", c.principal, c.role, c.detail))
            .collect()
    }

    #[test]
    fn the_same_world_has_no_changes() {
        let a = world_a();
        let changes = compare_worlds(&a, &a);
        assert!(changes.changes.is_empty(), "{:#?}", changes.changes);
    }

    #[test]
    fn joiners_leavers_raised_roles_and_a_removed_key_are_each_one_change() {
        let a = world_a();
        let mut b = world_a();
        // ana leaves, dee joins, bo is raised, the key goes, cy now holds her role via a team.
        b.snapshot
            .principals
            .retain(|p| p.key != user_key("ana@example.com") && p.key != "apikey:keyone");
        b.snapshot.grants.retain(|g| {
            g.principal != user_key("ana@example.com") && g.principal != "apikey:keyone"
        });
        b.user("o1", "dee@example.com");
        b.org_role(&user_key("dee@example.com"), "o1", "ORG_MEMBER");
        for g in &mut b.snapshot.grants {
            if g.principal == user_key("bo@example.com") && g.role == "GROUP_READ_ONLY" {
                g.role = "GROUP_OWNER".into();
            }
            if g.principal == user_key("cy@example.com") && g.role == "GROUP_DATA_ACCESS_READ_ONLY"
            {
                g.via = Via::Team("analysts".into());
            }
        }
        let c = compare_worlds(&a, &b);
        assert_eq!(
            lines(&c, ChangeKind::PrincipalAdded),
            [format!("{}  ", user_key("dee@example.com"))]
        );
        assert_eq!(c.count(ChangeKind::PrincipalRemoved), 2);
        assert_eq!(
            lines(&c, ChangeKind::GrantAdded),
            [format!(
                "{} ORG_MEMBER via direct",
                user_key("dee@example.com")
            )]
        );
        let removed = lines(&c, ChangeKind::GrantRemoved);
        assert_eq!(removed.len(), 2, "{removed:?}");
        assert!(removed.contains(&"apikey:keyone ORG_READ_ONLY was direct".to_string()));
        assert_eq!(
            lines(&c, ChangeKind::GrantChanged),
            [
                format!(
                    "{} GROUP_OWNER role GROUP_READ_ONLY → GROUP_OWNER",
                    user_key("bo@example.com")
                ),
                format!(
                    "{} GROUP_DATA_ACCESS_READ_ONLY via direct → team:analysts",
                    user_key("cy@example.com")
                ),
            ]
        );
        // Raising bo to project owner is a new privileged-role finding.
        assert!(
            c.of(ChangeKind::FindingNew)
                .any(|f| f.principal == user_key("bo@example.com")),
            "{:#?}",
            c.changes
        );
    }

    #[test]
    fn exemptions_ending_before_the_next_review_are_listed() {
        let a = world_a();
        let mut b = world_a();
        let policy = crate::rules::Policy::parse(
            r#"
[[exemption]]
rule = "USER_INACTIVE"
principal = "user:soon@example.com"
reason = "contractor finishing"
owner = "sec-team"
expires = "2027-01-15"

[[exemption]]
rule = "USER_INACTIVE"
principal = "user:later@example.com"
reason = "long project"
expires = "2027-12-01"
"#,
            std::path::Path::new("atlas-audit.toml"),
        );
        b.policy = policy.unwrap();
        let c = compare_worlds(&a, &b);
        let expiring = lines(&c, ChangeKind::ExemptionExpiring);
        assert_eq!(expiring.len(), 1, "{expiring:?}");
        assert!(expiring[0].contains("ends 2027-01-15 (contractor finishing); owner sec-team"));
    }
}
