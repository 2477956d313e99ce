//! Stopping on SIGINT or SIGTERM. The commands that write files listen for them; on one,
//! every temporary file and folder still in flight is removed (outputs reach their final
//! names only by rename, see [`crate::files::scratch`]), one line on stderr says what was left,
//! and the process exits with 128 + the signal's number: 130 or 143. SIGHUP keeps its
//! default, so that `nohup` still works.

use std::sync::Mutex;

use anyhow::{Context, Result};

use crate::files::scratch;

/// What an interruption leaves, said in the line printed when one comes; `None` means nothing
/// was written.
static LEFT: Mutex<Option<String>> = Mutex::new(None);

/// Records what an interruption from now on leaves behind, e.g. "q4/ is as it was".
pub(super) fn leaves(what: String) {
    *LEFT.lock().unwrap_or_else(|e| e.into_inner()) = Some(what);
}

/// Starts listening for the signals (inside the runtime); from here on they stop the run
/// cleanly instead of killing it mid-write.
///
/// # Errors
/// The signal handlers cannot be installed.
pub(super) fn listen() -> Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        tokio::spawn(async move {
            let (name, code) = tokio::select! {
                _ = interrupt.recv() => ("SIGINT", 130),
                _ = terminate.recv() => ("SIGTERM", 143),
            };
            stop(name, code)
        });
    }
    #[cfg(not(unix))]
    {
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop("Ctrl-C", 130)
            }
        });
    }
    Ok(())
}

/// Removes the temporaries, says so in one line, and ends the process.
fn stop(name: &str, code: i32) -> ! {
    scratch::remove_all_then(|removed| {
        let left = LEFT
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(|| "nothing was written".into());
        let removed = match removed {
            0 => String::new(),
            1 => " (1 temporary file or folder removed)".into(),
            n => format!(" ({n} temporary files or folders removed)"),
        };
        // A terminal shows ^C where the cursor was: the line starts on a line of its own.
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            eprintln!();
        }
        eprintln!(
            "interrupted by {name}: {left}, and no partly written file is left{removed}; run the command again to finish"
        );
        std::process::exit(code)
    })
}
