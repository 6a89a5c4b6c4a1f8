//! Sign-off by link: the office of a person without an account answers from a link.
//!
//! A drafter or editor asks a named signer to approve (or send back) exactly one revision on
//! behalf of one person's office. The link is a capability: whoever holds its token may answer,
//! once, while the link lives. An answer is that office's `approveRelease` or `requestChanges`
//! through [`Release::apply`], by the user name `signer` (so four eyes applies to it), on the
//! revision and content hash the link was made for, and its audit entry names the link.
//!
//! A link is dead once it is answered, revoked, expired, or outdated: the release has a newer
//! revision than the link's, or it left `IN_REVIEW` after the link was made (its `closed_at`),
//! or it is not in review now. Dead links show nothing of the release and change nothing.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::approval::{self, Verdict};
use crate::directory::check_user_name;
use crate::error::DomainError;
use crate::ids::{PersonId, UserName};
use crate::lifecycle::{Action, Command, Release, State, Transition};
use crate::visibility::{Role, Viewer};

/// How long a link lives when the asker does not say.
pub const DEFAULT_EXPIRES_IN_HOURS: i64 = 72;

/// The longest life a link may be given, unless a setting says otherwise (30 days).
pub const DEFAULT_MAX_EXPIRES_IN_HOURS: i64 = 720;

/// A sign-off link as stored (never its token: only the token's hash is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignoffLink {
    /// Id.
    pub id: String,
    /// The release it asks about.
    pub release_id: String,
    /// The person whose office signs.
    pub person_id: PersonId,
    /// The user name the answer is recorded under.
    pub signer: UserName,
    /// The revision it was made for.
    pub revision: i32,
    /// That revision's content hash.
    pub content_hash: String,
    /// Who asked.
    pub created_by: UserName,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// When it was answered, if it was.
    pub answered_at: Option<DateTime<Utc>>,
    /// The answer, once answered.
    pub answer: Option<Verdict>,
    /// The comment sent with a request for changes.
    pub comment: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When the release left `IN_REVIEW` while the link was open, if it did.
    pub closed_at: Option<DateTime<Utc>>,
}

/// Where a link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkStatus {
    /// Open: it can be answered.
    Waiting,
    /// It was answered (dead).
    Answered,
    /// Its time ran out (dead).
    Expired,
    /// It was revoked (dead).
    Revoked,
    /// The release moved on: a newer revision, or it left review (dead).
    Outdated,
}

impl LinkStatus {
    /// The contract-style name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "WAITING",
            Self::Answered => "ANSWERED",
            Self::Expired => "EXPIRED",
            Self::Revoked => "REVOKED",
            Self::Outdated => "OUTDATED",
        }
    }
}

/// An answer sent from a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignoffAnswer {
    /// The office approves the revision.
    Approve,
    /// The office sends the release back, with a comment.
    RequestChanges(String),
}

/// Why an answer was not recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignoffRefusal {
    /// The link is dead; nothing of the release may be shown.
    #[error("the link is no longer valid ({})", .0.as_str())]
    Dead(LinkStatus),
    /// The lifecycle rules refused the answer (four eyes, a missing comment…).
    #[error(transparent)]
    Refused(#[from] DomainError),
}

impl SignoffLink {
    /// Where the link stands at `now`, given the release's stored state and current revision.
    /// Answered and revoked come first (they are final); then a release that moved on; then time.
    pub fn status(
        &self,
        release_state: State,
        release_revision: i32,
        now: DateTime<Utc>,
    ) -> LinkStatus {
        if self.answered_at.is_some() {
            LinkStatus::Answered
        } else if self.revoked_at.is_some() {
            LinkStatus::Revoked
        } else if self.closed_at.is_some()
            || release_state != State::InReview
            || release_revision != self.revision
        {
            LinkStatus::Outdated
        } else if now >= self.expires_at {
            LinkStatus::Expired
        } else {
            LinkStatus::Waiting
        }
    }

    /// The identity an answer acts as: the person's office, under the signer's name.
    pub fn signer_viewer(&self) -> Viewer {
        Viewer {
            user_name: self.signer.clone(),
            role: Role::MinisterOffice,
            department_id: None,
            person_id: Some(self.person_id.clone()),
            embargo_access: false,
        }
    }

