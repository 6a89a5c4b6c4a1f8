//! `GET /newsroom/releases/{id}`: one release as the people working on it see it: its state,
//! every required sign-off and every sign-off link, what the viewer may do next (each a plain
//! form), and for an office asked to approve, what it approves: the whole revision for the
//! responsible minister's office, its own quotes marked for another quoted person's office, with
//! the word-level changes since the revision it last approved.
//! `GET /newsroom/releases/{id}/preview`: the release exactly as its public page will show it.

use std::collections::HashMap;

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::sync::Arc;

use poem::http::{HeaderValue, header};
use poem::web::{Data, Path};
use poem::{Request, Response, handler};
use pressroom_domain::DomainError;
use pressroom_domain::approval::{ApprovalRecord, ApprovalStatus, Verdict, standings};
use pressroom_domain::content::ReleaseContent;
use pressroom_domain::lifecycle::{Action, State, allowed_from};
use pressroom_domain::links::public_url;
use pressroom_domain::signoff::{LinkStatus, manages_links};
use pressroom_domain::visibility::{Role, Viewer};
use pressroom_storage::directory::Person;
use pressroom_storage::releases::StoredRelease;
use pressroom_storage::signoff::LinkView;
use pressroom_storage::{StorageError, Store};
use pressroom_web::article::render_article;
use pressroom_web::reading::Related;
use pressroom_web::time_format;

use crate::NewsroomConfig;
use crate::diff::{self, FieldDiff};
use crate::frame::{self, Frame, SITE, Staff};

/// The release `id` if `staff` may see it (the visibility rule, in the query); `None` for an
/// unknown id and for a release they may not see alike.
pub async fn load(
    store: &Store,
    staff: &Staff,
    id: &str,
) -> Result<Option<StoredRelease>, StorageError> {
    store
        .secure_release(Some(&staff.viewer), id, store.now())
        .await
}

/// A refusal of the rules, in words a press officer reads (never an error code).
pub fn refusal_in_words(error: &DomainError) -> String {
    match error {
        DomainError::Forbidden(reason) if reason.starts_with("four eyes") => {
            "You wrote the current revision, and nobody may approve their own text. Someone else in the office has to approve it.".to_owned()
        }
        DomainError::Forbidden(reason) => format!("You may not do this: {reason}."),
        DomainError::InvalidTransition { action, state } => format!(
            "This cannot be done while the release is {}: {} is not possible now. Reload the page to see where it stands.",
            state_in_words(*state),
            action_in_words(*action)
        ),
        DomainError::QuoteChangeRequiresReview => {
            "A correction cannot change a quote. Changing what someone said needs a new review: withdraw and write a new release, or correct only the other text.".to_owned()
        }
        DomainError::EmbargoInPast => {
            "The embargo time has to lie in the future. Pick a later time.".to_owned()
        }
        DomainError::Validation { message, .. } => message.clone(),
    }
}

/// A state in words.
pub fn state_in_words(state: State) -> &'static str {
    match state {
        State::Draft => "a draft",
        State::InReview => "in review",
        State::Approved => "approved",
        State::Embargoed => "under embargo",
        State::Published => "published",
        State::Withdrawn => "withdrawn",
    }
}

/// An action in words (history and refusals).
pub fn action_in_words(action: Action) -> &'static str {
    match action {
        Action::Create => "creating the release",
        Action::Update => "saving changes",
        Action::SubmitForReview => "sending it for review",
        Action::RequestChanges => "sending it back with changes requested",
        Action::Approve => "approving it",
        Action::Schedule => "scheduling it",
        Action::CancelEmbargo => "cancelling the embargo",
        Action::PublishNow => "publishing it now",
        Action::ImportPublication => "importing an earlier publication",
        Action::ScheduledPublish => "publishing it at the embargo instant",
        Action::RefusePublication => "refusing to publish it",
        Action::Correct => "correcting it",
        Action::Withdraw => "withdrawing it",
        Action::CreateSignoffLink => "asking for sign-off by link",
        Action::RevokeSignoffLink => "revoking a sign-off link",
    }
}

