//! Service account rules.

use super::context::{Context, Out};

/// See the catalogue.
pub(super) fn privileged(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn no_access_list(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn unused(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn secret_expiring(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn secret_long_lived(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}
