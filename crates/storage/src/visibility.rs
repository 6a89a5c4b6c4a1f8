//! The visibility rule of `pressroom_domain::visibility::visible_to`, as a SQL condition on
//! `releases`. Every read of releases adds this condition to its query (`secure_` functions in
//! [`crate::releases`]), so a row the caller may not see never leaves the database.
//! Beside it, the SQL twins of the embargo's "due" (`embargo_due_condition`) and of who sees a
//! release's internal detail (`internal_detail_condition`).
//! `tests/visibility.rs` checks that each condition and its domain predicate agree.

use chrono::{DateTime, Utc};
use pressroom_domain::lifecycle::State;
use pressroom_domain::visibility::{Role, Viewer};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition};

use crate::clock::micros;
use crate::entity::{release_offices, releases};

/// Releases the public sees at `now`: published, withdrawn, or embargoed with the instant passed.
pub fn public_condition(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(releases::Column::State.is_in([State::Published.as_str(), State::Withdrawn.as_str()]))
        .add(embargo_due_condition(now))
}

/// Embargoed releases whose instant has come at `now`: they read as published, and the scheduler
/// publishes them. The SQL twin of `pressroom_domain::visibility::embargo_due`.
pub fn embargo_due_condition(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(releases::Column::State.eq(State::Embargoed.as_str()))
        .add(releases::Column::EmbargoUntil.lte(micros(now)))
}

/// Releases whose (read-time) state is `state` at `now`: the effective-state filter.
pub fn effective_state_condition(state: State, now: DateTime<Utc>) -> Condition {
    match state {
        State::Published => Condition::any()
            .add(releases::Column::State.eq(State::Published.as_str()))
            .add(embargo_due_condition(now)),
        State::Embargoed => Condition::all()
            .add(releases::Column::State.eq(State::Embargoed.as_str()))
            .add(releases::Column::EmbargoUntil.gt(micros(now))),
        other => Condition::all().add(releases::Column::State.eq(other.as_str())),
    }
}

/// Releases needing or having had the approval of `person_id`'s office.
fn reviewed_by(person_id: &str) -> Condition {
    Condition::all().add(
        releases::Column::Id.in_subquery(
            Query::select()
                .column(release_offices::Column::ReleaseId)
                .from(release_offices::Entity)
                .and_where(release_offices::Column::PersonId.eq(person_id))
                .to_owned(),
        ),
    )
}

/// Releases the viewer sees beyond what the public sees (`None`: nothing more).
pub fn privileged_condition(viewer: &Viewer) -> Option<Condition> {
    match viewer.role {
        Role::Admin => Some(Condition::all().add(Expr::value(true))),
        Role::Drafter | Role::Editor => viewer.department_id.as_ref().map(|department| {
            Condition::all().add(releases::Column::DepartmentId.eq(department.as_str()))
        }),
        Role::MinisterOffice => viewer.person_id.as_ref().map(|person| {
            Condition::all()
                .add(releases::Column::State.ne(State::Draft.as_str()))
                .add(reviewed_by(person.as_str()))
        }),
        Role::Integrator => viewer
            .embargo_access
            .then(|| Condition::all().add(releases::Column::State.eq(State::Embargoed.as_str()))),
    }
}

/// Releases whose internal detail (reviewers' names and comments, the audit trail) `viewer` may
/// see (`None`: none): the SQL twin of `pressroom_domain::visibility::sees_internal_detail`.
pub fn internal_detail_condition(viewer: &Viewer) -> Option<Condition> {
    match viewer.role {
        Role::Integrator => None,
        Role::MinisterOffice => viewer
            .person_id
            .as_ref()
            .map(|person| reviewed_by(person.as_str())),
        Role::Admin | Role::Drafter | Role::Editor => privileged_condition(viewer),
    }
}

/// The visibility rule: releases `viewer` (None = anonymous) may see at `now`.
pub fn visible_condition(viewer: Option<&Viewer>, now: DateTime<Utc>) -> Condition {
    let public = public_condition(now);
    match viewer.and_then(privileged_condition) {
        Some(more) => Condition::any().add(public).add(more),
        None => public,
    }
}
