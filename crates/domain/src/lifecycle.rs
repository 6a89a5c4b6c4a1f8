//! The lifecycle of a release (docs/rules.md#lifecycle) as one table-driven state machine.
//!
//! [`TRANSITIONS`] lists every allowed (action, from, to); [`Release::apply`] is a function of
//! (release, actor, command, now) that returns the transitions to persist or a [`DomainError`].
//! It never mutates the release it is given, and it never reads a clock.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::approval::{self, ApprovalRecord, Verdict};
use crate::content::{ReleaseContent, check_note};
use crate::error::DomainError;
use crate::ids::{DepartmentId, PersonId, UserName};
use crate::visibility::{self, Role, Viewer};

/// States of a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    /// Being written.
    Draft,
    /// Waiting for the required offices.
    InReview,
    /// Every required office approved the current revision.
    Approved,
    /// Approved and scheduled to publish itself at `embargo_until`.
    Embargoed,
    /// Public.
    Published,
    /// Taken back; still readable with its withdrawal notice.
    Withdrawn,
}

impl State {
    /// Every state, in contract order.
    pub const ALL: [State; 6] = [
        Self::Draft,
        Self::InReview,
        Self::Approved,
        Self::Embargoed,
        Self::Published,
        Self::Withdrawn,
    ];

