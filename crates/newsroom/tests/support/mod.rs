//! What the newsroom's handler tests share: the newsroom's routes on a test store behind poem's
//! test client, signing in through a real sign-in link, reading a page's CSRF token, and
//! posting forms with the session cookie.

#![allow(dead_code)]

use poem::endpoint::BoxEndpoint;
use poem::test::{TestClient, TestResponse};
use poem::{EndpointExt, Route};
use pressroom_domain::content::{Block, Contact, ContentInput, ReleaseContent};
use pressroom_domain::visibility::Role;
use pressroom_newsroom::{BASE, CsrfKey, NewsroomConfig, routes};
use pressroom_storage::Store;
use pressroom_storage::directory::TokenGrant;
use pressroom_test_support::world::{DEPARTMENT, TwoMinisters};

/// The newsroom under test.
pub type Client = TestClient<BoxEndpoint<'static>>;

/// The newsroom's routes nested under `/newsroom` over `store`, as `pressroom serve` mounts them.
pub fn client(store: Store) -> Client {
    let app = Route::new()
        .nest(BASE, routes(NewsroomConfig::new(CsrfKey::random())))
        .data(store);
    TestClient::new(app.map_to_response().boxed())
}

/// A signed-in browser: its session cookie.
pub struct Session {
    /// `pressroom_session=…`.
    pub cookie: String,
}

/// What a token or sign-in link grants.
pub fn grant(name: &str, role: Role, department: bool, person: Option<&str>) -> TokenGrant {
    TokenGrant {
        user_name: name.to_owned(),
        role,
        department: department.then(|| DEPARTMENT.to_owned()),
        person_id: person.map(str::to_owned),
        embargo_access: false,
        expires_at: None,
    }
}

/// The cookie a response sets, `name=value`.
pub fn set_cookie(response: &TestResponse, name: &str) -> Option<String> {
    response
        .0
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

/// Signs in through a sign-in link made with the store, as the newsroom's users do.
pub async fn sign_in(client: &Client, store: &Store, grant: TokenGrant) -> Session {
    let created = store
        .create_signin_link(&"cli".into(), grant)
        .await
        .expect("create a sign-in link");
    let response = client.get(&created.path).send().await;
    response.assert_status(poem::http::StatusCode::SEE_OTHER);
    Session {
        cookie: set_cookie(&response, "pressroom_session").expect("a session cookie"),
    }
}

/// `GET path` with the session: status and body.
pub async fn get(client: &Client, session: &Session, path: &str) -> (u16, String) {
    let response = client
        .get(path)
        .header("cookie", &session.cookie)
        .send()
        .await;
    read(response).await
}

/// `POST path` with the session and a urlencoded form: the whole response.
pub async fn post_response(
    client: &Client,
    session: &Session,
    path: &str,
    form: &[(&str, &str)],
) -> TestResponse {
    let body = serde_urlencoded::to_string(form).expect("a form");
    client
        .post(path)
        .header("cookie", &session.cookie)
        .content_type("application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
}

/// `POST path` with the session and a urlencoded form: status, body and `Location`.
pub async fn post(
    client: &Client,
    session: &Session,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String, Option<String>) {
    let response = post_response(client, session, path, form).await;
    let location = response
        .0
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (status, body) = read(response).await;
    (status, body, location)
}

/// Status and body of a response.
pub async fn read(response: TestResponse) -> (u16, String) {
    let status = response.0.status().as_u16();
    let body = response
        .0
        .into_body()
        .into_string()
        .await
        .expect("a text body");
    (status, body)
}

/// The CSRF token of a page's forms.
pub fn csrf(page: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).expect("a form with a CSRF token") + marker.len();
    let end = page[start..].find('"').expect("the end of the token") + start;
    page[start..end].to_owned()
}

/// The HTML-escaped form of a text, as askama writes it.
pub fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// Content with a paragraph, a quote by each minister and a contact.
pub fn content(w: &TwoMinisters, paragraph: &str) -> ReleaseContent {
    ReleaseContent::parse(ContentInput {
        language: "sv".into(),
        responsible_minister_id: Some(w.a.clone()),
        title: "Svensk-indiskt FN-initiativ fortsätter att leda klimatomställningen".into(),
        lead: "Närmare ett hundratal deltagare möts idag i Stockholm.".into(),
        body: vec![
            Block::Paragraph {
                text: paragraph.into(),
            },
            Block::Quote {
                speaker_id: w.a.clone(),
                text: "Sverige ska axla det internationella klimatledarskapet".into(),
            },
            Block::Quote {
                speaker_id: w.b.clone(),
                text: "Industrin måste ställa om.".into(),
            },
        ],
        contacts: vec![Contact {
            name: "Tove Kullenberg".into(),
            role: Some("Pressekreterare".into()),
            phone: Some("08-405 10 00".into()),
            mobile: None,
            email: None,
        }],
        ..ContentInput::default()
    })
    .expect("content")
}

/// A release of the world's department with [`content`], written by its drafter and sent for
/// review.
pub async fn in_review(
    w: &TwoMinisters,
    paragraph: &str,
) -> pressroom_storage::releases::StoredRelease {
    let r = w
        .store
        .create_release(&w.drafter, DEPARTMENT, content(w, paragraph))
        .await
        .expect("create");
    w.store
        .act(
            &w.drafter,
            &r.id,
            r.version,
            pressroom_domain::lifecycle::Command::SubmitForReview,
            None,
        )
        .await
        .expect("submit")
}
