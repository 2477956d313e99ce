//! The request path of the simulated Atlas, every gate in the order Atlas applies them:
//! authentication, rate limit, permanent and transient faults, route, media type, answer. How a
//! transient fault changes an answer is in `handler_faults.rs`.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use super::api::{accepts, answer, media_type, resolve, wrong_accept};
use super::api_error::ApiError;
use super::digest::{DigestAuth, Refusal, strip_scheme};
use super::faults::{FaultDice, Permanent, Transient};
use super::oauth::OAuth;
use super::paging::Query;
use super::ratelimit::{Charge, Limiter, RateLimit, Take};
use super::routes;
use super::stats::Recorder;
use super::world::World;
use super::writes;

#[path = "handler_faults.rs"]
mod faulted;

use faulted::{expire, half_then_cut, overcount, shift, shifted, transient_error};

#[path = "handler_writes.rs"]
mod written;

use written::serve_write;

/// Prefix of every API path.
pub(crate) const API_PREFIX: &str = "/api/atlas/v2";
/// The OAuth token endpoint.
pub(crate) const TOKEN_PATH: &str = "/api/oauth/token";
/// How long a dropped answer stalls between its first half and the cut.
const DROP_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);
/// The body Atlas sends with a digest challenge, as recorded (2026): pretty-printed with
/// `" : "`, `errorCode` `UNEXPECTED_ERROR` and no `parameters`.
const DIGEST_CHALLENGE_BODY: &str = "{\n  \"error\" : 401,\n  \"reason\" : \"Unauthorized\",\n  \"detail\" : \"You are not authorized for this resource.\",\n  \"errorCode\" : \"UNEXPECTED_ERROR\"\n}";
/// Largest write body read.
const MAX_WRITE_BYTES: usize = 256 * 1024;
/// Largest token-request body read.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// Everything a request handler needs, shared by all connections.
#[derive(Debug)]
pub(crate) struct Shared {
    pub world: Arc<World>,
    pub strict_accept: bool,
    pub public_key: String,
    pub digest: DigestAuth,
    pub oauth: Option<OAuth>,
    pub limiter: Option<Limiter>,
    pub faults: FaultDice,
    pub stats: Recorder,
    pub base_url: String,
}

/// Answers any request: the token endpoint, an API path, or 404.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    shared.stats.update(|s| s.requests += 1);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let (response, route) = if path == TOKEN_PATH {
        (token(&shared, request).await, None)
    } else if let Some(api_path) = path.strip_prefix(API_PREFIX) {
        let api_path = api_path.to_owned();
        api(&shared, request, &api_path).await
    } else {
        (ApiError::not_found(&path).into_response(), None)
    };
    let status = response.status().as_u16();
    shared.stats.update(|s| {
        *s.by_status.entry(status).or_insert(0) += 1;
        if let Some(template) = route
            && response.status().is_success()
        {
            *s.by_route.entry(format!("GET {template}")).or_insert(0) += 1;
        }
    });
    // Never the headers: they carry credentials.
    tracing::debug!(%method, %path, status, "simulated Atlas");
    response
}

async fn token(shared: &Shared, request: Request) -> Response {
    if request.method() != Method::POST {
        return method_not_allowed("POST");
    }
    let authorization = header_str(request.headers(), header::AUTHORIZATION).map(str::to_owned);
    let form = axum::body::to_bytes(request.into_body(), MAX_FORM_BYTES)
        .await
        .unwrap_or_default();
    let Some(oauth) = &shared.oauth else {
        shared.stats.update(|s| s.auth_failures += 1);
        return json(
            StatusCode::UNAUTHORIZED,
            super::oauth::TokenRefusal::InvalidClient.body(),
        );
    };
    match oauth.issue(authorization.as_deref(), &form) {
        Ok(body) => {
            shared.stats.update(|s| s.tokens_issued += 1);
            let mut response = json(StatusCode::OK, &body);
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(refusal) => {
            shared.stats.update(|s| s.auth_failures += 1);
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
            json(status, refusal.body())
        }
    }
}

/// What the answer of an authenticated API request depends on.
struct Incoming<'r> {
    headers: &'r HeaderMap,
    method: &'r str,
    /// Path and query, as signed by a digest answer.
    uri: &'r str,
    query: Option<&'r str>,
    /// The path below `/api/atlas/v2`.
    path: &'r str,
    /// The template of the route the path matches, if any.
    template: Option<&'static str>,
}

