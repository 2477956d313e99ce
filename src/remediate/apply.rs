//! `atlas-audit apply`: carries out a reviewed plan, one step at a time, each as re-read →
//! check the precondition → the one call → re-read and confirm, journaled as it ends.
//!
//! Nothing is forced: a target that changed since the snapshot is skipped and named, a 404 on
//! the object is "already done", any other refusal is left for a person with what to do, and
//! only calls that may be sent twice are retried (the client decides that). Writes to one
//! project (or, for org-level steps, one org) go one at a time, in plan order; projects run
//! side by side.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde_json::Value;

use super::journal::{Entry, Journal, JournalError, Outcome, Phase};
use super::plan::{Action, Plan, Step};
use crate::atlas::{AtlasError, Client, WriteEndpoint, WriteOutcome};
use crate::model::with_causes;

/// Why a plan cannot be applied at all.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The plan's steps are not the ones its digest was made over.
    #[error(
        "the plan's steps were changed after it was made (its digest does not match them); make the plan again with `atlas-audit plan` and review it"
    )]
    Tampered,
    /// The plan was made for another Atlas.
    #[error(
        "the plan was made for {planned}, but the credential here talks to {here}; set --base-url or MONGODB_ATLAS_BASE_URL to {planned}, or make a plan from a snapshot of {here}"
    )]
    OtherAtlas {
        /// The plan's base URL.
        planned: String,
        /// The client's.
        here: String,
    },
    /// `--skip` names a step the plan does not have.
    #[error("--skip {0}: the plan has no such step (see plan.txt for the step ids)")]
    UnknownStep(String),
    /// The journal could not be used.
    #[error(transparent)]
    Journal(#[from] JournalError),
}

/// The Atlas role each write needs (WRITE-AND-FEDERATION-NOTES Part A), for a 403's message.
pub fn required_role(operation: &str) -> &'static str {
    match operation {
        "removeGroupUser"
        | "addGroupUserRole"
        | "removeGroupUserRole"
        | "removeGroupTeam"
        | "updateGroupTeam"
        | "removeGroupApiKey"
        | "updateGroupApiKeyRoles" => "Project Access Manager",
        "deleteGroupServiceAccount" | "updateGroupServiceAccount" | "deleteGroupInvite" => {
            "Project Owner"
        }
        "deleteGroupDatabaseUser" | "updateGroupDatabaseUser" => "Project Database Access Admin",
        _ => "Organization Owner",
    }
}

