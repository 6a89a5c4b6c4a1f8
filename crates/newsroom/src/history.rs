//! `GET /newsroom/releases/{id}/history`: every audit entry of a release in words, oldest first,
//! with the word-level changes each revision made.
//!
//! The audit trail is read through `Store::secure_audit_entries`, which decides who may read
//! it; a role that may see the release but not its trail gets a sentence saying so, and no
//! earlier revisions either (they are internal detail too). A page costs the same number of SQL
//! statements whatever the length of the history: the release, its department, one page of
//! entries, every revision (two), and every person named (one).

use std::collections::{BTreeMap, HashMap, HashSet};

use askama::Template;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use poem::web::{Data, Path, Query};
use poem::{Response, handler};
use pressroom_domain::lifecycle::{Action, State};
use pressroom_storage::Store;
use pressroom_storage::audit::AuditEntry;
use pressroom_storage::directory::Person;
use pressroom_storage::pagination::{MAX_PAGE, Page, PageRequest};
use pressroom_storage::revisions::RevisionRecord;
use pressroom_web::time_format;
use serde::Deserialize;
use serde_json::Value;

use crate::diff::{self, FieldDiff};
use crate::frame::{self, Frame, SITE, Staff};
use crate::release::{When, load, state_in_words};

/// Entries per page of the history (the most one page of the audit trail holds).
const ENTRIES_PER_PAGE: u64 = MAX_PAGE;

/// The query string of the history page: where to continue.
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    /// The cursor after the last entry of the previous page.
    #[serde(default)]
    after: Option<String>,
}

/// One detail of an entry, in words.
pub struct Detail {
    /// "Comment", "Reason", "Correction note"…
    pub label: &'static str,
    /// The text, as written (a comment, a reason) or in words (lateness, names).
    pub text: String,
}

/// One instant in the details of an entry (an embargo), shown with its zone and in UTC.
pub struct Instant {
    /// "Embargo until", "Previous embargo"…
    pub label: &'static str,
    /// The instant.
    pub when: When,
}

/// One audit entry, in words.
pub struct EntryRow {
    /// Its place in the audit chain.
    pub seq: i64,
    /// "Tove Office approved revision 3".
    pub sentence: String,
    /// When.
    pub when: When,
    /// "was in review, now approved", when the state changed.
    pub states: Option<String>,
    /// Comments, reasons, notes, lateness, names.
    pub details: Vec<Detail>,
    /// Embargo instants, with zone and UTC.
    pub instants: Vec<Instant>,
    /// For the entry that made a revision: what it changed from the previous one.
    pub changes: Option<RevisionChanges>,
}

/// What one revision changed from the previous.
pub struct RevisionChanges {
    /// The revision.
    pub revision: i32,
    /// The field differences (empty: the text is the same).
    pub fields: Vec<FieldDiff>,
}

#[derive(Template)]
#[template(path = "newsroom/history.html")]
struct HistoryPage {
    lang: &'static str,
    page_title: String,
    frame: Frame,
    id: String,
    title: String,
    zone: String,
    entries: Vec<EntryRow>,
    /// The trail exists but this role may not read it.
    hidden: bool,
    /// The cursor of the next page, when there is one.
    next: Option<String>,
    /// Whether this is a later page (offers a link back to the start).
    later_page: bool,
}

