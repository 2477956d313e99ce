//! The policy file end to end, through the public API: the starter policy is the defaults, a
//! full policy means what it says, and every broken policy under `tests/policies/` is rejected
//! with a message (pinned by a snapshot) that names the line, column and field of each problem.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use atlas_audit::rules::policy::{
    Policy, PolicyError, Problem, SeveritySetting, TagMatch, starter,
};
use atlas_audit::rules::{RuleId, Severity};
use jiff::civil::date;
use pretty_assertions::assert_eq;

fn parse(text: &str) -> Result<Policy, PolicyError> {
    Policy::parse(text, Path::new("atlas-audit.toml"))
}

fn problems(text: &str) -> Vec<Problem> {
    match parse(text) {
        Err(PolicyError::Invalid { problems, .. }) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

/// The broken policies, sorted, as paths relative to the crate (so messages are stable).
fn broken_policies() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/policies");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/policies exists")
        .map(|e| {
            e.expect("readable entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| Path::new("tests/policies").join(n))
        .collect()
}

#[test]
fn the_starter_policy_parses_back_to_the_defaults() {
    let policy = parse(&starter()).expect("the starter policy is valid");
    assert_eq!(policy, Policy::default());
}

#[test]
fn an_empty_file_or_only_comments_is_the_default() {
    assert_eq!(parse("").unwrap(), Policy::default());
    assert_eq!(parse("# nothing here\n\n   \n").unwrap(), Policy::default());
    // Empty tables change nothing either.
    assert_eq!(
        parse("[thresholds]\n[roles]\n[projects]\n[severity]\n").unwrap(),
        Policy::default()
    );
}

#[test]
fn the_starter_example_exemption_parses_when_uncommented() {
    let text = starter();
    let block = text
        .split_once("# [[exemption]]")
        .map(|(_, rest)| format!("[[exemption]]{rest}"))
        .expect("the starter has an example exemption");
    let uncommented: String = block
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    let policy = parse(&uncommented).expect("the uncommented example is valid");
    let [e] = policy.exemptions.as_slice() else {
        panic!("one exemption expected: {:?}", policy.exemptions)
    };
    assert_eq!(e.rule, RuleId::DbuserAdminRole);
    assert_eq!(e.principal, "dbuser:5f1d.../admin/backup-agent");
    assert_eq!(e.scope.as_deref(), Some("project:5f1d..."));
    assert_eq!(e.owner.as_deref(), Some("dba@acme.example"));
    assert_eq!(e.ticket.as_deref(), Some("SEC-1432"));
    assert_eq!(e.expires, date(2027, 3, 31));
    assert_eq!(e.line, Some(1));
}

#[test]
fn every_severity_line_of_the_starter_parses_when_uncommented() {
    let text = starter();
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| {
            RuleId::ALL
                .iter()
                .any(|r| l.starts_with(&format!("{r} = ")))
        })
        .collect();
    assert_eq!(lines.len(), RuleId::ALL.len());
    let policy = parse(&format!("[severity]\n{}\n", lines.join("\n"))).expect("valid");
    for rule in RuleId::ALL {
        assert_eq!(
            policy.severity.get(rule),
            Some(&SeveritySetting::Level(rule.default_severity())),
            "{rule}"
        );
    }
}

const FULL: &str = r#"
[thresholds]
inactive_days = 60
invite_max_days = 14
lookback_days = 120
secret_warning_days = 0
max_secret_days = 365
min_org_owners = 1
max_org_owners = 1

[roles]
privileged_project_roles = ["GROUP_OWNER", "GROUP_CLUSTER_MANAGER"]
privileged_machine_roles = []
database_admin_roles_high = ["atlasAdmin"]
database_admin_roles_medium = ["backup"]
dangerous_actions = ["DROP_DATABASE"]

[projects]
production_tags = ["tier = gold", "environment=production"]

[severity]
ORG_EMPLOYEE_ACCESS_UNRESTRICTED = "off"
USER_ORG_OWNER = "high"
DBUSER_INACTIVE = "Info"

[[exemption]]
rule = "DBUSER_ADMIN_ROLE"
principal = "dbuser:5f1d0000/admin/backup-*"
scope = "project:5f1d0000"
reason = "Backup agents need the backup role"
owner = "dba@acme.example"
ticket = "SEC-1432"
expires = 2027-03-31

[[exemption]]
rule = "USER_ORG_OWNER"
principal = "user:alice@acme.example"
reason = "Founder"
expires = "2026-12-31"
"#;

#[test]
fn a_full_policy_parses_to_its_values() {
    let policy = parse(FULL).expect("valid");
    let t = &policy.thresholds;
    assert_eq!(
        (t.inactive_days, t.invite_max_days, t.lookback_days),
        (60, 14, 120)
    );
    assert_eq!((t.secret_warning_days, t.max_secret_days), (0, 365));
    assert_eq!((t.min_org_owners, t.max_org_owners), (1, 1));

    let r = &policy.roles;
    assert_eq!(
        r.privileged_project_roles,
        ["GROUP_OWNER", "GROUP_CLUSTER_MANAGER"]
    );
    assert!(r.privileged_machine_roles.is_empty());
    assert_eq!(r.database_admin_roles_high, ["atlasAdmin"]);
    assert_eq!(r.database_admin_roles_medium, ["backup"]);
    assert_eq!(r.dangerous_actions, ["DROP_DATABASE"]);

    // Spaces around `=` in a tag are not part of the key or value.
    assert_eq!(
        policy.production_tags,
        [
            TagMatch {
                key: "tier".into(),
                value: "gold".into()
            },
            TagMatch {
                key: "environment".into(),
                value: "production".into()
            },
        ]
    );

    assert_eq!(
        policy.severity,
        BTreeMap::from([
            (RuleId::OrgEmployeeAccessUnrestricted, SeveritySetting::Off),
            (RuleId::UserOrgOwner, SeveritySetting::Level(Severity::High)),
            (
                RuleId::DbuserInactive,
                SeveritySetting::Level(Severity::Info)
            ),
        ])
    );
    assert!(!policy.is_enabled(RuleId::OrgEmployeeAccessUnrestricted));
    assert_eq!(
        policy.severity_for(RuleId::UserInactive, Severity::Medium),
        Some(Severity::Medium)
    );

    let [glob, quoted] = policy.exemptions.as_slice() else {
        panic!("two exemptions expected")
    };
    assert_eq!(glob.rule, RuleId::DbuserAdminRole);
    assert_eq!(glob.principal, "dbuser:5f1d0000/admin/backup-*");
    assert_eq!(glob.scope.as_deref(), Some("project:5f1d0000"));
    assert_eq!(glob.reason, "Backup agents need the backup role");
    assert_eq!(glob.owner.as_deref(), Some("dba@acme.example"));
    assert_eq!(glob.ticket.as_deref(), Some("SEC-1432"));
    assert_eq!(glob.expires, date(2027, 3, 31));
    // FULL starts with a newline: the first header is on line 26.
    assert_eq!(glob.line, Some(26));

    assert_eq!(quoted.rule, RuleId::UserOrgOwner);
    assert_eq!(quoted.scope, None);
    assert_eq!(
        (quoted.owner.as_ref(), quoted.ticket.as_ref()),
        (None, None)
    );
    assert_eq!(quoted.expires, date(2026, 12, 31));
    assert_eq!(quoted.line, Some(35));
}

#[test]
fn inline_exemptions_and_dotted_keys_are_accepted() {
    let text = "thresholds.inactive_days = 30\n\
                exemption = [\n  { rule = \"SA_UNUSED\", principal = \"sa:*\", reason = \"r\", expires = 2027-01-01 },\n]\n";
    let policy = parse(text).expect("valid");
    assert_eq!(policy.thresholds.inactive_days, 30);
    assert_eq!(policy.exemptions[0].rule, RuleId::SaUnused);
    assert_eq!(policy.exemptions[0].line, Some(3));
}

#[test]
fn every_broken_policy_is_rejected_with_a_pinned_message() {
    let files = broken_policies();
    assert!(files.len() >= 12, "{} broken policies", files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let err = match Policy::load(&path) {
            Err(e @ PolicyError::Invalid { .. }) => e,
            other => panic!("{} must be rejected, got {other:?}", path.display()),
        };
        let PolicyError::Invalid { problems, .. } = &err else {
            unreachable!()
        };
        // Every problem points at a real place of the file, in file order.
        let line_count = text.lines().count();
        for p in problems {
            assert!(
                p.line >= 1 && p.line <= line_count,
                "{}: {p}",
                path.display()
            );
            assert!(p.column >= 1, "{}: {p}", path.display());
        }
        assert!(problems.is_sorted_by_key(|p| (p.line, p.column)));
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(name, err.to_string());
    }
}

#[test]
fn one_file_with_many_problems_reports_them_all_at_once() {
    let path = Path::new("tests/policies/many_problems.toml");
    let Err(PolicyError::Invalid { problems, .. }) = Policy::load(path) else {
        panic!("many_problems.toml must be rejected")
    };
    let fields: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.line, p.field.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            (3, "thresholds.inactive_days"),
            (4, "thresholds.invite_max_days"),
            (5, "thresholds.lookback_dayz"),
            (8, "projects.production_tags[1]"),
            (11, "severity.USER_INACTIV"),
            (12, "severity.APIKEY_UNUSED"),
            (14, "exemption[1].reason"),
            (16, "exemption[1].principal"),
            (17, "exemption[1].scope"),
            (18, "exemption[1].expires"),
            (24, "exemption[2].expires"),
            (26, "reporting"),
        ]
    );
}

