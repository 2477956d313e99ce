//! A synthetic cluster's database access history: the last seven days, as Atlas keeps it, in
//! the form Atlas sends (a Java `Date#toString` `timestamp` in GMT and mongod's JSON `logLine`)
//! with a few entries in the other forms Atlas has been seen or documented to use, and now and
//! then a login of Atlas's own automation agent.

use jiff::Timestamp;
use serde::Serialize;

use super::kit::{DAY, Rng, raw, rfc3339};
use super::org::ProjectRef;
use super::{Clock, Serials};
use crate::mock::world::WorldBuilder;
use crate::model::{ACCESS_HISTORY_DAYS, logtime};

/// One entry, its fields in the order Atlas sends them.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AccessLog<'a> {
    auth_result: bool,
    auth_source: &'a str,
    /// `null` on success, as Atlas sends it.
    failure_reason: Option<String>,
    group_id: &'a str,
    hostname: &'a str,
    ip_address: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    log_line: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<String>,
    username: &'a str,
}

/// How an entry gives its time.
#[derive(Clone, Copy)]
enum Form {
    /// Java `timestamp` in GMT and a JSON `logLine`: what Atlas sends today.
    Recorded,
    /// Java `timestamp` in a US zone, no `logLine` (Atlas's old documentation).
    UsZone(&'static str),
    /// RFC 3339 `timestamp`, no `logLine` (what Atlas's spec promises).
    Rfc3339,
    /// A text `logLine` from before MongoDB 4.4, no `timestamp`.
    TextLine,
}

/// The forms other than Atlas's own, as they take turns.
const OTHER_FORMS: [Form; 5] = [
    Form::UsZone("EDT"),
    Form::Rfc3339,
    Form::UsZone("PST"),
    Form::TextLine,
    Form::UsZone("CST"),
];

/// One authentication attempt.
struct Attempt<'a> {
    username: &'a str,
    db: &'a str,
    ok: bool,
    /// Why it failed, and mongod's result code.
    failure: Option<(String, u32)>,
    ip: String,
    port: i64,
    connection: i64,
}

