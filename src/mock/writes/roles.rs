//! Which roles the caller holds, per org and project, and whether a write's required role is
//! among them. By default the caller may do everything; a world limits it with `caller_roles`
//! in `world.json` (`{"org:ID": ["ORG_MEMBER"], "project:ID": ["GROUP_READ_ONLY"]}`), a test
//! with [`World::with_caller_roles`](super::super::World::with_caller_roles).

use std::collections::BTreeMap;
use std::path::Path;

use axum::http::StatusCode;
use serde_json::Value;

use super::super::api_error::ApiError;
use super::super::world::{World, WorldError};
use super::{Need, WriteMatch, listing};

/// The caller's roles by scope (`org:ID`, `project:ID`). A scope not listed holds no role.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct CallerRoles(BTreeMap<String, Vec<String>>);

impl CallerRoles {
    /// No role anywhere.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same, also holding `roles` at `scope` (`org:ID` or `project:ID`).
    pub fn grant(mut self, scope: &str, roles: &[&str]) -> Self {
        self.0
            .entry(scope.to_owned())
            .or_default()
            .extend(roles.iter().map(|r| (*r).to_owned()));
        self
    }

    fn holds(&self, scope: &str, role: &str) -> bool {
        self.0
            .get(scope)
            .is_some_and(|r| r.iter().any(|x| x == role))
    }

    /// Whether a caller with these roles meets `need` in `org` (and `project` of it).
    fn meets(&self, need: Need, org: Option<&str>, project: Option<&str>) -> bool {
        if org.is_some_and(|o| self.holds(&format!("org:{o}"), "ORG_OWNER")) {
            return true;
        }
        let Some(project) = project else {
            return false;
        };
        let scope = format!("project:{project}");
        let any = |roles: &[&str]| roles.iter().any(|r| self.holds(&scope, r));
        match need {
            Need::OrgOwner => false,
            Need::ProjectOwner => any(&["GROUP_OWNER"]),
            Need::ProjectAccessManager => any(&["GROUP_OWNER", "GROUP_ACCESS_MANAGER"]),
            Need::DatabaseAccessAdmin => any(&[
                "GROUP_OWNER",
                "GROUP_DATABASE_ACCESS_ADMIN",
                "GROUP_STREAM_PROCESSING_OWNER",
            ]),
        }
    }
}

/// `caller_roles` of `dir/world.json`, if it is there.
pub(crate) fn read_caller_roles(dir: &Path) -> Result<Option<CallerRoles>, WorldError> {
    let path = dir.join("world.json");
    let Ok(bytes) = std::fs::read(&path) else {
        return Ok(None);
    };
    let value: Value = serde_json::from_slice(&bytes).map_err(|cause| WorldError::Json {
        path: path.clone(),
        cause,
    })?;
    match value.get("caller_roles") {
        None | Some(Value::Null) => Ok(None),
        Some(roles) => serde_json::from_value(roles.clone())
            .map(Some)
            .map_err(|e| WorldError::Shape {
                path,
                message: format!(
                    "`caller_roles` must map \"org:ID\" or \"project:ID\" to a list of role names: {e}"
                ),
            }),
    }
}

/// 403 when the caller lacks the role the write needs.
pub(crate) fn check_role(world: &World, matched: &WriteMatch) -> Result<(), ApiError> {
    let Some(roles) = world.caller_roles() else {
        return Ok(());
    };
    let project = matched.params.get("groupId").map(String::as_str);
    let org = match matched.params.get("orgId") {
        Some(org) => Some(org.clone()),
        None => project.and_then(|p| listing::org_of(world, p)),
    };
    let need = matched.route.need;
    if roles.meets(need, org.as_deref(), project) {
        return Ok(());
    }
    let named = match need {
        Need::OrgOwner => "Organization Owner",
        Need::ProjectOwner => "Project Owner",
        Need::ProjectAccessManager => "Project Access Manager",
        Need::DatabaseAccessAdmin => "Project Database Access Admin",
    };
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "USER_UNAUTHORIZED",
        format!("The current credential lacks the {named} role this request needs."),
    )
    .with_parameters(vec![Value::from(named)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_json_limits_the_caller_or_leaves_it_unlimited() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_caller_roles(dir.path()).unwrap(), None);
        std::fs::write(
            dir.path().join("world.json"),
            r#"{"as_of": "2026-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(read_caller_roles(dir.path()).unwrap(), None);
        std::fs::write(
            dir.path().join("world.json"),
            r#"{"as_of": "2026-01-01T00:00:00Z", "caller_roles": {"org:o1": ["ORG_MEMBER"]}}"#,
        )
        .unwrap();
        let roles = read_caller_roles(dir.path()).unwrap().unwrap();
        assert_eq!(roles, CallerRoles::new().grant("org:o1", &["ORG_MEMBER"]));
        assert!(!roles.meets(Need::OrgOwner, Some("o1"), None));
        std::fs::write(
            dir.path().join("world.json"),
            r#"{"caller_roles": {"org:o1": "ORG_OWNER"}}"#,
        )
        .unwrap();
        let err = read_caller_roles(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("caller_roles") && err.contains("world.json"),
            "{err}"
        );
    }

    #[test]
    fn org_owner_meets_every_need_and_project_roles_their_own() {
        let roles = CallerRoles::new()
            .grant("org:o1", &["ORG_OWNER"])
            .grant("project:p2", &["GROUP_ACCESS_MANAGER"]);
        for need in [
            Need::OrgOwner,
            Need::ProjectOwner,
            Need::ProjectAccessManager,
            Need::DatabaseAccessAdmin,
        ] {
            assert!(roles.meets(need, Some("o1"), Some("p1")));
        }
        assert!(!roles.meets(Need::OrgOwner, Some("o2"), Some("p2")));
        assert!(roles.meets(Need::ProjectAccessManager, Some("o2"), Some("p2")));
        assert!(!roles.meets(Need::ProjectOwner, Some("o2"), Some("p2")));
        assert!(!roles.meets(Need::DatabaseAccessAdmin, Some("o2"), Some("p2")));
    }
}
