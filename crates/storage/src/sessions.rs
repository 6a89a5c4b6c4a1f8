//! Newsroom sign-in: one-time sign-in links, and the sessions they start.
//!
//! A sign-in link grants what a token grants (a user name, a role and its scope; the same checks
//! as tokens, [`check_grant_shape`] and [`resolve_grant`]), but only once and for at most
//! [`SIGNIN_LINK_HOURS`]: its token is 32 random bytes shown once as `psi_<64 hex>`, and only its
//! SHA-256 is stored. Redeeming it marks it used with a guarded update (`… WHERE used_at IS NULL
//! AND revoked_at IS NULL AND expires_at > now`) in the transaction that creates the session, so
//! of two racing redeems one wins and the other gets nothing. Pasting an API token on the
//! sign-in page starts a session too ([`Store::start_session_with_api_token`]); such a session
//! ends when its token is revoked or expires.
//!
//! A session's secret (the cookie) is 32 random bytes, `pss_<64 hex>`, stored only as its
//! SHA-256, in the database so that every replica shares it. It expires after a period of
//! inactivity that the caller passes in (the setting, [`DEFAULT_INACTIVITY_HOURS`] by default):
//! reading a session moves its expiry forward, writing `last_seen_at` at most once every
//! [`LAST_SEEN_INTERVAL_SECS`] so that a page view is normally one `SELECT`. Signing out deletes
//! it; every sign-in deletes the sessions that have expired (an indexed range delete).
//!
//! Audited: creating and revoking a link (`createSigninLink`, `revokeSigninLink`, by the
//! issuer) and every sign-in (`signIn`, by the user who signs in), with ids and the identity,
//! never a token. Reading, sliding and ending a session write no audit entry.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use pressroom_domain::content::sha256_hex;
use pressroom_domain::lifecycle::format_instant;
use pressroom_domain::visibility::{Role, Viewer};
use pressroom_domain::{DepartmentId, PersonId, UserName};
use rand::RngCore;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};

use crate::audit;
use crate::clock::{from_micros, micros};
use crate::directory::{TokenGrant, admin_entry, check_grant_shape, resolve_grant};
use crate::entity::{sessions, signin_links, tokens};
use crate::error::{StorageError, StorageResult};
use crate::pagination::{Cursor, Page, PageRequest};
use crate::store::Store;

/// The prefix of every sign-in link token.
pub const SIGNIN_TOKEN_PREFIX: &str = "psi_";

/// The prefix of every session secret.
pub const SESSION_TOKEN_PREFIX: &str = "pss_";

/// How long a sign-in link lives (and the longest life one may be given).
pub const SIGNIN_LINK_HOURS: i64 = 24;

/// How long a session lives without being used, unless a setting says otherwise.
pub const DEFAULT_INACTIVITY_HOURS: i64 = 8;

/// How often, at most, reading a session writes its `last_seen_at` (and moves its expiry).
pub const LAST_SEEN_INTERVAL_SECS: i64 = 60;

/// The newsroom path a sign-in link opens: `/newsroom/signin/<token>` (make it absolute with
/// `pressroom_domain::links::public_url`).
pub fn signin_path(token: &str) -> String {
    format!("/newsroom/signin/{token}")
}

/// Where a sign-in link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigninLinkStatus {
    /// It can still sign its user in.
    Unused,
    /// It signed its user in (dead).
    Used,
    /// Its 24 hours ran out unused (dead).
    Expired,
    /// An admin revoked it unused (dead).
    Revoked,
}

impl SigninLinkStatus {
    /// The contract-style name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unused => "UNUSED",
            Self::Used => "USED",
            Self::Expired => "EXPIRED",
            Self::Revoked => "REVOKED",
        }
    }
}

/// A sign-in link as stored (never its token), with where it stands at the time of reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigninLink {
    /// Id.
    pub id: String,
    /// The user it signs in.
    pub user_name: String,
    /// The role of the session it starts.
    pub role: Role,
    /// The department (id) of a drafter or editor.
    pub department_id: Option<String>,
    /// The person whose office a minister's-office user acts for.
    pub person_id: Option<String>,
    /// Whether an integrator is accredited to read embargoed releases.
    pub embargo_access: bool,
    /// Who issued it (an admin's user name, or `cli`).
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// When it signed its user in, if it did.
    pub used_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Who revoked it.
    pub revoked_by: Option<String>,
    /// Where it stands at the time of reading.
    pub status: SigninLinkStatus,
}

