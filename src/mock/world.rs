//! The estate the simulated Atlas serves: every stored listing and resource, keyed by its API
//! path, with the small indexes that let the server filter without re-reading items.
//!
//! Items are kept as the raw JSON bytes of each element (`Box<RawValue>`): a page is answered by
//! concatenating them, so an estate of a million events is never re-parsed per request.
//!
//! Longer than the usual 600 lines: the store, its indexes and the reads the routes make of it
//! are one type whose parts change together; the write paths are already in `writes/`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use serde::Deserialize;
use serde_json::value::RawValue;

use super::routes::{self, Source};
use super::writes::CallerRoles;
use crate::model::ACCESS_HISTORY_DAYS;

/// One item of a listing, or one resource, as the raw JSON text Atlas would send.
pub type RawItem = Box<RawValue>;

/// Why a world folder could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum WorldError {
    /// A file or folder could not be read.
    #[error("cannot read {path}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid JSON.
    #[error("{path} is not valid JSON")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parser's error, with line and column.
        #[source]
        cause: serde_json::Error,
    },
    /// A file holds JSON of the wrong shape for its API path.
    #[error("{path}: {message}")]
    Shape {
        /// The file.
        path: PathBuf,
        /// What was expected and what was found.
        message: String,
    },
    /// A file whose path is not an API path the simulated Atlas serves.
    #[error(
        "{path} maps to {api_path}, which the simulated Atlas does not serve; \
         see fixtures/README.md for the file layout"
    )]
    UnknownFile {
        /// The file.
        path: PathBuf,
        /// The API path it would have been served at.
        api_path: String,
    },
    /// `world.json` has no usable `as_of`.
    #[error(
        "{path}: `as_of` must be an RFC 3339 timestamp such as \"2026-03-01T00:00:00Z\"{}",
        if cause.is_none() { ": the field is missing or not a string" } else { "" }
    )]
    AsOf {
        /// The `world.json` file.
        path: PathBuf,
        /// Why the field's text is not a timestamp; none when there is no such text.
        #[source]
        cause: Option<jiff::Error>,
    },
}

/// An org user's membership status, the key of the `orgMembershipStatuses` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Membership {
    Active,
    Pending,
    InvitationExpired,
    InvitationRejected,
    /// Missing or unknown: matched by no filter value.
    Other,
}

impl Membership {
    /// Reads a status as Atlas spells it; `None` for a value Atlas would reject in a query.
    pub fn parse(value: &str) -> Option<Membership> {
        match value {
            "ACTIVE" => Some(Membership::Active),
            "PENDING" => Some(Membership::Pending),
            "INVITATION_EXPIRED" => Some(Membership::InvitationExpired),
            "INVITATION_REJECTED" => Some(Membership::InvitationRejected),
            _ => None,
        }
    }

    /// The status of an org user as a listing holds it; `Other` when it has none Atlas
    /// filters by.
    pub fn of_user(user: &serde_json::Value) -> Membership {
        user.get("orgMembershipStatus")
            .and_then(serde_json::Value::as_str)
            .and_then(Membership::parse)
            .unwrap_or(Membership::Other)
    }
}

/// `created` and `eventTypeName` of every event of a listing, by position.
#[derive(Debug, Default)]
pub(crate) struct EventIndex {
    /// Epoch milliseconds; `i64::MIN` when the event has no readable `created`.
    pub created_ms: Vec<i64>,
    /// Position in `type_names`.
    pub type_ids: Vec<u32>,
    /// Interned event type names.
    pub type_names: Vec<Box<str>>,
    lookup: HashMap<Box<str>, u32>,
}

impl EventIndex {
    /// Appends one event's metadata.
    pub fn push(&mut self, created_ms: i64, type_name: &str) {
        let id = match self.lookup.get(type_name) {
            Some(&id) => id,
            None => {
                let id = u32::try_from(self.type_names.len()).unwrap_or(u32::MAX);
                self.type_names.push(type_name.into());
                self.lookup.insert(type_name.into(), id);
                id
            }
        };
        self.created_ms.push(created_ms);
        self.type_ids.push(id);
    }