/// `GET /newsroom/releases/{id}/history`.
#[handler]
pub async fn show(
    staff: Staff,
    store: Data<&Store>,
    Path(id): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Response {
    match history(&store, &staff, &id, query.after.as_deref()).await {
        Ok(response) => response,
        Err(err) => frame::internal_error(&err),
    }
}

async fn history(
    store: &Store,
    staff: &Staff,
    id: &str,
    after: Option<&str>,
) -> Result<Response, pressroom_storage::StorageError> {
    let Some(release) = load(store, staff, id).await? else {
        return Ok(frame::not_found());
    };
    // A cursor that is not one of this list is an address with nothing at it.
    let Ok(request) = PageRequest::new(None, after).map(|r| PageRequest {
        first: ENTRIES_PER_PAGE,
        ..r
    }) else {
        return Ok(frame::not_found());
    };
    let tz = store
        .departments_by_ids(std::slice::from_ref(&release.department_id))
        .await?
        .get(&release.department_id)
        .map_or_else(
            || time_format::zone(""),
            |d| time_format::zone(&d.time_zone),
        );
    let page: Page<AuditEntry> = store
        .secure_audit_entries(Some(&staff.viewer), Some(&release.id), &request)
        .await?;
    let hidden = page.items.is_empty() && after.is_none();
    let revisions = if hidden {
        Vec::new()
    } else {
        store.revisions(&staff.viewer, &release.id).await?
    };
    let entries: Vec<(AuditEntry, BTreeMap<String, Value>)> = page
        .items
        .iter()
        .map(|(_, e)| {
            (
                e.clone(),
                serde_json::from_str(&e.details).unwrap_or_default(),
            )
        })
        .collect();
    let people = store
        .people_by_ids(&named_people(&entries, &revisions))
        .await?;
    let rows = rows(&entries, &revisions, &people, tz);
    let next = page
        .has_next_page
        .then(|| page.items.last().map(|(cursor, _)| cursor.clone()))
        .flatten();
    Ok(frame::render(&HistoryPage {
        lang: "en",
        page_title: format!("History: {} – {SITE}", release.content.title()),
        frame: staff.frame.clone(),
        id: release.id.clone(),
        title: release.content.title().to_owned(),
        zone: time_format::zone_and_offset(tz, store.now()),
        entries: rows,
        hidden,
        next,
        later_page: page.has_previous_page,
    }))
}

/// Every person an entry or a revision names: offices, link recipients, voided approvals,
/// responsible ministers and speakers.
fn named_people(
    entries: &[(AuditEntry, BTreeMap<String, Value>)],
    revisions: &[RevisionRecord],
) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let mut add = |id: &str| {
        if !ids.iter().any(|known| known == id) {
            ids.push(id.to_owned());
        }
    };
    for (_, details) in entries {
        for key in ["office", "personId"] {
            if let Some(id) = details.get(key).and_then(Value::as_str) {
                add(id);
            }
        }
        if let Some(voided) = details.get("voidedApprovals").and_then(Value::as_array) {
            voided.iter().filter_map(Value::as_str).for_each(&mut add);
        }
    }
    for revision in revisions {
        revision
            .content
            .referenced_people()
            .into_iter()
            .for_each(&mut add);
    }
    ids
}

fn name_of(people: &HashMap<String, Person>, id: &str) -> String {
    people
        .get(id)
        .map_or_else(|| id.to_owned(), |p| p.name.clone())
}

fn text(details: &BTreeMap<String, Value>, key: &str) -> Option<String> {
    details
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
}

fn instant(details: &BTreeMap<String, Value>, key: &str) -> Option<DateTime<Utc>> {
    details
        .get(key)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|at| at.to_utc())
}

/// How late the scheduler published, in words: "on the embargo instant", "350 milliseconds
/// after the embargo instant", "2.5 seconds after…", "3 minutes 4 seconds after…".
pub fn lateness_in_words(late_ms: i64) -> String {
    match late_ms {
        ..=0 => "on the embargo instant".to_owned(),
        1..=999 => format!("{late_ms} milliseconds after the embargo instant"),
        1_000..=59_999 => {
            let tenths = late_ms / 100;
            format!(
                "{}.{} seconds after the embargo instant",
                tenths / 10,
                tenths % 10
            )
        }
        _ => {
            let seconds = late_ms / 1_000;
            format!(
                "{} minutes {} seconds after the embargo instant",
                seconds / 60,
                seconds % 60
            )
        }
    }
}

/// Which action an audit name is (release actions only).
fn action_named(name: &str) -> Option<Action> {
    [
        Action::Create,
        Action::Update,
        Action::SubmitForReview,
        Action::RequestChanges,
        Action::Approve,
        Action::Schedule,
        Action::CancelEmbargo,
        Action::PublishNow,
        Action::ImportPublication,
        Action::ScheduledPublish,
        Action::RefusePublication,
        Action::Correct,
        Action::Withdraw,
        Action::CreateSignoffLink,
        Action::RevokeSignoffLink,
    ]
    .into_iter()
    .find(|a| a.as_str() == name)
}

/// The entries in words, each revision's changes on the entry that made it.
fn rows(
    entries: &[(AuditEntry, BTreeMap<String, Value>)],
    revisions: &[RevisionRecord],
    people: &HashMap<String, Person>,
    tz: Tz,
) -> Vec<EntryRow> {
    let by_number: HashMap<i32, &RevisionRecord> =
        revisions.iter().map(|r| (r.revision, r)).collect();
    let name = |id: &str| name_of(people, id);
    let mut shown: HashSet<i32> = HashSet::new();
    entries
        .iter()
        .map(|(entry, details)| {
            let action = action_named(&entry.action);
            let revision = details
                .get("revision")
                .and_then(Value::as_i64)
                .and_then(|r| i32::try_from(r).ok())
                .or(entry.revision);
            // The entry that wrote a revision carries its number and its very instant.
            let made = revision
                .filter(|_| {
                    matches!(
                        action,
                        Some(Action::Create | Action::Update | Action::Correct)
                    )
                })
                .and_then(|n| by_number.get(&n))
                .filter(|r| r.at == entry.at)
                .filter(|r| shown.insert(r.revision));
            let changes = made.and_then(|r| {
                let previous = by_number.get(&(r.revision - 1))?;
                Some(RevisionChanges {
                    revision: r.revision,
                    fields: diff::changed_fields(&previous.content, &r.content, &name),
                })
            });
            let (sentence, details, instants) =
                in_words(entry, action, revision, made.is_some(), details, people, tz);
            let states = match (
                entry.from_state.as_deref().and_then(State::parse),
                entry.to_state.as_deref().and_then(State::parse),
            ) {
                (Some(from), Some(to)) if from != to => Some(format!(
                    "was {}, now {}",
                    state_in_words(from),
                    state_in_words(to)
                )),
                _ => None,
            };
            EntryRow {
                seq: entry.seq,
                sentence,
                when: When::new(entry.at, tz),
                states,
                details,
                instants,
                changes,
            }
        })
        .collect()
}

