//! The scheduled-run examples under `examples/` hold only commands the CLI accepts: every
//! `atlas-audit` invocation in the GitHub Actions workflow, the systemd service and the cron
//! line is parsed by the real command line, and each `--flag` it uses appears in that command's
//! `--help`. The workflow is read with a YAML parser, the units with `systemd-analyze verify`
//! where it exists, and the Dockerfile is checked for what the README promises of it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::Parser;

use crate::common::{atlas_audit_command, text};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(examples().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A value for each placeholder the examples use, so the command line parses as it will
/// where the secrets and variables are set.
fn substitute(word: &str) -> String {
    let mut out = word.to_string();
    while let Some(start) = out.find("${{") {
        let end = out[start..]
            .find("}}")
            .map(|e| start + e + 2)
            .expect("closed ${{ }}");
        let expr = &out[start..end];
        let value = if expr.contains("EMAIL_TO") {
            "reviewers@example.com, audit@example.com"
        } else if expr.contains("SMTP_URL") {
            "smtps://smtp.example.com:465"
        } else {
            "placeholder"
        };
        out.replace_range(start..end, value);
    }
    out.replace("$STORE", "atlas-audit.db")
}

/// Every `atlas-audit` invocation in a shell text: its words after the program, with line
/// continuations joined. The program is a word in command position (first, or after a shell
/// operator) whose file name is `atlas-audit`; an operator ends its words.
fn invocations(script: &str) -> Vec<Vec<String>> {
    const OPERATORS: [&str; 4] = ["&&", "||", ";", "|"];
    let joined = script.replace("\\\n", " ");
    let mut found = Vec::new();
    for line in joined.lines() {
        let Some(words) = shlex::split(line) else {
            panic!("not shell words: {line}");
        };
        let mut command_position = true;
        let mut current: Option<Vec<String>> = None;
        for word in words {
            if OPERATORS.contains(&word.as_str()) {
                found.extend(current.take());
                command_position = true;
                continue;
            }
            match &mut current {
                Some(args) => args.push(substitute(&word)),
                None if command_position && Path::new(&word).ends_with("atlas-audit") => {
                    current = Some(Vec::new());
                }
                None => {}
            }
            command_position = false;
        }
        found.extend(current);
    }
    found
}

/// The command line parses as the tool parses it, and each long flag shows in the help of the
/// command it is given to.
fn check(source: &str, args: &[String]) {
    let argv = std::iter::once("atlas-audit".to_string()).chain(args.iter().cloned());
    if let Err(e) = atlas_audit::cli::Cli::try_parse_from(argv) {
        panic!(
            "{source}: `atlas-audit {}` does not parse:\n{e}",
            args.join(" ")
        );
    }
    let command = args
        .iter()
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| panic!("{source}: no command in {args:?}"));
    let help = atlas_audit_command()
        .args([command.as_str(), "--help"])
        .output()
        .unwrap();
    assert_eq!(help.status.code(), Some(0), "{}", text(&help.stderr));
    let help = text(&help.stdout);
    for flag in args.iter().filter(|a| a.starts_with("--")) {
        let flag = flag.split('=').next().unwrap_or(flag);
        assert!(
            help.contains(flag),
            "{source}: `atlas-audit {command} --help` does not show {flag}"
        );
    }
}

