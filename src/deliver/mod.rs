//! Email delivery of a written report (`report --email-to`): the settings, checked before
//! anything is collected; the message built from the files the report wrote (`email.txt` and
//! `email.html` as alternatives, the workbook attached when it is small enough); and its
//! sending over SMTP with retries, or its saving as `email.eml` for a dry run. Delivery never
//! changes or removes a report file: a message that cannot be sent leaves the report in place.

mod message;
mod send;
mod server;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use lettre::message::Mailbox;
use secrecy::SecretString;

pub use message::{
    Parts, WORKBOOK, Workbook, XLSX_CONTENT_TYPE, build, html_body, subject, text_body,
};
pub use send::{Retry, send};
pub use server::{SMTPS_PORT, SUBMISSION_PORT, Security, SmtpServer};

use crate::report::Written;
use crate::rules::Findings;

/// The file a dry run writes in the report folder.
pub const DRY_RUN_FILE: &str = "email.eml";
/// The report files the message is made of.
pub const BODY_FILES: [&str; 2] = ["email.txt", "email.html"];
/// `--attach-limit` when not given: 10 MB.
pub const DEFAULT_ATTACH_LIMIT: u64 = 10 * 1024 * 1024;

/// Why a report could not be emailed.
#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    /// A report file the message needs could not be read.
    #[error("cannot read {} for the email", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// `email.eml` could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// lettre refused the message (a header it cannot encode). Its text, not its error: lettre's
    /// errors tell their own cause and also return it as their source, so a chain would tell
    /// it twice.
    #[error("the email could not be built: {0}")]
    Message(String),
    /// TLS could not be set up (no usable certificate store, for one).
    #[error("cannot set up TLS for {server}: {detail}")]
    Tls {
        /// The server, as a URL without credentials.
        server: String,
        /// lettre's message, which tells rustls's (as [`DeliverError::Message`], not a source).
        detail: String,
    },
    /// Every attempt failed, or one failed for good.
    #[error("email not sent: {answer} ({server}, attempts: {attempts})")]
    NotSent {
        /// The server's last answer with its code, or what failed on the way.
        answer: String,
        /// The server, as a URL without credentials.
        server: String,
        /// Attempts made.
        attempts: u32,
    },
}

/// The SMTP login, from `ATLAS_AUDIT_SMTP_USER` and `ATLAS_AUDIT_SMTP_PASSWORD`. Its `Debug`
/// shows the user only.
#[derive(Debug, Clone)]
pub struct Login {
    /// The user name.
    pub user: String,
    /// The password, shown by no `Debug`, log or message.
    pub password: SecretString,
}

/// Everything needed to email a report, checked before anything is collected.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// The recipients.
    pub to: Vec<Mailbox>,
    /// The sender.
    pub from: Mailbox,
    /// Largest workbook attached, in bytes; 0 never attaches it.
    pub attach_limit: u64,
    /// Sent through a server, or saved as `email.eml`.
    pub route: Route,
}

/// Where the message goes.
#[derive(Debug, Clone)]
pub enum Route {
    /// Through this mail server.
    Smtp {
        /// The server.
        server: SmtpServer,
        /// The login, when the server wants one.
        login: Option<Login>,
        /// Attempts and waits.
        retry: Retry,
    },
    /// Into `email.eml` in the report folder (`--email-dry-run`).
    DryRun,
}

/// The written report the message is made from.
pub struct Report<'a> {
    /// The report folder.
    pub dir: &'a Path,
    /// The files the run wrote.
    pub written: &'a [Written],
    /// The findings, for the subject.
    pub findings: &'a Findings,
}

/// What became of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server took it.
    Sent {
        /// Attempts it took.
        attempts: u32,
    },
    /// A dry run saved it here.
    Saved {
        /// The `email.eml` file.
        path: PathBuf,
    },
}

/// A message sent or saved.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The recipients.
    pub to: Vec<Mailbox>,
    /// Whether the workbook went with it.
    pub workbook: Workbook,
    /// Sent or saved.
    pub outcome: Outcome,
}

impl Delivery {
    /// The one line printed afterwards: `email sent to a@x, b@y (attachment: …)`.
    pub fn line(&self) -> String {
        let mut to = String::new();
        for (i, m) in self.to.iter().enumerate() {
            let _ = write!(to, "{}{}", if i == 0 { "" } else { ", " }, m.email);
        }
        let workbook = self.workbook.summary();
        match &self.outcome {
            Outcome::Sent { .. } => format!("email sent to {to} ({workbook})"),
            Outcome::Saved { path } => format!(
                "email for {to} written to {} and not sent (--email-dry-run) ({workbook})",
                path.display()
            ),
        }
    }
}

/// Builds the message from the report's files and sends it, or saves it as `email.eml` in
/// the report folder for a dry run.
///
/// # Errors
/// A report file cannot be read, `email.eml` cannot be written, or the message is not sent.
pub async fn deliver(
    settings: &EmailSettings,
    report: &Report<'_>,
) -> Result<Delivery, DeliverError> {
    let (message, workbook) = compose(settings, report)?;
    let outcome = match &settings.route {
        Route::Smtp {
            server,
            login,
            retry,
        } => Outcome::Sent {
            attempts: send(server, login.as_ref(), &message, *retry).await?,
        },
        Route::DryRun => {
            let path = report.dir.join(DRY_RUN_FILE);
            let bytes = message.formatted();
            crate::files::write_atomic(&path, |out| out.write_all(&bytes)).map_err(|source| {
                DeliverError::Write {
                    path: path.clone(),
                    source,
                }
            })?;
            Outcome::Saved { path }
        }
    };
    Ok(Delivery {
        to: settings.to.clone(),
        workbook,
        outcome,
    })
}

