//! GraphiQL, served from the binary: the page a browser gets at `GET /graphql`, and its scripts
//! and stylesheets under `/graphiql/`.
//!
//! Every file is embedded at build time from `crates/api/assets/graphiql/` (pinned copies of
//! the npm packages `graphiql`, `react` and `react-dom`; their versions, licences and hashes
//! are in that directory's README). Nothing is loaded from a CDN, so GraphiQL works on a
//! network without internet, and an admin who pastes a token into it runs no third-party code
//! fetched at run time. The page has no inline script: `start.js` starts GraphiQL from the
//! endpoints in the page's data attributes, so the Content-Security-Policy allows scripts from
//! this server only.

use poem::http::{StatusCode, header};
use poem::web::Path;
use poem::{IntoResponse, Response, handler};

/// The page's Content-Security-Policy. Scripts, stylesheets, fonts, images and connections
/// (GraphQL over `fetch`, subscriptions over a WebSocket) come from this server only; no inline
/// script and no `eval`. Inline style is allowed because GraphiQL's dialogs insert a `<style>`
/// element to lock scrolling (a style cannot run code); images may be `data:` URLs, which
/// GraphiQL's stylesheet uses for icons.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Where the assets are served (`/graphiql/<name>`, the route `/graphiql/:file` in
/// [`crate::http::app_with`]).
pub const ASSET_PATH: &str = "/graphiql";

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    /// Whether the name carries the version, so that the file never changes under it.
    versioned: bool,
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file the page loads, in the order it loads them.
const ASSETS: [Asset; 6] = [
    Asset {
        name: "graphiql-3.9.0.min.css",
        content_type: CSS,
        body: include_bytes!("../assets/graphiql/graphiql-3.9.0.min.css"),
        versioned: true,
    },
    Asset {
        name: "graphiql.css",
        content_type: CSS,
        body: include_bytes!("../assets/graphiql/graphiql.css"),
        versioned: false,
    },
    Asset {
        name: "react-18.3.1.production.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../assets/graphiql/react-18.3.1.production.min.js"),
        versioned: true,
    },
    Asset {
        name: "react-dom-18.3.1.production.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../assets/graphiql/react-dom-18.3.1.production.min.js"),
        versioned: true,
    },
    Asset {
        name: "graphiql-3.9.0.min.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../assets/graphiql/graphiql-3.9.0.min.js"),
        versioned: true,
    },
    Asset {
        name: "start.js",
        content_type: JAVASCRIPT,
        body: include_bytes!("../assets/graphiql/start.js"),
        versioned: false,
    },
];

/// The GraphiQL page, pointed at `endpoint` and, for subscriptions, `subscription_endpoint`
/// (both paths on this server).
pub fn page(endpoint: &str, subscription_endpoint: &str) -> Response {
    let mut head = String::new();
    let mut scripts = String::new();
    for file in &ASSETS {
        if file.content_type == CSS {
            head.push_str(&format!(
                "    <link rel=\"stylesheet\" href=\"{ASSET_PATH}/{}\">\n",
                file.name
            ));
        } else {
            scripts.push_str(&format!(
                "    <script src=\"{ASSET_PATH}/{}\"></script>\n",
                file.name
            ));
        }
    }
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"utf-8\">\n    \
         <meta name=\"robots\" content=\"noindex\">\n    \
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n    \
         <title>GraphiQL · Pressroom</title>\n{head}  </head>\n  <body>\n    \
         <div id=\"graphiql\" data-endpoint=\"{}\" data-subscription-endpoint=\"{}\">Loading…</div>\n\
         {scripts}  </body>\n</html>\n",
        attribute(endpoint),
        attribute(subscription_endpoint),
    );
    Response::builder()
        .content_type("text/html; charset=utf-8")
        .header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(html)
}

/// `GET /graphiql/:name`: one of the page's files, or `404`. Files whose name carries their
/// version are cached for a year; the others are revalidated.
#[handler]
pub fn asset(Path(name): Path<String>) -> Response {
    let Some(file) = ASSETS.iter().find(|file| file.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    Response::builder()
        .content_type(file.content_type)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(
            header::CACHE_CONTROL,
            if file.versioned {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            },
        )
        .body(file.body)
}

/// `text` escaped for a double-quoted HTML attribute.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
