//! The plan as `plan.json` carries it: serde types of the contract, and the digest over its
//! steps that lets `apply` refuse a plan edited after it was made.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::condition::Condition;

/// The plan format version.
pub const PLAN_SCHEMA_VERSION: u32 = 1;

/// A reviewable list of Atlas API calls, made offline from one snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Plan {
    /// Format version ([`PLAN_SCHEMA_VERSION`]).
    #[schemars(extend("const" = PLAN_SCHEMA_VERSION))]
    pub schema_version: u32,
    /// When the plan was made.
    pub made_at: Timestamp,
    /// The Atlas base URL the snapshot was read from; `apply` refuses another.
    pub base_url: String,
    /// The credential that read the snapshot (`api_key:<publicKey>` or
    /// `service_account:<clientId>`), which the plan never touches.
    pub credential: String,
    /// Orgs the plan touches or was asked about, sorted.
    pub orgs: Vec<String>,
    /// The snapshot the plan was made from.
    pub snapshot: SnapshotRef,
    /// What the plan was made from.
    pub source: Source,
    /// The calls, in the order they are to be applied.
    pub steps: Vec<Step>,
    /// What needs a person, with why.
    pub manual: Vec<Manual>,
    /// SHA-256 (hex) of the canonical JSON of `steps` and `manual` ([`Plan::digest_of`]).
    pub digest: String,
}

impl Plan {
    /// The digest over steps and manual entries: SHA-256 of their JSON as this crate writes
    /// it (fields in declaration order, no whitespace).
    pub fn digest_of(steps: &[Step], manual: &[Manual]) -> String {
        #[derive(Serialize)]
        struct Covered<'a> {
            steps: &'a [Step],
            manual: &'a [Manual],
        }
        // Serialising plain structs and JSON values cannot fail.
        let bytes = serde_json::to_vec(&Covered { steps, manual }).unwrap_or_default();
        crate::files::sha256_hex(&bytes)
    }

    /// Whether `digest` still matches the steps and manual entries: false when the plan file
    /// was edited after it was made.
    pub fn verify_digest(&self) -> bool {
        Plan::digest_of(&self.steps, &self.manual) == self.digest
    }
}

/// The snapshot a plan was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SnapshotRef {
    /// SHA-256 of the snapshot file, hex.
    pub sha256: String,
    /// Its as-of time.
    pub as_of: Option<Timestamp>,
}

/// What the plan was made from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Source {
    /// The decisions file, when made from one.
    pub decisions: Option<FileRef>,
    /// The people offboarded, as given.
    pub offboard: Vec<String>,
}

/// A file and its digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FileRef {
    /// The file as given.
    pub file: String,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

/// What a step does, one name per Atlas operation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// `removeOrgUser`: the person leaves the org (or the invitation is withdrawn).
    RemoveOrgUser,
    /// `removeGroupUser`: the person leaves the project.
    RemoveGroupUser,
    /// `addOrgUserRole`.
    AddOrgUserRole,
    /// `removeOrgUserRole`.
    RemoveOrgUserRole,
    /// `addGroupUserRole`.
    AddGroupUserRole,
    /// `removeGroupUserRole`.
    RemoveGroupUserRole,
    /// `removeOrgTeamUser`: the person leaves a team.
    RemoveOrgTeamUser,
    /// `removeGroupTeam`: the team leaves the project.
    RemoveGroupTeam,
    /// `updateGroupTeam`: the team's roles on the project replaced.
    UpdateGroupTeam,
    /// `deleteOrgApiKey`.
    DeleteOrgApiKey,
    /// `removeGroupApiKey`.
    RemoveGroupApiKey,
    /// `updateOrgApiKey`: the key's org roles replaced.
    UpdateOrgApiKey,
    /// `updateGroupApiKeyRoles`: the key's roles on the project replaced.
    UpdateGroupApiKeyRoles,
    /// `deleteOrgServiceAccount`.
    DeleteOrgServiceAccount,
    /// `deleteGroupServiceAccount`.
    DeleteGroupServiceAccount,
    /// `updateOrgServiceAccount`: the account's org roles replaced.
    UpdateOrgServiceAccount,
    /// `updateGroupServiceAccount`: the account's roles on the project replaced.
    UpdateGroupServiceAccount,
    /// `deleteOrgServiceAccountSecret`.
    DeleteOrgServiceAccountSecret,
    /// `deleteGroupDatabaseUser`.
    DeleteGroupDatabaseUser,
    /// `updateGroupDatabaseUser`: the user's roles replaced.
    UpdateGroupDatabaseUser,
    /// `deleteOrgInvite` (deprecated; for invitations `removeOrgUser` cannot reach).
    DeleteOrgInvite,
    /// `deleteGroupInvite` (deprecated; for invitations `removeOrgUser` cannot reach).
    DeleteGroupInvite,
}

