//! GraphQL output types. They are built from storage and domain values by explicit conversion;
//! no storage entity is exposed directly.

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, Enum, Json, Object, OutputType, SimpleObject, Union};
use pressroom_domain::approval;
use pressroom_domain::content;
use pressroom_domain::lifecycle::State;
use pressroom_domain::visibility;
use pressroom_storage::audit::AuditEntry as StoredEntry;
use pressroom_storage::directory;
use pressroom_storage::pagination::{Page, PageRequest};
use pressroom_storage::releases::StoredRelease;

use crate::context::{request, store};
use crate::error::{ApiError, ApiResult};
use crate::scalars::Instant;

/// Lifecycle state.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ReleaseState", remote = "pressroom_domain::lifecycle::State")]
pub enum ReleaseState {
    /// Being written.
    Draft,
    /// Waiting for the required offices.
    InReview,
    /// Approved by every required office.
    Approved,
    /// Scheduled to publish itself at `embargoUntil`.
    Embargoed,
    /// Public.
    Published,
    /// Withdrawn; still readable with its notice.
    Withdrawn,
}

/// Kind of release.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
#[graphql(remote = "pressroom_domain::content::ReleaseKind")]
pub enum ReleaseKind {
    /// Press release.
    #[default]
    PressRelease,
    /// News item.
    News,
    /// Statement.
    Statement,
}

/// Role of a token.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "pressroom_domain::visibility::Role")]
pub enum Role {
    /// Drafter of a department.
    Drafter,
    /// Editor (press secretary) of a department.
    Editor,
    /// A minister's office.
    MinisterOffice,
    /// API client.
    Integrator,
    /// Administrator.
    Admin,
}

/// An office's standing.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "pressroom_domain::approval::ApprovalStatus")]
pub enum ApprovalStatus {
    /// No valid approval yet.
    Pending,
    /// Approved.
    Approved,
    /// Changes requested.
    ChangesRequested,
}

/// A department.
#[derive(SimpleObject, Clone, Debug)]
pub struct Department {
    /// Id.
    pub id: async_graphql::ID,
    /// URL slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
}

impl From<directory::Department> for Department {
    fn from(d: directory::Department) -> Self {
        Self {
            id: d.id.into(),
            slug: d.slug,
            name: d.name,
            time_zone: d.time_zone,
        }
    }
}

/// A person (minister or other speaker).
#[derive(Clone, Debug)]
pub struct Person(pub directory::Person);

#[Object]
impl Person {
    /// Id.
    async fn id(&self) -> async_graphql::ID {
        self.0.id.clone().into()
    }
    /// Name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The e-mail address of the person's office, where sign-off requests go; shown to admins
    /// only (`null` for everyone else).
    async fn office_email(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        crate::notifications::office_email(ctx, &self.0.id).await
    }
    /// Department.
    async fn department(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        match &self.0.department_id {
            Some(id) => Ok(request(ctx)?.department(id).await?.map(Into::into)),
            None => Ok(None),
        }
    }
}

/// A paragraph of plain text.
#[derive(SimpleObject, Clone, Debug)]
pub struct Paragraph {
    /// Text.
    pub text: String,
}

/// A quote.
#[derive(Clone, Debug)]
pub struct Quote {
    speaker_id: String,
    text: String,
    /// When the release went public, if it has: the speaker is shown as they were then.
    as_of: Option<chrono::DateTime<chrono::Utc>>,
}

#[Object]
impl Quote {
    /// Who says it.
    async fn speaker(&self, ctx: &Context<'_>) -> ApiResult<Person> {
        request(ctx)?
            .person(&self.speaker_id)
            .await?
            .map(|p| Person(p.as_of(self.as_of).clone()))
            .ok_or_else(|| {
                ApiError::internal(&format!("quote speaker {} is missing", self.speaker_id))
            })
    }
    /// The words, without dash or attribution.
    async fn text(&self) -> &str {
        &self.text
    }
}

/// A body block.
#[derive(Union, Clone, Debug)]
pub enum Block {
    /// Paragraph.
    Paragraph(Paragraph),
    /// Quote.
    Quote(Quote),
}

/// A press contact.
#[derive(SimpleObject, Clone, Debug)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// Role.
    pub role: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Mobile.
    pub mobile: Option<String>,
    /// E-mail.
    pub email: Option<String>,
}

/// A fact box.
#[derive(SimpleObject, Clone, Debug)]
pub struct FactBox {
    /// Heading.
    pub heading: String,
    /// Text.
    pub text: String,
}

