//! Reading whole answers on top of the request path: one object, a bare array, or a
//! paginated listing read to its end, dropping any item a moving listing serves twice. Each
//! page is one request through the request path (`request`); paging never sits beside it.

use std::collections::HashSet;

use serde::de::DeserializeOwned;

use super::client::Client;
use super::endpoint::{Endpoint, Shape};
use super::error::AtlasError;
use super::types::{ListingItem, Page};

/// A listing read to its end.
#[derive(Debug)]
pub struct Listing<T> {
    /// Every distinct item, in the server's order (a repeat of an identity already read is
    /// dropped: pages moved under the read).
    pub items: Vec<T>,
    /// Atlas's `totalCount` from the first page, when the endpoint gives one.
    pub total_count: Option<u64>,
    /// Items served again on a later page and dropped.
    pub duplicates: usize,
}

impl<T> Listing<T> {
    /// Whether the distinct items read disagree with Atlas's count. Pages that moved while the
    /// listing was read show up here: an item removed before the current page makes the next
    /// page skip one; an item inserted repeats one (dropped) and hides itself.
    pub fn disagrees(&self) -> bool {
        self.total_count
            .is_some_and(|total| self.items.len() as u64 != total)
    }

    /// Whether fewer distinct items were read than Atlas counted.
    pub fn is_short(&self) -> bool {
        self.total_count
            .is_some_and(|total| (self.items.len() as u64) < total)
    }
}

impl Client {
    /// Reads one object.
    ///
    /// # Errors
    /// Any [`AtlasError`], after retries.
    pub async fn get_object<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, AtlasError> {
        let value: T = self.send(endpoint, path, query, &mut None).await?;
        self.tally(endpoint, |t| {
            t.pages += 1;
            t.items += 1;
        });
        Ok(value)
    }

    /// Reads a bare-array endpoint.
    ///
    /// # Errors
    /// Any [`AtlasError`], after retries.
    pub async fn get_array<T: DeserializeOwned>(
        &self,
        endpoint: &Endpoint,
        path: &str,
    ) -> Result<Vec<T>, AtlasError> {
        debug_assert_eq!(endpoint.shape, Shape::BareArray);
        let items: Vec<T> = self.send(endpoint, path, &[], &mut None).await?;
        self.tally(endpoint, |t| {
            t.pages += 1;
            t.items += items.len() as u64;
        });
        Ok(items)
    }

    /// Reads a paginated listing to its end: `itemsPerPage` at the maximum, `pageNum` from 1
    /// until a short page. `totalCount` is asked for on the first page only (where the endpoint
    /// takes `includeCount`): it proves the population complete without making deep pages slow.
    /// An item whose identity was already read is dropped (see [`Listing::disagrees`]).
    ///
    /// # Errors
    /// Any [`AtlasError`] on any page, after retries.
    pub async fn get_all<T: DeserializeOwned + ListingItem>(
        &self,
        endpoint: &Endpoint,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Listing<T>, AtlasError> {
        let Shape::Paged { include_count } = endpoint.shape else {
            unreachable!("get_all on a non-paged endpoint {}", endpoint.name);
        };
        let page_size = self.options.page_size;
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut duplicates = 0;
        let mut total_count = None;
        // A listing keeps its permit from one page to the next: the permit queue is first-come
        // first-served, and a continuation page sent to its back would wait behind every
        // request queued since, leaving long listings as a slow tail at the end of a run. It
        // gives the permit back only while a page waits for its bucket or a backoff.
        let mut permit = None;
        for page_num in 1.. {
            let mut q: Vec<(&str, String)> = query.to_vec();
            q.push(("itemsPerPage", page_size.to_string()));
            q.push(("pageNum", page_num.to_string()));
            if include_count {
                q.push(("includeCount", (page_num == 1).to_string()));
            }
            let page: Page<T> = self.send(endpoint, path, &q, &mut permit).await?;
            if page_num == 1 {
                total_count = page.total_count;
            }
            let n = page.results.len();
            let before = items.len();
            for item in page.results {
                if item.identity().is_some_and(|id| !seen.insert(id)) {
                    duplicates += 1;
                } else {
                    items.push(item);
                }
            }
            let kept = items.len() - before;
            self.tally(endpoint, |t| {
                t.pages += 1;
                t.items += kept as u64;
                if page_num == 1 {
                    t.total_count += page.total_count.unwrap_or(0);
                }
            });
            if n < page_size {
                break;
            }
        }
        if duplicates > 0 {
            tracing::debug!(
                endpoint = endpoint.name,
                path,
                duplicates,
                "items served twice while paging were dropped"
            );
        }
        Ok(Listing {
            items,
            total_count,
            duplicates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_disagrees_with_its_count_either_way() {
        let listing = |n: usize, total: Option<u64>| Listing {
            items: vec![(); n],
            total_count: total,
            duplicates: 0,
        };
        assert!(!listing(3, Some(3)).disagrees());
        assert!(!listing(3, None).disagrees());
        assert!(listing(2, Some(3)).disagrees() && listing(2, Some(3)).is_short());
        assert!(listing(4, Some(3)).disagrees() && !listing(4, Some(3)).is_short());
    }
}
