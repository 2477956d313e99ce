//! What a request's path and a 429's body say about rate limits: the org or project a path is
//! scoped to, an endpoint set as a comparable name, and the set and bucket shape a 429 names.

use super::Shape;
use crate::atlas::error::ApiErrorBody;

/// The org or project a request path (below `/api/atlas/v2`) is scoped to.
pub(super) fn scope_of(path: &str) -> Option<(&'static str, &str)> {
    let mut segments = path.trim_start_matches('/').split('/');
    let kind = match segments.next()? {
        "orgs" => "org",
        "groups" => "project",
        _ => return None,
    };
    let id = segments.next().filter(|id| !id.is_empty())?;
    Some((kind, id.split('?').next().unwrap_or(id)))
}

/// An endpoint set as a comparable name: no leading `/`, no `api/atlas/v2`, and every id
/// segment (24 hex digits, a `{param}`, or the request's own org or project id) as `{}`:
/// `api/atlas/v2/orgs/{orgId}/events` and `/orgs/5f…/events` are both `/orgs/{}/events`.
pub(super) fn endpoint_set(raw: &str, scope_id: Option<&str>) -> String {
    let path = raw
        .trim()
        .trim_end_matches(['.', ',', ';', ':'])
        .split('?')
        .next()
        .unwrap_or_default()
        .trim_start_matches('/');
    let path = match path.strip_prefix("api/atlas/v2") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => path,
    };
    let is_id = |segment: &str| {
        (segment.len() == 24 && segment.bytes().all(|b| b.is_ascii_hexdigit()))
            || (segment.starts_with('{') && segment.ends_with('}'))
            || scope_id == Some(segment)
    };
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| if is_id(s) { "{}" } else { s })
        .collect();
    format!("/{}", segments.join("/"))
}

/// The endpoint set a 429 names: its first parameter, else the path in its `detail`.
pub(super) fn named_set(body: &ApiErrorBody) -> Option<String> {
    let looks_like_path = |s: &str| s.contains('/');
    if let Some(first) = body.parameters.first().and_then(serde_json::Value::as_str)
        && looks_like_path(first)
    {
        return Some(first.to_owned());
    }
    body.detail
        .as_deref()?
        .split_whitespace()
        .find(|word| word.contains("api/atlas/v2"))
        .map(str::to_owned)
}

/// The bucket a 429 describes: `parameters` `[set, retryAfter, capacity, refill, seconds]`, or
/// "capacity: C. Refill rate: R per D seconds" in its `detail`.
pub(super) fn shape_of(body: &ApiErrorBody) -> Option<Shape> {
    let number = |i: usize| body.parameters.get(i).and_then(serde_json::Value::as_f64);
    let (capacity, refill, seconds) = match (number(2), number(3), number(4)) {
        (Some(c), Some(r), Some(s)) => (c, r, s),
        _ => {
            let detail = body.detail.as_deref()?;
            let after = |label: &str| -> Option<&str> {
                let lower = detail.to_ascii_lowercase();
                let at = lower.find(label)? + label.len();
                detail.get(at..)
            };
            let first_number = |text: &str| -> Option<f64> {
                text.split(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .find(|w| !w.is_empty() && *w != ".")?
                    .trim_end_matches('.')
                    .parse()
                    .ok()
            };
            let capacity = first_number(after("capacity:")?)?;
            let refill_text = after("refill rate:")?;
            let (refill, per) = refill_text.split_once(" per ")?;
            (capacity, first_number(refill)?, first_number(per)?)
        }
    };
    (capacity >= 1.0 && refill > 0.0 && seconds > 0.0).then_some(Shape {
        capacity,
        rate: refill / seconds,
    })
}
