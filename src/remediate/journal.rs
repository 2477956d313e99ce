//! The journal of a plan's application: one JSON line per step per attempt, appended and
//! flushed as each step ends (`apply-log.jsonl` beside the plan), so an interrupted `apply`
//! run again resumes after the last completed step, and `verify` and the next report know
//! what was done, when and with what answer from Atlas.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// The journal file written beside a plan when no other is named.
pub const JOURNAL_FILE: &str = "apply-log.jsonl";

/// How one step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Sent, answered with success, and the re-read shows the effect.
    Done,
    /// The target already showed the step's effect (gone, or the role not held): nothing sent,
    /// or Atlas answered 404 for the object.
    AlreadyDone,
    /// The target changed since the snapshot: the precondition no longer holds. Skipped, never
    /// forced.
    Changed,
    /// Atlas refused the call (403, or another 4xx): a person must look.
    Refused,
    /// No usable answer (5xx after retries, the connection, a call that may have reached
    /// Atlas and cannot be resent safely).
    Failed,
    /// Atlas answered with success, but the re-read does not show the effect.
    NotConfirmed,
    /// Left out with `--skip`.
    Skipped,
    /// A step it must follow is not done.
    Blocked,
    /// `verify`: the re-read shows the step's effect.
    Verified,
    /// `verify`: the re-read does not show the step's effect.
    NotInEffect,
}

impl Outcome {
    /// The snake_case name, as in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::AlreadyDone => "already_done",
            Outcome::Changed => "changed",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
            Outcome::NotConfirmed => "not_confirmed",
            Outcome::Skipped => "skipped",
            Outcome::Blocked => "blocked",
            Outcome::Verified => "verified",
            Outcome::NotInEffect => "not_in_effect",
        }
    }

    /// Whether the step's work is over: a later run does not do it again.
    pub fn completes(self) -> bool {
        matches!(self, Outcome::Done | Outcome::AlreadyDone)
    }
}

/// Which command wrote an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// `apply`.
    Apply,
    /// `verify`.
    Verify,
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The plan's digest: entries of another plan are never mixed in.
    pub plan: String,
    /// Step id.
    pub step: String,
    /// Which command.
    pub phase: Phase,
    /// How it ended.
    pub outcome: Outcome,
    /// When it ended.
    pub at: Timestamp,
    /// The credential that acted (`api_key:<publicKey>` or `service_account:<clientId>`).
    pub by: String,
    /// Atlas operation id of the call sent, when one was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// Method and path sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// HTTP status of Atlas's answer to the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Atlas's `errorCode`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `X-Java-Method`: the handler that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub java_method: Option<String>,
    /// When the call was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<Timestamp>,
    /// What happened and, where a person must act, what to do.
    pub message: String,
}

/// Why the journal could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file could not be opened, read or appended to.
    #[error("cannot use the journal {}; check that its folder exists and can be written", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The entry is in the file but could not be recorded in the evidence store.
    #[error("{} has the step's end, but the evidence store could not record it; run again with the same --store once the store can be written (the journal is replayed into it)", path.display())]
    Mirror {
        /// The journal file.
        path: PathBuf,
        /// The store's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A line is not a journal entry.
    #[error("{}:{line} is not a journal entry; the file may have been edited (move it away to start the plan afresh)", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
}

/// Where each entry is also recorded as it is appended, after the file has it: the evidence
/// store, with `--store`.
pub type Mirror =
    Box<dyn FnMut(&Entry) -> Result<(), Box<dyn std::error::Error + Send + Sync>> + Send>;

/// An open journal: the entries it held for this plan, and the file to append to.
pub struct Journal {
    path: PathBuf,
    plan: String,
    entries: Vec<Entry>,
    file: Option<File>,
    mirror: Option<Mirror>,
}

