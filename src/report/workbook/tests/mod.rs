use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use super::access_review::{HEADERS as REVIEW_HEADERS, REVIEWER_WIDTHS};
use super::coverage::HEADERS as COVERAGE_HEADERS;
use super::cursor::fit;
use super::exemptions::HEADERS as EXEMPTION_HEADERS;
use super::findings::HEADERS as FINDING_HEADERS;
use super::principals::heading;
use super::*;
use crate::model::{Grant, Via};
use crate::report::cell::neutralise;
use crate::report::sample::{Sample, hostile, hostile_strings, ordinary};
use crate::report::tables::PRINCIPALS_CSV_HEADER;
use crate::rules::testkit::{as_of, days_ago};
use crate::rules::{ExemptionNote, RuleId, Status};
use std::borrow::Cow;

mod controls;

const SHEETS: [&str; 7] = [
    "Summary",
    "Findings",
    "Access Review",
    "Principals",
    "People",
    "Coverage",
    "Exemptions",
];

/// Every sheet, the hidden Lists last.
fn all_sheets() -> Vec<&'static str> {
    SHEETS
        .iter()
        .copied()
        .chain([super::access_review::LISTS_SHEET])
        .collect()
}

fn render_sample(sample: &Sample, row_limit: u32) -> Vec<u8> {
    let input = sample.input();
    let review = Review::new(&input);
    render(&review, row_limit).unwrap()
}

/// The workbook read back: every sheet's cells, by name, in order.
struct Book {
    bytes: Vec<u8>,
    sheets: Vec<(String, Vec<Vec<Data>>)>,
}

impl Book {
    fn of(sample: &Sample) -> Book {
        Book::read(render_sample(sample, EXCEL_ROWS))
    }

    fn read(bytes: Vec<u8>) -> Book {
        let mut xlsx: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
        let sheets = xlsx
            .sheet_names()
            .into_iter()
            .map(|name| {
                let range = xlsx.worksheet_range(&name).unwrap();
                let rows = range.rows().map(<[Data]>::to_vec).collect();
                (name, rows)
            })
            .collect();
        Book { bytes, sheets }
    }

    fn names(&self) -> Vec<&str> {
        self.sheets.iter().map(|(n, _)| n.as_str()).collect()
    }

    fn rows(&self, name: &str) -> &[Vec<Data>] {
        let (_, rows) = self.sheets.iter().find(|(n, _)| n == name).unwrap();
        rows
    }

    /// Data rows of a sheet, as maps from header to cell.
    fn records(&self, name: &str) -> Vec<Vec<(String, Data)>> {
        let rows = self.rows(name);
        let header: Vec<String> = rows[0].iter().map(text).collect();
        rows[1..]
            .iter()
            .map(|r| header.iter().cloned().zip(r.iter().cloned()).collect())
            .collect()
    }

    /// A part of the package, as text.
    fn part(&self, path: &str) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(&self.bytes)).unwrap();
        let mut s = String::new();
        zip.by_name(path).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    /// A worksheet's XML, by sheet name.
    fn sheet_xml(&self, name: &str) -> String {
        let at = self.names().iter().position(|n| *n == name).unwrap();
        self.part(&format!("xl/worksheets/sheet{}.xml", at + 1))
    }
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn field<'r>(record: &'r [(String, Data)], name: &str) -> &'r Data {
    &record.iter().find(|(h, _)| h == name).unwrap().1
}

fn serial(t: jiff::Timestamp) -> f64 {
    t.as_second() as f64 / 86_400.0 + 25_569.0
}

fn as_date(d: &Data) -> f64 {
    match d {
        Data::DateTime(dt) if dt.is_datetime() => dt.as_f64(),
        other => panic!("not a date: {other:?}"),
    }
}

