//! `email.html` and `email.txt`: counts, the most severe open findings and short text, within
//! [`EMAIL_BUDGET`] bytes for any estate. A page still too large is rendered again with fewer
//! findings, and says how many it left out.

use css_inline::CSSInliner;

use super::templates::Templates;
use super::view::{Limits, Page};
use crate::report::{ReportError, Review};

/// The largest `email.html` (and `email.txt`) in bytes: under the size at which Gmail clips.
pub const EMAIL_BUDGET: usize = 102_400;

/// The email: counts, the 25 most severe open findings, short text.
pub(super) const EMAIL: Limits = Limits {
    per_rule: 0,
    top: 25,
    list: 10,
    facts: 0,
    name: Some(80),
    text: Some(400),
    rule_bytes: usize::MAX,
    list_bytes: usize::MAX,
};

impl Limits {
    /// The next smaller email: half the findings, then no list rows; `None` when nothing is left.
    pub(super) fn smaller(self) -> Option<Limits> {
        if self.top > 0 {
            Some(Limits {
                top: self.top / 2,
                ..self
            })
        } else if self.list > 0 {
            Some(Limits { list: 0, ..self })
        } else {
            None
        }
    }
}

/// `email.html`, its CSS inlined, at most [`EMAIL_BUDGET`] bytes.
///
/// # Errors
/// When the template fails to render, or renders too large even with no finding listed.
pub fn email_html(t: &Templates, r: &Review<'_>) -> Result<String, ReportError> {
    fit_email(t.origin("email.html"), |limits| {
        let html = t.render("email.html", &Page::email(r, limits))?;
        inline_css(&html, t.origin("email.html"))
    })
}

/// `email.txt`, the plain-text part of the same email, at most [`EMAIL_BUDGET`] bytes.
///
/// # Errors
/// When the template fails to render, or renders too large even with no finding listed.
pub fn email_txt(t: &Templates, r: &Review<'_>) -> Result<String, ReportError> {
    fit_email(t.origin("email.txt"), |limits| {
        t.render("email.txt", &Page::email(r, limits))
    })
}

/// Renders with [`EMAIL`] limits, then smaller ones, until the text fits the budget.
pub(super) fn fit_email(
    origin: &str,
    render: impl Fn(Limits) -> Result<String, ReportError>,
) -> Result<String, ReportError> {
    let mut limits = EMAIL;
    loop {
        let text = render(limits)?;
        if text.len() <= EMAIL_BUDGET {
            return Ok(text);
        }
        limits = limits.smaller().ok_or_else(|| ReportError::Template {
            name: origin.to_string(),
            detail: format!(
                "renders to {} bytes even with no finding listed; an email must stay within {EMAIL_BUDGET}",
                text.len()
            ),
        })?;
    }
}

/// Moves the page's CSS into `style` attributes, keeping `@media` rules; never fetches anything.
fn inline_css(html: &str, origin: &str) -> Result<String, ReportError> {
    CSSInliner::options()
        .load_remote_stylesheets(false)
        .keep_at_rules(true)
        .minify_css(true)
        .apply_width_attributes(true)
        .build()
        .inline(html)
        .map_err(|e| ReportError::Template {
            name: origin.to_string(),
            detail: format!("inlining its CSS: {e}"),
        })
}

impl Page {
    /// The email's page, saying how many findings the size budget left out.
    fn email(r: &Review<'_>, l: Limits) -> Page {
        let mut page = Page::new(r, l);
        let wanted = EMAIL.top.min(page.top.total);
        page.top_left_out = wanted.saturating_sub(page.top.items.len());
        page
    }
}
