//! The result maps of GraphQL answers, as the specification defines them, compared byte for byte
//! with the whole serialized response: every object's entries in the order of the selection
//! (after fragments are collected, `CollectFields()`), and a union member that no fragment
//! selects as an empty object `{}`. Checked on every way an answer is made: the resolvers, the
//! response cache, a persisted query (by hash over `POST` and `GET`) and a subscription's event
//! (through the gateway, as `/graphql/ws` runs it), for the example release (the fixture
//! `leadit-2022`, which has quotes), on SQLite and on PostgreSQL when
//! `PRESSROOM_TEST_POSTGRES_URL` is set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed setup or a missing header should fail the test loudly"
)]

use poem::endpoint::BoxEndpoint;
use poem::http::StatusCode;
use poem::test::TestClient;
use poem::{EndpointExt, Response};
use pressroom_api::http::HttpConfig;
use pressroom_domain::content::sha256_hex;
use pressroom_domain::content::{
    Block, Contact, ContentInput, FactBox, ReleaseContent, ReleaseKind,
};
use pressroom_domain::lifecycle::Command;
use pressroom_domain::visibility::Viewer;
use pressroom_storage::Store;
use pressroom_storage::releases::StoredRelease;
use pressroom_test_support::database::{TestDb, test_databases};
use pressroom_test_support::world::{DEPARTMENT, InDepartment, Minister, WorldBuilder};
use serde_json::Value;

use std::time::Duration;

use async_graphql::Executor;
use futures_util::StreamExt;
use pressroom_api::context::RequestContext;
use pressroom_api::gateway::Gateway;
use pressroom_api::live::LiveFeed;

const FIXTURE: &str = include_str!("../../cli/fixtures/leadit-2022.json");
const NAME: &str = "Annika Strandhäll";
const TITLE: &str = "klimat- och miljöminister";

/// How many times each answer is asked for: the order must be the same every time, whichever
/// resolver happens to finish first.
const ROUNDS: usize = 8;

/// Selections in an order that is neither alphabetical nor the order the resolvers finish in
/// (the department and a quote's speaker are loaded from the database; the quotes, the title and
/// a quote's text are at hand), with a union selected through one of its members only.
const SELECTION: &str = "{
    slug
    department { slug name }
    quotes { speaker { name title } text }
    id
    body { ... on Paragraph { text } }
    responsibleMinister { title name }
    ... on Release { title id department { timeZone } }
  }";

/// [`SELECTION`] of one release by id.
fn query() -> String {
    format!("query Release($id: ID!) {{ release(id: $id) {SELECTION} }}")
}

/// The example release published by the example department's editor, and two servers over it:
/// one with the response cache and one without.
struct World {
    store: Store,
    /// The people who take a release to publication.
    people: People,
    release: StoredRelease,
    department: pressroom_storage::directory::Department,
    cached: TestClient<BoxEndpoint<'static, Response>>,
    uncached: TestClient<BoxEndpoint<'static, Response>>,
    database: TestDb,
}

