//! Notifications on every database: addresses (set, cleared, refused, audited without the
//! address), the messages each change queues in its own transaction (sign-off requests with a
//! fresh link, changes requested, all sign-offs in, published, the readiness alert), who gets
//! them and who never does, and the queue's claim, retry and completion.

use std::time::Duration;

use pressroom_domain::content::{Block, Contact, ContentInput, ReleaseContent};
use pressroom_domain::lifecycle::{Command, State};
use pressroom_domain::signoff::LinkStatus;
use pressroom_domain::visibility::Role;
use pressroom_storage::directory::TokenGrant;
use pressroom_storage::notifications::{ClaimedMail, MailKind, MailState};
use pressroom_storage::pagination::PageRequest;
use pressroom_storage::releases::StoredRelease;
use pressroom_storage::{StorageError, Store};
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::TwoMinisters;

const LEASE: Duration = Duration::from_secs(60);

fn content(w: &TwoMinisters, paragraph: &str) -> ReleaseContent {
    ReleaseContent::parse(ContentInput {
        language: "sv".into(),
        responsible_minister_id: Some(w.a.clone()),
        title: "Svensk-indiskt FN-initiativ fortsätter".into(),
        lead: "Närmare ett hundratal deltagare möts idag.".into(),
        body: vec![
            Block::Paragraph {
                text: paragraph.into(),
            },
            Block::Quote {
                speaker_id: w.b.clone(),
                text: "Industrin måste ställa om.".into(),
            },
        ],
        contacts: vec![Contact {
            name: "Tove Kullenberg".into(),
            role: None,
            phone: Some("08-405 10 00".into()),
            mobile: None,
            email: None,
        }],
        ..ContentInput::default()
    })
    .expect("content")
}

/// The world, with tokens for its drafter and editor and addresses for them and for the office
/// of minister `a` (minister `b`'s office has none).
async fn world(url: &str) -> TwoMinisters {
    let w = TwoMinisters::build(url).await;
    for (name, role) in [("dana", Role::Drafter), ("erik", Role::Editor)] {
        w.store
            .create_token(
                &"admin".into(),
                TokenGrant {
                    user_name: name.into(),
                    role,
                    department: Some("miljodepartementet".into()),
                    person_id: None,
                    embargo_access: false,
                    expires_at: None,
                },
            )
            .await
            .expect("token");
        w.store
            .set_user_email(
                &"admin".into(),
                &name.into(),
                Some(&format!("{name}@gov.example.se")),
            )
            .await
            .expect("user address");
    }
    w.store
        .set_office_email(
            &"admin".into(),
            &w.a.as_str().into(),
            Some("kansli.a@gov.example.se"),
        )
        .await
        .expect("office address");
    w
}

async fn submitted(w: &TwoMinisters) -> StoredRelease {
    let r = w
        .store
        .create_release(&w.drafter, "miljodepartementet", content(w, "Högnivåmötet"))
        .await
        .expect("create");
    w.store
        .act(&w.drafter, &r.id, r.version, Command::SubmitForReview, None)
        .await
        .expect("submit")
}

/// Claims every due message (one round, as a worker would).
async fn claim(store: &Store) -> Vec<ClaimedMail> {
    store.claim_mail(100, LEASE, 8).await.expect("claim")
}

/// Marks every claimed message sent.
async fn sent(store: &Store, mails: &[ClaimedMail]) {
    for mail in mails {
        store
            .record_mail_attempt(mail, None, None)
            .await
            .expect("record");
    }
}

fn recipients(mails: &[ClaimedMail], kind: MailKind) -> Vec<String> {
    let mut to: Vec<String> = mails
        .iter()
        .filter(|m| m.kind == kind)
        .map(|m| m.recipient.clone())
        .collect();
    to.sort();
    to
}

