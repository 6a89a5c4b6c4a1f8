//! The example release (`crates/cli/fixtures/leadit-2022.json`) and the ministry around it.
//!
//! [`TestApp::setup_ministry`] creates the fixture's department and people through the admin
//! API and tokens for the usual cast; [`Ministry::release_input`] turns the fixture's release
//! into a `ReleaseInput`, with the fixture's person keys replaced by the ids the server gave.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::graphql::assert_state;
use crate::harness::TestApp;

/// The fixture file, as written by the project (Swedish text, byte for byte).
const FIXTURE_JSON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/cli/fixtures/leadit-2022.json"
));

/// The parsed fixture.
pub fn fixture() -> &'static Value {
    static FIXTURE: OnceLock<Value> = OnceLock::new();
    FIXTURE.get_or_init(|| serde_json::from_str(FIXTURE_JSON).expect("the fixture is valid JSON"))
}

/// A string field of a JSON object, or a failure naming it.
fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("fixture: {key} is not a string in {value:#}"))
}

/// The fixture's department and people as created on one app, and tokens for the usual cast.
#[derive(Clone, Debug)]
pub struct Ministry {
    /// The department's id.
    pub department_id: String,
    /// The department's slug (`miljodepartementet`).
    pub department: String,
    /// Person ids by the fixture's person key (`strandhall`).
    pub people: HashMap<String, String>,
    /// The id of the fixture release's responsible minister.
    pub minister_id: String,
    /// Token of `drafter`, a drafter of the department.
    pub drafter: String,
    /// Token of `editor`, an editor of the department.
    pub editor: String,
    /// Token of `office`, the office of the responsible minister.
    pub office: String,
    /// Token of `integrator`, a non-accredited integrator.
    pub integrator: String,
}

impl TestApp {
    /// Creates the fixture's department and people, and tokens for a drafter, an editor, the
    /// responsible minister's office and a (non-accredited) integrator.
    pub async fn setup_ministry(&self) -> Ministry {
        let department = &fixture()["department"];
        let created = self
            .create_department(
                text(department, "slug"),
                text(department, "name"),
                text(department, "timeZone"),
            )
            .await;
        assert_eq!(
            created["name"], department["name"],
            "[{}] createDepartment should return the name as given: {created:#}",
            self.backend
        );
        let department_id = created["id"].as_str().expect("department id").to_owned();
        let department_slug = text(department, "slug").to_owned();

        let mut people = HashMap::new();
        for person in fixture()["people"].as_array().expect("fixture people") {
            let created = self
                .create_person(
                    text(person, "name"),
                    text(person, "title"),
                    person["department"].as_str(),
                )
                .await;
            assert_eq!(
                (&created["name"], &created["title"]),
                (&person["name"], &person["title"]),
                "[{}] createPerson should return name and title as given: {created:#}",
                self.backend
            );
            people.insert(
                text(person, "key").to_owned(),
                created["id"].as_str().expect("person id").to_owned(),
            );
        }
        let minister_key = text(&fixture()["release"], "responsibleMinister");
        let minister_id = people
            .get(minister_key)
            .unwrap_or_else(|| panic!("fixture: no person with key {minister_key}"))
            .clone();

        let dept = Some(department_slug.as_str());
        let drafter = self
            .create_token("drafter", "DRAFTER", dept, None, false)
            .await;
        let editor = self
            .create_token("editor", "EDITOR", dept, None, false)
            .await;
        let office = self
            .create_token("office", "MINISTER_OFFICE", None, Some(&minister_id), false)
            .await;
        let integrator = self
            .create_token("integrator", "INTEGRATOR", None, None, false)
            .await;

        Ministry {
            department_id,
            department: department_slug,
            people,
            minister_id,
            drafter: drafter.token,
            editor: editor.token,
            office: office.token,
            integrator: integrator.token,
        }
    }
}

