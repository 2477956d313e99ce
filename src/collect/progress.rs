//! Progress on stderr while collecting: orgs and projects done, redrawn in place when stderr is
//! a terminal, silent otherwise (logs at info level say the same for a CI log).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use std::sync::Mutex;

/// Counters and a rate-limited redraw.
pub(crate) struct Progress {
    enabled: bool,
    orgs: AtomicUsize,
    orgs_done: AtomicUsize,
    projects: AtomicUsize,
    projects_done: AtomicUsize,
    last_draw: Mutex<Option<Instant>>,
}

impl Progress {
    pub fn new(requested: bool) -> Self {
        Progress {
            enabled: requested && std::io::stderr().is_terminal(),
            orgs: AtomicUsize::new(0),
            orgs_done: AtomicUsize::new(0),
            projects: AtomicUsize::new(0),
            projects_done: AtomicUsize::new(0),
            last_draw: Mutex::new(None),
        }
    }

    pub fn set_orgs(&self, n: usize) {
        self.orgs.store(n, Ordering::Relaxed);
        self.draw(true);
    }

    pub fn add_projects(&self, n: usize) {
        self.projects.fetch_add(n, Ordering::Relaxed);
        self.draw(false);
    }

    pub fn project_done(&self) {
        self.projects_done.fetch_add(1, Ordering::Relaxed);
        self.draw(false);
    }

    pub fn org_done(&self) {
        let done = self.orgs_done.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::info!(
            done,
            of = self.orgs.load(Ordering::Relaxed),
            "organization collected"
        );
        self.draw(true);
    }

    pub fn finish(&self) {
        if self.enabled {
            self.draw(true);
            eprintln!();
        }
    }

    fn draw(&self, force: bool) {
        if !self.enabled {
            return;
        }
        let mut last = self.last_draw.lock().unwrap_or_else(|p| p.into_inner());
        if !force && last.is_some_and(|t| t.elapsed() < Duration::from_millis(200)) {
            return;
        }
        *last = Some(Instant::now());
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\rcollecting: {}/{} organizations, {}/{} projects",
            self.orgs_done.load(Ordering::Relaxed),
            self.orgs.load(Ordering::Relaxed),
            self.projects_done.load(Ordering::Relaxed),
            self.projects.load(Ordering::Relaxed),
        );
        let _ = err.flush();
    }
}
