//! Secrets never leave the process: collections with an API key and with a service account,
//! then a report that collects live, records to the evidence store and emails through an SMTP
//! server that asks for a login, all at `-vvv`. Every file written, the store (its stored
//! snapshots inflated), the message the server received, stdout and stderr are searched for each
//! secret, in clear and in the base64 forms the protocols carry them in.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;
use crate::smtp::{Answer, TestSmtp};
use base64::Engine as _;
use secrecy::SecretString;

const CLIENT_ID: &str = "mdb_sa_id_0123456789abcdef01234567";
const CLIENT_SECRET: &str = "mdb_sa_sk_SECRETS-SUITE-CLIENT-7f3e";
const SMTP_USER: &str = "review-mailer";
const SMTP_PASSWORD: &str = "smtp-SECRETS-SUITE-PASSWORD-91c2";

/// Each secret, and the encodings it travels in: HTTP Basic for the token request, SMTP AUTH
/// PLAIN and LOGIN.
fn needles() -> Vec<(String, String)> {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let mut list = Vec::new();
    for (name, secret) in [
        ("private key", PRIVATE_KEY),
        ("client secret", CLIENT_SECRET),
        ("SMTP password", SMTP_PASSWORD),
    ] {
        list.push((name.to_string(), secret.to_string()));
        list.push((format!("{name} in base64"), b64(secret)));
    }
    list.push((
        "client credentials in base64".into(),
        b64(&format!("{CLIENT_ID}:{CLIENT_SECRET}")),
    ));
    list.push((
        "SMTP AUTH PLAIN".into(),
        b64(&format!("\0{SMTP_USER}\0{SMTP_PASSWORD}")),
    ));
    // A distinctive middle part, in case a secret were cut or quoted.
    for part in ["SECRETS-SUITE", "SENTINEL"] {
        list.push((format!("part `{part}`"), part.to_string()));
    }
    list
}

