//! HTTP details of the public surfaces: cache headers, validators, security headers, and the
//! error pages.
//!
//! Every successful response carries a strong `ETag` computed from its body (so it changes
//! exactly when the bytes change, whatever caused it: a correction, a withdrawal, a renamed
//! department) and a `Last-Modified` when the content has a meaningful instant. A request whose
//! `If-None-Match` names the current tag gets `304 Not Modified` with the same cache headers.
//! `If-Modified-Since` is not evaluated: `Last-Modified` follows the release's public history and
//! would miss a renamed department, while the body hash does not.

use chrono::{DateTime, Utc};
use poem::Response;
use poem::http::StatusCode;
use poem::http::header::{self, HeaderMap, HeaderValue};
use pressroom_domain::content::sha256_hex;

use crate::labels::SWEDISH;
use crate::time_format::http_date;

/// `max-age` of a release page or ninjs document that exists: a correction or withdrawal shows
/// within a minute, and a page that exists never turns into one that does not exist.
pub const PAGE_MAX_AGE: u64 = 60;

/// Longest `max-age` of a listing or feed; shorter when an embargo lifts sooner (see
/// [`listing_max_age`]).
pub const LISTING_MAX_AGE: u64 = 30;

/// The `Content-Security-Policy` of every HTML response: no scripts, no frames, no forms;
/// only the served stylesheet.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// How a response may be cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachePolicy {
    /// Any cache may keep it this many seconds (0: keep, but revalidate every time).
    Public(u64),
    /// Only for this caller, never stored (responses that depend on a token).
    PrivateNoStore,
    /// Never stored (404s and errors, so a release is served the moment it goes live).
    NoStore,
}

impl CachePolicy {
    /// The `Cache-Control` value.
    pub fn header_value(self) -> String {
        match self {
            Self::Public(0) => "public, no-cache".to_owned(),
            Self::Public(seconds) => format!("public, max-age={seconds}"),
            Self::PrivateNoStore => "private, no-store".to_owned(),
            Self::NoStore => "no-store".to_owned(),
        }
    }
}

/// The media types served here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// A page.
    Html,
    /// An Atom feed.
    Atom,
    /// A ninjs document.
    Ninjs,
    /// The stylesheet.
    Css,
    /// The newsroom's script.
    JavaScript,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Self::Html => "text/html; charset=utf-8",
            Self::Atom => "application/atom+xml; charset=utf-8",
            Self::Ninjs => "application/json; charset=utf-8",
            Self::Css => "text/css; charset=utf-8",
            Self::JavaScript => "text/javascript; charset=utf-8",
        }
    }
}

/// A successful response before validators are applied.
#[derive(Debug)]
pub struct Representation {
    /// The body.
    pub body: String,
    /// Its media type.
    pub media: Media,
    /// How caches may keep it.
    pub cache: CachePolicy,
    /// When its content last changed, if that is known.
    pub last_modified: Option<DateTime<Utc>>,
    /// Whether the body depends on the `Authorization` header (ninjs).
    pub varies_by_authorization: bool,
}

/// The strong entity tag of a body: the first 128 bits of its SHA-256, quoted.
pub fn entity_tag(body: &[u8]) -> String {
    let hash = sha256_hex(body);
    format!("\"{}\"", &hash[..32])
}

/// Whether an `If-None-Match` header value names `tag` (weak comparison, as RFC 9110 §13.1.2
/// asks for this header; `*` matches any current representation).
pub fn if_none_match_matches(header_value: &str, tag: &str) -> bool {
    let wanted = tag.trim_start_matches("W/");
    header_value
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == wanted)
}