/// An instant for press staff: local time, zone and offset, and the UTC instant.
pub struct When {
    /// RFC 3339 in the zone.
    pub machine: String,
    /// "9 June 2026 at 09:00".
    pub human: String,
    /// "Europe/Stockholm, UTC+02:00".
    pub zone: String,
    /// "2026-06-09 07:00 UTC".
    pub utc: String,
}

impl When {
    /// `at` in zone `tz`.
    pub fn new(at: DateTime<Utc>, tz: Tz) -> Self {
        Self {
            machine: time_format::machine(at, tz),
            human: time_format::english(at, tz),
            zone: time_format::zone_and_offset(tz, at),
            utc: time_format::utc_minutes(at),
        }
    }
}

/// One required office on the overview.
pub struct OfficeRow {
    /// Person id.
    pub person_id: String,
    /// "Annika Strandhäll, klimat- och miljöminister".
    pub name: String,
    /// Whether it is the responsible minister's office (approves the whole text).
    pub responsible: bool,
    /// "approved", "changes requested" or "waiting".
    pub status: &'static str,
    /// The status as a CSS class part.
    pub status_key: &'static str,
    /// In words: by whom, which revision, when; or the comment.
    pub detail: String,
    /// Its sign-off links, newest first.
    pub links: Vec<LinkRow>,
    /// For an approval of an earlier revision that still covers the text (a quoted person's
    /// quotes unchanged): that revision, and what changed in the release since.
    pub since: Option<(i32, Vec<FieldDiff>)>,
}

/// One sign-off link on the overview.
pub struct LinkRow {
    /// Id.
    pub id: String,
    /// Who answers.
    pub signer: String,
    /// waiting, answered, expired, revoked, outdated.
    pub status: &'static str,
    /// For revision.
    pub revision: i32,
    /// Expires.
    pub expires: When,
    /// Whether it can still be revoked (waiting).
    pub revocable: bool,
}

/// What the viewer may do on the overview, each shown as a form.
#[derive(Default)]
pub struct Can {
    /// Edit (drafters, editors, admins; not once withdrawn).
    pub edit: bool,
    /// Correct (published; editors).
    pub correct: bool,
    /// Submit for review.
    pub submit: bool,
    /// Approve or request changes as the viewer's office.
    pub review: bool,
    /// Schedule.
    pub schedule: bool,
    /// Publish now.
    pub publish: bool,
    /// Cancel the embargo.
    pub cancel: bool,
    /// Withdraw.
    pub withdraw: bool,
    /// Ask for sign-off by link.
    pub links: bool,
    /// Set the review deadline.
    pub deadline: bool,
}

#[derive(Template)]
#[template(path = "newsroom/release.html")]
struct OverviewPage<'a> {
    lang: &'static str,
    page_title: String,
    frame: Frame,
    release: &'a StoredRelease,
    department: String,
    zone_name: String,
    state: &'static str,
    embargo: Option<When>,
    published: Option<When>,
    review_deadline: Option<When>,
    offices: Vec<OfficeRow>,
    can: Can,
    missing: Vec<String>,
    link_candidates: Vec<(String, String)>,
    review_heading: String,
    changes: Vec<FieldDiff>,
    last_approved: Option<i32>,
    article: String,
    created_link: Option<String>,
    today: String,
    notice: Option<String>,
}

fn person_label(people: &HashMap<String, Person>, id: &str) -> String {
    people.get(id).map_or_else(
        || id.to_owned(),
        |p| {
            if p.title.is_empty() {
                p.name.clone()
            } else {
                format!("{}, {}", p.name, p.title)
            }
        },
    )
}

fn person_name(people: &HashMap<String, Person>, id: &str) -> String {
    people
        .get(id)
        .map_or_else(|| id.to_owned(), |p| p.name.clone())
}

fn link_status(status: LinkStatus) -> &'static str {
    match status {
        LinkStatus::Waiting => "waiting",
        LinkStatus::Answered => "answered",
        LinkStatus::Expired => "expired",
        LinkStatus::Revoked => "revoked",
        LinkStatus::Outdated => "outdated",
    }
}

