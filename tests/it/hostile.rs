//! Hostile data through every renderer. The demo estate, with every free-text field replaced by
//! payloads (see `common::hostile`), goes through the binary's `report --snapshot` with a policy
//! whose exemptions are hostile too and the plain demo as baseline; then each file is read back
//! the way its consumer reads it:
//!
//! - `report.html` and `email.html` are parsed with a real HTML parser: they hold only the
//!   elements, attributes, script and style the templates ship, no URL that runs code, and
//!   every name comes back as text, its hidden characters made visible;
//! - the CSV files parse back with the `csv` crate, every row as wide as its header, every
//!   cell the data exactly (formula-like cells behind a leading apostrophe);
//! - every part of the workbook parses as strict XML 1.0, its cells are strings or numbers,
//!   never formulas, and read back with calamine within Excel's cell limit;
//! - `email.txt` hides no character and forges no line;
//! - `findings.json` parses, round-trips, and is what the rules give in process;
//! - `diff` prints every change on its own line, hidden characters shown;
//! - with Chromium on PATH, no payload runs in the browser: the pages keep their title, which
//!   the script payloads would change, while a page known to run script is seen to.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::common::hostile::{FORGED_LINE, HostileWorld, hostile_world};
use crate::common::*;
use atlas_audit::model::Snapshot;
use atlas_audit::report::{neutralise, visible};
use atlas_audit::rules::{self, Findings, Policy};
use calamine::{Data, Reader, Xlsx};
use scraper::{Html, Node};

/// The report written once for every test of this file.
struct Run {
    world: HostileWorld,
    out: PathBuf,
}

fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let world = hostile_world();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("hostile-report");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        atlas_audit::model::save(&world.snapshot, &dir.join("snapshot.json")).unwrap();
        atlas_audit::model::save(&world.baseline, &dir.join("baseline.json")).unwrap();
        std::fs::write(dir.join("policy.toml"), &world.policy).unwrap();
        let output = atlas_audit_command()
            .args(["report", "--snapshot", "snapshot.json"])
            .args(["--baseline", "baseline.json", "--policy", "policy.toml"])
            .args(["--out", "out"])
            .current_dir(&dir)
            .output()
            .expect("the binary runs");
        assert_eq!(
            output.status.code(),
            Some(3),
            "a report with coverage gaps ends with 3: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Run {
            world,
            out: dir.join("out"),
        }
    })
}

fn read(name: &str) -> String {
    std::fs::read_to_string(run().out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn findings() -> Findings {
    serde_json::from_str(&read("findings.json")).expect("findings.json parses")
}

/// Whether a character would hide or disguise text on a page: controls other than tab and line
/// feed, format characters (bidirectional controls, zero-width characters, tags, soft hyphen,
/// invisible operators), line and paragraph separators, and the invisible fillers. The joiners
/// and variation selectors that emoji are built with are not.
fn disguises(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c,
            '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
            | '\u{180e}' | '\u{200b}' | '\u{200e}' | '\u{200f}'
            | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{feff}'
            | '\u{ffa0}' | '\u{fff9}'..='\u{fffb}' | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e007f}')
}

/// Fails, naming the character and what precedes it, when `text` holds one that [`disguises`].
fn assert_nothing_hidden(what: &str, text: &str) {
    if let Some((at, c)) = text.char_indices().find(|(_, c)| disguises(*c)) {
        let before: String = text[..at].chars().rev().take(40).collect();
        let before: String = before.chars().rev().collect();
        panic!("{what} holds U+{:04X} unseen after {before:?}", c as u32);
    }
}

/// Fails when a line of `text` starts with the line a payload tries to forge.
fn assert_no_forged_line(what: &str, text: &str) {
    let forged = FORGED_LINE.trim();
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with(forged),
            "{what} forged: {line:?}"
        );
    }
}

/// The cell a spreadsheet would evaluate: one starting with `= + - @`, a tab, CR or NUL.
fn is_formula_like(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\0'])
}

// ---------------------------------------------------------------------------------------------
// The world itself: a test that cannot fail proves nothing, so first show the payloads reach
// the findings.

