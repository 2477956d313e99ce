//! Unit tests of the certificate rules: each rule on a user built to trigger it and on a twin
//! built not to, at the day boundaries, and "not evaluated" when the certificates could not be
//! read.

use crate::model::{AuthMethod, Certificate, PrincipalDetail, key};
use crate::rules::RuleId;
use crate::rules::testkit::{Estate, days_ago, fact, facts, only};

const USER: &str = "etl-x509";
const TWIN: &str = "etl-x509-twin";

fn estate() -> Estate {
    let mut e = Estate::new();
    e.project("o1", "p1", &[]);
    for name in [USER, TWIN] {
        e.db_user("p1", name, &[("read", "sales")], &["c1"]);
        let p = e.principal_mut(&key::database_user("p1", "admin", name));
        if let PrincipalDetail::DatabaseUser(d) = &mut p.detail {
            d.auth_method = AuthMethod::X509Managed;
        }
    }
    e
}

/// A certificate issued `issued` days ago that ends `ends` days ago (negative: in the future).
fn cert(id: i64, issued: i64, ends: i64) -> Certificate {
    Certificate {
        id,
        created: Some(days_ago(issued)),
        not_after: Some(days_ago(ends)),
        subject: Some("CN=etl".into()),
    }
}

fn give(e: &mut Estate, name: &str, certs: Vec<Certificate>) {
    let p = e.principal_mut(&key::database_user("p1", "admin", name));
    if let PrincipalDetail::DatabaseUser(d) = &mut p.detail {
        d.certificates = certs;
    }
}

const BIG: i64 = 9_116_777_849_366_263_482;

#[test]
fn a_certificate_inside_the_warning_window_is_flagged_and_its_twin_outside_is_not() {
    let mut e = estate();
    // 14 days left is inside the 14-day window (inclusive); 15 days left is not.
    give(&mut e, USER, vec![cert(BIG, 46, -14)]);
    give(&mut e, TWIN, vec![cert(2, 45, -15)]);
    let f = only(&e, RuleId::DbuserCertExpiring);
    assert_eq!(f.principal.key, key::database_user("p1", "admin", USER));
    assert_eq!(f.scope.key(), "project:p1");
    assert!(f.title.contains("expiring in 14 days"), "{}", f.title);
    // The serial keeps every digit.
    assert_eq!(fact(&f, "certificate")["id"], BIG.to_string());
    assert_eq!(fact(&f, "certificate")["days_left"], 14);
}

#[test]
fn an_expired_certificate_of_a_user_still_there_is_flagged() {
    let mut e = estate();
    give(&mut e, USER, vec![cert(7, 62, 2)]);
    let f = only(&e, RuleId::DbuserCertExpiring);
    assert!(f.title.contains("an expired certificate"), "{}", f.title);
    assert_eq!(fact(&f, "certificate")["expired_days_ago"], 2);
}

#[test]
fn a_rotation_already_done_is_said_so() {
    let mut e = estate();
    give(&mut e, USER, vec![cert(1, 55, -5), cert(2, 5, -55)]);
    let f = only(&e, RuleId::DbuserCertExpiring);
    assert_eq!(facts(&f, "certificate").len(), 1, "only the old one");
    assert!(
        f.evidence.summary.contains("rotation is done"),
        "{}",
        f.evidence.summary
    );
}

#[test]
fn a_certificate_valid_longer_than_the_limit_is_flagged_and_exactly_the_limit_is_not() {
    let mut e = estate();
    give(&mut e, USER, vec![cert(3, 10, -84)]); // 94 days
    give(&mut e, TWIN, vec![cert(4, 10, -83)]); // 93 days exactly
    let f = only(&e, RuleId::DbuserCertLongLived);
    assert_eq!(f.principal.key, key::database_user("p1", "admin", USER));
    assert_eq!(fact(&f, "certificate")["validity_days"], 94);
    assert_eq!(fact(&f, "limit_days"), 93);
}

#[test]
fn atlas_default_three_month_certificates_are_not_long_lived_under_the_default_policy() {
    // Atlas issues for three months and an hour by default: 89 to 92 days and an hour.
    let mut e = estate();
    let hour = jiff::SignedDuration::from_hours(1);
    let mut longest = cert(3, 10, -82); // 92 days
    longest.not_after = longest.not_after.map(|t| t + hour);
    give(&mut e, USER, vec![longest]);
    assert!(e.flagged(RuleId::DbuserCertLongLived).is_empty());
    // The secrets' limit is its own: a 90-day secret limit leaves these certificates alone.
    assert_eq!(e.policy.thresholds.max_secret_days, 90);
    e.policy.thresholds.max_certificate_days = 90;
    assert_eq!(e.flagged(RuleId::DbuserCertLongLived).len(), 1);
}

#[test]
fn users_of_other_methods_are_not_judged() {
    let mut e = estate();
    give(&mut e, USER, vec![cert(3, 700, -30)]);
    let p = e.principal_mut(&key::database_user("p1", "admin", USER));
    if let PrincipalDetail::DatabaseUser(d) = &mut p.detail {
        d.auth_method = AuthMethod::X509Customer;
    }
    assert!(e.flagged(RuleId::DbuserCertLongLived).is_empty());
    assert!(e.flagged(RuleId::DbuserCertExpiring).is_empty());
}

#[test]
fn unread_certificates_are_not_evaluated_for_that_user_only() {
    let mut e = estate();
    give(&mut e, TWIN, vec![cert(5, 700, -5)]);
    e.gap(
        &key::database_user("p1", "admin", USER),
        "listGroupDatabaseUserCerts",
    );
    for rule in [RuleId::DbuserCertExpiring, RuleId::DbuserCertLongLived] {
        let out = e.run(rule);
        assert_eq!(
            out.not_evaluated.len(),
            1,
            "{rule}: {:?}",
            out.not_evaluated
        );
        let ne = &out.not_evaluated[0];
        assert_eq!(
            ne.principal.as_deref(),
            Some(key::database_user("p1", "admin", USER).as_str())
        );
        assert!(
            ne.reason.contains("listGroupDatabaseUserCerts"),
            "{}",
            ne.reason
        );
        // The twin, whose certificates were read, is still judged.
        assert_eq!(
            e.flagged(rule),
            vec![key::database_user("p1", "admin", TWIN)]
        );
    }
}

#[test]
fn a_certificate_without_dates_is_not_evaluated() {
    let mut e = estate();
    give(
        &mut e,
        USER,
        vec![Certificate {
            id: 9,
            created: None,
            not_after: None,
            subject: None,
        }],
    );
    let out = e.run(RuleId::DbuserCertLongLived);
    assert!(out.findings.is_empty());
    assert!(out.not_evaluated[0].reason.contains("createdAt"));
    let out = e.run(RuleId::DbuserCertExpiring);
    assert!(out.not_evaluated[0].reason.contains("notAfter"));
}