/// Answers an API request; the route template is returned for the counters. Every answer but
/// a 401 carries the request's bucket in `RateLimit-Limit` and `RateLimit-Remaining`, as
/// Atlas's do.
async fn api(
    shared: &Shared,
    request: Request,
    api_path: &str,
) -> (Response, Option<&'static str>) {
    let (parts, body) = request.into_parts();
    let uri = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path(), |pq| pq.as_str());
    let is_get = parts.method == Method::GET;
    // A write names its route in the write table; a GET in the read table.
    let write = if is_get {
        None
    } else {
        Some(writes::find(parts.method.as_str(), api_path))
    };
    let template = match &write {
        Some(writes::Found::Write(w)) => Some(w.route.template),
        _ => routes::match_path(api_path).map(|m| m.route.template),
    };
    let incoming = Incoming {
        headers: &parts.headers,
        method: parts.method.as_str(),
        uri,
        query: parts.uri.query(),
        path: api_path,
        template,
    };
    let who = match authenticate(shared, incoming.headers, incoming.method, uri) {
        Ok(who) => who,
        Err(refused) => return (*refused, None),
    };
    let write = match write {
        None => None,
        Some(writes::Found::Write(w)) => Some(w),
        Some(writes::Found::WrongMethod(allowed)) => {
            return (method_not_allowed(&allowed), None);
        }
        Some(writes::Found::Nothing) => {
            return (ApiError::not_found(api_path).into_response(), None);
        }
    };
    let charge = shared
        .limiter
        .as_ref()
        .and_then(|limiter| limiter.charge(api_path, incoming.template, &who));
    if let Some(charge) = &charge {
        shared.stats.update(|s| match charge.take {
            Take::Granted { .. } => {
                *s.requests_by_bucket
                    .entry(charge.bucket.clone())
                    .or_insert(0) += 1;
            }
            Take::Denied { .. } => {
                s.rate_limited += 1;
                *s.rate_limited_by_family
                    .entry(charge.family.to_owned())
                    .or_insert(0) += 1;
            }
        });
    }
    let (mut response, counted) = match &charge {
        Some(
            refused @ Charge {
                take: Take::Denied { retry_after },
                ..
            },
        ) => (
            rate_limited(&refused.endpoint_set, *retry_after, refused.limit),
            None,
        ),
        _ => match &write {
            Some(write) => {
                let body = axum::body::to_bytes(body, MAX_WRITE_BYTES)
                    .await
                    .unwrap_or_default();
                (
                    serve_write(shared, &incoming, charge.as_ref(), write, &body),
                    None,
                )
            }
            // `deny=/rateLimits` (a credential that may not read it) goes the way of any path.
            None if api_path == "/rateLimits"
                && shared.faults.spec().permanent(api_path).is_none() =>
            {
                match &shared.limiter {
                    Some(limiter) => (
                        json(
                            StatusCode::OK,
                            &limiter.endpoint_sets(incoming.query).to_string(),
                        ),
                        Some("/rateLimits"),
                    ),
                    None => serve(shared, &incoming, charge.as_ref()).await,
                }
            }
            None => serve(shared, &incoming, charge.as_ref()).await,
        },
    };
    // Every answer names its handler, as Atlas's do; deprecated endpoints say so.
    let (java, deprecation) = match &write {
        Some(w) => (w.route.java, w.route.deprecation),
        None => (
            writes::java_method_for_read(template),
            writes::deprecation_of_read(template),
        ),
    };
    if response.status() != StatusCode::UNAUTHORIZED {
        let headers = response.headers_mut();
        headers.insert("X-Java-Method", HeaderValue::from_static(java));
        if let Some(date) = deprecation {
            headers.insert("Deprecation", HeaderValue::from_static(date));
            headers.insert("Sunset", HeaderValue::from_static(writes::SUNSET));
        }
    }
    if let Some(charge) = &charge
        && response.status() != StatusCode::UNAUTHORIZED
    {
        let headers = response.headers_mut();
        headers.insert("RateLimit-Limit", HeaderValue::from(charge.limit.capacity));
        headers.insert("RateLimit-Remaining", HeaderValue::from(charge.remaining()));
    }
    (response, counted)
}

