//! Report benchmark: the whole `report` command over a saved synthetic snapshot (default `xl`),
//! every format, run as the release binary so its time and memory are its own. The floor is
//! the time the same process takes just to load the snapshot. Prints the medians of load,
//! rules, rendering and the whole command, peak memory, the whole/load ratio, each format
//! rendered alone, and every file's size. Last, the workbook against `rust_xlsxwriter`'s own
//! floor: the same cells (read back from the workbook just written) written by the library
//! alone, in constant-memory mode, sheets on the same threads in the same order (most cells
//! first) and the same deflate level, with no validation or protection, against our writer
//! building the same workbook; both in memory in this process, taken in turns. The floor is
//! taken twice: each cell in a format where ours has one (one format per style the workbook
//! uses: the library looks every cell's format up, and that lookup is the library's cost), and
//! with dates in a date format and no other formats (the floor of earlier reports).
//!
//! `cargo bench --bench report [-- RUNS [SIZE]]` (defaults: 3 runs, xl).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use atlas_audit::mock::SyntheticSize;
use calamine::{Data, Reader, Xlsx};
use common::*;
use rayon::prelude::*;
use rust_xlsxwriter::{Color, Format, Workbook};

/// The allocator the binary ships with (`src/main.rs`), so that the workbook and the floor
/// built in this process allocate as a `report` run does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// One run of the binary: wall seconds and the `-v` lines' numbers.
struct Run {
    wall: f64,
    load: f64,
    rules: f64,
    render: f64,
    peak_mib: u64,
    files: BTreeMap<String, (u64, f64)>,
}

