//! `/graphql` over HTTP, in process through `pressroom_api::app` on a fresh SQLite file: the
//! GraphQL-over-HTTP conventions (media types, status codes, `GET` for queries only) and
//! automatic persisted queries. The HTTP layer does not depend on the database, so SQLite alone
//! is enough here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed setup or a missing header should fail the test loudly"
)]

use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderMap, Method, StatusCode};
use poem::test::TestClient;
use poem::{EndpointExt, Response};
use pressroom_domain::visibility::Role;
use pressroom_storage::Store;
use pressroom_storage::directory::TokenGrant;
use pressroom_test_support::database::{Backend, EmptyDatabase};
use serde_json::{Value, json};

const JSON: &str = "application/json; charset=utf-8";
const GRAPHQL_JSON: &str = "application/graphql-response+json; charset=utf-8";
const ACCEPT_GRAPHQL_JSON: (&str, &str) = ("accept", "application/graphql-response+json");

/// A server over a fresh database, with an admin token.
struct Server {
    client: TestClient<BoxEndpoint<'static, Response>>,
    store: Store,
    admin: String,
    _database: EmptyDatabase,
}

/// A response, read whole.
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!("{}: the body is not JSON ({e}): {}", self.status, self.body)
        })
    }

    /// The `extensions.code` of every error.
    fn codes(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|e| {
                e["extensions"]["code"]
                    .as_str()
                    .unwrap_or("(none)")
                    .to_owned()
            })
            .collect()
    }

    fn first_message(&self) -> String {
        self.json()["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Asserts the status and the media type, and returns the JSON body.
    fn expect(&self, status: StatusCode, content_type: &str) -> Value {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some(content_type),
            "body: {}",
            self.body
        );
        self.json()
    }
}

