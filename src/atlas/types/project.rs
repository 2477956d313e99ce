//! What Atlas sends about a project and what it runs: settings, network access list, database
//! auditing, and clusters with their tier and any MongoDB staff access grant.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// `Group` (a project).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// 24-hex id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Owning org.
    pub org_id: String,
    /// Creation time.
    pub created: Option<Timestamp>,
    /// Resource tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `ResourceTag`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
}

/// `GroupSettings` (only what an access review reads).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectSettings {
    /// Data Explorer lets console users read and write data.
    pub is_data_explorer_enabled: Option<bool>,
    /// Data Explorer's generative AI features (Atlas spells it `GenAI`).
    #[serde(rename = "isDataExplorerGenAIFeaturesEnabled")]
    pub is_data_explorer_gen_ai_features_enabled: Option<bool>,
}

/// `NetworkPermissionEntry`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkEntry {
    /// Single address.
    pub ip_address: Option<String>,
    /// CIDR block.
    pub cidr_block: Option<String>,
    /// AWS security group.
    pub aws_security_group: Option<String>,
    /// Free text.
    pub comment: Option<String>,
    /// Temporary entries end then.
    pub delete_after_date: Option<Timestamp>,
}

/// `AuditLog`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditLog {
    /// Database auditing on.
    pub enabled: Option<bool>,
    /// Successful authorizations are audited too.
    pub audit_authorization_success: Option<bool>,
    /// `NONE`, `FILTER_BUILDER` or `FILTER_JSON`.
    pub configuration_type: Option<String>,
}

/// `ClusterDescription20240805` (only what an access review reads).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    /// Cluster id.
    pub id: Option<String>,
    /// Name, unique in the project.
    pub name: String,
    /// `REPLICASET`, `SHARDED`, `GEOSHARDED`.
    pub cluster_type: Option<String>,
    /// `IDLE`, `CREATING`, …
    pub state_name: Option<String>,
    /// Paused clusters serve nothing.
    pub paused: Option<bool>,
    /// Creation time.
    pub create_date: Option<Timestamp>,
    /// Server version.
    #[serde(rename = "mongoDBVersion")]
    pub mongodb_version: Option<String>,
    /// Resource tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Present while MongoDB staff hold access.
    #[serde(rename = "mongoDBEmployeeAccessGrant")]
    pub employee_access_grant: Option<EmployeeAccessGrant>,
    /// Where and on what the cluster runs (dedicated and tenant clusters).
    #[serde(default)]
    pub replication_specs: Vec<ReplicationSpec>,
    /// A Flex cluster's provider (`providerName` `FLEX`), from the Flex listing.
    pub provider_settings: Option<ProviderSettings>,
}

impl Cluster {
    /// The provider and tier: `FLEX` for a Flex cluster; else the first region's
    /// `providerName` (`AWS`, `GCP`, `AZURE`, or `TENANT` for M0/M2/M5) and its instance size
    /// (`effectiveInstanceSize` first: `FLEX` there is an M2/M5 moved to Flex).
    pub fn provider_and_tier(&self) -> (Option<String>, Option<String>) {
        if let Some(p) = &self.provider_settings
            && p.provider_name.as_deref() == Some("FLEX")
        {
            return (Some("FLEX".into()), Some("FLEX".into()));
        }
        let region = self
            .replication_specs
            .iter()
            .flat_map(|s| &s.region_configs)
            .next();
        let provider = region.and_then(|r| r.provider_name.clone());
        let tier = region
            .and_then(|r| r.electable_specs.as_ref())
            .and_then(|e| {
                e.effective_instance_size
                    .clone()
                    .or_else(|| e.instance_size.clone())
            });
        (provider, tier)
    }

    /// Whether the cluster is on a tenant tier, where Atlas keeps no access history.
    pub fn is_tenant(&self) -> bool {
        let (provider, tier) = self.provider_and_tier();
        crate::model::Cluster::tenant_tier(provider.as_deref(), tier.as_deref())
    }
}

/// `ReplicationSpec20240805` (only the regions).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplicationSpec {
    /// Regions and their hardware.
    #[serde(default)]
    pub region_configs: Vec<RegionConfig>,
}

/// `CloudRegionConfig20240805`: dedicated (`AWS`, `GCP`, `AZURE`) or `TENANT`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RegionConfig {
    /// `AWS`, `GCP`, `AZURE`, `TENANT`.
    pub provider_name: Option<String>,
    /// For `TENANT`: the cloud underneath.
    pub backing_provider_name: Option<String>,
    /// The hardware of electable nodes.
    pub electable_specs: Option<HardwareSpec>,
}

/// `HardwareSpec20240805` (only the size).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HardwareSpec {
    /// `M0`, `M10`, ...
    pub instance_size: Option<String>,
    /// What the cluster really runs as (read-only; `FLEX` for an M2/M5 moved to Flex).
    pub effective_instance_size: Option<String>,
}

/// `FlexProviderSettings20241113`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSettings {
    /// `FLEX`.
    pub provider_name: Option<String>,
    /// The cloud underneath.
    pub backing_provider_name: Option<String>,
}

/// `EmployeeAccessGrant`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmployeeAccessGrant {
    /// Level of access granted.
    pub grant_type: Option<String>,
    /// When it ends.
    pub expiration_time: Option<Timestamp>,
}
