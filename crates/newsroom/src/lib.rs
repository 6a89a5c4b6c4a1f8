#![doc = include_str!("../README.md")]

mod actions;
mod admin;
pub mod csrf;
mod dashboard;
pub mod diff;
mod edit;
pub mod form;
mod frame;
mod gate;
mod history;
mod release;
mod signin;

use std::num::NonZeroU32;
use std::sync::Arc;

use poem::{Endpoint, EndpointExt, Route, get, post};
use pressroom_domain::links::PublicBaseUrl;

pub use csrf::CsrfKey;

/// Where the newsroom is mounted; every link and redirect it makes starts with this.
pub const BASE: &str = "/newsroom";

/// Default inactivity after which a session ends: a working day.
pub const DEFAULT_SESSION_INACTIVITY_HOURS: u32 = 8;

/// Default sign-in attempts one client address may make per minute.
pub const DEFAULT_SIGNIN_PER_MINUTE: u32 = 10;

/// How the newsroom is set up (from the `newsroom_*` settings).
#[derive(Debug, Clone)]
pub struct NewsroomConfig {
    /// The key CSRF tokens are derived with (setting `newsroom_csrf_key`).
    pub csrf_key: CsrfKey,
    /// A session ends after this long without a request.
    pub session_inactivity: chrono::Duration,
    /// Cookies get `Secure` (set when the public base URL is `https://`).
    pub secure_cookies: bool,
    /// The public base URL links are made absolute with, when set.
    pub public_base_url: Option<PublicBaseUrl>,
    /// The longest life of a sign-off link, in hours.
    pub signoff_max_hours: i64,
    /// Sign-in attempts (a link opened, a token pasted) one client address may make per minute.
    pub signin_per_minute: NonZeroU32,
}

impl NewsroomConfig {
    /// Settings with defaults and `key` for CSRF tokens.
    pub fn new(csrf_key: CsrfKey) -> Self {
        Self {
            csrf_key,
            session_inactivity: chrono::Duration::hours(i64::from(
                DEFAULT_SESSION_INACTIVITY_HOURS,
            )),
            secure_cookies: false,
            public_base_url: None,
            signoff_max_hours: pressroom_domain::signoff::DEFAULT_MAX_EXPIRES_IN_HOURS,
            signin_per_minute: NonZeroU32::new(DEFAULT_SIGNIN_PER_MINUTE)
                .unwrap_or(NonZeroU32::MIN),
        }
    }
}

/// Every newsroom route, to be nested under [`BASE`] by the server; needs the `Store` as data.
/// Every request goes through the gate first (session, CSRF, security headers).
pub fn routes(config: NewsroomConfig) -> impl Endpoint + 'static {
    let config = Arc::new(config);
    let limiter = signin::SigninLimiter::new(config.signin_per_minute);
    Route::new()
        .at("/", get(dashboard::show))
        .at("/signin", get(signin::page).post(signin::with_token))
        .at("/signin/:token", get(signin::with_link))
        .at("/signout", post(signin::sign_out))
        .at("/releases/new", get(edit::new_form).post(edit::create))
        .at("/releases/:id", get(release::show))
        .at("/releases/:id/preview", get(release::preview))
        .at("/releases/:id/history", get(history::show))
        .at("/releases/:id/edit", get(edit::edit_form).post(edit::save))
        .at("/releases/:id/submit", post(actions::lifecycle_command))
        .at("/releases/:id/approve", post(actions::lifecycle_command))
        .at(
            "/releases/:id/request-changes",
            post(actions::lifecycle_command),
        )
        .at("/releases/:id/schedule", post(actions::schedule))
        .at(
            "/releases/:id/publish",
            get(actions::confirm_publish).post(actions::lifecycle_command),
        )
        .at(
            "/releases/:id/cancel-embargo",
            get(actions::confirm_cancel).post(actions::lifecycle_command),
        )
        .at(
            "/releases/:id/withdraw",
            get(actions::confirm_withdraw).post(actions::lifecycle_command),
        )
        .at("/releases/:id/signoff-links", post(actions::create_link))
        .at(
            "/releases/:id/review-deadline",
            post(actions::review_deadline),
        )
        .at(
            "/releases/:id/signoff-links/:link/revoke",
            post(actions::revoke_link),
        )
        .at("/admin", get(admin::show))
        .at("/admin/signin-links", post(admin::create_signin_link))
        .at("/admin/tokens/:token/revoke", post(admin::revoke_token))
        .at("/admin/office-email", post(admin::set_office_email))
        .at("/admin/user-email", post(admin::set_user_email))
        .at(
            "/admin/signin-links/:link/revoke",
            post(admin::revoke_signin_link),
        )
        .data(limiter)
        .data(config.clone())
        .with(gate::Gate::new(config))
}
