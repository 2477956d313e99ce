//! Renderers: findings and the snapshot in, files out. Renderers never compute a finding; every
//! file is written atomically, and the same snapshot and policy give byte-identical files.

mod cell;
mod findings;

use std::path::{Path, PathBuf};

pub use cell::neutralise;
pub use findings::{findings_csv, findings_json};

use crate::model::write_atomic;
use crate::rules::Findings;

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or folder could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A report format `--format` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// `findings.json`.
    Json,
    /// `findings.csv`.
    Csv,
}

impl Format {
    /// Every format this build writes.
    pub const ALL: &[Format] = &[Format::Json, Format::Csv];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }

    /// Parses `--format` values; an empty list means all.
    ///
    /// # Errors
    /// A sentence naming the unknown format and the known ones.
    pub fn parse_list(names: &[String]) -> Result<Vec<Format>, String> {
        let mut out = Vec::new();
        for name in names.iter().map(|n| n.trim().to_ascii_lowercase()) {
            if name.is_empty() {
                continue;
            }
            let Some(f) = Format::ALL.iter().find(|f| f.as_str() == name) else {
                let known: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
                return Err(format!(
                    "--format: {name:?} is not a format this version writes; choose from {}",
                    known.join(", ")
                ));
            };
            out.push(*f);
        }
        if out.is_empty() {
            out = Format::ALL.to_vec();
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// Writes the chosen formats into `dir` (created if missing), each file atomically, and returns
/// the paths written.
///
/// # Errors
/// When the folder or a file cannot be written.
pub fn write(
    dir: &Path,
    findings: &Findings,
    formats: &[Format],
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Io {
        path: dir.into(),
        source,
    })?;
    let mut written = Vec::new();
    for format in formats {
        let (name, bytes) = match format {
            Format::Json => ("findings.json", findings_json(findings)),
            Format::Csv => ("findings.csv", findings_csv(findings)),
        };
        let path = dir.join(name);
        write_atomic(&path, |out| std::io::Write::write_all(out, &bytes)).map_err(|source| {
            ReportError::Io {
                path: path.clone(),
                source,
            }
        })?;
        written.push(path);
    }
    Ok(written)
}
