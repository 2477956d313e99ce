//! What earlier runs saw, as the evidence store remembers it: every read of a cluster's access
//! log, and the successful database logins found in each. Atlas keeps about a week of access
//! history, so a database user's inactivity can only be shown over many collections; this is
//! the rules' view of them. The rules stay pure: the caller reads the store and hands the
//! history in (empty without a store).

use std::cmp::Reverse;
use std::collections::HashMap;

use jiff::civil::Date;
use jiff::{Span, Timestamp};

/// Atlas keeps about this many days of database access history. Two reads of a cluster's
/// access log at most this many days apart leave no day unread between them; reads further
/// apart break continuous observation.
pub use crate::model::ACCESS_HISTORY_DAYS;
use crate::model::{AccessLogWindow, utc_day};

/// One read of a cluster's access log: from its oldest entry (or the read itself, when empty)
/// to the moment of the read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogRead {
    /// The earliest moment the read is known to cover.
    pub start: Timestamp,
    /// When it was read.
    pub end: Timestamp,
    /// The store's run that recorded it; none for the snapshot being judged.
    pub run_id: Option<i64>,
}

impl From<&AccessLogWindow> for LogRead {
    fn from(w: &AccessLogWindow) -> Self {
        LogRead {
            start: w.start,
            end: w.end,
            run_id: None,
        }
    }
}

/// A successful database login an earlier run saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PastLogin {
    pub at: Timestamp,
    /// The run that recorded it.
    pub run_id: i64,
}

/// (project, cluster).
type ClusterKey = (String, String);

/// (project, cluster, username).
type UserKey = (String, String, String);

/// The newest login per authentication database (none when the log did not say).
type Logins = Vec<(Option<String>, PastLogin)>;

/// The rules' memory of earlier runs.
#[derive(Debug, Default, Clone)]
pub struct History {
    reads: HashMap<ClusterKey, Vec<LogRead>>,
    /// By (project, cluster, username): the newest login per authentication database.
    logins: HashMap<UserKey, Logins>,
}

impl History {
    /// Adds an earlier read of a cluster's access log.
    pub fn add_read(&mut self, project_id: &str, cluster: &str, read: LogRead) {
        self.reads
            .entry((project_id.into(), cluster.into()))
            .or_default()
            .push(read);
    }

    /// Adds a successful login an earlier run saw; the newest per authentication database is
    /// kept.
    pub fn add_login(
        &mut self,
        project_id: &str,
        cluster: &str,
        username: &str,
        auth_source: Option<&str>,
        login: PastLogin,
    ) {
        let list = self
            .logins
            .entry((project_id.into(), cluster.into(), username.into()))
            .or_default();
        match list.iter_mut().find(|(s, _)| s.as_deref() == auth_source) {
            Some((_, kept)) if kept.at < login.at => *kept = login,
            Some(_) => {}
            None => list.push((auth_source.map(str::to_string), login)),
        }
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.reads.is_empty() && self.logins.is_empty()
    }

    /// Earlier reads of one cluster's access log.
    pub fn reads(&self, project_id: &str, cluster: &str) -> &[LogRead] {
        self.reads
            .get(&(project_id.to_string(), cluster.to_string()))
            .map_or(&[], Vec::as_slice)
    }

    /// The newest earlier successful login of `username` on one cluster, counting only the
    /// authentication databases `accepts` allows.
    pub fn last_login(
        &self,
        project_id: &str,
        cluster: &str,
        username: &str,
        accepts: impl Fn(Option<&str>) -> bool,
    ) -> Option<PastLogin> {
        self.logins
            .get(&(project_id.into(), cluster.into(), username.into()))?
            .iter()
            .filter(|(source, _)| accepts(source.as_deref()))
            .map(|(_, l)| *l)
            .max_by_key(|l| l.at)
    }
}

/// Two reads between which continuous observation broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Break {
    /// The last read before the gap.
    pub before: Timestamp,
    /// The first read after it.
    pub after: Timestamp,
}

impl Break {
    /// Whole calendar days between the two reads.
    pub fn days(&self) -> i64 {
        i64::from(
            utc_day(self.before)
                .until(utc_day(self.after))
                .map_or(0, |s| s.get_days()),
        )
    }
}

/// A cluster's continuous observation up to the read being judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Continuity {
    /// The earliest moment the unbroken run of reads is known to cover.
    pub since: Timestamp,
    /// Reads in that run, the current one included.
    pub reads: usize,
    /// Where an older read was too far away to join the run.
    pub broken: Option<Break>,
}

