//! The root mutation. Every release mutation takes `expectedVersion`; the domain decides, storage
//! persists with a guarded update, and the result is the release as it is after the write.

use async_graphql::{Context, ID, Object};
use pressroom_domain::ErrorCode;
use pressroom_domain::content::check_note;
use pressroom_domain::lifecycle::Command;
use pressroom_domain::signoff::{DEFAULT_EXPIRES_IN_HOURS, LinkRequest};
use pressroom_storage::directory::TokenGrant;

use crate::context::{request, store};
use crate::error::{ApiError, ApiResult};
use crate::inputs::{
    DepartmentInput, DepartmentUpdateInput, PersonInput, PersonUpdateInput, ReleaseInput,
    TokenInput, WebhookEndpointInput,
};
use crate::scalars::Instant;
use crate::signoff::{CreatedSignoffLink, LinkSettings, SignoffLink};
use crate::types::{
    CreatedToken, CreatedWebhookEndpoint, Department, Person, Release, WebhookEndpoint,
};

/// Writes.
#[derive(Default, Debug)]
pub struct Mutation;

async fn act(
    ctx: &Context<'_>,
    id: &ID,
    expected_version: i32,
    command: Command,
    department: Option<&str>,
) -> ApiResult<Release> {
    let viewer = request(ctx)?.require_viewer()?;
    Ok(store(ctx)?
        .act(viewer, id, expected_version, command, department)
        .await?
        .into())
}

/// A storage error, with `NotFound` said in words an admin understands.
fn not_found(error: pressroom_storage::StorageError, message: &str) -> ApiError {
    match error {
        pressroom_storage::StorageError::NotFound => ApiError::new(ErrorCode::NotFound, message),
        other => other.into(),
    }
}

fn note(field: &str, text: String) -> ApiResult<String> {
    check_note(field, &text)?;
    Ok(text)
}

#[Object]
impl Mutation {
    /// Creates a release (DRAFT, revision 1) in the input's department.
    async fn create_release(&self, ctx: &Context<'_>, input: ReleaseInput) -> ApiResult<Release> {
        let viewer = request(ctx)?.require_viewer()?;
        let (department, content) = input.into_content()?;
        Ok(store(ctx)?
            .create_release(viewer, &department, content)
            .await?
            .into())
    }

    /// Replaces the content: a new revision; approvals that no longer cover it are void.
    async fn update_release(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: ReleaseInput,
    ) -> ApiResult<Release> {
        request(ctx)?.require_viewer()?;
        let (department, content) = input.into_content()?;
        act(
            ctx,
            &id,
            expected_version,
            Command::Update(content),
            Some(&department),
        )
        .await
    }

    /// DRAFT → IN_REVIEW; the content must be complete.
    async fn submit_for_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<Release> {
        act(ctx, &id, expected_version, Command::SubmitForReview, None).await
    }

    /// IN_REVIEW → DRAFT by a required office, with a comment.
    async fn request_changes(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        comment: String,
    ) -> ApiResult<Release> {
        request(ctx)?.require_viewer()?;
        act(
            ctx,
            &id,
            expected_version,
            Command::RequestChanges(note("comment", comment)?),
            None,
        )
        .await
    }

