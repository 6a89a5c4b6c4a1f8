//! `/newsroom/admin`: for admins, the audit chain's verification (the same check as
//! `pressroom audit verify`), departments and people, sign-in links (create one, shown once;
//! revoke an unused one), and webhook endpoints with their recent deliveries.
//!
//! API tokens are not listed: storage has no read of them yet (they are created and revoked
//! through the API and the command line).

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use chrono_tz::Tz;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path};
use poem::{Response, handler};
use pressroom_domain::audit::ChainBreak;
use pressroom_domain::links::public_url;
use pressroom_domain::visibility::Role;
use pressroom_domain::{DomainError, PersonId, UserName};
use pressroom_storage::audit::Verification;
use pressroom_storage::directory::{Department, Person, TokenGrant, TokenRecord};
use pressroom_storage::notifications::UserEmail;
use pressroom_storage::pagination::{MAX_PAGE, PageRequest};
use pressroom_storage::sessions::{SigninLink, SigninLinkStatus};
use pressroom_storage::webhooks::WebhookDelivery;
use pressroom_storage::{StorageError, Store};
use pressroom_web::time_format;
use serde::Deserialize;

use crate::NewsroomConfig;
use crate::form::FieldError;
use crate::frame::{self, Frame, SITE, Staff, role_in_words};
use crate::release::When;

/// Recent deliveries shown per webhook endpoint.
const DELIVERIES_PER_ENDPOINT: u64 = 10;

/// Sign-in links shown, newest first.
const LINKS_SHOWN: u64 = MAX_PAGE;

/// The zone admin pages show times in (the admin works across departments).
const ADMIN_ZONE: &str = "Europe/Stockholm";

/// The sign-in link form, as sent (kept as typed when it is refused).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct LinkForm {
    /// The user's name.
    #[serde(default)]
    pub name: String,
    /// The role (`DRAFTER`, …).
    #[serde(default)]
    pub role: String,
    /// Department slug, for drafters and editors.
    #[serde(default)]
    pub department: String,
    /// Person id, for a minister's office.
    #[serde(default)]
    pub person: String,
    /// Present when ticked: an integrator accredited for embargoed releases.
    #[serde(default)]
    pub embargo_access: Option<String>,
    /// The button pressed: `token` makes an API token, anything else a sign-in link.
    #[serde(default)]
    pub kind: String,
}

/// A secret shown once, right after it was made.
pub struct Shown {
    /// `link` (a sign-in URL) or `token` (an API token).
    pub kind: &'static str,
    /// The URL or the token.
    pub value: String,
}

/// One API token in the admin's list.
pub struct TokenRow {
    /// Id.
    pub id: String,
    /// Its user.
    pub user_name: String,
    /// What it grants, in words.
    pub grant: String,
    /// active, expired or revoked.
    pub status: &'static str,
    /// Created.
    pub created: When,
    /// Expiry, if any.
    pub expires: Option<When>,
    /// When it last authenticated a request (to the minute), if ever.
    pub last_used: Option<When>,
    /// Whether it can still be revoked.
    pub revocable: bool,
}

/// The chain's state, in words.
pub struct ChainStatus {
    /// Whether every entry checks out.
    pub intact: bool,
    /// "ok: 12 entries, head 3f…" or "audit chain broken at seq 7: …".
    pub line: String,
}

/// One sign-in link on the page.
pub struct LinkRow {
    /// Id.
    pub id: String,
    /// The user it signs in.
    pub user_name: String,
    /// Role, department or office, accreditation, in words.
    pub grant: String,
    /// unused, used, expired, revoked.
    pub status: &'static str,
    /// Who issued it.
    pub created_by: String,
    /// When it was issued.
    pub created: When,
    /// When it stops working.
    pub expires: When,
    /// Whether it can be revoked (unused).
    pub revocable: bool,
}

/// One webhook endpoint on the page.
pub struct EndpointRow {
    /// Id.
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// Subscribed events.
    pub events: String,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// The newest deliveries, newest first.
    pub deliveries: Vec<DeliveryRow>,
}