fn text(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

/// The fixture's release as content, its quotes given to `minister`.
fn fixture_content(minister: &str) -> ReleaseContent {
    let fixture: Value = serde_json::from_str(FIXTURE).expect("the fixture parses");
    let release = &fixture["release"];
    let optional = |v: &Value| v.as_str().map(str::to_owned);
    let body = release["body"]
        .as_array()
        .expect("a body")
        .iter()
        .map(|block| match block.get("paragraph") {
            Some(paragraph) => Block::Paragraph {
                text: text(paragraph),
            },
            None => Block::Quote {
                speaker_id: minister.to_owned(),
                text: text(&block["quote"]["text"]),
            },
        })
        .collect();
    let contacts = release["contacts"]
        .as_array()
        .expect("contacts")
        .iter()
        .map(|c| Contact {
            name: text(&c["name"]),
            role: optional(&c["role"]),
            phone: optional(&c["phone"]),
            mobile: optional(&c["mobile"]),
            email: optional(&c["email"]),
        })
        .collect();
    let fact_boxes = release["factBoxes"]
        .as_array()
        .expect("fact boxes")
        .iter()
        .map(|f| FactBox {
            heading: text(&f["heading"]),
            text: text(&f["text"]),
        })
        .collect();
    ReleaseContent::parse(ContentInput {
        kind: ReleaseKind::PressRelease,
        language: text(&release["language"]),
        responsible_minister_id: Some(minister.into()),
        title: text(&release["title"]),
        lead: text(&release["lead"]),
        body,
        contacts,
        fact_boxes,
        topics: Vec::new(),
        translation_of: None,
    })
    .expect("the fixture is valid content")
}

async fn world(database: TestDb) -> World {
    let store = Store::connect(&database.url).await.expect("connect");
    let world = WorldBuilder::new()
        .minister("anna", NAME, TITLE, InDepartment::Yes)
        .build(store)
        .await;
    let people = People {
        drafter: world.drafter,
        editor: world.editor,
        minister: world.ministers[0].clone(),
    };
    let store = world.store;
    let release = people.publish(&store, people.approved(&store).await).await;
    assert!(
        release
            .content
            .body()
            .iter()
            .any(|b| matches!(b, Block::Quote { .. })),
        "the example release has quotes"
    );
    let department = store
        .departments()
        .await
        .expect("departments")
        .into_iter()
        .find(|d| d.slug == DEPARTMENT)
        .expect("the department");
    let app = |entries: usize| {
        let config = HttpConfig {
            response_cache_entries: entries,
            ..HttpConfig::default()
        };
        TestClient::new(
            pressroom_api::http::app_with(store.clone(), config)
                .map_to_response()
                .boxed(),
        )
    };
    World {
        cached: app(pressroom_api::response_cache::DEFAULT_ENTRIES),
        uncached: app(0),
        store,
        people,
        release,
        department,
        database,
    }
}

/// The example department's drafter and editor and its minister.
struct People {
    drafter: Viewer,
    editor: Viewer,
    minister: Minister,
}

impl People {
    /// A new release of the fixture's content, taken through review to APPROVED.
    async fn approved(&self, store: &Store) -> StoredRelease {
        let content = fixture_content(&self.minister.id);
        let r = store
            .create_release(&self.drafter, DEPARTMENT, content)
            .await
            .expect("create");
        let r = store
            .act(
                &self.drafter,
                &r.id,
                r.version,
                Command::SubmitForReview,
                None,
            )
            .await
            .expect("submit");
        store
            .act(
                &self.minister.office,
                &r.id,
                r.version,
                Command::Approve,
                None,
            )
            .await
            .expect("approve")
    }

    /// Publishes an approved release now.
    async fn publish(&self, store: &Store, r: StoredRelease) -> StoredRelease {
        store
            .act(&self.editor, &r.id, r.version, Command::PublishNow, None)
            .await
            .expect("publish")
    }
}

/// Runs `test` once per available backend, each on a fresh database that is dropped afterwards.
async fn on_every_backend<F, Fut>(test: F)
where
    F: Fn(World) -> Fut,
    Fut: std::future::Future<Output = World>,
{
    for database in test_databases().await {
        let w = test(world(database).await).await;
        let _ = w.store.connection().clone().close().await;
        w.database.cleanup().await;
    }
}

/// A JSON string.
fn string(value: &str) -> String {
    serde_json::to_string(value).expect("a string serializes")
}

/// A JSON object with exactly these entries, in this order.
fn object(entries: &[(&str, String)]) -> String {
    let entries: Vec<String> = entries
        .iter()
        .map(|(key, value)| format!("{}:{value}", string(key)))
        .collect();
    format!("{{{}}}", entries.join(","))
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(","))
}

impl World {
    /// The answer to [`query`] that the specification requires.
    fn expected(&self) -> String {
        object(&[("data", object(&[("release", self.selected(&self.release))]))])
    }

    /// [`SELECTION`] of `release` as the specification requires it, written out from the stored
    /// release: the fields in the order they are first selected (`title` from the fragment after
    /// them, `department`'s `timeZone` merged into the first `department`), and each quote's
    /// block in `body` as `{}`.
    fn selected(&self, release: &StoredRelease) -> String {
        let content = &release.content;
        let speaker = object(&[("name", string(NAME)), ("title", string(TITLE))]);
        let quotes = content.body().iter().filter_map(|block| match block {
            Block::Quote { text, .. } => Some(object(&[
                ("speaker", speaker.clone()),
                ("text", string(text)),
            ])),
            Block::Paragraph { .. } => None,
        });
        let body = content.body().iter().map(|block| match block {
            Block::Paragraph { text } => object(&[("text", string(text))]),
            Block::Quote { .. } => object(&[]),
        });
        object(&[
            ("slug", string(&release.slug)),
            (
                "department",
                object(&[
                    ("slug", string(&self.department.slug)),
                    ("name", string(&self.department.name)),
                    ("timeZone", string(&self.department.time_zone)),
                ]),
            ),
            ("quotes", list(quotes)),
            ("id", string(&release.id)),
            ("body", list(body)),
            (
                "responsibleMinister",
                object(&[("title", string(TITLE)), ("name", string(NAME))]),
            ),
            ("title", string(content.title())),
        ])
    }

    fn variables(&self) -> Value {
        serde_json::json!({ "id": self.release.id })
    }
}

/// Posts a GraphQL request without a token and returns the body, checking the status.
async fn post(client: &TestClient<BoxEndpoint<'static, Response>>, body: &Value) -> String {
    let body = body.to_string();
    let response = client
        .post("/graphql")
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .body(body)
        .send()
        .await
        .0;
    assert_eq!(response.status(), StatusCode::OK);
    response
        .into_body()
        .into_string()
        .await
        .expect("a UTF-8 body")
}

