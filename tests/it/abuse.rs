//! Hostile requests get clean refusals, change nothing, and leave the server healthy: depth
//! bombs, alias floods, too many root fields, oversized bodies, malformed JSON, invalid GraphQL,
//! bad tokens, and SQL or full-text operators in search text and input.

use serde_json::{Value, json};

use crate::fixture::approved_release;
use crate::harness::{Backend, TestApp, for_each_backend, spawn_app};

/// Posts a raw body and returns the status and the parsed JSON body (if any).
async fn post_raw(app: &TestApp, body: Vec<u8>, token: Option<&str>) -> (u16, Option<Value>) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.base_url))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).ok())
}

fn codes(body: &Option<Value>) -> Vec<String> {
    body.as_ref()
        .and_then(|b| b["errors"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e["extensions"]["code"].as_str().map(str::to_owned))
        .collect()
}

fn no_leak(app: &TestApp, body: &Option<Value>) {
    let text = body
        .as_ref()
        .map(Value::to_string)
        .unwrap_or_default()
        .to_lowercase();
    for tell in [
        "select ",
        "sqlx",
        "sqlite",
        "postgres",
        "panicked",
        ".rs:",
        "stack backtrace",
    ] {
        assert!(
            !text.contains(tell),
            "[{}] a response leaks {tell:?}: {text}",
            app.backend
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_requests_are_refused_cleanly_and_change_nothing() {
    for_each_backend(|backend: Backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let release = approved_release(&app, &ministry, &ministry.release_input()).await;
        let entries_before = app.audit_entries(&app.admin_token, None).await.len();

        // A depth bomb.
        let nested = (0..30).fold("id".to_owned(), |inner, _| format!("translationOf {{ {inner} }}"));
        let depth_bomb = format!("{{ releases {{ nodes {{ {nested} }} }} }}");
        let (status, body) = post_raw(&app, json!({ "query": depth_bomb }).to_string().into_bytes(), None).await;
        assert_eq!(status, 200, "[{}] depth bomb", app.backend);
        assert_eq!(codes(&body), vec!["QUERY_TOO_COMPLEX"], "[{}] depth bomb: {body:?}", app.backend);

        // An alias flood and too many root fields.
        let flood = (0..200).map(|i| format!("a{i}: departments {{ id }}")).collect::<Vec<_>>().join(" ");
        let (_, body) = post_raw(&app, json!({ "query": format!("{{ {flood} }}") }).to_string().into_bytes(), None).await;
        assert_eq!(codes(&body), vec!["QUERY_TOO_COMPLEX"], "[{}] alias flood: {body:?}", app.backend);
        let roots = (0..60).map(|_| "__typename").collect::<Vec<_>>().join(" ");
        let (_, body) = post_raw(&app, json!({ "query": format!("{{ {roots} }}") }).to_string().into_bytes(), None).await;
        assert_eq!(codes(&body), vec!["QUERY_TOO_COMPLEX"], "[{}] root fields: {body:?}", app.backend);

        // A body over 1 MiB.
        let huge = json!({ "query": "{ me { name } }", "variables": { "pad": "x".repeat(1_100_000) } });
        let (status, _) = post_raw(&app, huge.to_string().into_bytes(), None).await;
        assert_eq!(status, 413, "[{}] oversized body", app.backend);

        // Malformed JSON and invalid GraphQL.
        let (status, _) = post_raw(&app, b"{\"query\": ".to_vec(), None).await;
        assert!((400..500).contains(&status), "[{}] malformed JSON got {status}", app.backend);
        let (status, body) = post_raw(&app, json!({ "query": "{ releases { nodes { nope } }" }).to_string().into_bytes(), None).await;
        assert!(status == 200 || (400..500).contains(&status), "[{}] invalid GraphQL got {status}", app.backend);
        assert_eq!(codes(&body), vec!["VALIDATION"], "[{}] invalid GraphQL: {body:?}", app.backend);
        no_leak(&app, &body);

        // Bad tokens all look the same.
        let mut refusals = Vec::new();
        for token in ["nope", "prt_0000", "' OR 1=1 --", &"a".repeat(5_000)] {
            let (_, body) = post_raw(&app, json!({ "query": "{ me { name } }" }).to_string().into_bytes(), Some(token)).await;
            assert_eq!(codes(&body), vec!["UNAUTHENTICATED"], "[{}] token {token:.20}", app.backend);
            refusals.push(body.map(|b| b["errors"][0]["message"].clone()));
        }
        refusals.dedup();
        assert_eq!(refusals.len(), 1, "[{}] failed-auth responses differ", app.backend);

        // SQL and full-text operators are just text.
        for words in ["'; DROP TABLE releases; --", "\" OR 1=1 --", "klimat* NEAR(a b) -x ^y", "%_%", "\\"] {
            let body = app
                .gql(None, "query($q: String) { releases(filter: {query: $q}) { nodes { id } } }", json!({ "q": words }))
                .await;
            assert!(body.get("errors").is_none(), "[{}] search for {words:?}: {body}", app.backend);
        }
        // Control characters and a time without offset in mutation input.
        let mut input = ministry.release_input();
        input["title"] = json!("Rubrik\u{0007}");
        let code = app
            .error_code(
                Some(&ministry.drafter),
                "mutation($input: ReleaseInput!) { createRelease(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(code, "VALIDATION", "[{}] control character", app.backend);
        let code = app
            .error_code(
                Some(&ministry.drafter),
                "mutation($id: ID!, $v: Int!) { scheduleRelease(id: $id, expectedVersion: $v, embargoUntil: \"2030-01-01T09:00:00\") { id } }",
                json!({ "id": release["id"], "v": release["version"] }),
            )
            .await;
        assert_eq!(code, "VALIDATION", "[{}] time without offset", app.backend);

        // Nothing changed, and the server still serves.
        let entries_after = app.audit_entries(&app.admin_token, None).await.len();
        assert_eq!(entries_after, entries_before, "[{}] a refused request wrote something", app.backend);
        app.assert_healthy().await;
        let verify = app.audit_verify().await;
        assert!(verify.status.success(), "[{}] {verify}", app.backend);
    })
    .await;
}
