//! The write path on every database: guarded updates, one audit entry per write, refusals that
//! change nothing, concurrent writers, and the audit chain's verification.

use chrono::Duration;
use pressroom_domain::content::{Block, Contact, ContentInput, ReleaseContent};
use pressroom_domain::lifecycle::{Command, State};
use pressroom_domain::visibility::Viewer;
use pressroom_storage::audit::{Verification, verify};
use pressroom_storage::pagination::PageRequest;
use pressroom_storage::releases::ReleaseFilter;
use pressroom_storage::{StorageError, Store};
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::TwoMinisters;
use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};

type World = TwoMinisters;

async fn world(url: &str) -> World {
    TwoMinisters::build(url).await
}

fn content(w: &World, paragraph: &str, quote_b: Option<&str>) -> ReleaseContent {
    let mut body = vec![
        Block::Paragraph {
            text: paragraph.into(),
        },
        Block::Quote {
            speaker_id: w.a.clone(),
            text: "Sverige ska axla det internationella klimatledarskapet".into(),
        },
    ];
    if let Some(text) = quote_b {
        body.push(Block::Quote {
            speaker_id: w.b.clone(),
            text: text.into(),
        });
    }
    ReleaseContent::parse(ContentInput {
        language: "sv".into(),
        responsible_minister_id: Some(w.a.clone()),
        title: "Svensk-indiskt FN-initiativ fortsätter att leda tunga industrins klimatomställning"
            .into(),
        lead: "Närmare ett hundratal deltagare\u{a0}möts idag – i Stockholm.".into(),
        body,
        contacts: vec![Contact {
            name: "Tove Kullenberg".into(),
            role: Some("Pressekreterare".into()),
            phone: Some("08-405 10 00".into()),
            mobile: None,
            email: None,
        }],
        topics: vec!["Klimat".into()],
        ..ContentInput::default()
    })
    .expect("content")
}

async fn audit_count(store: &Store) -> u64 {
    pressroom_storage::entity::audit_log::Entity::find()
        .count(store.connection())
        .await
        .expect("count")
}

