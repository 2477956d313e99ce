//! Reading a snapshot file: a piece at a time, each piece handed to threads of their own that
//! hash it and scan it for the top-level parts (see `scan`) while the next is read.

use std::fs;
use std::io::{Read as _, Seek as _};
use std::path::Path;
use std::sync::mpsc;

use sha2::{Digest, Sha256};

use super::SnapshotError;
use super::scan::{self, Member, TopLevel};

/// A file's bytes as [`read`] gives them.
pub(super) struct Read {
    pub(super) bytes: Vec<u8>,
    /// Their SHA-256, when asked for.
    pub(super) sha256: Option<String>,
    /// Where the top-level members lie, when the scan could tell.
    pub(super) members: Option<Vec<Member>>,
}

/// How much of the file is read before it is handed on to be hashed and scanned.
const PIECE: usize = 4 << 20;

/// Reads the file a piece at a time. While the next piece is read, threads of their own scan
/// each piece for the top-level members and (with `hash`) hash it, so that neither needs a
/// pass of its own over the whole file once it is read.
pub(super) fn read(path: &Path, hash: bool) -> Result<Read, SnapshotError> {
    read_in_pieces(path, hash, PIECE)
}

fn read_in_pieces(path: &Path, hash: bool, piece: usize) -> Result<Read, SnapshotError> {
    let io = |cause| SnapshotError::Io {
        path: path.into(),
        cause,
    };
    let mut file = fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    // A pipe has no length to read up to.
    if !meta.is_file() {
        let mut all = Vec::new();
        file.read_to_end(&mut all).map_err(io)?;
        return Ok(whole(all, hash));
    }
    let mut bytes = vec![0; usize::try_from(meta.len()).unwrap_or(usize::MAX)];
    let (to_scan, pieces_to_scan) = mpsc::channel::<&[u8]>();
    let (to_hash, pieces_to_hash) = mpsc::channel::<&[u8]>();
    let (read, members, sha256) = std::thread::scope(|s| {
        let scanner = s.spawn(move || {
            let mut scan = TopLevel::new();
            for piece in pieces_to_scan {
                scan.feed(piece);
            }
            scan.finish()
        });
        let hasher = hash.then(|| {
            s.spawn(move || {
                let mut sha = Sha256::new();
                for piece in pieces_to_hash {
                    sha.update(piece);
                }
                crate::files::hex(&sha.finalize())
            })
        });
        let read = bytes.chunks_mut(piece).try_for_each(|piece| {
            file.read_exact(piece)?;
            let piece: &[u8] = piece;
            // A thread that is gone has panicked, which `join` reports.
            let _ = to_scan.send(piece);
            if hash {
                let _ = to_hash.send(piece);
            }
            Ok::<_, std::io::Error>(())
        });
        drop((to_scan, to_hash));
        (
            read,
            scanner
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            hasher.map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
        )
    });
    match read {
        // The file may have grown since its length was taken: what it gained is read too.
        Ok(()) => {
            let before = bytes.len();
            file.read_to_end(&mut bytes).map_err(io)?;
            Ok(if bytes.len() == before {
                Read {
                    bytes,
                    sha256,
                    members,
                }
            } else {
                whole(bytes, hash)
            })
        }
        // It shrank: it is read again from the start.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            let mut all = Vec::new();
            file.rewind()
                .and_then(|()| file.read_to_end(&mut all))
                .map_err(io)?;
            Ok(whole(all, hash))
        }
        Err(e) => Err(io(e)),
    }
}

/// A file's bytes, read whole, hashed and scanned at once.
fn whole(bytes: Vec<u8>, hash: bool) -> Read {
    Read {
        sha256: hash.then(|| crate::files::sha256_hex(&bytes)),
        members: scan::members(&bytes),
        bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{load_hashed, save};

    #[test]
    fn a_file_read_in_pieces_is_scanned_and_hashed_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snapshot.json");
        save(&crate::report::sample::hostile().estate.snapshot, &path).unwrap();
        let bytes = fs::read(&path).unwrap();
        for piece in [1, 7, 4096, bytes.len() + 1] {
            let read = read_in_pieces(&path, true, piece).unwrap();
            assert_eq!(read.bytes, bytes);
            assert_eq!(read.members, scan::members(&bytes), "pieces of {piece}");
            assert!(read.members.is_some());
            assert_eq!(read.sha256, Some(crate::files::sha256_hex(&bytes)));
            assert_eq!(read_in_pieces(&path, false, piece).unwrap().sha256, None);
        }
    }

    /// A snapshot given through a pipe (`--snapshot <(zcat q4.json.gz)`), which has no length.
    #[cfg(unix)]
    #[test]
    fn a_snapshot_is_read_from_a_pipe() {
        let dir = tempfile::tempdir().unwrap();
        let saved = dir.path().join("snapshot.json");
        let snapshot = crate::report::sample::hostile().estate.snapshot;
        save(&snapshot, &saved).unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !matches!(made, Ok(s) if s.success()) {
            eprintln!("skipped: mkfifo is not available here");
            return;
        }
        let bytes = fs::read(&saved).unwrap();
        let writer = {
            let (fifo, bytes) = (fifo.clone(), bytes.clone());
            std::thread::spawn(move || fs::write(fifo, bytes).unwrap())
        };
        let loaded = load_hashed(&fifo).unwrap();
        writer.join().unwrap();
        assert_eq!(loaded.snapshot, snapshot);
        assert_eq!(loaded.sha256, crate::files::sha256_hex(&bytes));
    }
}
