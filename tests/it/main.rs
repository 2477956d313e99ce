//! The integration tests: one module per area, built as one binary so that the suite links
//! once. The helpers they share with the benchmarks live in `tests/common/`; the policy
//! examples in `tests/policies/`; the insta snapshots beside this file, in `snapshots/`.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/smtp.rs"]
mod smtp;

mod access_logs;
mod access_paths;
mod apply;
mod auth;
mod bad_input;
mod browser;
mod changes;
mod cli;
mod collect;
mod completions;
mod decisions;
mod demo_loop;
mod denied;
mod directory;
mod email;
mod examples;
mod faults;
mod faults_matrix;
mod federation;
mod fuzz_corpus;
mod hostile;
mod house;
mod interrupt;
mod last_review;
mod ledger;
mod ocsf;
mod output_folder;
mod plan;
mod policy;
mod profiles;
mod rate_limits;
mod recordings;
mod remediation_evidence;
mod report;
mod report_files;
mod review_loop;
mod rules;
mod schemas;
mod scripting;
mod secrets;
mod snapshot_file;
mod store;
mod workbook_cells;
