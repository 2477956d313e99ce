//! The evidence store: one SQLite file (`--store`, `atlas-audit.db` by default) that remembers
//! every run and what Atlas forgets between runs.
//!
//! - `runs`: one row per `collect` or `report`: when, what kind, as-of, scope, tool version,
//!   whether coverage was complete, the snapshot's SHA-256, finding counts, the report manifest.
//! - `snapshots`: every snapshot a run used, deflated, keyed by its SHA-256 (kept once).
//! - `findings`: each report run's findings (id, rule, severity, status, principal, scope, title).
//! - `last_seen`: per principal, the newest sign of activity ever collected and where it came
//!   from (console login, access-list use, an authored event, a successful database login).
//! - `log_days`: per cluster, the UTC days whose access logs were read.
//! - `log_reads`: every whole read of a cluster's access log (from its oldest entry to the
//!   moment of the read): reads at most a week apart make continuous observation.
//! - `db_logins`: per read, each database user's newest successful login on the cluster, so a
//!   login Atlas has since forgotten still counts.
//!
//! - `attestations`: each `decisions` run: when, for which report (digest, as-of, snapshot
//!   SHA-256), how many grants were decided and undecided.
//! - `attestation_workbooks`: the workbooks an attestation read, by name and SHA-256.
//! - `decisions`: who decided what about which grant, when, from which workbook row.
//! - `plans`: each plan `apply` or `verify` ran with `--store`, once: digest, when and from
//!   which snapshot it was made, the base URL, plan.json's bytes and SHA-256.
//! - `plan_grants`: per plan step, the grants it takes away (those its reason names and those
//!   it also removes).
//! - `step_events`: every journal entry of `apply` and `verify` as it is written: outcome,
//!   HTTP status, Atlas `errorCode`, `X-Java-Method`, when, by which credential, and the
//!   decision behind the step (`remediation.rs`).
//!
//! Every run is written in one transaction: a run killed halfway leaves the store as it was.
//! Tables are plain, documented in the README, and meant to be queried with `sqlite3`. What a
//! run adds to the ledger (`last_seen`, `log_days`, `log_reads`, `db_logins`) is in `ledger.rs`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, params};

use crate::model::Snapshot;
use crate::rules::Findings;
use crate::rules::history::{History, LogRead, PastLogin};

mod attestation;
mod last_review;
mod ledger;
mod remediation;

pub use attestation::{Attestation, StoredWorkbook};

use ledger::{ledger, stamp};

/// The store's schema version, in `PRAGMA user_version`.
pub const SCHEMA_VERSION: i64 = 4;

/// A report with a store and no `--baseline` compares with the newest run at least this many
/// days older: the last quarterly review, not last week's collection.
pub const BASELINE_MIN_DAYS: i64 = 80;

/// The store file used when `--store` is given without a path.
pub const DEFAULT_STORE: &str = "atlas-audit.db";

/// The tables, created when missing (`schema.sql`).
const SCHEMA: &str = include_str!("schema.sql");

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused.
    #[error("evidence store {path}")]
    Sql {
        path: PathBuf,
        #[source]
        source: SqlError,
    },
    /// The file is from a newer atlas-audit.
    #[error(
        "evidence store {path} has schema version {found}, newer than this atlas-audit reads ({SCHEMA_VERSION}); use a newer atlas-audit or another --store file"
    )]
    TooNew { path: PathBuf, found: i64 },
    /// A stored snapshot cannot be read back.
    #[error("evidence store {path}: run {run}: {what}")]
    Snapshot {
        path: PathBuf,
        run: i64,
        what: &'static str,
        #[source]
        cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

/// SQLite's error as a cause: rusqlite's message, which already says what the error code
/// under it means.
#[derive(Debug)]
pub struct SqlError(rusqlite::Error);

impl std::fmt::Display for SqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SqlError {}

/// A run, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: i64,
    pub kind: String,
    pub as_of: String,
    pub complete: bool,
    pub snapshot_sha256: String,
    pub findings: Option<i64>,
}