/// The sentence of one entry, its details and its instants.
fn in_words(
    entry: &AuditEntry,
    action: Option<Action>,
    revision: Option<i32>,
    made_revision: bool,
    details: &BTreeMap<String, Value>,
    people: &HashMap<String, Person>,
    tz: Tz,
) -> (String, Vec<Detail>, Vec<Instant>) {
    let actor = if entry.actor == "scheduler" {
        "The scheduler".to_owned()
    } else {
        entry.actor.clone()
    };
    let rev = revision.map_or_else(|| "the release".to_owned(), |n| format!("revision {n}"));
    let office = text(details, "office")
        .map(|id| format!(" for the office of {}", name_of(people, &id)))
        .unwrap_or_default();
    let by_link = if details.contains_key("signoffLinkId") {
        " through a sign-off link"
    } else {
        ""
    };
    let verb = match action {
        Some(Action::Create) => format!("created the release as {rev}"),
        Some(Action::Update) if made_revision => format!("saved changes as {rev}"),
        Some(Action::Update) => format!("saved the release without changing the text ({rev})"),
        Some(Action::SubmitForReview) => format!("sent {rev} for review"),
        Some(Action::RequestChanges) => format!("asked for changes to {rev}{by_link}"),
        Some(Action::Approve) => format!("approved {rev}{office}{by_link}"),
        Some(Action::Schedule) => format!("scheduled {rev} to be published at the embargo instant"),
        Some(Action::CancelEmbargo) => "cancelled the embargo".to_owned(),
        Some(Action::PublishNow) => format!("published {rev} at once"),
        Some(Action::ImportPublication) => format!("imported an earlier publication of {rev}"),
        Some(Action::ScheduledPublish) => format!("published {rev} at the embargo instant"),
        Some(Action::RefusePublication) => format!(
            "refused to publish {rev}: the approvals on record do not cover it, so it went back to review"
        ),
        Some(Action::Correct) => format!("corrected the published release as {rev}"),
        Some(Action::Withdraw) => "withdrew the release".to_owned(),
        Some(Action::CreateSignoffLink) => format!(
            "asked {} to sign off {rev} for the office of {} by link",
            text(details, "signer").unwrap_or_else(|| "someone".to_owned()),
            text(details, "personId")
                .map_or_else(|| "a minister".to_owned(), |id| name_of(people, &id))
        ),
        Some(Action::RevokeSignoffLink) => "revoked a sign-off link".to_owned(),
        None => format!("recorded “{}”", entry.action),
    };
    let mut words = Vec::new();
    for (key, label) in [
        ("comment", "Comment"),
        ("reason", "Reason"),
        ("note", "Correction note"),
    ] {
        if let Some(value) = text(details, key) {
            let label = match (key, action) {
                ("reason", Some(Action::Withdraw)) => "Public reason",
                _ => label,
            };
            words.push(Detail { label, text: value });
        }
    }
    if let Some(late) = details.get("lateMs").and_then(Value::as_i64) {
        words.push(Detail {
            label: "Lateness",
            text: lateness_in_words(late),
        });
    }
    if let Some(voided) = details.get("voidedApprovals").and_then(Value::as_array) {
        let names: Vec<String> = voided
            .iter()
            .filter_map(Value::as_str)
            .map(|id| name_of(people, id))
            .collect();
        if !names.is_empty() {
            words.push(Detail {
                label: "Approvals no longer valid",
                text: names.join(", "),
            });
        }
    }
    let mut instants = Vec::new();
    for (key, label) in [
        ("embargoUntil", "Embargo until"),
        ("previousEmbargoUntil", "Previous embargo"),
        ("clearedEmbargoUntil", "Embargo cleared"),
        ("publishedAt", "Published at"),
        ("expiresAt", "Link valid until"),
    ] {
        if let Some(at) = instant(details, key) {
            let label = match (key, action) {
                ("embargoUntil", Some(Action::CancelEmbargo)) => "Cancelled embargo",
                _ => label,
            };
            instants.push(Instant {
                label,
                when: When::new(at, tz),
            });
        }
    }
    (format!("{actor} {verb}"), words, instants)
}
