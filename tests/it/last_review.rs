//! The next quarter's workbook starts from the last, through the binary: collect → report →
//! the workbook filled in → `decisions --store` → the world changes (a grant added, an
//! invitation gone stale) → collect → `report --store`. The next workbook shows the kept
//! grant's decision, reviewer, day and comment with `unchanged`, the added grant as `new`, the
//! stale invitee's grant as `changed`, and `decisions` reads it back.

use std::path::Path;

use crate::common::*;
use atlas_audit::mock::{MockServer, World};
use atlas_audit::remediate::fill::{Answer, fill};
use atlas_audit::report::workbook_layout::{HEADERS, LAST_REVIEW_HEADERS, ROW_CHECK};
use calamine::{Data, Reader, Xlsx, open_workbook};

const ORG: &str = "6650a1000000000000000001";
const P1: &str = "6650b1000000000000000001";
const NEWCOMER: &str = "ahmed.nasser@northwind.example";
/// Invited 5 days before the world's as-of: no stale invitation until the world changes.
const INVITEE: &str = "maya.singh@northwind.example";

async fn live(server: &MockServer, dir: &Path, args: &[&str]) -> std::process::Output {
    let out = run_against(server, dir, args).await;
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// The Access Review sheet: its header and rows of cells.
fn sheet(book: &Path) -> (Vec<String>, Vec<Vec<Data>>) {
    let mut x: Xlsx<_> = open_workbook(book).unwrap();
    let range = x.worksheet_range("Access Review").unwrap();
    let mut rows = range.rows();
    let header = rows.next().unwrap().iter().map(|c| c.to_string()).collect();
    (header, rows.map(<[Data]>::to_vec).collect())
}

fn cell<'r>(header: &[String], row: &'r [Data], name: &str) -> &'r Data {
    let at = header.iter().position(|h| h == name).unwrap_or_else(|| {
        panic!("no {name} column in {header:?}");
    });
    row.get(at).unwrap_or(&Data::Empty)
}