/// Whether `viewer` writes releases of `release`'s department.
pub fn writes_for(viewer: &Viewer, release: &StoredRelease) -> bool {
    manages_links(viewer, &release.department_id)
}

/// What `viewer` may do with `release` now: the lifecycle table decides the state, the roles
/// the rest; the domain re-checks everything when the form is sent.
fn can(viewer: &Viewer, release: &StoredRelease, office_required: bool, state: State) -> Can {
    let writer = writes_for(viewer, release);
    let editor = writer && matches!(viewer.role, Role::Editor | Role::Admin);
    let allowed = |action: Action| {
        allowed_from(action, state) && action.allowed_roles().contains(&viewer.role)
    };
    Can {
        edit: writer && allowed(Action::Update),
        correct: editor && allowed(Action::Correct),
        submit: writer && allowed(Action::SubmitForReview),
        review: office_required && allowed(Action::Approve),
        schedule: writer && allowed(Action::Schedule),
        publish: editor && allowed(Action::PublishNow),
        cancel: editor && allowed(Action::CancelEmbargo),
        withdraw: editor && allowed(Action::Withdraw),
        // Not a transition, so not in the lifecycle table: a link is asked for in review only.
        links: writer
            && state == State::InReview
            && Action::CreateSignoffLink
                .allowed_roles()
                .contains(&viewer.role),
        deadline: writer && matches!(state, State::Draft | State::InReview),
    }
}

/// The last revision `office` approved, from the approval records of a release.
pub fn last_approved_revision(records: &[ApprovalRecord], office: &str) -> Option<i32> {
    records
        .iter()
        .filter(|r| r.office_id == office && r.verdict == Verdict::Approved)
        .map(|r| r.revision)
        .max()
}

