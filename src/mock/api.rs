//! Answering one authenticated API GET from the world: the route, the media type it must be
//! asked for, the existence of the org, project or parent item it names, then the body.

use axum::http::StatusCode;
use serde_json::Value;
use serde_json::value::RawValue;

use super::api_error::ApiError;
use super::filters::{AccessLogFilter, EventFilter, idp_filter, membership_filter};
use super::paging::{LinkBase, Page, Query, envelope, push_array};
use super::routes::{self, Matched, Shape, Source};
use super::world::{Entry, ListingIndex, RawItem, World};

/// The media type a versioned Atlas resource is served with.
pub(crate) fn media_type(version: &str) -> String {
    format!("application/vnd.atlas.{version}+json")
}

/// Whether an `Accept` header asks for `version` (any of its comma-separated media ranges,
/// parameters such as `charset` ignored).
pub(crate) fn accepts(accept: Option<&str>, version: &str) -> bool {
    let wanted = media_type(version);
    accept.is_some_and(|accept| {
        accept.split(',').any(|range| {
            range
                .split(';')
                .next()
                .is_some_and(|media| media.trim().eq_ignore_ascii_case(&wanted))
        })
    })
}

/// 406 for an `Accept` header that does not name the route's version.
pub(crate) fn wrong_accept(accept: Option<&str>, version: &str) -> ApiError {
    let got = accept.unwrap_or("(none)");
    ApiError::new(
        StatusCode::NOT_ACCEPTABLE,
        "INVALID_VERSION_DATE",
        format!(
            "This resource is served as {}; the request's Accept header was {got}.",
            media_type(version)
        ),
    )
    .with_parameters(vec![Value::from(got)])
}

/// Matches a path below `/api/atlas/v2`, or 404.
pub(crate) fn resolve(path: &str) -> Result<Matched<'_>, ApiError> {
    routes::match_path(path).ok_or_else(|| ApiError::not_found(path))
}

/// The body of a successful answer, or the error Atlas would send.
pub(crate) fn answer(
    world: &World,
    matched: &Matched<'_>,
    path: &str,
    query: &Query,
    link_url: &str,
) -> Result<Vec<u8>, ApiError> {
    check_scope(world, matched)?;
    let route = matched.route;
    let base = LinkBase {
        url: link_url,
        query,
    };
    match route.source {
        Source::Org => {
            let id = matched.param("orgId").unwrap_or_default();
            let org = world.org(id).ok_or_else(|| ApiError::not_found(path))?;
            Ok(org.get().as_bytes().to_vec())
        }
        Source::Group => {
            let id = matched.param("groupId").unwrap_or_default();
            let group = world.group(id).ok_or_else(|| ApiError::not_found(path))?;
            Ok(group.get().as_bytes().to_vec())
        }
        Source::AllGroups => plain_page(world.all_groups(), query, route.include_count, &base),
        Source::Check(check) => super::writes::check(world, check, matched),
        Source::File => match (route.shape, world.entry(path).as_deref()) {
            (Shape::Object, Some(Entry::Object(item))) => Ok(item.get().as_bytes().to_vec()),
            (Shape::Object, _) => match route.empty {
                Some(body) => Ok(body.as_bytes().to_vec()),
                None => Err(ApiError::not_found(path)),
            },
            (Shape::BareArray, entry) => {
                let mut out = Vec::new();
                push_array(&mut out, listing_items(entry).iter().map(|b| &**b));
                Ok(out)
            }
            (Shape::AccessLogs, _) if tenant_cluster(world, matched) => {
                Err(no_history_on_tenant(matched))
            }
            (Shape::AccessLogs, entry) => access_logs(entry, query),
            (Shape::Listing, Some(Entry::Listing(listing))) => match &listing.index {
                ListingIndex::Plain => {
                    plain_page(&listing.items, query, route.include_count, &base)
                }
                ListingIndex::Members(statuses) => {
                    let page = Page::from_query(query, route.include_count)?;
                    let wanted = membership_filter(query)?;
                    let keep = |i: usize| wanted.contains(&statuses[i]);
                    Ok(filtered_page(&listing.items, keep, page, &base))
                }
                ListingIndex::SystemManaged(managed) => {
                    let page = Page::from_query(query, route.include_count)?;
                    let all = query.bool("includeSystemManaged")?.unwrap_or(false);
                    let keep = |i: usize| all || !managed[i];
                    Ok(filtered_page(&listing.items, keep, page, &base))
                }
                ListingIndex::IdentityProviders(kinds) => {
                    let page = Page::from_query(query, route.include_count)?;
                    let (protocols, types) = idp_filter(query)?;
                    let keep = |i: usize| {
                        let (protocol, idp_type) = &kinds[i];
                        protocols.contains(&protocol.as_str()) && types.contains(&idp_type.as_str())
                    };
                    Ok(filtered_page(&listing.items, keep, page, &base))
                }
                ListingIndex::Events(index) => {
                    let page = Page::from_query(query, route.include_count)?;
                    let filter = EventFilter::new(query, index)?;
                    let keep = |i: usize| filter.keeps(index, i);
                    Ok(filtered_page(&listing.items, keep, page, &base))
                }
            },
            (Shape::Listing, _) => plain_page(&[], query, route.include_count, &base),
        },
    }
}

