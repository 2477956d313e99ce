//! Loading a world folder (`fixtures/<name>/`, layout in `fixtures/README.md`) into a
//! [`World`], moving every timestamp so the world is as fresh today as on its `as_of` day.

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use super::routes::{self, Filter, Shape, Source};
use super::world::{EventIndex, Membership, RawItem, World, WorldBuilder, WorldError};
use crate::model::logtime;

impl World {
    /// Loads a world folder, shifting every timestamp by (`now` − `as_of`): each string that
    /// is an RFC 3339 or ISO 8601 time or a Java date, and the time inside each access-log
    /// `logLine`, each kept in its own form.
    ///
    /// Every `*.json` file below `dir` (except `world.json`) is the answer of the API path
    /// named by its relative path; other files are ignored. A file at a path the simulated
    /// Atlas does not serve, a file that is not JSON, or JSON of the wrong shape for its path
    /// is an error naming the file. Without `world.json` no timestamp is moved. Access history
    /// is kept as Atlas keeps it: the last seven days before `now`.
    pub fn load(dir: &Path, now: Timestamp) -> Result<World, WorldError> {
        let shift = match read_as_of(dir)? {
            Some(as_of) => SignedDuration::from_secs(now.as_second() - as_of.as_second()),
            None => SignedDuration::ZERO,
        };
        let mut files = Vec::new();
        walk(dir, &mut files)?;
        files.sort();
        let mut builder = WorldBuilder::new();
        for file in files {
            let Some(api_path) = api_path(dir, &file) else {
                continue;
            };
            if api_path == "/world" {
                continue;
            }
            load_file(&mut builder, &file, api_path, shift, now)?;
        }
        let world = builder.finish();
        Ok(match super::writes::read_caller_roles(dir)? {
            Some(roles) => world.with_caller_roles(roles),
            None => world,
        })
    }
}

/// The world-file field that marks a system-managed service account (never served).
pub(crate) const SYSTEM_MANAGED_MARK: &str = "_systemManaged";

fn read_as_of(dir: &Path) -> Result<Option<Timestamp>, WorldError> {
    let path = dir.join("world.json");
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(WorldError::Io { path, source }),
    };
    let value: Value = parse(&path, &bytes)?;
    let as_of = value
        .get("as_of")
        .and_then(Value::as_str)
        .ok_or_else(|| WorldError::AsOf {
            path: path.clone(),
            cause: None,
        })?;
    as_of
        .parse::<Timestamp>()
        .map(Some)
        .map_err(|e| WorldError::AsOf {
            path,
            cause: Some(e),
        })
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), WorldError> {
    let io = |source| WorldError::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        if entry.file_type().map_err(io)?.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    Ok(())
}

/// `dir/orgs/X/users.json` → `/orgs/X/users`.
fn api_path(dir: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(dir).ok()?.with_extension("");
    let mut path = String::new();
    for part in relative.components() {
        path.push('/');
        path.push_str(part.as_os_str().to_str()?);
    }
    Some(path)
}

fn parse(path: &Path, bytes: &[u8]) -> Result<Value, WorldError> {
    serde_json::from_slice(bytes).map_err(|cause| WorldError::Json {
        path: path.to_path_buf(),
        cause,
    })
}