/// Renders the overview; `created_link` is a sign-off URL just made (shown once).
pub async fn overview(
    store: &Store,
    staff: &Staff,
    release: &StoredRelease,
    created_link: Option<String>,
    notice: Option<String>,
) -> Result<Response, StorageError> {
    let now = store.now();
    let related = Related::load(store, &[release]).await?;
    let Some(view) = related.view(release, now) else {
        return Err(StorageError::Internal(
            "a release without its department".into(),
        ));
    };
    let tz = view.zone();
    let state = view.state();
    let records = store
        .approvals_for(std::slice::from_ref(&release.id))
        .await?
        .remove(&release.id)
        .unwrap_or_default();
    let links = if writes_for(&staff.viewer, release) {
        store.signoff_links(&staff.viewer, &release.id).await?
    } else {
        Vec::new()
    };
    let required = pressroom_domain::approval::required_offices(&release.content);
    let required_ids: Vec<String> = required.iter().map(ToString::to_string).collect();
    let people = store.people_by_ids(&required_ids).await?;
    let standing = standings(
        &records,
        &release.content,
        &release.content_hash,
        release.revision,
    );
    let offices: Vec<OfficeRow> = standing
        .iter()
        .map(|s| {
            let (status, detail) = match (s.status, s.record) {
                (ApprovalStatus::Approved, Some(r)) => (
                    "approved",
                    format!(
                        "{} approved revision {} on {}",
                        r.by_user,
                        r.revision,
                        time_format::english(r.at, tz)
                    ),
                ),
                (ApprovalStatus::ChangesRequested, Some(r)) => (
                    "changes requested",
                    format!(
                        "{} asked for changes: “{}”",
                        r.by_user,
                        r.comment.as_deref().unwrap_or("")
                    ),
                ),
                _ => match last_approved_revision(&records, s.office_id.as_str()) {
                    Some(rev) => (
                        "waiting",
                        format!("Approved revision {rev}, which no longer covers the text: the approval is void and needed again."),
                    ),
                    None => ("waiting", "Not answered yet.".to_owned()),
                },
            };
            OfficeRow {
                responsible: release.content.responsible_minister_id() == Some(s.office_id.as_str()),
                name: person_label(&people, s.office_id.as_str()),
                status_key: if status == "changes requested" {
                    "changes-requested"
                } else {
                    status
                },
                status,
                detail,
                links: links
                    .iter()
                    .filter(|l| l.link.person_id == s.office_id)
                    .map(|l: &LinkView| LinkRow {
                        id: l.link.id.clone(),
                        signer: l.link.signer.to_string(),
                        status: link_status(l.status),
                        revision: l.link.revision,
                        expires: When::new(l.link.expires_at, tz),
                        revocable: l.status == LinkStatus::Waiting,
                    })
                    .collect(),
                since: None,
                person_id: s.office_id.to_string(),
            }
        })
        .collect();
    let mut offices = offices;
    // What changed since each still-valid approval of an earlier revision, for the people who
    // schedule and publish: they see exactly what every office approved.
    let earlier: Vec<(usize, i32)> = standing
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match (s.status, s.record) {
            (ApprovalStatus::Approved, Some(r)) if r.revision != release.revision => {
                Some((i, r.revision))
            }
            _ => None,
        })
        .collect();
    if !earlier.is_empty() && writes_for(&staff.viewer, release) {
        let revisions = store.revisions(&staff.viewer, &release.id).await?;
        let name = |id: &str| person_name(&people, id);
        for (i, revision) in earlier {
            if let Some(old) = revisions.iter().find(|r| r.revision == revision) {
                offices[i].since = Some((
                    revision,
                    diff::changed_fields(&old.content, &release.content, &name),
                ));
            }
        }
    }
    let office = staff
        .viewer
        .person_id
        .as_ref()
        .map(pressroom_domain::PersonId::as_str)
        .filter(|_| staff.viewer.role == Role::MinisterOffice)
        .filter(|p| required.iter().any(|r| r == p));
    let can = can(&staff.viewer, release, office.is_some(), state);
    let missing = offices
        .iter()
        .filter(|o| o.status != "approved")
        .map(|o| o.name.clone())
        .collect();
    let review_whole = office.is_some_and(|o| release.content.responsible_minister_id() == Some(o));
    let last_approved = office.and_then(|o| last_approved_revision(&records, o));
    let changes = match (office, last_approved) {
        (Some(o), Some(rev)) if rev != release.revision => {
            match store
                .revision_content(&staff.viewer, &release.id, rev)
                .await?
            {
                Some(old) => {
                    let name = |id: &str| person_name(&people, id);
                    if review_whole {
                        diff::changed_fields(&old, &release.content, &name)
                    } else {
                        diff::changed_quotes(&old, &release.content, o, &name)
                    }
                }
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    let marked = office.filter(|_| !review_whole);
    let article =
        render_article(&view, marked).map_err(|e| StorageError::Internal(e.to_string()))?;
    let review_heading = match office {
        Some(o) if review_whole => format!(
            "You are asked to approve revision {} as the office of {}",
            release.revision,
            person_name(&people, o)
        ),
        Some(o) => format!(
            "You are asked to approve the quotes of {} in revision {} (marked below)",
            person_name(&people, o),
            release.revision
        ),
        None => String::new(),
    };
    let link_candidates = offices
        .iter()
        .filter(|o| o.status != "approved")
        .map(|o| (o.person_id.clone(), o.name.clone()))
        .collect();
    let department = view.department.name.clone();
    let page = OverviewPage {
        lang: "en",
        page_title: format!("{} – {SITE}", release.content.title()),
        frame: staff.frame.clone(),
        release,
        department,
        zone_name: tz.name().to_owned(),
        state: state_in_words(state),
        embargo: view.pending_embargo().map(|at| When::new(at, tz)),
        review_deadline: store
            .review_deadlines(std::slice::from_ref(&release.id))
            .await?
            .remove(&release.id)
            .filter(|_| matches!(state, State::Draft | State::InReview))
            .map(|at| When::new(at, tz)),
        published: view.published_at().map(|at| When::new(at, tz)),
        offices,
        can,
        missing,
        link_candidates,
        review_heading,
        changes,
        last_approved,
        article,
        created_link,
        today: now.with_timezone(&tz).format("%Y-%m-%d").to_string(),
        notice,
    };
    Ok(frame::render(&page))
}

/// The cookie that carries a sign-off link's token from its creation to the one page that shows
/// it (see [`show`]).
pub const NEW_LINK_COOKIE: &str = "pressroom_new_link";

/// The sign-off URL of the link with `token` if it is a waiting link of `release`, and a warning
/// when its signer wrote the current revision (the four-eyes rule will refuse their answer).
async fn created_link(
    store: &Store,
    config: &NewsroomConfig,
    release: &StoredRelease,
    token: &str,
) -> Result<(Option<String>, Option<String>), StorageError> {
    let Some(page) = store.signoff_link_page(token).await? else {
        return Ok((None, None));
    };
    let link = &page.view.link;
    if link.release_id != release.id || page.view.status != LinkStatus::Waiting {
        return Ok((None, None));
    }
    let url = public_url(
        config.public_base_url.as_ref(),
        &format!("/signoff/{token}"),
    );
    let warning = (link.signer == release.author).then(|| {
        format!(
            "Careful: {} wrote revision {}. Nobody may approve their own text, so an answer from this link will be refused. Revoke it and make one in another person's name.",
            release.author, release.revision
        )
    });
    Ok((Some(url), warning))
}

/// `GET /newsroom/releases/{id}`. Right after a sign-off link was made, the link (carried here
/// by a short-lived cookie) is shown once and the cookie removed.
#[handler]
pub async fn show(
    staff: Staff,
    store: Data<&Store>,
    config: Data<&Arc<NewsroomConfig>>,
    req: &Request,
    Path(id): Path<String>,
) -> Response {
    let release = match load(&store, &staff, &id).await {
        Ok(Some(release)) => release,
        Ok(None) => return frame::not_found(),
        Err(err) => return frame::internal_error(&err),
    };
    let new_link = crate::gate::cookie_value(req, NEW_LINK_COOKIE);
    let (url, warning) = match &new_link {
        Some(token) => match created_link(&store, &config, &release, token).await {
            Ok(found) => found,
            Err(err) => return frame::internal_error(&err),
        },
        None => (None, None),
    };
    let mut response = match overview(&store, &staff, &release, url, warning).await {
        Ok(response) => response,
        Err(err) => return frame::internal_error(&err),
    };
    if new_link.is_some() {
        let cookie = crate::gate::set_cookie(NEW_LINK_COOKIE, None, config.secure_cookies);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[derive(Template)]
#[template(path = "newsroom/preview.html")]
struct PreviewPage {
    lang: String,
    page_title: String,
    frame: Frame,
    id: String,
    state: &'static str,
    published: bool,
    article: String,
}

/// `GET /newsroom/releases/{id}/preview`: the public page's article, for every state, under a
/// "not published" banner until it is.
#[handler]
pub async fn preview(staff: Staff, store: Data<&Store>, Path(id): Path<String>) -> Response {
    let release = match load(&store, &staff, &id).await {
        Ok(Some(release)) => release,
        Ok(None) => return frame::not_found(),
        Err(err) => return frame::internal_error(&err),
    };
    let now = store.now();
    let related = match Related::load(&store, &[&release]).await {
        Ok(related) => related,
        Err(err) => return frame::internal_error(&err),
    };
    let Some(view) = related.view(&release, now) else {
        return frame::internal_error(&"a release without its department");
    };
    let article = match render_article(&view, None) {
        Ok(article) => article,
        Err(err) => return frame::internal_error(&err),
    };
    let content: &ReleaseContent = &release.content;
    frame::render(&PreviewPage {
        lang: content.language().to_owned(),
        page_title: format!("Preview: {} – {SITE}", content.title()),
        frame: staff.frame.clone(),
        id: release.id.clone(),
        state: state_in_words(view.state()),
        published: matches!(view.state(), State::Published | State::Withdrawn),
        article,
    })
}
