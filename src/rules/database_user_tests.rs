//! Unit tests of the database user rules.

use serde_json::Value;

use crate::model::{
    AuthMethod, CustomRole, DatabaseUser, InheritedRole, PrincipalDetail, RoleAction, RoleResource,
    key,
};
use crate::rules::testkit::{Estate, cluster, fact, facts, only};
use crate::rules::{Action, RuleId, Severity};

/// Org `o1` with production project `p1` (cluster `c1`) and staging project `p2`.
pub(super) fn estate() -> Estate {
    let mut e = Estate::new();
    e.project("o1", "p1", &[("environment", "production")]);
    e.project("o1", "p2", &[("environment", "staging")]);
    e
}

pub(super) fn dbkey(project: &str, username: &str) -> String {
    key::database_user(project, "admin", username)
}

fn dbu<'e>(e: &'e mut Estate, project: &str, username: &str) -> &'e mut DatabaseUser {
    match &mut e.principal_mut(&dbkey(project, username)).detail {
        PrincipalDetail::DatabaseUser(u) => u,
        _ => panic!("{username} is not a database user"),
    }
}

/// A resource: `("", "")` is every database; `cluster` is cluster-wide.
fn res(cluster: bool, db: &str, collection: &str) -> RoleResource {
    RoleResource {
        cluster,
        db: db.into(),
        collection: collection.into(),
    }
}

/// Adds a custom role of `project` with `(action, resource)` pairs and inherited roles.
fn custom(
    e: &mut Estate,
    project: &str,
    name: &str,
    actions: &[(&str, RoleResource)],
    inherits: &[&str],
) {
    e.snapshot.custom_roles.push(CustomRole {
        project_id: project.into(),
        name: name.into(),
        actions: actions
            .iter()
            .map(|(a, r)| RoleAction {
                action: a.to_string(),
                resources: vec![r.clone()],
            })
            .collect(),
        inherited_roles: inherits
            .iter()
            .map(|r| InheritedRole {
                role: r.to_string(),
                db: "admin".into(),
            })
            .collect(),
    });
}

// DBUSER_ADMIN_ROLE

#[test]
fn admin_role_rates_high_and_medium_roles_and_passes_plain_ones() {
    let mut e = estate();
    e.db_user("p1", "backup-agent", &[("atlasAdmin", "admin")], &[]);
    e.db_user("p1", "analytics", &[("readAnyDatabase", "admin")], &["c1"]);
    e.db_user("p1", "app", &[("readWrite", "shop")], &["c1"]);
    let out = e.run(RuleId::DbuserAdminRole);
    let sev = |u: &str| {
        out.findings
            .iter()
            .find(|f| f.principal.key == dbkey("p1", u))
            .map(|f| f.severity)
    };
    assert_eq!(sev("backup-agent"), Some(Severity::High));
    assert_eq!(sev("analytics"), Some(Severity::Medium));
    assert_eq!(sev("app"), None);
    let f = out
        .findings
        .iter()
        .find(|f| f.principal.key == dbkey("p1", "backup-agent"))
        .unwrap();
    assert_eq!(f.scope.project_id.as_deref(), Some("p1"));
    assert_eq!(f.recommendation.action, Action::Modify);
    assert_eq!(
        f.recommendation.to.as_deref(),
        Some("readWrite (or read) on the databases it needs")
    );
    assert_eq!(fact(f, "role")["roleName"], "atlasAdmin");
    assert_eq!(fact(f, "role")["databaseName"], "admin");
}

#[test]
fn admin_role_takes_the_highest_severity_and_lists_every_role() {
    let mut e = estate();
    e.db_user(
        "p2",
        "ml-admin",
        &[("clusterMonitor", "admin"), ("dbAdminAnyDatabase", "admin")],
        &[],
    );
    let f = only(&e, RuleId::DbuserAdminRole);
    assert_eq!(f.severity, Severity::High);
    let rated: Vec<_> = facts(&f, "role")
        .iter()
        .map(|v| (v["roleName"].clone(), v["rated"].clone()))
        .collect();
    assert_eq!(
        rated,
        vec![
            (Value::from("dbAdminAnyDatabase"), Value::from("high")),
            (Value::from("clusterMonitor"), Value::from("medium")),
        ]
    );
    assert_eq!(
        f.recommendation.to.as_deref(),
        Some("readWrite (or read) on the databases it needs")
    );
    assert!(
        f.recommendation
            .text
            .contains("clusterMonitor with a custom role")
    );
}

