//! No N+1 queries: a page of releases with every nested field costs the same small number of
//! SQL statements whether the page holds 5 releases or 20.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use poem::test::TestClient;
use pressroom_domain::content::{Block, Contact, ContentInput, ReleaseContent};
use pressroom_domain::lifecycle::Command;
use pressroom_domain::visibility::Role;
use pressroom_storage::Store;
use pressroom_storage::directory::TokenGrant;
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::{InDepartment, World, WorldBuilder};
use serde_json::{Value, json};

const PAGE: &str = "query($first: Int) {
  releases(first: $first, filter: {department: \"miljodepartementet\"}) {
    nodes {
      id title state publishedAt
      department { slug name }
      responsibleMinister { name department { name } }
      body { ... on Paragraph { text } ... on Quote { text speaker { name title department { slug } } } }
      quotes { text speaker { name } }
      contacts { name phone }
      approvals { status by office { name } }
      corrections { note }
      translationOf { id }
    }
  }
}";

#[tokio::test]
async fn a_page_of_releases_costs_a_constant_number_of_statements() {
    for test_db in test_databases().await {
        let counter = Arc::new(AtomicU64::new(0));
        let store = Store::connect(&test_db.url)
            .await
            .expect("connect")
            .count_statements(Arc::clone(&counter));
        let mut builder = WorldBuilder::new();
        for n in 0..4 {
            builder = builder.minister(
                &format!("office-{n}"),
                &format!("Minister {n}"),
                "minister",
                InDepartment::Yes,
            );
        }
        let World {
            store,
            drafter,
            editor,
            ministers,
            ..
        } = builder.build(store).await;
        for n in 0..25 {
            let (minister_a, minister_b) = (&ministers[n % 4], &ministers[(n + 1) % 4]);
            let (a, b) = (&minister_a.id, &minister_b.id);
            let content = ReleaseContent::parse(ContentInput {
                language: "sv".into(),
                responsible_minister_id: Some(a.clone()),
                title: format!("Pressmeddelande {n}"),
                lead: "Ingress".into(),
                body: vec![
                    Block::Paragraph {
                        text: "Stycke".into(),
                    },
                    Block::Quote {
                        speaker_id: a.clone(),
                        text: "Citat ett".into(),
                    },
                    Block::Quote {
                        speaker_id: b.clone(),
                        text: "Citat två".into(),
                    },
                ],
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
            let r = store
                .create_release(&drafter, "miljodepartementet", content)
                .await
                .expect("create");
            let r = store
                .act(&drafter, &r.id, 1, Command::SubmitForReview, None)
                .await
                .expect("submit");
            let (office_a, office_b) = (&minister_a.office, &minister_b.office);
            let r = store
                .act(office_a, &r.id, 2, Command::Approve, None)
                .await
                .expect("approve a");
            let r = store
                .act(office_b, &r.id, 3, Command::Approve, None)
                .await
                .expect("approve b");
            store
                .act(&editor, &r.id, 4, Command::PublishNow, None)
                .await
                .expect("publish");
        }
        let token = store
            .create_token(
                &"admin".into(),
                TokenGrant {
                    user_name: "erik".into(),
                    role: Role::Editor,
                    department: Some("miljodepartementet".into()),
                    person_id: None,
                    embargo_access: false,
                    expires_at: None,
                },
            )
            .await
            .expect("token")
            .token;
        let client = TestClient::new(pressroom_api::app(store.clone()));
        // A first request records the token's use (`last_used_at`, written at most once a
        // minute); the pages measured below then cost only what they read.
        let warm = json!({ "query": "{ me { name } }" }).to_string();
        client
            .post("/graphql")
            .header("authorization", format!("Bearer {token}"))
            .content_type("application/json")
            .header("content-length", warm.len())
            .body(warm)
            .send()
            .await
            .assert_status_is_ok();
        let mut costs = Vec::new();
        for first in [5, 20] {
            counter.store(0, Ordering::SeqCst);
            let request = json!({ "query": PAGE, "variables": { "first": first } }).to_string();
            let response = client
                .post("/graphql")
                .header("authorization", format!("Bearer {token}"))
                .content_type("application/json")
                .header("content-length", request.len())
                .body(request)
                .send()
                .await;
            let status = response.0.status();
            let text = response.0.into_body().into_string().await.expect("body");
            let body: Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: {text:?}: {e}"));
            assert!(
                body.get("errors").is_none(),
                "{}: {body}",
                test_db.backend_name
            );
            let nodes = body["data"]["releases"]["nodes"].as_array().expect("nodes");
            assert_eq!(nodes.len(), first, "{}", test_db.backend_name);
            assert_eq!(nodes[0]["approvals"].as_array().map(Vec::len), Some(2));
            costs.push(counter.load(Ordering::SeqCst));
        }
        assert_eq!(
            costs[0], costs[1],
            "{}: statements for 5 vs 20 releases: {costs:?}",
            test_db.backend_name
        );
        // The token, the page, then one batch each: departments and people (primed for the
        // whole page, then answered from the request's loader cache), approvals, corrections
        // and the releases of `translationOf`. Without the priming or without the cache the
        // same page cost 10 to 12.
        assert!(
            costs[1] <= 7,
            "{}: a page costs {} statements",
            test_db.backend_name,
            costs[1]
        );
        eprintln!(
            "{}: a page of 20 releases costs {} statements",
            test_db.backend_name, costs[1]
        );
        drop(client);
        drop(store);
        test_db.cleanup().await;
    }
}
