//! One follower of the change feed per process, shared by every `releasePublished`
//! subscription.
//!
//! [`LiveFeed`] reads the change feed (the outbox, [`Store::public_changes`]) once every
//! [`POLL_INTERVAL`] while at least one subscription is open, loads the releases of the new
//! publications once (with the public's view, and their departments' slugs), and sends them
//! through a [`tokio::sync::broadcast`] channel to every subscription. So the database load of
//! subscriptions does not grow with their number: one feed query per interval (and two more
//! when it found publications), whether one or five thousand subscriptions are open. The task
//! starts with the first subscription and stops once the last one has ended.
//!
//! Each subscription ([`Follower`]) keeps the feed position it has delivered up to, so it
//! never yields an event from before it subscribed nor one twice, and applies its own filter
//! (the department) and the visibility rule for its own viewer. A subscription that falls more
//! than [`CHANNEL_CAPACITY`] polls behind (a client that does not read its socket) is told by
//! the channel (`Lagged`); it then reads the feed itself from its position until it has caught
//! up and goes on from the channel, skipping what it already delivered, so a slow subscriber
//! loses nothing and gets nothing twice (`pressroom_subscription_catch_ups_total` counts this).
//!
//! An event exists only once its publication has committed, so no subscriber hears of a
//! release early, whichever process published it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pressroom_domain::lifecycle::PublicEvent;
use pressroom_domain::visibility::{Viewer, VisibilityFacts, visible_to};
use pressroom_storage::Store;
use pressroom_storage::changes::ChangeEvent;
use pressroom_storage::pagination::{Cursor, PageRequest};
use pressroom_storage::releases::StoredRelease;
use prometheus::{IntCounter, IntGauge, register_int_counter, register_int_gauge};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::error::{ApiError, ApiResult};

/// How often the feed is read while subscriptions are open.
pub const POLL_INTERVAL: Duration = Duration::from_millis(250);

/// Polls' worth of publications a subscription may fall behind before it reads the feed itself.
pub const CHANNEL_CAPACITY: usize = 1024;

/// Events read from the feed per query.
const PAGE_SIZE: i32 = 100;

/// A publication as every subscriber receives it: loaded once, shared.
#[derive(Debug, Clone)]
pub struct Publication {
    /// Its position in the change feed.
    pub seq: i64,
    /// The release, as the public sees it.
    pub release: Arc<StoredRelease>,
    /// Its department's slug.
    pub department: Option<String>,
}

/// What one poll found, in feed order.
type Batch = Arc<Vec<Publication>>;

/// The shared follower of the change feed (cheap to clone: one per process, in the schema's
/// data).
#[derive(Clone)]
pub struct LiveFeed(Arc<Inner>);

impl std::fmt::Debug for LiveFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveFeed(..)")
    }
}

struct Inner {
    store: Store,
    interval: Duration,
    sender: broadcast::Sender<Batch>,
    /// Whether the polling task runs; held while a subscription joins the channel, so the task
    /// cannot stop between a subscription's check and its joining.
    running: tokio::sync::Mutex<bool>,
    /// Feed queries made by the polling task (not by catching-up subscribers).
    polls: AtomicU64,
    /// Subscriptions open (their start read and their place in the channel taken).
    open: AtomicUsize,
}

impl LiveFeed {
    /// A feed over `store`, read every [`POLL_INTERVAL`]; nothing runs until a subscription.
    pub fn new(store: Store) -> Self {
        Self::with(store, POLL_INTERVAL, CHANNEL_CAPACITY)
    }

    /// A feed read every `interval`, whose subscriptions may fall `capacity` polls behind.
    pub fn with(store: Store, interval: Duration, capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self(Arc::new(Inner {
            store,
            interval,
            sender,
            running: tokio::sync::Mutex::new(false),
            polls: AtomicU64::new(0),
            open: AtomicUsize::new(0),
        }))
    }

    /// Feed queries the polling task has made so far (however many subscriptions are open).
    pub fn polls(&self) -> u64 {
        self.0.polls.load(Ordering::Relaxed)
    }

    /// Subscriptions open now.
    pub fn subscriptions(&self) -> usize {
        self.0.open.load(Ordering::Relaxed)
    }