#[test]
fn admin_role_leaves_custom_roles_alone_and_reports_unknown_roles() {
    let mut e = estate();
    custom(
        &mut e,
        "p1",
        "ledgerReader",
        &[("FIND", res(false, "payments", "ledger"))],
        &[],
    );
    e.db_user("p1", "auditor", &[("ledgerReader", "admin")], &[]);
    e.db_user("p1", "odd", &[("superUser", "admin")], &[]);
    let out = e.run(RuleId::DbuserAdminRole);
    assert!(out.findings.is_empty(), "{:?}", out.findings);
    assert_eq!(out.not_evaluated.len(), 1);
    let n = &out.not_evaluated[0];
    assert_eq!(n.principal.as_deref(), Some(dbkey("p1", "odd").as_str()));
    assert!(n.reason.contains("superUser"));
    assert!(
        n.reason
            .contains("neither a built-in role nor a custom role")
    );

    e.gap("project:p1", "listGroupCustomDbRoleRoles");
    let out = e.run(RuleId::DbuserAdminRole);
    assert!(
        out.not_evaluated
            .iter()
            .all(|n| n.reason.contains("custom roles could not be read"))
    );
}

#[test]
fn every_database_user_rule_is_not_evaluated_without_the_user_listing() {
    let mut e = estate();
    e.db_user("p1", "backup-agent", &[("atlasAdmin", "admin")], &[]);
    e.gap("project:p1", "listGroupDatabaseUsers");
    for rule in [
        RuleId::DbuserAdminRole,
        RuleId::DbuserUnscoped,
        RuleId::DbuserDangerousCustomRole,
        RuleId::DbuserPasswordAuthProd,
        RuleId::DbuserOrphaned,
        RuleId::DbuserInactive,
    ] {
        let out = e.run(rule);
        assert!(out.findings.is_empty(), "{rule:?}");
        assert_eq!(
            out.not_evaluated.len(),
            1,
            "{rule:?}: {:?}",
            out.not_evaluated
        );
        let n = &out.not_evaluated[0];
        assert_eq!(n.scope.project_id.as_deref(), Some("p1"));
        assert_eq!(n.scope.org_id, "o1");
        assert!(n.reason.contains("listGroupDatabaseUsers"));
    }
}

// DBUSER_UNSCOPED

#[test]
fn unscoped_flags_a_built_in_writer_without_scopes_only() {
    let mut e = estate();
    e.project("o1", "p3", &[])
        .clusters
        .as_mut()
        .unwrap()
        .push(cluster("c2"));
    e.db_user("p3", "stg-app", &[("readWriteAnyDatabase", "admin")], &[]);
    e.db_user(
        "p3",
        "scoped-app",
        &[("readWriteAnyDatabase", "admin")],
        &["c1"],
    );
    e.db_user("p3", "notebook-reader", &[("read", "sample")], &[]);
    let f = only(&e, RuleId::DbuserUnscoped);
    assert_eq!(f.principal.key, dbkey("p3", "stg-app"));
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.recommendation.action, Action::Modify);
    assert_eq!(
        f.recommendation.to.as_deref(),
        Some("scopes: the clusters it uses")
    );
    assert!(
        f.recommendation.text.contains("c1, c2"),
        "{}",
        f.recommendation.text
    );
    assert_eq!(fact(&f, "role")["roleName"], "readWriteAnyDatabase");
}

