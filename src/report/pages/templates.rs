//! The templates: built in, each replaceable by a file of the same name in `--templates DIR`,
//! loaded into one Tera with the filters of [`super::filters`], and rendered from one [`Page`].

use std::collections::BTreeMap;
use std::path::Path;

use tera::Tera;

use super::filters::{escape_html, no_env, pad, thousands, wrap};
use super::view::Page;
use crate::report::ReportError;

/// The templates a report renders.
pub const TEMPLATE_NAMES: &[&str] = &["report.html", "email.html", "email.txt"];

/// The built-in templates, in [`TEMPLATE_NAMES`] order.
pub(super) const BUILT_IN: [&str; 3] = [
    include_str!("../../../templates/report.html"),
    include_str!("../../../templates/email.html"),
    include_str!("../../../templates/email.txt"),
];

/// The loaded templates.
pub struct Templates {
    tera: Tera,
    /// Where each template came from: its name, or the path of the file that replaced it.
    origins: BTreeMap<&'static str, String>,
}

impl Templates {
    /// Loads the built-in templates, replaced by any of the same name in `dir`.
    ///
    /// # Errors
    /// `dir` is not a folder, or a template cannot be read or parsed.
    pub fn load(dir: Option<&Path>) -> Result<Templates, ReportError> {
        if let Some(dir) = dir.filter(|d| !d.is_dir()) {
            return Err(ReportError::Template {
                name: dir.display().to_string(),
                detail: "no such folder of templates".into(),
            });
        }
        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html"]);
        tera.set_escape_fn(escape_html);
        tera.register_filter("thousands", thousands);
        tera.register_filter("pad", pad);
        tera.register_filter("wrap", wrap);
        tera.register_function("get_env", no_env);
        let mut origins = BTreeMap::new();
        for (name, built_in) in TEMPLATE_NAMES.iter().zip(BUILT_IN) {
            let (origin, source) = source(dir, name, built_in)?;
            tera.add_raw_template(name, &source)
                .map_err(|e| template_error(&origin, &e))?;
            origins.insert(*name, origin);
        }
        Ok(Templates { tera, origins })
    }

    pub(super) fn origin<'s>(&'s self, name: &'s str) -> &'s str {
        self.origins.get(name).map_or(name, String::as_str)
    }

    pub(super) fn render(&self, name: &str, page: &Page) -> Result<String, ReportError> {
        let context = tera::Context::from_serialize(page)
            .map_err(|e| template_error(self.origin(name), &e))?;
        self.tera
            .render(name, &context)
            .map_err(|e| template_error(self.origin(name), &e))
    }
}

/// The template's origin and text: the file of that name in `dir` when there is one.
pub(super) fn source(
    dir: Option<&Path>,
    name: &str,
    built_in: &'static str,
) -> Result<(String, String), ReportError> {
    let Some(path) = dir.map(|d| d.join(name)).filter(|p| p.exists()) else {
        return Ok((name.to_string(), built_in.to_string()));
    };
    let origin = path.display().to_string();
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((origin, text)),
        Err(e) => Err(ReportError::Template {
            name: origin,
            detail: format!("cannot read: {e}"),
        }),
    }
}

/// A Tera error with every cause in its chain (the parser's line and column among them).
fn template_error(name: &str, error: &dyn std::error::Error) -> ReportError {
    let mut detail = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        detail.push_str(": ");
        detail.push_str(e.to_string().trim_end());
        cause = e.source();
    }
    ReportError::Template {
        name: name.to_string(),
        detail,
    }
}
