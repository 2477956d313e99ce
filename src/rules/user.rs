//! Atlas user rules: stale logins and invitations, owners, privileged and unused project roles.

use super::context::{Context, Out};

/// See the catalogue.
pub(super) fn inactive(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn invite_stale(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn org_owner(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn privileged_project_role(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn unused_privilege(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}
