//! The public surfaces end to end, in process: HTML pages, Atom feeds and ninjs documents served
//! by `pressroom_api::app` over a real store (a fresh SQLite file, and a fresh PostgreSQL
//! database when `PRESSROOM_TEST_POSTGRES_URL` is set), with a manual clock so that every
//! instant (publication, embargo, correction) is exact.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed setup or a missing header should fail the test loudly"
)]

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderMap, StatusCode};
use poem::test::TestClient;
use poem::{EndpointExt, Response};
use pressroom_domain::content::{
    Block, Contact, ContentInput, FactBox, ReleaseContent, ReleaseKind,
};
use pressroom_domain::lifecycle::{Command, State};
use pressroom_domain::visibility::{Role, Viewer};
use pressroom_storage::Store;
use pressroom_storage::clock::ManualClock;
use pressroom_storage::directory::TokenGrant;
use pressroom_storage::releases::StoredRelease;
use pressroom_test_support::database::{TestDb, test_databases};
use pressroom_test_support::world::{InDepartment, Minister, WorldBuilder};
use serde_json::Value;

const FIXTURE: &str = include_str!("../../cli/fixtures/leadit-2022.json");
const NINJS_SCHEMA: &str = include_str!("data/ninjs-schema_3.1.json");
const DEPARTMENT: &str = "miljodepartementet";
const TITLE: &str =
    "Svensk-indiskt FN-initiativ fortsätter att leda tunga industrins klimatomställning";

// ---------------------------------------------------------------------------------------------
// The world of one test

struct World {
    store: Store,
    clock: ManualClock,
    client: TestClient<BoxEndpoint<'static, Response>>,
    drafter: Viewer,
    editor: Viewer,
    office: Viewer,
    minister: String,
    database: TestDb,
    backend: &'static str,
}

/// 2022-06-02 at `h:m:s` UTC (Stockholm is two hours ahead in June).
fn june2(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2022, 6, 2, h, m, s)
        .single()
        .expect("a valid instant")
}

async fn world(database: TestDb) -> World {
    let clock = ManualClock::new(june2(6, 0, 0));
    let store = Store::connect(&database.url)
        .await
        .expect("connect")
        .with_clock(Arc::new(clock.clone()));
    let world = WorldBuilder::new()
        .minister(
            "anna",
            "Annika Strandhäll",
            "klimat- och miljöminister",
            InDepartment::Yes,
        )
        .build(store)
        .await;
    let [minister] = <[Minister; 1]>::try_from(world.ministers).expect("one minister");
    let client = TestClient::new(
        pressroom_api::app(world.store.clone())
            .map_to_response()
            .boxed(),
    );
    World {
        drafter: world.drafter,
        editor: world.editor,
        office: minister.office,
        store: world.store,
        clock,
        client,
        minister: minister.id,
        backend: database.backend_name,
        database,
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
        let World {
            store, database, ..
        } = w;
        let _ = store.connection().clone().close().await;
        database.cleanup().await;
    }
}

/// A response, read whole.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("header {name} missing in {:?}", self.headers))
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the body is JSON")
    }
}

impl World {
    async fn get(&self, path: &str) -> Reply {
        self.get_with(path, &[]).await
    }

