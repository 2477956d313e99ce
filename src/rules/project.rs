//! Project and cluster rules: network exposure, auditing, MongoDB staff access.

use super::context::{Context, Out};

/// See the catalogue.
pub(super) fn network_open(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn auditing_disabled(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn cluster_employee_access(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}
