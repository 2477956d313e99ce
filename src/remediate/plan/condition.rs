//! What must hold on a check GET's answer before a step is applied and after: evaluated on the
//! response shapes of the Atlas reads the steps name (`getOrgUser`, `getGroupUser`,
//! `getOrgApiKey`, `getOrgServiceAccount`, `getGroupServiceAccount`, `getGroupTeam`,
//! `getGroupDatabaseUser`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A database role as `getGroupDatabaseUser` lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct DbRole {
    /// `roleName`.
    pub role: String,
    /// `databaseName`.
    pub database: String,
    /// `collectionName`, when narrowed.
    pub collection: Option<String>,
}

/// A test on the answer of a check GET (a 404 is no answer: the object is gone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    /// The object exists.
    Present,
    /// The object is gone (404).
    Absent,
    /// The role is held: on the org (no `project_id`) or on that project. Read from
    /// `roles.orgRoles` / `roles.groupRoleAssignments` (org user), a flat `roles` list of
    /// names (project user, service account), or `roles[{roleName, orgId|groupId}]` (API key).
    RoleHeld {
        /// The role.
        role: String,
        /// The project, for a project role on an org-level object.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        project_id: Option<String>,
    },
    /// The roles held at that scope are exactly these (any order), read as for `role_held`:
    /// what a step that removes a whole membership requires, so that a role given since the
    /// snapshot is never taken away with it.
    RolesExactly {
        /// The roles.
        roles: Vec<String>,
        /// The project, for project roles on an org-level object.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        project_id: Option<String>,
    },
    /// The org user is a member of the team (`teamIds`).
    TeamMember {
        /// Team id.
        team_id: String,
    },
    /// The team's roles on the project are exactly these (`roleNames`, any order).
    TeamProjectRoles {
        /// Role names.
        roles: Vec<String>,
    },
    /// The database user's roles are exactly these (any order).
    DbUserRoles {
        /// Roles.
        roles: Vec<DbRole>,
    },
    /// The condition does not hold (a 404 makes any role not held).
    Not {
        /// The condition negated.
        of: Box<Condition>,
    },
    /// Every condition holds.
    All {
        /// The conditions.
        of: Vec<Condition>,
    },
}

/// `!c` is [`Condition::Not`] of `c`.
impl std::ops::Not for Condition {
    type Output = Condition;

    fn not(self) -> Condition {
        Condition::Not { of: Box::new(self) }
    }
}

impl Condition {
    /// Whether the condition holds on a check's answer (`None`: 404).
    pub fn holds(&self, read: Option<&Value>) -> bool {
        match self {
            Condition::Present => read.is_some(),
            Condition::Absent => read.is_none(),
            Condition::Not { of } => !of.holds(read),
            Condition::All { of } => of.iter().all(|c| c.holds(read)),
            Condition::RoleHeld { role, project_id } => {
                read.is_some_and(|v| role_held(v, role, project_id.as_deref()))
            }
            Condition::RolesExactly { roles, project_id } => {
                read.is_some_and(|v| same_set(roles_held(v, project_id.as_deref()), roles.clone()))
            }
            Condition::TeamMember { team_id } => {
                read.is_some_and(|v| strings(v.get("teamIds")).iter().any(|t| t == team_id))
            }
            Condition::TeamProjectRoles { roles } => {
                read.is_some_and(|v| same_set(strings(v.get("roleNames")), roles.clone()))
            }
            Condition::DbUserRoles { roles } => read.is_some_and(|v| {
                let held: Vec<DbRole> = v
                    .get("roles")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(db_role).collect())
                    .unwrap_or_default();
                same_set(held, roles.clone())
            }),
        }
    }
}

/// The strings of a JSON array (others skipped).
fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn same_set<T: Ord>(mut a: Vec<T>, mut b: Vec<T>) -> bool {
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    a == b
}

fn db_role(v: &Value) -> Option<DbRole> {
    Some(DbRole {
        role: v.get("roleName")?.as_str()?.to_string(),
        database: v.get("databaseName")?.as_str()?.to_string(),
        collection: v
            .get("collectionName")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_string),
    })
}

