//! The root query.

use async_graphql::{Context, ID, Object};
use pressroom_storage::pagination::{MAX_PAGE, PageRequest};
use pressroom_storage::releases::StoredRelease;

use crate::context::{request, store};
use crate::error::{ApiError, ApiResult};
use crate::inputs::ReleaseFilter;
use crate::signoff::SignoffLink;
use crate::types::{
    AuditEntryConnection, ChangeEventConnection, Department, Person, Release, ReleaseConnection,
    Viewer, WebhookDelivery, WebhookEndpoint,
};

/// Reads.
#[derive(Default, Debug)]
pub struct Query;

/// Loads, one batch each, the departments and the people that the selected fields of a page of
/// releases will ask for, so that the page costs the same statements whatever the order and the
/// timing in which its fields resolve (the DataLoaders then answer from their cache). Nothing is
/// loaded for fields the query does not select.
async fn prime(ctx: &Context<'_>, items: &[(String, StoredRelease)]) -> ApiResult<()> {
    let look = ctx.look_ahead();
    // A page's releases are reached through `nodes` or through `edges { node }`.
    let selected = |path: &[&str]| {
        [&["nodes"][..], &["edges", "node"][..]].iter().any(|base| {
            let mut names = base.iter().chain(path);
            let Some(first) = names.next() else {
                return false;
            };
            names
                .fold(look.field(first), |lookahead, name| lookahead.field(name))
                .exists()
        })
    };
    let departments: Vec<String> = if selected(&["department"]) {
        let mut ids: Vec<String> = items.iter().map(|(_, r)| r.department_id.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    } else {
        Vec::new()
    };
    let people: Vec<String> = if selected(&["responsibleMinister"])
        || selected(&["body", "speaker"])
        || selected(&["quotes", "speaker"])
    {
        let mut ids: Vec<String> = items
            .iter()
            .flat_map(|(_, r)| r.content.referenced_people())
            .map(str::to_owned)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    } else {
        Vec::new()
    };
    let r = request(ctx)?;
    let (departments, people) = futures_util::join!(
        async {
            if departments.is_empty() {
                Ok(Default::default())
            } else {
                r.departments.load_many(departments).await
            }
        },
        async {
            if people.is_empty() {
                Ok(Default::default())
            } else {
                r.people.load_many(people).await
            }
        },
    );
    departments.map_err(|e| ApiError::internal(&e))?;
    people.map_err(|e| ApiError::internal(&e))?;
    Ok(())
}

#[Object]
impl Query {
    /// A release by id; null when it does not exist or the caller may not see it.
    async fn release(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Release>> {
        let r = request(ctx)?;
        Ok(store(ctx)?
            .secure_release(r.viewer.as_ref(), &id, r.now())
            .await?
            .map(Release::from))
    }

    /// A release by slug; null when it does not exist or the caller may not see it.
    async fn release_by_slug(&self, ctx: &Context<'_>, slug: String) -> ApiResult<Option<Release>> {
        let r = request(ctx)?;
        Ok(store(ctx)?
            .secure_release_by_slug(r.viewer.as_ref(), &slug, r.now())
            .await?
            .map(Release::from))
    }

    /// Releases the caller may see, newest first: by publishedAt for published releases (the
    /// embargo instant for embargoed ones), by updatedAt for the rest. `first` defaults to 20 and
    /// is clamped to 100.
    async fn releases(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReleaseFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<ReleaseConnection> {
        let r = request(ctx)?;
        let page = PageRequest::new(first, after.as_deref())?;
        let filter = filter.unwrap_or_default().into_storage()?;
        let page = store(ctx)?
            .secure_releases(r.viewer.as_ref(), &filter, &page, r.now())
            .await?;
        prime(ctx, &page.items).await?;
        Ok(page.into())
    }

    /// IN_REVIEW releases waiting for the caller's office.
    async fn review_queue(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<ReleaseConnection> {
        let viewer = request(ctx)?.require_viewer()?;
        let page = PageRequest::new(first, after.as_deref())?;
        let page = store(ctx)?.review_queue(viewer, &page).await?;
        prime(ctx, &page.items).await?;
        Ok(page.into())
    }

    /// Audit entries the caller may read, oldest first.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        release_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<AuditEntryConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        let viewer = request(ctx)?.viewer.as_ref();
        Ok(store(ctx)?
            .secure_audit_entries(viewer, release_id.as_ref().map(|id| id.as_str()), &page)
            .await?
            .into())
    }

    /// The sign-off links of a release, oldest first (its drafters and editors, admins); never
    /// their tokens. Empty when the release does not exist or the caller may not see it.
    async fn signoff_links(
        &self,
        ctx: &Context<'_>,
        release_id: ID,
    ) -> ApiResult<Vec<SignoffLink>> {
        let viewer = request(ctx)?.require_viewer()?;
        Ok(store(ctx)?
            .signoff_links(viewer, &release_id)
            .await?
            .into_iter()
            .map(SignoffLink)
            .collect())
    }

    /// Every department.
    async fn departments(&self, ctx: &Context<'_>) -> ApiResult<Vec<Department>> {
        Ok(store(ctx)?
            .departments()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Every person.
    async fn people(&self, ctx: &Context<'_>) -> ApiResult<Vec<Person>> {
        Ok(store(ctx)?
            .people()
            .await?
            .into_iter()
            .map(Person)
            .collect())
    }

    /// The caller; null for anonymous callers.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<Option<Viewer>> {
        Ok(request(ctx)?.viewer.clone().map(Viewer))
    }

    /// Public events, oldest first, resumable; shows only what the public read path shows.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        first: Option<i32>,
    ) -> ApiResult<ChangeEventConnection> {
        let page = PageRequest::new(first, after.as_deref())?;
        Ok(store(ctx)?
            .public_changes(&page, request(ctx)?.now())
            .await?
            .into())
    }

    /// Every API token, newest first (admin only): name, role, scope and where it stands;
    /// never its secret. `first` defaults to 20 and is clamped to 100.
    async fn tokens(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<crate::credentials::ApiTokenConnection> {
        crate::credentials::tokens(ctx, first, after).await
    }

    /// Every newsroom sign-in link, newest first (admin only), whatever its status; never its
    /// token. `first` defaults to 20 and is clamped to 100.
    async fn signin_links(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<crate::credentials::SigninLinkConnection> {
        crate::credentials::signin_links(ctx, first, after).await
    }

    /// Registered webhook endpoints (admin only).
    async fn webhook_endpoints(&self, ctx: &Context<'_>) -> ApiResult<Vec<WebhookEndpoint>> {
        request(ctx)?.require_admin()?;
        Ok(store(ctx)?
            .webhook_endpoints()
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Every user's e-mail address, by user name (admin only).
    async fn user_emails(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Vec<crate::notifications::UserEmail>> {
        crate::notifications::user_emails(ctx).await
    }

    /// The newest e-mail messages, of one release when `releaseId` is given (admin only): who
    /// they went to, what about, and how sending went. Never their content.
    async fn mail_messages(
        &self,
        ctx: &Context<'_>,
        release_id: Option<ID>,
        first: Option<i32>,
    ) -> ApiResult<Vec<crate::notifications::MailMessage>> {
        crate::notifications::mail_messages(ctx, release_id.as_ref().map(|id| id.as_str()), first)
            .await
    }

    /// The newest delivery attempts to an endpoint (admin only).
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        endpoint_id: ID,
        first: Option<i32>,
    ) -> ApiResult<Vec<WebhookDelivery>> {
        request(ctx)?.require_admin()?;
        let first = PageRequest::new(first, None)?.first.min(MAX_PAGE);
        Ok(store(ctx)?
            .webhook_deliveries(&endpoint_id, first)
            .await?
            .into_iter()
            .map(|d| WebhookDelivery {
                id: d.id.into(),
                endpoint_id: d.endpoint_id.into(),
                event: d.event,
                attempt: d.attempt,
                status: d.status,
                succeeded: d.succeeded,
                at: d.at.into(),
            })
            .collect())
    }
}
