//! What each command does: wiring only. Credentials are resolved here (flags, then the Atlas
//! CLI's and Terraform's environment variables, then an Atlas CLI profile), the collector is
//! run, files are written, and the outcome becomes an exit code.

mod completions;
mod decisions;
mod demo;
mod email;
mod interrupt;
mod man;
mod output;
mod plan;
mod remediate;
mod report;
mod summary;
mod table;

pub mod profile;
pub mod schema;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use secrecy::SecretString;

use crate::atlas::{Client, ClientOptions, Credentials};
use crate::cli::{Cli, CollectArgs, Command, ConnectionArgs, LiveArgs, ServeMockArgs};
use crate::collect::{self, CollectOptions};
use crate::mock::{FaultSpec, MockConfig, MockServer, RateLimits, SyntheticSize, World};
use crate::model;

/// Done, nothing to report.
pub const EXIT_OK: u8 = 0;
/// Done; an open finding is at or above `--fail-on`.
pub const EXIT_FINDINGS: u8 = 1;
/// Could not do the job: bad input, network, auth.
pub const EXIT_ERROR: u8 = 2;
/// Done, but some scope could not be read.
pub const EXIT_INCOMPLETE: u8 = 3;

/// An error and its causes as one message, each cause after a colon.
pub fn error_text(err: &anyhow::Error) -> String {
    model::with_causes(err.as_ref())
}

