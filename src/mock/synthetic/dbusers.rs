//! Synthetic database users (`CloudDatabaseUser`) of one project: services, people (some of
//! whom left the org), analysts, X.509, AWS IAM, OIDC and LDAP identities, and a few admins,
//! with scopes, temporary users and risky roles sprinkled in.

use std::collections::HashSet;

use serde::Serialize;

use super::Clock;
use super::kit::{APPS, DAY, FIRST_NAMES, LAST_NAMES, Link, Rng, raw, rfc3339, self_link};
use super::org::{OrgCtx, ProjectRef};
use crate::mock::world::WorldBuilder;

/// What a project's database users may refer to.
pub(crate) struct Scope<'a> {
    pub org: &'a OrgCtx,
    pub project: &'a ProjectRef,
    pub clusters: &'a [String],
    pub custom_roles: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Role<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    collection_name: Option<&'static str>,
    database_name: &'a str,
    role_name: &'a str,
}

#[derive(Serialize)]
struct UserScope<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Label {
    key: &'static str,
    value: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DbUser<'a> {
    #[serde(rename = "awsIAMType")]
    aws_iam_type: &'static str,
    database_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete_after_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    group_id: &'a str,
    labels: Vec<Label>,
    ldap_auth_type: &'static str,
    links: [Link; 1],
    oidc_auth_type: &'static str,
    roles: Vec<Role<'a>>,
    scopes: Vec<UserScope<'a>>,
    username: &'a str,
    x509_type: &'static str,
}

#[derive(Clone, Copy)]
enum Kind {
    Service,
    Person,
    Leaver,
    Analyst,
    X509,
    X509Managed,
    AwsIam,
    Oidc,
    Ldap,
    Admin,
    LooksTemporary,
}

const KINDS: &[(u32, Kind)] = &[
    (28, Kind::Service),
    (14, Kind::Person),
    (4, Kind::Leaver),
    (14, Kind::Analyst),
    (7, Kind::X509),
    (3, Kind::X509Managed),
    (10, Kind::AwsIam),
    (8, Kind::Oidc),
    (5, Kind::Ldap),
    (3, Kind::Admin),
    (4, Kind::LooksTemporary),
];

