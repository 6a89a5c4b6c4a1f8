//! Bearer tokens remembered between requests (`pressroom_storage::token_cache`), through
//! `/graphql` on every backend: a remembered token costs no statement, yet a revocation through
//! another replica, an expiry and the once-a-minute record of a token's last use all behave as
//! when every request checked the token in the database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed setup should fail the test loudly"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use poem::endpoint::BoxEndpoint;
use poem::test::TestClient;
use poem::{EndpointExt, Response};
use pressroom_domain::content::{Block, ContentInput, ReleaseContent};
use pressroom_domain::visibility::Role;
use pressroom_storage::Store;
use pressroom_storage::directory::{CreatedToken, TokenGrant};
use pressroom_storage::pagination::PageRequest;
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::{DEPARTMENT, TwoMinisters};
use serde_json::{Value, json};

type Client = TestClient<BoxEndpoint<'static, Response>>;

fn client(store: Store) -> Client {
    TestClient::new(pressroom_api::app(store).map_to_response().boxed())
}

/// `POST /graphql` with `token`; the JSON answer.
async fn ask(client: &Client, token: &str, query: &str) -> Value {
    let body = json!({ "query": query }).to_string();
    let response = client
        .post("/graphql")
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .header("authorization", format!("Bearer {token}"))
        .body(body)
        .send()
        .await
        .0;
    let text = response.into_body().into_string().await.expect("UTF-8");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn refused(answer: &Value) -> bool {
    answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" && answer.get("data").is_none()
}

async fn token(
    store: &Store,
    name: &str,
    role: Role,
    expires_at: Option<DateTime<Utc>>,
) -> CreatedToken {
    let department = matches!(role, Role::Editor).then(|| DEPARTMENT.to_owned());
    store
        .create_token(
            &"admin".into(),
            TokenGrant {
                user_name: name.into(),
                role,
                department,
                person_id: None,
                embargo_access: false,
                expires_at,
            },
        )
        .await
        .expect("a token")
}

/// A draft of the example department (the editor sees it; the compiled path reads it).
async fn draft(world: &TwoMinisters) -> String {
    let content = ReleaseContent::parse(ContentInput {
        language: "sv".into(),
        responsible_minister_id: Some(world.a.clone()),
        title: "Ett utkast".into(),
        lead: "Ingress".into(),
        body: vec![Block::Quote {
            speaker_id: world.a.clone(),
            text: "Citat".into(),
        }],
        ..ContentInput::default()
    })
    .expect("content");
    world
        .store
        .create_release(&world.editor, DEPARTMENT, content)
        .await
        .expect("a draft")
        .id
}

/// Every way a request can end: the compiled path (a release), the engine (`me`), and the
/// response cache (an integrator's page, asked twice so that the second answer is a hit).
#[tokio::test]
async fn a_token_revoked_through_another_replica_is_refused_on_its_next_request() {
    for test_db in test_databases().await {
        let backend = test_db.backend_name;
        let world = TwoMinisters::build(&test_db.url).await;
        let id = draft(&world).await;
        let replica = client(world.store.clone());
        let other = Store::connect(&test_db.url).await.expect("a second store");
        let release = format!("{{ release(id: {}) {{ id title }} }}", json!(id));
        let page = "{ releases(first: 5) { nodes { id } } }";
        for (role, query, path) in [
            (Role::Editor, release.as_str(), "the compiled path"),
            (Role::Editor, "{ me { name } }", "the engine"),
            (Role::Integrator, page, "the response cache"),
        ] {
            let created = token(&world.store, "someone", role, None).await;
            // The first request checks the token in the database; the second is answered from
            // memory, the seq unchanged.
            for _ in 0..2 {
                let answer = ask(&replica, &created.token, query).await;
                assert!(
                    answer.get("errors").is_none(),
                    "{backend}, {path}: {answer}"
                );
            }
            assert!(
                other
                    .revoke_token(&"admin".into(), &created.id)
                    .await
                    .expect("revoke"),
                "{backend}"
            );
            let answer = ask(&replica, &created.token, query).await;
            assert!(refused(&answer), "{backend}, {path}: {answer}");
        }
        drop(other);
        drop(replica);
        drop(world);
        test_db.cleanup().await;
    }
}

/// Once remembered, a token costs no statement: a release through the compiled path is the one
/// statement of its read; after a write anywhere (another replica's) the token is checked again
/// once, and then costs nothing again.
#[tokio::test]
async fn a_remembered_token_costs_no_statement() {
    for test_db in test_databases().await {
        let backend = test_db.backend_name;
        let world = TwoMinisters::build(&test_db.url).await;
        let id = draft(&world).await;
        let counter = Arc::new(AtomicU64::new(0));
        let replica = client(world.store.clone().count_statements(Arc::clone(&counter)));
        let other = Store::connect(&test_db.url).await.expect("a second store");
        let editor = token(&world.store, "erik", Role::Editor, None).await;
        let release = format!("{{ release(id: {}) {{ id title }} }}", json!(id));
        let statements = || {
            let (replica, counter, editor, release, id) =
                (&replica, &counter, &editor, &release, &id);
            async move {
                let before = counter.load(Ordering::SeqCst);
                let answer = ask(replica, &editor.token, release).await;
                assert_eq!(answer["data"]["release"]["id"], json!(id), "{answer}");
                counter.load(Ordering::SeqCst) - before
            }
        };
        assert!(
            statements().await > 1,
            "{backend}: the first request checks the token"
        );
        assert_eq!(statements().await, 1, "{backend}: remembered");
        token(&other, "another", Role::Integrator, None).await;
        assert!(
            statements().await > 1,
            "{backend}: after a write the token is checked again"
        );
        assert_eq!(statements().await, 1, "{backend}: remembered again");
        drop(other);
        drop(replica);
        drop(world);
        test_db.cleanup().await;
    }
}

/// A remembered token stops working at its expiry, with no write in between, and its last use
/// is still recorded once a minute (what the admin's token list shows).
#[tokio::test]
async fn a_remembered_token_expires_and_its_use_is_recorded() {
    for test_db in test_databases().await {
        let backend = test_db.backend_name;
        let world = TwoMinisters::build(&test_db.url).await;
        let id = draft(&world).await;
        let replica = client(world.store.clone());
        let start = world.store.now();
        let created = token(
            &world.store,
            "erik",
            Role::Editor,
            Some(start + Duration::hours(1)),
        )
        .await;
        let release = format!("{{ release(id: {}) {{ id }} }}", json!(id));
        let last_used = || async {
            world
                .store
                .tokens(&PageRequest::new(Some(50), None).expect("a page"))
                .await
                .expect("tokens")
                .items
                .into_iter()
                .map(|(_, record)| record)
                .find(|t| t.id == created.id)
                .expect("the token")
                .last_used_at
        };
        for _ in 0..2 {
            let answer = ask(&replica, &created.token, &release).await;
            assert!(answer.get("errors").is_none(), "{backend}: {answer}");
        }
        assert_eq!(last_used().await, Some(start), "{backend}");

        world.clock.set(start + Duration::minutes(5));
        let answer = ask(&replica, &created.token, &release).await;
        assert!(answer.get("errors").is_none(), "{backend}: {answer}");
        assert_eq!(
            last_used().await,
            Some(start + Duration::minutes(5)),
            "{backend}: the use of a remembered token is recorded"
        );

        world.clock.set(start + Duration::hours(1));
        let answer = ask(&replica, &created.token, &release).await;
        assert!(refused(&answer), "{backend}: expired: {answer}");
        drop(replica);
        drop(world);
        test_db.cleanup().await;
    }
}
