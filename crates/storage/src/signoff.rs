//! Sign-off links: creating, listing and revoking them, reading one by its token, and
//! recording its answer.
//!
//! A token is 32 random bytes, shown once as `pso_<64 hex>`; only its SHA-256 is stored and a
//! link is found by looking the hash up. The rules are the domain's
//! (`pressroom_domain::signoff`); this module keeps them in transactions:
//!
//! - creating checks the release through the visibility rule (`NOT_FOUND` otherwise) and its
//!   version (`VERSION_CONFLICT`), then audits `createSignoffLink`;
//! - answering marks the link answered with a guarded update (`… WHERE answered_at IS NULL AND
//!   revoked_at IS NULL AND closed_at IS NULL`) and persists the office's action exactly as
//!   `Store::act` does, in one transaction: of two answers racing on one link, one wins and the
//!   other changes nothing;
//! - a release that leaves `IN_REVIEW` closes its open links ([`close_open_links`], called by
//!   every write of a release).

use chrono::{DateTime, Utc};
use pressroom_domain::approval::Verdict;
use pressroom_domain::content::sha256_hex;
use pressroom_domain::lifecycle::{Action, Release, format_instant};
use pressroom_domain::signoff::{
    LinkRequest, LinkStatus, SignoffAnswer, SignoffLink, SignoffRefusal, check_new_link,
    manages_links,
};
use pressroom_domain::visibility::Viewer;
use pressroom_domain::{DomainError, lifecycle::State};
use pressroom_domain::{PersonId, UserName};
use rand::RngCore;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{Value, json};

use crate::audit::{self, NewEntry};
use crate::clock::{from_micros, micros};
use crate::entity::{departments, releases, signoff_links};
use crate::error::{StorageError, StorageResult};
use crate::releases::{StoredRelease, load_approvals, load_for_write, persist_transitions};
use crate::store::Store;

/// The prefix of every sign-off token.
pub const TOKEN_PREFIX: &str = "pso_";

/// A link with where it stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    /// The link.
    pub link: SignoffLink,
    /// Its status at the time of reading.
    pub status: LinkStatus,
}

/// A new link and its token (shown once).
#[derive(Debug, Clone)]
pub struct CreatedLink {
    /// The link.
    pub view: LinkView,
    /// The secret that goes into the URL.
    pub token: String,
}

/// What a link's page shows: the link, and while it lives, the release it asks about.
#[derive(Debug, Clone)]
pub struct LinkPage {
    /// The link and its status.
    pub view: LinkView,
    /// The release as stored now; `None` once the link is dead (nothing of it may be shown).
    pub release: Option<StoredRelease>,
}

/// Why an answer from a link was not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerRefusal {
    /// No link has this token.
    Unknown,
    /// The link is dead.
    Dead(LinkStatus),
    /// The lifecycle rules refused it (four eyes, a missing comment…).
    Refused(DomainError),
}

/// What an answer recorded.
#[derive(Debug, Clone)]
pub struct Answered {
    /// The link, now answered.
    pub view: LinkView,
    /// The release after the answer.
    pub release: StoredRelease,
}

pub(crate) fn link_from(m: signoff_links::Model) -> StorageResult<SignoffLink> {
    let answer = match m.answer.as_deref() {
        Some(text) => Some(
            Verdict::parse(text)
                .ok_or_else(|| StorageError::Internal(format!("unknown answer {text}")))?,
        ),
        None => None,
    };
    Ok(SignoffLink {
        id: m.id,
        release_id: m.release_id,
        person_id: PersonId::from(m.person_id),
        signer: UserName::from(m.signer),
        revision: m.revision,
        content_hash: m.content_hash,
        created_by: UserName::from(m.created_by),
        created_at: from_micros(m.created_at),
        expires_at: from_micros(m.expires_at),
        answered_at: m.answered_at.map(from_micros),
        answer,
        comment: m.comment,
        revoked_at: m.revoked_at.map(from_micros),
        closed_at: m.closed_at.map(from_micros),
    })
}

/// Whether `text` has the shape of a sign-off token (so that nothing else is hashed and looked up).
fn looks_like_token(text: &str) -> bool {
    text.strip_prefix(TOKEN_PREFIX)
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A link's audit entry (the release's state does not change: from and to are the same).
fn link_entry<'a>(
    actor: &'a str,
    action: Action,
    release_id: &'a str,
    state: State,
    revision: i32,
    details: &'a std::collections::BTreeMap<String, Value>,
) -> NewEntry<'a> {
    NewEntry {
        actor,
        action: action.as_str(),
        release_id: Some(release_id),
        from_state: Some(state.as_str()),
        to_state: Some(state.as_str()),
        revision: Some(revision),
        details,
    }
}

