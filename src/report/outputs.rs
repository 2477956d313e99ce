//! What a report folder holds: the formats `--format` names, and every file of theirs as one
//! [`OutputFile`] that knows its name, its format, what it costs to render and how it is
//! rendered. The list of files, the folder's known names, the order files start in and the
//! renderer each file gets all come from here.

use std::io::{self, Write};

use super::{
    ReportError, Review, Templates, changes, directory, findings, ocsf, pages, tables, workbook,
};

/// A report format `--format` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// `findings.csv`, `grants.csv`, `principals.csv`, `directory.csv` (and `changes.csv` with
    /// a baseline, `remediation.csv` with a store).
    Csv,
    /// `access-review.xlsx`.
    Xlsx,
    /// `report.html`, `email.html`, `email.txt`.
    Html,
    /// `findings.json`, `directory.json`.
    Json,
    /// `findings.ocsf.json`: the findings as OCSF Detection Findings, for SIEMs.
    Ocsf,
}

impl Format {
    /// Every format this build writes.
    pub const ALL: &[Format] = &[
        Format::Csv,
        Format::Xlsx,
        Format::Html,
        Format::Json,
        Format::Ocsf,
    ];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Html => "html",
            Format::Json => "json",
            Format::Ocsf => "ocsf",
        }
    }

    /// The files the format writes, those that need a baseline included.
    pub fn files(self) -> impl Iterator<Item = OutputFile> {
        OutputFile::ALL
            .into_iter()
            .filter(move |f| f.format() == self)
    }

    /// Parses `--format` values; an empty list means all.
    ///
    /// # Errors
    /// A sentence naming the unknown format and the known ones.
    pub fn parse_list(names: &[String]) -> Result<Vec<Format>, String> {
        let mut out = Vec::new();
        for name in names.iter().map(|n| n.trim().to_ascii_lowercase()) {
            if name.is_empty() {
                continue;
            }
            let Some(f) = Format::ALL.iter().find(|f| f.as_str() == name) else {
                let known: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
                return Err(format!(
                    "--format: {name:?} is not a format this version writes; choose from {}",
                    known.join(", ")
                ));
            };
            out.push(*f);
        }
        if out.is_empty() {
            out = Format::ALL.to_vec();
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// One file a report writes, besides the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFile {
    /// `findings.csv`: one row per finding.
    FindingsCsv,
    /// `grants.csv`: every grant, implied ones included.
    GrantsCsv,
    /// `principals.csv`: one row per principal.
    PrincipalsCsv,
    /// `changes.csv`: what changed since the baseline; written only with one.
    ChangesCsv,
    /// `remediation.csv`: the grants removed since the review; written only with `--store`.
    RemediationCsv,
    /// `access-review.xlsx`: the reviewer's workbook.
    Workbook,
    /// `report.html`: the whole review as a page.
    ReportHtml,
    /// `email.html`: the email, within its size budget.
    EmailHtml,
    /// `email.txt`: the email's plain-text part.
    EmailTxt,
    /// `findings.json`: the machine contract other tools read.
    FindingsJson,
    /// `directory.csv`: one row per person, with every path to access.
    DirectoryCsv,
    /// `directory.json`: organizations, workspaces and users, for identity-directory tools.
    DirectoryJson,
    /// `findings.ocsf.json`: every finding as an OCSF Detection Finding.
    FindingsOcsf,
}

impl OutputFile {
    /// Every file, by format in [`Format::ALL`] order.
    pub const ALL: [OutputFile; 13] = [
        OutputFile::FindingsCsv,
        OutputFile::GrantsCsv,
        OutputFile::PrincipalsCsv,
        OutputFile::ChangesCsv,
        OutputFile::RemediationCsv,
        OutputFile::Workbook,
        OutputFile::ReportHtml,
        OutputFile::EmailHtml,
        OutputFile::EmailTxt,
        OutputFile::FindingsJson,
        OutputFile::DirectoryCsv,
        OutputFile::DirectoryJson,
        OutputFile::FindingsOcsf,
    ];

    /// The file's name in the report folder.
    pub fn name(self) -> &'static str {
        match self {
            OutputFile::FindingsCsv => "findings.csv",
            OutputFile::GrantsCsv => "grants.csv",
            OutputFile::PrincipalsCsv => "principals.csv",
            OutputFile::ChangesCsv => "changes.csv",
            OutputFile::RemediationCsv => "remediation.csv",
            OutputFile::Workbook => "access-review.xlsx",
            OutputFile::ReportHtml => "report.html",
            OutputFile::EmailHtml => "email.html",
            OutputFile::EmailTxt => "email.txt",
            OutputFile::FindingsJson => "findings.json",
            OutputFile::DirectoryCsv => "directory.csv",
            OutputFile::DirectoryJson => "directory.json",
            OutputFile::FindingsOcsf => "findings.ocsf.json",
        }
    }

    /// The format that writes it.
    pub fn format(self) -> Format {
        match self {
            OutputFile::FindingsCsv
            | OutputFile::GrantsCsv
            | OutputFile::PrincipalsCsv
            | OutputFile::ChangesCsv
            | OutputFile::RemediationCsv
            | OutputFile::DirectoryCsv => Format::Csv,
            OutputFile::Workbook => Format::Xlsx,
            OutputFile::ReportHtml | OutputFile::EmailHtml | OutputFile::EmailTxt => Format::Html,
            OutputFile::FindingsJson | OutputFile::DirectoryJson => Format::Json,
            OutputFile::FindingsOcsf => Format::Ocsf,
        }
    }

    /// Whether it shows the directory of people (built once, before rendering, for all of them).
    pub fn uses_directory(self) -> bool {
        matches!(
            self,
            OutputFile::DirectoryCsv | OutputFile::DirectoryJson | OutputFile::Workbook
        )
    }

    /// Whether it is written only when the report has a baseline.
    pub fn needs_baseline(self) -> bool {
        self == OutputFile::ChangesCsv
    }

    /// Whether it is written only when the report has an evidence store (`--store`).
    pub fn needs_store(self) -> bool {
        self == OutputFile::RemediationCsv
    }

    /// Its render time in milliseconds on the report benchmark's `xl` estate (the workbook
    /// built alone, the others in a whole run, on 2 cores), so that the costliest start first.
    /// `changes.csv` and `remediation.csv` are estimated from their work; the three smallest
    /// files are only put in order.
    pub fn cost(self) -> u32 {
        match self {
            OutputFile::Workbook => 4500,
            OutputFile::GrantsCsv => 1700,
            OutputFile::FindingsOcsf => 1200,
            OutputFile::DirectoryJson => 1100,
            OutputFile::FindingsJson => 600,
            OutputFile::PrincipalsCsv => 460,
            OutputFile::DirectoryCsv => 450,
            OutputFile::FindingsCsv => 320,
            OutputFile::ReportHtml => 300,
            // One row per grant that changed since the baseline.
            OutputFile::ChangesCsv => 150,
            OutputFile::RemediationCsv => 30,
            OutputFile::EmailHtml => 20,
            OutputFile::EmailTxt => 10,
        }
    }

    /// Renders the file into `out`. `templates` are loaded whenever an HTML file is rendered,
    /// and `review` has a baseline whenever `changes.csv` is.
    pub(super) fn render(
        self,
        review: &Review<'_>,
        templates: Option<&Templates>,
        out: &mut dyn Write,
    ) -> Result<(), RenderError> {
        let page = |render: fn(&Templates, &Review<'_>) -> Result<String, ReportError>| {
            let templates = templates.expect("templates are loaded for the html format");
            render(templates, review)
        };
        match self {
            OutputFile::FindingsJson => findings::write_findings_json(review.findings, out)?,
            OutputFile::FindingsOcsf => ocsf::write_ocsf(review, out)?,
            OutputFile::FindingsCsv => findings::write_findings_csv(review.findings, out)?,
            OutputFile::GrantsCsv => tables::grants_csv(review, out)?,
            OutputFile::PrincipalsCsv => tables::principals_csv(review, out)?,
            OutputFile::RemediationCsv => super::remediation::remediation_csv(review, out)?,
            OutputFile::ChangesCsv => {
                let baseline = review
                    .baseline
                    .expect("changes.csv is written with a baseline");
                let names = changes::Names::of(&[review.snapshot, baseline.snapshot]);
                out.write_all(&changes::changes_csv(baseline.changes, &names))?;
            }
            OutputFile::Workbook => out.write_all(&workbook::workbook(review)?)?,
            OutputFile::ReportHtml => out.write_all(page(pages::report_html)?.as_bytes())?,
            OutputFile::EmailHtml => out.write_all(page(pages::email_html)?.as_bytes())?,
            OutputFile::EmailTxt => out.write_all(page(pages::email_txt)?.as_bytes())?,
            OutputFile::DirectoryCsv => directory::directory_csv(review, out)?,
            OutputFile::DirectoryJson => directory::directory_json(review, out)?,
        }
        Ok(())
    }
}