#[test]
fn sheets_come_in_order_with_their_headers() {
    let book = Book::of(&ordinary());
    assert_eq!(book.names(), all_sheets());
    let header = |name: &str| -> Vec<String> { book.rows(name)[0].iter().map(text).collect() };
    assert_eq!(header("Findings"), FINDING_HEADERS);
    assert_eq!(header("Access Review"), REVIEW_HEADERS);
    assert_eq!(header("Coverage"), COVERAGE_HEADERS);
    assert_eq!(header("Exemptions"), EXEMPTION_HEADERS);
    assert_eq!(header("Principals")[0], "Principal key");
    assert_eq!(header("Principals").len(), PRINCIPALS_CSV_HEADER.len());
    assert_eq!(header("People")[0], "Principal key");
    assert_eq!(
        header("People").len(),
        crate::report::directory::DIRECTORY_CSV_HEADER.len()
    );
    for name in &SHEETS[1..] {
        let xml = book.sheet_xml(name);
        assert!(
            xml.contains(r#"state="frozen""#),
            "{name}: no frozen header"
        );
        assert!(
            xml.contains("<autoFilter ref=\"A1:"),
            "{name}: no autofilter"
        );
    }
}

#[test]
fn headings_come_from_the_csv_names() {
    assert_eq!(heading("principal_key"), "Principal key");
    assert_eq!(heading("last_activity_source"), "Last activity source");
    assert_eq!(heading(""), "");
}

#[test]
fn a_finding_reads_back_cell_by_cell() {
    let sample = ordinary();
    let book = Book::of(&sample);
    let records = book.records("Findings");
    assert_eq!(records.len(), sample.findings.findings.len());
    let f = &sample.findings.findings[0];
    let r = &records[0];
    let cell = |name: &str| text(field(r, name));
    assert_eq!(cell("Finding"), f.id);
    assert_eq!(cell("Severity"), f.severity.as_str());
    assert_eq!(cell("Status"), "open");
    assert_eq!(cell("Rule"), f.rule.as_str());
    assert_eq!(cell("Principal key"), f.principal.key);
    assert_eq!(cell("Principal kind"), f.principal.kind.as_str());
    assert_eq!(cell("Principal name"), f.principal.name);
    assert_eq!(cell("Org"), "Org o1");
    assert_eq!(cell("Title"), f.title);
    assert_eq!(cell("Evidence"), f.evidence.summary);
    assert_eq!(cell("Recommendation"), f.recommendation.action.as_str());
    assert_eq!(
        cell("Recommended to"),
        f.recommendation.to.clone().unwrap_or_default()
    );
    assert_eq!(cell("Recommendation detail"), f.recommendation.text);
    let ids: Vec<String> = records.iter().map(|r| text(field(r, "Finding"))).collect();
    let expected: Vec<&str> = sample
        .findings
        .findings
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(ids, expected, "findings.json order");
}

#[test]
fn one_review_row_per_reviewable_grant_and_none_for_implied_ones() {
    let mut sample = ordinary();
    for project in ["p1", "p2"] {
        let via = Via::OrgRole("ORG_OWNER".into());
        let owner = "user:owner@example.test";
        sample
            .estate
            .project_role(owner, project, "GROUP_OWNER", via);
    }
    let input = sample.input();
    let review = Review::new(&input);
    let book = Book::of(&sample);
    let records = book.records("Access Review");
    let grants = &sample.estate.snapshot.grants;
    let reviewable: Vec<&Grant> = grants.iter().filter(|g| Review::reviewable(g)).collect();
    assert!(
        reviewable.len() < grants.len(),
        "the sample has implied grants"
    );
    assert_eq!(records.len(), reviewable.len());
    for (r, g) in records.iter().zip(&reviewable) {
        assert_eq!(text(field(r, "Principal key")), g.principal);
        assert_eq!(text(field(r, "Role")), g.role);
        assert_ne!(text(field(r, "Via")), "org-role");
    }
    let owner = records
        .iter()
        .find(|r| {
            text(field(r, "Principal key")) == "user:owner@example.test"
                && text(field(r, "Role")) == "ORG_OWNER"
        })
        .unwrap();
    let owner_grant = reviewable
        .iter()
        .find(|g| g.principal == "user:owner@example.test" && g.role == "ORG_OWNER")
        .unwrap();
    let implied = review.implied_by(owner_grant);
    assert!(implied > 0);
    assert_eq!(
        field(owner, "Implies projects"),
        &Data::Float(f64::from(implied))
    );
    assert_eq!(field(owner, "Days inactive"), &Data::Float(200.0));
    assert_eq!(text(field(owner, "Privileged")), "yes");
    let through_team = records
        .iter()
        .find(|r| text(field(r, "Via")) == Via::Team("platform".into()).label())
        .unwrap();
    assert_eq!(text(field(through_team, "Level")), "project");
    // The team itself has no finding: the system suggests keeping its grant.
    let team = records
        .iter()
        .find(|r| text(field(r, "Principal key")) == "team:o1/platform")
        .unwrap();
    assert_eq!(text(field(team, "Recommendation")), "Keep");
    assert_eq!(text(field(team, "Highest open severity")), "");
    let backup = records
        .iter()
        .find(|r| text(field(r, "Principal key")) == "dbuser:p1/admin/backup")
        .unwrap();
    assert_eq!(text(field(backup, "Days inactive")), "no_information");
    assert_eq!(text(field(backup, "Highest open severity")), "high");
    assert_ne!(text(field(backup, "Recommendation")), "Keep");
}

#[test]
fn dates_read_back_as_dates() {
    let mut sample = ordinary();
    let f = &mut sample.findings.findings[0];
    f.status = Status::Exempted;
    f.exemption = Some(ExemptionNote {
        reason: "break-glass account".into(),
        owner: Some("security@example.test".into()),
        ticket: Some("SEC-42".into()),
        expires: jiff::civil::date(2027, 1, 31),
        expired: false,
        policy_line: Some(12),
    });
    let book = Book::of(&sample);
    let summary = book.rows("Summary");
    let as_of_row = summary
        .iter()
        .find(|r| text(&r[0]) == "As of (UTC)")
        .unwrap();
    assert_eq!(as_date(&as_of_row[1]), serial(as_of()));
    let review = book.records("Access Review");
    let owner = review
        .iter()
        .find(|r| text(field(r, "Principal key")) == "user:owner@example.test")
        .unwrap();
    let last = as_date(field(owner, "Last activity"));
    assert!((last - serial(days_ago(200))).abs() < 1e-6, "{last}");
    let expires = serial("2027-01-31T00:00:00Z".parse().unwrap());
    let exemptions = book.records("Exemptions");
    assert_eq!(exemptions.len(), 1);
    let e = &exemptions[0];
    assert_eq!(text(field(e, "Item")), "exemption");
    assert_eq!(text(field(e, "Finding")), sample.findings.findings[0].id);
    assert_eq!(text(field(e, "Reason or warning")), "break-glass account");
    assert_eq!(text(field(e, "Ticket")), "SEC-42");
    assert_eq!(text(field(e, "Expired")), "no");
    assert_eq!(as_date(field(e, "Expires")), expires);
    let finding = &book.records("Findings")[0];
    assert_eq!(text(field(finding, "Status")), "exempted");
    assert_eq!(as_date(field(finding, "Exemption expires")), expires);
}

#[test]
fn coverage_lists_gaps_and_tallies_and_says_complete_when_nothing_is_missing() {
    let mut sample = ordinary();
    sample.estate.snapshot.meta.endpoints.insert(
        "listProjectUsers".into(),
        crate::model::EndpointTally {
            requests: 7,
            pages: 6,
            items: 120,
            total_count: 120,
            failures: 1,
            ..Default::default()
        },
    );
    let book = Book::of(&sample);
    let rows = book.records("Coverage");
    assert!(text(field(&rows[0], "Reason")).starts_with("incomplete"));
    let gap = rows
        .iter()
        .find(|r| text(field(r, "Item")) == "coverage gap")
        .unwrap();
    assert_eq!(text(field(gap, "Scope")), "project:p2");
    assert_eq!(text(field(gap, "Endpoint or rule")), "listDatabaseUsers");
    let tally = rows
        .iter()
        .find(|r| text(field(r, "Item")) == "endpoint")
        .unwrap();
    assert_eq!(text(field(tally, "Endpoint or rule")), "listProjectUsers");
    assert_eq!(field(tally, "Requests"), &Data::Float(7.0));
    assert_eq!(field(tally, "Failures"), &Data::Float(1.0));
    let summary = book.rows("Summary");
    let coverage = summary.iter().find(|r| text(&r[0]) == "Coverage").unwrap();
    assert!(text(&coverage[1]).contains("see the Coverage sheet"));

    let mut complete = ordinary();
    complete.estate.snapshot.coverage.clear();
    complete.findings.not_evaluated.clear();
    let book = Book::of(&complete);
    let rows = book.records("Coverage");
    assert_eq!(rows.len(), 1);
    assert!(text(field(&rows[0], "Reason")).starts_with("complete"));
    let exemptions = book.records("Exemptions");
    assert_eq!(text(field(&exemptions[0], "Item")), "none");
}

#[test]
fn long_tables_split_into_numbered_sheets_whose_rows_add_up() {
    let sample = ordinary();
    let book = Book::read(render_sample(&sample, 5));
    let whole = Book::of(&sample);
    for name in ["Findings", "Access Review", "Principals"] {
        let total = whole.records(name).len();
        assert!(total > 4, "{name} has {total} rows");
        let parts: Vec<&str> = book
            .names()
            .into_iter()
            .filter(|n| *n == name || n.starts_with(&format!("{name} (")))
            .collect();
        let expected: Vec<String> = (0..total.div_ceil(4))
            .map(|i| match i {
                0 => name.to_string(),
                i => format!("{name} ({})", i + 1),
            })
            .collect();
        assert_eq!(parts, expected);
        let mut rows = Vec::new();
        for part in &parts {
            let records = book.records(part);
            assert!(records.len() <= 4);
            assert_eq!(book.rows(part)[0], whole.rows(name)[0], "{part} header");
            rows.extend(records);
            if name == "Access Review" {
                let xml = book.sheet_xml(part);
                assert!(xml.contains("<dataValidation type=\"list\""), "{part}");
                assert!(xml.contains("<sheetProtection"), "{part}");
            }
        }
        assert_eq!(rows, whole.records(name), "{name}");
    }
}

#[test]
fn the_same_input_gives_the_same_bytes_whatever_the_threads() {
    let sample = ordinary();
    let first = render_sample(&sample, 5);
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    assert_eq!(first, render_sample(&sample, 5));
    assert_eq!(first, pool(1).install(|| render_sample(&sample, 5)));
    assert_eq!(first, pool(4).install(|| render_sample(&sample, 5)));
    let input = sample.input();
    let review = Review::new(&input);
    assert_eq!(workbook(&review).unwrap(), workbook(&review).unwrap());
}

#[test]
fn hostile_strings_arrive_whole_and_inert() {
    let book = Book::of(&hostile());
    let cells: Vec<String> = book
        .sheets
        .iter()
        .flat_map(|(_, rows)| rows.iter().flatten().map(text))
        .collect();
    for bad in hostile_strings() {
        let expected = neutralise(&bad).into_owned();
        assert!(
            cells.contains(&expected),
            "{:?} is not in any cell",
            &bad[..bad.len().min(40)]
        );
    }
    for formula in ["'=HYPERLINK", "'@SUM", "'+1-2", "'-cmd"] {
        assert!(cells.iter().any(|c| c.starts_with(formula)), "{formula}");
    }
    assert!(cells.iter().all(|c| !c.starts_with(['=', '+', '-', '@'])));
    let mut xlsx: Xlsx<_> = open_workbook_from_rs(Cursor::new(book.bytes.clone())).unwrap();
    for name in SHEETS {
        let formulas = xlsx.worksheet_formula(name).unwrap();
        assert!(
            formulas.used_cells().next().is_none(),
            "{name} has a formula"
        );
        assert!(!book.sheet_xml(name).contains("<f>"), "{name}");
    }
}

#[test]
fn an_oversized_cell_is_cut_with_a_note() {
    let mut sample = ordinary();
    let huge = "🔥".repeat(20_000);
    sample.estate.principal_mut("user:owner@example.test").name = huge.clone();
    let book = Book::of(&sample);
    let cells: Vec<String> = book
        .rows("Principals")
        .iter()
        .flatten()
        .map(text)
        .filter(|c| c.starts_with("🔥"))
        .collect();
    assert_eq!(cells.len(), 1);
    let cell = &cells[0];
    assert!(cell.encode_utf16().count() <= EXCEL_CELL);
    assert!(
        cell.ends_with(
            "… [truncated: 20000 characters in total; see findings.json and the CSV files]"
        ),
        "{}",
        &cell[cell.len() - 120..]
    );
}

#[test]
fn fit_keeps_short_text_and_cuts_long_text_on_a_character_boundary() {
    assert!(matches!(fit("short"), Cow::Borrowed("short")));
    let exact = "x".repeat(EXCEL_CELL);
    assert_eq!(fit(&exact), exact.as_str());
    for unit in ["x", "é", "🔥", "👩‍💻"] {
        let long = unit.repeat(EXCEL_CELL + 1);
        let cut = fit(&long);
        assert!(cut.encode_utf16().count() <= EXCEL_CELL, "{unit}");
        assert!(cut.contains("[truncated: "), "{unit}");
        let body = cut.split("… [truncated").next().unwrap();
        assert!(long.starts_with(body), "{unit}");
    }
}

#[test]
fn an_empty_estate_still_gives_every_sheet_with_its_header() {
    let estate = crate::rules::testkit::Estate::new();
    let findings = crate::rules::evaluate(&estate.snapshot, &estate.policy).unwrap();
    let sample = Sample { estate, findings };
    let book = Book::of(&sample);
    assert_eq!(book.names(), all_sheets());
    assert!(book.records("Access Review").is_empty());
    assert!(book.records("Principals").is_empty());
    assert!(book.records("People").is_empty());
    assert_eq!(book.rows("Access Review")[0].len(), REVIEW_HEADERS.len());
    assert!(book.sheet_xml("Access Review").contains("<sheetProtection"));
}

#[test]
fn the_summary_says_what_was_reviewed_and_how_to_review_it() {
    let sample = ordinary();
    let book = Book::of(&sample);
    let rows: Vec<Vec<String>> = book
        .rows("Summary")
        .iter()
        .map(|r| r.iter().map(text).collect())
        .collect();
    let value = |label: &str| {
        let row = rows.iter().find(|r| r[0] == label).unwrap();
        row[1..].to_vec()
    };
    let version = format!("atlas-audit {}", env!("CARGO_PKG_VERSION"));
    assert_eq!(value("Tool version")[0], version);
    assert_eq!(value("Policy")[0], "defaults (no policy file)");
    assert_eq!(value("Policy digest")[0], "defaults");
    assert_eq!(value("high")[..2], ["3", "0"]);
    assert_eq!(value("atlas_user")[0], "2");
    let rule = value("ORG_MFA_NOT_REQUIRED");
    assert_eq!(rule[0], "high");
    assert_eq!(rule[3], RuleId::OrgMfaNotRequired.checks());
    assert!(rows.iter().any(|r| r[1].contains("A Comment is expected")));
}
