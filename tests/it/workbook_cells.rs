//! The demo workbook against a pinned description of it: every cell of every sheet (its value
//! and type as `calamine` reads them, and its style), and what the values do not show: the
//! sheet order, frozen panes, autofilters, column widths and styles, sheet protection, data
//! validations, conditional formats and the document properties, read from the package's XML.
//!
//! `ATLAS_AUDIT_PIN=1 cargo test --test it workbook_cells` rewrites the pinned file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use crate::common::*;
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use quick_xml::events::{BytesStart, Event};

const PINNED: &str = "tests/pinned/demo-workbook.txt";

fn pinned_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(PINNED)
}

#[test]
fn every_cell_and_control_of_the_demo_workbook_is_as_pinned() {
    let (dir, _) = report_in_temp(&demo_snapshot(), &["--format", "xlsx"]);
    let bytes = std::fs::read(dir.path().join("out/access-review.xlsx")).unwrap();
    let described = describe(&bytes);
    if std::env::var_os("ATLAS_AUDIT_PIN").is_some() {
        std::fs::create_dir_all(pinned_path().parent().unwrap()).unwrap();
        std::fs::write(pinned_path(), &described).unwrap();
    }
    let pinned = std::fs::read_to_string(pinned_path()).unwrap();
    let (want, got): (Vec<&str>, Vec<&str>) =
        (pinned.lines().collect(), described.lines().collect());
    let differing: Vec<String> = (0..want.len().max(got.len()))
        .filter(|&i| want.get(i) != got.get(i))
        .map(|i| {
            format!(
                "line {}:\n  pinned: {}\n  now:    {}",
                i + 1,
                want.get(i).unwrap_or(&"(none)"),
                got.get(i).unwrap_or(&"(none)")
            )
        })
        .collect();
    assert!(
        differing.is_empty(),
        "{} line(s) differ from {PINNED}; the first:\n{}",
        differing.len(),
        differing[..differing.len().min(20)].join("\n")
    );
    // The description is not empty: the seven sheets and the hidden Lists are there, with
    // their cells.
    assert_eq!(described.matches("\nsheet ").count(), 8, "{described:.400}");
    assert!(
        described
            .lines()
            .filter(|l| l.contains("\tstring\t"))
            .count()
            > 500
    );
}

/// The workbook as readable text: the package's properties, then each sheet's controls and
/// cells. The tool's version reads `VERSION`, so a release does not change the pinned copy.
fn describe(bytes: &[u8]) -> String {
    let version = concat!("atlas-audit ", env!("CARGO_PKG_VERSION"));
    describe_any_version(bytes).replace(version, "atlas-audit VERSION")
}

fn describe_any_version(bytes: &[u8]) -> String {
    let package = Package::read(bytes);
    let styles = Styles::parse(&package.part("xl/styles.xml"));
    let mut xlsx: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
    let names = xlsx.sheet_names();
    let mut out = String::new();
    let _ = writeln!(out, "sheets\t{}", names.join(" | "));
    out.push_str(&package.core_properties());
    out.push_str(&package.defined_names());
    for (i, name) in names.iter().enumerate() {
        let xml = package.part(&format!("xl/worksheets/sheet{}.xml", i + 1));
        let sheet = SheetXml::parse(&xml, &styles);
        let range = xlsx.worksheet_range(name).unwrap();
        let _ = writeln!(out, "\nsheet {name}");
        match (range.start(), range.end()) {
            (Some(start), Some(end)) => {
                let _ = writeln!(out, "range\t{}:{}", a1(start.0, start.1), a1(end.0, end.1));
            }
            _ => out.push_str("range\tempty\n"),
        }
        for line in &sheet.controls {
            let _ = writeln!(out, "{line}");
        }
        for (row, col, data) in range.used_cells() {
            let (row, col) = (
                row as u32 + range.start().unwrap().0,
                col as u32 + range.start().unwrap().1,
            );
            let style = sheet.cells.get(&(row, col)).map_or("-", String::as_str);
            let _ = writeln!(out, "{}\t{}\t{style}", a1(row, col), value(data));
        }
        let orphans: Vec<String> = sheet
            .cells
            .keys()
            .filter(|(r, c)| range.get_value((*r, *c)).is_none_or(|d| *d == Data::Empty))
            .map(|(r, c)| a1(*r, *c))
            .collect();
        if !orphans.is_empty() {
            let _ = writeln!(out, "blank cells written\t{}", orphans.join(" "));
        }
    }
    out
}

