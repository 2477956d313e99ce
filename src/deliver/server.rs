//! The mail server named by `--smtp-url`, and the rule for how the connection is protected:
//! `smtps://` is TLS from the first byte, `smtp://` must upgrade with STARTTLS, and plain SMTP
//! is allowed only to a loopback host, as plain `http://` is for the Atlas base URL.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

/// The port for `smtps://` when the URL names none (RFC 8314 submission over TLS).
pub const SMTPS_PORT: u16 = 465;
/// The port for `smtp://` when the URL names none (RFC 6409 message submission).
pub const SUBMISSION_PORT: u16 = 587;

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtps://`: TLS from the first byte.
    ImplicitTls,
    /// `smtp://` to any host but loopback: the server must offer STARTTLS, or nothing is sent.
    StartTls,
    /// `smtp://` to 127.0.0.1, ::1 or localhost: plain SMTP, for a relay on this machine.
    Plain,
}

/// A mail server to send through: no user name or password, which come from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpServer {
    /// Host name or IP address (an IPv6 address without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// TLS from the start, STARTTLS, or plain (loopback only).
    pub security: Security,
}

impl SmtpServer {
    /// Parses `--smtp-url`. The messages never repeat a URL that holds a password.
    ///
    /// # Errors
    /// A sentence starting with `--smtp-url` that says what is wrong and what to write.
    pub fn parse(raw: &str) -> Result<SmtpServer, String> {
        const FORMS: &str = "write smtps://HOST:465 (TLS) or smtp://HOST:587 (STARTTLS)";
        let raw = raw.trim();
        let url = Url::parse(raw).map_err(|e| {
            format!(
                "--smtp-url: {:?} is not a URL ({e}); {FORMS}",
                redacted(raw)
            )
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "--smtp-url: the URL holds a user name or password; take them out and set ATLAS_AUDIT_SMTP_USER and ATLAS_AUDIT_SMTP_PASSWORD instead".into(),
            );
        }
        let secure = match url.scheme() {
            "smtps" => true,
            "smtp" => false,
            other => {
                return Err(format!(
                    "--smtp-url: {raw:?} has the scheme {other:?}, not smtps or smtp; {FORMS}"
                ));
            }
        };
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "--smtp-url: {raw:?} has more than a scheme, host and port; {FORMS}"
            ));
        }
        // The URL parser leaves an IPv4 address as a name in a scheme it does not know.
        let (host, loopback) = match url.host() {
            Some(Host::Domain(d)) if !d.is_empty() => (
                d.to_string(),
                d.eq_ignore_ascii_case("localhost")
                    || d.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()),
            ),
            Some(Host::Ipv4(ip)) => (ip.to_string(), IpAddr::V4(ip).is_loopback()),
            Some(Host::Ipv6(ip)) => (ip.to_string(), IpAddr::V6(ip).is_loopback()),
            _ => return Err(format!("--smtp-url: {raw:?} names no host; {FORMS}")),
        };
        let security = match (secure, loopback) {
            (true, _) => Security::ImplicitTls,
            (false, false) => Security::StartTls,
            (false, true) => Security::Plain,
        };
        let port = url
            .port()
            .unwrap_or(if secure { SMTPS_PORT } else { SUBMISSION_PORT });
        Ok(SmtpServer {
            host,
            port,
            security,
        })
    }
}

impl fmt::Display for SmtpServer {
    /// The server as a URL, for messages: `smtps://mail.example.com:465`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.security {
            Security::ImplicitTls => "smtps",
            Security::StartTls | Security::Plain => "smtp",
        };
        if self.host.contains(':') {
            write!(f, "{scheme}://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{scheme}://{}:{}", self.host, self.port)
        }
    }
}

/// `raw`, or a placeholder when it may hold a password (an `@` before the host), so that a
/// message about a URL that did not parse cannot show one.
fn redacted(raw: &str) -> &str {
    if raw.contains('@') {
        "(the URL, not shown: it may hold a password)"
    } else {
        raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(raw: &str) -> SmtpServer {
        SmtpServer::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"))
    }

    #[test]
    fn smtps_is_tls_from_the_start_on_465_by_default() {
        let s = server("smtps://mail.example.com");
        assert_eq!(s.security, Security::ImplicitTls);
        assert_eq!((s.host.as_str(), s.port), ("mail.example.com", 465));
        assert_eq!(server("smtps://mail.example.com:2465").port, 2465);
        assert_eq!(
            server("smtps://127.0.0.1:465").security,
            Security::ImplicitTls
        );
    }

    #[test]
    fn smtp_to_a_host_that_is_not_loopback_must_use_starttls() {
        for raw in [
            "smtp://mail.example.com",
            "smtp://mail.example.com:587",
            "smtp://mail.example.com:25",
            "smtp://10.0.0.5:2525",
            "smtp://[2001:db8::1]:587",
            "smtp://localhost.example.com",
        ] {
            assert_eq!(server(raw).security, Security::StartTls, "{raw}");
        }
        assert_eq!(server("smtp://mail.example.com").port, 587);
    }

    #[test]
    fn plain_smtp_only_to_loopback() {
        for raw in [
            "smtp://127.0.0.1:2525",
            "smtp://127.0.0.2",
            "smtp://localhost:25",
            "smtp://LOCALHOST",
            "smtp://[::1]:2525",
        ] {
            assert_eq!(server(raw).security, Security::Plain, "{raw}");
        }
        let v6 = server("smtp://[::1]:2525");
        assert_eq!(v6.host, "::1", "connectable without brackets");
        assert_eq!(v6.to_string(), "smtp://[::1]:2525");
    }

    #[test]
    fn other_schemes_and_extra_parts_are_refused_naming_the_flag() {
        for raw in [
            "ftp://x",
            "https://mail.example.com",
            "mail.example.com:587",
            "smtp://mail.example.com/inbox",
            "smtp://mail.example.com?tls=opportunistic",
            "smtp://",
            "not a url",
        ] {
            let err = SmtpServer::parse(raw).unwrap_err();
            assert!(err.starts_with("--smtp-url: "), "{raw}: {err}");
            assert!(err.contains("smtps://HOST:465"), "{raw}: {err}");
        }
        assert!(
            SmtpServer::parse("ftp://x")
                .unwrap_err()
                .contains("\"ftp://x\"")
        );
    }

    #[test]
    fn a_password_in_the_url_is_refused_without_being_repeated() {
        for raw in [
            "smtps://me:hunter2-SECRET@mail.example.com",
            "smtps://me@mail.example.com",
            "smtps://me:hunter2-SECRET@mail example.com",
        ] {
            let err = SmtpServer::parse(raw).unwrap_err();
            assert!(!err.contains("hunter2-SECRET"), "{err}");
            assert!(err.starts_with("--smtp-url: "), "{err}");
        }
        assert!(
            SmtpServer::parse("smtps://me:pw@mail.example.com")
                .unwrap_err()
                .contains("ATLAS_AUDIT_SMTP_PASSWORD")
        );
    }
}
