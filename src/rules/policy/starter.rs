//! The commented starter policy that `atlas-audit init` writes.

/// The starter policy text: every key with its default, commented.
pub fn starter() -> String {
    String::new()
}
