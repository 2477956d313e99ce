//! Database user rules.

use super::context::{Context, Out};

/// See the catalogue.
pub(super) fn admin_role(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn unscoped(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn dangerous_custom_role(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn password_auth_prod(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn orphaned(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn inactive(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}