/// A cell's type and value, one line.
fn value(data: &Data) -> String {
    match data {
        Data::String(s) => format!("string\t{}", escape(s)),
        Data::Float(f) => format!("number\t{f}"),
        Data::Int(i) => format!("int\t{i}"),
        Data::Bool(b) => format!("bool\t{b}"),
        Data::DateTime(dt) => {
            let serial = dt.as_f64();
            let seconds = ((serial - 25_569.0) * 86_400.0).round() as i64;
            let moment = jiff::Timestamp::from_second(seconds)
                .map_or_else(|_| "?".into(), |t| t.to_string());
            let kind = if dt.is_datetime() {
                "datetime"
            } else {
                "duration"
            };
            format!("{kind}\t{serial} ({moment})")
        }
        Data::DateTimeIso(s) => format!("datetime-iso\t{}", escape(s)),
        Data::DurationIso(s) => format!("duration-iso\t{}", escape(s)),
        Data::Error(e) => format!("error\t{e:?}"),
        Data::Empty => "empty\t".into(),
    }
}

/// Text on one line: backslash, tab, newline and carriage return escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// `A1` from a row and column counted from 0.
fn a1(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8(letters).unwrap(), row + 1)
}

/// Row and column from 0 of `B7`.
fn cell_position(reference: &str) -> (u32, u32) {
    let split = reference.find(|c: char| c.is_ascii_digit()).unwrap();
    let col = reference[..split]
        .bytes()
        .fold(0u32, |n, b| n * 26 + u32::from(b - b'A' + 1));
    (reference[split..].parse::<u32>().unwrap() - 1, col - 1)
}

struct Package {
    bytes: Vec<u8>,
}

impl Package {
    fn read(bytes: &[u8]) -> Package {
        Package {
            bytes: bytes.to_vec(),
        }
    }

    fn part(&self, path: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(&self.bytes)).unwrap();
        let mut s = String::new();
        zip.by_name(path).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    /// Title, author, comment and dates of `docProps/core.xml`.
    fn core_properties(&self) -> String {
        let mut out = String::new();
        for (tag, text) in elements_text(&self.part("docProps/core.xml")) {
            if let Some(name) = ["title", "creator", "description", "created", "modified"]
                .into_iter()
                .find(|n| tag.ends_with(&format!(":{n}")))
            {
                let _ = writeln!(out, "property\t{name}\t{}", escape(&text));
            }
        }
        out
    }

    /// The workbook's defined names (the autofilters' `_FilterDatabase`), in sheet order, each
    /// sheet name quoted: `'Findings'!$A$1` and `Findings!$A$1` are the same reference.
    fn defined_names(&self) -> String {
        let xml = self.part("xl/workbook.xml");
        let mut reader = quick_xml::Reader::from_str(&xml);
        let mut attrs: Vec<BTreeMap<String, String>> = Vec::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) if e.local_name().into_inner() == "definedName" => {
                    attrs.push(attributes(&e));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        let texts = elements_text(&xml)
            .into_iter()
            .filter(|(tag, _)| tag == "definedName")
            .map(|(_, text)| text);
        let mut names: Vec<(u32, String)> = attrs
            .into_iter()
            .zip(texts)
            .map(|(attrs, text)| {
                let sheet = attrs
                    .get("localSheetId")
                    .and_then(|id| id.parse().ok())
                    .unwrap_or(u32::MAX);
                let listed: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let line = format!(
                    "defined name\t{}\t{}",
                    listed.join(" "),
                    escape(&quoted(&text))
                );
                (sheet, line)
            })
            .collect();
        names.sort();
        names.into_iter().map(|(_, line)| line + "\n").collect()
    }
}

/// A reference with its sheet name quoted: `Findings!$A$1` → `'Findings'!$A$1`.
fn quoted(reference: &str) -> String {
    match reference.rsplit_once('!') {
        Some((sheet, cells)) if !sheet.starts_with('\'') => {
            format!("'{}'!{cells}", sheet.replace('\'', "''"))
        }
        _ => reference.to_string(),
    }
}

