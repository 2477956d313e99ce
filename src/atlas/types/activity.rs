//! What Atlas sends about activity: database access-log entries and events.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// `MongoDBAccessLogsList`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLogList {
    /// Entries, newest first.
    #[serde(default)]
    pub access_logs: Vec<AccessLog>,
}

/// `MongoDBAccessLogs`: one authentication attempt.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessLog {
    /// Project.
    pub group_id: Option<String>,
    /// Who tried.
    pub username: Option<String>,
    /// Whether it succeeded.
    pub auth_result: Option<bool>,
    /// Database authenticated against.
    pub auth_source: Option<String>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Node.
    pub hostname: Option<String>,
    /// Client address.
    pub ip_address: Option<String>,
    /// When, to the second. The spec says ISO 8601 UTC; Atlas sends Java's `Date#toString`
    /// (`Thu Feb 05 09:24:59 GMT 2026`). Read with `logLine` by [`AccessLog::time`].
    pub timestamp: Option<String>,
    /// mongod's own log line: JSON whose `t.$date` is the exact instant (MongoDB 4.4 and
    /// later), or text that starts with an ISO 8601 time.
    pub log_line: Option<String>,
}

impl AccessLog {
    /// When the attempt happened, from whichever of `logLine` and `timestamp` can be read
    /// ([`crate::model::logtime::entry_time`]).
    pub fn time(&self) -> Option<Timestamp> {
        crate::model::logtime::entry_time(self.timestamp.as_deref(), self.log_line.as_deref())
    }

    /// The text an unreadable time was given as: `timestamp`, or `logLine` when there is none.
    pub fn time_text(&self) -> &str {
        self.timestamp
            .as_deref()
            .or(self.log_line.as_deref())
            .unwrap_or("")
    }
}

/// One event, org or project: a flat struct over Atlas's many event views.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Event id.
    pub id: String,
    /// When.
    pub created: Timestamp,
    /// Event type (an open set).
    pub event_type_name: String,
    /// Org.
    pub org_id: Option<String>,
    /// Project.
    pub group_id: Option<String>,
    /// Acting console user.
    pub user_id: Option<String>,
    /// Acting console user's email.
    pub username: Option<String>,
    /// Acting API key id.
    pub api_key_id: Option<String>,
    /// Acting API key.
    pub public_key: Option<String>,
    /// Caller's address.
    pub remote_address: Option<String>,
    /// A MongoDB employee acted.
    pub is_global_admin: Option<bool>,
    /// User the event is about.
    pub target_username: Option<String>,
    /// API key the event is about.
    pub target_public_key: Option<String>,
    /// Service account the event is about (recorded on `SERVICE_ACCOUNT_*` events, whose author
    /// is named by `publicKey` or `username`).
    pub client_id: Option<String>,
    /// Team the event is about.
    pub team_id: Option<String>,
    /// Database user the event is about.
    pub db_user_username: Option<String>,
}
