//! The house rules a reviewer checks first, kept by tests over the source tree: an error tells
//! its cause once (in its message or as its source, never both), a source file longer than 600
//! lines says at its top why it is, and the top-level modules depend on each other one way.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files.sort();
    assert!(files.len() > 100, "the source tree was not found");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// The text without its comment lines, whose brackets and commas are prose.
fn code(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text between the bracket at `open` and the one that closes it.
fn bracketed(text: &str, open: usize) -> &str {
    let (opening, closing) = match text.as_bytes()[open] {
        b'(' => (b'(', b')'),
        b'{' => (b'{', b'}'),
        other => panic!("not a bracket: {}", other as char),
    };
    let mut depth = 0;
    for (i, b) in text.bytes().enumerate().skip(open) {
        if b == opening {
            depth += 1;
        } else if b == closing {
            depth -= 1;
            if depth == 0 {
                return &text[open + 1..i];
            }
        }
    }
    panic!("unclosed bracket")
}

/// Each `#[error(...)]` message with the fields of the variant or struct it stands on.
fn error_messages(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("#[error(") {
        let start = from + at;
        let message = bracketed(text, start + "#[error".len());
        let after = start + "#[error".len() + message.len() + 2;
        // The fields: the first bracket after the attribute (a tuple variant, or named fields).
        let fields = text[after..]
            .find(['(', '{', ',', ';'])
            .map(|i| after + i)
            .filter(|i| matches!(text.as_bytes()[*i], b'(' | b'{'))
            .map_or("", |i| bracketed(text, i));
        out.push((message, fields));
        from = after;
    }
    out
}

/// The name of the field `thiserror` takes as the source: marked `#[source]` or `#[from]`,
/// or named `source`; for a tuple variant, `0` when its only field is marked.
fn source_field(fields: &str) -> Option<String> {
    for (i, field) in fields.split(',').enumerate() {
        let mut rest = field.trim();
        let mut marked = false;
        // Leading attributes: `#[source]`, `#[from]`, `#[serde(...)]`, ...
        while let Some(attribute) = rest.strip_prefix("#[") {
            let end = attribute.find(']').unwrap_or(attribute.len());
            marked |= matches!(attribute[..end].trim(), "source" | "from");
            rest = attribute[end..].trim_start_matches(']').trim_start();
        }
        let rest = rest.strip_prefix("pub ").unwrap_or(rest);
        // A named field is `name: Type`; a tuple field is a type, whose `::` is no colon of
        // a name.
        let name = rest
            .split_once(':')
            .filter(|(name, ty)| !ty.starts_with(':') && !name.contains(' '))
            .map(|(name, _)| name.trim());
        match name {
            Some(name) if marked || name == "source" => return Some(name.to_string()),
            None if marked && !rest.is_empty() => return Some(i.to_string()),
            _ => {}
        }
    }
    None
}

#[test]
fn an_error_tells_its_cause_once() {
    let mut found = Vec::new();
    let mut messages = 0;
    for (path, text) in sources() {
        for (message, fields) in error_messages(&code(&text)) {
            messages += 1;
            let Some(source) = source_field(fields) else {
                continue;
            };
            if message.contains(&format!("{{{source}}}"))
                || message.contains(&format!("{{{source}:"))
            {
                found.push(format!("{}: {message}", path.display()));
            }
        }
    }
    assert!(messages > 50, "only {messages} error messages found");
    assert!(
        found.is_empty(),
        "these messages print the cause that their source() gives again:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_cause_check_finds_a_cause_told_twice() {
    let text = r#"
        #[error("cannot read {}: {source}; check the path", path.display())]
        Read {
            path: PathBuf,
            source: std::io::Error,
        },
        #[error("cannot write {}: {cause}", path.display())]
        Write {
            path: PathBuf,
            /// Told in the message.
            cause: std::io::Error,
        },
        #[error("bad row {0}")]
        Row(#[from] csv::Error),
    "#;
    let found: Vec<Option<String>> = error_messages(&code(text))
        .into_iter()
        .map(|(_, fields)| source_field(fields))
        .collect();
    assert_eq!(found, [Some("source".into()), None, Some("0".into())]);
}

#[test]
fn a_long_source_file_says_why_at_its_top() {
    let mut unexplained = Vec::new();
    for (path, text) in sources() {
        let lines = text.lines().count();
        let top: String = text.lines().take(12).collect::<Vec<_>>().join("\n");
        if lines > 600 && !top.contains("Longer than") {
            unexplained.push(format!("{} ({lines} lines)", path.display()));
        }
    }
    assert!(
        unexplained.is_empty(),
        "past 600 lines without a reason (\"Longer than ...\") in the first lines:\n{}",
        unexplained.join("\n")
    );
}

/// The top-level module a file belongs to (`report` for `src/report/view.rs`), and whether it
/// holds tests only.
fn module_of(path: &Path) -> (String, bool) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let relative = path.strip_prefix(&src).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    let module = Path::new(first)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let text = relative.to_string_lossy();
    let tests = text.contains("tests") || text.ends_with("testkit.rs");
    (module, tests)
}

/// Which top-level modules each one's code (its tests left out) names through `crate::`.
fn module_uses() -> BTreeMap<String, BTreeSet<String>> {
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in sources() {
        let (module, tests) = module_of(&path);
        if tests || module == "lib" || module == "main" {
            continue;
        }
        let code = code(&text);
        let code = code.split("#[cfg(test)]").next().unwrap_or("");
        for (at, _) in code.match_indices("crate::") {
            let name: String = code[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != module {
                uses.entry(module.clone()).or_default().insert(name);
            }
        }
    }
    uses
}

/// A path of uses from `from` back to itself, if there is one.
fn cycle_from(uses: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in uses.get(last).into_iter().flatten() {
            if next == from {
                let mut cycle = path.clone();
                cycle.push(next.clone());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn the_top_level_modules_depend_on_each_other_one_way() {
    let uses = module_uses();
    assert!(
        uses.get("report").is_some_and(|u| u.contains("model")),
        "the module graph was not read: {uses:?}"
    );
    let cycles: Vec<String> = uses
        .keys()
        .filter_map(|m| cycle_from(&uses, m))
        .map(|c| c.join(" -> "))
        .collect();
    assert!(
        cycles.is_empty(),
        "modules that reach back to themselves through `crate::` (move the shared piece down):\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_cycle_check_finds_a_cycle() {
    let uses: BTreeMap<String, BTreeSet<String>> = [
        ("app", &["cli", "report"][..]),
        ("cli", &["rules"][..]),
        ("report", &["remediate", "model"][..]),
        ("remediate", &["report"][..]),
    ]
    .into_iter()
    .map(|(m, u)| (m.to_string(), u.iter().map(|s| s.to_string()).collect()))
    .collect();
    assert_eq!(cycle_from(&uses, "app"), None);
    assert_eq!(cycle_from(&uses, "cli"), None);
    assert_eq!(
        cycle_from(&uses, "report"),
        Some(vec!["report".into(), "remediate".into(), "report".into()])
    );
}
