//! Sign-off links on every database: creating (and each refusal), answering through the same
//! rules as the office's own approval, every way a link dies, revoking, listing, and two
//! answers racing on one link.

use chrono::Duration;
use pressroom_domain::PersonId;
use pressroom_domain::approval::Verdict;
use pressroom_domain::content::{Block, Contact, ContentInput, ReleaseContent};
use pressroom_domain::lifecycle::{Command, State};
use pressroom_domain::signoff::{LinkRequest, LinkStatus, SignoffAnswer};
use pressroom_domain::visibility::Role;
use pressroom_storage::audit::{Verification, verify};
use pressroom_storage::releases::StoredRelease;
use pressroom_storage::signoff::{AnswerRefusal, CreatedLink};
use pressroom_storage::{StorageError, Store};
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::{TwoMinisters, viewer};

type World = TwoMinisters;

async fn world(url: &str) -> World {
    TwoMinisters::build(url).await
}

fn content(w: &World, paragraph: &str, quote_b: &str) -> ReleaseContent {
    ReleaseContent::parse(ContentInput {
        language: "sv".into(),
        responsible_minister_id: Some(w.a.clone()),
        title: "Svensk-indiskt FN-initiativ fortsätter att leda klimatomställningen".into(),
        lead: "Närmare ett hundratal deltagare\u{a0}möts idag – i Stockholm.".into(),
        body: vec![
            Block::Paragraph {
                text: paragraph.into(),
            },
            Block::Quote {
                speaker_id: w.a.clone(),
                text: "Sverige ska axla det internationella klimatledarskapet".into(),
            },
            Block::Quote {
                speaker_id: w.b.clone(),
                text: quote_b.into(),
            },
        ],
        contacts: vec![Contact {
            name: "Tove Kullenberg".into(),
            role: Some("Pressekreterare".into()),
            phone: Some("08-405 10 00".into()),
            mobile: None,
            email: None,
        }],
        ..ContentInput::default()
    })
    .expect("content")
}

/// A release in review that needs the offices of `a` (responsible) and `b` (quoted).
async fn in_review(w: &World) -> StoredRelease {
    let r = w
        .store
        .create_release(
            &w.drafter,
            "miljodepartementet",
            content(w, "Högnivåmötet", "Industrin måste ställa om."),
        )
        .await
        .expect("create");
    w.store
        .act(&w.drafter, &r.id, r.version, Command::SubmitForReview, None)
        .await
        .expect("submit")
}

async fn link_for(w: &World, r: &StoredRelease, person: &str, signer: &str) -> CreatedLink {
    let person = PersonId::new(person);
    w.store
        .create_signoff_link(
            &w.drafter,
            &r.id,
            r.version,
            &LinkRequest {
                person_id: &person,
                signer,
                expires_in_hours: 72,
            },
            720,
        )
        .await
        .expect("create a link")
}

async fn audit_seq(store: &Store) -> i64 {
    store.audit_seq().await.expect("audit seq")
}

