//! Webhook delivery on every database, against real receivers on loopback that verify each
//! signature with the `standardwebhooks` crate, as an integrator's server would.
//!
//! Releases are walked through the `Store` API to publication, correction and withdrawal, so the
//! outbox events are the real ones. Tests that need retries use backoffs of a few dozen
//! milliseconds and wait (bounded) for the outcome.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed setup should fail the test loudly"
)]

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use poem::http::{HeaderMap, StatusCode};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{EndpointExt, Route, Server, handler, post};
use pressroom_domain::content::{Block, Contact, ContentInput, ReleaseContent};
use pressroom_domain::lifecycle::{Command, State};
use pressroom_domain::visibility::Viewer;
use pressroom_storage::Store;
use pressroom_storage::deliveries::{AttemptOutcome, JobCounts};
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::{InDepartment, Minister, WorldBuilder};
use pressroom_webhooks::{DeliveryWorker, WebhookConfig};
use standardwebhooks::Webhook;

// ---------------------------------------------------------------------------------------------
// A receiver: a small poem server that verifies signatures and can be told to fail.

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Hit {
    id: String,
    signature: String,
    content_type: String,
    body: String,
    /// Whether the signature verified with the endpoint's secret.
    valid: bool,
}

#[derive(Default)]
struct ReceiverState {
    secret: Mutex<Option<String>>,
    fail_first: AtomicUsize,
    hits: Mutex<Vec<Hit>>,
}

#[handler]
async fn hook(state: Data<&Arc<ReceiverState>>, headers: &HeaderMap, body: Vec<u8>) -> StatusCode {
    let secret = state.secret.lock().unwrap().clone();
    let valid = secret
        .map(|s| Webhook::new(&s).unwrap().verify(&body, headers).is_ok())
        .unwrap_or(false);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    state.hits.lock().unwrap().push(Hit {
        id: header("webhook-id"),
        signature: header("webhook-signature"),
        content_type: header("content-type"),
        body: String::from_utf8_lossy(&body).into_owned(),
        valid,
    });
    let failing = state
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if failing {
        StatusCode::INTERNAL_SERVER_ERROR
    } else if valid {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::UNAUTHORIZED
    }
}

struct Receiver {
    url: String,
    state: Arc<ReceiverState>,
    server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start() -> Self {
        let state = Arc::new(ReceiverState::default());
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .expect("bind the receiver");
        let address = acceptor
            .local_addr()
            .into_iter()
            .find_map(|a| a.as_socket_addr().copied())
            .expect("receiver address");
        let app = Route::new().at("/hook", post(hook)).data(state.clone());
        let server = tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        });
        Self {
            url: format!("http://{address}/hook"),
            state,
            server,
        }
    }

    fn expect_secret(&self, secret: &str) {
        *self.state.secret.lock().unwrap() = Some(secret.to_owned());
    }

    fn fail_first(&self, n: usize) {
        self.state.fail_first.store(n, Ordering::SeqCst);
    }

    fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A loopback URL on which nothing listens (the port was bound and released).
async fn closed_url() -> String {
    let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = socket.local_addr().unwrap();
    drop(socket);
    format!("http://{address}/hook")
}

// ---------------------------------------------------------------------------------------------
// A world: a store with a department, a minister, and users who can publish.

struct World {
    store: Store,
    drafter: Viewer,
    editor: Viewer,
    office: Viewer,
    minister: String,
}