/// One delivery attempt on the page.
pub struct DeliveryRow {
    /// Event type.
    pub event: String,
    /// Attempt number.
    pub attempt: i32,
    /// "accepted (HTTP 200)", "refused (HTTP 500)", "no answer".
    pub outcome: String,
    /// Whether the endpoint accepted it.
    pub succeeded: bool,
    /// When.
    pub at: When,
}

#[derive(Template)]
#[template(path = "newsroom/admin.html")]
struct AdminPage {
    lang: &'static str,
    page_title: String,
    frame: Frame,
    chain: ChainStatus,
    departments: Vec<Department>,
    people: Vec<(Person, String)>,
    office_emails: HashMap<PersonId, String>,
    user_emails: Vec<UserEmail>,
    links: Vec<LinkRow>,
    more_links: bool,
    endpoints: Vec<EndpointRow>,
    roles: Vec<(&'static str, &'static str)>,
    form: LinkForm,
    error: Option<FieldError>,
    created: Option<Shown>,
    tokens: Vec<TokenRow>,
    more_tokens: bool,
    zone: String,
}

impl AdminPage {
    /// The refusal placed on field `anchor`, if any.
    fn err(&self, anchor: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.anchor == anchor)
            .map(|e| e.text.as_str())
    }

    /// The office e-mail address of `person_id`, or empty.
    fn office_email(&self, person_id: &str) -> &str {
        self.office_emails.get(person_id).map_or("", String::as_str)
    }

    /// Whether `value` is what the refused form had chosen in select `field`.
    fn chosen(&self, field: &str, value: &str) -> bool {
        let current = match field {
            "role" => &self.form.role,
            "department" => &self.form.department,
            _ => &self.form.person,
        };
        current == value
    }
}

/// The one-line report of a break, as `pressroom audit verify` prints it.
fn describe(broken: &ChainBreak) -> String {
    let seq = broken.seq();
    let text = broken.to_string();
    let prefix = format!("seq {seq}: ");
    let reason = text.strip_prefix(&prefix).unwrap_or(&text);
    format!("audit chain broken at seq {seq}: {reason}")
}

fn link_status(status: SigninLinkStatus) -> &'static str {
    match status {
        SigninLinkStatus::Unused => "unused",
        SigninLinkStatus::Used => "used",
        SigninLinkStatus::Expired => "expired",
        SigninLinkStatus::Revoked => "revoked",
    }
}

/// What a sign-in link or a token grants: role, department, office, accreditation.
struct Grant<'a> {
    role: Role,
    department_id: Option<&'a str>,
    person_id: Option<&'a str>,
    embargo_access: bool,
}

impl<'a> From<&'a SigninLink> for Grant<'a> {
    fn from(link: &'a SigninLink) -> Self {
        Self {
            role: link.role,
            department_id: link.department_id.as_deref(),
            person_id: link.person_id.as_deref(),
            embargo_access: link.embargo_access,
        }
    }
}

impl<'a> From<&'a TokenRecord> for Grant<'a> {
    fn from(token: &'a TokenRecord) -> Self {
        Self {
            role: token.role,
            department_id: token.department_id.as_deref(),
            person_id: token.person_id.as_deref(),
            embargo_access: token.embargo_access,
        }
    }
}

fn grant_in_words(
    link: Grant<'_>,
    departments: &HashMap<&str, &Department>,
    people: &HashMap<&str, &Person>,
) -> String {
    let mut words = role_in_words(link.role).to_owned();
    if let Some(department) = link.department_id {
        let name = departments
            .get(department)
            .map_or(department, |d| d.name.as_str());
        words.push_str(&format!(" in {name}"));
    }
    if let Some(person) = link.person_id {
        let name = people.get(person).map_or(person, |p| p.name.as_str());
        words.push_str(&format!(" for {name}"));
    }
    if link.embargo_access {
        words.push_str(", accredited for embargoed releases");
    }
    words
}

