//! What admins maintain, over GraphQL in process on every database: the `tokens` and
//! `signinLinks` listings (never a secret) and `updatePerson` / `updateDepartment` with their
//! refusals. Anyone but an admin is refused; a refusal changes nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed setup should fail the test loudly"
)]

use chrono::Duration;
use poem::test::TestClient;
use pressroom_domain::visibility::Role;
use pressroom_storage::directory::TokenGrant;
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::TwoMinisters;
use serde_json::{Value, json};

async fn post(
    client: &TestClient<impl poem::Endpoint>,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Value {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let mut request = client
        .post("/graphql")
        .content_type("application/json")
        .header("content-length", body.len());
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let text = request
        .body(body)
        .send()
        .await
        .0
        .into_body()
        .into_string()
        .await
        .expect("a body");
    serde_json::from_str(&text).expect("JSON")
}

fn code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {response}"))
}

fn grant(name: &str, role: Role, department: Option<&str>) -> TokenGrant {
    TokenGrant {
        user_name: name.into(),
        role,
        department: department.map(Into::into),
        person_id: None,
        embargo_access: false,
        expires_at: None,
    }
}

const TOKENS: &str = "query($after: String) { tokens(first: 2, after: $after) {
  nodes { id name role department { slug } person { name } embargoAccess createdAt expiresAt revokedAt lastUsedAt active }
  pageInfo { hasNextPage endCursor }
} }";

