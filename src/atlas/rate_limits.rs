//! What Atlas documents of its rate limits, read before a burst of work: `GET /rateLimits`
//! (`listRateLimits`, API-NOTES §3.10) lists each endpoint set of one scope with its bucket's
//! capacity and refill, so the throttle can pace from the first request instead of learning
//! each set from a 429. Atlas documents that it limits per endpoint set and scope but publishes
//! no numbers (WRITE-AND-FEDERATION-NOTES §A9); whether every credential may call this endpoint,
//! and how its endpoint paths are written, is unverified: an answer that cannot be used leaves
//! the throttle to learn from 429s and `RateLimit-*` headers, as before.

use serde::Deserialize;

use super::client::Client;
use super::endpoint::Endpoint;
use super::throttle::DocumentedSet;

/// `listRateLimits`: the endpoint sets of one scope (`groupId`, `orgId`, `userId` or
/// `ipAddress`), paged.
pub const LIST_RATE_LIMITS: Endpoint = Endpoint {
    name: "listRateLimits",
    template: "/rateLimits",
    version: "2025-03-12",
    shape: super::endpoint::Shape::Object,
    count_is_estimate: false,
};

/// A `{ value, defaultValue }` number of `RateLimitEndpointSetResponse`.
#[derive(Debug, Deserialize)]
struct Valued {
    value: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct SetEndpoint {
    path: String,
}

/// One `RateLimitEndpointSetResponse`; only what pacing needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RateLimitSet {
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    endpoints: Vec<SetEndpoint>,
    capacity: Option<Valued>,
    refill_rate: Option<Valued>,
    refill_duration_seconds: Option<Valued>,
}

#[derive(Debug, Deserialize)]
struct RateLimitSets {
    #[serde(default)]
    results: Vec<RateLimitSet>,
}

impl RateLimitSet {
    fn documented(self) -> Option<DocumentedSet> {
        let number = |v: Option<Valued>| v.and_then(|v| v.value).filter(|n| *n > 0.0);
        let capacity = number(self.capacity)?;
        let per_second = number(self.refill_rate)? / number(self.refill_duration_seconds)?;
        let caller_wide = matches!(self.scope.as_deref(), Some("USER" | "IP"));
        Some(DocumentedSet {
            endpoints: self.endpoints.into_iter().map(|e| e.path).collect(),
            capacity,
            per_second,
            caller_wide,
        })
    }
}

impl Client {
    /// Reads the rate limits Atlas documents for the scope `(param, id)` (`("groupId", ID)` or
    /// `("orgId", ID)`) and paces by them from now on; returns how many endpoint sets were
    /// learned. A failure is logged and costs nothing but the one request: the throttle still
    /// learns from 429s.
    pub async fn learn_documented_rate_limits(&self, param: &str, id: &str) -> usize {
        let query = [
            (param, id.to_owned()),
            ("itemsPerPage", super::MAX_PAGE_SIZE.to_string()),
        ];
        match self
            .get_object::<RateLimitSets>(&LIST_RATE_LIMITS, "/rateLimits", &query)
            .await
        {
            Ok(listing) => {
                let sets: Vec<DocumentedSet> = listing
                    .results
                    .into_iter()
                    .filter_map(RateLimitSet::documented)
                    .collect();
                self.throttle.learn_documented(&sets);
                sets.len()
            }
            Err(error) => {
                tracing::debug!(%error, "GET /rateLimits failed: rate limits are learned from 429s");
                0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_needs_capacity_and_refill_and_per_caller_scopes_are_caller_wide() {
        let sets: RateLimitSets = serde_json::from_str(
            r#"{"results":[
              {"scope":"GROUP","endpoints":[{"method":"GET","path":"/api/atlas/v2/groups/{groupId}/users"}],
               "capacity":{"value":5,"defaultValue":null},"refillRate":{"value":3},"refillDurationSeconds":{"value":2}},
              {"scope":"USER","endpoints":[{"method":"GET","path":"/api/atlas/v2/orgs"}],
               "capacity":{"value":10},"refillRate":{"value":5},"refillDurationSeconds":{"value":60}},
              {"scope":"ORGANIZATION","endpoints":[],"capacity":{"value":10},"refillRate":{"value":0},"refillDurationSeconds":{"value":60}}
            ]}"#,
        )
        .unwrap();
        let documented: Vec<DocumentedSet> = sets
            .results
            .into_iter()
            .filter_map(RateLimitSet::documented)
            .collect();
        assert_eq!(
            documented.len(),
            2,
            "a set that never refills is not paced by"
        );
        assert_eq!(documented[0].capacity, 5.0);
        assert!((documented[0].per_second - 1.5).abs() < 1e-9);
        assert!(!documented[0].caller_wide);
        assert!(documented[1].caller_wide);
    }
}
