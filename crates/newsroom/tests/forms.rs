//! Every form of the newsroom through its handlers, on every available database: a valid post
//! changes what it says, an invalid one is refused on its field with everything typed kept, a
//! stale one shows the saved version beside the user's, a forbidden one changes nothing, and one
//! without its CSRF token is a 403 that changes nothing.

mod support;

use pressroom_domain::content::{Block, ReleaseContent};
use pressroom_domain::lifecycle::{Command, State};
use pressroom_domain::visibility::Role;
use pressroom_storage::pagination::PageRequest;
use pressroom_storage::releases::{ReleaseFilter, StoredRelease};
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::{DEPARTMENT, TwoMinisters};

use support::{
    Client, Session, client, content, csrf, escaped, get, grant, in_review, post, post_response,
    set_cookie, sign_in,
};

async fn releases(w: &TwoMinisters) -> Vec<StoredRelease> {
    w.store
        .secure_releases(
            Some(&w.editor),
            &ReleaseFilter {
                states: Some(State::ALL.to_vec()),
                ..ReleaseFilter::default()
            },
            &PageRequest::new(Some(100), None).expect("a page"),
            w.store.now(),
        )
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

async fn drafter(client: &Client, w: &TwoMinisters) -> Session {
    sign_in(client, &w.store, grant("dana", Role::Drafter, true, None)).await
}

/// The new-release form's fields for the example's first lines, typed as a browser sends them
/// (CR LF line breaks from textareas).
fn new_release_form<'a>(token: &'a str, w: &'a TwoMinisters) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", token),
        ("department", DEPARTMENT),
        ("kind", "PRESS_RELEASE"),
        ("language", "sv"),
        ("minister", &w.a),
        (
            "title",
            "Svensk-indiskt FN-initiativ – <b>tunga</b> industrin",
        ),
        (
            "lead",
            "Närmare ett hundratal deltagare\r\nmöts idag\u{a0}i Stockholm.",
        ),
        ("block-0-kind", "paragraph"),
        ("block-0-text", "Högnivåmötet Industry Transition Dialogue."),
        ("block-1-kind", "quote"),
        ("block-1-speaker", &w.a),
        (
            "block-1-text",
            "Sverige ska axla det internationella klimatledarskapet",
        ),
        ("contact-0-name", "Tove Kullenberg"),
        (
            "contact-0-role",
            "Pressekreterare hos klimat- och miljöministern",
        ),
        ("contact-0-mobile", "073-842 50 59"),
        ("fact-0-heading", "LeadIT"),
        ("fact-0-text", "Startades 2019.\r\n\r\nSverige och Indien."),
        ("topics", "Klimat\r\nIndustri"),
        ("op", "save"),
    ]
}

#[tokio::test]
async fn a_release_typed_into_the_form_is_stored_byte_for_byte() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let session = drafter(&client, &w).await;
        let (status, page) = get(&client, &session, "/newsroom/releases/new").await;
        assert_eq!(status, 200, "{}", db.backend_name);
        let token = csrf(&page);
        let (status, _, location) = post(
            &client,
            &session,
            "/newsroom/releases/new",
            &new_release_form(&token, &w),
        )
        .await;
        assert_eq!(status, 303, "{}", db.backend_name);
        let stored = releases(&w).await;
        assert_eq!(stored.len(), 1);
        let r = &stored[0];
        assert_eq!(
            location.as_deref(),
            Some(format!("/newsroom/releases/{}", r.id).as_str())
        );
        let c: &ReleaseContent = &r.content;
        assert_eq!(
            c.title(),
            "Svensk-indiskt FN-initiativ – <b>tunga</b> industrin"
        );
        assert_eq!(
            c.lead(),
            "Närmare ett hundratal deltagare\nmöts idag\u{a0}i Stockholm."
        );
        assert_eq!(
            c.body(),
            &[
                Block::Paragraph {
                    text: "Högnivåmötet Industry Transition Dialogue.".into()
                },
                Block::Quote {
                    speaker_id: w.a.clone(),
                    text: "Sverige ska axla det internationella klimatledarskapet".into()
                }
            ]
        );
        assert_eq!(c.contacts().len(), 1);
        assert_eq!(c.contacts()[0].mobile.as_deref(), Some("073-842 50 59"));
        assert_eq!(c.contacts()[0].phone, None);
        assert_eq!(
            c.fact_boxes()[0].text,
            "Startades 2019.\n\nSverige och Indien."
        );
        assert_eq!(c.topics(), ["Klimat", "Industri"]);
        assert_eq!(r.author, "dana");
        // The edit form shows it back unchanged, markup escaped.
        let (status, page) = get(
            &client,
            &session,
            &format!("/newsroom/releases/{}/edit", r.id),
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            page.contains(&escaped(c.title())),
            "the title is escaped in the form"
        );
        assert!(!page.contains("<b>tunga</b>"));
    }
}

