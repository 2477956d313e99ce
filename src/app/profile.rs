//! Atlas CLI profiles: the TOML file in which `atlas config init` keeps credentials, a base URL
//! and a default org and project, one table per profile (`[default]`, `[work]`). atlas-audit
//! reads it for whatever flags and environment variables leave open, and never writes it.
//!
//! Which profile applies: the one named with `--profile` (or `MONGODB_ATLAS_PROFILE`), else the
//! one named `default` when no flag or variable gives credentials. A profile gives credentials
//! only as a whole pair, and only when flags and variables give none of the four parts, so a key
//! is never paired with a secret from somewhere else.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use secrecy::SecretString;

use crate::atlas::Credentials;
use crate::cli::ConnectionArgs;

/// The profile read when none is named.
pub const DEFAULT_PROFILE: &str = "default";

/// The base URL of Atlas for Government, which the Atlas CLI calls `service = "cloudgov"`.
pub const CLOUDGOV_URL: &str = "https://cloud.mongodbgov.com";

/// One profile of the Atlas CLI's config file. `Debug` shows no secret: both are
/// [`SecretString`]s, which print as redacted.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The profile's name (its table's name).
    pub name: String,
    /// The file it was read from.
    pub file: PathBuf,
    /// `public_api_key`.
    pub public_api_key: Option<String>,
    /// `private_api_key`.
    pub private_api_key: Option<SecretString>,
    /// `client_id` (a service account).
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<SecretString>,
    /// `org_id`: the org to read when the command line names none.
    pub org_id: Option<String>,
    /// `project_id`: the project to read when the command line names none.
    pub project_id: Option<String>,
    /// `ops_manager_url` when set, else Atlas for Government's URL for `service = "cloudgov"`.
    pub base_url: Option<String>,
}

impl Profile {
    /// `profile [NAME] in FILE`, for messages.
    pub fn whereabouts(&self) -> String {
        format!("profile [{}] in {}", self.name, self.file.display())
    }

    /// The profile's credentials: a service account when it has one, else an API key.
    ///
    /// # Errors
    /// The profile has none, or half of one; the message says which key is missing and where.
    pub fn credentials(&self) -> Result<Credentials> {
        let at = self.whereabouts();
        let elsewhere = "or give the credentials with flags or environment variables (see --help)";
        match (
            &self.public_api_key,
            &self.private_api_key,
            &self.client_id,
            &self.client_secret,
        ) {
            (_, _, Some(client_id), Some(secret)) => Ok(Credentials::ServiceAccount {
                client_id: client_id.clone(),
                client_secret: secret.clone(),
            }),
            (Some(public_key), Some(private), _, _) => Ok(Credentials::ApiKey {
                public_key: public_key.clone(),
                private_key: private.clone(),
            }),
            (_, _, Some(_), None) => bail!(
                "{at} has client_id but no client_secret; add it there (when the Atlas CLI keeps it in the system keychain, atlas-audit cannot read it), {elsewhere}"
            ),
            (Some(_), None, _, _) => bail!(
                "{at} has public_api_key but no private_api_key; add it there (when the Atlas CLI keeps it in the system keychain, atlas-audit cannot read it), {elsewhere}"
            ),
            (None, Some(_), _, _) => {
                bail!("{at} has private_api_key but no public_api_key; add it there, {elsewhere}")
            }
            (None, None, None, Some(_)) => {
                bail!("{at} has client_secret but no client_id; add it there, {elsewhere}")
            }
            (None, None, None, None) => bail!(
                "{at} holds no API key (public_api_key, private_api_key) or service account (client_id, client_secret), and atlas-audit cannot use an Atlas CLI login; add one there, {elsewhere}"
            ),
        }
    }
}

/// The outcome of looking for the profile that applies.
#[derive(Debug)]
pub enum Lookup {
    /// This profile applies.
    Found(Profile),
    /// Nothing was looked for: flags or variables gave credentials and no profile was named.
    NotNeeded,
    /// No profile was named and the default one is not there; says why, for the message about
    /// missing credentials.
    Missing(String),
}

impl Lookup {
    /// Why no profile applies, for the message about missing credentials.
    pub fn why_absent(&self) -> &str {
        match self {
            Lookup::Missing(why) => why,
            Lookup::Found(_) => "a profile applies",
            Lookup::NotNeeded => "no profile was looked for",
        }
    }

    /// The profile, when one applies.
    pub fn into_profile(self) -> Option<Profile> {
        match self {
            Lookup::Found(p) => Some(p),
            Lookup::NotNeeded | Lookup::Missing(_) => None,
        }
    }
}

