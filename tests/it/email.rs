//! Emailing a report end to end, against a small SMTP server of the test's own on 127.0.0.1:
//! what arrives (envelope, headers, both alternatives, the workbook), a refusal and transient
//! failures (exit codes, retries, every report file kept), the attachment limit, the dry run,
//! and bad settings refused before anything is written.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;
use crate::smtp::{Answer, Entity, TestSmtp};
use atlas_audit::deliver::{self, DeliverError, Retry, Security, SmtpServer};

const SMTP_USER: &str = "audit@example.test";
/// Recognisable, so a test can search every output for it.
const SMTP_PASSWORD: &str = "smtp-PASSWORD-7d41-SENTINEL";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Runs `report` over the demo snapshot in a new folder (reports in `out/`), with `extra`
/// arguments and `env` variables.
fn report(extra: &[&str], env: &[(&str, &str)]) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().expect("a folder");
    atlas_audit::model::save(&demo_snapshot(), &dir.path().join("snapshot.json")).unwrap();
    let output = atlas_audit_command()
        .args(["report", "--snapshot", "snapshot.json", "--out", "out"])
        .args(extra)
        .envs(env.iter().copied())
        .current_dir(dir.path())
        .output()
        .expect("the binary runs");
    (dir, output)
}

/// `report` sending to alice from review@ through `smtp`, with `extra` arguments.
fn report_to(smtp: &TestSmtp, extra: &[&str], env: &[(&str, &str)]) -> (tempfile::TempDir, Output) {
    let url = smtp.url();
    let mut args = vec![
        "--email-to",
        "alice@example.test",
        "--email-from",
        "review@example.test",
        "--smtp-url",
        &url,
    ];
    args.extend_from_slice(extra);
    report(&args, env)
}

const LOGIN: &[(&str, &str)] = &[
    ("ATLAS_AUDIT_SMTP_USER", SMTP_USER),
    ("ATLAS_AUDIT_SMTP_PASSWORD", SMTP_PASSWORD),
];

/// The subject the findings call for, counted from findings.json.
fn expected_subject(out: &Path) -> String {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("findings.json")).unwrap()).unwrap();
    let findings = json["findings"].as_array().unwrap();
    let open = |severity: Option<&str>| {
        findings
            .iter()
            .filter(|f| f["status"] == "open")
            .filter(|f| severity.is_none_or(|s| f["severity"] == s))
            .count()
    };
    let as_of = json["as_of"].as_str().unwrap();
    format!(
        "Atlas access review: {} open findings ({} critical, {} high) as of {}",
        open(None),
        open(Some("critical")),
        open(Some("high")),
        &as_of[..10]
    )
}

fn assert_no_password(output: &Output) {
    for stream in [&output.stdout, &output.stderr] {
        assert!(!text(stream).contains(SMTP_PASSWORD), "{}", text(stream));
    }
}

#[test]
fn the_report_arrives_with_both_alternatives_and_the_workbook_attached() {
    let smtp = TestSmtp::start(&[Answer::Accept]);
    let url = smtp.url();
    let mut env = LOGIN.to_vec();
    env.push((
        "ATLAS_AUDIT_EMAIL_FROM",
        "Access Review <review@example.test>",
    ));
    // At the most detailed log level, so that the password is looked for in every log line.
    let (dir, output) = report(
        &[
            "-vvv",
            "--email-to",
            "alice@example.test,bob@example.test",
            "--smtp-url",
            &url,
        ],
        &env,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_no_password(&output);
    let out = dir.path().join("out");
    let workbook = std::fs::read(out.join("access-review.xlsx")).unwrap();
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "email sent to alice@example.test, bob@example.test (attachment: access-review.xlsx, {} bytes)\n",
            workbook.len()
        )),
        "{stdout}"
    );

    let received = smtp.received();
    assert_eq!(received.len(), 1, "one message");
    let m = &received[0];
    assert_eq!(m.mail_from, "review@example.test");
    assert_eq!(m.rcpt_to, ["alice@example.test", "bob@example.test"]);
    assert_eq!(
        m.login,
        Some((SMTP_USER.to_string(), SMTP_PASSWORD.to_string()))
    );
    let message = Entity::parse(&m.data);
    assert_eq!(
        message.header("from"),
        "\"Access Review\" <review@example.test>"
    );
    assert_eq!(message.header("to"), "alice@example.test, bob@example.test");
    assert_eq!(message.header("subject"), expected_subject(&out));
    assert_eq!(message.media_type(), "multipart/mixed");
    let parts = message.parts();
    assert_eq!(parts.len(), 2, "the body and the workbook");
    assert_eq!(parts[0].media_type(), "multipart/alternative");
    let alternatives = parts[0].parts();
    let types: Vec<String> = alternatives.iter().map(Entity::media_type).collect();
    assert_eq!(types, ["text/plain", "text/html"]);
    assert_eq!(
        alternatives[0].text(),
        std::fs::read_to_string(out.join("email.txt")).unwrap()
    );
    assert_eq!(
        alternatives[1].text(),
        std::fs::read_to_string(out.join("email.html")).unwrap()
    );
    let attachment = &parts[1];
    assert_eq!(attachment.media_type(), XLSX);
    assert!(
        attachment
            .header("content-disposition")
            .contains("filename=\"access-review.xlsx\""),
        "{:?}",
        attachment.headers
    );
    let bytes = attachment.decoded();
    assert!(bytes.starts_with(b"PK"), "a ZIP file");
    assert!(
        bytes == workbook,
        "the attachment is the workbook, byte for byte"
    );
}

