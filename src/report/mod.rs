//! Renderers: the snapshot, the findings and the policy in, files out. Renderers never compute a
//! finding; they format what [`Review`] reads from the input. Every file is written atomically,
//! the formats render in parallel, and the same snapshot and policy give byte-identical files.
//! `manifest.json` is written last and carries the SHA-256 of every other file.
//!
//! Each file is an [`OutputFile`] (`outputs.rs`: its name, format, cost and renderer);
//! `schedule.rs` renders them in parallel; `pages/` makes the HTML report and the email.

mod cell;
mod changes;
pub mod credential;
pub mod directory;
mod findings;
pub mod identity;
pub mod last_review;
mod manifest;
pub mod ocsf;
mod outputs;
mod pages;
mod remediation;
#[cfg(test)]
pub(crate) mod sample;
mod schedule;
mod tables;
mod view;
mod workbook;

use std::io;
use std::path::{Path, PathBuf};

pub use cell::{hostile_strings, neutralise, one_line, visible};
pub use changes::{CHANGES_CSV_HEADER, Names, change_line, changes_csv, changes_text};
pub use findings::{FINDINGS_CSV_HEADER, findings_csv, findings_json};
pub use manifest::{MANIFEST, MANIFEST_SCHEMA_VERSION, Manifest};
pub use outputs::{Format, OutputFile};
pub use pages::{TEMPLATE_NAMES, Templates, escape_html};
pub use remediation::{REMEDIATION_CSV_HEADER, Remediated, RemediatedView, remediation_csv};
pub use tables::{GRANTS_CSV_HEADER, PRINCIPALS_CSV_HEADER, grants_csv, principals_csv};
pub use view::{ActivityCells, Baseline, ReportInput, Review, RuleCount, auth_method};

/// The Access Review sheet's layout, for reading a filled-in workbook back.
pub mod workbook_layout {
    pub use super::workbook::access_review::{
        HEADERS, LAST_REVIEW_HEADERS, LEVEL_ROLES, LISTS_SHEET, ROW_CHECK, SCOPE_KEY,
        SINCE_LAST_REVIEW, VIA_KEY, headers,
    };
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or folder could not be written.
    #[error("cannot write {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A template could not be read, parsed or rendered.
    #[error("template {name}: {detail}")]
    Template {
        /// The template's file name.
        name: String,
        /// What is wrong, with Tera's line and column when it gives them.
        detail: String,
    },
    /// The workbook could not be built.
    #[error("access-review.xlsx{}", sheet.as_ref().map(|s| format!(": sheet {s}")).unwrap_or_default())]
    Workbook {
        /// The sheet being written, when it was one sheet that failed.
        sheet: Option<String>,
        /// Why.
        source: rust_xlsxwriter::XlsxError,
    },
}

/// The workbook's bytes, built in memory: what [`write`] puts in `access-review.xlsx`, for
/// measuring the writer on its own.
///
/// # Errors
/// The workbook could not be built.
pub fn workbook_bytes(review: &Review<'_>) -> Result<Vec<u8>, ReportError> {
    workbook::workbook(review)
}

/// Every file [`write`] can put in a report folder: each format's files, `changes.csv` among
/// them, and the manifest.
pub fn file_names() -> Vec<&'static str> {
    OutputFile::ALL
        .iter()
        .map(|f| f.name())
        .chain([MANIFEST])
        .collect()
}

/// How to write a report.
#[derive(Default)]
pub struct Options {
    /// Formats to write; empty means all.
    pub formats: Vec<Format>,
    /// Templates already loaded (with `--templates`); `None` means the built-in ones.
    pub templates: Option<Templates>,
    /// The SHA-256 (lowercase hex) of the snapshot file the report was made from, for the
    /// manifest and the workbook (see [`crate::model::load_hashed`]); none for a live run.
    pub snapshot_sha256: Option<String>,
    /// With `--store`: the grants removed since the review, for `remediation.csv` (written,
    /// header only when empty, whenever this is `Some`), report.html and the Summary sheet.
    pub remediated: Option<Vec<Remediated>>,
    /// With `--store`: the last review, for the Access Review sheet's last review columns
    /// (present whenever this is `Some`).
    pub last_review: Option<last_review::LastReview>,
}

/// One file written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// File name inside the report folder.
    pub name: String,
    /// Full path.
    pub path: PathBuf,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

/// Writes the chosen formats into `dir` (created if missing), each file atomically and the
/// formats in parallel, then `manifest.json`. Templates are read and checked before anything is
/// written. Returns every file written, the manifest last.
///
/// # Errors
/// When a template is broken, or the folder or a file cannot be written.
pub fn write(
    dir: &Path,
    input: &ReportInput<'_>,
    options: &Options,
) -> Result<Vec<Written>, ReportError> {
    let formats = if options.formats.is_empty() {
        Format::ALL.to_vec()
    } else {
        options.formats.clone()
    };
    let built_in;
    let templates = match (&options.templates, formats.contains(&Format::Html)) {
        (_, false) => None,
        (Some(loaded), true) => Some(loaded),
        (None, true) => {
            built_in = Templates::load(None)?;
            Some(&built_in)
        }
    };
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.into(),
        source,
    })?;
    let indexing = std::time::Instant::now();
    let mut review = Review::new(input);
    review.set_snapshot_sha256(options.snapshot_sha256.clone());
    review.remediated = options.remediated.clone().unwrap_or_default();
    review.last_review = options.last_review.clone();
    tracing::debug!(ms = indexing.elapsed().as_millis() as u64, "review indexed");
    let files: Vec<OutputFile> = formats
        .iter()
        .flat_map(|f| f.files())
        .filter(|f| input.baseline.is_some() || !f.needs_baseline())
        .filter(|f| options.remediated.is_some() || !f.needs_store())
        .collect();
    if files.iter().any(|f| f.uses_directory()) {
        let started = std::time::Instant::now();
        review.prepare_directory();
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "directory of people built"
        );
    }
    let mut written = schedule::render_all(dir, &files, &review, templates)?;
    written.sort_by(|a, b| a.name.cmp(&b.name));
    pause_for_tests();
    let manifest = Manifest::new(&review, &written);
    // Last, once every other file is in place.
    written.push(schedule::write_bytes(dir, MANIFEST, &manifest.to_json())?);
    Ok(written)
}

/// Tests that interrupt a run while it renders set `ATLAS_AUDIT_TEST_RENDER_PAUSE_MS` to hold
/// it once every file but the manifest is written; it does nothing otherwise, and nothing at all
/// in a build without the `test-hooks` feature.
fn pause_for_tests() {
    #[cfg(feature = "test-hooks")]
    if let Some(ms) = std::env::var("ATLAS_AUDIT_TEST_RENDER_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}
