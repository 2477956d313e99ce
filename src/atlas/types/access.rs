//! What Atlas sends about the further paths to a project: invitations made per project (the
//! deprecated endpoint), the project's LDAP and customer X.509 settings, the certificates Atlas
//! issued to database users, and the cloud-provider roles Atlas may assume for the project.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// `GroupInvitation`: an invitation to one project, from the deprecated per-project listing.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupInvitation {
    /// 24-hex invitation id.
    pub id: String,
    /// The project.
    pub group_id: Option<String>,
    /// The project's name.
    pub group_name: Option<String>,
    /// Who is invited (an email address).
    pub username: String,
    /// Who invited: an email, or an API key's public key as recorded.
    pub inviter_username: Option<String>,
    /// When sent.
    pub created_at: Option<Timestamp>,
    /// When it lapses (30 days after sending, as recorded).
    pub expires_at: Option<Timestamp>,
    /// Project roles the invitation grants.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `UserSecurity`: a project's LDAP and customer X.509 settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSecurity {
    /// A customer certificate authority; `{}` when none is configured.
    #[serde(rename = "customerX509")]
    pub customer_x509: Option<CustomerX509>,
    /// LDAP settings.
    pub ldap: Option<LdapSettings>,
}

/// `DBUserTLSX509Settings`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct CustomerX509 {
    /// The concatenated PEM bundle of the CAs database users' certificates are checked against.
    pub cas: Option<String>,
}

/// `LDAPSecuritySettings` (the bind password is write-only and never sent).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LdapSettings {
    /// Database users may authenticate through LDAP.
    pub authentication_enabled: Option<bool>,
    /// Database users' roles come from LDAP groups.
    pub authorization_enabled: Option<bool>,
    /// The LDAP server.
    pub hostname: Option<String>,
    /// Its port (Atlas's default 636).
    pub port: Option<u16>,
    /// The DN Atlas binds as.
    pub bind_username: Option<String>,
    /// The CA that signs the LDAP server's certificate.
    pub ca_certificate: Option<String>,
    /// The query that finds a user's groups.
    pub authz_query_template: Option<String>,
    /// How a username becomes a DN.
    #[serde(default, rename = "userToDNMapping")]
    pub user_to_dn_mapping: Vec<UserToDnMapping>,
}

/// `UserToDNMapping`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserToDnMapping {
    /// A regular expression over the username.
    #[serde(rename = "match")]
    pub matches: String,
    /// The DN built from the match.
    pub substitution: Option<String>,
    /// Or an LDAP query built from it.
    pub ldap_query: Option<String>,
}

/// `UserCert`: a certificate Atlas issued to an Atlas-managed X.509 database user (listed
/// only while unexpired).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserCert {
    /// Serial: a JSON integer above 2^53 in real answers, so never read through a float.
    #[serde(rename = "_id")]
    pub id: i64,
    /// When issued.
    pub created_at: Option<Timestamp>,
    /// When it stops being valid.
    pub not_after: Option<Timestamp>,
    /// The subject DN (RFC 2253).
    pub subject: Option<String>,
    /// The project.
    pub group_id: Option<String>,
}

/// `CloudProviderAccessRoles`: every cloud-provider identity Atlas may assume for a project.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudProviderAccessRoles {
    /// AWS IAM roles.
    #[serde(default, rename = "awsIamRoles")]
    pub aws_iam_roles: Vec<AwsIamRole>,
    /// Azure service principals.
    #[serde(default)]
    pub azure_service_principals: Vec<AzureServicePrincipal>,
    /// GCP service accounts.
    #[serde(default)]
    pub gcp_service_accounts: Vec<GcpServiceAccount>,
}

/// `CloudProviderAccessAWSIAMRole`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AwsIamRole {
    /// Atlas's id of the role.
    pub role_id: String,
    /// `AWS`.
    pub provider_name: Option<String>,
    /// Atlas's AWS account, which assumes the role.
    #[serde(rename = "atlasAWSAccountArn")]
    pub atlas_aws_account_arn: Option<String>,
    /// The external id Atlas presents.
    pub atlas_assumed_role_external_id: Option<String>,
    /// The customer's role Atlas assumes; `null` until authorized.
    pub iam_assumed_role_arn: Option<String>,
    /// When authorized; `null` until then.
    pub authorized_date: Option<Timestamp>,
    /// When created.
    pub created_date: Option<Timestamp>,
    /// What uses it.
    #[serde(default)]
    pub feature_usages: Vec<FeatureUsage>,
}