/// Every element with text, as (qualified name, text with references resolved).
fn elements_text(xml: &str) -> Vec<(String, String)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut current = String::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) => {
                stack.push(e.name().into_inner().to_string());
                current.clear();
            }
            Event::Text(t) => {
                current.push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0));
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => match r.into_inner().as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "quot" => "\"".into(),
                        "apos" => "'".into(),
                        other => format!("&{other};"),
                    },
                };
                current.push_str(&resolved);
            }
            Event::End(_) => {
                if let Some(tag) = stack.pop()
                    && !current.is_empty()
                {
                    texts.push((tag, std::mem::take(&mut current)));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    texts
}

fn attributes(e: &BytesStart<'_>) -> BTreeMap<String, String> {
    e.attributes()
        .map(|a| {
            let a = a.unwrap();
            (
                a.key.into_inner().to_string(),
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned(),
            )
        })
        .collect()
}

/// The cell formats of `styles.xml`, each described in words, and the differential formats.
struct Styles {
    cell: Vec<String>,
    differential: Vec<String>,
}

impl Styles {
    fn parse(xml: &str) -> Styles {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut formats: BTreeMap<String, String> = BTreeMap::new();
        // Fonts, fills and borders as word lists; `section` is the list being read.
        let mut fonts: Vec<Vec<String>> = Vec::new();
        let mut fills: Vec<Vec<String>> = Vec::new();
        let mut borders: Vec<Vec<String>> = Vec::new();
        let mut dxfs: Vec<Vec<String>> = Vec::new();
        let mut xfs: Vec<Vec<String>> = Vec::new();
        let mut section = String::new();
        let mut in_bottom = false;
        loop {
            let (e, empty) = match reader.read_event().unwrap() {
                Event::Start(e) => (e, false),
                Event::Empty(e) => (e, true),
                Event::End(e) => {
                    if e.local_name().into_inner() == "bottom" {
                        in_bottom = false;
                    }
                    continue;
                }
                Event::Eof => break,
                _ => continue,
            };
            let name = e.local_name().into_inner().to_string();
            let attrs = attributes(&e);
            let get = |k: &str| attrs.get(k).cloned().unwrap_or_default();
            match name.as_str() {
                "fonts" | "fills" | "borders" | "cellXfs" | "cellStyleXfs" | "dxfs" => {
                    section = name.clone();
                }
                "numFmt" => {
                    formats.insert(get("numFmtId"), get("formatCode"));
                }
                "font" if section == "fonts" => fonts.push(Vec::new()),
                "fill" if section == "fills" => fills.push(Vec::new()),
                "border" if section == "borders" => borders.push(Vec::new()),
                "dxf" => dxfs.push(Vec::new()),
                "b" | "sz" | "color" if section == "fonts" || section == "dxfs" => {
                    let words = if section == "fonts" {
                        fonts.last_mut()
                    } else {
                        dxfs.last_mut()
                    };
                    let Some(words) = words else { continue };
                    match name.as_str() {
                        "b" if get("val") != "0" => words.push("bold".into()),
                        "sz" if get("val") != "11" => words.push(format!("size={}", get("val"))),
                        "color" if !in_bottom && attrs.contains_key("rgb") => {
                            words.push(format!("font={}", rgb(&get("rgb"))));
                        }
                        _ => {}
                    }
                }
                "patternFill" if section == "fills" => {
                    let t = get("patternType");
                    if t != "none"
                        && t != "solid"
                        && let Some(words) = fills.last_mut()
                    {
                        words.push(format!("pattern={t}"));
                    }
                }
                "fgColor" if section == "fills" => {
                    if let Some(words) = fills.last_mut() {
                        words.push(format!("fill={}", rgb(&get("rgb"))));
                    }
                }
                "bgColor" if section == "dxfs" => {
                    if let Some(words) = dxfs.last_mut() {
                        words.push(format!("fill={}", rgb(&get("rgb"))));
                    }
                }
                "bottom" if section == "borders" => {
                    in_bottom = !empty;
                    if attrs.contains_key("style")
                        && let Some(words) = borders.last_mut()
                    {
                        words.push(format!("bottom={}", get("style")));
                    }
                }
                "xf" if section == "cellXfs" => {
                    let index = |k: &str| get(k).parse::<usize>().unwrap_or(0);
                    let mut words = Vec::new();
                    words.extend(fonts.get(index("fontId")).cloned().unwrap_or_default());
                    words.extend(fills.get(index("fillId")).cloned().unwrap_or_default());
                    words.extend(borders.get(index("borderId")).cloned().unwrap_or_default());
                    let id = get("numFmtId");
                    match formats.get(&id) {
                        Some(code) => words.push(format!("format={code}")),
                        None if id != "0" && !id.is_empty() => words.push(format!("format=#{id}")),
                        None => {}
                    }
                    xfs.push(words);
                }
                "alignment" if section == "cellXfs" => {
                    if let Some(words) = xfs.last_mut() {
                        if get("wrapText") == "1" {
                            words.push("wrap".into());
                        }
                        if !get("vertical").is_empty() {
                            words.push(format!("vertical={}", get("vertical")));
                        }
                        if !get("horizontal").is_empty() {
                            words.push(format!("horizontal={}", get("horizontal")));
                        }
                    }
                }
                "protection" if section == "cellXfs" => {
                    if get("locked") == "0"
                        && let Some(words) = xfs.last_mut()
                    {
                        words.push("unlocked".into());
                    }
                }
                _ => {}
            }
        }
        let join = |words: Vec<String>| match words.is_empty() {
            true => "plain".to_string(),
            false => words.join(","),
        };
        Styles {
            cell: xfs.into_iter().map(join).collect(),
            differential: dxfs.into_iter().map(join).collect(),
        }
    }

    fn cell(&self, index: &str) -> String {
        let i: usize = index.parse().unwrap_or(0);
        self.cell
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("style #{i}?"))
    }
}

