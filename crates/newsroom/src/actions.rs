//! The forms of the release page: each posts one lifecycle command with the version the page
//! was loaded at, through `Store::act` (the same call as the GraphQL mutations), and redirects
//! back to the release (post/redirect/get). A refusal re-renders the release page with the
//! refusal in words; a stale version says someone else changed the release and shows it as it
//! is now. Publishing now, cancelling an embargo and withdrawing ask for confirmation first.

use std::sync::Arc;

use askama::Template;
use chrono::{LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Form, Path};
use poem::{Request, Response, handler};
use pressroom_domain::lifecycle::Command;
use pressroom_domain::signoff::LinkRequest;
use pressroom_storage::releases::StoredRelease;
use pressroom_storage::{StorageError, Store};
use pressroom_web::time_format;
use serde::Deserialize;

use crate::NewsroomConfig;
use crate::frame::{self, Frame, SITE, Staff};
use crate::release::{load, overview, refusal_in_words};

/// The fields every action form carries.
#[derive(Debug, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    expected_version: Option<i32>,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    person_id: String,
    #[serde(default)]
    signer: String,
    #[serde(default)]
    hours: String,
}

async fn loaded(store: &Store, staff: &Staff, id: &str) -> Result<StoredRelease, Response> {
    match load(store, staff, id).await {
        Ok(Some(release)) => Ok(release),
        Ok(None) => Err(frame::not_found()),
        Err(err) => Err(frame::internal_error(&err)),
    }
}

/// The release page again, with `notice` at the top and `status`.
async fn refused(
    store: &Store,
    staff: &Staff,
    id: &str,
    status: StatusCode,
    notice: String,
) -> Response {
    let release = match loaded(store, staff, id).await {
        Ok(release) => release,
        Err(response) => return response,
    };
    match overview(store, staff, &release, None, Some(notice)).await {
        Ok(mut response) => {
            response.set_status(status);
            response
        }
        Err(err) => frame::internal_error(&err),
    }
}

async fn outcome(
    store: &Store,
    staff: &Staff,
    id: &str,
    result: Result<StoredRelease, StorageError>,
) -> Response {
    match result {
        Ok(release) => frame::see_other(&format!("/releases/{}", release.id)),
        Err(StorageError::Rule(err)) => {
            refused(store, staff, id, StatusCode::UNPROCESSABLE_ENTITY, refusal_in_words(&err)).await
        }
        Err(StorageError::VersionConflict { .. }) => {
            refused(
                store,
                staff,
                id,
                StatusCode::CONFLICT,
                "Someone else changed this release after you opened the page, so nothing was done. This is how it stands now: check it and try again.".to_owned(),
            )
            .await
        }
        Err(StorageError::NotFound) => frame::not_found(),
        Err(err) => frame::internal_error(&err),
    }
}

async fn act(
    store: &Store,
    staff: &Staff,
    id: &str,
    form: &ActionForm,
    command: Command,
) -> Response {
    let release = match loaded(store, staff, id).await {
        Ok(release) => release,
        Err(response) => return response,
    };
    let expected = form.expected_version.unwrap_or(release.version);
    let result = store.act(&staff.viewer, id, expected, command, None).await;
    outcome(store, staff, id, result).await
}

/// The commands the release page posts with nothing but the version and a comment or reason,
/// by the last segment of their path (`/newsroom/releases/{id}/{action}`).
fn command_for(action: &str, form: &ActionForm) -> Option<Command> {
    let text = crate::form::from_textarea;
    Some(match action {
        "submit" => Command::SubmitForReview,
        "approve" => Command::Approve,
        "request-changes" => Command::RequestChanges(text(&form.comment)),
        "publish" => Command::PublishNow,
        "cancel-embargo" => Command::CancelEmbargo(text(&form.reason)),
        "withdraw" => Command::Withdraw(text(&form.reason)),
        _ => return None,
    })
}

/// `POST /newsroom/releases/{id}/submit`, `/approve`, `/request-changes`, `/publish`,
/// `/cancel-embargo` and `/withdraw`: one lifecycle command each, through [`act`].
#[handler]
pub async fn lifecycle_command(
    req: &Request,
    staff: Staff,
    store: Data<&Store>,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let action = req.uri().path().rsplit('/').next().unwrap_or_default();
    match command_for(action, &form) {
        Some(command) => act(&store, &staff, &id, &form, command).await,
        None => frame::not_found(),
    }
}