    /// The interned id of a type name, if any event has it.
    pub fn type_id(&self, name: &str) -> Option<u32> {
        self.lookup.get(name).copied()
    }
}

/// What the server may filter a listing on.
#[derive(Debug)]
pub(crate) enum ListingIndex {
    /// Nothing: the listing is never filtered.
    Plain,
    /// Org users: membership status by position.
    Members(Vec<Membership>),
    /// Events: creation time and type by position.
    Events(EventIndex),
    /// Service accounts: whether Atlas manages each itself (listed only when asked for).
    SystemManaged(Vec<bool>),
    /// Identity providers: each one's `protocol` and `idpType`, by position.
    IdentityProviders(Vec<(String, String)>),
}

/// A stored array.
#[derive(Debug)]
pub(crate) struct Listing {
    /// The items, in the order Atlas lists them.
    pub items: Vec<RawItem>,
    /// What the server may filter on.
    pub index: ListingIndex,
}

/// A cluster's access history as Atlas keeps it: the last [`ACCESS_HISTORY_DAYS`] days before
/// the world's "now", most recent first.
#[derive(Debug)]
pub(crate) struct AccessLogs {
    /// Each log entry, most recent first.
    pub items: Vec<RawItem>,
    /// When, in epoch milliseconds (`i64::MIN` when unreadable), by position: read from
    /// `logLine` or `timestamp` as the collector reads them.
    pub at_ms: Vec<i64>,
    /// `authResult`, by position.
    pub auth_result: Vec<Option<bool>>,
}

/// One stored path.
#[derive(Debug)]
pub(crate) enum Entry {
    Listing(Listing),
    Object(RawItem),
    AccessLogs(AccessLogs),
}

/// The in-memory estate the simulated Atlas serves; share it with `Arc`. What was loaded never
/// changes: a write replaces the listing it changes in a small overlay (`changed`), which reads
/// look at first, so an estate nobody writes to costs one empty map and reads are never
/// re-parsed (`writes.rs` in `mock/writes/` holds the logic).
#[derive(Debug)]
pub struct World {
    entries: BTreeMap<String, Entry>,
    /// Listings replaced by writes, by path.
    changed: RwLock<HashMap<String, Arc<Entry>>>,
    /// Whether any write changed anything: until one does, reads do not touch the lock.
    any_changed: AtomicBool,
    /// Writes are applied one at a time per world.
    write_lock: Mutex<()>,
    /// Which roles the caller holds per org and project; `None`: every role everywhere.
    caller_roles: Option<CallerRoles>,
    /// Every project of every org, for `/groups`.
    all_groups: Vec<RawItem>,
    group_by_id: HashMap<String, usize>,
    org_by_id: HashMap<String, usize>,
    known_orgs: HashSet<String>,
    known_groups: HashSet<String>,
    /// Parent listing path → the keys of its items (API key ids, client ids, cluster names).
    children: HashMap<String, HashSet<String>>,
    /// Clusters on a tenant tier (M0, M2, M5, Flex), by `/groups/{id}/clusters/{name}`: Atlas
    /// keeps no access history for them.
    tenant_clusters: HashSet<String>,
}

/// The few fields the world indexes, read from an item without parsing the rest.
#[derive(Deserialize)]
struct Keys<'a> {
    #[serde(borrow, default)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default, rename = "clientId")]
    client_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    username: Option<std::borrow::Cow<'a, str>>,
}

fn key_of(item: &RawValue, field: &str) -> Option<String> {
    let keys: Keys<'_> = serde_json::from_str(item.get()).ok()?;
    let value = match field {
        "id" => keys.id,
        "clientId" => keys.client_id,
        "name" => keys.name,
        "username" => keys.username,
        _ => None,
    };
    value.map(|v| v.into_owned())
}