/// Answers with `representation`, or `304 Not Modified` if the request already has it.
pub fn respond(request_headers: &HeaderMap, representation: Representation) -> Response {
    let tag = entity_tag(representation.body.as_bytes());
    let not_modified = request_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| if_none_match_matches(value, &tag));
    let mut response = if not_modified {
        Response::builder()
            .status(StatusCode::NOT_MODIFIED)
            .finish()
    } else {
        Response::builder()
            .status(StatusCode::OK)
            .content_type(representation.media.content_type())
            .body(representation.body)
    };
    let headers = response.headers_mut();
    insert(headers, header::ETAG, &tag);
    insert(
        headers,
        header::CACHE_CONTROL,
        &representation.cache.header_value(),
    );
    if let Some(at) = representation.last_modified {
        insert(headers, header::LAST_MODIFIED, &http_date(at));
    }
    if representation.varies_by_authorization {
        insert(headers, header::VARY, "Authorization");
    }
    if not_modified {
        // A 304 carries no Content-Type, but the security headers of the HTML it stands for.
        if representation.media == Media::Html {
            add_html_security_headers(headers);
        } else {
            insert(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
        }
    } else {
        add_security_headers(headers, representation.media);
    }
    response
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    // Every value written here is ASCII built by this module, so conversion cannot fail; a value
    // that somehow did not convert is left out rather than sent malformed.
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn add_html_security_headers(headers: &mut HeaderMap) {
    insert(
        headers,
        header::CONTENT_SECURITY_POLICY,
        CONTENT_SECURITY_POLICY,
    );
    insert(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    insert(headers, header::REFERRER_POLICY, "no-referrer");
}

fn add_security_headers(headers: &mut HeaderMap, media: Media) {
    if media == Media::Html {
        add_html_security_headers(headers);
    } else {
        insert(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    }
}

/// An uncacheable response with a fixed body: the same bytes and headers for every caller and
/// every reason, so the response reveals nothing about what does or does not exist.
fn fixed(status: StatusCode, media: Media, body: String, cache: CachePolicy) -> Response {
    let mut response = Response::builder()
        .status(status)
        .content_type(media.content_type())
        .body(body);
    let headers = response.headers_mut();
    insert(headers, header::CACHE_CONTROL, &cache.header_value());
    add_security_headers(headers, media);
    response
}

#[derive(askama::Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    lang: &'a str,
    page_title: &'a str,
    site: &'a str,
    heading: &'a str,
    text: &'a str,
    english: &'a str,
}

fn message_page(heading: &str, text: &str, english: &str) -> String {
    let page = MessagePage {
        lang: SWEDISH.lang,
        page_title: heading,
        site: SWEDISH.site,
        heading,
        text,
        english,
    };
    askama::Template::render(&page).unwrap_or_else(|_| format!("{heading}\n{text}\n{english}\n"))
}

/// The body of every public 404 page; identical whether the slug never existed, belongs to a
/// draft, or to a release still under embargo.
pub fn not_found_page_body() -> String {
    message_page(
        "Sidan hittades inte",
        "Det finns ingen publicerad sida med den här adressen.",
        "There is no published page at this address.",
    )
}

/// The body of every ninjs 404.
pub const NOT_FOUND_JSON: &str = r#"{"error":"not found"}"#;

/// `404 Not Found` as an HTML page, never stored by caches: the moment an embargo lifts the
/// next request reaches the server and finds the release.
pub fn not_found_html() -> Response {
    fixed(
        StatusCode::NOT_FOUND,
        Media::Html,
        not_found_page_body(),
        CachePolicy::NoStore,
    )
}

/// `404 Not Found` for ninjs and feeds, never stored by caches.
pub fn not_found_json() -> Response {
    fixed(
        StatusCode::NOT_FOUND,
        Media::Ninjs,
        NOT_FOUND_JSON.to_owned(),
        CachePolicy::NoStore,
    )
}

/// `400 Bad Request` as a page (a malformed `after` or `first`).
pub fn bad_request_html() -> Response {
    fixed(
        StatusCode::BAD_REQUEST,
        Media::Html,
        message_page(
            "Felaktig adress",
            "Sidan kan inte visas för den här adressen.",
            "This address is malformed.",
        ),
        CachePolicy::NoStore,
    )
}

/// `401 Unauthorized` for a ninjs request whose bearer token is unknown, revoked or expired.
pub fn unauthorized_json() -> Response {
    let mut response = fixed(
        StatusCode::UNAUTHORIZED,
        Media::Ninjs,
        r#"{"error":"unauthenticated"}"#.to_owned(),
        CachePolicy::NoStore,
    );
    insert(response.headers_mut(), header::WWW_AUTHENTICATE, "Bearer");
    response
}

/// A short random id that ties an error page to its log line (12 hex digits).
pub fn error_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    id[..12].to_owned()
}

/// `500 Internal Server Error`: the cause is logged once with an id; the caller sees the id only.
pub fn internal_error(cause: &dyn std::fmt::Display, media: Media) -> Response {
    let id = &error_id();
    tracing::error!(error.id = %id, error.cause = %cause, "public surface failed");
    let body = match media {
        Media::Html => message_page(
            "Något gick fel",
            &format!("Försök igen om en stund (fel-id {id})."),
            &format!("Please try again in a moment (error id {id})."),
        ),
        _ => format!(r#"{{"error":"internal error","id":"{id}"}}"#),
    };
    let media = if media == Media::Html {
        Media::Html
    } else {
        Media::Ninjs
    };
    fixed(
        StatusCode::INTERNAL_SERVER_ERROR,
        media,
        body,
        CachePolicy::NoStore,
    )
}

/// `max-age` for a listing or feed read at `now`: [`LISTING_MAX_AGE`], cut to the whole seconds
/// left before `next_embargo` so no cache keeps the list past the instant a release joins it.
/// An embargo already due (the scheduler has not run yet, the read rule shows it as published
/// already) tells nothing about the next one, so such a list is revalidated every time.
pub fn listing_max_age(next_embargo: Option<DateTime<Utc>>, now: DateTime<Utc>) -> u64 {
    match next_embargo {
        None => LISTING_MAX_AGE,
        Some(next) if next <= now => 0,
        Some(next) => {
            let seconds = u64::try_from((next - now).num_seconds()).unwrap_or(0);
            seconds.min(LISTING_MAX_AGE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 2, h, m, s)
            .single()
            .expect("instant")
    }

    #[test]
    fn a_listing_is_cached_no_longer_than_the_next_embargo_is_away() {
        let now = at(6, 59, 50);
        assert_eq!(listing_max_age(None, now), LISTING_MAX_AGE);
        assert_eq!(listing_max_age(Some(at(7, 0, 0)), now), 10);
        assert_eq!(
            listing_max_age(Some(now + Duration::milliseconds(900)), now),
            0
        );
        assert_eq!(listing_max_age(Some(at(9, 0, 0)), now), LISTING_MAX_AGE);
        assert_eq!(listing_max_age(Some(at(6, 0, 0)), now), 0);
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_the_star() {
        let tag = "\"abc\"";
        assert!(if_none_match_matches("\"abc\"", tag));
        assert!(if_none_match_matches("\"x\", W/\"abc\"", tag));
        assert!(if_none_match_matches("*", tag));
        assert!(!if_none_match_matches("\"abd\"", tag));
    }

    #[test]
    fn no_cache_is_said_plainly_when_max_age_would_be_zero() {
        assert_eq!(CachePolicy::Public(0).header_value(), "public, no-cache");
        assert_eq!(CachePolicy::Public(60).header_value(), "public, max-age=60");
        assert_eq!(CachePolicy::NoStore.header_value(), "no-store");
    }
}