/// Sets up `tracing` on stderr. Our own crate logs at the chosen level; libraries stay at warn,
/// so nothing they print at trace level (headers, bodies) reaches a log.
pub fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::new(format!("warn,atlas_audit={level}"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(collect::LogWriter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

/// Runs a parsed command line.
///
/// # Errors
/// Anything that stops the command; the message says what to fix.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let quiet = cli.quiet;
    runtime.block_on(async move {
        // The commands that write files stop cleanly on SIGINT and SIGTERM; the others keep
        // the default (serve-mock stops on Ctrl-C by itself).
        if matches!(
            cli.command,
            Command::Collect(_) | Command::Report(_) | Command::Demo(_) | Command::Init(_)
        ) {
            interrupt::listen()?;
        }
        match cli.command {
            Command::Collect(args) => collect_command(&args, quiet).await,
            Command::Report(args) => report::run(*args, quiet).await,
            Command::Diff(args) => report::diff(&args),
            Command::Plan(args) => plan::run(&args, quiet),
            Command::Apply(args) => remediate::apply(&args, quiet).await,
            Command::Verify(args) => remediate::verify(&args, quiet).await,
            Command::Rules(args) => report::catalogue(&args),
            Command::Init(args) => report::init(&args, quiet),
            Command::Summary(args) => {
                let snapshot = model::load(&args.snapshot)?;
                if args.json {
                    println!("{:#}", summary::json(&snapshot));
                } else if !quiet {
                    print!("{}", summary::render(&snapshot));
                }
                Ok(exit_for(&snapshot))
            }
            Command::Decisions(args) => decisions::run(&args, quiet),
            Command::Demo(args) => demo::run(&args.out, quiet).await,
            Command::ServeMock(args) => serve_mock(args).await,
            Command::Completions(args) => completions::print(args.shell),
            Command::Man(args) => man::run(args.out.as_deref(), quiet),
            Command::Schema(args) => schema::run(args.name, args.out.as_deref(), quiet),
        }
    })
}

/// `collect`: the output and the store are checked before the collection, which may be long;
/// the snapshot is written atomically, then recorded in the store from the file as written, so
/// the store's digest is the file's.
async fn collect_command(args: &CollectArgs, quiet: bool) -> Result<ExitCode> {
    let file = output::snapshot_file(&args.out, args.force)?;
    let mut store = match &args.store.path {
        Some(path) => Some((path, open_store(path)?)),
        None => None,
    };
    let shown = args.out.display();
    interrupt::leaves(if args.out.exists() {
        format!("{shown} is as it was")
    } else {
        format!("{shown} was not written")
    });
    let snapshot = collect_live(&args.live, quiet).await?;
    let written = std::time::Instant::now();
    model::save_into(&snapshot, file)?;
    interrupt::leaves(format!("the snapshot {shown} is complete"));
    tracing::info!(
        ms = written.elapsed().as_millis() as u64,
        "snapshot written"
    );
    let recorded = match &mut store {
        Some((path, store)) => {
            let bytes =
                std::fs::read(&args.out).with_context(|| format!("reading back {shown}"))?;
            Some((
                *path,
                store.record(&crate::store::Record {
                    kind: "collect",
                    snapshot: &snapshot,
                    snapshot_json: &bytes,
                    snapshot_sha256: None,
                    findings: None,
                    manifest: None,
                })?,
            ))
        }
        None => None,
    };
    if !quiet {
        let mut out = summary::render(&snapshot);
        table::text(&mut out, "snapshot", &shown.to_string());
        if let Some((path, run)) = recorded {
            let at = format!("run {run} in {}", path.display());
            table::text(&mut out, "evidence store", &at);
        }
        print!("{out}");
    }
    Ok(exit_for(&snapshot))
}

/// Opens the evidence store `--store` names; a new one needs a folder that exists.
///
/// # Errors
/// The path is a folder or its folder is missing, or the file is not a store; the message
/// says what to give instead.
pub fn open_store(path: &std::path::Path) -> Result<crate::store::Store> {
    let shown = path.display();
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => bail!(
            "--store {shown} is a folder; name the store file, e.g. --store {}",
            path.join(crate::store::DEFAULT_STORE).display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            if !parent.is_dir() {
                bail!(output::explain("--store", path, &e));
            }
        }
        _ => {}
    }
    crate::store::Store::open(path).map_err(|e| match e {
        crate::store::StoreError::Sql { .. } => anyhow::anyhow!(
            "{}; --store must name an evidence store written by atlas-audit, or a new file",
            model::with_causes(&e)
        ),
        other => other.into(),
    })
}

/// Collects the estate the flags name, from now (or `--as-of`).
///
/// # Errors
/// Bad credentials or flags, or nothing readable at all.
pub async fn collect_live(live: &LiveArgs, quiet: bool) -> Result<model::Snapshot> {
    let (client, profile) = client_from(&live.connection)?;
    let orgs = ids_or_env(&live.orgs, "MONGODB_ATLAS_ORG_ID")?;
    let projects = ids_or_env(&live.projects, "MONGODB_ATLAS_PROJECT_ID")?;
    let (orgs, projects) = profile::scope(&orgs, &projects, profile.as_ref());
    let opts = CollectOptions {
        orgs,
        projects,
        now: live.as_of.unwrap_or_else(now),
        events_since: live.since,
        access_logs_since: live.since,
        progress: !quiet,
    };
    let snapshot = collect::collect(&client, &opts).await?;
    for limit in client.learned_rate_limits() {
        tracing::debug!(
            endpoint_set = %limit.endpoint_set,
            scopes = limit.scopes,
            capacity = ?limit.capacity,
            per_second = ?limit.per_second,
            caller_wide = limit.caller_wide,
            "rate limit learned"
        );
    }
    Ok(snapshot)
}

/// The exit code for a finished collection: 3 when any scope is missing.
pub fn exit_for(snapshot: &model::Snapshot) -> ExitCode {
    if snapshot.is_complete() {
        ExitCode::from(EXIT_OK)
    } else {
        ExitCode::from(EXIT_INCOMPLETE)
    }
}

/// Now, to the second: every window and age in a run is measured from this one instant.
pub fn now() -> Timestamp {
    Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or_else(|_| Timestamp::now())
}

/// The ids given by flag, or else by the variable `var` (comma-separated; unset or blank means
/// none, as for the credential variables).
///
/// # Errors
/// The variable holds something that is not an id; the message names the variable.
fn ids_or_env(flags: &[String], var: &str) -> Result<Vec<String>> {
    if !flags.is_empty() {
        return Ok(flags.to_vec());
    }
    let Some(value) = env_first(&[var]) else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(|id| crate::cli::parse_atlas_id(id).map_err(|e| anyhow::anyhow!("{var}: {e}")))
        .collect()
}

fn env_first(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
}

/// Builds a client from flags and the environment (flags win; then the Atlas CLI's variable
/// names; then Terraform's; then an Atlas CLI profile, see [`profile`]). Returns the profile
/// that applied, whose org and project fill an empty scope.
///
/// # Errors
/// Missing or half-given credentials, a named profile that does not exist, or a bad base URL.
pub fn client_from(args: &ConnectionArgs) -> Result<(Client, Option<profile::Profile>)> {
    let public_key = args
        .public_key
        .clone()
        .or_else(|| env_first(&["MONGODB_ATLAS_PUBLIC_API_KEY", "MONGODB_ATLAS_PUBLIC_KEY"]));
    let private_key = args
        .private_key
        .clone()
        .or_else(|| env_first(&["MONGODB_ATLAS_PRIVATE_API_KEY", "MONGODB_ATLAS_PRIVATE_KEY"]));
    let client_id = args
        .client_id
        .clone()
        .or_else(|| env_first(&["MONGODB_ATLAS_CLIENT_ID"]));
    let client_secret = args
        .client_secret
        .clone()
        .or_else(|| env_first(&["MONGODB_ATLAS_CLIENT_SECRET"]));
    let open = public_key.is_none()
        && private_key.is_none()
        && client_id.is_none()
        && client_secret.is_none();
    let lookup = profile::lookup(args, open)?;
    let credentials = match (public_key, private_key, client_id, client_secret) {
        (_, _, Some(client_id), Some(secret)) => Credentials::ServiceAccount {
            client_id,
            client_secret: SecretString::from(secret),
        },
        (Some(public_key), Some(private), _, _) => Credentials::ApiKey {
            public_key,
            private_key: SecretString::from(private),
        },
        (_, _, Some(_), None) => bail!(
            "a service-account client id was given without its secret: set --client-secret or MONGODB_ATLAS_CLIENT_SECRET"
        ),
        (_, _, None, Some(_)) => bail!(
            "a service-account secret was given without its client id: set --client-id or MONGODB_ATLAS_CLIENT_ID"
        ),
        (Some(_), None, None, None) => bail!(
            "an API public key was given without its private key: set --private-key or MONGODB_ATLAS_PRIVATE_API_KEY"
        ),
        (None, Some(_), None, None) => bail!(
            "an API private key was given without its public key: set --public-key or MONGODB_ATLAS_PUBLIC_API_KEY"
        ),
        (None, None, None, None) => match &lookup {
            profile::Lookup::Found(p) => p.credentials()?,
            absent => bail!(
                "no Atlas credentials: set MONGODB_ATLAS_PUBLIC_API_KEY and MONGODB_ATLAS_PRIVATE_API_KEY (an API key), or MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET (a service account), or pass --public-key/--private-key or --client-id/--client-secret, or name an Atlas CLI profile with --profile ({})",
                absent.why_absent()
            ),
        },
    };
    let profile = lookup.into_profile();
    // The message for a bad URL names where it came from.
    let (base_url, from) = match (
        args.base_url.clone(),
        env_first(&["MONGODB_ATLAS_BASE_URL"]),
        profile
            .as_ref()
            .and_then(|p| Some((p.base_url.clone()?, &p.name))),
    ) {
        (Some(url), _, _) => (url, "--base-url".to_string()),
        (None, Some(url), _) => (url, "MONGODB_ATLAS_BASE_URL".to_string()),
        (None, None, Some((url, name))) => {
            (url, format!("the base URL of Atlas CLI profile {name}"))
        }
        (None, None, None) => (ClientOptions::default().base_url, "the default".to_string()),
    };
    crate::atlas::check_base_url(&base_url)
        .map_err(|e| anyhow::anyhow!("{from}: {}", model::with_causes(&e)))?;
    let options = ClientOptions {
        base_url,
        concurrency: usize::from(args.concurrency),
        timeout: Duration::from_secs(args.timeout),
        ..ClientOptions::default()
    };
    Ok((Client::new(credentials, options)?, profile))
}

/// A throwaway credential for a simulated Atlas: random, so it can never be a real one.
pub fn random_key(len: usize) -> String {
    (0..len).map(|_| fastrand::lowercase()).collect()
}

async fn serve_mock(args: ServeMockArgs) -> Result<ExitCode> {
    let now = args.as_of.unwrap_or_else(now);
    let world = match (&args.world, &args.synthetic) {
        (Some(dir), _) if !dir.is_dir() => bail!(
            "--world {}: no such folder; give a world folder (Atlas response shapes, see fixtures/README.md) such as fixtures/demo, or --synthetic SIZE",
            dir.display()
        ),
        (Some(dir), _) => World::load(dir, now)?,
        (None, Some(size)) => {
            let size: SyntheticSize = size
                .parse()
                .map_err(|e| anyhow::anyhow!("--synthetic: {e}"))?;
            World::synthetic(size, now)
        }
        (None, None) => bail!("give --world DIR or --synthetic SIZE"),
    };
    let public_key = args.public_key.unwrap_or_else(|| random_key(8));
    let private_key = args.private_key.unwrap_or_else(|| random_key(32));
    let mut config = MockConfig::new(public_key.clone(), SecretString::from(private_key.clone()));
    config.client_id = args.client_id.clone();
    config.client_secret = args.client_secret.map(SecretString::from);
    config.strict_accept = args.strict_accept;
    config.nonce_reuse = match (args.nonce_single_use, args.nonce_max_uses) {
        (true, _) => crate::mock::NonceReuse::Once,
        (false, Some(n)) => crate::mock::NonceReuse::StaleAfter(n),
        (false, None) => crate::mock::NonceReuse::Unlimited,
    };
    if let Some(rate) = &args.rate_limit {
        config.rate_limit = Some(
            rate.parse::<RateLimits>()
                .map_err(|e| anyhow::anyhow!("--rate-limit: {e}"))?,
        );
    }
    if let Some(spec) = &args.faults {
        config.faults = spec
            .parse::<FaultSpec>()
            .map_err(|e| anyhow::anyhow!("--faults: {e}"))?;
    }
    let server = MockServer::start(Arc::new(world), config, args.listen).await?;
    let url = server.base_url();
    println!("simulated Atlas listening on {url}");
    println!("export MONGODB_ATLAS_BASE_URL={url}");
    println!("export MONGODB_ATLAS_PUBLIC_API_KEY={public_key}");
    println!("export MONGODB_ATLAS_PRIVATE_API_KEY={private_key}");
    if let Some(id) = &args.client_id {
        println!("service account accepted: {id}");
    }
    println!("press Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    let stats = server.stats();
    server.shutdown().await;
    eprintln!("served {} requests", stats.requests);
    Ok(ExitCode::from(EXIT_OK))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_is_told_once_in_order() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let err = anyhow::Error::new(crate::deliver::DeliverError::Read {
            path: "email.txt".into(),
            source: io,
        })
        .context("emailing the report");
        assert_eq!(
            error_text(&err),
            "emailing the report: cannot read email.txt for the email: no such file"
        );
    }
}
