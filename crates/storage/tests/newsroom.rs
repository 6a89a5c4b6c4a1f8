//! The newsroom's reads on every database: the work list (its department only, its filters,
//! keyset paging), what an office signed before, the schedule of the next hours, the "waiting
//! on" board (standings from the domain, sign-off links for those who manage them), the revision
//! an office last approved and a release's history, each through the visibility rule, and each
//! costing the same number of SQL statements whatever the length of its list.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Duration;
use pressroom_domain::PersonId;
use pressroom_domain::approval::ApprovalStatus;
use pressroom_domain::content::{Block, Contact, ContentInput, ReleaseContent};
use pressroom_domain::lifecycle::{Command, State};
use pressroom_domain::signoff::{LinkRequest, LinkStatus};
use pressroom_domain::visibility::{Role, Viewer};
use pressroom_storage::Store;
use pressroom_storage::newsroom::WorkFilter;
use pressroom_storage::pagination::PageRequest;
use pressroom_storage::releases::StoredRelease;
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::{TwoMinisters, viewer};

fn content(w: &TwoMinisters, title: &str, quote_b: Option<&str>, topic: &str) -> ReleaseContent {
    let mut body = vec![
        Block::Paragraph {
            text: "Högnivåmötet i Stockholm – industrins omställning.".into(),
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
        title: title.into(),
        lead: "Närmare ett hundratal deltagare möts idag.".into(),
        body,
        contacts: vec![Contact {
            name: "Tove Kullenberg".into(),
            role: None,
            phone: None,
            mobile: None,
            email: None,
        }],
        topics: vec![topic.into()],
        ..ContentInput::default()
    })
    .expect("content")
}

async fn create(w: &TwoMinisters, author: &Viewer, title: &str, topic: &str) -> StoredRelease {
    w.store
        .create_release(
            author,
            "miljodepartementet",
            content(w, title, Some("Industrin måste ställa om."), topic),
        )
        .await
        .expect("create")
}

async fn act(w: &TwoMinisters, who: &Viewer, r: &StoredRelease, c: Command) -> StoredRelease {
    w.store
        .act(who, &r.id, r.version, c, None)
        .await
        .expect("act")
}

async fn in_review(w: &TwoMinisters, title: &str) -> StoredRelease {
    let r = create(w, &w.drafter, title, "Klimat").await;
    act(w, &w.drafter, &r, Command::SubmitForReview).await
}

async fn approved(w: &TwoMinisters, title: &str) -> StoredRelease {
    let r = in_review(w, title).await;
    let r = act(w, &w.office_a, &r, Command::Approve).await;
    act(w, &w.office_b, &r, Command::Approve).await
}

fn page(first: i32) -> PageRequest {
    PageRequest::new(Some(first), None).expect("page")
}

fn ids(items: &[(String, StoredRelease)]) -> Vec<String> {
    items.iter().map(|(_, r)| r.id.clone()).collect()
}

/// A second department with a drafter and a published release, which the first department's
/// staff see publicly but never in their work list.
async fn other_department(w: &TwoMinisters) -> (Viewer, StoredRelease) {
    let department = w
        .store
        .create_department(
            &"root".into(),
            "utrikesdepartementet",
            "Utrikesdepartementet",
            "Europe/Stockholm",
        )
        .await
        .expect("department");
    let olga = viewer("olga", Role::Drafter, Some(&department.id), None);
    let editor = viewer("ulf", Role::Editor, Some(&department.id), None);
    let r = w
        .store
        .create_release(
            &olga,
            "utrikesdepartementet",
            content(w, "Utrikes", Some("Citat."), "Klimat"),
        )
        .await
        .expect("create");
    let r = act(w, &olga, &r, Command::SubmitForReview).await;
    let r = act(w, &w.office_a, &r, Command::Approve).await;
    let r = act(w, &w.office_b, &r, Command::Approve).await;
    let r = act(w, &editor, &r, Command::PublishNow).await;
    (olga, r)
}

