use std::io::Read as _;

use super::*;
use crate::remediate::decisions::{ReadWorkbook, check, read_workbook};
use crate::report::sample::ordinary;
use crate::report::{Review, workbook_bytes};
use crate::rules::ReviewRules;

/// The sample report's workbook.
fn sample_book() -> Vec<u8> {
    let sample = ordinary();
    let input = sample.input();
    let mut review = Review::new(&input);
    review.set_snapshot_sha256(Some("ab".repeat(32)));
    workbook_bytes(&review).unwrap()
}

fn read_back(bytes: &[u8]) -> ReadWorkbook {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("filled.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let mut problems = Vec::new();
    let book = read_workbook(&path, &mut problems);
    assert!(problems.is_empty(), "{problems:?}");
    book.unwrap()
}

/// Every part of a package, decompressed, by name.
fn parts(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().unwrap().into_owned(), data)
        })
        .collect()
}

fn answer(grant_id: &str, decision: &str, modify_to: &str, comment: &str) -> Answer {
    Answer {
        grant_id: grant_id.into(),
        decision: decision.into(),
        modify_to: modify_to.into(),
        reviewer: "dana@example.com".into(),
        date: Some(jiff::civil::date(2027, 1, 10)),
        comment: comment.into(),
    }
}

#[test]
fn filled_cells_read_back_as_decisions_and_the_row_checks_still_hold() {
    let book = sample_book();
    let before = read_back(&book);
    let [a, b, c] = [0, 2, 3].map(|i| before.rows[i].grant_id.clone());
    let answers = vec![
        answer(&a, "Revoke", "", "left the team <& moved>"),
        answer(&b, "Modify", "", " read is enough "),
        answer(&c, "Keep", "", ""),
    ];
    let filled = fill(&book, &answers).unwrap();
    let after = read_back(&filled);
    assert_eq!(after.report, before.report);
    assert_eq!(after.rows.len(), before.rows.len());
    for (was, is) in before.rows.iter().zip(&after.rows) {
        assert_eq!(is.check_held, is.check_now, "row {}", is.row);
        assert_eq!((&is.grant_id, is.row), (&was.grant_id, was.row));
        match answers.iter().find(|a| a.grant_id == is.grant_id) {
            Some(a) => {
                assert_eq!(is.decision, a.decision);
                assert_eq!(is.reviewer, a.reviewer);
                // A real date cell (the column's date style), not a number or text.
                assert_eq!(is.date, Ok(a.date));
                assert_eq!(is.comment, a.comment.trim());
            }
            None => assert!(is.decision.is_empty() && is.date == Ok(None), "{is:?}"),
        }
    }
    let outcome = check(&[after], None, &ReviewRules::default()).unwrap();
    assert_eq!(outcome.decisions.len(), 3);
    assert_eq!(outcome.undecided, outcome.grants - 3);
}

#[test]
fn only_the_answered_rows_change_and_every_other_part_is_copied_unchanged() {
    let book = sample_book();
    let rows = read_back(&book).rows;
    let grant = rows[1].grant_id.clone();
    let filled = fill(&book, &[answer(&grant, "Revoke", "", "gone")]).unwrap();
    let (was, is) = (parts(&book), parts(&filled));
    assert_eq!(
        was.keys().collect::<Vec<_>>(),
        is.keys().collect::<Vec<_>>()
    );
    let mut archive = ZipArchive::new(Cursor::new(book.as_slice())).unwrap();
    let sheet = sheet_part(&mut archive).unwrap();
    for (name, bytes) in &was {
        if *name != sheet {
            assert!(is[name] == *bytes, "{name} changed");
        }
    }
    let old = String::from_utf8(was[&sheet].clone()).unwrap();
    let new = String::from_utf8(is[&sheet].clone()).unwrap();
    let (old_rows, new_rows) = (super::rows(&old).unwrap(), super::rows(&new).unwrap());
    assert_eq!(old_rows.len(), new_rows.len());
    // Everything before the answered row's cells and after them is the same bytes.
    let answered = rows[1].row as usize - 1;
    let cut = old_rows[answered].start + old_rows[answered].open.len();
    assert_eq!(new[..cut], old[..cut]);
    let tail = old.len() - old_rows[answered].end;
    assert_eq!(new[new.len() - tail..], old[old.len() - tail..]);
    let row = &new_rows[answered];
    let cols: Vec<u32> = cells(row.inner).unwrap().iter().map(|c| c.col).collect();
    assert!(
        cols.windows(2).all(|w| w[0] < w[1]),
        "column order: {cols:?}"
    );
    // Decision, Reviewer, Date and Comment were added; Modify to stays empty.
    let old_cols = cells(old_rows[answered].inner).unwrap().len();
    assert_eq!(cols.len(), old_cols + 4);
    let styles = column_styles(&new);
    for c in cells(row.inner)
        .unwrap()
        .iter()
        .filter(|c| c.col > cols[old_cols - 1])
    {
        let style = attr(&c.xml[..c.xml.find('>').unwrap()], "s");
        assert_eq!(style, styles.get(&c.col).map(String::as_str), "{}", c.xml);
    }
}

#[test]
fn no_answers_leave_the_sheet_as_it_was() {
    let book = sample_book();
    assert_eq!(parts(&fill(&book, &[]).unwrap()), parts(&book));
}

#[test]
fn unknown_twice_answered_and_unreadable_are_refused() {
    let book = sample_book();
    let grant = read_back(&book).rows[0].grant_id.clone();
    let err = fill(&book, &[answer("G-0000000000", "Keep", "", "")]).unwrap_err();
    assert!(
        matches!(&err, FillError::UnknownGrant(g) if g == "G-0000000000"),
        "{err}"
    );
    let twice = [
        answer(&grant, "Keep", "", ""),
        answer(&grant, "Revoke", "", "x"),
    ];
    assert!(matches!(fill(&book, &twice), Err(FillError::Twice(_))));
    let bell = answer(&grant, "Keep", "", "ring\u{7}");
    assert!(matches!(
        fill(&book, &[bell]),
        Err(FillError::Text {
            column: "Comment",
            ..
        })
    ));
    assert!(matches!(
        fill(b"not a zip", &[]),
        Err(FillError::Package(_))
    ));
}

#[test]
fn column_letters_and_numbers_round_trip() {
    for (col, name) in [
        (0, "A"),
        (25, "Z"),
        (26, "AA"),
        (27, "AB"),
        (701, "ZZ"),
        (702, "AAA"),
    ] {
        assert_eq!(letters(col), name);
        assert_eq!(column_of(&format!("{name}12")), Some(col));
    }
    assert_eq!(column_of("12"), None);
    assert_eq!(
        unescape("a &amp; b &lt;&#x41;&#66;&gt; &bogus; &"),
        "a & b <AB> &bogus; &"
    );
}