/// Collects stored paths, then builds the derived indexes in one pass.
#[derive(Debug, Default)]
pub(crate) struct WorldBuilder {
    entries: BTreeMap<String, Entry>,
}

impl WorldBuilder {
    /// An empty world.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores a listing that is never filtered.
    pub fn listing(&mut self, path: String, items: Vec<RawItem>) {
        let listing = Listing {
            items,
            index: ListingIndex::Plain,
        };
        self.entries.insert(path, Entry::Listing(listing));
    }

    /// Stores org users with their membership statuses.
    pub fn members(&mut self, path: String, items: Vec<RawItem>, statuses: Vec<Membership>) {
        let listing = Listing {
            items,
            index: ListingIndex::Members(statuses),
        };
        self.entries.insert(path, Entry::Listing(listing));
    }

    /// Stores service accounts with whether each is system-managed.
    pub fn service_accounts(&mut self, path: String, items: Vec<RawItem>, managed: Vec<bool>) {
        let listing = Listing {
            items,
            index: ListingIndex::SystemManaged(managed),
        };
        self.entries.insert(path, Entry::Listing(listing));
    }

    /// Stores identity providers with each one's `protocol` and `idpType`.
    pub fn identity_providers(
        &mut self,
        path: String,
        items: Vec<RawItem>,
        kinds: Vec<(String, String)>,
    ) {
        let listing = Listing {
            items,
            index: ListingIndex::IdentityProviders(kinds),
        };
        self.entries.insert(path, Entry::Listing(listing));
    }

    /// Stores events, reordered most recent first as Atlas lists them (stable for ties).
    pub fn events(&mut self, path: String, items: Vec<RawItem>, index: EventIndex) {
        let (items, index) = newest_first(items, index);
        let listing = Listing {
            items,
            index: ListingIndex::Events(index),
        };
        self.entries.insert(path, Entry::Listing(listing));
    }

    /// Stores a single resource.
    pub fn object(&mut self, path: String, item: RawItem) {
        self.entries.insert(path, Entry::Object(item));
    }

    /// Stores a cluster's access history; `entries` are (item, time in epoch ms or `i64::MIN`
    /// when unreadable, authResult). Only what Atlas would still hold at `now_ms` is kept: the
    /// last [`ACCESS_HISTORY_DAYS`] days, and entries whose time cannot be read (which a world
    /// holds to show that they are reported, not lost).
    pub fn access_logs(
        &mut self,
        path: String,
        mut entries: Vec<(RawItem, i64, Option<bool>)>,
        now_ms: i64,
    ) {
        let kept_from = now_ms.saturating_sub(ACCESS_HISTORY_DAYS * 86_400_000);
        entries.retain(|(_, at, _)| *at == i64::MIN || *at >= kept_from);
        entries.sort_by_key(|(_, at, _)| std::cmp::Reverse(*at));
        let mut logs = AccessLogs {
            items: Vec::with_capacity(entries.len()),
            at_ms: Vec::with_capacity(entries.len()),
            auth_result: Vec::with_capacity(entries.len()),
        };
        for (item, at, ok) in entries {
            logs.items.push(item);
            logs.at_ms.push(at);
            logs.auth_result.push(ok);
        }
        self.entries.insert(path, Entry::AccessLogs(logs));
    }