#[tokio::test]
async fn a_post_without_its_csrf_token_is_refused_and_changes_nothing() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let session = drafter(&client, &w).await;
        let (_, page) = get(&client, &session, "/newsroom/releases/new").await;
        let token = csrf(&page);
        let mut form = new_release_form(&token, &w);
        form.retain(|(name, _)| *name != "csrf");
        let (status, body, _) = post(&client, &session, "/newsroom/releases/new", &form).await;
        assert_eq!(status, 403, "{}", db.backend_name);
        assert!(body.contains("Nothing was changed"));
        form.push(("csrf", "00"));
        let (status, _, _) = post(&client, &session, "/newsroom/releases/new", &form).await;
        assert_eq!(status, 403, "a wrong token is refused too");
        assert!(releases(&w).await.is_empty());
        // Another session's token does not work in this one.
        let other = sign_in(&client, &w.store, grant("erik", Role::Editor, true, None)).await;
        let (_, other_page) = get(&client, &other, "/newsroom/releases/new").await;
        let other_token = csrf(&other_page);
        let mut form = new_release_form(&other_token, &w);
        form.retain(|(name, _)| *name != "csrf");
        form.push(("csrf", &other_token));
        let (status, _, _) = post(&client, &session, "/newsroom/releases/new", &form).await;
        assert_eq!(status, 403);
        let (status, _, _) = post(&client, &session, "/newsroom/signout", &[]).await;
        assert_eq!(status, 403, "signing out needs the token as well");
        assert!(releases(&w).await.is_empty());
    }
}

#[tokio::test]
async fn an_invalid_save_is_refused_on_its_field_and_keeps_what_was_typed() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let session = drafter(&client, &w).await;
        let (_, page) = get(&client, &session, "/newsroom/releases/new").await;
        let token = csrf(&page);
        let mut form = new_release_form(&token, &w);
        let long_title = "å".repeat(301);
        form.retain(|(name, _)| *name != "title");
        form.push(("title", &long_title));
        form.push(("contact-0-email", "not an address"));
        let (status, body, _) = post(&client, &session, "/newsroom/releases/new", &form).await;
        assert_eq!(status, 422, "{}", db.backend_name);
        assert!(body.contains("<title>Error: "), "the page title says Error");
        assert!(body.contains("There is a problem"));
        assert!(
            body.contains("href=\"#title\""),
            "the summary links the field"
        );
        assert!(body.contains(&long_title), "the typed title is kept");
        assert!(body.contains("Högnivåmötet Industry Transition Dialogue."));
        assert!(releases(&w).await.is_empty());
    }
}

#[tokio::test]
async fn adding_and_moving_blocks_rerenders_the_form_without_saving() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let session = drafter(&client, &w).await;
        let (_, page) = get(&client, &session, "/newsroom/releases/new").await;
        let token = csrf(&page);
        let mut form = new_release_form(&token, &w);
        form.retain(|(name, _)| *name != "op");
        form.push(("op", "up-block-1"));
        let (status, body, _) = post(&client, &session, "/newsroom/releases/new", &form).await;
        assert_eq!(status, 200, "{}", db.backend_name);
        let quote = body
            .find("Sverige ska axla")
            .expect("the quote is still there");
        let paragraph = body
            .find("Högnivåmötet Industry")
            .expect("the paragraph is still there");
        assert!(quote < paragraph, "the quote moved above the paragraph");
        form.retain(|(name, _)| *name != "op");
        form.push(("op", "add-quote"));
        let (_, body, _) = post(&client, &session, "/newsroom/releases/new", &form).await;
        assert!(body.contains("id=\"block-2-text\""), "a third block");
        assert!(releases(&w).await.is_empty(), "nothing was saved");
    }
}

