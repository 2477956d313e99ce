//! Team rules.

use super::context::{Context, Out};

/// See the catalogue.
pub(super) fn empty_with_roles(ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    let _ = (ctx, out);
}
