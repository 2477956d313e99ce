//! What templates may call besides Tera's own: HTML escaping for `*.html` templates, the
//! `thousands`, `pad` and `wrap` filters, and a `get_env` that refuses.

use std::collections::HashMap;

use serde_json::Value;

/// HTML escaping for `*.html` templates: `& < > " '`.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The `thousands` filter: `146888` → `146,888`.
pub(super) fn thousands(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let Some(n) = value.as_u64() else {
        return Ok(value.clone());
    };
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(d);
    }
    Ok(Value::String(out))
}

/// A filter's input as text: a string as it is, anything else as JSON (`7`, `true`).
fn text_of(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

/// The `pad` filter for text columns: `pad(width=10)` fills with spaces on the right to 10
/// characters, `pad(width=8, right=true)` on the left; longer text is kept whole.
pub(super) fn pad(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = text_of(value);
    let width = args.get("width").and_then(Value::as_u64).unwrap_or(0) as usize;
    let fill = " ".repeat(width.saturating_sub(text.chars().count()));
    let right = args.get("right").and_then(Value::as_bool).unwrap_or(false);
    Ok(Value::String(if right {
        fill + &text
    } else {
        text + &fill
    }))
}

/// The `wrap` filter for text: `wrap(width=76, indent=14)` fills lines to `width` columns,
/// taking the text to start at column `indent` and starting every further line there. Runs of
/// whitespace become one space; a word longer than a line keeps its own line, whole.
pub(super) fn wrap(value: &Value, args: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = text_of(value);
    let arg = |name: &str| args.get(name).and_then(Value::as_u64).unwrap_or(0) as usize;
    let indent = arg("indent");
    let room = arg("width").saturating_sub(indent).max(1);
    let mut out = String::with_capacity(text.len() + text.len() / room * (indent + 1));
    let mut line = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if line > 0 && line + 1 + len > room {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += len;
    }
    Ok(Value::String(out))
}

/// Replaces Tera's `get_env`: a report never depends on (or leaks) the environment.
pub(super) fn no_env(_: &HashMap<String, Value>) -> tera::Result<Value> {
    Err("get_env is not available in report templates: a report depends only on its input".into())
}