/// Percent-encodes a path segment (usernames hold `=`, `,`, `:`, `/`).
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds `/groups/{id}/databaseUsers` with `count` users and returns every (username,
/// authentication database), for access logs and events.
pub(crate) fn build(
    builder: &mut WorldBuilder,
    scope: &Scope<'_>,
    count: usize,
    clock: &Clock,
    rng: &mut Rng,
) -> Vec<(String, &'static str)> {
    let project = scope.project;
    let word = scope.org.domain.split('.').next().unwrap_or("corp");
    let mut seen: HashSet<String> = HashSet::with_capacity(count);
    let mut names = Vec::with_capacity(count);
    let mut items = Vec::with_capacity(count);
    for n in 0..count {
        let kind = *rng.weighted(KINDS);
        let app = APPS[rng.below(APPS.len())];
        let (mut username, database, auth) = identity(kind, scope, app, word, n, rng);
        if !seen.insert(username.clone()) {
            username = format!("{username}-{n}");
            seen.insert(username.clone());
        }
        let mut roles = base_roles(kind, app);
        if rng.chance(0.12) {
            let (role, db) = *rng.weighted(&[
                (2, ("atlasAdmin", "admin")),
                (3, ("readWriteAnyDatabase", "admin")),
                (2, ("dbAdminAnyDatabase", "admin")),
                (3, ("readAnyDatabase", "admin")),
                (1, ("backup", "admin")),
                (3, ("clusterMonitor", "admin")),
                (1, ("enableSharding", "admin")),
            ]);
            roles.push(Role {
                collection_name: None,
                database_name: db,
                role_name: role,
            });
        }
        if !scope.custom_roles.is_empty() && rng.chance(0.06) {
            roles.push(Role {
                collection_name: None,
                database_name: "admin",
                role_name: scope.custom_roles[rng.below(scope.custom_roles.len())].as_str(),
            });
        }
        let scopes = if matches!(kind, Kind::Admin) || rng.chance(0.4) {
            Vec::new()
        } else {
            vec![UserScope {
                name: scope.clusters[rng.below(scope.clusters.len())].as_str(),
                kind: "CLUSTER",
            }]
        };
        let temporary = rng.chance(0.03);
        let user = DbUser {
            aws_iam_type: auth.aws,
            database_name: database,
            delete_after_date: temporary.then(|| rfc3339(clock.now + rng.range(1, 14) * DAY)),
            description: rng.chance(0.3).then(|| format!("Used by {app}")),
            group_id: &project.id,
            labels: if rng.chance(0.2) {
                vec![Label {
                    key: "owner",
                    value: app,
                }]
            } else {
                Vec::new()
            },
            ldap_auth_type: auth.ldap,
            links: self_link(&format!(
                "/groups/{}/databaseUsers/{}/{}",
                project.id,
                segment(database),
                segment(&username)
            )),
            oidc_auth_type: auth.oidc,
            roles,
            scopes,
            username: &username,
            x509_type: auth.x509,
        };
        items.push(raw(&user));
        names.push((username, database));
    }
    builder.listing(format!("/groups/{}/databaseUsers", project.id), items);
    names
}

/// The four authentication-type fields; all `NONE` is a password (SCRAM) user.
struct Auth {
    aws: &'static str,
    ldap: &'static str,
    oidc: &'static str,
    x509: &'static str,
}

const SCRAM: Auth = Auth {
    aws: "NONE",
    ldap: "NONE",
    oidc: "NONE",
    x509: "NONE",
};

fn identity(
    kind: Kind,
    scope: &Scope<'_>,
    app: &str,
    word: &str,
    n: usize,
    rng: &mut Rng,
) -> (String, &'static str, Auth) {
    let external = "$external";
    match kind {
        Kind::Service => (format!("svc-{app}-{n}"), "admin", SCRAM),
        Kind::Person => {
            // The local part of someone in the org, who may be pending or gone.
            let people = &scope.org.people;
            let person = &people[rng.below(people.len())];
            let local = person.email.split('@').next().unwrap_or("someone");
            (local.to_owned(), "admin", SCRAM)
        }
        Kind::Leaver => {
            let first = FIRST_NAMES[rng.below(FIRST_NAMES.len())];
            let last = LAST_NAMES[rng.below(LAST_NAMES.len())];
            (format!("{first}.{last}.contractor"), "admin", SCRAM)
        }
        Kind::Analyst => (format!("analyst-{n}"), "admin", SCRAM),
        Kind::LooksTemporary => (format!("tmp-debug-{n}"), "admin", SCRAM),
        Kind::Admin => (format!("dbadmin-{n}"), "admin", SCRAM),
        Kind::X509 => (
            format!("CN={app}-client-{n},OU=apps,O={word}"),
            external,
            Auth {
                x509: "CUSTOMER",
                ..SCRAM
            },
        ),
        Kind::X509Managed => (
            format!("{app}-cert-{n}"),
            external,
            Auth {
                x509: "MANAGED",
                ..SCRAM
            },
        ),
        Kind::AwsIam => (
            format!(
                "arn:aws:iam::{:012}:role/{app}-{n}",
                100_000_000_000 + scope.org.index
            ),
            external,
            Auth {
                aws: "ROLE",
                ..SCRAM
            },
        ),
        Kind::Oidc => (
            format!(
                "{}/{app}-readers-{n}",
                &scope.org.id[..24.min(scope.org.id.len())]
            ),
            external,
            Auth {
                oidc: "IDP_GROUP",
                ..SCRAM
            },
        ),
        Kind::Ldap => (
            format!("CN={app}-dbas-{n},OU=groups,DC={word},DC=example"),
            external,
            Auth {
                ldap: "GROUP",
                ..SCRAM
            },
        ),
    }
}

fn base_roles<'a>(kind: Kind, app: &'static str) -> Vec<Role<'a>> {
    let role = |role_name, database_name| Role {
        collection_name: None,
        database_name,
        role_name,
    };
    match kind {
        Kind::Admin => vec![role("atlasAdmin", "admin")],
        Kind::Analyst => vec![
            role("read", app),
            Role {
                collection_name: Some("events"),
                database_name: "reporting",
                role_name: "read",
            },
        ],
        Kind::Oidc | Kind::Ldap => vec![role("read", app)],
        _ => vec![role("readWrite", app)],
    }
}
