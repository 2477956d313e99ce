//! The workbook's controls: the reviewer columns' validation, the protection of everything
//! else, and the cell formats each style finds.

use super::*;

/// The `s` attributes of a column's `<col>` element and of the cells written in it.
fn unlocked_styles(book: &Book) -> Vec<usize> {
    let styles = book.part("xl/styles.xml");
    let xfs = styles.split("<cellXfs").nth(1).unwrap();
    let xfs = xfs.split("</cellXfs>").next().unwrap();
    xfs.split("<xf ")
        .skip(1)
        .enumerate()
        .filter(|(_, xf)| xf.contains(r#"locked="0""#))
        .map(|(i, _)| i)
        .collect()
}

fn column_style(xml: &str, col: usize) -> Option<usize> {
    let tag = format!(r#"<col min="{col}" max="{col}""#);
    let rest = &xml[xml.find(&tag)?..];
    let rest = &rest[..rest.find("/>")?];
    let style = rest.split(r#"style=""#).nth(1)?;
    style.split('"').next()?.parse().ok()
}

#[test]
fn reviewer_columns_are_validated_unlocked_and_the_rest_protected() {
    let book = Book::of(&ordinary());
    let xml = book.sheet_xml("Access Review");
    assert!(xml.contains(r#"<dataValidation type="list""#), "{xml}");
    assert!(xml.contains(r#"<formula1>"Keep,Revoke,Modify"</formula1>"#));
    assert!(xml.contains(r#"promptTitle="Decision""#), "input message");
    assert!(
        xml.contains(r#"errorTitle="Not a decision""#),
        "error alert"
    );
    assert!(xml.contains(r#"<dataValidation type="date""#));
    // Modify to lists the roles of the row's own level, through the Lists sheet's names.
    assert!(
        xml.contains(r#"<formula1>INDIRECT("roles_"&amp;$G2)</formula1>"#),
        "{xml}"
    );
    let workbook_xml = book.part("xl/workbook.xml");
    for (level, roles) in super::super::access_review::LEVEL_ROLES {
        let letter = ["A", "B", "C"][["org", "project", "database"]
            .iter()
            .position(|l| *l == level)
            .unwrap()];
        let name = format!(
            r#"<definedName name="roles_{level}">Lists!${letter}$2:${letter}${}</definedName>"#,
            roles.len() + 1
        );
        assert!(workbook_xml.contains(&name), "{name} in {workbook_xml}");
    }
    assert!(
        workbook_xml.contains(r#"name="Lists" sheetId="8" state="hidden""#),
        "{workbook_xml}"
    );
    let lists = book.rows("Lists");
    assert_eq!(
        lists[0].iter().map(text).collect::<Vec<_>>(),
        ["org", "project", "database"]
    );
    assert_eq!(text(&lists[1][0]), "ORG_OWNER");
    // The keys and the row check are hidden, just before the reviewer columns.
    let first_reviewer = REVIEW_HEADERS.len() - REVIEWER_WIDTHS.len();
    for col in first_reviewer - 2..=first_reviewer {
        let tag = format!(r#"<col min="{col}" max="{col}""#);
        let at = xml.find(&tag).unwrap_or_else(|| panic!("{tag}"));
        let col_xml = &xml[at..at + xml[at..].find("/>").unwrap()];
        assert!(col_xml.contains(r#"hidden="1""#), "{col_xml}");
    }
    let protection = xml.split("<sheetProtection").nth(1).unwrap();
    let protection = &protection[..protection.find("/>").unwrap()];
    assert!(!protection.contains("password"));
    // In sheetProtection, "0" means the action is not blocked.
    assert!(protection.contains(r#"sort="0""#), "{protection}");
    assert!(protection.contains(r#"autoFilter="0""#), "{protection}");
    assert!(xml.contains(r#"<cfRule type="expression""#), "no highlight");
    let unlocked = unlocked_styles(&book);
    let first = REVIEW_HEADERS.len() - REVIEWER_WIDTHS.len();
    for col in 1..=REVIEW_HEADERS.len() {
        let style = column_style(&xml, col);
        let open = style.is_some_and(|s| unlocked.contains(&s));
        assert_eq!(open, col > first, "column {col} ({style:?})");
    }
    let data = xml.split("<sheetData>").nth(1).unwrap();
    for s in data.split(r#" s=""#).skip(1) {
        let s: usize = s.split('"').next().unwrap().parse().unwrap();
        assert!(!unlocked.contains(&s), "an evidence cell is unlocked");
    }
    for other in ["Findings", "Principals"] {
        assert!(!book.sheet_xml(other).contains("<sheetProtection"));
    }
}

#[test]
fn each_style_finds_its_own_format() {
    // `Styles::get` indexes by discriminant: `STYLED` must list the styles in declaration
    // order, right after `Plain`.
    for (i, style) in STYLED.iter().enumerate() {
        assert_eq!(
            *style as usize,
            i + 1,
            "{style:?} is out of place in STYLED"
        );
    }
    let styles = Styles::new();
    assert!(styles.get(Style::Plain).is_none());
    assert_eq!(styles.get(Style::Comment), styles.formats.last());
    assert_eq!(styles.get(Style::Title), styles.formats.first());
}