async fn run(args: Vec<String>, env: Vec<(String, String)>, dir: PathBuf) -> Output {
    run_binary(args, env, Some(dir)).await
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn env(server: &atlas_audit::mock::MockServer, pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = vec![("MONGODB_ATLAS_BASE_URL".to_string(), server.base_url())];
    env.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    env
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Every snapshot the store keeps, inflated.
fn stored_snapshots(db: &Path) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare("SELECT data FROM snapshots").unwrap();
    stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|blob| {
            let mut json = Vec::new();
            flate2::read::DeflateDecoder::new(blob.unwrap().as_slice())
                .read_to_end(&mut json)
                .unwrap();
            json
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_any_output_the_store_the_mail_or_the_logs() {
    let config = mock_config()
        .with_service_account(CLIENT_ID, SecretString::from(CLIENT_SECRET.to_string()));
    let server = start(demo_world(), config).await;
    let smtp = TestSmtp::start(&[Answer::Accept]);
    let dir = tempfile::tempdir().unwrap();
    let key = [
        ("MONGODB_ATLAS_PUBLIC_API_KEY", PUBLIC_KEY),
        ("MONGODB_ATLAS_PRIVATE_API_KEY", PRIVATE_KEY),
    ];
    let account = [
        ("MONGODB_ATLAS_CLIENT_ID", CLIENT_ID),
        ("MONGODB_ATLAS_CLIENT_SECRET", CLIENT_SECRET),
    ];
    let mail = [
        ("ATLAS_AUDIT_SMTP_USER", SMTP_USER),
        ("ATLAS_AUDIT_SMTP_PASSWORD", SMTP_PASSWORD),
    ];
    let email = [
        "--email-to",
        "reviewers@example.test",
        "--email-from",
        "atlas-audit@example.test",
        "--smtp-url",
        &smtp.url(),
    ];
    let mut runs: Vec<(&str, Output)> = Vec::new();
    let collect = strings(&[
        "-vvv",
        "collect",
        "--out",
        "key.json",
        "--store",
        "evidence.db",
    ]);
    runs.push((
        "collect with an API key",
        run(collect, env(&server, &key), dir.path().into()).await,
    ));
    let collect = strings(&[
        "-vvv",
        "collect",
        "--out",
        "account.json",
        "--store",
        "evidence.db",
    ]);
    runs.push((
        "collect with a service account",
        run(collect, env(&server, &account), dir.path().into()).await,
    ));
    let mut report = strings(&["-vvv", "report", "--out", "live", "--store", "evidence.db"]);
    report.extend(strings(&email));
    let mut report_env = env(&server, &account);
    report_env.extend(env(&server, &mail));
    runs.push((
        "report collecting live, emailed",
        run(report, report_env, dir.path().into()).await,
    ));
    let mut report = strings(&[
        "-vvv",
        "report",
        "--snapshot",
        "key.json",
        "--out",
        "saved",
        "--store",
        "evidence.db",
        "--email-dry-run",
    ]);
    report.extend(strings(&email));
    runs.push((
        "report on a saved snapshot, dry run",
        run(report, env(&server, &mail), dir.path().into()).await,
    ));
    server.shutdown().await;

    for (what, out) in &runs {
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let least = if what.contains("saved") { 500 } else { 10_000 };
        assert!(
            out.stderr.len() > least,
            "{what}: -vvv logs the run ({} bytes)",
            out.stderr.len()
        );
    }
    // The secrets were used: the server took the login, the store holds both collections.
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].login,
        Some((SMTP_USER.to_string(), SMTP_PASSWORD.to_string()))
    );
    let mut haystacks: Vec<(String, Vec<u8>)> = Vec::new();
    for (what, out) in &runs {
        haystacks.push((format!("{what}: stdout"), out.stdout.clone()));
        haystacks.push((format!("{what}: stderr"), out.stderr.clone()));
    }
    let mut written = Vec::new();
    files(dir.path(), &mut written);
    for f in &written {
        haystacks.push((f.display().to_string(), std::fs::read(f).unwrap()));
    }
    assert!(
        written
            .iter()
            .any(|f| f.ends_with("live/access-review.xlsx"))
            && written.iter().any(|f| f.ends_with("saved/email.eml")),
        "{written:?}"
    );
    let stored = stored_snapshots(&dir.path().join("evidence.db"));
    assert!(stored.len() >= 2, "{} snapshots stored", stored.len());
    for (i, json) in stored.into_iter().enumerate() {
        haystacks.push((format!("stored snapshot {i}"), json));
    }
    haystacks.push(("the message sent".into(), received[0].data.clone().into()));
    let mut found = Vec::new();
    for (name, needle) in needles() {
        for (place, bytes) in &haystacks {
            if contains(bytes, needle.as_bytes()) {
                found.push(format!("{name} in {place}"));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
    // The public identities are recorded, so the search looked where they would be.
    let saved = std::fs::read_to_string(dir.path().join("account.json")).unwrap();
    assert!(saved.contains(CLIENT_ID));
}

#[test]
fn debug_formatting_of_credentials_is_redacted() {
    let key = atlas_audit::atlas::Credentials::ApiKey {
        public_key: PUBLIC_KEY.into(),
        private_key: SecretString::from(PRIVATE_KEY.to_string()),
    };
    let account = atlas_audit::atlas::Credentials::ServiceAccount {
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET.to_string()),
    };
    let login = atlas_audit::deliver::Login {
        user: SMTP_USER.into(),
        password: SecretString::from(SMTP_PASSWORD.to_string()),
    };
    for shown in [
        format!("{key:?}"),
        format!("{key:#?}"),
        format!("{account:?}"),
        format!("{login:?}"),
    ] {
        for secret in [PRIVATE_KEY, CLIENT_SECRET, SMTP_PASSWORD] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
    assert!(format!("{key:?}").contains(PUBLIC_KEY));
    assert!(format!("{login:?}").contains(SMTP_USER));
}
