//! `demo`: the whole pipeline against the built-in simulated Atlas. The demo world is compiled
//! into the binary, served on an ephemeral loopback port with throwaway digest credentials, and
//! collected over real HTTP; the rules run with the default policy and the findings are
//! written beside the snapshot. Then the review loop (`review.rs`): the workbook filled in
//! from the reviewer's answers in `fixtures/demo/review.csv`, decisions, plan, apply and
//! verify against the same simulated Atlas, and a second collection and report. The folder is
//! the demo's own: an earlier demo there is replaced whole.

mod review;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use include_dir::{Dir, include_dir};
use jiff::SignedDuration;
use secrecy::SecretString;

use super::output::{DEMO_SNAPSHOT, Folder, Owner};
use super::{exit_for, interrupt, now, random_key, report, summary, table};
use crate::atlas::{Client, ClientOptions, Credentials};
use crate::collect::{self, CollectOptions};
use crate::mock::{MockConfig, MockServer, World};
use crate::model;
use crate::rules;

/// `fixtures/demo/`, compiled in.
static DEMO_WORLD: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/fixtures/demo");

/// Loads the built-in demo world, dated relative to `now`.
///
/// # Errors
/// When the embedded world cannot be unpacked or read.
pub fn demo_world(now: jiff::Timestamp) -> Result<World> {
    let dir = tempfile::tempdir().context("creating a temporary folder for the demo world")?;
    DEMO_WORLD
        .extract(dir.path())
        .context("unpacking the demo world")?;
    Ok(World::load(dir.path(), now)?)
}

pub(super) async fn run(out: &Path, quiet: bool) -> Result<ExitCode> {
    let folder = Folder::prepare(out, Owner::Demo)?;
    interrupt::leaves(if out.exists() {
        format!("{}/ is as it was", out.display())
    } else {
        format!("{}/ was not written", out.display())
    });
    let now = now();
    let world = demo_world(now)?;
    let public_key = random_key(8);
    let private_key = SecretString::from(random_key(32));
    let config = MockConfig::new(public_key.clone(), private_key.clone());
    let server = MockServer::start(Arc::new(world), config, "127.0.0.1:0".parse()?).await?;
    if !quiet {
        eprintln!("simulated Atlas started at {}", server.base_url());
    }
    let client = Client::new(
        Credentials::ApiKey {
            public_key,
            private_key,
        },
        ClientOptions {
            base_url: server.base_url(),
            ..ClientOptions::default()
        },
    )?;
    let opts = CollectOptions {
        orgs: Vec::new(),
        projects: Vec::new(),
        now,
        events_since: SignedDuration::from_hours(90 * 24),
        access_logs_since: SignedDuration::from_hours(90 * 24),
        progress: !quiet,
    };
    let snapshot = collect::collect(&client, &opts).await?;
    model::save(&snapshot, &folder.path().join(DEMO_SNAPSHOT))?;
    let loaded = report::LoadedPolicy::defaults();
    let findings = rules::evaluate(&snapshot, &loaded.policy)?;
    let mut written = report::write_report(
        folder.path(),
        &snapshot,
        &findings,
        &loaded,
        // The snapshot written beside the report is named in its manifest and workbook.
        &crate::report::Options {
            snapshot_sha256: Some(
                crate::files::sha256_file(&folder.path().join(DEMO_SNAPSHOT))
                    .context("reading snapshot.json")?,
            ),
            ..Default::default()
        },
        None,
    )?;
    let review_csv = DEMO_WORLD
        .get_file(review::REVIEW_CSV)
        .and_then(|f| f.contents_utf8())
        .context("the demo's review.csv is missing from the binary")?;
    let before = review::Before {
        dir: folder.path(),
        snapshot: &snapshot,
        findings: &findings,
        loaded: &loaded,
        review_csv,
        collect: &opts,
    };
    let stages = review::run(&client, &before)
        .await
        .context("the demo's review loop")?;
    server.shutdown().await;
    folder.commit(&mut written)?;
    interrupt::leaves(format!("the demo in {}/ is complete", out.display()));
    let path = out.join(DEMO_SNAPSHOT);
    if !quiet {
        // One table: the estate with its coverage, the snapshot, the findings, the files.
        let mut text = summary::render(&snapshot);
        table::text(&mut text, "snapshot", &path.display().to_string());
        text.push_str(&report::findings_rows(&findings, &loaded.origin));
        text.push_str(&report::written_lines(out, &written));
        // The review loop, one line a stage, in the order it ran.
        for (i, stage) in stages.iter().enumerate() {
            table::text(&mut text, if i == 0 { "review loop" } else { "" }, stage);
        }
        print!("{text}");
    }
    Ok(exit_for(&snapshot))
}
