//! Who sees what (docs/rules.md#visibility), and how an embargoed release reads once its instant
//! has passed (docs/rules.md#embargo).
//!
//! [`visible_to`] is the rule; storage expresses the very same rule as a SQL condition so that
//! it is applied inside every query, and a test in storage checks that the two agree.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{DepartmentId, PersonId, UserName};
use crate::lifecycle::State;

/// Roles of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Writes releases of their department.
    Drafter,
    /// A drafter who may also publish, cancel embargoes, correct and withdraw.
    Editor,
    /// The office of one person (a minister): reviews releases needing that person's approval.
    MinisterOffice,
    /// An API client reading public releases (embargoed ones too when accredited).
    Integrator,
    /// Manages departments, people, tokens and webhooks; sees everything.
    Admin,
}

impl Role {
    /// Every role, in contract order.
    pub const ALL: [Role; 5] = [
        Self::Drafter,
        Self::Editor,
        Self::MinisterOffice,
        Self::Integrator,
        Self::Admin,
    ];

    /// Stored and contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Drafter => "DRAFTER",
            Self::Editor => "EDITOR",
            Self::MinisterOffice => "MINISTER_OFFICE",
            Self::Integrator => "INTEGRATOR",
            Self::Admin => "ADMIN",
        }
    }

    /// Parses a role name, case-insensitively (`minister_office`, `Minister-Office`).
    pub fn parse(s: &str) -> Option<Self> {
        let normalized = s.trim().to_ascii_uppercase().replace('-', "_");
        Self::ALL.into_iter().find(|r| r.as_str() == normalized)
    }

    /// Whether the role writes releases of its department.
    pub fn is_staff(self) -> bool {
        matches!(self, Self::Drafter | Self::Editor)
    }
}

/// An authenticated caller. Anonymous callers are `None` wherever a viewer is optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// User name (several tokens may share it: four eyes is about this name).
    pub user_name: UserName,
    /// Role of the token.
    pub role: Role,
    /// Department of a drafter or editor.
    pub department_id: Option<DepartmentId>,
    /// Person whose office a minister-office token speaks for (the office's id).
    pub person_id: Option<PersonId>,
    /// Whether an integrator is accredited to read embargoed releases.
    pub embargo_access: bool,
}

/// What the visibility rule needs to know about a release.
#[derive(Debug, Clone, Copy)]
pub struct VisibilityFacts<'a> {
    /// Stored state.
    pub state: State,
    /// Department.
    pub department_id: &'a str,
    /// Embargo instant, when embargoed.
    pub embargo_until: Option<DateTime<Utc>>,
    /// Offices whose approval the release needs or had (every person ever required).
    pub offices: &'a [PersonId],
}

/// Whether the release is embargoed and its instant has come at `now` (docs/rules.md#embargo):
/// from then on it reads as published, and the scheduler publishes it. This is the one home of
/// "due"; its SQL twin is `embargo_due_condition` in storage, and `crates/storage/tests/visibility.rs`
/// checks that the two agree.
pub fn embargo_due(state: State, embargo_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    state == State::Embargoed && embargo_until.is_some_and(|until| until <= now)
}