#[tokio::test]
async fn a_stale_save_shows_both_versions_and_loses_nothing() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let r = w
            .store
            .create_release(&w.drafter, DEPARTMENT, content(&w, "Första stycket."))
            .await
            .expect("create");
        let session = drafter(&client, &w).await;
        let (_, page) = get(
            &client,
            &session,
            &format!("/newsroom/releases/{}/edit", r.id),
        )
        .await;
        let token = csrf(&page);
        // Someone else saves in between.
        w.store
            .act(
                &w.editor,
                &r.id,
                r.version,
                Command::Update(content(&w, "Redaktörens stycke.")),
                None,
            )
            .await
            .expect("the editor saves");
        let version = r.version.to_string();
        let form = [
            ("csrf", token.as_str()),
            ("expected_version", version.as_str()),
            ("kind", "PRESS_RELEASE"),
            ("language", "sv"),
            ("minister", w.a.as_str()),
            ("title", "Min titel"),
            ("lead", "Min ingress."),
            ("block-0-text", "Mitt stycke."),
            ("contact-0-name", "Tove Kullenberg"),
            ("op", "save"),
        ];
        let path = format!("/newsroom/releases/{}/edit", r.id);
        let (status, body, _) = post(&client, &session, &path, &form).await;
        assert_eq!(status, 409, "{}", db.backend_name);
        assert!(body.contains("Someone else saved this release"));
        assert!(body.contains("The saved version") && body.contains("Your version"));
        assert!(body.contains("Redaktörens"), "the saved text is shown");
        assert!(
            body.contains("value=\"Min titel\""),
            "the typed title stays in the form"
        );
        assert!(
            body.contains("Mitt stycke."),
            "the typed paragraph stays in the form"
        );
        let current = w
            .store
            .secure_release(Some(&w.editor), &r.id, w.store.now())
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(current.revision, 2, "the stale save changed nothing");
        assert!(
            body.contains(&format!(
                "name=\"expected_version\" value=\"{}\"",
                current.version
            )),
            "saving again is at the saved version"
        );
        // Saving again, deliberately, replaces it.
        let token = csrf(&body);
        let version = current.version.to_string();
        let mut again = form.to_vec();
        again[0] = ("csrf", token.as_str());
        again[1] = ("expected_version", version.as_str());
        let (status, _, _) = post(&client, &session, &path, &again).await;
        assert_eq!(status, 303);
        let saved = w
            .store
            .secure_release(Some(&w.editor), &r.id, w.store.now())
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(saved.content.title(), "Min titel");
    }
}

#[tokio::test]
async fn offices_cannot_write_and_a_release_out_of_sight_is_the_same_404_as_none() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let r = w
            .store
            .create_release(&w.drafter, DEPARTMENT, content(&w, "Stycke."))
            .await
            .expect("create");
        let office = sign_in(
            &client,
            &w.store,
            grant("anna", Role::MinisterOffice, false, Some(&w.a)),
        )
        .await;
        let (status, _) = get(&client, &office, "/newsroom/releases/new").await;
        assert_eq!(status, 403, "{}", db.backend_name);
        // A draft is not the office's to see: the same page as an unknown id.
        let (status, hidden) = get(&client, &office, &format!("/newsroom/releases/{}", r.id)).await;
        let (unknown_status, unknown) = get(
            &client,
            &office,
            "/newsroom/releases/00000000-0000-0000-0000-000000000000",
        )
        .await;
        assert_eq!((status, unknown_status), (404, 404));
        assert_eq!(hidden, unknown);
        let (_, page) = get(&client, &office, "/newsroom/").await;
        let token = csrf(&page);
        let (status, _, _) = post(
            &client,
            &office,
            &format!("/newsroom/releases/{}/submit", r.id),
            &[("csrf", &token)],
        )
        .await;
        assert_eq!(status, 404);
        let stored = releases(&w).await;
        assert_eq!(stored[0].state, State::Draft, "nothing changed");
    }
}

