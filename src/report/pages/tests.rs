use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::email::{EMAIL, EMAIL_BUDGET, fit_email};
use super::filters::{pad, thousands, wrap};
use super::finding::value_text;
use super::templates::BUILT_IN;
use super::view::{Limits, SHORTENED, label, shorten};
use super::*;
use crate::model::CoverageGap;
use crate::report::ReportInput;
use crate::report::sample::{Sample, hostile, hostile_strings, ordinary};
use crate::rules::testkit::Estate;
use crate::rules::{self, Findings, Status};

fn builtin() -> Templates {
    Templates::load(None).expect("the built-in templates parse")
}

/// The three pages of a sample, rendered with the built-in templates.
fn pages(sample: &Sample) -> [String; 3] {
    let input = sample.input();
    let review = Review::new(&input);
    let t = builtin();
    [
        report_html(&t, &review).expect("report.html renders"),
        email_html(&t, &review).expect("email.html renders"),
        email_txt(&t, &review).expect("email.txt renders"),
    ]
}

/// How a string reaches a Tera-escaped page: hidden characters shown, then escaped.
fn escaped(s: &str) -> String {
    escape_html(&shorten(s, None))
}

/// How a string reaches the email after css-inline re-serialises it: only `& < >` escaped.
fn reserialised(s: &str) -> String {
    shorten(s, None)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn input_of<'a>(e: &'a Estate, findings: &'a Findings) -> ReportInput<'a> {
    ReportInput::without_policy_file(&e.snapshot, findings, &e.policy)
}

/// Thousands of findings whose every Atlas name is 10 KB of characters HTML escapes five-fold.
fn huge_estate() -> (Estate, Findings) {
    let big = |i: usize| format!("{i}-{}", "&<".repeat(5 * 1024));
    let mut e = Estate::new();
    e.org("o1").name = big(0);
    if let Some(settings) = e.org("o1").settings.as_mut() {
        settings.mfa_required = Some(false);
    }
    e.project("o1", "p1", &[("environment", "production")]).name = big(1);
    for i in 0..1500 {
        let email = format!("u{i}@example.test");
        e.user("o1", &email).name = big(i);
        e.org_role(&format!("user:{email}"), "o1", "ORG_OWNER");
        e.db_user("p1", &big(i), &[("atlasAdmin", "admin")], &[]);
    }
    for i in 0..200 {
        e.snapshot.coverage.push(CoverageGap {
            scope: format!("project:{}", big(i)),
            endpoint: big(i),
            status: Some(403),
            error_code: Some(big(i)),
            reason: big(i),
        });
    }
    let findings = rules::evaluate(&e.snapshot, &e.policy).expect("as-of is set");
    (e, findings)
}

/// Whether every run of 60 or more `x` (a piece of the 10 KB string) ends with [`SHORTENED`].
fn long_runs_end_with_the_marker(page: &str) -> bool {
    let mut rest = page;
    while let Some(start) = rest.find(&"x".repeat(60)) {
        let run = &rest[start..];
        let end = run.find(|c| c != 'x').unwrap_or(run.len());
        if !run[end..].starts_with(SHORTENED) {
            return false;
        }
        rest = &run[end..];
    }
    true
}

#[test]
fn the_report_has_every_section_count_rule_and_finding() {
    let sample = ordinary();
    let [report, _, _] = pages(&sample);
    for heading in [
        "<h1>Atlas access review</h1>",
        "Findings by rule",
        "Principals needing action",
        "Cloud provider access",
        "LDAP and X.509",
        "Not evaluated",
        "Coverage gaps",
        "Exemption warnings",
        "Coverage: INCOMPLETE",
        "Population reviewed",
    ] {
        assert!(report.contains(heading), "missing {heading}");
    }
    let input = sample.input();
    let review = Review::new(&input);
    for (severity, open, exempted) in review.severity_counts() {
        let card = format!(
            "<div class=\"word\">{}</div><div class=\"num\">{}</div><div class=\"split\">{open} open · {exempted} exempted</div>",
            label(severity),
            open + exempted
        );
        assert!(report.contains(&card), "missing {card}");
    }
    for c in review.rule_counts() {
        assert!(report.contains(&format!("id=\"rule-{}\"", c.rule)));
        assert!(report.contains(c.rule.checks()), "{}", c.rule);
    }
    for f in &sample.findings.findings {
        assert!(report.contains(&format!("id=\"{}\"", f.id)), "{}", f.id);
        assert!(report.contains(&escaped(&f.evidence.summary)), "{}", f.id);
    }
    assert!(
        report.contains("listDatabaseUsers"),
        "the coverage gap is listed"
    );
    assert!(
        report.contains("owner@example.test"),
        "a principal needing action"
    );
    assert!(!report.contains("are not shown here"), "no rule is capped");
}

#[test]
fn the_email_carries_the_summary_and_the_top_findings() {
    let sample = ordinary();
    let [_, email, text] = pages(&sample);
    let input = sample.input();
    let review = Review::new(&input);
    let as_of = review.as_of.strftime("%Y-%m-%d %H:%M UTC").to_string();
    for page in [&email, &text] {
        assert!(page.contains(&as_of));
        assert!(page.contains("INCOMPLETE") && page.contains("1 scope could not be read"));
        assert!(page.contains("access-review.xlsx") && page.contains("report.html"));
        for c in review.rule_counts() {
            assert!(page.contains(c.rule.as_str()), "{}", c.rule);
        }
        for s in ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"] {
            assert!(page.contains(s), "{s} is written out");
        }
        for f in sample
            .findings
            .findings
            .iter()
            .filter(|f| f.status == Status::Open)
        {
            assert!(page.contains(&f.id), "{} is among the top findings", f.id);
        }
    }
    for banned in [
        "<script",
        "<svg",
        "<link",
        "<img",
        "@font-face",
        "url(",
        "<iframe",
    ] {
        assert!(!email.contains(banned), "email.html holds {banned}");
    }
    assert!(email.contains("style=\""), "the CSS is inlined");
    assert!(
        !email.contains(".sev {"),
        "plain rules leave the style block; only @media stays"
    );
    assert!(
        !text.contains("<td") && !text.contains("&amp;"),
        "email.txt is text"
    );
}

