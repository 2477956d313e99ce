//! Digest and OAuth over HTTP.

use std::time::Duration;

use super::*;
use crate::mock::digest::tests::respond;

async fn send(
    http: &reqwest::Client,
    base: &str,
    uri: &str,
    auth: Option<&str>,
) -> reqwest::Response {
    let mut request = http
        .get(format!("{base}{uri}"))
        .header("Accept", "application/vnd.atlas.2023-01-01+json");
    if let Some(auth) = auth {
        request = request.header("Authorization", auth);
    }
    request.send().await.unwrap()
}

fn challenge_of(response: &reqwest::Response) -> String {
    response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn digest_challenge_answer_replay_and_wrong_password() {
    let server = start(config()).await;
    let http = reqwest::Client::new();
    let base = server.base_url();
    let uri = "/api/atlas/v2/orgs?pageNum=1&itemsPerPage=500";

    let first = send(&http, &base, uri, None).await;
    assert_eq!(first.status().as_u16(), 401);
    let challenge = challenge_of(&first);
    assert!(challenge.starts_with("Digest realm=\"MMS Public API\", domain=\"\", nonce=\""));
    assert!(
        challenge.ends_with("algorithm=MD5, qop=\"auth\", stale=false"),
        "{challenge}"
    );
    let e = body(first).await;
    assert_eq!(e["error"], 401);
    // Atlas's own challenge body (recorded): no parameters, errorCode UNEXPECTED_ERROR.
    assert_eq!(e["errorCode"], "UNEXPECTED_ERROR");
    assert!(e.get("parameters").is_none());

    let ok = respond(&challenge, PUBLIC_KEY, PRIVATE_KEY, "GET", uri, 1);
    let response = send(&http, &base, uri, Some(&ok)).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(body(response).await["results"][0]["name"], "Org One");

    // The nonce is reusable with a new nc.
    let second = respond(&challenge, PUBLIC_KEY, PRIVATE_KEY, "GET", uri, 2);
    assert_eq!(
        send(&http, &base, uri, Some(&second))
            .await
            .status()
            .as_u16(),
        200
    );

    // The same nc again is a replay.
    let replay = send(&http, &base, uri, Some(&ok)).await;
    assert_eq!(replay.status().as_u16(), 401);
    assert!(challenge_of(&replay).ends_with("stale=false"));

    let wrong = respond(&challenge, PUBLIC_KEY, "not-the-key", "GET", uri, 3);
    let refused = send(&http, &base, uri, Some(&wrong)).await;
    assert_eq!(refused.status().as_u16(), 401);
    assert!(challenge_of(&refused).ends_with("stale=false"));

    // The digest covers the query: answering for another URI fails.
    let other = respond(
        &challenge,
        PUBLIC_KEY,
        PRIVATE_KEY,
        "GET",
        "/api/atlas/v2/orgs",
        4,
    );
    assert_eq!(
        send(&http, &base, uri, Some(&other))
            .await
            .status()
            .as_u16(),
        401
    );

    let stats = server.stats();
    assert_eq!(stats.digest_challenges, 4);
    assert_eq!(stats.auth_failures, 3);
    assert_eq!(stats.stale_nonces, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn used_up_nonce_is_stale() {
    let mut config = config();
    config.nonce_reuse = crate::mock::NonceReuse::StaleAfter(2);
    let server = start(config).await;
    let http = reqwest::Client::new();
    let base = server.base_url();
    let uri = "/api/atlas/v2/orgs";
    let challenge = challenge_of(&send(&http, &base, uri, None).await);
    for nc in 1..=2 {
        let auth = respond(&challenge, PUBLIC_KEY, PRIVATE_KEY, "GET", uri, nc);
        assert_eq!(
            send(&http, &base, uri, Some(&auth)).await.status().as_u16(),
            200
        );
    }
    let auth = respond(&challenge, PUBLIC_KEY, PRIVATE_KEY, "GET", uri, 3);
    let stale = send(&http, &base, uri, Some(&auth)).await;
    assert_eq!(stale.status().as_u16(), 401);
    let fresh = challenge_of(&stale);
    assert!(fresh.ends_with("stale=true"), "{fresh}");
    assert_ne!(fresh, challenge);
    let auth = respond(&fresh, PUBLIC_KEY, PRIVATE_KEY, "GET", uri, 1);
    assert_eq!(
        send(&http, &base, uri, Some(&auth)).await.status().as_u16(),
        200
    );
    assert_eq!(server.stats().stale_nonces, 1);
    server.shutdown().await;
}

/// The `digest_auth` crate the client uses can answer this server's challenges.
#[tokio::test]
async fn digest_auth_crate_interoperates() {
    let server = start(config()).await;
    let http = reqwest::Client::new();
    let base = server.base_url();
    let uri = format!("/api/atlas/v2/orgs/{ORG}/settings");
    let challenge = challenge_of(&send(&http, &base, &uri, None).await);
    let mut prompt = digest_auth::parse(&challenge).unwrap();
    for _ in 0..3 {
        let context = digest_auth::AuthContext::new(PUBLIC_KEY, PRIVATE_KEY, uri.as_str());
        let answer = prompt.respond(&context).unwrap().to_header_string();
        assert_eq!(
            send(&http, &base, &uri, Some(&answer))
                .await
                .status()
                .as_u16(),
            200
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn oauth_tokens_are_issued_accepted_and_expire() {
    let mut config = config();
    config.token_ttl = Duration::from_secs(1);
    let server = start(config).await;
    let http = reqwest::Client::new();
    let base = server.base_url();

    assert_eq!(token(&http, &base, CLIENT_ID, "wrong").await, Err(401));
    assert_eq!(
        token(&http, &base, "mdb_sa_id_other", CLIENT_SECRET).await,
        Err(401)
    );
    let raw = http
        .post(format!("{base}/api/oauth/token"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .body("grant_type=client_credentials")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    let issued = body(raw).await;
    assert_eq!(issued["token_type"], "Bearer");
    assert_eq!(issued["expires_in"], 1);
    let access = issued["access_token"].as_str().unwrap();

    let uri = "/api/atlas/v2/orgs";
    let bearer = format!("Bearer {access}");
    assert_eq!(
        send(&http, &base, uri, Some(&bearer))
            .await
            .status()
            .as_u16(),
        200
    );
    let unknown = send(&http, &base, uri, Some("Bearer not-a-token")).await;
    assert_eq!(unknown.status().as_u16(), 401);
    assert_eq!(body(unknown).await["errorCode"], "INVALID_TOKEN");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        send(&http, &base, uri, Some(&bearer))
            .await
            .status()
            .as_u16(),
        401
    );
    let stats = server.stats();
    assert_eq!(stats.tokens_issued, 1);
    assert_eq!(stats.auth_failures, 4);
    server.shutdown().await;
}

#[tokio::test]
async fn oauth_is_refused_without_a_service_account() {
    let server = MockServer::start(
        world(),
        MockConfig::new(PUBLIC_KEY, SecretString::from(PRIVATE_KEY)),
        localhost(),
    )
    .await
    .unwrap();
    let http = reqwest::Client::new();
    assert_eq!(
        token(&http, &server.base_url(), CLIENT_ID, CLIENT_SECRET).await,
        Err(401)
    );
    server.shutdown().await;
}
