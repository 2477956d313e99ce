//! Collection benchmark: the `large` synthetic world, (a) unthrottled, (b) under one rate limit
//! per caller (`all=`, the simulated Atlas before endpoint sets) and (c) under differing
//! buckets per endpoint family and scope, as Atlas limits them. Prints requests made against
//! the minimum the API allows, and for (b) and (c) the time the requests took against the
//! floor the limits allow (the busiest bucket's requests beyond its capacity over its rate),
//! 429s answered, failures and whether the snapshot is the world's own; and the collector's
//! peak memory. The collector is the release binary, run as a child process, so its memory
//! is its own; the simulated Atlas runs here.
//!
//! `cargo bench --bench collect [-- RUNS [SIZE]]` (defaults: 3 runs, large).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use atlas_audit::mock::{MockConfig, MockServer, MockStats, RateLimits, SyntheticSize, World};
use common::*;

struct Run {
    seconds: f64,
    collect_seconds: f64,
    requests: u64,
    challenges: u64,
    retries: u64,
    failures: u64,
    stats: MockStats,
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
        stats: server.stats(),
        peak_mib,
        identical: estate_json(&snapshot) == expected_json && snapshot.coverage.is_empty(),
    };
    server.shutdown().await;
    run
}

/// A bucket's size and refill, as the benchmark configures them.
#[derive(Clone, Copy)]
struct Limit {
    capacity: f64,
    /// Tokens per second.
    rate: f64,
}

/// The time the limits allow: for each bucket (family and scope) that let `n` requests
/// through, (n − capacity)/rate; the busiest bucket's is the floor. Returns the floor and the
/// busiest bucket's name.
fn floor(stats: &MockStats, limits: &BTreeMap<String, Limit>) -> (f64, String) {
    stats
        .requests_by_bucket
        .iter()
        .filter_map(|(bucket, &n)| {
            let family = bucket.split(' ').next()?;
            let limit = limits.get(family).or_else(|| limits.get("default"))?;
            let seconds = (n as f64 - limit.capacity).max(0.0) / limit.rate;
            Some((seconds, format!("{bucket} ({n} requests)")))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap_or_default()
}

/// The largest number of requests any one bucket of each family let through.
fn busiest_per_family(stats: &MockStats) -> BTreeMap<String, u64> {
    let mut most = BTreeMap::new();
    for (bucket, &n) in &stats.requests_by_bucket {
        let family = bucket.split(' ').next().unwrap_or_default().to_owned();
        let entry = most.entry(family).or_insert(0);
        *entry = (*entry).max(n);
    }
    most
}

/// Limits that differ by family, made for the world's own request counts: the family with
/// the busiest bucket gets a floor of `target` seconds, the next two half and a quarter of
/// it, each with a tenth of its requests as capacity; every other family 50/s.
fn differing_limits(
    busiest: &BTreeMap<String, u64>,
    target: u64,
) -> (String, BTreeMap<String, Limit>) {
    let mut families: Vec<(&String, &u64)> =
        busiest.iter().filter(|(f, _)| *f != "default").collect();
    families.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut spec = Vec::new();
    let mut limits = BTreeMap::new();
    for ((family, &n), seconds) in families.into_iter().zip([target, target / 2, target / 4]) {
        let capacity = (n / 10).max(2);
        // n − capacity tokens every `seconds`: the bucket's floor is `seconds` exactly.
        let tokens = n.saturating_sub(capacity).max(1);
        spec.push(format!("{family}={tokens}/{seconds}s,burst={capacity}"));
        limits.insert(
            family.clone(),
            Limit {
                capacity: capacity as f64,
                rate: tokens as f64 / seconds as f64,
            },
        );
    }
    spec.push("default=50/s".into());
    limits.insert(
        "default".into(),
        Limit {
            capacity: 50.0,
            rate: 50.0,
        },
    );
    (spec.join(","), limits)
}

fn limited(spec: &str) -> MockConfig {
    let mut config = mock_config();
    config.rate_limit = Some(
        spec.parse::<RateLimits>()
            .unwrap_or_else(|e| panic!("{spec}: {e}")),
    );
    config
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
        "estate: {} orgs, {} projects, {} principals, {} grants, {} events; minimum requests {minimum}; concurrency {}",
        direct.orgs.len(),
        direct.projects.len(),
        direct.principals.len(),
        direct.grants.len(),
        direct.events.len(),
        concurrency()
    );
    let world = Arc::new(world);

    // Unthrottled. Every family has a bucket too large to bite, so the server counts the
    // requests of each bucket (the differing limits below are made from those counts).
    let mut times = Vec::new();
    let mut request_times = Vec::new();
    let mut busiest = BTreeMap::new();
    for i in 0..runs {
        let r = run_once(world.clone(), limited("default=1000000/s"), &expected).await;
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
        request_times.push(r.collect_seconds);
        busiest = busiest_per_family(&r.stats);
    }
    let unthrottled_requests = median(request_times);
    println!(
        "unthrottled median: {:.2}s (requests {unthrottled_requests:.2}s)",
        median(times)
    );

    // One bucket per caller for every request, at a rate that makes the run take about 20 s.
    let rate = (minimum as f64 / 20.0).round().max(10.0);
    let spec = format!("all={rate}/s");
    let one = BTreeMap::from([(
        "all".to_owned(),
        Limit {
            capacity: rate,
            rate,
        },
    )]);
    throttled_runs("one-bucket", runs, &world, &spec, &one, &expected).await;

    // Differing buckets per family and scope.
    let (spec, limits) = differing_limits(&busiest, 20);
    throttled_runs("differing-buckets", runs, &world, &spec, &limits, &expected).await;
    println!("(unthrottled requests at the same concurrency: {unthrottled_requests:.2}s)");
}

/// `runs` collections under `spec`, each against the floor its `limits` allow, and the median.
async fn throttled_runs(
    label: &str,
    runs: usize,
    world: &Arc<World>,
    spec: &str,
    limits: &BTreeMap<String, Limit>,
    expected: &str,
) {
    println!("{label}: --rate-limit {spec}");
    let mut ratios = Vec::new();
    let mut whole = Vec::new();
    for i in 0..runs {
        let r = run_once(world.clone(), limited(spec), expected).await;
        let (floor, bucket) = floor(&r.stats, limits);
        let ratio = r.collect_seconds / floor;
        println!(
            "{label} run {}: requests took {:.2}s vs floor {floor:.2}s (busiest bucket {bucket}) = {ratio:.3}× (whole command {:.2}s), {} requests, {} answered 429 {:?}, {} failed, peak {} MiB, snapshot identical: {}",
            i + 1,
            r.collect_seconds,
            r.seconds,
            r.requests,
            r.stats.rate_limited,
            r.stats.rate_limited_by_family,
            r.failures,
            r.peak_mib,
            r.identical
        );
        ratios.push(ratio);
        whole.push(r.seconds);
    }
    println!(
        "{label} median: requests {:.3}× the floor; whole command {:.2}s",
        median(ratios),
        median(whole)
    );
}

/// Collector concurrency: `BENCH_CONCURRENCY`, default 8.
fn concurrency() -> String {
    std::env::var("BENCH_CONCURRENCY").unwrap_or_else(|_| "8".into())
}