impl Ministry {
    /// The id of the fixture person with this key.
    pub fn person_id(&self, key: &str) -> &str {
        self.people
            .get(key)
            .unwrap_or_else(|| panic!("fixture: no person with key {key}"))
    }

    /// The fixture's release as a `ReleaseInput`: body blocks become `{"paragraph": …}` or
    /// `{"quote": {"speakerId", "text"}}`, person keys become the created ids, and every string
    /// (including `email: null`) is passed on exactly as the fixture has it.
    pub fn release_input(&self) -> Value {
        let release = &fixture()["release"];
        let body: Vec<Value> = release["body"]
            .as_array()
            .expect("fixture body")
            .iter()
            .map(|block| {
                if let Some(paragraph) = block.get("paragraph") {
                    json!({ "paragraph": paragraph })
                } else {
                    let quote = &block["quote"];
                    json!({ "quote": {
                        "speakerId": self.person_id(text(quote, "speaker")),
                        "text": quote["text"],
                    }})
                }
            })
            .collect();
        json!({
            "kind": release["kind"],
            "language": release["language"],
            "department": release["department"],
            "responsibleMinisterId": self.person_id(text(release, "responsibleMinister")),
            "title": release["title"],
            "lead": release["lead"],
            "body": body,
            "contacts": release["contacts"],
            "factBoxes": release["factBoxes"],
            "topics": release["topics"],
        })
    }
}

/// Creates `input` as the drafter, submits it and has the minister's office approve it;
/// returns the APPROVED release.
pub async fn approved_release(app: &TestApp, ministry: &Ministry, input: &Value) -> Value {
    let draft = app.create_release(&ministry.drafter, input).await;
    assert_state(app, &draft, "DRAFT");
    let in_review = app.submit_for_review(&ministry.drafter, &draft).await;
    assert_state(app, &in_review, "IN_REVIEW");
    let approved = app.approve(&ministry.office, &in_review).await;
    assert_state(app, &approved, "APPROVED");
    approved
}

/// A paragraph block for a `ReleaseInput`.
pub fn paragraph(text: &str) -> Value {
    json!({ "paragraph": text })
}

/// A quote block for a `ReleaseInput`.
pub fn quote(speaker_id: &str, text: &str) -> Value {
    json!({ "quote": { "speakerId": speaker_id, "text": text } })
}

/// `input` with body block `index` replaced by `block`.
pub fn with_block(input: &Value, index: usize, block: Value) -> Value {
    let mut input = input.clone();
    let blocks = input["body"].as_array_mut().expect("input body");
    assert!(index < blocks.len(), "the input has no body block {index}");
    blocks[index] = block;
    input
}