#[test]
fn the_payloads_reach_the_findings_of_many_rules() {
    let findings = findings();
    let payloads = &run().world.payloads;
    let names: BTreeSet<&str> = findings
        .findings
        .iter()
        .map(|f| f.principal.name.as_str())
        .collect();
    let reached = payloads
        .iter()
        .filter(|p| names.iter().any(|n| n.starts_with(p.as_str())))
        .count();
    assert!(
        reached >= payloads.len() / 2,
        "{reached} of {} payloads name a finding's principal",
        payloads.len()
    );
    for key in &run().world.long_named {
        assert!(
            findings.findings.iter().any(|f| &f.principal.key == key),
            "a principal with a 100 kB name has findings"
        );
    }
    let rules: BTreeSet<&str> = findings.findings.iter().map(|f| f.rule.as_str()).collect();
    assert!(rules.len() >= 12, "{rules:?}");
    assert!(
        findings
            .findings
            .iter()
            .any(|f| f.exemption.as_ref().is_some_and(|e| !e.expired))
    );
    assert!(
        findings
            .findings
            .iter()
            .any(|f| f.exemption.as_ref().is_some_and(|e| e.expired))
    );
    assert!(findings.exemption_warnings.len() >= 2);
}

// ---------------------------------------------------------------------------------------------
// HTML.

/// What a page's markup is made of: element names, attribute names per element, and the text
/// of its script and style elements.
#[derive(Default, Debug)]
struct Markup {
    elements: BTreeSet<String>,
    attributes: BTreeSet<(String, String)>,
    scripts: Vec<String>,
    styles: usize,
}

fn markup(html: &Html) -> Markup {
    let mut m = Markup::default();
    for node in html.tree.nodes() {
        if let Node::Element(e) = node.value() {
            let name = e.name().to_string();
            for (attr, _) in e.attrs() {
                m.attributes.insert((name.clone(), attr.to_string()));
            }
            if name == "script" {
                let text: String = node
                    .children()
                    .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
                    .collect();
                m.scripts.push(text);
            }
            if name == "style" {
                m.styles += 1;
            }
            m.elements.insert(name);
        }
    }
    m
}

/// The markup the built-in template ships: its source parsed as HTML (Tera tags are text there).
fn template_markup(name: &str) -> Markup {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates")
        .join(name);
    markup(&Html::parse_document(
        &std::fs::read_to_string(path).unwrap(),
    ))
}

/// Every text node of the page, and every attribute value, in document order.
fn texts_and_values(html: &Html) -> (String, Vec<(String, String, String)>) {
    let mut text = String::new();
    let mut values = Vec::new();
    for node in html.tree.nodes() {
        match node.value() {
            Node::Text(t) => text.push_str(t),
            Node::Element(e) => {
                for (attr, value) in e.attrs() {
                    values.push((e.name().to_string(), attr.to_string(), value.to_string()));
                }
            }
            _ => {}
        }
    }
    (text, values)
}

/// The checks both pages pass; `extra_attributes` are the ones CSS inlining adds.
fn assert_inert_page(name: &str, extra_attributes: &[&str]) -> String {
    let source = read(name);
    let html = Html::parse_document(&source);
    let page = markup(&html);
    let template = template_markup(name);

    let foreign: Vec<&String> = page.elements.difference(&template.elements).collect();
    assert!(
        foreign.is_empty(),
        "{name}: elements not in the template: {foreign:?}"
    );
    let foreign: Vec<&(String, String)> = page
        .attributes
        .iter()
        .filter(|(el, attr)| {
            !template.attributes.contains(&(el.clone(), attr.clone()))
                && !extra_attributes.contains(&attr.as_str())
        })
        .collect();
    assert!(
        foreign.is_empty(),
        "{name}: attributes not in the template: {foreign:?}"
    );
    assert_eq!(
        page.scripts, template.scripts,
        "{name}: only the template's script"
    );
    assert_eq!(
        page.styles, template.styles,
        "{name}: only the template's style"
    );

    let (text, values) = texts_and_values(&html);
    for (element, attr, value) in &values {
        assert!(!attr.starts_with("on"), "{name}: <{element} {attr}>");
        let squeezed: String = value
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect::<String>()
            .to_ascii_lowercase();
        for scheme in ["javascript:", "data:", "vbscript:"] {
            assert!(
                !squeezed.starts_with(scheme),
                "{name}: <{element} {attr}={value:.60?}>"
            );
        }
        if attr == "href" {
            assert!(value.starts_with('#'), "{name}: a link out: {value:.60?}");
        }
        assert_nothing_hidden(&format!("{name}: <{element} {attr}>"), value);
    }
    assert_nothing_hidden(name, &text);
    text
}