    async fn get_with(&self, path: &str, headers: &[(&'static str, &str)]) -> Reply {
        let mut request = self.client.get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.0;
        let status = response.status();
        let mut headers = response.headers().clone();
        // Unique per request by design; every other header must not depend on the release.
        headers.remove("x-request-id");
        let body = response
            .into_body()
            .into_string()
            .await
            .expect("a UTF-8 body");
        Reply {
            status,
            headers,
            body,
        }
    }

    /// The example release, with `title` and `language` swapped in.
    fn content(&self, title: &str, language: &str) -> ReleaseContent {
        fixture_content(&self.minister, title, language)
    }

    /// Creates a release and takes it through review to APPROVED.
    async fn approved(&self, content: ReleaseContent) -> StoredRelease {
        let r = self
            .store
            .create_release(&self.drafter, DEPARTMENT, content)
            .await
            .expect("create");
        let r = self
            .store
            .act(
                &self.drafter,
                &r.id,
                r.version,
                Command::SubmitForReview,
                None,
            )
            .await
            .expect("submit");
        let r = self
            .store
            .act(&self.office, &r.id, r.version, Command::Approve, None)
            .await
            .expect("approve");
        assert_eq!(r.state, State::Approved, "{}", self.backend);
        r
    }

    /// Creates, approves and publishes a release now.
    async fn published(&self, content: ReleaseContent) -> StoredRelease {
        let r = self.approved(content).await;
        self.store
            .act(&self.editor, &r.id, r.version, Command::PublishNow, None)
            .await
            .expect("publish")
    }

    /// Creates, approves and schedules a release for `until`.
    async fn embargoed(&self, content: ReleaseContent, until: DateTime<Utc>) -> StoredRelease {
        let r = self.approved(content).await;
        self.store
            .act(
                &self.editor,
                &r.id,
                r.version,
                Command::Schedule(until),
                None,
            )
            .await
            .expect("schedule")
    }

    async fn correct(
        &self,
        r: &StoredRelease,
        content: ReleaseContent,
        note: &str,
    ) -> StoredRelease {
        self.store
            .act(
                &self.editor,
                &r.id,
                r.version,
                Command::Correct(content, note.into()),
                Some(DEPARTMENT),
            )
            .await
            .expect("correct")
    }

    async fn withdraw(&self, r: &StoredRelease, reason: &str) -> StoredRelease {
        self.store
            .act(
                &self.editor,
                &r.id,
                r.version,
                Command::Withdraw(reason.into()),
                None,
            )
            .await
            .expect("withdraw")
    }

    async fn token(&self, name: &str, embargo_access: bool) -> String {
        self.store
            .create_token(
                &"admin".into(),
                TokenGrant {
                    user_name: name.into(),
                    role: Role::Integrator,
                    department: None,
                    person_id: None,
                    embargo_access,
                    expires_at: None,
                },
            )
            .await
            .expect("token")
            .token
    }
}

fn text(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

/// The fixture's release as content, its quotes given to `minister`.
fn fixture_content(minister: &str, title: &str, language: &str) -> ReleaseContent {
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
    let topics = release["topics"]
        .as_array()
        .expect("topics")
        .iter()
        .map(text)
        .collect();
    ReleaseContent::parse(ContentInput {
        kind: ReleaseKind::PressRelease,
        language: language.into(),
        responsible_minister_id: Some(minister.into()),
        title: title.into(),
        lead: text(&release["lead"]),
        body,
        contacts,
        fact_boxes,
        topics,
        translation_of: None,
    })
    .expect("the fixture is valid content")
}

fn fixture_value() -> Value {
    serde_json::from_str(FIXTURE).expect("the fixture parses")
}

// ---------------------------------------------------------------------------------------------
// ninjs validation

/// The ninjs 3.1 schema refers to GeoJSON's schema by URL for `places[].geoJSON`; Pressroom never
/// writes places, and tests do not reach the network, so that one reference resolves to `{}`.
struct OfflineGeoJson;

impl jsonschema::Retrieve for OfflineGeoJson {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str().starts_with("https://geojson.org/") {
            Ok(serde_json::json!({}))
        } else {
            Err(format!("no network in tests: {}", uri.as_str()).into())
        }
    }
}

fn ninjs_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(NINJS_SCHEMA).expect("the schema parses");
    jsonschema::options()
        .should_validate_formats(true)
        .with_retriever(OfflineGeoJson)
        .build(&schema)
        .expect("the ninjs 3.1 schema compiles")
}

fn assert_valid_ninjs(validator: &jsonschema::Validator, document: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid ninjs 3.1:\n{}\n{document:#}",
        errors.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn the_validator_is_not_vacuous() {
    let validator = ninjs_validator();
    let good = serde_json::json!({"uri": "urn:uuid:0190a6d2-0000-7000-8000-000000000000", "pubStatus": "usable"});
    assert!(validator.is_valid(&good));
    for bad in [
        serde_json::json!({"pubStatus": "usable"}),
        serde_json::json!({"uri": "urn:x", "pubStatus": "gone"}),
        serde_json::json!({"uri": "urn:x", "headline": "not a ninjs property"}),
        serde_json::json!({"uri": "not a uri"}),
        serde_json::json!({"uri": "urn:x", "firstCreated": "2 juni 2022"}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad} should be refused");
    }
}

#[tokio::test]
async fn the_example_release_reads_like_the_ministry_page() {
    on_every_backend(|w| async move {
        w.clock.set(june2(7, 0, 0));
        let r = w.published(w.content(TITLE, "sv")).await;
        let page = w.get(&format!("/releases/{}", r.slug)).await;
        assert_eq!(page.status, StatusCode::OK, "{}: {}", w.backend, page.body);
        let html = &page.body;
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains(r#"<html lang="sv">"#));
        assert!(html.contains(&format!("<h1>{TITLE}</h1>")), "{html}");
        assert!(html.contains("Pressmeddelande från <a href=\"/departments/miljodepartementet\">Miljödepartementet</a>"));
        assert!(html.contains(
            "Publicerad <time datetime=\"2022-06-02T09:00:00+02:00\">2\u{a0}juni 2022 kl. 09.00</time>"
        ), "{html}");

        // Every text of the fixture, byte for byte, with the quotes attributed as on the
        // ministry's page.
        let fixture = fixture_value();
        let release = &fixture["release"];
        assert!(html.contains(&format!(r#"<p class="lead">{}</p>"#, text(&release["lead"]))));
        for block in release["body"].as_array().expect("body") {
            if let Some(paragraph) = block.get("paragraph") {
                assert!(html.contains(&format!("<p>{}</p>", text(paragraph))));
            } else {
                let quote = text(&block["quote"]["text"]);
                assert!(
                    html.contains(&format!(
                        "<blockquote class=\"quote\"><p>– {quote}, <span class=\"attribution\">säger klimat- och miljöminister Annika Strandhäll</span></p></blockquote>"
                    )),
                    "{html}"
                );
            }
        }
        for fact_box in release["factBoxes"].as_array().expect("fact boxes") {
            assert!(html.contains(&format!("<h2>{}</h2>", text(&fact_box["heading"]))));
            assert!(html.contains(&text(&fact_box["text"])));
        }
        assert!(html.contains("<h2>Presskontakt</h2>"));
        assert!(html.contains("<p class=\"contact-name\">Tove Kullenberg</p>"));
        assert!(html.contains("Pressekreterare hos klimat- och miljöminister Annika Strandhäll"));
        // The link is E.164 (the Swedish country code in place of the trunk 0); the text as written.
        assert!(html.contains(r#"Mobil <a href="tel:+46738425059">073-842 50 59</a>"#), "{html}");
        assert!(html.contains("Ämnen: LeadIT, Klimat, Industri"));
        assert!(!html.contains("<script"), "no JavaScript");

        // Headers: content type, caching, validators and security.
        assert_eq!(page.header("content-type"), "text/html; charset=utf-8");
        assert_eq!(page.header("cache-control"), "public, max-age=60");
        assert!(page.header("etag").starts_with('"'));
        assert_eq!(page.header("last-modified"), "Thu, 02 Jun 2022 07:00:00 GMT");
        assert!(page.header("content-security-policy").starts_with("default-src 'none'; style-src 'self'"));
        assert_eq!(page.header("x-content-type-options"), "nosniff");
        assert_eq!(page.header("referrer-policy"), "no-referrer");

        let css = w.get("/static/pressroom.css").await;
        assert_eq!(css.status, StatusCode::OK);
        assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
        assert!(css.body.contains("blockquote.quote"));
        w
    })
    .await;
}

#[tokio::test]
async fn an_english_release_is_dated_and_attributed_in_english() {
    on_every_backend(|w| async move {
        w.clock.set(june2(7, 0, 0));
        let r = w
            .published(w.content("Swedish-Indian UN initiative continues to lead", "en"))
            .await;
        let page = w.get(&format!("/releases/{}", r.slug)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(r#"<html lang="en">"#));
        assert!(page.body.contains("Press release from"));
        assert!(page.body.contains(
            "Published <time datetime=\"2022-06-02T09:00:00+02:00\">2\u{a0}June 2022 at 09:00 CEST</time>"
        ), "{}", page.body);
        assert!(page.body.contains("says klimat- och miljöminister Annika Strandhäll"));
        // In the Swedish listing the English item says which language it is in.
        let listing = w.get("/releases").await;
        assert!(listing.body.contains(r#"<li lang="en">"#), "{}", listing.body);
        w
    })
    .await;
}

#[tokio::test]
async fn markup_in_a_title_is_escaped_on_every_surface() {
    on_every_backend(|w| async move {
        let title = r#"<script>alert("x")</script> & <b>fet</b>"#;
        let r = w.published(w.content(title, "sv")).await;
        let page = w.get(&format!("/releases/{}", r.slug)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("<script>"), "{}", page.body);
        assert!(!page.body.contains("<b>fet"));
        assert!(page.body.contains(
            "<h1>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#60;b&#62;fet&#60;/b&#62;</h1>"
        ), "{}", page.body);
        let listing = w.get("/releases").await;
        assert!(!listing.body.contains("<script>"));
        assert!(listing.body.contains("&#60;script&#62;"));

        // The feed and ninjs carry the text itself, escaped by their own syntax.
        let feed = w.get("/feeds/releases.atom").await;
        assert!(!feed.body.contains("<script>"));
        let parsed = feed_rs::parser::parse(feed.body.as_bytes()).expect("the feed parses");
        assert_eq!(parsed.entries[0].title.as_ref().expect("a title").content, title);
        let ninjs = w.get(&format!("/releases/{}.json", r.slug)).await.json();
        assert_eq!(ninjs["headlines"][0]["value"], title);
        w
    })
    .await;
}

#[tokio::test]
async fn drafts_and_embargoed_releases_are_indistinguishable_from_unknown_slugs_until_the_instant()
{
    on_every_backend(|w| async move {
        let draft = w
            .store
            .create_release(
                &w.drafter,
                DEPARTMENT,
                w.content("Ett utkast om klimatet", "sv"),
            )
            .await
            .expect("draft");
        let instant = june2(7, 0, 0);
        let embargoed = w
            .embargoed(w.content("Ett embargo om industrin", "sv"), instant)
            .await;
        w.clock.set(june2(6, 59, 50));

        let unknown = w.get("/releases/finns-inte").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.header("cache-control"), "no-store");
        assert!(unknown.headers.get("etag").is_none());
        for slug in [&draft.slug, &embargoed.slug] {
            let page = w.get(&format!("/releases/{slug}")).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{}: {slug}", w.backend);
            assert_eq!(page.body, unknown.body, "the 404 tells nothing");
            assert_eq!(page.headers, unknown.headers, "nor do its headers");
            let json = w.get(&format!("/releases/{slug}.json")).await;
            assert_eq!(json.status, StatusCode::NOT_FOUND);
            assert_eq!(json.body, w.get("/releases/finns-inte.json").await.body);
            assert_eq!(json.header("cache-control"), "no-store");
        }
        let listing = w.get("/releases").await;
        assert!(!listing.body.contains("Ett embargo"));
        assert!(!listing.body.contains("Ett utkast"));
        // Ten seconds before the instant no cache may keep the list longer than ten seconds.
        assert_eq!(listing.header("cache-control"), "public, max-age=10");
        let feed = w.get("/feeds/miljodepartementet.atom").await;
        assert!(!feed.body.contains("Ett embargo"));
        assert_eq!(feed.header("cache-control"), "public, max-age=10");

        // At the instant, before any scheduler has run, every surface shows it as published.
        w.clock.set(instant);
        let page = w.get(&format!("/releases/{}", embargoed.slug)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", w.backend);
        assert!(page.body.contains("2\u{a0}juni 2022 kl. 09.00"));
        assert_eq!(
            page.header("last-modified"),
            "Thu, 02 Jun 2022 07:00:00 GMT"
        );
        let listing = w.get("/releases").await;
        assert!(listing.body.contains("Ett embargo om industrin"));
        // The embargo is due but not yet recorded by a scheduler: revalidate every time.
        assert_eq!(listing.header("cache-control"), "public, no-cache");
        let feed = feed_rs::parser::parse(w.get("/feeds/releases.atom").await.body.as_bytes())
            .expect("the feed parses");
        assert_eq!(feed.entries.len(), 1);
        assert_eq!(feed.entries[0].id, format!("urn:uuid:{}", embargoed.id));
        assert_eq!(feed.entries[0].published, Some(instant));
        let ninjs = w.get(&format!("/releases/{}.json", embargoed.slug)).await;
        assert_eq!(ninjs.status, StatusCode::OK);
        let ninjs = ninjs.json();
        assert_eq!(ninjs["firstCreated"], "2022-06-02T07:00:00Z");
        assert_eq!(ninjs["pubStatus"], "usable");
        assert!(ninjs.get("embargoedUntil").is_none());
        // The draft stays unseen.
        assert_eq!(
            w.get(&format!("/releases/{}", draft.slug)).await.status,
            StatusCode::NOT_FOUND
        );
        w
    })
    .await;
}

#[tokio::test]
async fn a_withdrawn_release_keeps_its_page_with_the_notice_and_leaves_listings_and_feeds() {
    on_every_backend(|w| async move {
        w.clock.set(june2(7, 0, 0));
        let kept = w
            .published(w.content("Ett pressmeddelande som står kvar", "sv"))
            .await;
        w.clock.set(june2(7, 30, 0));
        let r = w.published(w.content(TITLE, "sv")).await;
        assert!(w.get("/releases").await.body.contains(&r.slug));
        w.clock.set(june2(8, 0, 0));
        let r = w
            .withdraw(&r, "Uppgifterna om deltagarna var felaktiga.")
            .await;

        let page = w.get(&format!("/releases/{}", r.slug)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("<h2>Tillbakadraget</h2>"),
            "{}",
            page.body
        );
        assert!(page.body.contains(
            "<time datetime=\"2022-06-02T10:00:00+02:00\">2\u{a0}juni 2022 kl. 10.00</time>"
        ));
        assert!(
            page.body
                .contains("<p>Uppgifterna om deltagarna var felaktiga.</p>")
        );
        assert!(page.body.contains(TITLE), "the text stays readable");
        assert_eq!(
            page.header("last-modified"),
            "Thu, 02 Jun 2022 08:00:00 GMT"
        );

        for path in ["/releases", "/departments/miljodepartementet"] {
            let listing = w.get(path).await;
            assert_eq!(listing.status, StatusCode::OK);
            assert!(!listing.body.contains(&r.slug), "{path} still lists it");
            assert!(
                listing.body.contains(&kept.slug),
                "{path} lost the other one"
            );
        }
        for path in ["/feeds/releases.atom", "/feeds/miljodepartementet.atom"] {
            let feed = feed_rs::parser::parse(w.get(path).await.body.as_bytes()).expect("parses");
            let ids: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
            assert_eq!(ids, vec![format!("urn:uuid:{}", kept.id)], "{path}");
        }
        w
    })
    .await;
}

#[tokio::test]
async fn listings_page_newest_first_and_refuse_malformed_cursors() {
    on_every_backend(|w| async move {
        let mut slugs = Vec::new();
        for (i, title) in ["Första beskedet", "Andra beskedet", "Tredje beskedet"]
            .into_iter()
            .enumerate()
        {
            w.clock
                .set(june2(7, u32::try_from(i).expect("small") * 10, 0));
            slugs.push(w.published(w.content(title, "sv")).await.slug);
        }
        let first = w.get("/releases?first=2").await;
        assert_eq!(first.status, StatusCode::OK);
        let third_at = first.body.find(&slugs[2]).expect("newest on page 1");
        let second_at = first.body.find(&slugs[1]).expect("second on page 1");
        assert!(third_at < second_at, "newest first");
        assert!(!first.body.contains(&slugs[0]));
        let next = first
            .body
            .split("href=\"")
            .find_map(|rest| rest.strip_prefix("/releases?after="))
            .and_then(|rest| rest.split('"').next())
            .expect("a link to older releases");
        let older = w.get(&format!("/releases?after={next}")).await;
        assert_eq!(older.status, StatusCode::OK);
        assert!(older.body.contains(&slugs[0]));
        assert!(!older.body.contains(&slugs[2]));
        assert!(older.body.contains(">Senaste</a>"));

        let department = w.get("/departments/miljodepartementet").await;
        assert_eq!(department.status, StatusCode::OK);
        assert!(department.body.contains("<h1>Miljödepartementet</h1>"));
        assert!(
            department
                .body
                .contains(r#"href="/feeds/miljodepartementet.atom""#)
        );
        assert_eq!(department.header("cache-control"), "public, max-age=30");

        let bad = w.get("/releases?after=zz").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert_eq!(bad.header("cache-control"), "no-store");
        assert_eq!(
            w.get("/releases?first=many").await.status,
            StatusCode::BAD_REQUEST
        );
        let unknown = w.get("/departments/finansdepartementet").await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.header("cache-control"), "no-store");
        assert_eq!(unknown.body, w.get("/releases/finns-inte").await.body);
        assert_eq!(
            w.get("/feeds/finansdepartementet.atom").await.status,
            StatusCode::NOT_FOUND
        );
        w
    })
    .await;
}

#[tokio::test]
async fn atom_feeds_parse_back_with_stable_ids_and_corrections_move_updated() {
    on_every_backend(|w| async move {
        w.clock.set(june2(7, 0, 0));
        let older = w.published(w.content("Ett äldre besked", "sv")).await;
        w.clock.set(june2(7, 30, 0));
        let r = w.published(w.content(TITLE, "sv")).await;

        let first = w.get("/feeds/releases.atom").await;
        assert_eq!(first.status, StatusCode::OK);
        assert_eq!(first.header("content-type"), "application/atom+xml; charset=utf-8");
        assert_eq!(first.header("cache-control"), "public, max-age=30");
        let feed = feed_rs::parser::parse(first.body.as_bytes()).expect("the feed parses");
        assert_eq!(feed.entries.len(), 2);
        let entry = &feed.entries[0];
        assert_eq!(entry.id, format!("urn:uuid:{}", r.id), "newest first");
        assert_eq!(feed.entries[1].id, format!("urn:uuid:{}", older.id));
        assert_eq!(entry.title.as_ref().expect("title").content, TITLE);
        assert_eq!(entry.published, Some(june2(7, 30, 0)));
        assert_eq!(entry.updated, Some(june2(7, 30, 0)));
        assert_eq!(feed.updated, Some(june2(7, 30, 0)));
        let fixture = fixture_value();
        assert_eq!(
            entry.summary.as_ref().expect("summary").content,
            text(&fixture["release"]["lead"])
        );
        let content = entry
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .expect("content");
        assert!(content.contains("<blockquote class=\"quote\"><p>– Sverige ska axla"));
        assert!(content.contains("säger klimat- och miljöminister Annika Strandhäll"));
        assert!(content.contains("<h2>Stockholm+50</h2>"));
        let terms: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(terms, vec!["LeadIT", "Klimat", "Industri"]);
        assert_eq!(entry.authors[0].name, Some("Miljödepartementet".to_owned()));
        assert!(entry.links.iter().any(|l| l.href.ends_with(&format!("/releases/{}", r.slug))));

        // The same request gives the same bytes: ids and the ETag are stable.
        let again = w.get("/feeds/releases.atom").await;
        assert_eq!(again.body, first.body);
        assert_eq!(again.header("etag"), first.header("etag"));
        let department = feed_rs::parser::parse(
            w.get("/feeds/miljodepartementet.atom").await.body.as_bytes(),
        )
        .expect("the department feed parses");
        assert_eq!(department.entries.len(), 2);
        assert_ne!(department.id, feed.id);

        // A correction moves `updated` (and only that); the entry keeps its id and `published`.
        w.clock.set(june2(9, 15, 0));
        let corrected = amended(&w.content(TITLE, "sv"), " (Rättad.)");
        w.correct(&r, corrected, "Ingressen förtydligad.").await;
        let after = w.get("/feeds/releases.atom").await;
        assert_ne!(after.header("etag"), first.header("etag"));
        let feed = feed_rs::parser::parse(after.body.as_bytes()).expect("parses");
        let entry = &feed.entries[0];
        assert_eq!(entry.id, format!("urn:uuid:{}", r.id));
        assert_eq!(entry.published, Some(june2(7, 30, 0)));
        assert_eq!(entry.updated, Some(june2(9, 15, 0)));
        assert!(entry.summary.as_ref().expect("summary").content.ends_with("(Rättad.)"));
        assert_eq!(feed.entries[1].updated, Some(june2(7, 0, 0)), "the other one did not move");

        // The page shows the correction note in the department's time.
        let page = w.get(&format!("/releases/{}", r.slug)).await;
        assert!(page.body.contains("<h2>Rättelse</h2>"));
        assert!(page.body.contains(
            "<time datetime=\"2022-06-02T11:15:00+02:00\">2\u{a0}juni 2022 kl. 11.15</time>: Ingressen förtydligad."
        ), "{}", page.body);
        w
    })
    .await;
}

#[tokio::test]
async fn an_empty_feed_is_updated_when_it_is_made_not_in_1970() {
    on_every_backend(|w| async move {
        w.clock.set(june2(7, 0, 0));
        for path in ["/feeds/releases.atom", "/feeds/miljodepartementet.atom"] {
            let reply = w.get(path).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}");
            let feed = feed_rs::parser::parse(reply.body.as_bytes()).expect("the feed parses");
            assert!(feed.entries.is_empty());
            assert_eq!(feed.updated, Some(june2(7, 0, 0)), "{path}: {}", reply.body);
        }
        w
    })
    .await;
}

#[tokio::test]
async fn the_root_is_a_landing_page_and_departments_has_an_index() {
    on_every_backend(|w| async move {
        let home = w.get("/").await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        assert_eq!(home.header("content-type"), "text/html; charset=utf-8");
        assert!(home.body.starts_with("<!DOCTYPE html>"));
        assert!(home.body.contains(r#"<link rel="stylesheet" href="/static/pressroom.css">"#));
        for href in [
            "/releases",
            "/departments",
            "/feeds/releases.atom",
            "/graphql",
            "/newsroom/",
        ] {
            assert!(
                home.body.contains(&format!(r#"<a href="{href}">"#)),
                "{href}: {}",
                home.body
            );
        }
        assert!(home.header("content-security-policy").starts_with("default-src 'none'"));

        let index = w.get("/departments").await;
        assert_eq!(index.status, StatusCode::OK, "{}", index.body);
        assert!(index.body.contains("<h1>Departement</h1>"), "{}", index.body);
        assert!(
            index.body.contains(
                r#"<a href="/departments/miljodepartementet">Miljödepartementet</a> · <a href="/feeds/miljodepartementet.atom">"#
            ),
            "{}",
            index.body
        );
        // Every link of the index leads somewhere.
        assert_eq!(w.get("/departments/miljodepartementet").await.status, StatusCode::OK);
        assert_eq!(w.get("/feeds/miljodepartementet.atom").await.status, StatusCode::OK);
        w
    })
    .await;
}

/// `content` with `suffix` added to its lead: a correction must change something.
fn amended(content: &ReleaseContent, suffix: &str) -> ReleaseContent {
    ReleaseContent::parse(ContentInput {
        lead: format!("{}{suffix}", content.lead()),
        ..input_of(content)
    })
    .expect("still valid content")
}

/// `content` as input again (to change one field of it).
fn input_of(content: &ReleaseContent) -> ContentInput {
    ContentInput {
        kind: content.kind(),
        language: content.language().into(),
        responsible_minister_id: content.responsible_minister_id().map(Into::into),
        title: content.title().into(),
        lead: content.lead().into(),
        body: content.body().to_vec(),
        contacts: content.contacts().to_vec(),
        fact_boxes: content.fact_boxes().to_vec(),
        topics: content.topics().to_vec(),
        translation_of: content.translation_of().map(Into::into),
    }
}

#[tokio::test]
async fn a_quote_s_own_closing_punctuation_meets_the_attribution_in_swedish_style_everywhere() {
    on_every_backend(|w| async move {
        w.clock.set(june2(7, 0, 0));
        let example = w.content(TITLE, "sv");
        let mut body = example.body().to_vec();
        body.push(Block::Quote {
            speaker_id: w.minister.clone(),
            text: "Havet kan inte vänta.".into(),
        });
        body.push(Block::Quote {
            speaker_id: w.minister.clone(),
            text: "Varför väntar vi?".into(),
        });
        let content = ReleaseContent::parse(ContentInput {
            body,
            ..input_of(&example)
        })
        .expect("valid content");
        let r = w.published(content).await;
        let says =
            "<span class=\"attribution\">säger klimat- och miljöminister Annika Strandhäll</span>";
        // The fixture's quotes have no closing punctuation and take the comma, as on the
        // ministry's page; a full stop gives way to the comma; a question mark stays alone.
        let expected = [
            "<p>– Sverige ska axla".to_owned(),
            format!("den tunga industrin, {says}"),
            format!("<p>– Havet kan inte vänta, {says}</p>"),
            format!("<p>– Varför väntar vi? {says}</p>"),
        ];
        let page = w.get(&format!("/releases/{}", r.slug)).await.body;
        let feed = w.get("/feeds/releases.atom").await.body;
        let feed = feed_rs::parser::parse(feed.as_bytes()).expect("the feed parses");
        let atom = feed.entries[0]
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .expect("content");
        let ninjs = w.get(&format!("/releases/{}.json", r.slug)).await.json();
        let ninjs = text(&ninjs["bodies"][0]["value"]);
        for (surface, html) in [("page", &page), ("atom", &atom), ("ninjs", &ninjs)] {
            for wanted in &expected {
                assert!(
                    html.contains(wanted),
                    "{}: {surface} lacks {wanted}: {html}",
                    w.backend
                );
            }
            assert!(
                !html.contains("vänta.,") && !html.contains("vi?,"),
                "{surface}: {html}"
            );
        }
        // What is stored (and what the API gives) keeps the text as written.
        let stored = w
            .store
            .secure_release(Some(&w.drafter), &r.id, w.store.now())
            .await
            .expect("read")
            .expect("visible");
        assert!(
            stored
                .content
                .quotes()
                .any(|q| q.text == "Havet kan inte vänta.")
        );
        w
    })
    .await;
}

#[tokio::test]
async fn ninjs_is_valid_for_published_corrected_and_withdrawn_releases() {
    on_every_backend(|w| async move {
        let validator = ninjs_validator();
        w.clock.set(june2(7, 0, 0));
        let r = w.published(w.content(TITLE, "sv")).await;
        let path = format!("/releases/{}.json", r.slug);

        let published = w.get(&path).await;
        assert_eq!(published.status, StatusCode::OK, "{}", published.body);
        assert_eq!(
            published.header("content-type"),
            "application/json; charset=utf-8"
        );
        assert_eq!(published.header("cache-control"), "public, max-age=60");
        assert_eq!(published.header("vary"), "Authorization");
        let doc = published.json();
        assert_valid_ninjs(&validator, &doc);
        assert_eq!(doc["uri"], format!("urn:uuid:{}", r.id));
        assert_eq!(doc["type"], "text");
        assert_eq!(doc["version"], "1");
        assert_eq!(doc["firstCreated"], "2022-06-02T07:00:00Z");
        assert_eq!(doc["versionCreated"], "2022-06-02T07:00:00Z");
        assert_eq!(doc["pubStatus"], "usable");
        assert_eq!(doc["language"], "sv");
        assert!(doc.get("embargoedUntil").is_none());
        assert_eq!(doc["headlines"][0]["value"], TITLE);
        let fixture = fixture_value();
        assert_eq!(doc["descriptions"][0]["value"], fixture["release"]["lead"]);
        let body = doc["bodies"][0]["value"].as_str().expect("a body");
        assert_eq!(doc["bodies"][0]["contentType"], "text/html");
        assert!(body.contains("<blockquote class=\"quote\"><p>– Sverige ska axla"));
        assert!(body.contains("säger klimat- och miljöminister Annika Strandhäll"));
        let roles: Vec<&str> = doc["bodies"]
            .as_array()
            .expect("bodies")
            .iter()
            .map(|b| b["role"].as_str().expect("role"))
            .collect();
        assert_eq!(roles, vec!["main", "factBox", "factBox", "contacts"]);
        let people = doc["people"].as_array().expect("people");
        assert!(
            people
                .iter()
                .any(|p| p["name"] == "Annika Strandhäll" && p["rel"] == "responsibleMinister")
        );
        assert!(
            people
                .iter()
                .any(|p| p["name"] == "Annika Strandhäll" && p["rel"] == "speaker")
        );
        let contact = people
            .iter()
            .find(|p| p["rel"] == "pressContact")
            .expect("a press contact");
        assert_eq!(contact["name"], "Tove Kullenberg");
        assert!(
            contact["contactInfo"]
                .as_array()
                .expect("contact info")
                .iter()
                .any(|c| c["type"] == "mobile" && c["value"] == "073-842 50 59")
        );
        assert_eq!(doc["organisations"][0]["name"], "Miljödepartementet");
        let subjects: Vec<&str> = doc["subjects"]
            .as_array()
            .expect("subjects")
            .iter()
            .map(|s| s["name"].as_str().expect("name"))
            .collect();
        assert_eq!(subjects, vec!["LeadIT", "Klimat", "Industri"]);

        w.clock.set(june2(9, 0, 0));
        let r = w
            .correct(
                &r,
                amended(&w.content(TITLE, "sv"), " Kontrollerad."),
                "Kontaktuppgifterna kontrollerade.",
            )
            .await;
        let corrected = w.get(&path).await.json();
        assert_valid_ninjs(&validator, &corrected);
        assert_eq!(corrected["version"], "2");
        assert_eq!(corrected["firstCreated"], "2022-06-02T07:00:00Z");
        assert_eq!(corrected["versionCreated"], "2022-06-02T09:00:00Z");
        assert!(
            corrected["descriptions"]
                .as_array()
                .expect("descriptions")
                .iter()
                .any(|d| d["role"] == "correction"
                    && d["value"]
                        .as_str()
                        .expect("text")
                        .ends_with("Kontaktuppgifterna kontrollerade."))
        );

        w.clock.set(june2(10, 0, 0));
        w.withdraw(&r, "Dubblett av ett annat pressmeddelande.")
            .await;
        let withdrawn = w.get(&path).await.json();
        assert_valid_ninjs(&validator, &withdrawn);
        assert_eq!(withdrawn["pubStatus"], "canceled");
        assert_eq!(withdrawn["version"], "3");
        assert_eq!(withdrawn["versionCreated"], "2022-06-02T10:00:00Z");
        w
    })
    .await;
}

#[tokio::test]
async fn only_an_accredited_integrator_sees_an_embargoed_release_and_its_embargo_in_ninjs() {
    on_every_backend(|w| async move {
        let validator = ninjs_validator();
        let instant = june2(7, 0, 0);
        let r = w.embargoed(w.content(TITLE, "sv"), instant).await;
        let accredited = w.token("nyhetsbyran", true).await;
        let plain = w.token("bevakning", false).await;
        w.clock.set(june2(6, 30, 0));
        let path = format!("/releases/{}.json", r.slug);

        let anonymous = w.get(&path).await;
        assert_eq!(anonymous.status, StatusCode::NOT_FOUND);
        let as_plain = w
            .get_with(&path, &[("authorization", &format!("Bearer {plain}"))])
            .await;
        assert_eq!(as_plain.status, StatusCode::NOT_FOUND);
        assert_eq!(as_plain.body, anonymous.body);

        let as_accredited = w
            .get_with(&path, &[("authorization", &format!("Bearer {accredited}"))])
            .await;
        assert_eq!(
            as_accredited.status,
            StatusCode::OK,
            "{}",
            as_accredited.body
        );
        assert_eq!(as_accredited.header("cache-control"), "private, no-store");
        let doc = as_accredited.json();
        assert_valid_ninjs(&validator, &doc);
        assert_eq!(doc["embargoedUntil"], "2022-06-02T07:00:00Z");
        assert_eq!(doc["pubStatus"], "usable");
        // The HTML page is for the public only, token or not.
        let page = w
            .get_with(
                &format!("/releases/{}", r.slug),
                &[("authorization", &format!("Bearer {accredited}"))],
            )
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);

        let refused = w
            .get_with(&path, &[("authorization", "Bearer prt_not-a-token")])
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(refused.header("cache-control"), "no-store");

        w.clock.set(instant);
        let public = w.get(&path).await;
        assert_eq!(public.status, StatusCode::OK);
        let public = public.json();
        assert_valid_ninjs(&validator, &public);
        assert!(
            public.get("embargoedUntil").is_none(),
            "anonymous never sees it"
        );
        let as_accredited = w
            .get_with(&path, &[("authorization", &format!("Bearer {accredited}"))])
            .await
            .json();
        assert_eq!(as_accredited["embargoedUntil"], "2022-06-02T07:00:00Z");
        let as_plain = w
            .get_with(&path, &[("authorization", &format!("Bearer {plain}"))])
            .await
            .json();
        assert!(as_plain.get("embargoedUntil").is_none());
        w
    })
    .await;
}

#[tokio::test]
async fn an_etag_that_is_still_current_gets_304_and_a_correction_changes_it() {
    on_every_backend(|w| async move {
        w.clock.set(june2(7, 0, 0));
        let r = w.published(w.content(TITLE, "sv")).await;
        for path in [
            format!("/releases/{}", r.slug),
            format!("/releases/{}.json", r.slug),
            "/releases".to_owned(),
            "/feeds/releases.atom".to_owned(),
        ] {
            let first = w.get(&path).await;
            assert_eq!(first.status, StatusCode::OK, "{path}");
            let tag = first.header("etag").to_owned();
            let cached = w.get_with(&path, &[("if-none-match", &tag)]).await;
            assert_eq!(cached.status, StatusCode::NOT_MODIFIED, "{path}");
            assert!(cached.body.is_empty());
            assert_eq!(cached.header("etag"), tag);
            assert_eq!(
                cached.header("cache-control"),
                first.header("cache-control")
            );
            let weak = w
                .get_with(&path, &[("if-none-match", &format!("\"x\", W/{tag}"))])
                .await;
            assert_eq!(weak.status, StatusCode::NOT_MODIFIED, "{path}");
            let other = w
                .get_with(&path, &[("if-none-match", "\"something-else\"")])
                .await;
            assert_eq!(other.status, StatusCode::OK, "{path}");
        }
        let page = format!("/releases/{}", r.slug);
        let tag = w.get(&page).await.header("etag").to_owned();
        w.clock.set(june2(8, 0, 0));
        w.correct(
            &r,
            amended(&w.content(TITLE, "sv"), " Rättad."),
            "Rättat stavfel.",
        )
        .await;
        let after = w.get_with(&page, &[("if-none-match", &tag)]).await;
        assert_eq!(
            after.status,
            StatusCode::OK,
            "a correction is a new representation"
        );
        assert_ne!(after.header("etag"), tag);
        assert_eq!(
            after.header("last-modified"),
            "Thu, 02 Jun 2022 08:00:00 GMT"
        );
        w
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// The GraphQL response cache (crates/api/src/response_cache.rs)

impl World {
    /// The slugs and states of the releases `token` (none: anonymous) lists over GraphQL.
    async fn listed(&self, token: Option<&str>) -> Vec<(String, String)> {
        let body = serde_json::json!({
            "query": "{ releases(first: 50) { nodes { slug state } } }"
        })
        .to_string();
        let mut request = self
            .client
            .post("/graphql")
            .header("content-type", "application/json")
            .header("content-length", body.len());
        let bearer = token.map(|t| format!("Bearer {t}"));
        if let Some(bearer) = &bearer {
            request = request.header("authorization", bearer.as_str());
        }
        let response = request.body(body).send().await.0;
        assert_eq!(response.status(), StatusCode::OK, "{}", self.backend);
        let json: Value = serde_json::from_str(
            &response
                .into_body()
                .into_string()
                .await
                .expect("a UTF-8 body"),
        )
        .expect("JSON");
        assert!(json.get("errors").is_none(), "{}: {json}", self.backend);
        json["data"]["releases"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| (text(&n["slug"]), text(&n["state"])))
            .collect()
    }
}

/// The cache's hits so far, read from the metrics listener's `/metrics` (a process-wide counter).
async fn cache_hits(w: &World) -> f64 {
    let metrics = TestClient::new(pressroom_api::http::metrics_app(w.store.clone()))
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
async fn cached_graphql_answers_follow_every_write_and_every_embargo_instant() {
    on_every_backend(|w| async move {
        let monitor = w.token("monitor", false).await;
        let agency = w.token("agency", true).await;
        let first = w.published(w.content("Första", "sv")).await;
        let listed = w.listed(Some(&monitor)).await;
        assert_eq!(listed, [(first.slug.clone(), "PUBLISHED".to_owned())]);
        let hits = cache_hits(&w).await;
        assert_eq!(w.listed(Some(&monitor)).await, listed, "{}", w.backend);
        assert!(
            cache_hits(&w).await > hits,
            "{}: the same read again is a hit",
            w.backend
        );

        // A write anywhere ends every cached answer.
        let second = w.published(w.content("Andra", "sv")).await;
        let listed = w.listed(Some(&monitor)).await;
        assert_eq!(listed.len(), 2, "{}: {listed:?}", w.backend);
        assert_eq!(listed[0].0, second.slug, "{}", w.backend);

        // An embargoed release: hidden from the public, shown to the accredited agency, each
        // from its own cache entry.
        let instant = june2(6, 1, 0);
        let third = w.embargoed(w.content("Tredje", "sv"), instant).await;
        for _ in 0..2 {
            assert_eq!(w.listed(Some(&monitor)).await.len(), 2, "{}", w.backend);
            assert_eq!(w.listed(None).await.len(), 2, "{}", w.backend);
            let seen = w.listed(Some(&agency)).await;
            assert_eq!(
                seen.first(),
                Some(&(third.slug.clone(), "EMBARGOED".to_owned())),
                "{}: {seen:?}",
                w.backend
            );
        }

        // The instant passes with no write at all (no scheduler runs here): the cached answers
        // end, and the release reads as published, exactly at its instant and not a
        // microsecond before.
        w.clock.set(instant - chrono::Duration::microseconds(1));
        assert_eq!(w.listed(None).await.len(), 2, "{}", w.backend);
        w.clock.set(instant);
        for token in [None, Some(monitor.as_str()), Some(agency.as_str())] {
            let seen = w.listed(token).await;
            assert_eq!(
                seen.first(),
                Some(&(third.slug.clone(), "PUBLISHED".to_owned())),
                "{}: {seen:?}",
                w.backend
            );
        }
        w
    })
    .await;
}

/// The example release's page, the listing, the Atom feed and the ninjs document, exactly as
/// served: a change to a template, the stylesheet's hooks or a mapping shows its whole effect
/// in review (`cargo insta review`, or set INSTA_UPDATE=always and read the diff). Ids, which
/// are new on every run, are replaced by names; every instant comes from the manual clock.
#[tokio::test]
async fn the_rendered_example_release_matches_its_snapshots() {
    on_every_backend(|w| async move {
        w.clock.set(june2(7, 0, 0));
        let r = w.published(w.content(TITLE, "sv")).await;
        let department = w
            .store
            .departments()
            .await
            .expect("departments")
            .into_iter()
            .find(|d| d.slug == DEPARTMENT)
            .expect("the department");
        let redact = |body: String| {
            body.replace(&r.id, "[release-id]")
                .replace(&department.id, "[department-id]")
                .replace(&w.minister, "[minister-id]")
        };
        // One snapshot for both databases: what is served must not depend on the backend.
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        let _guard = settings.bind_to_scope();
        for (name, path) in [
            ("page", format!("/releases/{}", r.slug)),
            ("listing", format!("/departments/{DEPARTMENT}")),
            ("atom", "/feeds/releases.atom".to_owned()),
            ("ninjs", format!("/releases/{}.json", r.slug)),
        ] {
            let reply = w.get(&path).await;
            assert_eq!(reply.status, StatusCode::OK, "{}: {path}", w.backend);
            let body = if name == "ninjs" {
                serde_json::to_string_pretty(&reply.json()).expect("pretty JSON")
            } else {
                reply.body
            };
            insta::assert_snapshot!(name, redact(body));
        }
        w
    })
    .await;
}

impl World {
    /// Posts a GraphQL operation with `token` and answers the JSON response.
    async fn graphql(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = serde_json::json!({ "query": query, "variables": variables }).to_string();
        let response = self
            .client
            .post("/graphql")
            .header("authorization", format!("Bearer {token}"))
            .content_type("application/json")
            .header("content-length", body.len())
            .body(body)
            .send()
            .await
            .0;
        let text = response.into_body().into_string().await.expect("a body");
        serde_json::from_str(&text).expect("JSON")
    }

    async fn staff_token(&self, name: &str, role: Role) -> String {
        self.store
            .create_token(
                &"admin".into(),
                TokenGrant {
                    user_name: name.into(),
                    role,
                    department: role.is_staff().then(|| DEPARTMENT.to_owned()),
                    person_id: None,
                    embargo_access: false,
                    expires_at: None,
                },
            )
            .await
            .expect("token")
            .token
    }
}

const SPEAKERS: &str = "query($id: ID!) { release(id: $id) {
  department { name timeZone }
  responsibleMinister { name title }
  body { ... on Quote { speaker { name title } } }
  quotes { speaker { title } }
} }";

#[tokio::test]
async fn a_new_title_or_department_name_does_not_rewrite_a_published_release() {
    on_every_backend(|w| async move {
        w.clock.set(june2(7, 0, 0));
        let r = w.published(w.content(TITLE, "sv")).await;
        let admin = w.staff_token("root", Role::Admin).await;
        let drafter = w.staff_token("dana", Role::Drafter).await;
        let old_attribution = "säger klimat- och miljöminister Annika Strandhäll";
        let new_attribution = "säger klimatminister Annika Strandhäll";

        // A reshuffle an hour later: a new title, a renamed department, through the API.
        w.clock.set(june2(8, 0, 0));
        let person = w
            .graphql(
                &admin,
                "mutation($id: ID!) { updatePerson(id: $id, input: {title: \"klimatminister\"}) { name title } }",
                serde_json::json!({ "id": w.minister }),
            )
            .await;
        assert_eq!(
            person["data"]["updatePerson"]["title"], "klimatminister",
            "{}: {person}",
            w.backend
        );
        let department_id = w.store.departments().await.expect("departments")[0].id.clone();
        let department = w
            .graphql(
                &admin,
                "mutation($id: ID!) { updateDepartment(id: $id, input: {name: \"Klimat- och näringslivsdepartementet\"}) { slug name } }",
                serde_json::json!({ "id": department_id }),
            )
            .await;
        assert_eq!(
            department["data"]["updateDepartment"],
            serde_json::json!({"slug": DEPARTMENT, "name": "Klimat- och näringslivsdepartementet"}),
            "{}: {department}",
            w.backend
        );

        // The published release reads as it did on every surface.
        let page = w.get(&format!("/releases/{}", r.slug)).await;
        assert!(page.body.contains(old_attribution), "{}: {}", w.backend, page.body);
        assert!(!page.body.contains(new_attribution), "{}", page.body);
        assert!(page.body.contains(">Miljödepartementet</a>"), "{}", page.body);
        assert!(!page.body.contains("näringslivsdepartementet"), "{}", page.body);
        let feed = w.get("/feeds/releases.atom").await;
        assert!(feed.body.contains(old_attribution), "{}", feed.body);
        assert!(!feed.body.contains(new_attribution), "{}", feed.body);
        assert!(feed.body.contains("<name>Miljödepartementet</name>"), "{}", feed.body);
        let ninjs = w.get(&format!("/releases/{}.json", r.slug)).await;
        assert!(ninjs.body.contains(old_attribution), "{}", ninjs.body);
        assert!(!ninjs.body.contains(new_attribution), "{}", ninjs.body);
        assert!(!ninjs.body.contains("näringslivsdepartementet"), "{}", ninjs.body);
        let published = w
            .graphql(&drafter, SPEAKERS, serde_json::json!({ "id": r.id }))
            .await;
        let release = &published["data"]["release"];
        assert_eq!(release["department"]["name"], "Miljödepartementet", "{published}");
        assert_eq!(release["responsibleMinister"]["title"], "klimat- och miljöminister");
        for quote in release["quotes"].as_array().expect("quotes") {
            assert_eq!(quote["speaker"]["title"], "klimat- och miljöminister", "{published}");
        }
        for block in release["body"].as_array().expect("body") {
            if let Some(speaker) = block.get("speaker") {
                assert_eq!(speaker["title"], "klimat- och miljöminister", "{published}");
            }
        }
        // The same without fragments, the shape integrators send most (whatever path answers it).
        let plain = w
            .graphql(
                &drafter,
                "query($id: ID!) { release(id: $id) { department { name } responsibleMinister { name title } quotes { text speaker { name title } } } }",
                serde_json::json!({ "id": r.id }),
            )
            .await;
        let release = &plain["data"]["release"];
        assert_eq!(release["department"]["name"], "Miljödepartementet", "{plain}");
        assert_eq!(release["responsibleMinister"]["title"], "klimat- och miljöminister", "{plain}");
        assert_eq!(release["quotes"][0]["speaker"]["title"], "klimat- och miljöminister", "{plain}");
        let by_slug = w
            .graphql(
                &drafter,
                "query($slug: String!) { releaseBySlug(slug: $slug) { department { name } quotes { speaker { title } } } }",
                serde_json::json!({ "slug": r.slug }),
            )
            .await;
        assert_eq!(
            by_slug["data"]["releaseBySlug"]["quotes"][0]["speaker"]["title"],
            "klimat- och miljöminister",
            "{by_slug}"
        );
        let listed = w
            .graphql(
                &drafter,
                "{ releases(first: 5, filter: {states: [PUBLISHED]}) { nodes { department { name } responsibleMinister { title } quotes { speaker { title } } } } }",
                Value::Null,
            )
            .await;
        let node = &listed["data"]["releases"]["nodes"][0];
        assert_eq!(node["department"]["name"], "Miljödepartementet", "{listed}");
        assert_eq!(node["responsibleMinister"]["title"], "klimat- och miljöminister", "{listed}");
        assert_eq!(node["quotes"][0]["speaker"]["title"], "klimat- och miljöminister", "{listed}");

        // A draft written after the reshuffle shows the person and department as they are now.
        let draft = w
            .store
            .create_release(&w.drafter, DEPARTMENT, w.content("Ett nytt utkast", "sv"))
            .await
            .expect("create");
        let current = w
            .graphql(&drafter, SPEAKERS, serde_json::json!({ "id": draft.id }))
            .await;
        let release = &current["data"]["release"];
        assert_eq!(
            release["department"]["name"], "Klimat- och näringslivsdepartementet",
            "{current}"
        );
        assert_eq!(release["responsibleMinister"]["title"], "klimatminister");
        assert_eq!(release["quotes"][0]["speaker"]["title"], "klimatminister");
        w
    })
    .await;
}
