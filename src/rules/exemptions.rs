//! Applies the policy's exemptions to findings. An exemption is matched by rule and principal
//! key (a glob), optionally by scope. A current exemption marks the finding `exempted` and keeps
//! it in every output; an expired one does not apply and the finding says it expired. An
//! exemption that matched nothing, or that has expired, is reported as a warning.

use globset::{Glob, GlobMatcher};
use jiff::Timestamp;

use super::finding::{ExemptionNote, ExemptionWarning, Finding, Status};
use super::policy::Exemption;

/// A glob over keys: `*` any run of characters (slashes included), `?` one character.
pub fn key_glob(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    Ok(Glob::new(pattern)?.compile_matcher())
}

struct Compiled<'e> {
    exemption: &'e Exemption,
    principal: Option<GlobMatcher>,
    scope: Option<Option<GlobMatcher>>,
    expired: bool,
    matched: usize,
}

impl Compiled<'_> {
    fn matches(&self, f: &Finding) -> bool {
        if f.rule != self.exemption.rule {
            return false;
        }
        let principal_ok = match &self.principal {
            Some(g) => g.is_match(&f.principal.key),
            None => f.principal.key == self.exemption.principal,
        };
        let scope_ok = match (&self.scope, &self.exemption.scope) {
            (None, _) | (_, None) => true,
            (Some(Some(g)), _) => {
                g.is_match(f.scope.key()) || g.is_match(crate::model::key::org(&f.scope.org_id))
            }
            (Some(None), Some(s)) => {
                *s == f.scope.key() || *s == crate::model::key::org(&f.scope.org_id)
            }
        };
        principal_ok && scope_ok
    }
}