    /// Builds the derived views (`/orgs/{id}`, `/groups`, `/groups/{id}`) and the indexes of
    /// known orgs, projects and sub-resource parents.
    pub fn finish(self) -> World {
        let mut world = World {
            entries: self.entries,
            changed: RwLock::new(HashMap::new()),
            any_changed: AtomicBool::new(false),
            write_lock: Mutex::new(()),
            caller_roles: None,
            all_groups: Vec::new(),
            group_by_id: HashMap::new(),
            org_by_id: HashMap::new(),
            known_orgs: HashSet::new(),
            known_groups: HashSet::new(),
            children: HashMap::new(),
            tenant_clusters: HashSet::new(),
        };
        for (path, entry) in &world.entries {
            let Some(matched) = routes::match_path(path) else {
                continue;
            };
            if let Some(org) = matched.param("orgId") {
                world.known_orgs.insert(org.to_owned());
            }
            if let Some(group) = matched.param("groupId") {
                world.known_groups.insert(group.to_owned());
            }
            let Entry::Listing(listing) = entry else {
                continue;
            };
            if matched.route.template == "/orgs" {
                for (i, item) in listing.items.iter().enumerate() {
                    if let Some(id) = key_of(item, "id") {
                        world.known_orgs.insert(id.clone());
                        world.org_by_id.insert(id, i);
                    }
                }
            } else if matched.route.template == "/orgs/{orgId}/groups" {
                for item in &listing.items {
                    if let Some(id) = key_of(item, "id") {
                        world.known_groups.insert(id.clone());
                        world.group_by_id.insert(id, world.all_groups.len());
                    }
                    world.all_groups.push(item.clone());
                }
            }
            if matched.route.template == "/groups/{groupId}/clusters" {
                for item in &listing.items {
                    if let Some(name) = tenant_cluster(item) {
                        world.tenant_clusters.insert(format!("{path}/{name}"));
                    }
                }
            }
            if let Some((_, field)) = routes::PARENT_KEYS
                .iter()
                .find(|(template, _)| *template == matched.route.template)
            {
                let keys = listing
                    .items
                    .iter()
                    .filter_map(|item| key_of(item, field))
                    .collect();
                world.children.insert(path.clone(), keys);
            }
        }
        world
    }
}

/// The name of a listed cluster when it runs on a tenant tier: `providerName` `TENANT` or
/// `FLEX`, or an instance size of M0, M2, M5 or FLEX in its first region.
fn tenant_cluster(item: &RawValue) -> Option<String> {
    let cluster: serde_json::Value = serde_json::from_str(item.get()).ok()?;
    let region = cluster.pointer("/replicationSpecs/0/regionConfigs/0")?;
    let provider = region
        .get("providerName")
        .and_then(serde_json::Value::as_str);
    let specs = region.get("electableSpecs");
    let size = specs
        .and_then(|e| {
            e.get("effectiveInstanceSize")
                .or_else(|| e.get("instanceSize"))
        })
        .and_then(serde_json::Value::as_str);
    crate::model::Cluster::tenant_tier(provider, size)
        .then(|| cluster.get("name")?.as_str().map(str::to_owned))
        .flatten()
}

/// Reorders events by `created`, most recent first, keeping ties in stored order.
fn newest_first(items: Vec<RawItem>, index: EventIndex) -> (Vec<RawItem>, EventIndex) {
    let sorted = index.created_ms.windows(2).all(|w| w[0] >= w[1]);
    if sorted {
        return (items, index);
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(index.created_ms[i]));
    let mut slots: Vec<Option<RawItem>> = items.into_iter().map(Some).collect();
    let items = order.iter().filter_map(|&i| slots[i].take()).collect();
    let created_ms = order.iter().map(|&i| index.created_ms[i]).collect();
    let type_ids = order.iter().map(|&i| index.type_ids[i]).collect();
    let index = EventIndex {
        created_ms,
        type_ids,
        ..index
    };
    (items, index)
}

/// A stored entry as reads see it: as loaded, or as a write left it.
#[derive(Debug)]
pub(crate) enum EntryRef<'w> {
    /// As loaded.
    Loaded(&'w Entry),
    /// Replaced by a write.
    Changed(Arc<Entry>),
}

impl std::ops::Deref for EntryRef<'_> {
    type Target = Entry;

    fn deref(&self) -> &Entry {
        match self {
            EntryRef::Loaded(entry) => entry,
            EntryRef::Changed(entry) => entry,
        }
    }
}

impl World {
    /// The same world, where the caller holds only `roles` (a 403 answers a write that needs
    /// a role it lacks).
    pub fn with_caller_roles(mut self, roles: CallerRoles) -> World {
        self.caller_roles = Some(roles);
        self
    }