/// The state a release reads as at `now`: an embargoed release whose instant has passed reads as published.
pub fn effective_state(
    state: State,
    embargo_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> State {
    if embargo_due(state, embargo_until, now) {
        State::Published
    } else {
        state
    }
}

/// When a release reads as published at `now`: the stored time, or the embargo instant once it has passed.
pub fn effective_published_at(
    state: State,
    published_at: Option<DateTime<Utc>>,
    embargo_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match effective_state(state, embargo_until, now) {
        State::Published | State::Withdrawn => published_at.or(embargo_until),
        _ => None,
    }
}

/// Whether the public (anonymous callers, integrators) sees the release at `now`.
pub fn publicly_visible(
    state: State,
    embargo_until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    matches!(
        effective_state(state, embargo_until, now),
        State::Published | State::Withdrawn
    )
}

/// The visibility rule (docs/rules.md#visibility): whether `viewer` (None = anonymous) may see
/// the release at `now`.
pub fn visible_to(
    viewer: Option<&Viewer>,
    facts: &VisibilityFacts<'_>,
    now: DateTime<Utc>,
) -> bool {
    publicly_visible(facts.state, facts.embargo_until, now)
        || viewer.is_some_and(|v| sees_beyond_public(v, facts))
}

/// Whether `viewer` sees the release by its role rather than because it is public (the part of
/// [`visible_to`] beyond [`publicly_visible`]).
pub fn sees_beyond_public(viewer: &Viewer, facts: &VisibilityFacts<'_>) -> bool {
    match viewer.role {
        Role::Admin => true,
        Role::Drafter | Role::Editor => viewer
            .department_id
            .as_ref()
            .is_some_and(|d| d == facts.department_id),
        Role::MinisterOffice => {
            facts.state.is_in_review_or_later()
                && viewer
                    .person_id
                    .as_ref()
                    .is_some_and(|p| facts.offices.contains(p))
        }
        Role::Integrator => viewer.embargo_access && facts.state == State::Embargoed,
    }
}

/// Whether `viewer` may see the internal detail of a release it holds: the reviewers' names and
/// comments, and the audit trail (docs/rules.md#visibility). Those who see the release by role
/// ([`sees_beyond_public`]) may, with two differences:
///
/// - an accredited integrator never does: its embargo access is to the text, not to who
///   reviewed it;
/// - an office that reviews or reviewed the release (one of `facts.offices`) keeps seeing the
///   standing it took part in in every state, also when its request for changes sent the release
///   back to `DRAFT` (the writer gets the release back from its own write).
///
/// Its SQL twin is `internal_detail_condition` in storage; `crates/storage/tests/visibility.rs`
/// checks that the two agree.
pub fn sees_internal_detail(viewer: &Viewer, facts: &VisibilityFacts<'_>) -> bool {
    match viewer.role {
        Role::Integrator => false,
        Role::MinisterOffice => viewer
            .person_id
            .as_ref()
            .is_some_and(|p| facts.offices.contains(p)),
        Role::Admin | Role::Drafter | Role::Editor => sees_beyond_public(viewer, facts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().expect("valid instant")
    }

    fn viewer(role: Role) -> Viewer {
        Viewer {
            user_name: "u".into(),
            role,
            department_id: Some("d1".into()),
            person_id: Some("p1".into()),
            embargo_access: false,
        }
    }

    #[test]
    fn an_embargoed_release_reads_as_published_from_its_instant_on() {
        assert_eq!(
            effective_state(State::Embargoed, Some(at(100)), at(99)),
            State::Embargoed
        );
        assert_eq!(
            effective_state(State::Embargoed, Some(at(100)), at(100)),
            State::Published
        );
        assert_eq!(
            effective_published_at(State::Embargoed, None, Some(at(100)), at(101)),
            Some(at(100))
        );
    }

    #[test]
    fn the_public_never_sees_an_embargoed_release_before_its_instant() {
        let offices: Vec<PersonId> = vec![];
        let facts = VisibilityFacts {
            state: State::Embargoed,
            department_id: "d1",
            embargo_until: Some(at(100)),
            offices: &offices,
        };
        assert!(!visible_to(None, &facts, at(99)));
        assert!(!visible_to(Some(&viewer(Role::Integrator)), &facts, at(99)));
        let accredited = Viewer {
            embargo_access: true,
            ..viewer(Role::Integrator)
        };
        assert!(visible_to(Some(&accredited), &facts, at(99)));
        assert!(visible_to(None, &facts, at(100)));
    }

    #[test]
    fn staff_see_only_their_own_departments_drafts() {
        let offices: Vec<PersonId> = vec![];
        let facts = VisibilityFacts {
            state: State::Draft,
            department_id: "d1",
            embargo_until: None,
            offices: &offices,
        };
        assert!(visible_to(Some(&viewer(Role::Drafter)), &facts, at(0)));
        let other = Viewer {
            department_id: Some("d2".into()),
            ..viewer(Role::Editor)
        };
        assert!(!visible_to(Some(&other), &facts, at(0)));
        assert!(visible_to(Some(&viewer(Role::Admin)), &facts, at(0)));
    }

    #[test]
    fn an_office_sees_releases_in_review_that_need_its_approval_but_not_drafts() {
        let offices = vec![PersonId::new("p1")];
        let mut facts = VisibilityFacts {
            state: State::InReview,
            department_id: "d9",
            embargo_until: None,
            offices: &offices,
        };
        assert!(visible_to(
            Some(&viewer(Role::MinisterOffice)),
            &facts,
            at(0)
        ));
        facts.state = State::Draft;
        assert!(!visible_to(
            Some(&viewer(Role::MinisterOffice)),
            &facts,
            at(0)
        ));
        let none: Vec<PersonId> = vec![];
        let facts = VisibilityFacts {
            state: State::InReview,
            department_id: "d9",
            embargo_until: None,
            offices: &none,
        };
        assert!(!visible_to(
            Some(&viewer(Role::MinisterOffice)),
            &facts,
            at(0)
        ));
    }

    #[test]
    fn an_accredited_integrator_sees_an_embargoed_text_but_not_who_reviewed_it() {
        let offices = vec![PersonId::new("p1")];
        let facts = VisibilityFacts {
            state: State::Embargoed,
            department_id: "d1",
            embargo_until: Some(at(100)),
            offices: &offices,
        };
        let accredited = Viewer {
            embargo_access: true,
            ..viewer(Role::Integrator)
        };
        assert!(visible_to(Some(&accredited), &facts, at(99)));
        assert!(!sees_internal_detail(&accredited, &facts));
        assert!(sees_internal_detail(&viewer(Role::Editor), &facts));
    }

    #[test]
    fn a_reviewing_office_keeps_the_internal_detail_of_a_release_sent_back_to_draft() {
        let offices = vec![PersonId::new("p1")];
        let facts = VisibilityFacts {
            state: State::Draft,
            department_id: "d9",
            embargo_until: None,
            offices: &offices,
        };
        let office = viewer(Role::MinisterOffice);
        assert!(!visible_to(Some(&office), &facts, at(0)));
        assert!(sees_internal_detail(&office, &facts));
        let other = Viewer {
            person_id: Some("p2".into()),
            ..viewer(Role::MinisterOffice)
        };
        assert!(!sees_internal_detail(&other, &facts));
    }

    #[test]
    fn role_names_are_case_insensitive() {
        assert_eq!(Role::parse("minister_office"), Some(Role::MinisterOffice));
        assert_eq!(Role::parse("Admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }
}
