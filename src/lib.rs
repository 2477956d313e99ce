//! atlas-audit: access reviews of MongoDB Atlas.
//!
//! The pipeline runs `atlas` (HTTP client) → `collect` (walks the estate) → `model` (the
//! snapshot) → rules and reports; `deliver` emails a written report; `remediate` reads
//! reviewers' decisions back and carries them out. `mock` is the simulated Atlas that the demo,
//! the tests and the benchmarks run against.

pub mod app;
pub mod atlas;
pub mod changes;
pub mod cli;
pub mod collect;
pub mod deliver;
pub mod files;
pub mod fuzzing;
pub mod mock;
pub mod model;
pub mod remediate;
pub mod report;
pub mod rules;
pub mod store;