#[test]
fn hostile_text_is_escaped_and_whole_in_the_report() {
    let [report, _, text] = pages(&hostile());
    assert_eq!(
        report.matches("<script").count(),
        1,
        "only the page's own script"
    );
    assert!(report.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!report.contains("<b>bold</b>"));
    for s in hostile_strings() {
        assert!(report.contains(&escaped(&s)), "{:.40} is whole", s);
    }
    assert!(
        report.contains("[U+202E]gnp.exe") && !report.contains('\u{202e}'),
        "the override is shown, not obeyed"
    );
    assert!(!report.contains('\0') && report.contains("nul[U+0000]byte"));
    assert!(!text.contains('\u{202e}') && !text.contains('\0'));
}

/// The report's Content-Security-Policy lets only its own script run, named by its SHA-256, so
/// that a script or event handler that ever reached the page from data would not run. Editing
/// the script means writing its new hash into the policy.
#[test]
fn the_report_runs_only_its_own_script_by_hash() {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    let source = BUILT_IN[0];
    assert_eq!(source.matches("<script>").count(), 1, "one script");
    let script = source
        .split("<script>")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("the script");
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script));
    let policy = source
        .split("Content-Security-Policy\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a Content-Security-Policy");
    let script_src = policy
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src "))
        .expect("a script-src");
    assert_eq!(script_src, format!("script-src 'sha256-{hash}'"));
    let [report, _, _] = pages(&hostile());
    assert!(report.contains(&format!("<script>{script}</script>")));
}

#[test]
fn hostile_text_in_the_email_is_escaped_and_shortened_only_with_the_marker() {
    let [_, email, text] = pages(&hostile());
    // email.txt wraps its lines; compare its words.
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(!email.contains("<script") && !email.contains("<svg"));
    assert!(email.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!email.contains("<b>bold</b>"));
    let long = hostile_strings().pop().expect("the 10 KB string");
    let kept: String = long.chars().take(EMAIL.name.unwrap_or(0)).collect();
    for (page, form) in [(&email, reserialised(&kept)), (&text, kept.clone())] {
        assert!(
            page.contains(&format!("{form}{SHORTENED}")),
            "shortened visibly"
        );
        assert!(
            long_runs_end_with_the_marker(page),
            "never shortened without the marker"
        );
    }
    for s in hostile_strings().iter().filter(|s| s.len() < 100) {
        assert!(email.contains(&reserialised(s)), "{s:?} is whole");
        assert!(text.contains(&shorten(s, None)), "{s:?} is whole");
    }
}

#[test]
fn the_email_stays_under_the_budget_for_thousands_of_findings_with_10_kb_names() {
    let (estate, findings) = huge_estate();
    assert!(
        findings.findings.len() >= 3000,
        "{}",
        findings.findings.len()
    );
    let input = input_of(&estate, &findings);
    let review = Review::new(&input);
    let t = builtin();
    let email = email_html(&t, &review).expect("renders");
    let text = email_txt(&t, &review).expect("renders");
    assert!(
        email.len() <= EMAIL_BUDGET,
        "email.html is {} bytes",
        email.len()
    );
    assert!(
        text.len() <= EMAIL_BUDGET,
        "email.txt is {} bytes",
        text.len()
    );
    assert!(email.contains(SHORTENED));
    assert!(
        email.contains("more findings were left out of this email"),
        "the guard says what it left out"
    );
    let report = report_html(&t, &review).expect("renders");
    assert!(
        report.len() < 32 << 20,
        "report.html is {} bytes",
        report.len()
    );
    assert!(report.contains("stays small enough for a browser to open"));
}

