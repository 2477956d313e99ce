//! The `atlas-audit` binary: parse the command line, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

/// Loading a snapshot and rendering a report make millions of small allocations; mimalloc
/// serves them faster than the system allocator and returns memory to the system sooner.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // The allocator asks for transparent huge pages, and the kernel then zeroes (and may
    // compact memory for) 2 MiB at every first touch of a fresh region. On the xl benchmark
    // that tripled system time and doubled the snapshot load; ordinary pages cost neither.
    // Refusal (an old kernel) changes only speed.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let cli = atlas_audit::cli::Cli::parse();
    atlas_audit::app::init_logging(cli.verbose, cli.quiet);
    match atlas_audit::app::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", atlas_audit::app::error_text(&err));
            ExitCode::from(atlas_audit::app::EXIT_ERROR)
        }
    }
}