    /// Stored and contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::InReview => "IN_REVIEW",
            Self::Approved => "APPROVED",
            Self::Embargoed => "EMBARGOED",
            Self::Published => "PUBLISHED",
            Self::Withdrawn => "WITHDRAWN",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// IN_REVIEW or any later state: what a minister's office may see of releases it reviews.
    pub fn is_in_review_or_later(self) -> bool {
        !matches!(self, Self::Draft)
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Actions on a release; the names are the audit log's `action` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `createRelease`
    Create,
    /// `updateRelease`
    Update,
    /// `submitForReview`
    SubmitForReview,
    /// `requestChanges`
    RequestChanges,
    /// `approveRelease`
    Approve,
    /// `scheduleRelease`
    Schedule,
    /// `cancelEmbargo`
    CancelEmbargo,
    /// `publishNow`
    PublishNow,
    /// Loading a release that was already published elsewhere, at its real publication time
    /// (`pressroom demo`); no GraphQL mutation offers it.
    ImportPublication,
    /// The scheduler publishing at the embargo instant.
    ScheduledPublish,
    /// The scheduler refusing to publish content the approvals on record do not cover.
    RefusePublication,
    /// `correctRelease`
    Correct,
    /// `withdrawRelease`
    Withdraw,
    /// `createSignoffLink`: not a transition, but refused outside `IN_REVIEW` like one.
    CreateSignoffLink,
    /// `revokeSignoffLink`: not a transition; recorded in the audit log.
    RevokeSignoffLink,
}

impl Action {
    /// The audit log's name for the action (the mutation's name).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "createRelease",
            Self::Update => "updateRelease",
            Self::SubmitForReview => "submitForReview",
            Self::RequestChanges => "requestChanges",
            Self::Approve => "approveRelease",
            Self::Schedule => "scheduleRelease",
            Self::CancelEmbargo => "cancelEmbargo",
            Self::PublishNow => "publishNow",
            Self::ImportPublication => "importPublication",
            Self::ScheduledPublish => "scheduledPublish",
            Self::RefusePublication => "refusePublication",
            Self::Correct => "correctRelease",
            Self::Withdraw => "withdrawRelease",
            Self::CreateSignoffLink => "createSignoffLink",
            Self::RevokeSignoffLink => "revokeSignoffLink",
        }
    }

    /// Roles that may take the action (the scheduler's own action has none).
    pub fn allowed_roles(self) -> &'static [Role] {
        match self {
            Self::Create
            | Self::Update
            | Self::SubmitForReview
            | Self::Schedule
            | Self::CreateSignoffLink => &[Role::Drafter, Role::Editor],
            Self::RevokeSignoffLink => &[Role::Drafter, Role::Editor, Role::Admin],
            Self::RequestChanges | Self::Approve => &[Role::MinisterOffice],
            Self::CancelEmbargo
            | Self::PublishNow
            | Self::ImportPublication
            | Self::Correct
            | Self::Withdraw => &[Role::Editor],
            Self::ScheduledPublish | Self::RefusePublication => &[],
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every allowed transition (docs/rules.md#lifecycle): (action, from, to). Where an action has two rows from one
/// state, [`Release::apply`] picks the target (e.g. an approval completes the set or not).
pub const TRANSITIONS: &[(Action, State, State)] = &[
    (Action::Update, State::Draft, State::Draft),
    (Action::Update, State::InReview, State::InReview),
    (Action::Update, State::Approved, State::InReview),
    (Action::Update, State::Embargoed, State::InReview),
    (Action::SubmitForReview, State::Draft, State::InReview),
    (Action::RequestChanges, State::InReview, State::Draft),
    (Action::Approve, State::InReview, State::InReview),
    (Action::Approve, State::InReview, State::Approved),
    (Action::Schedule, State::Approved, State::Embargoed),
    (Action::Schedule, State::Embargoed, State::Embargoed),
    (Action::CancelEmbargo, State::Embargoed, State::Approved),
    (Action::PublishNow, State::Approved, State::Published),
    (Action::PublishNow, State::Embargoed, State::Published),
    (Action::ImportPublication, State::Approved, State::Published),
    (Action::ScheduledPublish, State::Embargoed, State::Published),
    (Action::RefusePublication, State::Embargoed, State::InReview),
    (Action::Correct, State::Published, State::Published),
    (Action::Withdraw, State::Published, State::Withdrawn),
];

/// Whether the table allows `action` from `from` at all.
pub fn allowed_from(action: Action, from: State) -> bool {
    TRANSITIONS
        .iter()
        .any(|&(a, f, _)| a == action && f == from)
}

/// Whether the table allows `action` from `from` to `to`.
pub fn is_listed(action: Action, from: State, to: State) -> bool {
    TRANSITIONS.contains(&(action, from, to))
}

/// A command on an existing release, with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Replace the content.
    Update(ReleaseContent),
    /// Send to review.
    SubmitForReview,
    /// Send back to the drafters, with a comment.
    RequestChanges(String),
    /// Approve as the actor's office.
    Approve,
    /// Put under embargo until the instant.
    Schedule(DateTime<Utc>),
    /// Lift the embargo, with a reason.
    CancelEmbargo(String),
    /// Publish at once.
    PublishNow,
    /// Publish a release that was already public elsewhere since the given instant, which
    /// becomes its `publishedAt` (not in the future). Used to load the example release with its
    /// real publication time; the audit entry is written at the time of loading, as always.
    ImportPublication(DateTime<Utc>),
    /// Correct published content, with a public note.
    Correct(ReleaseContent, String),
    /// Withdraw, with a public reason.
    Withdraw(String),
}

impl Command {
    /// The action this command performs.
    pub fn action(&self) -> Action {
        match self {
            Self::Update(_) => Action::Update,
            Self::SubmitForReview => Action::SubmitForReview,
            Self::RequestChanges(_) => Action::RequestChanges,
            Self::Approve => Action::Approve,
            Self::Schedule(_) => Action::Schedule,
            Self::CancelEmbargo(_) => Action::CancelEmbargo,
            Self::PublishNow => Action::PublishNow,
            Self::ImportPublication(_) => Action::ImportPublication,
            Self::Correct(..) => Action::Correct,
            Self::Withdraw(_) => Action::Withdraw,
        }
    }
}

/// Public events, as delivered by the change feed and webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PublicEvent {
    /// The release became public.
    Published,
    /// Published content was corrected.
    Corrected,
    /// The release was withdrawn.
    Withdrawn,
}