/// Sends a GraphQL request as a `GET` without a token and returns the body.
async fn get(
    client: &TestClient<BoxEndpoint<'static, Response>>,
    params: &[(&str, String)],
) -> String {
    let mut request = client.get("/graphql");
    for (name, value) in params {
        request = request.query(*name, value);
    }
    let response = request.send().await.0;
    assert_eq!(response.status(), StatusCode::OK);
    response
        .into_body()
        .into_string()
        .await
        .expect("a UTF-8 body")
}

/// The response cache's hits so far (a process-wide counter).
async fn cache_hits(store: &Store) -> f64 {
    let metrics = TestClient::new(pressroom_api::http::metrics_app(store.clone()))
        .get("/metrics")
        .send()
        .await
        .0
        .into_body()
        .into_string()
        .await
        .expect("a UTF-8 body");
    metrics
        .lines()
        .find_map(|line| {
            line.strip_prefix("pressroom_graphql_response_cache_total{result=\"hit\"} ")
        })
        .map_or(0.0, |value| value.trim().parse().expect("a number"))
}

#[tokio::test]
async fn the_resolvers_answer_in_selection_order_with_empty_objects_for_unselected_members() {
    on_every_backend(|w| async move {
        let expected = w.expected();
        let request = serde_json::json!({ "query": query(), "variables": w.variables() });
        for round in 0..ROUNDS {
            let body = post(&w.uncached, &request).await;
            assert_eq!(body, expected, "{} round {round}", w.database.backend_name);
        }
        // An object whose every field is skipped is an empty object too.
        let skipped = serde_json::json!({
            "query": "query($id: ID!, $no: Boolean!) { release(id: $id) { id @include(if: $no) title @skip(if: true) } }",
            "variables": { "id": w.release.id, "no": false },
        });
        assert_eq!(
            post(&w.uncached, &skipped).await,
            object(&[("data", object(&[("release", object(&[]))]))]),
            "{}",
            w.database.backend_name
        );
        w
    })
    .await;
}

#[tokio::test]
async fn a_cached_answer_is_the_same_bytes_as_the_resolvers_answer() {
    on_every_backend(|w| async move {
        let expected = w.expected();
        let request = serde_json::json!({ "query": query(), "variables": w.variables() });
        assert_eq!(post(&w.cached, &request).await, expected, "the miss");
        for round in 0..ROUNDS {
            let hits = cache_hits(&w.store).await;
            let body = post(&w.cached, &request).await;
            assert!(cache_hits(&w.store).await > hits, "round {round} is a hit");
            assert_eq!(body, expected, "{} round {round}", w.database.backend_name);
        }
        w
    })
    .await;
}

#[tokio::test]
async fn a_persisted_query_answers_the_same_bytes_by_hash_over_post_and_get() {
    on_every_backend(|w| async move {
        let expected = w.expected();
        let extensions = serde_json::json!({
            "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(query().as_bytes()) }
        });
        for client in [&w.uncached, &w.cached] {
            let register = serde_json::json!({
                "query": query(), "variables": w.variables(), "extensions": extensions
            });
            assert_eq!(post(client, &register).await, expected, "registration");
            let by_hash =
                serde_json::json!({ "variables": w.variables(), "extensions": extensions });
            for round in 0..ROUNDS {
                let body = post(client, &by_hash).await;
                assert_eq!(
                    body, expected,
                    "{} POST round {round}",
                    w.database.backend_name
                );
                let body = get(
                    client,
                    &[
                        ("variables", w.variables().to_string()),
                        ("extensions", extensions.to_string()),
                    ],
                )
                .await;
                assert_eq!(
                    body, expected,
                    "{} GET round {round}",
                    w.database.backend_name
                );
            }
        }
        w
    })
    .await;
}

#[tokio::test]
async fn a_subscription_event_has_the_same_shape() {
    on_every_backend(|w| async move {
        // The way /graphql/ws runs an operation: through the gateway, with the live feed.
        let gateway = Gateway::new(pressroom_api::schema::build(Some(w.store.clone())));
        let feed = LiveFeed::with(w.store.clone(), Duration::from_millis(50), 16);
        let request =
            async_graphql::Request::new(format!("subscription {{ releasePublished {SELECTION} }}"))
                .data(feed.clone())
                .data(RequestContext::live(&w.store, None));
        let mut events = Executor::execute_stream(&gateway, request, None);
        let approved = w.people.approved(&w.store).await;
        let mut published = None;
        let event = tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                tokio::select! {
                    event = events.next() => break event.expect("an event"),
                    () = tokio::time::sleep(Duration::from_millis(20)), if published.is_none() => {
                        if feed.subscriptions() == 1 {
                            published = Some(w.people.publish(&w.store, approved.clone()).await);
                        }
                    }
                }
            }
        })
        .await
        .expect("the publication in time");
        let published = published.expect("published");
        assert!(event.errors.is_empty(), "{:?}", event.errors);
        assert_eq!(
            serde_json::to_string(&event.data).expect("JSON"),
            object(&[("releasePublished", w.selected(&published))]),
            "{}",
            w.database.backend_name
        );
        w
    })
    .await;
}