    /// The caller's roles, if limited.
    pub(crate) fn caller_roles(&self) -> Option<&CallerRoles> {
        self.caller_roles.as_ref()
    }

    /// Takes the world's write lock: one write at a time.
    pub(crate) fn write_lock(&self) -> MutexGuard<'_, ()> {
        self.write_lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the listing at `path` (a write changed it). The caller holds the write lock.
    pub(crate) fn replace(&self, path: &str, entry: Entry) {
        let mut changed = self.changed.write().unwrap_or_else(|p| p.into_inner());
        changed.insert(path.to_owned(), Arc::new(entry));
        self.any_changed.store(true, Ordering::Release);
    }

    fn changed(&self, path: &str) -> Option<Arc<Entry>> {
        if !self.any_changed.load(Ordering::Acquire) {
            return None;
        }
        let changed = self.changed.read().unwrap_or_else(|p| p.into_inner());
        if changed.is_empty() {
            return None;
        }
        changed.get(path).cloned()
    }

    /// The listing served at an API path below `/api/atlas/v2` (`/orgs/X/users`), as raw
    /// items in the order Atlas lists them, unfiltered, as loaded (what writes changed is
    /// served over HTTP, not here). `/groups` is answered from every org's
    /// projects. `None` when nothing is stored there.
    pub fn list(&self, path: &str) -> Option<&[RawItem]> {
        if path == "/groups" {
            return Some(&self.all_groups);
        }
        match self.entries.get(path)? {
            Entry::Listing(listing) => Some(&listing.items),
            _ => None,
        }
    }

    /// For a service-account listing, whether each item (in [`World::list`] order) is managed
    /// by Atlas itself and so listed only with `includeSystemManaged=true`; `None` when the
    /// listing marks none.
    pub fn system_managed(&self, path: &str) -> Option<&[bool]> {
        match self.entries.get(path)? {
            Entry::Listing(Listing {
                index: ListingIndex::SystemManaged(flags),
                ..
            }) => Some(flags),
            _ => None,
        }
    }

    /// Whether `/groups/{id}/clusters/{name}` names a cluster on a tenant tier.
    pub(crate) fn is_tenant_cluster(&self, cluster_path: &str) -> bool {
        self.tenant_clusters.contains(cluster_path)
    }

    /// The single resource served at an API path: a stored object, or one org or project
    /// picked out of its listing.
    pub fn object(&self, path: &str) -> Option<&RawValue> {
        match self.entries.get(path) {
            Some(Entry::Object(item)) => return Some(item),
            Some(Entry::Listing(_) | Entry::AccessLogs(_)) => return None,
            None => {}
        }
        let matched = routes::match_path(path)?;
        match matched.route.source {
            Source::Org => self.org(matched.param("orgId")?),
            Source::Group => self.group(matched.param("groupId")?),
            _ => None,
        }
    }

    /// The access-log entries served for a cluster (`/groups/{id}/dbAccessHistory/clusters/
    /// {name}`), most recent first: the last [`ACCESS_HISTORY_DAYS`] days before the world's
    /// "now", as Atlas keeps them. `None` when the world holds no history there.
    pub fn access_history(&self, path: &str) -> Option<&[RawItem]> {
        match self.entries.get(path)? {
            Entry::AccessLogs(logs) => Some(&logs.items),
            _ => None,
        }
    }

    /// Every stored path, sorted. Derived views (`/orgs/{id}`, `/groups`, `/groups/{id}`) are
    /// not stored and not listed.
    pub fn paths(&self) -> Vec<&str> {
        self.entries.keys().map(String::as_str).collect()
    }