impl PublicEvent {
    /// The event's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "release.published",
            Self::Corrected => "release.corrected",
            Self::Withdrawn => "release.withdrawn",
        }
    }
}

/// Everything storage keeps about a release that the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Id.
    pub id: String,
    /// Department (fixed at creation).
    pub department_id: DepartmentId,
    /// Stored state.
    pub state: State,
    /// Optimistic-concurrency version: +1 on every write.
    pub version: i32,
    /// Revision number of the current content: +1 on every content change.
    pub revision: i32,
    /// Current content.
    pub content: ReleaseContent,
    /// Hash of the current content.
    pub content_hash: String,
    /// User who wrote the current revision.
    pub author: UserName,
    /// Embargo instant, while embargoed.
    pub embargo_until: Option<DateTime<Utc>>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// Every approval record, oldest first.
    pub approvals: Vec<ApprovalRecord>,
}

/// One persisted step: the release after it and what to record beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// What was done.
    pub action: Action,
    /// State before (None for creation).
    pub from: Option<State>,
    /// The release after the step (its `version` is the new version).
    pub after: Release,
    /// Whether the step made a new revision (store it).
    pub new_revision: bool,
    /// An approval record to store.
    pub approval: Option<ApprovalRecord>,
    /// A public correction note to store (at the new revision).
    pub correction: Option<String>,
    /// A public withdrawal reason to store.
    pub withdrawal: Option<String>,
    /// The audit entry's `details`, camelCase keys.
    pub details: BTreeMap<String, Value>,
    /// The public event to put in the outbox.
    pub event: Option<PublicEvent>,
}

/// Why the scheduler refused to publish a due release.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefusedPublication {
    /// The release is not embargoed or not yet due.
    #[error("not due")]
    NotDue,
    /// The approvals on record do not cover the revision that would be published.
    #[error("the approvals on record do not cover revision {revision} ({content_hash})")]
    NotCovered {
        /// Revision that would have been published.
        revision: i32,
        /// Its hash.
        content_hash: String,
    },
}

/// Formats an instant as the audit log and API do: RFC 3339 in UTC with `Z`.
pub fn format_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

impl Release {
    /// Creates a release (revision 1, DRAFT) in `department_id` as `actor`.
    pub fn create(
        id: String,
        department_id: DepartmentId,
        content: ReleaseContent,
        actor: &Viewer,
    ) -> Result<Transition, DomainError> {
        check_role(Action::Create, actor)?;
        if actor.department_id.as_ref() != Some(&department_id) {
            return Err(DomainError::Forbidden(
                "drafters and editors create releases of their own department only".into(),
            ));
        }
        let content_hash = content.content_hash();
        let after = Release {
            id,
            department_id,
            state: State::Draft,
            version: 1,
            revision: 1,
            content,
            content_hash: content_hash.clone(),
            author: actor.user_name.clone(),
            embargo_until: None,
            published_at: None,
            approvals: Vec::new(),
        };
        Ok(Transition {
            action: Action::Create,
            from: None,
            after,
            new_revision: true,
            approval: None,
            correction: None,
            withdrawal: None,
            details: details([("revision", json!(1)), ("contentHash", json!(content_hash))]),
            event: None,
        })
    }

