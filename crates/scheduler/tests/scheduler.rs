//! The scheduler on every database: exactly once under racing schedulers, catch-up, edits and
//! cancellations before the instant, refusal of uncovered content, and waking on time.
//!
//! Most tests drive a manual clock and the "run until nothing is due" entry point; the two that
//! check waking up use the real clock and wait a few seconds.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pressroom_domain::content::{Block, Contact, ContentInput, ReleaseContent};
use pressroom_domain::lifecycle::{Command, State};
use pressroom_domain::visibility::Viewer;
use pressroom_scheduler::{Scheduler, SchedulerConfig};
use pressroom_storage::Store;
use pressroom_storage::audit::{Verification, verify};
use pressroom_storage::clock::{Clock, ManualClock, SystemClock};
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::{InDepartment, Minister, WorldBuilder};
use sea_orm::{ConnectionTrait, Statement};

struct World {
    store: Store,
    drafter: Viewer,
    editor: Viewer,
    office: Viewer,
    minister: String,
}

async fn world(url: &str, clock: Arc<dyn Clock>) -> World {
    let store = Store::connect(url)
        .await
        .expect("connect")
        .with_clock(clock);
    let world = WorldBuilder::new()
        .minister(
            "anna",
            "Annika Strandhäll",
            "klimat- och miljöminister",
            InDepartment::No,
        )
        .build(store)
        .await;
    let [minister] = <[Minister; 1]>::try_from(world.ministers).expect("one minister");
    World {
        drafter: world.drafter,
        editor: world.editor,
        office: minister.office,
        store: world.store,
        minister: minister.id,
    }
}

impl World {
    fn content(&self, n: usize) -> ReleaseContent {
        ReleaseContent::parse(ContentInput {
            language: "sv".into(),
            responsible_minister_id: Some(self.minister.clone()),
            title: format!("Pressmeddelande nummer {n} om klimatomställningen"),
            lead: "Närmare ett hundratal deltagare möts idag.".into(),
            body: vec![Block::Quote {
                speaker_id: self.minister.clone(),
                text: "Sverige ska axla ledarskapet".into(),
            }],
            contacts: vec![Contact {
                name: "Tove Kullenberg".into(),
                role: None,
                phone: None,
                mobile: None,
                email: None,
            }],
            ..ContentInput::default()
        })
        .expect("content")
    }

    /// An approved release scheduled at `until`; returns its id and version.
    async fn embargoed(&self, n: usize, until: DateTime<Utc>) -> (String, i32) {
        let r = self
            .store
            .create_release(&self.drafter, "miljodepartementet", self.content(n))
            .await
            .expect("create");
        let r = self
            .store
            .act(&self.drafter, &r.id, 1, Command::SubmitForReview, None)
            .await
            .expect("submit");
        let r = self
            .store
            .act(&self.office, &r.id, 2, Command::Approve, None)
            .await
            .expect("approve");
        let r = self
            .store
            .act(&self.drafter, &r.id, 3, Command::Schedule(until), None)
            .await
            .expect("schedule");
        assert_eq!(r.state, State::Embargoed);
        (r.id, r.version)
    }

    async fn count(&self, sql: &str) -> i64 {
        let row = self
            .store
            .connection()
            .query_one_raw(Statement::from_string(self.store.backend(), sql.to_owned()))
            .await
            .expect("query")
            .expect("a row");
        row.try_get_by_index::<i64>(0).expect("count")
    }