fn delivery_row(d: WebhookDelivery, tz: Tz) -> DeliveryRow {
    let outcome = match (d.succeeded, d.status) {
        (true, Some(status)) => format!("accepted (HTTP {status})"),
        (true, None) => "accepted".to_owned(),
        (false, Some(status)) => format!("refused (HTTP {status})"),
        (false, None) => "no answer".to_owned(),
    };
    DeliveryRow {
        event: d.event,
        attempt: d.attempt,
        outcome,
        succeeded: d.succeeded,
        at: When::new(d.at, tz),
    }
}

/// Only admins work here; everyone else gets a page saying so.
fn admins_only(staff: &Staff) -> Option<Response> {
    (staff.viewer.role != Role::Admin).then(|| {
        frame::message_response(
            StatusCode::FORBIDDEN,
            "For admins only",
            "The admin pages are for Pressroom's admins. Ask one if you need a sign-in link, a person or a department added.",
        )
    })
}

/// Renders the admin page with `status`; `form` and `error` after a refused form,
/// `created` once after a link or a token was made.
async fn page(
    store: &Store,
    staff: &Staff,
    status: StatusCode,
    form: LinkForm,
    error: Option<FieldError>,
    created: Option<Shown>,
) -> Result<Response, StorageError> {
    let tz = time_format::zone(ADMIN_ZONE);
    let chain = match store.verify_audit_chain().await? {
        Verification::Intact { entries, head } => ChainStatus {
            intact: true,
            line: format!("ok: {entries} entries, head {head}"),
        },
        Verification::Broken(broken) => ChainStatus {
            intact: false,
            line: describe(&broken),
        },
    };
    let departments = store.departments().await?;
    let people = store.people().await?;
    let person_ids: Vec<PersonId> = people
        .iter()
        .map(|p| PersonId::new(p.id.as_str()))
        .collect();
    let office_emails = store.office_emails(&person_ids).await?;
    let user_emails = store.user_emails().await?;
    let links = store
        .signin_links(&PageRequest {
            first: LINKS_SHOWN,
            after: None,
        })
        .await?;
    let tokens = store
        .tokens(&PageRequest {
            first: LINKS_SHOWN,
            after: None,
        })
        .await?;
    let mut endpoints = Vec::new();
    for endpoint in store.webhook_endpoints().await? {
        let deliveries = store
            .webhook_deliveries(&endpoint.id, DELIVERIES_PER_ENDPOINT)
            .await?
            .into_iter()
            .map(|d| delivery_row(d, tz))
            .collect();
        endpoints.push(EndpointRow {
            events: endpoint.event_types.join(", "),
            id: endpoint.id,
            url: endpoint.url,
            enabled: endpoint.enabled,
            deliveries,
        });
    }
    let by_department: HashMap<&str, &Department> =
        departments.iter().map(|d| (d.id.as_str(), d)).collect();
    let by_person: HashMap<&str, &Person> = people.iter().map(|p| (p.id.as_str(), p)).collect();
    let link_rows = links
        .items
        .iter()
        .map(|(_, link)| LinkRow {
            id: link.id.clone(),
            user_name: link.user_name.clone(),
            grant: grant_in_words(link.into(), &by_department, &by_person),
            status: link_status(link.status),
            created_by: link.created_by.clone(),
            created: When::new(link.created_at, tz),
            expires: When::new(link.expires_at, tz),
            revocable: link.status == SigninLinkStatus::Unused,
        })
        .collect();
    let now = store.now();
    let token_rows = tokens
        .items
        .iter()
        .map(|(_, token)| {
            let status = if token.revoked_at.is_some() {
                "revoked"
            } else if token.expires_at.is_some_and(|at| at <= now) {
                "expired"
            } else {
                "active"
            };
            TokenRow {
                id: token.id.clone(),
                user_name: token.user_name.clone(),
                grant: grant_in_words(token.into(), &by_department, &by_person),
                status,
                created: When::new(token.created_at, tz),
                expires: token.expires_at.map(|at| When::new(at, tz)),
                last_used: token.last_used_at.map(|at| When::new(at, tz)),
                revocable: status == "active",
            }
        })
        .collect();
    let people_rows = people
        .iter()
        .map(|p| {
            let department = p
                .department_id
                .as_deref()
                .and_then(|d| by_department.get(d))
                .map_or_else(String::new, |d| d.name.clone());
            (p.clone(), department)
        })
        .collect();
    let title = if error.is_some() {
        format!("Error: Admin – {SITE}")
    } else {
        format!("Admin – {SITE}")
    };
    let page = AdminPage {
        lang: "en",
        page_title: title,
        frame: staff.frame.clone(),
        chain,
        people: people_rows,
        office_emails,
        user_emails,
        links: link_rows,
        more_links: links.has_next_page,
        endpoints,
        roles: Role::ALL
            .into_iter()
            .map(|r| (r.as_str(), role_in_words(r)))
            .collect(),
        form,
        error,
        created,
        tokens: token_rows,
        more_tokens: tokens.has_next_page,
        zone: time_format::zone_and_offset(tz, store.now()),
        departments,
    };
    Ok(frame::render_with(status, &page))
}

