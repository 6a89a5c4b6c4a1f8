//! Signing in and out: a one-time sign-in link (`pressroom user link`, or the admin page), or an
//! API token pasted on the sign-in page. Either starts a session stored in the database, whose
//! secret goes into an HttpOnly cookie. Attempts are rate-limited per client address, and a
//! failed one says nothing about why (unknown, used, expired or revoked all read alike).

use std::num::NonZeroU32;
use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::http::header::{self, HeaderValue};
use poem::web::{Data, Form, Path};
use poem::{Request, Response, handler};
use pressroom_storage::Store;
use pressroom_storage::sessions::NewSession;
use pressroom_web::address_budget::AddressBudget;
use serde::Deserialize;

use crate::NewsroomConfig;
use crate::frame::{self, Frame};
use crate::gate::{SESSION_COOKIE, set_cookie};

/// Sign-in attempts per client address (IPv4, or IPv6 /64), the same budget as anonymous
/// GraphQL callers get.
#[derive(Clone)]
pub struct SigninLimiter(AddressBudget);

impl SigninLimiter {
    /// `per_minute` attempts per address.
    pub fn new(per_minute: NonZeroU32) -> Self {
        Self(AddressBudget::per_minute(per_minute))
    }

    fn allows(&self, req: &Request) -> bool {
        let address = req.remote_addr().as_socket_addr().map(|a| a.ip());
        self.0.check(address).is_none()
    }
}

#[derive(Template)]
#[template(path = "newsroom/signin.html")]
struct SigninPage<'a> {
    lang: &'static str,
    page_title: String,
    frame: Frame,
    error: Option<&'a str>,
}

const FAILED: &str = "That did not sign you in. Check that you pasted the whole token, or ask your admin for a new sign-in link.";

fn signin_page<'a>(csrf: &str, error: Option<&'a str>) -> SigninPage<'a> {
    SigninPage {
        lang: "en",
        page_title: if error.is_some() {
            "Error: Sign in – Pressroom newsroom".into()
        } else {
            "Sign in – Pressroom newsroom".into()
        },
        frame: Frame {
            user: None,
            role: None,
            is_admin: false,
            can_write: false,
            csrf: csrf.to_owned(),
        },
        error,
    }
}

fn too_many() -> Response {
    let mut response = frame::message_response(
        StatusCode::TOO_MANY_REQUESTS,
        "Too many sign-in attempts",
        "Wait a minute, then try again.",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    response
}

fn signed_in(session: &NewSession, config: &NewsroomConfig) -> Response {
    let mut response = frame::see_other("/");
    if let Ok(value) = HeaderValue::from_str(&set_cookie(
        SESSION_COOKIE,
        Some(&session.token),
        config.secure_cookies,
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `GET /newsroom/signin`: the page to paste an API token on (and where sign-in links lead to
/// when they cannot be used).
#[handler]
pub fn page(req: &Request) -> Response {
    let Some(visit) = frame::visit(req) else {
        return frame::not_found();
    };
    if visit.session.is_some() {
        return frame::see_other("/");
    }
    frame::render(&signin_page(&visit.csrf, None))
}

/// The form of the sign-in page.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
}

/// `POST /newsroom/signin`: starts a session with a pasted API token.
#[handler]
pub async fn with_token(
    req: &Request,
    store: Data<&Store>,
    config: Data<&Arc<NewsroomConfig>>,
    limiter: Data<&SigninLimiter>,
    Form(form): Form<TokenForm>,
) -> Response {
    let Some(visit) = frame::visit(req) else {
        return frame::not_found();
    };
    if !limiter.allows(req) {
        return too_many();
    }
    match store
        .start_session_with_api_token(form.token.trim(), config.session_inactivity)
        .await
    {
        Ok(Some(session)) => signed_in(&session, &config),
        Ok(None) => frame::render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &signin_page(&visit.csrf, Some(FAILED)),
        ),
        Err(err) => frame::internal_error(&err),
    }
}

/// `GET /newsroom/signin/{token}`: opens a one-time sign-in link. The token is never logged
/// (the request log records route patterns, not paths).
#[handler]
pub async fn with_link(
    req: &Request,
    store: Data<&Store>,
    config: Data<&Arc<NewsroomConfig>>,
    limiter: Data<&SigninLimiter>,
    Path(token): Path<String>,
) -> Response {
    if !limiter.allows(req) {
        return too_many();
    }
    match store
        .redeem_signin_link(&token, config.session_inactivity)
        .await
    {
        Ok(Some(session)) => signed_in(&session, &config),
        Ok(None) => frame::message_response(
            StatusCode::GONE,
            "This sign-in link cannot be used",
            "Sign-in links work once and for 24 hours. Ask your admin for a new one, or sign in with an API token.",
        ),
        Err(err) => frame::internal_error(&err),
    }
}

/// `POST /newsroom/signout`: ends the session (deleted from the database) and clears the cookie.
#[handler]
pub async fn sign_out(
    req: &Request,
    store: Data<&Store>,
    config: Data<&Arc<NewsroomConfig>>,
) -> Response {
    if let Some(token) = frame::visit(req).and_then(|v| v.session_token.as_deref())
        && let Err(err) = store.end_session(token).await
    {
        return frame::internal_error(&err);
    }
    let mut response = frame::see_other("/signin");
    if let Ok(value) =
        HeaderValue::from_str(&set_cookie(SESSION_COOKIE, None, config.secure_cookies))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
