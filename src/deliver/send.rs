//! Sending through SMTP with lettre over rustls (the crypto provider reqwest already uses):
//! a fresh connection for each attempt, another attempt after a transient failure (the
//! connection failed or dropped, or a 4xx reply), none after a permanent one (a 5xx reply,
//! TLS, or a server without what we require).

use std::error::Error as _;
use std::time::Duration;

use lettre::message::Message;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;

use super::server::{Security, SmtpServer};
use super::{DeliverError, Login};

/// How long one SMTP command may wait for its answer.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// How often to try, and how long to wait between tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The wait after the first failure; each later wait doubles it.
    pub first_wait: Duration,
}

impl Default for Retry {
    /// Three attempts, 1 s and then 2 s apart.
    fn default() -> Self {
        Retry {
            attempts: 3,
            first_wait: Duration::from_secs(1),
        }
    }
}

/// Sends `message` to `server`, logging in when `login` is given. Returns the attempts made.
///
/// # Errors
/// [`DeliverError::Tls`] when TLS cannot be set up, [`DeliverError::NotSent`] with the
/// server's last answer when no attempt succeeded.
pub async fn send(
    server: &SmtpServer,
    login: Option<&Login>,
    message: &Message,
    retry: Retry,
) -> Result<u32, DeliverError> {
    let transport = transport(server, login)?;
    let bytes = message.formatted();
    let mut wait = retry.first_wait;
    let mut attempt = 1;
    loop {
        match transport.send_raw(message.envelope(), &bytes).await {
            Ok(_) => return Ok(attempt),
            Err(error) => {
                let answer = answer(&error);
                if attempt >= retry.attempts || !transient(&error) {
                    return Err(DeliverError::NotSent {
                        answer,
                        server: server.to_string(),
                        attempts: attempt,
                    });
                }
                tracing::warn!(
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    "email not sent yet ({answer}); trying again"
                );
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
                attempt += 1;
            }
        }
    }
}

/// A transport to `server`: TLS from the start, STARTTLS required, or plain (loopback only,
/// which [`SmtpServer::parse`] has checked).
fn transport(
    server: &SmtpServer,
    login: Option<&Login>,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, DeliverError> {
    let tls = || {
        TlsParameters::new(server.host.clone()).map_err(|e| DeliverError::Tls {
            server: server.to_string(),
            detail: e.to_string(),
        })
    };
    let tls = match server.security {
        Security::ImplicitTls => Tls::Wrapper(tls()?),
        Security::StartTls => Tls::Required(tls()?),
        Security::Plain => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(server.host.clone())
        .port(server.port)
        .tls(tls)
        .timeout(Some(COMMAND_TIMEOUT));
    if let Some(login) = login {
        builder = builder.credentials(Credentials::new(
            login.user.clone(),
            login.password.expose_secret().to_string(),
        ));
    }
    Ok(builder.build())
}

/// Whether another attempt may succeed: a 4xx reply, or a connection that failed, timed out
/// or closed mid-conversation. A 5xx reply, a TLS failure and a client-side refusal (no
/// STARTTLS offered, no login method in common) would fail again the same way.
fn transient(error: &lettre::transport::smtp::Error) -> bool {
    error.is_transient() || !(error.is_permanent() || error.is_client() || error.is_tls())
}

/// The server's answer with its code (`550 5.1.1 no such user`), or what went wrong on the
/// way to one.
fn answer(error: &lettre::transport::smtp::Error) -> String {
    match (error.status(), error.source()) {
        (Some(code), Some(text)) => format!("{code} {text}"),
        (Some(code), None) => code.to_string(),
        (None, _) if error.is_response() => {
            format!("the server closed the connection or answered out of turn ({error})")
        }
        (None, _) => error.to_string(),
    }
}
