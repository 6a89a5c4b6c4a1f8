//! The HTML pages: `/releases/{slug}` shaped like a ministry's press page, the listings
//! `/releases` and `/departments/{slug}` (newest first, keyset paging with `?after=`), the
//! landing page `/` and the index of departments `/departments`.
//!
//! Pages are anonymous reads: they go through the store's `secure_*` functions with no viewer
//! and one `now` per request, so they show exactly what the public read rule shows at that
//! instant, including an embargoed release whose instant has passed before the scheduler ran.

use askama::Template;
use chrono::{DateTime, Utc};
use poem::http::HeaderMap;
use poem::web::{Data, Path, Query};
use poem::{Response, handler};
use pressroom_domain::lifecycle::State;
use pressroom_storage::Store;
use pressroom_storage::directory::Department;
use pressroom_storage::pagination::PageRequest;
use pressroom_storage::releases::{ReleaseFilter, StoredRelease};
use serde::Deserialize;

use super::PublicError;
use pressroom_web::article::{TimeView, render_article};
use pressroom_web::labels::{Labels, SWEDISH};
use pressroom_web::reading::{PublicRelease, Related};
use pressroom_web::responses::{
    CachePolicy, Media, PAGE_MAX_AGE, Representation, bad_request_html, internal_error,
    listing_max_age, not_found_html, respond,
};

#[derive(Template)]
#[template(path = "release.html")]
struct ReleasePage<'a> {
    lang: &'a str,
    page_title: String,
    site: &'static str,
    department_name: &'a str,
    department_slug: &'a str,
    slug: &'a str,
    article: String,
}

struct ListingItem<'a> {
    lang: Option<&'a str>,
    slug: &'a str,
    title: &'a str,
    lead: &'a str,
    kind: &'static str,
    department_name: &'a str,
    department_slug: &'a str,
    published: TimeView,
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage<'a> {
    lang: &'static str,
    page_title: String,
    site: &'static str,
    labels: &'static Labels,
    heading: &'a str,
    feed_href: String,
    items: Vec<ListingItem<'a>>,
    has_previous: bool,
    first_href: String,
    next_href: Option<String>,
}

/// `GET /releases/{slug}`: the page of a public release; `GET /releases/{slug}.json`: its ninjs.
#[handler]
pub async fn show_release(
    store: Data<&Store>,
    Path(slug): Path<String>,
    headers: &HeaderMap,
) -> Response {
    if let Some(slug) = slug.strip_suffix(".json") {
        return super::ninjs::document(&store, slug, headers).await;
    }
    match release_page(&store, &slug).await {
        Ok(Some(page)) => respond(headers, page),
        Ok(None) => not_found_html(),
        Err(err) => internal_error(&err, Media::Html),
    }
}

async fn release_page(store: &Store, slug: &str) -> Result<Option<Representation>, PublicError> {
    let now = store.now();
    let Some(stored) = store.secure_release_by_slug(None, slug, now).await? else {
        return Ok(None);
    };
    let related = Related::load(store, &[&stored]).await?;
    let release = related
        .view(&stored, now)
        .ok_or(PublicError::Broken("a release without its department"))?;
    if !matches!(release.state(), State::Published | State::Withdrawn) {
        // The anonymous read rule admits nothing else; checking again here keeps a page from
        // ever showing unpublished text should that rule change.
        return Ok(None);
    }
    let body = render_release_page(&release)?;
    Ok(Some(Representation {
        body,
        media: Media::Html,
        cache: CachePolicy::Public(PAGE_MAX_AGE),
        last_modified: release.public_updated_at(),
        varies_by_authorization: false,
    }))
}

fn render_release_page(release: &PublicRelease<'_>) -> Result<String, PublicError> {
    let content = &release.release.content;
    let page = ReleasePage {
        lang: content.language(),
        page_title: format!("{} – {}", content.title(), release.department.name),
        site: Labels::for_language(content.language()).site,
        department_name: &release.department.name,
        department_slug: &release.department.slug,
        slug: &release.release.slug,
        article: render_article(release, None)?,
    };
    Ok(page.render()?)
}

