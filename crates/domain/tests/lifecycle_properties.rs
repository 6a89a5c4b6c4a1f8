//! Property tests of the lifecycle: random sequences of actions by random actors.
//!
//! Whatever happens, no release goes public without valid approvals from every required office
//! of exactly the content that goes public, every step is a row of the transition table, and a
//! refused action leaves the release as it was.

use chrono::{DateTime, Duration, TimeZone, Utc};
use pressroom_domain::DomainError;
use pressroom_domain::approval;
use pressroom_domain::content::{Block, Contact, ContentInput, ReleaseContent};
use pressroom_domain::lifecycle::{
    Action, Command, PublicEvent, Release, State, TRANSITIONS, allowed_from, is_listed,
};
use pressroom_domain::visibility::{Role, Viewer, effective_state};
use proptest::prelude::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 2, 7, 0, 0)
        .single()
        .expect("valid instant")
}

fn viewer(name: &str, role: Role, department: Option<&str>, person: Option<&str>) -> Viewer {
    Viewer {
        user_name: name.into(),
        role,
        department_id: department.map(Into::into),
        person_id: person.map(Into::into),
        embargo_access: false,
    }
}

fn actors() -> Vec<Viewer> {
    vec![
        viewer("dana", Role::Drafter, Some("d1"), None),
        viewer("erik", Role::Editor, Some("d1"), None),
        viewer("olle", Role::Editor, Some("d2"), None),
        viewer("anna", Role::MinisterOffice, None, Some("a")),
        viewer("bo", Role::MinisterOffice, None, Some("b")),
        // The same user as the drafter, holding a second token for minister A's office.
        viewer("dana", Role::MinisterOffice, None, Some("a")),
        viewer("ivar", Role::Integrator, None, None),
        viewer("root", Role::Admin, None, None),
    ]
}

fn content(variant: usize) -> ReleaseContent {
    let contact = Contact {
        name: "Tove Kullenberg".into(),
        role: None,
        phone: None,
        mobile: None,
        email: None,
    };
    let (paragraph, quote_a, quote_b, with_contact) = match variant {
        0 => ("Högnivåmötet", "Sverige ska axla", None, true),
        1 => (
            "Högnivåmötet",
            "Sverige ska axla",
            Some("Japan och Sydafrika"),
            true,
        ),
        2 => (
            "Mötet är ett viktigt tillfälle",
            "Sverige ska axla",
            Some("Japan och Sydafrika"),
            true,
        ),
        3 => (
            "Mötet är ett viktigt tillfälle",
            "Sverige ska axla",
            Some("Japan, Sydafrika och Kenya"),
            true,
        ),
        _ => ("Högnivåmötet", "Sverige ska axla", None, false),
    };
    let mut body = vec![
        Block::Paragraph {
            text: paragraph.into(),
        },
        Block::Quote {
            speaker_id: "a".into(),
            text: quote_a.into(),
        },
    ];
    if let Some(b) = quote_b {
        body.push(Block::Quote {
            speaker_id: "b".into(),
            text: b.into(),
        });
    }
    ReleaseContent::parse(ContentInput {
        language: "sv".into(),
        responsible_minister_id: Some("a".into()),
        title: "Svensk-indiskt FN-initiativ".into(),
        lead: "Närmare ett hundratal deltagare".into(),
        body,
        contacts: if with_contact { vec![contact] } else { vec![] },
        ..ContentInput::default()
    })
    .expect("valid content")
}

#[derive(Debug, Clone)]
enum Step {
    Update(usize),
    Submit,
    RequestChanges(bool),
    Approve,
    Schedule(i64),
    CancelEmbargo(bool),
    PublishNow,
    ImportPublication(i64),
    Correct(usize),
    Withdraw,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0usize..5).prop_map(Step::Update),
        Just(Step::Submit),
        any::<bool>().prop_map(Step::RequestChanges),
        Just(Step::Approve),
        Just(Step::Approve),
        (-3i64..6).prop_map(Step::Schedule),
        any::<bool>().prop_map(Step::CancelEmbargo),
        Just(Step::PublishNow),
        (-3i64..2).prop_map(Step::ImportPublication),
        (0usize..5).prop_map(Step::Correct),
        Just(Step::Withdraw),
    ]
}