#[tokio::test]
async fn submit_approve_and_request_changes_go_through_the_rules() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let r = w
            .store
            .create_release(&w.drafter, DEPARTMENT, content(&w, "Stycke."))
            .await
            .expect("create");
        let session = drafter(&client, &w).await;
        let path = format!("/newsroom/releases/{}", r.id);
        let (_, page) = get(&client, &session, &path).await;
        let token = csrf(&page);
        let version = r.version.to_string();
        let (status, _, location) = post(
            &client,
            &session,
            &format!("{path}/submit"),
            &[("csrf", &token), ("expected_version", &version)],
        )
        .await;
        assert_eq!(status, 303, "{}", db.backend_name);
        assert_eq!(location.as_deref(), Some(path.as_str()));
        // A stale form is refused in words and changes nothing.
        let (status, body, _) = post(
            &client,
            &session,
            &format!("{path}/submit"),
            &[("csrf", &token), ("expected_version", &version)],
        )
        .await;
        assert_eq!(status, 409);
        assert!(body.contains("Someone else changed this release"));
        let office = sign_in(
            &client,
            &w.store,
            grant("anna", Role::MinisterOffice, false, Some(&w.a)),
        )
        .await;
        let (status, page) = get(&client, &office, &path).await;
        assert_eq!(status, 200);
        assert!(page.contains("id=\"approve\""), "the office is asked");
        let office_token = csrf(&page);
        let (status, body, _) = post(
            &client,
            &office,
            &format!("{path}/request-changes"),
            &[("csrf", &office_token), ("comment", "")],
        )
        .await;
        assert_eq!(status, 422, "a comment is required");
        assert!(!body.contains("VALIDATION"), "the refusal is in words");
        let (status, _, _) = post(
            &client,
            &office,
            &format!("{path}/approve"),
            &[("csrf", &office_token)],
        )
        .await;
        assert_eq!(status, 303);
        let approvals = w
            .store
            .approvals_for(std::slice::from_ref(&r.id))
            .await
            .expect("approvals");
        assert_eq!(approvals[&r.id].len(), 1);
        assert_eq!(approvals[&r.id][0].by_user, "anna");
        // The drafter may not approve (four eyes, or not an office at all): refused in words.
        let (status, body, _) = post(
            &client,
            &session,
            &format!("{path}/approve"),
            &[("csrf", &token)],
        )
        .await;
        assert_eq!(status, 422);
        assert!(body.contains("There is a problem"));
    }
}

#[tokio::test]
async fn scheduling_takes_the_department_s_local_time() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let mut r = w
            .store
            .create_release(&w.drafter, DEPARTMENT, content(&w, "Stycke."))
            .await
            .expect("create");
        for (who, command) in [
            (&w.drafter, Command::SubmitForReview),
            (&w.office_a, Command::Approve),
            (&w.office_b, Command::Approve),
        ] {
            r = w
                .store
                .act(who, &r.id, r.version, command, None)
                .await
                .expect("allowed");
        }
        assert_eq!(r.state, State::Approved);
        let editor = sign_in(&client, &w.store, grant("erik", Role::Editor, true, None)).await;
        let path = format!("/newsroom/releases/{}", r.id);
        let (_, page) = get(&client, &editor, &path).await;
        assert!(page.contains("Every required office has signed off"));
        let token = csrf(&page);
        // The world's clock is 2026-06-02 07:00 UTC; 09:30 in Stockholm (UTC+2) is 07:30 UTC.
        let (status, _, _) = post(
            &client,
            &editor,
            &format!("{path}/schedule"),
            &[("csrf", &token), ("date", "2026-06-02"), ("time", "09:30")],
        )
        .await;
        assert_eq!(status, 303, "{}", db.backend_name);
        let scheduled = w
            .store
            .secure_release(Some(&w.editor), &r.id, w.store.now())
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(scheduled.state, State::Embargoed);
        assert_eq!(
            scheduled.embargo_until.map(|at| at.to_rfc3339()),
            Some("2026-06-02T07:30:00+00:00".to_owned())
        );
        let (_, page) = get(&client, &editor, &path).await;
        assert!(page.contains("UTC+02:00"), "the zone and offset are shown");
        assert!(page.contains("07:30 UTC"), "and the UTC instant");
        // A time already past is refused in words.
        let token = csrf(&page);
        let (status, body, _) = post(
            &client,
            &editor,
            &format!("{path}/schedule"),
            &[("csrf", &token), ("date", "2026-06-01"), ("time", "09:30")],
        )
        .await;
        assert_eq!(status, 422);
        assert!(body.contains("has to lie in the future"));
    }
}

