//! The compiled read path (`pressroom_api::fast_path`) answers byte for byte as the resolver
//! engine does: for random selections of the fields it supports, in random order, through
//! `release`, `releaseBySlug` and `releases` (literal arguments and variables), for every role,
//! on every backend, over releases in every state. Shapes it does not support are left to the
//! engine.

use chrono::Duration;
use pressroom_api::context::RequestContext;
use pressroom_api::fast_path;
use pressroom_api::gateway::{Gateway, Transport};
use pressroom_domain::content::{Block, Contact, ContentInput, ReleaseContent, ReleaseKind};
use pressroom_domain::lifecycle::Command;
use pressroom_domain::visibility::{Role, Viewer};
use pressroom_storage::Store;
use pressroom_storage::directory::{DepartmentChange, PersonChange};
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::{DEPARTMENT, TwoMinisters, viewer};
use proptest::prelude::*;
use proptest::sample::subsequence;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

/// The leaves of a release the fast path supports, and its nested fields.
const RELEASE_FIELDS: &[&str] = &[
    "id",
    "slug",
    "kind",
    "state",
    "version",
    "revision",
    "contentHash",
    "language",
    "title",
    "lead",
    "topics",
    "embargoUntil",
    "publishedAt",
    "createdAt",
    "updatedAt",
    "department",
    "responsibleMinister",
    "quotes",
    "contacts",
];

/// Some of `names`, at least one, in random order, joined by spaces.
fn some_of(names: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    subsequence(names.to_vec(), 1..=names.len())
        .prop_shuffle()
        .prop_map(|names| names.join(" "))
}