#[tokio::test]
async fn addresses_are_checked_like_contact_emails_and_audited_without_the_address() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        let error = w
            .store
            .set_office_email(
                &"admin".into(),
                &w.b.as_str().into(),
                Some("not an address"),
            )
            .await
            .expect_err("malformed");
        assert!(
            matches!(&error, StorageError::Rule(e) if e.field() == Some("email")),
            "{error:?}"
        );
        let error = w
            .store
            .set_office_email(&"admin".into(), &"no-such-person".into(), Some("a@b.se"))
            .await
            .expect_err("unknown person");
        assert_eq!(error.code(), "VALIDATION");
        assert_eq!(
            w.store
                .office_emails(&[w.a.as_str().into()])
                .await
                .expect("read")[w.a.as_str()],
            "kansli.a@gov.example.se"
        );
        w.store
            .set_office_email(&"admin".into(), &w.a.as_str().into(), None)
            .await
            .expect("clear");
        assert!(
            w.store
                .office_emails(&[w.a.as_str().into()])
                .await
                .expect("read")
                .is_empty()
        );
        let users = w.store.user_emails().await.expect("users");
        assert_eq!(
            users
                .iter()
                .map(|u| u.user_name.as_str())
                .collect::<Vec<_>>(),
            ["dana", "erik"]
        );
        let admin = pressroom_test_support::world::viewer("admin", Role::Admin, None, None);
        let page = PageRequest::new(Some(100), None).expect("page");
        let entries = w
            .store
            .secure_audit_entries(Some(&admin), None, &page)
            .await
            .expect("audit entries");
        assert!(
            entries
                .items
                .iter()
                .filter(|(_, e)| e.action.starts_with("set"))
                .all(|(_, e)| !e.details.contains('@')),
            "the audit log never holds an address"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn submitting_asks_each_office_with_an_address_by_a_fresh_link_and_an_edit_asks_again() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        let r = submitted(&w).await;
        let mails = claim(&w.store).await;
        assert_eq!(mails.len(), 1, "only the office with an address: {mails:?}");
        let request = &mails[0];
        assert_eq!(request.kind, MailKind::SignoffRequest);
        assert_eq!(request.recipient, "kansli.a@gov.example.se");
        assert_eq!(request.language, "sv");
        assert_eq!(
            request.payload["title"],
            "Svensk-indiskt FN-initiativ fortsätter"
        );
        assert_eq!(request.payload["actor"], "dana");
        let token = request
            .secret()
            .expect("a sign-off request carries its link");
        let page = w
            .store
            .signoff_link_page(token)
            .await
            .expect("page")
            .expect("the link exists");
        assert_eq!(page.view.status, LinkStatus::Waiting);
        assert_eq!(page.view.link.person_id, w.a);
        assert_eq!(page.view.link.signer, "Annika Strandhäll");
        sent(&w.store, &mails).await;

        // An edit in review makes a new revision: a fresh link, and the old one is dead.
        let r = w
            .store
            .act(
                &w.drafter,
                &r.id,
                r.version,
                Command::Update(content(&w, "Högnivåmötet i Stockholm")),
                None,
            )
            .await
            .expect("update");
        let again = claim(&w.store).await;
        assert_eq!(
            recipients(&again, MailKind::SignoffRequest),
            ["kansli.a@gov.example.se"]
        );
        let fresh = again[0].secret().expect("link");
        assert_ne!(fresh, token);
        let old = w
            .store
            .signoff_link_page(token)
            .await
            .expect("page")
            .expect("exists");
        assert_eq!(old.view.status, LinkStatus::Outdated);
        let new = w
            .store
            .signoff_link_page(fresh)
            .await
            .expect("page")
            .expect("exists");
        assert_eq!(new.view.link.revision, r.revision);
        sent(&w.store, &again).await;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_author_and_the_editors_hear_of_changes_requested_and_of_all_sign_offs_in() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        let r = submitted(&w).await;
        sent(&w.store, &claim(&w.store).await).await;
        let r = w
            .store
            .act(
                &w.office_b,
                &r.id,
                r.version,
                Command::RequestChanges("Ändra citatet.".into()),
                None,
            )
            .await
            .expect("request changes");
        let mails = claim(&w.store).await;
        assert_eq!(
            recipients(&mails, MailKind::ChangesRequested),
            ["dana@gov.example.se", "erik@gov.example.se"]
        );
        assert_eq!(mails[0].payload["comment"], "Ändra citatet.");
        assert_eq!(mails[0].payload["actor"], "bosse");
        assert!(mails.iter().all(|m| m.secret().is_none()));
        sent(&w.store, &mails).await;

        let r = w
            .store
            .act(&w.drafter, &r.id, r.version, Command::SubmitForReview, None)
            .await
            .expect("submit again");
        sent(&w.store, &claim(&w.store).await).await;
        let r = w
            .store
            .act(&w.office_a, &r.id, r.version, Command::Approve, None)
            .await
            .expect("approve a");
        assert!(
            claim(&w.store).await.is_empty(),
            "one approval of two: nothing yet"
        );
        let r = w
            .store
            .act(&w.office_b, &r.id, r.version, Command::Approve, None)
            .await
            .expect("approve b");
        assert_eq!(r.state, State::Approved);
        let mails = claim(&w.store).await;
        assert_eq!(
            recipients(&mails, MailKind::AllSignedOff),
            ["dana@gov.example.se", "erik@gov.example.se"]
        );
        sent(&w.store, &mails).await;

        // A drafter whose token is revoked no longer hears about the department's releases.
        let tokens = w.store.user_emails().await.expect("users");
        assert_eq!(tokens.len(), 2);
        let r = w
            .store
            .act(&w.editor, &r.id, r.version, Command::PublishNow, None)
            .await
            .expect("publish");
        assert_eq!(r.state, State::Published);
        let mails = claim(&w.store).await;
        assert_eq!(
            recipients(&mails, MailKind::Published),
            ["dana@gov.example.se", "erik@gov.example.se"]
        );
        sent(&w.store, &mails).await;
        let counts = w.store.mail_counts().await.expect("counts");
        assert_eq!(counts.pending, 0);
        assert!(counts.sent >= 7, "{counts:?}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_edit_that_voids_the_approvals_ten_minutes_before_the_instant_alerts_the_editors_at_once()
 {
    for db in test_databases().await {
        let w = world(&db.url).await;
        let r = submitted(&w).await;
        let r = w
            .store
            .act(&w.office_a, &r.id, r.version, Command::Approve, None)
            .await
            .expect("approve a");
        let r = w
            .store
            .act(&w.office_b, &r.id, r.version, Command::Approve, None)
            .await
            .expect("approve b");
        let instant = w.store.now() + chrono::Duration::hours(2);
        let r = w
            .store
            .act(
                &w.editor,
                &r.id,
                r.version,
                Command::Schedule(instant),
                None,
            )
            .await
            .expect("schedule");
        sent(&w.store, &claim(&w.store).await).await;
        w.clock.set(instant - chrono::Duration::minutes(10));
        let r = w
            .store
            .act(
                &w.drafter,
                &r.id,
                r.version,
                Command::Update(content(&w, "Ett sent tillägg")),
                None,
            )
            .await
            .expect("update");
        assert_eq!(r.state, State::InReview);
        let mails = claim(&w.store).await;
        assert_eq!(
            recipients(&mails, MailKind::ReadinessAlert),
            ["erik@gov.example.se"],
            "editors only"
        );
        let alert = mails
            .iter()
            .find(|m| m.kind == MailKind::ReadinessAlert)
            .expect("alert");
        assert_eq!(alert.payload["problem"], "approvalsVoided");
        assert_eq!(
            recipients(&mails, MailKind::SignoffRequest),
            ["kansli.a@gov.example.se"],
            "and the office is asked again"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_failed_attempt_waits_for_its_retry_and_a_finished_message_forgets_its_link() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        submitted(&w).await;
        let first = claim(&w.store).await;
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].attempt, 1);
        assert!(
            claim(&w.store).await.is_empty(),
            "claimed: leased to this worker"
        );
        let retry_at = w.store.now() + chrono::Duration::seconds(30);
        let state = w
            .store
            .record_mail_attempt(&first[0], Some("451 try again later"), Some(retry_at))
            .await
            .expect("record");
        assert_eq!(state, Some(MailState::Pending));
        assert!(claim(&w.store).await.is_empty(), "not due before the retry");
        w.clock.set(retry_at);
        let second = claim(&w.store).await;
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].attempt, 2);
        assert_eq!(second[0].secret(), first[0].secret());
        assert_eq!(
            w.store
                .record_mail_attempt(&second[0], None, None)
                .await
                .expect("record"),
            Some(MailState::Sent)
        );
        let record = &w.store.mail_messages(None, 10).await.expect("list")[0];
        assert_eq!(record.state, MailState::Sent);
        assert_eq!(record.attempts, 2);
        assert_eq!(record.last_error.as_deref(), Some("451 try again later"));
        assert!(claim(&w.store).await.is_empty());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_embargo_near_its_instant_with_no_scheduler_reporting_in_alerts_the_editors_once() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        let r = submitted(&w).await;
        let r = w
            .store
            .act(&w.office_a, &r.id, r.version, Command::Approve, None)
            .await
            .expect("approve a");
        let r = w
            .store
            .act(&w.office_b, &r.id, r.version, Command::Approve, None)
            .await
            .expect("approve b");
        let instant = w.store.now() + chrono::Duration::minutes(40);
        w.store
            .act(
                &w.editor,
                &r.id,
                r.version,
                Command::Schedule(instant),
                None,
            )
            .await
            .expect("schedule");
        sent(&w.store, &claim(&w.store).await).await;
        w.store
            .report_scheduler_alive("scheduler-1")
            .await
            .expect("heartbeat");
        assert_eq!(
            w.store.check_readiness().await.expect("check"),
            0,
            "not yet within the lead"
        );
        // Within the lead, with a scheduler that reported in a minute ago: ready.
        w.clock.set(instant - chrono::Duration::minutes(29));
        w.store
            .report_scheduler_alive("scheduler-1")
            .await
            .expect("heartbeat");
        w.clock.set(instant - chrono::Duration::minutes(28));
        assert_eq!(w.store.check_readiness().await.expect("check"), 0);
        // The scheduler went quiet: the editors hear it, once.
        w.clock.set(instant - chrono::Duration::minutes(20));
        assert_eq!(w.store.check_readiness().await.expect("check"), 1);
        assert_eq!(w.store.check_readiness().await.expect("check"), 0, "once");
        let mails = claim(&w.store).await;
        assert_eq!(
            recipients(&mails, MailKind::ReadinessAlert),
            ["erik@gov.example.se"]
        );
        assert_eq!(mails[0].payload["problem"], "noScheduler");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_newsroom_user_without_a_token_hears_while_their_session_lives() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        let link = w
            .store
            .create_signin_link(
                &"admin".into(),
                TokenGrant {
                    user_name: "sara".into(),
                    role: Role::Editor,
                    department: Some("miljodepartementet".into()),
                    person_id: None,
                    embargo_access: false,
                    expires_at: None,
                },
            )
            .await
            .expect("sign-in link");
        w.store
            .redeem_signin_link(&link.token, chrono::Duration::hours(8))
            .await
            .expect("redeem")
            .expect("a session");
        w.store
            .set_user_email(&"admin".into(), &"sara".into(), Some("sara@gov.example.se"))
            .await
            .expect("address");
        let r = submitted(&w).await;
        sent(&w.store, &claim(&w.store).await).await;
        w.store
            .act(
                &w.office_a,
                &r.id,
                r.version,
                Command::RequestChanges("Nej.".into()),
                None,
            )
            .await
            .expect("request changes");
        assert_eq!(
            recipients(&claim(&w.store).await, MailKind::ChangesRequested),
            [
                "dana@gov.example.se",
                "erik@gov.example.se",
                "sara@gov.example.se"
            ]
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn offices_that_have_not_answered_are_reminded_once_before_the_review_deadline() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        w.store
            .set_office_email(
                &"admin".into(),
                &w.b.as_str().into(),
                Some("kansli.b@gov.example.se"),
            )
            .await
            .expect("office address");
        let r = w
            .store
            .create_release(
                &w.drafter,
                "miljodepartementet",
                content(&w, "Högnivåmötet"),
            )
            .await
            .expect("create");
        let deadline = w.store.now() + chrono::Duration::hours(6);
        let error = w
            .store
            .set_review_deadline(&w.office_a, &r.id, r.version, Some(deadline))
            .await
            .expect_err("an office does not set deadlines");
        assert!(
            matches!(error.code().as_str(), "FORBIDDEN" | "NOT_FOUND"),
            "{error:?}"
        );
        let past = w
            .store
            .set_review_deadline(&w.drafter, &r.id, r.version, Some(w.store.now()))
            .await
            .expect_err("in the past");
        assert_eq!(past.code(), "VALIDATION");
        w.store
            .set_review_deadline(&w.drafter, &r.id, r.version, Some(deadline))
            .await
            .expect("deadline");
        let r = w
            .store
            .act(&w.drafter, &r.id, r.version, Command::SubmitForReview, None)
            .await
            .expect("submit");
        let requests = claim(&w.store).await;
        assert_eq!(requests.len(), 2);
        assert!(
            requests
                .iter()
                .all(|m| m.payload["deadline"].as_str().is_some()),
            "the requests name the deadline"
        );
        sent(&w.store, &requests).await;
        w.store
            .act(&w.office_a, &r.id, r.version, Command::Approve, None)
            .await
            .expect("approve a");
        assert_eq!(
            w.store.send_deadline_reminders().await.expect("look"),
            0,
            "not yet"
        );
        w.clock.set(deadline - chrono::Duration::minutes(90));
        assert_eq!(w.store.send_deadline_reminders().await.expect("look"), 1);
        assert_eq!(
            w.store.send_deadline_reminders().await.expect("look"),
            0,
            "once"
        );
        let reminders = claim(&w.store).await;
        assert_eq!(
            recipients(&reminders, MailKind::DeadlineReminder),
            ["kansli.b@gov.example.se"],
            "only the office that has not answered"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_scheduler_s_publication_at_the_instant_is_announced_with_its_lateness() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        let r = submitted(&w).await;
        let r = w
            .store
            .act(&w.office_a, &r.id, r.version, Command::Approve, None)
            .await
            .expect("approve a");
        let r = w
            .store
            .act(&w.office_b, &r.id, r.version, Command::Approve, None)
            .await
            .expect("approve b");
        let instant = w.store.now() + chrono::Duration::hours(1);
        w.store
            .act(
                &w.editor,
                &r.id,
                r.version,
                Command::Schedule(instant),
                None,
            )
            .await
            .expect("schedule");
        sent(&w.store, &claim(&w.store).await).await;
        w.clock.set(instant + chrono::Duration::milliseconds(40));
        let batch = w.store.publish_due(100).await.expect("publish");
        assert_eq!(batch.published.len(), 1);
        let mails = claim(&w.store).await;
        assert_eq!(
            recipients(&mails, MailKind::Published),
            ["dana@gov.example.se", "erik@gov.example.se"]
        );
        assert_eq!(mails[0].payload["actor"], "scheduler");
        assert_eq!(mails[0].payload["lateMs"], 40);
        assert!(mails[0].payload["slug"].as_str().is_some());
        db.cleanup().await;
    }
}