#[test]
fn report_html_holds_only_the_templates_markup_and_every_name_as_text() {
    let text = assert_inert_page("report.html", &[]);
    // The page keeps the template's Content-Security-Policy, which names its one script by hash.
    let template = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/report.html"),
    )
    .unwrap();
    let policy = template
        .lines()
        .find(|l| l.contains("Content-Security-Policy"))
        .unwrap();
    assert!(policy.contains("script-src 'sha256-"), "{policy}");
    assert!(read("report.html").contains(policy));
    for payload in ["{{ 7*7 }}", "{% for x in [1] %}loop{% endfor %}"] {
        assert!(text.contains(payload), "template syntax is text");
    }
    let findings = findings();
    let world = &run().world;
    // Each text once: many findings share a name.
    let mut wanted: BTreeSet<&str> = BTreeSet::new();
    for f in &findings.findings {
        wanted.insert(&f.principal.name);
        wanted.insert(&f.title);
        if let Some(e) = &f.exemption {
            wanted.insert(&e.reason);
        }
    }
    wanted.extend(world.payloads.iter().map(String::as_str));
    wanted.extend(world.long.iter().map(String::as_str));
    for s in wanted {
        assert!(
            text.contains(&visible(s)),
            "report.html never shows {s:.60?} whole"
        );
    }
}

#[test]
fn email_html_holds_only_the_templates_markup_and_no_script() {
    let text = assert_inert_page("email.html", &["style", "width", "height"]);
    let source = read("email.html");
    assert!(source.len() <= 100 * 1024, "{} bytes", source.len());
    let shown = email_top_findings();
    assert!(shown >= 10, "{shown} findings in the email");
    for name in open_names(shown) {
        assert!(
            text.contains(&email_name(&name)),
            "email.html lacks {name:.60?}"
        );
    }
}

/// How many findings the email lists, from its plain-text heading.
fn email_top_findings() -> usize {
    let text = read("email.txt");
    let heading = text
        .lines()
        .find(|l| l.ends_with("MOST SEVERE OPEN FINDINGS"))
        .expect("the email lists its most severe findings");
    heading.split(' ').nth(1).unwrap().parse().unwrap()
}

/// The principal names of the first `n` open findings: the ones the email lists.
fn open_names(n: usize) -> Vec<String> {
    findings()
        .findings
        .into_iter()
        .filter(|f| f.status == rules::Status::Open)
        .take(n)
        .map(|f| f.principal.name)
        .collect()
}

/// A name as the email shows it: its first 80 characters, hidden ones made visible.
fn email_name(name: &str) -> String {
    visible(&name.chars().take(80).collect::<String>())
}

/// Text with every run of whitespace made one space, as `email.txt` wraps it.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------------------------
// email.txt.

#[test]
fn email_txt_hides_no_character_and_forges_no_line() {
    let text = read("email.txt");
    assert_nothing_hidden("email.txt", &text);
    assert_no_forged_line("email.txt", &text);
    assert!(text.len() <= 100 * 1024);
    let flowing = words(&text);
    for name in open_names(email_top_findings()) {
        assert!(
            flowing.contains(&words(&email_name(&name))),
            "email.txt lacks {name:.60?}"
        );
    }
    assert!(text.contains("[U+"), "hidden characters are shown");
}

// ---------------------------------------------------------------------------------------------
// CSV.

fn csv_rows(name: &str) -> Vec<Vec<String>> {
    let bytes = std::fs::read(run().out.join(name)).unwrap();
    assert!(std::str::from_utf8(&bytes).is_ok(), "{name} is UTF-8");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let width = rows[0].len();
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), width, "{name} row {i} is {} wide", row.len());
        for cell in row {
            assert!(!is_formula_like(cell), "{name} row {i}: {cell:.60?}");
        }
    }
    assert!(rows.len() > 1, "{name} has rows");
    rows
}

/// The rows as maps from header to cell.
fn csv_records(name: &str) -> Vec<BTreeMap<String, String>> {
    let rows = csv_rows(name);
    let header = rows[0].clone();
    rows[1..]
        .iter()
        .map(|r| header.iter().cloned().zip(r.iter().cloned()).collect())
        .collect()
}