    /// How many items the world holds per listing route template (`/orgs/{orgId}/users` →
    /// every org's users added up), for logs, tests and benchmarks.
    pub fn census(&self) -> BTreeMap<&'static str, usize> {
        let mut census = BTreeMap::new();
        for (path, entry) in &self.entries {
            let Some(matched) = routes::match_path(path) else {
                continue;
            };
            let count = match entry {
                Entry::Listing(listing) => listing.items.len(),
                Entry::AccessLogs(logs) => logs.items.len(),
                Entry::Object(_) => 1,
            };
            *census.entry(matched.route.template).or_insert(0) += count;
        }
        census
    }

    /// How many stored listings hold more than `n` items (paging is exercised past 500).
    pub fn listings_longer_than(&self, n: usize) -> usize {
        self.entries
            .values()
            .filter(|e| matches!(e, Entry::Listing(l) if l.items.len() > n))
            .count()
    }

    /// The entry at `path`, as the last write left it.
    pub(crate) fn entry(&self, path: &str) -> Option<EntryRef<'_>> {
        if let Some(changed) = self.changed(path) {
            return Some(EntryRef::Changed(changed));
        }
        self.entries.get(path).map(EntryRef::Loaded)
    }

    pub(crate) fn all_groups(&self) -> &[RawItem] {
        &self.all_groups
    }

    pub(crate) fn org(&self, id: &str) -> Option<&RawValue> {
        let items = self.list("/orgs")?;
        items.get(*self.org_by_id.get(id)?).map(|b| &**b)
    }

    pub(crate) fn group(&self, id: &str) -> Option<&RawValue> {
        self.all_groups
            .get(*self.group_by_id.get(id)?)
            .map(|b| &**b)
    }

    pub(crate) fn knows_org(&self, id: &str) -> bool {
        self.known_orgs.contains(id)
    }

    pub(crate) fn knows_group(&self, id: &str) -> bool {
        self.known_groups.contains(id)
    }

    /// Whether a sub-resource's parent exists: `Some(false)` when the parent listing is stored
    /// and does not hold `key`, `None` when the parent listing is not stored at all.
    pub(crate) fn has_child(&self, parent_listing: &str, key: &str) -> Option<bool> {
        if let Some(changed) = self.changed(parent_listing) {
            let field = routes::match_path(parent_listing).and_then(|m| {
                routes::PARENT_KEYS
                    .iter()
                    .find(|(template, _)| *template == m.route.template)
                    .map(|(_, field)| *field)
            })?;
            let Entry::Listing(listing) = &*changed else {
                return Some(false);
            };
            return Some(
                listing
                    .items
                    .iter()
                    .any(|item| key_of(item, field).as_deref() == Some(key)),
            );
        }
        self.children
            .get(parent_listing)
            .map(|keys| keys.contains(key))
    }

    /// The org ids the world knows, sorted.
    pub fn org_ids(&self) -> BTreeSet<&str> {
        self.known_orgs.iter().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_is_shareable_across_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<World>();
    }

    #[test]
    fn events_are_reordered_newest_first_keeping_ties() {
        let mut index = EventIndex::default();
        let mut items = Vec::new();
        for (i, at) in [1, 3, 2, 3].into_iter().enumerate() {
            items.push(RawValue::from_string(format!("{i}")).unwrap());
            index.push(at, if at == 3 { "A" } else { "B" });
        }
        let mut builder = WorldBuilder::new();
        builder.events("/orgs/o/events".into(), items, index);
        let world = builder.finish();
        let order: Vec<&str> = world
            .list("/orgs/o/events")
            .unwrap()
            .iter()
            .map(|i| i.get())
            .collect();
        assert_eq!(order, vec!["1", "3", "2", "0"]);
        let entry = world.entry("/orgs/o/events");
        let Some(Entry::Listing(listing)) = entry.as_deref() else {
            panic!("not a listing");
        };
        let ListingIndex::Events(index) = &listing.index else {
            panic!("not indexed");
        };
        assert_eq!(index.created_ms, vec![3, 3, 2, 1]);
        assert_eq!(index.type_ids[0], index.type_id("A").unwrap());
        assert_eq!(index.type_ids[2], index.type_id("B").unwrap());
    }
}