fn text_of(header: &[String], row: &[Data], name: &str) -> String {
    match cell(header, row, name) {
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// The demo world with `NEWCOMER` given GROUP_READ_ONLY on P1 directly, and `INVITEE`'s
/// pending invitation made two years before the world's as-of (a stale invitation).
fn world_with_a_new_grant(dir: &Path) -> World {
    copy_dir(&fixtures().join("demo"), dir);
    let file = dir.join(format!("orgs/{ORG}/users.json"));
    let mut users: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let user = users
        .iter_mut()
        .find(|u| u["username"] == NEWCOMER)
        .expect("the demo has the newcomer");
    user["roles"]["groupRoleAssignments"] =
        serde_json::json!([{ "groupId": P1, "groupRoles": ["GROUP_READ_ONLY"] }]);
    let invitee = users
        .iter_mut()
        .find(|u| u["username"] == INVITEE)
        .expect("the demo has the invitee");
    // Two years back: stale whatever clock the collection dates its as-of by.
    invitee["invitationCreatedAt"] = "2024-11-20T09:00:00Z".into();
    std::fs::write(&file, serde_json::to_vec(&users).unwrap()).unwrap();
    World::load(dir, now()).unwrap()
}

fn keep(grant_id: &str, comment: &str) -> Answer {
    Answer {
        grant_id: grant_id.into(),
        decision: "Keep".into(),
        modify_to: String::new(),
        reviewer: "dana@northwind.example".into(),
        date: Some(jiff::civil::date(2027, 1, 10)),
        comment: comment.into(),
    }
}

fn decisions(dir: &Path, args: &[&str]) -> std::process::Output {
    if let Some(i) = args.iter().position(|a| *a == "--out") {
        std::fs::create_dir_all(dir.join(args[i + 1])).unwrap();
    }
    let out = atlas_audit_command()
        .arg("decisions")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "decisions {args:?}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_next_workbook_shows_the_last_decision_and_what_is_new_since() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let server = start(demo_world(), mock_config()).await;
    live(
        &server,
        d,
        &["collect", "--out", "q1.json", "--store", "a.db"],
    )
    .await;
    live(
        &server,
        d,
        &[
            "report",
            "--snapshot",
            "q1.json",
            "--out",
            "q1",
            "--store",
            "a.db",
        ],
    )
    .await;
    server.shutdown().await;

    // With a store but no review yet: the columns stand before the hidden ones, all empty.
    let book = d.join("q1/access-review.xlsx");
    let (header, rows) = sheet(&book);
    let at = |h: &str| header.iter().position(|x| x == h).unwrap();
    assert_eq!(
        at(LAST_REVIEW_HEADERS[0]),
        at("Recommendation") + 1,
        "{header:?}"
    );
    assert_eq!(at(LAST_REVIEW_HEADERS[4]) + 1, at("Scope key"));
    assert_eq!(header.len(), HEADERS.len() + LAST_REVIEW_HEADERS.len());
    assert!(rows.iter().all(|r| {
        LAST_REVIEW_HEADERS
            .iter()
            .all(|h| text_of(&header, r, h).is_empty())
    }));

    // The reviewer keeps one grant of someone other than the newcomer.
    let kept = rows
        .iter()
        .find(|r| !text_of(&header, r, "Principal key").contains(NEWCOMER))
        .unwrap();
    let kept_id = text_of(&header, kept, "Grant id");
    // And revokes another, which nobody carries out before the next quarter.
    let revoked = rows
        .iter()
        .find(|r| {
            let key = text_of(&header, r, "Principal key");
            !key.contains(NEWCOMER)
                && !key.contains(INVITEE)
                && text_of(&header, r, "Grant id") != kept_id
        })
        .unwrap();
    let revoked_id = text_of(&header, revoked, "Grant id");
    let revoke = Answer {
        decision: "Revoke".into(),
        ..keep(&revoked_id, "left the team")
    };
    let filled = fill(
        &std::fs::read(&book).unwrap(),
        &[keep(&kept_id, "needed for on-call"), revoke],
    )
    .unwrap();
    std::fs::write(d.join("q1-filled.xlsx"), filled).unwrap();
    decisions(
        d,
        &["q1-filled.xlsx", "--store", "a.db", "--out", "q1-decisions"],
    );

    // A quarter later, the newcomer holds a project role.
    let world_dir = tempfile::tempdir().unwrap();
    let server = start(world_with_a_new_grant(world_dir.path()), mock_config()).await;
    live(
        &server,
        d,
        &["collect", "--out", "q2.json", "--store", "a.db"],
    )
    .await;
    live(
        &server,
        d,
        &[
            "report",
            "--snapshot",
            "q2.json",
            "--out",
            "q2",
            "--store",
            "a.db",
        ],
    )
    .await;
    server.shutdown().await;

    let book = d.join("q2/access-review.xlsx");
    let (header, rows) = sheet(&book);
    let row = |id: &str| {
        rows.iter()
            .find(|r| text_of(&header, r, "Grant id") == id)
            .unwrap_or_else(|| panic!("no row {id}"))
    };
    let kept = row(&kept_id);
    assert_eq!(text_of(&header, kept, "Last decision"), "Keep");
    assert_eq!(
        text_of(&header, kept, "Last reviewer"),
        "dana@northwind.example"
    );
    assert_eq!(text_of(&header, kept, "Last comment"), "needed for on-call");
    match cell(&header, kept, "Last decided") {
        Data::DateTime(t) => {
            let day = jiff::civil::date(1899, 12, 30)
                .checked_add(jiff::Span::new().days(t.as_f64() as i64))
                .unwrap();
            assert_eq!(day, jiff::civil::date(2027, 1, 10));
        }
        other => panic!("Last decided is not a date: {other:?}"),
    }
    assert_eq!(text_of(&header, kept, "Since last review"), "unchanged");

    let newcomer = rows
        .iter()
        .find(|r| {
            text_of(&header, r, "Principal key") == format!("user:{NEWCOMER}")
                && text_of(&header, r, "Role") == "GROUP_READ_ONLY"
        })
        .expect("the new grant has a row");
    assert_eq!(text_of(&header, newcomer, "Since last review"), "new");
    assert_eq!(text_of(&header, newcomer, "Last decision"), "");
    // The invitee's grants were in front of the last review; the stale invitation is a
    // finding opened on her org membership since.
    let invitee: Vec<&Vec<Data>> = rows
        .iter()
        .filter(|r| text_of(&header, r, "Principal key") == format!("user:{INVITEE}"))
        .collect();
    let flagged = invitee
        .iter()
        .find(|r| !text_of(&header, r, "Finding ids").is_empty())
        .unwrap_or_else(|| panic!("no finding on the invitee's grants: {invitee:?}"));
    assert_eq!(text_of(&header, flagged, "Since last review"), "changed");
    // The revoked grant is still held: its decision was not carried out.
    let still = row(&revoked_id);
    assert_eq!(text_of(&header, still, "Last decision"), "Revoke");
    assert_eq!(text_of(&header, still, "Since last review"), "not removed");
    // Every row of a reviewed world is judged, and only the new grant is new.
    let since: Vec<String> = rows
        .iter()
        .map(|r| text_of(&header, r, "Since last review"))
        .collect();
    assert!(
        since
            .iter()
            .all(|s| ["new", "changed", "not removed", "unchanged"].contains(&s.as_str()))
    );
    assert_eq!(since.iter().filter(|s| *s == "new").count(), 1, "{since:?}");
    // The last review's cells are evidence: before the row check.
    assert!(at_of(&header, "Since last review") < at_of(&header, ROW_CHECK));

    // The new layout reads back: a decision on the new grant, recorded as the next review.
    let new_id = text_of(&header, newcomer, "Grant id");
    let filled = fill(
        &std::fs::read(&book).unwrap(),
        &[keep(&new_id, "joined the storefront team")],
    )
    .unwrap();
    std::fs::write(d.join("q2-filled.xlsx"), filled).unwrap();
    decisions(
        d,
        &["q2-filled.xlsx", "--store", "a.db", "--out", "q2-decisions"],
    );
    let csv = std::fs::read_to_string(d.join("q2-decisions/decisions.csv")).unwrap();
    assert!(csv.contains(&new_id), "{csv}");
    let latest = atlas_audit::store::Store::open(&d.join("a.db"))
        .unwrap()
        .latest_decisions()
        .unwrap();
    assert_eq!(
        latest
            .iter()
            .map(|d| d.grant_id.as_str())
            .collect::<Vec<_>>(),
        [new_id.as_str()]
    );
}

fn at_of(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap()
}