/// One required office's standing on the current revision.
#[derive(SimpleObject, Clone, Debug)]
pub struct Approval {
    /// The office (the person it speaks for).
    pub office: Person,
    /// Standing.
    pub status: ApprovalStatus,
    /// User who approved or requested changes.
    pub by: Option<String>,
    /// When.
    pub at: Option<Instant>,
    /// Comment of a request for changes.
    pub comment: Option<String>,
}

/// A public correction note.
#[derive(SimpleObject, Clone, Debug)]
pub struct Correction {
    /// When.
    pub at: Instant,
    /// Note.
    pub note: String,
    /// The revision it made.
    pub revision: i32,
}

/// A withdrawal notice.
#[derive(SimpleObject, Clone, Debug)]
pub struct Withdrawal {
    /// When.
    pub at: Instant,
    /// Public reason.
    pub reason: String,
}

/// Relay page info.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct PageInfo {
    /// Whether items precede this page.
    pub has_previous_page: bool,
    /// Whether items follow this page.
    pub has_next_page: bool,
    /// Cursor of the first item.
    pub start_cursor: Option<String>,
    /// Cursor of the last item.
    pub end_cursor: Option<String>,
}

fn page_info<T>(page: &Page<T>) -> PageInfo {
    PageInfo {
        has_previous_page: page.has_previous_page,
        has_next_page: page.has_next_page,
        start_cursor: page.items.first().map(|(c, _)| c.clone()),
        end_cursor: page.items.last().map(|(c, _)| c.clone()),
    }
}

/// An edge of a list: one item and its cursor.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(
    concrete(name = "ReleaseEdge", params(Release)),
    concrete(name = "AuditEntryEdge", params(AuditEntry)),
    concrete(name = "ChangeEventEdge", params(ChangeEvent)),
    concrete(name = "ApiTokenEdge", params(crate::credentials::ApiToken)),
    concrete(name = "SigninLinkEdge", params(crate::credentials::SigninLink))
)]
pub struct Edge<T: OutputType> {
    /// Opaque cursor; pass it as `after` to continue after this item.
    pub cursor: String,
    /// The item.
    pub node: T,
}

/// A page of a list, in the Relay shape.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(
    concrete(name = "ReleaseConnection", params(Release)),
    concrete(name = "AuditEntryConnection", params(AuditEntry)),
    concrete(name = "ChangeEventConnection", params(ChangeEvent)),
    concrete(name = "ApiTokenConnection", params(crate::credentials::ApiToken)),
    concrete(name = "SigninLinkConnection", params(crate::credentials::SigninLink))
)]
pub struct Connection<T>
where
    T: OutputType,
    Edge<T>: OutputType,
{
    /// Edges.
    pub edges: Vec<Edge<T>>,
    /// The items of the edges, without their cursors.
    pub nodes: Vec<T>,
    /// Page info.
    pub page_info: PageInfo,
}

/// A page of releases.
pub type ReleaseConnection = Connection<Release>;
/// A page of the audit log.
pub type AuditEntryConnection = Connection<AuditEntry>;
/// A page of the change feed.
pub type ChangeEventConnection = Connection<ChangeEvent>;

impl<S, T> From<Page<S>> for Connection<T>
where
    T: OutputType + Clone + From<S>,
    Edge<T>: OutputType,
{
    fn from(page: Page<S>) -> Self {
        let page_info = page_info(&page);
        let edges: Vec<Edge<T>> = page
            .items
            .into_iter()
            .map(|(cursor, item)| Edge {
                cursor,
                node: T::from(item),
            })
            .collect();
        Self {
            nodes: edges.iter().map(|e| e.node.clone()).collect(),
            edges,
            page_info,
        }
    }
}

/// An audit entry.
#[derive(Clone, Debug)]
pub struct AuditEntry(pub Arc<StoredEntry>);

impl From<StoredEntry> for AuditEntry {
    fn from(entry: StoredEntry) -> Self {
        Self(Arc::new(entry))
    }
}