/// Query parameters of a listing.
#[derive(Debug, Deserialize)]
pub struct ListingQuery {
    /// Page size (default 20, at most 100).
    first: Option<String>,
    /// Cursor of the last item of the previous page.
    after: Option<String>,
}

/// `GET /releases`: every published release, newest first.
#[handler]
pub async fn list_releases(
    store: Data<&Store>,
    query: poem::Result<Query<ListingQuery>>,
    headers: &HeaderMap,
) -> Response {
    listing(&store, None, query, headers).await
}

/// `GET /departments/{slug}`: one department's published releases, newest first.
#[handler]
pub async fn list_department(
    store: Data<&Store>,
    Path(slug): Path<String>,
    query: poem::Result<Query<ListingQuery>>,
    headers: &HeaderMap,
) -> Response {
    listing(&store, Some(&slug), query, headers).await
}

async fn listing(
    store: &Store,
    department_slug: Option<&str>,
    query: poem::Result<Query<ListingQuery>>,
    headers: &HeaderMap,
) -> Response {
    let Ok(Query(query)) = query else {
        return bad_request_html();
    };
    let Some(page_request) = page_request(&query) else {
        return bad_request_html();
    };
    match listing_page(store, department_slug, &query, &page_request).await {
        Ok(Some(page)) => respond(headers, page),
        Ok(None) => not_found_html(),
        Err(err) => internal_error(&err, Media::Html),
    }
}

/// The page a listing query asks for, or `None` when `first` or `after` is malformed.
fn page_request(query: &ListingQuery) -> Option<PageRequest> {
    let first = match query.first.as_deref() {
        None | Some("") => None,
        Some(text) => Some(text.parse::<i32>().ok()?),
    };
    PageRequest::new(first, query.after.as_deref().filter(|a| !a.is_empty())).ok()
}

/// The department with this slug, if there is one.
pub async fn find_department(store: &Store, slug: &str) -> Result<Option<Department>, PublicError> {
    Ok(store
        .departments()
        .await?
        .into_iter()
        .find(|d| d.slug == slug))
}

/// One page of published releases (of one department, or of all), newest first.
pub async fn published_page(
    store: &Store,
    department_slug: Option<&str>,
    page: &PageRequest,
    now: DateTime<Utc>,
) -> Result<pressroom_storage::pagination::Page<StoredRelease>, PublicError> {
    let filter = ReleaseFilter {
        department: department_slug.map(str::to_owned),
        // Effective PUBLISHED only: withdrawn releases leave listings and feeds, and an
        // embargo whose instant has passed is already in.
        states: Some(vec![State::Published]),
        ..ReleaseFilter::default()
    };
    Ok(store.secure_releases(None, &filter, page, now).await?)
}