async fn server() -> Server {
    let database = EmptyDatabase::create(&Backend::Sqlite).await;
    let store = Store::connect(&database.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let admin = store
        .create_token(
            &"admin".into(),
            TokenGrant {
                user_name: "ada".into(),
                role: Role::Admin,
                department: None,
                person_id: None,
                embargo_access: false,
                expires_at: None,
            },
        )
        .await
        .expect("an admin token")
        .token;
    let client = TestClient::new(pressroom_api::app(store.clone()).map_to_response().boxed());
    Server {
        client,
        store,
        admin,
        _database: database,
    }
}

impl Server {
    /// Sends a request; a body gets its `Content-Length` (which the endpoint requires).
    async fn send(
        &self,
        method: Method,
        uri: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let mut request = self.client.request(method, uri);
        for (name, value) in query {
            request = request.query(*name, value);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.header("content-length", body.len()).body(body);
        }
        let response = request.send().await.0;
        let status = response.status();
        let headers = response.headers().clone();
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

    /// `POST /graphql` with a JSON body and the given extra headers.
    async fn post(&self, body: &Value, headers: &[(&str, &str)]) -> Reply {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.send(
            Method::POST,
            "/graphql",
            &[],
            &all,
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    /// `POST /graphql` with a raw body and exactly the given headers.
    async fn post_raw(&self, body: &[u8], headers: &[(&str, &str)]) -> Reply {
        self.send(Method::POST, "/graphql", &[], headers, Some(body.to_vec()))
            .await
    }

    /// `GET /graphql` with URL parameters.
    async fn get(&self, params: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
        self.send(Method::GET, "/graphql", params, headers, None)
            .await
    }

    async fn department_slugs(&self) -> Vec<String> {
        self.store
            .departments()
            .await
            .expect("departments")
            .into_iter()
            .map(|d| d.slug)
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// POST: media types and status codes

#[tokio::test]
async fn post_answers_in_the_media_type_the_client_accepts() {
    let s = server().await;
    let query = json!({ "query": "{ __typename }" });
    for accept in [None, Some("application/json"), Some("*/*")] {
        let headers: Vec<_> = accept.map(|a| ("accept", a)).into_iter().collect();
        let body = s.post(&query, &headers).await.expect(StatusCode::OK, JSON);
        assert_eq!(
            body,
            json!({ "data": { "__typename": "Query" } }),
            "{accept:?}"
        );
    }
    let body = s
        .post(&query, &[ACCEPT_GRAPHQL_JSON])
        .await
        .expect(StatusCode::OK, GRAPHQL_JSON);
    assert_eq!(body, json!({ "data": { "__typename": "Query" } }));
    // A client that prefers graphql-response+json but takes JSON gets the former.
    s.post(
        &query,
        &[(
            "accept",
            "application/graphql-response+json, application/json;q=0.9",
        )],
    )
    .await
    .expect(StatusCode::OK, GRAPHQL_JSON);

    let refused = s.post(&query, &[("accept", "text/html")]).await;
    assert_eq!(
        refused.status,
        StatusCode::NOT_ACCEPTABLE,
        "{}",
        refused.body
    );
    assert_eq!(refused.codes(), ["VALIDATION"]);
}

#[tokio::test]
async fn post_refuses_other_content_types_and_malformed_bodies() {
    let s = server().await;
    let query = json!({ "query": "{ __typename }" })
        .to_string()
        .into_bytes();
    for content_type in [
        None,
        Some("text/plain;charset=UTF-8"),
        Some("application/graphql"),
        Some("application/json; charset=iso-8859-1"),
    ] {
        let headers: Vec<_> = content_type
            .map(|c| ("content-type", c))
            .into_iter()
            .collect();
        let reply = s.post_raw(&query, &headers).await;
        assert_eq!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}: {}",
            reply.body
        );
        assert_eq!(reply.codes(), ["VALIDATION"]);
    }
    s.post_raw(
        &query,
        &[("content-type", "application/json; charset=utf-8")],
    )
    .await
    .expect(StatusCode::OK, JSON);

    // Malformed JSON, no body, no query, and parameters of the wrong type are 400 whatever the
    // client accepts, without `data`.
    let malformed: [&[u8]; 8] = [
        b"{ \"not a JSON",
        b"",
        br#"[{"query": "{ __typename }"}]"#,
        br#"{"qeury": "{ __typename }"}"#,
        br#"{"query": 0}"#,
        br#"{"query": "{ __typename }", "variables": "{}"}"#,
        br#"{"query": "{ __typename }", "operationName": ["Q"]}"#,
        br#"{"query": "{ __typename }", "extensions": false}"#,
    ];
    for body in malformed {
        for (accept, media) in [
            ("application/json", JSON),
            (ACCEPT_GRAPHQL_JSON.1, GRAPHQL_JSON),
        ] {
            let reply = s
                .post_raw(
                    body,
                    &[("content-type", "application/json"), ("accept", accept)],
                )
                .await;
            let json = reply.expect(StatusCode::BAD_REQUEST, media);
            assert!(json.get("data").is_none(), "{json}");
            assert_eq!(
                reply.codes(),
                ["VALIDATION"],
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}

#[tokio::test]
async fn request_errors_are_200_for_json_and_400_without_data_for_graphql_response_json() {
    let s = server().await;
    let failures = [
        json!({ "query": "{" }),
        json!({ "query": "{ noSuchField }" }),
        json!({ "query": "query Q($id: ID!) { release(id: $id) { id } }", "variables": { "id": null } }),
        json!({ "query": "query A { me { name } } query B { me { name } }", "operationName": "C" }),
    ];
    for request in &failures {
        let legacy = s.post(request, &[]).await;
        let body = legacy.expect(StatusCode::OK, JSON);
        assert!(body.get("data").is_none(), "{request}: {body}");
        assert_eq!(legacy.codes(), ["VALIDATION"], "{request}");

        let modern = s.post(request, &[ACCEPT_GRAPHQL_JSON]).await;
        let body = modern.expect(StatusCode::BAD_REQUEST, GRAPHQL_JSON);
        assert!(body.get("data").is_none(), "{request}: {body}");
        assert_eq!(modern.codes(), ["VALIDATION"], "{request}");
    }

    // Limits are request errors too, with their own code.
    let aliases = (0..51)
        .map(|i| format!("a{i}: me {{ name }}"))
        .collect::<Vec<_>>()
        .join(" ");
    let too_many = s
        .post(
            &json!({ "query": format!("{{ {aliases} }}") }),
            &[ACCEPT_GRAPHQL_JSON],
        )
        .await;
    too_many.expect(StatusCode::BAD_REQUEST, GRAPHQL_JSON);
    assert_eq!(too_many.codes(), ["QUERY_TOO_COMPLEX"]);

    // Once execution has started, the answer is 200 with `data`, even when it is null: here an
    // anonymous mutation fails in its resolver.
    let started = s
        .post(
            &json!({ "query": "mutation { revokeToken(id: \"x\") }" }),
            &[ACCEPT_GRAPHQL_JSON],
        )
        .await;
    let body = started.expect(StatusCode::OK, GRAPHQL_JSON);
    assert_eq!(body.get("data"), Some(&Value::Null), "{body}");
    assert_eq!(started.codes(), ["UNAUTHENTICATED"]);
}

#[tokio::test]
async fn bodies_over_one_mebibyte_are_413() {
    let s = server().await;
    let huge = json!({ "query": "{ __typename }", "variables": { "pad": "x".repeat(1_100_000) } })
        .to_string()
        .into_bytes();
    let reply = s
        .post_raw(&huge, &[("content-type", "application/json")])
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);

    // A `Content-Length` that understates the body does not get it past the limit either.
    let reply = s
        .client
        .post("/graphql")
        .content_type("application/json")
        .header("content-length", 10)
        .body(huge)
        .send()
        .await
        .0;
    assert_eq!(reply.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let reply = s
        .client
        .post("/graphql")
        .content_type("application/json")
        .body(r#"{"query": "{ __typename }"}"#)
        .send()
        .await
        .0;
    assert_eq!(reply.status(), StatusCode::LENGTH_REQUIRED);
}

// ---------------------------------------------------------------------------------------------
// GET

#[tokio::test]
async fn get_runs_queries_from_url_parameters() {
    let s = server().await;
    let body = s
        .get(&[("query", "{ departments { slug } }")], &[])
        .await
        .expect(StatusCode::OK, JSON);
    assert_eq!(body, json!({ "data": { "departments": [] } }));

    let body = s
        .get(
            &[
                ("query", "query A { __typename } query T($name: String!) { __type(name: $name) { name } }"),
                ("operationName", "T"),
                ("variables", r#"{"name": "Release"}"#),
            ],
            &[ACCEPT_GRAPHQL_JSON],
        )
        .await
        .expect(StatusCode::OK, GRAPHQL_JSON);
    assert_eq!(body, json!({ "data": { "__type": { "name": "Release" } } }));

    for params in [
        vec![("query", "{ __typename }"), ("variables", "{not json")],
        vec![("query", "{ __typename }"), ("variables", "[1]")],
        vec![("query", "{ __typename }"), ("extensions", "1")],
        vec![("query", "{ __typename }"), ("query", "{ __typename }")],
        vec![("operationName", "Q")],
    ] {
        let reply = s.get(&params, &[]).await;
        let json = reply.expect(StatusCode::BAD_REQUEST, JSON);
        assert!(json.get("data").is_none(), "{params:?}: {json}");
        assert_eq!(reply.codes(), ["VALIDATION"], "{params:?}");
    }
}

#[tokio::test]
async fn a_mutation_over_get_is_405_and_changes_nothing() {
    let s = server().await;
    let bearer = format!("Bearer {}", s.admin);
    let create = r#"mutation { createDepartment(input: {slug: "justitiedepartementet", name: "Justitiedepartementet"}) { slug } }"#;
    for accept in ["application/json", ACCEPT_GRAPHQL_JSON.1] {
        let reply = s
            .get(
                &[("query", create)],
                &[("authorization", &bearer), ("accept", accept)],
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{}",
            reply.body
        );
        assert_eq!(reply.header("allow"), Some("POST"));
        assert_eq!(reply.codes(), ["VALIDATION"]);
        assert!(reply.json().get("data").is_none());
    }
    // The operation that would run decides: a document with a query and a mutation may run
    // its query over GET.
    let both = format!(
        "query Q {{ departments {{ slug }} }} {}",
        create.replacen("mutation", "mutation M", 1)
    );
    let reply = s
        .get(
            &[("query", &both), ("operationName", "M")],
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    let body = s
        .get(
            &[("query", &both), ("operationName", "Q")],
            &[("authorization", &bearer)],
        )
        .await
        .expect(StatusCode::OK, JSON);
    assert_eq!(body, json!({ "data": { "departments": [] } }));
    assert!(
        s.department_slugs().await.is_empty(),
        "a GET created a department"
    );

    // The same mutation over POST works, so the refusal above was about the method.
    let body = s
        .post(&json!({ "query": create }), &[("authorization", &bearer)])
        .await
        .expect(StatusCode::OK, JSON);
    assert_eq!(
        body["data"]["createDepartment"]["slug"],
        "justitiedepartementet"
    );
    assert_eq!(s.department_slugs().await, ["justitiedepartementet"]);
}

#[tokio::test]
async fn a_browser_gets_graphiql_and_other_methods_are_405() {
    let s = server().await;
    let page = s
        .get(
            &[],
            &[(
                "accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            )],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.body.contains("graphiql"), "{}", page.body);
    assert!(page.body.contains("/graphql/ws"));

    // A browser following a link with a query gets the result, in JSON.
    s.get(
        &[("query", "{ __typename }")],
        &[("accept", "text/html,*/*;q=0.8")],
    )
    .await
    .expect(StatusCode::OK, JSON);
    // Without parameters and without HTML, there is no query to run.
    s.get(&[], &[]).await.expect(StatusCode::BAD_REQUEST, JSON);

    for method in [Method::PUT, Method::PATCH, Method::DELETE] {
        let reply = s
            .send(
                method.clone(),
                "/graphql",
                &[],
                &[("content-type", "application/json")],
                Some(b"{}".to_vec()),
            )
            .await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(reply.header("allow"), Some("GET, POST"), "{method}");
    }
}

// ---------------------------------------------------------------------------------------------
// Authorization

#[tokio::test]
async fn a_token_works_over_get_and_post_and_a_refused_one_is_401_only_for_graphql_response_json() {
    let s = server().await;
    let bearer = format!("Bearer {}", s.admin);
    let me = "{ me { name role } }";
    let expected = json!({ "data": { "me": { "name": "ada", "role": "ADMIN" } } });
    let body = s
        .get(&[("query", me)], &[("authorization", &bearer)])
        .await
        .expect(StatusCode::OK, JSON);
    assert_eq!(body, expected);
    let body = s
        .post(&json!({ "query": me }), &[("authorization", &bearer)])
        .await
        .expect(StatusCode::OK, JSON);
    assert_eq!(body, expected);

    for header in ["Bearer prt_0000", "Basic YWRhOmFkYQ=="] {
        let legacy = s
            .post(&json!({ "query": me }), &[("authorization", header)])
            .await;
        let body = legacy.expect(StatusCode::OK, JSON);
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(legacy.codes(), ["UNAUTHENTICATED"]);

        let modern = s
            .get(
                &[("query", me)],
                &[("authorization", header), ACCEPT_GRAPHQL_JSON],
            )
            .await;
        let body = modern.expect(StatusCode::UNAUTHORIZED, GRAPHQL_JSON);
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(modern.codes(), ["UNAUTHENTICATED"]);
        assert_eq!(
            modern.header("www-authenticate"),
            Some("Bearer error=\"invalid_token\"")
        );
        assert_eq!(legacy.first_message(), modern.first_message());
    }
}

// ---------------------------------------------------------------------------------------------
// Automatic persisted queries

const DEPARTMENTS: &str = "query Departments { departments { slug name } }";
const DEPARTMENTS_SHA256: &str = "96a60e959ed288dbe02995b5ecbe81ee51a43707f87c6323a9f7eafed7cba4a3";
const BY_SLUG: &str = "query($slug: String!) { releaseBySlug(slug: $slug) { id } }";
const BY_SLUG_SHA256: &str = "adad0baf4c4b17bd0b1ebb744443b32538fb452b44eb1a9e3c1bffad8cba6f1a";
const CREATE: &str = r#"mutation { createDepartment(input: {slug: "justitiedepartementet", name: "Justitiedepartementet"}) { slug } }"#;
const CREATE_SHA256: &str = "6ac52c586a696bd0be8d3838ee11d4b3aa1d4f17f7abc396e6ca197a49158b6b";
const ALIASES_SHA256: &str = "e538421c3aa13cebc7991d6e55bfb73b976bfa1dcfea03c31041a5fa89e1ef81";
const DEEP_SHA256: &str = "04a822542f396368607ef926cbae57ed3c3af980562930a67603c1e9ebd03f71";
const LONG_SHA256: &str = "4c327916fadb2836d46598f3e15616b3a703cf28bb3f307e943c7d076d1ef35b";

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

#[tokio::test]
async fn a_persisted_query_is_unknown_until_registered_and_then_runs_by_hash_over_post_and_get() {
    let s = server().await;
    let by_hash = json!({ "extensions": persisted(DEPARTMENTS_SHA256) });

    let unknown = s.post(&by_hash, &[]).await;
    let body = unknown.expect(StatusCode::OK, JSON);
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(unknown.first_message(), "PersistedQueryNotFound");
    assert_eq!(unknown.codes(), ["VALIDATION"]);
    let unknown = s.post(&by_hash, &[ACCEPT_GRAPHQL_JSON]).await;
    unknown.expect(StatusCode::BAD_REQUEST, GRAPHQL_JSON);
    assert_eq!(unknown.first_message(), "PersistedQueryNotFound");

    // A hash that does not match the query registers nothing.
    let wrong = s
        .post(
            &json!({ "query": DEPARTMENTS, "extensions": persisted(BY_SLUG_SHA256) }),
            &[],
        )
        .await;
    assert_eq!(wrong.codes(), ["VALIDATION"]);
    assert_eq!(wrong.first_message(), "provided sha does not match query");

    let expected = json!({ "data": { "departments": [] } });
    let registered = s
        .post(
            &json!({ "query": DEPARTMENTS, "extensions": persisted(DEPARTMENTS_SHA256) }),
            &[],
        )
        .await
        .expect(StatusCode::OK, JSON);
    assert_eq!(registered, expected);

    let body = s.post(&by_hash, &[]).await.expect(StatusCode::OK, JSON);
    assert_eq!(body, expected);
    let extensions = persisted(DEPARTMENTS_SHA256).to_string();
    let body = s
        .get(&[("extensions", &extensions)], &[ACCEPT_GRAPHQL_JSON])
        .await
        .expect(StatusCode::OK, GRAPHQL_JSON);
    assert_eq!(body, expected);

    // With variables, registered over GET and then run by hash.
    let extensions = persisted(BY_SLUG_SHA256).to_string();
    let variables = json!({ "slug": "nothing-here" }).to_string();
    let body = s
        .get(
            &[
                ("query", BY_SLUG),
                ("variables", &variables),
                ("extensions", &extensions),
            ],
            &[],
        )
        .await
        .expect(StatusCode::OK, JSON);
    assert_eq!(body, json!({ "data": { "releaseBySlug": null } }));
    let body = s
        .get(
            &[("variables", &variables), ("extensions", &extensions)],
            &[],
        )
        .await
        .expect(StatusCode::OK, JSON);
    assert_eq!(body, json!({ "data": { "releaseBySlug": null } }));
}

#[tokio::test]
async fn a_persisted_mutation_runs_over_post_but_not_over_get() {
    let s = server().await;
    let bearer = format!("Bearer {}", s.admin);
    let auth = [("authorization", bearer.as_str())];
    // Registering it over GET is refused and does not run it.
    let extensions = persisted(CREATE_SHA256).to_string();
    let reply = s
        .get(&[("query", CREATE), ("extensions", &extensions)], &auth)
        .await;
    assert_eq!(
        reply.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        reply.body
    );
    assert!(s.department_slugs().await.is_empty());

    // The GET registered it all the same (registration comes before the method check), so the
    // hash alone is now known, and still refused over GET.
    let reply = s.get(&[("extensions", &extensions)], &auth).await;
    assert_eq!(
        reply.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        reply.body
    );
    assert_eq!(reply.header("allow"), Some("POST"));
    assert!(s.department_slugs().await.is_empty());

    let body = s
        .post(&json!({ "extensions": persisted(CREATE_SHA256) }), &auth)
        .await
        .expect(StatusCode::OK, JSON);
    assert_eq!(
        body["data"]["createDepartment"]["slug"],
        "justitiedepartementet"
    );
    assert_eq!(s.department_slugs().await, ["justitiedepartementet"]);
}

#[tokio::test]
async fn persisted_queries_meet_the_limits_and_refused_or_long_ones_are_not_kept() {
    let s = server().await;
    let aliases = format!(
        "{{ {} }}",
        (0..51)
            .map(|i| format!("a{i}: me {{ name }}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let nested = (0..30).fold("id".to_owned(), |inner, _| {
        format!("translationOf {{ {inner} }}")
    });
    let deep = format!("{{ releases {{ nodes {{ {nested} }} }} }}");
    for (query, hash) in [(&aliases, ALIASES_SHA256), (&deep, DEEP_SHA256)] {
        let refused = s
            .post(
                &json!({ "query": query, "extensions": persisted(hash) }),
                &[],
            )
            .await;
        assert_eq!(refused.codes(), ["QUERY_TOO_COMPLEX"], "{}", refused.body);
        let again = s.post(&json!({ "extensions": persisted(hash) }), &[]).await;
        assert_eq!(
            again.first_message(),
            "PersistedQueryNotFound",
            "{}",
            again.body
        );
    }

    // A query over 16 KiB runs but is not kept.
    let long = format!("{{ departments {{ slug }} }}\n#{}", "x".repeat(17 * 1024));
    let body = s
        .post(
            &json!({ "query": long, "extensions": persisted(LONG_SHA256) }),
            &[],
        )
        .await
        .expect(StatusCode::OK, JSON);
    assert_eq!(body, json!({ "data": { "departments": [] } }));
    let again = s
        .post(&json!({ "extensions": persisted(LONG_SHA256) }), &[])
        .await;
    assert_eq!(
        again.first_message(),
        "PersistedQueryNotFound",
        "{}",
        again.body
    );
}

#[tokio::test]
async fn an_internal_error_before_execution_is_500_only_for_graphql_response_json() {
    let s = server().await;
    let bearer = format!("Bearer {}", s.admin);
    // With the database gone, checking the token fails: an internal error before execution.
    let _ = s.store.connection().clone().close().await;
    let query = json!({ "query": "{ me { name } }" });
    let legacy = s.post(&query, &[("authorization", &bearer)]).await;
    let body = legacy.expect(StatusCode::OK, JSON);
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(legacy.codes(), ["INTERNAL"]);
    let modern = s
        .post(&query, &[("authorization", &bearer), ACCEPT_GRAPHQL_JSON])
        .await;
    modern.expect(StatusCode::INTERNAL_SERVER_ERROR, GRAPHQL_JSON);
    assert_eq!(modern.codes(), ["INTERNAL"]);
    assert!(
        modern.first_message().starts_with("internal error (id "),
        "{}",
        modern.body
    );
}

// ---------------------------------------------------------------------------------------------
// GraphiQL from the binary

/// The `src` and `href` values of a page, in order.
fn references(page: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        let mut rest = page;
        while let Some(start) = rest.find(attribute) {
            rest = &rest[start + attribute.len()..];
            let end = rest.find('"').expect("a closing quote");
            found.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    found
}

#[tokio::test]
async fn graphiql_loads_only_pinned_files_of_this_server_under_a_policy_without_inline_script() {
    let s = server().await;
    let page = s.get(&[], &[("accept", "text/html")]).await;
    assert_eq!(page.status, StatusCode::OK);

    let policy = page.header("content-security-policy").expect("a CSP");
    let directives: Vec<&str> = policy.split(';').map(str::trim).collect();
    assert!(directives.contains(&"default-src 'none'"), "{policy}");
    assert!(directives.contains(&"script-src 'self'"), "{policy}");
    assert!(directives.contains(&"connect-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-eval"), "{policy}");
    let scripts = directives
        .iter()
        .find(|d| d.starts_with("script-src"))
        .expect("script-src");
    assert!(!scripts.contains("unsafe-inline"), "{policy}");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));

    // No inline script, no inline style, nothing from elsewhere.
    assert_eq!(
        page.body.matches("<script").count(),
        page.body.matches("<script src=\"/graphiql/").count(),
        "every script is a file of this server\n{}",
        page.body
    );
    assert!(!page.body.contains("<style"), "{}", page.body);
    assert!(!page.body.contains(" style="), "{}", page.body);
    assert!(
        !page.body.contains("//"),
        "no URL with a host\n{}",
        page.body
    );
    assert!(page.body.contains("data-endpoint=\"/graphql\""));
    assert!(
        page.body
            .contains("data-subscription-endpoint=\"/graphql/ws\"")
    );

    let referenced = references(&page.body);
    assert_eq!(referenced.len(), 6, "{referenced:?}");
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/graphiql");
    for reference in &referenced {
        let name = reference
            .strip_prefix("/graphiql/")
            .unwrap_or_else(|| panic!("{reference} is not under /graphiql/"));
        let served = s.send(Method::GET, reference, &[], &[], None).await;
        assert_eq!(served.status, StatusCode::OK, "{reference}");
        let expected_type = if name.ends_with(".js") {
            "text/javascript; charset=utf-8"
        } else {
            assert!(name.ends_with(".css"), "{reference}");
            "text/css; charset=utf-8"
        };
        assert_eq!(
            served.header("content-type"),
            Some(expected_type),
            "{reference}"
        );
        assert_eq!(served.header("x-content-type-options"), Some("nosniff"));
        let on_disk = std::fs::read_to_string(assets.join(name)).expect("the vendored file");
        assert!(served.body == on_disk, "{reference} is the vendored file");
        // A pinned version in the name may be cached for good; Pressroom's own files may not.
        let pinned = name.contains("-3.9.0.") || name.contains("-18.3.1.");
        assert_eq!(
            served.header("cache-control"),
            Some(if pinned {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            }),
            "{reference}"
        );
    }
    for name in [
        "graphiql-3.9.0.min.js",
        "react-18.3.1.production.min.js",
        "react-dom-18.3.1.production.min.js",
        "start.js",
    ] {
        assert!(
            referenced.contains(&format!("/graphiql/{name}")),
            "{name}: {referenced:?}"
        );
    }
    for unknown in [
        "/graphiql/README.md",
        "/graphiql/LICENSE-react",
        "/graphiql/x.js",
    ] {
        let reply = s.send(Method::GET, unknown, &[], &[], None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{unknown}");
    }
}

/// GraphiQL 3.9's introspection query (graphql-js 16's `getIntrospectionQuery` with deprecated
/// input values, as GraphiQL sends it), whose `TypeRef` nests `ofType` nine times.
const GRAPHIQL_INTROSPECTION: &str = r"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives {
      name
      description
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) {
    name
    description
    isDeprecated
    deprecationReason
  }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}
fragment TypeRef on __Type {
  kind
  name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType {
    kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name }
  } } } } } } } }
}
";

#[tokio::test]
async fn graphiqls_introspection_query_passes_the_query_limits() {
    let s = server().await;
    let body = s
        .post(&json!({ "query": GRAPHIQL_INTROSPECTION }), &[])
        .await
        .expect(StatusCode::OK, JSON);
    assert!(body.get("errors").is_none(), "{body}");
    let types = body["data"]["__schema"]["types"].as_array().expect("types");
    assert!(
        types.iter().any(|t| t["name"] == "Release"),
        "the schema's own types are listed"
    );
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}
