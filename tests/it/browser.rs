//! The pages in a real browser: the demo's `report.html` and `email.html`, opened from disk by
//! headless Chromium (offline, with a throwaway profile), must paint a page that is not blank
//! and, once the report's script has run, hold the expected headings and counts. The
//! screenshots are kept in `target/browser-screenshots/` for a person to look at. Without
//! Chromium on PATH the test says so and passes; `.ci/run` installs it.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::common::*;
use atlas_audit::rules::Findings;

/// Longest a single Chromium run may take.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(120);

/// Flags that keep Chromium headless, offline and free of background services.
const OFFLINE_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,CertificateTransparencyComponentUpdater",
    "--metrics-recording-only",
    "--no-pings",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
];

/// `chromium` or `chromium-browser` on PATH.
fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// One Chromium run with a fresh profile and home; returns stdout. Panics on failure or
/// timeout, with Chromium's stderr.
fn chromium(exe: &Path, args: &[String]) -> String {
    let profile = tempfile::tempdir().expect("a profile folder");
    let mut child = Command::new(exe)
        .args(OFFLINE_FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .env("HOME", profile.path())
        .env("XDG_CONFIG_HOME", profile.path())
        .env("XDG_CACHE_HOME", profile.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let read = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = read(Box::new(child.stderr.take().expect("piped stderr")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("chromium can be waited for") {
            break Some(status);
        }
        if started.elapsed() > CHROMIUM_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(50));
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    match status {
        Some(s) if s.success() => out,
        Some(s) => panic!("chromium {args:?} exited with {s}: {err}"),
        None => panic!("chromium {args:?} took longer than {CHROMIUM_TIMEOUT:?}: {err}"),
    }
}

fn url(path: &Path) -> String {
    url::Url::from_file_path(path)
        .expect("an absolute path")
        .to_string()
}

/// Screenshots `page` at `width`×2000 into `file` and checks the picture.
fn screenshot(exe: &Path, page: &Path, width: u32, extra: &[&str], file: &Path) {
    let _ = std::fs::remove_file(file);
    let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
    args.push(format!("--window-size={width},2000"));
    args.push(format!("--screenshot={}", file.display()));
    args.push(url(page));
    chromium(exe, &args);
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert_painted(&bytes, width, &file.display().to_string());
}

/// The PNG is `width` wide and shows a page: many distinct colours, no colour covering nearly
/// all of it, and a good share of pixels that are not white.
fn assert_painted(bytes: &[u8], width: u32, name: &str) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a sane size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!(info.width, width, "{name}");
    let samples = info.color_type.samples();
    let mut colours: HashMap<[u8; 3], usize> = HashMap::new();
    let mut pixels = 0;
    for px in buf[..info.buffer_size()].chunks_exact(samples) {
        let rgb = match samples {
            1 | 2 => [px[0]; 3],
            _ => [px[0], px[1], px[2]],
        };
        *colours.entry(rgb).or_default() += 1;
        pixels += 1;
    }
    let white = colours.get(&[255, 255, 255]).copied().unwrap_or(0);
    let commonest = colours.values().copied().max().unwrap_or(0);
    assert!(
        colours.len() >= 200,
        "{name}: only {} colours",
        colours.len()
    );
    assert!(
        commonest * 100 < pixels * 90,
        "{name}: one colour covers {commonest} of {pixels} pixels"
    );
    assert!(
        (pixels - white) * 100 > pixels * 5,
        "{name}: {white} of {pixels} pixels are white"
    );
}

/// The page's DOM after load, its script run.
fn dump_dom(exe: &Path, page: &Path) -> String {
    chromium(
        exe,
        &[
            "--virtual-time-budget=3000".to_string(),
            "--dump-dom".to_string(),
            url(page),
        ],
    )
}

fn assert_holds(dom: &str, page: &str, expected: &[&str]) {
    for text in expected {
        assert!(
            dom.contains(text),
            "{page} as the browser sees it lacks {text:?}"
        );
    }
}

/// The demo report (`--format html,json`) in a temporary folder; returns it and its findings.
fn demo_report() -> (tempfile::TempDir, Findings) {
    let (dir, _) = report_in_temp(&demo_snapshot(), &["--format", "html,json"]);
    let json = std::fs::read(dir.path().join("out/findings.json")).expect("findings.json");
    let findings = serde_json::from_slice(&json).expect("findings.json parses");
    (dir, findings)
}

/// `target/browser-screenshots/`, created.
fn screenshots_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the tmp folder lies in target/")
        .to_path_buf();
    let dir = target.join("browser-screenshots");
    std::fs::create_dir_all(&dir).expect("the screenshot folder");
    dir
}

#[test]
fn the_report_and_the_email_render_in_headless_chromium() {
    let Some(exe) = find_chromium() else {
        eprintln!(
            "SKIPPED the_report_and_the_email_render_in_headless_chromium: neither `chromium` nor \
             `chromium-browser` is on PATH (Debian: apt-get install chromium; .ci/run does)"
        );
        return;
    };
    let (dir, findings) = demo_report();
    let out = dir.path().join("out");
    let shots = screenshots_dir();
    for name in ["report.html", "email.html", "email.txt"] {
        std::fs::copy(out.join(name), shots.join(name)).expect("a copy beside the screenshots");
    }
    let report = out.join("report.html");
    let email = out.join("email.html");

    screenshot(&exe, &report, 1280, &[], &shots.join("report.png"));
    screenshot(&exe, &email, 1280, &[], &shots.join("email.png"));
    screenshot(&exe, &email, 420, &[], &shots.join("email-narrow.png"));
    // Chromium's own darkening of a light page, as mail apps with forced dark mode do.
    let forced_dark = ["--enable-features=WebContentsForceDark"];
    screenshot(
        &exe,
        &email,
        420,
        &forced_dark,
        &shots.join("email-dark.png"),
    );

    let total = findings.findings.len();
    let dom = dump_dom(&exe, &report);
    assert_holds(
        &dom,
        "report.html",
        &[
            "data-js=\"on\"",
            "<h1>Atlas access review</h1>",
            "<dt>Collected by</dt>",
            "lacked the role Atlas requires",
            "Coverage: complete",
            "Findings by rule",
            "Principals needing action",
            "Federation (single sign-on)",
            "northwind-atlas-dba",
            "Cloud provider access",
            "LDAP and X.509",
            "Not evaluated",
            "Coverage gaps",
            "Exemption warnings",
            &format!("<strong>{total}</strong> findings"),
            &format!("{total} of {total} shown"),
            "ORG_MFA_NOT_REQUIRED",
            "DBUSER_ORPHANED",
            "dana.whitfield",
        ],
    );
    assert!(
        !dom.contains("id=\"filters\" hidden"),
        "the script shows the filter bar"
    );
    for f in &findings.findings {
        assert!(dom.contains(&f.id), "report.html lacks {}", f.id);
    }

    let dom = dump_dom(&exe, &email);
    assert_holds(
        &dom,
        "email.html",
        &[
            "Atlas access review",
            "Collected by:",
            "Coverage: complete.",
            "Findings by severity",
            "Findings by rule",
            "most severe open findings",
            "access-review.xlsx",
            "report.html",
            "HIGH",
            "MEDIUM",
            "LOW",
        ],
    );
    assert!(!dom.contains("<script") && !dom.contains("<svg"));
    eprintln!("screenshots in {}", shots.display());
}
