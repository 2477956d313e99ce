//! `atlas-audit plan`: decisions or an offboarding turned into a reviewable list of Atlas API
//! calls, made offline over the snapshot the review was made from. `plan.json` is the contract
//! `apply` and `verify` read ([`Plan`]); `plan.txt` is the same for a reader.
//!
//! Split by concern: [`types`] (the contract), [`condition`] (what a check GET must show),
//! [`calls`] (requests and checks), [`builder`] (which call carries out what), [`guard`] (the
//! guard rails), [`from_decisions`], [`offboard`], and [`text`].

pub mod builder;
pub mod calls;
pub mod condition;
pub mod from_decisions;
pub mod guard;
pub mod offboard;
pub mod text;
pub mod types;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

pub use builder::{Builder, Intent, Want};
pub use condition::{Condition, DbRole};
pub use from_decisions::DecisionsError;
pub use offboard::OffboardError;
pub use types::*;

use crate::model::Snapshot;
use crate::remediate::decisions::Decision;
use crate::rules::Findings;

/// Why a plan could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The decisions are not usable.
    #[error(transparent)]
    Decisions(#[from] DecisionsError),
    /// The offboarding is not usable.
    #[error(transparent)]
    Offboard(#[from] OffboardError),
    /// A plan file could not be written.
    #[error("cannot write {}; check that its folder exists and can be written", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// What a plan is made over: the snapshot, its file's digest, and when.
pub struct Basis<'a> {
    /// The snapshot.
    pub snapshot: &'a Snapshot,
    /// SHA-256 of the snapshot file, hex.
    pub sha256: String,
    /// The moment the plan is made.
    pub made_at: Timestamp,
}

/// A plan and the warnings met making it.
pub struct Made {
    /// The plan.
    pub plan: Plan,
    /// Lines to show the user (unknown emails among known ones).
    pub warnings: Vec<String>,
}

fn finish(basis: &Basis<'_>, b: Builder<'_>, source: Source) -> Plan {
    let digest = Plan::digest_of(&b.steps, &b.manual);
    let mut orgs: Vec<String> = basis.snapshot.orgs.iter().map(|o| o.id.clone()).collect();
    orgs.sort();
    Plan {
        schema_version: PLAN_SCHEMA_VERSION,
        made_at: basis.made_at,
        base_url: basis.snapshot.meta.base_url.clone(),
        credential: basis.snapshot.meta.credential.clone(),
        orgs,
        snapshot: SnapshotRef {
            sha256: basis.sha256.clone(),
            as_of: basis.snapshot.meta.collected_at,
        },
        source,
        steps: b.steps,
        manual: b.manual,
        digest,
    }
}

/// The plan of decision rows (parsed from `decisions.csv` by [`from_decisions::read`], or
/// taken from the store), with the findings whose recommendations give a Modify its target
/// when the row names none.
///
/// # Errors
/// When a row names a grant the snapshot lacks or disagrees with it.
pub fn from_decisions(
    basis: &Basis<'_>,
    rows: &[Decision],
    file: Option<FileRef>,
    findings: &Findings,
) -> Result<Made, PlanError> {
    let intents = from_decisions::intents(basis.snapshot, rows, findings)?;
    let mut b = Builder::new(basis.snapshot);
    b.plan(&intents);
    let source = Source {
        decisions: file,
        offboard: Vec::new(),
    };
    Ok(Made {
        plan: finish(basis, b, source),
        warnings: Vec::new(),
    })
}

/// The plan that offboards each person.
///
/// # Errors
/// When no email is given or none is known.
pub fn from_offboard(basis: &Basis<'_>, emails: &[String]) -> Result<Made, PlanError> {
    let mut b = Builder::new(basis.snapshot);
    let warnings = offboard::offboard(&mut b, emails)?;
    let source = Source {
        decisions: None,
        offboard: emails.to_vec(),
    };
    Ok(Made {
        plan: finish(basis, b, source),
        warnings,
    })
}

/// `plan.txt` beside a `plan.json` path.
pub fn text_path(json: &Path) -> PathBuf {
    json.with_extension("txt")
}

/// Writes `plan.json` at `path` and `plan.txt` beside it, each atomically.
///
/// # Errors
/// When either file cannot be written.
pub fn write(plan: &Plan, path: &Path) -> Result<(), PlanError> {
    let err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PlanError::Write { path, source }
    };
    crate::files::write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, plan)?;
        w.write_all(b"\n")
    })
    .map_err(err(path))?;
    let txt = text_path(path);
    crate::files::write_atomic(&txt, |w| w.write_all(text::render(plan).as_bytes()))
        .map_err(err(&txt))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Via;
    use crate::rules::testkit::Estate;

    fn made(e: &Estate) -> Plan {
        let basis = Basis {
            snapshot: &e.snapshot,
            sha256: "ab".repeat(32),
            made_at: crate::rules::testkit::as_of(),
        };
        from_offboard(&basis, &["ann@example.com".into()])
            .unwrap()
            .plan
    }

    fn estate() -> Estate {
        let mut e = Estate::new();
        e.project("o1", "p1", &[]);
        e.user("o1", "ann@example.com");
        e.project_role("user:ann@example.com", "p1", "GROUP_OWNER", Via::Direct);
        e.snapshot.meta.base_url = "http://127.0.0.1:9".into();
        e
    }

    #[test]
    fn an_edited_plan_fails_its_digest() {
        let plan = made(&estate());
        assert!(plan.verify_digest());
        let mut edited = plan.clone();
        edited.steps[0].request.path = "/groups/p2/users/id-ann@example.com".into();
        assert!(!edited.verify_digest());
        let mut dropped = plan.clone();
        dropped.steps.pop();
        assert!(!dropped.verify_digest());
    }

    #[test]
    fn the_plan_is_written_as_json_and_text_and_reads_back() {
        let plan = made(&estate());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        write(&plan, &path).unwrap();
        let back: Plan = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(back, plan);
        assert!(back.verify_digest());
        let text = std::fs::read_to_string(dir.path().join("plan.txt")).unwrap();
        assert!(text.contains("\nuser:ann@example.com\n  S-001 remove_group_user DELETE /groups/p1/users/id-ann@example.com [2025-02-19]"), "{text}");
        assert!(text.contains("offboarding ann@example.com"), "{text}");
        assert_eq!(back.base_url, "http://127.0.0.1:9");
        assert_eq!(back.orgs, ["o1"]);
    }
}
