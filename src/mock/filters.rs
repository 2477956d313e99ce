//! The query filters Atlas applies to the listings the collector reads: membership status on
//! org users, date range and type on events, and range, result and count on access history.
//! Each works on the indexes built at load, never on the items themselves.

use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::Value;

use super::api_error::ApiError;
use super::paging::Query;
use super::world::{AccessLogs, EventIndex, Membership};

/// Largest (and default) `nLogs` of the access-history endpoints.
pub(crate) const MAX_ACCESS_LOGS: i64 = 20_000;

/// The statuses an org-user listing returns: `orgMembershipStatuses` (repeatable) or the
/// deprecated `orgMembershipStatus`; ACTIVE and PENDING when neither is given, as Atlas.
pub(crate) fn membership_filter(query: &Query) -> Result<Vec<Membership>, ApiError> {
    let mut wanted = Vec::new();
    for name in ["orgMembershipStatuses", "orgMembershipStatus"] {
        for value in query.all(name) {
            let status = Membership::parse(value).ok_or_else(|| {
                ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "INVALID_ENUM_VALUE",
                    format!(
                        "An invalid enumeration value {value} was specified for {name}; \
                         expected PENDING, ACTIVE, INVITATION_EXPIRED or INVITATION_REJECTED."
                    ),
                )
                .with_parameters(vec![Value::from(value), Value::from(name)])
            })?;
            wanted.push(status);
        }
    }
    if wanted.is_empty() {
        wanted = vec![Membership::Active, Membership::Pending];
    }
    Ok(wanted)
}

/// An identity provider's `protocol` and `idpType`, as the listing's filter reads them (a
/// SAML provider without `idpType` is workforce, the only kind SAML has).
pub(crate) fn idp_kind(item: &Value) -> (String, String) {
    let text = |field| item.get(field).and_then(Value::as_str).map(str::to_string);
    let protocol = text("protocol").unwrap_or_default();
    let idp_type = text("idpType").unwrap_or_else(|| "WORKFORCE".to_string());
    (protocol, idp_type)
}

/// The `protocol` and `idpType` values an identity-provider listing keeps: each repeatable,
/// SAML and WORKFORCE when not given (spec: the listing hides OIDC and workload providers
/// unless asked). An unknown value is a 400, as for any enum parameter.
pub(crate) fn idp_filter(query: &Query) -> Result<(Vec<&str>, Vec<&str>), ApiError> {
    let mut wanted = [Vec::new(), Vec::new()];
    for (slot, (name, allowed, default)) in [
        ("protocol", ["SAML", "OIDC"], "SAML"),
        ("idpType", ["WORKFORCE", "WORKLOAD"], "WORKFORCE"),
    ]
    .into_iter()
    .enumerate()
    {
        for value in query.all(name) {
            let Some(known) = allowed.iter().find(|a| **a == value) else {
                return Err(ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "INVALID_ENUM_VALUE",
                    format!(
                        "An invalid enumeration value {value} was specified for {name}; expected {}.",
                        allowed.join(" or ")
                    ),
                )
                .with_parameters(vec![Value::from(value), Value::from(name)]));
            };
            wanted[slot].push(*known);
        }
        if wanted[slot].is_empty() {
            wanted[slot].push(default);
        }
    }
    let [protocols, types] = wanted;
    Ok((protocols, types))
}

/// The event filter of one request.
#[derive(Debug)]
pub(crate) struct EventFilter {
    min_ms: i64,
    max_ms: i64,
    /// Interned type ids to keep; `None` keeps every type.
    types: Option<Vec<u32>>,
}

impl EventFilter {
    /// Reads `minDate`, `maxDate` (inclusive) and `eventType` against a listing's index.
    pub fn new(query: &Query, index: &EventIndex) -> Result<EventFilter, ApiError> {
        let min_ms = date_param(query, "minDate")?.unwrap_or(i64::MIN);
        let max_ms = date_param(query, "maxDate")?.unwrap_or(i64::MAX);
        let names: Vec<&str> = query.all("eventType").collect();
        let types =
            (!names.is_empty()).then(|| names.iter().filter_map(|n| index.type_id(n)).collect());
        Ok(EventFilter {
            min_ms,
            max_ms,
            types,
        })
    }

    /// Whether the event at `i` passes.
    pub fn keeps(&self, index: &EventIndex, i: usize) -> bool {
        let at = index.created_ms[i];
        at >= self.min_ms
            && at <= self.max_ms
            && self
                .types
                .as_ref()
                .is_none_or(|t| t.contains(&index.type_ids[i]))
    }
}

