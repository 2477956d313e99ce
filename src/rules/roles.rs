//! What the rules know about Atlas and MongoDB roles: which exist, which are read-only, and the
//! lesser role to recommend. Roles are an open set: a role not listed here is shown as it is
//! and reported as unknown, never dropped or guessed at.

/// Org roles Atlas publishes.
pub const ORG_ROLES: &[&str] = &[
    "ORG_OWNER",
    "ORG_GROUP_CREATOR",
    "ORG_BILLING_ADMIN",
    "ORG_BILLING_READ_ONLY",
    "ORG_STREAM_PROCESSING_ADMIN",
    "ORG_READ_ONLY",
    "ORG_MEMBER",
];

/// Project roles Atlas publishes in its API, and those its documentation names.
pub const PROJECT_ROLES: &[&str] = &[
    "GROUP_OWNER",
    "GROUP_READ_ONLY",
    "GROUP_DATA_ACCESS_ADMIN",
    "GROUP_DATA_ACCESS_READ_WRITE",
    "GROUP_DATA_ACCESS_READ_ONLY",
    "GROUP_DATABASE_ACCESS_ADMIN",
    "GROUP_CLUSTER_MANAGER",
    "GROUP_SEARCH_INDEX_EDITOR",
    "GROUP_STREAM_PROCESSING_OWNER",
    "GROUP_BACKUP_MANAGER",
    "GROUP_OBSERVABILITY_VIEWER",
    "GROUP_ACCESS_MANAGER",
    "GROUP_NETWORK_ACCESS_MANAGER",
    "GROUP_REPLICA_SET_MANAGER",
    "GROUP_CLUSTER_CREATOR",
    "GROUP_CLUSTER_LOG_VIEWER",
    "GROUP_CLUSTER_RESILIENCE_TESTER",
    "GROUP_BACKUP_CREATOR",
    "GROUP_BACKUP_RECOVERY_OPERATOR",
    "GROUP_BACKUP_EXPORT_OPERATOR",
    "GROUP_TRIGGER_MANAGER",
    "GROUP_INDEX_MANAGER",
    "GROUP_REAL_TIME_PERFORMANCE_OPERATOR",
    "GROUP_SUPPORT_ACCESS_MANAGER",
    "GROUP_ALERTS_MANAGER",
    "GROUP_MODEL_OWNER",
];

/// Built-in database roles Atlas lets a database user hold.
pub const BUILT_IN_DATABASE_ROLES: &[&str] = &[
    "atlasAdmin",
    "backup",
    "clusterMonitor",
    "dbAdmin",
    "dbAdminAnyDatabase",
    "enableSharding",
    "read",
    "readAnyDatabase",
    "readWrite",
    "readWriteAnyDatabase",
];

/// Built-in database roles that write or administer (DBUSER_UNSCOPED looks for these).
pub const WRITE_OR_ADMIN_DATABASE_ROLES: &[&str] = &[
    "atlasAdmin",
    "dbAdmin",
    "dbAdminAnyDatabase",
    "enableSharding",
    "readWrite",
    "readWriteAnyDatabase",
];

/// Custom-role actions that write or administer, so a custom role holding one counts as a
/// write role for DBUSER_UNSCOPED.
pub const WRITE_ACTIONS: &[&str] = &[
    "INSERT",
    "REMOVE",
    "UPDATE",
    "BYPASS_DOCUMENT_VALIDATION",
    "CREATE_COLLECTION",
    "CREATE_INDEX",
    "DROP_COLLECTION",
    "DROP_DATABASE",
    "DROP_INDEX",
    "RENAME_COLLECTION_SAME_DB",
    "COLL_MOD",
    "CONVERT_TO_CAPPED",
    "COMPACT",
    "RE_INDEX",
    "KILL_OP",
    "KILL_ANY_CURSOR",
    "KILL_ANY_SESSION",
    "SET_USER_WRITE_BLOCK",
    "BYPASS_USER_WRITE_BLOCK",
    "OUT_TO_S3",
    "OUT_TO_AZURE",
    "OUT_TO_GCS",
    "STORAGE_SET_CONFIG",
    "ENABLE_SHARDING",
    "MOVE_CHUNK",
    "SPLIT_CHUNK",
    "RESHARD_COLLECTION",
    "REFINE_COLLECTION_SHARD_KEY",
    "SQL_SET_SCHEMA",
];

/// Whether Atlas publishes this org or project role.
pub fn is_known_atlas_role(role: &str) -> bool {
    ORG_ROLES.contains(&role) || PROJECT_ROLES.contains(&role)
}

/// Whether this is a built-in database role.
pub fn is_built_in_database_role(role: &str) -> bool {
    BUILT_IN_DATABASE_ROLES.contains(&role)
}

/// The read-only project role to recommend in place of a privileged one: data roles fall to
/// data read-only, the rest to project read-only.
pub fn read_only_instead_of(project_role: &str) -> &'static str {
    match project_role {
        "GROUP_DATA_ACCESS_ADMIN" | "GROUP_DATA_ACCESS_READ_WRITE" => "GROUP_DATA_ACCESS_READ_ONLY",
        _ => "GROUP_READ_ONLY",
    }
}

/// The lesser built-in database role to recommend in place of an any-database or admin one.
pub fn lesser_database_role(role: &str) -> &'static str {
    match role {
        "readAnyDatabase" => "read on the databases it needs",
        "clusterMonitor" => "a custom role with only the monitoring actions it needs",
        "backup" => "a dedicated backup identity with an exemption",
        _ => "readWrite (or read) on the databases it needs",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_hold_no_duplicates_and_read_only_is_never_privileged() {
        for list in [
            ORG_ROLES,
            PROJECT_ROLES,
            BUILT_IN_DATABASE_ROLES,
            WRITE_ACTIONS,
        ] {
            let mut v = list.to_vec();
            v.sort();
            v.dedup();
            assert_eq!(v.len(), list.len());
        }
        let privileged = crate::rules::policy::Roles::default().privileged_project_roles;
        for r in &privileged {
            assert!(is_known_atlas_role(r), "{r}");
            assert!(!privileged.contains(&read_only_instead_of(r).to_string()));
        }
        assert!(!is_known_atlas_role("GROUP_SOMETHING_NEW"));
        assert_eq!(
            read_only_instead_of("GROUP_DATA_ACCESS_ADMIN"),
            "GROUP_DATA_ACCESS_READ_ONLY"
        );
    }
}