fn release_selection() -> impl Strategy<Value = String> + Clone {
    let person = some_of(&["id", "name", "title"]);
    let quote = (
        subsequence(vec!["text", "speaker"], 1..=2).prop_shuffle(),
        person.clone(),
    )
        .prop_map(|(names, person)| {
            names
                .iter()
                .map(|name| match *name {
                    "speaker" => format!("speaker {{ {person} }}"),
                    other => other.to_owned(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        });
    (
        subsequence(RELEASE_FIELDS.to_vec(), 1..=RELEASE_FIELDS.len()).prop_shuffle(),
        some_of(&["id", "slug", "name", "timeZone"]),
        person,
        quote,
        some_of(&["name", "role", "phone", "mobile", "email"]),
    )
        .prop_map(|(names, department, person, quote, contact)| {
            names
                .iter()
                .map(|name| match *name {
                    "department" => format!("department {{ {department} }}"),
                    "responsibleMinister" => format!("responsibleMinister {{ {person} }}"),
                    "quotes" => format!("quotes {{ {quote} }}"),
                    "contacts" => format!("contacts {{ {contact} }}"),
                    other => other.to_owned(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
}

/// A query and its variables; `pick` chooses among the releases (ids and slugs) of the world.
#[derive(Debug, Clone)]
enum Root {
    Release {
        pick: usize,
        variable: bool,
    },
    BySlug {
        pick: usize,
        variable: bool,
    },
    Releases {
        first: Option<(i32, bool)>,
        department: Option<bool>,
        states: Option<Vec<&'static str>>,
    },
}

fn root() -> impl Strategy<Value = Root> {
    prop_oneof![
        (0usize..100, any::<bool>()).prop_map(|(pick, variable)| Root::Release { pick, variable }),
        (0usize..100, any::<bool>()).prop_map(|(pick, variable)| Root::BySlug { pick, variable }),
        (
            proptest::option::of((1i32..9, any::<bool>())),
            proptest::option::of(any::<bool>()),
            proptest::option::of(subsequence(
                vec!["DRAFT", "IN_REVIEW", "EMBARGOED", "PUBLISHED", "WITHDRAWN"],
                1..=5
            )),
        )
            .prop_map(|(first, department, states)| Root::Releases {
                first,
                department,
                states,
            }),
    ]
}

fn connection_selection() -> impl Strategy<Value = String> {
    (
        subsequence(vec!["nodes", "edges", "pageInfo"], 1..=3).prop_shuffle(),
        release_selection(),
        release_selection(),
        subsequence(vec!["cursor", "node"], 1..=2).prop_shuffle(),
        some_of(&["hasPreviousPage", "hasNextPage", "startCursor", "endCursor"]),
    )
        .prop_map(|(names, nodes, node, edge, info)| {
            names
                .iter()
                .map(|name| match *name {
                    "nodes" => format!("nodes {{ {nodes} }}"),
                    "edges" => {
                        let edge = edge
                            .iter()
                            .map(|e| match *e {
                                "node" => format!("node {{ {node} }}"),
                                other => other.to_owned(),
                            })
                            .collect::<Vec<_>>()
                            .join(" ");
                        format!("edges {{ {edge} }}")
                    }
                    other => format!("{other} {{ {info} }}"),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
}

/// The world's releases, by id and slug.
struct Targets {
    ids: Vec<String>,
    slugs: Vec<String>,
}

/// The text and variables of a case.
fn query(root: &Root, release: &str, connection: &str, targets: &Targets) -> (String, Value) {
    match root {
        Root::Release { pick, variable } | Root::BySlug { pick, variable } => {
            let (field, argument, ty, values) = match root {
                Root::Release { .. } => ("release", "id", "ID!", &targets.ids),
                _ => ("releaseBySlug", "slug", "String!", &targets.slugs),
            };
            // One pick in eight is a release that does not exist.
            let value = values
                .get(pick % (values.len() + values.len().div_ceil(7)))
                .cloned()
                .unwrap_or_else(|| "no-such-release".to_owned());
            if *variable {
                (
                    format!("query Q($v: {ty}) {{ {field}({argument}: $v) {{ {release} }} }}"),
                    json!({ "v": value }),
                )
            } else {
                (
                    format!(
                        "{{ {field}({argument}: {}) {{ {release} }} }}",
                        json!(value)
                    ),
                    json!({}),
                )
            }
        }
        Root::Releases {
            first,
            department,
            states,
        } => {
            let mut arguments = Vec::new();
            let mut definitions = Vec::new();
            let mut variables = serde_json::Map::new();
            match first {
                Some((n, true)) => {
                    arguments.push("first: $first".to_owned());
                    definitions.push("$first: Int");
                    variables.insert("first".into(), json!(n));
                }
                Some((n, false)) => arguments.push(format!("first: {n}")),
                None => {}
            }
            let mut filter = Vec::new();
            match department {
                Some(true) => {
                    filter.push("department: $department".to_owned());
                    definitions.push("$department: String!");
                    variables.insert("department".into(), json!(DEPARTMENT));
                }
                Some(false) => filter.push(format!("department: {}", json!(DEPARTMENT))),
                None => {}
            }
            if let Some(states) = states {
                filter.push(format!("states: [{}]", states.join(", ")));
            }
            if !filter.is_empty() {
                arguments.push(format!("filter: {{ {} }}", filter.join(", ")));
            }
            let arguments = if arguments.is_empty() {
                String::new()
            } else {
                format!("({})", arguments.join(", "))
            };
            let definitions = if definitions.is_empty() {
                String::new()
            } else {
                format!("({})", definitions.join(", "))
            };
            (
                format!("query Page{definitions} {{ releases{arguments} {{ {connection} }} }}"),
                Value::Object(variables),
            )
        }
    }
}

/// Content with every optional field used somewhere, and text that needs escaping.
fn content(n: usize, world: &TwoMinisters) -> ReleaseContent {
    ReleaseContent::parse(ContentInput {
        kind: [
            ReleaseKind::PressRelease,
            ReleaseKind::News,
            ReleaseKind::Statement,
        ][n % 3],
        language: "sv".into(),
        responsible_minister_id: Some(world.a.clone()),
        title: format!("Meddelande {n}: \"citat\" \\ snedstreck – åäö </script> \u{1F4F0}"),
        lead: format!("Ingress {n}\twith a tab"),
        body: vec![
            Block::Paragraph {
                text: "Stycke".into(),
            },
            Block::Quote {
                speaker_id: world.a.clone(),
                text: format!("Citat ett {n}"),
            },
            Block::Quote {
                speaker_id: world.b.clone(),
                text: "Citat \"två\"".into(),
            },
        ],
        contacts: vec![
            Contact {
                name: "Tove Åkesson".into(),
                role: Some("pressekreterare".into()),
                phone: Some("08-405 10 00".into()),
                mobile: n.is_multiple_of(2).then(|| "070-123 45 67".into()),
                email: Some("tove@example.org".into()),
            },
            Contact {
                name: "Olle".into(),
                role: None,
                phone: None,
                mobile: None,
                email: None,
            },
        ],
        topics: if n.is_multiple_of(2) {
            vec!["miljö".into(), "klimat".into()]
        } else {
            Vec::new()
        },
        ..ContentInput::default()
    })
    .expect("content")
}

/// Releases in every state the visibility rule distinguishes; returns their ids and slugs.
async fn releases(world: &TwoMinisters) -> Targets {
    let store = &world.store;
    let start = store.now();
    let mut targets = Targets {
        ids: Vec::new(),
        slugs: Vec::new(),
    };
    for n in 0..7 {
        let r = store
            .create_release(&world.drafter, DEPARTMENT, content(n, world))
            .await
            .expect("create");
        let mut r = r;
        if n >= 1 {
            r = store
                .act(
                    &world.drafter,
                    &r.id,
                    r.version,
                    Command::SubmitForReview,
                    None,
                )
                .await
                .expect("submit");
        }
        if n >= 2 {
            for office in [&world.office_a, &world.office_b] {
                r = store
                    .act(office, &r.id, r.version, Command::Approve, None)
                    .await
                    .expect("approve");
            }
            let command = match n {
                // Embargoed until after the clock moves, and until before (due, not yet
                // published by the scheduler: it reads as published).
                2 => Command::Schedule(start + Duration::hours(5)),
                3 => Command::Schedule(start + Duration::minutes(30)),
                _ => Command::PublishNow,
            };
            r = store
                .act(&world.editor, &r.id, r.version, command, None)
                .await
                .expect("publish or schedule");
        }
        if n == 6 {
            r = store
                .act(
                    &world.editor,
                    &r.id,
                    r.version,
                    Command::Withdraw("fel siffror".into()),
                    None,
                )
                .await
                .expect("withdraw");
        }
        targets.ids.push(r.id);
        targets.slugs.push(r.slug);
    }
    world.clock.set(start + Duration::hours(1));
    targets
}

/// Every role: anonymous, an integrator with embargo access, the department's drafter and
/// editor, a minister's office and an admin.
fn viewers(world: &TwoMinisters) -> Vec<Option<Viewer>> {
    let mut integrator = viewer("agency", Role::Integrator, None, None);
    integrator.embargo_access = true;
    vec![
        None,
        Some(integrator),
        Some(world.drafter.clone()),
        Some(world.editor.clone()),
        Some(world.office_a.clone()),
        Some(viewer("root", Role::Admin, None, None)),
    ]
}

/// The engine's answer and the fast path's (`None`: it left the request to the engine).
async fn both(
    gateway: &Gateway,
    store: &Store,
    viewer: Option<&Viewer>,
    text: &str,
    variables: &Value,
) -> (Vec<u8>, Option<Vec<u8>>) {
    let request = || {
        async_graphql::Request::new(text)
            .variables(async_graphql::Variables::from_json(variables.clone()))
    };
    let prepared = gateway
        .prepare(request(), Transport::HttpPost)
        .unwrap_or_else(|refusal| panic!("{text}: {:?}", refusal.error()));
    let plan = fast_path::plan(&prepared.document, &prepared.request)
        .unwrap_or_else(|| panic!("the fast path does not plan {text} with {variables}"));
    let context = RequestContext::new(store, viewer.cloned());
    let fast = match fast_path::run(&plan, store, &context).await {
        Some(answer) => {
            // The seq the read saw is the audit head's (nothing writes meanwhile); only a read
            // that found no row has none.
            if let Some(seq) = answer.seq {
                assert_eq!(seq, store.audit_seq().await.expect("seq"), "{text}");
            }
            Some(answer.body)
        }
        None => None,
    };
    let engine = gateway
        .schema()
        .execute(
            prepared
                .into_engine_request()
                .data(RequestContext::new(store, viewer.cloned())),
        )
        .await;
    let engine = serde_json::to_vec(&engine).expect("serialize");
    (engine, fast)
}

#[test]
fn the_fast_path_answers_as_the_engine_for_random_selections_and_every_role() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let databases = runtime.block_on(test_databases());
    for test_db in databases {
        let (world, targets) = runtime.block_on(async {
            let world = TwoMinisters::build(&test_db.url).await;
            let targets = releases(&world).await;
            (world, targets)
        });
        let gateway = Gateway::new(pressroom_api::schema::build(Some(world.store.clone())));
        let viewers = viewers(&world);
        let answered = std::cell::Cell::new(0usize);
        let mut runner = TestRunner::new(Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(
                &(root(), release_selection(), connection_selection()),
                |(root, release, connection)| {
                    let (text, variables) = query(&root, &release, &connection, &targets);
                    for viewer in &viewers {
                        let (engine, fast) = runtime.block_on(both(
                            &gateway,
                            &world.store,
                            viewer.as_ref(),
                            &text,
                            &variables,
                        ));
                        let engine_text = String::from_utf8_lossy(&engine).into_owned();
                        match fast {
                            Some(fast) => {
                                answered.set(answered.get() + 1);
                                prop_assert_eq!(
                                    String::from_utf8_lossy(&fast).into_owned(),
                                    engine_text,
                                    "{}: {} as {:?} with {}",
                                    test_db.backend_name,
                                    text,
                                    viewer.as_ref().map(|v| v.role),
                                    variables
                                );
                            }
                            // Left to the engine only when the engine reports an error.
                            None => prop_assert!(
                                engine_text.contains("\"errors\""),
                                "{}: the fast path gave up on {} as {:?}, the engine answered {}",
                                test_db.backend_name,
                                text,
                                viewer.as_ref().map(|v| v.role),
                                engine_text
                            ),
                        }
                    }
                    Ok(())
                },
            )
            .unwrap_or_else(|failure| panic!("{failure}"));
        let answered = answered.get();
        assert!(
            answered > 64,
            "{}: the fast path answered {answered} times",
            test_db.backend_name
        );
        drop(gateway);
        drop(world);
        runtime.block_on(test_db.cleanup());
    }
}

/// Whether the fast path plans `text` with `variables`.
fn plans(text: &str, variables: Value) -> bool {
    let document = async_graphql::parser::parse_query(text).expect("parses");
    let request =
        async_graphql::Request::new(text).variables(async_graphql::Variables::from_json(variables));
    fast_path::plan(&document, &request).is_some()
}

#[test]
fn shapes_it_does_not_know_go_to_the_engine() {
    let id = json!({ "id": "x" });
    assert!(plans(
        "query($id: ID!) { release(id: $id) { id } }",
        id.clone()
    ));
    assert!(plans(
        "{ releases(first: 3, filter: {states: [PUBLISHED]}) { nodes { title } } }",
        json!({})
    ));
    for (text, variables) in [
        // An alias, a fragment, a directive, __typename, a field it does not know.
        ("query($id: ID!) { r: release(id: $id) { id } }", id.clone()),
        (
            "query($id: ID!) { release(id: $id) { ...F } } fragment F on Release { id }",
            id.clone(),
        ),
        (
            "query($id: ID!) { release(id: $id) { ... on Release { id } } }",
            id.clone(),
        ),
        (
            "query($id: ID!, $t: Boolean!) { release(id: $id) { id @include(if: $t) } }",
            json!({ "id": "x", "t": true }),
        ),
        (
            "query($id: ID!) { release(id: $id) { __typename } }",
            id.clone(),
        ),
        (
            "query($id: ID!) { release(id: $id) { approvals { status } } }",
            id.clone(),
        ),
        (
            "query($id: ID!) { release(id: $id) { responsibleMinister { department { id } } } }",
            id.clone(),
        ),
        // Two root fields, a mutation, two operations.
        (
            "query($id: ID!) { release(id: $id) { id } me { name } }",
            id.clone(),
        ),
        ("mutation { revokeToken(id: \"x\") }", json!({})),
        (
            "query A { releases { nodes { id } } } query B { releases { nodes { id } } }",
            json!({}),
        ),
        // Variables the engine would refuse or coerce differently: undeclared, unused, of
        // another type, nullable where a non-null is wanted, missing, null for a non-null,
        // with a default.
        ("{ release(id: $id) { id } }", id.clone()),
        (
            "query($id: ID!, $x: Int) { release(id: $id) { id } }",
            json!({ "id": "x", "x": 1 }),
        ),
        (
            "query($id: String!) { release(id: $id) { id } }",
            id.clone(),
        ),
        ("query($id: ID) { release(id: $id) { id } }", id.clone()),
        ("query($id: ID!) { release(id: $id) { id } }", json!({})),
        (
            "query($id: ID!) { release(id: $id) { id } }",
            json!({ "id": null }),
        ),
        (
            "query($id: ID! = \"x\") { release(id: $id) { id } }",
            json!({}),
        ),
        (
            "query($n: String) { releases(first: $n) { nodes { id } } }",
            json!({ "n": "3" }),
        ),
        // An id that is not a string, an argument it does not know, a selection on a leaf,
        // a field twice.
        ("{ release(id: 5) { id } }", json!({})),
        ("{ releases(last: 5) { nodes { id } } }", json!({})),
        (
            "{ releases(filter: {author: \"x\"}) { nodes { id } } }",
            json!({}),
        ),
        ("query($id: ID!) { release(id: $id) { id id } }", id.clone()),
    ] {
        assert!(!plans(text, variables), "{text}");
    }
}

/// The fast path keeps departments and people in memory (`pressroom_storage::directory_cache`)
/// and checks them against the audit `seq` its release statement reads: a rename made through
/// another `Store` (another replica) shows on this one's next read, the same as the engine
/// shows it, for a draft (current names) and for a page; a published release keeps the names
/// of its publication instant on both paths.
#[tokio::test]
async fn a_rename_made_by_another_replica_shows_on_the_next_read() {
    for test_db in test_databases().await {
        let world = TwoMinisters::build(&test_db.url).await;
        let targets = releases(&world).await;
        let gateway = Gateway::new(pressroom_api::schema::build(Some(world.store.clone())));
        let other = Store::connect(&test_db.url)
            .await
            .expect("a second store")
            .with_clock(std::sync::Arc::new(world.clock.clone()));
        let selection = "department { name } responsibleMinister { name title } \
                         quotes { speaker { name } }";
        let draft = format!("query Q($v: ID!) {{ release(id: $v) {{ {selection} }} }}");
        let page = format!(
            "{{ releases(first: 10, filter: {{department: {}}}) {{ nodes {{ state {selection} }} }} }}",
            json!(DEPARTMENT)
        );
        let draft_id = json!({ "v": targets.ids[0] });
        let editor = Some(&world.editor);
        let read = |text: String, variables: Value| {
            let (gateway, store) = (&gateway, &world.store);
            async move {
                let (engine, fast) = both(gateway, store, editor, &text, &variables).await;
                let fast = String::from_utf8(fast.expect("the fast path answers")).expect("utf-8");
                assert_eq!(
                    fast,
                    String::from_utf8(engine).expect("utf-8"),
                    "{}: {text}",
                    test_db.backend_name
                );
                fast
            }
        };
        // Both reads fill this store's directory.
        let before = read(draft.clone(), draft_id.clone()).await;
        assert!(before.contains("Annika Strandhäll"), "{before}");
        read(page.clone(), json!({})).await;

        world.clock.set(world.store.now() + Duration::minutes(5));
        let department_id = other
            .departments()
            .await
            .expect("departments")
            .into_iter()
            .find(|d| d.slug == DEPARTMENT)
            .expect("the example department")
            .id;
        other
            .update_person(
                &"admin".into(),
                &world.a,
                PersonChange {
                    name: Some("Annika Andersson".into()),
                    ..PersonChange::default()
                },
            )
            .await
            .expect("rename the minister");
        other
            .update_department(
                &"admin".into(),
                &department_id,
                DepartmentChange {
                    name: Some("Nya departementet".into()),
                    ..DepartmentChange::default()
                },
            )
            .await
            .expect("rename the department");

        let after = read(draft.clone(), draft_id.clone()).await;
        assert!(
            after.contains("Annika Andersson") && after.contains("Nya departementet"),
            "{}: the draft shows the current names: {after}",
            test_db.backend_name
        );
        assert!(!after.contains("Annika Strandhäll"), "{after}");
        let listed = read(page, json!({})).await;
        assert!(
            listed.contains("Annika Andersson") && listed.contains("Nya departementet"),
            "{}: {listed}",
            test_db.backend_name
        );
        // Published before the renames: the names as they were then, on both paths.
        assert!(
            listed.contains("Annika Strandhäll"),
            "{}: published releases keep their names: {listed}",
            test_db.backend_name
        );
        drop(other);
        drop(gateway);
        drop(world);
        test_db.cleanup().await;
    }
}

/// Once the directory is loaded, a release or a page through the fast path is one statement
/// (the rows with the audit `seq`); a write anywhere makes the next read load it again.
#[tokio::test]
async fn a_read_is_one_statement_while_the_directory_is_current() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    for test_db in test_databases().await {
        let world = TwoMinisters::build(&test_db.url).await;
        let targets = releases(&world).await;
        let counter = Arc::new(AtomicU64::new(0));
        let store = world.store.clone().count_statements(Arc::clone(&counter));
        let gateway = Gateway::new(pressroom_api::schema::build(Some(store.clone())));
        let selection = "title department { name } responsibleMinister { name } \
                         quotes { text speaker { name title } } contacts { name }";
        let release = format!(
            "{{ release(id: {}) {{ {selection} }} }}",
            json!(targets.ids[4])
        );
        let page = format!(
            "{{ releases(first: 20, filter: {{department: {}}}) {{ nodes {{ {selection} }} }} }}",
            json!(DEPARTMENT)
        );
        let statements = |text: String| {
            let (gateway, store, counter) = (&gateway, &store, &counter);
            async move {
                let prepared = gateway
                    .prepare(
                        async_graphql::Request::new(text.as_str()),
                        Transport::HttpPost,
                    )
                    .unwrap_or_else(|refusal| panic!("{text}: {:?}", refusal.error()));
                let plan = fast_path::plan(&prepared.document, &prepared.request)
                    .unwrap_or_else(|| panic!("not planned: {text}"));
                let before = counter.load(Ordering::SeqCst);
                let body = fast_path::run(&plan, store, &RequestContext::new(store, None))
                    .await
                    .unwrap_or_else(|| panic!("not answered: {text}"))
                    .body;
                assert!(
                    String::from_utf8_lossy(&body).contains("Annika Strandhäll"),
                    "{text}"
                );
                counter.load(Ordering::SeqCst) - before
            }
        };
        let backend = test_db.backend_name;
        assert!(
            statements(release.clone()).await > 1,
            "{backend}: the first read loads the directory"
        );
        assert_eq!(statements(release.clone()).await, 1, "{backend}: a release");
        assert_eq!(statements(page.clone()).await, 1, "{backend}: a page");
        // Any audited write moves the seq on; the next read reloads, then one statement again.
        world
            .store
            .create_token(
                &"admin".into(),
                pressroom_storage::directory::TokenGrant {
                    user_name: "agency".into(),
                    role: Role::Integrator,
                    department: None,
                    person_id: None,
                    embargo_access: false,
                    expires_at: None,
                },
            )
            .await
            .expect("a token");
        assert!(statements(page.clone()).await > 1, "{backend}: reloaded");
        assert_eq!(statements(page).await, 1, "{backend}: a page again");
        drop(gateway);
        drop(store);
        drop(world);
        test_db.cleanup().await;
    }
}