#[Object]
impl AuditEntry {
    /// Position in the chain.
    async fn seq(&self) -> ApiResult<i32> {
        i32::try_from(self.0.seq).map_err(|e| ApiError::internal(&e))
    }
    /// When.
    async fn at(&self) -> Instant {
        self.0.at.into()
    }
    /// User name or `scheduler`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// Action name.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// Release concerned.
    async fn release_id(&self) -> Option<async_graphql::ID> {
        self.0.release_id.clone().map(Into::into)
    }
    /// State before.
    async fn from_state(&self) -> Option<ReleaseState> {
        self.0
            .from_state
            .as_deref()
            .and_then(State::parse)
            .map(Into::into)
    }
    /// State after.
    async fn to_state(&self) -> Option<ReleaseState> {
        self.0
            .to_state
            .as_deref()
            .and_then(State::parse)
            .map(Into::into)
    }
    /// Revision concerned.
    async fn revision(&self) -> Option<i32> {
        self.0.revision
    }
    /// Details (comment, reason, embargo time, lateness…), camelCase keys.
    async fn details(&self) -> ApiResult<Json<serde_json::Value>> {
        serde_json::from_str(&self.0.details)
            .map(Json)
            .map_err(|e| ApiError::internal(&e))
    }
    /// Hash of the previous entry.
    async fn prev_hash(&self) -> &str {
        &self.0.prev_hash
    }
    /// SHA-256 of this entry's canonical encoding.
    async fn hash(&self) -> &str {
        &self.0.hash
    }
}

/// A release as the caller sees it at the request's instant. Shared, so that a page's `edges`
/// and `nodes` hold the same release without copying it.
#[derive(Clone, Debug)]
pub struct Release(pub Arc<StoredRelease>);

impl From<StoredRelease> for Release {
    fn from(release: StoredRelease) -> Self {
        Self(Arc::new(release))
    }
}

impl Release {
    fn block(block: &content::Block, as_of: Option<chrono::DateTime<chrono::Utc>>) -> Block {
        match block {
            content::Block::Paragraph { text } => {
                Block::Paragraph(Paragraph { text: text.clone() })
            }
            content::Block::Quote { speaker_id, text } => Block::Quote(Quote {
                speaker_id: speaker_id.clone(),
                text: text.clone(),
                as_of,
            }),
        }
    }

    /// The instant the release went public (or reads as public) at the request's instant:
    /// people and the department are shown as they were then, so renaming a minister does not
    /// rewrite a published release; `None` (as they are now) before it is public.
    fn public_since(&self, ctx: &Context<'_>) -> ApiResult<Option<chrono::DateTime<chrono::Utc>>> {
        let now = request(ctx)?.now();
        Ok(visibility::effective_published_at(
            self.0.state,
            self.0.published_at,
            self.0.embargo_until,
            now,
        ))
    }
}