    /// The transitions that record `answer` on `release` at `now`: the office's `approveRelease`
    /// or `requestChanges` by the signer, with `signoffLinkId` in the audit details. Refused when
    /// the link is dead or was made for other content than the release's current content, and
    /// whenever the lifecycle rules refuse the same action by that office.
    pub fn answer(
        &self,
        release: &Release,
        answer: SignoffAnswer,
        now: DateTime<Utc>,
    ) -> Result<Vec<Transition>, SignoffRefusal> {
        let status = self.status(release.state, release.revision, now);
        if status != LinkStatus::Waiting {
            return Err(SignoffRefusal::Dead(status));
        }
        if release.id != self.release_id || release.content_hash != self.content_hash {
            return Err(SignoffRefusal::Dead(LinkStatus::Outdated));
        }
        let command = match answer {
            SignoffAnswer::Approve => Command::Approve,
            SignoffAnswer::RequestChanges(comment) => Command::RequestChanges(comment),
        };
        let mut transitions = release.apply(&self.signer_viewer(), command, now)?;
        for transition in &mut transitions {
            transition
                .details
                .insert("signoffLinkId".into(), json!(self.id));
        }
        Ok(transitions)
    }
}

/// What a new link asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRequest<'a> {
    /// The person whose office signs.
    pub person_id: &'a PersonId,
    /// The user name the answer will be recorded under.
    pub signer: &'a str,
    /// Hours until it expires.
    pub expires_in_hours: i64,
}

