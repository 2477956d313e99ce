//! Digest and OAuth authentication against the simulated Atlas.

use crate::common::*;
use atlas_audit::atlas::{AtlasError, Client, Credentials};
use atlas_audit::collect::{self, CollectError};
use atlas_audit::mock::NonceReuse;
use pretty_assertions::assert_eq;
use secrecy::SecretString;

#[tokio::test(flavor = "multi_thread")]
async fn service_account_token_is_fetched_once_and_reused() {
    let mut config = mock_config();
    config.client_id = Some("mdb_sa_id_0123456789abcdef01234567".into());
    config.client_secret = Some(SecretString::from(
        "mdb_sa_sk_TESTSECRET-SENTINEL".to_string(),
    ));
    let creds = Credentials::ServiceAccount {
        client_id: "mdb_sa_id_0123456789abcdef01234567".into(),
        client_secret: SecretString::from("mdb_sa_sk_TESTSECRET-SENTINEL".to_string()),
    };
    let (snapshot, server) = collect_from(demo_world(), config, creds, fast_options).await;
    assert!(
        snapshot.coverage.is_empty(),
        "gaps: {:#?}",
        snapshot.coverage
    );
    assert_eq!(server.stats().tokens_issued, 1);
    assert_eq!(server.stats().digest_challenges, 0);
    assert_eq!(
        snapshot.meta.credential,
        "service_account:mdb_sa_id_0123456789abcdef01234567"
    );
    assert_eq!(
        estate_json(&snapshot),
        estate_json(&snapshot_from_world(&demo_world()))
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_token_is_renewed() {
    let mut config = mock_config();
    config.client_id = Some("mdb_sa_id_0123456789abcdef01234567".into());
    config.client_secret = Some(SecretString::from("s3cret-value".to_string()));
    config.token_ttl = std::time::Duration::from_secs(1);
    let server = start(demo_world(), config).await;
    let client = Client::new(
        Credentials::ServiceAccount {
            client_id: "mdb_sa_id_0123456789abcdef01234567".into(),
            client_secret: SecretString::from("s3cret-value".to_string()),
        },
        fast_options(server.base_url()),
    )
    .unwrap();
    let first = collect::collect(&client, &collect_options()).await.unwrap();
    assert!(first.coverage.is_empty());
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let snapshot = collect::collect(&client, &collect_options()).await.unwrap();
    assert!(
        snapshot.coverage.is_empty(),
        "gaps: {:#?}",
        snapshot.coverage
    );
    assert!(
        server.stats().tokens_issued >= 2,
        "token renewed after expiry"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_private_key_is_an_authentication_error() {
    let server = start(demo_world(), mock_config()).await;
    let creds = Credentials::ApiKey {
        public_key: PUBLIC_KEY.into(),
        private_key: SecretString::from("not-the-key".to_string()),
    };
    let client = Client::new(creds, fast_options(server.base_url())).unwrap();
    let err = collect::collect(&client, &collect_options())
        .await
        .expect_err("must fail");
    match &err {
        CollectError::Refused(AtlasError::CredentialRefused { .. }) => {}
        other => panic!("expected a refused key, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("Atlas refused API key testpubk") && text.contains("access list"),
        "{text}"
    );
    // One bare request and one fresh answer: nothing else was sent.
    assert_eq!(server.stats().requests, 2, "{:?}", server.stats());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn single_use_nonces_switch_the_client_to_a_challenge_per_request() {
    let mut config = mock_config();
    config.nonce_reuse = NonceReuse::Once;
    let (snapshot, client, server) =
        collect_keeping_client(demo_world(), config, credentials(), fast_options).await;
    assert!(
        snapshot.coverage.is_empty(),
        "gaps: {:#?}",
        snapshot.coverage
    );
    assert!(client.digest_challenge_per_request());
    let stats = server.stats();
    // Two nonces refused on reuse, plus the reuses already in flight then (each request in
    // flight holds at most one; 4 at once, and each may have published a nonce of its own);
    // after that every request asks for its own challenge: one 401 per answer.
    assert!((2..=16).contains(&stats.reused_nonces_refused), "{stats:?}");
    let ok = stats.by_status[&200];
    assert!(
        stats.digest_challenges <= ok + stats.reused_nonces_refused,
        "{stats:?}"
    );
    assert_eq!(stats.auth_failures, 0, "{stats:?}");
    assert_eq!(
        estate_json(&snapshot),
        estate_json(&snapshot_from_world(&demo_world()))
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_ends_the_run_at_once_with_exit_2_and_one_line() {
    let mut config = mock_config();
    config.nonce_reuse = NonceReuse::Once;
    let server = start(demo_world(), config).await;
    let env = vec![
        ("MONGODB_ATLAS_BASE_URL".to_string(), server.base_url()),
        ("MONGODB_ATLAS_PUBLIC_API_KEY".into(), PUBLIC_KEY.into()),
        ("MONGODB_ATLAS_PRIVATE_API_KEY".into(), "not-the-key".into()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot.json").display().to_string();
    let output = run_binary(
        vec!["collect".into(), "--out".into(), out.clone()],
        env,
        None,
    )
    .await;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("Atlas refused API key testpubk")
            && stderr.contains("access list")
            && !stderr.contains("not-the-key"),
        "{stderr}"
    );
    assert!(!std::path::Path::new(&out).exists(), "no snapshot written");
    assert_eq!(server.stats().requests, 2, "{:?}", server.stats());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_nonces_are_answered_with_a_fresh_challenge() {
    let mut config = mock_config();
    config.nonce_reuse = atlas_audit::mock::NonceReuse::StaleAfter(7);
    let (snapshot, server) = collect_from(demo_world(), config, credentials(), fast_options).await;
    assert!(
        snapshot.coverage.is_empty(),
        "gaps: {:#?}",
        snapshot.coverage
    );
    assert!(
        server.stats().stale_nonces > 3,
        "nonces went stale: {:?}",
        server.stats()
    );
    assert_eq!(
        estate_json(&snapshot),
        estate_json(&snapshot_from_world(&demo_world()))
    );
    server.shutdown().await;
}
