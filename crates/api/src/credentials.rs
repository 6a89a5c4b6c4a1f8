//! The credentials admins list: API tokens (`tokens`) and newsroom sign-in links
//! (`signinLinks`), newest first, keyset paged. Never a secret: only the SHA-256 of a token or
//! a link is stored, and neither the secret nor its hash is shown. Both queries answer
//! `UNAUTHENTICATED` to anonymous callers and `FORBIDDEN` to anyone but an admin.
//!
//! Sign-in links have their own query rather than sharing `tokens`: a link is one-time and
//! lives at most 24 hours, so what an admin needs to know about it (unused, used, expired or
//! revoked, and by whom it was issued) differs from a token's (active until revoked or expired).

use async_graphql::{Context, Enum, ID, Object};
use pressroom_storage::directory::TokenRecord;
use pressroom_storage::pagination::PageRequest;
use pressroom_storage::sessions::{SigninLink as StoredLink, SigninLinkStatus};

use crate::context::{request, store};
use crate::error::ApiResult;
use crate::scalars::Instant;
use crate::types::{Connection, Department, Person, Role};

/// A page of API tokens.
pub type ApiTokenConnection = Connection<ApiToken>;
/// A page of sign-in links.
pub type SigninLinkConnection = Connection<SigninLink>;

/// The `tokens` query: every API token, newest first (admin only).
pub async fn tokens(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<ApiTokenConnection> {
    request(ctx)?.require_admin()?;
    let page = PageRequest::new(first, after.as_deref())?;
    Ok(store(ctx)?.tokens(&page).await?.into())
}

/// The `signinLinks` query: every newsroom sign-in link, newest first (admin only).
pub async fn signin_links(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<SigninLinkConnection> {
    request(ctx)?.require_admin()?;
    let page = PageRequest::new(first, after.as_deref())?;
    Ok(store(ctx)?.signin_links(&page).await?.into())
}

async fn department(ctx: &Context<'_>, id: Option<&String>) -> ApiResult<Option<Department>> {
    match id {
        Some(id) => Ok(request(ctx)?.department(id).await?.map(Into::into)),
        None => Ok(None),
    }
}

async fn person(ctx: &Context<'_>, id: Option<&String>) -> ApiResult<Option<Person>> {
    match id {
        Some(id) => Ok(request(ctx)?.person(id).await?.map(Person)),
        None => Ok(None),
    }
}

/// An API token as admins see it: who it is for, what it grants and where it stands; never
/// its secret.
#[derive(Clone, Debug)]
pub struct ApiToken(TokenRecord);

impl From<TokenRecord> for ApiToken {
    fn from(record: TokenRecord) -> Self {
        Self(record)
    }
}

/// An API token as admins see it: who it is for, what it grants and where it stands; never
/// its secret.
#[Object]
impl ApiToken {
    /// Id (what `revokeToken` takes).
    async fn id(&self) -> ID {
        self.0.id.clone().into()
    }
    /// The user's name (tokens with the same name belong to the same user).
    async fn name(&self) -> &str {
        &self.0.user_name
    }
    /// Role.
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    /// The department of a drafter or editor.
    async fn department(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        department(ctx, self.0.department_id.as_ref()).await
    }
    /// The person whose office a minister's-office token speaks for.
    async fn person(&self, ctx: &Context<'_>) -> ApiResult<Option<Person>> {
        person(ctx, self.0.person_id.as_ref()).await
    }
    /// Whether an integrator is accredited for embargoed releases.
    async fn embargo_access(&self) -> bool {
        self.0.embargo_access
    }
    /// When it was made.
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
    }
    /// When it stops being accepted, if ever.
    async fn expires_at(&self) -> Option<Instant> {
        self.0.expires_at.map(Into::into)
    }
    /// When it was revoked, if it was.
    async fn revoked_at(&self) -> Option<Instant> {
        self.0.revoked_at.map(Into::into)
    }
    /// When it last authenticated a request, to the minute; `null` when never.
    async fn last_used_at(&self) -> Option<Instant> {
        self.0.last_used_at.map(Into::into)
    }
    /// Whether it is accepted now: neither revoked nor expired.
    async fn active(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let now = request(ctx)?.now();
        Ok(self.0.revoked_at.is_none() && self.0.expires_at.is_none_or(|at| at > now))
    }
}

/// Where a sign-in link stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "SigninLinkStatus")]
pub enum LinkStatus {
    /// It can still sign its user in.
    Unused,
    /// It signed its user in (dead).
    Used,
    /// Its 24 hours ran out unused (dead).
    Expired,
    /// An admin revoked it unused (dead).
    Revoked,
}

impl From<SigninLinkStatus> for LinkStatus {
    fn from(status: SigninLinkStatus) -> Self {
        match status {
            SigninLinkStatus::Unused => Self::Unused,
            SigninLinkStatus::Used => Self::Used,
            SigninLinkStatus::Expired => Self::Expired,
            SigninLinkStatus::Revoked => Self::Revoked,
        }
    }
}

/// A newsroom sign-in link as admins see it; never its token (which only the issuer saw, once).
#[derive(Clone, Debug)]
pub struct SigninLink(StoredLink);

impl From<StoredLink> for SigninLink {
    fn from(link: StoredLink) -> Self {
        Self(link)
    }
}

/// A newsroom sign-in link as admins see it; never its token.
#[Object]
impl SigninLink {
    /// Id.
    async fn id(&self) -> ID {
        self.0.id.clone().into()
    }
    /// The user it signs in.
    async fn name(&self) -> &str {
        &self.0.user_name
    }
    /// The role of the session it starts.
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    /// The department of a drafter or editor.
    async fn department(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        department(ctx, self.0.department_id.as_ref()).await
    }
    /// The person whose office a minister's-office user acts for.
    async fn person(&self, ctx: &Context<'_>) -> ApiResult<Option<Person>> {
        person(ctx, self.0.person_id.as_ref()).await
    }
    /// Whether an integrator is accredited for embargoed releases.
    async fn embargo_access(&self) -> bool {
        self.0.embargo_access
    }
    /// Who issued it (an admin's user name, or `cli`).
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    /// When it was made.
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
    }
    /// When it stops being accepted.
    async fn expires_at(&self) -> Instant {
        self.0.expires_at.into()
    }
    /// When it signed its user in, if it did.
    async fn used_at(&self) -> Option<Instant> {
        self.0.used_at.map(Into::into)
    }
    /// When it was revoked, if it was.
    async fn revoked_at(&self) -> Option<Instant> {
        self.0.revoked_at.map(Into::into)
    }
    /// Who revoked it.
    async fn revoked_by(&self) -> Option<&str> {
        self.0.revoked_by.as_deref()
    }
    /// Where it stands at the time of the request.
    async fn status(&self) -> LinkStatus {
        self.0.status.into()
    }
}