/// The answer to an authenticated request its bucket let through: faults, route, media type,
/// body.
async fn serve(
    shared: &Shared,
    incoming: &Incoming<'_>,
    charge: Option<&Charge>,
) -> (Response, Option<&'static str>) {
    let (headers, uri, api_path) = (incoming.headers, incoming.uri, incoming.path);
    let permanent = shared.faults.spec().permanent(api_path);
    match permanent {
        Some(Permanent::Deny) => {
            shared.stats.fault("deny");
            return (denied(api_path), None);
        }
        Some(Permanent::Unauth) => {
            shared.stats.fault("unauth");
            return (unauthorized_role().into_response(), None);
        }
        _ => {}
    }
    let transient = if shared.faults.spec().rates.is_empty() {
        None
    } else {
        shared.faults.draw(&format!("GET {uri}"))
    };
    if let Some(kind) = transient.filter(|k| *k != Transient::Shift) {
        shared.stats.fault(kind.key());
        if let Some(response) = transient_error(kind, incoming.template, charge) {
            return (response, None);
        }
        match kind {
            Transient::Slow => tokio::time::sleep(shared.faults.spec().slow).await,
            Transient::Expire => {
                expire(shared, headers);
                if let Err(refused) = authenticate(shared, headers, incoming.method, uri) {
                    return (*refused, None);
                }
            }
            _ => {}
        }
    }

    let matched = match resolve(api_path) {
        Ok(matched) => matched,
        Err(error) => return (error.into_response(), None),
    };
    let route = matched.route;
    let accept = header_str(headers, header::ACCEPT);
    if !accepts(accept, route.version) {
        shared.stats.update(|s| s.wrong_accept += 1);
        if shared.strict_accept {
            return (wrong_accept(accept, route.version).into_response(), None);
        }
    }
    let query = Query::parse(incoming.query);
    let link_url = format!("{}{API_PREFIX}{api_path}", shared.base_url);
    let body = match answer(&shared.world, &matched, api_path, &query, &link_url) {
        Ok(body) => body,
        Err(error) => return (error.into_response(), None),
    };
    let body = match shift(shared, transient, api_path, &query) {
        Some((shift, page)) => {
            let neighbour = |index: usize| {
                let one = Query::parse(Some(&query.with("itemsPerPage", "1")));
                let at = Query::parse(Some(&one.with("pageNum", &(index + 1).to_string())));
                answer(&shared.world, &matched, api_path, &at, &link_url).ok()
            };
            shifted(body, shift, page, neighbour)
        }
        None => body,
    };

    let body = if permanent == Some(Permanent::Overcount) {
        overcount(body, &shared.stats)
    } else {
        body
    };
    let mut counted = Some(route.template);
    let body = if permanent == Some(Permanent::Malformed) {
        shared.stats.fault("malformed");
        counted = None;
        // Half of a JSON object or array never closes it: not valid JSON.
        Body::from(Bytes::from(body[..body.len() / 2].to_vec()))
    } else if transient == Some(Transient::Truncated) {
        counted = None;
        // A complete transfer (the length matches) of JSON that stops halfway.
        Body::from(Bytes::from(body[..body.len() / 2].to_vec()))
    } else if transient == Some(Transient::Drop) {
        counted = None;
        // The pause lets the head and the first half reach the client before the cut.
        half_then_cut(&body, DROP_PAUSE)
    } else if transient == Some(Transient::Stall) {
        counted = None;
        half_then_cut(&body, shared.faults.spec().slow)
    } else {
        Body::from(body)
    };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    // As Atlas labels its answers (recorded): the version's media type with a charset.
    if let Ok(value) =
        HeaderValue::from_str(&format!("{};charset=utf-8", media_type(route.version)))
    {
        headers.insert(header::CONTENT_TYPE, value);
    }
    (response, counted)
}

