//! Everything that knows HTTP and the Atlas wire format.
//!
//! [`Client`] owns the one request path (throttle → permit → auth → send → learn → decode),
//! whose every failure is classified once and retried within one budget (`retry`); listings
//! are read page by page on top of it (`paging`). [`endpoint`] lists each operation with its
//! media-type version and shape; [`types`] mirrors the JSON Atlas sends; [`auth`] holds digest
//! and OAuth state; `throttle` paces requests per endpoint set and scope, as Atlas limits them,
//! once it has learned each bucket. Writes ([`Client::write`]) and single re-reads
//! ([`Client::get_one`]) take the same path; [`write_endpoint`] lists the write operations and
//! builds their paths, each value percent-encoded as one segment.

pub mod auth;
mod client;
pub mod endpoint;
mod error;
mod paging;
pub mod rate_limits;
mod request;
mod retry;
mod throttle;
pub mod types;
mod write;
pub mod write_endpoint;

pub use auth::Credentials;
pub use client::{Client, ClientError, ClientOptions, MAX_PAGE_SIZE, check_base_url};
pub use endpoint::Endpoint;
pub use error::{ApiErrorBody, AtlasError, AuthError, HttpError};
pub use paging::Listing;
pub use throttle::LearnedLimit;
pub use write::WriteOutcome;
pub use write_endpoint::{PathError, WriteEndpoint, WriteMethod, encode_segment, fill_path};