#[test]
fn every_csv_file_parses_back_to_its_header_width_with_no_formula() {
    let mut cells: Vec<String> = Vec::new();
    for name in [
        "findings.csv",
        "grants.csv",
        "principals.csv",
        "changes.csv",
    ] {
        cells.extend(csv_rows(name).into_iter().flatten());
    }
    assert_every_payload_whole("the CSV files", &cells);
}

/// Every payload is the start of some cell, neutralised and otherwise exact (a name made unique
/// has `#n` after it), or, past Excel's limit, the start of the payload is a cell cut with a note.
fn assert_every_payload_whole(what: &str, cells: &[String]) {
    let world = &run().world;
    for p in world.payloads.iter().chain(&world.long) {
        let expected = neutralise(p);
        let cut = |c: &String| {
            c.ends_with(TRUNCATED)
                && c.split("… [truncated: ")
                    .next()
                    .is_some_and(|body| expected.starts_with(body))
        };
        assert!(
            cells
                .iter()
                .any(|c| c.starts_with(expected.as_ref()) || cut(c)),
            "{what} never hold {p:.60?} whole"
        );
    }
}

#[test]
fn directory_csv_holds_every_person_with_no_formula() {
    // csv_rows checks the width and that no cell would be read as a formula.
    let records = csv_records("directory.csv");
    let snapshot = &run().world.snapshot;
    let people: Vec<&str> = snapshot
        .principals
        .iter()
        .filter(|p| p.kind == atlas_audit::model::PrincipalKind::AtlasUser)
        .map(|p| p.key.as_str())
        .collect();
    assert_eq!(records.len(), people.len());
    for (key, r) in people.iter().zip(&records) {
        assert_eq!(r["principal_key"], neutralise(key));
    }
}

#[test]
fn principals_csv_holds_every_key_and_name_exactly() {
    let records = csv_records("principals.csv");
    let snapshot = &run().world.snapshot;
    assert_eq!(records.len(), snapshot.principals.len());
    for (p, r) in snapshot.principals.iter().zip(&records) {
        assert_eq!(r["principal_key"], neutralise(&p.key));
        assert_eq!(r["name"], neutralise(&p.name));
    }
}

#[test]
fn findings_csv_holds_the_findings_text_exactly() {
    let records = csv_records("findings.csv");
    let findings = findings();
    assert_eq!(records.len(), findings.findings.len());
    for (f, r) in findings.findings.iter().zip(&records) {
        assert_eq!(r["id"], f.id);
        assert_eq!(r["principal_key"], neutralise(&f.principal.key));
        assert_eq!(r["principal_name"], neutralise(&f.principal.name));
        assert_eq!(r["title"], neutralise(&f.title));
        assert_eq!(r["evidence"], neutralise(&f.evidence.summary));
        let reason = f.exemption.as_ref().map_or("", |e| e.reason.as_str());
        assert_eq!(r["exemption_reason"], neutralise(reason));
    }
}

// ---------------------------------------------------------------------------------------------
// XLSX.

/// Every part of the workbook, by name.
fn workbook_parts() -> BTreeMap<String, Vec<u8>> {
    let bytes = std::fs::read(run().out.join("access-review.xlsx")).unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            (file.name().unwrap().to_string(), data)
        })
        .collect()
}

/// Whether XML 1.0 allows the character.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
        || c >= '\u{10000}'
}

/// Parses one part as XML with every check on; returns its elements' names.
fn strict_xml(name: &str, bytes: &[u8]) -> BTreeSet<String> {
    use quick_xml::events::Event;
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    if let Some(c) = text.chars().find(|c| !xml_char(*c)) {
        panic!(
            "{name} holds U+{:04X}, which XML 1.0 does not allow",
            c as u32
        );
    }
    let mut reader = quick_xml::Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.check_comments = true;
    let mut elements = BTreeSet::new();
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(e) | Event::Empty(e)) => {
                elements.insert(e.name().into_inner().to_string());
                for attr in e.attributes().with_checks(true) {
                    let attr = attr.unwrap_or_else(|e| panic!("{name}: {e}"));
                    attr.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .unwrap_or_else(|e| panic!("{name}: {e}"));
                }
            }
            Ok(Event::GeneralRef(r)) => {
                let entity = r.to_string();
                assert!(
                    ["amp", "lt", "gt", "quot", "apos"].contains(&entity.as_str()),
                    "{name}: &{entity};"
                );
            }
            Ok(Event::DocType(_)) => panic!("{name}: a DOCTYPE"),
            Ok(_) => {}
            Err(e) => panic!(
                "{name}: not well-formed at {}: {e}",
                reader.buffer_position()
            ),
        }
    }
    elements
}