#[tokio::test]
async fn sign_in_links_work_once_and_a_pasted_token_signs_in() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let created = w
            .store
            .create_signin_link(&"cli".into(), grant("dana", Role::Drafter, true, None))
            .await
            .expect("a link");
        let first = client.get(&created.path).send().await;
        first.assert_status(poem::http::StatusCode::SEE_OTHER);
        let again = client.get(&created.path).send().await;
        again.assert_status(poem::http::StatusCode::GONE);
        let unknown = client
            .get("/newsroom/signin/psi_0000000000000000000000000000000000000000000000000000000000000000")
            .send()
            .await;
        unknown.assert_status(poem::http::StatusCode::GONE);
        // Without a session, every page sends the user to sign in.
        let response = client.get("/newsroom/").send().await;
        response.assert_status(poem::http::StatusCode::SEE_OTHER);
        // Pasting an API token works; a wrong one says nothing about why.
        let token = w
            .store
            .create_token(&"cli".into(), grant("dana", Role::Drafter, true, None))
            .await
            .expect("a token")
            .token;
        let page = client.get("/newsroom/signin").send().await;
        let presession = support::set_cookie(&page, "pressroom_presession").expect("a cookie");
        let (_, body) = support::read(page).await;
        let form_token = csrf(&body);
        for (given, expected) in [("prt_wrong", 422), (token.as_str(), 303)] {
            let response = client
                .post("/newsroom/signin")
                .header("cookie", &presession)
                .content_type("application/x-www-form-urlencoded")
                .body(
                    serde_urlencoded::to_string([("csrf", form_token.as_str()), ("token", given)])
                        .expect("form"),
                )
                .send()
                .await;
            assert_eq!(
                response.0.status().as_u16(),
                expected,
                "{}",
                db.backend_name
            );
        }
    }
}

#[tokio::test]
async fn signing_out_ends_the_session() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let session = drafter(&client, &w).await;
        let (status, page) = get(&client, &session, "/newsroom/").await;
        assert_eq!(status, 200, "{}", db.backend_name);
        let token = csrf(&page);
        let (status, _, location) =
            post(&client, &session, "/newsroom/signout", &[("csrf", &token)]).await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/newsroom/signin"));
        let response = client
            .get("/newsroom/")
            .header("cookie", &session.cookie)
            .send()
            .await;
        response.assert_status(poem::http::StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn the_work_lists_show_who_is_waited_on_and_what_awaits_an_office() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let r = in_review(&w, "Stycke.").await;
        w.store
            .act(&w.office_b, &r.id, r.version, Command::Approve, None)
            .await
            .expect("approve");
        let session = drafter(&client, &w).await;
        let (status, page) = get(&client, &session, "/newsroom/").await;
        assert_eq!(status, 200, "{}", db.backend_name);
        let board = &page[page.find("Waiting on").expect("the board")..];
        assert!(
            board.contains("<strong>Bo Berg</strong>: signed (bosse)"),
            "{board}"
        );
        assert!(
            board.contains("<strong>Annika Strandhäll</strong>: not yet"),
            "{board}"
        );
        let office = sign_in(
            &client,
            &w.store,
            grant("anna", Role::MinisterOffice, false, Some(&w.a)),
        )
        .await;
        let (_, page) = get(&client, &office, "/newsroom/").await;
        let awaiting = &page[page.find("Awaiting your sign-off").expect("the queue")..];
        let signed = awaiting
            .find("What you signed before")
            .expect("signed before");
        assert!(
            awaiting[..signed].contains(&format!("/newsroom/releases/{}", r.id)),
            "the release awaits the office"
        );
        let bosse = sign_in(
            &client,
            &w.store,
            grant("bosse", Role::MinisterOffice, false, Some(&w.b)),
        )
        .await;
        let (_, page) = get(&client, &bosse, "/newsroom/").await;
        let signed = &page[page.find("What you signed before").expect("signed before")..];
        assert!(signed.contains(&format!("/newsroom/releases/{}", r.id)));
    }
}

