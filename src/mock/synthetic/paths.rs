//! The further paths of one synthetic project: certificates of its Atlas-managed X.509
//! database users, and on a share of projects an invitation made to the project, LDAP with a
//! customer CA, and a cloud-provider role used for snapshot export. Projects without the
//! latter are served Atlas's empty answers. Drawn from a generator of their own, so the rest of
//! the estate is the same as before they were added.

use serde_json::json;

use super::Clock;
use super::kit::{DAY, Rng, object_id, raw, rfc3339, seed};
use super::org::{OrgCtx, ProjectRef};
use crate::mock::world::WorldBuilder;

/// Whether a synthetic database user is Atlas-managed X.509 (`dbusers` names them so).
pub(crate) fn managed_x509(username: &str, database: &str) -> bool {
    database == "$external" && username.contains("-cert-")
}

/// Adds the project's further paths.
pub(crate) fn build(
    builder: &mut WorldBuilder,
    org: &OrgCtx,
    project: &ProjectRef,
    db_users: &[(String, &'static str)],
    clock: &Clock,
) {
    let base = format!("/groups/{}", project.id);
    let mut rng = Rng::new(seed(&[0x9a75, project.global as u64]));
    for (name, _) in db_users.iter().filter(|(n, d)| managed_x509(n, d)) {
        let certs = (0..rng.range(1, 2))
            .map(|_| {
                let created = clock.now - rng.range(1, 80) * DAY;
                // Atlas's default is three months (and an hour); some ask for up to 24.
                let months = *rng.weighted(&[(8, 3), (1, 12), (1, 24)]);
                raw(&json!({
                    "_id": (rng.next() >> 1) as i64,
                    "createdAt": rfc3339(created),
                    "groupId": project.id,
                    "notAfter": rfc3339(created + months * 30 * DAY + 3_600),
                    "subject": format!("CN={name}"),
                }))
            })
            .collect();
        builder.listing(format!("{base}/databaseUsers/{name}/certs"), certs);
    }
    if rng.chance(0.1) && !org.people.is_empty() {
        let person = rng.pick(&org.people);
        let created = clock.now - rng.range(1, 40) * DAY;
        builder.listing(
            format!("{base}/invites"),
            vec![raw(&json!({
                "id": object_id(created, 0x1a, project.global as u64),
                "groupId": project.id,
                "groupName": project.name,
                "username": person.email,
                "inviterUsername": rng.letters(8),
                "createdAt": rfc3339(created),
                "expiresAt": rfc3339(created + 30 * DAY),
                "roles": [*rng.pick(&["GROUP_READ_ONLY", "GROUP_DATA_ACCESS_READ_ONLY", "GROUP_OWNER"])],
            }))],
        );
    }
    if rng.chance(0.05) {
        builder.object(
            format!("{base}/userSecurity"),
            raw(&json!({
                "customerX509": {"cas": "-----BEGIN CERTIFICATE-----\nSYNTHETIC\n-----END CERTIFICATE-----\n"},
                "ldap": {
                    "authenticationEnabled": true,
                    "authorizationEnabled": rng.chance(0.5),
                    "hostname": format!("ldap.{}", org.domain),
                    "port": 636,
                    "bindUsername": format!("CN=atlas,OU=service,DC={}", org.domain),
                    "userToDNMapping": [{"match": "(.+)", "substitution": "CN={0},OU=people"}],
                },
            })),
        );
    }
    if rng.chance(0.15) {
        let created = clock.now - rng.range(10, 300) * DAY;
        builder.object(
            format!("{base}/cloudProviderAccess"),
            raw(&json!({
                "awsIamRoles": [{
                    "roleId": object_id(created, 0x1b, project.global as u64),
                    "providerName": "AWS",
                    "atlasAWSAccountArn": "arn:aws:iam::111122223333:root",
                    "atlasAssumedRoleExternalId": format!("00000000-0000-4000-8000-{:012}", project.global),
                    "iamAssumedRoleArn": format!("arn:aws:iam::{:012}:role/atlas-export-{}", 100_000_000_000usize + org.index, project.global),
                    "authorizedDate": rfc3339(created + 3_600),
                    "createdDate": rfc3339(created),
                    "featureUsages": [{
                        "featureType": "EXPORT_SNAPSHOT",
                        "featureId": {"groupId": project.id, "exportBucketId": object_id(created, 0x1c, project.global as u64)},
                    }],
                }],
                "azureServicePrincipals": [],
                "gcpServiceAccounts": [],
            })),
        );
    }
}
