//! HTTP hygiene around every route: request ids and CORS.

use std::time::Duration;

use poem::http::StatusCode;
use poem::test::TestClient;
use pressroom_api::http::{HttpConfig, app_with};
use pressroom_storage::Store;
use pressroom_test_support::database::{Backend, EmptyDatabase};

async fn store() -> (EmptyDatabase, Store) {
    let database = EmptyDatabase::create(&Backend::Sqlite).await;
    let store = Store::connect(&database.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    (database, store)
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_client_id_is_kept() {
    let (_dir, store) = store().await;
    let client = TestClient::new(app_with(store, HttpConfig::default()));
    let response = client.get("/healthz").send().await;
    response.assert_status_is_ok();
    let id = response
        .0
        .headers()
        .get("x-request-id")
        .expect("a request id")
        .to_str()
        .expect("text")
        .to_owned();
    assert!(!id.is_empty());
    let response = client
        .get("/healthz")
        .header("x-request-id", "abc-123")
        .send()
        .await;
    assert_eq!(
        response
            .0
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("abc-123")
    );
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let (_dir, store) = store().await;
    let config = HttpConfig {
        cors_origins: vec!["https://www.regeringen.se".into()],
        request_timeout: Duration::from_secs(5),
        rate_limit_per_minute: None,
        ..HttpConfig::default()
    };
    let client = TestClient::new(app_with(store.clone(), config));
    let allowed = client
        .options("/graphql")
        .header("origin", "https://www.regeringen.se")
        .header("access-control-request-method", "POST")
        .send()
        .await;
    assert_eq!(
        allowed
            .0
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("https://www.regeringen.se")
    );
    let refused = client
        .options("/graphql")
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await;
    assert!(
        refused
            .0
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    // Without configured origins no CORS headers are sent at all.
    let client = TestClient::new(app_with(store, HttpConfig::default()));
    let plain = client
        .get("/healthz")
        .header("origin", "https://www.regeringen.se")
        .send()
        .await;
    assert_eq!(plain.0.status(), StatusCode::OK);
    assert!(
        plain
            .0
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn a_token_over_its_rate_limit_gets_429_with_retry_after_and_others_are_unaffected() {
    use pressroom_domain::visibility::Role;
    use pressroom_storage::directory::TokenGrant;
    let (_dir, store) = store().await;
    let grant = |name: &str| TokenGrant {
        user_name: name.into(),
        role: Role::Integrator,
        department: None,
        person_id: None,
        embargo_access: false,
        expires_at: None,
    };
    let first = store
        .create_token(&"admin".into(), grant("ivar"))
        .await
        .expect("token")
        .token;
    let second = store
        .create_token(&"admin".into(), grant("iris"))
        .await
        .expect("token")
        .token;
    let config = HttpConfig {
        rate_limit_per_minute: std::num::NonZeroU32::new(2),
        ..HttpConfig::default()
    };
    let client = TestClient::new(app_with(store, config));
    let query = |token: Option<&str>| {
        let mut request = client.get("/graphql").query("query", &"{ me { name } }");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        request.send()
    };
    assert_eq!(query(Some(&first)).await.0.status(), StatusCode::OK);
    assert_eq!(query(Some(&first)).await.0.status(), StatusCode::OK);
    let limited = query(Some(&first)).await;
    assert_eq!(limited.0.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited
        .0
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(query(Some(&second)).await.0.status(), StatusCode::OK);
    assert_eq!(query(None).await.0.status(), StatusCode::OK);
}

#[tokio::test]
async fn anonymous_callers_over_the_per_address_limit_get_429_and_token_holders_do_not() {
    use pressroom_domain::visibility::Role;
    use pressroom_storage::directory::TokenGrant;
    let (_dir, store) = store().await;
    let token = store
        .create_token(
            &"admin".into(),
            TokenGrant {
                user_name: "ivar".into(),
                role: Role::Integrator,
                department: None,
                person_id: None,
                embargo_access: false,
                expires_at: None,
            },
        )
        .await
        .expect("token")
        .token;
    let config = HttpConfig {
        anonymous_rate_limit_per_minute: std::num::NonZeroU32::new(2),
        ..HttpConfig::default()
    };
    let client = TestClient::new(app_with(store, config));
    let query = |token: Option<&str>| {
        let mut request = client
            .get("/graphql")
            .query("query", &"{ departments { slug } }");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        request.send()
    };
    for _ in 0..2 {
        assert_eq!(query(None).await.0.status(), StatusCode::OK);
    }
    let refused = query(None).await;
    assert_eq!(refused.0.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = refused
        .0
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let with_token = query(Some(&token)).await;
    assert_eq!(
        with_token.0.status(),
        StatusCode::OK,
        "token holders are limited per token, not per address"
    );
}
