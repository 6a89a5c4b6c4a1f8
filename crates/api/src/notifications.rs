//! The GraphQL side of notifications, for admins only: setting the office address of a person
//! and the address of a user, listing user addresses, and the record of every e-mail message
//! (recipient, kind, release, status, attempts; never its content or its sign-off link).
//!
//! Addresses are shown to admins and to nobody else: `Person.officeEmail` is `null` for every
//! other caller, and the queries and mutations here answer `FORBIDDEN` to anyone but an admin.

use async_graphql::{Context, Enum, ID, SimpleObject};
use pressroom_domain::{PersonId, UserName};
use pressroom_storage::notifications::{self as stored, MailRecord};
use pressroom_storage::pagination::{MAX_PAGE, PageRequest};

use crate::context::{request, store};
use crate::error::ApiResult;
use crate::scalars::Instant;

/// What an e-mail message is about.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MailKind {
    /// A minister's office is asked to sign off the current revision, with a sign-off link.
    SignoffRequest,
    /// An office requested changes (to the author and the department's editors).
    ChangesRequested,
    /// Every required office approved.
    AllSignedOff,
    /// The release became public.
    Published,
    /// Published content was corrected.
    Corrected,
    /// The release was withdrawn.
    Withdrawn,
    /// An embargoed release would not publish at its instant (to the department's editors).
    ReadinessAlert,
    /// An office has not answered and the review deadline is near.
    DeadlineReminder,
}

impl From<stored::MailKind> for MailKind {
    fn from(kind: stored::MailKind) -> Self {
        match kind {
            stored::MailKind::SignoffRequest => Self::SignoffRequest,
            stored::MailKind::ChangesRequested => Self::ChangesRequested,
            stored::MailKind::AllSignedOff => Self::AllSignedOff,
            stored::MailKind::Published => Self::Published,
            stored::MailKind::Corrected => Self::Corrected,
            stored::MailKind::Withdrawn => Self::Withdrawn,
            stored::MailKind::ReadinessAlert => Self::ReadinessAlert,
            stored::MailKind::DeadlineReminder => Self::DeadlineReminder,
        }
    }
}

/// Where an e-mail message stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MailStatus {
    /// Waiting for its first attempt or a retry, or being sent.
    Pending,
    /// The mail server accepted it.
    Sent,
    /// Every attempt failed, or the server refused it for good.
    Failed,
}

impl From<stored::MailState> for MailStatus {
    fn from(state: stored::MailState) -> Self {
        match state {
            stored::MailState::Pending => Self::Pending,
            stored::MailState::Sent => Self::Sent,
            stored::MailState::Failed => Self::Failed,
        }
    }
}

/// One e-mail message Pressroom queued (admins only).
#[derive(SimpleObject, Clone, Debug)]
pub struct MailMessage {
    /// Id (also its `Message-ID`).
    pub id: ID,
    /// The address it goes to.
    pub recipient: String,
    /// What it is about.
    pub kind: MailKind,
    /// The release it is about.
    pub release_id: Option<ID>,
    /// `sv` or `en`.
    pub language: String,
    /// Where it stands.
    pub status: MailStatus,
    /// Attempts made so far.
    pub attempts: i32,
    /// When it was queued.
    pub created_at: Instant,
    /// When the last attempt ended.
    pub last_attempt_at: Option<Instant>,
    /// What the last failed attempt got from the mail server (or the connection error).
    pub last_error: Option<String>,
    /// When it was sent or given up.
    pub finished_at: Option<Instant>,
}

impl From<MailRecord> for MailMessage {
    fn from(m: MailRecord) -> Self {
        Self {
            id: m.id.into(),
            recipient: m.recipient,
            kind: m.kind.into(),
            release_id: m.release_id.map(Into::into),
            language: m.language,
            status: m.state.into(),
            attempts: m.attempts,
            created_at: m.created_at.into(),
            last_attempt_at: m.last_attempt_at.map(Into::into),
            last_error: m.last_error,
            finished_at: m.finished_at.map(Into::into),
        }
    }
}