    /// Follows publications from now on, as `viewer` may see them, of one department (slug) or
    /// of all.
    pub async fn follow(
        &self,
        viewer: Option<Viewer>,
        department: Option<String>,
    ) -> ApiResult<Follower> {
        let receiver = {
            let mut running = self.0.running.lock().await;
            if !*running {
                let cursor = self.0.store.change_feed_head().await?;
                tokio::spawn(poll(Arc::clone(&self.0), cursor));
                *running = true;
            }
            self.0.sender.subscribe()
        };
        // Read after joining the channel: whatever committed later reaches this subscription,
        // through the channel, and whatever the channel carries up to here is skipped.
        let after = match self.0.store.change_feed_head().await? {
            Some(cursor) => Some(Cursor::parse(&cursor)?.seq()?),
            None => None,
        };
        if let Some(metrics) = LiveMetrics::get() {
            metrics.subscriptions.inc();
        }
        self.0.open.fetch_add(1, Ordering::Relaxed);
        Ok(Follower {
            feed: Arc::clone(&self.0),
            receiver,
            after,
            viewer,
            department,
            lagged: false,
            ready: VecDeque::new(),
        })
    }
}

/// The polling task: reads the feed every interval while anyone listens; ends when nobody does.
async fn poll(inner: Arc<Inner>, mut cursor: Option<String>) {
    let mut ticker = tokio::time::interval(inner.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        if inner.sender.receiver_count() == 0 {
            let mut running = inner.running.lock().await;
            if inner.sender.receiver_count() == 0 {
                *running = false;
                return;
            }
        }
        loop {
            inner.polls.fetch_add(1, Ordering::Relaxed);
            if let Some(metrics) = LiveMetrics::get() {
                metrics.polls.inc();
            }
            match read(&inner.store, cursor.as_deref()).await {
                Ok(read) => {
                    if read.cursor.is_some() {
                        cursor = read.cursor;
                    }
                    if !read.publications.is_empty() {
                        // No receiver left is not an error: the next tick stops the task.
                        let _ = inner.sender.send(Arc::new(read.publications));
                    }
                    if !read.more {
                        break;
                    }
                }
                Err(error) => {
                    // The cursor stays where it was, so the next tick reads the same events.
                    tracing::warn!(error = ?error, "the subscriptions' change feed could not be read");
                    break;
                }
            }
        }
    }
}

/// One page of the feed after `cursor`.
struct Read {
    /// The publications in it, loaded.
    publications: Vec<Publication>,
    /// The cursor of its last event (`None`: no event).
    cursor: Option<String>,
    /// Whether more events follow.
    more: bool,
}

/// Reads a page of the feed after `cursor` and loads its publications: three queries at most
/// (events, releases, departments), whoever they are for.
async fn read(store: &Store, cursor: Option<&str>) -> ApiResult<Read> {
    let now = store.now();
    let page = PageRequest::new(Some(PAGE_SIZE), cursor)?;
    let events = store.public_changes(&page, now).await?;
    let published: Vec<&ChangeEvent> = events
        .items
        .iter()
        .map(|(_, event)| event)
        .filter(|event| event.event == PublicEvent::Published.as_str())
        .collect();
    let ids: Vec<String> = published.iter().map(|e| e.release_id.clone()).collect();
    let releases = store.secure_releases_by_ids(None, &ids, now).await?;
    let department_ids: Vec<String> = releases
        .values()
        .map(|release| release.department_id.clone())
        .collect();
    let departments = store.departments_by_ids(&department_ids).await?;
    let publications = published
        .iter()
        .filter_map(|event| {
            let release = releases.get(&event.release_id)?;
            Some(Publication {
                seq: event.seq,
                department: departments
                    .get(&release.department_id)
                    .map(|d| d.slug.clone()),
                release: Arc::new(release.clone()),
            })
        })
        .collect();
    Ok(Read {
        publications,
        cursor: events.items.last().map(|(cursor, _)| cursor.clone()),
        more: events.has_next_page,
    })
}

