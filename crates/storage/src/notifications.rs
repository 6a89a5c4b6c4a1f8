//! Notifications by e-mail: the addresses of offices and users, and the mail queue.
//!
//! - **Addresses.** A person may have an office address (the minister's office that signs for
//!   them) and a user (the name behind tokens and sessions) an address. Only admins set and read
//!   them; each change is audited without the address itself (`hasEmail`), since the audit log
//!   is read by more people than admins.
//! - **Enqueueing.** [`enqueue_for_transitions`] runs inside the write transaction of every
//!   change of a release (the same `persist_transitions` path as `Store::act`, sign-off answers
//!   and the scheduler's batches) and inserts one `mail_queue` row per recipient: the message is
//!   queued exactly when the change commits, and a rollback takes it back. It never fails a
//!   write for want of an address: a release whose people have none simply sends nothing.
//! - **Sending** runs elsewhere (`pressroom-notify`), in short transactions of its own:
//!   [`Store::claim_mail`] takes due messages (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write
//!   lock on SQLite), counts the attempt and pushes `next_attempt_at` forward by a lease;
//!   [`Store::record_mail_attempt`] records how it went. The SMTP conversation happens outside
//!   every transaction, so a slow mail server never holds a lock or a write up.
//!
//! Who hears what, and why nothing leaks (docs/rules.md#notifications):
//!
//! - a required office with an address that has not approved the current revision gets a
//!   sign-off request with a fresh sign-off link for that revision, on `submitForReview` and
//!   on every `updateRelease` that leaves the release in review; the message carries the
//!   title, who asked and the link, which is exactly what the office is asked to approve;
//! - the release's author and the department's editors, each only while they hold a drafter's
//!   or editor's token of the department (so only people who may read the release in
//!   Pressroom), get changes requested, all sign-offs in, published, corrected and withdrawn;
//! - integrators and the public never get anything.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pressroom_domain::approval::{ApprovalStatus, standings};
use pressroom_domain::content::check_email;
use pressroom_domain::lifecycle::{
    Action, PublicEvent, Release, State, Transition, format_instant,
};
use pressroom_domain::signoff::DEFAULT_EXPIRES_IN_HOURS;
use pressroom_domain::visibility::Role;
use pressroom_domain::{PersonId, UserName};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};

use crate::audit;
use crate::clock::{from_micros, micros};
use crate::directory::admin_entry;
use crate::entity::{
    departments, mail_queue, office_emails, people, releases, review_deadlines,
    scheduler_heartbeats, sessions, tokens, user_emails,
};
use crate::error::{StorageError, StorageResult};
use crate::store::Store;

/// How long before an embargo instant an edit that takes a release out of its embargo alerts
/// the department's editors at once, unless [`set_readiness_lead`] says otherwise.
pub const DEFAULT_READINESS_LEAD: Duration = Duration::from_secs(30 * 60);

/// The readiness lead of this process, in seconds (the `readiness_check_minutes` setting).
static READINESS_LEAD_SECS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(DEFAULT_READINESS_LEAD.as_secs());

/// Sets, for this process, how long before an embargo instant the readiness of a release is
/// checked: an edit that takes a release out of its embargo within that time alerts its
/// department's editors at once. A process-wide setting because every write path of every
/// store in the process applies it (`pressroom serve` sets it once at start).
pub fn set_readiness_lead(lead: Duration) {
    READINESS_LEAD_SECS.store(lead.as_secs(), std::sync::atomic::Ordering::Relaxed);
}

/// This process's readiness lead.
pub fn readiness_lead() -> Duration {
    Duration::from_secs(READINESS_LEAD_SECS.load(std::sync::atomic::Ordering::Relaxed))
}

/// The life, in hours, of the sign-off links that requests by e-mail carry: the default life of
/// a link, cut to the `signoff_link_max_hours` setting when that is shorter.
static MAILED_LINK_HOURS: std::sync::atomic::AtomicI64 =
    std::sync::atomic::AtomicI64::new(DEFAULT_EXPIRES_IN_HOURS);

/// Sets, for this process, the longest life of a sign-off link (`signoff_link_max_hours`): the
/// links that sign-off requests by e-mail carry live the default 72 hours, or this if shorter.
/// Process-wide for the same reason as [`set_readiness_lead`].
pub fn set_signoff_link_max_hours(max_hours: i64) {
    MAILED_LINK_HOURS.store(
        Ord::clamp(max_hours, 1, DEFAULT_EXPIRES_IN_HOURS),
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// The life, in hours, of the sign-off links mailed by this process.
pub fn mailed_link_hours() -> i64 {
    MAILED_LINK_HOURS.load(std::sync::atomic::Ordering::Relaxed)
}

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// An office is asked to sign off the current revision (with a sign-off link).
    SignoffRequest,
    /// An office requested changes.
    ChangesRequested,
    /// Every required office approved: the release is `APPROVED`.
    AllSignedOff,
    /// The release became public.
    Published,
    /// Published content was corrected.
    Corrected,
    /// The release was withdrawn.
    Withdrawn,
    /// An embargoed release would not publish at its instant.
    ReadinessAlert,
    /// An office has not answered and the review deadline is near.
    DeadlineReminder,
}

impl MailKind {
    /// Every kind.
    pub const ALL: [Self; 8] = [
        Self::SignoffRequest,
        Self::ChangesRequested,
        Self::AllSignedOff,
        Self::Published,
        Self::Corrected,
        Self::Withdrawn,
        Self::ReadinessAlert,
        Self::DeadlineReminder,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignoffRequest => "SIGNOFF_REQUEST",
            Self::ChangesRequested => "CHANGES_REQUESTED",
            Self::AllSignedOff => "ALL_SIGNED_OFF",
            Self::Published => "PUBLISHED",
            Self::Corrected => "CORRECTED",
            Self::Withdrawn => "WITHDRAWN",
            Self::ReadinessAlert => "READINESS_ALERT",
            Self::DeadlineReminder => "DEADLINE_REMINDER",
        }
    }

    /// Reads a stored name.
    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == stored)
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailState {
    /// Waiting for its next attempt, or with an attempt in flight.
    Pending,
    /// The mail server accepted it.
    Sent,
    /// Every attempt failed; no more are made.
    Failed,
}

