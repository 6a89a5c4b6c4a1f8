#![doc = include_str!("../README.md")]

pub mod address_budget;
pub mod article;
pub mod fragments;
pub mod labels;
pub mod reading;
pub mod responses;
pub mod time_format;

use poem::Response;
use poem::http::HeaderMap;

use crate::responses::{CachePolicy, Media, Representation, respond};

/// The one stylesheet of every page, public and newsroom, compiled into the binary.
pub const STYLESHEET: &str = include_str!("../static/pressroom.css");

/// The newsroom's one script (character counters, the embargo countdown); every page works
/// without it.
pub const NEWSROOM_SCRIPT: &str = include_str!("../static/newsroom.js");

/// `GET /static/pressroom.css`: [`STYLESHEET`], cacheable for an hour, with its `ETag`.
pub fn stylesheet(headers: &HeaderMap) -> Response {
    static_file(headers, STYLESHEET, Media::Css)
}

/// `GET /static/newsroom.js`: [`NEWSROOM_SCRIPT`], cacheable for an hour, with its `ETag`.
/// Served beside the stylesheet, outside the newsroom's session gate: a static file needs no
/// session lookup.
pub fn newsroom_script(headers: &HeaderMap) -> Response {
    static_file(headers, NEWSROOM_SCRIPT, Media::JavaScript)
}

fn static_file(headers: &HeaderMap, body: &str, media: Media) -> Response {
    respond(
        headers,
        Representation {
            body: body.to_owned(),
            media,
            cache: CachePolicy::Public(3600),
            last_modified: None,
            varies_by_authorization: false,
        },
    )
}