#[test]
fn unscoped_counts_custom_roles_with_write_actions_even_inherited() {
    let mut e = estate();
    custom(
        &mut e,
        "p2",
        "reader",
        &[("FIND", res(false, "shop", ""))],
        &[],
    );
    custom(
        &mut e,
        "p2",
        "writer",
        &[("INSERT", res(false, "shop", ""))],
        &[],
    );
    custom(&mut e, "p2", "wrapper", &[], &["writer"]);
    custom(&mut e, "p2", "builtin-wrapper", &[], &["readWrite"]);
    e.db_user("p2", "r", &[("reader", "admin")], &[]);
    e.db_user("p2", "w", &[("wrapper", "admin")], &[]);
    e.db_user("p2", "b", &[("builtin-wrapper", "admin")], &[]);
    let out = e.run(RuleId::DbuserUnscoped);
    let mut keys: Vec<_> = out
        .findings
        .iter()
        .map(|f| f.principal.key.clone())
        .collect();
    keys.sort();
    assert_eq!(keys, vec![dbkey("p2", "b"), dbkey("p2", "w")]);
    let w = out
        .findings
        .iter()
        .find(|f| f.principal.key == dbkey("p2", "w"))
        .unwrap();
    assert_eq!(
        fact(w, "role")["write_actions"],
        serde_json::json!(["INSERT"])
    );
}

#[test]
fn unscoped_survives_an_inheritance_cycle() {
    let mut e = estate();
    custom(
        &mut e,
        "p2",
        "a",
        &[("FIND", res(false, "shop", ""))],
        &["b"],
    );
    custom(
        &mut e,
        "p2",
        "b",
        &[("FIND", res(false, "shop", ""))],
        &["a"],
    );
    e.db_user("p2", "loop", &[("a", "admin")], &[]);
    assert!(e.flagged(RuleId::DbuserUnscoped).is_empty());
    custom(
        &mut e,
        "p2",
        "c",
        &[("REMOVE", res(false, "shop", ""))],
        &["a"],
    );
    e.snapshot.custom_roles[1]
        .inherited_roles
        .push(InheritedRole {
            role: "c".into(),
            db: "admin".into(),
        });
    assert_eq!(e.flagged(RuleId::DbuserUnscoped), vec![dbkey("p2", "loop")]);
}

#[test]
fn unscoped_without_custom_roles_judges_built_ins_and_reports_the_project() {
    let mut e = estate();
    e.db_user("p2", "builtin", &[("readWrite", "shop")], &[]);
    e.db_user("p2", "customised", &[("writer", "admin")], &[]);
    e.gap("project:p2", "listGroupCustomDbRoleRoles");
    let out = e.run(RuleId::DbuserUnscoped);
    let keys: Vec<_> = out
        .findings
        .iter()
        .map(|f| f.principal.key.clone())
        .collect();
    assert_eq!(keys, vec![dbkey("p2", "builtin")]);
    assert_eq!(out.not_evaluated.len(), 1);
    assert!(out.not_evaluated[0].principal.is_none());
    assert!(
        out.not_evaluated[0]
            .reason
            .contains("listGroupCustomDbRoleRoles")
    );
}

#[test]
fn unscoped_reports_an_unknown_role() {
    let mut e = estate();
    e.db_user("p2", "odd", &[("superUser", "admin")], &[]);
    let out = e.run(RuleId::DbuserUnscoped);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 1);
    assert!(out.not_evaluated[0].reason.contains("superUser"));
}

// DBUSER_DANGEROUS_CUSTOM_ROLE

fn migration_ops(e: &mut Estate) {
    custom(
        e,
        "p1",
        "migrationOps",
        &[
            ("DROP_DATABASE", res(false, "", "")),
            ("FIND", res(false, "", "")),
            ("OUT_TO_S3", res(true, "", "")),
        ],
        &[],
    );
}