/// Finds the profile that applies: the named one (`--profile`, `MONGODB_ATLAS_PROFILE`), else
/// the default one when `credentials_open` (no flag or variable gave any part of a credential).
///
/// # Errors
/// A named profile or its file does not exist, or the file cannot be read or parsed.
pub fn lookup(args: &ConnectionArgs, credentials_open: bool) -> Result<Lookup> {
    let named = args
        .profile
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if named.is_none() && !credentials_open {
        return Ok(Lookup::NotNeeded);
    }
    let path = args
        .atlascli_config
        .clone()
        .or_else(|| default_path(|name| std::env::var_os(name)));
    let Some(path) = path else {
        let why = "no home folder is set (HOME, or APPDATA on Windows), so there is no Atlas CLI config file to read";
        return match named {
            Some(name) => bail!("--profile {name}: {why}"),
            None => Ok(Lookup::Missing(why.into())),
        };
    };
    let name = named.unwrap_or(DEFAULT_PROFILE);
    let Some(file) = ConfigFile::read(&path)? else {
        return match named {
            Some(name) => bail!(
                "--profile {name}: {} does not exist; create the profile with `atlas config init --profile {name}`, or give credentials with flags or environment variables",
                path.display()
            ),
            None => Ok(Lookup::Missing(format!(
                "{} does not exist",
                path.display()
            ))),
        };
    };
    match file.profile(name)? {
        Some(profile) => {
            tracing::info!(profile = %profile.name, file = %path.display(), "Atlas CLI profile read");
            Ok(Lookup::Found(profile))
        }
        None if named.is_some() => bail!(
            "--profile {name}: {} has no profile of that name; {}",
            path.display(),
            file.listing()
        ),
        None => Ok(Lookup::Missing(format!(
            "{} has no [{DEFAULT_PROFILE}] profile; {}",
            path.display(),
            file.listing()
        ))),
    }
}

/// The orgs and projects to read: the command line's (flags or variables) when it names any,
/// else the profile's `org_id` and `project_id`.
pub fn scope(
    orgs: &[String],
    projects: &[String],
    profile: Option<&Profile>,
) -> (Vec<String>, Vec<String>) {
    match profile {
        Some(p) if orgs.is_empty() && projects.is_empty() => {
            if p.org_id.is_some() || p.project_id.is_some() {
                tracing::info!(
                    profile = %p.name,
                    org = p.org_id.as_deref().unwrap_or(""),
                    project = p.project_id.as_deref().unwrap_or(""),
                    "scope from the Atlas CLI profile"
                );
            }
            (
                p.org_id.iter().cloned().collect(),
                p.project_id.iter().cloned().collect(),
            )
        }
        _ => (orgs.to_vec(), projects.to_vec()),
    }
}

/// Where the Atlas CLI keeps its config file for this user, given a way to read environment
/// variables: `$XDG_CONFIG_HOME/atlascli/config.toml` or `~/.config/atlascli/config.toml` on
/// Linux and other Unix systems, `~/Library/Application Support/atlascli/config.toml` on macOS,
/// `%AppData%\atlascli\config.toml` on Windows. `None` without a home folder.
pub fn default_path(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let set = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let folder = if cfg!(windows) {
        set("APPDATA")?
    } else if cfg!(target_os = "macos") {
        set("HOME")?.join("Library").join("Application Support")
    } else {
        match set("XDG_CONFIG_HOME").filter(|p| p.is_absolute()) {
            Some(xdg) => xdg,
            None => set("HOME")?.join(".config"),
        }
    };
    Some(folder.join("atlascli").join("config.toml"))
}

/// The profiles of one Atlas CLI config file, as TOML tables by name. Top-level keys that are
/// not tables are the Atlas CLI's global settings and are skipped.
pub struct ConfigFile {
    path: PathBuf,
    profiles: BTreeMap<String, toml::Table>,
}