#[test]
fn every_workbook_part_is_strict_xml_and_no_cell_is_a_formula() {
    let parts = workbook_parts();
    let mut sheets = 0;
    for (name, bytes) in &parts {
        if !name.ends_with(".xml") && !name.ends_with(".rels") {
            continue;
        }
        let elements = strict_xml(name, bytes);
        if name.starts_with("xl/worksheets/") {
            sheets += 1;
            assert!(!elements.contains("f"), "{name} holds a formula element");
            let xml = std::str::from_utf8(bytes).unwrap();
            for kind in [" t=\"str\"", " t=\"s\"", " t=\"e\"", " t=\"b\""] {
                assert!(!xml.contains(kind), "{name}: a cell of type{kind}");
            }
        }
    }
    assert!(sheets >= 7, "{sheets} sheets");
    assert!(
        !parts.contains_key("xl/sharedStrings.xml"),
        "cells are inline strings"
    );
}

/// calamine's reading of every sheet: (sheet, cells).
fn workbook_cells() -> Vec<(String, Vec<Vec<Data>>)> {
    let mut book: Xlsx<_> =
        calamine::open_workbook(run().out.join("access-review.xlsx")).expect("opens");
    let names = book.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let formulas = book.worksheet_formula(&name).unwrap();
            assert!(
                formulas.used_cells().all(|(_, _, f)| f.is_empty()),
                "{name} holds a formula"
            );
            let range = book.worksheet_range(&name).unwrap();
            let rows = range.rows().map(<[Data]>::to_vec).collect();
            (name, rows)
        })
        .collect()
}

const TRUNCATED: &str = "characters in total; see findings.json and the CSV files]";

/// The cell Excel is given for this text: neutralised, and cut to 32,767 UTF-16 units with the
/// note saying so.
fn assert_cell_holds(cell: &str, text: &str) {
    let expected = neutralise(text);
    assert!(
        cell.encode_utf16().count() <= 32_767,
        "{} units",
        cell.len()
    );
    if expected.encode_utf16().count() <= 32_767 {
        assert_eq!(cell, expected, "{text:.60?}");
    } else {
        let body = cell.split("… [truncated: ").next().unwrap();
        assert!(
            expected.starts_with(body) && body.len() > 30_000,
            "{text:.60?}"
        );
        assert!(
            cell.ends_with(TRUNCATED),
            "{:.60?}",
            &cell[cell.len() - 80..]
        );
    }
}

