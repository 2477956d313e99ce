//! Progress on stderr while collecting, with `indicatif`: one bar per org (its projects read),
//! or one for all orgs when there are too many to show, and one line per endpoint family with
//! the items and pages read so far, taken from the client's tallies as they grow.
//!
//! Bars are drawn only when stderr is a terminal, progress was asked for (no `--quiet`), and
//! logs at info level are off (with `-v` the logs say the same, line by line). Otherwise nothing
//! is drawn; the info-level logs still say when each organization is done. While bars are
//! drawn, log lines go through [`LogWriter`], which lifts the bars out of the way for each line.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use indicatif::{HumanCount, MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::atlas::endpoint as ep;
use crate::atlas::types::Organization;
use crate::model::EndpointTally;

/// With more orgs than this, one bar stands for all of them.
const MAX_ORG_BARS: usize = 8;

/// How often the family lines are refreshed from the tallies and the spinners turn.
const TICK: Duration = Duration::from_millis(120);

/// Spinner frames; the last one is shown once a bar is finished.
const FRAMES: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏", "✔"];

/// The bars being drawn, if any: what [`LogWriter`] suspends for each log line.
static DRAWING: Mutex<Option<MultiProgress>> = Mutex::new(None);

/// The groups of endpoints that progress is shown for, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Family {
    /// Orgs and projects with their settings, auditing configuration and clusters.
    OrgsAndProjects,
    /// Atlas users of every membership status.
    Users,
    /// Teams and their project roles.
    Teams,
    /// Programmatic API keys.
    ApiKeys,
    /// Service accounts and their projects.
    ServiceAccounts,
    /// Database users.
    DatabaseUsers,
    /// Custom database roles.
    CustomRoles,
    /// IP access lists: of projects, API keys and service accounts.
    AccessLists,
    /// Database access logs.
    AccessLogs,
    /// Org and project events.
    Events,
    /// Federation settings, role mappings and identity providers.
    Federation,
}

/// Which family each endpoint belongs to.
const MEMBERS: &[(&str, Family)] = &[
    (ep::LIST_ORGS.name, Family::OrgsAndProjects),
    (ep::GET_ORG.name, Family::OrgsAndProjects),
    (ep::ORG_SETTINGS.name, Family::OrgsAndProjects),
    (ep::ORG_PROJECTS.name, Family::OrgsAndProjects),
    (ep::GET_PROJECT.name, Family::OrgsAndProjects),
    (ep::PROJECT_SETTINGS.name, Family::OrgsAndProjects),
    (ep::PROJECT_AUDIT_LOG.name, Family::OrgsAndProjects),
    (ep::PROJECT_CLUSTERS.name, Family::OrgsAndProjects),
    (ep::PROJECT_FLEX_CLUSTERS.name, Family::OrgsAndProjects),
    (ep::ORG_USERS.name, Family::Users),
    (ep::ORG_TEAMS.name, Family::Teams),
    (ep::PROJECT_TEAMS.name, Family::Teams),
    (ep::ORG_API_KEYS.name, Family::ApiKeys),
    (ep::ORG_SERVICE_ACCOUNTS.name, Family::ServiceAccounts),
    (ep::SERVICE_ACCOUNT_PROJECTS.name, Family::ServiceAccounts),
    (ep::DATABASE_USERS.name, Family::DatabaseUsers),
    (ep::CUSTOM_DB_ROLES.name, Family::CustomRoles),
    (ep::PROJECT_ACCESS_LIST.name, Family::AccessLists),
    (ep::API_KEY_ACCESS_LIST.name, Family::AccessLists),
    (ep::SERVICE_ACCOUNT_ACCESS_LIST.name, Family::AccessLists),
    (ep::ACCESS_HISTORY.name, Family::AccessLogs),
    (ep::ORG_EVENTS.name, Family::Events),
    (ep::PROJECT_EVENTS.name, Family::Events),
    (ep::ORG_FEDERATION_SETTINGS.name, Family::Federation),
    (ep::CONNECTED_ORG_CONFIG.name, Family::Federation),
    (ep::ROLE_MAPPINGS.name, Family::Federation),
    (ep::IDENTITY_PROVIDERS.name, Family::Federation),
    (ep::GROUP_INVITES.name, Family::Users),
    (ep::USER_SECURITY.name, Family::OrgsAndProjects),
    (ep::CLOUD_PROVIDER_ACCESS.name, Family::OrgsAndProjects),
    (ep::DATABASE_USER_CERTS.name, Family::DatabaseUsers),
];

