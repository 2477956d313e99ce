//! The command line: flags and subcommands, no logic. See `app` for what each command does.
//!
//! Longer than the usual 600 lines: it is the one place every flag is declared (clap builds
//! `--help`, the completions and the manual pages from it), and each flag carries its help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use jiff::SignedDuration;

/// Access reviews of MongoDB Atlas: collect an estate, flag over-privileged and stale accounts,
/// and write the evidence reviewers and auditors need.
#[derive(Debug, Parser)]
#[command(name = "atlas-audit", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// More detail on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr; no progress.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read an Atlas estate through the Administration API and write a snapshot.
    Collect(CollectArgs),
    /// Run the rules over a snapshot (or a live collection) and write the report set.
    Report(Box<ReportArgs>),
    /// Print the rule catalogue: ids, default severities, what each checks and why.
    Rules(RulesArgs),
    /// Write a commented starter policy file with every key and its default.
    Init(InitArgs),
    /// Print what a saved snapshot holds and whether it is complete (exit 3 if not).
    Summary(SummaryArgs),
    /// Access changes between two snapshots: principals and grants added, removed and
    /// changed, findings new and resolved (under the same policy), exemptions ending soon.
    Diff(DiffArgs),
    /// Read reviewers' decisions back from filled-in workbooks of one report, check them, and
    /// write decisions.csv (exit 2, nothing written, when any workbook has a problem).
    Decisions(DecisionsArgs),
    /// Turn reviewers' decisions, or an offboarding, into a reviewable plan of Atlas API
    /// calls (plan.json and plan.txt), offline over the snapshot the review was made from.
    Plan(PlanArgs),
    /// Carry out a plan: shows what it would do, and sends nothing without --yes. Each
    /// step is re-read first (a target changed since the snapshot is skipped), sent, re-read
    /// and confirmed, and journaled as it ends; a run again resumes.
    Apply(ApplyArgs),
    /// Read again the targets of an applied plan's steps and confirm each step's effect.
    Verify(VerifyArgs),
    /// Run the whole pipeline against the built-in simulated Atlas (no account needed).
    Demo(DemoArgs),
    /// Serve a simulated Atlas on loopback, for demos, tests and benchmarks.
    ServeMock(ServeMockArgs),
    /// Print a shell completion script to stdout: bash, zsh, fish, elvish or powershell.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to stdout, or write one page per command into a folder.
    Man(ManArgs),
    /// Print the JSON Schema of a file atlas-audit writes (snapshot, findings, manifest, plan,
    /// directory), or write them all into a folder.
    Schema(SchemaArgs),
}

/// Credentials and endpoint, with the environment variables Atlas users already set.
#[derive(Args, Clone, Default)]
pub struct ConnectionArgs {
    /// API key public key [env: MONGODB_ATLAS_PUBLIC_API_KEY, MONGODB_ATLAS_PUBLIC_KEY]
    #[arg(long, value_name = "KEY")]
    pub public_key: Option<String>,
    /// API key private key [env: MONGODB_ATLAS_PRIVATE_API_KEY, MONGODB_ATLAS_PRIVATE_KEY]
    #[arg(long, value_name = "KEY")]
    pub private_key: Option<String>,
    /// Service account client id [env: MONGODB_ATLAS_CLIENT_ID]
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Service account client secret [env: MONGODB_ATLAS_CLIENT_SECRET]
    #[arg(long, value_name = "SECRET")]
    pub client_secret: Option<String>,
    /// Atlas base URL; plain http:// only for loopback [env: MONGODB_ATLAS_BASE_URL]
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Atlas CLI profile for whatever flags and variables leave open: credentials, base URL,
    /// org and project [default: the profile named default, when no flag or variable gives
    /// credentials]
    #[arg(short = 'P', long, value_name = "NAME", env = "MONGODB_ATLAS_PROFILE")]
    pub profile: Option<String>,
    /// The Atlas CLI's config file, instead of the one in the user's config folder.
    #[arg(
        long,
        value_name = "FILE",
        env = "ATLAS_AUDIT_ATLASCLI_CONFIG",
        hide = true
    )]
    pub atlascli_config: Option<PathBuf>,
}

/// Debug output names which secrets were given, never their values.
impl std::fmt::Debug for ConnectionArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let given = |s: &Option<String>| s.as_ref().map(|_| "[redacted]");
        f.debug_struct("ConnectionArgs")
            .field("public_key", &self.public_key)
            .field("private_key", &given(&self.private_key))
            .field("client_id", &self.client_id)
            .field("client_secret", &given(&self.client_secret))
            .field("base_url", &self.base_url)
            .field("concurrency", &self.concurrency)
            .field("timeout", &self.timeout)
            .field("profile", &self.profile)
            .field("atlascli_config", &self.atlascli_config)
            .finish()
    }
}