/// `CloudProviderAccessAzureServicePrincipal`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureServicePrincipal {
    /// Atlas's id of the principal.
    #[serde(rename = "_id")]
    pub id: String,
    /// Atlas's application in the customer's tenant.
    pub atlas_azure_app_id: Option<String>,
    /// The service principal Atlas acts as.
    pub service_principal_id: Option<String>,
    /// The customer's tenant.
    pub tenant_id: Option<String>,
    /// When created.
    pub created_date: Option<Timestamp>,
    /// When last changed.
    pub last_updated_date: Option<Timestamp>,
    /// What uses it.
    #[serde(default)]
    pub feature_usages: Vec<FeatureUsage>,
}

/// `CloudProviderAccessGCPServiceAccount`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GcpServiceAccount {
    /// Atlas's id of the account.
    pub role_id: String,
    /// The service account Atlas acts as (an email).
    pub gcp_service_account_for_atlas: Option<String>,
    /// `IN_PROGRESS`, `COMPLETE`, `FAILED`, `NOT_INITIATED`.
    pub status: Option<String>,
    /// When created.
    pub created_date: Option<Timestamp>,
    /// What uses it.
    #[serde(default)]
    pub feature_usages: Vec<FeatureUsage>,
}

/// `CloudProviderAccessFeatureUsage`: one Atlas feature that uses a role.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeatureUsage {
    /// `ATLAS_DATA_LAKE`, `ENCRYPTION_AT_REST`, `EXPORT_SNAPSHOT`, `PUSH_BASED_LOG_EXPORT`,
    /// `ATLAS_LOG_INTEGRATION` (an open set).
    pub feature_type: String,
    /// What exactly: its shape depends on the feature (`{groupId, exportBucketId}`,
    /// `{groupId, bucketName}`, `{groupId, name}`, ...), so it is kept as sent.
    pub feature_id: Option<serde_json::Value>,
}

impl FeatureUsage {
    /// The resource the feature names, in words: the bucket, the federated database, the
    /// sink; empty when it names none (encryption at rest).
    pub fn target(&self) -> String {
        let Some(id) = self.feature_id.as_ref().and_then(|v| v.as_object()) else {
            return String::new();
        };
        [
            "bucketName",
            "exportBucketId",
            "name",
            "sinkName",
            "configId",
        ]
        .iter()
        .find_map(|k| id.get(*k).and_then(|v| v.as_str()))
        .unwrap_or_default()
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_serial_above_two_to_the_53_survives_whole() {
        let body = r#"{"_id":9116777849366263482,"createdAt":"2025-03-13T14:49:28Z","notAfter":"2025-06-13T15:49:28Z","subject":"CN=u"}"#;
        let cert: UserCert = serde_json::from_str(body).unwrap();
        assert_eq!(cert.id, 9_116_777_849_366_263_482);
        // Through a float the last digits would change.
        assert_ne!(cert.id as f64 as i64, 9_116_777_849_366_263_481);
        let back = serde_json::to_string(&cert).unwrap();
        assert!(back.contains("\"_id\":9116777849366263482"), "{back}");
    }

    #[test]
    fn an_unauthorized_role_reads_with_its_nulls() {
        let body = r#"{"awsIamRoles":[{"atlasAWSAccountArn":"arn:aws:iam::000000000000:root","authorizedDate":null,"featureUsages":[],"iamAssumedRoleArn":null,"providerName":"AWS","roleId":"r1"}],"azureServicePrincipals":[],"gcpServiceAccounts":[]}"#;
        let roles: CloudProviderAccessRoles = serde_json::from_str(body).unwrap();
        assert_eq!(roles.aws_iam_roles.len(), 1);
        assert!(roles.aws_iam_roles[0].authorized_date.is_none());
        assert!(roles.aws_iam_roles[0].iam_assumed_role_arn.is_none());
    }

    #[test]
    fn a_feature_names_its_target() {
        let f: FeatureUsage = serde_json::from_value(serde_json::json!({
            "featureType": "EXPORT_SNAPSHOT",
            "featureId": {"groupId": "g", "exportBucketId": "b1"}
        }))
        .unwrap();
        assert_eq!(f.target(), "b1");
        let f: FeatureUsage = serde_json::from_value(serde_json::json!({
            "featureType": "ENCRYPTION_AT_REST", "featureId": {}
        }))
        .unwrap();
        assert_eq!(f.target(), "");
    }
}