/// Marks the findings that current exemptions accept, notes expired ones, and returns the
/// warnings: exemptions that matched nothing, and exemptions that have expired.
pub fn apply(
    findings: &mut [Finding],
    exemptions: &[Exemption],
    as_of: Timestamp,
) -> Vec<ExemptionWarning> {
    let today = crate::model::utc_day(as_of);
    let mut compiled: Vec<Compiled<'_>> = exemptions
        .iter()
        .map(|e| Compiled {
            exemption: e,
            // The policy validated every pattern; a pattern that does not compile matches
            // only itself.
            principal: key_glob(&e.principal).ok(),
            scope: e.scope.as_ref().map(|s| key_glob(s).ok()),
            expired: e.expires < today,
            matched: 0,
        })
        .collect();
    for f in findings.iter_mut() {
        // The first current exemption wins; an expired one is noted only when no current one
        // applies.
        let mut expired_match: Option<usize> = None;
        let mut current_match: Option<usize> = None;
        for (i, c) in compiled.iter().enumerate() {
            if !c.matches(f) {
                continue;
            }
            if c.expired {
                expired_match.get_or_insert(i);
            } else {
                current_match = Some(i);
                break;
            }
        }
        let Some(i) = current_match.or(expired_match) else {
            continue;
        };
        let c = &mut compiled[i];
        c.matched += 1;
        let e = c.exemption;
        f.exemption = Some(ExemptionNote {
            reason: e.reason.clone(),
            owner: e.owner.clone(),
            ticket: e.ticket.clone(),
            expires: e.expires,
            expired: c.expired,
            policy_line: e.line,
        });
        if !c.expired {
            f.status = Status::Exempted;
        }
    }
    let mut warnings = Vec::new();
    for c in &compiled {
        let e = c.exemption;
        let message = if c.expired {
            format!(
                "expired on {}; it no longer applies ({} finding{} open again); renew it or remove it",
                e.expires,
                c.matched,
                if c.matched == 1 { " is" } else { "s are" },
            )
        } else if c.matched == 0 {
            "matched no finding; the access may be gone (remove the exemption) or the rule, principal or scope may be misspelled".to_string()
        } else {
            continue;
        };
        warnings.push(ExemptionWarning {
            rule: e.rule,
            principal: e.principal.clone(),
            policy_line: e.line,
            message,
        });
    }
    warnings.sort();
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::finding::*;
    use crate::rules::testkit::as_of;
    use crate::rules::{Recommendation, RuleId};

    fn finding(rule: RuleId, key: &str, project: Option<&str>) -> Finding {
        Finding {
            id: String::new(),
            rule,
            severity: Severity::High,
            principal: Subject {
                key: key.into(),
                kind: SubjectKind::DatabaseUser,
                name: key.into(),
            },
            scope: FindingScope {
                org_id: "o1".into(),
                project_id: project.map(str::to_string),
            },
            title: "t".into(),
            evidence: Evidence {
                summary: "s".into(),
                facts: vec![],
            },
            recommendation: Recommendation::revoke("r"),
            status: Status::Open,
            exemption: None,
        }
    }

    fn exemption(rule: RuleId, principal: &str, scope: Option<&str>, expires: &str) -> Exemption {
        Exemption {
            rule,
            principal: principal.into(),
            scope: scope.map(str::to_string),
            reason: "needed".into(),
            owner: Some("dba@example.test".into()),
            ticket: Some("SEC-1".into()),
            expires: expires.parse().unwrap(),
            line: Some(7),
        }
    }

    #[test]
    fn a_current_exemption_marks_the_finding_and_keeps_its_severity() {
        let mut fs = vec![finding(
            RuleId::DbuserAdminRole,
            "dbuser:p1/admin/backup",
            Some("p1"),
        )];
        let w = apply(
            &mut fs,
            &[exemption(
                RuleId::DbuserAdminRole,
                "dbuser:p1/admin/backup",
                None,
                "2027-03-31",
            )],
            as_of(),
        );
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(fs[0].status, Status::Exempted);
        assert_eq!(fs[0].severity, Severity::High);
        let note = fs[0].exemption.as_ref().unwrap();
        assert_eq!(
            (note.reason.as_str(), note.ticket.as_deref(), note.expired),
            ("needed", Some("SEC-1"), false)
        );
    }

    #[test]
    fn globs_match_across_slashes_and_scopes_narrow() {
        let mut fs = vec![
            finding(
                RuleId::DbuserAdminRole,
                "dbuser:p1/admin/backup-1",
                Some("p1"),
            ),
            finding(
                RuleId::DbuserAdminRole,
                "dbuser:p2/admin/backup-2",
                Some("p2"),
            ),
            finding(
                RuleId::DbuserUnscoped,
                "dbuser:p1/admin/backup-1",
                Some("p1"),
            ),
        ];
        let w = apply(
            &mut fs,
            &[exemption(
                RuleId::DbuserAdminRole,
                "dbuser:*backup-*",
                Some("project:p1"),
                "2027-03-31",
            )],
            as_of(),
        );
        assert!(w.is_empty());
        let statuses: Vec<Status> = fs.iter().map(|f| f.status).collect();
        assert_eq!(statuses, [Status::Exempted, Status::Open, Status::Open]);
        // An org scope covers every project of the org.
        let mut fs = vec![finding(
            RuleId::DbuserAdminRole,
            "dbuser:p2/admin/x",
            Some("p2"),
        )];
        apply(
            &mut fs,
            &[exemption(
                RuleId::DbuserAdminRole,
                "*",
                Some("org:o1"),
                "2027-03-31",
            )],
            as_of(),
        );
        assert_eq!(fs[0].status, Status::Exempted);
    }

    #[test]
    fn the_last_day_applies_the_day_after_does_not() {
        // as_of is 2026-11-20.
        let mut fs = vec![finding(RuleId::DbuserAdminRole, "k", None)];
        apply(
            &mut fs,
            &[exemption(RuleId::DbuserAdminRole, "k", None, "2026-11-20")],
            as_of(),
        );
        assert_eq!(fs[0].status, Status::Exempted);
        let mut fs = vec![finding(RuleId::DbuserAdminRole, "k", None)];
        let w = apply(
            &mut fs,
            &[exemption(RuleId::DbuserAdminRole, "k", None, "2026-11-19")],
            as_of(),
        );
        assert_eq!(fs[0].status, Status::Open);
        assert!(fs[0].exemption.as_ref().unwrap().expired);
        assert_eq!(w.len(), 1);
        assert!(
            w[0].message.contains("expired on 2026-11-19"),
            "{}",
            w[0].message
        );
    }

    #[test]
    fn an_exemption_that_matches_nothing_is_a_warning() {
        let mut fs = vec![finding(RuleId::DbuserAdminRole, "k", None)];
        let w = apply(
            &mut fs,
            &[
                exemption(RuleId::DbuserUnscoped, "k", None, "2027-01-01"),
                exemption(
                    RuleId::DbuserAdminRole,
                    "k",
                    Some("project:elsewhere"),
                    "2027-01-01",
                ),
            ],
            as_of(),
        );
        assert_eq!(fs[0].status, Status::Open);
        assert_eq!(w.len(), 2);
        assert!(w.iter().all(|w| w.message.contains("matched no finding")));
    }
}
