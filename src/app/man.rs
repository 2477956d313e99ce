//! `man`: the manual pages, generated from the same definitions as `--help`, so they never
//! drift from the flags. One page for the tool and one per command, as `git` and `cargo` ship
//! theirs.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;

use super::EXIT_OK;
use crate::cli::Cli;

/// The pages: (file name, roff text). The tool's own page first, then one per command, named
/// `atlas-audit-<command>.1`.
pub fn pages() -> Result<Vec<(String, Vec<u8>)>> {
    let command = Cli::command();
    let mut pages = vec![("atlas-audit.1".to_string(), render(command.clone())?)];
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("atlas-audit-{}", sub.get_name());
        // The page's title and synopsis name the command as it is typed.
        let sub = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("atlas-audit {}", sub.get_name()));
        pages.push((format!("{name}.1"), render(sub)?));
    }
    Ok(pages)
}

fn render(command: clap::Command) -> Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .context("rendering a manual page")?;
    Ok(page)
}

/// Prints the tool's page, or writes every page into `out`.
///
/// # Errors
/// When stdout or the folder cannot be written.
pub fn run(out: Option<&Path>, quiet: bool) -> Result<ExitCode> {
    let pages = pages()?;
    match out {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&pages[0].1)
                .and_then(|()| stdout.flush())
                .context("writing the manual page to stdout")?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("--out {}: cannot create the folder", dir.display()))?;
            for (name, page) in &pages {
                let path = dir.join(name);
                crate::files::write_atomic(&path, |w| w.write_all(page))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if !quiet {
                println!("{} manual pages written to {}", pages.len(), dir.display());
            }
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}