impl Store {
    /// Creates a link for `request.signer` to answer for `request.person_id`'s office on the
    /// current revision of release `release_id`, as `viewer`, if `expected_version` is current.
    /// `max_hours` bounds `request.expires_in_hours`.
    pub async fn create_signoff_link(
        &self,
        viewer: &Viewer,
        release_id: &str,
        expected_version: i32,
        request: &LinkRequest<'_>,
        max_hours: i64,
    ) -> StorageResult<CreatedLink> {
        let now = self.now();
        let txn = self.begin_write().await?;
        let stored = load_for_write(&txn, viewer, release_id, Some(expected_version), now).await?;
        let approvals = load_approvals(&txn, release_id).await?;
        let release = stored.into_domain(approvals);
        let expires_at = check_new_link(&release, viewer, request, max_hours, now)?;
        let (link, token) = insert_link(
            &txn,
            &release,
            request.person_id,
            request.signer,
            &viewer.user_name,
            expires_at,
            now,
        )
        .await?;
        txn.commit().await?;
        let status = link.status(release.state, release.revision, now);
        Ok(CreatedLink {
            view: LinkView { link, status },
            token,
        })
    }

    /// Revokes link `id` as `viewer` (its release's drafters and editors, admins). Revoking a
    /// revoked link changes nothing; an answered one cannot be revoked (`VALIDATION`).
    pub async fn revoke_signoff_link(&self, viewer: &Viewer, id: &str) -> StorageResult<LinkView> {
        let now = self.now();
        let txn = self.begin_write().await?;
        let link = signoff_links::Entity::find_by_id(id.to_owned())
            .one(&txn)
            .await?
            .ok_or(StorageError::NotFound)
            .and_then(link_from)?;
        let stored = load_for_write(&txn, viewer, &link.release_id, None, now).await?;
        if !manages_links(viewer, &stored.department_id) {
            return Err(DomainError::Forbidden(
                "only the release's drafters and editors, and admins, revoke sign-off links".into(),
            )
            .into());
        }
        if link.answered_at.is_some() {
            return Err(StorageError::validation(
                "id",
                "this link has been answered; an answer cannot be revoked",
            ));
        }
        if link.revoked_at.is_some() {
            let status = link.status(stored.state, stored.revision, now);
            return Ok(LinkView { link, status });
        }
        let result = signoff_links::Entity::update_many()
            .col_expr(signoff_links::Column::RevokedAt, Expr::value(micros(now)))
            .col_expr(
                signoff_links::Column::RevokedBy,
                Expr::value(viewer.user_name.to_string()),
            )
            .filter(signoff_links::Column::Id.eq(id))
            .filter(signoff_links::Column::AnsweredAt.is_null())
            .filter(signoff_links::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            // Answered or revoked between the read and the update (PostgreSQL): say so as the
            // read would have.
            return Err(StorageError::validation(
                "id",
                "this link has just been answered or revoked",
            ));
        }
        let details = [("signoffLinkId".to_owned(), json!(id))]
            .into_iter()
            .collect();
        audit::append(
            &txn,
            link_entry(
                viewer.user_name.as_str(),
                Action::RevokeSignoffLink,
                &stored.id,
                stored.state,
                stored.revision,
                &details,
            ),
            now,
        )
        .await?;
        txn.commit().await?;
        let link = SignoffLink {
            revoked_at: Some(crate::clock::truncate(now)),
            ..link
        };
        let status = link.status(stored.state, stored.revision, now);
        Ok(LinkView { link, status })
    }

    /// Every link of release `release_id`, oldest first, for its drafters and editors and for
    /// admins (`FORBIDDEN` for other roles that see the release); empty when `viewer` may not
    /// see the release.
    pub async fn signoff_links(
        &self,
        viewer: &Viewer,
        release_id: &str,
    ) -> StorageResult<Vec<LinkView>> {
        let now = self.now();
        let Some(release) = self.secure_release(Some(viewer), release_id, now).await? else {
            return Ok(Vec::new());
        };
        if !manages_links(viewer, &release.department_id) {
            return Err(DomainError::Forbidden(
                "only the release's drafters and editors, and admins, see its sign-off links"
                    .into(),
            )
            .into());
        }
        signoff_links::Entity::find()
            .filter(signoff_links::Column::ReleaseId.eq(release_id))
            .order_by_asc(signoff_links::Column::CreatedAt)
            .order_by_asc(signoff_links::Column::Id)
            .all(self.connection())
            .await?
            .into_iter()
            .map(|m| {
                let link = link_from(m)?;
                let status = link.status(release.state, release.revision, now);
                Ok(LinkView { link, status })
            })
            .collect()
    }