async fn world(url: &str) -> World {
    let store = Store::connect(url).await.expect("connect");
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
    fn content(&self, n: usize, lead: &str) -> ReleaseContent {
        ReleaseContent::parse(ContentInput {
            language: "sv".into(),
            responsible_minister_id: Some(self.minister.clone()),
            title: format!("Sverige tar ledarskap för industriomställning – del {n}"),
            lead: lead.into(),
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

    /// A release walked from draft to published; returns its id and version.
    async fn published(&self, n: usize) -> (String, i32) {
        let content = self.content(n, "Närmare ett hundratal deltagare möts idag.");
        let r = self
            .store
            .create_release(&self.drafter, "miljodepartementet", content)
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
            .act(&self.editor, &r.id, 3, Command::PublishNow, None)
            .await
            .expect("publish");
        assert_eq!(r.state, State::Published);
        (r.id, r.version)
    }

    async fn endpoint(&self, url: &str, types: &[&str]) -> (String, String) {
        let types: Vec<String> = types.iter().map(|t| (*t).to_owned()).collect();
        let (endpoint, secret) = self
            .store
            .create_webhook_endpoint(&"admin".into(), url, &types)
            .await
            .expect("endpoint");
        assert!(secret.starts_with("whsec_"));
        (endpoint.id, secret)
    }

    async fn counts(&self) -> JobCounts {
        self.store.webhook_job_counts().await.expect("counts")
    }
}

const ALL: [&str; 3] = [
    "release.published",
    "release.corrected",
    "release.withdrawn",
];

/// Quick settings for tests: fast polling, short backoffs, few attempts, and the address guard
/// off, because the test receivers listen on loopback (the guard's own test turns it back on).
fn quick(max_attempts: u32) -> WebhookConfig {
    WebhookConfig {
        refuse_private_addresses: false,
        poll_interval: Duration::from_millis(20),
        attempt_timeout: Duration::from_secs(3),
        max_attempts,
        backoff: vec![Duration::from_millis(40), Duration::from_millis(80)],
        ..WebhookConfig::default()
    }
}

/// Polls `check` every 20 ms until it holds or `within` passes; returns whether it held.
async fn eventually<F, Fut>(within: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs a worker in the background until the returned sender says stop.
fn spawn_worker(
    worker: DeliveryWorker,
) -> (
    tokio::sync::watch::Sender<bool>,
    tokio::task::JoinHandle<()>,
) {
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    (stop, tokio::spawn(worker.run(shutdown)))
}

// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_release_is_delivered_once_with_a_valid_signature_and_the_spec_body() {
    for test_db in test_databases().await {
        let name = test_db.backend_name;
        let w = world(&test_db.url).await;
        let receiver = Receiver::start().await;
        let (endpoint_id, secret) = w.endpoint(&receiver.url, &ALL).await;
        receiver.expect_secret(&secret);
        let (id, version) = w.published(1).await;

        let worker = DeliveryWorker::new(w.store.clone(), quick(3)).expect("worker");
        let round = worker.run_once().await.expect("round");
        assert_eq!((round.enqueued, round.delivered), (1, 1), "{name}");
        // Nothing is left to do, and nothing is delivered twice.
        let again = worker.run_once().await.expect("round");
        assert_eq!((again.enqueued, again.attempted), (0, 0), "{name}");

        let hits = receiver.hits();
        assert_eq!(hits.len(), 1, "{name}");
        let hit = &hits[0];
        assert!(hit.valid, "{name}: the signature did not verify");
        assert!(hit.id.starts_with("msg_"), "{name}: {}", hit.id);
        assert!(hit.signature.starts_with("v1,"), "{name}");
        assert_eq!(hit.content_type, "application/json", "{name}");
        let body: serde_json::Value = serde_json::from_str(&hit.body).expect("JSON body");
        assert_eq!(body["type"], "release.published", "{name}");
        let timestamp = body["timestamp"].as_str().expect("timestamp");
        assert!(
            chrono::DateTime::parse_from_rfc3339(timestamp).is_ok(),
            "{name}: {timestamp}"
        );
        let data = body["data"].as_object().expect("data");
        let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "department",
                "id",
                "publishedAt",
                "slug",
                "title",
                "url",
                "version"
            ],
            "{name}"
        );
        assert_eq!(data["id"], id.as_str(), "{name}");
        assert_eq!(data["version"], version, "{name}");
        assert_eq!(data["department"], "miljodepartementet", "{name}");
        assert_eq!(
            data["title"], "Sverige tar ledarskap för industriomställning – del 1",
            "{name}"
        );
        let slug = data["slug"].as_str().expect("slug");
        assert_eq!(data["url"], format!("/releases/{slug}"), "{name}");
        assert!(data["publishedAt"].is_string(), "{name}");

        let deliveries = w
            .store
            .webhook_deliveries(&endpoint_id, 10)
            .await
            .expect("deliveries");
        assert_eq!(deliveries.len(), 1, "{name}");
        assert_eq!(deliveries[0].attempt, 1);
        assert_eq!(deliveries[0].status, Some(204));
        assert!(deliveries[0].succeeded);
        assert_eq!(deliveries[0].event, "release.published");
        assert_eq!(w.counts().await.delivered, 1, "{name}");
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_fails_twice_gets_the_same_webhook_id_on_every_attempt_and_succeeds_on_the_third()
 {
    for test_db in test_databases().await {
        let name = test_db.backend_name;
        let w = world(&test_db.url).await;
        let receiver = Receiver::start().await;
        let (endpoint_id, secret) = w.endpoint(&receiver.url, &ALL).await;
        receiver.expect_secret(&secret);
        receiver.fail_first(2);
        let worker = DeliveryWorker::new(w.store.clone(), quick(5)).expect("worker");
        let (stop, running) = spawn_worker(worker);
        w.published(1).await;

        let delivered = eventually(Duration::from_secs(5), || async {
            w.counts().await.delivered == 1
        })
        .await;
        assert!(
            delivered,
            "{name}: not delivered; hits {:?}",
            receiver.hits()
        );
        stop.send(true).expect("stop");
        running.await.expect("worker");

        let hits = receiver.hits();
        assert_eq!(hits.len(), 3, "{name}");
        assert!(hits.iter().all(|h| h.valid), "{name}: a signature failed");
        let ids: HashSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids.len(), 1, "{name}: webhook-id changed between attempts");
        let bodies: HashSet<&str> = hits.iter().map(|h| h.body.as_str()).collect();
        assert_eq!(bodies.len(), 1, "{name}: the body changed between attempts");

        let mut deliveries = w
            .store
            .webhook_deliveries(&endpoint_id, 10)
            .await
            .expect("deliveries");
        deliveries.sort_by_key(|d| d.attempt);
        let seen: Vec<(i32, Option<i32>, bool)> = deliveries
            .iter()
            .map(|d| (d.attempt, d.status, d.succeeded))
            .collect();
        assert_eq!(
            seen,
            [
                (1, Some(500), false),
                (2, Some(500), false),
                (3, Some(204), true)
            ],
            "{name}"
        );
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_is_down_does_not_block_publishing_and_its_attempts_are_bounded() {
    for test_db in test_databases().await {
        let name = test_db.backend_name;
        let w = world(&test_db.url).await;
        let (down_id, _) = w.endpoint(&closed_url().await, &ALL).await;
        let receiver = Receiver::start().await;
        let (up_id, secret) = w.endpoint(&receiver.url, &ALL).await;
        receiver.expect_secret(&secret);
        let worker = DeliveryWorker::new(w.store.clone(), quick(3)).expect("worker");
        let (stop, running) = spawn_worker(worker);

        // Publishing goes on while deliveries to the dead endpoint fail. Publishing never waits
        // on delivery (the worker has its own task), so the bound only catches a publication
        // stuck behind it, e.g. a lock held across attempts; it is wide because on a busy
        // two-core machine a few fsync'd statements alone can take seconds.
        for n in 0..3 {
            let started = std::time::Instant::now();
            w.published(n).await;
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{name}: publishing was slowed down"
            );
        }
        let settled = eventually(Duration::from_secs(5), || async {
            let counts = w.counts().await;
            counts.failed == 3 && counts.delivered == 3
        })
        .await;
        assert!(settled, "{name}: {:?}", w.counts().await);
        stop.send(true).expect("stop");
        running.await.expect("worker");

        let failed = w
            .store
            .webhook_deliveries(&down_id, 100)
            .await
            .expect("deliveries");
        assert_eq!(
            failed.len(),
            9,
            "{name}: three attempts for each of three events"
        );
        assert!(
            failed
                .iter()
                .all(|d| d.status.is_none() && !d.succeeded && (1..=3).contains(&d.attempt)),
            "{name}: {failed:?}"
        );
        // The healthy endpoint was not held up by the dead one.
        let delivered = w
            .store
            .webhook_deliveries(&up_id, 100)
            .await
            .expect("deliveries");
        assert_eq!(delivered.len(), 3, "{name}");
        assert!(delivered.iter().all(|d| d.succeeded && d.attempt == 1));
        assert_eq!(receiver.hits().len(), 3, "{name}");

        // Bounded: a later round makes no further attempt.
        let worker = DeliveryWorker::new(w.store.clone(), quick(3)).expect("worker");
        assert_eq!(worker.run_once().await.expect("round").attempted, 0);
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_endpoint_receives_nothing() {
    for test_db in test_databases().await {
        let name = test_db.backend_name;
        let w = world(&test_db.url).await;
        let before = Receiver::start().await;
        let (before_id, secret) = w.endpoint(&before.url, &ALL).await;
        before.expect_secret(&secret);
        let after = Receiver::start().await;
        let (after_id, secret) = w.endpoint(&after.url, &ALL).await;
        after.expect_secret(&secret);
        let worker = DeliveryWorker::new(w.store.clone(), quick(3)).expect("worker");

        // Disabled before the event: no job at all.
        w.store
            .disable_webhook_endpoint(&"admin".into(), &before_id)
            .await
            .expect("disable");
        w.published(1).await;
        // Disabled after the event was fanned out but before it was delivered: cancelled.
        assert_eq!(worker.fan_out().await.expect("fan out"), 1, "{name}");
        w.store
            .disable_webhook_endpoint(&"admin".into(), &after_id)
            .await
            .expect("disable");
        let round = worker.run_once().await.expect("round");
        assert_eq!(round.attempted, 0, "{name}");
        // A later event is not fanned out to either.
        w.published(2).await;
        let round = worker.run_once().await.expect("round");
        assert_eq!((round.enqueued, round.attempted), (0, 0), "{name}");

        assert!(before.hits().is_empty(), "{name}");
        assert!(after.hits().is_empty(), "{name}");
        let counts = w.counts().await;
        assert_eq!(
            counts,
            JobCounts {
                cancelled: 1,
                ..JobCounts::default()
            },
            "{name}"
        );
        for endpoint in [&before_id, &after_id] {
            let deliveries = w
                .store
                .webhook_deliveries(endpoint, 10)
                .await
                .expect("deliveries");
            assert!(deliveries.is_empty(), "{name}");
        }
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_subscribed_only_to_withdrawals_gets_only_withdrawals() {
    for test_db in test_databases().await {
        let name = test_db.backend_name;
        let w = world(&test_db.url).await;
        let withdrawals = Receiver::start().await;
        let (_, secret) = w.endpoint(&withdrawals.url, &["release.withdrawn"]).await;
        withdrawals.expect_secret(&secret);
        let everything = Receiver::start().await;
        let (_, secret) = w.endpoint(&everything.url, &ALL).await;
        everything.expect_secret(&secret);

        let (id, version) = w.published(1).await;
        let corrected = w
            .store
            .act(
                &w.editor,
                &id,
                version,
                Command::Correct(
                    w.content(1, "Rättad ingress: närmare hundra deltagare."),
                    "Antalet deltagare är rättat.".into(),
                ),
                None,
            )
            .await
            .expect("correct");
        w.store
            .act(
                &w.editor,
                &id,
                corrected.version,
                Command::Withdraw("Publicerat av misstag.".into()),
                None,
            )
            .await
            .expect("withdraw");

        let worker = DeliveryWorker::new(w.store.clone(), quick(3)).expect("worker");
        let round = worker.run_once().await.expect("round");
        assert_eq!(round.delivered, 4, "{name}: {round:?}");

        let types = |r: &Receiver| -> Vec<String> {
            r.hits()
                .iter()
                .map(|h| {
                    let body: serde_json::Value = serde_json::from_str(&h.body).unwrap();
                    body["type"].as_str().unwrap().to_owned()
                })
                .collect()
        };
        assert_eq!(types(&withdrawals), ["release.withdrawn"], "{name}");
        // One round makes its attempts concurrently, so their order of arrival is not fixed.
        let mut all = types(&everything);
        all.sort();
        let mut expected = ALL.map(String::from).to_vec();
        expected.sort();
        assert_eq!(all, expected, "{name}");
        assert!(withdrawals.hits().iter().all(|h| h.valid), "{name}");
        assert!(everything.hits().iter().all(|h| h.valid), "{name}");
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_racing_workers_deliver_each_event_once() {
    for test_db in test_databases().await {
        let name = test_db.backend_name;
        let w = world(&test_db.url).await;
        let receiver = Receiver::start().await;
        let (endpoint_id, secret) = w.endpoint(&receiver.url, &ALL).await;
        receiver.expect_secret(&secret);
        const EVENTS: usize = 12;
        for n in 0..EVENTS {
            w.published(n).await;
        }
        // Two workers with their own connection pools, as two processes would have, each
        // claiming only a few at a time so that they interleave.
        let mut workers = Vec::new();
        for _ in 0..2 {
            let store = Store::connect(&test_db.url).await.expect("connect");
            let config = WebhookConfig {
                concurrency: 3,
                ..quick(3)
            };
            workers.push(spawn_worker(
                DeliveryWorker::new(store, config).expect("worker"),
            ));
        }
        let delivered = eventually(Duration::from_secs(10), || async {
            w.counts().await.delivered == EVENTS as u64
        })
        .await;
        assert!(delivered, "{name}: {:?}", w.counts().await);
        // Give a duplicate, if any, time to arrive.
        tokio::time::sleep(Duration::from_millis(200)).await;
        for (stop, running) in workers {
            stop.send(true).expect("stop");
            running.await.expect("worker");
        }
        let hits = receiver.hits();
        assert_eq!(hits.len(), EVENTS, "{name}: a delivery was made twice");
        let ids: HashSet<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids.len(), EVENTS, "{name}");
        let releases: HashSet<String> = hits
            .iter()
            .map(|h| {
                let body: serde_json::Value = serde_json::from_str(&h.body).unwrap();
                body["data"]["id"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(releases.len(), EVENTS, "{name}");
        assert_eq!(
            w.store
                .webhook_deliveries(&endpoint_id, 100)
                .await
                .expect("deliveries")
                .len(),
            EVENTS,
            "{name}"
        );
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_lost_in_a_crash_is_made_again_with_the_same_webhook_id() {
    for test_db in test_databases().await {
        let name = test_db.backend_name;
        let w = world(&test_db.url).await;
        let receiver = Receiver::start().await;
        let (endpoint_id, secret) = w.endpoint(&receiver.url, &ALL).await;
        receiver.expect_secret(&secret);
        w.published(1).await;
        let worker = DeliveryWorker::new(w.store.clone(), quick(3)).expect("worker");
        worker.fan_out().await.expect("fan out");

        // A worker claims the attempt with a short lease and dies before sending or recording.
        let lost = w
            .store
            .claim_webhook_jobs(10, Duration::from_millis(100), 3)
            .await
            .expect("claim");
        assert_eq!(lost.len(), 1, "{name}");
        // While the claim holds, nobody else attempts it.
        assert_eq!(
            worker.run_once().await.expect("round").attempted,
            0,
            "{name}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
        let round = worker.run_once().await.expect("round");
        assert_eq!(round.delivered, 1, "{name}");

        let hits = receiver.hits();
        assert_eq!(hits.len(), 1, "{name}");
        assert_eq!(hits[0].id, lost[0].message_id, "{name}");
        assert!(hits[0].valid, "{name}");
        let deliveries = w
            .store
            .webhook_deliveries(&endpoint_id, 10)
            .await
            .expect("deliveries");
        assert_eq!(deliveries.len(), 1, "{name}");
        assert_eq!(deliveries[0].attempt, 2, "{name}: the lost attempt counts");

        // The dead worker's late report neither reopens nor duplicates the job's state.
        let late = w
            .store
            .record_webhook_attempt(
                &lost[0],
                AttemptOutcome {
                    at: w.store.now(),
                    status: None,
                    succeeded: false,
                },
                Some(w.store.now()),
            )
            .await
            .expect("record");
        assert_eq!(late, None, "{name}");
        assert_eq!(w.counts().await.delivered, 1, "{name}");
        assert_eq!(w.counts().await.pending, 0, "{name}");
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_addresses_are_refused_by_default() {
    for test_db in test_databases().await {
        let name = test_db.backend_name;
        let w = world(&test_db.url).await;
        let receiver = Receiver::start().await;
        let (by_ip, secret) = w.endpoint(&receiver.url, &ALL).await;
        receiver.expect_secret(&secret);
        // The same receiver by name: the resolver, not only the URL check, must refuse it.
        let by_name_url = receiver.url.replace("127.0.0.1", "localhost");
        let (by_name, _) = w.endpoint(&by_name_url, &ALL).await;
        w.published(1).await;

        let worker = DeliveryWorker::new(
            w.store.clone(),
            WebhookConfig {
                // The default, which `quick` turns off for the other tests.
                refuse_private_addresses: WebhookConfig::default().refuse_private_addresses,
                ..quick(1)
            },
        )
        .expect("worker");
        let round = worker.run_once().await.expect("round");
        assert_eq!((round.attempted, round.failed), (2, 2), "{name}");
        assert!(
            receiver.hits().is_empty(),
            "{name}: a refused address was reached"
        );
        for endpoint in [&by_ip, &by_name] {
            let deliveries = w
                .store
                .webhook_deliveries(endpoint, 10)
                .await
                .expect("deliveries");
            assert_eq!(deliveries.len(), 1, "{name}");
            assert_eq!(
                (deliveries[0].status, deliveries[0].succeeded),
                (None, false)
            );
        }
        drop(w);
        test_db.cleanup().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_recorded_before_an_endpoint_was_registered_are_not_sent_to_it() {
    for test_db in test_databases().await {
        let name = test_db.backend_name;
        let w = world(&test_db.url).await;
        let worker = DeliveryWorker::new(w.store.clone(), quick(3)).expect("worker");
        // With no endpoint at all, the worker only moves its cursor past the event.
        w.published(1).await;
        assert_eq!(w.store.fan_out_cursor().await.expect("cursor"), 0, "{name}");
        let round = worker.run_once().await.expect("round");
        assert_eq!((round.enqueued, round.attempted), (0, 0), "{name}");
        assert!(
            w.store.fan_out_cursor().await.expect("cursor") > 0,
            "{name}"
        );
        // An event the worker has not seen yet when the endpoint is registered.
        w.published(2).await;
        let receiver = Receiver::start().await;
        let (_, secret) = w.endpoint(&receiver.url, &ALL).await;
        receiver.expect_secret(&secret);
        let (after, _) = w.published(3).await;

        let round = worker.run_once().await.expect("round");
        assert_eq!((round.enqueued, round.delivered), (1, 1), "{name}");
        let hits = receiver.hits();
        assert_eq!(hits.len(), 1, "{name}");
        let body: serde_json::Value = serde_json::from_str(&hits[0].body).unwrap();
        assert_eq!(body["data"]["id"], after.as_str(), "{name}");
        drop(w);
        test_db.cleanup().await;
    }
}