/// What to read from Atlas, and how: shared by `collect` and a live `report`.
#[derive(Debug, Args, Clone)]
pub struct LiveArgs {
    /// Only this organization (repeatable; default: every org the credential can read)
    /// [env: MONGODB_ATLAS_ORG_ID]
    #[arg(
        long = "org",
        value_name = "ID",
        value_delimiter = ',',
        value_parser = parse_atlas_id
    )]
    pub orgs: Vec<String>,
    /// Only this project (repeatable) [env: MONGODB_ATLAS_PROJECT_ID]
    #[arg(
        long = "project",
        value_name = "ID",
        value_delimiter = ',',
        value_parser = parse_atlas_id
    )]
    pub projects: Vec<String>,
    /// How far back to read events (and access logs, where Atlas keeps more than one answer):
    /// a number with d (days), w (weeks) or h (hours).
    #[arg(long, default_value = "90d", value_name = "AGE", value_parser = parse_age)]
    pub since: SignedDuration,
    /// Collect as of this RFC 3339 time instead of now (reproducible benchmarks against a
    /// simulated Atlas served as of the same time).
    #[arg(long, value_name = "TIME", hide = true)]
    pub as_of: Option<jiff::Timestamp>,
    /// Connection.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `collect`
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// What to read.
    #[command(flatten)]
    pub live: LiveArgs,
    /// Where to write the snapshot (written atomically; an existing file is replaced only
    /// with --force).
    #[arg(long, value_name = "FILE", default_value = "snapshot.json")]
    pub out: PathBuf,
    /// Replace the --out file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Record the run in an evidence store.
    #[command(flatten)]
    pub store: StoreArg,
}

/// `report`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A snapshot written by `collect`; without one, the estate is collected live first.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Folder for the reports: new or empty, or holding an earlier report with --force. The
    /// folder appears, or is replaced, only once every file is written.
    #[arg(long, value_name = "DIR", default_value = "atlas-audit-report")]
    pub out: PathBuf,
    /// Replace the report already in --out: the whole folder is replaced, so no file of the
    /// earlier report remains. A folder holding other files is never replaced.
    #[arg(long)]
    pub force: bool,
    /// Which files to write, comma-separated: csv (findings, grants, principals), xlsx (the
    /// reviewer workbook), html (report.html, email.html, email.txt), json (findings.json),
    /// ocsf (findings.ocsf.json, OCSF 1.5.0 Detection Findings). manifest.json is always
    /// written.
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "csv,xlsx,html,json"
    )]
    pub format: Vec<String>,
    /// A folder of templates (report.html, email.html, email.txt) that replace the built-in
    /// ones of the same name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Policy file (default: ./atlas-audit.toml when present, else the catalogue defaults).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Exit 1 when an open (not exempted) finding is at or above this severity:
    /// critical, high, medium, low or info.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<crate::rules::Severity>,
    /// The snapshot of the last review: adds changes.csv, a Changes sheet and a "since the last
    /// review" section, judged under the same policy.
    #[arg(long, value_name = "OLD-SNAPSHOT")]
    pub baseline: Option<PathBuf>,
    /// Record the run in an evidence store.
    #[command(flatten)]
    pub store: StoreArg,
    /// What to read when collecting live (ignored with --snapshot).
    #[command(flatten)]
    pub live: LiveArgs,
    /// Emailing the report once it is written.
    #[command(flatten)]
    pub email: EmailArgs,
}