#[test]
fn a_refused_message_exits_2_with_the_servers_answer_and_keeps_every_report_file() {
    let smtp = TestSmtp::start(&[Answer::RefuseRecipients]);
    let (dir, output) = report(
        &[
            "--email-to",
            "nobody@example.test",
            "--email-from",
            "review@example.test",
            "--smtp-url",
            &smtp.url(),
        ],
        LOGIN,
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stdout));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("error: email not sent: 550 5.1.1 nobody@example.test: no such user here"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the report files are kept in out/"),
        "{stderr}"
    );
    assert_no_password(&output);
    assert_eq!(smtp.connections(), 1, "a permanent refusal is not retried");
    assert!(smtp.received().is_empty());
    let out = dir.path().join("out");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(files.len(), 10, "every format's files are in the manifest");
    for f in files {
        let name = f["name"].as_str().unwrap();
        assert!(out.join(name).is_file(), "{name} kept");
    }
    assert!(!out.join("email.eml").exists());
}

/// Runs a report whose server fails the first connection with `first`, then takes the message.
fn sends_after(first: Answer) {
    let smtp = TestSmtp::start(&[first, Answer::Accept]);
    let (_dir, output) = report_to(&smtp, &[], &[]);
    // The demo snapshot's coverage is complete, so a sent email leaves exit 0.
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(smtp.connections(), 2, "one retry");
    let received = smtp.received();
    assert_eq!(received.len(), 1, "the message arrives once");
    assert_eq!(received[0].login, None, "no login without the variables");
    assert!(
        text(&output.stdout).contains("email sent to alice@example.test (attachment: "),
        "{}",
        text(&output.stdout)
    );
}

#[test]
fn a_dropped_connection_is_retried_and_the_message_arrives_once() {
    sends_after(Answer::Drop);
}

#[test]
fn a_4xx_answer_is_retried_and_the_message_arrives_once() {
    sends_after(Answer::TryLater);
}

#[test]
fn three_transient_failures_give_up_with_exit_2() {
    let smtp = TestSmtp::start(&[Answer::TryLater]);
    let (dir, output) = report_to(&smtp, &["-q"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(smtp.connections(), 3);
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("error: email not sent: 451 4.3.0 mailbox busy, try again later"),
        "{stderr}"
    );
    assert!(stderr.contains("attempts: 3"), "{stderr}");
    assert!(dir.path().join("out/manifest.json").is_file());
}

#[test]
fn over_the_attach_limit_the_workbook_stays_behind_and_the_bodies_name_the_folder() {
    let smtp = TestSmtp::start(&[Answer::Accept]);
    // No --email-from: the SMTP user, an address, is the sender.
    let (dir, output) = report(
        &[
            "--email-to",
            "alice@example.test",
            "--smtp-url",
            &smtp.url(),
            "--attach-limit",
            "1KB",
        ],
        LOGIN,
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let out = dir.path().join("out");
    let size = std::fs::metadata(out.join("access-review.xlsx"))
        .unwrap()
        .len();
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "email sent to alice@example.test (no attachment: access-review.xlsx is {size} bytes, over --attach-limit of 1024 bytes)"
        )),
        "{stdout}"
    );
    let received = smtp.received();
    let message = Entity::parse(&received[0].data);
    assert_eq!(received[0].mail_from, SMTP_USER);
    assert_eq!(message.header("from"), SMTP_USER);
    assert_eq!(
        message.media_type(),
        "multipart/alternative",
        "nothing attached"
    );
    assert!(!received[0].data.contains(XLSX));
    let alternatives = message.parts();
    let folder = out.display().to_string();
    let plain = alternatives[0].text();
    assert!(
        plain.ends_with(&format!("is too large to attach. It is in {folder}.\n")),
        "{plain}"
    );
    assert!(
        plain.contains("The workbook access-review.xlsx ("),
        "{plain}"
    );
    let html = alternatives[1].text();
    let note = html
        .find(&format!("It is in {folder}.</p>"))
        .expect("the note");
    assert!(note < html.rfind("</body>").unwrap(), "inside the body");
}