fn yaml(path: &str) -> serde_json::Value {
    serde_yaml_ng::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_workflow_runs_the_weekly_collection_and_the_quarterly_review_with_real_flags() {
    let wf = yaml("github-actions/atlas-audit.yml");
    let crons: Vec<&str> = wf["on"]["schedule"]
        .as_array()
        .expect("on.schedule")
        .iter()
        .map(|s| s["cron"].as_str().expect("a cron"))
        .collect();
    assert_eq!(crons.len(), 2, "{crons:?}");
    for cron in &crons {
        assert_eq!(cron.split_whitespace().count(), 5, "{cron}");
    }
    // Credentials only from secrets, never written in the file.
    for var in ["MONGODB_ATLAS_CLIENT_ID", "MONGODB_ATLAS_CLIENT_SECRET"] {
        let value = wf["env"][var].as_str().unwrap_or_default();
        assert!(value.contains("secrets."), "{var} = {value:?}");
    }
    let jobs = wf["jobs"].as_object().expect("jobs");
    let mut commands = BTreeSet::new();
    for (name, job) in jobs {
        let condition = job["if"].as_str().unwrap_or_default();
        assert!(
            crons.iter().any(|c| condition.contains(c)),
            "{name} runs on one of the schedules: {condition}"
        );
        let steps = job["steps"].as_array().expect("steps");
        let runs: Vec<(&str, Vec<Vec<String>>)> = steps
            .iter()
            .filter_map(|s| s["run"].as_str())
            .map(|r| (r, invocations(r)))
            .collect();
        for (_, calls) in &runs {
            for args in calls {
                check(&format!("workflow job {name}"), args);
                commands.insert(args[0].clone());
            }
        }
        let uses = |prefix: &str| {
            steps
                .iter()
                .filter(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(prefix)))
                .collect::<Vec<_>>()
        };
        // The store comes back before the run and is kept after it, even when it fails.
        let restored = uses("actions/cache/restore@");
        let saved = uses("actions/cache/save@");
        assert_eq!(restored.len(), 1, "{name} restores the store");
        assert_eq!(saved.len(), 1, "{name} saves the store");
        assert_eq!(saved[0]["if"], "always()", "{name} saves the store always");
        assert_eq!(restored[0]["with"]["path"], saved[0]["with"]["path"]);
        let all: Vec<&Vec<String>> = runs.iter().flat_map(|(_, c)| c).collect();
        assert!(
            all.iter().any(|a| a.contains(&"--store".to_string())),
            "{name} uses the store"
        );
        if name == "quarterly-review" {
            let report = all
                .iter()
                .find(|a| a[0] == "report")
                .expect("the quarterly job writes the report");
            let at = report
                .iter()
                .position(|a| a == "--fail-on")
                .expect("--fail-on");
            assert_eq!(report[at + 1], "high");
            assert!(report.contains(&"--email-to".to_string()), "{report:?}");
            let upload = uses("actions/upload-artifact@");
            assert_eq!(upload.len(), 1);
            assert_eq!(upload[0]["if"], "always()");
            let out = &report[report.iter().position(|a| a == "--out").unwrap() + 1];
            let paths = upload[0]["with"]["path"].as_str().unwrap();
            assert!(
                paths.contains(out.as_str()),
                "the report folder {out} is uploaded"
            );
        }
    }
    assert_eq!(
        commands,
        BTreeSet::from(["collect".to_string(), "report".to_string()])
    );
}

fn unit_value<'u>(unit: &'u str, key: &str) -> Vec<&'u str> {
    unit.lines()
        .filter_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .collect()
}

#[test]
fn the_systemd_units_and_the_cron_line_run_a_collection_the_cli_accepts() {
    let service = read("systemd/atlas-audit-collect.service");
    let timer = read("systemd/atlas-audit-collect.timer");
    let exec = unit_value(&service, "ExecStart");
    assert_eq!(exec.len(), 1);
    let calls = invocations(exec[0]);
    assert_eq!(calls.len(), 1);
    check("the systemd service", &calls[0]);
    assert_eq!(calls[0][0], "collect");
    assert!(calls[0].contains(&"--store".to_string()));
    assert_eq!(unit_value(&service, "SuccessExitStatus"), ["3"]);
    assert_eq!(unit_value(&timer, "Persistent"), ["true"]);
    assert_eq!(unit_value(&timer, "WantedBy"), ["timers.target"]);

    let cron = read("cron/atlas-audit");
    let entries: Vec<&str> = cron
        .lines()
        .filter(|l| !l.starts_with('#') && !l.contains('=') && !l.trim().is_empty())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let fields: Vec<&str> = entries[0].splitn(7, ' ').collect();
    assert_eq!(
        fields.len(),
        7,
        "five times, a user, a command: {}",
        entries[0]
    );
    // The same weekday and time as the timer: Monday 05:00.
    assert_eq!(fields[..5], ["0", "5", "*", "*", "1"]);
    let calls = invocations(fields[6]);
    assert_eq!(calls.len(), 1, "{calls:?}");
    check("the cron line", &calls[0]);
    let collect: Vec<&String> = calls[0].iter().filter(|a| !a.starts_with("--q")).collect();
    assert_eq!(collect[0], "collect");

    let Ok(analyze) = which("systemd-analyze") else {
        println!("skipped systemd-analyze verify: systemd-analyze is not installed here");
        return;
    };
    // The units as installed, with the binary where this build put it.
    let dir = tempfile::tempdir().unwrap();
    let binary = env!("CARGO_BIN_EXE_atlas-audit");
    std::fs::write(
        dir.path().join("atlas-audit-collect.service"),
        service
            .replace("/usr/local/bin/atlas-audit", binary)
            .replace(
                "/etc/atlas-audit/credentials.env",
                "-/nonexistent/credentials.env",
            ),
    )
    .unwrap();
    std::fs::write(dir.path().join("atlas-audit-collect.timer"), &timer).unwrap();
    // The service's Documentation= names a page `man` writes: verify finds it where `man`
    // is installed, with the pages this build generates on MANPATH.
    let mut verify = std::process::Command::new(analyze);
    verify.arg("verify");
    if which("man").is_ok() {
        let pages = dir.path().join("man");
        let made = atlas_audit_command()
            .args(["man", "--out"])
            .arg(pages.join("man1"))
            .output()
            .unwrap();
        assert_eq!(made.status.code(), Some(0), "{}", text(&made.stderr));
        verify.env("MANPATH", &pages);
    } else {
        println!("`man` is not installed: systemd-analyze verify skips the Documentation= page");
        verify.arg("--man=no");
    }
    let out = verify
        .arg(dir.path().join("atlas-audit-collect.service"))
        .arg(dir.path().join("atlas-audit-collect.timer"))
        .env("SYSTEMD_LOG_LEVEL", "warning")
        .output()
        .unwrap();
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    // Only complaints about these two files count: the host's own units are not ours.
    let ours: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("atlas-audit-collect"))
        .collect();
    assert!(
        out.status.success() && ours.is_empty(),
        "systemd-analyze verify: {said}"
    );
}