impl Family {
    /// Every family, in display order.
    pub const ALL: [Family; 11] = [
        Family::OrgsAndProjects,
        Family::Users,
        Family::Teams,
        Family::ApiKeys,
        Family::ServiceAccounts,
        Family::DatabaseUsers,
        Family::CustomRoles,
        Family::AccessLists,
        Family::AccessLogs,
        Family::Events,
        Family::Federation,
    ];

    /// What the line is called.
    pub fn label(self) -> &'static str {
        match self {
            Family::OrgsAndProjects => "orgs & projects",
            Family::Users => "users",
            Family::Teams => "teams",
            Family::ApiKeys => "API keys",
            Family::ServiceAccounts => "service accounts",
            Family::DatabaseUsers => "database users",
            Family::CustomRoles => "custom roles",
            Family::AccessLists => "access lists",
            Family::AccessLogs => "access logs",
            Family::Events => "events",
            Family::Federation => "federation",
        }
    }

    /// The family of an endpoint, by its operation id.
    pub fn of(endpoint: &str) -> Option<Family> {
        MEMBERS
            .iter()
            .find(|(name, _)| *name == endpoint)
            .map(|(_, family)| *family)
    }
}

/// Items and pages read per family, summed over the client's per-endpoint tallies.
pub(crate) fn by_family(tallies: &BTreeMap<String, EndpointTally>) -> BTreeMap<Family, (u64, u64)> {
    let mut sums = BTreeMap::new();
    for (endpoint, t) in tallies {
        if let Some(family) = Family::of(endpoint) {
            let e: &mut (u64, u64) = sums.entry(family).or_default();
            e.0 += t.items;
            e.1 += t.pages;
        }
    }
    sums
}

/// `1,234 items in 3 pages`.
fn items_and_pages(items: u64, pages: u64) -> String {
    format!(
        "{} {} in {} {}",
        HumanCount(items),
        if items == 1 { "item" } else { "items" },
        HumanCount(pages),
        if pages == 1 { "page" } else { "pages" }
    )
}

/// The bars while they are drawn.
struct Bars {
    multi: MultiProgress,
    /// One per org by id; empty when one bar stands for all orgs.
    orgs: HashMap<String, ProgressBar>,
    /// The bar for all orgs, when there are too many for one each.
    all_orgs: Option<ProgressBar>,
    families: Vec<(Family, ProgressBar)>,
}

/// Progress of one collection: counters for the logs, and bars when drawn.
pub(crate) struct Progress {
    bars: Mutex<Option<Bars>>,
    drawn: bool,
    orgs: AtomicUsize,
    orgs_done: AtomicUsize,
}

impl Progress {
    /// Progress that draws bars on stderr when `requested` and stderr is a terminal (see the
    /// module documentation), and otherwise only counts.
    pub fn new(requested: bool) -> Self {
        let drawn = requested
            && std::io::stderr().is_terminal()
            && !tracing::enabled!(tracing::Level::INFO);
        Progress {
            bars: Mutex::new(None),
            drawn,
            orgs: AtomicUsize::new(0),
            orgs_done: AtomicUsize::new(0),
        }
    }