impl SigninLink {
    /// Where a link stands at `now`: used and revoked are final; then time.
    fn status_at(
        used_at: Option<DateTime<Utc>>,
        revoked_at: Option<DateTime<Utc>>,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> SigninLinkStatus {
        if used_at.is_some() {
            SigninLinkStatus::Used
        } else if revoked_at.is_some() {
            SigninLinkStatus::Revoked
        } else if now >= expires_at {
            SigninLinkStatus::Expired
        } else {
            SigninLinkStatus::Unused
        }
    }

    fn from_model(m: signin_links::Model, now: DateTime<Utc>) -> StorageResult<Self> {
        let used_at = m.used_at.map(from_micros);
        let revoked_at = m.revoked_at.map(from_micros);
        let expires_at = from_micros(m.expires_at);
        Ok(Self {
            status: Self::status_at(used_at, revoked_at, expires_at, now),
            role: parse_role(&m.role)?,
            id: m.id,
            user_name: m.user_name,
            department_id: m.department_id,
            person_id: m.person_id,
            embargo_access: m.embargo_access,
            created_by: m.created_by,
            created_at: from_micros(m.created_at),
            expires_at,
            used_at,
            revoked_at,
            revoked_by: m.revoked_by,
        })
    }
}

/// A new sign-in link and its token (shown once).
#[derive(Debug, Clone)]
pub struct CreatedSigninLink {
    /// The link.
    pub link: SigninLink,
    /// The secret that goes into the URL.
    pub token: String,
    /// The relative URL that opens it, [`signin_path`] of the token.
    pub path: String,
}

/// A live session: who it is, and its anti-forgery secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Id (for logs; never the secret).
    pub id: String,
    /// The identity every request of the session acts as.
    pub viewer: Viewer,
    /// The anti-forgery (CSRF) secret of this session, for the newsroom's forms; compare it in
    /// constant time.
    pub csrf_token: String,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// The last time a request used it, to the minute.
    pub last_seen_at: DateTime<Utc>,
    /// When it expires unless used again.
    pub expires_at: DateTime<Utc>,
}

/// A session just started, and its secret (shown once: it goes into the cookie).
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The secret, `pss_<64 hex>`.
    pub token: String,
    /// The session.
    pub session: Session,
}

/// How a session was started, for its row and its audit entry.
enum Origin {
    SigninLink(String),
    ApiToken(String),
}

fn parse_role(text: &str) -> StorageResult<Role> {
    Role::parse(text).ok_or_else(|| StorageError::Internal(format!("unknown role {text}")))
}

/// A new random secret with this prefix.
fn new_secret(prefix: &str) -> String {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    format!("{prefix}{}", hex::encode(secret))
}