#[test]
fn the_report_shows_200_findings_per_rule_and_says_where_the_rest_are() {
    let mut e = Estate::new();
    e.project("o1", "p1", &[]);
    for i in 0..250 {
        e.db_user(
            "p1",
            &format!("app-{i:03}"),
            &[("atlasAdmin", "admin")],
            &["c1"],
        );
    }
    let findings = rules::evaluate(&e.snapshot, &e.policy).expect("as-of is set");
    let input = input_of(&e, &findings);
    let report = report_html(&builtin(), &Review::new(&input)).expect("renders");
    assert!(report.contains("50 more findings of DBUSER_ADMIN_ROLE are not shown here"));
    assert!(report.contains("This page shows the first 200 of 250; all of them are in"));
    assert!(
        report.contains("access-review.xlsx</strong> (Findings sheet) and <strong>findings.csv")
    );
    let review = Review::new(&input);
    let mut per_rule: std::collections::BTreeMap<_, usize> = std::collections::BTreeMap::new();
    for c in review.rule_counts() {
        *per_rule.entry(c.rule).or_default() += c.open + c.exempted;
    }
    let shown: usize = per_rule.values().map(|n| (*n).min(200)).sum();
    assert_eq!(report.matches("<tr class=\"finding\"").count(), shown);
}

#[test]
fn the_size_guard_renders_again_with_fewer_findings_or_gives_up() {
    let sized = |limits: Limits| Ok("x".repeat(1_000 + limits.top * 10_000 + limits.list * 500));
    let fitted = fit_email("email.html", sized).expect("fits with fewer findings");
    assert_eq!(fitted.len(), 1_000 + 6 * 10_000 + 10 * 500);
    let too_big = |_: Limits| Ok("x".repeat(EMAIL_BUDGET + 1));
    match fit_email("email.html", too_big) {
        Err(ReportError::Template { name, detail }) => {
            assert_eq!(name, "email.html");
            assert!(detail.contains("even with no finding listed"), "{detail}");
        }
        other => panic!("expected a template error, got {other:?}"),
    }
}

#[test]
fn a_template_in_the_folder_replaces_the_built_in_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("email.txt"),
        "CUSTOM {{ totals.findings }} as of {{ as_of_rfc3339 }}",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.html"), "{% broken").unwrap();
    std::fs::write(dir.path().join("README"), "ignored").unwrap();
    let t = Templates::load(Some(dir.path())).expect("loads");
    let sample = ordinary();
    let input = sample.input();
    let review = Review::new(&input);
    let text = email_txt(&t, &review).unwrap();
    assert_eq!(
        text,
        format!(
            "CUSTOM {} as of {}",
            sample.findings.findings.len(),
            review.as_of
        )
    );
    let report = report_html(&t, &review).unwrap();
    assert!(
        report.contains("Findings by rule"),
        "the others stay built in"
    );
}

#[test]
fn a_broken_template_is_an_error_naming_the_file_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("report.html"),
        "<p>fine</p>\n<p>{% for x in %}</p>",
    )
    .unwrap();
    match Templates::load(Some(dir.path())) {
        Err(ReportError::Template { name, detail }) => {
            assert!(name.ends_with("report.html"), "{name}");
            assert!(Path::new(&name).starts_with(dir.path()), "{name}");
            assert!(detail.contains("2:"), "line and column: {detail}");
        }
        Ok(_) => panic!("a broken template loaded"),
        Err(other) => panic!("expected a template error, got {other:?}"),
    }
}

#[test]
fn a_missing_folder_or_a_failing_render_is_a_template_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    match Templates::load(Some(&missing)) {
        Err(ReportError::Template { name, .. }) => assert!(name.ends_with("nope"), "{name}"),
        _ => panic!("a missing folder must be refused"),
    }
    std::fs::write(dir.path().join("email.txt"), "{{ get_env(name=\"HOME\") }}").unwrap();
    let t = Templates::load(Some(dir.path())).expect("parses");
    let sample = ordinary();
    let input = sample.input();
    match email_txt(&t, &Review::new(&input)) {
        Err(ReportError::Template { name, detail }) => {
            assert!(name.ends_with("email.txt"), "{name}");
            assert!(detail.contains("get_env is not available"), "{detail}");
        }
        other => panic!("expected a template error, got {other:?}"),
    }
}

#[test]
fn the_pages_are_the_same_on_every_render() {
    for sample in [ordinary(), hostile()] {
        assert_eq!(pages(&sample), pages(&sample));
    }
}

