//! Injected faults over HTTP: each transient kind at about its rate, and the permanent ones
//! on their prefixes.

use std::collections::BTreeMap;

use super::*;

#[tokio::test]
async fn transient_faults_hit_at_their_rates() {
    let mut config = config();
    config.faults = "429=0.1,500=0.1,502=0.1,503=0.1,504=0.1,slow=0.1,drop=0.1,slow-ms=1,seed=7"
        .parse()
        .unwrap();
    let server = start(config).await;
    let c = Bearer::new(&server).await;
    let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
    let requests = 600;
    for page in 1..=requests {
        let response = c
            .get(&format!(
                "/groups/{GROUP}/databaseUsers?itemsPerPage=2&pageNum={page}"
            ))
            .await;
        let status = response.status().as_u16();
        let retry_after = response.headers().get("retry-after").cloned();
        let content_type = response.headers().get("content-type").cloned();
        let body = response.bytes().await;
        let kind = match (status, body) {
            (200, Err(_)) => "drop",
            (200, Ok(bytes)) => {
                let parsed: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(parsed["results"].as_array().unwrap().len(), 2);
                "ok"
            }
            (429, Ok(_)) => {
                assert_eq!(retry_after.unwrap(), "1");
                "429"
            }
            (503, Ok(_)) => {
                assert_eq!(retry_after.unwrap(), "1");
                "503"
            }
            (502 | 504, Ok(bytes)) => {
                assert_eq!(content_type.unwrap(), "text/html");
                assert!(String::from_utf8_lossy(&bytes).contains("<html>"));
                if status == 502 { "502" } else { "504" }
            }
            (500, Ok(bytes)) => {
                let e: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(e["errorCode"], "UNEXPECTED_ERROR");
                "500"
            }
            (status, body) => panic!("unexpected {status} {body:?}"),
        };
        *seen.entry(kind).or_insert(0) += 1;
    }
    let stats = server.stats();
    for kind in ["429", "500", "502", "503", "504", "drop"] {
        let n = seen.get(kind).copied().unwrap_or(0);
        assert!((30..=95).contains(&n), "{kind}: {n} of {requests}");
        assert_eq!(stats.faults_injected[kind], n, "{kind}");
    }
    let slow = stats.faults_injected["slow"];
    assert!((30..=95).contains(&slow), "slow: {slow}");
    assert_eq!(
        seen["ok"],
        requests - stats.faults_injected.values().sum::<u64>() + slow
    );
    // Dropped and failed answers are not counted as served.
    assert_eq!(
        stats.by_route["GET /groups/{groupId}/databaseUsers"],
        seen["ok"]
    );
    server.shutdown().await;
}

#[tokio::test]
async fn same_seed_same_faults() {
    let run = || async {
        let mut config = config();
        config.faults = "500=0.3,seed=11".parse().unwrap();
        let server = start(config).await;
        let c = Bearer::new(&server).await;
        let mut statuses = Vec::new();
        for page in 1..=40 {
            let path = format!("/groups/{GROUP}/databaseUsers?pageNum={page}");
            statuses.push(c.get(&path).await.status().as_u16());
        }
        server.shutdown().await;
        statuses
    };
    let a = run().await;
    assert_eq!(a, run().await);
    assert!(a.contains(&500) && a.contains(&200));
}

#[tokio::test]
async fn permanent_faults_follow_their_prefixes() {
    let mut config = config();
    config.faults = format!(
        "deny=/groups/{GROUP}/databaseUsers,unauth=/orgs/{ORG}/settings,malformed=/orgs/{ORG}/users"
    )
    .parse()
    .unwrap();
    let server = start(config).await;
    let c = Bearer::new(&server).await;

    let denied = c.json(&format!("/groups/{GROUP}/databaseUsers"), 403).await;
    assert_eq!(denied["errorCode"], "USER_UNAUTHORIZED");
    assert!(denied["detail"].as_str().unwrap().contains("role"));
    let unauth = c.get(&format!("/orgs/{ORG}/settings")).await;
    assert_eq!(unauth.status().as_u16(), 401);
    assert!(unauth.headers().get("www-authenticate").is_none());
    assert_eq!(body(unauth).await["errorCode"], "USER_UNAUTHORIZED");

    let malformed = c.get(&format!("/orgs/{ORG}/users")).await;
    assert_eq!(malformed.status().as_u16(), 200);
    let bytes = malformed.bytes().await.unwrap();
    assert!(!bytes.is_empty());
    assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_err());

    // Other paths are untouched.
    c.json(&format!("/groups/{GROUP}/clusters"), 200).await;
    let stats = server.stats();
    assert_eq!(stats.faults_injected["deny"], 1);
    assert_eq!(stats.faults_injected["unauth"], 1);
    assert_eq!(stats.faults_injected["malformed"], 1);
    assert!(!stats.by_route.contains_key("GET /orgs/{orgId}/users"));
    server.shutdown().await;
}