#[tokio::test]
async fn the_release_page_shows_what_changed_since_an_approval_that_still_holds() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let r = in_review(&w, "Mötet samlar ministrar.").await;
        let r = w
            .store
            .act(&w.office_b, &r.id, r.version, Command::Approve, None)
            .await
            .expect("Bo Berg's office approves his quote");
        // A paragraph changes: Bo Berg's approval of his unchanged quote still holds.
        w.store
            .act(
                &w.drafter,
                &r.id,
                r.version,
                Command::Update(content(&w, "Mötet samlar företagsledare.")),
                None,
            )
            .await
            .expect("update");
        let session = drafter(&client, &w).await;
        let (status, page) = get(&client, &session, &format!("/newsroom/releases/{}", r.id)).await;
        assert_eq!(status, 200, "{}", db.backend_name);
        let since = &page[page
            .find("What changed since revision 1")
            .expect("the changes")..];
        assert!(since.contains("<del>ministrar.</del>"), "{since}");
        assert!(since.contains("<ins>företagsledare.</ins>"), "{since}");
    }
}

#[tokio::test]
async fn a_sign_off_link_is_shown_once_and_a_link_for_the_author_is_warned_about() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let r = in_review(&w, "Stycke.").await;
        let session = drafter(&client, &w).await;
        let path = format!("/newsroom/releases/{}", r.id);
        let (_, page) = get(&client, &session, &path).await;
        assert!(
            page.contains("id=\"signoff-person\""),
            "the form is offered in review"
        );
        let token = csrf(&page);
        let version = r.version.to_string();
        let made = post_response(
            &client,
            &session,
            &format!("{path}/signoff-links"),
            &[
                ("csrf", &token),
                ("expected_version", &version),
                ("person_id", &w.b),
                ("signer", "Berit Kansli"),
                ("hours", "48"),
            ],
        )
        .await;
        // Post/redirect/get: the link travels to the next page in a short-lived cookie.
        assert_eq!(made.0.status().as_u16(), 303, "{}", db.backend_name);
        let location = made
            .0
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok());
        assert_eq!(location, Some(format!("{path}#created-link").as_str()));
        let carried = set_cookie(&made, "pressroom_new_link").expect("the link's cookie");
        let shown = Session {
            cookie: format!("{}; {carried}", session.cookie),
        };
        let (status, body) = get(&client, &shown, &path).await;
        assert_eq!(status, 200);
        assert!(body.contains("id=\"created-link\" value=\"/signoff/pso_"));
        assert!(!body.contains("Careful:"));
        // Reloading that page (even if the browser kept the cookie) makes no second link.
        let (_, reloaded) = get(&client, &shown, &path).await;
        assert!(reloaded.contains("Link for Berit Kansli"));
        let links = w
            .store
            .signoff_links(&w.drafter, &r.id)
            .await
            .expect("links");
        assert_eq!(links.len(), 1, "a reload makes no second link");
        let (_, again) = get(&client, &session, &path).await;
        assert!(!again.contains("/signoff/pso_"), "the URL is shown once");
        assert!(
            again.contains("Link for Berit Kansli"),
            "the link is listed"
        );
        // The link for the author: the warning comes with it on the page after the redirect.
        let made = post_response(
            &client,
            &session,
            &format!("{path}/signoff-links"),
            &[
                ("csrf", &token),
                ("expected_version", &version),
                ("person_id", &w.a),
                ("signer", "dana"),
            ],
        )
        .await;
        let carried = set_cookie(&made, "pressroom_new_link").expect("the link's cookie");
        let shown = Session {
            cookie: format!("{}; {carried}", session.cookie),
        };
        let (_, body) = get(&client, &shown, &path).await;
        assert!(
            body.contains("Careful: dana wrote revision 1"),
            "the author is warned about"
        );
        // A link's cookie shows nothing on another release's page.
        let other = in_review(&w, "Ett annat stycke.").await;
        let (_, elsewhere) =
            get(&client, &shown, &format!("/newsroom/releases/{}", other.id)).await;
        assert!(!elsewhere.contains("/signoff/pso_"));
        // An office that is not required is refused in words, and no link is made.
        let (status, body, _) = post(
            &client,
            &session,
            &format!("{path}/signoff-links"),
            &[
                ("csrf", &token),
                ("expected_version", &version),
                ("person_id", "nobody"),
                ("signer", "Berit"),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(body.contains("There is a problem"));
        let links = w
            .store
            .signoff_links(&w.drafter, &r.id)
            .await
            .expect("links");
        assert_eq!(links.len(), 2);
    }
}