#[tokio::test]
async fn admins_list_tokens_and_sign_in_links_newest_first_and_never_a_secret() {
    for test_db in test_databases().await {
        let w = TwoMinisters::build(&test_db.url).await;
        let start = w.store.now();
        let admin = w
            .store
            .create_token(&"cli".into(), grant("root", Role::Admin, None))
            .await
            .expect("admin");
        w.clock.set(start + Duration::seconds(1));
        let drafter = w
            .store
            .create_token(
                &"root".into(),
                grant("dana", Role::Drafter, Some("miljodepartementet")),
            )
            .await
            .expect("drafter");
        w.clock.set(start + Duration::seconds(2));
        let integrator = w
            .store
            .create_token(
                &"root".into(),
                TokenGrant {
                    expires_at: Some(start + Duration::hours(1)),
                    ..grant("tt", Role::Integrator, None)
                },
            )
            .await
            .expect("integrator");
        assert!(
            w.store
                .revoke_token(&"root".into(), &drafter.id)
                .await
                .expect("revoke")
        );
        let link = w
            .store
            .create_signin_link(
                &"root".into(),
                grant("erik", Role::Editor, Some("miljodepartementet")),
            )
            .await
            .expect("link");
        let client = TestClient::new(pressroom_api::app(w.store.clone()));
        let name = test_db.backend_name;

        let first = post(&client, Some(&admin.token), TOKENS, Value::Null).await;
        let page = &first["data"]["tokens"];
        let nodes = page["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: {first}"));
        assert_eq!(nodes.len(), 2, "{name}: {first}");
        assert_eq!(nodes[0]["id"], integrator.id.as_str(), "newest first");
        assert_eq!(nodes[0]["role"], "INTEGRATOR");
        assert_eq!(nodes[0]["active"], true);
        assert!(nodes[0]["expiresAt"].is_string());
        assert_eq!(nodes[0]["lastUsedAt"], Value::Null, "never used");
        assert_eq!(nodes[1]["id"], drafter.id.as_str());
        assert_eq!(nodes[1]["name"], "dana");
        assert_eq!(nodes[1]["department"]["slug"], "miljodepartementet");
        assert_eq!(nodes[1]["active"], false, "revoked");
        assert!(nodes[1]["revokedAt"].is_string());
        assert_eq!(page["pageInfo"]["hasNextPage"], true);
        let rest = post(
            &client,
            Some(&admin.token),
            TOKENS,
            json!({ "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
        let nodes = rest["data"]["tokens"]["nodes"].as_array().expect("nodes");
        assert_eq!(nodes.len(), 1, "{name}: {rest}");
        assert_eq!(nodes[0]["id"], admin.id.as_str());
        assert!(
            nodes[0]["lastUsedAt"].is_string(),
            "{name}: the admin's token was used: {rest}"
        );
        assert_eq!(rest["data"]["tokens"]["pageInfo"]["hasNextPage"], false);

        let links = post(
            &client,
            Some(&admin.token),
            "{ signinLinks { nodes { id name role status createdBy expiresAt usedAt department { slug } } } }",
            Value::Null,
        )
        .await;
        let nodes = links["data"]["signinLinks"]["nodes"]
            .as_array()
            .expect("links");
        assert_eq!(nodes.len(), 1, "{name}: {links}");
        assert_eq!(nodes[0]["id"], link.link.id.as_str());
        assert_eq!(nodes[0]["status"], "UNUSED");
        assert_eq!(nodes[0]["createdBy"], "root");

        // No secret, nor its hash, in any answer.
        for body in [&first, &rest, &links] {
            let text = body.to_string();
            for secret in [&admin.token, &drafter.token, &integrator.token, &link.token] {
                assert!(
                    !text.contains(secret.as_str()),
                    "{name}: a secret in {text}"
                );
                let hash = pressroom_domain::content::sha256_hex(secret.as_bytes());
                assert!(!text.contains(&hash), "{name}: a hash in {text}");
            }
        }

        // Only admins.
        for query in [
            "{ tokens { nodes { id } } }",
            "{ signinLinks { nodes { id } } }",
        ] {
            let refused = post(&client, Some(&integrator.token), query, Value::Null).await;
            assert_eq!(code(&refused), "FORBIDDEN", "{name}: {refused}");
            let anonymous = post(&client, None, query, Value::Null).await;
            assert_eq!(code(&anonymous), "UNAUTHENTICATED", "{name}: {anonymous}");
        }
        test_db.cleanup().await;
    }
}

const UPDATE_PERSON: &str = "mutation($id: ID!, $input: PersonUpdateInput!) {
  updatePerson(id: $id, input: $input) { name title department { slug } }
}";

#[tokio::test]
async fn only_admins_update_people_and_departments_and_bad_input_changes_nothing() {
    for test_db in test_databases().await {
        let w = TwoMinisters::build(&test_db.url).await;
        let admin = w
            .store
            .create_token(&"cli".into(), grant("root", Role::Admin, None))
            .await
            .expect("admin");
        let editor = w
            .store
            .create_token(
                &"root".into(),
                grant("erik", Role::Editor, Some("miljodepartementet")),
            )
            .await
            .expect("editor");
        let client = TestClient::new(pressroom_api::app(w.store.clone()));
        let name = test_db.backend_name;
        let department = w.store.departments().await.expect("departments")[0].clone();
        let before = w.store.person(&w.a).await.expect("person");

        let forbidden = post(
            &client,
            Some(&editor.token),
            UPDATE_PERSON,
            json!({"id": w.a, "input": {"title": "klimatminister"}}),
        )
        .await;
        assert_eq!(code(&forbidden), "FORBIDDEN", "{name}: {forbidden}");
        let anonymous = post(
            &client,
            None,
            UPDATE_PERSON,
            json!({"id": w.a, "input": {"title": "klimatminister"}}),
        )
        .await;
        assert_eq!(code(&anonymous), "UNAUTHENTICATED", "{name}: {anonymous}");
        let blank = post(
            &client,
            Some(&admin.token),
            UPDATE_PERSON,
            json!({"id": w.a, "input": {"title": ""}}),
        )
        .await;
        assert_eq!(code(&blank), "VALIDATION", "{name}: {blank}");
        assert_eq!(
            blank["errors"][0]["extensions"]["field"], "input.title",
            "{blank}"
        );
        let unknown_department = post(
            &client,
            Some(&admin.token),
            UPDATE_PERSON,
            json!({"id": w.a, "input": {"department": "finansdepartementet"}}),
        )
        .await;
        assert_eq!(
            code(&unknown_department),
            "VALIDATION",
            "{name}: {unknown_department}"
        );
        let unknown = post(
            &client,
            Some(&admin.token),
            UPDATE_PERSON,
            json!({"id": "nobody", "input": {"title": "x"}}),
        )
        .await;
        assert_eq!(code(&unknown), "NOT_FOUND", "{name}: {unknown}");
        let zone = post(
            &client,
            Some(&admin.token),
            "mutation($id: ID!) { updateDepartment(id: $id, input: {timeZone: \"Stockholm\"}) { name } }",
            json!({"id": department.id}),
        )
        .await;
        assert_eq!(code(&zone), "VALIDATION", "{name}: {zone}");
        assert!(!zone.to_string().contains("SELECT"), "{zone}");
        assert_eq!(
            w.store.person(&w.a).await.expect("person"),
            before,
            "{name}: unchanged"
        );
        assert_eq!(
            w.store.departments().await.expect("departments")[0],
            department
        );

        // An admin moves the minister out of the department (`null`) and renames them.
        let moved = post(
            &client,
            Some(&admin.token),
            UPDATE_PERSON,
            json!({"id": w.a, "input": {"name": "Annika Strandhäll", "department": null}}),
        )
        .await;
        assert_eq!(
            moved["data"]["updatePerson"],
            json!({"name": "Annika Strandhäll", "title": "klimat- och miljöminister", "department": null}),
            "{name}: {moved}"
        );
        let log = post(
            &client,
            Some(&admin.token),
            "{ auditLog(first: 100) { nodes { action actor details } } }",
            Value::Null,
        )
        .await;
        let last = log["data"]["auditLog"]["nodes"]
            .as_array()
            .expect("entries")
            .last()
            .cloned()
            .expect("an entry");
        assert_eq!(last["action"], "updatePerson", "{name}: {log}");
        assert_eq!(last["actor"], "root");
        assert_eq!(last["details"]["after"]["departmentId"], Value::Null);
        assert_eq!(
            last["details"]["before"]["departmentId"],
            department.id.as_str()
        );
        test_db.cleanup().await;
    }
}
