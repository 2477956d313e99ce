//! What the evidence store says was removed: one [`Remediated`] per grant a completed step
//! took away, for the next report's `remediation.csv`, its "Remediated" list and its findings.

/// A grant taken away by a completed `apply` step (and confirmed by `verify` where it ran).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Remediated {
    /// The grant's id (`G-…`).
    pub grant_id: String,
    /// Principal key.
    pub principal: String,
    /// `Scope::key()`.
    pub scope: String,
    /// The role removed (empty when the step removed the whole object).
    pub role: String,
    /// `Via::key()`, when the plan named it (a grant a team membership or org role carried).
    pub via: String,
    /// When the step completed (RFC 3339).
    pub removed_at: String,
    /// The credential that removed it (`api_key:<publicKey>` or `service_account:<clientId>`).
    pub removed_by: String,
    /// When `verify` last confirmed it, if it did.
    pub verified_at: Option<String>,
    /// The reviewer whose decision it carried out (empty for offboarding).
    pub decided_by: String,
    /// The decision's date (`YYYY-MM-DD`).
    pub decided_on: String,
    /// The reviewer's comment, or `offboarding <email>`.
    pub comment: String,
    /// The plan's digest.
    pub plan: String,
    /// The step id (`S-001`).
    pub step: String,
}

impl Remediated {
    /// The one line the report and the workbook's Summary show: "Removed on 2027-01-14 by
    /// apikey:abcd, decided by dana@… on 2027-01-10: left the team".
    pub fn line(&self) -> String {
        let day = self.removed_at.get(..10).unwrap_or(&self.removed_at);
        let mut line = format!("Removed on {day} by {}", self.removed_by);
        if !self.decided_by.is_empty() {
            line.push_str(&format!(", decided by {}", self.decided_by));
            if !self.decided_on.is_empty() {
                line.push_str(&format!(" on {}", self.decided_on));
            }
        }
        if !self.comment.is_empty() {
            line.push_str(&format!(": {}", self.comment));
        }
        if let Some(at) = &self.verified_at {
            line.push_str(&format!(" (verified {at})"));
        }
        line
    }
}