/// A user's e-mail address (admins only).
#[derive(SimpleObject, Clone, Debug)]
pub struct UserEmail {
    /// The user name (the name behind tokens and sessions).
    pub user_name: String,
    /// The address notifications go to; `null` once removed.
    pub email: Option<String>,
}

/// `Person.officeEmail`: the address for an admin, `None` for everyone else.
pub(crate) async fn office_email(ctx: &Context<'_>, person_id: &str) -> ApiResult<Option<String>> {
    if request(ctx)?.require_admin().is_err() {
        return Ok(None);
    }
    Ok(store(ctx)?
        .office_emails(&[PersonId::new(person_id)])
        .await?
        .remove(person_id))
}

/// `setOfficeEmail`.
pub(crate) async fn set_office_email(
    ctx: &Context<'_>,
    person_id: &str,
    email: Option<&str>,
) -> ApiResult<Option<String>> {
    let admin = request(ctx)?.require_admin()?;
    Ok(store(ctx)?
        .set_office_email(&admin.user_name, &PersonId::new(person_id), email)
        .await?)
}

/// `setUserEmail`.
pub(crate) async fn set_user_email(
    ctx: &Context<'_>,
    user_name: &str,
    email: Option<&str>,
) -> ApiResult<UserEmail> {
    let admin = request(ctx)?.require_admin()?;
    let set = store(ctx)?
        .set_user_email(&admin.user_name, &UserName::new(user_name), email)
        .await?;
    Ok(UserEmail {
        user_name: user_name.to_owned(),
        email: set.map(|s| s.email),
    })
}

/// `userEmails`.
pub(crate) async fn user_emails(ctx: &Context<'_>) -> ApiResult<Vec<UserEmail>> {
    request(ctx)?.require_admin()?;
    Ok(store(ctx)?
        .user_emails()
        .await?
        .into_iter()
        .map(|u| UserEmail {
            user_name: u.user_name,
            email: Some(u.email),
        })
        .collect())
}

/// `mailMessages`.
pub(crate) async fn mail_messages(
    ctx: &Context<'_>,
    release_id: Option<&str>,
    first: Option<i32>,
) -> ApiResult<Vec<MailMessage>> {
    request(ctx)?.require_admin()?;
    let first = PageRequest::new(first, None)?.first.min(MAX_PAGE);
    Ok(store(ctx)?
        .mail_messages(release_id, first)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// `Release.reviewDeadline`: internal detail, for those who see the release's approvals.
pub(crate) async fn review_deadline(
    ctx: &Context<'_>,
    release: &pressroom_storage::releases::StoredRelease,
) -> ApiResult<Option<Instant>> {
    let request = request(ctx)?;
    let Some(viewer) = request.viewer.as_ref() else {
        return Ok(None);
    };
    let records = request.approvals(&release.id).await?;
    let mut offices = pressroom_domain::approval::required_offices(&release.content);
    offices.extend(records.iter().map(|r| r.office_id.clone()));
    let facts = pressroom_domain::visibility::VisibilityFacts {
        state: release.state,
        department_id: &release.department_id,
        embargo_until: release.embargo_until,
        offices: &offices,
    };
    if !pressroom_domain::visibility::sees_internal_detail(viewer, &facts) {
        return Ok(None);
    }
    Ok(store(ctx)?
        .review_deadlines(std::slice::from_ref(&release.id))
        .await?
        .remove(&release.id)
        .map(Into::into))
}

/// `setReviewDeadline`.
pub(crate) async fn set_review_deadline(
    ctx: &Context<'_>,
    release_id: &str,
    expected_version: i32,
    deadline: Option<Instant>,
) -> ApiResult<Option<Instant>> {
    let viewer = request(ctx)?.require_viewer()?;
    let deadline = deadline.map(|at| at.valid("deadline")).transpose()?;
    Ok(store(ctx)?
        .set_review_deadline(viewer, release_id, expected_version, deadline)
        .await?
        .map(Into::into))
}
