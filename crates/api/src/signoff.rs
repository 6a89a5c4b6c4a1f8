//! Sign-off links over GraphQL: the `SignoffLink` type, and the settings the mutations need
//! (the public base URL a link's URL starts with, and the longest life a link may be given).
//! The page a link opens is `crate::public::signoff`.

use async_graphql::{Context, Enum, Object, SimpleObject};
use pressroom_domain::links::{PublicBaseUrl, public_url};
use pressroom_domain::signoff::{DEFAULT_MAX_EXPIRES_IN_HOURS, LinkStatus};
use pressroom_storage::signoff::LinkView;

use crate::context::request;
use crate::error::{ApiError, ApiResult};
use crate::scalars::Instant;
use crate::types::Person;

/// Where links that leave the server point, and how long a sign-off link may live.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    /// The public base URL; `None` keeps links relative.
    pub public_base_url: Option<PublicBaseUrl>,
    /// The most hours `createSignoffLink` accepts in `expiresInHours`.
    pub signoff_max_hours: i64,
}

impl Default for LinkSettings {
    fn default() -> Self {
        Self {
            public_base_url: None,
            signoff_max_hours: DEFAULT_MAX_EXPIRES_IN_HOURS,
        }
    }
}

impl LinkSettings {
    /// `path` (starting with `/`), absolute when a public base URL is set.
    pub fn url(&self, path: &str) -> String {
        public_url(self.public_base_url.as_ref(), path)
    }

    /// The URL of the sign-off page of `token`.
    pub fn signoff_url(&self, token: &str) -> String {
        self.url(&format!("/signoff/{token}"))
    }
}

/// Where a sign-off link stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "SignoffLinkStatus")]
pub enum SignoffLinkStatus {
    /// Open: the signer can answer.
    Waiting,
    /// Answered.
    Answered,
    /// Its time ran out.
    Expired,
    /// Revoked.
    Revoked,
    /// The release has a newer revision, or left review, since the link was made.
    Outdated,
}

impl From<LinkStatus> for SignoffLinkStatus {
    fn from(status: LinkStatus) -> Self {
        match status {
            LinkStatus::Waiting => Self::Waiting,
            LinkStatus::Answered => Self::Answered,
            LinkStatus::Expired => Self::Expired,
            LinkStatus::Revoked => Self::Revoked,
            LinkStatus::Outdated => Self::Outdated,
        }
    }
}

/// A link that lets the office of a person without an account approve one revision (or send
/// the release back). Its token is never shown again after `createSignoffLink`.
#[derive(Clone, Debug)]
pub struct SignoffLink(pub LinkView);

/// A link that lets the office of a person without an account approve one revision (or send
/// the release back). Its token is never shown again after `createSignoffLink`.
#[Object]
impl SignoffLink {
    /// Id.
    async fn id(&self) -> async_graphql::ID {
        self.0.link.id.clone().into()
    }
    /// The release it asks about.
    async fn release_id(&self) -> async_graphql::ID {
        self.0.link.release_id.clone().into()
    }
    /// Whose office signs.
    async fn person(&self, ctx: &Context<'_>) -> ApiResult<Person> {
        let id = &self.0.link.person_id;
        request(ctx)?
            .person(id.as_str())
            .await?
            .map(Person)
            .ok_or_else(|| ApiError::internal(&format!("sign-off person {id} is missing")))
    }
    /// The user name the answer is recorded under.
    async fn signer(&self) -> &str {
        self.0.link.signer.as_str()
    }
    /// The revision the link was made for.
    async fn revision(&self) -> i32 {
        self.0.link.revision
    }
    /// When it stops being accepted.
    async fn expires_at(&self) -> Instant {
        self.0.link.expires_at.into()
    }
    /// When it was answered.
    async fn answered_at(&self) -> Option<Instant> {
        self.0.link.answered_at.map(Into::into)
    }
    /// `APPROVED` or `CHANGES_REQUESTED` once answered.
    async fn answer(&self) -> Option<&'static str> {
        self.0.link.answer.map(|verdict| verdict.as_str())
    }
    /// When it was revoked.
    async fn revoked_at(&self) -> Option<Instant> {
        self.0.link.revoked_at.map(Into::into)
    }
    /// Where it stands at the time of the request.
    async fn status(&self) -> SignoffLinkStatus {
        self.0.status.into()
    }
    /// Who asked.
    async fn created_by(&self) -> &str {
        self.0.link.created_by.as_str()
    }
    /// When.
    async fn created_at(&self) -> Instant {
        self.0.link.created_at.into()
    }
    /// The comment sent with a request for changes.
    async fn comment(&self) -> Option<&str> {
        self.0.link.comment.as_deref()
    }
}

/// A new link with its URL: the only time the URL (with its token) is shown.
#[derive(SimpleObject, Clone, Debug)]
pub struct CreatedSignoffLink {
    /// The link.
    pub link: SignoffLink,
    /// `/signoff/<token>`, absolute when a public base URL is set.
    pub url: String,
}