/// A principal's newest sign of activity across every run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastSeen {
    pub at: Timestamp,
    pub source: String,
    pub run_id: i64,
}

/// The evidence store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// A run being recorded.
pub struct Record<'a> {
    /// `collect` or `report`.
    pub kind: &'a str,
    pub snapshot: &'a Snapshot,
    /// The snapshot file's bytes (as written), stored deflated.
    pub snapshot_json: &'a [u8],
    /// Their SHA-256 (lowercase hex), when it was taken as they were read; otherwise it is
    /// taken here.
    pub snapshot_sha256: Option<&'a str>,
    /// The findings, for a report.
    pub findings: Option<&'a Findings>,
    /// `manifest.json`, for a report.
    pub manifest: Option<&'a str>,
}

impl Store {
    /// Opens (creating if missing) the store at `path`.
    ///
    /// # Errors
    /// The file cannot be opened as SQLite, or is from a newer version.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let sql = |source| StoreError::Sql {
            path: path.into(),
            source: SqlError(source),
        };
        let conn = Connection::open(path).map_err(sql)?;
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.into(),
                found,
            });
        }
        // Every table is created if missing: a schema 2 store gains the attestation tables
        // (empty) here, which is the whole of its migration to 3, and a schema 3 store the
        // remediation tables, the whole of its migration to 4.
        conn.execute_batch(SCHEMA).map_err(sql)?;
        conn.execute_batch(remediation::SCHEMA).map_err(sql)?;
        let store = Store {
            conn,
            path: path.into(),
        };
        let tx = store.conn.unchecked_transaction().map_err(store.sql())?;
        if found == 1 {
            store.backfill_v1(&tx)?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .map_err(store.sql())?;
        tx.commit().map_err(store.sql())?;
        Ok(store)
    }

    /// A store written by schema 1 has no `log_reads` or `db_logins`: they are filled from the
    /// snapshots it kept, each under the first run that used it.
    fn backfill_v1(&self, tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
        let firsts: Vec<i64> = {
            let mut stmt = tx
                .prepare("SELECT MIN(id) FROM runs GROUP BY snapshot_sha256 ORDER BY 1")
                .map_err(self.sql())?;
            stmt.query_map([], |r| r.get(0))
                .map_err(self.sql())?
                .collect::<Result<_, _>>()
                .map_err(self.sql())?
        };
        for id in firsts {
            match self.snapshot(id) {
                Ok(snapshot) => ledger(tx, &snapshot, id).map_err(self.sql())?,
                Err(e) => tracing::warn!(
                    "{}; its access-log reads are not in the ledger, so continuous observation may restart after it",
                    crate::model::with_causes(&e)
                ),
            }
        }
        Ok(())
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sql {
            path: self.path.clone(),
            source: SqlError(source),
        }
    }

    /// Records a run in one transaction: the run, its snapshot, its findings, and the ledger
    /// (last seen, access-log days). Returns the run id.
    ///
    /// # Errors
    /// SQLite refuses; nothing of the run is then kept.
    pub fn record(&mut self, run: &Record<'_>) -> Result<i64, StoreError> {
        let path = self.path.clone();
        let sql = move |source| StoreError::Sql {
            path: path.clone(),
            source: SqlError(source),
        };
        let snapshot = run.snapshot;
        let sha256 = run.snapshot_sha256.map_or_else(
            || crate::files::sha256_hex(run.snapshot_json),
            str::to_owned,
        );
        let as_of = snapshot
            .meta
            .collected_at
            .map_or_else(String::new, |t| t.to_string());
        let scope = serde_json::to_string(&snapshot.meta.scope).unwrap_or_default();
        let (total, open) = match run.findings {
            Some(f) => (
                Some(f.findings.len() as i64),
                Some(
                    f.findings
                        .iter()
                        .filter(|f| f.status == crate::rules::Status::Open)
                        .count() as i64,
                ),
            ),
            None => (None, None),
        };
        let tx = self.conn.transaction().map_err(&sql)?;
        tx.execute(
            "INSERT INTO runs (kind, recorded_at, as_of, scope, tool_version, complete, snapshot_sha256, findings, open_findings, manifest)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                run.kind,
                Timestamp::now().to_string(),
                as_of,
                scope,
                env!("CARGO_PKG_VERSION"),
                snapshot.is_complete(),
                sha256,
                total,
                open,
                run.manifest,
            ],
        )
        .map_err(&sql)?;
        let id = tx.last_insert_rowid();
        // A snapshot already stored (collected, then reported on) is kept once.
        let stored: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM snapshots WHERE sha256 = ?1)",
                [&sha256],
                |r| r.get(0),
            )
            .map_err(&sql)?;
        if !stored {
            tx.execute(
            "INSERT OR IGNORE INTO snapshots (sha256, bytes, encoding, data) VALUES (?1, ?2, 'deflate', ?3)",
            params![sha256, run.snapshot_json.len() as i64, deflate(run.snapshot_json)],
            )
            .map_err(&sql)?;
        }
        if let Some(findings) = run.findings {
            let mut insert = tx
                .prepare(
                    "INSERT OR REPLACE INTO findings (run_id, id, rule, severity, status, principal, org_id, project_id, title)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(&sql)?;
            for f in &findings.findings {
                insert
                    .execute(params![
                        id,
                        f.id,
                        f.rule.as_str(),
                        f.severity.as_str(),
                        f.status.as_str(),
                        f.principal.key,
                        f.scope.org_id,
                        f.scope.project_id,
                        f.title,
                    ])
                    .map_err(&sql)?;
            }
        }
        ledger(&tx, snapshot, id).map_err(&sql)?;
        pause_for_tests();
        tx.commit().map_err(&sql)?;
        Ok(id)
    }

    /// What the ledger knew at `as_of`, for the rules: every whole read of an access log taken
    /// by then, and each database user's newest successful login up to then.
    ///
    /// # Errors
    /// SQLite refuses.
    pub fn history(&self, as_of: Timestamp) -> Result<History, StoreError> {
        let mut history = History::default();
        let cutoff = stamp(as_of);
        let mut reads = self
            .conn
            .prepare("SELECT project_id, cluster, start, read_at, run_id FROM log_reads WHERE read_at <= ?1")
            .map_err(self.sql())?;
        let mut rows = reads.query([&cutoff]).map_err(self.sql())?;
        while let Some(r) = rows.next().map_err(self.sql())? {
            let (project, cluster): (String, String) =
                (r.get(0).map_err(self.sql())?, r.get(1).map_err(self.sql())?);
            let (start, end): (String, String) =
                (r.get(2).map_err(self.sql())?, r.get(3).map_err(self.sql())?);
            let (Ok(start), Ok(end)) = (start.parse(), end.parse()) else {
                continue;
            };
            let run_id: i64 = r.get(4).map_err(self.sql())?;
            history.add_read(
                &project,
                &cluster,
                LogRead {
                    start,
                    end,
                    run_id: Some(run_id),
                },
            );
        }
        // SQLite takes the other columns from the row holding the MAX.
        let mut logins = self
            .conn
            .prepare(
                "SELECT project_id, cluster, username, auth_source, MAX(at), run_id FROM db_logins
                 WHERE at <= ?1 GROUP BY project_id, cluster, username, auth_source",
            )
            .map_err(self.sql())?;
        let mut rows = logins.query([&cutoff]).map_err(self.sql())?;
        while let Some(r) = rows.next().map_err(self.sql())? {
            let text = |i| r.get::<_, String>(i).map_err(self.sql());
            let (project, cluster, username, source) = (text(0)?, text(1)?, text(2)?, text(3)?);
            let Ok(at) = text(4)?.parse() else {
                continue;
            };
            let run_id: i64 = r.get(5).map_err(self.sql())?;
            history.add_login(
                &project,
                &cluster,
                &username,
                (!source.is_empty()).then_some(source.as_str()),
                PastLogin { at, run_id },
            );
        }
        Ok(history)
    }

    /// Every run, oldest first.
    ///
    /// # Errors
    /// SQLite refuses.
    pub fn runs(&self) -> Result<Vec<Run>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, kind, as_of, complete, snapshot_sha256, findings FROM runs ORDER BY id",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Run {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    as_of: r.get(2)?,
                    complete: r.get(3)?,
                    snapshot_sha256: r.get(4)?,
                    findings: r.get(5)?,
                })
            })
            .map_err(self.sql())?;
        rows.collect::<Result<_, _>>().map_err(self.sql())
    }

    /// The newest run whose as-of is at least [`BASELINE_MIN_DAYS`] days before `as_of`.
    ///
    /// # Errors
    /// SQLite refuses.
    pub fn baseline_for(&self, as_of: Timestamp) -> Result<Option<Run>, StoreError> {
        let cutoff = as_of.as_second() - BASELINE_MIN_DAYS * 86_400;
        Ok(self
            .runs()?
            .into_iter()
            .filter_map(|r| Some((r.as_of.parse::<Timestamp>().ok()?, r)))
            .filter(|(t, _)| t.as_second() <= cutoff)
            .max_by_key(|(t, r)| (*t, r.id))
            .map(|(_, r)| r))
    }

    /// The snapshot stored with a run, checked against its SHA-256.
    ///
    /// # Errors
    /// No such run, or the stored bytes do not match their digest.
    pub fn snapshot(&self, run: i64) -> Result<Snapshot, StoreError> {
        let bad = |what, cause| StoreError::Snapshot {
            path: self.path.clone(),
            run,
            what,
            cause,
        };
        let (sha256, data): (String, Vec<u8>) = self
            .conn
            .query_row(
                "SELECT s.sha256, s.data FROM runs r JOIN snapshots s ON s.sha256 = r.snapshot_sha256 WHERE r.id = ?1",
                [run],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(self.sql())?
            .ok_or_else(|| bad("no such run", None))?;
        let json = inflate(&data).map_err(|e| bad("cannot inflate", Some(e.into())))?;
        if crate::files::sha256_hex(&json) != sha256 {
            return Err(bad("snapshot bytes do not match their SHA-256", None));
        }
        serde_json::from_slice(&json).map_err(|e| bad("not a snapshot", Some(e.into())))
    }

    /// A principal's newest sign of activity over every recorded run.
    ///
    /// # Errors
    /// SQLite refuses.
    pub fn last_seen(&self, principal: &str) -> Result<Option<LastSeen>, StoreError> {
        let row: Option<(String, String, i64)> = self
            .conn
            .query_row(
                "SELECT at, source, run_id FROM last_seen WHERE principal = ?1",
                [principal],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(self.sql())?;
        Ok(row.and_then(|(at, source, run_id)| {
            Some(LastSeen {
                at: at.parse().ok()?,
                source,
                run_id,
            })
        }))
    }

    /// The days a cluster's access logs were read, oldest first.
    ///
    /// # Errors
    /// SQLite refuses.
    pub fn log_days(&self, project_id: &str, cluster: &str) -> Result<Vec<Date>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT day FROM log_days WHERE project_id = ?1 AND cluster = ?2 ORDER BY day")
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([project_id, cluster], |r| r.get::<_, String>(0))
            .map_err(self.sql())?;
        let days: Vec<String> = rows.collect::<Result<_, _>>().map_err(self.sql())?;
        Ok(days.iter().filter_map(|d| d.parse().ok()).collect())
    }
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(bytes.len() / 8),
        flate2::Compression::default(),
    );
    // Writing to a Vec cannot fail.
    let _ = z.write_all(bytes);
    z.finish().unwrap_or_default()
}

fn inflate(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() * 8);
    let mut z = flate2::write::DeflateDecoder::new(&mut out);
    z.write_all(bytes)?;
    z.finish()?;
    Ok(out)
}

/// Tests that kill a run mid-write set `ATLAS_AUDIT_TEST_STORE_PAUSE_MS` to hold the
/// transaction open; it does nothing otherwise, and nothing at all in a build without the
/// `test-hooks` feature.
fn pause_for_tests() {
    #[cfg(feature = "test-hooks")]
    if let Some(ms) = std::env::var("ATLAS_AUDIT_TEST_STORE_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}
