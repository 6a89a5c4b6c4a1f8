//! `GET`/`POST /newsroom/releases/new` and `/newsroom/releases/{id}/edit`: one form for every
//! content field. A refused save shows the domain's refusal at the top (linking to the field)
//! and at the field, with everything typed kept. A stale save (someone saved in between) shows
//! the saved version beside the user's with the differences marked, and keeps the user's
//! version in the form, now at the current version, so saving again is a deliberate choice.
//! A published release is corrected through the same form, with a public note.

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path};
use poem::{Response, handler};
use pressroom_domain::content::{ReleaseContent, limits};
use pressroom_domain::lifecycle::{Command, State};
use pressroom_storage::directory::{Department, Person};
use pressroom_storage::releases::StoredRelease;
use pressroom_storage::{StorageError, Store};

use crate::diff::{self, FieldDiff};
use crate::form::{FieldError, Op, ReleaseForm};
use crate::frame::{self, Frame, SITE, Staff};
use crate::release::{load, refusal_in_words};

/// The side-by-side view of a stale save.
pub struct StaleView {
    /// The version saved in between.
    pub version: i32,
    /// Who wrote the saved revision.
    pub author: String,
    /// The fields that differ: saved on the left, the user's on the right.
    pub fields: Vec<FieldDiff>,
}

/// Limits shown beside the fields.
pub struct Limits {
    /// Title.
    pub title: usize,
    /// Lead.
    pub lead: usize,
    /// Paragraph or quote.
    pub block: usize,
    /// Short texts.
    pub short: usize,
    /// Notes.
    pub note: usize,
}

const LIMITS: Limits = Limits {
    title: limits::TITLE,
    lead: limits::LEAD,
    block: limits::BLOCK_TEXT,
    short: limits::SHORT_TEXT,
    note: limits::NOTE,
};

#[derive(Template)]
#[template(path = "newsroom/edit.html")]
struct EditPage<'a> {
    lang: &'static str,
    page_title: String,
    frame: Frame,
    heading: String,
    action: String,
    is_new: bool,
    correcting: bool,
    form: &'a ReleaseForm,
    error: Option<FieldError>,
    stale: Option<StaleView>,
    people: &'a [Person],
    departments: &'a [Department],
    kinds: [(&'static str, &'static str); 3],
    limits: &'static Limits,
    cancel_href: String,
}

impl EditPage<'_> {
    /// The refusal placed on field `anchor`, if any.
    fn err(&self, anchor: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.anchor == anchor)
            .map(|e| e.text.as_str())
    }

    /// The refusal placed on field `field` of item `index` of `list` (`block`, `contact`, `fact`).
    fn err_at(&self, list: &str, index: &usize, field: &str) -> Option<&str> {
        let anchor = format!("{list}-{index}-{field}");
        self.err(&anchor)
    }
}

const KINDS: [(&str, &str); 3] = [
    ("PRESS_RELEASE", "Press release"),
    ("NEWS", "News"),
    ("STATEMENT", "Statement"),
];

struct Directory {
    people: Vec<Person>,
    departments: Vec<Department>,
}

async fn directory(store: &Store) -> Result<Directory, StorageError> {
    let mut people = store.people().await?;
    people.sort_by(|a, b| a.name.cmp(&b.name));
    let mut departments = store.departments().await?;
    departments.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Directory {
        people,
        departments,
    })
}

#[allow(clippy::too_many_arguments)]
fn page<'a>(
    staff: &Staff,
    dir: &'a Directory,
    form: &'a ReleaseForm,
    release: Option<&StoredRelease>,
    error: Option<FieldError>,
    stale: Option<StaleView>,
) -> EditPage<'a> {
    let correcting = release.is_some_and(|r| r.state == State::Published);
    let heading = match release {
        None => "New release".to_owned(),
        Some(r) if correcting => format!("Correct “{}”", r.content.title()),
        Some(r) => format!("Edit “{}”", r.content.title()),
    };
    let prefix = if error.is_some() || stale.is_some() {
        "Error: "
    } else {
        ""
    };
    EditPage {
        lang: "en",
        page_title: format!("{prefix}{heading} – {SITE}"),
        frame: staff.frame.clone(),
        action: match release {
            None => format!("{}/releases/new", crate::BASE),
            Some(r) => format!("{}/releases/{}/edit", crate::BASE, r.id),
        },
        cancel_href: match release {
            None => format!("{}/", crate::BASE),
            Some(r) => format!("{}/releases/{}", crate::BASE, r.id),
        },
        heading,
        is_new: release.is_none(),
        correcting,
        form,
        error,
        stale,
        people: &dir.people,
        departments: &dir.departments,
        kinds: KINDS,
        limits: &LIMITS,
    }
}

fn may_write(staff: &Staff) -> bool {
    staff.frame.can_write
}

fn not_a_writer() -> Response {
    frame::message_response(
        StatusCode::FORBIDDEN,
        "Only press offices write releases",
        "Drafters and editors of a department write and edit its releases.",
    )
}

