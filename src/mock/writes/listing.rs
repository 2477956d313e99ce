//! Reading a listing as JSON values for a write or a check GET, and storing it back with the
//! index its route filters on (membership statuses, system-managed flags).

use serde_json::Value;
use serde_json::value::RawValue;

use super::super::load::SYSTEM_MANAGED_MARK;
use super::super::routes::{self, Filter};
use super::super::world::{Entry, Listing, ListingIndex, Membership, RawItem, World};

/// The items of the listing at `path` as the last write left them (empty when none is
/// stored). A service account Atlas manages itself carries the world file's mark again, so
/// storing the listing back keeps it.
pub(crate) fn load(world: &World, path: &str) -> Vec<Value> {
    let Some(entry) = world.entry(path) else {
        return Vec::new();
    };
    let Entry::Listing(listing) = &*entry else {
        return Vec::new();
    };
    let mut items: Vec<Value> = listing
        .items
        .iter()
        .map(|item| serde_json::from_str(item.get()).unwrap_or(Value::Null))
        .collect();
    if let ListingIndex::SystemManaged(flags) = &listing.index {
        for (item, managed) in items.iter_mut().zip(flags) {
            if let (true, Some(object)) = (*managed, item.as_object_mut()) {
                object.insert(SYSTEM_MANAGED_MARK.into(), Value::Bool(true));
            }
        }
    }
    items
}

/// Stores `items` as the listing at `path`, indexed as its route filters. The caller holds the
/// world's write lock.
pub(crate) fn store(world: &World, path: &str, mut items: Vec<Value>) {
    let filter = routes::match_path(path).map_or(Filter::None, |m| m.route.filter);
    let index = match filter {
        Filter::Membership => {
            ListingIndex::Members(items.iter().map(Membership::of_user).collect())
        }
        Filter::SystemManaged => ListingIndex::SystemManaged(
            items
                .iter_mut()
                .map(|item| {
                    item.as_object_mut()
                        .and_then(|o| o.remove(SYSTEM_MANAGED_MARK))
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false)
                })
                .collect(),
        ),
        Filter::IdentityProviders => ListingIndex::IdentityProviders(
            items.iter().map(super::super::filters::idp_kind).collect(),
        ),
        // Writes change no event listing.
        Filter::None | Filter::Events => ListingIndex::Plain,
    };
    let items = items.iter().map(raw).collect();
    world.replace(path, Entry::Listing(Listing { items, index }));
}

/// A value as a stored item.
pub(crate) fn raw(value: &Value) -> RawItem {
    // Serialising a JSON value cannot fail, and its text is valid JSON.
    RawValue::from_string(value.to_string()).unwrap_or_default()
}

/// The position of the item whose `field` is `value`.
pub(crate) fn find(items: &[Value], field: &str, value: &str) -> Option<usize> {
    items
        .iter()
        .position(|item| item.get(field).and_then(Value::as_str) == Some(value))
}

/// The item whose `field` is `value`, without the world file's marks.
pub(crate) fn get(world: &World, path: &str, field: &str, value: &str) -> Option<Value> {
    let items = load(world, path);
    let i = find(&items, field, value)?;
    let mut item = items.into_iter().nth(i)?;
    if let Some(object) = item.as_object_mut() {
        object.remove(SYSTEM_MANAGED_MARK);
    }
    Some(item)
}

/// An item without the world file's marks.
pub(crate) fn get_clean(mut item: Value) -> Value {
    if let Some(object) = item.as_object_mut() {
        object.remove(SYSTEM_MANAGED_MARK);
    }
    item
}

/// The org a project belongs to.
pub(crate) fn org_of(world: &World, project: &str) -> Option<String> {
    let group: Value = serde_json::from_str(world.group(project)?.get()).ok()?;
    group.get("orgId")?.as_str().map(str::to_owned)
}

/// The strings of an array field (`["A","B"]`), empty when absent.
pub(crate) fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
