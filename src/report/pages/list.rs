//! The lists a page shows: at most a cap of items, and only while the page's rough size budget
//! admits them, saying how many there are in all and how many are not shown.

use std::cell::Cell;

use serde::Serialize;

/// Up to a cap of items, with how many there are in all and how many are not shown.
#[derive(Debug, Serialize)]
pub(super) struct List<T> {
    pub(super) items: Vec<T>,
    pub(super) total: usize,
    more: usize,
    /// The page's size budget, not the cap, ended the list.
    cut: bool,
}

impl<T: Serialize> List<T> {
    /// The first `cap` of `all`, made by `f`, while `budget` admits them.
    pub(super) fn take<S>(
        all: &[S],
        cap: usize,
        budget: &Budget,
        mut f: impl FnMut(&S) -> T,
    ) -> List<T> {
        let mut items = Vec::new();
        let mut cut = false;
        for s in all.iter().take(cap) {
            let item = f(s);
            if !budget.admit(&item) {
                cut = true;
                break;
            }
            items.push(item);
        }
        List {
            total: all.len(),
            more: all.len() - items.len(),
            items,
            cut,
        }
    }
}

/// Bytes a part of a page may still fill, roughly. Once an item does not fit, none does, so a
/// list is always its first items.
pub(super) struct Budget(Cell<usize>);

/// Markup a template adds around one item, roughly.
const ITEM_MARKUP: usize = 1_000;

impl Budget {
    pub(super) fn new(bytes: usize) -> Budget {
        Budget(Cell::new(bytes))
    }

    pub(super) fn unlimited() -> Budget {
        Budget::new(usize::MAX)
    }

    /// Takes the item's weight from the budget, or empties it when the item does not fit.
    pub(super) fn admit<T: Serialize>(&self, item: &T) -> bool {
        if self.0.get() == usize::MAX {
            return true;
        }
        let json = serde_json::to_string(item).unwrap_or_default();
        let escapes = json.bytes().filter(|b| b"&<>'\"".contains(b)).count();
        let weight = json.len() + 4 * escapes + ITEM_MARKUP;
        let left = self.0.get();
        self.0.set(left.saturating_sub(weight));
        weight <= left
    }
}