/// `FFD9E1F2` → `D9E1F2`.
fn rgb(argb: &str) -> String {
    argb.get(2..).unwrap_or(argb).to_string()
}

/// A worksheet's controls, one line each, and every written cell's style.
struct SheetXml {
    controls: Vec<String>,
    cells: BTreeMap<(u32, u32), String>,
}

/// What `<sheetProtection>` blocks when an attribute is left out (ECMA-376, 18.3.1.85).
const PROTECTION_DEFAULTS: &[(&str, &str)] = &[
    ("sheet", "0"),
    ("objects", "0"),
    ("scenarios", "0"),
    ("formatCells", "1"),
    ("formatColumns", "1"),
    ("formatRows", "1"),
    ("insertColumns", "1"),
    ("insertRows", "1"),
    ("insertHyperlinks", "1"),
    ("deleteColumns", "1"),
    ("deleteRows", "1"),
    ("selectLockedCells", "0"),
    ("sort", "1"),
    ("autoFilter", "1"),
    ("pivotTables", "1"),
    ("selectUnlockedCells", "0"),
];

impl SheetXml {
    fn parse(xml: &str, styles: &Styles) -> SheetXml {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut controls = Vec::new();
        let mut cells: BTreeMap<(u32, u32), String> = BTreeMap::new();
        let (mut row, mut next_col) = (0u32, 0u32);
        // The element whose text is being read, and the line it completes.
        let mut pending: Option<String> = None;
        let mut text = String::new();
        loop {
            let event = reader.read_event().unwrap();
            let (e, empty) = match &event {
                Event::Start(e) => (e.clone(), false),
                Event::Empty(e) => (e.clone(), true),
                Event::Text(t) => {
                    text.push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0));
                    continue;
                }
                Event::GeneralRef(r) => {
                    let c = r.resolve_char_ref().unwrap();
                    text.push_str(&match (c, r.clone().into_inner().as_ref()) {
                        (Some(c), _) => c.to_string(),
                        (None, "amp") => "&".into(),
                        (None, "lt") => "<".into(),
                        (None, "gt") => ">".into(),
                        (None, "quot") => "\"".into(),
                        (None, "apos") => "'".into(),
                        (None, other) => format!("&{other};"),
                    });
                    continue;
                }
                Event::End(e) => {
                    let name = e.local_name();
                    if matches!(name.into_inner(), "formula" | "formula1" | "formula2")
                        && let Some(line) = pending.as_mut()
                    {
                        let tag = name.into_inner().to_string();
                        let _ = write!(line, " {tag}={}", escape(&text));
                    }
                    if matches!(name.into_inner(), "dataValidation" | "cfRule") {
                        controls.extend(pending.take());
                    }
                    if name.into_inner() == "f" {
                        let at = (row, next_col.saturating_sub(1));
                        if let Some(style) = cells.get_mut(&at) {
                            let _ = write!(style, " FORMULA={}", escape(&text));
                        }
                    }
                    text.clear();
                    continue;
                }
                Event::Eof => break,
                _ => continue,
            };
            text.clear();
            let attrs = attributes(&e);
            let get = |k: &str| attrs.get(k).cloned().unwrap_or_default();
            match e.local_name().into_inner() {
                "pane" => controls.push(format!(
                    "pane\tx={} y={} top-left={} state={}",
                    get("xSplit"),
                    get("ySplit"),
                    get("topLeftCell"),
                    get("state")
                )),
                "col" => {
                    let (min, max): (u32, u32) =
                        (get("min").parse().unwrap(), get("max").parse().unwrap());
                    for c in min..=max {
                        let style = match attrs.get("style") {
                            Some(s) => styles.cell(s),
                            None => "-".into(),
                        };
                        controls.push(format!(
                            "column\t{}\twidth={} hidden={} style={style}",
                            a1(0, c - 1).trim_end_matches('1'),
                            get("width"),
                            attrs.get("hidden").map_or("0", String::as_str),
                        ));
                    }
                }
                "row" => {
                    row = get("r").parse::<u32>().unwrap() - 1;
                    next_col = 0;
                }
                "c" => {
                    let col = match attrs.get("r") {
                        Some(r) => cell_position(r).1,
                        None => next_col,
                    };
                    next_col = col + 1;
                    let style = attrs
                        .get("s")
                        .map_or_else(|| "plain".into(), |s| styles.cell(s));
                    cells.insert((row, col), style);
                }
                "sheetProtection" => {
                    let effective: Vec<String> = PROTECTION_DEFAULTS
                        .iter()
                        .map(|(k, default)| {
                            let v = attrs.get(*k).map_or(*default, String::as_str);
                            let v = if v == "true" {
                                "1"
                            } else if v == "false" {
                                "0"
                            } else {
                                v
                            };
                            format!("{k}={v}")
                        })
                        .collect();
                    let password = attrs
                        .keys()
                        .any(|k| k.contains("assword") || k.contains("hash"));
                    controls.push(format!(
                        "protection\t{} password={password}",
                        effective.join(" ")
                    ));
                }
                "autoFilter" => controls.push(format!("autofilter\t{}", get("ref"))),
                "conditionalFormatting" => {
                    controls.push(format!("conditional format\t{}", get("sqref")));
                }
                "cfRule" => {
                    let dxf = attrs
                        .get("dxfId")
                        .and_then(|d| d.parse::<usize>().ok())
                        .and_then(|d| styles.differential.get(d).cloned())
                        .unwrap_or_else(|| "-".into());
                    let line = format!(
                        "  rule\ttype={} format={dxf} stop={}",
                        get("type"),
                        attrs.get("stopIfTrue").map_or("0", String::as_str)
                    );
                    if empty {
                        controls.push(line);
                    } else {
                        pending = Some(line);
                    }
                }
                "dataValidation" => {
                    let flag = |k: &str| match attrs.get(k).map(String::as_str) {
                        Some("1" | "true") => "1",
                        _ => "0",
                    };
                    let line = format!(
                        "validation\t{} type={} operator={} blank-ok={} input={} error-alert={} style={} prompt-title={} prompt={} error-title={} error={}",
                        get("sqref"),
                        get("type"),
                        attrs.get("operator").map_or("between", String::as_str),
                        flag("allowBlank"),
                        flag("showInputMessage"),
                        flag("showErrorMessage"),
                        attrs.get("errorStyle").map_or("stop", String::as_str),
                        escape(&get("promptTitle")),
                        escape(&get("prompt")),
                        escape(&get("errorTitle")),
                        escape(&get("error")),
                    );
                    if empty {
                        controls.push(line);
                    } else {
                        pending = Some(line);
                    }
                }
                _ => {}
            }
        }
        SheetXml { controls, cells }
    }
}
