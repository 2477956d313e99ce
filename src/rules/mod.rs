//! The rule engine: a snapshot and a policy in, [`Findings`] out. Every rule of the catalogue
//! (DESIGN §5) is a pure function over the snapshot and the policy: no I/O, no clock (the as-of
//! time is the snapshot's `collected_at`). Rules run in parallel (rayon); the output order is
//! fixed: severity, rule, principal. A rule whose input is missing says "not evaluated" for
//! that scope, with the reason, instead of passing it clean.

mod api_key;
mod catalogue;
mod context;
mod database_user;
mod exemptions;
mod federation;
mod finding;
pub mod history;
mod org;
pub mod policy;
mod project;
pub mod roles;
mod service_account;
mod team;
#[cfg(test)]
pub(crate) mod testkit;
mod text;
mod user;

use rayon::prelude::*;

pub use catalogue::{Family, RuleId};
pub use context::{Context, Draft, Out, RuleOutput};
pub use database_user::person_names;
pub use finding::*;
pub use history::History;
pub use policy::{Policy, ReviewRules};

use crate::model::Snapshot;

/// Why the rules could not run.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// Without an as-of time no age can be computed.
    #[error(
        "the snapshot has no collected_at time, so no age can be measured; collect it again with this version"
    )]
    NoAsOf,
}

/// Runs one rule, whatever the policy says of it.
pub(crate) fn run_rule(rule: RuleId, ctx: &Context<'_>, out: &mut Out<'_, '_>) {
    use RuleId::*;
    let f: fn(&Context<'_>, &mut Out<'_, '_>) = match rule {
        OrgMfaNotRequired => org::mfa_not_required,
        OrgApiAccessListNotRequired => org::api_access_list_not_required,
        OrgEmployeeAccessUnrestricted => org::employee_access_unrestricted,
        OrgNoSecurityContact => org::no_security_contact,
        OrgOwnerCount => org::owner_count,
        ProjectNetworkOpen => project::network_open,
        ProjectAuditingDisabled => project::auditing_disabled,
        ClusterEmployeeAccess => project::cluster_employee_access,
        UserInactive => user::inactive,
        UserInviteStale => user::invite_stale,
        UserOrgOwner => user::org_owner,
        UserPrivilegedProjectRole => user::privileged_project_role,
        UserUnusedPrivilege => user::unused_privilege,
        ApikeyPrivileged => api_key::privileged,
        ApikeyNoAccessList => api_key::no_access_list,
        ApikeyUnused => api_key::unused,
        SaPrivileged => service_account::privileged,
        SaNoAccessList => service_account::no_access_list,
        SaUnused => service_account::unused,
        SaSecretExpiring => service_account::secret_expiring,
        SaSecretLongLived => service_account::secret_long_lived,
        TeamEmptyWithRoles => team::empty_with_roles,
        DbuserAdminRole => database_user::admin_role,
        DbuserUnscoped => database_user::unscoped,
        DbuserDangerousCustomRole => database_user::dangerous_custom_role,
        DbuserPasswordAuthProd => database_user::password_auth_prod,
        DbuserOrphaned => database_user::orphaned,
        DbuserInactive => database_user::inactive,
        FederationRoleMappingPrivileged => federation::role_mapping_privileged,
        FederationDomainRestrictionOff => federation::domain_restriction_off,
        UserNotFederated => federation::user_not_federated,
        DbuserCertExpiring => database_user::cert_expiring,
        DbuserCertLongLived => database_user::cert_long_lived,
    };
    f(ctx, out);
}

/// Gives each finding its stable id, in output order.
fn assign_ids(findings: &mut [Finding]) {
    findings
        .par_iter_mut()
        .for_each(|f| f.id = finding_id(f.rule, &f.principal.key, &f.scope));
    let mut seen: rustc_hash::FxHashMap<String, u32> = rustc_hash::FxHashMap::default();
    for f in findings.iter_mut() {
        let n = seen.entry(f.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            f.id = format!("{}-{n}", f.id);
        }
    }
}

/// Runs every enabled rule over the snapshot, applies the policy's exemptions, and orders the
/// result.
///
/// # Errors
/// When the snapshot carries no as-of time.
pub fn evaluate(snapshot: &Snapshot, policy: &Policy) -> Result<Findings, RulesError> {
    evaluate_with(snapshot, policy, &History::default())
}

/// [`evaluate`], with what earlier runs saw: `DBUSER_INACTIVE` then judges over the continuous
/// observation the evidence store records, not only the snapshot's own access logs.
///
/// # Errors
/// When the snapshot carries no as-of time.
pub fn evaluate_with(
    snapshot: &Snapshot,
    policy: &Policy,
    history: &History,
) -> Result<Findings, RulesError> {
    let as_of = snapshot.meta.collected_at.ok_or(RulesError::NoAsOf)?;
    let ctx = Context::new(snapshot, policy, as_of, history);
    let outputs: Vec<RuleOutput> = RuleId::ALL
        .par_iter()
        .filter(|r| policy.is_enabled(**r))
        .map(|&rule| {
            let mut out = Out::new(&ctx, rule);
            run_rule(rule, &ctx, &mut out);
            out.finish()
        })
        .collect();
    let mut findings = Vec::new();
    let mut not_evaluated = Vec::new();
    for o in outputs {
        findings.extend(o.findings);
        not_evaluated.extend(o.not_evaluated);
    }
    let exemption_warnings = exemptions::apply(&mut findings, &policy.exemptions, as_of);
    findings.par_sort_by(|a, b| {
        (a.severity, a.rule, &a.principal.key, &a.scope, &a.title).cmp(&(
            b.severity,
            b.rule,
            &b.principal.key,
            &b.scope,
            &b.title,
        ))
    });
    assign_ids(&mut findings);
    not_evaluated.sort();
    not_evaluated.dedup();
    Ok(Findings {
        schema_version: FINDINGS_SCHEMA_VERSION,
        as_of,
        findings,
        not_evaluated,
        exemption_warnings,
    })
}