/// Checks that `actor` may ask for sign-off by link on `release` as `request` says, and returns
/// when the link expires. Refusals: a role other than drafter or editor of the release's
/// department `FORBIDDEN`; a release not in review `INVALID_TRANSITION`; a person whose office
/// is not required for the current revision or has already approved it, a bad signer name or
/// a life outside 1 to `max_hours` hours `VALIDATION`.
pub fn check_new_link(
    release: &Release,
    actor: &Viewer,
    request: &LinkRequest<'_>,
    max_hours: i64,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, DomainError> {
    if !actor.role.is_staff() || actor.department_id.as_ref() != Some(&release.department_id) {
        return Err(DomainError::Forbidden(
            "only drafters and editors of the release's department ask for sign-off".into(),
        ));
    }
    if release.state != State::InReview {
        return Err(DomainError::InvalidTransition {
            action: Action::CreateSignoffLink,
            state: release.state,
        });
    }
    check_user_name("signer", request.signer)?;
    if !(1..=max_hours).contains(&request.expires_in_hours) {
        return Err(DomainError::validation(
            "expiresInHours",
            format!("must be from 1 to {max_hours} hours"),
        ));
    }
    if !release.required_offices().contains(request.person_id) {
        return Err(DomainError::validation(
            "personId",
            "this person's office is not asked to approve the current revision",
        ));
    }
    if approval::valid_approval(
        request.person_id,
        &release.approvals,
        &release.content,
        &release.content_hash,
    )
    .is_some()
    {
        return Err(DomainError::validation(
            "personId",
            "this person's office has already approved the current revision",
        ));
    }
    Ok(now + Duration::hours(request.expires_in_hours))
}

/// Whether `viewer` may list and revoke the sign-off links of a release of `department_id`:
/// its department's drafters and editors, and admins.
pub fn manages_links(viewer: &Viewer, department_id: &str) -> bool {
    viewer.role == Role::Admin
        || (viewer.role.is_staff()
            && viewer
                .department_id
                .as_ref()
                .is_some_and(|d| d == department_id))
}

/// The words a person reads when the lifecycle rules refuse an answer from a link.
pub fn refusal_in_words(error: &DomainError) -> String {
    match error {
        DomainError::Forbidden(reason) if reason.starts_with("four eyes") => {
            "The signer named on this link wrote the revision it asks about, and nobody may \
             approve their own text. Ask the press office for a link in another person's name."
                .to_owned()
        }
        DomainError::Validation { field, .. } if field == "comment" => {
            "Write what should change before sending the release back.".to_owned()
        }
        other => format!("The answer was not recorded: {other}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Block, Contact, ContentInput, ReleaseContent};
    use crate::error::ErrorCode;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + minute * 60, 0).expect("a valid instant")
    }

    fn content(quotes_by_other: bool) -> ReleaseContent {
        let mut body = vec![
            Block::Paragraph {
                text: "Text.".into(),
            },
            Block::Quote {
                speaker_id: "minister".into(),
                text: "Havet kan inte vänta.".into(),
            },
        ];
        if quotes_by_other {
            body.push(Block::Quote {
                speaker_id: "other".into(),
                text: "Vi står bakom.".into(),
            });
        }
        ReleaseContent::parse(ContentInput {
            title: "Titel".into(),
            lead: "Ingress.".into(),
            language: "sv".into(),
            responsible_minister_id: Some("minister".into()),
            body,
            contacts: vec![Contact {
                name: "Presskontakt".into(),
                role: None,
                phone: None,
                mobile: None,
                email: None,
            }],
            ..ContentInput::default()
        })
        .expect("valid content")
    }

    fn drafter() -> Viewer {
        Viewer {
            user_name: "dana".into(),
            role: Role::Drafter,
            department_id: Some("dep".into()),
            person_id: None,
            embargo_access: false,
        }
    }

    fn in_review() -> Release {
        let created = Release::create("r1".into(), "dep".into(), content(true), &drafter())
            .expect("created")
            .after;
        let steps = created
            .apply(&drafter(), Command::SubmitForReview, at(0))
            .expect("submitted");
        steps.last().expect("one step").after.clone()
    }

    fn request<'a>(person: &'a PersonId, signer: &'a str) -> LinkRequest<'a> {
        LinkRequest {
            person_id: person,
            signer,
            expires_in_hours: DEFAULT_EXPIRES_IN_HOURS,
        }
    }

    fn link_for(release: &Release, person: &str, signer: &str) -> SignoffLink {
        let person = PersonId::new(person);
        let expires_at = check_new_link(release, &drafter(), &request(&person, signer), 720, at(1))
            .expect("allowed");
        SignoffLink {
            id: "l1".into(),
            release_id: release.id.clone(),
            person_id: person,
            signer: signer.into(),
            revision: release.revision,
            content_hash: release.content_hash.clone(),
            created_by: "dana".into(),
            created_at: at(1),
            expires_at,
            answered_at: None,
            answer: None,
            comment: None,
            revoked_at: None,
            closed_at: None,
        }
    }

    #[test]
    fn a_link_lives_for_the_hours_asked() {
        let release = in_review();
        let link = link_for(&release, "other", "Olle Rådgivare");
        assert_eq!(link.expires_at, at(1) + Duration::hours(72));
        assert_eq!(
            link.status(State::InReview, release.revision, at(2)),
            LinkStatus::Waiting
        );
        assert_eq!(
            link.status(State::InReview, release.revision, link.expires_at),
            LinkStatus::Expired
        );
    }

    #[test]
    fn only_staff_of_the_department_ask_for_sign_off() {
        let release = in_review();
        for viewer in [
            Viewer {
                role: Role::MinisterOffice,
                person_id: Some("minister".into()),
                department_id: None,
                ..drafter()
            },
            Viewer {
                role: Role::Admin,
                department_id: None,
                ..drafter()
            },
            Viewer {
                department_id: Some("elsewhere".into()),
                ..drafter()
            },
        ] {
            let refused = check_new_link(
                &release,
                &viewer,
                &request(&PersonId::new("other"), "Olle"),
                720,
                at(1),
            );
            assert!(
                matches!(refused, Err(DomainError::Forbidden(_))),
                "{viewer:?}"
            );
        }
    }

    #[test]
    fn a_link_is_asked_for_only_in_review() {
        let draft = Release::create("r1".into(), "dep".into(), content(true), &drafter())
            .expect("created")
            .after;
        let refused = check_new_link(
            &draft,
            &drafter(),
            &request(&PersonId::new("other"), "Olle"),
            720,
            at(1),
        );
        assert_eq!(
            refused.map_err(|e| e.code()),
            Err(ErrorCode::InvalidTransition)
        );
    }

    #[test]
    fn a_person_not_required_or_already_approved_is_refused() {
        let release = in_review();
        let refused = check_new_link(
            &release,
            &drafter(),
            &request(&PersonId::new("stranger"), "Olle"),
            720,
            at(1),
        );
        assert_eq!(refused.map_err(|e| e.code()), Err(ErrorCode::Validation));
        let office = Viewer {
            user_name: "tove".into(),
            role: Role::MinisterOffice,
            department_id: None,
            person_id: Some("other".into()),
            embargo_access: false,
        };
        let approved = release
            .apply(&office, Command::Approve, at(2))
            .expect("approved")
            .pop()
            .expect("one step")
            .after;
        let refused = check_new_link(
            &approved,
            &drafter(),
            &request(&PersonId::new("other"), "Olle"),
            720,
            at(3),
        );
        assert_eq!(
            refused.map_err(|e| e.field().map(str::to_owned)),
            Err(Some("personId".to_owned()))
        );
    }

    #[test]
    fn a_life_outside_the_bounds_or_an_empty_signer_is_refused() {
        let release = in_review();
        for (hours, signer) in [(0, "Olle"), (721, "Olle"), (-5, "Olle"), (72, "  ")] {
            let refused = check_new_link(
                &release,
                &drafter(),
                &LinkRequest {
                    person_id: &PersonId::new("other"),
                    signer,
                    expires_in_hours: hours,
                },
                720,
                at(1),
            );
            assert_eq!(
                refused.map_err(|e| e.code()),
                Err(ErrorCode::Validation),
                "{hours} {signer:?}"
            );
        }
    }

    #[test]
    fn an_approval_from_a_link_is_the_offices_approval_by_the_signer() {
        let release = in_review();
        let link = link_for(&release, "other", "Olle Rådgivare");
        let steps = link
            .answer(&release, SignoffAnswer::Approve, at(5))
            .expect("recorded");
        let step = steps.last().expect("one step");
        let record = step.approval.as_ref().expect("an approval record");
        assert_eq!(record.office_id, "other");
        assert_eq!(record.by_user, "Olle Rådgivare");
        assert_eq!(record.content_hash, release.content_hash);
        assert_eq!(step.details["signoffLinkId"], json!("l1"));
        assert_eq!(
            step.after.state,
            State::InReview,
            "the minister has not signed"
        );
    }

    #[test]
    fn a_request_for_changes_needs_a_comment_and_sends_the_release_back() {
        let release = in_review();
        let link = link_for(&release, "minister", "Mia Stabschef");
        let refused = link.answer(&release, SignoffAnswer::RequestChanges("  ".into()), at(5));
        assert!(
            matches!(refused, Err(SignoffRefusal::Refused(_))),
            "{refused:?}"
        );
        let steps = link
            .answer(
                &release,
                SignoffAnswer::RequestChanges("Skriv om ingressen.".into()),
                at(5),
            )
            .expect("recorded");
        assert_eq!(steps.last().expect("one step").after.state, State::Draft);
    }

    #[test]
    fn four_eyes_applies_to_the_signer_and_is_explained_in_words() {
        let release = in_review();
        let link = link_for(&release, "other", "dana");
        let refused = link
            .answer(&release, SignoffAnswer::Approve, at(5))
            .expect_err("the author may not approve");
        let SignoffRefusal::Refused(error) = refused else {
            panic!("expected a rule refusal, got {refused:?}");
        };
        assert_eq!(error.code(), "FORBIDDEN");
        assert!(refusal_in_words(&error).contains("wrote the revision"));
    }

    #[test]
    fn every_way_a_link_dies_refuses_the_answer() {
        let release = in_review();
        let link = link_for(&release, "other", "Olle");
        let answered = SignoffLink {
            answered_at: Some(at(2)),
            answer: Some(Verdict::Approved),
            ..link.clone()
        };
        let revoked = SignoffLink {
            revoked_at: Some(at(2)),
            ..link.clone()
        };
        let closed = SignoffLink {
            closed_at: Some(at(2)),
            ..link.clone()
        };
        for (dead, status) in [
            (&answered, LinkStatus::Answered),
            (&revoked, LinkStatus::Revoked),
            (&closed, LinkStatus::Outdated),
        ] {
            assert_eq!(
                dead.answer(&release, SignoffAnswer::Approve, at(5)),
                Err(SignoffRefusal::Dead(status))
            );
        }
        assert_eq!(
            link.answer(&release, SignoffAnswer::Approve, link.expires_at),
            Err(SignoffRefusal::Dead(LinkStatus::Expired))
        );
        let edited = release
            .apply(&drafter(), Command::Update(content(false)), at(3))
            .expect("edited")
            .pop()
            .expect("one step")
            .after;
        assert_eq!(
            link.answer(&edited, SignoffAnswer::Approve, at(5)),
            Err(SignoffRefusal::Dead(LinkStatus::Outdated))
        );
        let sent_back = release
            .apply(
                &Viewer {
                    user_name: "mia".into(),
                    role: Role::MinisterOffice,
                    department_id: None,
                    person_id: Some("minister".into()),
                    embargo_access: false,
                },
                Command::RequestChanges("Nej.".into()),
                at(3),
            )
            .expect("sent back")
            .pop()
            .expect("one step")
            .after;
        assert_eq!(
            link.answer(&sent_back, SignoffAnswer::Approve, at(5)),
            Err(SignoffRefusal::Dead(LinkStatus::Outdated))
        );
    }
}