/// `GET /newsroom/releases/new`.
#[handler]
pub async fn new_form(staff: Staff, store: Data<&Store>) -> Response {
    if !may_write(&staff) {
        return not_a_writer();
    }
    let dir = match directory(&store).await {
        Ok(dir) => dir,
        Err(err) => return frame::internal_error(&err),
    };
    let department = staff
        .viewer
        .department_id
        .as_ref()
        .and_then(|id| dir.departments.iter().find(|d| *id == d.id))
        .or(dir.departments.first())
        .map_or(String::new(), |d| d.slug.clone());
    let form = ReleaseForm::new_release(&department);
    frame::render(&page(&staff, &dir, &form, None, None, None))
}

/// `POST /newsroom/releases/new`.
#[handler]
pub async fn create(
    staff: Staff,
    store: Data<&Store>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    if !may_write(&staff) {
        return not_a_writer();
    }
    let dir = match directory(&store).await {
        Ok(dir) => dir,
        Err(err) => return frame::internal_error(&err),
    };
    let (mut form, op) = ReleaseForm::from_pairs(&pairs);
    if op != Op::Save {
        form.apply(op);
        return frame::render(&page(&staff, &dir, &form, None, None, None));
    }
    let content = match form.parse() {
        Ok(content) => content,
        Err(error) => {
            return frame::render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&staff, &dir, &form, None, Some(error), None),
            );
        }
    };
    match store
        .create_release(&staff.viewer, &form.department, content)
        .await
    {
        Ok(release) => frame::see_other(&format!("/releases/{}", release.id)),
        Err(StorageError::Rule(err)) => frame::render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(
                &staff,
                &dir,
                &form,
                None,
                Some(FieldError::from_domain(&err, &form)),
                None,
            ),
        ),
        Err(StorageError::NotFound) => frame::not_found(),
        Err(err) => frame::internal_error(&err),
    }
}

/// `GET /newsroom/releases/{id}/edit`.
#[handler]
pub async fn edit_form(staff: Staff, store: Data<&Store>, Path(id): Path<String>) -> Response {
    let release = match load(&store, &staff, &id).await {
        Ok(Some(release)) => release,
        Ok(None) => return frame::not_found(),
        Err(err) => return frame::internal_error(&err),
    };
    if !may_write(&staff) {
        return not_a_writer();
    }
    let dir = match directory(&store).await {
        Ok(dir) => dir,
        Err(err) => return frame::internal_error(&err),
    };
    let form = ReleaseForm::from_content(&release.content, release.version);
    frame::render(&page(&staff, &dir, &form, Some(&release), None, None))
}

/// `POST /newsroom/releases/{id}/edit`.
#[handler]
pub async fn save(
    staff: Staff,
    store: Data<&Store>,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let release = match load(&store, &staff, &id).await {
        Ok(Some(release)) => release,
        Ok(None) => return frame::not_found(),
        Err(err) => return frame::internal_error(&err),
    };
    if !may_write(&staff) {
        return not_a_writer();
    }
    let dir = match directory(&store).await {
        Ok(dir) => dir,
        Err(err) => return frame::internal_error(&err),
    };
    let (mut form, op) = ReleaseForm::from_pairs(&pairs);
    if op != Op::Save {
        form.apply(op);
        return frame::render(&page(&staff, &dir, &form, Some(&release), None, None));
    }
    let content = match form.parse() {
        Ok(content) => content,
        Err(error) => {
            return frame::render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&staff, &dir, &form, Some(&release), Some(error), None),
            );
        }
    };
    let expected = form.expected_version.unwrap_or(release.version);
    let command = if release.state == State::Published {
        Command::Correct(content.clone(), form.note.clone())
    } else {
        Command::Update(content.clone())
    };
    match store.act(&staff.viewer, &id, expected, command, None).await {
        Ok(saved) => frame::see_other(&format!("/releases/{}", saved.id)),
        Err(StorageError::VersionConflict { .. }) => {
            stale(&staff, &store, &dir, &id, form, &content).await
        }
        Err(StorageError::Rule(err)) => {
            let error = match &err {
                pressroom_domain::DomainError::Validation { .. } => {
                    FieldError::from_domain(&err, &form)
                }
                other => FieldError {
                    anchor: "title".into(),
                    text: refusal_in_words(other),
                },
            };
            frame::render_with(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&staff, &dir, &form, Some(&release), Some(error), None),
            )
        }
        Err(StorageError::NotFound) => frame::not_found(),
        Err(err) => frame::internal_error(&err),
    }
}

/// The stale-save screen: the saved version against the user's, and the user's version in the
/// form at the saved version's number.
async fn stale(
    staff: &Staff,
    store: &Store,
    dir: &Directory,
    id: &str,
    mut form: ReleaseForm,
    yours: &ReleaseContent,
) -> Response {
    let saved = match load(store, staff, id).await {
        Ok(Some(release)) => release,
        Ok(None) => return frame::not_found(),
        Err(err) => return frame::internal_error(&err),
    };
    let name = |id: &str| {
        dir.people
            .iter()
            .find(|p| p.id == id)
            .map_or_else(|| id.to_owned(), |p| p.name.clone())
    };
    let view = StaleView {
        version: saved.version,
        author: saved.author.clone(),
        fields: diff::changed_fields(&saved.content, yours, &name),
    };
    form.expected_version = Some(saved.version);
    frame::render_with(
        StatusCode::CONFLICT,
        &page(staff, dir, &form, Some(&saved), None, Some(view)),
    )
}
