//! `report --email-to`: the email settings from the flags and the environment (the SMTP login
//! from `ATLAS_AUDIT_SMTP_USER` and `ATLAS_AUDIT_SMTP_PASSWORD` only), checked before anything
//! is collected; then, once the report is written, the message sent or saved, and one line
//! that says so.

use std::path::Path;

use anyhow::{Result, bail};
use lettre::Address;
use lettre::message::Mailbox;
use secrecy::SecretString;

use super::env_first;
use crate::cli::EmailArgs;
use crate::deliver::{self, EmailSettings, Login, Report, Retry, Route, SmtpServer};
use crate::report::{Format, Written};
use crate::rules::Findings;

/// The SMTP user name (and, when it is an address, the default sender).
pub const ENV_SMTP_USER: &str = "ATLAS_AUDIT_SMTP_USER";
/// The SMTP password.
pub const ENV_SMTP_PASSWORD: &str = "ATLAS_AUDIT_SMTP_PASSWORD";
/// The sender, when `--email-from` is not given.
pub const ENV_EMAIL_FROM: &str = "ATLAS_AUDIT_EMAIL_FROM";

/// The email settings, or `None` without `--email-to`.
///
/// # Errors
/// Every problem found, each naming the flag or variable to fix: html missing from
/// `--format`, no `--smtp-url` or a bad one, half a login, no sender.
pub(super) fn settings(args: &EmailArgs, formats: &[Format]) -> Result<Option<EmailSettings>> {
    if args.email_to.is_empty() {
        return Ok(None);
    }
    let mut problems = Vec::new();
    if !formats.contains(&Format::Html) {
        let listed: Vec<&str> = formats.iter().map(|f| f.as_str()).collect();
        problems.push(format!(
            "--email-to sends email.html and email.txt, which the html format writes; add html to --format (e.g. --format {},html)",
            listed.join(",")
        ));
    }
    let server = match args.smtp_url.as_deref().map(SmtpServer::parse) {
        Some(Ok(server)) => Some(server),
        Some(Err(problem)) => {
            problems.push(problem);
            None
        }
        None if args.email_dry_run => None,
        None => {
            problems.push(
                "--email-to needs --smtp-url (smtps://HOST:465 or smtp://HOST:587), or --email-dry-run to write the message to email.eml without sending it".into(),
            );
            None
        }
    };
    let user = env_first(&[ENV_SMTP_USER]);
    let login = match (user.clone(), env_first(&[ENV_SMTP_PASSWORD])) {
        (Some(user), Some(password)) => Some(Login {
            user,
            password: SecretString::from(password),
        }),
        (None, None) => None,
        (Some(_), None) => {
            problems.push(format!(
                "{ENV_SMTP_USER} is set but {ENV_SMTP_PASSWORD} is not: set both to log in to the mail server, or neither for a server that takes mail without a login"
            ));
            None
        }
        (None, Some(_)) => {
            problems.push(format!(
                "{ENV_SMTP_PASSWORD} is set but {ENV_SMTP_USER} is not: set both to log in to the mail server, or neither for a server that takes mail without a login"
            ));
            None
        }
    };
    // The flag, else the variable (named when its value is not an address), else the SMTP
    // user when it is an address.
    let from = match (&args.email_from, env_first(&[ENV_EMAIL_FROM]), &user) {
        (Some(from), _, _) => Some(from.clone()),
        (None, Some(value), _) => match deliver::parse_mailbox(&value) {
            Ok(mailbox) => Some(mailbox),
            Err(e) => {
                problems.push(format!(
                    "{ENV_EMAIL_FROM}={value:?}: {e}, or unset it and pass --email-from ADDR"
                ));
                None
            }
        },
        (None, None, Some(user)) => match user.trim().parse::<Address>() {
            Ok(address) => Some(Mailbox::new(None, address)),
            Err(_) => {
                problems.push(format!(
                    "no sender: {ENV_SMTP_USER} is not an email address; pass --email-from ADDR (or set {ENV_EMAIL_FROM})"
                ));
                None
            }
        },
        (None, None, None) => {
            problems.push(format!(
                "no sender: pass --email-from ADDR (or set {ENV_EMAIL_FROM}, or {ENV_SMTP_USER} to an email address)"
            ));
            None
        }
    };
    let route = match (server, args.email_dry_run) {
        (_, true) => Some(Route::DryRun),
        (Some(server), false) => Some(Route::Smtp {
            server,
            login,
            retry: Retry::default(),
        }),
        // The missing or bad --smtp-url is among the problems.
        (None, false) => None,
    };
    let (Some(from), Some(route), true) = (from, route, problems.is_empty()) else {
        match problems.as_slice() {
            [one] => bail!("{one}"),
            many => bail!(
                "the email settings have {} problems:\n  - {}",
                many.len(),
                many.join("\n  - ")
            ),
        }
    };
    Ok(Some(EmailSettings {
        to: args.email_to.clone(),
        from,
        attach_limit: args.attach_limit,
        route,
    }))
}

/// Sends (or saves) the email for a written report and prints one line about it, unless
/// `quiet`.
///
/// # Errors
/// The message was not sent: the server's answer, and where the report files are (they stay).
pub(super) async fn send(
    settings: &EmailSettings,
    dir: &Path,
    written: &[Written],
    findings: &Findings,
    quiet: bool,
) -> Result<()> {
    let report = Report {
        dir,
        written,
        findings,
    };
    match deliver::deliver(settings, &report).await {
        Ok(delivery) => {
            if !quiet {
                println!("{}", delivery.line());
            }
            Ok(())
        }
        Err(e @ deliver::DeliverError::NotSent { .. }) => bail!(
            "{e}; the report files are kept in {}/: check --email-to, --smtp-url and the SMTP login against the answer, then run the report again",
            dir.display()
        ),
        Err(e) => bail!(
            "{}; the report files are kept in {}/",
            crate::model::with_causes(&e),
            dir.display()
        ),
    }
}
