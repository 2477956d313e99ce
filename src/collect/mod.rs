//! Walks an Atlas estate through the [`Client`] and builds the [`Snapshot`].
//!
//! The walk reads each org's settings, projects, users (every membership status), teams, API
//! keys with their access lists, service accounts with their project roles and access lists,
//! and events; and each project's settings, IP access list, auditing, clusters, team roles,
//! database users, custom roles, events and per-cluster access logs; and the further paths
//! (per-project invitations, LDAP and X.509 settings, Atlas-managed certificates of X.509
//! database users, cloud-provider roles). No request asks for what
//! another already gave: team membership comes from the users' `teamIds`, not from one call per
//! team. A scope that cannot be read becomes a [`CoverageGap`] and the walk goes on; only a
//! failure to list anything at all is an error. One project's part of the walk is in `project.rs`.

mod assemble;
mod federation;
mod paths;
mod progress;
mod project;
pub mod raw;

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Instant;

use futures::future::join_all;
use jiff::{SignedDuration, Timestamp};
use serde::de::DeserializeOwned;

pub use assemble::assemble;
use progress::Progress;
pub use progress::{LogLine, LogWriter};
use raw::{RawApiKey, RawEstate, RawOrg, RawServiceAccount, Window};

use crate::atlas::endpoint::{self as ep, Endpoint};
use crate::atlas::types::ListingItem;
use crate::atlas::{AtlasError, Client, types};
use crate::model::{CoverageGap, Meta, RequestedScope, Snapshot};

/// What to collect.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Only these orgs (empty: every org the credential can read).
    pub orgs: Vec<String>,
    /// Only these projects (empty: every project of the orgs).
    pub projects: Vec<String>,
    /// The as-of time: windows end here and every age is measured from here.
    pub now: Timestamp,
    /// How far back to read events.
    pub events_since: SignedDuration,
    /// How far back to read database access logs when a cluster holds more than one answer's
    /// worth (Atlas keeps about 7 days; everything it holds is read when it fits one answer).
    pub access_logs_since: SignedDuration,
    /// Show progress on stderr.
    pub progress: bool,
}

/// Atlas returns at most this many access-log entries per request.
pub const MAX_ACCESS_LOGS: usize = 20_000;

/// Why nothing could be collected.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The first listing failed: nothing can be read with these credentials or this URL.
    #[error("could not read the list of organizations")]
    Root(#[source] AtlasError),
    /// Atlas refused the credential itself: the run stops at once.
    #[error(transparent)]
    Refused(AtlasError),
    /// The credential reads no org at all.
    #[error(
        "the credential can read no organization; for a project-scoped key, name the projects with --project"
    )]
    NothingVisible,
}

struct Walk<'a> {
    client: &'a Client,
    opts: &'a CollectOptions,
    gaps: Mutex<Vec<CoverageGap>>,
    progress: Progress,
}

/// Collects the estate.
///
/// # Errors
/// Only when nothing at all can be read; every narrower failure is a coverage gap.
pub async fn collect(client: &Client, opts: &CollectOptions) -> Result<Snapshot, CollectError> {
    let started = Instant::now();
    let walk = Walk {
        client,
        opts,
        gaps: Mutex::new(Vec::new()),
        progress: Progress::new(opts.progress),
    };
    let (orgs, only_projects) = walk.roots().await?;
    walk.progress.set_orgs(&orgs);
    let raw_orgs = walk
        .progress
        .watch(|| client.tallies(), async {
            let mut raw_orgs =
                join_all(orgs.into_iter().map(|o| walk.org(o, &only_projects))).await;
            walk.identity_providers(&mut raw_orgs).await;
            raw_orgs
        })
        .await;
    walk.progress.finish();
    // A credential refused halfway (revoked while the walk ran) leaves nothing worth keeping.
    if let Some(refused) = client.refusal(&ep::LIST_ORGS, client.base_url()) {
        return Err(CollectError::Refused(refused));
    }
    let window = Window {
        now: Some(opts.now),
        events_since: Some(opts.now - opts.events_since),
        access_logs_since: Some(opts.now - opts.access_logs_since),
    };
    let meta = Meta {
        tool_version: env!("CARGO_PKG_VERSION").into(),
        collected_at: Some(opts.now),
        duration_ms: started.elapsed().as_millis() as u64,
        credential: format!(
            "{}:{}",
            client.credentials().kind(),
            client.credentials().identity()
        ),
        base_url: client.base_url().into(),
        scope: RequestedScope {
            orgs: opts.orgs.clone(),
            projects: opts.projects.clone(),
            events_since: window.events_since,
            access_logs_since: window.access_logs_since,
        },
        endpoints: client.tallies(),
    };
    let gaps = walk.gaps.into_inner().unwrap_or_else(|p| p.into_inner());
    let _assembling = tracing::info_span!("assemble").entered();
    Ok(assemble(
        RawEstate {
            orgs: raw_orgs,
            only_projects,
            window,
        },
        meta,
        gaps,
    ))
}

