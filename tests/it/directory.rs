//! The directory of people over the demo (`directory.csv`, `directory.json`, the People sheet),
//! the rule tables that count each severity truly in every output, and the collecting
//! credential in the manifest and on the report's first screen.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use crate::common::*;
use atlas_audit::model::{PrincipalKind, Snapshot};
use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join("out").join(name)).unwrap()
}

fn atlas_users(s: &Snapshot) -> Vec<String> {
    s.principals
        .iter()
        .filter(|p| p.kind == PrincipalKind::AtlasUser)
        .map(|p| p.key.clone())
        .collect()
}

fn cell(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
        other => other.to_string(),
    }
}

fn sheet(dir: &Path, name: &str) -> Vec<Vec<String>> {
    let bytes = std::fs::read(dir.join("out/access-review.xlsx")).unwrap();
    let mut xlsx: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let range = xlsx.worksheet_range(name).unwrap();
    range.rows().map(|r| r.iter().map(cell).collect()).collect()
}

#[test]
fn every_atlas_user_of_the_demo_is_one_person_in_the_csv_the_json_and_the_people_sheet() {
    let snapshot = demo_snapshot();
    let users = atlas_users(&snapshot);
    assert!(users.len() > 10, "the demo has people: {users:?}");
    let (dir, _) = report_in_temp(&snapshot, &[]);

    let csv = read(dir.path(), "directory.csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let rows: Vec<BTreeMap<String, String>> = reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect();
    let keys: Vec<String> = rows.iter().map(|r| r["principal_key"].clone()).collect();
    assert_eq!(keys, users, "one row per Atlas user, by key");

    let json: serde_json::Value =
        serde_json::from_str(&read(dir.path(), "directory.json")).unwrap();
    assert_eq!(json["schema_version"], 1);
    let ids: Vec<String> = json["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, users);
    assert_eq!(
        json["organizations"].as_array().unwrap().len(),
        snapshot.orgs.len()
    );
    let workspaces = json["workspaces"].as_array().unwrap();
    assert_eq!(workspaces.len(), snapshot.projects.len());
    for w in workspaces {
        let project = snapshot.projects.iter().find(|p| p.id == w["id"]).unwrap();
        assert_eq!(w["organization_id"], project.org_id.as_str());
    }

    // James is on sre-oncall, which holds GROUP_OWNER on storefront-prod: the team path shows.
    let james = rows
        .iter()
        .find(|r| r["username"] == "james.okafor@northwind.example")
        .unwrap();
    assert!(
        james["projects"].contains("storefront-prod: GROUP_OWNER (")
            && james["paths"].contains("team:sre-oncall"),
        "{james:?}"
    );
    assert!(james["teams"].contains("sre-oncall"), "{james:?}");
    // Liam's invitation is pending.
    let liam = rows
        .iter()
        .find(|r| r["username"] == "liam.foster@northwind.example")
        .unwrap();
    assert!(
        liam["invitations"].contains(": PENDING, invited "),
        "{liam:?}"
    );

    let people = sheet(dir.path(), "People");
    let headings: Vec<&str> = people[0].iter().map(String::as_str).collect();
    assert_eq!(headings[0], "Principal key");
    assert_eq!(headings.len(), header.len());
    let sheet_keys: Vec<String> = people[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(sheet_keys, users, "the People sheet has the same rows");
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let james_row = people[1..]
        .iter()
        .find(|r| r[column("username")] == "james.okafor@northwind.example")
        .unwrap();
    for name in [
        "projects",
        "paths",
        "teams",
        "open_findings",
        "open_finding_ids",
    ] {
        assert_eq!(james_row[column(name)], james[name], "{name}");
    }
}

/// Sums the count cells (`<td class="n…">N</td>`: open and exempted) of the rows of a table
/// whose severity badge is `marker`.
fn high_in_rows<'a>(rows: impl Iterator<Item = &'a str>, marker: &str) -> usize {
    rows.filter(|r| r.contains(marker))
        .map(|row| {
            let mut sum = 0;
            let mut rest = row;
            while let Some(at) = rest.find("<td class=\"n") {
                rest = &rest[at..];
                let value = between(rest, ">", "</td>").unwrap();
                sum += value.replace(',', "").parse::<usize>().unwrap();
                rest = &rest[1..];
            }
            sum
        })
        .sum()
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let end = s[start..].find(close)? + start;
    Some(&s[start..end])
}

fn table<'a>(page: &'a str, start: &str) -> &'a str {
    let from = page
        .find(start)
        .unwrap_or_else(|| panic!("{start} on the page"));
    let len = page[from..].find("</table>").unwrap();
    &page[from..from + len]
}