impl MailState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Sent => "SENT",
            Self::Failed => "FAILED",
        }
    }

    /// Reads a stored name.
    pub fn parse(stored: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == stored)
    }
}

/// A user's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEmail {
    /// The user name.
    pub user_name: String,
    /// The address.
    pub email: String,
}

/// A queued message as admins see it (never its content or its link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRecord {
    /// Id.
    pub id: String,
    /// The address it goes to.
    pub recipient: String,
    /// What it is about.
    pub kind: MailKind,
    /// The release it is about.
    pub release_id: Option<String>,
    /// `sv` or `en`.
    pub language: String,
    /// Where it stands.
    pub state: MailState,
    /// Attempts made so far.
    pub attempts: i32,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the last attempt ended.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// What the last failed attempt got.
    pub last_error: Option<String>,
    /// When it was sent or given up.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A message a worker has claimed and now sends.
#[derive(Clone, PartialEq)]
pub struct ClaimedMail {
    /// Id (the `Message-ID` local part).
    pub id: String,
    /// The address it goes to.
    pub recipient: String,
    /// What it is about.
    pub kind: MailKind,
    /// `sv` or `en`.
    pub language: String,
    /// What the templates need.
    pub payload: Value,
    /// The sign-off token of a sign-off request; read it with [`ClaimedMail::secret`].
    secret: Option<String>,
    /// This attempt's number, from 1.
    pub attempt: i32,
}

impl ClaimedMail {
    /// A message as a worker would claim it (for rendering previews and tests).
    pub fn new(
        id: String,
        recipient: String,
        kind: MailKind,
        language: String,
        payload: Value,
        secret: Option<String>,
        attempt: i32,
    ) -> Self {
        Self {
            id,
            recipient,
            kind,
            language,
            payload,
            secret,
            attempt,
        }
    }

    /// The sign-off token a sign-off request carries. Never log it.
    pub fn secret(&self) -> Option<&str> {
        self.secret.as_deref()
    }
}

impl std::fmt::Debug for ClaimedMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Neither the token nor the payload (a title under embargo) goes into a log line.
        f.debug_struct("ClaimedMail")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

/// How many messages are in each state (monitoring and tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailCounts {
    /// Waiting or in flight.
    pub pending: u64,
    /// Sent.
    pub sent: u64,
    /// Given up.
    pub failed: u64,
}

fn mail_record(m: mail_queue::Model) -> StorageResult<MailRecord> {
    Ok(MailRecord {
        kind: MailKind::parse(&m.kind)
            .ok_or_else(|| StorageError::Internal(format!("unknown mail kind {}", m.kind)))?,
        state: MailState::parse(&m.state)
            .ok_or_else(|| StorageError::Internal(format!("unknown mail state {}", m.state)))?,
        id: m.id,
        recipient: m.recipient,
        release_id: m.release_id,
        language: m.language,
        attempts: m.attempts,
        created_at: from_micros(m.created_at),
        last_attempt_at: m.last_attempt_at.map(from_micros),
        last_error: m.last_error,
        finished_at: m.finished_at.map(from_micros),
    })
}

/// `None` for an absent or blank address, the trimmed address otherwise, checked like a
/// contact's e-mail (`VALIDATION` on `field`).
fn checked_address(field: &str, email: Option<&str>) -> StorageResult<Option<String>> {
    match email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(email) => {
            check_email(field, email)?;
            Ok(Some(email.to_owned()))
        }
        None => Ok(None),
    }
}