#[tokio::test]
async fn an_answer_from_a_link_is_the_offices_approval_by_the_signer_and_is_audited() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        let r = in_review(&w).await;
        let before = audit_seq(&w.store).await;
        let created = link_for(&w, &r, &w.b, "Olle Rådgivare").await;
        assert!(created.token.starts_with("pso_") && created.token.len() == 68);
        assert_eq!(created.view.status, LinkStatus::Waiting);
        assert_eq!(created.view.link.revision, r.revision);
        assert_eq!(audit_seq(&w.store).await, before + 1, "creating is audited");
        let unchanged = w
            .store
            .secure_release(Some(&w.drafter), &r.id, w.store.now())
            .await
            .expect("read")
            .expect("visible");
        assert_eq!(
            unchanged.version, r.version,
            "a link is not a write of the release"
        );

        let page = w
            .store
            .signoff_link_page(&created.token)
            .await
            .expect("page")
            .expect("known");
        assert_eq!(page.view.status, LinkStatus::Waiting);
        assert_eq!(page.release.expect("shown while it lives").id, r.id);

        w.clock.set(w.store.now() + Duration::minutes(5));
        let answered = w
            .store
            .answer_signoff_link(&created.token, SignoffAnswer::Approve)
            .await
            .expect("store")
            .expect("recorded");
        assert_eq!(answered.view.status, LinkStatus::Answered);
        assert_eq!(answered.view.link.answer, Some(Verdict::Approved));
        assert_eq!(answered.release.version, r.version + 1);
        assert_eq!(
            answered.release.state,
            State::InReview,
            "the minister has not signed"
        );

        let approvals = w
            .store
            .approvals_for(std::slice::from_ref(&r.id))
            .await
            .expect("approvals");
        let record = approvals[&r.id].last().expect("one approval");
        assert_eq!(record.office_id, w.b);
        assert_eq!(record.by_user, "Olle Rådgivare");
        assert_eq!(record.content_hash, r.content_hash);

        let entries = w
            .store
            .secure_audit_entries(
                Some(&viewer("root", Role::Admin, None, None)),
                Some(&r.id),
                &pressroom_storage::pagination::PageRequest::new(Some(100), None).expect("page"),
            )
            .await
            .expect("audit");
        let actions: Vec<&str> = entries
            .items
            .iter()
            .map(|(_, e)| e.action.as_str())
            .collect();
        assert!(actions.contains(&"createSignoffLink"), "{actions:?}");
        let approval = entries
            .items
            .iter()
            .map(|(_, e)| e)
            .find(|e| e.action == "approveRelease")
            .expect("the approval's audit entry");
        assert_eq!(approval.actor, "Olle Rådgivare");
        let details: serde_json::Value =
            serde_json::from_str(&approval.details).expect("details are JSON");
        assert_eq!(
            details["signoffLinkId"],
            serde_json::json!(created.view.link.id)
        );
        assert!(
            entries
                .items
                .iter()
                .all(|(_, e)| !e.details.contains(&created.token[4..])),
            "the token is never recorded"
        );

        // Used once: the second answer changes nothing.
        let seq = audit_seq(&w.store).await;
        let again = w
            .store
            .answer_signoff_link(&created.token, SignoffAnswer::Approve)
            .await
            .expect("store");
        assert_eq!(again.err(), Some(AnswerRefusal::Dead(LinkStatus::Answered)));
        assert_eq!(audit_seq(&w.store).await, seq);
        let page = w
            .store
            .signoff_link_page(&created.token)
            .await
            .expect("page")
            .expect("known");
        assert!(
            page.release.is_none(),
            "a dead link shows nothing of the release"
        );
        assert!(matches!(
            verify(w.store.connection()).await.expect("verify"),
            Verification::Intact { .. }
        ));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn each_refusal_at_creation_has_its_code_and_writes_nothing() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        let draft = w
            .store
            .create_release(
                &w.drafter,
                "miljodepartementet",
                content(&w, "Utkast", "Citat."),
            )
            .await
            .expect("create");
        let r = in_review(&w).await;
        let seq = audit_seq(&w.store).await;
        fn ask(person: &PersonId) -> LinkRequest<'_> {
            LinkRequest {
                person_id: person,
                signer: "Olle",
                expires_in_hours: 72,
            }
        }
        let other_department = viewer("olga", Role::Drafter, Some("elsewhere"), None);
        let cases: Vec<(&str, Result<CreatedLink, StorageError>)> = vec![
            (
                "FORBIDDEN",
                w.store
                    .create_signoff_link(
                        &w.office_a,
                        &r.id,
                        r.version,
                        &ask(&PersonId::new(&w.b)),
                        720,
                    )
                    .await,
            ),
            (
                "NOT_FOUND",
                w.store
                    .create_signoff_link(
                        &other_department,
                        &r.id,
                        r.version,
                        &ask(&PersonId::new(&w.b)),
                        720,
                    )
                    .await,
            ),
            (
                "NOT_FOUND",
                w.store
                    .create_signoff_link(
                        &w.drafter,
                        "no-such-id",
                        1,
                        &ask(&PersonId::new(&w.b)),
                        720,
                    )
                    .await,
            ),
            (
                "INVALID_TRANSITION",
                w.store
                    .create_signoff_link(
                        &w.drafter,
                        &draft.id,
                        draft.version,
                        &ask(&PersonId::new(&w.b)),
                        720,
                    )
                    .await,
            ),
            (
                "VALIDATION",
                w.store
                    .create_signoff_link(
                        &w.drafter,
                        &r.id,
                        r.version,
                        &ask(&PersonId::new("nobody")),
                        720,
                    )
                    .await,
            ),
            (
                "VALIDATION",
                w.store
                    .create_signoff_link(
                        &w.drafter,
                        &r.id,
                        r.version,
                        &LinkRequest {
                            expires_in_hours: 721,
                            ..ask(&PersonId::new(&w.b))
                        },
                        720,
                    )
                    .await,
            ),
            (
                "VERSION_CONFLICT",
                w.store
                    .create_signoff_link(
                        &w.drafter,
                        &r.id,
                        r.version - 1,
                        &ask(&PersonId::new(&w.b)),
                        720,
                    )
                    .await,
            ),
        ];
        for (code, result) in cases {
            assert_eq!(result.map(|_| ()).map_err(|e| e.code().as_str()), Err(code));
        }
        // An office that has approved is not asked again.
        let approved = w
            .store
            .act(&w.office_a, &r.id, r.version, Command::Approve, None)
            .await
            .expect("approve");
        let seq_after_approval = audit_seq(&w.store).await;
        assert_eq!(seq_after_approval, seq + 1);
        let refused = w
            .store
            .create_signoff_link(
                &w.editor,
                &r.id,
                approved.version,
                &ask(&PersonId::new(&w.a)),
                720,
            )
            .await;
        assert_eq!(
            refused.map(|_| ()).map_err(|e| e.code().as_str()),
            Err("VALIDATION")
        );
        assert_eq!(
            audit_seq(&w.store).await,
            seq_after_approval,
            "no refusal wrote anything"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_link_dies_when_it_expires_is_revoked_is_outdated_or_its_release_leaves_review() {
    for db in test_databases().await {
        let w = world(&db.url).await;

        // Expired.
        let r = in_review(&w).await;
        let expiring = link_for(&w, &r, &w.b, "Olle").await;
        w.clock.set(w.store.now() + Duration::hours(72));
        let seq = audit_seq(&w.store).await;
        let refused = w
            .store
            .answer_signoff_link(&expiring.token, SignoffAnswer::Approve)
            .await
            .expect("store");
        assert_eq!(
            refused.err(),
            Some(AnswerRefusal::Dead(LinkStatus::Expired))
        );
        assert_eq!(audit_seq(&w.store).await, seq, "nothing changed");

        // Revoked: by the department's editor; then dead, and revoking again changes nothing.
        let revoked = link_for(&w, &r, &w.b, "Olle").await;
        let view = w
            .store
            .revoke_signoff_link(&w.editor, &revoked.view.link.id)
            .await
            .expect("revoke");
        assert_eq!(view.status, LinkStatus::Revoked);
        let seq = audit_seq(&w.store).await;
        w.store
            .revoke_signoff_link(&w.editor, &revoked.view.link.id)
            .await
            .expect("revoking twice is harmless");
        assert_eq!(audit_seq(&w.store).await, seq);
        let refused = w
            .store
            .answer_signoff_link(&revoked.token, SignoffAnswer::Approve)
            .await
            .expect("store");
        assert_eq!(
            refused.err(),
            Some(AnswerRefusal::Dead(LinkStatus::Revoked))
        );
        assert_eq!(
            w.store
                .revoke_signoff_link(&w.office_a, &revoked.view.link.id)
                .await
                .map_err(|e| e.code().as_str())
                .err(),
            Some("FORBIDDEN")
        );

        // Outdated by an edit (a new revision).
        let current = w
            .store
            .secure_release(Some(&w.drafter), &r.id, w.store.now())
            .await
            .expect("read")
            .expect("visible");
        let outdated = link_for(&w, &current, &w.b, "Olle").await;
        let edited = w
            .store
            .act(
                &w.drafter,
                &r.id,
                current.version,
                Command::Update(content(
                    &w,
                    "Högnivåmötet, rättat",
                    "Industrin måste ställa om.",
                )),
                Some("miljodepartementet"),
            )
            .await
            .expect("edit");
        assert_eq!(edited.revision, current.revision + 1);
        let refused = w
            .store
            .answer_signoff_link(&outdated.token, SignoffAnswer::Approve)
            .await
            .expect("store");
        assert_eq!(
            refused.err(),
            Some(AnswerRefusal::Dead(LinkStatus::Outdated))
        );

        // Closed: the release leaves review (sent back) and comes back at the same revision.
        let closing = link_for(&w, &edited, &w.b, "Olle").await;
        let sent_back = w
            .store
            .act(
                &w.office_a,
                &r.id,
                edited.version,
                Command::RequestChanges("Ändra ingressen.".into()),
                None,
            )
            .await
            .expect("request changes");
        let back = w
            .store
            .act(
                &w.drafter,
                &r.id,
                sent_back.version,
                Command::SubmitForReview,
                None,
            )
            .await
            .expect("resubmit");
        assert_eq!(
            (back.state, back.revision),
            (State::InReview, edited.revision)
        );
        let refused = w
            .store
            .answer_signoff_link(&closing.token, SignoffAnswer::Approve)
            .await
            .expect("store");
        assert_eq!(
            refused.err(),
            Some(AnswerRefusal::Dead(LinkStatus::Outdated))
        );

        let links = w
            .store
            .signoff_links(&w.drafter, &r.id)
            .await
            .expect("list");
        let statuses: Vec<LinkStatus> = links.iter().map(|l| l.status).collect();
        // The expired link is now also for an older revision: a release that moved on is said
        // first, since it is what a new link would have to answer.
        assert_eq!(
            statuses,
            [
                LinkStatus::Outdated,
                LinkStatus::Revoked,
                LinkStatus::Outdated,
                LinkStatus::Outdated
            ]
        );
        assert_eq!(
            w.store
                .signoff_links(&w.office_a, &r.id)
                .await
                .map_err(|e| e.code().as_str())
                .err(),
            Some("FORBIDDEN")
        );
        let stranger = viewer("olga", Role::Drafter, Some("elsewhere"), None);
        assert!(
            w.store
                .signoff_links(&stranger, &r.id)
                .await
                .expect("list")
                .is_empty(),
            "a release the caller cannot see has no links for it"
        );
        assert!(
            w.store
                .signoff_link_page("pso_unknown")
                .await
                .expect("page")
                .is_none()
        );
        assert_eq!(
            w.store
                .answer_signoff_link(&format!("pso_{}", "0".repeat(64)), SignoffAnswer::Approve)
                .await
                .expect("store")
                .err(),
            Some(AnswerRefusal::Unknown)
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn four_eyes_applies_to_the_signer_and_a_request_for_changes_needs_a_comment() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        let r = in_review(&w).await;
        let own = link_for(&w, &r, &w.a, "dana").await;
        let seq = audit_seq(&w.store).await;
        let refused = w
            .store
            .answer_signoff_link(&own.token, SignoffAnswer::Approve)
            .await
            .expect("store");
        assert!(
            matches!(refused, Err(AnswerRefusal::Refused(ref e)) if e.code() == "FORBIDDEN"),
            "{refused:?}"
        );
        let refused = w
            .store
            .answer_signoff_link(&own.token, SignoffAnswer::RequestChanges(" ".into()))
            .await
            .expect("store");
        assert!(
            matches!(refused, Err(AnswerRefusal::Refused(ref e)) if e.code() == "VALIDATION"),
            "{refused:?}"
        );
        assert_eq!(audit_seq(&w.store).await, seq, "nothing changed");

        let sent_back = w
            .store
            .answer_signoff_link(
                &own.token,
                SignoffAnswer::RequestChanges("Stryk andra citatet.".into()),
            )
            .await
            .expect("store")
            .expect("a request for changes needs no four eyes");
        assert_eq!(sent_back.release.state, State::Draft);
        assert_eq!(
            sent_back.view.link.comment.as_deref(),
            Some("Stryk andra citatet.")
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn of_two_answers_racing_on_one_link_exactly_one_is_recorded() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        let r = in_review(&w).await;
        let link = link_for(&w, &r, &w.b, "Olle").await;
        let seq = audit_seq(&w.store).await;
        let (first, second) = tokio::join!(
            w.store
                .answer_signoff_link(&link.token, SignoffAnswer::Approve),
            w.store
                .answer_signoff_link(&link.token, SignoffAnswer::RequestChanges("Nej.".into())),
        );
        let outcomes = [first.expect("store"), second.expect("store")];
        let recorded = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(recorded, 1, "{outcomes:?}");
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Err(AnswerRefusal::Dead(LinkStatus::Answered)))),
            "{outcomes:?}"
        );
        assert_eq!(
            audit_seq(&w.store).await,
            seq + 1,
            "one answer, one audit entry"
        );
        let approvals = w
            .store
            .approvals_for(std::slice::from_ref(&r.id))
            .await
            .expect("approvals");
        assert_eq!(approvals[&r.id].len(), 1);
        db.cleanup().await;
    }
}