#[test]
fn a_dry_run_writes_email_eml_and_sends_nothing() {
    let smtp = TestSmtp::start(&[Answer::Accept]);
    let (dir, output) = report_to(&smtp, &["--email-dry-run"], LOGIN);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(smtp.connections(), 0, "nothing sent");
    let out = dir.path().join("out");
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(
            "email for alice@example.test written to out/email.eml and not sent (--email-dry-run) (attachment: access-review.xlsx, "
        ),
        "{stdout}"
    );
    let eml = std::fs::read_to_string(out.join("email.eml")).unwrap();
    assert!(!eml.contains(SMTP_PASSWORD));
    let message = Entity::parse(&eml);
    assert_eq!(message.header("to"), "alice@example.test");
    assert_eq!(message.header("subject"), expected_subject(&out));
    assert_eq!(message.media_type(), "multipart/mixed");
    let parts = message.parts();
    let types: Vec<String> = parts[0].parts().iter().map(Entity::media_type).collect();
    assert_eq!(types, ["text/plain", "text/html"]);
    assert_eq!(parts[1].media_type(), XLSX);
    assert!(
        parts[1].decoded() == std::fs::read(out.join("access-review.xlsx")).unwrap(),
        "the workbook, byte for byte"
    );
    let leftovers: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Arguments, variables, and what the error must name.
type BadCase<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a [&'a str]);

#[test]
fn bad_settings_are_refused_naming_the_flag_before_anything_is_written() {
    let cases: &[BadCase] = &[
        (
            &["--email-to", "not-an-address", "--email-dry-run"],
            &[("ATLAS_AUDIT_EMAIL_FROM", "review@example.test")],
            &["--email-to", "not-an-address"],
        ),
        (
            &["--email-to", "a@example.test", "--smtp-url", "ftp://x"],
            &[("ATLAS_AUDIT_EMAIL_FROM", "review@example.test")],
            &["--smtp-url", "\"ftp://x\""],
        ),
        (
            &[
                "--email-to",
                "a@example.test",
                "--email-from",
                "review@",
                "--email-dry-run",
            ],
            &[],
            &["--email-from", "review@"],
        ),
        (
            &["--email-to", "a@example.test", "--email-dry-run"],
            &[],
            &["--email-from"],
        ),
        (
            &["--email-to", "a@example.test", "--email-dry-run"],
            &[
                ("ATLAS_AUDIT_SMTP_USER", "audit-bot"),
                ("ATLAS_AUDIT_SMTP_PASSWORD", SMTP_PASSWORD),
            ],
            &[
                "--email-from",
                "ATLAS_AUDIT_SMTP_USER is not an email address",
            ],
        ),
        (
            &[
                "--email-to",
                "a@example.test",
                "--email-dry-run",
                "--format",
                "csv,xlsx",
            ],
            &[("ATLAS_AUDIT_EMAIL_FROM", "review@example.test")],
            &["--format", "html"],
        ),
        (
            &["--email-to", "a@example.test"],
            &[("ATLAS_AUDIT_EMAIL_FROM", "review@example.test")],
            &["--smtp-url"],
        ),
        (
            &[
                "--email-to",
                "a@example.test",
                "--smtp-url",
                "smtps://audit:smtp-PASSWORD-7d41-SENTINEL@mail.example.test",
            ],
            &[("ATLAS_AUDIT_EMAIL_FROM", "review@example.test")],
            &["--smtp-url", "ATLAS_AUDIT_SMTP_PASSWORD"],
        ),
        (
            &["--smtp-url", "smtps://mail.example.test"],
            &[],
            &["--email-to"],
        ),
        (
            &["--email-to", "a@example.test", "--attach-limit", "ten"],
            &[],
            &["--attach-limit", "ten"],
        ),
    ];
    for (args, env, named) in cases {
        let (dir, output) = report(args, env);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        for n in *named {
            assert!(stderr.contains(n), "{args:?} should name {n}: {stderr}");
        }
        assert_no_password(&output);
        assert!(
            !dir.path().join("out").exists(),
            "{args:?}: nothing written"
        );
    }
}

#[tokio::test]
async fn starttls_required_is_not_sent_in_the_clear_to_a_server_without_it() {
    let smtp = TestSmtp::start(&[Answer::Accept]);
    // `smtp://` to a host that is not loopback requires STARTTLS; the test server is on
    // loopback, so the rule is applied by hand here.
    let server = SmtpServer {
        host: "127.0.0.1".into(),
        port: smtp.addr.port(),
        security: Security::StartTls,
    };
    let message = deliver::build(deliver::Parts {
        from: &"review@example.test".parse().unwrap(),
        to: &["alice@example.test".parse().unwrap()],
        subject: "S".into(),
        text: "plain".into(),
        html: "<p>html</p>".into(),
        workbook: None,
    })
    .unwrap();
    let retry = Retry {
        attempts: 3,
        first_wait: std::time::Duration::from_millis(10),
    };
    let err = deliver::send(&server, None, &message, retry)
        .await
        .unwrap_err();
    let DeliverError::NotSent {
        answer, attempts, ..
    } = &err
    else {
        panic!("{err}");
    };
    assert!(answer.contains("STARTTLS"), "{answer}");
    assert_eq!(*attempts, 1, "a server without STARTTLS will not grow it");
    assert!(smtp.received().is_empty(), "nothing sent in the clear");
}
