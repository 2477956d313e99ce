//! Where a command's files go, checked before any work starts. A report folder is written whole
//! or not at all: its files go into a hidden folder beside it (`.NAME.PID.tmp`), which takes
//! the folder's place by rename once every file is in it, so the folder never mixes two runs
//! and an interrupted or failed run leaves it as it was. A folder that already holds a report
//! is replaced only with `--force` (`demo` always replaces its own); a folder that holds
//! anything else is never replaced. A snapshot is one file written atomically, and replaces an
//! existing file only with `--force`.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use crate::deliver::DRY_RUN_FILE;
use crate::files::AtomicFile;
use crate::files::scratch::Scratch;
use crate::report::{self, Written};

/// What the demo saves beside its report.
pub(super) const DEMO_SNAPSHOT: &str = "snapshot.json";

/// The review loop's files the demo writes beside its report and snapshot.
const DEMO_LOOP_FILES: &[&str] = &[
    "reviewed.xlsx",
    "decisions.csv",
    "plan.json",
    "plan.txt",
    "apply-log.jsonl",
    "snapshot-after.json",
];

/// The folder of the demo's second report.
const DEMO_LOOP_FOLDER: &str = "report-after";

/// Files an operating system or a file browser drops into any folder: never a reason to refuse
/// a folder, and not worth keeping.
const LITTER: &[&str] = &[".DS_Store", "Thumbs.db", "desktop.ini"];

/// How many names a message lists before it says "and N more".
const NAMES_SHOWN: usize = 5;

/// Whose folder it is: which files it may hold, and when it may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner {
    /// `report --out`: an earlier report is replaced only with `--force`.
    Report {
        /// `--force` was given.
        force: bool,
    },
    /// `demo --out`: the demo's own folder (a report and `snapshot.json`), always replaced.
    Demo,
}

impl Owner {
    /// Whether a file of this name is one the command writes (or the temporary of one).
    fn writes(self, name: &str) -> bool {
        let name = temporary_of(name).unwrap_or(name);
        report::file_names().contains(&name)
            || name == DRY_RUN_FILE
            || (self == Owner::Demo && (name == DEMO_SNAPSHOT || DEMO_LOOP_FILES.contains(&name)))
    }

    /// Whether a folder of this name is one the command writes.
    fn writes_folder(self, name: &str) -> bool {
        self == Owner::Demo && name == DEMO_LOOP_FOLDER
    }

    fn what(self) -> &'static str {
        match self {
            Owner::Report { .. } => "a report",
            Owner::Demo => "the demo",
        }
    }
}

/// `.NAME.PID.tmp` is NAME's temporary, left by a run that was killed outright.
fn temporary_of(name: &str) -> Option<&str> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (name, pid) = rest.rsplit_once('.')?;
    (!pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit())).then_some(name)
}

