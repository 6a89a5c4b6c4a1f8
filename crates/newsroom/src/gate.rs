//! The one middleware every newsroom request passes: it resolves the session cookie, refuses any
//! state-changing request without a valid CSRF token (`403`, before a handler runs, so nothing
//! changes), and puts the newsroom's security and cache headers on every answer.

use std::sync::Arc;

use cookie::Cookie;
use poem::http::header::{self, HeaderValue};
use poem::http::{Method, StatusCode};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use pressroom_storage::Store;
use pressroom_storage::sessions::Session;
use rand::RngCore;

use crate::NewsroomConfig;

/// The session cookie (HttpOnly, SameSite=Lax, path `/newsroom`).
pub const SESSION_COOKIE: &str = "pressroom_session";
/// The pre-session cookie the sign-in form's CSRF token is bound to.
pub const PRESESSION_COOKIE: &str = "pressroom_presession";
/// The longest form body read (a release at its limits fits well inside).
pub const MAX_FORM_BYTES: usize = 4 * 1024 * 1024;
/// The newsroom's Content-Security-Policy: its own stylesheet and script only, forms post back.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// What the gate learned about a request, for its handler.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The live session, if the request carried one.
    pub session: Option<Session>,
    /// The session cookie's value, for sign-out.
    pub session_token: Option<String>,
    /// The CSRF token every form of the page must carry.
    pub csrf: String,
}

/// The gate (see the module documentation).
pub struct Gate {
    config: Arc<NewsroomConfig>,
}

impl Gate {
    /// A gate with the newsroom's settings.
    pub fn new(config: Arc<NewsroomConfig>) -> Self {
        Self { config }
    }
}

impl<E: Endpoint> Middleware<E> for Gate {
    type Output = GateEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        GateEndpoint {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The gate around the newsroom's routes.
pub struct GateEndpoint<E> {
    inner: E,
    config: Arc<NewsroomConfig>,
}

pub fn cookie_value(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(std::result::Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A `Set-Cookie` value for the newsroom: HttpOnly, SameSite=Lax, path `/newsroom`, `Secure`
/// when served over HTTPS; `None` as value removes the cookie.
pub fn set_cookie(name: &str, value: Option<&str>, secure: bool) -> String {
    let mut cookie = newsroom_cookie(name, value.unwrap_or(""), secure);
    if value.is_none() {
        cookie.set_max_age(cookie::time::Duration::ZERO);
    }
    cookie.to_string()
}

/// A cookie of the newsroom: HttpOnly, SameSite=Lax, path `/newsroom`, `Secure` when asked.
fn newsroom_cookie(name: &str, value: &str, secure: bool) -> Cookie<'static> {
    let mut cookie = Cookie::new(name.to_owned(), value.to_owned());
    cookie.set_http_only(true);
    cookie.set_same_site(cookie::SameSite::Lax);
    cookie.set_path(crate::BASE);
    cookie.set_secure(secure);
    cookie
}

/// A `Set-Cookie` value like [`set_cookie`]'s that the browser keeps for `seconds` at most: for
/// a value the page after a redirect shows once (post/redirect/get), then removes.
pub fn set_short_cookie(name: &str, value: &str, secure: bool, seconds: i64) -> String {
    let mut cookie = newsroom_cookie(name, value, secure);
    cookie.set_max_age(cookie::time::Duration::seconds(seconds));
    cookie.to_string()
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn forbidden() -> Response {
    crate::frame::message_response(
        StatusCode::FORBIDDEN,
        "This form has expired",
        "The page you sent the form from was too old, or came from somewhere else. Go back, reload the page and try again. Nothing was changed.",
    )
}

impl<E: Endpoint> Endpoint for GateEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> Result<Self::Output> {
        let store = req.data::<Store>().cloned().ok_or_else(|| {
            poem::Error::from_string("no store", StatusCode::INTERNAL_SERVER_ERROR)
        })?;
        let session_token = cookie_value(&req, SESSION_COOKIE);
        let session = match session_token.as_deref() {
            Some(token) => match store.session(token, self.config.session_inactivity).await {
                Ok(session) => session,
                Err(err) => return Ok(crate::frame::internal_error(&err)),
            },
            None => None,
        };
        let mut new_presession = None;
        let binding = match &session {
            Some(session) => session.csrf_token.clone(),
            None => {
                let value = cookie_value(&req, PRESESSION_COOKIE)
                    .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
                    .unwrap_or_else(|| {
                        let fresh = random_hex();
                        new_presession = Some(fresh.clone());
                        fresh
                    });
                format!("presession:{value}")
            }
        };
        if !matches!(*req.method(), Method::GET | Method::HEAD) {
            let body = match req.take_body().into_bytes_limit(MAX_FORM_BYTES).await {
                Ok(body) => body,
                Err(_) => {
                    return Ok(crate::frame::message_response(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "The form is too large",
                        "Nothing was changed.",
                    ));
                }
            };
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&body).unwrap_or_default();
            let given = pairs
                .iter()
                .find(|(name, _)| name == "csrf")
                .map(|(_, value)| value.as_str());
            if !self.config.csrf_key.verify(&binding, given) {
                tracing::warn!(method = %req.method(), "newsroom request refused: missing or invalid CSRF token");
                return Ok(finish(
                    forbidden(),
                    new_presession,
                    self.config.secure_cookies,
                ));
            }
            req.set_body(body);
        }
        let csrf = self.config.csrf_key.token(&binding);
        req.extensions_mut().insert(Visit {
            session,
            session_token,
            csrf,
        });
        let response = self.inner.call(req).await?.into_response();
        Ok(finish(response, new_presession, self.config.secure_cookies))
    }
}

fn finish(mut response: Response, new_presession: Option<String>, secure: bool) -> Response {
    let headers = response.headers_mut();
    if let Some(value) = new_presession
        && let Ok(value) =
            HeaderValue::from_str(&set_cookie(PRESESSION_COOKIE, Some(&value), secure))
    {
        headers.append(header::SET_COOKIE, value);
    }
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    response
}