    fn with_bars(&self, f: impl FnOnce(&mut Bars)) {
        if !self.drawn {
            return;
        }
        let mut bars = self.bars.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bars) = bars.as_mut() {
            f(bars);
        }
    }

    /// The orgs to be walked: their bars start here.
    pub fn set_orgs(&self, orgs: &[Organization]) {
        self.orgs.store(orgs.len(), Ordering::Relaxed);
        if !self.drawn {
            return;
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let org_style = ProgressStyle::with_template(
            "{spinner:.green} {prefix:30!} [{bar:24.cyan/blue}] {pos}/{len} projects {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .tick_strings(FRAMES)
        .progress_chars("=> ");
        let family_style = ProgressStyle::with_template("{spinner:.green} {prefix:30} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner())
            .tick_strings(FRAMES);
        let bar = |prefix: String| {
            multi.add(
                ProgressBar::new(0)
                    .with_style(org_style.clone())
                    .with_prefix(prefix),
            )
        };
        let (by_org, all_orgs) = if orgs.len() <= MAX_ORG_BARS {
            let by_org = orgs
                .iter()
                .map(|o| {
                    let name = if o.name.trim().is_empty() {
                        o.id.clone()
                    } else {
                        o.name.clone()
                    };
                    (o.id.clone(), bar(name))
                })
                .collect();
            (by_org, None)
        } else {
            let all = bar(format!("{} organizations", orgs.len()));
            all.set_message(format!("0/{} organizations done", orgs.len()));
            (HashMap::new(), Some(all))
        };
        let families = Family::ALL
            .iter()
            .map(|&family| {
                let line = multi.add(
                    ProgressBar::new_spinner()
                        .with_style(family_style.clone())
                        .with_prefix(family.label())
                        .with_message(items_and_pages(0, 0)),
                );
                (family, line)
            })
            .collect();
        *DRAWING.lock().unwrap_or_else(|p| p.into_inner()) = Some(multi.clone());
        *self.bars.lock().unwrap_or_else(|p| p.into_inner()) = Some(Bars {
            multi,
            orgs: by_org,
            all_orgs,
            families,
        });
    }

    /// An org's projects are listed: `n` of them will be read.
    pub fn add_projects(&self, org_id: &str, n: usize) {
        self.with_bars(|bars| {
            if let Some(bar) = bars.orgs.get(org_id).or(bars.all_orgs.as_ref()) {
                bar.inc_length(n as u64);
            }
        });
    }

    /// One project of an org is read.
    pub fn project_done(&self, org_id: &str) {
        self.with_bars(|bars| {
            if let Some(bar) = bars.orgs.get(org_id).or(bars.all_orgs.as_ref()) {
                bar.inc(1);
            }
        });
    }

    /// An org is read, projects and all.
    pub fn org_done(&self, org_id: &str) {
        let done = self.orgs_done.fetch_add(1, Ordering::Relaxed) + 1;
        let of = self.orgs.load(Ordering::Relaxed);
        tracing::info!(done, of, "organization collected");
        self.with_bars(|bars| {
            if let Some(bar) = bars.orgs.get(org_id) {
                bar.finish_with_message("done");
            }
            if let Some(all) = &bars.all_orgs {
                all.set_message(format!("{done}/{of} organizations done"));
            }
        });
    }

    /// Refreshes the family lines from the client's tallies, and turns the spinners.
    pub fn sync(&self, tallies: &BTreeMap<String, EndpointTally>) {
        self.with_bars(|bars| {
            let sums = by_family(tallies);
            for (family, line) in &bars.families {
                let (items, pages) = sums.get(family).copied().unwrap_or_default();
                line.set_message(items_and_pages(items, pages));
                line.tick();
            }
            for bar in bars.orgs.values().chain(bars.all_orgs.as_ref()) {
                if !bar.is_finished() {
                    bar.tick();
                }
            }
        });
    }

    /// Runs `work`, refreshing the family lines from `tallies` while it runs.
    pub async fn watch<F: Future>(
        &self,
        tallies: impl Fn() -> BTreeMap<String, EndpointTally>,
        work: F,
    ) -> F::Output {
        if !self.drawn {
            return work.await;
        }
        let mut work = std::pin::pin!(work);
        let mut ticks = tokio::time::interval(TICK);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                out = &mut work => {
                    self.sync(&tallies());
                    return out;
                }
                _ = ticks.tick() => self.sync(&tallies()),
            }
        }
    }

    /// The walk is over: the bars are finished and left on screen with their final counts.
    pub fn finish(&self) {
        let Some(bars) = self.bars.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return;
        };
        for bar in bars.orgs.values().chain(bars.all_orgs.as_ref()) {
            bar.finish();
        }
        for (_, line) in &bars.families {
            line.finish();
        }
        *DRAWING.lock().unwrap_or_else(|p| p.into_inner()) = None;
        drop(bars.multi);
    }
}

