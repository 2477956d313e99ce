//! How the simulated Atlas's transient faults change an answer: cut halfway, a credential
//! expired, a listing shifted by one item under the reader, an error page instead of the
//! answer, a `totalCount` one too high. The handler decides which fault applies; these apply it.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use futures::StreamExt as _;
use serde_json::Value;

use super::super::api_error::ApiError;
use super::super::digest::strip_scheme;
use super::super::families;
use super::super::faults::{Shift, Transient};
use super::super::paging::{Page, Query};
use super::super::ratelimit::{Charge, RateLimit};
use super::super::stats::Recorder;
use super::{Shared, header_str, rate_limited, with_retry_after};

/// The first half of `body`, then nothing for `pause`, then the connection is cut.
pub(super) fn half_then_cut(body: &[u8], pause: std::time::Duration) -> Body {
    let half = Bytes::from(body[..body.len().div_ceil(2)].to_vec());
    let cut = std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "simulated Atlas: connection dropped (injected fault)",
    );
    let cut = futures::stream::once(async move {
        tokio::time::sleep(pause).await;
        Err(cut)
    });
    Body::from_stream(futures::stream::iter([Ok(half)]).chain(cut))
}

/// Ends the life of the credential a request carries: its bearer token is revoked, or the
/// digest nonce it answered goes stale.
pub(super) fn expire(shared: &Shared, headers: &HeaderMap) {
    let authorization = header_str(headers, header::AUTHORIZATION);
    match authorization.and_then(|h| strip_scheme(h, "Bearer")) {
        Some(token) => {
            if let Some(oauth) = &shared.oauth {
                oauth.revoke(token);
            }
        }
        None => shared.digest.expire(authorization),
    }
}

/// The shift in force for this request's page of a listing, if any (see [`Transient::Shift`]).
pub(super) fn shift(
    shared: &Shared,
    transient: Option<Transient>,
    api_path: &str,
    query: &Query,
) -> Option<(Shift, Page)> {
    if !shared
        .faults
        .spec()
        .rates
        .iter()
        .any(|(k, p)| *k == Transient::Shift && *p > 0.0)
    {
        return None;
    }
    // Only listings are paged; a request without `pageNum` is an object or a bare array.
    query.get("pageNum")?;
    // Events up to a `maxDate` cannot move: none is ever removed, and new ones fall after it.
    if query.get("maxDate").is_some() {
        return None;
    }
    let page = Page::from_query(query, false).ok()?;
    let listing = format!(
        "{api_path}?{}",
        Query::parse(Some(&query.with("pageNum", "1"))).with("includeCount", "-")
    );
    let drawn = transient == Some(Transient::Shift);
    let (shift, started) = shared.faults.shift(&listing, page.num, drawn);
    if started {
        shared.stats.fault(Transient::Shift.key());
    }
    shift.map(|s| (s, page))
}

/// A page of a shifted listing: one item earlier (the item before the page comes first, the
/// last drops off) or one later (the first drops off, the item after the page comes last).
/// `neighbour(i)` answers the one-item page holding item `i`. `totalCount` moves with it.
pub(super) fn shifted(
    body: Vec<u8>,
    shift: Shift,
    page: Page,
    neighbour: impl Fn(usize) -> Option<Vec<u8>>,
) -> Vec<u8> {
    let Ok(mut envelope) = serde_json::from_slice::<Value>(&body) else {
        return body;
    };
    let one = |index: usize| -> Option<Value> {
        let body = neighbour(index)?;
        let mut page: Value = serde_json::from_slice(&body).ok()?;
        page.get_mut("results")?.as_array_mut()?.drain(..).next()
    };
    let Some(results) = envelope.get_mut("results").and_then(Value::as_array_mut) else {
        return body;
    };
    let delta: i64 = match shift {
        Shift::Inserted => {
            if let Some(before) = page.start().checked_sub(1).and_then(one) {
                results.insert(0, before);
                results.truncate(page.size);
            }
            1
        }
        Shift::Removed => {
            if !results.is_empty() {
                results.remove(0);
            }
            results.extend(one(page.start() + page.size));
            -1
        }
    };
    if let Some(total) = envelope.get("totalCount").and_then(Value::as_i64) {
        envelope["totalCount"] = (total + delta).max(0).into();
    }
    serde_json::to_vec(&envelope).unwrap_or(body)
}

/// The response of a transient fault that replaces the answer, or `None` for the kinds that
/// change how the real answer is sent (or, for `expire`, whether it is sent at all).
pub(super) fn transient_error(
    kind: Transient,
    template: Option<&str>,
    charge: Option<&Charge>,
) -> Option<Response> {
    let response = match kind {
        // Shaped like the real thing: the request's bucket, or a notional one of its family
        // when the server has no limits.
        Transient::TooManyRequests => match charge {
            Some(charge) => rate_limited(&charge.endpoint_set, 1, charge.limit),
            None => rate_limited(
                &format!("api/atlas/v2{}", families::family_of(template).pattern),
                1,
                RateLimit {
                    capacity: 100,
                    refill_per_sec: 100.0,
                },
            ),
        },
        Transient::Internal => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNEXPECTED_ERROR",
            "Unexpected error.",
        )
        .into_response(),
        Transient::Unavailable => with_retry_after(
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                "Service Unavailable.",
            )
            .into_response(),
            1,
        ),
        // The load balancer answers these, with its own HTML, not an ApiError.
        Transient::BadGateway => gateway_page(StatusCode::BAD_GATEWAY),
        Transient::GatewayTimeout => gateway_page(StatusCode::GATEWAY_TIMEOUT),
        // No `Retry-After` and no bucket: the client has only its own backoff to go by.
        Transient::TooManyRequestsBare => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RATE_LIMITED",
            "Too many requests.",
        )
        .into_response(),
        Transient::Slow
        | Transient::Drop
        | Transient::Truncated
        | Transient::Stall
        | Transient::Shift
        | Transient::Expire => return None,
    };
    Some(response)
}

pub(super) fn gateway_page(status: StatusCode) -> Response {
    let text = format!(
        "<html><head><title>{0}</title></head><body><h1>{0}</h1></body></html>\n",
        status
    );
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

/// Adds one to a page's `totalCount`, leaving every other byte of meaning as it was.
pub(super) fn overcount(body: Vec<u8>, stats: &Recorder) -> Vec<u8> {
    let Ok(mut page) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return body;
    };
    let Some(total) = page.get("totalCount").and_then(serde_json::Value::as_u64) else {
        return body;
    };
    stats.fault("overcount");
    page["totalCount"] = (total + 1).into();
    serde_json::to_vec(&page).unwrap_or(body)
}