#[Object]
impl Release {
    /// Id.
    async fn id(&self) -> async_graphql::ID {
        self.0.id.clone().into()
    }
    /// Unique slug (stable once published).
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Kind.
    async fn kind(&self) -> ReleaseKind {
        self.0.content.kind().into()
    }
    /// State as it reads now: an embargoed release whose instant has passed reads as PUBLISHED.
    async fn state(&self, ctx: &Context<'_>) -> ApiResult<ReleaseState> {
        let now = request(ctx)?.now();
        Ok(visibility::effective_state(self.0.state, self.0.embargo_until, now).into())
    }
    /// Optimistic-concurrency version; pass it as `expectedVersion`.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Current revision number.
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    /// SHA-256 of the current revision's canonical content.
    async fn content_hash(&self) -> &str {
        &self.0.content_hash
    }
    /// BCP 47 language tag.
    async fn language(&self) -> &str {
        self.0.content.language()
    }
    /// Department.
    async fn department(&self, ctx: &Context<'_>) -> ApiResult<Department> {
        let as_of = self.public_since(ctx)?;
        request(ctx)?
            .department(&self.0.department_id)
            .await?
            .map(|d| d.as_of(as_of).clone().into())
            .ok_or_else(|| ApiError::internal(&"release without department"))
    }
    /// Responsible minister.
    async fn responsible_minister(&self, ctx: &Context<'_>) -> ApiResult<Option<Person>> {
        match self.0.content.responsible_minister_id() {
            Some(id) => {
                let as_of = self.public_since(ctx)?;
                Ok(request(ctx)?
                    .person(id)
                    .await?
                    .map(|p| Person(p.as_of(as_of).clone())))
            }
            None => Ok(None),
        }
    }
    /// Title.
    async fn title(&self) -> &str {
        self.0.content.title()
    }
    /// Lead (ingress).
    async fn lead(&self) -> &str {
        self.0.content.lead()
    }
    /// Body blocks in order.
    async fn body(&self, ctx: &Context<'_>) -> ApiResult<Vec<Block>> {
        let as_of = self.public_since(ctx)?;
        Ok(self
            .0
            .content
            .body()
            .iter()
            .map(|block| Self::block(block, as_of))
            .collect())
    }
    /// Every quote, in body order.
    async fn quotes(&self, ctx: &Context<'_>) -> ApiResult<Vec<Quote>> {
        let as_of = self.public_since(ctx)?;
        Ok(self
            .0
            .content
            .quotes()
            .map(|q| Quote {
                speaker_id: q.speaker_id.to_owned(),
                text: q.text.to_owned(),
                as_of,
            })
            .collect())
    }
    /// Press contacts.
    async fn contacts(&self) -> Vec<Contact> {
        self.0
            .content
            .contacts()
            .iter()
            .map(|c| Contact {
                name: c.name.clone(),
                role: c.role.clone(),
                phone: c.phone.clone(),
                mobile: c.mobile.clone(),
                email: c.email.clone(),
            })
            .collect()
    }
    /// Fact boxes.
    async fn fact_boxes(&self) -> Vec<FactBox> {
        self.0
            .content
            .fact_boxes()
            .iter()
            .map(|f| FactBox {
                heading: f.heading.clone(),
                text: f.text.clone(),
            })
            .collect()
    }
    /// Topics.
    async fn topics(&self) -> &[String] {
        self.0.content.topics()
    }
    /// The release this one translates, if the caller may see it.
    async fn translation_of(&self, ctx: &Context<'_>) -> ApiResult<Option<Release>> {
        match self.0.content.translation_of() {
            Some(id) => Ok(request(ctx)?.release(id).await?.map(Release::from)),
            None => Ok(None),
        }
    }
    /// Embargo instant, while embargoed (and kept once published at it).
    async fn embargo_until(&self) -> Option<Instant> {
        self.0.embargo_until.map(Into::into)
    }
    /// When it became public (the embargo instant for embargoed releases whose instant passed).
    async fn published_at(&self, ctx: &Context<'_>) -> ApiResult<Option<Instant>> {
        let now = request(ctx)?.now();
        Ok(visibility::effective_published_at(
            self.0.state,
            self.0.published_at,
            self.0.embargo_until,
            now,
        )
        .map(Into::into))
    }
    /// Creation instant.
    async fn created_at(&self) -> Instant {
        self.0.created_at.into()
    }
    /// Last write.
    async fn updated_at(&self) -> Instant {
        self.0.updated_at.into()
    }
    /// The deadline of the review, if one is set (`setReviewDeadline`): the offices are asked to
    /// answer by then, and those that have not are reminded before it. Internal: shown to those
    /// who see the approvals, `null` for everyone else.
    async fn review_deadline(&self, ctx: &Context<'_>) -> ApiResult<Option<Instant>> {
        crate::notifications::review_deadline(ctx, &self.0).await
    }
    /// One entry per required office of the current revision. Reviewers' names and comments are
    /// internal: callers who see the release only because it is public (or because they are
    /// accredited integrators) get an empty list.
    async fn approvals(&self, ctx: &Context<'_>) -> ApiResult<Vec<Approval>> {
        // Who may see them is `visibility::sees_internal_detail`.
        let request = request(ctx)?;
        let Some(viewer) = request.viewer.as_ref() else {
            return Ok(Vec::new());
        };
        let records = request.approvals(&self.0.id).await?;
        let mut offices = approval::required_offices(&self.0.content);
        offices.extend(records.iter().map(|r| r.office_id.clone()));
        let facts = visibility::VisibilityFacts {
            state: self.0.state,
            department_id: &self.0.department_id,
            embargo_until: self.0.embargo_until,
            offices: &offices,
        };
        if !visibility::sees_internal_detail(viewer, &facts) {
            return Ok(Vec::new());
        }
        let standings = approval::standings(
            &records,
            &self.0.content,
            &self.0.content_hash,
            self.0.revision,
        );
        let mut out = Vec::with_capacity(standings.len());
        for standing in standings {
            let office = request
                .person(standing.office_id.as_str())
                .await?
                .ok_or_else(|| {
                    ApiError::internal(&format!("office {} is missing", standing.office_id))
                })?;
            out.push(Approval {
                office: Person(office),
                status: standing.status.into(),
                by: standing.record.map(|r| r.by_user.to_string()),
                at: standing.record.map(|r| r.at.into()),
                comment: standing.record.and_then(|r| r.comment.clone()),
            });
        }
        Ok(out)
    }
    /// Public correction notes, oldest first.
    async fn corrections(&self, ctx: &Context<'_>) -> ApiResult<Vec<Correction>> {
        Ok(request(ctx)?
            .corrections(&self.0.id)
            .await?
            .into_iter()
            .map(|c| Correction {
                at: c.at.into(),
                note: c.note,
                revision: c.revision,
            })
            .collect())
    }
    /// Withdrawal notice.
    async fn withdrawal(&self) -> Option<Withdrawal> {
        match (self.0.withdrawn_at, &self.0.withdrawal_reason) {
            (Some(at), Some(reason)) => Some(Withdrawal {
                at: at.into(),
                reason: reason.clone(),
            }),
            _ => None,
        }
    }
    /// This release's audit entries the caller may read, oldest first.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<AuditEntryConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let viewer = request(ctx)?.viewer.as_ref();
        Ok(store(ctx)?
            .secure_audit_entries(viewer, Some(&self.0.id), &page)
            .await?
            .into())
    }
}