/// One subscription's view of the feed.
pub struct Follower {
    feed: Arc<Inner>,
    receiver: broadcast::Receiver<Batch>,
    /// The feed position delivered up to (`None`: the feed was empty when it subscribed).
    after: Option<i64>,
    viewer: Option<Viewer>,
    department: Option<String>,
    /// Whether it fell behind the channel and has not caught up from the feed yet.
    lagged: bool,
    ready: VecDeque<Arc<StoredRelease>>,
}

impl std::fmt::Debug for Follower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Follower")
            .field("after", &self.after)
            .field("department", &self.department)
            .finish_non_exhaustive()
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.feed.open.fetch_sub(1, Ordering::Relaxed);
        if let Some(metrics) = LiveMetrics::get() {
            metrics.subscriptions.dec();
        }
    }
}

impl Follower {
    /// The next release this subscription is to yield; waits for it.
    pub async fn next(&mut self) -> ApiResult<Arc<StoredRelease>> {
        loop {
            if let Some(release) = self.ready.pop_front() {
                return Ok(release);
            }
            if self.lagged {
                self.catch_up().await?;
                continue;
            }
            match self.receiver.recv().await {
                Ok(batch) => self.take(&batch, self.feed.store.now()),
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "a subscription fell behind; reading the feed");
                    if let Some(metrics) = LiveMetrics::get() {
                        metrics.catch_ups.inc();
                    }
                    self.lagged = true;
                }
                Err(RecvError::Closed) => {
                    return Err(ApiError::internal(&"the change feed follower stopped"));
                }
            }
        }
    }

    /// Queues what this subscription is to yield of `publications`, skipping what it has
    /// delivered already.
    fn take(&mut self, publications: &[Publication], now: DateTime<Utc>) {
        for publication in publications {
            if self.after.is_some_and(|after| publication.seq <= after) {
                continue;
            }
            self.after = Some(publication.seq);
            if self.wants(publication, now) {
                self.ready.push_back(Arc::clone(&publication.release));
            }
        }
    }

    /// Whether the publication is of the wanted department and its viewer may see it now. The
    /// feed carries releases the public sees, which every viewer sees too, so the rule is
    /// decided without the release's offices (they only widen what a minister's office sees).
    fn wants(&self, publication: &Publication, now: DateTime<Utc>) -> bool {
        let release = &publication.release;
        let department = match &self.department {
            Some(slug) => publication.department.as_ref() == Some(slug),
            None => true,
        };
        department
            && visible_to(
                self.viewer.as_ref(),
                &VisibilityFacts {
                    state: release.state,
                    department_id: &release.department_id,
                    embargo_until: release.embargo_until,
                    offices: &[],
                },
                now,
            )
    }

    /// Reads the feed after this subscription's position until the end, queuing what it is to
    /// yield; the channel's backlog is then skipped up to that position.
    async fn catch_up(&mut self) -> ApiResult<()> {
        loop {
            let cursor = self.after.map(Cursor::for_seq);
            let read = read(&self.feed.store, cursor.as_deref()).await?;
            self.take(&read.publications, self.feed.store.now());
            if let Some(last) = &read.cursor {
                let seq = Cursor::parse(last)?.seq()?;
                self.after = Some(self.after.map_or(seq, |after| after.max(seq)));
            }
            if !read.more {
                self.lagged = false;
                return Ok(());
            }
        }
    }
}

/// The subscriptions' metrics.
struct LiveMetrics {
    polls: IntCounter,
    subscriptions: IntGauge,
    catch_ups: IntCounter,
}

impl LiveMetrics {
    fn get() -> Option<&'static LiveMetrics> {
        static METRICS: OnceLock<Option<LiveMetrics>> = OnceLock::new();
        pressroom_telemetry::register_once(&METRICS, "subscription", || {
            Ok(LiveMetrics {
                polls: register_int_counter!(
                    "pressroom_subscription_feed_polls_total",
                    "Change feed reads by the process's one subscription follower"
                )?,
                subscriptions: register_int_gauge!(
                    "pressroom_subscriptions_active",
                    "releasePublished subscriptions open in this process"
                )?,
                catch_ups: register_int_counter!(
                    "pressroom_subscription_catch_ups_total",
                    "Subscriptions that fell behind the shared follower and read the feed themselves"
                )?,
            })
        })
    }
}
