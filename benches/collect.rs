//! Collection benchmark: the `large` synthetic world, (a) unthrottled and (b) under a server
//! rate limit. Prints requests made against the minimum the API allows, wall time against the
//! time the rate limit allows, and the collector's peak memory. The collector is the release
//! binary, run as a child process, so its memory is its own; the simulated Atlas runs here.
//!
//! `cargo bench --bench collect [-- RUNS [SIZE]]` (defaults: 3 runs, large).

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use atlas_audit::mock::{MockConfig, MockServer, SyntheticSize, World};
use common::*;

struct Run {
    seconds: f64,
    collect_seconds: f64,
    requests: u64,
    challenges: u64,
    retries: u64,
    failures: u64,
    rate_limited: u64,
    peak_mib: u64,
    identical: bool,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn run_once(world: Arc<World>, config: MockConfig, expected_json: &str) -> Run {
    let server = MockServer::start(world, config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot.json");
    let base = server.base_url();
    let out_s = out.display().to_string();
    let started = Instant::now();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_atlas-audit"))
            .args([
                "collect",
                "--as-of",
                &now().to_string(),
                "--out",
                &out_s,
                "--concurrency",
                &concurrency(),
            ])
            .env("MONGODB_ATLAS_BASE_URL", base)
            .env("MONGODB_ATLAS_PUBLIC_API_KEY", PUBLIC_KEY)
            .env("MONGODB_ATLAS_PRIVATE_API_KEY", PRIVATE_KEY)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "collect failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let peak_mib = stdout
        .lines()
        .find_map(|l| l.strip_prefix("peak memory"))
        .and_then(|l| l.trim().trim_end_matches(" MiB").parse().ok())
        .unwrap_or(0);
    let snapshot = atlas_audit::model::load(&out).unwrap();
    let t = snapshot.meta.endpoints.values();
    let sum = |f: fn(&atlas_audit::model::EndpointTally) -> u64| t.clone().map(f).sum::<u64>();
    let run = Run {
        seconds,
        collect_seconds: snapshot.meta.duration_ms as f64 / 1000.0,
        requests: sum(|t| t.requests),
        challenges: sum(|t| t.challenges),
        retries: sum(|t| t.retries),
        failures: sum(|t| t.failures),
        rate_limited: server.stats().rate_limited,
        peak_mib,
        identical: estate_json(&snapshot) == expected_json && snapshot.coverage.is_empty(),
    };
    server.shutdown().await;
    run
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(3);
    let size: SyntheticSize = args.get(1).map_or("large", String::as_str).parse().unwrap();
    let t0 = Instant::now();
    let world = World::synthetic(size, now());
    println!("world built in {:.1}s", t0.elapsed().as_secs_f64());
    let direct = snapshot_from_world(&world);
    let minimum = minimum_requests(&world, &direct);
    let expected = estate_json(&direct);
    println!(
        "estate: {} orgs, {} projects, {} principals, {} grants, {} events; minimum requests {minimum}",
        direct.orgs.len(),
        direct.projects.len(),
        direct.principals.len(),
        direct.grants.len(),
        direct.events.len()
    );
    let world = Arc::new(world);

    let mut times = Vec::new();
    for i in 0..runs {
        let r = run_once(world.clone(), mock_config(), &expected).await;
        println!(
            "unthrottled run {}: {:.2}s (requests {:.2}s), {} requests ({} challenge, {} retries, {} failed) = {:.4}× minimum, peak {} MiB, snapshot identical: {}",
            i + 1,
            r.seconds,
            r.collect_seconds,
            r.requests,
            r.challenges,
            r.retries,
            r.failures,
            (r.requests - r.challenges) as f64 / minimum as f64,
            r.peak_mib,
            r.identical
        );
        times.push(r.seconds);
    }
    let unthrottled = median(times);
    println!("unthrottled median: {unthrottled:.2}s");

    // A limit that makes the run take about 20 s at the allowed pace.
    let rate = (minimum as f64 / 20.0).round().max(10.0);
    let capacity = rate;
    let allowed = (minimum as f64 - capacity).max(0.0) / rate;
    let mut ratios = Vec::new();
    let mut whole = Vec::new();
    for i in 0..runs {
        let mut config = mock_config();
        config.rate_limit = Some(format!("{rate}/s").parse().unwrap());
        let r = run_once(world.clone(), config, &expected).await;
        let ratio = r.collect_seconds / allowed;
        println!(
            "rate-limited run {} ({rate}/s, capacity {capacity}): requests took {:.2}s vs {allowed:.2}s allowed = {ratio:.3}× (whole command {:.2}s), {} requests, {} answered 429, {} failed, peak {} MiB, snapshot identical: {}",
            i + 1,
            r.collect_seconds,
            r.seconds,
            r.requests,
            r.rate_limited,
            r.failures,
            r.peak_mib,
            r.identical
        );
        ratios.push(ratio);
        whole.push(r.seconds);
    }
    println!(
        "rate-limited median: requests {:.3}× the time the limit allows; whole command {:.2}s",
        median(ratios),
        median(whole)
    );
}

/// Collector concurrency: `BENCH_CONCURRENCY`, default 8.
fn concurrency() -> String {
    std::env::var("BENCH_CONCURRENCY").unwrap_or_else(|_| "8".into())
}
