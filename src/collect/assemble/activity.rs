//! What can be said about each principal's last activity: every dated signal (console login,
//! access-list use, secret use, database authentication, authored event), newest first, and a
//! reason whenever Atlas keeps nothing that could tell.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use crate::model::{
    self, AccessLogEntry, AccessLogWindow, ActivitySignal, ActivitySource, LastActivity, Principal,
    PrincipalDetail, key,
};

/// Adds events and access-log authentications to each principal's signals, then decides what
/// can be said about its last activity.
pub(super) fn attach_activity(
    principals: &mut [Principal],
    events: &[model::Event],
    logs: &[AccessLogEntry],
    windows: &[AccessLogWindow],
) {
    let mut latest_event: BTreeMap<&str, Timestamp> = BTreeMap::new();
    for e in events {
        if let Some(actor) = &e.actor {
            let at = latest_event.entry(actor.as_str()).or_insert(e.created);
            *at = (*at).max(e.created);
        }
    }
    // Atlas's agents and attempts without a time are no one's activity (AccessLogEntry::login).
    let mut latest_login: BTreeMap<(&str, &str), Timestamp> = BTreeMap::new();
    for (l, when) in logs.iter().filter_map(|l| Some((l, l.login()?))) {
        let at = latest_login
            .entry((l.project_id.as_str(), l.username.as_str()))
            .or_insert(when);
        *at = (*at).max(when);
    }
    let undated: BTreeSet<(&str, &str)> = logs
        .iter()
        .filter(|l| l.is_undated_login())
        .map(|l| (l.project_id.as_str(), l.username.as_str()))
        .collect();
    let observed: BTreeSet<&str> = windows.iter().map(|w| w.project_id.as_str()).collect();
    for p in principals.iter_mut() {
        if let PrincipalDetail::AtlasUser(u) = &p.detail
            && let Some(at) = u.last_auth
        {
            p.activity.push(ActivitySignal {
                source: ActivitySource::LastAuth,
                at,
            });
        }
        // Service accounts appear in events under their client id.
        let actor_key = match &p.detail {
            PrincipalDetail::ServiceAccount(s) => key::service_account(&s.client_id),
            _ => p.key.clone(),
        };
        if let Some(at) = latest_event.get(actor_key.as_str()) {
            p.activity.push(ActivitySignal {
                source: ActivitySource::Event,
                at: *at,
            });
        }
        if let PrincipalDetail::DatabaseUser(d) = &p.detail {
            let project = p.project_id.as_deref().unwrap_or_default();
            if let Some(at) = latest_login.get(&(project, d.username.as_str())) {
                p.activity.push(ActivitySignal {
                    source: ActivitySource::AccessLog,
                    at: *at,
                });
            } else if undated.contains(&(project, d.username.as_str())) {
                p.last_activity = LastActivity::NoInformation {
                    reason: "its successful authentications in the access logs read have no readable time".into(),
                };
            } else if observed.contains(project) {
                p.last_activity = LastActivity::NoInformation {
                    reason: "no successful authentication in the access logs read".into(),
                };
            } else {
                p.last_activity = LastActivity::NoInformation {
                    reason: "no access log of this project was read".into(),
                };
            }
        }
        p.activity
            .sort_by(|a, b| b.at.cmp(&a.at).then(a.source.cmp(&b.source)));
        p.activity.dedup();
        if let Some(first) = p.activity.first() {
            p.last_activity = LastActivity::Seen {
                at: first.at,
                source: first.source,
            };
        } else if let PrincipalDetail::AtlasUser(u) = &p.detail
            && !u.memberships.iter().any(|m| m.status == "ACTIVE")
        {
            p.last_activity = LastActivity::NoInformation {
                reason: "the invitation has not been accepted".into(),
            };
        }
    }
}
