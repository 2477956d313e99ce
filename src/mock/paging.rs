//! Query parameters and Atlas's paged envelope
//! (`{"links": [...], "results": [...], "totalCount": n}`), built by concatenating the stored
//! raw items of one page.

use serde_json::value::RawValue;

use super::api_error::ApiError;

/// Default `itemsPerPage`, as Atlas.
pub(crate) const DEFAULT_ITEMS_PER_PAGE: usize = 100;
/// Largest `itemsPerPage` Atlas accepts.
pub(crate) const MAX_ITEMS_PER_PAGE: usize = 500;

/// The decoded query string of a request, repeated keys kept in order.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes a raw query string (`a=1&b=2&b=3`).
    pub fn parse(raw: Option<&str>) -> Query {
        let pairs = raw
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        Query { pairs }
    }

    /// The first value of a parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable parameter; a comma-separated value counts as several.
    pub fn all<'q>(&'q self, name: &'q str) -> impl Iterator<Item = &'q str> + 'q {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// A boolean parameter (`true`/`false`, any case), or 400.
    pub fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(ApiError::bad_query(
                format!("Invalid value {v} for query parameter {name}: expected true or false."),
                name,
            )),
        }
    }

    /// An integer parameter within `min..=max`, or 400.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        match raw.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::bad_query(
                format!(
                    "Invalid value {raw} for query parameter {name}: expected an integer from {min} to {max}."
                ),
                name,
            )),
        }
    }

    /// The query re-encoded with `name` set to `value` (added when absent).
    pub fn with(&self, name: &str, value: &str) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        let mut replaced = false;
        for (k, v) in &self.pairs {
            if k == name {
                if !replaced {
                    out.append_pair(k, value);
                    replaced = true;
                }
            } else {
                out.append_pair(k, v);
            }
        }
        if !replaced {
            out.append_pair(name, value);
        }
        out.finish()
    }
}

/// The paging parameters of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    /// 1-based page number.
    pub num: usize,
    /// Items per page, 1..=500.
    pub size: usize,
    /// Whether `totalCount` is sent.
    pub include_count: bool,
}

impl Page {
    /// Reads `pageNum`, `itemsPerPage` and (when the endpoint takes it) `includeCount`.
    pub fn from_query(query: &Query, takes_include_count: bool) -> Result<Page, ApiError> {
        let num = query.int("pageNum", 1, i64::from(i32::MAX))?.unwrap_or(1);
        let size = query
            .int("itemsPerPage", 1, MAX_ITEMS_PER_PAGE as i64)?
            .map_or(DEFAULT_ITEMS_PER_PAGE, |n| n as usize);
        let include_count = if takes_include_count {
            query.bool("includeCount")?.unwrap_or(true)
        } else {
            true
        };
        Ok(Page {
            num: usize::try_from(num).unwrap_or(1),
            size,
            include_count,
        })
    }

    /// Index of the first item of the page.
    pub fn start(&self) -> usize {
        (self.num - 1).saturating_mul(self.size)
    }

    /// The item range of this page within `total` items.
    pub fn window(&self, total: usize) -> std::ops::Range<usize> {
        let start = self.start().min(total);
        start..start.saturating_add(self.size).min(total)
    }
}

/// Where the links of an envelope point.
#[derive(Debug)]
pub(crate) struct LinkBase<'a> {
    /// `http://127.0.0.1:PORT/api/atlas/v2/orgs/X/users`, without query.
    pub url: &'a str,
    /// The request's query.
    pub query: &'a Query,
}

/// Writes the envelope for one page: `results` from `items`, `totalCount` (0 when not asked for), a
/// `self` link and a `next` link when there is a further page.
pub(crate) fn envelope<'i>(
    items: impl Iterator<Item = &'i RawValue>,
    total: usize,
    page: Page,
    base: &LinkBase<'_>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + page.size * 512);
    out.extend_from_slice(b"{\"links\":[");
    push_link(
        &mut out,
        &base.query.with("pageNum", &page.num.to_string()),
        base,
        "self",
    );
    if page.start().saturating_add(page.size) < total {
        out.push(b',');
        let next = base.query.with("pageNum", &(page.num + 1).to_string());
        push_link(&mut out, &next, base, "next");
    }
    out.extend_from_slice(b"],\"results\":");
    push_array(&mut out, items);
    // Asked not to count, Atlas still sends the field, as 0 (recorded on every such page).
    out.extend_from_slice(b",\"totalCount\":");
    let total = if page.include_count { total } else { 0 };
    out.extend_from_slice(total.to_string().as_bytes());
    out.push(b'}');
    out
}