#[tokio::test]
async fn only_the_roles_that_write_releases_are_offered_the_forms() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let r = w
            .store
            .create_release(&w.drafter, DEPARTMENT, content(&w, "Stycke."))
            .await
            .expect("create");
        let admin = sign_in(&client, &w.store, grant("ada", Role::Admin, false, None)).await;
        let (_, page) = get(&client, &admin, "/newsroom/").await;
        assert!(
            !page.contains("/newsroom/releases/new"),
            "{}",
            db.backend_name
        );
        let (status, _) = get(&client, &admin, "/newsroom/releases/new").await;
        assert_eq!(status, 403, "an admin does not write releases");
        let (status, page) = get(&client, &admin, &format!("/newsroom/releases/{}", r.id)).await;
        assert_eq!(status, 200, "an admin sees every release");
        assert!(
            !page.contains("id=\"edit\""),
            "but is not offered to edit it"
        );
        let session = drafter(&client, &w).await;
        let (_, page) = get(&client, &session, &format!("/newsroom/releases/{}", r.id)).await;
        assert!(page.contains("id=\"edit\"") && page.contains("id=\"submit\""));
        assert!(
            !page.contains("id=\"approve\""),
            "a drafter is not asked to approve"
        );
    }
}

#[tokio::test]
async fn admins_set_the_addresses_notifications_go_to() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let admin = sign_in(&client, &w.store, grant("ada", Role::Admin, false, None)).await;
        let (status, page) = get(&client, &admin, "/newsroom/admin").await;
        assert_eq!(status, 200, "{}", db.backend_name);
        let token = csrf(&page);
        let (status, _, _) = post(
            &client,
            &admin,
            "/newsroom/admin/office-email",
            &[
                ("csrf", &token),
                ("person_id", &w.a),
                ("email", "kansli@example.se"),
            ],
        )
        .await;
        assert_eq!(status, 303);
        let (status, body, _) = post(
            &client,
            &admin,
            "/newsroom/admin/user-email",
            &[
                ("csrf", &token),
                ("user_name", "dana"),
                ("email", "not an address"),
            ],
        )
        .await;
        assert_eq!(status, 422);
        assert!(
            body.contains("href=\"#user-email\""),
            "the summary links the field"
        );
        let (status, _, _) = post(
            &client,
            &admin,
            "/newsroom/admin/user-email",
            &[
                ("csrf", &token),
                ("user_name", "dana"),
                ("email", "dana@example.se"),
            ],
        )
        .await;
        assert_eq!(status, 303);
        let emails = w
            .store
            .office_emails(&[w.a.as_str().into()])
            .await
            .expect("addresses");
        assert_eq!(
            emails.get(w.a.as_str()).map(String::as_str),
            Some("kansli@example.se")
        );
        let users = w.store.user_emails().await.expect("users");
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].email, "dana@example.se");
        let (_, page) = get(&client, &admin, "/newsroom/admin").await;
        assert!(page.contains("value=\"kansli@example.se\""));
        // Nobody else sets addresses, and nobody else sees them.
        let session = drafter(&client, &w).await;
        let (_, page) = get(&client, &session, "/newsroom/").await;
        let token = csrf(&page);
        let (status, _, _) = post(
            &client,
            &session,
            "/newsroom/admin/office-email",
            &[("csrf", &token), ("person_id", &w.a), ("email", "")],
        )
        .await;
        assert_eq!(status, 403);
        assert!(!page.contains("kansli@example.se"));
        let emails = w
            .store
            .office_emails(&[w.a.as_str().into()])
            .await
            .expect("addresses");
        assert_eq!(emails.len(), 1, "unchanged");
    }
}

