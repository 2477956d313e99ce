//! The simulated Atlas: an axum server that speaks, faithfully, the subset of the Atlas
//! Administration API v2 that the collector reads. The demo, the integration tests and the
//! benchmarks run against it.
//!
//! It serves a [`World`]: a folder of JSON files in Atlas's own response shapes
//! (`fixtures/README.md`), or a deterministic synthetic estate of a named size. Around the data
//! it reproduces what makes Atlas hard to talk to: digest and OAuth authentication, versioned
//! media types, paging with the real envelope, `ApiError` bodies, token-bucket rate limiting
//! per endpoint family and scope, and injected faults.
//!
//! Layout: `world` and `load` hold the estate, `routes` the table of served paths and their
//! media types, `families` the endpoint sets that share a rate-limit bucket, `api`, `paging`
//! and `filters` build answers, `digest`, `oauth`, `ratelimit` and `faults` are the gates,
//! `handler` chains them, `server` starts and stops it, `stats` counts, and `synthetic`
//! generates estates of a named size. `writes` takes the remediation calls (and serves the
//! GETs that check them), changing the world so later reads show them.

mod api;
mod api_error;
mod digest;
mod families;
mod faults;
mod filters;
mod handler;
#[cfg(test)]
mod http_tests;
mod load;
mod oauth;
mod paging;
mod ratelimit;
mod routes;
mod server;
mod stats;
mod synthetic;
mod world;
mod writes;

pub use digest::NonceReuse;
pub use faults::{FaultSpec, FaultSpecError, Permanent, Transient};
pub use ratelimit::{RateLimit, RateLimitError, RateLimits};
pub use routes::{EMPTY_CLOUD_PROVIDER_ACCESS, EMPTY_USER_SECURITY};
pub use server::{MockConfig, MockError, MockServer};
pub use stats::{MockStats, WriteRecord};
pub use synthetic::{Plan, SyntheticSize, SyntheticSizeError, Totals};
pub use world::{RawItem, World, WorldError};
pub use writes::CallerRoles;

/// The endpoint family names `--rate-limit` accepts (`default` last), for help and messages.
pub fn rate_limit_families() -> impl Iterator<Item = &'static str> {
    families::FAMILIES.iter().map(|f| f.name)
}
