//! An org's federation read straight from a world's files, as the collector reads it over
//! HTTP: what `snapshot_from_world` compares collections to.

use atlas_audit::atlas::types;
use atlas_audit::collect::raw::RawFederation;
use atlas_audit::mock::World;

use super::{parse_list, parse_object};

/// An org's federation as the collector reads it: none without settings (Atlas answers 404),
/// the connected configuration and role mappings when the org has them, and every identity
/// provider of the settings (the collector asks for all protocols and types).
pub(super) fn from_world(world: &World, org_id: &str) -> Option<RawFederation> {
    let settings: types::OrgFederationSettings =
        parse_object(world, &format!("/orgs/{org_id}/federationSettings"))?;
    let settings_id = settings.id.clone()?;
    let base = format!("/federationSettings/{settings_id}/connectedOrgConfigs/{org_id}");
    let connected: Option<types::ConnectedOrgConfig> = parse_object(world, &base);
    let role_mappings = Some(match connected {
        Some(_) => parse_list(world, &format!("{base}/roleMappings")).unwrap_or_default(),
        None => Vec::new(),
    });
    let identity_providers = Some(
        parse_list(
            world,
            &format!("/federationSettings/{settings_id}/identityProviders"),
        )
        .unwrap_or_default(),
    );
    Some(RawFederation {
        settings,
        settings_id,
        connected,
        role_mappings,
        identity_providers,
    })
}