fn load_file(
    builder: &mut WorldBuilder,
    file: &Path,
    api_path: String,
    shift: SignedDuration,
    now: Timestamp,
) -> Result<(), WorldError> {
    let unknown = || WorldError::UnknownFile {
        path: file.to_path_buf(),
        api_path: api_path.clone(),
    };
    let route = routes::match_path(&api_path).ok_or_else(unknown)?.route;
    if route.source != Source::File {
        return Err(unknown());
    }
    let bytes = std::fs::read(file).map_err(|source| WorldError::Io {
        path: file.to_path_buf(),
        source,
    })?;
    let mut value = parse(file, &bytes)?;
    if !shift.is_zero() {
        shift_timestamps(&mut value, shift);
    }
    if route.template == "/groups/{groupId}/customDBRoles/roles" {
        drop_unused_resource_keys(&mut value);
    }
    let shape = |message: &str| WorldError::Shape {
        path: file.to_path_buf(),
        message: message.to_owned(),
    };
    match (route.shape, value) {
        (Shape::Listing | Shape::BareArray, Value::Array(items)) => match route.filter {
            Filter::None => builder.listing(api_path, raw_items(file, &items)?),
            Filter::Membership => {
                let statuses = items.iter().map(Membership::of_user).collect();
                builder.members(api_path, raw_items(file, &items)?, statuses);
            }
            Filter::SystemManaged => {
                // `_systemManaged: true` marks, in a world file only, an account Atlas manages
                // itself; Atlas has no such field, so it is not served.
                let mut items = items;
                let managed = items
                    .iter_mut()
                    .map(|item| {
                        item.as_object_mut()
                            .and_then(|o| o.remove(SYSTEM_MANAGED_MARK))
                            .and_then(|v| v.as_bool())
                            .unwrap_or(false)
                    })
                    .collect();
                builder.service_accounts(api_path, raw_items(file, &items)?, managed);
            }
            Filter::IdentityProviders => {
                let kinds = items.iter().map(super::filters::idp_kind).collect();
                builder.identity_providers(api_path, raw_items(file, &items)?, kinds);
            }
            Filter::Events => {
                let mut index = EventIndex::default();
                for item in &items {
                    let created = item.get("created").and_then(Value::as_str);
                    let kind = item.get("eventTypeName").and_then(Value::as_str);
                    index.push(millis(created), kind.unwrap_or(""));
                }
                builder.events(api_path, raw_items(file, &items)?, index);
            }
        },
        (Shape::Listing | Shape::BareArray, _) => {
            return Err(shape(
                "expected a JSON array (this path is a listing); found something else",
            ));
        }
        (Shape::Object, value @ Value::Object(_)) => builder.object(api_path, raw(file, &value)?),
        (Shape::Object, _) => {
            return Err(shape(
                "expected a JSON object (this path is a single resource); found something else",
            ));
        }
        (Shape::AccessLogs, value) => {
            let Some(Value::Array(logs)) = value.get("accessLogs") else {
                return Err(shape(r#"expected {"accessLogs": [...]}"#));
            };
            let mut entries = Vec::with_capacity(logs.len());
            for log in logs {
                let text = |field| log.get(field).and_then(Value::as_str);
                let at = logtime::entry_time(text("timestamp"), text("logLine"))
                    .map_or(i64::MIN, Timestamp::as_millisecond);
                let ok = log.get("authResult").and_then(Value::as_bool);
                entries.push((raw(file, log)?, at, ok));
            }
            builder.access_logs(api_path, entries, now.as_millisecond());
        }
    }
    Ok(())
}

/// Custom roles as Atlas sends them: a privilege's resource leaves out the keys it does not use
/// (recorded `{"db":"x"}` and `{"cluster":true}`), so `cluster: false` and empty `db` or
/// `collection` written in a world file are not served.
fn drop_unused_resource_keys(roles: &mut Value) {
    let resources = roles
        .as_array_mut()
        .into_iter()
        .flatten()
        .filter_map(|role| role.get_mut("actions")?.as_array_mut())
        .flatten()
        .filter_map(|action| action.get_mut("resources")?.as_array_mut())
        .flatten()
        .filter_map(Value::as_object_mut);
    for resource in resources {
        resource.retain(|_, v| !matches!(v, Value::Bool(false)) && v.as_str() != Some(""));
    }
}

fn raw(file: &Path, value: &Value) -> Result<RawItem, WorldError> {
    serde_json::value::to_raw_value(value).map_err(|cause| WorldError::Json {
        path: file.to_path_buf(),
        cause,
    })
}

fn raw_items(file: &Path, items: &[Value]) -> Result<Vec<RawItem>, WorldError> {
    items.iter().map(|item| raw(file, item)).collect()
}

/// Epoch milliseconds of an RFC 3339 string; `i64::MIN` (before any range) when unreadable.
pub(crate) fn millis(value: Option<&str>) -> i64 {
    value
        .and_then(|s| s.parse::<Timestamp>().ok())
        .map_or(i64::MIN, Timestamp::as_millisecond)
}

/// Moves every time by `shift`, in place, each in its own form: strings that are a time
/// ([`logtime::moved_time`]: RFC 3339, ISO 8601, Java's `Date#toString`), and the time inside
/// access-log `logLine`s ([`logtime::moved_log_line`]).
pub(crate) fn shift_timestamps(value: &mut Value, shift: SignedDuration) {
    match value {
        Value::String(s) => {
            if let Some(moved) = logtime::moved_time(s, shift) {
                *s = moved;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| shift_timestamps(v, shift)),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(line) if key == "logLine" => {
                        if let Some(moved) = logtime::moved_log_line(line, shift) {
                            *line = moved;
                        }
                    }
                    _ => shift_timestamps(v, shift),
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn shifts_timestamps_keeping_precision_and_leaving_other_strings() {
        let mut v = json!({
            "lastAuth": "2026-01-01T10:00:00Z",
            "nested": [{"at": "2026-01-01T10:00:00.250Z"}, {"at": "2026-01-01T12:00:00+02:00"}],
            "name": "2026-01-01 is a date, not a timestamp",
            "day": "2026-01-01",
            "n": 5,
            "timestamp": "Thu Jan 01 10:00:00 GMT 2026",
            "logLine": r#"{"t":{"$date":"2026-01-01T10:00:00.125+00:00"},"s":"I"}"#,
            "text": {"logLine": "2026-01-01T10:00:00.316+0000 I  ACCESS   [conn1] ok"},
            "other": "2026-01-01T10:00:00.316+0000 I  ACCESS   [conn1] not a log line field"
        });
        shift_timestamps(&mut v, SignedDuration::from_hours(48));
        assert_eq!(
            v,
            json!({
                "lastAuth": "2026-01-03T10:00:00Z",
                "nested": [{"at": "2026-01-03T10:00:00.250Z"}, {"at": "2026-01-03T12:00:00+02:00"}],
                "name": "2026-01-01 is a date, not a timestamp",
                "day": "2026-01-01",
                "n": 5,
                "timestamp": "Sat Jan 03 10:00:00 GMT 2026",
                "logLine": r#"{"t":{"$date":"2026-01-03T10:00:00.125+00:00"},"s":"I"}"#,
                "text": {"logLine": "2026-01-03T10:00:00.316+0000 I  ACCESS   [conn1] ok"},
                "other": "2026-01-01T10:00:00.316+0000 I  ACCESS   [conn1] not a log line field"
            })
        );
    }

    fn write(dir: &Path, rel: &str, body: &str) {
        let path = dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }

    #[test]
    fn loads_a_world_and_shifts_it_to_now() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            d,
            "world.json",
            r#"{"as_of": "2026-01-01T00:00:00Z", "description": "t"}"#,
        );
        write(d, "orgs.json", r#"[{"id": "o1", "name": "One"}]"#);
        write(
            d,
            "orgs/o1/groups.json",
            r#"[{"id": "g1", "orgId": "o1", "created": "2025-12-01T00:00:00Z"}]"#,
        );
        write(
            d,
            "orgs/o1/users.json",
            r#"[{"id": "u1", "orgMembershipStatus": "ACTIVE", "lastAuth": "2025-12-31T00:00:00Z"}]"#,
        );
        write(
            d,
            "orgs/o1/settings.json",
            r#"{"multiFactorAuthRequired": false}"#,
        );
        write(d, "README.md", "not served");
        let world = World::load(d, ts("2026-03-01T00:00:00Z")).unwrap();
        let users = world.list("/orgs/o1/users").unwrap();
        assert_eq!(users.len(), 1);
        assert!(users[0].get().contains("\"2026-02-28T00:00:00Z\""));
        let group = world.object("/groups/g1").unwrap();
        assert!(group.get().contains("\"2026-01-29T00:00:00Z\""));
        assert!(world.object("/orgs/o1").unwrap().get().contains("One"));
        assert_eq!(world.list("/groups").unwrap().len(), 1);
        assert_eq!(
            world.paths(),
            vec![
                "/orgs",
                "/orgs/o1/groups",
                "/orgs/o1/settings",
                "/orgs/o1/users"
            ]
        );
        assert!(world.knows_group("g1") && world.knows_org("o1") && !world.knows_org("o2"));
    }

    #[test]
    fn custom_role_resources_leave_out_unused_keys() {
        let mut roles = json!([{"roleName": "r", "actions": [{"action": "FIND", "resources": [
            {"cluster": false, "db": "sales", "collection": ""},
            {"cluster": true, "db": "", "collection": ""},
            {"cluster": false, "db": "", "collection": ""}
        ]}]}]);
        drop_unused_resource_keys(&mut roles);
        assert_eq!(
            roles[0]["actions"][0]["resources"],
            json!([{"db": "sales"}, {"cluster": true}, {}])
        );
    }

    #[test]
    fn no_world_json_means_no_shift() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "orgs.json",
            r#"[{"id": "o1", "created": "2020-01-01T00:00:00Z"}]"#,
        );
        let world = World::load(dir.path(), ts("2026-03-01T00:00:00Z")).unwrap();
        assert!(
            world.list("/orgs").unwrap()[0]
                .get()
                .contains("2020-01-01T00:00:00Z")
        );
    }

    #[test]
    fn errors_name_the_file_and_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "orgs.json", r#"[{"id": "o1",]"#);
        let err = World::load(dir.path(), Timestamp::UNIX_EPOCH)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("orgs.json") && err.contains("not valid JSON"),
            "{err}"
        );

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "orgs/o1/settings.json", "[]");
        let err = World::load(dir.path(), Timestamp::UNIX_EPOCH)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("settings.json") && err.contains("JSON object"),
            "{err}"
        );

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "orgs/o1/user.json", "[]");
        let err = World::load(dir.path(), Timestamp::UNIX_EPOCH)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/orgs/o1/user") && err.contains("does not serve"),
            "{err}"
        );

        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "world.json", r#"{"as_of": "yesterday"}"#);
        let err = World::load(dir.path(), Timestamp::UNIX_EPOCH)
            .unwrap_err()
            .to_string();
        assert!(err.contains("world.json") && err.contains("as_of"), "{err}");
    }

    #[test]
    fn events_and_access_logs_are_indexed_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "groups/g1/events.json",
            r#"[{"id": "a", "created": "2026-01-01T00:00:00Z", "eventTypeName": "X"},
                {"id": "b", "created": "2026-01-03T00:00:00Z", "eventTypeName": "Y"}]"#,
        );
        // Every form of time, one entry older than the seven days Atlas keeps, one unreadable.
        write(
            dir.path(),
            "groups/g1/dbAccessHistory/clusters/c0.json",
            r#"{"accessLogs": [
                {"timestamp": "Thu Jan 01 00:00:00 GMT 2026", "authResult": true},
                {"timestamp": "someday", "authResult": false},
                {"timestamp": "2026-01-02T00:00:00Z", "authResult": false},
                {"timestamp": "Sat Jan 03 00:00:00 GMT 2026", "authResult": true,
                 "logLine": "{\"t\":{\"$date\":\"2026-01-03T00:00:00.500+00:00\"}}"},
                {"logLine": "2026-01-04T00:00:00.000+0000 I  ACCESS   [conn1] ok", "authResult": false},
                {"timestamp": "Tue Dec 23 00:00:00 GMT 2025", "authResult": true}
            ]}"#,
        );
        let world = World::load(dir.path(), ts("2026-01-05T00:00:00Z")).unwrap();
        let events = world.list("/groups/g1/events").unwrap();
        assert!(events[0].get().contains("\"b\""));
        let path = "/groups/g1/dbAccessHistory/clusters/c0";
        let entry = world.entry(path);
        let Some(super::super::world::Entry::AccessLogs(logs)) = entry.as_deref() else {
            panic!("access logs not stored");
        };
        let ms = |s: &str| ts(s).as_millisecond();
        assert_eq!(
            logs.at_ms,
            vec![
                ms("2026-01-04T00:00:00Z"),
                ms("2026-01-03T00:00:00.500Z"),
                ms("2026-01-02T00:00:00Z"),
                ms("2026-01-01T00:00:00Z"),
                i64::MIN
            ]
        );
        assert_eq!(
            logs.auth_result,
            vec![
                Some(false),
                Some(true),
                Some(false),
                Some(true),
                Some(false)
            ]
        );
        assert_eq!(world.access_history(path).map(<[_]>::len), Some(5));
        assert!(world.object(path).is_none(), "not a single resource");
    }
}

#[cfg(test)]
mod demo_tests {
    use super::*;

    /// The shipped demo world loads, and every file in it is one the server serves.
    #[test]
    fn demo_fixture_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        if !dir.join("world.json").exists() {
            return;
        }
        let now: Timestamp = "2027-01-15T12:00:00Z".parse().unwrap();
        let world = World::load(&dir, now).unwrap_or_else(|e| panic!("{e}"));
        assert!(!world.org_ids().is_empty());
        assert!(world.list("/groups").is_some_and(|g| !g.is_empty()));
    }
}
