//! What every newsroom page shares: who is signed in, the CSRF token of its forms, the layout,
//! the error pages and the small script.

use askama::Template;
use poem::http::StatusCode;
use poem::web::Redirect;
use poem::{FromRequest, IntoResponse, Request, RequestBody, Response};
use pressroom_domain::lifecycle::Action;
use pressroom_domain::visibility::{Role, Viewer};

use crate::gate::Visit;

/// The newsroom's name in its header.
pub const SITE: &str = "Pressroom newsroom";

/// The parts of the layout every page fills (`templates/newsroom.html`).
#[derive(Debug, Clone)]
pub struct Frame {
    /// The signed-in user's name.
    pub user: Option<String>,
    /// Their role, in words.
    pub role: Option<&'static str>,
    /// Whether to link the admin pages.
    pub is_admin: bool,
    /// Whether the user writes releases (the roles of `createRelease`): links the new-release
    /// form.
    pub can_write: bool,
    /// The CSRF token for every form of the page.
    pub csrf: String,
}

/// A role in words, as the newsroom shows it.
pub fn role_in_words(role: Role) -> &'static str {
    match role {
        Role::Drafter => "drafter",
        Role::Editor => "editor",
        Role::MinisterOffice => "minister's office",
        Role::Integrator => "integrator",
        Role::Admin => "admin",
    }
}

/// A signed-in user of the newsroom. Extracting it from a request without a session redirects
/// to the sign-in page; integrators, who have no work in the newsroom, get a page saying so.
#[derive(Debug, Clone)]
pub struct Staff {
    /// Who they are.
    pub viewer: Viewer,
    /// The layout's parts.
    pub frame: Frame,
}

impl<'a> FromRequest<'a> for Staff {
    async fn from_request(req: &'a Request, _body: &mut RequestBody) -> poem::Result<Self> {
        let visit = req
            .extensions()
            .get::<Visit>()
            .ok_or_else(|| poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR))?;
        let Some(session) = &visit.session else {
            return Err(poem::Error::from_response(
                Redirect::see_other(format!("{}/signin", crate::BASE)).into_response(),
            ));
        };
        if session.viewer.role == Role::Integrator {
            return Err(poem::Error::from_response(message_response(
                StatusCode::FORBIDDEN,
                "Nothing to do here",
                "The newsroom is for press offices, ministers' offices and admins. Integrators read through the API, the feeds and the public pages.",
            )));
        }
        Ok(Staff {
            frame: Frame {
                user: Some(session.viewer.user_name.to_string()),
                role: Some(role_in_words(session.viewer.role)),
                is_admin: session.viewer.role == Role::Admin,
                can_write: Action::Create
                    .allowed_roles()
                    .contains(&session.viewer.role),
                csrf: visit.csrf.clone(),
            },
            viewer: session.viewer.clone(),
        })
    }
}

/// The visit of a request that may or may not be signed in (the sign-in pages).
pub fn visit(req: &Request) -> Option<&Visit> {
    req.extensions().get::<Visit>()
}

#[derive(Template)]
#[template(path = "newsroom/message.html")]
struct MessagePage<'a> {
    lang: &'static str,
    page_title: &'a str,
    heading: &'a str,
    text: &'a str,
}

/// A short page with a heading and a sentence, with `status`.
pub fn message_response(status: StatusCode, heading: &str, text: &str) -> Response {
    let page = MessagePage {
        lang: "en",
        page_title: heading,
        heading,
        text,
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("{heading}\n{text}\n"));
    Response::builder()
        .status(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// The newsroom's 404: the same page for an unknown release and for one the user may not see.
pub fn not_found() -> Response {
    message_response(
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address that you can open.",
    )
}

/// `500`: the cause goes to the log with an id; the page shows the id only.
pub fn internal_error(cause: &dyn std::fmt::Display) -> Response {
    let id = pressroom_web::responses::error_id();
    tracing::error!(error.id = %id, error.cause = %cause, "newsroom page failed");
    message_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        &format!(
            "Please try again in a moment (error id {id}). Nothing you sent was lost if the page says so; otherwise go back and check."
        ),
    )
}

/// An HTML page with status 200.
pub fn html(body: String) -> Response {
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// Renders `page`, or the internal-error page if the template fails.
pub fn render(page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => html(body),
        Err(err) => internal_error(&err),
    }
}

/// Renders `page` with `status` (a refused form is `422`, a stale one `409`).
pub fn render_with(status: StatusCode, page: &impl Template) -> Response {
    let mut response = render(page);
    if response.status() == StatusCode::OK {
        response.set_status(status);
    }
    response
}

/// `303 See Other` to `path` under the newsroom (post/redirect/get).
pub fn see_other(path: &str) -> Response {
    Redirect::see_other(format!("{}{path}", crate::BASE)).into_response()
}