/// The error for a failed first read: a refused credential says so by itself.
fn root_error(e: AtlasError) -> CollectError {
    match e {
        AtlasError::CredentialRefused { .. } => CollectError::Refused(e),
        other => CollectError::Root(other),
    }
}

/// A path segment, percent-encoded (cluster names and ids are plain, but never trust that).
fn seg(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

impl Walk<'_> {
    /// Records something that could not be read.
    fn record(&self, gap: CoverageGap) {
        tracing::warn!(scope = %gap.scope, endpoint = %gap.endpoint, reason = %gap.reason, "not collected");
        self.gaps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(gap);
    }

    fn gap(&self, scope: String, error: &AtlasError) {
        let reason = match error {
            AtlasError::Status {
                status: 401 | 403, ..
            } => {
                format!("access denied: the credential lacks the role this needs ({error})")
            }
            _ => crate::model::with_causes(error),
        };
        self.record(CoverageGap {
            scope,
            endpoint: error.endpoint().into(),
            status: error.status(),
            error_code: error.error_code().map(str::to_string),
            reason,
        });
    }

    /// The value of a read, or `None` with its failure recorded as a gap of `scope`.
    fn read<T>(&self, scope: &str, result: Result<T, AtlasError>) -> Option<T> {
        result.map_err(|e| self.gap(scope.into(), &e)).ok()
    }

    /// A listing read to its end and checked against Atlas's count (unless the endpoint's count
    /// is only an estimate). When the distinct items disagree with `totalCount`, pages moved
    /// while it was read: it is read once more. A re-read still short of the count is a gap of
    /// `scope`; one still over it is a gap only when the two reads disagree with each other too
    /// (the count is an estimate, but a listing that keeps changing under the read may hide a
    /// skipped item).
    async fn all<T: DeserializeOwned + ListingItem>(
        &self,
        scope: &str,
        endpoint: &Endpoint,
        path: String,
        query: &[(&str, String)],
    ) -> Option<Vec<T>> {
        let first = self.read(scope, self.client.get_all(endpoint, &path, query).await)?;
        // A read ends on a short page; where Atlas calls its count an estimate, that read is
        // the listing whatever the count says.
        if !first.disagrees() || endpoint.count_is_estimate {
            return Some(first.items);
        }
        let again = self.read(scope, self.client.get_all(endpoint, &path, query).await)?;
        let unsettled = again.items.len() != first.items.len();
        if again.is_short() || (again.disagrees() && unsettled) {
            self.record(CoverageGap {
                scope: scope.into(),
                endpoint: endpoint.name.into(),
                status: None,
                error_code: None,
                reason: format!(
                    "incomplete listing: Atlas counted {} items but {} distinct were read, \
                     then {} on a second read",
                    again.total_count.unwrap_or_default(),
                    first.items.len(),
                    again.items.len()
                ),
            });
        }
        Some(again.items)
    }

    async fn object<T: DeserializeOwned>(
        &self,
        scope: &str,
        endpoint: &Endpoint,
        path: String,
    ) -> Option<T> {
        self.read(scope, self.client.get_object(endpoint, &path, &[]).await)
    }

    /// The orgs to walk, and the project filter from `--project`.
    async fn roots(&self) -> Result<(Vec<types::Organization>, BTreeSet<String>), CollectError> {
        let (client, opts) = (self.client, self.opts);
        if opts.orgs.is_empty() && opts.projects.is_empty() {
            let orgs: Vec<types::Organization> = client
                .get_all(&ep::LIST_ORGS, "/orgs", &[])
                .await
                .map_err(root_error)?
                .items;
            if orgs.is_empty() {
                return Err(CollectError::NothingVisible);
            }
            return Ok((orgs, BTreeSet::new()));
        }
        let mut org_ids: BTreeSet<String> = opts.orgs.iter().cloned().collect();
        let mut only = BTreeSet::new();
        for id in &opts.projects {
            match client
                .get_object::<types::Project>(
                    &ep::GET_PROJECT,
                    &format!("/groups/{}", seg(id)),
                    &[],
                )
                .await
            {
                Ok(p) => {
                    org_ids.insert(p.org_id.clone());
                    only.insert(p.id);
                }
                Err(e @ (AtlasError::Auth { .. } | AtlasError::CredentialRefused { .. })) => {
                    return Err(root_error(e));
                }
                Err(e) => self.gap(format!("project:{id}"), &e),
            }
        }
        let mut orgs = Vec::new();
        for id in org_ids {
            match client
                .get_object::<types::Organization>(
                    &ep::GET_ORG,
                    &format!("/orgs/{}", seg(&id)),
                    &[],
                )
                .await
            {
                Ok(o) => orgs.push(o),
                Err(e @ (AtlasError::Auth { .. } | AtlasError::CredentialRefused { .. })) => {
                    return Err(root_error(e));
                }
                Err(e) => self.gap(format!("org:{id}"), &e),
            }
        }
        if orgs.is_empty() && self.gaps.lock().map(|g| g.is_empty()).unwrap_or(false) {
            return Err(CollectError::NothingVisible);
        }
        Ok((orgs, only))
    }

    fn event_query(&self) -> Vec<(&'static str, String)> {
        let since = self.opts.now - self.opts.events_since;
        // maxDate pins the listing: events that arrive during the walk cannot shift its pages.
        vec![
            ("minDate", since.to_string()),
            ("maxDate", self.opts.now.to_string()),
        ]
    }

    async fn org(&self, org: types::Organization, only: &BTreeSet<String>) -> RawOrg {
        let id = seg(&org.id);
        let scope = format!("org:{}", org.id);
        let base = format!("/orgs/{id}");
        let statuses: Vec<(&str, String)> = [
            "ACTIVE",
            "PENDING",
            "INVITATION_EXPIRED",
            "INVITATION_REJECTED",
        ]
        .into_iter()
        .map(|s| ("orgMembershipStatuses", s.to_string()))
        .collect();
        let events_q = self.event_query();
        let projects_fut = async {
            let listed: Option<Vec<types::Project>> = self
                .all(&scope, &ep::ORG_PROJECTS, format!("{base}/groups"), &[])
                .await;
            let mut chosen: Vec<types::Project> = listed
                .unwrap_or_default()
                .into_iter()
                .filter(|p| only.is_empty() || only.contains(&p.id))
                .collect();
            chosen.sort_by(|a, b| a.id.cmp(&b.id));
            self.progress.add_projects(&org.id, chosen.len());
            join_all(chosen.into_iter().map(|p| self.project(p))).await
        };
        let (settings, users, teams, api_keys, service_accounts, events, projects, federation) = futures::join!(
            self.object::<types::OrgSettings>(
                &scope,
                &ep::ORG_SETTINGS,
                format!("{base}/settings")
            ),
            self.all::<types::OrgUser>(&scope, &ep::ORG_USERS, format!("{base}/users"), &statuses),
            self.all::<types::Team>(&scope, &ep::ORG_TEAMS, format!("{base}/teams"), &[]),
            self.api_keys(&scope, &base),
            self.service_accounts(&scope, &base),
            self.all::<types::Event>(&scope, &ep::ORG_EVENTS, format!("{base}/events"), &events_q),
            projects_fut,
            self.federation(&org.id),
        );
        self.progress.org_done(&org.id);
        RawOrg {
            org,
            settings,
            users,
            teams,
            api_keys,
            service_accounts,
            events,
            projects,
            federation,
        }
    }

    async fn api_keys(&self, scope: &str, base: &str) -> Option<Vec<RawApiKey>> {
        let keys: Vec<types::ApiKey> = self
            .all(scope, &ep::ORG_API_KEYS, format!("{base}/apiKeys"), &[])
            .await?;
        Some(
            join_all(keys.into_iter().map(|key| async move {
                let path = format!("{base}/apiKeys/{}/accessList", seg(&key.id));
                let key_scope = format!("apikey:{}", key.public_key);
                let access_list = self
                    .all(&key_scope, &ep::API_KEY_ACCESS_LIST, path, &[])
                    .await;
                RawApiKey { key, access_list }
            }))
            .await,
        )
    }

    /// Every service account, those Atlas manages itself (hidden unless
    /// `includeSystemManaged=true`) included. No field tells them apart, so the listing is read
    /// twice, with and without, and the accounts only the first lists are the system-managed.
    async fn service_accounts(&self, scope: &str, base: &str) -> Option<Vec<RawServiceAccount>> {
        let path = format!("{base}/serviceAccounts");
        let every = [("includeSystemManaged", "true".to_string())];
        let (accounts, user_managed) = futures::join!(
            self.all::<types::ServiceAccount>(
                scope,
                &ep::ORG_SERVICE_ACCOUNTS,
                path.clone(),
                &every
            ),
            self.all::<types::ServiceAccount>(scope, &ep::ORG_SERVICE_ACCOUNTS, path, &[]),
        );
        let user_managed: Option<BTreeSet<String>> =
            user_managed.map(|list| list.into_iter().map(|a| a.client_id).collect());
        let accounts = accounts?;
        let user_managed = &user_managed;
        Some(
            join_all(accounts.into_iter().map(|account| async move {
                let sa_base = format!("{base}/serviceAccounts/{}", seg(&account.client_id));
                let sa_scope = format!("sa:{}", account.client_id);
                let (projects, access_list) = futures::join!(
                    self.all(
                        &sa_scope,
                        &ep::SERVICE_ACCOUNT_PROJECTS,
                        format!("{sa_base}/groups"),
                        &[]
                    ),
                    self.all(
                        &sa_scope,
                        &ep::SERVICE_ACCOUNT_ACCESS_LIST,
                        format!("{sa_base}/accessList"),
                        &[]
                    ),
                );
                RawServiceAccount {
                    system_managed: user_managed
                        .as_ref()
                        .map(|user| !user.contains(&account.client_id)),
                    account,
                    projects,
                    access_list,
                }
            }))
            .await,
        )
    }
}