#[test]
fn dangerous_custom_role_flags_destructive_actions_on_wildcards() {
    let mut e = estate();
    migration_ops(&mut e);
    e.db_user("p1", "payments-migrator", &[("migrationOps", "admin")], &[]);
    let f = only(&e, RuleId::DbuserDangerousCustomRole);
    assert_eq!(f.severity, Severity::High);
    let actions: Vec<_> = facts(&f, "action")
        .iter()
        .map(|v| v["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(actions, vec!["DROP_DATABASE", "OUT_TO_S3"]);
    let s3 = facts(&f, "action")[1];
    assert_eq!(s3["resource"]["cluster"], true);
    assert_eq!(s3["inheritance"], "migrationOps");
    assert_eq!(f.recommendation.action, Action::Modify);
    assert!(
        f.recommendation
            .to
            .as_deref()
            .unwrap()
            .contains("without DROP_DATABASE, OUT_TO_S3")
    );
}

#[test]
fn dangerous_custom_role_passes_named_namespaces_and_harmless_actions() {
    let mut e = estate();
    custom(
        &mut e,
        "p1",
        "tmpImportCleaner",
        &[("DROP_COLLECTION", res(false, "storefront", "tmp_import"))],
        &[],
    );
    custom(&mut e, "p1", "reader", &[("FIND", res(false, "", ""))], &[]);
    e.db_user("p1", "qa", &[("tmpImportCleaner", "admin")], &[]);
    e.db_user("p1", "bi", &[("reader", "admin")], &[]);
    e.db_user("p1", "root", &[("atlasAdmin", "admin")], &[]);
    let out = e.run(RuleId::DbuserDangerousCustomRole);
    assert!(out.findings.is_empty(), "{:?}", out.findings);
    assert!(out.not_evaluated.is_empty());
}

#[test]
fn dangerous_custom_role_follows_inheritance_once_through_cycles() {
    let mut e = estate();
    migration_ops(&mut e);
    e.snapshot.custom_roles[0]
        .inherited_roles
        .push(InheritedRole {
            role: "wrapper".into(),
            db: "admin".into(),
        });
    custom(&mut e, "p1", "wrapper", &[], &["migrationOps"]);
    e.db_user("p1", "m", &[("wrapper", "admin")], &[]);
    let f = only(&e, RuleId::DbuserDangerousCustomRole);
    let actions = facts(&f, "action");
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[0]["inheritance"], "wrapper > migrationOps");
    assert_eq!(actions[0]["roleName"], "wrapper");
}

#[test]
fn dangerous_custom_role_is_not_evaluated_without_custom_roles_or_for_unknown_roles() {
    let mut e = estate();
    migration_ops(&mut e);
    e.db_user("p1", "m", &[("migrationOps", "admin")], &[]);
    e.db_user("p2", "odd", &[("superUser", "admin")], &[]);
    e.gap("project:p1", "listGroupCustomDbRoleRoles");
    let out = e.run(RuleId::DbuserDangerousCustomRole);
    assert!(out.findings.is_empty());
    assert_eq!(out.not_evaluated.len(), 2, "{:?}", out.not_evaluated);
    assert!(out.not_evaluated.iter().any(|n| n.principal.is_none()
        && n.scope.project_id.as_deref() == Some("p1")
        && n.reason.contains("listGroupCustomDbRoleRoles")));
    assert!(out.not_evaluated.iter().any(|n| n.principal.as_deref()
        == Some(dbkey("p2", "odd").as_str())
        && n.reason.contains("superUser")));
}

// DBUSER_PASSWORD_AUTH_PROD

#[test]
fn password_auth_prod_flags_scram_users_in_production_only() {
    let mut e = estate();
    e.db_user("p1", "backup-agent", &[("backup", "admin")], &[]);
    e.db_user("p1", "CN=etl", &[("read", "shop")], &[]);
    dbu(&mut e, "p1", "CN=etl").auth_method = AuthMethod::X509Customer;
    e.db_user("p2", "stg-app", &[("readWrite", "shop")], &[]);
    let f = only(&e, RuleId::DbuserPasswordAuthProd);
    assert_eq!(f.principal.key, dbkey("p1", "backup-agent"));
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(fact(&f, "tag"), "environment=production");
    assert_eq!(
        f.recommendation.to.as_deref(),
        Some("X.509, AWS IAM or OIDC authentication")
    );
}

#[test]
fn password_auth_prod_matches_tags_without_regard_to_case() {
    let mut e = estate();
    e.project("o1", "p3", &[("Environment", "PROD")]);
    e.db_user("p3", "app", &[("readWrite", "shop")], &[]);
    let f = only(&e, RuleId::DbuserPasswordAuthProd);
    assert_eq!(fact(&f, "tag"), "Environment=PROD");
}
