//! The further paths to a project: invitations made per project, LDAP and customer X.509
//! settings, the certificates of Atlas-managed X.509 database users, and the cloud-provider
//! roles Atlas may assume. Each is one request per project, except certificates: one listing
//! per database user with `x509Type: MANAGED`, since Atlas lists them per user only.

use futures::future::join_all;

use super::raw::{RawCertificates, RawPaths};
use super::{Walk, seg};
use crate::atlas::endpoint::{self as ep, Endpoint};
use crate::atlas::{AtlasError, types};
use crate::model::{CoverageGap, key};

/// The role the per-project invitations and `userSecurity` need: higher than the Project Read
/// Only the rest of the walk needs, so a refusal names it.
pub const PROJECT_OWNER: &str = "Project Owner";

impl Walk<'_> {
    /// Invitations, user security and cloud-provider roles of one project (certificates come
    /// with the database users, which say whose to read).
    pub(super) async fn paths(&self, scope: &str, base: &str) -> RawPaths {
        let (invitations, user_security, cloud_provider_access) = futures::join!(
            async {
                let path = format!("{base}/invites");
                // Deprecated (sunset 2027-07-01): the client logs the Deprecation and Sunset
                // Atlas sends with it, once.
                let read = self.client.get_array(&ep::GROUP_INVITES, &path).await;
                self.read_needing(scope, &ep::GROUP_INVITES, PROJECT_OWNER, read)
            },
            async {
                let path = format!("{base}/userSecurity");
                let read = self.client.get_object(&ep::USER_SECURITY, &path, &[]).await;
                self.read_needing(scope, &ep::USER_SECURITY, PROJECT_OWNER, read)
            },
            self.object::<types::CloudProviderAccessRoles>(
                scope,
                &ep::CLOUD_PROVIDER_ACCESS,
                format!("{base}/cloudProviderAccess"),
            ),
        );
        RawPaths {
            invitations,
            user_security,
            cloud_provider_access,
            certificates: Vec::new(),
        }
    }

    /// The database users of a project, then the certificates of those Atlas manages X.509
    /// certificates for (the listing holds only those, and only unexpired ones).
    pub(super) async fn database_users(
        &self,
        project_id: &str,
        scope: &str,
        base: &str,
    ) -> (Option<Vec<types::DatabaseUser>>, Vec<RawCertificates>) {
        let users: Option<Vec<types::DatabaseUser>> = self
            .all(
                scope,
                &ep::DATABASE_USERS,
                format!("{base}/databaseUsers"),
                &[],
            )
            .await;
        let managed = users
            .iter()
            .flatten()
            .filter(|u| u.x509_type.as_deref() == Some("MANAGED"));
        let certificates = join_all(managed.map(|u| async move {
            let path = format!("{base}/databaseUsers/{}/certs", seg(&u.username));
            let user_scope = key::database_user(project_id, &u.database_name, &u.username);
            RawCertificates {
                username: u.username.clone(),
                certs: self
                    .all(&user_scope, &ep::DATABASE_USER_CERTS, path, &[])
                    .await,
            }
        }))
        .await;
        (users, certificates)
    }

    /// The value of a read that needs `role`, or `None` with its failure recorded as a gap of
    /// `scope`; a refusal (401 or 403) names the role the credential lacks.
    fn read_needing<T>(
        &self,
        scope: &str,
        endpoint: &Endpoint,
        role: &str,
        result: Result<T, AtlasError>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(
                e @ AtlasError::Status {
                    status: 401 | 403, ..
                },
            ) => {
                self.record(CoverageGap {
                    scope: scope.into(),
                    endpoint: endpoint.name.into(),
                    status: e.status(),
                    error_code: e.error_code().map(str::to_string),
                    reason: format!(
                        "access denied: {} needs the {role} role, which the credential lacks ({e})",
                        endpoint.name
                    ),
                });
                None
            }
            Err(e) => {
                self.gap(scope.into(), &e);
                None
            }
        }
    }
}