#[tokio::test]
async fn a_review_deadline_is_set_in_local_time_shown_and_removed() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let r = w
            .store
            .create_release(&w.drafter, DEPARTMENT, content(&w, "Stycke."))
            .await
            .expect("create");
        let session = drafter(&client, &w).await;
        let path = format!("/newsroom/releases/{}", r.id);
        let (_, page) = get(&client, &session, &path).await;
        assert!(page.contains("id=\"set-deadline\""), "{}", db.backend_name);
        let token = csrf(&page);
        // 2026-06-02 at 15:00 in Stockholm (UTC+2) is 13:00 UTC; the clock is at 07:00 UTC.
        let (status, _, _) = post(
            &client,
            &session,
            &format!("{path}/review-deadline"),
            &[("csrf", &token), ("date", "2026-06-02"), ("time", "15:00")],
        )
        .await;
        assert_eq!(status, 303);
        let deadlines = w
            .store
            .review_deadlines(std::slice::from_ref(&r.id))
            .await
            .expect("deadlines");
        assert_eq!(
            deadlines.get(&r.id).map(|at| at.to_rfc3339()),
            Some("2026-06-02T13:00:00+00:00".to_owned())
        );
        let (_, page) = get(&client, &session, &path).await;
        assert!(page.contains("id=\"review-deadline\""));
        assert!(page.contains("13:00 UTC"));
        let (status, body, _) = post(
            &client,
            &session,
            &format!("{path}/review-deadline"),
            &[("csrf", &token), ("date", "2026-06-01"), ("time", "15:00")],
        )
        .await;
        assert_eq!(status, 422, "a deadline in the past is refused");
        assert!(body.contains("There is a problem"));
        let (status, _, _) = post(
            &client,
            &session,
            &format!("{path}/review-deadline"),
            &[("csrf", &token), ("date", ""), ("time", "")],
        )
        .await;
        assert_eq!(status, 303);
        let deadlines = w
            .store
            .review_deadlines(std::slice::from_ref(&r.id))
            .await
            .expect("deadlines");
        assert!(deadlines.is_empty(), "removed");
    }
}

#[tokio::test]
async fn admins_list_make_and_revoke_api_tokens_whose_secret_is_shown_once() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let existing = w
            .store
            .create_token(&"cli".into(), grant("dana", Role::Drafter, true, None))
            .await
            .expect("a token");
        let admin = sign_in(&client, &w.store, grant("ada", Role::Admin, false, None)).await;
        let (_, page) = get(&client, &admin, "/newsroom/admin").await;
        let listed = &page[page.find("API tokens, newest first").expect("the list")..];
        assert!(
            listed.contains(&format!("id=\"token-{}\"", existing.id)),
            "{}",
            db.backend_name
        );
        assert!(
            !page.contains(&existing.token),
            "a secret is never shown again"
        );
        let token = csrf(&page);
        let (status, body, _) = post(
            &client,
            &admin,
            "/newsroom/admin/signin-links",
            &[
                ("csrf", &token),
                ("name", "Agency Feed"),
                ("role", "INTEGRATOR"),
                ("kind", "token"),
            ],
        )
        .await;
        assert_eq!(status, 200);
        let marker = "id=\"created-token\" value=\"";
        let start = body.find(marker).expect("the token is shown once") + marker.len();
        let secret = &body[start..start + 68];
        assert!(secret.starts_with("prt_"), "{secret}");
        let viewer = w
            .store
            .authenticate(secret)
            .await
            .expect("auth")
            .expect("valid");
        assert_eq!(viewer.user_name, "Agency Feed");
        let (status, _, _) = post(
            &client,
            &admin,
            &format!("/newsroom/admin/tokens/{}/revoke", existing.id),
            &[("csrf", &token)],
        )
        .await;
        assert_eq!(status, 303);
        assert!(
            w.store
                .authenticate(&existing.token)
                .await
                .expect("auth")
                .is_none(),
            "revoked at once"
        );
        let (_, page) = get(&client, &admin, "/newsroom/admin").await;
        let row = &page[page
            .find(&format!("id=\"token-{}\"", existing.id))
            .expect("still listed")..];
        let row = &row[..row.find("</tr>").expect("row end")];
        assert!(row.contains("revoked"));
        assert!(
            row.contains("<td class=\"last-used\">never</td>"),
            "never used: {row}"
        );
        let used = &page[page
            .find("<th scope=\"row\">Agency Feed</th>")
            .expect("the new token")..];
        let used = &used[..used.find("</tr>").expect("row end")];
        assert!(
            used.contains("<td class=\"last-used\"><time datetime="),
            "{}: used once: {used}",
            db.backend_name
        );
        // A drafter can do none of it.
        let session = drafter(&client, &w).await;
        let (_, page) = get(&client, &session, "/newsroom/").await;
        let drafter_token = csrf(&page);
        let (status, _, _) = post(
            &client,
            &session,
            "/newsroom/admin/signin-links",
            &[
                ("csrf", &drafter_token),
                ("name", "x"),
                ("role", "ADMIN"),
                ("kind", "token"),
            ],
        )
        .await;
        assert_eq!(status, 403);
    }
}
