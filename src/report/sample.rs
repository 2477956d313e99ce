//! Small estates for the renderers' unit tests: an ordinary one with findings of several
//! severities, an exemption, a coverage gap and a team, and a hostile one whose Atlas text
//! carries markup, formulas, bidirectional overrides, NUL, emoji and 10 KB strings.

use crate::model::{Scope, Via};
use crate::rules::testkit::{Estate, days_ago};
use crate::rules::{self, Findings};

use super::ReportInput;
pub use super::hostile_strings;

/// A snapshot, its findings and the policy, owned, for [`Sample::input`].
pub struct Sample {
    /// The estate.
    pub estate: Estate,
    /// Its findings.
    pub findings: Findings,
}

impl Sample {
    /// The renderers' input.
    pub fn input(&self) -> ReportInput<'_> {
        ReportInput::without_policy_file(&self.estate.snapshot, &self.findings, &self.estate.policy)
    }

    fn from(estate: Estate) -> Sample {
        let findings = rules::evaluate(&estate.snapshot, &estate.policy).expect("as-of is set");
        Sample { estate, findings }
    }
}

/// An ordinary estate: an org with MFA off, a production project, an org owner who has not
/// logged in for 200 days, a team with a privileged project role, an unrestricted API key, an
/// admin database user, and a project whose database users could not be read.
pub fn ordinary() -> Sample {
    let mut e = Estate::new();
    e.org("o1").settings.as_mut().unwrap().mfa_required = Some(false);
    e.project("o1", "p1", &[("environment", "production")]);
    e.project("o1", "p2", &[]);
    e.user("o1", "owner@example.test");
    e.principal_mut("user:owner@example.test").last_activity = crate::model::LastActivity::Seen {
        at: days_ago(200),
        source: crate::model::ActivitySource::LastAuth,
    };
    e.org_role("user:owner@example.test", "o1", "ORG_OWNER");
    e.user("o1", "dev@example.test");
    e.org_role("user:dev@example.test", "o1", "ORG_MEMBER");
    e.team("o1", "platform", &["user:dev@example.test"]);
    e.project_role("team:o1/platform", "p1", "GROUP_OWNER", Via::Direct);
    e.project_role(
        "user:dev@example.test",
        "p1",
        "GROUP_OWNER",
        Via::Team("platform".into()),
    );
    e.api_key("o1", "abcdefgh");
    e.org_role("apikey:abcdefgh", "o1", "ORG_OWNER");
    e.db_user("p1", "backup", &[("atlasAdmin", "admin")], &[]);
    e.grant(
        "dbuser:p1/admin/backup",
        Scope::Database {
            org_id: "o1".into(),
            project_id: "p1".into(),
            resource: "sales".into(),
            clusters: vec!["c1".into()],
        },
        "read",
        Via::Direct,
    );
    e.gap("project:p2", "listDatabaseUsers");
    e.snapshot.principals.sort_by(|a, b| a.key.cmp(&b.key));
    e.snapshot.grants.sort();
    Sample::from(e)
}

/// An estate whose every Atlas-supplied text is hostile: org, project, team and user names,
/// key descriptions and database usernames.
pub fn hostile() -> Sample {
    let bad = hostile_strings();
    let mut e = Estate::new();
    e.org("o1").name = bad[0].clone();
    e.org("o1").settings.as_mut().unwrap().mfa_required = Some(false);
    e.project("o1", "p1", &[("environment", "production")]).name = bad[1].clone();
    for (i, s) in bad.iter().enumerate() {
        let email = format!("u{i}@example.test");
        let key = format!("user:{email}");
        e.user("o1", &email);
        e.principal_mut(&key).name = s.clone();
        e.org_role(&key, "o1", "ORG_OWNER");
        e.db_user("p1", s, &[("atlasAdmin", "admin")], &[]);
    }
    e.team("o1", &bad[2], &["user:u0@example.test"]);
    e.project_role(
        &format!("team:o1/{}", bad[2]),
        "p1",
        "GROUP_OWNER",
        Via::Direct,
    );
    e.api_key("o1", "hostile1");
    if let crate::model::PrincipalDetail::ApiKey(k) = &mut e.principal_mut("apikey:hostile1").detail
    {
        k.description = Some(bad[5].clone());
    }
    e.principal_mut("apikey:hostile1").name = bad[5].clone();
    e.org_role("apikey:hostile1", "o1", "ORG_OWNER");
    e.snapshot.principals.sort_by(|a, b| a.key.cmp(&b.key));
    e.snapshot.grants.sort();
    Sample::from(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_samples_have_findings_of_several_kinds() {
        let s = ordinary();
        let rules: std::collections::BTreeSet<&str> = s
            .findings
            .findings
            .iter()
            .map(|f| f.rule.as_str())
            .collect();
        assert!(rules.contains("ORG_MFA_NOT_REQUIRED"), "{rules:?}");
        assert!(rules.contains("DBUSER_ADMIN_ROLE"), "{rules:?}");
        assert!(rules.contains("USER_PRIVILEGED_PROJECT_ROLE"), "{rules:?}");
        assert!(!s.estate.snapshot.is_complete());
        let h = hostile();
        assert!(
            h.findings.findings.len() >= 10,
            "{}",
            h.findings.findings.len()
        );
    }
}
