//! Helpers for collections under injected faults: client options that keep retries short,
//! a service account known to the simulated Atlas, and one collection run with its counters.

use std::time::{Duration, Instant};

use atlas_audit::atlas::{Client, ClientOptions, Credentials};
use atlas_audit::collect::{self, CollectError};
use atlas_audit::mock::{MockConfig, MockStats, World};
use atlas_audit::model::Snapshot;
use secrecy::SecretString;

use super::{collect_options, fast_options, mock_config, start};

pub const CLIENT_ID: &str = "mdb_sa_id_0123456789abcdef01234567";
pub const CLIENT_SECRET: &str = "mdb_sa_sk_FAULTS-SENTINEL";

/// Items per page in fault runs: small, so most listings of the demo world span pages.
pub const FAULT_PAGE_SIZE: usize = 3;

/// Client options for fault runs: a short timeout (so stalls cost little), retry waits capped
/// at 50 ms (a server's `Retry-After` included), and small pages.
pub fn fault_options(base_url: String) -> ClientOptions {
    ClientOptions {
        timeout: Duration::from_millis(500),
        backoff_max: Duration::from_millis(50),
        page_size: FAULT_PAGE_SIZE,
        ..fast_options(base_url)
    }
}

/// The service account's credentials.
pub fn service_account() -> Credentials {
    Credentials::ServiceAccount {
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET.to_string()),
    }
}

/// `config`, also accepting the service account.
pub fn with_service_account(config: MockConfig) -> MockConfig {
    config.with_service_account(CLIENT_ID, SecretString::from(CLIENT_SECRET.to_string()))
}

/// The test configuration with these faults (`FaultSpec` grammar), accepting both the API
/// key and the service account.
pub fn faulty(spec: &str) -> MockConfig {
    let mut config = with_service_account(mock_config());
    config.faults = spec
        .parse()
        .unwrap_or_else(|e| panic!("fault spec {spec:?}: {e}"));
    config
}

/// One collection against a simulated Atlas, with what the server counted.
pub struct FaultRun {
    pub result: Result<Snapshot, CollectError>,
    pub stats: MockStats,
    pub elapsed: Duration,
}

impl FaultRun {
    /// The snapshot; panics with the error when nothing was collected.
    pub fn snapshot(&self) -> &Snapshot {
        match &self.result {
            Ok(s) => s,
            Err(e) => panic!("collection failed: {e}"),
        }
    }

    /// Faults injected, all kinds together.
    pub fn injected(&self) -> u64 {
        self.stats.faults_injected.values().sum()
    }

    /// Faults injected of one kind.
    pub fn injected_of(&self, key: &str) -> u64 {
        self.stats.faults_injected.get(key).copied().unwrap_or(0)
    }

    /// Retries the client counted, over every endpoint.
    pub fn retries(&self) -> u64 {
        self.snapshot()
            .meta
            .endpoints
            .values()
            .map(|t| t.retries)
            .sum()
    }
}

/// Serves `world` with `config`, collects it with `credentials` and `options`, and stops the
/// server.
pub async fn fault_run(
    world: World,
    config: MockConfig,
    credentials: Credentials,
    options: impl FnOnce(String) -> ClientOptions,
) -> FaultRun {
    let server = start(world, config).await;
    let client = Client::new(credentials, options(server.base_url())).unwrap();
    let started = Instant::now();
    let result = collect::collect(&client, &collect_options()).await;
    let elapsed = started.elapsed();
    let stats = server.stats();
    server.shutdown().await;
    FaultRun {
        result,
        stats,
        elapsed,
    }
}