    async fn state(&self, id: &str) -> State {
        let now = self.store.now();
        self.store
            .secure_release(Some(&self.editor), id, now - Duration::days(3650))
            .await
            .expect("read")
            .expect("visible")
            .state
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 2, 7, 0, 0)
        .single()
        .expect("instant")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_schedulers_publish_each_due_release_exactly_once() {
    for test_db in test_databases().await {
        let clock = ManualClock::new(t0());
        let w = world(&test_db.url, Arc::new(clock.clone())).await;
        let instant = t0() + Duration::minutes(10);
        let mut ids = Vec::new();
        for n in 0..150 {
            ids.push(w.embargoed(n, instant).await.0);
        }
        clock.set(instant + Duration::milliseconds(5));
        // Four schedulers, each with its own connection pool (as separate processes would have).
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let store = Store::connect(&test_db.url)
                .await
                .expect("connect")
                .with_clock(Arc::new(clock.clone()));
            let scheduler = Scheduler::new(
                store,
                SchedulerConfig {
                    batch_size: 16,
                    ..SchedulerConfig::default()
                },
            );
            tasks.push(tokio::spawn(async move {
                scheduler.run_until_nothing_due().await
            }));
        }
        let mut published = 0;
        for task in tasks {
            published += task.await.expect("task").expect("run").published.len();
        }
        assert_eq!(published, 150, "{}", test_db.backend_name);
        assert_eq!(
            w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'scheduledPublish'")
                .await,
            150
        );
        assert_eq!(
            w.count("SELECT COUNT(*) FROM outbox WHERE event = 'release.published'")
                .await,
            150
        );
        assert_eq!(
            w.count(
                "SELECT COUNT(DISTINCT release_id) FROM outbox WHERE event = 'release.published'"
            )
            .await,
            150
        );
        assert_eq!(w.count("SELECT COUNT(*) FROM releases WHERE state = 'PUBLISHED' AND published_at = embargo_until").await, 150);
        assert!(matches!(
            verify(w.store.connection()).await.expect("verify"),
            Verification::Intact { .. }
        ));
        // Another run finds nothing.
        let again = Scheduler::new(w.store.clone(), SchedulerConfig::default())
            .run_until_nothing_due()
            .await
            .expect("run");
        assert_eq!(again.claimed, 0);
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn catch_up_publishes_overdue_releases_and_records_how_late() {
    for test_db in test_databases().await {
        let clock = ManualClock::new(t0());
        let w = world(&test_db.url, Arc::new(clock.clone())).await;
        let instant = t0() + Duration::minutes(1);
        let (id, _) = w.embargoed(1, instant).await;
        // Nothing is early.
        clock.set(instant - Duration::microseconds(1));
        let scheduler = Scheduler::new(w.store.clone(), SchedulerConfig::default());
        assert_eq!(
            scheduler
                .run_until_nothing_due()
                .await
                .expect("run")
                .claimed,
            0
        );
        assert_eq!(w.state(&id).await, State::Embargoed);
        // An hour of downtime later.
        clock.set(instant + Duration::hours(1));
        let outcome = scheduler.run_until_nothing_due().await.expect("run");
        assert_eq!(outcome.published.len(), 1);
        assert_eq!(
            outcome.published[0].late_ms, 3_600_000,
            "{}",
            test_db.backend_name
        );
        assert_eq!(w.state(&id).await, State::Published);
        assert_eq!(
            w.count("SELECT COUNT(*) FROM audit_log WHERE actor = 'scheduler' AND details LIKE '%\"lateMs\":3600000%'").await,
            1
        );
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn an_edit_or_a_cancellation_before_the_instant_is_never_published_at_the_old_instant() {
    for test_db in test_databases().await {
        let clock = ManualClock::new(t0());
        let w = world(&test_db.url, Arc::new(clock.clone())).await;
        let instant = t0() + Duration::minutes(5);
        let (edited, version) = w.embargoed(1, instant).await;
        w.store
            .act(
                &w.drafter,
                &edited,
                version,
                Command::Update(w.content(99)),
                None,
            )
            .await
            .expect("edit");
        let (cancelled, version) = w.embargoed(2, instant).await;
        w.store
            .act(
                &w.editor,
                &cancelled,
                version,
                Command::CancelEmbargo("Nytt datum".into()),
                None,
            )
            .await
            .expect("cancel");
        clock.set(instant + Duration::seconds(1));
        let outcome = Scheduler::new(w.store.clone(), SchedulerConfig::default())
            .run_until_nothing_due()
            .await
            .expect("run");
        assert_eq!(outcome.claimed, 0, "{}", test_db.backend_name);
        assert_eq!(w.state(&edited).await, State::InReview);
        assert_eq!(w.state(&cancelled).await, State::Approved);
        assert!(
            w.store
                .secure_release(None, &edited, instant + Duration::seconds(1))
                .await
                .expect("read")
                .is_none()
        );
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn content_whose_approvals_were_removed_is_refused_and_sent_back_to_review() {
    for test_db in test_databases().await {
        let clock = ManualClock::new(t0());
        let w = world(&test_db.url, Arc::new(clock.clone())).await;
        let instant = t0() + Duration::minutes(5);
        let (id, _) = w.embargoed(1, instant).await;
        // Behind the rules' back: the approval disappears.
        w.store
            .connection()
            .execute_unprepared(&format!("DELETE FROM approvals WHERE release_id = '{id}'"))
            .await
            .expect("tamper");
        clock.set(instant);
        let outcome = Scheduler::new(w.store.clone(), SchedulerConfig::default())
            .run_until_nothing_due()
            .await
            .expect("run");
        assert_eq!(
            outcome.refused,
            vec![id.clone()],
            "{}",
            test_db.backend_name
        );
        assert!(outcome.published.is_empty());
        assert_eq!(w.state(&id).await, State::InReview);
        assert!(
            w.store
                .secure_release(None, &id, instant)
                .await
                .expect("read")
                .is_none()
        );
        assert_eq!(w.count("SELECT COUNT(*) FROM audit_log WHERE action = 'refusePublication' AND actor = 'scheduler'").await, 1);
        assert_eq!(w.count("SELECT COUNT(*) FROM outbox").await, 0);
        drop(w);
        test_db.cleanup().await;
    }
}

/// Waits (bounded) until the release reaches `state`.
async fn wait_for(w: &World, id: &str, state: State, within: StdDuration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if w.state(id).await == state {
            return true;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sleeping_scheduler_wakes_for_new_and_moved_schedules() {
    for test_db in test_databases().await {
        let w = world(&test_db.url, Arc::new(SystemClock)).await;
        // A long re-check: waking on time must come from the instant and the change signal.
        let scheduler = Scheduler::new(
            w.store.clone(),
            SchedulerConfig {
                recheck: StdDuration::from_secs(30),
                ..SchedulerConfig::default()
            },
        );
        let (stop, shutdown) = tokio::sync::watch::channel(false);
        let running = tokio::spawn(scheduler.run(shutdown));
        tokio::time::sleep(StdDuration::from_millis(200)).await;

        let first = w.store.now() + Duration::milliseconds(1500);
        let (id, version) = w.embargoed(1, first).await;
        // Moved later before the first instant: it must not publish at the first one.
        let moved = first + Duration::milliseconds(1500);
        w.store
            .act(&w.drafter, &id, version, Command::Schedule(moved), None)
            .await
            .expect("reschedule");
        tokio::time::sleep(
            (first - w.store.now()).to_std().unwrap_or_default() + StdDuration::from_millis(300),
        )
        .await;
        assert_eq!(
            w.state(&id).await,
            State::Embargoed,
            "{}: published at the old instant",
            test_db.backend_name
        );
        assert!(
            wait_for(&w, &id, State::Published, StdDuration::from_secs(10)).await,
            "{}: not published",
            test_db.backend_name
        );
        let now = w.store.now();
        let read = w
            .store
            .secure_release(None, &id, now)
            .await
            .expect("read")
            .expect("public");
        assert_eq!(read.published_at, Some(moved));

        stop.send(true).expect("stop");
        tokio::time::timeout(StdDuration::from_secs(10), running)
            .await
            .expect("stops")
            .expect("task");
        drop(w);
        test_db.cleanup().await;
    }
}