/// Why a file was not rendered: its bytes could not be written (the writer names the file), or
/// its content could not be made.
#[derive(Debug)]
pub(super) enum RenderError {
    /// Writing failed.
    Write(io::Error),
    /// A template or the workbook failed.
    Content(ReportError),
}

impl From<io::Error> for RenderError {
    fn from(e: io::Error) -> Self {
        RenderError::Write(e)
    }
}

impl From<ReportError> for RenderError {
    fn from(e: ReportError) -> Self {
        RenderError::Content(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_its_own_name_and_belongs_to_one_format() {
        let mut names: Vec<&str> = OutputFile::ALL.iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OutputFile::ALL.len());
        let by_format: usize = Format::ALL.iter().map(|f| f.files().count()).sum();
        assert_eq!(by_format, OutputFile::ALL.len());
        assert_eq!(
            Format::Html
                .files()
                .map(OutputFile::name)
                .collect::<Vec<_>>(),
            ["report.html", "email.html", "email.txt"]
        );
        assert!(
            OutputFile::ALL
                .iter()
                .all(|f| f.needs_baseline() == (*f == OutputFile::ChangesCsv))
        );
    }

    #[test]
    fn the_workbook_costs_most_and_the_email_text_least() {
        let mut by_cost = OutputFile::ALL;
        by_cost.sort_by_key(|f| std::cmp::Reverse(f.cost()));
        assert_eq!(by_cost[0], OutputFile::Workbook);
        assert_eq!(by_cost[1], OutputFile::GrantsCsv);
        assert_eq!(by_cost[OutputFile::ALL.len() - 1], OutputFile::EmailTxt);
    }
}