impl Store {
    /// Sets (or, with `None`, removes) the office address of person `person_id`, as admin
    /// `actor`. An unknown person is `VALIDATION` on `personId`, a malformed address on `email`.
    pub async fn set_office_email(
        &self,
        actor: &UserName,
        person_id: &PersonId,
        email: Option<&str>,
    ) -> StorageResult<Option<String>> {
        let email = checked_address("email", email)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        if people::Entity::find_by_id(person_id.to_string())
            .one(&txn)
            .await?
            .is_none()
        {
            return Err(StorageError::validation(
                "personId",
                "no person has this id",
            ));
        }
        office_emails::Entity::delete_by_id(person_id.to_string())
            .exec(&txn)
            .await?;
        if let Some(email) = &email {
            office_emails::ActiveModel {
                person_id: Set(person_id.to_string()),
                email: Set(email.clone()),
                updated_at: Set(micros(now)),
            }
            .insert(&txn)
            .await?;
        }
        let details: BTreeMap<String, Value> = [
            ("personId".to_owned(), json!(person_id)),
            ("hasEmail".to_owned(), json!(email.is_some())),
        ]
        .into_iter()
        .collect();
        audit::append(
            &txn,
            admin_entry(actor.as_str(), "setOfficeEmail", &details),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(email)
    }

    /// The office addresses of these people, keyed by person id (one query). Admins only: the
    /// caller checks the role.
    pub async fn office_emails(
        &self,
        person_ids: &[PersonId],
    ) -> StorageResult<HashMap<PersonId, String>> {
        if person_ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(office_emails::Entity::find()
            .filter(office_emails::Column::PersonId.is_in(person_ids.iter().map(PersonId::as_str)))
            .all(self.connection())
            .await?
            .into_iter()
            .map(|m| (PersonId::from(m.person_id), m.email))
            .collect())
    }

    /// Sets (or, with `None`, removes) the address of user `user_name`, as admin `actor`. A
    /// malformed name is `VALIDATION` on `userName`, a malformed address on `email`.
    pub async fn set_user_email(
        &self,
        actor: &UserName,
        user_name: &UserName,
        email: Option<&str>,
    ) -> StorageResult<Option<UserEmail>> {
        pressroom_domain::directory::check_user_name("userName", user_name.as_str())?;
        let email = checked_address("email", email)?;
        let now = self.now();
        let txn = self.begin_write().await?;
        user_emails::Entity::delete_by_id(user_name.to_string())
            .exec(&txn)
            .await?;
        if let Some(email) = &email {
            user_emails::ActiveModel {
                user_name: Set(user_name.to_string()),
                email: Set(email.clone()),
                updated_at: Set(micros(now)),
            }
            .insert(&txn)
            .await?;
        }
        let details: BTreeMap<String, Value> = [
            ("userName".to_owned(), json!(user_name)),
            ("hasEmail".to_owned(), json!(email.is_some())),
        ]
        .into_iter()
        .collect();
        audit::append(
            &txn,
            admin_entry(actor.as_str(), "setUserEmail", &details),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(email.map(|email| UserEmail {
            user_name: user_name.to_string(),
            email,
        }))
    }

    /// Every user address, by user name. Admins only: the caller checks the role.
    pub async fn user_emails(&self) -> StorageResult<Vec<UserEmail>> {
        Ok(user_emails::Entity::find()
            .order_by_asc(user_emails::Column::UserName)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|m| UserEmail {
                user_name: m.user_name,
                email: m.email,
            })
            .collect())
    }

    /// The newest `first` messages, of one release when `release_id` is given. Admins only: the
    /// caller checks the role.
    pub async fn mail_messages(
        &self,
        release_id: Option<&str>,
        first: u64,
    ) -> StorageResult<Vec<MailRecord>> {
        let mut query = mail_queue::Entity::find();
        if let Some(id) = release_id {
            query = query.filter(mail_queue::Column::ReleaseId.eq(id));
        }
        query
            .order_by_desc(mail_queue::Column::CreatedAt)
            .order_by_desc(mail_queue::Column::Id)
            .limit(first)
            .all(self.connection())
            .await?
            .into_iter()
            .map(mail_record)
            .collect()
    }

    /// How many messages are in each state.
    pub async fn mail_counts(&self) -> StorageResult<MailCounts> {
        let rows: Vec<(String, i64)> = mail_queue::Entity::find()
            .select_only()
            .column(mail_queue::Column::State)
            .expr(Expr::col(mail_queue::Column::Id).count())
            .group_by(mail_queue::Column::State)
            .into_tuple()
            .all(self.connection())
            .await?;
        let mut counts = MailCounts::default();
        for (state, n) in rows {
            let n = u64::try_from(n).unwrap_or_default();
            match MailState::parse(&state) {
                Some(MailState::Pending) => counts.pending = n,
                Some(MailState::Sent) => counts.sent = n,
                Some(MailState::Failed) => counts.failed = n,
                None => {
                    return Err(StorageError::Internal(format!(
                        "unknown mail state {state:?}"
                    )));
                }
            }
        }
        Ok(counts)
    }

    /// Claims up to `limit` pending messages whose next attempt is due: counts the attempt and
    /// pushes `next_attempt_at` forward by `lease`, after which a worker that died mid-attempt
    /// gives the message up to another. Messages that already used `max_attempts` (their last
    /// attempt was lost) are failed instead of claimed. Takes no write lock when nothing is due.
    pub async fn claim_mail(
        &self,
        limit: u64,
        lease: Duration,
        max_attempts: i32,
    ) -> StorageResult<Vec<ClaimedMail>> {
        let anything_due: Option<String> = mail_queue::Entity::find()
            .select_only()
            .column(mail_queue::Column::Id)
            .filter(mail_queue::Column::State.eq(MailState::Pending.as_str()))
            .filter(mail_queue::Column::NextAttemptAt.lte(micros(self.now())))
            .limit(1)
            .into_tuple()
            .one(self.connection())
            .await?;
        if anything_due.is_none() || limit == 0 {
            return Ok(Vec::new());
        }
        let txn = self.begin_write().await?;
        let now = self.now();
        let due = mail_queue::Entity::find()
            .filter(mail_queue::Column::State.eq(MailState::Pending.as_str()))
            .filter(mail_queue::Column::NextAttemptAt.lte(micros(now)))
            .order_by_asc(mail_queue::Column::NextAttemptAt)
            .order_by_asc(mail_queue::Column::Id)
            .limit(limit)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .all(&txn)
            .await?;
        let (exhausted, claimed): (Vec<_>, Vec<_>) =
            due.into_iter().partition(|m| m.attempts >= max_attempts);
        if !exhausted.is_empty() {
            mail_queue::Entity::update_many()
                .col_expr(
                    mail_queue::Column::State,
                    Expr::value(MailState::Failed.as_str()),
                )
                .col_expr(mail_queue::Column::FinishedAt, Expr::value(micros(now)))
                .col_expr(
                    mail_queue::Column::Secret,
                    Expr::value(Option::<String>::None),
                )
                .filter(mail_queue::Column::Id.is_in(exhausted.iter().map(|m| m.id.clone())))
                .filter(mail_queue::Column::State.eq(MailState::Pending.as_str()))
                .exec(&txn)
                .await?;
        }
        if claimed.is_empty() {
            txn.commit().await?;
            return Ok(Vec::new());
        }
        let lease_until = now
            + chrono::Duration::from_std(lease)
                .map_err(|e| StorageError::Internal(format!("lease out of range: {e}")))?;
        let updated = mail_queue::Entity::update_many()
            .col_expr(
                mail_queue::Column::Attempts,
                Expr::col(mail_queue::Column::Attempts).add(1),
            )
            .col_expr(
                mail_queue::Column::NextAttemptAt,
                Expr::value(micros(lease_until)),
            )
            .filter(mail_queue::Column::Id.is_in(claimed.iter().map(|m| m.id.clone())))
            .filter(mail_queue::Column::State.eq(MailState::Pending.as_str()))
            .exec(&txn)
            .await?;
        if updated.rows_affected != claimed.len() as u64 {
            return Err(StorageError::Internal(format!(
                "claimed {} messages but updated {}",
                claimed.len(),
                updated.rows_affected
            )));
        }
        let mails = claimed
            .into_iter()
            .map(|m| {
                Ok(ClaimedMail {
                    kind: MailKind::parse(&m.kind).ok_or_else(|| {
                        StorageError::Internal(format!("unknown mail kind {}", m.kind))
                    })?,
                    payload: serde_json::from_str(&m.payload)?,
                    id: m.id,
                    recipient: m.recipient,
                    language: m.language,
                    secret: m.secret,
                    attempt: m.attempts + 1,
                })
            })
            .collect::<StorageResult<Vec<_>>>()?;
        txn.commit().await?;
        Ok(mails)
    }

    /// Records how one attempt went: sent (`error` is `None`), pending until `retry_at`, or
    /// failed for good. A finished message forgets its sign-off token. Returns the message's new
    /// state, or `None` when the claim had lapsed and another worker has taken it over.
    pub async fn record_mail_attempt(
        &self,
        mail: &ClaimedMail,
        error: Option<&str>,
        retry_at: Option<DateTime<Utc>>,
    ) -> StorageResult<Option<MailState>> {
        let txn = self.begin_write().await?;
        let now = micros(self.now());
        let this = mail_queue::Column::Id.eq(mail.id.as_str());
        let pending = mail_queue::Column::State.eq(MailState::Pending.as_str());
        let mut update = mail_queue::Entity::update_many()
            .col_expr(mail_queue::Column::LastAttemptAt, Expr::value(now))
            .filter(this)
            .filter(pending);
        let state = match (error, retry_at) {
            (None, _) => {
                // A success ends the message even if the claim lapsed meanwhile.
                update = update
                    .col_expr(
                        mail_queue::Column::State,
                        Expr::value(MailState::Sent.as_str()),
                    )
                    .col_expr(mail_queue::Column::FinishedAt, Expr::value(now))
                    .col_expr(
                        mail_queue::Column::Secret,
                        Expr::value(Option::<String>::None),
                    );
                MailState::Sent
            }
            (Some(error), Some(at)) => {
                update = update
                    .col_expr(mail_queue::Column::NextAttemptAt, Expr::value(micros(at)))
                    .col_expr(mail_queue::Column::LastError, Expr::value(error.to_owned()))
                    .filter(mail_queue::Column::Attempts.eq(mail.attempt));
                MailState::Pending
            }
            (Some(error), None) => {
                update = update
                    .col_expr(
                        mail_queue::Column::State,
                        Expr::value(MailState::Failed.as_str()),
                    )
                    .col_expr(mail_queue::Column::FinishedAt, Expr::value(now))
                    .col_expr(mail_queue::Column::LastError, Expr::value(error.to_owned()))
                    .col_expr(
                        mail_queue::Column::Secret,
                        Expr::value(Option::<String>::None),
                    )
                    .filter(mail_queue::Column::Attempts.eq(mail.attempt));
                MailState::Failed
            }
        };
        let result = update.exec(&txn).await?;
        txn.commit().await?;
        Ok((result.rows_affected == 1).then_some(state))
    }
}

/// A scheduler that has not reported in for this long is taken for gone by the readiness check.
pub const SCHEDULER_STALE_AFTER: Duration = Duration::from_secs(2 * 60);

/// Heartbeats of schedulers gone this long are removed.
const HEARTBEAT_FORGOTTEN_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

impl Store {
    /// Records that the scheduler `instance` is running (called every few seconds by each
    /// scheduler), and forgets schedulers gone for a day.
    pub async fn report_scheduler_alive(&self, instance: &str) -> StorageResult<()> {
        let txn = self.begin_write().await?;
        let now = self.now();
        scheduler_heartbeats::Entity::delete_many()
            .filter(
                scheduler_heartbeats::Column::LastSeen
                    .lt(micros(now) - micros_of(HEARTBEAT_FORGOTTEN_AFTER)),
            )
            .exec(&txn)
            .await?;
        scheduler_heartbeats::Entity::insert(scheduler_heartbeats::ActiveModel {
            instance: Set(instance.to_owned()),
            last_seen: Set(micros(now)),
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(scheduler_heartbeats::Column::Instance)
                .update_column(scheduler_heartbeats::Column::LastSeen)
                .to_owned(),
        )
        .exec(&txn)
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The readiness check: every release embargoed for an instant within the readiness lead
    /// (see [`set_readiness_lead`]) that would not publish then, because its approvals no longer
    /// cover it or because no scheduler has reported in within [`SCHEDULER_STALE_AFTER`],
    /// alerts its department's editors at once (once per release, instant and editor, however
    /// many replicas check). Returns the number of alerts raised now. Takes no write lock when
    /// no embargo is near.
    pub async fn check_readiness(&self) -> StorageResult<u64> {
        let now = self.now();
        let lead = chrono::Duration::from_std(readiness_lead()).unwrap_or_default();
        let near = releases::Entity::find()
            .select_only()
            .column(releases::Column::Id)
            .filter(releases::Column::State.eq(State::Embargoed.as_str()))
            .filter(releases::Column::EmbargoUntil.gt(micros(now)))
            .filter(releases::Column::EmbargoUntil.lte(micros(now + lead)))
            .limit(1)
            .into_tuple::<String>()
            .one(self.connection())
            .await?;
        if near.is_none() {
            return Ok(0);
        }
        let txn = self.begin_write().await?;
        let now = self.now();
        let rows = releases::Entity::find()
            .filter(releases::Column::State.eq(State::Embargoed.as_str()))
            .filter(releases::Column::EmbargoUntil.gt(micros(now)))
            .filter(releases::Column::EmbargoUntil.lte(micros(now + lead)))
            .into_partial_model::<releases::Row>()
            .all(&txn)
            .await?;
        let last_seen: Option<Option<i64>> = scheduler_heartbeats::Entity::find()
            .select_only()
            .expr(Expr::col(scheduler_heartbeats::Column::LastSeen).max())
            .into_tuple()
            .one(&txn)
            .await?;
        let scheduler_alive = last_seen
            .flatten()
            .is_some_and(|at| at >= micros(now) - micros_of(SCHEDULER_STALE_AFTER));
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut approvals = crate::releases::load_approvals_of(&txn, &ids).await?;
        let staff = StaffDirectory::load(&txn, now).await?;
        let departments: HashMap<String, departments::Model> = departments::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|d| (d.id.clone(), d))
            .collect();
        let mut mails = Vec::new();
        for row in rows {
            let stored = crate::releases::StoredRelease::from_model(row)?;
            let records = approvals.remove(&stored.id).unwrap_or_default();
            let release = stored.into_domain(records);
            let problem = if !release.fully_approved() {
                "approvalsVoided"
            } else if !scheduler_alive {
                "noScheduler"
            } else {
                continue;
            };
            let Some(instant) = release.embargo_until else {
                continue;
            };
            let mut payload = release_payload(
                &release,
                departments.get(release.department_id.as_str()),
                "scheduler",
            );
            payload.insert("embargoUntil".into(), json!(format_instant(instant)));
            payload.insert("problem".into(), json!(problem));
            for recipient in staff.editors_of(release.department_id.as_str()) {
                mails.push(NewMail {
                    dedupe_key: Some(format!(
                        "readiness:{}:{}:{recipient}",
                        release.id,
                        micros(instant)
                    )),
                    recipient,
                    kind: MailKind::ReadinessAlert,
                    release_id: release.id.clone(),
                    language: mail_language(&release).to_owned(),
                    payload: Value::Object(payload.clone()),
                    secret: None,
                });
            }
            tracing::warn!(
                release.id = %release.id,
                embargo_until = %format_instant(instant),
                problem,
                "an embargoed release will not publish at its instant"
            );
        }
        let raised = insert_mails(&txn, mails, now).await?;
        txn.commit().await?;
        for _ in 0..raised {
            count_readiness_alert();
        }
        Ok(raised)
    }
}

/// How long before a review deadline the offices that have not answered are reminded, unless
/// [`set_review_reminder_lead`] says otherwise.
pub const DEFAULT_REVIEW_REMINDER_LEAD: Duration = Duration::from_secs(2 * 60 * 60);

static REVIEW_REMINDER_SECS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(DEFAULT_REVIEW_REMINDER_LEAD.as_secs());

/// Sets, for this process, how long before a review deadline the reminders go out (the
/// `review_reminder_minutes` setting).
pub fn set_review_reminder_lead(lead: Duration) {
    REVIEW_REMINDER_SECS.store(lead.as_secs(), std::sync::atomic::Ordering::Relaxed);
}

/// This process's review reminder lead.
pub fn review_reminder_lead() -> Duration {
    Duration::from_secs(REVIEW_REMINDER_SECS.load(std::sync::atomic::Ordering::Relaxed))
}

impl Store {
    /// Sets (or, with `None`, removes) the review deadline of release `release_id`, as `viewer`
    /// (the release's drafters and editors, admins: `FORBIDDEN` for other roles that see it,
    /// `NOT_FOUND` for those who do not), if `expected_version` is current. Only in `DRAFT` or
    /// `IN_REVIEW` (`INVALID_TRANSITION` otherwise); the deadline must lie in the future
    /// (`VALIDATION` on `deadline`). Audited as `setReviewDeadline`; the release's version does
    /// not change.
    pub async fn set_review_deadline(
        &self,
        viewer: &pressroom_domain::visibility::Viewer,
        release_id: &str,
        expected_version: i32,
        deadline: Option<DateTime<Utc>>,
    ) -> StorageResult<Option<DateTime<Utc>>> {
        let now = self.now();
        let txn = self.begin_write().await?;
        let stored =
            crate::releases::load_for_write(&txn, viewer, release_id, Some(expected_version), now)
                .await?;
        if !pressroom_domain::signoff::manages_links(viewer, &stored.department_id) {
            return Err(pressroom_domain::DomainError::Forbidden(
                "only the release's drafters and editors, and admins, set its review deadline"
                    .into(),
            )
            .into());
        }
        if !matches!(stored.state, State::Draft | State::InReview) {
            return Err(pressroom_domain::DomainError::InvalidTransition {
                action: Action::SubmitForReview,
                state: stored.state,
            }
            .into());
        }
        if deadline.is_some_and(|at| at <= now) {
            return Err(StorageError::validation(
                "deadline",
                "must lie in the future",
            ));
        }
        review_deadlines::Entity::delete_by_id(release_id.to_owned())
            .exec(&txn)
            .await?;
        if let Some(at) = deadline {
            review_deadlines::ActiveModel {
                release_id: Set(release_id.to_owned()),
                deadline: Set(micros(at)),
                set_by: Set(viewer.user_name.to_string()),
                set_at: Set(micros(now)),
            }
            .insert(&txn)
            .await?;
        }
        let details: BTreeMap<String, Value> =
            [("deadline".to_owned(), json!(deadline.map(format_instant)))]
                .into_iter()
                .collect();
        audit::append(
            &txn,
            audit::NewEntry {
                actor: viewer.user_name.as_str(),
                action: "setReviewDeadline",
                release_id: Some(release_id),
                from_state: Some(stored.state.as_str()),
                to_state: Some(stored.state.as_str()),
                revision: Some(stored.revision),
                details: &details,
            },
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(deadline.map(crate::clock::truncate))
    }

    /// The review deadlines of these releases, keyed by release id (one query). The caller has
    /// already decided that the viewer sees these releases beyond the public.
    pub async fn review_deadlines(
        &self,
        release_ids: &[String],
    ) -> StorageResult<HashMap<String, DateTime<Utc>>> {
        if release_ids.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(review_deadlines::Entity::find()
            .filter(review_deadlines::Column::ReleaseId.is_in(release_ids.iter().cloned()))
            .all(self.connection())
            .await?
            .into_iter()
            .map(|m| (m.release_id, from_micros(m.deadline)))
            .collect())
    }

    /// Reminds every office with an address that has not approved the current revision of a
    /// release in review whose deadline is within the reminder lead (see
    /// [`set_review_reminder_lead`]): once per release, deadline and office, however many
    /// replicas look. Returns the reminders queued now. Takes no write lock when no deadline is
    /// near.
    pub async fn send_deadline_reminders(&self) -> StorageResult<u64> {
        let now = self.now();
        let lead = chrono::Duration::from_std(review_reminder_lead()).unwrap_or_default();
        let near = |now: DateTime<Utc>| {
            Condition::all()
                .add(review_deadlines::Column::Deadline.gt(micros(now)))
                .add(review_deadlines::Column::Deadline.lte(micros(now + lead)))
        };
        let any: Option<String> = review_deadlines::Entity::find()
            .select_only()
            .column(review_deadlines::Column::ReleaseId)
            .filter(near(now))
            .limit(1)
            .into_tuple()
            .one(self.connection())
            .await?;
        if any.is_none() {
            return Ok(0);
        }
        let txn = self.begin_write().await?;
        let now = self.now();
        let deadlines: HashMap<String, i64> = review_deadlines::Entity::find()
            .filter(near(now))
            .all(&txn)
            .await?
            .into_iter()
            .map(|m| (m.release_id, m.deadline))
            .collect();
        let rows = releases::Entity::find()
            .filter(releases::Column::Id.is_in(deadlines.keys().cloned()))
            .filter(releases::Column::State.eq(State::InReview.as_str()))
            .into_partial_model::<releases::Row>()
            .all(&txn)
            .await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut approvals = crate::releases::load_approvals_of(&txn, &ids).await?;
        let addresses: HashMap<String, String> = office_emails::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|m| (m.person_id, m.email))
            .collect();
        let names: HashMap<String, String> = people::Entity::find()
            .filter(people::Column::Id.is_in(addresses.keys().cloned()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let departments: HashMap<String, departments::Model> = departments::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|d| (d.id.clone(), d))
            .collect();
        let mut mails = Vec::new();
        for row in rows {
            let stored = crate::releases::StoredRelease::from_model(row)?;
            let records = approvals.remove(&stored.id).unwrap_or_default();
            let release = stored.into_domain(records);
            let Some(&deadline) = deadlines.get(&release.id) else {
                continue;
            };
            let waiting = standings(
                &release.approvals,
                &release.content,
                &release.content_hash,
                release.revision,
            )
            .into_iter()
            .filter(|s| s.status != ApprovalStatus::Approved)
            .map(|s| s.office_id);
            for office in waiting {
                let (Some(recipient), Some(name)) =
                    (addresses.get(office.as_str()), names.get(office.as_str()))
                else {
                    continue;
                };
                let mut payload = release_payload(
                    &release,
                    departments.get(release.department_id.as_str()),
                    "scheduler",
                );
                payload.insert("office".into(), json!(name));
                payload.insert(
                    "deadline".into(),
                    json!(format_instant(from_micros(deadline))),
                );
                mails.push(NewMail {
                    dedupe_key: Some(format!("deadline:{}:{deadline}:{office}", release.id)),
                    recipient: recipient.clone(),
                    kind: MailKind::DeadlineReminder,
                    release_id: release.id.clone(),
                    language: mail_language(&release).to_owned(),
                    payload: Value::Object(payload),
                    secret: None,
                });
            }
        }
        let queued = insert_mails(&txn, mails, now).await?;
        txn.commit().await?;
        Ok(queued)
    }
}

/// A duration in stored microseconds.
fn micros_of(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

/// One message to queue.
struct NewMail {
    recipient: String,
    kind: MailKind,
    release_id: String,
    language: String,
    payload: Value,
    secret: Option<String>,
    dedupe_key: Option<String>,
}

/// The people a release's staff messages may go to: users with an address who hold an
/// unrevoked, unexpired drafter's or editor's token of a department, or a live newsroom session
/// with such a role.
struct StaffDirectory {
    /// (user name, role, department id) of every such token.
    grants: Vec<(String, Role, String)>,
    /// Their addresses.
    emails: HashMap<String, String>,
}

impl StaffDirectory {
    async fn load(txn: &DatabaseTransaction, now: DateTime<Utc>) -> StorageResult<Self> {
        let emails: HashMap<String, String> = user_emails::Entity::find()
            .all(txn)
            .await?
            .into_iter()
            .map(|m| (m.user_name, m.email))
            .collect();
        if emails.is_empty() {
            return Ok(Self {
                grants: Vec::new(),
                emails,
            });
        }
        let rows: Vec<(String, String, Option<String>)> = tokens::Entity::find()
            .select_only()
            .column(tokens::Column::UserName)
            .column(tokens::Column::Role)
            .column(tokens::Column::DepartmentId)
            .filter(tokens::Column::UserName.is_in(emails.keys().cloned()))
            .filter(tokens::Column::RevokedAt.is_null())
            .filter(
                Condition::any()
                    .add(tokens::Column::ExpiresAt.is_null())
                    .add(tokens::Column::ExpiresAt.gt(micros(now))),
            )
            .filter(tokens::Column::Role.is_in([Role::Drafter.as_str(), Role::Editor.as_str()]))
            .into_tuple()
            .all(txn)
            .await?;
        // Newsroom users who signed in with a link hold no token: a live session of theirs
        // grants the same.
        let sessions: Vec<(String, String, Option<String>)> = sessions::Entity::find()
            .select_only()
            .column(sessions::Column::UserName)
            .column(sessions::Column::Role)
            .column(sessions::Column::DepartmentId)
            .filter(sessions::Column::UserName.is_in(emails.keys().cloned()))
            .filter(sessions::Column::ExpiresAt.gt(micros(now)))
            .filter(sessions::Column::Role.is_in([Role::Drafter.as_str(), Role::Editor.as_str()]))
            .into_tuple()
            .all(txn)
            .await?;
        let grants = rows
            .into_iter()
            .chain(sessions)
            .filter_map(|(user, role, department)| Some((user, Role::parse(&role)?, department?)))
            .collect();
        Ok(Self { grants, emails })
    }

    /// The addresses of the release's author (while they are staff of its department) and of
    /// the department's editors, each once.
    fn staff_of(&self, release: &Release) -> BTreeSet<String> {
        self.grants
            .iter()
            .filter(|(user, role, department)| {
                release.department_id == *department
                    && (*role == Role::Editor || release.author == *user)
            })
            .filter_map(|(user, ..)| self.emails.get(user).cloned())
            .collect()
    }

    /// The addresses of the department's editors, each once.
    fn editors_of(&self, department_id: &str) -> BTreeSet<String> {
        self.grants
            .iter()
            .filter(|(_, role, department)| *role == Role::Editor && department == department_id)
            .filter_map(|(user, ..)| self.emails.get(user).cloned())
            .collect()
    }
}

/// `sv` for Swedish releases, `en` for everything else.
fn mail_language(release: &Release) -> &'static str {
    if release.content.language().starts_with("sv") {
        "sv"
    } else {
        "en"
    }
}

/// The fields every message about a release carries.
fn release_payload(
    release: &Release,
    department: Option<&departments::Model>,
    actor: &str,
) -> serde_json::Map<String, Value> {
    let mut payload = serde_json::Map::new();
    payload.insert("releaseId".into(), json!(release.id));
    payload.insert("title".into(), json!(release.content.title()));
    payload.insert("revision".into(), json!(release.revision));
    payload.insert("actor".into(), json!(actor));
    if let Some(d) = department {
        payload.insert("department".into(), json!(d.name));
        payload.insert("departmentSlug".into(), json!(d.slug));
        payload.insert("timeZone".into(), json!(d.time_zone));
    }
    payload
}

/// Queues the messages the transitions of one write cause, in that write's transaction `txn`
/// (see the module documentation). `actor` is the user who acted; `slug` the release's slug.
/// Creates the sign-off links of sign-off requests (audited like `createSignoffLink`).
pub(crate) async fn enqueue_for_transitions(
    txn: &DatabaseTransaction,
    transitions: &[&Transition],
    actor: &str,
    slugs: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    if transitions.is_empty() {
        return Ok(());
    }
    // Nothing to do without any address: one indexed probe per table, so a write in a
    // Pressroom without notifications costs two tiny reads.
    let any_user = user_emails::Entity::find()
        .select_only()
        .column(user_emails::Column::UserName)
        .limit(1)
        .into_tuple::<String>()
        .one(txn)
        .await?
        .is_some();
    let any_office = office_emails::Entity::find()
        .select_only()
        .column(office_emails::Column::PersonId)
        .limit(1)
        .into_tuple::<String>()
        .one(txn)
        .await?
        .is_some();
    if !any_user && !any_office {
        return Ok(());
    }
    let staff = StaffDirectory::load(txn, now).await?;
    let department_ids: BTreeSet<String> = transitions
        .iter()
        .map(|t| t.after.department_id.to_string())
        .collect();
    let departments: HashMap<String, departments::Model> = departments::Entity::find()
        .filter(departments::Column::Id.is_in(department_ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|d| (d.id.clone(), d))
        .collect();
    let mut mails = Vec::new();
    for &transition in transitions {
        let release = &transition.after;
        let department = departments.get(release.department_id.as_str());
        let actor = if transition.action == Action::ScheduledPublish
            || transition.action == Action::RefusePublication
        {
            "scheduler"
        } else {
            actor
        };
        let mut staff_mail = |kind: MailKind, extra: &[(&str, Value)]| {
            let mut payload = release_payload(release, department, actor);
            if let Some(slug) = slugs.get(&release.id) {
                payload.insert("slug".into(), json!(slug));
            }
            for (k, v) in extra {
                payload.insert((*k).to_owned(), v.clone());
            }
            for recipient in staff.staff_of(release) {
                mails.push(NewMail {
                    recipient,
                    kind,
                    release_id: release.id.clone(),
                    language: mail_language(release).to_owned(),
                    payload: Value::Object(payload.clone()),
                    secret: None,
                    dedupe_key: None,
                });
            }
        };
        let detail = |key: &str| transition.details.get(key).cloned().unwrap_or(Value::Null);
        match (transition.action, transition.event) {
            (Action::RequestChanges, _) => {
                let comment = transition
                    .approval
                    .as_ref()
                    .and_then(|a| a.comment.clone())
                    .map_or_else(|| detail("comment"), Value::from);
                staff_mail(MailKind::ChangesRequested, &[("comment", comment)]);
            }
            (Action::Approve, _) if release.state == State::Approved => {
                staff_mail(MailKind::AllSignedOff, &[]);
            }
            (_, Some(PublicEvent::Published)) => {
                let published_at = release.published_at.map(format_instant);
                staff_mail(
                    MailKind::Published,
                    &[
                        ("publishedAt", json!(published_at)),
                        ("lateMs", detail("lateMs")),
                    ],
                );
            }
            (_, Some(PublicEvent::Corrected)) => {
                let note = transition.correction.clone();
                staff_mail(MailKind::Corrected, &[("note", json!(note))]);
            }
            (_, Some(PublicEvent::Withdrawn)) => {
                let reason = transition.withdrawal.clone();
                staff_mail(MailKind::Withdrawn, &[("reason", json!(reason))]);
            }
            _ => {}
        }
        // An edit that takes a release out of its embargo shortly before the instant: it will
        // not publish then. The editors hear at once.
        if transition.from == Some(State::Embargoed) && release.state != State::Embargoed {
            let cleared = transition
                .details
                .get("clearedEmbargoUntil")
                .and_then(Value::as_str)
                .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
                .map(|at| at.with_timezone(&Utc));
            let lead = chrono::Duration::from_std(readiness_lead()).unwrap_or_default();
            if let Some(instant) = cleared
                && instant > now
                && instant - now <= lead
            {
                tracing::warn!(
                    release.id = %release.id,
                    embargo_until = %format_instant(instant),
                    "an embargoed release left its embargo shortly before the instant; it will not publish then"
                );
                crate::notifications::count_readiness_alert();
                let mut payload = release_payload(release, department, actor);
                payload.insert("embargoUntil".into(), json!(format_instant(instant)));
                payload.insert("problem".into(), json!("approvalsVoided"));
                for recipient in staff.editors_of(release.department_id.as_str()) {
                    mails.push(NewMail {
                        dedupe_key: Some(format!(
                            "readiness:{}:{}:{recipient}",
                            release.id,
                            micros(instant)
                        )),
                        recipient,
                        kind: MailKind::ReadinessAlert,
                        release_id: release.id.clone(),
                        language: mail_language(release).to_owned(),
                        payload: Value::Object(payload.clone()),
                        secret: None,
                    });
                }
            }
        }
        let asks_offices = release.state == State::InReview
            && (transition.action == Action::SubmitForReview
                || (transition.action == Action::Update && transition.new_revision));
        if asks_offices && any_office {
            signoff_requests(txn, release, department, actor, now, &mut mails).await?;
        }
    }
    insert_mails(txn, mails, now).await?;
    Ok(())
}

/// Sign-off requests, each with a fresh link, to every required office with an address that
/// has not approved the current revision of `release`.
async fn signoff_requests(
    txn: &DatabaseTransaction,
    release: &Release,
    department: Option<&departments::Model>,
    actor: &str,
    now: DateTime<Utc>,
    mails: &mut Vec<NewMail>,
) -> StorageResult<()> {
    let waiting: Vec<PersonId> = standings(
        &release.approvals,
        &release.content,
        &release.content_hash,
        release.revision,
    )
    .into_iter()
    .filter(|s| s.status != ApprovalStatus::Approved)
    .map(|s| s.office_id)
    .collect();
    if waiting.is_empty() {
        return Ok(());
    }
    let addresses: HashMap<String, String> = office_emails::Entity::find()
        .filter(office_emails::Column::PersonId.is_in(waiting.iter().map(PersonId::as_str)))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| (m.person_id, m.email))
        .collect();
    if addresses.is_empty() {
        return Ok(());
    }
    let names: HashMap<String, String> = people::Entity::find()
        .filter(people::Column::Id.is_in(addresses.keys().cloned()))
        .all(txn)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let expires_at = now + chrono::Duration::hours(mailed_link_hours());
    let deadline = review_deadlines::Entity::find_by_id(release.id.clone())
        .one(txn)
        .await?
        .map(|d| d.deadline);
    for office in waiting {
        let (Some(recipient), Some(name)) =
            (addresses.get(office.as_str()), names.get(office.as_str()))
        else {
            continue;
        };
        // The answer is recorded under the person's name: the office signs for them.
        let (link, token) = crate::signoff::insert_link(
            txn,
            release,
            &office,
            name,
            &UserName::new(actor),
            expires_at,
            now,
        )
        .await?;
        let mut payload = release_payload(release, department, actor);
        payload.insert("office".into(), json!(name));
        payload.insert("signoffLinkId".into(), json!(link.id));
        if let Some(at) = deadline {
            payload.insert("deadline".into(), json!(format_instant(from_micros(at))));
        }
        payload.insert("expiresAt".into(), json!(format_instant(expires_at)));
        mails.push(NewMail {
            recipient: recipient.clone(),
            kind: MailKind::SignoffRequest,
            release_id: release.id.clone(),
            language: mail_language(release).to_owned(),
            payload: Value::Object(payload),
            secret: Some(token),
            dedupe_key: None,
        });
    }
    Ok(())
}

/// Rows per multi-row INSERT: well under SQLite's limit of bound parameters.
const INSERT_CHUNK: usize = 500;

async fn insert_mails(
    txn: &DatabaseTransaction,
    mails: Vec<NewMail>,
    now: DateTime<Utc>,
) -> StorageResult<u64> {
    let rows: Vec<mail_queue::ActiveModel> = mails
        .into_iter()
        .map(|m| mail_queue::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            recipient: Set(m.recipient),
            kind: Set(m.kind.as_str().to_owned()),
            release_id: Set(Some(m.release_id)),
            language: Set(m.language),
            payload: Set(m.payload.to_string()),
            secret: Set(m.secret),
            dedupe_key: Set(m.dedupe_key),
            state: Set(MailState::Pending.as_str().to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(micros(now)),
            created_at: Set(micros(now)),
            last_attempt_at: Set(None),
            last_error: Set(None),
            finished_at: Set(None),
        })
        .collect();
    let mut inserted = 0;
    for chunk in rows.chunks(INSERT_CHUNK) {
        let result = mail_queue::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([mail_queue::Column::DedupeKey])
            .exec_without_returning(txn)
            .await?;
        if let sea_orm::TryInsertResult::Inserted(rows) = result {
            inserted += rows;
        }
    }
    Ok(inserted)
}

/// Counts a readiness alert in the process's metrics (registered by the mail worker; a no-op
/// before it is).
pub(crate) fn count_readiness_alert() {
    READINESS_ALERTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

static READINESS_ALERTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Readiness alerts raised by this process so far (the mail worker exports it as a metric).
pub fn readiness_alerts_raised() -> u64 {
    READINESS_ALERTS.load(std::sync::atomic::Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailed_links_live_72_hours_or_the_configured_maximum_if_shorter() {
        assert_eq!(mailed_link_hours(), 72);
        set_signoff_link_max_hours(720);
        assert_eq!(mailed_link_hours(), 72);
        set_signoff_link_max_hours(24);
        assert_eq!(mailed_link_hours(), 24);
        set_signoff_link_max_hours(0);
        assert_eq!(mailed_link_hours(), 1, "never a dead link");
        set_signoff_link_max_hours(720);
    }

    #[test]
    fn every_mail_kind_and_state_round_trips_through_its_stored_name() {
        for kind in MailKind::ALL {
            assert_eq!(MailKind::parse(kind.as_str()), Some(kind));
        }
        for state in [MailState::Pending, MailState::Sent, MailState::Failed] {
            assert_eq!(MailState::parse(state.as_str()), Some(state));
        }
    }

    #[test]
    fn a_blank_address_means_none_and_a_malformed_one_is_refused_on_its_field() {
        assert_eq!(checked_address("email", Some("  ")).ok(), Some(None));
        assert_eq!(
            checked_address("email", Some(" kansli@gov.se ")).ok(),
            Some(Some("kansli@gov.se".to_owned()))
        );
        let error = checked_address("email", Some("not an address")).expect_err("malformed");
        assert_eq!(error.code(), "VALIDATION");
    }
}
