//! Renderers: the snapshot, the findings and the policy in, files out. Renderers never compute a
//! finding; they format what [`Review`] reads from the input. Every file is written atomically,
//! the formats render in parallel, and the same snapshot and policy give byte-identical files.
//! `manifest.json` is written last and carries the SHA-256 of every other file.

mod cell;
mod changes;
mod findings;
mod html;
mod manifest;
#[cfg(test)]
pub(crate) mod sample;
mod spreadsheet;
mod tables;
mod view;
mod xlsx;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use cell::{hostile_strings, neutralise, one_line, visible};
pub use changes::{CHANGES_CSV_HEADER, Names, change_line, changes_csv, changes_text};
pub use findings::{FINDINGS_CSV_HEADER, findings_csv, findings_json};
pub use html::{TEMPLATE_NAMES, Templates, escape_html};
pub use manifest::{MANIFEST, Manifest};
pub use tables::{GRANTS_CSV_HEADER, PRINCIPALS_CSV_HEADER, grants_csv, principals_csv};
pub use view::{ActivityCells, Baseline, ReportInput, Review, RuleCount, auth_method};

use crate::model::AtomicFile;

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file or folder could not be written.
    #[error("cannot write {}: {source}", path.display())]
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
    #[error("access-review.xlsx: {0}")]
    Workbook(String),
}

/// A report format `--format` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// `findings.csv`, `grants.csv`, `principals.csv`.
    Csv,
    /// `access-review.xlsx`.
    Xlsx,
    /// `report.html`, `email.html`, `email.txt`.
    Html,
    /// `findings.json`.
    Json,
}

