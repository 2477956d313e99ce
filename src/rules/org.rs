//! Organization rules: settings and owners.

use super::context::{Context, Out};

/// See the catalogue.
pub(super) fn mfa_not_required(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn api_access_list_not_required(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn employee_access_unrestricted(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn no_security_contact(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}

/// See the catalogue.
pub(super) fn owner_count(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}