/// Email delivery of a report: who gets it, through which server, and what is attached. The
/// SMTP login comes from the environment only (ATLAS_AUDIT_SMTP_USER and
/// ATLAS_AUDIT_SMTP_PASSWORD), never from a flag.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Email")]
pub struct EmailArgs {
    /// Email the report to these addresses, comma-separated, once every file is written
    /// (needs the html format).
    #[arg(
        long,
        value_name = "ADDR",
        value_delimiter = ',',
        value_parser = crate::deliver::parse_mailbox
    )]
    pub email_to: Vec<lettre::message::Mailbox>,
    /// The sender [env: ATLAS_AUDIT_EMAIL_FROM] [default: ATLAS_AUDIT_SMTP_USER when it is an
    /// email address]
    #[arg(
        long,
        value_name = "ADDR",
        value_parser = crate::deliver::parse_mailbox
    )]
    pub email_from: Option<lettre::message::Mailbox>,
    /// The mail server: smtps://HOST[:465] (TLS) or smtp://HOST[:587] (STARTTLS required;
    /// plain SMTP only to 127.0.0.1, ::1 or localhost).
    #[arg(long, value_name = "URL", requires = "email_to")]
    pub smtp_url: Option<String>,
    /// Attach access-review.xlsx when the file is at most this size, e.g. 10MB or 512KB
    /// (1 KB = 1024 bytes); 0 never attaches it.
    #[arg(
        long,
        value_name = "SIZE",
        default_value = "10MB",
        value_parser = crate::deliver::parse_size,
        requires = "email_to"
    )]
    pub attach_limit: u64,
    /// Write the message to email.eml in the report folder instead of sending it.
    #[arg(long, requires = "email_to")]
    pub email_dry_run: bool,
}

/// An organization or project id: Atlas's are 24 hexadecimal digits. Anything that would change
/// the request's path (empty, a slash, a space) is refused here rather than sent.
///
/// # Errors
/// A sentence with the expected form.
pub fn parse_atlas_id(s: &str) -> Result<String, String> {
    let id = s.trim();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "{s:?} is not an Atlas id; give the 24 hexadecimal digits shown in Atlas (organization or project settings), e.g. 5f1d7f3a2b4c5d6e7f8a9b0c, several separated by commas"
        ));
    }
    Ok(id.to_string())
}

fn parse_severity(s: &str) -> Result<crate::rules::Severity, String> {
    s.parse()
}

/// `rules`
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the catalogue as JSON (id, default severity, family, checks, why).
    #[arg(long)]
    pub json: bool,
}

/// `init`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to write the starter policy.
    #[arg(long, value_name = "FILE", default_value = "atlas-audit.toml")]
    pub out: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// `summary`
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// A snapshot written by `atlas-audit collect`.
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,
    /// Print the summary as one JSON object (the same exit codes).
    #[arg(long)]
    pub json: bool,
}

/// `--store`, on `collect` and `report`.
#[derive(Debug, Args, Clone, Default)]
pub struct StoreArg {
    /// Record the run in this evidence store (SQLite; `atlas-audit.db` when given without a
    /// path): the snapshot, the findings and manifest of a report, and the last-seen ledger
    /// that outlives Atlas's short logs.
    #[arg(long = "store", value_name = "PATH", num_args = 0..=1, default_missing_value = crate::store::DEFAULT_STORE)]
    pub path: Option<PathBuf>,
}

/// `decisions`
#[derive(Debug, Args)]
pub struct DecisionsArgs {
    /// Filled-in access-review.xlsx workbooks of one report (reviewers may split the work).
    #[arg(value_name = "WORKBOOK", required = true)]
    pub workbooks: Vec<PathBuf>,
    /// Folder to write decisions.csv into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// The report folder the workbooks must belong to (its manifest.json).
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    /// Evidence store: the workbooks must belong to a report it recorded, and the decisions
    /// are recorded in it as an attestation (SQLite; `atlas-audit.db` when given without a path).
    #[arg(long = "store", value_name = "PATH", num_args = 0..=1, default_missing_value = crate::store::DEFAULT_STORE)]
    pub store: Option<PathBuf>,
    /// Policy whose `[review] require_comment` applies (default: ./atlas-audit.toml when
    /// present, else Revoke and Modify need a comment).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Print the outcome (counts per reviewer and sheet, the file written, the attestation)
    /// as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `diff`
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier snapshot (the last review): a file, or `run:N` from `--store`.
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The later snapshot: a file, or `run:N` from `--store`.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// The evidence store that `run:N` names read from.
    #[command(flatten)]
    pub store: StoreArg,
    /// Policy both are judged by (default: ./atlas-audit.toml when present, else the
    /// catalogue defaults).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// What to print: text (a summary and every change), csv (changes.csv) or json.
    #[arg(long, value_name = "FORMAT", default_value = "text", value_parser = ["text", "csv", "json"])]
    pub format: String,
}

