//! `releasePublished` at scale: every subscription of a process shares one reader of the change
//! feed (`pressroom_api::live::LiveFeed`), so the database load does not grow with the number of
//! subscriptions; a subscription that falls behind reads the feed itself and loses nothing; and
//! each still yields only what its viewer may see, from the moment it subscribed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_graphql::Request;
use futures_util::StreamExt;
use pressroom_api::context::RequestContext;
use pressroom_api::live::LiveFeed;
use pressroom_api::schema::PressroomSchema;
use pressroom_domain::content::{Block, Contact, ContentInput, ReleaseContent};
use pressroom_domain::lifecycle::Command;
use pressroom_domain::visibility::{Role, Viewer};
use pressroom_storage::Store;
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::{InDepartment, World, WorldBuilder, viewer};

/// A world with one minister of the department, on a store whose statements are counted.
async fn world(url: &str, counter: &Arc<AtomicU64>) -> World {
    let store = Store::connect(url)
        .await
        .expect("connect")
        .count_statements(Arc::clone(counter));
    WorldBuilder::new()
        .minister("anna", "Annika Strandhäll", "minister", InDepartment::Yes)
        .build(store)
        .await
}

/// An approved release of the department; returns its id and version.
async fn approved(world: &World, title: &str) -> (String, i32) {
    let minister = &world.ministers[0];
    let content = ReleaseContent::parse(ContentInput {
        language: "sv".into(),
        responsible_minister_id: Some(minister.id.clone()),
        title: title.into(),
        lead: "Ingress".into(),
        body: vec![Block::Paragraph {
            text: "Stycke".into(),
        }],
        contacts: vec![Contact {
            name: "Tove".into(),
            role: None,
            phone: Some("08-405 10 00".into()),
            mobile: None,
            email: None,
        }],
        ..ContentInput::default()
    })
    .expect("content");
    let store = &world.store;
    let release = store
        .create_release(&world.drafter, "miljodepartementet", content)
        .await
        .expect("create");
    let release = store
        .act(
            &world.drafter,
            &release.id,
            1,
            Command::SubmitForReview,
            None,
        )
        .await
        .expect("submit");
    let release = store
        .act(&minister.office, &release.id, 2, Command::Approve, None)
        .await
        .expect("approve");
    (release.id.clone(), release.version)
}

/// Publishes a new release at once; returns its id.
async fn publish(world: &World, title: &str) -> String {
    let (id, version) = approved(world, title).await;
    world
        .store
        .act(&world.editor, &id, version, Command::PublishNow, None)
        .await
        .expect("publish");
    id
}

/// An anonymous `releasePublished` subscription through the schema, on `feed`; yields the ids
/// it receives.
fn subscribe(
    schema: &PressroomSchema,
    world: &World,
    feed: &LiveFeed,
) -> futures_util::stream::BoxStream<'static, String> {
    let request =
        Request::new("subscription($d: String) { releasePublished(department: $d) { id state } }")
            .variables(async_graphql::Variables::from_json(
                serde_json::json!({ "d": null }),
            ))
            .data(feed.clone())
            .data(RequestContext::live(&world.store, None));
    schema
        .execute_stream(request)
        .map(|response| {
            assert!(response.errors.is_empty(), "{:?}", response.errors);
            let data = response.data.into_json().expect("JSON");
            assert_eq!(data["releasePublished"]["state"], "PUBLISHED");
            data["releasePublished"]["id"]
                .as_str()
                .expect("an id")
                .to_owned()
        })
        .boxed()
}