#[test]
fn problems_carry_one_based_columns_of_the_value() {
    let p = problems("[thresholds]\n  inactive_days =   0\n");
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].line, p[0].column), (2, 21));
    assert_eq!(p[0].field, "thresholds.inactive_days");
    assert_eq!(p[0].message, "0 is out of range; expected 1 to 3650 days");
}

#[test]
fn the_threshold_range_ends_are_accepted_and_one_past_them_is_not() {
    assert_eq!(
        parse("[thresholds]\ninactive_days = 3650\nsecret_warning_days = 0\n")
            .unwrap()
            .thresholds
            .inactive_days,
        3650
    );
    let p = problems("[thresholds]\ninactive_days = 3651\n");
    assert_eq!(p[0].field, "thresholds.inactive_days");
    let p = problems("[thresholds]\nmax_secret_days = 0\n");
    assert_eq!(p[0].field, "thresholds.max_secret_days");
}

#[test]
fn max_org_owners_below_min_is_reported_at_max() {
    let p = problems("[thresholds]\nmin_org_owners = 3\nmax_org_owners = 2\n");
    assert_eq!(p.len(), 1);
    assert_eq!(
        (p[0].line, p[0].field.as_str()),
        (3, "thresholds.max_org_owners")
    );
    assert!(
        p[0].message.contains("expected at least 3"),
        "{}",
        p[0].message
    );
    // Equal is fine.
    assert!(parse("[thresholds]\nmin_org_owners = 2\nmax_org_owners = 2\n").is_ok());
}

#[test]
fn a_missing_exemption_field_is_located_at_its_header() {
    let p = problems(
        "[[exemption]]\nrule = \"SA_UNUSED\"\nprincipal = \"sa:x\"\nreason = \"r\"\nexpires = 2027-01-01\n\n\
         [[exemption]]\nrule = \"SA_UNUSED\"\nprincipal = \"sa:y\"\nexpires = 2027-01-01\n",
    );
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].line, p[0].column), (7, 1));
    assert_eq!(p[0].field, "exemption[2].reason");
}

#[test]
fn a_missing_file_is_a_read_error_naming_it() {
    let err = Policy::load(Path::new("tests/policies/does-not-exist.toml")).unwrap_err();
    assert!(matches!(err, PolicyError::Read { .. }));
    assert!(
        err.to_string()
            .contains("tests/policies/does-not-exist.toml"),
        "{err}"
    );
}