/// Why a date and time in a zone do not name one instant.
fn local_instant(
    date: &str,
    time: &str,
    tz: chrono_tz::Tz,
) -> Result<chrono::DateTime<Utc>, String> {
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
        .map_err(|_| "Enter the date as year-month-day, for example 2026-06-09.".to_owned())?;
    let time = NaiveTime::parse_from_str(time.trim(), "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(time.trim(), "%H:%M"))
        .map_err(|_| "Enter the time as hours and minutes, for example 09:00.".to_owned())?;
    match tz.from_local_datetime(&NaiveDateTime::new(date, time)) {
        LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(..) => Err(format!(
            "{time} happens twice on {date} in {}, as the clocks go back. Pick a time outside the repeated hour.",
            tz.name()
        )),
        LocalResult::None => Err(format!(
            "{time} does not exist on {date} in {}, as the clocks go forward. Pick a time outside the skipped hour.",
            tz.name()
        )),
    }
}

/// `POST /newsroom/releases/{id}/schedule`: date and time in the department's time zone.
#[handler]
pub async fn schedule(
    staff: Staff,
    store: Data<&Store>,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let release = match loaded(&store, &staff, &id).await {
        Ok(release) => release,
        Err(response) => return response,
    };
    let zone = match department_zone(&store, &release).await {
        Ok(zone) => zone,
        Err(err) => return frame::internal_error(&err),
    };
    match local_instant(&form.date, &form.time, zone) {
        Ok(at) => act(&store, &staff, &id, &form, Command::Schedule(at)).await,
        Err(words) => refused(&store, &staff, &id, StatusCode::UNPROCESSABLE_ENTITY, words).await,
    }
}

/// `POST /newsroom/releases/{id}/review-deadline`: sets the review deadline (date and time in
/// the department's zone), or removes it when both are empty.
#[handler]
pub async fn review_deadline(
    staff: Staff,
    store: Data<&Store>,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let release = match loaded(&store, &staff, &id).await {
        Ok(release) => release,
        Err(response) => return response,
    };
    let deadline = if form.date.trim().is_empty() && form.time.trim().is_empty() {
        None
    } else {
        let zone = match department_zone(&store, &release).await {
            Ok(zone) => zone,
            Err(err) => return frame::internal_error(&err),
        };
        match local_instant(&form.date, &form.time, zone) {
            Ok(at) => Some(at),
            Err(words) => {
                return refused(&store, &staff, &id, StatusCode::UNPROCESSABLE_ENTITY, words).await;
            }
        }
    };
    let expected = form.expected_version.unwrap_or(release.version);
    match store
        .set_review_deadline(&staff.viewer, &id, expected, deadline)
        .await
    {
        Ok(_) => frame::see_other(&format!("/releases/{id}")),
        Err(StorageError::Rule(err)) => {
            refused(&store, &staff, &id, StatusCode::UNPROCESSABLE_ENTITY, refusal_in_words(&err)).await
        }
        Err(StorageError::VersionConflict { .. }) => {
            refused(&store, &staff, &id, StatusCode::CONFLICT, "Someone else changed this release after you opened the page, so the deadline was not set. Check it and try again.".into()).await
        }
        Err(StorageError::NotFound) => frame::not_found(),
        Err(err) => frame::internal_error(&err),
    }
}

/// The time zone of `release`'s department.
async fn department_zone(
    store: &Store,
    release: &StoredRelease,
) -> Result<chrono_tz::Tz, StorageError> {
    Ok(store
        .departments_by_ids(std::slice::from_ref(&release.department_id))
        .await?
        .get(&release.department_id)
        .map_or_else(
            || time_format::zone(""),
            |d| time_format::zone(&d.time_zone),
        ))
}

/// `POST /newsroom/releases/{id}/signoff-links`: creates a link and shows it once.
#[handler]
pub async fn create_link(
    staff: Staff,
    store: Data<&Store>,
    config: Data<&Arc<NewsroomConfig>>,
    Path(id): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    let release = match loaded(&store, &staff, &id).await {
        Ok(release) => release,
        Err(response) => return response,
    };
    let hours = match form.hours.trim() {
        "" => pressroom_domain::signoff::DEFAULT_EXPIRES_IN_HOURS,
        text => match text.parse::<i64>() {
            Ok(hours) => hours,
            Err(_) => {
                return refused(
                    &store,
                    &staff,
                    &id,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Enter how many hours the link is valid as a whole number.".into(),
                )
                .await;
            }
        },
    };
    let person = pressroom_domain::PersonId::new(form.person_id.as_str());
    let request = LinkRequest {
        person_id: &person,
        signer: form.signer.trim(),
        expires_in_hours: hours,
    };
    let expected = form.expected_version.unwrap_or(release.version);
    match store
        .create_signoff_link(&staff.viewer, &id, expected, &request, config.signoff_max_hours)
        .await
    {
        Ok(created) => {
            // Post/redirect/get: the page after the redirect shows the link once, from a cookie
            // that lives a minute, so reloading that page cannot make a second link.
            let mut response = frame::see_other(&format!("/releases/{id}#created-link"));
            let cookie = crate::gate::set_short_cookie(
                crate::release::NEW_LINK_COOKIE,
                &created.token,
                config.secure_cookies,
                60,
            );
            if let Ok(value) = poem::http::HeaderValue::from_str(&cookie) {
                response
                    .headers_mut()
                    .append(poem::http::header::SET_COOKIE, value);
            }
            response
        }
        Err(StorageError::Rule(err)) => {
            refused(&store, &staff, &id, StatusCode::UNPROCESSABLE_ENTITY, refusal_in_words(&err)).await
        }
        Err(StorageError::VersionConflict { .. }) => {
            refused(&store, &staff, &id, StatusCode::CONFLICT, "Someone else changed this release after you opened the page, so no link was made. Check it and try again.".into()).await
        }
        Err(StorageError::NotFound) => frame::not_found(),
        Err(err) => frame::internal_error(&err),
    }
}

/// `POST /newsroom/releases/{id}/signoff-links/{link}/revoke`.
#[handler]
pub async fn revoke_link(
    staff: Staff,
    store: Data<&Store>,
    Path((id, link)): Path<(String, String)>,
) -> Response {
    if let Err(response) = loaded(&store, &staff, &id).await {
        return response;
    }
    match store.revoke_signoff_link(&staff.viewer, &link).await {
        Ok(_) => frame::see_other(&format!("/releases/{id}")),
        Err(StorageError::Rule(err)) => {
            refused(
                &store,
                &staff,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                refusal_in_words(&err),
            )
            .await
        }
        Err(StorageError::NotFound) => frame::not_found(),
        Err(err) => frame::internal_error(&err),
    }
}

#[derive(Template)]
#[template(path = "newsroom/confirm.html")]
struct ConfirmPage {
    lang: &'static str,
    page_title: String,
    frame: Frame,
    id: String,
    title: String,
    heading: &'static str,
    text: String,
    action: &'static str,
    button: &'static str,
    reason_label: Option<&'static str>,
    version: i32,
}

/// What a confirmation page asks.
struct Confirmation {
    heading: &'static str,
    text: &'static str,
    action: &'static str,
    button: &'static str,
    reason_label: Option<&'static str>,
}

async fn confirm(staff: Staff, store: &Store, id: &str, asked: Confirmation) -> Response {
    let release = match loaded(store, &staff, id).await {
        Ok(release) => release,
        Err(response) => return response,
    };
    frame::render(&ConfirmPage {
        lang: "en",
        page_title: format!("{} – {SITE}", asked.heading),
        frame: staff.frame.clone(),
        id: release.id.clone(),
        title: release.content.title().to_owned(),
        heading: asked.heading,
        text: asked.text.to_owned(),
        action: asked.action,
        button: asked.button,
        reason_label: asked.reason_label,
        version: release.version,
    })
}

/// `GET /newsroom/releases/{id}/publish`: the confirmation page.
#[handler]
pub async fn confirm_publish(
    staff: Staff,
    store: Data<&Store>,
    Path(id): Path<String>,
) -> Response {
    let asked = Confirmation {
        heading: "Publish now?",
        text: "The release goes public at once: on its page, in the feeds, the API and to webhooks. Its publication time is now. This cannot be undone; a published release can only be corrected or withdrawn.",
        action: "publish",
        button: "Publish now",
        reason_label: None,
    };
    confirm(staff, &store, &id, asked).await
}

/// `GET /newsroom/releases/{id}/cancel-embargo`: the confirmation page.
#[handler]
pub async fn confirm_cancel(staff: Staff, store: Data<&Store>, Path(id): Path<String>) -> Response {
    let asked = Confirmation {
        heading: "Cancel the embargo?",
        text: "The release stays approved but will not be published at the embargo time. The reason goes into the audit log.",
        action: "cancel-embargo",
        button: "Cancel the embargo",
        reason_label: Some("Reason"),
    };
    confirm(staff, &store, &id, asked).await
}

/// `GET /newsroom/releases/{id}/withdraw`: the confirmation page.
#[handler]
pub async fn confirm_withdraw(
    staff: Staff,
    store: Data<&Store>,
    Path(id): Path<String>,
) -> Response {
    let asked = Confirmation {
        heading: "Withdraw this release?",
        text: "The release leaves listings and feeds. Its page stays, with a withdrawal notice and the reason you give here, which is public.",
        action: "withdraw",
        button: "Withdraw the release",
        reason_label: Some("Public reason"),
    };
    confirm(staff, &store, &id, asked).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_time_becomes_its_utc_instant_across_daylight_saving() {
        let tz = time_format::zone("Europe/Stockholm");
        let summer = local_instant("2026-06-09", "09:00", tz).expect("a summer time");
        assert_eq!(summer.to_rfc3339(), "2026-06-09T07:00:00+00:00");
        let winter = local_instant("2026-12-09", "09:00:30", tz).expect("a winter time");
        assert_eq!(winter.to_rfc3339(), "2026-12-09T08:00:30+00:00");
    }

    #[test]
    fn a_skipped_or_repeated_hour_is_refused_in_words() {
        let tz = time_format::zone("Europe/Stockholm");
        let skipped = local_instant("2026-03-29", "02:30", tz).expect_err("02:30 does not exist");
        assert!(skipped.contains("clocks go forward"), "{skipped}");
        let repeated = local_instant("2026-10-25", "02:30", tz).expect_err("02:30 happens twice");
        assert!(repeated.contains("clocks go back"), "{repeated}");
        assert!(local_instant("9 juni", "09:00", tz).is_err());
        assert!(local_instant("2026-06-09", "nine", tz).is_err());
    }
}