impl Format {
    /// Every format this build writes.
    pub const ALL: &[Format] = &[Format::Csv, Format::Xlsx, Format::Html, Format::Json];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Html => "html",
            Format::Json => "json",
        }
    }

    /// The files the format writes.
    pub fn files(self) -> &'static [&'static str] {
        match self {
            Format::Csv => &["findings.csv", "grants.csv", "principals.csv"],
            Format::Xlsx => &["access-review.xlsx"],
            Format::Html => &["report.html", "email.html", "email.txt"],
            Format::Json => &["findings.json"],
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

/// What changed since the baseline, with `--baseline`.
const CHANGES_CSV: &str = "changes.csv";

/// Every file [`write`] can put in a report folder: each format's files, `changes.csv` and the
/// manifest.
pub fn file_names() -> Vec<&'static str> {
    let mut names: Vec<&str> = Format::ALL
        .iter()
        .flat_map(|f| f.files())
        .copied()
        .collect();
    names.extend([CHANGES_CSV, MANIFEST]);
    names
}

/// Every file, the slowest to render first.
const COST_ORDER: &[&str] = &[
    "access-review.xlsx",
    "grants.csv",
    "findings.json",
    "findings.csv",
    "principals.csv",
    CHANGES_CSV,
    "report.html",
    "email.html",
    "email.txt",
];

/// How to write a report.
#[derive(Default)]
pub struct Options {
    /// Formats to write; empty means all.
    pub formats: Vec<Format>,
    /// Templates already loaded (with `--templates`); `None` means the built-in ones.
    pub templates: Option<Templates>,
    /// The snapshot file the report was made from, hashed into the manifest.
    pub snapshot_file: Option<PathBuf>,
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
    let review = Review::new(input);
    tracing::debug!(ms = indexing.elapsed().as_millis() as u64, "review indexed");
    let mut names: Vec<&str> = formats.iter().flat_map(|f| f.files()).copied().collect();
    if input.baseline.is_some() && formats.contains(&Format::Csv) {
        names.push(CHANGES_CSV);
    }
    // The costliest files start first, so that the cheap ones fill the gaps at the end.
    names.sort_by_key(|n| COST_ORDER.iter().position(|c| c == n));
    // The snapshot file is hashed while the files render.
    let (written, snapshot_sha256) = with_commits(|commits| {
        let (written, snapshot_sha256) = rayon::join(
            || {
                // Files start in cost order, each on the next free thread.
                let done = std::sync::Mutex::new(Vec::with_capacity(names.len()));
                rayon::scope_fifo(|scope| {
                    for name in &names {
                        let (done, review) = (&done, &review);
                        scope.spawn_fifo(move |_| {
                            let file = render_file(dir, name, review, templates, commits);
                            done.lock().unwrap_or_else(|e| e.into_inner()).push(file);
                        });
                    }
                });
                done.into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .into_iter()
                    .collect::<Result<Vec<Written>, ReportError>>()
            },
            || {
                options.snapshot_file.as_ref().map(|path| {
                    sha256_file(path).map_err(|source| ReportError::Io {
                        path: path.clone(),
                        source,
                    })
                })
            },
        );
        Ok((written?, snapshot_sha256.transpose()?))
    })?;
    let mut written = written;
    written.sort_by(|a, b| a.name.cmp(&b.name));
    pause_for_tests();
    let manifest = Manifest::new(&review, &written, snapshot_sha256);
    let bytes = manifest.to_json();
    // Last, once every other file is in place.
    written.push(with_commits(|commits| {
        write_file(dir, MANIFEST, commits, |out| out.write_all(&bytes))
    })?);
    Ok(written)
}

fn render_file(
    dir: &Path,
    name: &str,
    review: &Review<'_>,
    templates: Option<&Templates>,
    commits: &Commits<'_, '_>,
) -> Result<Written, ReportError> {
    let started = std::time::Instant::now();
    let written = render(dir, name, review, templates, commits)?;
    tracing::info!(
        file = name,
        bytes = written.bytes,
        ms = started.elapsed().as_millis() as u64,
        "written"
    );
    Ok(written)
}

fn render(
    dir: &Path,
    name: &str,
    review: &Review<'_>,
    templates: Option<&Templates>,
    commits: &Commits<'_, '_>,
) -> Result<Written, ReportError> {
    let template = |render: fn(&Templates, &Review<'_>) -> Result<String, ReportError>| {
        let templates = templates.expect("templates are loaded for the html format");
        render(templates, review)
    };
    match name {
        "findings.json" => write_file(dir, name, commits, |out| {
            findings::write_findings_json(review.findings, out)
        }),
        "findings.csv" => write_file(dir, name, commits, |out| {
            findings::write_findings_csv(review.findings, out)
        }),
        "grants.csv" => write_file(dir, name, commits, |out| grants_csv(review, out)),
        CHANGES_CSV => {
            let baseline = review
                .baseline
                .expect("changes.csv is written with a baseline");
            let names = Names::of(&[review.snapshot, baseline.snapshot]);
            let bytes = changes_csv(baseline.changes, &names);
            write_file(dir, name, commits, |out| out.write_all(&bytes))
        }
        "principals.csv" => write_file(dir, name, commits, |out| principals_csv(review, out)),
        "access-review.xlsx" => {
            let bytes = xlsx::workbook(review)?;
            write_file(dir, name, commits, |out| out.write_all(&bytes))
        }
        "report.html" => {
            let text = template(html::report_html)?;
            write_file(dir, name, commits, |out| out.write_all(text.as_bytes()))
        }
        "email.html" => {
            let text = template(html::email_html)?;
            write_file(dir, name, commits, |out| out.write_all(text.as_bytes()))
        }
        "email.txt" => {
            let text = template(html::email_txt)?;
            write_file(dir, name, commits, |out| out.write_all(text.as_bytes()))
        }
        other => unreachable!("no renderer for {other}"),
    }
}

/// Writes one file atomically through a hashing writer.
/// Writes one file through a hashing writer into a temporary file, and hands its sync and
/// rename to a thread of `commits`, so the render threads never wait on the disk.
fn write_file(
    dir: &Path,
    name: &str,
    commits: &Commits<'_, '_>,
    render: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<Written, ReportError> {
    let path = dir.join(name);
    let io_error = |source| ReportError::Io {
        path: path.clone(),
        source,
    };
    let mut file = AtomicFile::create(&path).map_err(io_error)?;
    let mut hashing = Hashing {
        inner: file.writer(),
        hasher: Sha256::new(),
        bytes: 0,
    };
    render(&mut hashing).map_err(io_error)?;
    let (sha256, bytes) = (hex(&hashing.hasher.finalize()), hashing.bytes);
    commits.spawn(path.clone(), file);
    Ok(Written {
        name: name.to_string(),
        path,
        bytes,
        sha256,
    })
}

/// Runs `f` with a [`Commits`], then waits for every file it handed over to be in place.
fn with_commits<T>(
    f: impl FnOnce(&Commits<'_, '_>) -> Result<T, ReportError>,
) -> Result<T, ReportError> {
    std::thread::scope(|scope| {
        let commits = Commits {
            scope,
            pending: std::sync::Mutex::new(Vec::new()),
        };
        let result = f(&commits);
        let joined = commits.join();
        let value = result?;
        joined?;
        Ok(value)
    })
}

/// Files whose sync and rename run on their own threads, joined before the manifest.
struct Commits<'scope, 'env> {
    scope: &'scope std::thread::Scope<'scope, 'env>,
    pending: std::sync::Mutex<
        Vec<(
            PathBuf,
            std::thread::ScopedJoinHandle<'scope, io::Result<()>>,
        )>,
    >,
}

impl<'scope> Commits<'scope, '_> {
    fn spawn(&self, path: PathBuf, file: AtomicFile) {
        let handle = self.scope.spawn(move || file.commit());
        if let Ok(mut pending) = self.pending.lock() {
            pending.push((path, handle));
        }
    }

    /// Waits for every commit; the first failure is the error.
    fn join(self) -> Result<(), ReportError> {
        let pending = self.pending.into_inner().unwrap_or_default();
        let mut result = Ok(());
        for (path, handle) in pending {
            let outcome = handle
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the writing thread panicked")));
            if let (Ok(()), Err(source)) = (&result, outcome) {
                result = Err(ReportError::Io { path, source });
            }
        }
        result
    }
}

struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
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

/// SHA-256 of a file, lowercase hex.
///
/// # Errors
/// When the file cannot be read.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
