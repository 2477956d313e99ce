//! The check GETs: one object read out of the listings writes change, in Atlas's response
//! shape for that operation; 404 when it is gone.

use serde_json::Value;

use super::super::api_error::ApiError;
use super::super::routes::{Check, Matched};
use super::super::world::World;
use super::decode;
use super::listing::{get, get_clean, load, org_of};
use super::ops::{group_account, group_user};

/// The body of a check GET, or 404.
pub(crate) fn check(
    world: &World,
    check: Check,
    matched: &Matched<'_>,
) -> Result<Vec<u8>, ApiError> {
    let param = |name: &str| decode(matched.param(name).unwrap_or_default());
    let group = param("groupId");
    let org = match matched.param("orgId") {
        Some(org) => decode(org),
        None => org_of(world, &group).unwrap_or_default(),
    };
    let found: Option<Value> = match check {
        Check::OrgUser => get(world, &format!("/orgs/{org}/users"), "id", &param("userId")),
        Check::GroupUser => get(world, &format!("/orgs/{org}/users"), "id", &param("userId"))
            .and_then(|user| group_user(&user, &group)),
        Check::OrgApiKey => get(
            world,
            &format!("/orgs/{org}/apiKeys"),
            "id",
            &param("apiUserId"),
        ),
        Check::OrgServiceAccount => get(
            world,
            &format!("/orgs/{org}/serviceAccounts"),
            "clientId",
            &param("clientId"),
        ),
        Check::GroupServiceAccount => {
            let id = param("clientId");
            get(
                world,
                &format!("/orgs/{org}/serviceAccounts"),
                "clientId",
                &id,
            )
            .and_then(|account| {
                let roles = get(
                    world,
                    &format!("/orgs/{org}/serviceAccounts/{id}/groups"),
                    "groupId",
                    &group,
                )?;
                Some(group_account(&account, roles.get("roles")?))
            })
        }
        Check::GroupTeam => get(
            world,
            &format!("/groups/{group}/teams"),
            "teamId",
            &param("teamId"),
        ),
        Check::GroupDatabaseUser => {
            let (db, name) = (param("databaseName"), param("username"));
            load(world, &format!("/groups/{group}/databaseUsers"))
                .into_iter()
                .find(|u| {
                    u.get("databaseName").and_then(Value::as_str) == Some(db.as_str())
                        && u.get("username").and_then(Value::as_str) == Some(name.as_str())
                })
                .map(get_clean)
        }
        Check::OrgInvite => get(
            world,
            &format!("/orgs/{org}/invites"),
            "id",
            &param("invitationId"),
        ),
        Check::GroupInvite => get(
            world,
            &format!("/groups/{group}/invites"),
            "id",
            &param("invitationId"),
        ),
    };
    // A path that names nothing the world holds (recorded v2 404s may carry a null code).
    let path = matched
        .params
        .iter()
        .map(|(_, v)| *v)
        .collect::<Vec<_>>()
        .join("/");
    match found {
        Some(value) => Ok(value.to_string().into_bytes()),
        None => Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            format!("Cannot find resource {path}."),
        )
        .with_parameters(vec![Value::from(path)])),
    }
}