/// `GET /newsroom/admin`.
#[handler]
pub async fn show(staff: Staff, store: Data<&Store>) -> Response {
    if let Some(refused) = admins_only(&staff) {
        return refused;
    }
    page(
        &store,
        &staff,
        StatusCode::OK,
        LinkForm::default(),
        None,
        None,
    )
    .await
    .unwrap_or_else(|err| frame::internal_error(&err))
}

/// Where on the form a refusal of the grant belongs, in words.
fn field_error(path: &str, message: &str) -> FieldError {
    let (anchor, label) = match path {
        "input.department" => ("link-department", "Department"),
        "input.personId" => ("link-person", "Minister's office"),
        "input.embargoAccess" => ("link-embargo", "Embargo access"),
        "input.role" => ("link-role", "Role"),
        _ => ("link-name", "Name"),
    };
    FieldError {
        anchor: anchor.to_owned(),
        text: format!("{label}: {message}"),
    }
}

fn blank_to_none(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `POST /newsroom/admin/signin-links`: issues a link and shows its URL once.
#[handler]
pub async fn create_signin_link(
    staff: Staff,
    store: Data<&Store>,
    config: Data<&Arc<NewsroomConfig>>,
    Form(form): Form<LinkForm>,
) -> Response {
    if let Some(refused) = admins_only(&staff) {
        return refused;
    }
    let Some(role) = Role::parse(&form.role) else {
        let error = field_error("input.role", "choose the role the user works in");
        return page(
            &store,
            &staff,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
            Some(error),
            None,
        )
        .await
        .unwrap_or_else(|err| frame::internal_error(&err));
    };
    // The fields that do not apply to the role are ignored rather than refused: the form shows
    // them all, and a browser without the script sends them all.
    let grant = TokenGrant {
        user_name: form.name.trim().to_owned(),
        role,
        department: blank_to_none(&form.department).filter(|_| role.is_staff()),
        person_id: blank_to_none(&form.person).filter(|_| role == Role::MinisterOffice),
        embargo_access: form.embargo_access.is_some(),
        expires_at: None,
    };
    // One form, two buttons: a sign-in link for the newsroom, or an API token for a client.
    let result = if form.kind == "token" {
        store
            .create_token(&staff.viewer.user_name, grant)
            .await
            .map(|created| Shown {
                kind: "token",
                value: created.token,
            })
    } else {
        store
            .create_signin_link(&staff.viewer.user_name, grant)
            .await
            .map(|created| Shown {
                kind: "link",
                value: public_url(config.public_base_url.as_ref(), &created.path),
            })
    };
    let outcome = match result {
        Ok(shown) => {
            page(
                &store,
                &staff,
                StatusCode::OK,
                LinkForm::default(),
                None,
                Some(shown),
            )
            .await
        }
        Err(StorageError::Rule(DomainError::Validation { field, message })) => {
            let error = field_error(&field, &message);
            page(
                &store,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                Some(error),
                None,
            )
            .await
        }
        Err(StorageError::Rule(other)) => {
            let error = field_error("input.name", &crate::release::refusal_in_words(&other));
            page(
                &store,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                Some(error),
                None,
            )
            .await
        }
        Err(err) => Err(err),
    };
    outcome.unwrap_or_else(|err| frame::internal_error(&err))
}

/// `POST /newsroom/admin/signin-links/{link}/revoke`: revokes an unused link, then back to the
/// admin page (a link already used, revoked or unknown changes nothing).
#[handler]
pub async fn revoke_signin_link(
    staff: Staff,
    store: Data<&Store>,
    Path(link): Path<String>,
) -> Response {
    if let Some(refused) = admins_only(&staff) {
        return refused;
    }
    match store
        .revoke_signin_link(&staff.viewer.user_name, &link)
        .await
    {
        Ok(_) => frame::see_other("/admin"),
        Err(err) => frame::internal_error(&err),
    }
}

/// The form of an address: an office's (`person_id`) or a user's (`user_name`); an empty
/// `email` removes the address.
#[derive(Debug, Default, Deserialize)]
pub struct AddressForm {
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    user_name: String,
    #[serde(default)]
    email: String,
}

/// After an address form: back to the addresses, or the page with the refusal on `anchor`.
async fn address_outcome<T>(
    store: &Store,
    staff: &Staff,
    anchor: String,
    result: Result<T, StorageError>,
) -> Response {
    let refused = |message: String| FieldError {
        anchor: anchor.clone(),
        text: format!("E-mail address: {message}"),
    };
    let error = match result {
        Ok(_) => return frame::see_other("/admin#addresses-title"),
        Err(StorageError::Rule(DomainError::Validation { message, .. })) => refused(message),
        Err(StorageError::Rule(other)) => refused(crate::release::refusal_in_words(&other)),
        Err(err) => return frame::internal_error(&err),
    };
    page(
        store,
        staff,
        StatusCode::UNPROCESSABLE_ENTITY,
        LinkForm::default(),
        Some(error),
        None,
    )
    .await
    .unwrap_or_else(|err| frame::internal_error(&err))
}

/// `POST /newsroom/admin/office-email`: sets (or, empty, removes) the address of a person's
/// office, where sign-off requests go.
#[handler]
pub async fn set_office_email(
    staff: Staff,
    store: Data<&Store>,
    Form(form): Form<AddressForm>,
) -> Response {
    if let Some(refused) = admins_only(&staff) {
        return refused;
    }
    let email = blank_to_none(&form.email);
    let result = store
        .set_office_email(
            &staff.viewer.user_name,
            &PersonId::new(form.person_id.as_str()),
            email.as_deref(),
        )
        .await;
    let anchor = format!("office-email-{}", form.person_id);
    address_outcome(&store, &staff, anchor, result).await
}

/// `POST /newsroom/admin/user-email`: sets (or, empty, removes) a user's address, where the
/// notifications of their department's releases go.
#[handler]
pub async fn set_user_email(
    staff: Staff,
    store: Data<&Store>,
    Form(form): Form<AddressForm>,
) -> Response {
    if let Some(refused) = admins_only(&staff) {
        return refused;
    }
    let email = blank_to_none(&form.email);
    let result = store
        .set_user_email(
            &staff.viewer.user_name,
            &UserName::new(form.user_name.trim()),
            email.as_deref(),
        )
        .await;
    address_outcome(&store, &staff, "user-email".to_owned(), result).await
}

/// `POST /newsroom/admin/tokens/{token}/revoke`: revokes an API token at once, then back to the
/// admin page (a token already revoked or unknown changes nothing).
#[handler]
pub async fn revoke_token(
    staff: Staff,
    store: Data<&Store>,
    Path(token): Path<String>,
) -> Response {
    if let Some(refused) = admins_only(&staff) {
        return refused;
    }
    match store.revoke_token(&staff.viewer.user_name, &token).await {
        Ok(_) => frame::see_other("/admin#tokens-title"),
        Err(err) => frame::internal_error(&err),
    }
}
