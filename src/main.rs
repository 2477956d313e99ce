//! The `atlas-audit` binary: parse the command line, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = atlas_audit::cli::Cli::parse();
    atlas_audit::app::init_logging(cli.verbose, cli.quiet);
    match atlas_audit::app::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(atlas_audit::app::EXIT_ERROR)
        }
    }
}