/// Waits until `feed` has `n` subscriptions open.
async fn until_open(feed: &LiveFeed, n: usize) {
    for _ in 0..500 {
        if feed.subscriptions() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} subscriptions open, not {n}", feed.subscriptions());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_subscriptions_cost_one_feed_query_per_interval_and_each_gets_every_event_once()
{
    const SUBSCRIPTIONS: usize = 200;
    for test_db in test_databases().await {
        let backend = test_db.backend_name;
        let counter = Arc::new(AtomicU64::new(0));
        let world = world(&test_db.url, &counter).await;
        let feed = LiveFeed::with(world.store.clone(), Duration::from_millis(50), 64);
        let schema = pressroom_api::schema::build(Some(world.store.clone()));
        let mut tasks = Vec::new();
        for _ in 0..SUBSCRIPTIONS {
            let stream = subscribe(&schema, &world, &feed);
            tasks.push(tokio::spawn(async move {
                tokio::time::timeout(Duration::from_secs(30), stream.take(2).collect::<Vec<_>>())
                    .await
                    .expect("two events in time")
            }));
        }
        until_open(&feed, SUBSCRIPTIONS).await;

        // Idle: one query per interval, for all of them.
        let (statements, polls) = (counter.load(Ordering::SeqCst), feed.polls());
        tokio::time::sleep(Duration::from_secs(1)).await;
        let statements = counter.load(Ordering::SeqCst) - statements;
        let polls = feed.polls() - polls;
        eprintln!(
            "{backend}: {SUBSCRIPTIONS} idle subscriptions: {statements} statements, {polls} polls in 1 s"
        );
        assert!(
            (5..=25).contains(&polls),
            "{backend}: {polls} polls in 1 s at 50 ms"
        );
        assert!(
            statements <= polls + 1,
            "{backend}: {statements} statements for {polls} polls of {SUBSCRIPTIONS} subscriptions"
        );

        // Two publications: every subscription gets both, once, in order; the follower loads
        // them once for all (at most three statements per poll).
        let first = publish(&world, "Ett").await;
        let second = publish(&world, "Två").await;
        let (statements, polls) = (counter.load(Ordering::SeqCst), feed.polls());
        for task in tasks {
            assert_eq!(
                task.await.expect("the task"),
                [first.clone(), second.clone()],
                "{backend}"
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let statements = counter.load(Ordering::SeqCst) - statements;
        let polls = feed.polls() - polls;
        assert!(
            statements <= 3 * polls + 3,
            "{backend}: delivering two events to {SUBSCRIPTIONS} subscriptions took {statements} statements in {polls} polls"
        );

        // The follower stops once the last subscription has ended.
        until_open(&feed, 0).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let polls = feed.polls();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            feed.polls(),
            polls,
            "{backend}: polling with no subscription"
        );
        drop(world);
        test_db.cleanup().await;
    }
}

/// The value of the catch-up counter in this process's registry.
fn catch_ups() -> f64 {
    prometheus::gather()
        .iter()
        .find(|family| family.name() == "pressroom_subscription_catch_ups_total")
        .and_then(|family| {
            family
                .get_metric()
                .first()
                .map(|m| m.get_counter().get_value())
        })
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subscription_that_falls_behind_reads_the_feed_and_loses_nothing() {
    for test_db in test_databases().await {
        let backend = test_db.backend_name;
        let counter = Arc::new(AtomicU64::new(0));
        let world = world(&test_db.url, &counter).await;
        // The channel holds one poll's publications: a subscription that does not read while
        // three polls find publications falls behind.
        let feed = LiveFeed::with(world.store.clone(), Duration::from_millis(20), 1);
        let mut slow = feed.follow(None, None).await.expect("follow");
        let before = catch_ups();
        let mut published = Vec::new();
        for n in 0..3 {
            published.push(publish(&world, &format!("Nummer {n}")).await);
            let polls = feed.polls();
            while feed.polls() < polls + 2 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        let mut received = Vec::new();
        for _ in 0..3 {
            let release = tokio::time::timeout(Duration::from_secs(10), slow.next())
                .await
                .expect("in time")
                .expect("a release");
            received.push(release.id.clone());
        }
        assert_eq!(received, published, "{backend}: all three, once, in order");
        assert!(
            tokio::time::timeout(Duration::from_millis(300), slow.next())
                .await
                .is_err(),
            "{backend}: nothing more"
        );
        assert!(
            catch_ups() > before,
            "{backend}: it fell behind and caught up"
        );
        drop(slow);
        drop(world);
        test_db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_subscription_gets_what_its_viewer_may_see_from_when_it_subscribed() {
    for test_db in test_databases().await {
        let backend = test_db.backend_name;
        let counter = Arc::new(AtomicU64::new(0));
        let world = world(&test_db.url, &counter).await;
        let feed = LiveFeed::with(world.store.clone(), Duration::from_millis(20), 64);
        let accredited = Viewer {
            embargo_access: true,
            ..viewer("wire", Role::Integrator, None, None)
        };
        let mut anonymous = feed.follow(None, None).await.expect("follow");
        let mut in_department = feed
            .follow(
                Some(world.drafter.clone()),
                Some("miljodepartementet".into()),
            )
            .await
            .expect("follow");
        let mut embargo_reader = feed.follow(Some(accredited), None).await.expect("follow");
        let mut elsewhere = feed
            .follow(None, Some("another-department".into()))
            .await
            .expect("follow");

        // An embargo in the future is seen by the drafter and the accredited integrator, but
        // it is not a publication: nobody hears of it.
        let (embargoed, version) = approved(&world, "Under embargo").await;
        let instant = world.store.now() + chrono::Duration::hours(2);
        world
            .store
            .act(
                &world.editor,
                &embargoed,
                version,
                Command::Schedule(instant),
                None,
            )
            .await
            .expect("schedule");
        // A publication before a subscription began is not replayed to it.
        let early = publish(&world, "Före").await;
        let mut late = feed.follow(None, None).await.expect("follow");
        let public = publish(&world, "Offentligt").await;

        for (name, follower, expected) in [
            (
                "anonymous",
                &mut anonymous,
                vec![early.clone(), public.clone()],
            ),
            (
                "the department's drafter",
                &mut in_department,
                vec![early.clone(), public.clone()],
            ),
            (
                "the accredited integrator",
                &mut embargo_reader,
                vec![early.clone(), public.clone()],
            ),
            ("the late subscriber", &mut late, vec![public.clone()]),
        ] {
            let mut received = Vec::new();
            for _ in 0..expected.len() {
                let release = tokio::time::timeout(Duration::from_secs(10), follower.next())
                    .await
                    .unwrap_or_else(|_| panic!("{backend}: {name} waited in vain"))
                    .expect("a release");
                received.push(release.id.clone());
            }
            assert_eq!(received, expected, "{backend}: {name}");
            assert!(
                tokio::time::timeout(Duration::from_millis(200), follower.next())
                    .await
                    .is_err(),
                "{backend}: {name} heard more (the embargoed release?)"
            );
        }
        assert!(
            tokio::time::timeout(Duration::from_millis(200), elsewhere.next())
                .await
                .is_err(),
            "{backend}: another department's subscriber heard of this one's releases"
        );
        drop((anonymous, in_department, embargo_reader, elsewhere, late));
        drop(world);
        test_db.cleanup().await;
    }
}