fn command(step: &Step, now: DateTime<Utc>) -> Command {
    match step {
        Step::Update(v) => Command::Update(content(*v)),
        Step::Submit => Command::SubmitForReview,
        Step::RequestChanges(with_comment) => Command::RequestChanges(if *with_comment {
            "Ändra citatet".into()
        } else {
            String::new()
        }),
        Step::Approve => Command::Approve,
        Step::Schedule(minutes) => Command::Schedule(now + Duration::minutes(*minutes)),
        Step::CancelEmbargo(with_reason) => Command::CancelEmbargo(if *with_reason {
            "Nytt datum".into()
        } else {
            String::new()
        }),
        Step::PublishNow => Command::PublishNow,
        Step::ImportPublication(minutes) => {
            Command::ImportPublication(now + Duration::minutes(*minutes))
        }
        Step::Correct(v) => Command::Correct(content(*v), "Rättelse".into()),
        Step::Withdraw => Command::Withdraw("Fel uppgifter".into()),
    }
}

/// Every office required by the content holds an approval covering exactly this content.
fn approvals_cover(release: &Release) -> bool {
    approval::required_offices(&release.content)
        .iter()
        .all(|office| {
            approval::valid_approval(
                office,
                &release.approvals,
                &release.content,
                &release.content_hash,
            )
            .is_some()
        })
        && release
            .content
            .responsible_minister_id()
            .is_some_and(|minister| {
                // The responsible minister's approval is of this very content hash, byte for byte.
                release
                    .approvals
                    .iter()
                    .any(|r| r.office_id == minister && r.content_hash == release.content_hash)
            })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_actions_never_publish_unapproved_content(
        steps in prop::collection::vec((0usize..8, step(), 0i64..4), 1..40)
    ) {
        let actors = actors();
        let mut now = t0();
        let mut release = Release::create("r1".into(), "d1".into(), content(1), &actors[0]).expect("drafter creates").after;
        let mut first_public: Option<ReleaseContent> = None;

        for (who, step, minutes) in steps {
            now += Duration::minutes(minutes);
            let before = release.clone();
            match before.apply(&actors[who], command(&step, now), now) {
                Ok(transitions) => {
                    prop_assert!(!transitions.is_empty());
                    let mut previous = before.clone();
                    for t in &transitions {
                        prop_assert_eq!(t.from, Some(previous.state));
                        prop_assert!(is_listed(t.action, previous.state, t.after.state),
                            "{:?} from {:?} to {:?} is not in the table", t.action, previous.state, t.after.state);
                        prop_assert_eq!(t.after.version, previous.version + 1);
                        if t.event == Some(PublicEvent::Published) {
                            prop_assert!(first_public.is_none(), "published twice");
                            prop_assert!(approvals_cover(&t.after), "went public without full approval");
                            first_public = Some(t.after.content.clone());
                        }
                        if t.action == Action::Update && t.from != Some(State::Draft) {
                            // Outside DRAFT an update that changes nothing is refused, so every
                            // accepted one makes a new revision.
                            prop_assert!(t.new_revision, "a no-op update moved a {:?} release", t.from);
                        }
                        if t.action == Action::Correct {
                            let public = first_public.as_ref().expect("a correction follows publication");
                            prop_assert!(t.after.content.quotes().eq(public.quotes()), "a correction changed a quote");
                        }
                        previous = t.after.clone();
                    }
                    release = previous;
                }
                Err(error) => {
                    // Refusals change nothing: the release we hold is untouched and still valid.
                    prop_assert_eq!(&release, &before);
                    let effective = effective_state(before.state, before.embargo_until, now);
                    if !allowed_from(command(&step, now).action(), effective)
                        && actors[who].role.is_staff() && actors[who].department_id.as_ref().is_some_and(|d| d == "d1")
                        && command(&step, now).action().allowed_roles().contains(&actors[who].role)
                    {
                        let is_invalid_transition = matches!(error, DomainError::InvalidTransition { .. });
                        prop_assert!(is_invalid_transition, "expected INVALID_TRANSITION, got {:?}", error);
                    }
                }
            }
            prop_assert!(State::ALL.contains(&release.state));
            // Whenever the release is public, its content is the approved one or a correction of it
            // that keeps every quote.
            if matches!(effective_state(release.state, release.embargo_until, now), State::Published | State::Withdrawn) {
                let public = match &first_public {
                    Some(p) => p.clone(),
                    None => {
                        // Due but not yet materialized: the content must be fully approved already.
                        prop_assert!(approvals_cover(&release), "reads as published without full approval");
                        release.content.clone()
                    }
                };
                prop_assert!(release.content.quotes().eq(public.quotes()));
            }
        }
    }
}

