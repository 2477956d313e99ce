//! `report.html`, `email.html` and `email.txt` from Tera templates.
//!
//! The templates live in `templates/`, are embedded in the binary, and any of them can be
//! replaced by a file of the same name in `--templates DIR` ([`templates`], with the filters of
//! [`filters`]). They see a `Page` ([`view`], its findings in [`finding`], its lists in [`list`]):
//! a serialisable reading of the [`Review`] (names for ids, counts, the findings shown), never
//! the snapshot itself. Text from Atlas reaches them with every character that hides or
//! reorders text made visible (`[U+202E]`, see [`super::visible`]), and templates named `*.html`
//! escape it. The email ([`email`]) stays under [`email::EMAIL_BUDGET`] bytes for any estate: long
//! text is shortened with [`view::SHORTENED`], and a page still too large is rendered again with
//! fewer findings, saying how many were left out.

mod email;
mod federation;
mod filters;
mod finding;
mod list;
mod paths;
mod templates;
mod view;

pub use email::{email_html, email_txt};
pub use filters::escape_html;
pub use templates::{TEMPLATE_NAMES, Templates};

use super::{ReportError, Review};

/// `report.html`.
///
/// # Errors
/// When the template fails to render.
pub fn report_html(t: &Templates, r: &Review<'_>) -> Result<String, ReportError> {
    t.render("report.html", &view::Page::new(r, view::REPORT))
}

#[cfg(test)]
mod tests;