impl Journal {
    /// Reads the journal at `path` (absent: empty) and keeps the entries of plan `digest`.
    /// Nothing is created until the first [`Journal::append`].
    ///
    /// # Errors
    /// A file that cannot be read, or a line that is not an entry. A last line cut short (a
    /// run killed while writing it) is left out.
    pub fn open(path: &Path, digest: &str) -> Result<Journal, JournalError> {
        let io = |source| JournalError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut entries = Vec::new();
        match File::open(path) {
            Ok(file) => {
                let lines: Vec<String> = BufReader::new(file)
                    .lines()
                    .collect::<Result<_, _>>()
                    .map_err(io)?;
                let last = lines.len();
                for (i, line) in lines.iter().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<Entry>(line) {
                        Ok(e) if e.plan == digest => entries.push(e),
                        Ok(_) => {}
                        // A line cut short by a kill is the last and has no newline after it.
                        Err(_) if i + 1 == last => {}
                        Err(source) => {
                            return Err(JournalError::Line {
                                path: path.to_path_buf(),
                                line: i + 1,
                                source,
                            });
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        Ok(Journal {
            path: path.to_path_buf(),
            plan: digest.to_string(),
            entries,
            file: None,
            mirror: None,
        })
    }

    /// Records every later entry also through `mirror`, once the file has it.
    pub fn mirror_to(&mut self, mirror: Mirror) {
        self.mirror = Some(mirror);
    }

    /// The journal's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The plan's digest.
    pub fn plan(&self) -> &str {
        &self.plan
    }

    /// Every entry of this plan, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The newest `apply` entry of each step.
    pub fn last_applied(&self) -> BTreeMap<&str, &Entry> {
        let mut last = BTreeMap::new();
        for e in self.entries.iter().filter(|e| e.phase == Phase::Apply) {
            last.insert(e.step.as_str(), e);
        }
        last
    }

    /// The `apply` entry that completed the step, if one did.
    pub fn completed(&self, step: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.phase == Phase::Apply && e.step == step && e.outcome.completes())
    }

    /// Appends an entry: written to the file before returning (a killed run leaves it there),
    /// but not forced to the disk one by one: a forced write per step would hold every other
    /// project's steps up for the disk's latency. [`Journal::sync`] forces what was written.
    /// A line lost to a power cut costs nothing but a word: every step reads its target again
    /// before it acts, so a step done but not journaled is found `already_done`.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn append(&mut self, entry: Entry) -> Result<(), JournalError> {
        let io = |source| JournalError::Io {
            path: self.path.clone(),
            source,
        };
        if self.file.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(io)?;
            self.file = Some(file);
        }
        let mut line = serde_json::to_vec(&entry).unwrap_or_default();
        line.push(b'\n');
        if let Some(file) = self.file.as_mut() {
            file.write_all(&line).map_err(io)?;
        }
        let mirrored = match self.mirror.as_mut() {
            Some(mirror) => mirror(&entry),
            None => Ok(()),
        };
        self.entries.push(entry);
        mirrored.map_err(|source| JournalError::Mirror {
            path: self.path.clone(),
            source,
        })
    }

    /// Forces every entry written so far to the disk.
    ///
    /// # Errors
    /// When the disk refuses.
    pub fn sync(&mut self) -> Result<(), JournalError> {
        match self.file.as_mut() {
            Some(file) => file.sync_data().map_err(|source| JournalError::Io {
                path: self.path.clone(),
                source,
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(plan: &str, step: &str, outcome: Outcome) -> Entry {
        Entry {
            plan: plan.into(),
            step: step.into(),
            phase: Phase::Apply,
            outcome,
            at: Timestamp::UNIX_EPOCH,
            by: "api_key:abcdefgh".into(),
            operation: None,
            request: None,
            status: None,
            error_code: None,
            java_method: None,
            sent_at: None,
            message: String::new(),
        }
    }

    #[test]
    fn entries_survive_a_reopen_and_other_plans_stay_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let mut j = Journal::open(&path, "p1").unwrap();
        assert!(j.entries().is_empty());
        j.append(entry("p1", "S-001", Outcome::Done)).unwrap();
        j.append(entry("p1", "S-002", Outcome::Refused)).unwrap();
        let mut other = Journal::open(&path, "p2").unwrap();
        other.append(entry("p2", "S-001", Outcome::Failed)).unwrap();
        let again = Journal::open(&path, "p1").unwrap();
        assert_eq!(again.entries().len(), 2);
        assert!(again.completed("S-001").is_some());
        assert!(again.completed("S-002").is_none());
        assert_eq!(Journal::open(&path, "p2").unwrap().entries().len(), 1);
    }

    #[test]
    fn a_mirror_gets_each_entry_after_the_file_and_its_failure_names_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut j = Journal::open(&path, "p1").unwrap();
        let (into, file) = (seen.clone(), path.clone());
        j.mirror_to(Box::new(move |e: &Entry| {
            // The file has the entry before the mirror is told.
            let written = std::fs::read_to_string(&file)?;
            assert!(written.contains(&e.step));
            into.lock().unwrap().push(e.step.clone());
            if e.step == "S-002" {
                return Err("store is read-only".into());
            }
            Ok(())
        }));
        j.append(entry("p1", "S-001", Outcome::Done)).unwrap();
        let err = j.append(entry("p1", "S-002", Outcome::Done)).err().unwrap();
        assert!(matches!(err, JournalError::Mirror { .. }), "{err}");
        assert!(err.to_string().contains(JOURNAL_FILE), "{err}");
        assert_eq!(*seen.lock().unwrap(), ["S-001", "S-002"]);
        // The entry stays in the journal: a run again replays it into the store.
        assert_eq!(Journal::open(&path, "p1").unwrap().entries().len(), 2);
    }

    #[test]
    fn a_last_line_cut_short_is_left_out_and_an_edited_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let mut j = Journal::open(&path, "p1").unwrap();
        j.append(entry("p1", "S-001", Outcome::Done)).unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"plan\":\"p1\",\"st");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(Journal::open(&path, "p1").unwrap().entries().len(), 1);
        std::fs::write(&path, format!("garbage\n{text}\n")).unwrap();
        let err = Journal::open(&path, "p1").err().unwrap();
        assert!(
            err.to_string().contains(":1 is not a journal entry"),
            "{err}"
        );
    }
}
