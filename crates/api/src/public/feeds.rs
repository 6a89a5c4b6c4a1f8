//! Atom feeds (RFC 4287): `/feeds/releases.atom` (every department) and
//! `/feeds/{department}.atom`.
//!
//! An entry is one published release: `id` is `urn:uuid:<release id>` (stable for the life of
//! the release, whatever its slug or the host it is read through), `published` is its effective
//! publication time, `updated` moves when (and only when) a correction is made, the summary is
//! the lead, the content the body with quotes, fact boxes and contacts as HTML, and every topic is
//! a category. Withdrawn releases leave the feed. Links are relative references (RFC 4287 §4.2.7
//! allows IRI references; readers resolve them against the feed's own address).

use atom_syndication::{
    Category, Content, Entry, Feed, FixedDateTime, Generator, Link, Person, Text,
};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use poem::http::HeaderMap;
use poem::web::{Data, Path};
use poem::{Response, handler};
use pressroom_storage::Store;
use pressroom_storage::pagination::PageRequest;
use pressroom_storage::releases::StoredRelease;

use super::PublicError;
use super::pages::{find_department, published_page};
use crate::signoff::LinkSettings;
use pressroom_web::fragments::article_html;
use pressroom_web::labels::SWEDISH;
use pressroom_web::reading::{PublicRelease, Related};
use pressroom_web::responses::{
    CachePolicy, Media, Representation, internal_error, listing_max_age, not_found_html, respond,
};

/// How many of the newest releases a feed holds.
pub const FEED_ENTRIES: i32 = 20;

/// The `id` of the feed of every department. A constant: it must not change when the service
/// moves to another host name.
pub const ALL_RELEASES_FEED_ID: &str = "urn:uuid:470c13bc-28fe-478c-9ebb-70770b5b1cde";

/// `GET /feeds/{file}`: `releases.atom` is every department's feed, `<department>.atom` one's.
#[handler]
pub async fn serve_feed(
    store: Data<&Store>,
    links: Data<&LinkSettings>,
    Path(file): Path<String>,
    headers: &HeaderMap,
) -> Response {
    let Some(name) = file.strip_suffix(".atom") else {
        return not_found_html();
    };
    let department = (name != "releases").then_some(name);
    match render_feed(&store, &links, department).await {
        Ok(Some(feed)) => respond(headers, feed),
        Ok(None) => not_found_html(),
        Err(err) => internal_error(&err, Media::Atom),
    }
}

async fn render_feed(
    store: &Store,
    links: &LinkSettings,
    department_slug: Option<&str>,
) -> Result<Option<Representation>, PublicError> {
    let now = store.now();
    let department = match department_slug {
        Some(slug) => match find_department(store, slug).await? {
            Some(d) => Some(d),
            None => return Ok(None),
        },
        None => None,
    };
    let page = published_page(
        store,
        department_slug,
        &PageRequest::new(Some(FEED_ENTRIES), None)?,
        now,
    )
    .await?;
    let max_age = listing_max_age(store.next_embargo().await?, now);
    let stored: Vec<&StoredRelease> = page.items.iter().map(|(_, r)| r).collect();
    let related = Related::load(store, &stored).await?;
    let releases: Vec<PublicRelease<'_>> =
        stored.iter().filter_map(|r| related.view(r, now)).collect();
    let entries = releases
        .iter()
        .map(|release| entry(release, links))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
    let last_modified = releases
        .iter()
        .filter_map(PublicRelease::content_updated_at)
        .max();
    let (title, id, self_href, alternate_href) = match &department {
        Some(d) => (
            d.name.clone(),
            format!("urn:uuid:{}", d.id),
            links.url(&format!("/feeds/{}.atom", d.slug)),
            links.url(&format!("/departments/{}", d.slug)),
        ),
        None => (
            format!("{} – {}", SWEDISH.all_releases, SWEDISH.site),
            ALL_RELEASES_FEED_ID.to_owned(),
            links.url("/feeds/releases.atom"),
            links.url("/releases"),
        ),
    };
    let feed = Feed {
        title: Text::plain(title),
        id,
        // The newest change of any entry. A feed with no entries has no such change: it says
        // when it was made (now), which is true, rather than a made-up date such as the Unix
        // epoch. Its bytes (and ETag) then change between requests, which only costs an empty
        // feed its 304s.
        updated: entries
            .iter()
            .map(|e| e.updated)
            .max()
            .unwrap_or_else(|| now.fixed_offset()),
        links: vec![
            link(&self_href, "self", "application/atom+xml", None),
            link(&alternate_href, "alternate", "text/html", None),
        ],
        generator: Some(Generator {
            value: "Pressroom".to_owned(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        }),
        lang: Some(SWEDISH.lang.to_owned()),
        entries,
        ..Feed::default()
    };
    let body = String::from_utf8(feed.write_to(Vec::new())?)
        .map_err(|_| PublicError::Broken("the Atom writer produced invalid UTF-8"))?;
    Ok(Some(Representation {
        body,
        media: Media::Atom,
        cache: CachePolicy::Public(max_age),
        last_modified,
        varies_by_authorization: false,
    }))
}

fn link(href: &str, rel: &str, mime_type: &str, hreflang: Option<&str>) -> Link {
    Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: Some(mime_type.to_owned()),
        hreflang: hreflang.map(str::to_owned),
        ..Link::default()
    }
}

/// `at` with the offset of `tz` at that instant, as Atom date constructs carry it.
fn in_zone(at: DateTime<Utc>, tz: Tz) -> FixedDateTime {
    at.with_timezone(&tz).fixed_offset()
}

/// The entry of one release; `None` for a release without a publication time (cannot happen
/// for the PUBLISHED releases a feed lists).
fn entry(release: &PublicRelease<'_>, links: &LinkSettings) -> Result<Option<Entry>, PublicError> {
    let (Some(published), Some(updated)) = (release.published_at(), release.content_updated_at())
    else {
        return Ok(None);
    };
    let content = &release.release.content;
    let language = content.language();
    let tz = release.zone();
    let slug = &release.release.slug;
    let department = release.department;
    Ok(Some(Entry {
        title: Text {
            lang: Some(language.to_owned()),
            ..Text::plain(content.title())
        },
        id: format!("urn:uuid:{}", release.release.id),
        updated: in_zone(updated, tz),
        published: Some(in_zone(published, tz)),
        authors: vec![Person {
            name: department.name.clone(),
            uri: Some(links.url(&format!("/departments/{}", department.slug))),
            ..Person::default()
        }],
        contributors: release
            .responsible_minister()
            .map(|minister| Person {
                name: minister.name.clone(),
                ..Person::default()
            })
            .into_iter()
            .collect(),
        categories: content
            .topics()
            .iter()
            .map(|topic| Category {
                term: topic.clone(),
                label: Some(topic.clone()),
                ..Category::default()
            })
            .collect(),
        links: vec![
            link(
                &links.url(&format!("/releases/{slug}")),
                "alternate",
                "text/html",
                Some(language),
            ),
            link(
                &links.url(&format!("/releases/{slug}.json")),
                "alternate",
                "application/json",
                Some(language),
            ),
        ],
        summary: Some(Text {
            lang: Some(language.to_owned()),
            ..Text::plain(content.lead())
        }),
        content: Some(Content {
            content_type: Some("html".to_owned()),
            lang: Some(language.to_owned()),
            value: Some(article_html(release)?),
            ..Content::default()
        }),
        ..Entry::default()
    }))
}
