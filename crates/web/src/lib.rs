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

/// `GET /static/pressroom.css`: [`STYLESHEET`], cacheable for an hour, with its `ETag`.
pub fn stylesheet(headers: &HeaderMap) -> Response {
    respond(
        headers,
        Representation {
            body: STYLESHEET.to_owned(),
            media: Media::Css,
            cache: CachePolicy::Public(3600),
            last_modified: None,
            varies_by_authorization: false,
        },
    )
}