/// An ISO 8601 date-time (or a bare date, read as midnight UTC) in epoch milliseconds.
fn date_param(query: &Query, name: &str) -> Result<Option<i64>, ApiError> {
    let Some(raw) = query.get(name) else {
        return Ok(None);
    };
    if let Ok(ts) = raw.parse::<Timestamp>() {
        return Ok(Some(ts.as_millisecond()));
    }
    if let Ok(ts) = raw
        .parse::<Date>()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC))
    {
        return Ok(Some(ts.timestamp().as_millisecond()));
    }
    Err(ApiError::bad_query(
        format!(
            "Invalid value {raw} for query parameter {name}: expected an ISO 8601 date-time such as 2026-01-01T00:00:00Z."
        ),
        name,
    ))
}

/// The access-history filter of one request.
#[derive(Debug)]
pub(crate) struct AccessLogFilter {
    range: Option<(i64, i64)>,
    auth_result: Option<bool>,
    limit: usize,
}

impl AccessLogFilter {
    /// Reads `start` and `end` (epoch ms, both or neither), `authResult` and `nLogs`.
    pub fn new(query: &Query) -> Result<AccessLogFilter, ApiError> {
        let start = query.int("start", 0, i64::MAX)?;
        let end = query.int("end", 0, i64::MAX)?;
        let range = match (start, end) {
            (Some(s), Some(e)) => Some((s, e)),
            (None, None) => None,
            _ => {
                return Err(ApiError::bad_query(
                    "Query parameters start and end must be given together.",
                    if start.is_some() { "end" } else { "start" },
                ));
            }
        };
        let limit = query
            .int("nLogs", 0, MAX_ACCESS_LOGS)?
            .unwrap_or(MAX_ACCESS_LOGS);
        Ok(AccessLogFilter {
            range,
            auth_result: query.bool("authResult")?,
            limit: usize::try_from(limit).unwrap_or(0),
        })
    }

    /// Positions of the entries to send, most recent first, at most `nLogs`.
    pub fn select(&self, logs: &AccessLogs) -> Vec<usize> {
        (0..logs.items.len())
            .filter(|&i| {
                self.range
                    .is_none_or(|(s, e)| (s..=e).contains(&logs.at_ms[i]))
                    && self
                        .auth_result
                        .is_none_or(|want| logs.auth_result[i] == Some(want))
            })
            .take(self.limit)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_defaults_to_active_and_pending() {
        assert_eq!(
            membership_filter(&Query::parse(None)).unwrap(),
            vec![Membership::Active, Membership::Pending]
        );
        let q = Query::parse(Some(
            "orgMembershipStatuses=INVITATION_EXPIRED&orgMembershipStatuses=INVITATION_REJECTED",
        ));
        assert_eq!(
            membership_filter(&q).unwrap(),
            vec![
                Membership::InvitationExpired,
                Membership::InvitationRejected
            ]
        );
        let bad = Query::parse(Some("orgMembershipStatuses=GONE"));
        assert_eq!(
            membership_filter(&bad).unwrap_err().code,
            "INVALID_ENUM_VALUE"
        );
    }

    #[test]
    fn events_filter_on_dates_and_types() {
        let mut index = EventIndex::default();
        index.push(3_000, "B");
        index.push(2_000, "A");
        index.push(1_000, "A");
        let q = Query::parse(Some(
            "minDate=1970-01-01T00:00:01.500Z&maxDate=1970-01-01T00:00:03Z&eventType=A",
        ));
        let f = EventFilter::new(&q, &index).unwrap();
        let kept: Vec<usize> = (0..3).filter(|&i| f.keeps(&index, i)).collect();
        assert_eq!(kept, vec![1]);
        let unknown_type = Query::parse(Some("eventType=NEVER_SEEN"));
        let f = EventFilter::new(&unknown_type, &index).unwrap();
        assert!((0..3).all(|i| !f.keeps(&index, i)));
        let day = Query::parse(Some("minDate=1970-01-01"));
        assert!(EventFilter::new(&day, &index).is_ok());
        assert!(EventFilter::new(&Query::parse(Some("maxDate=soon")), &index).is_err());
    }

    #[test]
    fn access_logs_need_both_ends_of_a_range() {
        assert!(AccessLogFilter::new(&Query::parse(Some("start=1"))).is_err());
        assert!(AccessLogFilter::new(&Query::parse(Some("nLogs=20001"))).is_err());
        assert!(AccessLogFilter::new(&Query::parse(Some("start=1&end=2&nLogs=5"))).is_ok());
    }
}
