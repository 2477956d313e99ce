//! How the rules write dates and lengths of time in titles and summaries, so that every
//! finding reads the same way.

use jiff::{SignedDuration, Timestamp};

use super::context::Context;

/// A moment as a UTC date, `YYYY-MM-DD`, as every summary writes it.
pub(crate) fn ymd(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d").to_string()
}

/// A length of time as "N days", with the hours when it is not a whole number of days, so
/// that a value just past a limit never reads as equal to it.
pub(crate) fn span_text(d: SignedDuration) -> String {
    let secs = d.as_secs().abs();
    let days = secs / 86_400;
    let hours = (secs % 86_400) / 3_600;
    let unit = if days == 1 { "day" } else { "days" };
    if hours == 0 {
        format!("{days} {unit}")
    } else {
        format!("{days} {unit} {hours} h")
    }
}

/// "2026-04-22 (212 days before the as-of date)" or "... after ...".
pub(crate) fn dated(ctx: &Context<'_>, t: Timestamp) -> String {
    let age = ctx.age(t);
    let side = if age.is_negative() { "after" } else { "before" };
    format!("{} ({} {side} the as-of date)", ymd(t), span_text(age))
}

/// `1 day`, `5 days`.
pub(crate) fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}