/// `plan`
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("intent").args(["decisions", "offboard", "offboard_file"])))]
pub struct PlanArgs {
    /// The snapshot the review was made from.
    #[arg(long, value_name = "FILE")]
    pub snapshot: PathBuf,
    /// Where to write plan.json (plan.txt is written beside it).
    #[arg(long, value_name = "FILE", default_value = "plan.json")]
    pub out: PathBuf,
    /// decisions.csv, as `atlas-audit decisions` writes it: each Revoke and Modify planned.
    #[arg(long, value_name = "FILE")]
    pub decisions: Option<PathBuf>,
    /// Offboard these people: everything they hold in every org of the snapshot.
    #[arg(long, value_name = "EMAIL", num_args = 1..)]
    pub offboard: Vec<String>,
    /// Offboard the people of this file, one email a line (`#` starts a comment).
    #[arg(long, value_name = "FILE")]
    pub offboard_file: Option<PathBuf>,
    /// Policy whose recommendations give a Modify without a target its lesser role
    /// (default: ./atlas-audit.toml when present, else the catalogue defaults).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Without --decisions, --offboard or --offboard-file: plan the decisions of this evidence
    /// store's latest attestation (recorded by `decisions --store`).
    #[command(flatten)]
    pub store: StoreArg,
}

/// `demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the demo's snapshot and reports (an earlier demo there is replaced).
    #[arg(long, value_name = "DIR", default_value = "atlas-audit-demo")]
    pub out: PathBuf,
}

/// `serve-mock`
#[derive(Debug, Args)]
pub struct ServeMockArgs {
    /// Serve this world folder (Atlas response shapes; see fixtures/README.md).
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "synthetic",
        required_unless_present = "synthetic"
    )]
    pub world: Option<PathBuf>,
    /// Serve a deterministic synthetic estate: small, medium, large or xl.
    #[arg(long, value_name = "SIZE")]
    pub synthetic: Option<String>,
    /// Loopback address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7080")]
    pub listen: std::net::SocketAddr,
    /// Digest public key to accept (default: a random one, printed).
    #[arg(long, value_name = "KEY")]
    pub public_key: Option<String>,
    /// Digest private key to accept (default: a random one, printed).
    #[arg(long, value_name = "KEY")]
    pub private_key: Option<String>,
    /// Service-account client id to accept.
    #[arg(long, value_name = "ID", requires = "client_secret")]
    pub client_id: Option<String>,
    /// Service-account secret to accept.
    #[arg(long, value_name = "SECRET", requires = "client_id")]
    pub client_secret: Option<String>,
    /// Token-bucket rate limits per endpoint family, each bucket per org, project or caller:
    /// comma-separated [FAMILY=]N/PERIOD[,burst=M], PERIOD being s, min, Ks or Kmin, e.g.
    /// 50/s or orgs=10/60s,events=300/60s,default=100/s. A rate without a family is `default`,
    /// the limit of every family not named. Families: orgs, projects, org-users, teams,
    /// api-keys, service-accounts, events, settings, network-access, clusters, database-users,
    /// custom-roles, access-logs, project-users, invitations, federation, default (other
    /// paths); writes
    /// share the family of what they change. all=N/PERIOD alone: one bucket per caller for
    /// every request.
    #[arg(long, value_name = "SPEC")]
    pub rate_limit: Option<String>,
    /// Injected faults, e.g. 500=0.05,429=0.02,drop=0.01,deny=/groups/ID (see README).
    #[arg(long, value_name = "SPEC")]
    pub faults: Option<String>,
    /// Answer 406 to a request with the wrong media-type version.
    #[arg(long)]
    pub strict_accept: bool,
    /// Serve the world as of this RFC 3339 time instead of now.
    #[arg(long, value_name = "TIME", hide = true)]
    pub as_of: Option<jiff::Timestamp>,
    /// A digest nonce goes stale after this many uses (answered 401 with stale=true).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub nonce_max_uses: Option<u64>,
    /// A digest nonce is good for one request; a reuse is answered 401 with stale=false, as a
    /// server may that expects a fresh challenge for every request.
    #[arg(long, conflicts_with = "nonce_max_uses")]
    pub nonce_single_use: bool,
}

/// `completions`
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `man`
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `atlas-audit.1` and one `atlas-audit-<command>.1` per command into this folder
    /// (created if missing) instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `schema`
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The file whose schema to print.
    #[arg(
        value_name = "NAME",
        required_unless_present = "out",
        conflicts_with = "out"
    )]
    pub name: Option<SchemaName>,
    /// Write every schema, as `<NAME>.schema.json`, into this folder (created if missing)
    /// instead: `--out schemas` regenerates the repository's copies.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// A file atlas-audit writes that has a published schema (what each gives: `app::schema`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum SchemaName {
    /// snapshot.json, written by collect.
    Snapshot,
    /// findings.json of a report.
    Findings,
    /// manifest.json of a report.
    Manifest,
    /// plan.json, written by plan.
    Plan,
    /// directory.json of a report.
    Directory,
}

