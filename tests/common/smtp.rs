//! A small SMTP server for the email tests (plain SMTP on 127.0.0.1, scripted failures) and
//! a reader for the MIME messages it receives. Included by the email and secrets tests
//! (`tests/it/email.rs`, `tests/it/secrets.rs`).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use base64::Engine as _;

/// What the test server does with one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Takes the message.
    Accept,
    /// 550 to every RCPT TO.
    RefuseRecipients,
    /// 451 to MAIL FROM.
    TryLater,
    /// Closes the connection before the greeting.
    Drop,
}

/// One message the server took.
#[derive(Debug, Clone)]
pub struct Received {
    /// The MAIL FROM address.
    pub mail_from: String,
    /// The RCPT TO addresses, in order.
    pub rcpt_to: Vec<String>,
    /// The user and password of AUTH PLAIN or LOGIN.
    pub login: Option<(String, String)>,
    /// The message, dot-stuffing undone.
    pub data: String,
}

/// Plain SMTP on 127.0.0.1 (no STARTTLS, AUTH PLAIN and LOGIN): connection n follows
/// `plan[n]`, the last answer repeating.
pub struct TestSmtp {
    /// Where it listens.
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<Mutex<usize>>,
}

impl TestSmtp {
    /// Listens on an ephemeral loopback port, answering each connection on a thread of its own.
    pub fn start(plan: &[Answer]) -> TestSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let (plan, r, c) = (plan.to_vec(), received.clone(), connections.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let n = {
                    let mut c = c.lock().unwrap();
                    *c += 1;
                    *c - 1
                };
                let answer = plan[n.min(plan.len() - 1)];
                let r = r.clone();
                std::thread::spawn(move || {
                    let _ = converse(stream, answer, &r);
                });
            }
        });
        TestSmtp {
            addr,
            received,
            connections,
        }
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// The messages taken so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        *self.connections.lock().unwrap()
    }
}

fn converse(
    stream: TcpStream,
    answer: Answer,
    received: &Mutex<Vec<Received>>,
) -> std::io::Result<()> {
    if answer == Answer::Drop {
        return Ok(());
    }
    let mut out = stream.try_clone()?;
    let mut lines = BufReader::new(stream);
    let mut line = String::new();
    let read = |lines: &mut BufReader<TcpStream>, line: &mut String| {
        line.clear();
        lines.read_line(line).map(|n| n > 0)
    };
    let b64 = |s: &str| {
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(s.trim())
                .unwrap(),
        )
        .unwrap()
    };
    out.write_all(b"220 test.local ESMTP ready\r\n")?;
    let mut message = Received {
        mail_from: String::new(),
        rcpt_to: Vec::new(),
        login: None,
        data: String::new(),
    };
    while read(&mut lines, &mut line)? {
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            out.write_all(b"250-test.local\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")?;
        } else if let Some(initial) = upper.strip_prefix("AUTH PLAIN ").map(|_| &command[11..]) {
            let plain = b64(initial);
            let mut fields = plain.split('\0').skip(1);
            message.login = Some((
                fields.next().unwrap_or_default().to_string(),
                fields.next().unwrap_or_default().to_string(),
            ));
            out.write_all(b"235 2.7.0 authenticated\r\n")?;
        } else if upper == "AUTH LOGIN" {
            out.write_all(b"334 VXNlcm5hbWU6\r\n")?;
            read(&mut lines, &mut line)?;
            let user = b64(&line);
            out.write_all(b"334 UGFzc3dvcmQ6\r\n")?;
            read(&mut lines, &mut line)?;
            message.login = Some((user, b64(&line)));
            out.write_all(b"235 2.7.0 authenticated\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            if answer == Answer::TryLater {
                out.write_all(b"451 4.3.0 mailbox busy, try again later\r\n")?;
            } else {
                message.mail_from = address_in(&command);
                out.write_all(b"250 2.1.0 sender ok\r\n")?;
            }
        } else if upper.starts_with("RCPT TO:") {
            if answer == Answer::RefuseRecipients {
                let reply = format!("550 5.1.1 {}: no such user here\r\n", address_in(&command));
                out.write_all(reply.as_bytes())?;
            } else {
                message.rcpt_to.push(address_in(&command));
                out.write_all(b"250 2.1.5 recipient ok\r\n")?;
            }
        } else if upper == "DATA" {
            out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
            let mut data = String::new();
            while read(&mut lines, &mut line)? && line != ".\r\n" {
                // Dot-stuffing undone (RFC 5321 4.5.2).
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            message.data = data;
            received.lock().unwrap().push(message.clone());
            out.write_all(b"250 2.0.0 queued as T1\r\n")?;
        } else if upper == "QUIT" {
            out.write_all(b"221 2.0.0 bye\r\n")?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            out.write_all(b"250 2.0.0 ok\r\n")?;
        } else {
            out.write_all(b"502 5.5.2 command not recognised\r\n")?;
        }
    }
    Ok(())
}

/// `a@x` from `MAIL FROM:<a@x> BODY=8BITMIME`.
fn address_in(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..]
        .find('>')
        .map_or(command.len(), |i| start + i);
    command[start..end].to_string()
}

/// A MIME entity: headers (names lowercased, folded lines joined) and its raw body.
#[derive(Debug)]
pub struct Entity {
    /// Header names lowercased, each value unfolded.
    pub headers: BTreeMap<String, String>,
    /// The body as sent.
    pub body: String,
}

impl Entity {
    /// Reads headers and body; CRLF line ends become LF.
    pub fn parse(raw: &str) -> Entity {
        let raw = raw.replace("\r\n", "\n");
        let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
        let mut headers = BTreeMap::new();
        let mut last: Option<String> = None;
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                let name = last.clone().expect("a continuation follows a header");
                headers
                    .entry(name)
                    .and_modify(|v: &mut String| v.push_str(line));
            } else if let Some((name, value)) = line.split_once(':') {
                let name = name.trim().to_ascii_lowercase();
                headers.insert(name.clone(), value.trim().to_string());
                last = Some(name);
            }
        }
        Entity {
            headers,
            body: body.to_string(),
        }
    }

    /// A header's value, or empty.
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    /// The media type, lowercased, without parameters.
    pub fn media_type(&self) -> String {
        let value = self.header("content-type");
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    }

    /// The parts of a multipart entity.
    pub fn parts(&self) -> Vec<Entity> {
        let value = self.header("content-type");
        let boundary = value
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .expect("a boundary")
            .trim_matches('"');
        let delimiter = format!("--{boundary}");
        let mut parts = Vec::new();
        for (i, chunk) in self.body.split(&delimiter).enumerate() {
            if i == 0 || chunk.starts_with("--") {
                continue; // the preamble, and the epilogue after the close delimiter
            }
            let chunk = chunk.strip_prefix('\n').unwrap_or(chunk);
            let chunk = chunk.strip_suffix('\n').unwrap_or(chunk);
            parts.push(Entity::parse(chunk));
        }
        parts
    }

    /// The body with its transfer encoding undone.
    pub fn decoded(&self) -> Vec<u8> {
        match self
            .header("content-transfer-encoding")
            .to_ascii_lowercase()
            .as_str()
        {
            "base64" => {
                let compact: String = self.body.split_whitespace().collect();
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("valid base64")
            }
            "quoted-printable" => quoted_printable(&self.body),
            _ => self.body.clone().into_bytes(),
        }
    }

    /// The decoded body as UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8(self.decoded()).expect("UTF-8 text")
    }
}

/// RFC 2045 quoted-printable, with `\n` line ends.
fn quoted_printable(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}
