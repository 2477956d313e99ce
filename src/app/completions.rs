//! `completions SHELL`: the shell completion script for the whole command line, generated from
//! the same definitions `--help` comes from, so it never drifts from the flags.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use super::EXIT_OK;
use crate::cli::Cli;

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "atlas-audit", &mut script);
    script
}

/// Prints the completion script for `shell` on stdout.
///
/// # Errors
/// When stdout cannot be written (a closed pipe, a full disk).
pub fn print(shell: Shell) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    out.write_all(&script(shell))
        .and_then(|()| out.flush())
        .with_context(|| format!("writing the {shell} completion script to stdout"))?;
    Ok(ExitCode::from(EXIT_OK))
}
