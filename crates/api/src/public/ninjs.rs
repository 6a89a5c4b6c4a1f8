//! IPTC ninjs 3.1 (News in JSON) at `/releases/{slug}.json`.
//!
//! Anonymous callers see what the public page shows. A caller with `Authorization: Bearer
//! <token>` reads through the same visibility rule with that token's viewer: an accredited
//! integrator (or staff, reviewers, admins) also gets releases still under embargo, and only such
//! callers ever see `embargoedUntil`. Responses to a token are `private, no-store`; anonymous ones
//! are public and `Vary: Authorization`. Releases that are not public in some form (drafts, in
//! review, approved) are 404 here for everyone: ninjs is a distribution format, not a preview.
//!
//! Mapping: `uri` is `urn:uuid:<release id>`; `version` counts public versions (1, then +1 per
//! correction and for a withdrawal), so it does not move when the scheduler merely records a
//! publication the read rule already showed; `versionCreated` is the instant of that version;
//! `pubStatus` is `usable`, or `canceled` once withdrawn; `headlines` the title; `descriptions`
//! the lead (role `summary`) and any correction and withdrawal notes; `bodies` the body as HTML
//! (role `main`), each fact box (role `factBox`) and the press contacts (role `contacts`);
//! `people` the responsible minister, every speaker and every press contact (with `contactInfo`;
//! ninjs has no property for a contact's job title, which the `contacts` body carries);
//! `organisations` the department; `subjects` the topics; `genres` the kind.

use poem::Response;
use poem::http::{HeaderMap, header};
use pressroom_domain::lifecycle::{State, format_instant};
use pressroom_domain::visibility::{Role, Viewer};
use pressroom_storage::Store;
use serde::Serialize;

use super::PublicError;
use pressroom_web::fragments::{body_html, contacts_html, fact_box_html};
use pressroom_web::labels::Labels;
use pressroom_web::reading::{PublicRelease, Related};
use pressroom_web::responses::{
    CachePolicy, Media, PAGE_MAX_AGE, Representation, internal_error, not_found_json, respond,
    unauthorized_json,
};

/// The JSON Schema this output is valid against.
pub const SCHEMA_URI: &str = "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#";

/// A ninjs 3.1 news item (only the properties Pressroom fills).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NinjsItem {
    uri: String,
    r#type: &'static str,
    representation_type: &'static str,
    version: String,
    first_created: String,
    version_created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    embargoed_until: Option<String>,
    pub_status: &'static str,
    language: String,
    slugline: String,
    by: String,
    headlines: Vec<TextValue>,
    descriptions: Vec<TextValue>,
    bodies: Vec<TextValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    people: Vec<Entity>,
    organisations: Vec<Entity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    subjects: Vec<Entity>,
    genres: Vec<Entity>,
    standard: Standard,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct TextValue {
    role: &'static str,
    content_type: &'static str,
    value: String,
}

/// A person, organisation, subject or genre: the schema gives them the same core properties.
#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "camelCase")]
struct Entity {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    rel: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    literal: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    contact_info: Vec<ContactInfo>,
}

#[derive(Debug, Serialize)]
struct ContactInfo {
    r#type: &'static str,
    value: String,
}

#[derive(Debug, Serialize)]
struct Standard {
    name: &'static str,
    version: &'static str,
    schema: &'static str,
}

/// How the `Authorization` header of a ninjs request resolved.
enum Caller {
    Anonymous,
    Known(Viewer),
    Refused,
}

async fn caller(store: &Store, headers: &HeaderMap) -> Result<Caller, PublicError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(Caller::Anonymous);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Ok(Caller::Refused);
    };
    Ok(match store.authenticate(token).await? {
        Some(viewer) => Caller::Known(viewer),
        None => Caller::Refused,
    })
}

/// The ninjs document of the release with `slug`, as the caller of `headers` may see it.
pub async fn document(store: &Store, slug: &str, headers: &HeaderMap) -> Response {
    let viewer = match caller(store, headers).await {
        Ok(Caller::Anonymous) => None,
        Ok(Caller::Known(viewer)) => Some(viewer),
        Ok(Caller::Refused) => return unauthorized_json(),
        Err(err) => return internal_error(&err, Media::Ninjs),
    };
    match representation(store, slug, viewer.as_ref()).await {
        Ok(Some(document)) => respond(headers, document),
        Ok(None) => not_found_json(),
        Err(err) => internal_error(&err, Media::Ninjs),
    }
}

async fn representation(
    store: &Store,
    slug: &str,
    viewer: Option<&Viewer>,
) -> Result<Option<Representation>, PublicError> {
    let now = store.now();
    let Some(stored) = store.secure_release_by_slug(viewer, slug, now).await? else {
        return Ok(None);
    };
    let related = Related::load(store, &[&stored]).await?;
    let release = related
        .view(&stored, now)
        .ok_or(PublicError::Broken("a release without its department"))?;
    if !matches!(
        release.state(),
        State::Published | State::Withdrawn | State::Embargoed
    ) {
        return Ok(None);
    }
    let show_embargo = viewer.is_some_and(|v| sees_embargoes(v, &release));
    let item = item(&release, show_embargo)?;
    let body = serde_json::to_string(&item)
        .map_err(|_| PublicError::Broken("a ninjs item did not serialize"))?;
    Ok(Some(Representation {
        body,
        media: Media::Ninjs,
        cache: if viewer.is_some() {
            CachePolicy::PrivateNoStore
        } else {
            CachePolicy::Public(PAGE_MAX_AGE)
        },
        last_modified: release.public_updated_at(),
        varies_by_authorization: true,
    }))
}

