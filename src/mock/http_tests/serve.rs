//! Serving the world: paging, bare arrays, media types, filters, 404s, rate limits,
//! concurrency and lifecycle.

use super::*;
use crate::mock::{MockError, RateLimit, RateLimits};

#[tokio::test]
async fn pages_1201_items_at_500() {
    let server = start(config()).await;
    let c = Bearer::new(&server).await;
    let path = format!("/groups/{GROUP}/databaseUsers");
    let response = c.get(&format!("{path}?pageNum=2&itemsPerPage=500")).await;
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.atlas.2023-01-01+json;charset=utf-8"
    );
    assert!(response.headers().get("ratelimit-limit").is_none());
    let p2 = body(response).await;
    assert_eq!(p2["results"].as_array().unwrap().len(), 500);
    assert_eq!(p2["results"][0]["username"], "u500");
    assert_eq!(p2["totalCount"], 1201);
    let next = p2["links"][1]["href"].as_str().unwrap();
    assert_eq!(p2["links"][1]["rel"], "next");
    assert!(
        next.starts_with(&server.base_url()) && next.contains("pageNum=3"),
        "{next}"
    );

    let p3 = c
        .json(
            &format!("{path}?pageNum=3&itemsPerPage=500&includeCount=false"),
            200,
        )
        .await;
    assert_eq!(p3["results"].as_array().unwrap().len(), 201);
    assert_eq!(p3["totalCount"], 0, "0 when not asked for, as Atlas");

    let bad = c.json(&format!("{path}?itemsPerPage=501"), 400).await;
    assert_eq!(bad["errorCode"], "INVALID_QUERY_PARAMETER");

    let stats = server.stats();
    assert_eq!(stats.by_route["GET /groups/{groupId}/databaseUsers"], 2);
    assert_eq!(stats.by_status[&400], 1);
    assert_eq!(stats.tokens_issued, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn bare_array_and_derived_routes() {
    let server = start(config()).await;
    let c = Bearer::new(&server).await;
    let roles = c
        .json(
            &format!("/groups/{GROUP}/customDBRoles/roles?itemsPerPage=1"),
            200,
        )
        .await;
    assert_eq!(roles.as_array().unwrap().len(), 1);
    assert_eq!(roles[0]["roleName"], "r1");

    let org = c.json(&format!("/orgs/{ORG}"), 200).await;
    assert_eq!(org["name"], "Org One");
    let group = c.json(&format!("/groups/{GROUP}"), 200).await;
    assert_eq!(group["orgId"], ORG);
    let groups = c.json("/groups", 200).await;
    assert_eq!(groups["totalCount"], 1);
    let settings = c.json(&format!("/orgs/{ORG}/settings"), 200).await;
    assert_eq!(settings["multiFactorAuthRequired"], false);
    // A listing with no file is empty; a single resource with no file is 404.
    let teams = c.json(&format!("/orgs/{ORG}/teams"), 200).await;
    assert_eq!(teams["results"].as_array().unwrap().len(), 0);
    assert_eq!(teams["totalCount"], 0);
    let audit = c.json(&format!("/groups/{GROUP}/auditLog"), 404).await;
    assert_eq!(audit["errorCode"], "RESOURCE_NOT_FOUND");
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_paths_scopes_and_items_are_404() {
    let server = start(config()).await;
    let c = Bearer::new(&server).await;
    let e = c.json("/nothing/here", 404).await;
    assert_eq!(e["errorCode"], "RESOURCE_NOT_FOUND");
    assert_eq!(e["error"], 404);
    let e = c.json("/orgs/ffffffffffffffffffffffff/users", 404).await;
    assert_eq!(e["errorCode"], "ORG_NOT_FOUND");
    let e = c
        .json("/groups/ffffffffffffffffffffffff/databaseUsers", 404)
        .await;
    assert_eq!(e["errorCode"], "GROUP_NOT_FOUND");
    c.json(&format!("/orgs/{ORG}/apiKeys/k1/accessList"), 200)
        .await;
    c.json(&format!("/orgs/{ORG}/apiKeys/nope/accessList"), 404)
        .await;
    c.json(
        &format!("/groups/{GROUP}/dbAccessHistory/clusters/Nope"),
        404,
    )
    .await;
    let outside = c
        .http
        .get(format!("{}/elsewhere", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status().as_u16(), 404);
    let wrong_method = c
        .http
        .get(format!("{}/api/oauth/token", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status().as_u16(), 405);
    server.shutdown().await;
}

#[tokio::test]
async fn strict_accept_refuses_other_versions() {
    let server = start(config()).await;
    let c = Bearer::new(&server).await;
    let url = format!("{}/api/atlas/v2/orgs/{ORG}/users", c.base);
    for accept in [
        Some("application/vnd.atlas.2023-01-01+json"),
        Some("application/json"),
        None,
    ] {
        let mut request = c.http.get(&url).bearer_auth(&c.token);
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), 406, "{accept:?}");
        assert_eq!(response.headers()["content-type"], "application/json");
        let e = body(response).await;
        assert_eq!(e["errorCode"], "INVALID_VERSION_DATE");
        assert!(e["detail"].as_str().unwrap().contains("2025-02-19"));
    }
    let ok = c.get(&format!("/orgs/{ORG}/users")).await;
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(
        ok.headers()["content-type"],
        "application/vnd.atlas.2025-02-19+json;charset=utf-8"
    );
    assert_eq!(server.stats().wrong_accept, 3);
    server.shutdown().await;

    let mut lenient = config();
    lenient.strict_accept = false;
    let server = start(lenient).await;
    let c = Bearer::new(&server).await;
    let response = c
        .http
        .get(format!("{}/api/atlas/v2/orgs/{ORG}/users", c.base))
        .bearer_auth(&c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(server.stats().wrong_accept, 1);
    server.shutdown().await;
}

#[tokio::test]
async fn filters_users_events_and_access_logs() {
    let server = start(config()).await;
    let c = Bearer::new(&server).await;
    let users = c.json(&format!("/orgs/{ORG}/users"), 200).await;
    assert_eq!(users["totalCount"], 2, "ACTIVE and PENDING by default");
    let q = "orgMembershipStatuses=INVITATION_EXPIRED&orgMembershipStatuses=INVITATION_REJECTED";
    let users = c.json(&format!("/orgs/{ORG}/users?{q}"), 200).await;
    assert_eq!(
        users["results"][0]["orgMembershipStatus"],
        "INVITATION_EXPIRED"
    );
    assert_eq!(users["totalCount"], 2);

    let events = c
        .json(
            &format!("/orgs/{ORG}/events?minDate=2026-01-02T00:00:00Z&eventType=JOINED_ORG"),
            200,
        )
        .await;
    assert_eq!(events["totalCount"], 1);
    assert_eq!(events["results"][0]["created"], "2026-01-03T00:00:00Z");

    let path = format!("/groups/{GROUP}/dbAccessHistory/clusters/Cluster0");
    let logs = c.json(&path, 200).await;
    let all = logs["accessLogs"].as_array().unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(
        all[0]["timestamp"], "2026-01-05T00:00:00Z",
        "most recent first"
    );
    let start = 1_767_312_000_000_i64; // 2026-01-02
    let end = start + 2 * 86_400_000;
    let logs = c
        .json(
            &format!("{path}?start={start}&end={end}&authResult=true&nLogs=1"),
            200,
        )
        .await;
    assert_eq!(logs["accessLogs"][0]["timestamp"], "2026-01-03T00:00:00Z");
    assert_eq!(logs["accessLogs"].as_array().unwrap().len(), 1);
    c.json(&format!("{path}?start={start}"), 400).await;
    server.shutdown().await;
}

#[tokio::test]
async fn rate_limit_answers_429_as_atlas() {
    let mut config = config();
    config.rate_limit = Some(RateLimits::from(RateLimit {
        capacity: 2,
        refill_per_sec: 0.5,
    }));
    let server = start(config).await;
    let c = Bearer::new(&server).await;
    let path = format!("/orgs/{ORG}/settings");
    let first = c.get(&path).await;
    assert_eq!(first.headers()["ratelimit-limit"], "2");
    assert_eq!(first.headers()["ratelimit-remaining"], "1");
    assert_eq!(c.get(&path).await.status().as_u16(), 200);
    let limited = c.get(&path).await;
    assert_eq!(limited.status().as_u16(), 429);
    assert_eq!(limited.headers()["ratelimit-remaining"], "0");
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    let e = body(limited).await;
    assert_eq!(e["errorCode"], "RATE_LIMITED_TOKEN_BUCKET");
    assert_eq!(e["reason"], "Too Many Requests");
    // The endpoint set is the family's, not the path asked for.
    let endpoint = "api/atlas/v2/orgs/{orgId}/settings";
    assert_eq!(
        e["parameters"],
        serde_json::json!([endpoint, retry, 2, 1, 2])
    );
    assert!(
        e["detail"]
            .as_str()
            .unwrap()
            .contains("Refill rate: 1 per 2 seconds")
    );
    // The project's settings share the family but not the org's bucket; an error answer
    // carries its bucket too.
    let project = c.get(&format!("/groups/{GROUP}/settings")).await;
    assert_eq!(project.headers()["ratelimit-remaining"], "1");
    let missing = c.get(&format!("/groups/{GROUP}/nothing")).await;
    assert_eq!(missing.status().as_u16(), 404);
    assert_eq!(missing.headers()["ratelimit-limit"], "2");
    // The digest challenge does not cost a token and carries no bucket.
    let challenge = c
        .http
        .get(format!("{}/api/atlas/v2{path}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(challenge.status().as_u16(), 401);
    assert!(challenge.headers().get("ratelimit-limit").is_none());
    let stats = server.stats();
    assert_eq!(stats.rate_limited, 1);
    assert_eq!(stats.rate_limited_by_family["settings"], 1);
    assert_eq!(stats.requests_by_bucket[&format!("settings org:{ORG}")], 2);
    assert_eq!(
        stats.requests_by_bucket[&format!("settings project:{GROUP}")],
        1
    );
    assert_eq!(
        stats.requests_by_bucket[&format!("default project:{GROUP}")],
        1
    );
    server.shutdown().await;
}

#[tokio::test]
async fn each_family_has_its_own_limit() {
    let mut config = config();
    config.rate_limit = Some("org-users=1/min,default=100/s".parse().unwrap());
    let server = start(config).await;
    let c = Bearer::new(&server).await;
    let users = format!("/orgs/{ORG}/users");
    assert_eq!(c.get(&users).await.status().as_u16(), 200);
    let limited = c.get(&users).await;
    assert_eq!(limited.status().as_u16(), 429);
    assert_eq!(limited.headers()["retry-after"], "60");
    let e = body(limited).await;
    assert_eq!(e["parameters"][0], "api/atlas/v2/orgs/{orgId}/users");
    // The org's other families go on.
    let teams = c.get(&format!("/orgs/{ORG}/teams")).await;
    assert_eq!(teams.status().as_u16(), 200);
    assert_eq!(teams.headers()["ratelimit-limit"], "100");
    assert_eq!(teams.headers()["ratelimit-remaining"], "99");
    assert_eq!(server.stats().rate_limited_by_family["org-users"], 1);
    server.shutdown().await;
}

#[tokio::test]
async fn serves_hundreds_of_concurrent_connections() {
    let server = start(config()).await;
    let c = Bearer::new(&server).await;
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            // HTTP/1.1: every request in flight has a connection of its own.
            let http = c.http.clone();
            let url = format!(
                "{}/api/atlas/v2/groups/{GROUP}/databaseUsers?pageNum={}&itemsPerPage=10",
                c.base,
                i % 100 + 1
            );
            let token = c.token.clone();
            tokio::spawn(async move {
                let response = http
                    .get(url)
                    .bearer_auth(token)
                    .header("Accept", "application/vnd.atlas.2023-01-01+json")
                    .send()
                    .await
                    .unwrap();
                response.status().as_u16()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), 200);
    }
    assert_eq!(
        server.stats().by_route["GET /groups/{groupId}/databaseUsers"],
        300
    );
    server.shutdown().await;
}

#[tokio::test]
async fn listens_on_loopback_only_and_shuts_down() {
    let outside = "0.0.0.0:0".parse().unwrap();
    let err = MockServer::start(world(), config(), outside)
        .await
        .unwrap_err();
    assert!(matches!(err, MockError::NotLoopback { .. }), "{err}");
    assert!(err.to_string().contains("loopback"));

    let server = start(config()).await;
    let addr = server.addr();
    assert_eq!(server.base_url(), format!("http://{addr}"));
    server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn deep_pages_without_count_still_link_to_the_next() {
    let server = start(config()).await;
    let c = Bearer::new(&server).await;
    let path = format!("/orgs/{ORG}/events?itemsPerPage=1&pageNum=2&includeCount=false");
    let page = c.json(&path, 200).await;
    assert_eq!(page["results"][0]["eventTypeName"], "API_KEY_CREATED");
    assert_eq!(page["totalCount"], 0, "0 when not asked for, as Atlas");
    assert_eq!(page["links"][1]["rel"], "next");
    let last = c
        .json(
            &format!("/orgs/{ORG}/events?itemsPerPage=1&pageNum=3&includeCount=false"),
            200,
        )
        .await;
    assert_eq!(last["links"].as_array().unwrap().len(), 1);
    server.shutdown().await;
}