async fn listing_page(
    store: &Store,
    department_slug: Option<&str>,
    query: &ListingQuery,
    page_request: &PageRequest,
) -> Result<Option<Representation>, PublicError> {
    let now = store.now();
    let department = match department_slug {
        Some(slug) => match find_department(store, slug).await? {
            Some(department) => Some(department),
            None => return Ok(None),
        },
        None => None,
    };
    let page = published_page(store, department_slug, page_request, now).await?;
    let max_age = listing_max_age(store.next_embargo().await?, now);
    let stored: Vec<&StoredRelease> = page.items.iter().map(|(_, r)| r).collect();
    let related = Related::load_departments(store, &stored).await?;
    let views: Vec<PublicRelease<'_>> =
        stored.iter().filter_map(|r| related.view(r, now)).collect();
    let items = views
        .iter()
        .filter_map(|release| {
            let language = release.language();
            let labels = Labels::for_language(language);
            Some(ListingItem {
                lang: (language != SWEDISH.lang).then_some(language),
                slug: &release.release.slug,
                title: release.release.content.title(),
                lead: release.release.content.lead(),
                kind: labels.kind(release.release.content.kind()),
                department_name: &release.department.name,
                department_slug: &release.department.slug,
                published: TimeView::new(release.published_at()?, release.zone(), language),
            })
        })
        .collect();
    let base_path = match &department {
        Some(d) => format!("/departments/{}", d.slug),
        None => "/releases".to_owned(),
    };
    let size = query
        .first
        .as_deref()
        .filter(|f| !f.is_empty())
        .map(|_| format!("&first={}", page_request.first))
        .unwrap_or_default();
    let next_href = page
        .has_next_page
        .then(|| page.items.last().map(|(cursor, _)| cursor.as_str()))
        .flatten()
        .map(|cursor| format!("{base_path}?after={cursor}{size}"));
    let heading = department
        .as_ref()
        .map_or(SWEDISH.all_releases, |d| d.name.as_str());
    let feed_href = match &department {
        Some(d) => format!("/feeds/{}.atom", d.slug),
        None => "/feeds/releases.atom".to_owned(),
    };
    let last_modified = views
        .iter()
        .filter_map(PublicRelease::content_updated_at)
        .max();
    let body = ListingPage {
        lang: SWEDISH.lang,
        page_title: format!("{heading} – {}", SWEDISH.site),
        site: SWEDISH.site,
        labels: &SWEDISH,
        heading,
        feed_href,
        items,
        has_previous: page.has_previous_page,
        first_href: base_path,
        next_href,
    }
    .render()?;
    Ok(Some(Representation {
        body,
        media: Media::Html,
        cache: CachePolicy::Public(max_age),
        last_modified,
        varies_by_authorization: false,
    }))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    lang: &'static str,
    page_title: &'static str,
    site: &'static str,
    labels: &'static Labels,
}

/// `GET /`: the landing page, linking the listing, the departments, the feed and GraphiQL.
#[handler]
pub fn home(headers: &HeaderMap) -> Response {
    let page = HomePage {
        lang: SWEDISH.lang,
        page_title: SWEDISH.site,
        site: SWEDISH.site,
        labels: &SWEDISH,
    };
    match page.render() {
        Ok(body) => respond(
            headers,
            Representation {
                body,
                media: Media::Html,
                cache: CachePolicy::Public(PAGE_MAX_AGE),
                last_modified: None,
                varies_by_authorization: false,
            },
        ),
        Err(err) => internal_error(&PublicError::from(err), Media::Html),
    }
}

#[derive(Template)]
#[template(path = "departments.html")]
struct DepartmentsPage {
    lang: &'static str,
    page_title: String,
    site: &'static str,
    labels: &'static Labels,
    departments: Vec<Department>,
}

/// `GET /departments`: every department, by name, with links to its listing and its feed.
#[handler]
pub async fn list_departments(store: Data<&Store>, headers: &HeaderMap) -> Response {
    match departments_page(&store).await {
        Ok(page) => respond(headers, page),
        Err(err) => internal_error(&err, Media::Html),
    }
}

async fn departments_page(store: &Store) -> Result<Representation, PublicError> {
    let mut departments = store.departments().await?;
    departments.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.slug.cmp(&b.slug)));
    let body = DepartmentsPage {
        lang: SWEDISH.lang,
        page_title: format!("{} – {}", SWEDISH.departments, SWEDISH.site),
        site: SWEDISH.site,
        labels: &SWEDISH,
        departments,
    }
    .render()?;
    Ok(Representation {
        body,
        media: Media::Html,
        cache: CachePolicy::Public(PAGE_MAX_AGE),
        last_modified: None,
        varies_by_authorization: false,
    })
}

/// `GET /static/pressroom.css`: the shared stylesheet ([`pressroom_web::STYLESHEET`]).
#[handler]
pub fn stylesheet(headers: &HeaderMap) -> Response {
    pressroom_web::stylesheet(headers)
}

/// `GET /static/newsroom.js`: the newsroom's script ([`pressroom_web::NEWSROOM_SCRIPT`]).
#[handler]
pub fn newsroom_script(headers: &HeaderMap) -> Response {
    pressroom_web::newsroom_script(headers)
}