#[test]
fn the_demo_counts_the_same_high_findings_in_every_rule_table() {
    let (dir, _) = report_in_temp(&demo_snapshot(), &[]);
    let findings: serde_json::Value =
        serde_json::from_str(&read(dir.path(), "findings.json")).unwrap();
    let expected = findings["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "high")
        .count();
    assert!(expected > 0, "the demo has high findings");

    let report = read(dir.path(), "report.html");
    let rules = table(&report, "<table class=\"grid rules\">");
    let from_report = high_in_rows(rules.lines(), "<span class=\"sev high\">");
    assert_eq!(from_report, expected, "report.html");

    let email = read(dir.path(), "email.html");
    // The email's CSS is inlined: every tag carries its style.
    let rules = table(&email, "class=\"rules\"");
    let from_email = high_in_rows(rules.lines(), "<span class=\"sev s-high\"");
    assert_eq!(from_email, expected, "email.html");

    let text = read(dir.path(), "email.txt");
    let section = text.split("FINDINGS BY RULE").nth(1).unwrap();
    let from_text: usize = section
        .lines()
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.trim_start().starts_with("HIGH "))
        .map(|l| {
            let open = l.split(" open").next().unwrap();
            let open: usize = open.split_whitespace().last().unwrap().parse().unwrap();
            let exempted = between(l, ", ", " exempted").map_or(0, |n| n.parse().unwrap());
            open + exempted
        })
        .sum();
    assert_eq!(from_text, expected, "email.txt");

    let summary = sheet(dir.path(), "Summary");
    let start = summary
        .iter()
        .position(|r| r.first().is_some_and(|c| c == "Findings by rule"))
        .unwrap();
    let from_workbook: usize = summary[start + 1..]
        .iter()
        .take_while(|r| r.first().is_some_and(|c| !c.is_empty()))
        .filter(|r| r[1] == "high")
        .map(|r| r[2].parse::<usize>().unwrap() + r[3].parse::<usize>().unwrap())
        .sum();
    assert_eq!(from_workbook, expected, "the workbook's Summary");

    // A rule of two severities is listed under each: USER_INACTIVE is high for two people and
    // medium for the rest.
    let inactive: Vec<&str> = report
        .lines()
        .filter(|l| l.contains("<code>USER_INACTIVE</code>"))
        .collect();
    assert_eq!(inactive.len(), 2, "{inactive:?}");
}

#[test]
fn the_manifest_and_the_first_screen_name_the_credential_and_its_roles() {
    // The demo's own credential is not in the estate: its roles are not visible to itself.
    let mut snapshot = demo_snapshot();
    snapshot.meta.credential = "api_key:notinthedemo".into();
    let (dir, _) = report_in_temp(&snapshot, &["--format", "html"]);
    let manifest: serde_json::Value =
        serde_json::from_str(&read(dir.path(), "manifest.json")).unwrap();
    assert_eq!(manifest["credential"]["kind"], "api_key");
    assert_eq!(manifest["credential"]["identity"], "notinthedemo");
    assert_eq!(manifest["credential"]["principal"], "apikey:notinthedemo");
    assert_eq!(manifest["credential"]["roles_visible"], false);
    let report = read(dir.path(), "report.html");
    let first_screen = &report[..report.find("<main").unwrap()];
    assert!(
        first_screen.contains("API key notinthedemo: roles not visible to itself"),
        "{first_screen}"
    );
    assert!(first_screen.contains("lacked the role Atlas requires"));

    // The terraform-bootstrap key of the demo holds ORG_OWNER of Northwind Outfitters.
    let mut snapshot = demo_snapshot();
    snapshot.meta.credential = "api_key:qzvtkmra".into();
    let (dir, _) = report_in_temp(&snapshot, &["--format", "html"]);
    let manifest: serde_json::Value =
        serde_json::from_str(&read(dir.path(), "manifest.json")).unwrap();
    let c = &manifest["credential"];
    assert_eq!(c["roles_visible"], true);
    let roles: Vec<(&str, &str)> = c["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["scope"].as_str().unwrap(), r["role"].as_str().unwrap()))
        .collect();
    assert!(
        roles.contains(&("org:6650a1000000000000000001", "ORG_OWNER")),
        "{roles:?}"
    );
    let report = read(dir.path(), "report.html");
    let first_screen = &report[..report.find("<main").unwrap()];
    assert!(
        first_screen.contains("API key qzvtkmra: ORG_OWNER on Northwind Outfitters"),
        "{first_screen}"
    );
    let email = read(dir.path(), "email.html");
    assert!(email.contains("API key qzvtkmra: ORG_OWNER on Northwind Outfitters"));
    let text = read(dir.path(), "email.txt");
    assert!(
        text.contains("Collected:   API key qzvtkmra: ORG_OWNER on"),
        "{text:.800}"
    );
}
