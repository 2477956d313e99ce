//! The write path of the simulated Atlas's request handler: after authentication and the rate
//! limiter, a write meets the permanent and transient faults (error answers only: a faulted
//! write is not applied), the media-type check, then the world, and is logged with its status.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

use super::super::api::{accepts, media_type, wrong_accept};
use super::super::api_error::ApiError;
use super::super::faults::Permanent;
use super::super::ratelimit::Charge;
use super::super::stats::WriteRecord;
use super::super::writes;
use super::{Incoming, Shared, denied, header_str, transient_error, unauthorized_role};

/// The answer to an authenticated write its bucket let through: permanent and transient
/// faults (error answers only: the write is not applied), the media type, then the write,
/// logged with its status.
pub(super) fn serve_write(
    shared: &Shared,
    incoming: &Incoming<'_>,
    charge: Option<&Charge>,
    write: &writes::WriteMatch,
    body: &[u8],
) -> Response {
    let api_path = incoming.path;
    match shared.faults.spec().permanent(api_path) {
        Some(Permanent::Deny) => {
            shared.stats.fault("deny");
            return denied(api_path);
        }
        Some(Permanent::Unauth) => {
            shared.stats.fault("unauth");
            return unauthorized_role().into_response();
        }
        _ => {}
    }
    if !shared.faults.spec().rates.is_empty()
        && let Some(kind) = shared
            .faults
            .draw(&format!("{} {}", incoming.method, incoming.uri))
        && let Some(response) = transient_error(kind, incoming.template, charge)
    {
        shared.stats.fault(kind.key());
        return response;
    }
    let route = write.route;
    let accept = header_str(incoming.headers, header::ACCEPT);
    if !accepts(accept, route.version) {
        shared.stats.update(|s| s.wrong_accept += 1);
        if shared.strict_accept {
            return wrong_accept(accept, route.version).into_response();
        }
    }
    let parsed: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice(body) {
            Ok(value) => Some(value),
            Err(e) => {
                let error = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "MALFORMED_JSON",
                    format!("The request body is not valid JSON: {e}."),
                );
                return logged(shared, incoming, None, error.into_response());
            }
        }
    };
    let response = match writes::apply(&shared.world, write, parsed.as_ref()) {
        Ok((status, answer)) => {
            let mut response = Response::new(match answer {
                Some(value) => Body::from(value.to_string()),
                None => Body::empty(),
            });
            *response.status_mut() = status;
            // Recorded 204s carry the media type too.
            if let Ok(value) =
                HeaderValue::from_str(&format!("{};charset=utf-8", media_type(route.version)))
            {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
        }
        Err(error) => error.into_response(),
    };
    logged(shared, incoming, parsed, response)
}

/// Adds a write to the server's log.
fn logged(
    shared: &Shared,
    incoming: &Incoming<'_>,
    body: Option<Value>,
    response: Response,
) -> Response {
    let record = WriteRecord {
        method: incoming.method.to_owned(),
        path: incoming.path.to_owned(),
        body,
        status: response.status().as_u16(),
    };
    shared.stats.update(|s| s.writes.push(record));
    response
}