/// The message for a written report, and whether the workbook is in it. A workbook this run
/// did not write is never attached, even when an older one is in the folder.
///
/// # Errors
/// A report file cannot be read, or lettre refuses the message.
pub fn compose(
    settings: &EmailSettings,
    report: &Report<'_>,
) -> Result<(lettre::Message, Workbook), DeliverError> {
    let read = |name: &str| {
        let path = report.dir.join(name);
        std::fs::read(&path).map_err(|source| DeliverError::Read { path, source })
    };
    let text_of = |name: &str| read(name).map(|b| String::from_utf8_lossy(&b).into_owned());
    let [text_file, html_file] = BODY_FILES;
    let (text, html) = (text_of(text_file)?, text_of(html_file)?);
    let written = report
        .written
        .iter()
        .find(|w| w.name == WORKBOOK)
        .map(|w| w.bytes);
    let workbook = Workbook::decide(written, settings.attach_limit);
    // Recipients read the path on another machine: a relative one would tell them nothing.
    let dir = std::path::absolute(report.dir).unwrap_or_else(|_| report.dir.to_path_buf());
    let note = workbook.note(&dir);
    let attachment = match workbook {
        Workbook::Attached { .. } => Some(read(WORKBOOK)?),
        _ => None,
    };
    let message = build(Parts {
        from: &settings.from,
        to: &settings.to,
        subject: subject(report.findings),
        text: text_body(&text, note.as_deref()),
        html: html_body(&html, note.as_deref()),
        workbook: attachment,
    })?;
    Ok((message, workbook))
}

/// Parses an address for `--email-to` or `--email-from`: `name@example.com` or
/// `Name <name@example.com>`.
///
/// # Errors
/// A sentence saying what to write (clap adds the flag and the value).
pub fn parse_mailbox(s: &str) -> Result<Mailbox, String> {
    s.trim()
        .parse::<Mailbox>()
        .map_err(|e| format!("not an email address ({e}); write name@example.com"))
}

/// Parses `--attach-limit`: a whole number with B, KB, MB or GB (1 KB = 1024 bytes; KiB, MiB
/// and GiB mean the same), or without a unit for bytes; `0` never attaches.
///
/// # Errors
/// A sentence naming the accepted forms.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let forms = "write a whole number and a unit, e.g. 10MB, 512KB or 0 (never attach)";
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a size; {forms}"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("{s:?}: unknown unit {other:?}; {forms}")),
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("{s:?} is too large; {forms}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MB"), Ok(DEFAULT_ATTACH_LIMIT));
        assert_eq!(parse_size("512KB"), Ok(512 * 1024));
        assert_eq!(parse_size("512 kib"), Ok(512 * 1024));
        assert_eq!(parse_size("1KB"), Ok(1024));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("1500"), Ok(1500));
        assert_eq!(parse_size("0"), Ok(0));
        assert!(parse_size("1.5MB").unwrap_err().contains("e.g. 10MB"));
        assert!(parse_size("MB").unwrap_err().contains("not a size"));
        assert!(
            parse_size("10XB")
                .unwrap_err()
                .contains("unknown unit \"xb\"")
        );
        assert!(
            parse_size("99999999999GB")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn mailboxes() {
        assert_eq!(
            parse_mailbox(" a@example.com ").unwrap().email.to_string(),
            "a@example.com"
        );
        let named = parse_mailbox("Security Team <sec@example.com>").unwrap();
        assert_eq!(named.name.as_deref(), Some("Security Team"));
        for bad in [
            "not-an-address",
            "",
            "a@",
            "@example.com",
            "a b@example.com",
        ] {
            assert!(
                parse_mailbox(bad)
                    .unwrap_err()
                    .contains("not an email address"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_settings_debug_shows_the_user_but_never_the_password() {
        let settings = EmailSettings {
            to: vec![parse_mailbox("a@example.com").unwrap()],
            from: parse_mailbox("audit@example.com").unwrap(),
            attach_limit: DEFAULT_ATTACH_LIMIT,
            route: Route::Smtp {
                server: SmtpServer::parse("smtps://mail.example.com").unwrap(),
                login: Some(Login {
                    user: "audit@example.com".into(),
                    password: SecretString::from("smtp-PASSWORD-3f9a-SENTINEL".to_string()),
                }),
                retry: Retry::default(),
            },
        };
        for shown in [format!("{settings:?}"), format!("{settings:#?}")] {
            assert!(!shown.contains("smtp-PASSWORD-3f9a-SENTINEL"), "{shown}");
            assert!(shown.contains("audit@example.com"), "{shown}");
            assert!(shown.contains("mail.example.com"), "{shown}");
        }
    }

    #[test]
    fn the_line_names_the_addresses_and_the_attachment() {
        let delivery = Delivery {
            to: vec![
                parse_mailbox("A <a@x.example>").unwrap(),
                parse_mailbox("b@y.example").unwrap(),
            ],
            workbook: Workbook::Attached { bytes: 4242 },
            outcome: Outcome::Sent { attempts: 1 },
        };
        assert_eq!(
            delivery.line(),
            "email sent to a@x.example, b@y.example (attachment: access-review.xlsx, 4242 bytes)"
        );
        let saved = Delivery {
            workbook: Workbook::AttachmentsOff,
            outcome: Outcome::Saved {
                path: PathBuf::from("out/email.eml"),
            },
            ..delivery
        };
        assert_eq!(
            saved.line(),
            "email for a@x.example, b@y.example written to out/email.eml and not sent (--email-dry-run) (no attachment: --attach-limit is 0)"
        );
    }
}