impl ConfigFile {
    /// Reads and parses the file; `None` when it does not exist.
    ///
    /// # Errors
    /// The file cannot be read or is not TOML. The message gives the line and the parser's
    /// complaint but never the line's text, which may hold a secret.
    pub fn read(path: &Path) -> Result<Option<ConfigFile>> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "cannot read the Atlas CLI config file {}; fix its permissions, or point ATLAS_AUDIT_ATLASCLI_CONFIG at another file",
                        path.display()
                    )
                });
            }
        };
        let table: toml::Table = match text.parse() {
            Ok(table) => table,
            Err(e) => {
                let e: toml::de::Error = e;
                let line = e
                    .span()
                    .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
                bail!(
                    "the Atlas CLI config file {}{} is not valid TOML: {}; correct it, or run `atlas config init` again",
                    path.display(),
                    line.map(|l| format!(" line {l}")).unwrap_or_default(),
                    e.message().trim_end()
                );
            }
        };
        let profiles = table
            .into_iter()
            .filter_map(|(name, value)| match value {
                toml::Value::Table(t) => Some((name, t)),
                _ => None,
            })
            .collect();
        Ok(Some(ConfigFile {
            path: path.to_path_buf(),
            profiles,
        }))
    }

    /// The profile names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.profiles.keys().map(String::as_str).collect()
    }

    /// "it has profiles a, b" or "it has no profiles", for messages.
    fn listing(&self) -> String {
        if self.profiles.is_empty() {
            "it has no profiles".into()
        } else {
            format!("it has profiles {}", self.names().join(", "))
        }
    }

    /// One profile, when the file has it.
    ///
    /// # Errors
    /// A key the profile needs holds something other than a string.
    pub fn profile(&self, name: &str) -> Result<Option<Profile>> {
        let Some(table) = self.profiles.get(name) else {
            return Ok(None);
        };
        let get = |key: &str| -> Result<Option<String>> {
            match table.get(key) {
                None => Ok(None),
                Some(toml::Value::String(s)) => {
                    let s = s.trim();
                    Ok((!s.is_empty()).then(|| s.to_string()))
                }
                Some(other) => bail!(
                    "the Atlas CLI config file {}: [{name}] {key} holds a TOML {}, not a string; correct it there",
                    self.path.display(),
                    other.type_str()
                ),
            }
        };
        let base_url = match get("ops_manager_url")? {
            Some(url) => Some(url),
            None => get("service")?
                .filter(|s| s.eq_ignore_ascii_case("cloudgov"))
                .map(|_| CLOUDGOV_URL.to_string()),
        };
        Ok(Some(Profile {
            name: name.to_string(),
            file: self.path.clone(),
            public_api_key: get("public_api_key")?,
            private_api_key: get("private_api_key")?.map(SecretString::from),
            client_id: get("client_id")?,
            client_secret: get("client_secret")?.map(SecretString::from),
            org_id: get("org_id")?,
            project_id: get("project_id")?,
            base_url,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
skip_update_check = true

[default]
  org_id = "5f0000000000000000000001"
  public_api_key = "defaultpub"
  private_api_key = "DEFAULT-PRIVATE-SENTINEL"
  service = "cloud"

[work]
  client_id = "mdb_sa_id_work"
  client_secret = "WORK-SECRET-SENTINEL"
  project_id = "6a0000000000000000000002"
  ops_manager_url = "http://127.0.0.1:9999/"

[gov]
  public_api_key = "govpub"
  service = "cloudgov"

[login]
  auth_type = "user_account"
  access_token = "ey..."
"#;

    fn config_file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn args(path: &Path, profile: Option<&str>) -> ConnectionArgs {
        ConnectionArgs {
            profile: profile.map(str::to_string),
            atlascli_config: Some(path.to_path_buf()),
            ..ConnectionArgs::default()
        }
    }

    fn found(lookup: Lookup) -> Profile {
        match lookup {
            Lookup::Found(p) => p,
            other => panic!("expected a profile, got {other:?}"),
        }
    }

    #[test]
    fn the_default_profile_applies_when_credentials_are_open() {
        let (_dir, path) = config_file(CONFIG);
        let p = found(lookup(&args(&path, None), true).unwrap());
        assert_eq!(p.name, "default");
        assert_eq!(p.org_id.as_deref(), Some("5f0000000000000000000001"));
        assert_eq!(p.base_url, None, "service cloud keeps the default URL");
        let c = p.credentials().unwrap();
        assert_eq!((c.kind(), c.identity()), ("api_key", "defaultpub"));
    }

    #[test]
    fn no_profile_is_read_when_credentials_are_given_and_none_is_named() {
        let (_dir, path) = config_file("not = [valid");
        assert!(matches!(
            lookup(&args(&path, None), false).unwrap(),
            Lookup::NotNeeded
        ));
    }

    #[test]
    fn a_named_profile_is_read_even_when_credentials_are_given() {
        let (_dir, path) = config_file(CONFIG);
        let p = found(lookup(&args(&path, Some("work")), false).unwrap());
        assert_eq!(p.base_url.as_deref(), Some("http://127.0.0.1:9999/"));
        assert_eq!(p.project_id.as_deref(), Some("6a0000000000000000000002"));
        let c = p.credentials().unwrap();
        assert_eq!(
            (c.kind(), c.identity()),
            ("service_account", "mdb_sa_id_work")
        );
    }

    #[test]
    fn an_unknown_profile_names_the_file_and_lists_the_profiles() {
        let (_dir, path) = config_file(CONFIG);
        let err = lookup(&args(&path, Some("prod")), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--profile prod"), "{err}");
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(
            err.contains("it has profiles default, gov, login, work"),
            "{err}"
        );
        assert!(
            !err.contains("skip_update_check"),
            "settings are no profile: {err}"
        );
    }

    #[test]
    fn a_missing_file_is_no_credentials_unless_a_profile_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.toml");
        match lookup(&args(&path, None), true).unwrap() {
            Lookup::Missing(why) => {
                assert!(
                    why.contains("absent.toml") && why.contains("does not exist"),
                    "{why}"
                );
            }
            other => panic!("{other:?}"),
        }
        let err = lookup(&args(&path, Some("work")), true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("absent.toml") && err.contains("atlas config init --profile work"),
            "{err}"
        );
    }

    #[test]
    fn a_file_without_a_default_profile_says_what_it_has() {
        let (_dir, path) = config_file("[work]\npublic_api_key = \"a\"\n");
        match lookup(&args(&path, None), true).unwrap() {
            Lookup::Missing(why) => {
                assert!(
                    why.contains("no [default] profile; it has profiles work"),
                    "{why}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cloudgov_and_half_credentials_and_logins() {
        let (_dir, path) = config_file(CONFIG);
        let gov = found(lookup(&args(&path, Some("gov")), true).unwrap());
        assert_eq!(gov.base_url.as_deref(), Some(CLOUDGOV_URL));
        let err = gov.credentials().unwrap_err().to_string();
        assert!(
            err.contains("[gov]") && err.contains("no private_api_key"),
            "{err}"
        );
        let login = found(lookup(&args(&path, Some("login")), true).unwrap());
        let err = login.credentials().unwrap_err().to_string();
        assert!(err.contains("holds no API key"), "{err}");
    }

    #[test]
    fn debug_and_errors_never_show_a_secret() {
        let (_dir, path) = config_file(CONFIG);
        let p = found(lookup(&args(&path, None), true).unwrap());
        let w = found(lookup(&args(&path, Some("work")), true).unwrap());
        for shown in [
            format!("{p:?}"),
            format!("{w:?}"),
            format!("{:?}", p.credentials()),
        ] {
            assert!(!shown.contains("SENTINEL"), "{shown}");
        }
        assert!(
            format!("{p:?}").contains("defaultpub"),
            "the public key is shown"
        );

        let (_dir, broken) = config_file("[default]\nprivate_api_key = \"BROKEN-SENTINEL\n");
        let err = lookup(&args(&broken, None), true).unwrap_err().to_string();
        assert!(
            err.contains("line 2") && err.contains("not valid TOML"),
            "{err}"
        );
        assert!(!err.contains("SENTINEL"), "{err}");

        let (_dir, typed) = config_file("[default]\nprivate_api_key = 12345\n");
        let err = lookup(&args(&typed, None), true).unwrap_err().to_string();
        assert!(
            err.contains("[default] private_api_key holds a TOML integer"),
            "{err}"
        );
        assert!(!err.contains("12345"), "{err}");
    }

    #[test]
    fn the_command_line_scope_wins_over_the_profile() {
        let (_dir, path) = config_file(CONFIG);
        let p = found(lookup(&args(&path, None), true).unwrap());
        let none: Vec<String> = Vec::new();
        assert_eq!(
            scope(&none, &none, Some(&p)),
            (vec!["5f0000000000000000000001".to_string()], vec![])
        );
        let project = vec!["6a00".to_string()];
        assert_eq!(scope(&none, &project, Some(&p)), (vec![], project.clone()));
        assert_eq!(scope(&none, &none, None), (vec![], vec![]));
    }

    #[test]
    fn the_config_file_lives_where_the_atlas_cli_keeps_it() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        if cfg!(windows) {
            assert_eq!(
                default_path(env(&[("APPDATA", r"C:\Users\a\AppData\Roaming")])),
                Some(PathBuf::from(
                    r"C:\Users\a\AppData\Roaming\atlascli\config.toml"
                ))
            );
        } else if cfg!(target_os = "macos") {
            assert_eq!(
                default_path(env(&[("HOME", "/Users/a")])),
                Some(PathBuf::from(
                    "/Users/a/Library/Application Support/atlascli/config.toml"
                ))
            );
        } else {
            assert_eq!(
                default_path(env(&[("HOME", "/home/a"), ("XDG_CONFIG_HOME", "/xdg")])),
                Some(PathBuf::from("/xdg/atlascli/config.toml"))
            );
            assert_eq!(
                default_path(env(&[("HOME", "/home/a"), ("XDG_CONFIG_HOME", "")])),
                Some(PathBuf::from("/home/a/.config/atlascli/config.toml"))
            );
            assert_eq!(
                default_path(env(&[("HOME", "/home/a"), ("XDG_CONFIG_HOME", "rel")])),
                Some(PathBuf::from("/home/a/.config/atlascli/config.toml")),
                "a relative XDG_CONFIG_HOME is ignored"
            );
        }
        assert_eq!(default_path(env(&[])), None);
    }
}