impl Action {
    /// The snake_case name, as in `plan.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::RemoveOrgUser => "remove_org_user",
            Action::RemoveGroupUser => "remove_group_user",
            Action::AddOrgUserRole => "add_org_user_role",
            Action::RemoveOrgUserRole => "remove_org_user_role",
            Action::AddGroupUserRole => "add_group_user_role",
            Action::RemoveGroupUserRole => "remove_group_user_role",
            Action::RemoveOrgTeamUser => "remove_org_team_user",
            Action::RemoveGroupTeam => "remove_group_team",
            Action::UpdateGroupTeam => "update_group_team",
            Action::DeleteOrgApiKey => "delete_org_api_key",
            Action::RemoveGroupApiKey => "remove_group_api_key",
            Action::UpdateOrgApiKey => "update_org_api_key",
            Action::UpdateGroupApiKeyRoles => "update_group_api_key_roles",
            Action::DeleteOrgServiceAccount => "delete_org_service_account",
            Action::DeleteGroupServiceAccount => "delete_group_service_account",
            Action::UpdateOrgServiceAccount => "update_org_service_account",
            Action::UpdateGroupServiceAccount => "update_group_service_account",
            Action::DeleteOrgServiceAccountSecret => "delete_org_service_account_secret",
            Action::DeleteGroupDatabaseUser => "delete_group_database_user",
            Action::UpdateGroupDatabaseUser => "update_group_database_user",
            Action::DeleteOrgInvite => "delete_org_invite",
            Action::DeleteGroupInvite => "delete_group_invite",
        }
    }
}

/// What a step acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Target {
    /// `Scope::key()` of the scope acted on.
    pub scope: String,
    /// The role taken away or changed, when the step is about one role.
    pub role: Option<String>,
    /// The Atlas object the call addresses: user id, team id, key id, client id, secret id,
    /// or `<databaseName>/<username>`.
    pub object: String,
}

/// One HTTP request, exactly as it is to be sent (below `/api/atlas/v2`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Request {
    /// `DELETE`, `POST`, `PATCH` or `PUT`.
    pub method: String,
    /// The path, each segment percent-encoded on its own.
    pub path: String,
    /// The media-type version, as in `application/vnd.atlas.<version>+json`.
    pub version: String,
    /// The JSON body, when the call takes one.
    pub body: Option<serde_json::Value>,
}

/// The GET that reads a step's target again, before and after it is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Check {
    /// The path, percent-encoded like [`Request::path`].
    pub path: String,
    /// The media-type version.
    pub version: String,
}

/// Why a step or manual entry is in the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reason {
    /// `decision` or `offboard`.
    pub kind: String,
    /// The grants the step carries out decisions on (or, offboarding, takes away).
    pub grant_ids: Vec<String>,
    /// `Revoke` or `Modify`.
    pub decision: Option<String>,
    /// Who decided.
    pub reviewer: Option<String>,
    /// When (`YYYY-MM-DD`).
    pub date: Option<String>,
    /// The reviewer's comment.
    pub comment: Option<String>,
    /// The workbook the decision came from.
    pub workbook: Option<String>,
    /// Its spreadsheet row.
    pub row: Option<u32>,
    /// The person offboarded.
    pub email: Option<String>,
}

/// A grant a step takes away although no decision named it: what leaving a team or an org
/// unavoidably removes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct AlsoRemoves {
    /// The grant's id.
    pub grant_id: String,
    /// Principal key.
    pub principal: String,
    /// `Scope::key()`.
    pub scope: String,
    /// Role.
    pub role: String,
    /// `Via::key()`.
    pub via: String,
}

impl AlsoRemoves {
    /// The entry for a grant.
    pub fn of(g: &crate::model::Grant) -> Self {
        AlsoRemoves {
            grant_id: g.id(),
            principal: g.principal.clone(),
            scope: g.scope.key(),
            role: g.role.clone(),
            via: g.via.key(),
        }
    }
}

/// One API call of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    /// `S-001`, … in plan order.
    pub id: String,
    /// Principal key.
    pub principal: String,
    /// What it does.
    pub action: Action,
    /// What it acts on.
    pub target: Target,
    /// The call.
    pub request: Request,
    /// The read that checks it.
    pub check: Check,
    /// Must hold on the check's answer before the call (the grant as the snapshot saw it).
    pub precondition: Condition,
    /// Must hold on the check's answer after the call.
    pub effect: Condition,
    /// Steps that must be done first.
    pub after: Vec<String>,
    /// Why.
    pub reason: Reason,
    /// Other grants the call takes away.
    pub also_removes: Vec<AlsoRemoves>,
    /// What a reader should know.
    pub note: Option<String>,
}

/// What the plan does not do by API, with why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Manual {
    /// Principal key.
    pub principal: String,
    /// What it is about.
    pub target: Target,
    /// Why it was asked for.
    pub reason: Reason,
    /// Why a person must do it (or decide it).
    pub why: String,
}