/// A public event.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct ChangeEvent {
    /// `release.published`, `release.corrected` or `release.withdrawn`.
    pub event: String,
    /// When it was recorded.
    pub at: Instant,
    /// The release.
    pub release_id: async_graphql::ID,
    /// The release's version after the write.
    pub version: i32,
}

#[ComplexObject]
impl ChangeEvent {
    /// The release as the caller sees it now.
    async fn release(&self, ctx: &Context<'_>) -> ApiResult<Option<Release>> {
        Ok(request(ctx)?
            .release(&self.release_id)
            .await?
            .map(Release::from))
    }
}

impl From<pressroom_storage::changes::ChangeEvent> for ChangeEvent {
    fn from(event: pressroom_storage::changes::ChangeEvent) -> Self {
        Self {
            event: event.event,
            at: event.at.into(),
            release_id: event.release_id.into(),
            version: event.version,
        }
    }
}

/// A webhook endpoint.
#[derive(SimpleObject, Clone, Debug)]
pub struct WebhookEndpoint {
    /// Id.
    pub id: async_graphql::ID,
    /// URL.
    pub url: String,
    /// Subscribed event types.
    pub event_types: Vec<String>,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Registration instant.
    pub created_at: Instant,
}

impl From<pressroom_storage::webhooks::WebhookEndpoint> for WebhookEndpoint {
    fn from(e: pressroom_storage::webhooks::WebhookEndpoint) -> Self {
        Self {
            id: e.id.into(),
            url: e.url,
            event_types: e.event_types,
            enabled: e.enabled,
            created_at: e.created_at.into(),
        }
    }
}

/// A new endpoint with its secret (shown once).
#[derive(SimpleObject, Clone, Debug)]
pub struct CreatedWebhookEndpoint {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// `whsec_…` signing secret.
    pub secret: String,
}

/// One delivery attempt.
#[derive(SimpleObject, Clone, Debug)]
pub struct WebhookDelivery {
    /// Id.
    pub id: async_graphql::ID,
    /// Endpoint.
    pub endpoint_id: async_graphql::ID,
    /// Event type.
    pub event: String,
    /// Attempt number.
    pub attempt: i32,
    /// HTTP status, if a response came.
    pub status: Option<i32>,
    /// Whether it was accepted.
    pub succeeded: bool,
    /// When.
    pub at: Instant,
}

/// The caller.
#[derive(Clone, Debug)]
pub struct Viewer(pub visibility::Viewer);

#[Object]
impl Viewer {
    /// User name.
    async fn name(&self) -> &str {
        self.0.user_name.as_str()
    }
    /// Role of this token.
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    /// Department of a drafter or editor.
    async fn department(&self, ctx: &Context<'_>) -> ApiResult<Option<Department>> {
        match &self.0.department_id {
            Some(id) => Ok(request(ctx)?.department(id.as_str()).await?.map(Into::into)),
            None => Ok(None),
        }
    }
    /// Person whose office this token speaks for.
    async fn person(&self, ctx: &Context<'_>) -> ApiResult<Option<Person>> {
        match &self.0.person_id {
            Some(id) => Ok(request(ctx)?.person(id.as_str()).await?.map(Person)),
            None => Ok(None),
        }
    }
    /// Whether embargoed releases are readable before their instant.
    async fn embargo_access(&self) -> bool {
        self.0.embargo_access
    }
}

/// A new token (the secret is shown once).
#[derive(SimpleObject, Clone, Debug)]
pub struct CreatedToken {
    /// Id, for revoking.
    pub id: async_graphql::ID,
    /// The bearer token.
    pub token: String,
}