/// The caller's identity (public key or client id), or the 401 to send.
fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    method: &str,
    uri: &str,
) -> Result<String, Box<Response>> {
    let authorization = header_str(headers, header::AUTHORIZATION);
    if let Some(token) = authorization.and_then(|h| strip_scheme(h, "Bearer")) {
        if let Some(client) = shared.oauth.as_ref().and_then(|o| o.check(token)) {
            return Ok(client);
        }
        shared.stats.update(|s| s.auth_failures += 1);
        let mut response = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
            "The access token is unknown or has expired; request a new one from /api/oauth/token.",
        )
        .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        return Err(Box::new(response));
    }
    match shared.digest.verify(authorization, method, uri) {
        Ok(()) => Ok(shared.public_key.clone()),
        Err(refusal) => {
            let stale = refusal == Refusal::Stale;
            shared.stats.update(|s| {
                s.digest_challenges += 1;
                s.stale_nonces += u64::from(stale);
                s.reused_nonces_refused += u64::from(refusal == Refusal::Reused);
                s.auth_failures +=
                    u64::from(matches!(refusal, Refusal::Credentials | Refusal::Replay));
            });
            // Atlas's own challenge body: pretty-printed, no parameters (recorded).
            let mut response = json(StatusCode::UNAUTHORIZED, DIGEST_CHALLENGE_BODY);
            if let Ok(value) = HeaderValue::from_str(&shared.digest.challenge(stale)) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
            Err(Box::new(response))
        }
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn json(status: StatusCode, body: &str) -> Response {
    let mut response = Response::new(Body::from(body.to_owned()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn method_not_allowed(allowed: &str) -> Response {
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("Only {allowed} is supported here."),
    )
    .into_response();
    if let Ok(value) = HeaderValue::from_str(allowed) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// 429 as Atlas sends it when the token bucket of `endpoint_set` is empty.
fn rate_limited(endpoint_set: &str, retry_after: u64, limit: RateLimit) -> Response {
    let capacity = limit.capacity;
    let (rate, per) = limit.refill_fraction();
    let error = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "RATE_LIMITED_TOKEN_BUCKET",
        format!(
            "Rate limit exceeded for {endpoint_set}. Please retry after {retry_after} seconds. \
             Request capacity: {capacity}. Refill rate: {rate} per {per} seconds."
        ),
    )
    .with_parameters(vec![
        Value::from(endpoint_set),
        Value::from(retry_after),
        Value::from(capacity),
        Value::from(rate),
        Value::from(per),
    ]);
    with_retry_after(error.into_response(), retry_after)
}

/// 403 for a scope the credential lacks the role for.
fn denied(api_path: &str) -> Response {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "USER_UNAUTHORIZED",
        format!(
            "The current credential does not have the role required to read {api_path} \
             (e.g. Organization Member or Project Read Only)."
        ),
    )
    .with_parameters(vec![Value::from(api_path)])
    .into_response()
}

fn unauthorized_role() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "USER_UNAUTHORIZED",
        "Current user is not authorized to perform this action.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::faults::Shift;
    use crate::mock::paging::Page;

    fn page(num: usize, size: usize) -> Page {
        Page {
            num,
            size,
            include_count: true,
        }
    }

    /// Items 0..10 as one-item envelopes, the way `answer` gives a neighbour.
    fn neighbour(i: usize) -> Option<Vec<u8>> {
        (i < 10).then(|| format!(r#"{{"results":[{i}],"totalCount":10}}"#).into_bytes())
    }

    fn results(body: &[u8]) -> (Vec<u64>, Option<u64>) {
        let v: Value = serde_json::from_slice(body).unwrap();
        let items = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap())
            .collect();
        (items, v["totalCount"].as_u64())
    }

    #[test]
    fn a_shifted_page_moves_by_one_item() {
        let body = br#"{"results":[3,4,5],"totalCount":10}"#.to_vec();
        let inserted = shifted(body.clone(), Shift::Inserted, page(2, 3), neighbour);
        assert_eq!(results(&inserted), (vec![2, 3, 4], Some(11)));
        let removed = shifted(body, Shift::Removed, page(2, 3), neighbour);
        assert_eq!(results(&removed), (vec![4, 5, 6], Some(9)));
        // The last page: nothing after it to pull in.
        let last = br#"{"results":[9]}"#.to_vec();
        let removed = shifted(last.clone(), Shift::Removed, page(4, 3), neighbour);
        assert_eq!(results(&removed), (vec![], None));
        let inserted = shifted(last, Shift::Inserted, page(4, 3), neighbour);
        assert_eq!(results(&inserted), (vec![8, 9], None));
        // Not an envelope: left alone.
        assert_eq!(
            shifted(b"[1]".to_vec(), Shift::Removed, page(2, 1), neighbour),
            b"[1]"
        );
    }
}