/// Whether a role is held, whichever of the role shapes the answer has.
fn role_held(v: &Value, role: &str, project: Option<&str>) -> bool {
    roles_held(v, project).iter().any(|r| r == role)
}

/// The roles held at the org (no `project`) or on the project, whichever of the role shapes
/// the answer has.
fn roles_held(v: &Value, project: Option<&str>) -> Vec<String> {
    let Some(roles) = v.get("roles") else {
        return Vec::new();
    };
    // OrgUserResponse: roles.orgRoles and roles.groupRoleAssignments.
    if roles.is_object() {
        return match project {
            None => strings(roles.get("orgRoles")),
            Some(p) => roles
                .get("groupRoleAssignments")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter(|g| g.get("groupId").and_then(Value::as_str) == Some(p))
                        .flat_map(|g| strings(g.get("groupRoles")))
                        .collect()
                })
                .unwrap_or_default(),
        };
    }
    let Some(list) = roles.as_array() else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|r| match r {
            // GroupUserResponse, service accounts: a flat list of names, already of one scope.
            Value::String(name) => Some(name.clone()),
            // ApiKeyUserDetails: roleName with orgId or groupId.
            Value::Object(_) => {
                let at_scope = match project {
                    None => r.get("groupId").is_none_or(Value::is_null),
                    Some(p) => r.get("groupId").and_then(Value::as_str) == Some(p),
                };
                r.get("roleName")
                    .and_then(Value::as_str)
                    .filter(|_| at_scope)
                    .map(str::to_string)
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::ops::Not as _;

    use serde_json::json;

    use super::*;

    fn held(role: &str, project: Option<&str>) -> Condition {
        Condition::RoleHeld {
            role: role.into(),
            project_id: project.map(str::to_string),
        }
    }

    #[test]
    fn exact_roles_fail_when_a_role_was_added_since() {
        let exactly = |roles: &[&str], project: Option<&str>| Condition::RolesExactly {
            roles: roles.iter().map(|r| r.to_string()).collect(),
            project_id: project.map(str::to_string),
        };
        let user = json!({
            "roles": {
                "orgRoles": ["ORG_MEMBER"],
                "groupRoleAssignments": [{"groupId": "p1", "groupRoles": ["GROUP_READ_ONLY", "GROUP_OWNER"]}]
            }
        });
        assert!(exactly(&["GROUP_OWNER", "GROUP_READ_ONLY"], Some("p1")).holds(Some(&user)));
        assert!(!exactly(&["GROUP_READ_ONLY"], Some("p1")).holds(Some(&user)));
        assert!(exactly(&["ORG_MEMBER"], None).holds(Some(&user)));
        assert!(!exactly(&["ORG_MEMBER"], None).holds(None));
        let group_user = json!({"roles": ["GROUP_READ_ONLY"]});
        assert!(exactly(&["GROUP_READ_ONLY"], Some("p1")).holds(Some(&group_user)));
        let key = json!({"roles": [{"roleName": "GROUP_OWNER", "groupId": "p1"}, {"roleName": "ORG_MEMBER", "orgId": "o1"}]});
        assert!(exactly(&["GROUP_OWNER"], Some("p1")).holds(Some(&key)));
        assert!(exactly(&["ORG_MEMBER"], None).holds(Some(&key)));
    }

    #[test]
    fn org_user_roles_are_read_from_both_lists() {
        let user = json!({
            "id": "u1", "username": "dana@example.com", "orgMembershipStatus": "ACTIVE",
            "roles": {
                "orgRoles": ["ORG_MEMBER"],
                "groupRoleAssignments": [{"groupId": "p1", "groupRoles": ["GROUP_OWNER"]}]
            },
            "teamIds": ["t1"]
        });
        assert!(held("ORG_MEMBER", None).holds(Some(&user)));
        assert!(!held("ORG_OWNER", None).holds(Some(&user)));
        assert!(held("GROUP_OWNER", Some("p1")).holds(Some(&user)));
        assert!(!held("GROUP_OWNER", Some("p2")).holds(Some(&user)));
        assert!(!held("GROUP_OWNER", None).holds(Some(&user)));
        let team = |t: &str| Condition::TeamMember { team_id: t.into() };
        assert!(team("t1").holds(Some(&user)));
        assert!(!team("t2").holds(Some(&user)));
        assert!(team("t2").not().holds(Some(&user)));
    }

    #[test]
    fn a_404_holds_nothing_but_absence() {
        assert!(!held("ORG_MEMBER", None).holds(None));
        assert!(held("ORG_MEMBER", None).not().holds(None));
        assert!(Condition::Absent.holds(None));
        assert!(!Condition::Present.holds(None));
        assert!(!Condition::Absent.holds(Some(&json!({}))));
    }

    #[test]
    fn flat_role_lists_of_project_users_and_service_accounts() {
        let group_user = json!({"id": "u1", "roles": ["GROUP_READ_ONLY", "GROUP_OWNER"]});
        assert!(held("GROUP_OWNER", Some("p1")).holds(Some(&group_user)));
        assert!(!held("GROUP_CLUSTER_MANAGER", None).holds(Some(&group_user)));
        let sa = json!({"clientId": "mdb_sa_id_1", "roles": ["ORG_MEMBER"], "secrets": []});
        assert!(held("ORG_MEMBER", None).holds(Some(&sa)));
    }

    #[test]
    fn api_key_roles_tell_org_from_project() {
        let key = json!({"id": "k1", "publicKey": "abcd", "roles": [
            {"orgId": "o1", "roleName": "ORG_MEMBER"},
            {"groupId": "p1", "roleName": "GROUP_OWNER"}
        ]});
        assert!(held("ORG_MEMBER", None).holds(Some(&key)));
        assert!(held("GROUP_OWNER", Some("p1")).holds(Some(&key)));
        assert!(!held("GROUP_OWNER", None).holds(Some(&key)));
        assert!(!held("GROUP_OWNER", Some("p2")).holds(Some(&key)));
    }

    #[test]
    fn team_and_database_user_role_sets_compare_in_any_order() {
        let team = json!({"teamId": "t1", "roleNames": ["GROUP_READ_ONLY", "GROUP_OWNER"]});
        let c = |r: &[&str]| Condition::TeamProjectRoles {
            roles: r.iter().map(|s| s.to_string()).collect(),
        };
        assert!(c(&["GROUP_OWNER", "GROUP_READ_ONLY"]).holds(Some(&team)));
        assert!(!c(&["GROUP_OWNER"]).holds(Some(&team)));
        let user = json!({"username": "app", "databaseName": "admin", "roles": [
            {"roleName": "readWrite", "databaseName": "sales", "collectionName": ""},
            {"roleName": "read", "databaseName": "hr", "collectionName": "pay"}
        ]});
        let r = |role: &str, db: &str, c: Option<&str>| DbRole {
            role: role.into(),
            database: db.into(),
            collection: c.map(str::to_string),
        };
        let roles = Condition::DbUserRoles {
            roles: vec![r("read", "hr", Some("pay")), r("readWrite", "sales", None)],
        };
        assert!(roles.holds(Some(&user)));
        let fewer = Condition::DbUserRoles {
            roles: vec![r("read", "hr", Some("pay"))],
        };
        assert!(!fewer.holds(Some(&user)));
        assert!(
            Condition::All {
                of: vec![Condition::Present, roles]
            }
            .holds(Some(&user))
        );
    }

    #[test]
    fn conditions_round_trip_through_json() {
        let c = held("GROUP_OWNER", Some("p1")).not();
        let text = serde_json::to_string(&c).unwrap();
        assert!(text.contains("\"kind\":\"not\""), "{text}");
        assert_eq!(serde_json::from_str::<Condition>(&text).unwrap(), c);
    }
}