    /// The link with this token and, while it lives, its release; `None` for an unknown token.
    pub async fn signoff_link_page(&self, token: &str) -> StorageResult<Option<LinkPage>> {
        if !looks_like_token(token) {
            return Ok(None);
        }
        let now = self.now();
        let Some(link) = signoff_links::Entity::find()
            .filter(signoff_links::Column::TokenHash.eq(sha256_hex(token.as_bytes())))
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        let link = link_from(link)?;
        let release = self.release_unchecked(&link.release_id).await?;
        let mut status = link.status(release.state, release.revision, now);
        if status == LinkStatus::Waiting && release.content_hash != link.content_hash {
            status = LinkStatus::Outdated;
        }
        Ok(Some(LinkPage {
            release: (status == LinkStatus::Waiting).then_some(release),
            view: LinkView { link, status },
        }))
    }

    /// Records `answer` from the link with this token: the office's approval or request for
    /// changes, by the signer, on the revision the link was made for. A refusal changes nothing.
    pub async fn answer_signoff_link(
        &self,
        token: &str,
        answer: SignoffAnswer,
    ) -> StorageResult<Result<Answered, AnswerRefusal>> {
        if !looks_like_token(token) {
            return Ok(Err(AnswerRefusal::Unknown));
        }
        let hash = sha256_hex(token.as_bytes());
        // A concurrent write to the release between this transaction's read and its guarded
        // update (possible on PostgreSQL) is retried: the answer is then decided afresh.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.answer_once(&hash, answer.clone()).await {
                Err(StorageError::VersionConflict { .. }) if attempts < 3 => continue,
                other => return other,
            }
        }
    }

    async fn answer_once(
        &self,
        token_hash: &str,
        answer: SignoffAnswer,
    ) -> StorageResult<Result<Answered, AnswerRefusal>> {
        let now = self.now();
        let txn = self.begin_write().await?;
        let Some(link) = signoff_links::Entity::find()
            .filter(signoff_links::Column::TokenHash.eq(token_hash))
            .one(&txn)
            .await?
        else {
            return Ok(Err(AnswerRefusal::Unknown));
        };
        let link = link_from(link)?;
        let stored = releases::Entity::find_by_id(link.release_id.clone())
            .into_partial_model::<releases::Row>()
            .one(&txn)
            .await?
            .ok_or_else(|| StorageError::Internal("a sign-off link without its release".into()))
            .and_then(StoredRelease::from_model)?;
        let department_slug = department_slug(&txn, &stored.department_id).await?;
        let slug = stored.slug.clone();
        let approvals = load_approvals(&txn, &stored.id).await?;
        let release = stored.into_domain(approvals);
        let transitions = match link.answer(&release, answer.clone(), now) {
            Ok(transitions) => transitions,
            Err(SignoffRefusal::Dead(status)) => return Ok(Err(AnswerRefusal::Dead(status))),
            Err(SignoffRefusal::Refused(error)) => return Ok(Err(AnswerRefusal::Refused(error))),
        };
        let (verdict, comment) = match &answer {
            SignoffAnswer::Approve => (Verdict::Approved, None),
            SignoffAnswer::RequestChanges(comment) => {
                (Verdict::ChangesRequested, Some(comment.clone()))
            }
        };
        let claimed = signoff_links::Entity::update_many()
            .col_expr(signoff_links::Column::AnsweredAt, Expr::value(micros(now)))
            .col_expr(
                signoff_links::Column::Answer,
                Expr::value(verdict.as_str().to_owned()),
            )
            .col_expr(signoff_links::Column::Comment, Expr::value(comment.clone()))
            .filter(signoff_links::Column::Id.eq(link.id.as_str()))
            .filter(signoff_links::Column::AnsweredAt.is_null())
            .filter(signoff_links::Column::RevokedAt.is_null())
            .filter(signoff_links::Column::ClosedAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            // Another answer (or a revocation, or the release leaving review) came first.
            txn.rollback().await?;
            let current = signoff_links::Entity::find_by_id(link.id.clone())
                .one(self.connection())
                .await?
                .ok_or(StorageError::NotFound)
                .and_then(link_from)?;
            let status = current.status(release.state, release.revision, now);
            return Ok(Err(AnswerRefusal::Dead(if status == LinkStatus::Waiting {
                LinkStatus::Answered
            } else {
                status
            })));
        }
        let schedule_changed = persist_transitions(
            &txn,
            &transitions,
            link.signer.as_str(),
            &slug,
            &department_slug,
            now,
        )
        .await?;
        txn.commit().await?;
        if schedule_changed {
            self.announce_schedule_change();
        }
        let release = self.release_unchecked(&link.release_id).await?;
        let link = SignoffLink {
            answered_at: Some(crate::clock::truncate(now)),
            answer: Some(verdict),
            comment,
            ..link
        };
        let status = link.status(release.state, release.revision, now);
        Ok(Ok(Answered {
            view: LinkView { link, status },
            release,
        }))
    }
}