#[test]
fn every_action_outside_the_table_is_an_invalid_transition() {
    let now = t0();
    let editor = viewer("erik", Role::Editor, Some("d1"), None);
    let office = viewer("anna", Role::MinisterOffice, None, Some("a"));
    for state in State::ALL {
        let release = Release {
            id: "r1".into(),
            department_id: "d1".into(),
            state,
            version: 3,
            revision: 1,
            content: content(0),
            content_hash: content(0).content_hash(),
            author: "dana".into(),
            embargo_until: (state == State::Embargoed).then(|| now + Duration::hours(1)),
            published_at: matches!(state, State::Published | State::Withdrawn).then_some(now),
            approvals: vec![],
        };
        let commands = [
            Command::Update(content(2)),
            Command::SubmitForReview,
            Command::RequestChanges("x".into()),
            Command::Approve,
            Command::Schedule(now + Duration::hours(2)),
            Command::CancelEmbargo("x".into()),
            Command::PublishNow,
            Command::ImportPublication(now - Duration::days(365)),
            Command::Correct(content(2), "x".into()),
            Command::Withdraw("x".into()),
        ];
        for command in commands {
            let action = command.action();
            let actor = if action.allowed_roles().contains(&Role::Editor) {
                &editor
            } else {
                &office
            };
            let result = release.apply(actor, command, now);
            if !allowed_from(action, state) {
                assert!(
                    matches!(result, Err(DomainError::InvalidTransition { .. })),
                    "{action} from {state}: expected INVALID_TRANSITION, got {result:?}"
                );
            }
        }
    }
    // The table itself only names the six states.
    assert!(
        TRANSITIONS
            .iter()
            .all(|(_, from, to)| State::ALL.contains(from) && State::ALL.contains(to))
    );
}

#[test]
fn a_drafter_cannot_approve_and_an_office_cannot_edit() {
    let now = t0();
    let drafter = viewer("dana", Role::Drafter, Some("d1"), None);
    let office = viewer("anna", Role::MinisterOffice, None, Some("a"));
    let created = Release::create("r1".into(), "d1".into(), content(0), &drafter)
        .expect("create")
        .after;
    let submitted = created
        .apply(&drafter, Command::SubmitForReview, now)
        .expect("submit")
        .remove(0)
        .after;
    assert_eq!(
        submitted
            .apply(&drafter, Command::Approve, now)
            .map(|_| ())
            .unwrap_err()
            .code(),
        "FORBIDDEN"
    );
    assert_eq!(
        submitted
            .apply(&office, Command::Update(content(2)), now)
            .map(|_| ())
            .unwrap_err()
            .code(),
        "FORBIDDEN"
    );
}

#[test]
fn four_eyes_is_about_the_user_not_the_token() {
    let now = t0();
    let drafter = viewer("dana", Role::Drafter, Some("d1"), None);
    let same_user_as_office = viewer("dana", Role::MinisterOffice, None, Some("a"));
    let other_office_user = viewer("anna", Role::MinisterOffice, None, Some("a"));
    let release = Release::create("r1".into(), "d1".into(), content(0), &drafter)
        .expect("create")
        .after;
    let release = release
        .apply(&drafter, Command::SubmitForReview, now)
        .expect("submit")
        .remove(0)
        .after;
    let refused = release
        .apply(&same_user_as_office, Command::Approve, now)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(refused.code(), "FORBIDDEN");
    let approved = release
        .apply(&other_office_user, Command::Approve, now)
        .expect("approve")
        .remove(0)
        .after;
    assert_eq!(approved.state, State::Approved);
}

#[test]
fn an_embargoed_release_due_at_now_is_published_first_at_its_instant() {
    let now = t0();
    let drafter = viewer("dana", Role::Drafter, Some("d1"), None);
    let editor = viewer("erik", Role::Editor, Some("d1"), None);
    let office = viewer("anna", Role::MinisterOffice, None, Some("a"));
    let r = Release::create("r1".into(), "d1".into(), content(0), &drafter)
        .expect("create")
        .after;
    let r = r
        .apply(&drafter, Command::SubmitForReview, now)
        .expect("submit")
        .remove(0)
        .after;
    let r = r
        .apply(&office, Command::Approve, now)
        .expect("approve")
        .remove(0)
        .after;
    let until = now + Duration::minutes(5);
    let r = r
        .apply(&drafter, Command::Schedule(until), now)
        .expect("schedule")
        .remove(0)
        .after;
    // Editing before the instant takes it back to review.
    let edited = r
        .apply(
            &drafter,
            Command::Update(content(2)),
            now + Duration::minutes(1),
        )
        .expect("edit");
    assert_eq!(edited[0].after.state, State::InReview);
    assert_eq!(edited[0].after.embargo_until, None);
    // Editing after the instant is refused: it is published already.
    let later = until + Duration::seconds(1);
    let refused = r
        .apply(&drafter, Command::Update(content(2)), later)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(refused.code(), "INVALID_TRANSITION");
    // Withdrawing after the instant first records the publication, at the instant.
    let steps = r
        .apply(&editor, Command::Withdraw("Fel".into()), later)
        .expect("withdraw");
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[0].action, Action::ScheduledPublish);
    assert_eq!(steps[0].after.published_at, Some(until));
    assert_eq!(
        steps[0].details.get("lateMs"),
        Some(&serde_json::json!(1000))
    );
    assert_eq!(steps[1].after.state, State::Withdrawn);
}