impl Drop for Progress {
    /// A walk that ends early (an error) stops drawing too.
    fn drop(&mut self) {
        if let Some(bars) = self
            .bars
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            for bar in bars.orgs.values().chain(bars.all_orgs.as_ref()) {
                bar.abandon();
            }
            for (_, line) in &bars.families {
                line.abandon();
            }
            *DRAWING.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
    }
}

/// Where `tracing` writes: stderr, with any progress bars lifted out of the way for each line
/// so a warning never lands in the middle of a bar.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

/// One log line on its way to stderr; see [`LogWriter`].
#[derive(Debug)]
pub struct LogLine;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogLine;

    fn make_writer(&'a self) -> LogLine {
        LogLine
    }
}

impl Write for LogLine {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let drawing = DRAWING.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match drawing {
            Some(multi) => multi.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_belongs_to_exactly_one_family() {
        for endpoint in ep::ALL {
            let n = MEMBERS.iter().filter(|(e, _)| *e == endpoint.name).count();
            assert_eq!(n, 1, "{} is in {n} families", endpoint.name);
        }
        assert_eq!(
            MEMBERS.len(),
            ep::ALL.len(),
            "no family lists an unknown endpoint"
        );
        for family in Family::ALL {
            assert!(
                MEMBERS.iter().any(|(_, f)| *f == family),
                "{family:?} has no endpoint"
            );
        }
    }

    #[test]
    fn items_and_pages_add_up_per_family() {
        let tally = |items, pages| EndpointTally {
            items,
            pages,
            ..EndpointTally::default()
        };
        let tallies: BTreeMap<String, EndpointTally> = [
            (ep::ORG_EVENTS.name.to_string(), tally(1_200, 3)),
            (ep::PROJECT_EVENTS.name.to_string(), tally(34, 2)),
            (ep::ORG_USERS.name.to_string(), tally(7, 1)),
            ("somethingNew".to_string(), tally(99, 9)),
        ]
        .into_iter()
        .collect();
        let sums = by_family(&tallies);
        assert_eq!(sums.get(&Family::Events), Some(&(1_234, 5)));
        assert_eq!(sums.get(&Family::Users), Some(&(7, 1)));
        assert_eq!(sums.len(), 2, "an unknown endpoint is in no family");
        assert_eq!(items_and_pages(1_234, 5), "1,234 items in 5 pages");
        assert_eq!(items_and_pages(1, 1), "1 item in 1 page");
    }

    #[tokio::test]
    async fn nothing_is_drawn_unless_asked() {
        let progress = Progress::new(false);
        let orgs: Vec<Organization> =
            serde_json::from_str(r#"[{"id": "o1", "name": "One"}]"#).unwrap();
        progress.set_orgs(&orgs);
        progress.add_projects("o1", 2);
        progress.project_done("o1");
        progress.org_done("o1");
        assert!(progress.bars.lock().unwrap().is_none());
        assert!(DRAWING.lock().unwrap().is_none());
        let out = progress.watch(BTreeMap::new, async { 42 }).await;
        assert_eq!(out, 42);
        assert_eq!(progress.orgs_done.load(Ordering::Relaxed), 1);
    }
}