fn which(program: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .ok_or(())
}

#[test]
fn the_dockerfile_builds_with_the_pinned_toolchain_and_runs_slim_as_a_user() {
    let docker = read("docker/Dockerfile");
    let instructions: Vec<(String, String)> = docker
        .replace("\\\n", " ")
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (op, rest) = l.trim().split_once(' ').unwrap_or((l.trim(), ""));
            (op.to_ascii_uppercase(), rest.trim().to_string())
        })
        .collect();
    let froms: Vec<&String> = instructions
        .iter()
        .filter(|(op, _)| op == "FROM")
        .map(|(_, r)| r)
        .collect();
    assert_eq!(froms.len(), 2, "a build stage and a run stage: {froms:?}");
    let toolchain =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rust-toolchain.toml"))
            .unwrap();
    let channel = toolchain
        .lines()
        .find_map(|l| l.strip_prefix("channel = "))
        .map(|c| c.trim_matches('"'))
        .expect("a pinned channel");
    assert!(
        froms[0].starts_with(&format!("rust:{channel}")),
        "the build uses the pinned toolchain {channel}: {}",
        froms[0]
    );
    assert!(froms[1].contains("slim"), "{}", froms[1]);
    // After the run stage begins: CA certificates, the binary from the build, a user that is
    // not root, and the tool as the entry point.
    let run_stage = instructions
        .iter()
        .skip_while(|(op, r)| !(op == "FROM" && r == froms[1]))
        .collect::<Vec<_>>();
    let has = |op: &str, needle: &str| run_stage.iter().any(|(o, r)| o == op && r.contains(needle));
    assert!(has("RUN", "ca-certificates"));
    assert!(has("COPY", "--from=build") && has("COPY", "atlas-audit"));
    let user = run_stage
        .iter()
        .rev()
        .find(|(o, _)| o == "USER")
        .map(|(_, r)| r.as_str())
        .expect("a USER");
    assert!(!["root", "0", "0:0"].contains(&user), "runs as {user}");
    let entry = run_stage
        .iter()
        .find(|(o, _)| o == "ENTRYPOINT")
        .map(|(_, r)| r.as_str())
        .expect("an ENTRYPOINT");
    let entry: Vec<String> = serde_json::from_str(entry).expect("exec form");
    assert_eq!(entry, ["atlas-audit"]);
    assert!(
        instructions
            .iter()
            .any(|(o, r)| o == "RUN" && r.contains("cargo build --release --locked")),
        "built from the lock file"
    );
    // The note on volumes names the folder the image works in.
    let note = read("docker/README.md");
    assert!(note.contains("/data") && note.contains("--store"), "{note}");
    assert!(has("WORKDIR", "/data"));
}