/// Whether `viewer` may learn the embargo instant of `release`: anyone who can read it while it
/// is still embargoed (the store's visibility rule already let them), and otherwise those who
/// see embargoed releases of its department at all.
fn sees_embargoes(viewer: &Viewer, release: &PublicRelease<'_>) -> bool {
    if release.state() == State::Embargoed {
        return true;
    }
    match viewer.role {
        Role::Admin => true,
        Role::Integrator => viewer.embargo_access,
        Role::Drafter | Role::Editor => viewer
            .department_id
            .as_ref()
            .is_some_and(|id| *id == release.department.id),
        Role::MinisterOffice => false,
    }
}

/// The ninjs item of `release`; `show_embargo` adds `embargoedUntil`.
pub fn item(release: &PublicRelease<'_>, show_embargo: bool) -> Result<NinjsItem, PublicError> {
    let stored = release.release;
    let content = &stored.content;
    let language = content.language();
    let labels = Labels::for_language(language);
    // While under embargo the item's first version is the one that will go out at the instant.
    let first_created = release
        .published_at()
        .or(release.pending_embargo())
        .unwrap_or(stored.created_at);
    let corrections = release.corrections();
    let withdrawn_at = release.withdrawn_at();
    let public_versions = 1 + corrections.len() + usize::from(withdrawn_at.is_some());
    let version_created = release.public_updated_at().unwrap_or(first_created);

    let mut descriptions = vec![TextValue {
        role: "summary",
        content_type: "text/plain",
        value: content.lead().to_owned(),
    }];
    descriptions.extend(corrections.iter().map(|c| TextValue {
        role: "correction",
        content_type: "text/plain",
        value: format!("{}: {}", format_instant(c.at), c.note),
    }));
    if let Some(reason) = release.withdrawal_reason() {
        descriptions.push(TextValue {
            role: "withdrawal",
            content_type: "text/plain",
            value: match withdrawn_at {
                Some(at) => format!("{}: {reason}", format_instant(at)),
                None => reason.to_owned(),
            },
        });
    }

    let mut bodies = vec![html_body("main", body_html(release)?)];
    for fact_box in content.fact_boxes() {
        bodies.push(html_body("factBox", fact_box_html(fact_box)?));
    }
    let contacts = contacts_html(release)?;
    if !contacts.is_empty() {
        bodies.push(html_body("contacts", contacts));
    }

    let mut people: Vec<Entity> = Vec::new();
    if let Some(minister) = release.responsible_minister() {
        people.push(person(minister, "responsibleMinister"));
    }
    people.extend(release.speakers().into_iter().map(|p| person(p, "speaker")));
    people.extend(content.contacts().iter().map(|contact| {
        Entity {
            name: contact.name.clone(),
            rel: Some("pressContact"),
            contact_info: [
                ("phone", &contact.phone),
                ("mobile", &contact.mobile),
                ("email", &contact.email),
            ]
            .into_iter()
            .filter_map(|(kind, value)| {
                value.as_ref().map(|v| ContactInfo {
                    r#type: kind,
                    value: v.clone(),
                })
            })
            .collect(),
            ..Entity::default()
        }
    }));

    Ok(NinjsItem {
        uri: format!("urn:uuid:{}", stored.id),
        r#type: "text",
        representation_type: "full",
        version: public_versions.to_string(),
        first_created: format_instant(first_created),
        version_created: format_instant(version_created),
        embargoed_until: stored
            .embargo_until
            .filter(|_| show_embargo)
            .map(format_instant),
        pub_status: if release.state() == State::Withdrawn {
            "canceled"
        } else {
            "usable"
        },
        language: language.to_owned(),
        slugline: stored.slug.clone(),
        by: release.department.name.clone(),
        headlines: vec![TextValue {
            role: "main",
            content_type: "text/plain",
            value: content.title().to_owned(),
        }],
        descriptions,
        bodies,
        people,
        organisations: vec![Entity {
            name: release.department.name.clone(),
            rel: Some("publisher"),
            literal: Some(release.department.slug.clone()),
            ..Entity::default()
        }],
        subjects: content
            .topics()
            .iter()
            .map(|topic| Entity {
                name: topic.clone(),
                rel: Some("about"),
                ..Entity::default()
            })
            .collect(),
        genres: vec![Entity {
            name: labels.kind(content.kind()).to_owned(),
            literal: Some(content.kind().as_str().to_owned()),
            ..Entity::default()
        }],
        standard: Standard {
            name: "ninjs",
            version: "3.1",
            schema: SCHEMA_URI,
        },
    })
}

fn html_body(role: &'static str, value: String) -> TextValue {
    TextValue {
        role,
        content_type: "text/html",
        value,
    }
}

fn person(person: &pressroom_storage::directory::Person, rel: &'static str) -> Entity {
    Entity {
        name: person.name.clone(),
        rel: Some(rel),
        uri: Some(format!("urn:uuid:{}", person.id)),
        ..Entity::default()
    }
}