/// "a, b, c and 2 more"
fn list(names: &[String]) -> String {
    let shown = names[..names.len().min(NAMES_SHOWN)].join(", ");
    match names.len().saturating_sub(NAMES_SHOWN) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

/// The advice for an output that cannot be written: which part of `path` is in the way, and
/// what to do. `flag` is the option that named it.
pub(super) fn explain(flag: &str, path: &Path, err: &std::io::Error) -> String {
    let shown = path.display();
    match err.kind() {
        ErrorKind::NotADirectory | ErrorKind::AlreadyExists | ErrorKind::NotFound => {
            // Which folder on the way is a file, or is missing.
            let mut missing = None;
            for ancestor in path.ancestors().skip(1) {
                if ancestor.as_os_str().is_empty() {
                    break;
                }
                match fs::metadata(ancestor) {
                    Ok(meta) if meta.is_dir() => break,
                    Ok(_) => {
                        return format!(
                            "{flag} {shown} cannot be written: {} is a file, not a folder; choose another {flag}",
                            ancestor.display()
                        );
                    }
                    Err(_) => missing = Some(ancestor),
                }
            }
            match missing {
                Some(folder) => format!(
                    "{flag} {shown} cannot be written: the folder {} does not exist; create it, or choose another {flag}",
                    folder.display()
                ),
                None => format!("{flag} {shown} cannot be written ({err}); choose another {flag}"),
            }
        }
        ErrorKind::PermissionDenied => format!(
            "{flag} {shown} cannot be written: permission denied; choose a folder you can write to, or change its permissions"
        ),
        ErrorKind::ReadOnlyFilesystem => format!(
            "{flag} {shown} cannot be written: the file system is read-only; choose another {flag}"
        ),
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => format!(
            "{flag} {shown} cannot be written: no space left; free some space or choose another {flag}"
        ),
        _ => format!("{flag} {shown} cannot be written ({err}); choose another {flag}"),
    }
}

/// A report folder being written: files go into [`Folder::path`], and [`Folder::commit`] puts
/// them in place all at once. Dropped without a commit, it removes what it wrote, and the
/// folders it created above the report folder when they are still empty.
#[derive(Debug)]
pub(super) struct Folder {
    /// As the user named it, for messages.
    shown: PathBuf,
    /// Where it goes, with symbolic links resolved when it exists.
    target: PathBuf,
    owner: Owner,
    /// The hidden folder the files are written to; `None` once committed.
    staging: Option<Scratch>,
    /// Folders created above the target for this run, outermost first.
    created: Vec<PathBuf>,
}

impl Folder {
    /// Checks `dir` (`--out`) and creates the hidden folder beside it.
    ///
    /// # Errors
    /// `dir` is a file, the current folder, holds files that `owner` does not write, holds an
    /// earlier report without `--force`, or cannot be created.
    pub(super) fn prepare(dir: &Path, owner: Owner) -> Result<Folder> {
        let shown = dir.display();
        if dir.as_os_str().is_empty() {
            bail!("--out is empty: name a folder for the report, e.g. --out atlas-audit-report");
        }
        let target = match fs::metadata(dir) {
            Ok(meta) if !meta.is_dir() => bail!(
                "--out {shown} is a file, not a folder: the report is a set of files; name a folder, e.g. --out {shown}-report"
            ),
            Ok(_) => {
                check_contents(dir, owner)?;
                fs::canonicalize(dir).map_err(|e| anyhow!(explain("--out", dir, &e)))?
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                std::path::absolute(dir).map_err(|e| anyhow!(explain("--out", dir, &e)))?
            }
            Err(e) => bail!(explain("--out", dir, &e)),
        };
        // Replacing the current folder (or one above it) would leave this process, and the
        // shell it was started from, in a folder that no longer exists.
        if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize)
            && cwd.starts_with(&target)
        {
            bail!(
                "--out {shown} is the current folder or holds it; {} writes a folder of its own: name one, e.g. --out atlas-audit-report",
                owner.what()
            );
        }
        let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
            bail!(
                "--out {shown} names no folder; give a folder path, e.g. --out atlas-audit-report"
            );
        };
        let created =
            create_parents(parent).map_err(|(at, e)| anyhow!(explain("--out", &at, &e)))?;
        let mut folder = Folder {
            shown: dir.to_path_buf(),
            target: target.clone(),
            owner,
            staging: None,
            created,
        };
        let staging = Scratch::register(parent.join(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            std::process::id()
        )));
        fs::create_dir(staging.path()).map_err(|e| anyhow!(explain("--out", dir, &e)))?;
        folder.staging = Some(staging);
        Ok(folder)
    }

    /// The hidden folder to write the files into.
    pub(super) fn path(&self) -> &Path {
        self.staging
            .as_ref()
            .map_or(&self.target, |staging| staging.path())
    }

    /// Puts the files in place: the hidden folder takes the place of `--out` by rename (an
    /// earlier report there is moved aside first, then removed), and `written` is pointed at
    /// the files' final paths.
    ///
    /// # Errors
    /// The folder changed since [`Folder::prepare`] so that it may not be replaced, or a
    /// rename failed; the folder is then as it was.
    pub(super) fn commit(mut self, written: &mut [Written]) -> Result<()> {
        let staging = self.staging.take().expect("a folder is committed once");
        let staging_path = staging.path().to_path_buf();
        let earlier = fs::metadata(&self.target).ok().filter(|m| m.is_dir());
        let result = (|| {
            if let Some(meta) = &earlier {
                // Another run may have written there since the check.
                check_contents(&self.target, self.owner)?;
                // The new folder keeps the permissions of the one it replaces.
                let _ = fs::set_permissions(&staging_path, meta.permissions());
            }
            let name = self
                .target
                .file_name()
                .unwrap_or_default()
                .to_string_lossy();
            let aside = self
                .target
                .with_file_name(format!(".{name}.{}.old", std::process::id()));
            // Registered first: an interruption after the swap removes the earlier report too.
            let aside = earlier.is_some().then(|| Scratch::register(aside));
            staging
                .persist(|from| {
                    if let Some(aside) = &aside {
                        fs::rename(&self.target, aside.path())?;
                    }
                    fs::rename(from, &self.target).inspect_err(|_| {
                        if let Some(aside) = &aside {
                            let _ = fs::rename(aside.path(), &self.target);
                        }
                    })
                })
                .map_err(|e| {
                    anyhow!(
                        "{}; the new files were removed and {} is as it was",
                        explain("--out", &self.shown, &e),
                        self.shown.display()
                    )
                })?;
            if let Some(aside) = aside
                && let Err(e) = fs::remove_dir_all(aside.path())
            {
                tracing::warn!(
                    "the earlier report, moved aside to {}, could not be removed: {e}",
                    aside.path().display()
                );
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_dir_all(&staging_path);
            self.remove_created();
            return result;
        }
        self.created.clear();
        for w in written {
            w.path = self.shown.join(&w.name);
        }
        Ok(())
    }

    fn remove_created(&mut self) {
        for dir in self.created.drain(..).rev() {
            // Only while empty: something else may have been put there meanwhile.
            let _ = fs::remove_dir(dir);
        }
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        if let Some(staging) = self.staging.take() {
            let _ = fs::remove_dir_all(staging.path());
        }
        self.remove_created();
    }
}

/// Refuses a folder that holds files `owner` does not write, or an earlier report when
/// `--force` was not given.
fn check_contents(dir: &Path, owner: Owner) -> Result<()> {
    let shown = dir.display();
    let entries = fs::read_dir(dir).map_err(|e| anyhow!(explain("--out", dir, &e)))?;
    let (mut ours, mut other) = (Vec::new(), Vec::new());
    for entry in entries {
        let entry = entry.map_err(|e| anyhow!(explain("--out", dir, &e)))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if LITTER.contains(&name.as_str()) {
            continue;
        }
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if (is_file && owner.writes(&name)) || (is_dir && owner.writes_folder(&name)) {
            ours.push(name);
        } else {
            other.push(if is_file { name } else { format!("{name}/") });
        }
    }
    ours.sort();
    other.sort();
    if !other.is_empty() {
        bail!(
            "--out {shown} holds files that {} does not write ({}); the folder is replaced as a whole, so it must be new, empty, or hold only an earlier report: choose another --out, or move those files elsewhere",
            owner.what(),
            list(&other)
        );
    }
    if owner == (Owner::Report { force: false }) && !ours.is_empty() {
        bail!(
            "--out {shown} already holds a report ({}); pass --force to replace it (the whole folder is replaced, so no file of the earlier report remains), or choose another --out",
            list(&ours)
        );
    }
    Ok(())
}

/// Creates the missing folders of `dir`, outermost first, and returns them; on failure, those
/// it created are removed again, and the error names the folder it could not create.
fn create_parents(dir: &Path) -> Result<Vec<PathBuf>, (PathBuf, std::io::Error)> {
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && fs::symlink_metadata(a).is_err())
        .collect();
    let mut created = Vec::new();
    for at in missing.into_iter().rev() {
        if let Err(e) = fs::create_dir(at) {
            for dir in created.iter().rev() {
                let _ = fs::remove_dir(dir);
            }
            return Err((at.to_path_buf(), e));
        }
        created.push(at.to_path_buf());
    }
    Ok(created)
}