/// Whether `text` has the shape of a secret with this prefix (so that nothing else is hashed
/// and looked up).
fn looks_like(prefix: &str, text: &str) -> bool {
    text.strip_prefix(prefix)
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn details(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> BTreeMap<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn session_from(m: sessions::Model) -> StorageResult<Session> {
    Ok(Session {
        viewer: Viewer {
            role: parse_role(&m.role)?,
            user_name: UserName::from(m.user_name),
            department_id: m.department_id.map(DepartmentId::from),
            person_id: m.person_id.map(PersonId::from),
            embargo_access: m.embargo_access,
        },
        id: m.id,
        csrf_token: m.csrf_token,
        created_at: from_micros(m.created_at),
        last_seen_at: from_micros(m.last_seen_at),
        expires_at: from_micros(m.expires_at),
    })
}

/// Sessions started with an API token live only while the token does.
fn token_still_valid(now: i64) -> Condition {
    Condition::any()
        .add(sessions::Column::TokenId.is_null())
        .add(
            sessions::Column::TokenId.in_subquery(
                Query::select()
                    .column(tokens::Column::Id)
                    .from(tokens::Entity)
                    .and_where(tokens::Column::RevokedAt.is_null())
                    .cond_where(
                        Condition::any()
                            .add(tokens::Column::ExpiresAt.is_null())
                            .add(tokens::Column::ExpiresAt.gt(now)),
                    )
                    .to_owned(),
            ),
        )
}

impl Store {
    /// Issues a one-time sign-in link for the identity `grant` describes; `actor` is the admin
    /// (or `cli` for the command line). The grant is checked as a token's is (`VALIDATION` on
    /// `input.name`, `input.department`, `input.personId`, `input.embargoAccess`). The link
    /// lives [`SIGNIN_LINK_HOURS`], or until `grant.expires_at` when that is sooner (it must lie
    /// in the future and at most that far ahead: `VALIDATION` on `input.expiresAt`). Audited as
    /// `createSigninLink` without the token.
    pub async fn create_signin_link(
        &self,
        actor: &UserName,
        grant: TokenGrant,
    ) -> StorageResult<CreatedSigninLink> {
        check_grant_shape(&grant)?;
        let now = self.now();
        let longest = now + Duration::hours(SIGNIN_LINK_HOURS);
        let expires_at = match grant.expires_at {
            None => longest,
            Some(at) if at <= now => {
                return Err(StorageError::validation(
                    "input.expiresAt",
                    "must lie in the future",
                ));
            }
            Some(at) if at > longest => {
                return Err(StorageError::validation(
                    "input.expiresAt",
                    format!("a sign-in link lives at most {SIGNIN_LINK_HOURS} hours"),
                ));
            }
            Some(at) => at,
        };
        let expires_at = crate::clock::truncate(expires_at);
        let txn = self.begin_write().await?;
        let department_id = resolve_grant(&txn, &grant).await?;
        let token = new_secret(SIGNIN_TOKEN_PREFIX);
        let row = signin_links::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            token_hash: Set(sha256_hex(token.as_bytes())),
            user_name: Set(grant.user_name.clone()),
            role: Set(grant.role.as_str().to_owned()),
            department_id: Set(department_id),
            person_id: Set(grant.person_id.clone()),
            embargo_access: Set(grant.embargo_access),
            created_by: Set(actor.to_string()),
            created_at: Set(micros(now)),
            expires_at: Set(micros(expires_at)),
            used_at: Set(None),
            revoked_at: Set(None),
            revoked_by: Set(None),
        }
        .insert(&txn)
        .await?;
        let d = details([
            ("signinLinkId", json!(row.id)),
            ("name", json!(grant.user_name)),
            ("role", json!(grant.role.as_str())),
            ("department", json!(grant.department)),
            ("personId", json!(grant.person_id)),
            ("embargoAccess", json!(grant.embargo_access)),
            ("expiresAt", json!(format_instant(expires_at))),
        ]);
        audit::append(
            &txn,
            admin_entry(actor.as_str(), "createSigninLink", &d),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(CreatedSigninLink {
            link: SigninLink::from_model(row, now)?,
            path: signin_path(&token),
            token,
        })
    }

    /// A page of sign-in links, newest first, whatever their status: for admins (the caller
    /// checks the role, as for tokens).
    pub async fn signin_links(&self, page: &PageRequest) -> StorageResult<Page<SigninLink>> {
        let now = self.now();
        let mut query = signin_links::Entity::find();
        if let Some(cursor) = &page.after {
            // The same (instant, id) key as the release listings.
            let (created_at, id) = cursor.release_key()?;
            query = query.filter(
                Condition::any()
                    .add(signin_links::Column::CreatedAt.lt(created_at))
                    .add(
                        Condition::all()
                            .add(signin_links::Column::CreatedAt.eq(created_at))
                            .add(signin_links::Column::Id.lt(id)),
                    ),
            );
        }
        let rows = query
            .order_by_desc(signin_links::Column::CreatedAt)
            .order_by_desc(signin_links::Column::Id)
            .limit(page.limit_plus_one())
            .all(self.connection())
            .await?;
        let links = rows
            .into_iter()
            .map(|m| SigninLink::from_model(m, now))
            .collect::<StorageResult<Vec<_>>>()?;
        Ok(Page::from_rows(links, page, |l| {
            Cursor::for_release(micros(l.created_at), &l.id)
        }))
    }

    /// Revokes an unused sign-in link with immediate effect, as `actor` (an admin; the caller
    /// checks the role); audited as `revokeSigninLink`. False when no unused, unrevoked link has
    /// this id (a used link cannot be revoked: end its session instead).
    pub async fn revoke_signin_link(&self, actor: &UserName, id: &str) -> StorageResult<bool> {
        let now = self.now();
        let txn = self.begin_write().await?;
        let result = signin_links::Entity::update_many()
            .col_expr(signin_links::Column::RevokedAt, Expr::value(micros(now)))
            .col_expr(
                signin_links::Column::RevokedBy,
                Expr::value(actor.to_string()),
            )
            .filter(signin_links::Column::Id.eq(id))
            .filter(signin_links::Column::UsedAt.is_null())
            .filter(signin_links::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        if result.rows_affected == 0 {
            return Ok(false);
        }
        let d = details([("signinLinkId", json!(id))]);
        audit::append(
            &txn,
            admin_entry(actor.as_str(), "revokeSigninLink", &d),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }

    /// Signs in with the link whose token this is: marks the link used and starts a session
    /// for its identity that expires after `inactivity` without use. `None` for an unknown,
    /// used, revoked or expired link, alike (a failed sign-in tells nothing about why); of two
    /// racing redeems of one link, one gets the session and the other `None`.
    pub async fn redeem_signin_link(
        &self,
        token: &str,
        inactivity: Duration,
    ) -> StorageResult<Option<NewSession>> {
        if !looks_like(SIGNIN_TOKEN_PREFIX, token) {
            return Ok(None);
        }
        let hash = sha256_hex(token.as_bytes());
        let now = self.now();
        let txn = self.begin_write().await?;
        let claimed = signin_links::Entity::update_many()
            .col_expr(signin_links::Column::UsedAt, Expr::value(micros(now)))
            .filter(signin_links::Column::TokenHash.eq(hash.as_str()))
            .filter(signin_links::Column::UsedAt.is_null())
            .filter(signin_links::Column::RevokedAt.is_null())
            .filter(signin_links::Column::ExpiresAt.gt(micros(now)))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            txn.rollback().await?;
            return Ok(None);
        }
        let link = signin_links::Entity::find()
            .filter(signin_links::Column::TokenHash.eq(hash))
            .one(&txn)
            .await?
            .ok_or_else(|| StorageError::Internal("a claimed sign-in link vanished".into()))?;
        let viewer = Viewer {
            role: parse_role(&link.role)?,
            user_name: UserName::from(link.user_name),
            department_id: link.department_id.map(DepartmentId::from),
            person_id: link.person_id.map(PersonId::from),
            embargo_access: link.embargo_access,
        };
        let session =
            start_session(&txn, viewer, Origin::SigninLink(link.id), inactivity, now).await?;
        txn.commit().await?;
        Ok(Some(session))
    }

    /// Signs in with an API token (pasted on the sign-in page): a session for the identity the
    /// token stands for, which ends when the token is revoked or expires. `None` for an
    /// unknown, revoked or expired token.
    pub async fn start_session_with_api_token(
        &self,
        token: &str,
        inactivity: Duration,
    ) -> StorageResult<Option<NewSession>> {
        let Some((token_id, viewer)) = self.authenticate_token(token.trim()).await? else {
            return Ok(None);
        };
        let now = self.now();
        let txn = self.begin_write().await?;
        let session =
            start_session(&txn, viewer, Origin::ApiToken(token_id), inactivity, now).await?;
        txn.commit().await?;
        Ok(Some(session))
    }

    /// The live session whose secret this is, its expiry moved to `inactivity` from now. One
    /// `SELECT`, plus an `UPDATE` when `last_seen_at` is more than [`LAST_SEEN_INTERVAL_SECS`]
    /// old. `None` for an unknown, expired or ended session, and for one started with an API
    /// token that has since been revoked or has expired.
    pub async fn session(
        &self,
        token: &str,
        inactivity: Duration,
    ) -> StorageResult<Option<Session>> {
        if !looks_like(SESSION_TOKEN_PREFIX, token) {
            return Ok(None);
        }
        let now = self.now();
        let Some(row) = sessions::Entity::find()
            .filter(sessions::Column::TokenHash.eq(sha256_hex(token.as_bytes())))
            .filter(sessions::Column::ExpiresAt.gt(micros(now)))
            .filter(token_still_valid(micros(now)))
            .one(self.connection())
            .await?
        else {
            return Ok(None);
        };
        let mut session = session_from(row)?;
        if now - session.last_seen_at >= Duration::seconds(LAST_SEEN_INTERVAL_SECS) {
            let expires_at = now + inactivity;
            // A sign-out racing with this request wins: the update then touches no row.
            sessions::Entity::update_many()
                .col_expr(sessions::Column::LastSeenAt, Expr::value(micros(now)))
                .col_expr(sessions::Column::ExpiresAt, Expr::value(micros(expires_at)))
                .filter(sessions::Column::Id.eq(session.id.as_str()))
                .exec(self.connection())
                .await?;
            session.last_seen_at = now;
            session.expires_at = expires_at;
        }
        Ok(Some(session))
    }

    /// Ends the session whose secret this is (signing out); false when there was none.
    pub async fn end_session(&self, token: &str) -> StorageResult<bool> {
        if !looks_like(SESSION_TOKEN_PREFIX, token) {
            return Ok(false);
        }
        let result = sessions::Entity::delete_many()
            .filter(sessions::Column::TokenHash.eq(sha256_hex(token.as_bytes())))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected > 0)
    }

    /// Deletes every expired session; how many. Every sign-in does this too.
    pub async fn purge_expired_sessions(&self) -> StorageResult<u64> {
        let now = self.now();
        let result = sessions::Entity::delete_many()
            .filter(sessions::Column::ExpiresAt.lte(micros(now)))
            .exec(self.connection())
            .await?;
        Ok(result.rows_affected)
    }
}

/// Starts a session for `viewer` in `txn`: deletes expired sessions, inserts the new one and
/// audits `signIn` by the user.
async fn start_session(
    txn: &DatabaseTransaction,
    viewer: Viewer,
    origin: Origin,
    inactivity: Duration,
    now: DateTime<Utc>,
) -> StorageResult<NewSession> {
    sessions::Entity::delete_many()
        .filter(sessions::Column::ExpiresAt.lte(micros(now)))
        .exec(txn)
        .await?;
    let token = new_secret(SESSION_TOKEN_PREFIX);
    let expires_at = crate::clock::truncate(now + inactivity);
    let (signin_link_id, token_id) = match origin {
        Origin::SigninLink(id) => (Some(id), None),
        Origin::ApiToken(id) => (None, Some(id)),
    };
    let row = sessions::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        token_hash: Set(sha256_hex(token.as_bytes())),
        user_name: Set(viewer.user_name.to_string()),
        role: Set(viewer.role.as_str().to_owned()),
        department_id: Set(viewer.department_id.clone().map(DepartmentId::into_string)),
        person_id: Set(viewer.person_id.clone().map(PersonId::into_string)),
        embargo_access: Set(viewer.embargo_access),
        signin_link_id: Set(signin_link_id.clone()),
        token_id: Set(token_id.clone()),
        csrf_token: Set(hex::encode({
            let mut csrf = [0u8; 32];
            rand::rng().fill_bytes(&mut csrf);
            csrf
        })),
        created_at: Set(micros(now)),
        last_seen_at: Set(micros(now)),
        expires_at: Set(micros(expires_at)),
    }
    .insert(txn)
    .await?;
    let d = details([
        ("sessionId", json!(row.id)),
        ("name", json!(viewer.user_name)),
        ("role", json!(viewer.role.as_str())),
        ("departmentId", json!(viewer.department_id)),
        ("personId", json!(viewer.person_id)),
        ("embargoAccess", json!(viewer.embargo_access)),
        (
            "via",
            json!(if signin_link_id.is_some() {
                "signinLink"
            } else {
                "apiToken"
            }),
        ),
        ("signinLinkId", json!(signin_link_id)),
        ("tokenId", json!(token_id)),
    ]);
    audit::append(
        txn,
        admin_entry(viewer.user_name.as_str(), "signIn", &d),
        now,
    )
    .await?;
    Ok(NewSession {
        token,
        session: session_from(row)?,
    })
}
