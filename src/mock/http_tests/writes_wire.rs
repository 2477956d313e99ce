//! Writes against the simulated Atlas through the tool's client: the retry rules for writes
//! (a 429 waited out for every method, a 5xx resent only for idempotent calls) and the
//! deprecation headers, and DNs, ARNs and OIDC names percent-encoded in paths, over real HTTP.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use super::writes::{ARN, DN, OIDC, V23, config, read, serve, world, write};
use super::{GROUP, ORG};
use crate::atlas::write_endpoint as w;
use crate::mock::{FaultSpec, RateLimits};

#[tokio::test]
async fn a_429_on_a_write_bucket_is_waited_out_and_sent_again() {
    let mut config = config();
    config.rate_limit = Some("org-users=1/1s".parse::<RateLimits>().unwrap());
    let (server, client) = serve(world(), config).await;
    let started = std::time::Instant::now();
    let a = write(
        &client,
        &w::ADD_ORG_USER_ROLE,
        &[ORG, "u-bob"],
        Some(json!({"orgRole": "ORG_READ_ONLY"})),
    )
    .await;
    let b = write(
        &client,
        &w::ADD_ORG_USER_ROLE,
        &[ORG, "u-alice"],
        Some(json!({"orgRole": "ORG_BILLING_ADMIN"})),
    )
    .await;
    assert_eq!((a.status, b.status), (200, 200), "{b:?}");
    let stats = server.stats();
    assert!(
        stats
            .rate_limited_by_family
            .get("org-users")
            .copied()
            .unwrap_or(0)
            >= 1,
        "{stats:?}"
    );
    // The POST refused with 429 was carried out exactly once, after the wait.
    assert_eq!(stats.applied_writes().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_500_is_resent_for_a_delete_but_not_for_a_post() {
    let mut config = config();
    config.faults = "500=1".parse::<FaultSpec>().unwrap();
    let (server, client) = serve(world(), config).await;
    let post = write(
        &client,
        &w::ADD_ORG_USER_ROLE,
        &[ORG, "u-bob"],
        Some(json!({"orgRole": "ORG_READ_ONLY"})),
    )
    .await;
    assert_eq!(post.status, 500);
    assert_eq!(
        server.stats().faults_injected.get("500"),
        Some(&1),
        "the POST went once"
    );
    let delete = write(&client, &w::REMOVE_ORG_USER, &[ORG, "u-bob"], None).await;
    assert_eq!(delete.status, 500);
    // max_retries is 2: the DELETE went three times.
    assert_eq!(server.stats().faults_injected.get("500"), Some(&4));
    assert!(
        server.stats().writes.is_empty(),
        "no faulted write was applied"
    );
    server.shutdown().await;
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures this thread's warnings until the guard is dropped.
fn warnings() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

#[tokio::test]
async fn deprecation_and_sunset_are_kept_and_logged() {
    let (captured, _guard) = warnings();
    let (server, client) = serve(world(), config()).await;
    let plain = write(&client, &w::REMOVE_GROUP_TEAM, &[GROUP, "t1"], None).await;
    assert_eq!(
        (plain.deprecation.as_deref(), plain.sunset.as_deref()),
        (None, None)
    );
    assert!(captured.0.lock().unwrap().is_empty());
    let outcome = write(&client, &w::DELETE_ORG_INVITE, &[ORG, "i1"], None).await;
    assert_eq!(
        outcome.deprecation.as_deref(),
        Some("Wed, 19 Feb 2025 00:00:00 GMT")
    );
    assert_eq!(
        outcome.sunset.as_deref(),
        Some("Thu, 1 Jul 2027 00:00:00 GMT")
    );
    assert_eq!(
        outcome.java_method.as_deref(),
        Some("ApiOrganizationInvitationResource::deleteInvitations")
    );
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("WARN") && log.contains("deleteOrgInvite") && log.contains("Thu, 1 Jul 2027"),
        "{log}"
    );
    server.shutdown().await;
}

/// A read Atlas answers as deprecated is logged once for its endpoint, however often it is
/// read; a read that is not deprecated is not.
#[tokio::test]
async fn a_deprecated_read_is_logged_once_per_endpoint() {
    let (captured, _guard) = warnings();
    let (server, client) = serve(world(), config()).await;
    assert!(
        read(&client, "/groups/{groupId}", &[GROUP], V23)
            .await
            .is_some()
    );
    assert!(captured.0.lock().unwrap().is_empty());
    let invites = format!("/groups/{GROUP}/invites");
    for _ in 0..3 {
        let listed: Vec<serde_json::Value> = client
            .get_array(&crate::atlas::endpoint::GROUP_INVITES, &invites)
            .await
            .unwrap();
        assert!(!listed.is_empty());
    }
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert_eq!(log.matches("read endpoint deprecated").count(), 1, "{log}");
    assert!(
        log.contains("WARN")
            && log.contains("listGroupInvites")
            && log.contains("Thu, 1 Jul 2027 00:00:00 GMT"),
        "{log}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn dns_arns_and_oidc_names_round_trip_percent_encoded() {
    let (server, client) = serve(world(), config()).await;
    let db_user = "/groups/{g}/databaseUsers/{d}/{u}";
    for (db, name) in [("$external", DN), ("$external", ARN), ("admin", OIDC)] {
        let found = read(&client, db_user, &[GROUP, db, name], V23).await;
        assert_eq!(
            found.as_ref().map(|u| u["username"].clone()),
            Some(json!(name)),
            "{name}"
        );
    }
    let narrowed = write(&client, &w::UPDATE_GROUP_DATABASE_USER, &[GROUP, "$external", ARN], Some(json!({"roles": [{"roleName": "read", "databaseName": "audit"}], "password": "never-stored"}))).await;
    assert_eq!(narrowed.status, 200, "{narrowed:?}");
    let arn = read(&client, db_user, &[GROUP, "$external", ARN], V23)
        .await
        .unwrap();
    assert_eq!(
        arn["roles"],
        json!([{"roleName": "read", "databaseName": "audit"}])
    );
    assert_eq!(arn.get("password"), None);
    assert_eq!(arn["awsIAMType"], "ROLE", "fields not sent are kept");
    for (db, name) in [("$external", DN), ("admin", OIDC)] {
        let deleted = write(
            &client,
            &w::DELETE_GROUP_DATABASE_USER,
            &[GROUP, db, name],
            None,
        )
        .await;
        assert_eq!(deleted.status, 204, "{name}");
        assert_eq!(read(&client, db_user, &[GROUP, db, name], V23).await, None);
        let again = write(
            &client,
            &w::DELETE_GROUP_DATABASE_USER,
            &[GROUP, db, name],
            None,
        )
        .await;
        assert_eq!(
            (again.status, again.error_code.as_deref()),
            (404, Some("USERNAME_NOT_FOUND"))
        );
    }
    let paths: Vec<String> = server
        .stats()
        .writes
        .iter()
        .map(|w| w.path.clone())
        .collect();
    assert!(
        paths.contains(&format!(
            "/groups/{GROUP}/databaseUsers/$external/CN=svc%2COU=apps%2CO=North%20wind"
        )),
        "{paths:?}"
    );
    assert!(
        paths.contains(&format!(
            "/groups/{GROUP}/databaseUsers/admin/0123456789abcdef01234567%2Fanalysts"
        )),
        "{paths:?}"
    );
    let listing = read(&client, "/groups/{g}/databaseUsers", &[GROUP], V23)
        .await
        .unwrap();
    assert_eq!(listing["totalCount"], 1);
    server.shutdown().await;
}