#[test]
fn text_helpers_shorten_pad_and_format() {
    assert_eq!(shorten("abcdef", Some(3)), format!("abc{SHORTENED}"));
    assert_eq!(shorten("abc", Some(3)), "abc");
    assert_eq!(shorten("a\u{202e}b\0", None), "a[U+202E]b[U+0000]");
    assert_eq!(
        shorten("👩‍💻\n\t", None),
        "👩‍💻\n\t",
        "joiners, newlines and tabs stay"
    );
    let none = HashMap::new();
    assert_eq!(thousands(&Value::from(146_888), &none).unwrap(), "146,888");
    assert_eq!(thousands(&Value::from(999), &none).unwrap(), "999");
    assert_eq!(
        thousands(&Value::from(1_000_000), &none).unwrap(),
        "1,000,000"
    );
    let args = |w: u64, right: bool| {
        HashMap::from([
            ("width".to_string(), Value::from(w)),
            ("right".to_string(), Value::from(right)),
        ])
    };
    assert_eq!(pad(&Value::from("ab"), &args(4, false)).unwrap(), "ab  ");
    assert_eq!(pad(&Value::from(7), &args(3, true)).unwrap(), "  7");
    assert_eq!(
        pad(&Value::from("abcdef"), &args(3, false)).unwrap(),
        "abcdef"
    );
    let wrap_args = HashMap::from([
        ("width".to_string(), Value::from(12)),
        ("indent".to_string(), Value::from(2)),
    ]);
    assert_eq!(
        wrap(
            &Value::from("one two  three\nfour fivesixseveneight"),
            &wrap_args
        )
        .unwrap(),
        "one two\n  three four\n  fivesixseveneight"
    );
    let fact = serde_json::json!({"role": "GROUP_OWNER", "scopes": [], "via": null, "n": 2, "r": {"db": ""}});
    assert_eq!(
        value_text(&fact, false),
        "n: 2, r: (db: \"\"), role: GROUP_OWNER, scopes: none, via: none"
    );
    assert_eq!(
        escape_html("<a href='x'>&\"</a>"),
        "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
    );
}

#[test]
fn a_rule_of_two_severities_is_counted_under_each_in_every_table() {
    use crate::rules::Severity;
    let mut sample = hostile();
    // The hostile estate has many DBUSER_ADMIN_ROLE findings of one severity: make one medium.
    let first = sample
        .findings
        .findings
        .iter()
        .position(|f| f.rule.as_str() == "DBUSER_ADMIN_ROLE" && f.severity == Severity::High)
        .expect("a high DBUSER_ADMIN_ROLE finding");
    let all = sample
        .findings
        .findings
        .iter()
        .filter(|f| f.rule.as_str() == "DBUSER_ADMIN_ROLE")
        .count();
    assert!(all > 2, "{all}");
    sample.findings.findings[first].severity = Severity::Medium;
    let input = sample.input();
    let review = Review::new(&input);
    let rows: Vec<(Severity, usize)> = review
        .rule_counts()
        .iter()
        .filter(|c| c.rule.as_str() == "DBUSER_ADMIN_ROLE")
        .map(|c| (c.severity, c.open + c.exempted))
        .collect();
    assert_eq!(rows, [(Severity::High, all - 1), (Severity::Medium, 1)]);
    for (severity, _, _) in review.severity_counts() {
        let by_rows: usize = review
            .rule_counts()
            .iter()
            .filter(|c| c.severity == severity)
            .map(|c| c.open + c.exempted)
            .sum();
        let findings = sample
            .findings
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count();
        assert_eq!(by_rows, findings, "{severity:?}");
    }
    let [report, email, text] = pages(&sample);
    assert!(
        report.contains(&format!("{all} findings ({} high, 1 medium):", all - 1)),
        "the section's tally splits by severity"
    );
    assert_eq!(report.matches("<code>DBUSER_ADMIN_ROLE</code>").count(), 2);
    assert_eq!(
        report.matches("id=\"rule-DBUSER_ADMIN_ROLE\"").count(),
        1,
        "one section per rule"
    );
    assert_eq!(
        email
            .lines()
            .filter(|l| l.contains("<tr>") && l.contains(">DBUSER_ADMIN_ROLE</div>"))
            .count(),
        2
    );
    let rule_lines: Vec<&str> = text
        .split("FINDINGS BY RULE")
        .nth(1)
        .unwrap()
        .lines()
        .filter(|l| l.contains("DBUSER_ADMIN_ROLE"))
        .take_while(|l| l.ends_with("open") || l.contains(" open,"))
        .collect();
    assert_eq!(rule_lines.len(), 2, "{rule_lines:?}");
    assert!(
        rule_lines[0].trim_start().starts_with("HIGH"),
        "{rule_lines:?}"
    );
    assert!(
        rule_lines[1].trim_start().starts_with("MEDIUM"),
        "{rule_lines:?}"
    );
}