fn field(line: &str, name: &str) -> Option<u64> {
    let at = line.find(&format!(" {name}="))? + name.len() + 2;
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

fn run(snapshot: &Path, out: &Path, format: &str) -> Run {
    let t = Instant::now();
    let output = atlas_audit_command()
        .args(["report", "-v", "--snapshot"])
        .arg(snapshot)
        .arg("--out")
        .arg(out)
        // Every run after the first replaces the report the one before wrote.
        .arg("--force")
        .args(["--format", format])
        .output()
        .unwrap();
    let wall = t.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "report failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log = String::from_utf8_lossy(&output.stderr);
    let ms = |msg: &str| {
        log.lines()
            .find(|l| l.contains(msg))
            .and_then(|l| field(l, "ms"))
            .map_or(0.0, |ms| ms as f64 / 1000.0)
    };
    let mut files = BTreeMap::new();
    for l in log
        .lines()
        .filter(|l| l.contains(" written") && l.contains("file="))
    {
        let name = l.split("file=\"").nth(1).and_then(|r| r.split('"').next());
        if let (Some(name), Some(bytes), Some(ms)) = (name, field(l, "bytes"), field(l, "ms")) {
            files.insert(name.to_string(), (bytes, ms as f64 / 1000.0));
        }
    }
    Run {
        wall,
        load: ms("snapshot ready"),
        rules: ms("rules evaluated"),
        render: ms("report written"),
        peak_mib: log
            .lines()
            .find(|l| l.contains("report written"))
            .and_then(|l| field(l, "peak_mib"))
            .unwrap_or(0),
        files,
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(3);
    let size: SyntheticSize = args.get(1).map_or("xl", String::as_str).parse().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // ATLAS_AUDIT_BENCH_SNAPSHOT=FILE keeps the built snapshot there and reuses it.
    let path = match std::env::var_os("ATLAS_AUDIT_BENCH_SNAPSHOT") {
        Some(p) => std::path::PathBuf::from(p),
        None => dir.path().join("snapshot.json"),
    };
    if !path.is_file() {
        let t0 = Instant::now();
        let snapshot = synthetic_snapshot(size);
        println!(
            "estate: {} principals, {} grants, {} events (built in {:.1}s)",
            snapshot.principals.len(),
            snapshot.grants.len(),
            snapshot.events.len(),
            t0.elapsed().as_secs_f64()
        );
        atlas_audit::model::save(&snapshot, &path).unwrap();
    }
    let bytes = std::fs::metadata(&path).unwrap().len();
    println!("snapshot: {:.0} MB", bytes as f64 / 1e6);
    let out = dir.path().join("report");
    let all: Vec<Run> = (0..runs)
        .map(|_| run(&path, &out, "csv,xlsx,html,json"))
        .collect();
    let m = |f: fn(&Run) -> f64| median(all.iter().map(f).collect());
    let (load, rules, render, wall) = (
        m(|r| r.load),
        m(|r| r.rules),
        m(|r| r.render),
        m(|r| r.wall),
    );
    let peak = all.iter().map(|r| r.peak_mib).max().unwrap_or(0);
    println!(
        "whole report, {runs} runs: median {wall:.2}s (load {load:.2}s, rules {rules:.2}s, render {render:.2}s); peak {peak} MiB; whole/load = {:.2}×",
        wall / load
    );
    println!("  {:<20} {:>12} {:>14}", "file", "bytes", "time in run (s)");
    for (name, (bytes, secs)) in &all[all.len() - 1].files {
        println!("  {name:<20} {bytes:>12} {secs:>14.2}");
    }
    println!("each format alone (render phase, one run):");
    let mut workbook_alone = 0.0;
    let mut sheets = Cells::new();
    for format in ["csv", "xlsx", "html", "json"] {
        let r = run(&path, &out, format);
        println!(
            "  {format:<5} render {:.2}s, whole {:.2}s, peak {} MiB",
            r.render, r.wall, r.peak_mib
        );
        if let Some((_, secs)) = r.files.get(WORKBOOK) {
            workbook_alone = *secs;
            // Read now: the next format's run replaces the folder.
            sheets = read_cells(&out.join(WORKBOOK));
        }
    }
    let cells: usize = sheets
        .iter()
        .map(|(_, rows)| rows.iter().map(Vec::len).sum::<usize>())
        .sum();
    // The writer and the library's floor, each built in memory in this process and taken in
    // turns, so that the machine's noise falls on both alike: medians of `runs` each. (In a
    // `report` run the workbook also shares the cores with hashing the snapshot file.)
    let snapshot = atlas_audit::model::load(&path).unwrap();
    let policy = atlas_audit::rules::Policy::default();
    let findings = atlas_audit::rules::evaluate(&snapshot, &policy).unwrap();
    let input =
        atlas_audit::report::ReportInput::without_policy_file(&snapshot, &findings, &policy);
    let mut review = atlas_audit::report::Review::new(&input);
    // As `report` does: the directory of people is built once before rendering (like the
    // review's indexes), for the People sheet and the two directory files alike.
    let started = Instant::now();
    review.prepare_directory();
    println!(
        "directory of people built once per report in {:.2}s (before rendering)",
        started.elapsed().as_secs_f64()
    );
    let (mut ours, mut floors, mut bare) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let t = Instant::now();
        let bytes = atlas_audit::report::workbook_bytes(&review).unwrap();
        ours.push(t.elapsed().as_secs_f64());
        drop(bytes);
        floors.push(floor_seconds(&sheets, true));
        bare.push(floor_seconds(&sheets, false));
    }
    let (ours, floor, bare) = (median(ours), median(floors), median(bare));
    let styled: usize = sheets
        .iter()
        .flat_map(|(_, rows)| rows.iter().flatten())
        .filter(|c| c.2.is_some())
        .count();
    println!(
        "workbook: {WORKBOOK} {workbook_alone:.2}s in an xlsx-only run; built in memory {ours:.2}s (median of {runs}) vs rust_xlsxwriter's floor {floor:.2}s for the same {cells} cells in {} sheets, {styled} of them in formats: {:.2}× (vs {bare:.2}s with dates the only formats: {:.2}×)",
        sheets.len(),
        ours / floor,
        ours / bare
    );
}

const WORKBOOK: &str = "access-review.xlsx";

/// Every sheet's non-empty cells, row by row: (column, value, the cell's style index if any).
type Cells = Vec<(String, Vec<Vec<(u16, Data, Option<u32>)>>)>;

fn read_cells(path: &Path) -> Cells {
    let mut book: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let bytes = std::fs::read(path).unwrap();
    book.sheet_names()
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let range = book.worksheet_range(&name).unwrap();
            // The sheets are stored in workbook order as sheet1.xml, sheet2.xml, ...
            let styles = cell_styles(&bytes, &format!("xl/worksheets/sheet{}.xml", i + 1));
            let (row0, col0) = range.start().unwrap_or((0, 0));
            let mut rows: Vec<Vec<(u16, Data, Option<u32>)>> = vec![Vec::new(); row0 as usize];
            rows.extend(range.rows().enumerate().map(|(r, cells)| {
                let r = r as u32 + row0;
                cells
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| **d != Data::Empty)
                    .map(|(c, d)| {
                        let c = (c as u32 + col0) as u16;
                        (c, d.clone(), styles.get(&(r, c)).copied())
                    })
                    .collect()
            }));
            (name, rows)
        })
        .collect()
}