/// A few authentication attempts against a cluster over the last seven days, mostly
/// successful, by the project's database users (and one stranger now and then), and in half
/// the clusters a login of Atlas's automation agent. One entry in eight is in another form.
pub(super) fn history(
    builder: &mut WorldBuilder,
    project: &ProjectRef,
    cluster: &str,
    users: &[(String, &'static str)],
    clock: &Clock,
    serials: &mut Serials,
    rng: &mut Rng,
) {
    let host = format!(
        "{}-shard-00-0{}.{}.mongodb.net",
        cluster.to_ascii_lowercase(),
        rng.below(3),
        rng.letters(5)
    );
    let mut entries = Vec::new();
    let attempts = 3 + rng.below(6);
    let agent = rng.chance(0.5);
    for n in 0..attempts + usize::from(agent) {
        let stranger = users.is_empty() || rng.chance(0.08);
        let (username, db) = if n == attempts {
            ("mms-automation", "admin")
        } else if stranger {
            ("root", "admin")
        } else {
            let (name, db) = &users[rng.below(users.len())];
            (name.as_str(), *db)
        };
        let ok = n == attempts || (!stranger && rng.chance(0.9));
        let failure = (!ok).then(|| {
            if stranger {
                (
                    format!("UserNotFound: Could not find user \"{username}\" for db \"{db}\""),
                    11,
                )
            } else {
                (
                    "AuthenticationFailed: SCRAM authentication failed, storedKey mismatch".into(),
                    18,
                )
            }
        });
        let attempt = Attempt {
            username,
            db,
            ok,
            failure,
            ip: rng.ip(),
            port: rng.range(30_000, 60_000),
            connection: rng.range(1, 90_000),
        };
        let at_ms = clock.now * 1000 - rng.range(0, ACCESS_HISTORY_DAYS * DAY * 1000 - 1);
        // Every eighth entry of the estate is in one of the other forms, in turn.
        let serial = serials.next_log_entry();
        let form = if serial.is_multiple_of(8) {
            OTHER_FORMS[(serial / 8) as usize % OTHER_FORMS.len()]
        } else {
            Form::Recorded
        };
        let (timestamp, log_line) = times(form, at_ms, &attempt);
        // Indexed as the collector will read it, from what was written.
        let at = logtime::entry_time(timestamp.as_deref(), log_line.as_deref())
            .map_or(i64::MIN, Timestamp::as_millisecond);
        let item = raw(&AccessLog {
            auth_result: ok,
            auth_source: db,
            failure_reason: attempt.failure.as_ref().map(|(why, _)| why.clone()),
            group_id: &project.id,
            hostname: &host,
            ip_address: &attempt.ip,
            log_line,
            timestamp,
            username,
        });
        entries.push((item, at, Some(ok)));
    }
    builder.access_logs(
        format!("/groups/{}/dbAccessHistory/clusters/{cluster}", project.id),
        entries,
        clock.now * 1000,
    );
}

/// `timestamp` and `logLine` of an attempt at `at_ms`, in one form.
fn times(form: Form, at_ms: i64, a: &Attempt<'_>) -> (Option<String>, Option<String>) {
    let at = Timestamp::from_millisecond(at_ms).unwrap_or(Timestamp::UNIX_EPOCH);
    match form {
        Form::Recorded => (logtime::java_date(at, "GMT"), Some(json_line(at, a))),
        Form::UsZone(zone) => (logtime::java_date(at, zone), None),
        Form::Rfc3339 => (Some(rfc3339(at.as_second())), None),
        Form::TextLine => (None, Some(text_line(at, a))),
    }
}

/// The authentication mechanism a user of `db` named `username` signs in with.
fn mechanism(db: &str, username: &str) -> &'static str {
    match (db, username) {
        ("$external", u) if u.starts_with("arn:") => "MONGODB-AWS",
        ("$external", u) if u.starts_with("CN=") => "MONGODB-X509",
        ("$external", _) => "PLAIN",
        _ => "SCRAM-SHA-256",
    }
}

/// mongod's structured (JSON) log line, its fields in mongod's order.
#[derive(Serialize)]
struct JsonLine<'a> {
    t: LogDate,
    s: &'static str,
    c: &'static str,
    id: u32,
    ctx: String,
    msg: &'static str,
    attr: LineAttr<'a>,
}

#[derive(Serialize)]
struct LogDate {
    #[serde(rename = "$date")]
    date: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineAttr<'a> {
    client: String,
    is_speculative: bool,
    is_cluster_member: bool,
    mechanism: &'static str,
    user: &'a str,
    db: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    result: u32,
    extra_info: serde_json::Map<String, serde_json::Value>,
}

/// mongod's structured (JSON) log line of an authentication, MongoDB 4.4 and later.
fn json_line(at: Timestamp, a: &Attempt<'_>) -> String {
    let (id, msg) = if a.ok {
        (5_286_306, "Successfully authenticated")
    } else {
        (5_286_307, "Failed to authenticate")
    };
    let line = JsonLine {
        t: LogDate {
            date: at.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string(),
        },
        s: "I",
        c: "ACCESS",
        id,
        ctx: format!("conn{}", a.connection),
        msg,
        attr: LineAttr {
            client: format!("{}:{}", a.ip, a.port),
            is_speculative: a.connection % 2 == 0,
            is_cluster_member: false,
            mechanism: mechanism(a.db, a.username),
            user: a.username,
            db: a.db,
            error: a.failure.as_ref().map(|(why, _)| why.as_str()),
            result: a.failure.as_ref().map_or(0, |(_, code)| *code),
            extra_info: serde_json::Map::new(),
        },
    };
    raw(&line).get().to_owned()
}

/// mongod's text log line of an authentication, before MongoDB 4.4.
fn text_line(at: Timestamp, a: &Attempt<'_>) -> String {
    let what = match &a.failure {
        None => format!(
            "Successfully authenticated as principal {} on {}",
            a.username, a.db
        ),
        Some((why, _)) => format!(
            "{} authentication failed for {} on {} ; {why}",
            mechanism(a.db, a.username),
            a.username,
            a.db
        ),
    };
    format!(
        "{} I  ACCESS   [conn{}] {what} from client {}:{}",
        at.strftime("%Y-%m-%dT%H:%M:%S%.3f+0000"),
        a.connection,
        a.ip,
        a.port
    )
}