/// The Atlas operation id a step's action calls: `remove_org_user` → `removeOrgUser`.
pub fn operation(action: Action) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in action.as_str().chars() {
        match c {
            '_' => upper = true,
            c if upper => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// Checks a plan before anything is sent: its digest over its steps, the Atlas it was made
/// for, and the `--skip` ids.
///
/// # Errors
/// [`ApplyError`] naming what is wrong and what to do.
pub fn check(plan: &Plan, base_url: &str, skip: &BTreeSet<String>) -> Result<(), ApplyError> {
    if !plan.verify_digest() {
        return Err(ApplyError::Tampered);
    }
    let norm = |u: &str| u.trim_end_matches('/').to_ascii_lowercase();
    if norm(&plan.base_url) != norm(base_url) {
        return Err(ApplyError::OtherAtlas {
            planned: plan.base_url.clone(),
            here: base_url.to_string(),
        });
    }
    if let Some(unknown) = skip
        .iter()
        .find(|s| !plan.steps.iter().any(|st| &st.id == *s))
    {
        return Err(ApplyError::UnknownStep(unknown.clone()));
    }
    Ok(())
}

/// How a run went: each step's outcome in plan order.
#[derive(Debug, Default)]
pub struct Applied {
    /// `(step id, outcome, message)`, in plan order; steps done in an earlier run included.
    pub steps: Vec<(String, Outcome, String)>,
}

impl Applied {
    /// Steps whose work is over (done now, earlier, or already so in Atlas).
    pub fn completed(&self) -> usize {
        self.steps.iter().filter(|(_, o, _)| o.completes()).count()
    }

    /// Whether every step's work is over.
    pub fn all_done(&self) -> bool {
        self.completed() == self.steps.len()
    }
}

/// The lane a step runs in: its project, or its org for org-level steps. Steps of one lane
/// go one at a time, in plan order; lanes run side by side, so a plan across many projects
/// takes the time of its busiest rate-limit bucket rather than the sum of all.
fn lane(step: &Step) -> &str {
    step.target
        .scope
        .split('/')
        .next()
        .unwrap_or(&step.target.scope)
}

/// Steps by lane, each lane in the order given, the longest lane first: its bucket sets the
/// pace, so its first requests should not queue behind the others' for a permit.
fn lanes_of(steps: Vec<&Step>) -> Vec<Vec<&Step>> {
    let mut lanes: BTreeMap<&str, Vec<&Step>> = BTreeMap::new();
    for step in steps {
        lanes.entry(lane(step)).or_default().push(step);
    }
    let mut lanes: Vec<Vec<&Step>> = lanes.into_values().collect();
    lanes.sort_by_key(|steps| std::cmp::Reverse(steps.len()));
    lanes
}

/// Reads the rate limits Atlas documents for the scopes the steps write to (one project's and
/// one org's answer stand for every project's and org's: a set's shape is the same in each),
/// so each project's lane is paced from its first request rather than after a 429.
async fn learn_rate_limits(client: &Client, steps: &[&Step]) {
    for (prefix, param) in [("/groups/", "groupId"), ("/orgs/", "orgId")] {
        let id = steps.iter().find_map(|s| {
            let rest = s.request.path.strip_prefix(prefix)?;
            rest.split(['/', ':']).next().filter(|id| !id.is_empty())
        });
        if let Some(id) = id {
            client.learn_documented_rate_limits(param, id).await;
        }
    }
}

/// Applies the plan through `client`, appending each step's end to `journal` as it happens.
/// Steps the journal shows completed are not sent again. A step runs once every step it
/// must follow (`after`) is complete; one whose predecessor did not complete is blocked.
/// `each` is told of every step as it ends (for progress).
///
/// # Errors
/// Only when the journal cannot be written: then the run stops, since a step done but not
/// recorded could be sent twice by the next run.
pub async fn apply(
    client: &Client,
    plan: &Plan,
    skip: &BTreeSet<String>,
    journal: &mut Journal,
    mut each: impl FnMut(&Step, Outcome, &str),
) -> Result<Applied, ApplyError> {
    use futures::StreamExt as _;

    let by = acting(client);
    let mut ended: BTreeMap<&str, (Outcome, String)> = BTreeMap::new();
    let mut pending: Vec<&Step> = Vec::new();
    for step in &plan.steps {
        if let Some(earlier) = journal.completed(&step.id) {
            let message = format!("done in an earlier run at {}", earlier.at);
            each(step, earlier.outcome, &message);
            ended.insert(&step.id, (earlier.outcome, message));
        } else {
            pending.push(step);
        }
    }
    learn_rate_limits(client, &pending).await;
    while !pending.is_empty() {
        // Steps whose predecessors have all ended; the rest wait for a later wave.
        let (ready, waiting): (Vec<&Step>, Vec<&Step>) = pending
            .iter()
            .partition(|s| s.after.iter().all(|a| ended.contains_key(a.as_str())));
        if ready.is_empty() {
            // Only a plan whose `after` names a step it lacks, or a cycle, gets here.
            for step in waiting {
                let message = "not sent: it must follow a step that never ends".to_string();
                journal.append(
                    Ended::plain(Outcome::Blocked, message.clone()).entry(plan, step, &by),
                )?;
                each(step, Outcome::Blocked, &message);
                ended.insert(&step.id, (Outcome::Blocked, message));
            }
            break;
        }
        pending = waiting;
        let mut to_send: Vec<&Step> = Vec::new();
        for step in ready {
            let held_back = if skip.contains(&step.id) {
                Some(Ended::plain(
                    Outcome::Skipped,
                    "left out with --skip".to_string(),
                ))
            } else {
                step.after
                    .iter()
                    .find(|a| ended.get(a.as_str()).is_none_or(|(o, _)| !o.completes()))
                    .map(|first| {
                        Ended::plain(
                            Outcome::Blocked,
                            format!(
                                "not sent: step {first} must be done first; run apply again once it is"
                            ),
                        )
                    })
            };
            match held_back {
                Some(e) => {
                    each(step, e.outcome, &e.message);
                    ended.insert(&step.id, (e.outcome, e.message.clone()));
                    journal.append(e.entry(plan, step, &by))?;
                }
                None => to_send.push(step),
            }
        }
        // Each lane one step at a time; the lanes side by side, the longest first. Steps end in
        // any order across lanes; each is journaled as it ends.
        let mut running = futures::stream::select_all(lanes_of(to_send).into_iter().map(|steps| {
            Box::pin(futures::stream::unfold(
                steps.into_iter(),
                |mut steps| async move {
                    let step = steps.next()?;
                    Some(((step, one(client, step).await), steps))
                },
            ))
        }));
        while let Some((step, e)) = running.next().await {
            each(step, e.outcome, &e.message);
            ended.insert(&step.id, (e.outcome, e.message.clone()));
            journal.append(e.entry(plan, step, &by))?;
        }
    }
    journal.sync()?;
    Ok(in_plan_order(plan, ended))
}

/// How one step ended, with the call's answer when one was sent.
struct Ended {
    outcome: Outcome,
    message: String,
    sent: Option<WriteOutcome>,
}

impl Ended {
    fn plain(outcome: Outcome, message: String) -> Ended {
        Ended {
            outcome,
            message,
            sent: None,
        }
    }

    fn entry(self, plan: &Plan, step: &Step, by: &str) -> Entry {
        let sent = self.sent.as_ref();
        Entry {
            plan: plan.digest.clone(),
            step: step.id.clone(),
            phase: Phase::Apply,
            outcome: self.outcome,
            at: Timestamp::now(),
            by: by.to_string(),
            operation: sent.map(|s| s.operation.to_string()),
            request: sent.map(|s| format!("{} {}", s.method, s.path)),
            status: sent.map(|s| s.status),
            error_code: sent.and_then(|s| s.error_code.clone()),
            java_method: sent.and_then(|s| s.java_method.clone()),
            sent_at: sent.map(|s| s.sent_at),
            message: self.message,
        }
    }
}

async fn reread(client: &Client, step: &Step) -> Result<Option<Value>, AtlasError> {
    client.get_one(&step.check.path, &step.check.version).await
}

/// Re-read → precondition → the call → re-read and confirm.
async fn one(client: &Client, step: &Step) -> Ended {
    let failed = |what: &str, e: &AtlasError| {
        Ended::plain(
            Outcome::Failed,
            format!("{what}: {}; run apply again to retry", with_causes(e)),
        )
    };
    let before = match reread(client, step).await {
        Ok(read) => read,
        Err(e) => return failed("could not read the target again", &e),
    };
    if !step.precondition.holds(before.as_ref()) {
        return if step.effect.holds(before.as_ref()) {
            Ended::plain(
                Outcome::AlreadyDone,
                "Atlas already shows the step's effect; nothing sent".to_string(),
            )
        } else {
            Ended::plain(
                Outcome::Changed,
                format!(
                    "the target changed since the snapshot ({} no longer shows what the plan was made from); skipped, not forced: review it and make a new plan",
                    step.check.path
                ),
            )
        };
    }
    let name = operation(step.action);
    let Some(endpoint) = WriteEndpoint::named(&name) else {
        return Ended::plain(
            Outcome::Refused,
            format!("this build cannot send {name}; carry the step out by hand"),
        );
    };
    if !endpoint
        .method
        .as_str()
        .eq_ignore_ascii_case(&step.request.method)
    {
        return Ended::plain(
            Outcome::Refused,
            format!(
                "the plan sends {} for {name}, which Atlas takes as {}; make the plan again",
                step.request.method, endpoint.method
            ),
        );
    }
    let sent = match client
        .write(endpoint, &step.request.path, step.request.body.as_ref())
        .await
    {
        Ok(sent) => sent,
        Err(e) => return failed("no answer from Atlas", &e),
    };
    let after = reread(client, step).await;
    let shows_effect = matches!(&after, Ok(read) if step.effect.holds(read.as_ref()));
    let (outcome, message) = match sent.status {
        s if (200..300).contains(&s) && shows_effect => (Outcome::Done, "done".to_string()),
        s if (200..300).contains(&s) => (
            Outcome::NotConfirmed,
            format!(
                "Atlas answered {s} but reading {} again does not show the change; check it by hand",
                step.check.path
            ),
        ),
        404 if shows_effect => (
            Outcome::AlreadyDone,
            "Atlas answered 404: the object is already gone".to_string(),
        ),
        403 => (
            Outcome::Refused,
            format!(
                "Atlas refused (403{}): the credential needs the {} role here; grant it or have someone who holds it carry the step out",
                code_of(&sent),
                required_role(endpoint.name)
            ),
        ),
        s if (400..500).contains(&s) => (
            Outcome::Refused,
            format!(
                "Atlas refused ({s}{}){}; a person must look at this step",
                code_of(&sent),
                sent.detail
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
        ),
        s => (
            Outcome::Failed,
            format!(
                "Atlas answered {s}{}; run apply again to retry (the step is re-read first)",
                code_of(&sent)
            ),
        ),
    };
    Ended {
        outcome,
        message,
        sent: Some(sent),
    }
}

fn code_of(sent: &WriteOutcome) -> String {
    sent.error_code
        .as_deref()
        .map(|c| format!(" {c}"))
        .unwrap_or_default()
}

/// Confirms each step's effect by reading its target again: `verified` or `not_in_effect`
/// for the steps the journal shows completed; steps never completed are named as not applied.
/// The readings go in the same lanes as `apply` (one at a time per project or org, the lanes
/// side by side, paced by the documented rate limits); each is journaled as it ends, and the
/// result is in plan order.
///
/// # Errors
/// When the journal cannot be written.
pub async fn verify(
    client: &Client,
    plan: &Plan,
    journal: &mut Journal,
    mut each: impl FnMut(&Step, Option<Outcome>, &str),
) -> Result<Applied, ApplyError> {
    use futures::StreamExt as _;

    let by = acting(client);
    let mut ended: BTreeMap<&str, (Outcome, String)> = BTreeMap::new();
    let mut to_read: Vec<&Step> = Vec::new();
    for step in &plan.steps {
        if journal.completed(&step.id).is_none() {
            let message = "not applied: apply has not completed this step".to_string();
            each(step, None, &message);
            ended.insert(&step.id, (Outcome::NotInEffect, message));
        } else {
            to_read.push(step);
        }
    }
    learn_rate_limits(client, &to_read).await;
    let mut running = futures::stream::select_all(lanes_of(to_read).into_iter().map(|steps| {
        Box::pin(futures::stream::unfold(
            steps.into_iter(),
            |mut steps| async move {
                let step = steps.next()?;
                Some(((step, effect_of(client, step).await), steps))
            },
        ))
    }));
    while let Some((step, (outcome, message))) = running.next().await {
        each(step, Some(outcome), &message);
        journal.append(Entry {
            plan: plan.digest.clone(),
            step: step.id.clone(),
            phase: Phase::Verify,
            outcome,
            at: Timestamp::now(),
            by: by.clone(),
            operation: None,
            request: None,
            status: None,
            error_code: None,
            java_method: None,
            sent_at: None,
            message: message.clone(),
        })?;
        ended.insert(&step.id, (outcome, message));
    }
    journal.sync()?;
    Ok(in_plan_order(plan, ended))
}

/// The steps that ended, in plan order.
fn in_plan_order(plan: &Plan, mut ended: BTreeMap<&str, (Outcome, String)>) -> Applied {
    let steps = plan
        .steps
        .iter()
        .filter_map(|s| {
            ended
                .remove(s.id.as_str())
                .map(|(o, m)| (s.id.clone(), o, m))
        })
        .collect();
    Applied { steps }
}

/// Reads a completed step's target again: whether its effect still holds, and why not.
async fn effect_of(client: &Client, step: &Step) -> (Outcome, String) {
    match reread(client, step).await {
        Ok(read) if step.effect.holds(read.as_ref()) => {
            (Outcome::Verified, "in effect".to_string())
        }
        Ok(_) => (
            Outcome::NotInEffect,
            format!(
                "{} no longer shows the step's effect: the access may have been given back since",
                step.check.path
            ),
        ),
        Err(e) => (
            Outcome::NotInEffect,
            format!("could not read the target: {}", with_causes(&e)),
        ),
    }
}

/// `api_key:<publicKey>` or `service_account:<clientId>`: the credential as the snapshot and
/// the journal name it.
fn acting(client: &Client) -> String {
    let c = client.credentials();
    format!("{}:{}", c.kind(), c.identity())
}