/// The earliest day a read leaves no doubt about: its oldest entry's day, or the day Atlas's
/// history reached back to when it was read, whichever is earlier.
fn reach(read: &LogRead) -> Date {
    let day = utc_day(read.end);
    let kept = day
        .checked_sub(Span::new().days(ACCESS_HISTORY_DAYS))
        .unwrap_or(day);
    utc_day(read.start).min(kept)
}

/// Walks back from `current` through the earlier reads (newest first). A read joins the run
/// when it was taken no earlier than the day the run already reaches back to; the first that
/// does not ends the run and is named as the break. Reads after `current` are ignored.
pub fn continuity(current: LogRead, earlier: &[LogRead]) -> Continuity {
    let mut older: Vec<&LogRead> = earlier.iter().filter(|r| r.end <= current.end).collect();
    older.sort_by_key(|r| Reverse(r.end));
    let mut run = Continuity {
        since: current.start,
        reads: 1,
        broken: None,
    };
    let (mut reaches, mut oldest) = (reach(&current), current.end);
    for r in older {
        if utc_day(r.end) < reaches {
            run.broken = Some(Break {
                before: r.end,
                after: oldest,
            });
            break;
        }
        run.since = run.since.min(r.start);
        run.reads += 1;
        reaches = reaches.min(reach(r));
        oldest = r.end;
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: i64) -> Timestamp {
        let base: Timestamp = "2026-06-01T02:00:00Z".parse().unwrap();
        base + jiff::SignedDuration::from_hours(day * 24)
    }

    /// A read on `day` whose oldest entry is `back` days older.
    fn read(day: i64, back: i64) -> LogRead {
        LogRead {
            start: at(day - back),
            end: at(day),
            run_id: Some(day),
        }
    }

    #[test]
    fn weekly_reads_of_an_empty_log_are_continuous() {
        let earlier: Vec<LogRead> = (0..14).map(|w| read(w * 7, 0)).collect();
        let c = continuity(read(98, 0), &earlier);
        assert_eq!(c.since, at(0));
        assert_eq!(c.reads, 15);
        assert_eq!(c.broken, None);
    }

    #[test]
    fn reads_more_than_a_week_apart_break_the_run_and_are_named() {
        // Weekly until day 35, then nothing until day 49: fourteen days apart.
        let mut earlier: Vec<LogRead> = (0..=5).map(|w| read(w * 7, 7)).collect();
        earlier.push(read(49, 7));
        earlier.push(read(56, 7));
        let c = continuity(read(63, 7), &earlier);
        assert_eq!(c.since, at(42));
        assert_eq!(c.reads, 3);
        let b = c.broken.unwrap();
        assert_eq!((b.before, b.after), (at(35), at(49)));
        assert_eq!(b.days(), 14);
        // Eight days apart breaks too; seven does not.
        assert!(
            continuity(read(8, 0), &[read(0, 0)]).broken.is_some(),
            "8 days"
        );
        assert!(continuity(read(7, 0), &[read(0, 0)]).broken.is_none());
    }

    #[test]
    fn a_log_kept_longer_than_a_week_bridges_a_longer_gap() {
        // The read on day 20 holds entries back to day 9, so the read of day 9 joins it.
        let c = continuity(read(20, 11), &[read(9, 3)]);
        assert_eq!((c.since, c.reads, c.broken), (at(6), 2, None));
    }

    #[test]
    fn later_reads_and_no_reads() {
        let c = continuity(read(10, 2), &[read(30, 7)]);
        assert_eq!((c.since, c.reads), (at(8), 1));
        let c = continuity(read(10, 2), &[]);
        assert_eq!((c.since, c.reads, c.broken), (at(8), 1, None));
    }

    #[test]
    fn the_newest_login_per_auth_database_is_kept() {
        let mut h = History::default();
        let login = |day, run_id| PastLogin {
            at: at(day),
            run_id,
        };
        h.add_login("p", "c", "u", Some("admin"), login(3, 1));
        h.add_login("p", "c", "u", Some("admin"), login(9, 2));
        h.add_login("p", "c", "u", Some("admin"), login(5, 3));
        h.add_login("p", "c", "u", Some("$external"), login(20, 4));
        let admin = h.last_login("p", "c", "u", |s| s.is_none_or(|s| s == "admin"));
        assert_eq!(admin, Some(login(9, 2)));
        assert_eq!(h.last_login("p", "c", "u", |_| true), Some(login(20, 4)));
        assert_eq!(h.last_login("p", "c2", "u", |_| true), None);
    }
}