    /// Whether the release is embargoed and its instant has come at `now`
    /// ([`visibility::embargo_due`]).
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        visibility::embargo_due(self.state, self.embargo_until, now)
    }

    /// Whether every required office has a valid approval of the current content.
    pub fn fully_approved(&self) -> bool {
        approval::fully_approved(&self.approvals, &self.content, &self.content_hash)
    }

    /// Offices whose approval the current content needs.
    pub fn required_offices(&self) -> Vec<PersonId> {
        approval::required_offices(&self.content)
    }

    /// The key releases are listed by, newest first: when it is or will be public, else when it last changed.
    pub fn sort_at(&self, updated_at: DateTime<Utc>) -> DateTime<Utc> {
        self.published_at
            .or(self.embargo_until)
            .unwrap_or(updated_at)
    }

    /// The scheduler's step: publish a due embargoed release at its instant, re-checking approvals.
    pub fn scheduled_publish(&self, now: DateTime<Utc>) -> Result<Transition, RefusedPublication> {
        let Some(until) = self.embargo_until.filter(|_| self.is_due(now)) else {
            return Err(RefusedPublication::NotDue);
        };
        if !self.fully_approved() {
            return Err(RefusedPublication::NotCovered {
                revision: self.revision,
                content_hash: self.content_hash.clone(),
            });
        }
        let late_ms = (now - until).num_milliseconds();
        let mut after = self.next_version();
        after.state = State::Published;
        after.published_at = Some(until);
        Ok(Transition {
            details: details([
                ("embargoUntil", json!(format_instant(until))),
                ("lateMs", json!(late_ms)),
                ("revision", json!(self.revision)),
                ("contentHash", json!(self.content_hash)),
            ]),
            event: Some(PublicEvent::Published),
            ..self.step(Action::ScheduledPublish, after)
        })
    }

    /// The scheduler's step when [`Release::scheduled_publish`] refuses because the approvals on
    /// record do not cover the content: the release must not stay EMBARGOED (it would read as
    /// published from its instant on), so it goes back to review with its embargo cleared.
    pub fn refuse_publication(&self, refusal: &RefusedPublication) -> Option<Transition> {
        if self.state != State::Embargoed {
            return None;
        }
        let mut after = self.next_version();
        after.state = State::InReview;
        after.embargo_until = None;
        let mut d = details([
            ("reason", json!(refusal.to_string())),
            ("revision", json!(self.revision)),
            ("contentHash", json!(self.content_hash)),
        ]);
        if let Some(until) = self.embargo_until {
            d.insert("clearedEmbargoUntil".into(), json!(format_instant(until)));
        }
        Some(Transition {
            details: d,
            ..self.step(Action::RefusePublication, after)
        })
    }

    /// Applies `command` by `actor` at `now`. A release whose embargo instant has passed is first
    /// published by the scheduler's rule (it already reads as published), so the result may hold
    /// two transitions, to be persisted in order in one database transaction.
    pub fn apply(
        &self,
        actor: &Viewer,
        command: Command,
        now: DateTime<Utc>,
    ) -> Result<Vec<Transition>, DomainError> {
        if let Ok(publication) = self.scheduled_publish(now) {
            let then = publication.after.apply_now_due_free(actor, command, now)?;
            return Ok(vec![publication, then]);
        }
        Ok(vec![self.apply_now_due_free(actor, command, now)?])
    }

    fn apply_now_due_free(
        &self,
        actor: &Viewer,
        command: Command,
        now: DateTime<Utc>,
    ) -> Result<Transition, DomainError> {
        let action = command.action();
        check_role(action, actor)?;
        if actor.role.is_staff() && actor.department_id.as_ref() != Some(&self.department_id) {
            return Err(DomainError::Forbidden(
                "this release belongs to another department".into(),
            ));
        }
        if !allowed_from(action, self.state) {
            return Err(DomainError::InvalidTransition {
                action,
                state: self.state,
            });
        }
        let mut after = self.next_version();
        match command {
            Command::Update(content) => {
                // Outside DRAFT an update moves the release (back) to review; with the same
                // content that would leave it IN_REVIEW under approvals that still cover it, in
                // no office's queue. So a no-op update changes nothing there and is refused, as a
                // no-op correction is. In DRAFT it is harmless (the state stays) and allowed.
                if self.state != State::Draft {
                    if content.content_hash() == self.content_hash {
                        return Err(DomainError::validation(
                            "input",
                            "the update does not change the content",
                        ));
                    }
                    content.check_complete()?;
                }
                let voided = self.replace_content(&mut after, content, actor);
                after.state = if self.state == State::Draft {
                    State::Draft
                } else {
                    State::InReview
                };
                after.embargo_until = None;
                let mut d = details([
                    ("revision", json!(after.revision)),
                    ("contentHash", json!(after.content_hash)),
                ]);
                if let Some(until) = self.embargo_until {
                    d.insert("clearedEmbargoUntil".into(), json!(format_instant(until)));
                }
                if !voided.is_empty() {
                    d.insert("voidedApprovals".into(), json!(voided));
                }
                Ok(Transition {
                    details: d,
                    new_revision: after.revision != self.revision,
                    ..self.step(action, after)
                })
            }
            Command::SubmitForReview => {
                self.content.check_complete()?;
                after.state = State::InReview;
                Ok(Transition {
                    details: details([
                        ("revision", json!(self.revision)),
                        ("contentHash", json!(self.content_hash)),
                    ]),
                    ..self.step(action, after)
                })
            }
            Command::RequestChanges(comment) => {
                check_note("comment", &comment)?;
                let record =
                    self.verdict_by(actor, Verdict::ChangesRequested, Some(comment.clone()), now)?;
                after.approvals.push(record.clone());
                after.state = State::Draft;
                Ok(Transition {
                    approval: Some(record),
                    details: details([
                        ("comment", json!(comment)),
                        ("revision", json!(self.revision)),
                    ]),
                    ..self.step(action, after)
                })
            }
            Command::Approve => {
                if actor.user_name == self.author {
                    return Err(DomainError::Forbidden(
                        "four eyes: nobody approves a revision they authored".into(),
                    ));
                }
                let record = self.verdict_by(actor, Verdict::Approved, None, now)?;
                after.approvals.push(record.clone());
                after.state = if after.fully_approved() {
                    State::Approved
                } else {
                    State::InReview
                };
                Ok(Transition {
                    details: details([
                        ("office", json!(record.office_id)),
                        ("revision", json!(self.revision)),
                        ("contentHash", json!(self.content_hash)),
                    ]),
                    approval: Some(record),
                    ..self.step(action, after)
                })
            }
            Command::Schedule(until) => {
                if until <= now {
                    return Err(DomainError::EmbargoInPast);
                }
                self.require_full_approval(action)?;
                after.state = State::Embargoed;
                after.embargo_until = Some(until);
                let mut d = details([("embargoUntil", json!(format_instant(until)))]);
                if let Some(previous) = self.embargo_until {
                    d.insert(
                        "previousEmbargoUntil".into(),
                        json!(format_instant(previous)),
                    );
                }
                Ok(Transition {
                    details: d,
                    ..self.step(action, after)
                })
            }
            Command::CancelEmbargo(reason) => {
                check_note("reason", &reason)?;
                after.state = State::Approved;
                after.embargo_until = None;
                let mut d = details([("reason", json!(reason))]);
                if let Some(previous) = self.embargo_until {
                    d.insert("embargoUntil".into(), json!(format_instant(previous)));
                }
                Ok(Transition {
                    details: d,
                    ..self.step(action, after)
                })
            }
            Command::PublishNow => {
                self.require_full_approval(action)?;
                after.state = State::Published;
                after.published_at = Some(now);
                after.embargo_until = None;
                Ok(Transition {
                    details: details([
                        ("revision", json!(self.revision)),
                        ("contentHash", json!(self.content_hash)),
                    ]),
                    event: Some(PublicEvent::Published),
                    ..self.step(action, after)
                })
            }
            Command::ImportPublication(published_at) => {
                if published_at > now {
                    return Err(DomainError::validation(
                        "publishedAt",
                        "an imported publication time cannot be in the future",
                    ));
                }
                self.require_full_approval(action)?;
                after.state = State::Published;
                after.published_at = Some(published_at);
                Ok(Transition {
                    details: details([
                        ("publishedAt", json!(format_instant(published_at))),
                        ("revision", json!(self.revision)),
                        ("contentHash", json!(self.content_hash)),
                    ]),
                    event: Some(PublicEvent::Published),
                    ..self.step(action, after)
                })
            }
            Command::Correct(content, note) => {
                check_note("note", &note)?;
                if !content.quotes().eq(self.content.quotes()) {
                    return Err(DomainError::QuoteChangeRequiresReview);
                }
                if content.responsible_minister_id() != self.content.responsible_minister_id() {
                    return Err(DomainError::validation(
                        "input.responsibleMinisterId",
                        "a correction cannot change the responsible minister",
                    ));
                }
                content.check_complete()?;
                if content.content_hash() == self.content_hash {
                    return Err(DomainError::validation(
                        "input",
                        "the correction does not change the content",
                    ));
                }
                self.replace_content(&mut after, content, actor);
                Ok(Transition {
                    details: details([
                        ("note", json!(note)),
                        ("revision", json!(after.revision)),
                        ("contentHash", json!(after.content_hash)),
                    ]),
                    correction: Some(note),
                    new_revision: true,
                    event: Some(PublicEvent::Corrected),
                    ..self.step(action, after)
                })
            }
            Command::Withdraw(reason) => {
                check_note("reason", &reason)?;
                after.state = State::Withdrawn;
                Ok(Transition {
                    details: details([("reason", json!(reason))]),
                    withdrawal: Some(reason),
                    event: Some(PublicEvent::Withdrawn),
                    ..self.step(action, after)
                })
            }
        }
    }

    /// A copy with the version bumped: the start of every step.
    fn next_version(&self) -> Release {
        Release {
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// A transition with no side records; callers fill in what their step adds.
    fn step(&self, action: Action, after: Release) -> Transition {
        Transition {
            action,
            from: Some(self.state),
            after,
            new_revision: false,
            approval: None,
            correction: None,
            withdrawal: None,
            details: BTreeMap::new(),
            event: None,
        }
    }

    /// Puts new content into `after` (a new revision when it differs) and returns the offices
    /// whose approval was valid before and is not any more.
    fn replace_content(
        &self,
        after: &mut Release,
        content: ReleaseContent,
        actor: &Viewer,
    ) -> Vec<PersonId> {
        let hash = content.content_hash();
        if hash != self.content_hash {
            after.revision = self.revision + 1;
            after.author = actor.user_name.clone();
        }
        after.content = content;
        after.content_hash = hash;
        self.required_offices()
            .into_iter()
            .filter(|office| {
                approval::valid_approval(office, &self.approvals, &self.content, &self.content_hash)
                    .is_some()
                    && approval::valid_approval(
                        office,
                        &after.approvals,
                        &after.content,
                        &after.content_hash,
                    )
                    .is_none()
            })
            .collect()
    }

    /// The record of `actor`'s office's verdict on the current revision; the office must be required.
    fn verdict_by(
        &self,
        actor: &Viewer,
        verdict: Verdict,
        comment: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<ApprovalRecord, DomainError> {
        let office_id = actor
            .person_id
            .clone()
            .filter(|p| self.required_offices().contains(p))
            .ok_or_else(|| {
                DomainError::Forbidden("this release does not need your office's approval".into())
            })?;
        Ok(ApprovalRecord {
            quotes_hash: self.content.quotes_hash(office_id.as_str()),
            office_id,
            revision: self.revision,
            verdict,
            by_user: actor.user_name.clone(),
            at: now,
            comment,
            content_hash: self.content_hash.clone(),
        })
    }

    /// Refuses to go public (or schedule going public) without full approval of the current content.
    fn require_full_approval(&self, action: Action) -> Result<(), DomainError> {
        if self.fully_approved() {
            Ok(())
        } else {
            Err(DomainError::InvalidTransition {
                action,
                state: self.state,
            })
        }
    }
}

fn check_role(action: Action, actor: &Viewer) -> Result<(), DomainError> {
    if action.allowed_roles().contains(&actor.role) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(format!(
            "the {} role may not {}",
            actor.role.as_str(),
            action.as_str()
        )))
    }
}

fn details<const N: usize>(pairs: [(&str, Value); N]) -> BTreeMap<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