/// Stores a new link for `person_id`'s office to answer as `signer` on the current revision of
/// `release`, asked by `created_by`, with its `createSignoffLink` audit entry, in `txn`; returns
/// the link and its token (shown once). The caller has checked the rules (`check_new_link`, or
/// the notifications' own selection of offices that have not approved).
pub(crate) async fn insert_link(
    txn: &DatabaseTransaction,
    release: &Release,
    person_id: &PersonId,
    signer: &str,
    created_by: &UserName,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StorageResult<(SignoffLink, String)> {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
    let link = SignoffLink {
        id: uuid::Uuid::now_v7().to_string(),
        release_id: release.id.clone(),
        person_id: person_id.clone(),
        signer: UserName::new(signer),
        revision: release.revision,
        content_hash: release.content_hash.clone(),
        created_by: created_by.clone(),
        created_at: now,
        expires_at,
        answered_at: None,
        answer: None,
        comment: None,
        revoked_at: None,
        closed_at: None,
    };
    signoff_links::ActiveModel {
        id: Set(link.id.clone()),
        token_hash: Set(sha256_hex(token.as_bytes())),
        release_id: Set(link.release_id.clone()),
        person_id: Set(link.person_id.to_string()),
        signer: Set(link.signer.to_string()),
        revision: Set(link.revision),
        content_hash: Set(link.content_hash.clone()),
        created_by: Set(link.created_by.to_string()),
        created_at: Set(micros(now)),
        expires_at: Set(micros(expires_at)),
        answered_at: Set(None),
        answer: Set(None),
        comment: Set(None),
        revoked_at: Set(None),
        revoked_by: Set(None),
        closed_at: Set(None),
    }
    .insert(txn)
    .await?;
    let details = [
        ("signoffLinkId", json!(link.id)),
        ("personId", json!(link.person_id)),
        ("signer", json!(link.signer)),
        ("revision", json!(link.revision)),
        ("contentHash", json!(link.content_hash)),
        ("expiresAt", json!(format_instant(expires_at))),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    audit::append(
        txn,
        link_entry(
            created_by.as_str(),
            Action::CreateSignoffLink,
            &release.id,
            release.state,
            release.revision,
            &details,
        ),
        now,
    )
    .await?;
    Ok((link, token))
}

async fn department_slug(txn: &DatabaseTransaction, id: &str) -> StorageResult<String> {
    departments::Entity::find_by_id(id.to_owned())
        .one(txn)
        .await?
        .map(|d| d.slug)
        .ok_or_else(|| StorageError::Internal("release without department".into()))
}

/// Closes the open links of a release that leaves `IN_REVIEW` (they are dead from then on,
/// even if it comes back to review with the same revision).
pub(crate) async fn close_open_links(
    txn: &DatabaseTransaction,
    release_id: &str,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    signoff_links::Entity::update_many()
        .col_expr(signoff_links::Column::ClosedAt, Expr::value(micros(now)))
        .filter(signoff_links::Column::ReleaseId.eq(release_id))
        .filter(signoff_links::Column::AnsweredAt.is_null())
        .filter(signoff_links::Column::RevokedAt.is_null())
        .filter(signoff_links::Column::ClosedAt.is_null())
        .exec(txn)
        .await?;
    Ok(())
}
