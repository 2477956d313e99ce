use super::*;
use crate::model::grant_id;
use crate::report::sample::ordinary;
use crate::report::{Review, workbook_bytes};
use crate::rules::ReviewRules;

/// The sample's workbook, written to a file and read back.
fn read_sample() -> (ReadWorkbook, String) {
    let sample = ordinary();
    let input = sample.input();
    let mut review = Review::new(&input);
    review.set_snapshot_sha256(Some("ab".repeat(32)));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    std::fs::write(&path, workbook_bytes(&review).unwrap()).unwrap();
    let mut problems = Vec::new();
    let book = read_workbook(&path, &mut problems).expect("readable");
    assert!(problems.is_empty(), "{problems:?}");
    (book, review.report_digest.clone())
}

fn decided(mut row: ReadRow, decision: &str, reviewer: &str, comment: &str) -> ReadRow {
    row.decision = decision.into();
    row.reviewer = reviewer.into();
    row.date = Ok(Some(jiff::civil::date(2027, 1, 10)));
    row.comment = comment.into();
    row
}

fn with_rows(book: &ReadWorkbook, name: &str, rows: Vec<ReadRow>) -> ReadWorkbook {
    ReadWorkbook {
        name: name.into(),
        rows,
        ..book.clone()
    }
}

fn problems_of(books: &[ReadWorkbook], rules: &ReviewRules) -> Vec<String> {
    match check(books, None, rules) {
        Ok(_) => Vec::new(),
        Err(p) => p.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_written_workbook_reads_back_with_its_report_and_every_row_check_matching() {
    let (book, digest) = read_sample();
    assert_eq!(book.report.report_digest, digest);
    assert_eq!(book.report.snapshot_sha256, "ab".repeat(32));
    assert!(book.rows.len() > 4);
    for row in &book.rows {
        assert_eq!(row.check_held, row.check_now, "row {}", row.row);
        assert_eq!(
            grant_id(&row.principal, &row.scope, &row.role, &row.via),
            row.grant_id
        );
        assert!(row.decision.is_empty() && row.date == Ok(None));
    }
    let outcome = check(std::slice::from_ref(&book), None, &ReviewRules::default()).unwrap();
    assert!(outcome.decisions.is_empty());
    assert_eq!(outcome.undecided, outcome.grants);
}

#[test]
fn decided_rows_need_a_reviewer_a_date_and_a_comment_as_the_policy_asks() {
    let (book, _) = read_sample();
    let r = |i: usize| book.rows[i].clone();
    let mut no_date = decided(r(2), "Keep", "dana", "");
    no_date.date = Ok(None);
    let mut bad_date = decided(r(3), "Keep", "dana", "");
    bad_date.date = Err("next week".into());
    let rows = vec![
        decided(r(0), "Revoke", "dana", ""),
        decided(r(1), "Keep", "", ""),
        no_date,
        bad_date,
        decided(r(4), "Delete", "dana", "x"),
    ];
    let found = problems_of(
        &[with_rows(&book, "a.xlsx", rows.clone())],
        &ReviewRules::default(),
    );
    assert_eq!(found.len(), 5, "{found:#?}");
    let cells = &book.rows[0].reviewer_cells;
    assert!(found[0].contains(&format!("row {}, cell {}", book.rows[0].row, cells[4])));
    assert!(found[0].contains("without a Comment"));
    assert!(found[1].contains("without a Reviewer"));
    assert!(found[2].contains("without a Date"));
    assert!(found[3].contains("\"next week\" is not a date"));
    assert!(found[4].contains("\"Delete\" is not Keep, Revoke or Modify"));
    // A policy that asks no comment lets the Revoke through.
    let relaxed = ReviewRules {
        require_comment: Vec::new(),
    };
    let found = problems_of(&[with_rows(&book, "a.xlsx", rows[..1].to_vec())], &relaxed);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn modify_to_must_be_a_role_of_the_rows_level_on_a_modify() {
    let (book, _) = read_sample();
    let project = book
        .rows
        .iter()
        .find(|r| r.level == "project")
        .unwrap()
        .clone();
    let mut wrong_level = decided(project.clone(), "Modify", "dana", "less");
    wrong_level.modify_to = "ORG_READ_ONLY".into();
    let mut on_keep = decided(project.clone(), "Keep", "dana", "");
    on_keep.modify_to = "GROUP_READ_ONLY".into();
    for (row, expect) in [
        (wrong_level, "is not a project role"),
        (on_keep, "on a Keep decision"),
    ] {
        let found = problems_of(
            &[with_rows(&book, "a.xlsx", vec![row])],
            &ReviewRules::default(),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].contains(expect), "{found:?}");
    }
    let mut good = decided(project, "Modify", "dana", "less");
    good.modify_to = if good.role == "GROUP_READ_ONLY" {
        "GROUP_OBSERVABILITY_VIEWER".into()
    } else {
        "GROUP_READ_ONLY".into()
    };
    let outcome = check(
        &[with_rows(&book, "a.xlsx", vec![good.clone()])],
        None,
        &ReviewRules::default(),
    )
    .unwrap();
    assert_eq!(outcome.decisions[0].modify_to, good.modify_to);
    assert_eq!(outcome.decisions[0].decision, DecisionKind::Modify);
}

#[test]
fn an_edited_evidence_cell_or_grant_key_is_refused_with_the_rows_cells() {
    let (book, _) = read_sample();
    let mut edited = decided(book.rows[0].clone(), "Keep", "dana", "");
    edited.check_now = "C-0000000000000000".into();
    let mut rekeyed = decided(book.rows[1].clone(), "Keep", "dana", "");
    rekeyed.role = "ORG_OWNER".into();
    rekeyed.check_now = "C-1111111111111111".into();
    let found = problems_of(
        &[with_rows(&book, "a.xlsx", vec![edited, rekeyed])],
        &ReviewRules::default(),
    );
    assert_eq!(found.len(), 2, "{found:?}");
    let (from, to) = &book.rows[0].evidence_cells;
    assert!(
        found[0].contains(&format!("cell {from}:{to}: an evidence cell was edited")),
        "{}",
        found[0]
    );
    assert!(found[1].contains("no longer agree"), "{}", found[1]);
}

#[test]
fn two_decisions_on_one_grant_conflict_naming_both_reviewers_and_one_agreed_twice_does_not() {
    let (book, _) = read_sample();
    let row = book.rows[0].clone();
    let a = with_rows(
        &book,
        "a.xlsx",
        vec![decided(row.clone(), "Keep", "dana", "")],
    );
    let b = with_rows(
        &book,
        "b.xlsx",
        vec![decided(row.clone(), "Revoke", "lee", "gone")],
    );
    let found = problems_of(&[a.clone(), b], &ReviewRules::default());
    assert_eq!(found.len(), 1, "{found:?}");
    for part in ["b.xlsx", "a.xlsx", "dana", "lee", "Keep", "Revoke"] {
        assert!(found[0].contains(part), "{part} in {}", found[0]);
    }
    let same = with_rows(&book, "c.xlsx", vec![decided(row, "keep", "kim", "")]);
    let outcome = check(&[a, same], None, &ReviewRules::default()).unwrap();
    assert_eq!(outcome.decisions.len(), 1);
    assert_eq!(outcome.decisions[0].workbook, "a.xlsx");
    assert_eq!(outcome.undecided, outcome.grants - 1);
}

#[test]
fn a_workbook_of_another_report_is_refused_naming_what_differs() {
    let (book, _) = read_sample();
    let mut foreign = with_rows(&book, "other.xlsx", Vec::new());
    foreign.report.snapshot_sha256 = "cd".repeat(32);
    let found = problems_of(
        &[with_rows(&book, "a.xlsx", Vec::new()), foreign],
        &ReviewRules::default(),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("other.xlsx: sheet Summary: belongs to another report"));
    assert!(found[0].contains(&format!("snapshot SHA-256 {}", "cd".repeat(32))));
    assert!(!found[0].contains("report digest"), "only what differs");
}

#[test]
fn decisions_csv_has_the_contract_header_and_crlf_rows() {
    let d = Decision {
        grant_id: "G-0123456789".into(),
        principal: "user:a@example.com".into(),
        scope: "project:p1".into(),
        role: "GROUP_OWNER".into(),
        via: "direct".into(),
        decision: DecisionKind::Modify,
        modify_to: "GROUP_READ_ONLY".into(),
        reviewer: "dana".into(),
        date: "2027-01-10".into(),
        comment: "read, \"only\"".into(),
        workbook: "a.xlsx".into(),
        sheet: "Access Review".into(),
        row: 7,
    };
    let text = String::from_utf8(decisions_csv(&[d]).unwrap()).unwrap();
    assert_eq!(
        text,
        "grant_id,principal,scope,role,via,decision,modify_to,reviewer,date,comment,workbook,sheet,row\r\n\
         G-0123456789,user:a@example.com,project:p1,GROUP_OWNER,direct,Modify,GROUP_READ_ONLY,dana,2027-01-10,\"read, \"\"only\"\"\",a.xlsx,Access Review,7\r\n"
    );
}

#[test]
fn a_workbook_with_the_last_review_columns_reads_back_with_every_row_check_matching() {
    use crate::report::last_review::{LastDecision, LastReview};
    let sample = ordinary();
    let input = sample.input();
    let mut review = Review::new(&input);
    review.set_snapshot_sha256(Some("ab".repeat(32)));
    let ids: Vec<String> = sample
        .estate
        .snapshot
        .grants
        .iter()
        .map(crate::model::Grant::id)
        .collect();
    let last = |date: &str, comment: &str| LastDecision {
        decision: "Keep".into(),
        reviewer: "dana".into(),
        date: date.into(),
        comment: comment.into(),
    };
    review.last_review = Some(LastReview {
        attested: true,
        decisions: [
            (ids[0].clone(), last("2027-01-10", "=1+1 on call\r\nstill")),
            (ids[1].clone(), last("next week", "")),
        ]
        .into(),
        reviewed_grants: Some(ids[..2].iter().cloned().collect()),
        reviewed_open_findings: None,
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.xlsx");
    std::fs::write(&path, workbook_bytes(&review).unwrap()).unwrap();
    let mut problems = Vec::new();
    let book = read_workbook(&path, &mut problems).expect("readable");
    assert!(problems.is_empty(), "{problems:?}");
    let (old, _) = read_sample();
    assert_eq!(book.rows.len(), old.rows.len());
    for (row, before) in book.rows.iter().zip(&old.rows) {
        assert_eq!(row.check_held, row.check_now, "row {}", row.row);
        assert_eq!(row.grant_id, before.grant_id);
        // The check covers the last review's cells too.
        assert_ne!(row.check_held, before.check_held, "row {}", row.row);
    }
    // The evidence now ends at Since last review, five columns further on.
    assert_ne!(book.rows[0].evidence_cells.1, old.rows[0].evidence_cells.1);
}
