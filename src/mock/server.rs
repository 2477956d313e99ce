//! Starting and stopping the simulated Atlas: configuration, the loopback-only listener, the
//! background task, and the counters it exposes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use secrecy::SecretString;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::digest::{DigestAuth, NonceReuse};
use super::faults::{FaultDice, FaultSpec};
use super::handler::{Shared, handle};
use super::oauth::OAuth;
use super::ratelimit::{Limiter, RateLimits};
use super::stats::{MockStats, Recorder};
use super::world::World;

/// How the simulated Atlas behaves: who may call it and what goes wrong.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Public key of the one programmatic API key (digest user name).
    pub public_key: String,
    /// Its private key (digest password).
    pub private_key: SecretString,
    /// Client id of the one service account, if OAuth is offered.
    pub client_id: Option<String>,
    /// Its secret.
    pub client_secret: Option<SecretString>,
    /// Refuse with 406 any `Accept` that does not name the route's version (default true,
    /// so a client asking for the wrong version finds out here rather than against Atlas).
    pub strict_accept: bool,
    /// Token buckets per endpoint family and scope; `None` for no limit.
    pub rate_limit: Option<RateLimits>,
    /// Faults to inject.
    pub faults: FaultSpec,
    /// How often a digest nonce may be answered: unlimited, until stale after N uses
    /// (401 with `stale=true`), or once (a reuse is refused with `stale=false`).
    pub nonce_reuse: NonceReuse,
    /// Lifetime of OAuth tokens (`expires_in`), 3600 s by default as Atlas.
    pub token_ttl: Duration,
}

impl MockConfig {
    /// A configuration for one API key, with no OAuth client, strict media types, no rate
    /// limit, no faults, nonces reusable without limit and one-hour tokens.
    pub fn new(public_key: impl Into<String>, private_key: SecretString) -> Self {
        MockConfig {
            public_key: public_key.into(),
            private_key,
            client_id: None,
            client_secret: None,
            strict_accept: true,
            rate_limit: None,
            faults: FaultSpec::default(),
            nonce_reuse: NonceReuse::Unlimited,
            token_ttl: Duration::from_secs(3600),
        }
    }

    /// The same configuration, also accepting a service account's client credentials.
    pub fn with_service_account(
        mut self,
        client_id: impl Into<String>,
        secret: SecretString,
    ) -> Self {
        self.client_id = Some(client_id.into());
        self.client_secret = Some(secret);
        self
    }
}

/// Why the simulated Atlas could not start.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// The listen address is not a loopback address.
    #[error(
        "the simulated Atlas listens on loopback only; {addr} is not a loopback address \
         (use 127.0.0.1:PORT or [::1]:PORT)"
    )]
    NotLoopback {
        /// The refused address.
        addr: SocketAddr,
    },
    /// The address could not be bound.
    #[error("cannot listen on {addr}; is another process using the port?")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

/// A running simulated Atlas, served by a background tokio task.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    base_url: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

/// How long `shutdown` waits for open connections before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl MockServer {
    /// Binds `listen` (loopback only; port 0 picks a free port) and serves `world` in a
    /// background task until [`MockServer::shutdown`] or the runtime ends.
    pub async fn start(
        world: Arc<World>,
        config: MockConfig,
        listen: SocketAddr,
    ) -> Result<MockServer, MockError> {
        if !listen.ip().is_loopback() {
            return Err(MockError::NotLoopback { addr: listen });
        }
        let bind_error = |source| MockError::Bind {
            addr: listen,
            source,
        };
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(bind_error)?;
        let addr = listener.local_addr().map_err(bind_error)?;
        let base_url = format!("http://{addr}");
        let oauth = match (&config.client_id, &config.client_secret) {
            (Some(id), Some(secret)) => {
                Some(OAuth::new(id.clone(), secret.clone(), config.token_ttl))
            }
            _ => None,
        };
        let shared = Arc::new(Shared {
            world,
            strict_accept: config.strict_accept,
            public_key: config.public_key.clone(),
            digest: DigestAuth::new(&config.public_key, &config.private_key, config.nonce_reuse),
            oauth,
            limiter: config.rate_limit.map(Limiter::new),
            faults: FaultDice::new(config.faults),
            stats: Recorder::default(),
            base_url: base_url.clone(),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::warn!(%error, "simulated Atlas stopped with an error");
            }
        });
        tracing::debug!(%addr, "simulated Atlas listening");
        Ok(MockServer {
            addr,
            base_url,
            shared,
            stop: Some(stop),
            task,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the base URL to give a client (API paths start with
    /// `/api/atlas/v2`).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// A copy of the counters so far.
    pub fn stats(&self) -> MockStats {
        self.shared.stats.snapshot()
    }

    /// Stops accepting connections, lets requests in flight finish (up to 5 s), and returns
    /// when the server task has ended.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let abort = self.task.abort_handle();
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut self.task)
            .await
            .is_err()
        {
            abort.abort();
            let _ = (&mut self.task).await;
        }
    }
}