/// The style index (`s`) of every cell that has one in a sheet's XML, by (row, column).
fn cell_styles(package: &[u8], part: &str) -> std::collections::HashMap<(u32, u16), u32> {
    use quick_xml::events::Event;
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(package)).unwrap();
    let mut xml = String::new();
    zip.by_name(part).unwrap().read_to_string(&mut xml).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut styles = std::collections::HashMap::new();
    loop {
        match reader.read_event().unwrap() {
            Event::Start(e) | Event::Empty(e) if e.local_name().into_inner() == "c" => {
                let (mut at, mut style) = (None, None);
                for a in e.attributes().flatten() {
                    let value: &str = &a.value;
                    match a.key.local_name().into_inner() {
                        "r" => at = Some(cell_ref(value)),
                        "s" => style = value.parse().ok(),
                        _ => {}
                    }
                }
                if let (Some(at), Some(style)) = (at, style) {
                    styles.insert(at, style);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    styles
}

/// `B12` as (row 11, column 1).
fn cell_ref(r: &str) -> (u32, u16) {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    let col = r[..letters].bytes().fold(0u32, |n, b| {
        n * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row: u32 = r[letters..].parse().unwrap();
    (row - 1, (col - 1) as u16)
}

/// Seconds `rust_xlsxwriter` alone takes to write `sheets` into a buffer: strings and numbers
/// (dates as their serials), each in a format where the workbook's cell has one when `styled`
/// (one format per style index, dates with a date format), else dates alone in a date format.
fn floor_seconds(sheets: &Cells, styled: bool) -> f64 {
    // One format per style index the sheets use, and per whether the cell is a date: made
    // before the clock starts, as the writer's own are a fixed table.
    // A cell's format: by its style index (when `styled`) and whether it is a date; a cell
    // with neither has none.
    let key = |style: &Option<u32>, data: &Data| {
        let style = style.filter(|_| styled);
        let is_date = matches!(data, Data::DateTime(_));
        (style.is_some() || is_date).then_some((style, is_date))
    };
    let mut formats = std::collections::HashMap::new();
    for (_, data, style) in sheets.iter().flat_map(|(_, rows)| rows.iter().flatten()) {
        if let Some(k @ (style, is_date)) = key(style, data) {
            formats.entry(k).or_insert_with(|| {
                let f = match style {
                    Some(n) => Format::new().set_background_color(Color::RGB(n)),
                    None => Format::new(),
                };
                if is_date {
                    f.set_num_format("yyyy-mm-dd hh:mm")
                } else {
                    f
                }
            });
        }
    }
    let t = Instant::now();
    let mut book = Workbook::new();
    book.set_zip_compression_level(1);
    let blank: Vec<_> = sheets
        .iter()
        .map(|_| book.new_worksheet_with_constant_memory().unwrap())
        .collect();
    // The same schedule as the report's: the sheet with the most cells first, each thread
    // taking the next sheet when it is free.
    let mut queue: Vec<_> = blank.into_iter().zip(sheets).enumerate().collect();
    queue.sort_by_key(|(_, (_, (_, rows)))| {
        std::cmp::Reverse(rows.iter().map(Vec::len).sum::<usize>())
    });
    let mut written: Vec<_> = queue
        .into_iter()
        .par_bridge()
        .map(|(i, (mut sheet, (name, rows)))| {
            sheet.set_name(name).unwrap();
            for (r, row) in rows.iter().enumerate() {
                for (c, data, style) in row {
                    let (r, c) = (r as u32, *c);
                    let format = key(style, data).and_then(|k| formats.get(&k));
                    match (data, format) {
                        (Data::String(s), Some(f)) => sheet.write_string_with_format(r, c, s, f),
                        (Data::String(s), None) => sheet.write_string(r, c, s),
                        (Data::Float(n), Some(f)) => sheet.write_number_with_format(r, c, *n, f),
                        (Data::Float(n), None) => sheet.write_number(r, c, *n),
                        (Data::Int(n), Some(f)) => {
                            sheet.write_number_with_format(r, c, *n as f64, f)
                        }
                        (Data::Int(n), None) => sheet.write_number(r, c, *n as f64),
                        (Data::DateTime(d), Some(f)) => {
                            sheet.write_number_with_format(r, c, d.as_f64(), f)
                        }
                        (Data::DateTime(d), None) => sheet.write_number(r, c, d.as_f64()),
                        (Data::Bool(b), _) => sheet.write_boolean(r, c, *b),
                        (other, _) => sheet.write_string(r, c, other.to_string()),
                    }
                    .unwrap();
                }
            }
            (i, sheet)
        })
        .collect();
    written.sort_by_key(|(i, _)| *i);
    for (_, sheet) in written {
        book.push_worksheet(sheet);
    }
    let bytes = book.save_to_buffer().unwrap();
    assert!(!bytes.is_empty());
    t.elapsed().as_secs_f64()
}