/// The content of a release as the server returned it, in the shape of a `ReleaseInput`, so
/// that it can be compared with the input that made it.
pub fn content_as_input(release: &Value) -> Value {
    let body: Vec<Value> = release["body"]
        .as_array()
        .map(|blocks| {
            blocks
                .iter()
                .map(|block| match block["__typename"].as_str() {
                    Some("Paragraph") => json!({ "paragraph": block["text"] }),
                    Some("Quote") => json!({ "quote": {
                        "speakerId": block["speaker"]["id"],
                        "text": block["text"],
                    }}),
                    _ => json!({ "unexpected block": block }),
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "kind": release["kind"],
        "language": release["language"],
        "department": release["department"]["slug"],
        "responsibleMinisterId": release["responsibleMinister"]["id"],
        "title": release["title"],
        "lead": release["lead"],
        "body": body,
        "contacts": release["contacts"],
        "factBoxes": release["factBoxes"],
        "topics": release["topics"],
    })
}

/// Fails unless every content field of `release` equals `input` exactly (strings byte for byte),
/// and `quotes` lists the input's quote blocks in order.
#[track_caller]
pub fn assert_content_equals(app: &TestApp, what: &str, release: &Value, input: &Value) {
    let returned = content_as_input(release);
    for key in [
        "kind",
        "language",
        "department",
        "responsibleMinisterId",
        "title",
        "lead",
        "body",
        "contacts",
        "factBoxes",
        "topics",
    ] {
        assert!(
            returned[key] == input[key],
            "[{}] {what}: `{key}` differs from what was sent{}\n--- sent:\n{:#}\n--- returned:\n{:#}",
            app.backend,
            first_difference(&input[key], &returned[key]),
            input[key],
            returned[key]
        );
    }
    let sent_quotes: Vec<Value> = input["body"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|block| block.get("quote").cloned())
        .collect();
    let returned_quotes: Vec<Value> = release["quotes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|quote| json!({ "speakerId": quote["speaker"]["id"], "text": quote["text"] }))
        .collect();
    assert_eq!(
        returned_quotes, sent_quotes,
        "[{}] {what}: `quotes` should list the body's quotes in order",
        app.backend
    );
}

/// Where two JSON values first differ, as far as their strings go: the first pair of unequal
/// strings and the byte offset where they part, to make a lost `ä` or non-breaking space obvious.
fn first_difference(sent: &Value, returned: &Value) -> String {
    match (sent, returned) {
        (Value::String(sent), Value::String(returned)) if sent != returned => {
            let offset = sent
                .bytes()
                .zip(returned.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| sent.len().min(returned.len()));
            let around = |text: &str| -> String {
                let start = text.floor_char_boundary(offset.saturating_sub(20));
                let end = text.ceil_char_boundary((offset + 20).min(text.len()));
                format!("{:?}", &text[start..end])
            };
            format!(
                " (strings part at byte {offset}: sent …{}…, returned …{}…)",
                around(sent),
                around(returned)
            )
        }
        (Value::Array(sent), Value::Array(returned)) => sent
            .iter()
            .zip(returned)
            .map(|(sent, returned)| first_difference(sent, returned))
            .find(|difference| !difference.is_empty())
            .unwrap_or_default(),
        (Value::Object(sent), Value::Object(returned)) => sent
            .iter()
            .map(|(key, sent)| first_difference(sent, returned.get(key).unwrap_or(&Value::Null)))
            .find(|difference| !difference.is_empty())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

#[test]
fn the_fixture_becomes_a_release_input_with_person_ids_and_untouched_text() {
    let ministry = Ministry {
        department_id: "d1".to_owned(),
        department: "miljodepartementet".to_owned(),
        people: HashMap::from([("strandhall".to_owned(), "p1".to_owned())]),
        minister_id: "p1".to_owned(),
        drafter: String::new(),
        editor: String::new(),
        office: String::new(),
        integrator: String::new(),
    };
    let input = ministry.release_input();
    let release = &fixture()["release"];
    assert_eq!(input["responsibleMinisterId"], "p1");
    assert_eq!(input["department"], "miljodepartementet");
    assert_eq!(input["title"], release["title"]);
    let body = input["body"].as_array().expect("body");
    assert_eq!(body.len(), 4);
    assert_eq!(body[0]["paragraph"], release["body"][0]["paragraph"]);
    assert_eq!(body[1]["quote"]["speakerId"], "p1");
    assert_eq!(
        body[1]["quote"]["text"],
        release["body"][1]["quote"]["text"]
    );
    assert!(body[1]["quote"].get("speaker").is_none());
    assert!(input["contacts"][0]["email"].is_null());
    assert!(
        input["contacts"][0]
            .as_object()
            .expect("contact")
            .contains_key("email"),
        "email: null stays in the input"
    );
    assert!(
        text(release, "title").contains('ä'),
        "the fixture is the Swedish text"
    );
}

#[test]
fn first_difference_points_at_the_lost_letter() {
    let difference = first_difference(&json!("fortsätter"), &json!("fortsatter"));
    assert!(difference.contains("byte 5"), "{difference}");
    assert_eq!(first_difference(&json!(["a", "b"]), &json!(["a", "b"])), "");
}