/// Writes `[item,item,...]`.
pub(crate) fn push_array<'i>(out: &mut Vec<u8>, items: impl Iterator<Item = &'i RawValue>) {
    out.push(b'[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(item.get().as_bytes());
    }
    out.push(b']');
}

fn push_link(out: &mut Vec<u8>, query: &str, base: &LinkBase<'_>, rel: &str) {
    let href = format!("{}?{}", base.url, query);
    // The path comes from the request; escaping keeps the body valid JSON whatever it holds.
    let href = serde_json::to_string(&href).unwrap_or_else(|_| "\"\"".into());
    out.extend_from_slice(b"{\"href\":");
    out.extend_from_slice(href.as_bytes());
    out.extend_from_slice(b",\"rel\":\"");
    out.extend_from_slice(rel.as_bytes());
    out.extend_from_slice(b"\"}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn items(n: usize) -> Vec<Box<RawValue>> {
        (0..n)
            .map(|i| RawValue::from_string(format!("{{\"i\":{i}}}")).unwrap())
            .collect()
    }

    fn page_of(all: &[Box<RawValue>], raw_query: &str) -> Value {
        let query = Query::parse(Some(raw_query));
        let page = Page::from_query(&query, true).unwrap();
        let base = LinkBase {
            url: "http://127.0.0.1:1/api/atlas/v2/x",
            query: &query,
        };
        let window = page.window(all.len());
        let body = envelope(all[window].iter().map(|b| &**b), all.len(), page, &base);
        serde_json::from_slice(&body).unwrap()
    }

    #[test]
    fn pages_of_1201_items_at_500() {
        let all = items(1201);
        let p2 = page_of(&all, "pageNum=2&itemsPerPage=500");
        assert_eq!(p2["results"].as_array().unwrap().len(), 500);
        assert_eq!(p2["results"][0]["i"], 500);
        assert_eq!(p2["totalCount"], 1201);
        assert_eq!(p2["links"][1]["rel"], "next");
        assert!(
            p2["links"][1]["href"]
                .as_str()
                .unwrap()
                .ends_with("pageNum=3&itemsPerPage=500")
        );

        let p3 = page_of(&all, "pageNum=3&itemsPerPage=500&includeCount=false");
        assert_eq!(p3["results"].as_array().unwrap().len(), 201);
        assert_eq!(p3["results"][200]["i"], 1200);
        assert_eq!(p3["totalCount"], 0, "sent as 0 when not asked for");
        assert_eq!(p3["links"].as_array().unwrap().len(), 1);

        let p4 = page_of(&all, "pageNum=4&itemsPerPage=500");
        assert_eq!(p4["results"].as_array().unwrap().len(), 0);
        assert_eq!(p4["totalCount"], 1201);

        let default = page_of(&all, "");
        assert_eq!(default["results"].as_array().unwrap().len(), 100);
        assert_eq!(
            default["links"][0]["href"],
            "http://127.0.0.1:1/api/atlas/v2/x?pageNum=1"
        );
    }

    #[test]
    fn refuses_out_of_range_paging() {
        for q in [
            "itemsPerPage=501",
            "itemsPerPage=0",
            "pageNum=0",
            "pageNum=x",
            "includeCount=maybe",
        ] {
            let query = Query::parse(Some(q));
            let err = Page::from_query(&query, true).unwrap_err();
            assert_eq!(err.status.as_u16(), 400, "{q}");
        }
        let query = Query::parse(Some("includeCount=false"));
        assert!(Page::from_query(&query, false).unwrap().include_count);
    }

    #[test]
    fn repeated_and_comma_separated_values() {
        let q = Query::parse(Some("s=ACTIVE&s=PENDING,INVITATION_EXPIRED&t=1"));
        let all: Vec<&str> = q.all("s").collect();
        assert_eq!(all, vec!["ACTIVE", "PENDING", "INVITATION_EXPIRED"]);
    }
}
