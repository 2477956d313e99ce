//! `schema`: the JSON Schemas (draft 2020-12) of the machine-readable files, generated from the
//! very types that write those files (`schemars`), so a schema cannot drift from its file. The
//! same texts are kept in the repository's `schemas/` folder, written by `schema --out schemas`;
//! a test fails when the two differ.
//!
//! Each schema describes what this build writes (schemars' serialize contract): a field that is
//! always written is required, even when its value may be `null`. The file's `schema_version`
//! is a `const` of the current version, and the schema's `title` names the file and version.
//! Unknown fields are allowed, as every reader here ignores them: fields are only ever added
//! within a version.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema};

use super::EXIT_OK;

pub use crate::cli::SchemaName;

impl SchemaName {
    /// Every schema, in the order `--help` lists them.
    pub const ALL: [SchemaName; 5] = [
        SchemaName::Snapshot,
        SchemaName::Findings,
        SchemaName::Manifest,
        SchemaName::Plan,
        SchemaName::Directory,
    ];

    /// The name as typed: `snapshot`, `findings`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaName::Snapshot => "snapshot",
            SchemaName::Findings => "findings",
            SchemaName::Manifest => "manifest",
            SchemaName::Plan => "plan",
            SchemaName::Directory => "directory",
        }
    }

    /// The file the schema describes: `snapshot.json`, ...
    pub fn describes(self) -> String {
        [self.as_str(), ".json"].concat()
    }

    /// The schema's own file name, as in `schemas/`: `snapshot.schema.json`, ...
    pub fn file_name(self) -> String {
        [self.as_str(), ".schema.json"].concat()
    }

    /// The `schema_version` this build writes in the file.
    pub fn version(self) -> u32 {
        match self {
            SchemaName::Snapshot => crate::model::SCHEMA_VERSION,
            SchemaName::Findings => crate::rules::FINDINGS_SCHEMA_VERSION,
            SchemaName::Manifest => crate::report::MANIFEST_SCHEMA_VERSION,
            SchemaName::Plan => crate::remediate::plan::PLAN_SCHEMA_VERSION,
            SchemaName::Directory => crate::report::directory::DIRECTORY_SCHEMA_VERSION,
        }
    }

    /// What writes the file, for the schema's description.
    fn written_by(self) -> &'static str {
        match self {
            SchemaName::Snapshot => "`atlas-audit collect` (and `demo`)",
            SchemaName::Findings | SchemaName::Manifest | SchemaName::Directory => {
                "`atlas-audit report`, in the report folder"
            }
            SchemaName::Plan => "`atlas-audit plan`",
        }
    }

    /// The schema, with the file and its version in `title` and `description`.
    pub fn schema(self) -> Schema {
        let mut schema = match self {
            SchemaName::Snapshot => root::<crate::model::Snapshot>(),
            SchemaName::Findings => root::<crate::rules::Findings>(),
            SchemaName::Manifest => root::<crate::report::Manifest>(),
            SchemaName::Plan => root::<crate::remediate::plan::Plan>(),
            SchemaName::Directory => crate::report::directory::directory_json_schema(settings()),
        };
        let what = schema
            .get("description")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string();
        let (file, version) = (self.describes(), self.version());
        schema.insert(
            "title".into(),
            format!("atlas-audit {file}, schema_version {version}").into(),
        );
        schema.insert(
            "description".into(),
            format!(
                "{file}, schema_version {version}, as written by {}. {what} Fields may be \
                 added within a version; readers ignore the ones they do not know.",
                self.written_by()
            )
            .into(),
        );
        if let Some(map) = schema.as_object_mut() {
            tidy_descriptions(map);
        }
        schema
    }

    /// The schema as written in `schemas/` and printed: pretty JSON, newline-terminated.
    pub fn to_json(self) -> String {
        // A schema is a JSON value: serialising it cannot fail.
        let mut text = serde_json::to_string_pretty(&self.schema()).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Draft 2020-12, describing what is written rather than what would be accepted.
fn settings() -> SchemaSettings {
    SchemaSettings::draft2020_12().for_serialize()
}

fn root<T: JsonSchema>() -> Schema {
    settings().into_generator().into_root_schema_for::<T>()
}

/// The doc comments that became descriptions, as a reader of JSON says them: a rustdoc link
/// ``[`SCHEMA_VERSION`]`` is plain code, and Rust's `None` is JSON's `null`.
fn tidy_descriptions(schema: &mut serde_json::Map<String, serde_json::Value>) {
    use serde_json::Value;
    for (key, value) in schema.iter_mut() {
        match value {
            Value::String(text) if key == "description" => {
                *text = text
                    .replace("[`", "`")
                    .replace("`]", "`")
                    .replace("`None`", "`null`");
            }
            Value::Object(sub) => tidy_descriptions(sub),
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(sub) = item {
                        tidy_descriptions(sub);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Prints one schema, or writes every schema into `out` (created if missing).
///
/// # Errors
/// When stdout or the folder cannot be written.
pub fn run(name: Option<SchemaName>, out: Option<&Path>, quiet: bool) -> Result<ExitCode> {
    match (name, out) {
        (_, Some(dir)) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("--out {}: cannot create the folder", dir.display()))?;
            for name in SchemaName::ALL {
                let path = dir.join(name.file_name());
                crate::files::write_atomic(&path, |w| w.write_all(name.to_json().as_bytes()))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if !quiet {
                println!(
                    "{} schemas written to {}",
                    SchemaName::ALL.len(),
                    dir.display()
                );
            }
        }
        (Some(name), None) => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(name.to_json().as_bytes())
                .and_then(|()| stdout.flush())
                .context("writing the schema to stdout")?;
        }
        (None, None) => bail!("name a schema ({}) or give --out DIR", names()),
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn names() -> String {
    SchemaName::ALL.map(SchemaName::as_str).join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_pins_its_files_version_and_requires_it() {
        for name in SchemaName::ALL {
            let schema = name.schema();
            let json = schema.as_value();
            assert_eq!(
                json["properties"]["schema_version"]["const"],
                serde_json::json!(name.version()),
                "{name:?}"
            );
            let required = json["required"].as_array().expect("required fields");
            assert!(
                required.contains(&"schema_version".into()),
                "{name:?}: {required:?}"
            );
            let title = json["title"].as_str().unwrap_or_default();
            assert!(
                title.contains(&name.describes())
                    && title.ends_with(&format!("schema_version {}", name.version())),
                "{title}"
            );
            assert_eq!(
                json["$schema"],
                "https://json-schema.org/draft/2020-12/schema"
            );
        }
    }

    #[test]
    fn the_names_are_the_command_line_values() {
        use clap::ValueEnum;
        for name in SchemaName::ALL {
            let value = name.to_possible_value().expect("listed");
            assert_eq!(value.get_name(), name.as_str());
        }
        assert_eq!(SchemaName::value_variants(), SchemaName::ALL);
    }

    #[test]
    fn descriptions_read_as_json_not_rust() {
        let mut schema = serde_json::json!({
            "description": "Format version ([`SCHEMA_VERSION`]); `None` when unknown.",
            "properties": {"a": {"description": "[`Via::label`]", "const": "[`x`]"}},
        });
        tidy_descriptions(schema.as_object_mut().expect("an object"));
        assert_eq!(
            schema["description"],
            "Format version (`SCHEMA_VERSION`); `null` when unknown."
        );
        assert_eq!(schema["properties"]["a"]["description"], "`Via::label`");
        assert_eq!(
            schema["properties"]["a"]["const"], "[`x`]",
            "only descriptions"
        );
    }

    #[test]
    fn schemas_are_the_same_text_every_time() {
        for name in SchemaName::ALL {
            let text = name.to_json();
            assert!(text.ends_with("}\n"), "{name:?}");
            assert_eq!(text, name.to_json(), "{name:?}");
        }
    }
}
