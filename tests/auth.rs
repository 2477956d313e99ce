//! Digest and OAuth authentication against the simulated Atlas.

mod common;

use atlas_audit::atlas::{AtlasError, Client, Credentials};
use atlas_audit::collect::{self, CollectError};
use common::*;
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
        CollectError::Root(AtlasError::Auth { .. }) => {}
        other => panic!("expected an auth error, got {other:?}"),
    }
    assert!(err.to_string().contains("authentication failed"), "{err}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_nonces_are_answered_with_a_fresh_challenge() {
    let mut config = mock_config();
    config.nonce_max_uses = Some(7);
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