/// 404 when the org, project or parent item named in the path does not exist.
fn check_scope(world: &World, matched: &Matched<'_>) -> Result<(), ApiError> {
    if let Some(org) = matched.param("orgId")
        && !world.knows_org(org)
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "ORG_NOT_FOUND",
            format!("No organization with ID {org} exists."),
        )
        .with_parameters(vec![Value::from(org)]));
    }
    if let Some(group) = matched.param("groupId")
        && !world.knows_group(group)
    {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "GROUP_NOT_FOUND",
            format!("No project with ID {group} exists."),
        )
        .with_parameters(vec![Value::from(group)]));
    }
    if let Some((param, template)) = matched.route.parent {
        let key = matched.param(param).unwrap_or_default();
        let parent = routes::fill(template, matched);
        if world.has_child(&parent, key) == Some(false) {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "RESOURCE_NOT_FOUND",
                format!("Cannot find {param} {key} in {parent}."),
            )
            .with_parameters(vec![Value::from(key)]));
        }
    }
    Ok(())
}

/// Whether an access-history request names a cluster on a tenant tier.
fn tenant_cluster(world: &World, matched: &Matched<'_>) -> bool {
    let cluster = routes::fill("/groups/{groupId}/clusters/{clusterName}", matched);
    world.is_tenant_cluster(&cluster)
}

/// 400 for access history on a tenant-tier cluster, which Atlas does not keep ("You can't use
/// this feature on tenant-tier clusters"; the error code is not documented or recorded).
fn no_history_on_tenant(matched: &Matched<'_>) -> ApiError {
    let name = matched.param("clusterName").unwrap_or_default();
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "TENANT_CLUSTER_UNSUPPORTED",
        format!("You can't use this feature on tenant-tier clusters; {name} is one."),
    )
    .with_parameters(vec![Value::from(name)])
}

fn listing_items(entry: Option<&Entry>) -> &[RawItem] {
    match entry {
        Some(Entry::Listing(listing)) => &listing.items,
        _ => &[],
    }
}

fn plain_page(
    items: &[RawItem],
    query: &Query,
    include_count: bool,
    base: &LinkBase<'_>,
) -> Result<Vec<u8>, ApiError> {
    let page = Page::from_query(query, include_count)?;
    let window = page.window(items.len());
    Ok(envelope(
        items[window].iter().map(|b| &**b),
        items.len(),
        page,
        base,
    ))
}

/// One page of the items that pass `keep`, counting every match for `totalCount`.
fn filtered_page(
    items: &[RawItem],
    keep: impl Fn(usize) -> bool,
    page: Page,
    base: &LinkBase<'_>,
) -> Vec<u8> {
    let window = page.start()..page.start().saturating_add(page.size);
    let mut selected: Vec<&RawValue> = Vec::with_capacity(page.size.min(items.len()));
    let mut total = 0;
    for (i, item) in items.iter().enumerate() {
        if keep(i) {
            if window.contains(&total) {
                selected.push(item);
            }
            total += 1;
            // Without a count, one match past the page is enough to know a next page exists.
            if !page.include_count && total > window.end {
                break;
            }
        }
    }
    envelope(selected.into_iter(), total, page, base)
}

fn access_logs(entry: Option<&Entry>, query: &Query) -> Result<Vec<u8>, ApiError> {
    let filter = AccessLogFilter::new(query)?;
    let mut out = Vec::new();
    out.extend_from_slice(b"{\"accessLogs\":");
    match entry {
        Some(Entry::AccessLogs(logs)) => {
            let keep = filter.select(logs);
            push_array(&mut out, keep.iter().map(|&i| &*logs.items[i]));
        }
        _ => push_array(&mut out, std::iter::empty()),
    }
    out.push(b'}');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_matching() {
        let v = "2023-01-01";
        assert!(accepts(Some("application/vnd.atlas.2023-01-01+json"), v));
        assert!(accepts(
            Some("application/json, application/vnd.atlas.2023-01-01+json; charset=utf-8"),
            v
        ));
        assert!(!accepts(Some("application/vnd.atlas.2025-02-19+json"), v));
        assert!(!accepts(Some("application/json"), v));
        assert!(!accepts(None, v));
    }
}