#[test]
fn workbook_cells_read_back_neutralised_within_excels_limit() {
    let sheets = workbook_cells();
    for (name, rows) in &sheets {
        for row in rows {
            for cell in row {
                if let Data::String(s) = cell {
                    assert!(!is_formula_like(s), "{name}: {s:.60?}");
                    assert!(s.encode_utf16().count() <= 32_767, "{name}");
                }
            }
        }
    }
    let (_, principals) = sheets
        .iter()
        .find(|(n, _)| n == "Principals")
        .expect("a Principals sheet");
    let snapshot = &run().world.snapshot;
    assert_eq!(principals.len(), snapshot.principals.len() + 1);
    for (p, row) in snapshot.principals.iter().zip(&principals[1..]) {
        let text = |i: usize| match &row[i] {
            Data::String(s) => s.clone(),
            other => panic!("{other:?}"),
        };
        assert_cell_holds(&text(0), &p.key);
        assert_cell_holds(&text(2), &p.name);
    }
    let strings: Vec<String> = sheets
        .iter()
        .flat_map(|(_, rows)| rows.iter().flatten())
        .filter_map(|c| match c {
            Data::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert_every_payload_whole("the workbook", &strings);
    let long = sheets
        .iter()
        .flat_map(|(_, rows)| rows.iter().flatten())
        .filter(|c| matches!(c, Data::String(s) if s.ends_with(TRUNCATED)))
        .count();
    assert!(long > 0, "the 100 kB strings are cut with a note");
}

// ---------------------------------------------------------------------------------------------
// JSON.

#[test]
fn findings_json_round_trips_and_is_what_the_rules_give() {
    let bytes = std::fs::read(run().out.join("findings.json")).unwrap();
    let findings: Findings = serde_json::from_slice(&bytes).expect("parses");
    let mut again = serde_json::to_vec_pretty(&findings).unwrap();
    again.push(b'\n');
    assert!(again == bytes, "findings.json re-serialises byte for byte");
    let dir = run().out.parent().unwrap();
    let snapshot: Snapshot =
        atlas_audit::model::load(&dir.join("snapshot.json")).expect("the snapshot loads");
    assert_eq!(snapshot, run().world.snapshot, "the snapshot round-trips");
    let policy = Policy::load(&dir.join("policy.toml")).expect("the hostile policy loads");
    let expected = rules::evaluate(&snapshot, &policy).unwrap();
    assert_eq!(findings, expected);
    let manifest: serde_json::Value = serde_json::from_str(&read("manifest.json")).unwrap();
    assert!(manifest.is_object());
}

// ---------------------------------------------------------------------------------------------
// The terminal: `diff` prints every change, names and all.

#[test]
fn diff_prints_no_hidden_character_and_forges_no_line() {
    let dir = run().out.parent().unwrap();
    let output = atlas_audit_command()
        .args(["diff", "baseline.json", "snapshot.json"])
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    assert_nothing_hidden("diff", &text);
    assert_no_forged_line("diff", &text);
    let mut changes = 0;
    for line in text.lines().skip(1) {
        // A change is indented; anything else is a heading of ours: `Kind (count)`.
        if line.starts_with("  ") {
            changes += 1;
        } else {
            assert!(
                line.is_empty() || line.ends_with(')') && line.len() < 80,
                "a line no change or heading of ours: {line:.80?}"
            );
        }
    }
    assert!(changes > 50, "{changes} changes");
    assert!(text.contains("[U+000A]") && text.contains("[U+E0001]"));
}

// ---------------------------------------------------------------------------------------------
// A real browser, when there is one.

/// The DOM Chromium holds for the page once its scripts have had 3 s of virtual time, or `None`
/// without Chromium on PATH.
fn browser_dom(page: &Path) -> Option<String> {
    let exe = std::env::split_paths(&std::env::var_os("PATH")?)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
        .find(|p| p.is_file())?;
    let scratch = tempfile::tempdir().unwrap();
    let dump = scratch.path().join("dom.html");
    let mut child = std::process::Command::new(exe)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .args(["--disable-dev-shm-usage", "--disable-background-networking"])
        .args([
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
        ])
        .arg(format!(
            "--user-data-dir={}",
            scratch.path().join("profile").display()
        ))
        .args(["--virtual-time-budget=3000", "--dump-dom"])
        .arg(format!("file://{}", page.display()))
        .env("HOME", scratch.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&dump).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("chromium starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish {} in 120 s", page.display());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Some(std::fs::read_to_string(dump).unwrap())
}

fn title(dom: &str) -> String {
    let html = Html::parse_document(dom);
    let selector = scraper::Selector::parse("title").unwrap();
    html.select(&selector)
        .next()
        .map(|t| t.text().collect())
        .unwrap_or_default()
}

#[test]
fn no_payload_runs_in_a_browser() {
    // The control: a page whose script changes its title is seen to change it.
    let scratch = tempfile::tempdir().unwrap();
    let control = scratch.path().join("control.html");
    std::fs::write(
        &control,
        "<!DOCTYPE html><title>before</title><script>document.title='PWNED'</script>",
    )
    .unwrap();
    let Some(dom) = browser_dom(&control) else {
        eprintln!("no chromium on PATH: the browser check is skipped");
        return;
    };
    assert_eq!(title(&dom), "PWNED", "the control page ran its script");

    for page in ["report.html", "email.html"] {
        let file = run().out.join(page);
        let dom = browser_dom(&file).expect("chromium ran once already");
        let expected = title(&read(page));
        assert!(expected.starts_with("Atlas access review"), "{expected}");
        assert_eq!(title(&dom), expected, "{page}: a payload ran");
        assert!(!dom.contains("PWNED</title>"), "{page}");
        if page == "report.html" {
            assert!(dom.contains("data-js=\"on\""), "the page's own script ran");
        }
    }
}