#[tokio::test]
async fn a_release_walks_from_draft_to_published_with_one_audit_entry_per_write() {
    for test_db in test_databases().await {
        let w = world(&test_db.url).await;
        let before = audit_count(&w.store).await;
        let r = w
            .store
            .create_release(
                &w.drafter,
                "miljodepartementet",
                content(&w, "Högnivåmötet", None),
            )
            .await
            .expect("create");
        assert_eq!((r.state, r.version, r.revision), (State::Draft, 1, 1));
        assert_eq!(
            r.slug,
            "svensk-indiskt-fn-initiativ-fortsatter-att-leda-tunga-industrins-klimatomstallning"
        );
        assert_eq!(
            r.content.lead(),
            "Närmare ett hundratal deltagare\u{a0}möts idag – i Stockholm."
        );
        let r = w
            .store
            .act(&w.drafter, &r.id, 1, Command::SubmitForReview, None)
            .await
            .expect("submit");
        // The office finds it in its queue.
        let queue = w
            .store
            .review_queue(&w.office_a, &PageRequest::new(None, None).expect("page"))
            .await
            .expect("queue");
        assert_eq!(queue.items.len(), 1, "{}", test_db.backend_name);
        let r = w
            .store
            .act(&w.office_a, &r.id, 2, Command::Approve, None)
            .await
            .expect("approve");
        assert_eq!(r.state, State::Approved);
        let queue = w
            .store
            .review_queue(&w.office_a, &PageRequest::new(None, None).expect("page"))
            .await
            .expect("queue");
        assert!(queue.items.is_empty());
        let r = w
            .store
            .act(&w.editor, &r.id, 3, Command::PublishNow, None)
            .await
            .expect("publish");
        assert_eq!(r.state, State::Published);
        assert_eq!(audit_count(&w.store).await - before, 4);
        // Anonymous callers see it in the listing now.
        let now = w.store.now();
        let page = w
            .store
            .secure_releases(
                None,
                &ReleaseFilter::default(),
                &PageRequest::new(None, None).expect("page"),
                now,
            )
            .await
            .expect("list");
        assert_eq!(page.items.len(), 1);
        assert!(matches!(
            verify(w.store.connection()).await.expect("verify"),
            Verification::Intact { .. }
        ));
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_refused_action_changes_nothing() {
    for test_db in test_databases().await {
        let w = world(&test_db.url).await;
        let r = w
            .store
            .create_release(&w.drafter, "miljodepartementet", content(&w, "Ett", None))
            .await
            .expect("create");
        let count = audit_count(&w.store).await;
        let refusals = [
            (
                w.store
                    .act(&w.drafter, &r.id, 1, Command::Approve, None)
                    .await,
                "FORBIDDEN",
            ),
            (
                w.store
                    .act(&w.editor, &r.id, 1, Command::Withdraw("x".into()), None)
                    .await,
                "INVALID_TRANSITION",
            ),
            (
                w.store
                    .act(&w.drafter, &r.id, 7, Command::SubmitForReview, None)
                    .await,
                "VERSION_CONFLICT",
            ),
            (
                w.store
                    .act(&w.office_a, &r.id, 1, Command::Approve, None)
                    .await,
                "NOT_FOUND",
            ),
        ];
        for (result, code) in refusals {
            assert_eq!(
                result.map(|_| ()).unwrap_err().code(),
                code,
                "{}",
                test_db.backend_name
            );
        }
        assert_eq!(audit_count(&w.store).await, count);
        let now = w.store.now();
        let again = w
            .store
            .secure_release(Some(&w.drafter), &r.id, now)
            .await
            .expect("read")
            .expect("visible");
        assert_eq!(again, r);
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn an_update_with_the_current_content_of_an_approved_or_embargoed_release_changes_nothing() {
    for test_db in test_databases().await {
        let w = world(&test_db.url).await;
        let same = || content(&w, "Högnivåmötet", None);
        let r = w
            .store
            .create_release(&w.drafter, "miljodepartementet", same())
            .await
            .expect("create");
        let r = w
            .store
            .act(&w.drafter, &r.id, 1, Command::SubmitForReview, None)
            .await
            .expect("submit");
        let approved = w
            .store
            .act(&w.office_a, &r.id, 2, Command::Approve, None)
            .await
            .expect("approve");
        assert_eq!(approved.state, State::Approved);
        let until = w.store.now() + Duration::hours(2);
        let embargoed = w
            .store
            .act(&w.drafter, &r.id, 3, Command::Schedule(until), None)
            .await
            .expect("schedule");
        assert_eq!(embargoed.state, State::Embargoed);
        let count = audit_count(&w.store).await;
        let refused = w
            .store
            .act(&w.drafter, &r.id, 4, Command::Update(same()), None)
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!(refused.code(), "VALIDATION", "{}", test_db.backend_name);
        assert_eq!(audit_count(&w.store).await, count);
        let now = w.store.now();
        let again = w
            .store
            .secure_release(Some(&w.drafter), &r.id, now)
            .await
            .expect("read")
            .expect("visible");
        assert_eq!(again, embargoed, "{}", test_db.backend_name);
        // Cancelled back to APPROVED, the same update is refused too, and the office's queue
        // stays empty because nothing went back to review.
        let approved = w
            .store
            .act(
                &w.editor,
                &r.id,
                4,
                Command::CancelEmbargo("Nytt datum".into()),
                None,
            )
            .await
            .expect("cancel");
        assert_eq!(approved.state, State::Approved);
        let refused = w
            .store
            .act(&w.drafter, &r.id, 5, Command::Update(same()), None)
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!(refused.code(), "VALIDATION", "{}", test_db.backend_name);
        let again = w
            .store
            .secure_release(Some(&w.drafter), &r.id, now)
            .await
            .expect("read")
            .expect("visible");
        assert_eq!(again, approved);
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn concurrent_writers_with_the_same_version_produce_exactly_one_write() {
    for test_db in test_databases().await {
        let w = world(&test_db.url).await;
        let r = w
            .store
            .create_release(&w.drafter, "miljodepartementet", content(&w, "Ett", None))
            .await
            .expect("create");
        let count = audit_count(&w.store).await;
        let mut tasks = Vec::new();
        for i in 0..8 {
            let store = w.store.clone();
            let drafter = w.drafter.clone();
            let id = r.id.clone();
            let new_content = content(&w, &format!("Version {i}"), None);
            tasks.push(tokio::spawn(async move {
                store
                    .act(&drafter, &id, 1, Command::Update(new_content), None)
                    .await
            }));
        }
        let mut ok = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(_) => ok += 1,
                Err(StorageError::VersionConflict { .. }) => {}
                Err(other) => panic!("{}: unexpected {other:?}", test_db.backend_name),
            }
        }
        assert_eq!(ok, 1, "{}: exactly one writer wins", test_db.backend_name);
        assert_eq!(audit_count(&w.store).await, count + 1);
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn an_edit_that_keeps_a_quoted_persons_quotes_keeps_that_offices_approval() {
    for test_db in test_databases().await {
        let w = world(&test_db.url).await;
        let r = w
            .store
            .create_release(
                &w.drafter,
                "miljodepartementet",
                content(&w, "Ett", Some("Japan och Sydafrika")),
            )
            .await
            .expect("create");
        let r = w
            .store
            .act(&w.drafter, &r.id, 1, Command::SubmitForReview, None)
            .await
            .expect("submit");
        let r = w
            .store
            .act(&w.office_b, &r.id, 2, Command::Approve, None)
            .await
            .expect("b approves");
        assert_eq!(r.state, State::InReview);
        let r = w
            .store
            .act(&w.office_a, &r.id, 3, Command::Approve, None)
            .await
            .expect("a approves");
        assert_eq!(r.state, State::Approved);
        let r = w
            .store
            .act(
                &w.drafter,
                &r.id,
                4,
                Command::Update(content(&w, "Två", Some("Japan och Sydafrika"))),
                None,
            )
            .await
            .expect("edit");
        assert_eq!((r.state, r.revision), (State::InReview, 2));
        // B's approval still covers B's unchanged quote, so only A's office is waiting.
        let page = PageRequest::new(None, None).expect("page");
        assert!(
            w.store
                .review_queue(&w.office_b, &page)
                .await
                .expect("queue b")
                .items
                .is_empty()
        );
        assert_eq!(
            w.store
                .review_queue(&w.office_a, &page)
                .await
                .expect("queue a")
                .items
                .len(),
            1
        );
        let r = w
            .store
            .act(&w.office_a, &r.id, 5, Command::Approve, None)
            .await
            .expect("a approves again");
        assert_eq!(r.state, State::Approved, "{}", test_db.backend_name);
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn an_embargoed_release_is_public_from_its_instant_and_published_by_the_next_write() {
    for test_db in test_databases().await {
        let w = world(&test_db.url).await;
        let r = w
            .store
            .create_release(&w.drafter, "miljodepartementet", content(&w, "Ett", None))
            .await
            .expect("create");
        let r = w
            .store
            .act(&w.drafter, &r.id, 1, Command::SubmitForReview, None)
            .await
            .expect("submit");
        let r = w
            .store
            .act(&w.office_a, &r.id, 2, Command::Approve, None)
            .await
            .expect("approve");
        let until = w.store.now() + Duration::minutes(10);
        let r = w
            .store
            .act(&w.drafter, &r.id, 3, Command::Schedule(until), None)
            .await
            .expect("schedule");
        assert!(
            w.store
                .secure_release(None, &r.id, until - Duration::microseconds(1))
                .await
                .expect("read")
                .is_none()
        );
        assert!(
            w.store
                .secure_release(None, &r.id, until)
                .await
                .expect("read")
                .is_some()
        );
        // After the instant, a withdrawal first records the publication (by the scheduler, at the instant).
        w.clock.set(until + Duration::seconds(2));
        let r = w
            .store
            .act(
                &w.editor,
                &r.id,
                4,
                Command::Withdraw("Fel datum".into()),
                None,
            )
            .await
            .expect("withdraw");
        assert_eq!(
            (r.state, r.version, r.published_at),
            (State::Withdrawn, 6, Some(until))
        );
        let rows = w
            .store
            .connection()
            .query_all_raw(sea_orm::Statement::from_string(
                w.store.backend(),
                "SELECT actor, action, details FROM audit_log ORDER BY seq DESC LIMIT 2",
            ))
            .await
            .expect("audit rows");
        let actors: Vec<String> = rows
            .iter()
            .map(|row| row.try_get::<String>("", "actor").expect("actor"))
            .collect();
        assert_eq!(actors, vec!["erik".to_owned(), "scheduler".to_owned()]);
        let details: String = rows[1].try_get("", "details").expect("details");
        assert!(details.contains("\"lateMs\":2000"), "{details}");
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn audit_verify_names_the_first_altered_entry() {
    for test_db in test_databases().await {
        let w = world(&test_db.url).await;
        let r = w
            .store
            .create_release(&w.drafter, "miljodepartementet", content(&w, "Ett", None))
            .await
            .expect("create");
        w.store
            .act(&w.drafter, &r.id, 1, Command::SubmitForReview, None)
            .await
            .expect("submit");
        let Verification::Intact { entries, .. } =
            verify(w.store.connection()).await.expect("verify")
        else {
            panic!("an untouched chain verifies");
        };
        assert_eq!(entries, 5);
        let db = w.store.connection();
        let tamper = if test_db.is_postgres() {
            "ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET actor = 'mallory' WHERE seq = 3; ALTER TABLE audit_log ENABLE TRIGGER USER;"
        } else {
            "DROP TRIGGER audit_log_refuse_update; UPDATE audit_log SET actor = 'mallory' WHERE seq = 3;"
        };
        db.execute_unprepared(tamper)
            .await
            .expect("tamper behind the triggers' back");
        match verify(db).await.expect("verify") {
            Verification::Broken(broken) => assert_eq!(broken.seq(), 3, "{}", test_db.backend_name),
            Verification::Intact { .. } => {
                panic!("{}: a tampered chain verified", test_db.backend_name)
            }
        }
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creations_with_one_title_get_distinct_slugs() {
    for test_db in test_databases().await {
        let w = world(&test_db.url).await;
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let store = w.store.clone();
            let drafter = w.drafter.clone();
            let c = content(&w, "Samma rubrik", None);
            tasks.push(tokio::spawn(async move {
                store
                    .create_release(&drafter, "miljodepartementet", c)
                    .await
            }));
        }
        let mut slugs = Vec::new();
        for task in tasks {
            slugs.push(task.await.expect("task").expect("created").slug);
        }
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), 6, "{}: {slugs:?}", test_db.backend_name);
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn full_text_search_finds_words_in_quotes_treats_operators_as_text_and_respects_visibility() {
    for test_db in test_databases().await {
        let w = world(&test_db.url).await;
        let published = w
            .store
            .create_release(
                &w.drafter,
                "miljodepartementet",
                content(
                    &w,
                    "Högnivåmötet om stål",
                    Some("Japan och Sydafrika ansluter"),
                ),
            )
            .await
            .expect("create");
        let r = w
            .store
            .act(&w.drafter, &published.id, 1, Command::SubmitForReview, None)
            .await
            .expect("submit");
        let r = w
            .store
            .act(&w.office_a, &r.id, 2, Command::Approve, None)
            .await
            .expect("a");
        let r = w
            .store
            .act(&w.office_b, &r.id, 3, Command::Approve, None)
            .await
            .expect("b");
        w.store
            .act(&w.editor, &r.id, 4, Command::PublishNow, None)
            .await
            .expect("publish");
        let draft = w
            .store
            .create_release(
                &w.drafter,
                "miljodepartementet",
                content(&w, "Hemligt utkast om stål", None),
            )
            .await
            .expect("draft");
        let now = w.store.now();
        let page = PageRequest::new(None, None).expect("page");
        let search = |viewer: Option<Viewer>, words: &'static str| {
            let store = w.store.clone();
            let page = page.clone();
            async move {
                let filter = ReleaseFilter {
                    query: Some(words.into()),
                    ..ReleaseFilter::default()
                };
                store
                    .secure_releases(viewer.as_ref(), &filter, &page, now)
                    .await
                    .unwrap_or_else(|e| panic!("search {words:?}: {e}"))
                    .items
                    .into_iter()
                    .map(|(_, r)| r.id)
                    .collect::<Vec<_>>()
            }
        };
        let b = test_db.backend_name;
        assert_eq!(
            search(None, "Sydafrika").await,
            vec![published.id.clone()],
            "{b}: a word of a quote"
        );
        assert_eq!(
            search(None, "stål").await,
            vec![published.id.clone()],
            "{b}: the draft stays hidden"
        );
        assert_eq!(
            search(Some(w.drafter.clone()), "stål").await.len(),
            2,
            "{b}: staff find both"
        );
        assert!(
            search(None, "Kenya").await.is_empty(),
            "{b}: a word that is not there"
        );
        for operators in [
            "Sydafrika OR Kenya",
            "\"Sydafrika",
            "Syd*",
            "NEAR(Japan Sydafrika)",
            "-Japan",
            "'; DROP TABLE releases; --",
        ] {
            let _ = search(None, operators).await;
        }
        assert!(
            search(None, "Sydafrika OR Kenya").await.is_empty(),
            "{b}: OR is a word, not an operator"
        );
        assert!(
            search(Some(w.drafter.clone()), "Hemligt")
                .await
                .contains(&draft.id)
        );
        drop(w);
        test_db.cleanup().await;
    }
}