#[test]
fn the_scheduler_refuses_content_without_covering_approvals_and_sends_it_back_to_review() {
    let now = t0();
    let until = now + Duration::minutes(5);
    let release = Release {
        id: "r1".into(),
        department_id: "d1".into(),
        state: State::Embargoed,
        version: 4,
        revision: 2,
        content: content(0),
        content_hash: content(0).content_hash(),
        author: "dana".into(),
        embargo_until: Some(until),
        published_at: None,
        // No approval on record: as if the database had been altered behind the rules' back.
        approvals: vec![],
    };
    assert!(matches!(
        release.scheduled_publish(now),
        Err(pressroom_domain::lifecycle::RefusedPublication::NotDue)
    ));
    let refusal = release.scheduled_publish(until).expect_err("not covered");
    let step = release.refuse_publication(&refusal).expect("refused");
    assert_eq!(step.after.state, State::InReview);
    assert_eq!(step.after.embargo_until, None);
    assert!(is_listed(step.action, State::Embargoed, State::InReview));
    assert!(step.event.is_none());
}

#[test]
fn an_update_with_the_current_content_is_refused_outside_draft_and_changes_nothing() {
    let now = t0();
    let drafter = viewer("dana", Role::Drafter, Some("d1"), None);
    let office = viewer("anna", Role::MinisterOffice, None, Some("a"));
    let draft = Release::create("r1".into(), "d1".into(), content(0), &drafter)
        .expect("create")
        .after;
    // In DRAFT the same content is accepted: the state stays, no new revision.
    let same_draft = draft
        .apply(&drafter, Command::Update(content(0)), now)
        .expect("a draft may be saved unchanged")
        .remove(0);
    assert_eq!(same_draft.after.state, State::Draft);
    assert!(!same_draft.new_revision);

    let in_review = draft
        .apply(&drafter, Command::SubmitForReview, now)
        .expect("submit")
        .remove(0)
        .after;
    let approved = in_review
        .apply(&office, Command::Approve, now)
        .expect("approve")
        .remove(0)
        .after;
    assert_eq!(approved.state, State::Approved);
    let embargoed = approved
        .apply(&drafter, Command::Schedule(now + Duration::hours(1)), now)
        .expect("schedule")
        .remove(0)
        .after;
    for release in [&in_review, &approved, &embargoed] {
        let refused = release
            .apply(&drafter, Command::Update(content(0)), now)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(refused.code(), "VALIDATION", "{:?}", release.state);
        assert_eq!(refused.field(), Some("input"));
        // A real change is still accepted and goes back to review.
        let changed = release
            .apply(&drafter, Command::Update(content(2)), now)
            .expect("a real change is accepted")
            .remove(0);
        assert_eq!(changed.after.state, State::InReview);
        assert!(changed.new_revision);
    }
}

#[test]
fn an_imported_publication_keeps_its_real_instant_and_needs_full_approval() {
    let now = t0();
    let drafter = viewer("dana", Role::Drafter, Some("d1"), None);
    let editor = viewer("erik", Role::Editor, Some("d1"), None);
    let office = viewer("anna", Role::MinisterOffice, None, Some("a"));
    let then = now - Duration::days(1461);
    let in_review = Release::create("r1".into(), "d1".into(), content(0), &drafter)
        .expect("create")
        .after
        .apply(&drafter, Command::SubmitForReview, now)
        .expect("submit")
        .remove(0)
        .after;
    let unapproved = in_review
        .apply(&editor, Command::ImportPublication(then), now)
        .map(|_| ())
        .unwrap_err();
    assert_eq!(unapproved.code(), "INVALID_TRANSITION");
    let approved = in_review
        .apply(&office, Command::Approve, now)
        .expect("approve")
        .remove(0)
        .after;
    let future = approved
        .apply(
            &editor,
            Command::ImportPublication(now + Duration::seconds(1)),
            now,
        )
        .map(|_| ())
        .unwrap_err();
    assert_eq!(future.code(), "VALIDATION");
    let step = approved
        .apply(&editor, Command::ImportPublication(then), now)
        .expect("import")
        .remove(0);
    assert_eq!(step.action, Action::ImportPublication);
    assert_eq!(step.after.state, State::Published);
    assert_eq!(step.after.published_at, Some(then));
    assert_eq!(step.event, Some(PublicEvent::Published));
    // Publishing now still means now.
    let now_step = approved
        .apply(&editor, Command::PublishNow, now)
        .expect("publish")
        .remove(0);
    assert_eq!(now_step.after.published_at, Some(now));
}
