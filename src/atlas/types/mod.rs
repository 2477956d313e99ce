//! Wire types: what Atlas sends, field for field. Every field Atlas may omit is an `Option` (or
//! defaults to empty), unknown fields are ignored, and enums Atlas may extend are plain strings.
//! Turning these into the audit's own model is `collect`'s job. They serialise under the same
//! names, so a test can hold what was read against what was sent (`tests/it/recordings.rs`).
//! One file per part of the API: `org` (who holds access in an organization), `project` (what
//! a project runs and who may reach it), `database` (database users and roles), `activity`
//! (access logs and events), `access` (per-project invitations, LDAP and X.509, database-user
//! certificates, cloud-provider roles); the paging envelope and listing identities are here.

use serde::{Deserialize, Serialize};

mod access;
mod activity;
mod database;
mod federation;
mod org;
mod project;

pub use access::*;
pub use activity::*;
pub use database::*;
pub use federation::*;
pub use org::*;
pub use project::*;

/// The paginated envelope. Only `results` is required; `totalCount` comes with `includeCount`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// This page's items.
    pub results: Vec<T>,
    /// Atlas's estimate of the whole listing's size.
    pub total_count: Option<u64>,
}

/// An item of a paged listing, known by the identity Atlas gives it. Two copies of one identity
/// in one read of a listing are one item served twice, as when an insertion moves every later
/// page down by one while the listing is read.
pub trait ListingItem {
    /// The item's identity within its listing; `None` when it carries none (then it is never
    /// taken for a copy of another).
    fn identity(&self) -> Option<String>;
}

macro_rules! identified_by {
    ($($ty:ty => |$item:ident| $key:expr;)*) => {
        $(impl ListingItem for $ty {
            fn identity(&self) -> Option<String> {
                let $item = self;
                $key
            }
        })*
    };
}

identified_by! {
    Organization => |o| Some(o.id.clone());
    Project => |p| Some(p.id.clone());
    OrgUser => |u| Some(u.id.clone());
    Team => |t| Some(t.id.clone());
    TeamRole => |t| Some(t.team_id.clone());
    ApiKey => |k| Some(k.id.clone());
    AccessEntry => |e| e.cidr_block.clone().or_else(|| e.ip_address.clone());
    ServiceAccount => |s| Some(s.client_id.clone());
    ServiceAccountProject => |p| Some(p.group_id.clone());
    NetworkEntry => |e| {
        e.cidr_block.clone().or_else(|| e.ip_address.clone()).or_else(|| e.aws_security_group.clone())
    };
    Cluster => |c| Some(c.name.clone());
    // Atlas names a database user by its authentication database and user name together.
    DatabaseUser => |u| Some(format!("{}/{}", u.database_name, u.username));
    Event => |e| Some(e.id.clone());
    FederationIdentityProvider => |i| Some(i.id.clone());
    ConnectedOrgConfig => |c| Some(c.org_id.clone());
    AuthFederationRoleMapping => |m| m.id.clone();
    GroupInvitation => |i| Some(i.id.clone());
    UserCert => |c| Some(c.id.to_string());
    serde_json::Value => |v| v.get("id").and_then(serde_json::Value::as_str).map(str::to_owned);
}

#[cfg(test)]
mod listing_item_tests {
    use super::*;

    #[test]
    fn identities_tell_items_apart() {
        let user = |db: &str, name: &str| -> DatabaseUser {
            serde_json::from_value(serde_json::json!({
                "username": name, "databaseName": db, "groupId": "g", "roles": []
            }))
            .unwrap()
        };
        assert_eq!(user("admin", "a").identity().as_deref(), Some("admin/a"));
        assert_ne!(
            user("admin", "a").identity(),
            user("$external", "a").identity()
        );
        let entry: NetworkEntry =
            serde_json::from_value(serde_json::json!({"ipAddress": "10.0.0.1"})).unwrap();
        assert_eq!(entry.identity().as_deref(), Some("10.0.0.1"));
        let blank: AccessEntry = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(blank.identity(), None);
        assert_eq!(
            serde_json::json!({"id": "x"}).identity().as_deref(),
            Some("x")
        );
        assert_eq!(serde_json::json!([1]).identity(), None);
    }
}