/// Checks `--out FILE` for a snapshot and opens its temporary file beside it, so that a folder
/// that cannot be written is found before the collection starts.
///
/// # Errors
/// `path` is a folder, exists without `--force`, or its folder cannot be written.
pub(super) fn snapshot_file(path: &Path, force: bool) -> Result<AtomicFile> {
    let shown = path.display();
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => bail!(
            "--out {shown} is a folder; --out names the snapshot file, e.g. --out {}",
            path.join("snapshot.json").display()
        ),
        Ok(_) if !force => bail!(
            "--out {shown} already exists; pass --force to replace it, or choose another --out (a snapshot is evidence: keep one per review, e.g. --out q4.json)"
        ),
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => bail!(explain("--out", path, &e)),
    }
    AtomicFile::create(path).map_err(|e| anyhow!(explain("--out", path, &e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_are_known_by_their_name_and_process_number() {
        assert_eq!(temporary_of(".findings.csv.123.tmp"), Some("findings.csv"));
        assert_eq!(temporary_of(".findings.csv.tmp"), None);
        assert_eq!(temporary_of("findings.csv.123.tmp"), None);
        assert_eq!(temporary_of(".x.12a.tmp"), None);
        let report = Owner::Report { force: false };
        assert!(report.writes(".manifest.json.9.tmp"));
        assert!(report.writes("email.eml"));
        assert!(!report.writes("snapshot.json"));
        assert!(Owner::Demo.writes("snapshot.json"));
        assert!(Owner::Demo.writes("plan.json") && !report.writes("plan.json"));
        assert!(Owner::Demo.writes_folder("report-after") && !report.writes_folder("report-after"));
    }

    #[test]
    fn long_lists_are_cut() {
        let names: Vec<String> = (1..=7).map(|i| format!("f{i}")).collect();
        assert_eq!(list(&names), "f1, f2, f3, f4, f5 and 2 more");
        assert_eq!(list(&names[..2]), "f1, f2");
    }
}
