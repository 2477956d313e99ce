//! Rendering the files of a report in parallel. The costliest file (the workbook, when it is
//! written) renders first, on the global pool, whose threads share its sheets and rows; the
//! others render one after another on a pool of one thread of their own, the costliest first,
//! and once the costliest is done its thread takes the next of them too. The costliest file
//! thus gets most of the cores rather than only the threads the others leave free, and its
//! single-threaded end (packing the workbook) overlaps with them instead of running alone
//! after them. Each file is written through a hashing writer into its temporary file, whose
//! sync and rename run on threads of their own, so the render threads never wait on the disk.

use std::collections::VecDeque;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::thread::{Scope, ScopedJoinHandle};

use sha2::{Digest, Sha256};

use super::outputs::{OutputFile, RenderError};
use super::{ReportError, Review, Templates, Written};
use crate::files::{AtomicFile, hex};

/// Renders `files` into `dir`, the costliest first. Returns the files written, in no
/// particular order.
///
/// # Errors
/// When a file cannot be rendered or written.
pub(super) fn render_all(
    dir: &Path,
    files: &[OutputFile],
    review: &Review<'_>,
    templates: Option<&Templates>,
) -> Result<Vec<Written>, ReportError> {
    let mut order = files.to_vec();
    order.sort_by_key(|f| std::cmp::Reverse(f.cost()));
    let Some((first, rest)) = order.split_first() else {
        return Ok(Vec::new());
    };
    let queue = Mutex::new(rest.iter().copied().collect::<VecDeque<_>>());
    // Were the one-thread pool not to start, the others render after the costliest.
    let others = (!rest.is_empty())
        .then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .thread_name(|_| "render".into())
                .build()
                .ok()
        })
        .flatten();
    with_commits(|commits| {
        let done = Mutex::new(Vec::with_capacity(order.len()));
        let render = |file: OutputFile| {
            let written = render_one(dir, file, review, templates, commits);
            locked(&done).push(written);
        };
        // The queue's lock is let go before the file renders, so that both threads can
        // render at once.
        let drain = || {
            loop {
                let next = locked(&queue).pop_front();
                let Some(file) = next else { break };
                render(file);
            }
        };
        std::thread::scope(|s| {
            if let Some(pool) = &others {
                // This thread only waits while the pool renders.
                s.spawn(|| pool.install(drain));
            }
            render(*first);
            drain();
        });
        done.into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .collect::<Result<Vec<Written>, ReportError>>()
    })
}

/// The mutex's value, also after a thread panicked holding it (a panic is reported anyway).
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes one file of bytes made already (the manifest), and waits until it is in place.
///
/// # Errors
/// When the file cannot be written.
pub(super) fn write_bytes(dir: &Path, name: &str, bytes: &[u8]) -> Result<Written, ReportError> {
    with_commits(|commits| write_file(dir, name, commits, |out| Ok(out.write_all(bytes)?)))
}

fn render_one(
    dir: &Path,
    file: OutputFile,
    review: &Review<'_>,
    templates: Option<&Templates>,
    commits: &Commits<'_, '_>,
) -> Result<Written, ReportError> {
    let started = std::time::Instant::now();
    let written = write_file(dir, file.name(), commits, |out| {
        file.render(review, templates, out)
    })?;
    tracing::info!(
        file = file.name(),
        bytes = written.bytes,
        ms = started.elapsed().as_millis() as u64,
        "written"
    );
    Ok(written)
}

/// Writes one file through a hashing writer into a temporary file, and hands its sync and
/// rename to a thread of `commits`.
fn write_file(
    dir: &Path,
    name: &str,
    commits: &Commits<'_, '_>,
    render: impl FnOnce(&mut dyn Write) -> Result<(), RenderError>,
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
    render(&mut hashing).map_err(|e| match e {
        RenderError::Write(source) => io_error(source),
        RenderError::Content(e) => e,
    })?;
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
            pending: Mutex::new(Vec::new()),
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
    scope: &'scope Scope<'scope, 'env>,
    pending: Mutex<Vec<(PathBuf, ScopedJoinHandle<'scope, io::Result<()>>)>>,
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

/// A writer that hashes and counts what passes through it.
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