/// Parses an age such as `90d`, `12w` or `36h`.
///
/// # Errors
/// A sentence naming the accepted forms.
pub fn parse_age(s: &str) -> Result<SignedDuration, String> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = digits.parse().map_err(|_| {
        format!("{s:?} is not an age; write a number and a unit, e.g. 90d, 12w or 36h")
    })?;
    let hours = match unit {
        "d" => n * 24,
        "w" => n * 24 * 7,
        "h" => n,
        _ => {
            return Err(format!(
                "{s:?}: unknown unit {unit:?}; use d (days), w (weeks) or h (hours), e.g. 90d"
            ));
        }
    };
    if n <= 0 || hours > 24 * 366 * 5 {
        return Err(format!(
            "{s:?} is out of range; give between 1h and 5 years"
        ));
    }
    Ok(SignedDuration::from_hours(hours))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn atlas_ids_that_would_change_a_request_path_are_refused() {
        assert_eq!(
            parse_atlas_id(" 5f1d7f3a2b4c5d6e7f8a9b0c ").unwrap(),
            "5f1d7f3a2b4c5d6e7f8a9b0c"
        );
        for bad in ["", "  ", "a/b", "a b", "a?x", "../x"] {
            let err = parse_atlas_id(bad).unwrap_err();
            assert!(err.contains("24 hexadecimal digits"), "{bad:?}: {err}");
        }
    }

    #[test]
    fn rate_limit_help_names_every_endpoint_family() {
        use clap::CommandFactory;
        let mut cli = Cli::command();
        let serve = cli.find_subcommand_mut("serve-mock").expect("serve-mock");
        let arg = serve
            .get_arguments()
            .find(|a| a.get_id() == "rate_limit")
            .expect("--rate-limit");
        let help = arg.get_help().expect("help text").to_string();
        for family in crate::mock::rate_limit_families() {
            assert!(help.contains(family), "{family} missing from: {help}");
        }
    }

    #[test]
    fn debug_output_of_the_command_line_redacts_secrets() {
        let cli = Cli::parse_from([
            "atlas-audit",
            "collect",
            "--public-key",
            "pubkey01",
            "--private-key",
            "very-secret-private-value",
            "--client-id",
            "mdb_sa_id_1",
            "--client-secret",
            "another-secret-value",
        ]);
        let shown = format!("{cli:?}");
        assert!(!shown.contains("very-secret-private-value"), "{shown}");
        assert!(!shown.contains("another-secret-value"), "{shown}");
        assert!(
            shown.contains("pubkey01") && shown.contains("[redacted]"),
            "{shown}"
        );
    }

    #[test]
    fn ages() {
        assert_eq!(
            parse_age("90d").unwrap(),
            SignedDuration::from_hours(90 * 24)
        );
        assert_eq!(
            parse_age("2w").unwrap(),
            SignedDuration::from_hours(14 * 24)
        );
        assert_eq!(parse_age("36h").unwrap(), SignedDuration::from_hours(36));
        assert!(parse_age("90").unwrap_err().contains("unknown unit"));
        assert!(parse_age("d").unwrap_err().contains("e.g. 90d"));
        assert!(parse_age("0d").is_err());
    }
}

/// `apply`
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The plan written by `atlas-audit plan` (plan.json).
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Carry the plan out. Without it, apply shows what it would do and sends nothing.
    #[arg(long)]
    pub yes: bool,
    /// Leave these steps out (their ids, as plan.txt shows them: S-001 ...).
    #[arg(long, value_name = "STEP", num_args = 1..)]
    pub skip: Vec<String>,
    /// The journal each step's end is appended to (default: apply-log.jsonl beside the plan).
    /// A run again resumes after the last completed step.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Record the plan and every step's end (and each verification) in this evidence store
    /// as it happens, for the next `report --store`.
    #[command(flatten)]
    pub store: StoreArg,
    /// Credentials and endpoint, as for collect.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// `verify`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The plan that was applied (plan.json).
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// The journal apply wrote (default: apply-log.jsonl beside the plan).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Record the plan and every step's end (and each verification) in this evidence store
    /// as it happens, for the next `report --store`.
    #[command(flatten)]
    pub store: StoreArg,
    /// Credentials and endpoint, as for collect.
    #[command(flatten)]
    pub connection: ConnectionArgs,
}
