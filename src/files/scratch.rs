//! Temporary files and folders in flight. Every output is written under a temporary name and
//! reaches its final name only by a rename; this registry knows the temporary names, so that a
//! run stopped by a signal removes them before it exits and leaves nothing half-written behind.
//! Renames to final names happen under the registry's lock, so an interruption either comes
//! before a rename (and the temporary is removed) or after it (and the final file is whole).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The temporaries of this process, by registration number.
struct Registry {
    next: u64,
    paths: BTreeMap<u64, PathBuf>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next: 0,
    paths: BTreeMap::new(),
});

fn lock() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// A temporary file or folder that an interruption removes. Dropping it only forgets it: the
/// owner removes what it abandons.
#[derive(Debug)]
pub struct Scratch {
    id: u64,
    path: PathBuf,
}

impl Scratch {
    /// Registers `path` before anything is created there.
    pub fn register(path: PathBuf) -> Scratch {
        let mut registry = lock();
        let id = registry.next;
        registry.next += 1;
        registry.paths.insert(id, path.clone());
        Scratch { id, path }
    }

    /// The temporary path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `finish` (the renames that put the temporary in its final place) while no
    /// interruption can remove temporaries, then forgets the temporary.
    ///
    /// # Errors
    /// Whatever `finish` returns; removing what is left is the caller's job then.
    pub fn persist<T, E>(self, finish: impl FnOnce(&Path) -> Result<T, E>) -> Result<T, E> {
        let mut registry = lock();
        let result = finish(&self.path);
        registry.paths.remove(&self.id);
        result
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        lock().paths.remove(&self.id);
    }
}

/// Removes every registered temporary (files, and folders with their contents), then runs
/// `then` with how many were removed, the registry still locked so that no temporary can be
/// created or renamed into place afterwards. For a signal handler: `then` ends the process.
pub fn remove_all_then(then: impl FnOnce(usize) -> std::convert::Infallible) -> ! {
    let registry = lock();
    let mut removed = 0;
    // Newest first: files inside a registered folder go before the folder.
    for path in registry.paths.values().rev() {
        let gone = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => remove_folder(path),
            Ok(_) => std::fs::remove_file(path).is_ok(),
            Err(_) => false,
        };
        removed += usize::from(gone);
    }
    match then(removed) {}
}

/// Removes a folder and its contents; another thread may still be creating a file in it, so
/// a folder that is not empty yet is tried again.
fn remove_folder(path: &Path) -> bool {
    for _ in 0..20 {
        match std::fs::remove_dir_all(path) {
            Ok(()) => return true,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return false,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(id: u64) -> bool {
        lock().paths.contains_key(&id)
    }

    #[test]
    fn a_temporary_is_known_until_it_is_persisted_or_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join(".x.tmp");
        std::fs::write(&tmp, "x").unwrap();
        let scratch = Scratch::register(tmp.clone());
        let id = scratch.id;
        assert!(registered(id));
        let target = dir.path().join("x");
        scratch
            .persist(|from| std::fs::rename(from, &target))
            .unwrap();
        assert!(!registered(id), "a persisted temporary is forgotten");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "x");

        let dropped = Scratch::register(dir.path().join(".y.tmp"));
        let id = dropped.id;
        assert!(registered(id));
        drop(dropped);
        assert!(!registered(id), "a dropped temporary is forgotten");
    }
}
