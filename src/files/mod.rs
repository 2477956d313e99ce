//! The files a run writes, whatever their content: each one atomically ([`AtomicFile`]), every
//! temporary known so that an interrupted run removes it ([`scratch`]), and the SHA-256 digests
//! the manifest and the history store record. Below everything that writes files
//! (`model` saving a snapshot, `report`, `deliver`, `store`, `app`), it imports nothing from
//! the crate.

mod atomic;
pub mod scratch;

use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

pub use atomic::{AtomicFile, write_atomic};

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

/// SHA-256 of bytes, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes);
    s
}

/// Appends the lowercase hex digits of `bytes` to `out` (for ids made of a prefix and a
/// digest, without a string for the digits alone).
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_lowercase_hex_of_the_whole_file() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), "00ab7f");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