#[tokio::test]
async fn the_work_list_is_the_departments_releases_filtered_and_keyset_paged() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let (olga, foreign) = other_department(&w).await;
        let mut mine = Vec::new();
        for n in 0..5 {
            w.clock.set(w.store.now() + Duration::seconds(1));
            let author = if n % 2 == 0 { &w.drafter } else { &w.editor };
            let topic = if n < 3 { "Klimat" } else { "Industri" };
            mine.push(create(&w, author, &format!("Meddelande {n}"), topic).await);
        }
        w.clock.set(w.store.now() + Duration::seconds(1));
        let reviewed = act(&w, &w.drafter, &mine[0], Command::SubmitForReview).await;
        mine.reverse();
        let newest_first: Vec<String> = mine.iter().map(|r| r.id.clone()).collect();

        let all = w
            .store
            .work_list(&w.drafter, &WorkFilter::default(), &page(10))
            .await
            .expect("list");
        let listed = ids(&all.items);
        assert!(
            !listed.contains(&foreign.id),
            "another department's release"
        );
        let mut expected = newest_first.clone();
        expected.retain(|id| *id != reviewed.id);
        expected.insert(0, reviewed.id.clone());
        assert_eq!(listed, expected, "newest write first");

        let first = w
            .store
            .work_list(&w.drafter, &WorkFilter::default(), &page(2))
            .await
            .expect("page 1");
        assert!(first.has_next_page);
        let cursor = first.items.last().expect("two").0.clone();
        let rest = w
            .store
            .work_list(
                &w.drafter,
                &WorkFilter::default(),
                &PageRequest::new(Some(10), Some(&cursor)).expect("page"),
            )
            .await
            .expect("page 2");
        assert_eq!(
            [ids(&first.items), ids(&rest.items)].concat(),
            expected,
            "the pages join up"
        );

        let by = |filter: WorkFilter| {
            let store = w.store.clone();
            let drafter = w.drafter.clone();
            async move {
                ids(&store
                    .work_list(&drafter, &filter, &page(10))
                    .await
                    .expect("list")
                    .items)
            }
        };
        assert_eq!(
            by(WorkFilter {
                states: Some(vec![State::InReview]),
                ..WorkFilter::default()
            })
            .await,
            vec![reviewed.id.clone()]
        );
        let by_erik = by(WorkFilter {
            author: Some("erik".into()),
            ..WorkFilter::default()
        })
        .await;
        assert_eq!(by_erik.len(), 2, "{by_erik:?}");
        assert_eq!(
            by(WorkFilter {
                topic: Some("Industri".into()),
                ..WorkFilter::default()
            })
            .await
            .len(),
            2
        );
        assert_eq!(
            by(WorkFilter {
                query: Some("Meddelande".into()),
                topic: Some("Klimat".into()),
                ..WorkFilter::default()
            })
            .await
            .len(),
            3
        );

        let theirs = w
            .store
            .work_list(&olga, &WorkFilter::default(), &page(10))
            .await
            .expect("list");
        assert_eq!(ids(&theirs.items), vec![foreign.id.clone()]);
        let admin = viewer("root", Role::Admin, None, None);
        assert_eq!(
            w.store
                .work_list(&admin, &WorkFilter::default(), &page(50))
                .await
                .expect("list")
                .items
                .len(),
            6,
            "an admin's list has everything"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_office_sees_what_it_signed_before_and_the_revision_it_last_approved() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let signed = in_review(&w, "Godkänt").await;
        let signed = act(&w, &w.office_a, &signed, Command::Approve).await;
        let sent_back = in_review(&w, "Tillbakaskickat").await;
        let sent_back = act(
            &w,
            &w.office_b,
            &sent_back,
            Command::RequestChanges("Stryk citatet.".into()),
        )
        .await;
        let waiting = in_review(&w, "Väntar").await;

        let listed = w
            .store
            .signed_by_office(&w.office_a, &page(10))
            .await
            .expect("list");
        assert_eq!(ids(&listed.items), vec![signed.id.clone()]);
        let listed = w
            .store
            .signed_by_office(&w.office_b, &page(10))
            .await
            .expect("list");
        assert_eq!(
            ids(&listed.items),
            Vec::<String>::new(),
            "a release back in DRAFT is out of the office's sight"
        );
        assert!(
            w.store
                .signed_by_office(&w.drafter, &page(10))
                .await
                .expect("list")
                .items
                .is_empty(),
            "only offices sign"
        );

        // A new revision: the office's approval of revision 1 no longer holds, but it is the
        // revision it last approved, which the newsroom diffs against.
        let edited = act(
            &w,
            &w.drafter,
            &signed,
            Command::Update(content(
                &w,
                "Godkänt, ändrat",
                Some("Nytt citat."),
                "Klimat",
            )),
        )
        .await;
        assert_eq!(edited.revision, 2);
        let last = w
            .store
            .last_approved_revision(&w.office_a, &signed.id, &PersonId::new(&w.a))
            .await
            .expect("read")
            .expect("approved once");
        assert_eq!(last.revision, 1);
        assert_eq!(last.content_hash, signed.content_hash);
        assert_eq!(last.by_user, "anna");
        assert_eq!(
            w.store
                .last_approved_revision(&w.drafter, &signed.id, &PersonId::new(&w.a))
                .await
                .expect("read")
                .map(|r| r.revision),
            Some(1),
            "the department's staff see it too"
        );
        assert!(
            w.store
                .last_approved_revision(&w.office_a, &waiting.id, &PersonId::new(&w.a))
                .await
                .expect("read")
                .is_none(),
            "never approved"
        );
        let integrator = Viewer {
            embargo_access: true,
            ..viewer("tt", Role::Integrator, None, None)
        };
        assert!(
            w.store
                .last_approved_revision(&integrator, &signed.id, &PersonId::new(&w.a))
                .await
                .expect("read")
                .is_none(),
            "internal detail"
        );
        let stranger = viewer("olga", Role::Drafter, Some("elsewhere"), None);
        assert!(
            w.store
                .last_approved_revision(&stranger, &signed.id, &PersonId::new(&w.a))
                .await
                .expect("read")
                .is_none()
        );
        let _ = sent_back;
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_schedule_shows_embargoed_releases_due_in_the_window_with_their_instant() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let now = w.store.now();
        let soon = approved(&w, "Snart").await;
        let soon = act(
            &w,
            &w.drafter,
            &soon,
            Command::Schedule(now + Duration::hours(2)),
        )
        .await;
        let later = approved(&w, "Senare").await;
        let later = act(
            &w,
            &w.drafter,
            &later,
            Command::Schedule(now + Duration::hours(30)),
        )
        .await;
        let far = approved(&w, "Långt bort").await;
        act(
            &w,
            &w.drafter,
            &far,
            Command::Schedule(now + Duration::hours(72)),
        )
        .await;
        let (olga, _) = other_department(&w).await;

        let window = |who: Viewer| {
            let store = w.store.clone();
            async move {
                let now = store.now();
                store
                    .scheduled_between(&who, now, now + Duration::hours(48))
                    .await
                    .expect("schedule")
                    .into_iter()
                    .map(|s| (s.release.id, s.embargo_until))
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            window(w.drafter.clone()).await,
            vec![
                (soon.id.clone(), now + Duration::hours(2)),
                (later.id.clone(), now + Duration::hours(30)),
            ],
            "soonest first, the 72-hour one outside the window"
        );
        assert_eq!(window(w.office_a.clone()).await.len(), 2);
        assert!(
            window(olga).await.is_empty(),
            "another department's staff see no embargoed release of ours"
        );
        assert!(
            window(viewer("ivar", Role::Integrator, None, None))
                .await
                .is_empty()
        );

        w.clock.set(now + Duration::hours(2));
        assert_eq!(
            window(w.drafter.clone()).await,
            vec![(later.id.clone(), now + Duration::hours(30))],
            "from its instant a release reads as published, not scheduled"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_waiting_on_board_shows_each_offices_standing_and_the_links() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let r = in_review(&w, "Väntar på två").await;
        let r = act(&w, &w.office_a, &r, Command::Approve).await;
        let link = w
            .store
            .create_signoff_link(
                &w.drafter,
                &r.id,
                r.version,
                &LinkRequest {
                    person_id: &PersonId::new(&w.b),
                    signer: "Olle Rådgivare",
                    expires_in_hours: 72,
                },
                720,
            )
            .await
            .expect("link");
        let only_a = w
            .store
            .create_release(
                &w.drafter,
                "miljodepartementet",
                content(&w, "Bara ministern", None, "Klimat"),
            )
            .await
            .expect("create");
        let only_a = act(&w, &w.drafter, &only_a, Command::SubmitForReview).await;
        create(&w, &w.drafter, "Utkast", "Klimat").await;

        let board = w.store.waiting_on(&w.drafter).await.expect("board");
        let released: Vec<&str> = board.iter().map(|b| b.release.id.as_str()).collect();
        assert_eq!(released, vec![only_a.id.as_str(), r.id.as_str()]);
        let two = &board[1];
        assert_eq!(
            two.offices
                .iter()
                .map(|o| (o.person_id.as_str(), o.name.as_deref(), o.status))
                .collect::<Vec<_>>(),
            vec![
                (
                    w.a.as_str(),
                    Some("Annika Strandhäll"),
                    ApprovalStatus::Approved
                ),
                (w.b.as_str(), Some("Bo Berg"), ApprovalStatus::Pending),
            ]
        );
        assert_eq!(two.offices[0].by_user.as_deref(), Some("anna"));
        let links = two.links.as_ref().expect("the drafter sees the links");
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].link.id, link.view.link.id);
        assert_eq!(links[0].status, LinkStatus::Waiting);
        assert_eq!(board[0].links.as_deref(), Some(&[][..]));

        let for_b = w.store.waiting_on(&w.office_b).await.expect("board");
        assert_eq!(for_b.len(), 1, "an office sees what needs it");
        assert!(for_b[0].links.is_none(), "links are the department's");

        w.clock.set(w.store.now() + Duration::hours(72));
        let board = w.store.waiting_on(&w.drafter).await.expect("board");
        assert_eq!(
            board[1].links.as_ref().expect("links")[0].status,
            LinkStatus::Expired
        );
        assert!(
            w.store
                .waiting_on(&viewer("ivar", Role::Integrator, None, None))
                .await
                .expect("board")
                .is_empty()
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn earlier_revisions_are_internal_detail() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let (olga, foreign) = other_department(&w).await;
        let r = approved(&w, "Version ett").await;
        let r = act(
            &w,
            &w.drafter,
            &r,
            Command::Update(content(
                &w,
                "Version två",
                Some("Industrin måste ställa om."),
                "Klimat",
            )),
        )
        .await;
        let r = act(&w, &w.office_a, &r, Command::Approve).await;
        let r = act(&w, &w.editor, &r, Command::PublishNow).await;
        assert_eq!((r.revision, r.state), (2, State::Published));

        let revisions = w
            .store
            .revisions(&w.drafter, &r.id)
            .await
            .expect("revisions");
        assert_eq!(
            revisions
                .iter()
                .map(|v| (v.revision, v.content.title(), v.author.as_str()))
                .collect::<Vec<_>>(),
            [(1, "Version ett", "dana"), (2, "Version två", "dana")]
        );
        let first = w
            .store
            .revision_content(&w.office_b, &r.id, 1)
            .await
            .expect("read")
            .expect("a reviewing office reads it");
        assert_eq!(first.title(), "Version ett");
        assert_eq!(revisions[0].content_hash, first.content_hash());

        let integrator = Viewer {
            embargo_access: true,
            ..viewer("tt", Role::Integrator, None, None)
        };
        for who in [&integrator, &olga] {
            assert!(
                w.store
                    .revisions(who, &r.id)
                    .await
                    .expect("read")
                    .is_empty(),
                "{}: the release is public, its drafts are not",
                who.user_name
            );
            assert!(
                w.store
                    .revision_content(who, &r.id, 1)
                    .await
                    .expect("read")
                    .is_none()
            );
        }
        assert_eq!(
            w.store
                .revisions(&olga, &foreign.id)
                .await
                .expect("read")
                .len(),
            1,
            "their own department's"
        );
        assert!(
            w.store
                .revision_content(&w.drafter, &r.id, 3)
                .await
                .expect("read")
                .is_none(),
            "no such revision"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_releases_history_is_its_audit_trail_for_those_who_see_it_by_role() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let r = approved(&w, "Historik").await;
        let history = w
            .store
            .release_history(&w.drafter, &r.id, &page(100))
            .await
            .expect("history");
        let actions: Vec<&str> = history
            .items
            .iter()
            .map(|(_, e)| e.action.as_str())
            .collect();
        assert_eq!(
            actions,
            [
                "createRelease",
                "submitForReview",
                "approveRelease",
                "approveRelease"
            ]
        );
        let published = act(&w, &w.editor, &r, Command::PublishNow).await;
        assert_eq!(published.state, State::Published);
        let integrator = viewer("ivar", Role::Integrator, None, None);
        assert!(
            w.store
                .release_history(&integrator, &r.id, &page(100))
                .await
                .expect("history")
                .items
                .is_empty(),
            "public, but its deliberation is not"
        );
        db.cleanup().await;
    }
}

/// Adds releases `from..to`: each in review with an approval and a sign-off link, and each
/// with a twin scheduled within the next 48 hours.
async fn populate(w: &TwoMinisters, from: usize, to: usize) {
    for i in from..to {
        let r = in_review(w, &format!("Granskas {i}")).await;
        let r = act(w, &w.office_a, &r, Command::Approve).await;
        w.store
            .create_signoff_link(
                &w.drafter,
                &r.id,
                r.version,
                &LinkRequest {
                    person_id: &PersonId::new(&w.b),
                    signer: "Olle",
                    expires_in_hours: 72,
                },
                720,
            )
            .await
            .expect("link");
        let s = approved(w, &format!("Schemalagt {i}")).await;
        let hours = 1 + i64::try_from(i).unwrap_or_default();
        act(
            w,
            &w.drafter,
            &s,
            Command::Schedule(w.store.now() + Duration::hours(hours)),
        )
        .await;
    }
}

/// The statements each newsroom read costs on `w` holding `n` releases of each kind.
async fn statements(w: &TwoMinisters, n: usize) -> Vec<(&'static str, u64)> {
    let counter = Arc::new(AtomicU64::new(0));
    let store: Store = w.store.clone().count_statements(Arc::clone(&counter));
    let now = store.now();
    let mut counts = Vec::new();
    let count = |before: u64| counter.load(Ordering::Relaxed) - before;

    let before = counter.load(Ordering::Relaxed);
    let board = store.waiting_on(&w.drafter).await.expect("board");
    counts.push(("waiting_on", count(before)));
    assert_eq!(board.len(), n);

    let before = counter.load(Ordering::Relaxed);
    let list = store
        .work_list(&w.drafter, &WorkFilter::default(), &page(100))
        .await
        .expect("list");
    counts.push(("work_list", count(before)));
    assert_eq!(list.items.len(), 2 * n);

    let before = counter.load(Ordering::Relaxed);
    let scheduled = store
        .scheduled_between(&w.drafter, now, now + Duration::hours(48))
        .await
        .expect("schedule");
    counts.push(("scheduled_between", count(before)));
    assert_eq!(scheduled.len(), n);

    let before = counter.load(Ordering::Relaxed);
    let signed = store
        .signed_by_office(&w.office_a, &page(100))
        .await
        .expect("signed");
    counts.push(("signed_by_office", count(before)));
    assert_eq!(signed.items.len(), 2 * n);

    let release = &board[0].release.id;
    let before = counter.load(Ordering::Relaxed);
    store
        .release_history(&w.drafter, release, &page(100))
        .await
        .expect("history");
    counts.push(("release_history", count(before)));

    let before = counter.load(Ordering::Relaxed);
    store
        .last_approved_revision(&w.drafter, release, &PersonId::new(&w.a))
        .await
        .expect("last");
    counts.push(("last_approved_revision", count(before)));

    let before = counter.load(Ordering::Relaxed);
    store
        .revisions(&w.drafter, release)
        .await
        .expect("revisions");
    counts.push(("revisions", count(before)));

    let before = counter.load(Ordering::Relaxed);
    store
        .revision_content(&w.drafter, release, 1)
        .await
        .expect("revision");
    counts.push(("revision_content", count(before)));
    counts
}

#[tokio::test]
async fn each_read_costs_the_same_statements_whatever_the_length_of_its_list() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        populate(&w, 0, 2).await;
        let few = statements(&w, 2).await;
        populate(&w, 2, 7).await;
        let many = statements(&w, 7).await;
        assert_eq!(few, many, "[{}] statements per read", db.backend_name);
        for (name, count) in &few {
            assert!(*count <= 4, "[{}] {name} costs {count}", db.backend_name);
        }
        db.cleanup().await;
    }
}