    /// Records the caller's office's approval of the current revision.
    async fn approve_release(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<Release> {
        act(ctx, &id, expected_version, Command::Approve, None).await
    }

    /// APPROVED/EMBARGOED → EMBARGOED until the instant (explicit offset, in the future).
    async fn schedule_release(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        embargo_until: Instant,
    ) -> ApiResult<Release> {
        request(ctx)?.require_viewer()?;
        let until = embargo_until.valid("embargoUntil")?;
        act(ctx, &id, expected_version, Command::Schedule(until), None).await
    }

    /// EMBARGOED → APPROVED, with a reason.
    async fn cancel_embargo(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        reason: String,
    ) -> ApiResult<Release> {
        request(ctx)?.require_viewer()?;
        act(
            ctx,
            &id,
            expected_version,
            Command::CancelEmbargo(note("reason", reason)?),
            None,
        )
        .await
    }

    /// APPROVED/EMBARGOED → PUBLISHED now.
    async fn publish_now(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
    ) -> ApiResult<Release> {
        act(ctx, &id, expected_version, Command::PublishNow, None).await
    }

    /// Corrects a published release (never its quotes), with a public note.
    async fn correct_release(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: ReleaseInput,
        note: String,
    ) -> ApiResult<Release> {
        request(ctx)?.require_viewer()?;
        let note = self::note("note", note)?;
        let (department, content) = input.into_content()?;
        act(
            ctx,
            &id,
            expected_version,
            Command::Correct(content, note),
            Some(&department),
        )
        .await
    }

    /// PUBLISHED → WITHDRAWN, with a public reason.
    async fn withdraw_release(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        reason: String,
    ) -> ApiResult<Release> {
        request(ctx)?.require_viewer()?;
        act(
            ctx,
            &id,
            expected_version,
            Command::Withdraw(note("reason", reason)?),
            None,
        )
        .await
    }

    /// Asks `signer` to answer for `personId`'s office on the release's current revision, from
    /// a link: a drafter or editor of the release's department, while it is IN_REVIEW and that
    /// office is required and has not approved. The URL (with its token) is shown only here.
    async fn create_signoff_link(
        &self,
        ctx: &Context<'_>,
        release_id: ID,
        expected_version: i32,
        person_id: ID,
        signer: String,
        #[graphql(default_with = "Some(DEFAULT_EXPIRES_IN_HOURS as i32)")] expires_in_hours: Option<
            i32,
        >,
    ) -> ApiResult<CreatedSignoffLink> {
        let viewer = request(ctx)?.require_viewer()?;
        let settings = ctx.data::<LinkSettings>().map_err(ApiError::from)?;
        let created = store(ctx)?
            .create_signoff_link(
                viewer,
                &release_id,
                expected_version,
                &LinkRequest {
                    person_id: &pressroom_domain::PersonId::new(person_id.as_str()),
                    signer: &signer,
                    expires_in_hours: expires_in_hours.map_or(DEFAULT_EXPIRES_IN_HOURS, i64::from),
                },
                settings.signoff_max_hours,
            )
            .await?;
        Ok(CreatedSignoffLink {
            url: settings.signoff_url(&created.token),
            link: SignoffLink(created.view),
        })
    }

    /// Revokes a sign-off link (the release's drafters and editors, admins): it answers `410`
    /// from then on. An answered link cannot be revoked.
    async fn revoke_signoff_link(&self, ctx: &Context<'_>, id: ID) -> ApiResult<SignoffLink> {
        let viewer = request(ctx)?.require_viewer()?;
        Ok(SignoffLink(
            store(ctx)?.revoke_signoff_link(viewer, &id).await?,
        ))
    }

    /// Creates a department (admin).
    async fn create_department(
        &self,
        ctx: &Context<'_>,
        input: DepartmentInput,
    ) -> ApiResult<Department> {
        let admin = request(ctx)?.require_admin()?;
        let time_zone = input
            .time_zone
            .unwrap_or_else(|| "Europe/Stockholm".to_owned());
        Ok(store(ctx)?
            .create_department(&admin.user_name, &input.slug, &input.name, &time_zone)
            .await?
            .into())
    }

    /// Creates a person (admin).
    async fn create_person(&self, ctx: &Context<'_>, input: PersonInput) -> ApiResult<Person> {
        let admin = request(ctx)?.require_admin()?;
        Ok(Person(
            store(ctx)?
                .create_person(
                    &admin.user_name,
                    &input.name,
                    &input.title,
                    input.department.as_deref(),
                )
                .await?,
        ))
    }

    /// Changes a person's name, title or department (admin); audited as `updatePerson`.
    /// Releases already public keep showing the person as they were when they went public.
    async fn update_person(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: PersonUpdateInput,
    ) -> ApiResult<Person> {
        let admin = request(ctx)?.require_admin()?;
        store(ctx)?
            .update_person(&admin.user_name, &id, input.into_change())
            .await
            .map(Person)
            .map_err(|e| not_found(e, "no such person"))
    }

    /// Changes a department's name or time zone, never its slug (admin); audited as
    /// `updateDepartment`. Releases already public keep the name and zone they went public with.
    async fn update_department(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: DepartmentUpdateInput,
    ) -> ApiResult<Department> {
        let admin = request(ctx)?.require_admin()?;
        let change = pressroom_storage::directory::DepartmentChange {
            name: input.name,
            time_zone: input.time_zone,
        };
        store(ctx)?
            .update_department(&admin.user_name, &id, change)
            .await
            .map(Into::into)
            .map_err(|e| not_found(e, "no such department"))
    }

    /// Creates a token (admin); the token is shown once.
    async fn create_token(&self, ctx: &Context<'_>, input: TokenInput) -> ApiResult<CreatedToken> {
        let admin = request(ctx)?.require_admin()?;
        let grant = TokenGrant {
            user_name: input.name,
            role: input.role.into(),
            department: input.department,
            person_id: input.person_id.map(|id| id.0),
            embargo_access: input.embargo_access.unwrap_or(false),
            expires_at: input
                .expires_at
                .map(|at| at.valid("input.expiresAt"))
                .transpose()?,
        };
        let created = store(ctx)?.create_token(&admin.user_name, grant).await?;
        Ok(CreatedToken {
            id: created.id.into(),
            token: created.token,
        })
    }

    /// Sets (or, with `deadline: null`, removes) the deadline of a release's review: the
    /// offices are asked to answer by then (sign-off requests name it), and those with an
    /// address that have not answered are reminded by e-mail before it. The release's drafters
    /// and editors, and admins; in `DRAFT` or `IN_REVIEW` (`INVALID_TRANSITION` otherwise); the
    /// deadline must carry an offset and lie in the future (`VALIDATION` on `deadline`).
    /// Audited; the release's version does not change. Answers the deadline now on record.
    async fn set_review_deadline(
        &self,
        ctx: &Context<'_>,
        release_id: ID,
        expected_version: i32,
        deadline: Option<Instant>,
    ) -> ApiResult<Option<Instant>> {
        crate::notifications::set_review_deadline(ctx, &release_id, expected_version, deadline)
            .await
    }

    /// Sets the e-mail address of a person's office (the minister's office that signs for
    /// them), where sign-off requests go (admin). `null` or an empty string removes it. A
    /// malformed address is `VALIDATION` on `email`, an unknown person on `personId`. Answers the
    /// address now on record.
    async fn set_office_email(
        &self,
        ctx: &Context<'_>,
        person_id: ID,
        email: Option<String>,
    ) -> ApiResult<Option<String>> {
        crate::notifications::set_office_email(ctx, &person_id, email.as_deref()).await
    }

    /// Sets the e-mail address of a user (the name behind tokens and sessions), where the
    /// notifications of their releases and department go (admin). `null` or an empty string
    /// removes it; a malformed address is `VALIDATION` on `email`.
    async fn set_user_email(
        &self,
        ctx: &Context<'_>,
        user_name: String,
        email: Option<String>,
    ) -> ApiResult<crate::notifications::UserEmail> {
        crate::notifications::set_user_email(ctx, &user_name, email.as_deref()).await
    }

    /// Revokes a token with immediate effect (admin); false when no active token has this id.
    async fn revoke_token(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        let admin = request(ctx)?.require_admin()?;
        Ok(store(ctx)?.revoke_token(&admin.user_name, &id).await?)
    }

    /// Registers a webhook endpoint (admin); the secret is shown once.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: WebhookEndpointInput,
    ) -> ApiResult<CreatedWebhookEndpoint> {
        let admin = request(ctx)?.require_admin()?;
        let (endpoint, secret) = store(ctx)?
            .create_webhook_endpoint(&admin.user_name, &input.url, &input.event_types)
            .await?;
        Ok(CreatedWebhookEndpoint {
            endpoint: endpoint.into(),
            secret,
        })
    }

    /// Disables a webhook endpoint (admin).
    async fn disable_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<WebhookEndpoint> {
        let admin = request(ctx)?.require_admin()?;
        store(ctx)?
            .disable_webhook_endpoint(&admin.user_name, &id)
            .await
            .map(Into::into)
            .map_err(|e| match e {
                pressroom_storage::StorageError::NotFound => {
                    ApiError::new(ErrorCode::NotFound, "no such webhook endpoint")
                }
                other => other.into(),
            })
    }
}
