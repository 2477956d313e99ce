//! `completions SHELL`: a script for every shell clap_complete knows, naming the subcommands.

use crate::common::atlas_audit_command;

#[test]
fn every_shell_gets_a_script_that_names_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = atlas_audit_command()
            .args(["completions", shell])
            .output()
            .expect("the binary runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{shell}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stderr.is_empty(), "{shell}: nothing on stderr");
        let script = String::from_utf8(out.stdout).expect("UTF-8");
        assert!(script.len() > 500, "{shell}: {} bytes", script.len());
        for subcommand in ["collect", "report", "diff", "serve-mock", "completions"] {
            assert!(
                script.contains(subcommand),
                "{shell} script lacks {subcommand}"
            );
        }
        // Fish writes `-l profile`, the others `--profile`.
        for flag in ["profile", "fail-on", "baseline"] {
            assert!(script.contains(flag), "{shell} script lacks {flag}");
        }
    }
}

#[test]
fn an_unknown_shell_names_the_known_ones() {
    let out = atlas_audit_command()
        .args(["completions", "tcsh"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bash") && err.contains("powershell"), "{err}");
}
