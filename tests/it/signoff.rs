//! Sign-off by link (docs/api.md, "Sign-off links"): a minister's office without an account
//! approves from a link. Created over GraphQL, the page fetched and answered with a plain form
//! POST as a browser without JavaScript would, the approval seen in `approvals` and in the audit
//! log; and every way a link dies refused with nothing changed.

use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::fixture::{Ministry, quote, with_block};
use crate::graphql::{approval_of, assert_state, id, version};
use crate::harness::{TestApp, for_each_backend, spawn_app};

const CREATE_LINK: &str = "mutation CreateLink($releaseId: ID!, $expectedVersion: Int!, \
    $personId: ID!, $signer: String!, $expiresInHours: Int) {
  createSignoffLink(releaseId: $releaseId, expectedVersion: $expectedVersion, personId: $personId,
      signer: $signer, expiresInHours: $expiresInHours) {
    url
    link { id releaseId signer revision expiresAt answeredAt answer revokedAt status person { id name } }
  }
}";

const LINKS: &str = "query Links($releaseId: ID!) {
  signoffLinks(releaseId: $releaseId) { id signer revision answer answeredAt revokedAt status }
}";

const REVOKE_LINK: &str =
    "mutation Revoke($id: ID!) { revokeSignoffLink(id: $id) { id status revokedAt } }";

const QUOTE_B: &str = "Fossilfritt stål visar att omställningen redan är här – nu gäller det att \
                       bygga ut elnäten i samma takt.";

/// A release of the example in review that needs the responsible minister's office and the
/// office of a second, quoted minister (who has no account); returns it and that minister's id.
async fn in_review_with_second_minister(app: &TestApp, ministry: &Ministry) -> (Value, String) {
    let minister_b = app
        .create_person(
            "Khashayar Farmanbar",
            "energi- och digitaliseringsminister",
            Some(&ministry.department),
        )
        .await["id"]
        .as_str()
        .expect("person id")
        .to_owned();
    let input = with_block(&ministry.release_input(), 3, quote(&minister_b, QUOTE_B));
    let draft = app.create_release(&ministry.drafter, &input).await;
    let in_review = app.submit_for_review(&ministry.drafter, &draft).await;
    assert_state(app, &in_review, "IN_REVIEW");
    (in_review, minister_b)
}

async fn create_link(app: &TestApp, token: &str, release: &Value, person: &str) -> Value {
    app.data(
        Some(token),
        CREATE_LINK,
        json!({
            "releaseId": id(release),
            "expectedVersion": version(release),
            "personId": person,
            "signer": "Olle Rådgivare",
        }),
    )
    .await["createSignoffLink"]
        .clone()
}

async fn get_page(app: &TestApp, url: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = app
        .client
        .get(format!("{}{url}", app.base_url))
        .send()
        .await
        .expect("GET the sign-off page");
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.expect("body"))
}

async fn post_answer(app: &TestApp, url: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let response = app
        .client
        .post(format!("{}{url}", app.base_url))
        .form(form)
        .send()
        .await
        .expect("POST the answer");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

async fn audit_count(app: &TestApp) -> usize {
    app.audit_entries(&app.admin_token, None).await.len()
}

#[tokio::test]
async fn an_office_without_an_account_approves_from_a_link_and_the_link_then_dies() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let backend = app.backend;
        let (release, minister_b) = in_review_with_second_minister(&app, &ministry).await;

        let created = create_link(&app, &ministry.drafter, &release, &minister_b).await;
        let url = created["url"].as_str().expect("url").to_owned();
        assert!(
            url.starts_with("/signoff/pso_") && url.len() == "/signoff/pso_".len() + 64,
            "[{backend}] a relative URL with a 256-bit token: {created:#}"
        );
        let link = &created["link"];
        assert_eq!(
            (&link["status"], &link["revision"], &link["person"]["id"]),
            (&json!("WAITING"), &release["revision"], &json!(minister_b)),
            "[{backend}] {created:#}"
        );

        let (status, headers, page) = get_page(&app, &url).await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {page}");
        for (name, value) in [
            ("cache-control", "no-store"),
            ("referrer-policy", "no-referrer"),
            ("x-robots-tag", "noindex, nofollow"),
        ] {
            assert_eq!(
                headers.get(name).and_then(|v| v.to_str().ok()),
                Some(value),
                "[{backend}] {name}"
            );
        }
        assert!(
            headers.get("set-cookie").is_none(),
            "[{backend}] no cookies"
        );
        let title = release["title"].as_str().expect("title");
        assert!(
            page.contains(title),
            "[{backend}] the whole release is shown"
        );
        assert!(
            page.contains("quote marked") && page.contains("Olle Rådgivare"),
            "[{backend}] the office's quotes are marked and the signer named: {page}"
        );
        assert!(!page.contains("<script"), "[{backend}] no script needed");
        assert!(page.contains(r#"name="robots" content="noindex"#));

        let (status, thanks) = post_answer(&app, &url, &[("answer", "approve")]).await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {thanks}");
        assert!(
            thanks.contains("godkännande är registrerat") && thanks.contains(title),
            "[{backend}] the thank-you page repeats what was recorded: {thanks}"
        );

        let after = app
            .release_for_staff(&ministry.drafter, id(&release))
            .await
            .expect("visible to the drafter");
        let approval = approval_of(&after, &minister_b);
        assert_eq!(
            (&approval["status"], &approval["by"]),
            (&json!("APPROVED"), &json!("Olle Rådgivare")),
            "[{backend}] {after:#}"
        );
        assert_state(&app, &after, "IN_REVIEW");
        let entries = app
            .audit_entries(&app.admin_token, Some(id(&release)))
            .await;
        let approved = entries
            .iter()
            .find(|e| e["action"] == "approveRelease")
            .unwrap_or_else(|| panic!("[{backend}] no approval in the audit log: {entries:#?}"));
        assert_eq!(approved["actor"], "Olle Rådgivare", "[{backend}]");
        let details = approved["details"].to_string();
        assert!(
            details.contains(link["id"].as_str().expect("link id")),
            "[{backend}] the audit entry names the link: {details}"
        );
        assert!(
            entries
                .iter()
                .all(|e| !e.to_string().contains(&url["/signoff/pso_".len()..])),
            "[{backend}] the token is never in the audit log"
        );
        let links = app
            .data(
                Some(&ministry.editor),
                LINKS,
                json!({ "releaseId": id(&release) }),
            )
            .await;
        assert_eq!(
            links["signoffLinks"][0]["status"], "ANSWERED",
            "[{backend}] {links:#}"
        );
        assert_eq!(links["signoffLinks"][0]["answer"], "APPROVED");

        // Used twice: refused with nothing changed, and nothing of the release shown.
        let before = audit_count(&app).await;
        let (status, again) = post_answer(&app, &url, &[("answer", "approve")]).await;
        assert_eq!(status, StatusCode::GONE, "[{backend}] {again}");
        assert!(!again.contains(title), "[{backend}] {again}");
        let (status, _, dead_page) = get_page(&app, &url).await;
        assert_eq!(status, StatusCode::GONE);
        assert!(!dead_page.contains(title) && !dead_page.contains(QUOTE_B));
        assert_eq!(audit_count(&app).await, before, "[{backend}]");

        // The responsible minister's office approves with its token: the release is approved.
        let current = app
            .release_for_staff(&ministry.drafter, id(&release))
            .await
            .expect("visible");
        let approved = app.approve(&ministry.office, &current).await;
        assert_state(&app, &approved, "APPROVED");
        let verified = app.audit_verify().await;
        assert!(verified.status.success(), "[{backend}] {verified:?}");
    })
    .await;
}

#[tokio::test]
async fn creating_a_link_is_refused_with_the_contracts_codes() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let (release, minister_b) = in_review_with_second_minister(&app, &ministry).await;
        let draft = app
            .create_release(&ministry.drafter, &ministry.release_input())
            .await;
        let vars = |release: &Value, person: &str, version: i64| {
            json!({
                "releaseId": id(release),
                "expectedVersion": version,
                "personId": person,
                "signer": "Olle",
            })
        };
        let v = version(&release);
        for (token, variables, code) in [
            (
                &ministry.office,
                vars(&release, &minister_b, v),
                "FORBIDDEN",
            ),
            (
                &ministry.integrator,
                vars(&release, &minister_b, v),
                "NOT_FOUND",
            ),
            (
                &ministry.drafter,
                vars(&draft, &minister_b, version(&draft)),
                "INVALID_TRANSITION",
            ),
            (
                &ministry.drafter,
                vars(&release, "no-such-person", v),
                "VALIDATION",
            ),
            (
                &ministry.drafter,
                vars(&release, &minister_b, v - 1),
                "VERSION_CONFLICT",
            ),
        ] {
            app.expect_error(Some(token), CREATE_LINK, variables, &[code])
                .await;
        }
        assert_eq!(
            app.error_code(None, CREATE_LINK, vars(&release, &minister_b, v))
                .await,
            "UNAUTHENTICATED"
        );
        let links = app
            .data(
                Some(&ministry.drafter),
                LINKS,
                json!({ "releaseId": id(&release) }),
            )
            .await;
        assert_eq!(
            links["signoffLinks"],
            json!([]),
            "[{}] nothing was created",
            app.backend
        );
        app.expect_error(
            Some(&ministry.office),
            LINKS,
            json!({ "releaseId": id(&release) }),
            &["FORBIDDEN"],
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn revoked_expired_outdated_and_unknown_links_are_refused_and_change_nothing() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let backend = app.backend;
        let (release, minister_b) = in_review_with_second_minister(&app, &ministry).await;
        let title = release["title"].as_str().expect("title").to_owned();

        let revoked = create_link(&app, &ministry.drafter, &release, &minister_b).await;
        let expired = create_link(&app, &ministry.drafter, &release, &minister_b).await;
        let outdated = create_link(&app, &ministry.drafter, &release, &minister_b).await;

        let answer = app
            .data(
                Some(&ministry.editor),
                REVOKE_LINK,
                json!({ "id": revoked["link"]["id"] }),
            )
            .await;
        assert_eq!(
            answer["revokeSignoffLink"]["status"], "REVOKED",
            "[{backend}]"
        );

        // Time cannot be moved in a real process: the link's expiry is moved into the past in
        // the database instead, which is what an hour passing would do.
        let db = Database::connect(&app.database_url)
            .await
            .expect("connect to the test database");
        db.execute_unprepared(&format!(
            "UPDATE signoff_links SET expires_at = 0 WHERE id = '{}'",
            expired["link"]["id"].as_str().expect("id")
        ))
        .await
        .expect("expire the link");
        db.close().await.expect("close");

        let edited = app
            .update_release(
                &ministry.drafter,
                &release,
                &with_block(&ministry.release_input(), 3, quote(&minister_b, QUOTE_B))
                    .as_object()
                    .map(|o| {
                        let mut o = o.clone();
                        o.insert("lead".into(), json!("En ny ingress."));
                        Value::Object(o)
                    })
                    .expect("input"),
            )
            .await;
        assert_eq!(edited["revision"], json!(2), "[{backend}] {edited:#}");

        let before = audit_count(&app).await;
        for link in [&revoked, &expired, &outdated] {
            let url = link["url"].as_str().expect("url");
            let (status, _, page) = get_page(&app, url).await;
            assert_eq!(status, StatusCode::GONE, "[{backend}] {page}");
            assert!(
                !page.contains(&title) && !page.contains(QUOTE_B),
                "[{backend}] {page}"
            );
            for form in [
                &[("answer", "approve")][..],
                &[("answer", "request_changes"), ("comment", "Nej.")][..],
            ] {
                let (status, page) = post_answer(&app, url, form).await;
                assert_eq!(status, StatusCode::GONE, "[{backend}] {page}");
            }
        }
        let unknown = format!("/signoff/pso_{}", "a".repeat(64));
        assert_eq!(get_page(&app, &unknown).await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            post_answer(&app, &unknown, &[("answer", "approve")])
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            audit_count(&app).await,
            before,
            "[{backend}] no refused answer wrote anything"
        );
        let after = app
            .release_for_staff(&ministry.drafter, id(&release))
            .await
            .expect("visible");
        assert_eq!(
            version(&after),
            version(&edited),
            "[{backend}] nothing changed"
        );
        let links = app
            .data(
                Some(&ministry.drafter),
                LINKS,
                json!({ "releaseId": id(&release) }),
            )
            .await;
        let statuses: Vec<&str> = links["signoffLinks"]
            .as_array()
            .expect("links")
            .iter()
            .filter_map(|l| l["status"].as_str())
            .collect();
        assert_eq!(statuses, ["REVOKED", "OUTDATED", "OUTDATED"], "[{backend}]");
    })
    .await;
}

#[tokio::test]
async fn a_request_for_changes_from_a_link_needs_a_comment_and_sends_the_release_back() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let backend = app.backend;
        let (release, minister_b) = in_review_with_second_minister(&app, &ministry).await;
        let link = create_link(&app, &ministry.drafter, &release, &minister_b).await;
        let url = link["url"].as_str().expect("url");

        let (status, page) = post_answer(
            &app,
            url,
            &[("answer", "request_changes"), ("comment", "  ")],
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{backend}] {page}");
        assert!(
            page.contains("Det finns ett problem") && page.contains("href=\"#comment\""),
            "[{backend}] an error summary linking to the field: {page}"
        );

        let comment = "Byt ”axla” mot ”ta” i citatet.";
        let (status, page) = post_answer(
            &app,
            url,
            &[("answer", "request_changes"), ("comment", comment)],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {page}");
        assert!(page.contains(comment), "[{backend}] {page}");
        let after = app
            .release_for_staff(&ministry.drafter, id(&release))
            .await
            .expect("visible");
        assert_state(&app, &after, "DRAFT");
        let entries = app
            .audit_entries(&app.admin_token, Some(id(&release)))
            .await;
        let sent_back = entries
            .iter()
            .find(|e| e["action"] == "requestChanges")
            .unwrap_or_else(|| panic!("[{backend}] {entries:#?}"));
        assert_eq!(sent_back["actor"], "Olle Rådgivare");
        assert!(sent_back["details"].to_string().contains("Byt"));
    })
    .await;
}

#[tokio::test]
async fn with_a_public_base_url_sign_off_urls_and_feed_links_are_absolute() {
    for_each_backend(|backend| async move {
        let base = "https://press.example.se";
        let app = crate::harness::spawn_app_with(backend, &["--public-base-url", base]).await;
        let ministry = app.setup_ministry().await;
        let backend = app.backend;
        let (release, minister_b) = in_review_with_second_minister(&app, &ministry).await;
        let created = create_link(&app, &ministry.drafter, &release, &minister_b).await;
        let url = created["url"].as_str().expect("url");
        assert!(
            url.starts_with(&format!("{base}/signoff/pso_")),
            "[{backend}] {created:#}"
        );
        // The page itself is served here, whatever address readers reach it at.
        let (status, _, _) = get_page(&app, &url[base.len()..]).await;
        assert_eq!(status, StatusCode::OK, "[{backend}]");

        let published =
            crate::fixture::approved_release(&app, &ministry, &ministry.release_input()).await;
        let published = app.publish_now(&ministry.editor, &published).await;
        assert_state(&app, &published, "PUBLISHED");
        let feed = app
            .client
            .get(format!("{}/feeds/releases.atom", app.base_url))
            .send()
            .await
            .expect("feed")
            .text()
            .await
            .expect("body");
        let slug = published["slug"].as_str().expect("slug");
        for href in [
            format!(r#"href="{base}/feeds/releases.atom""#),
            format!(r#"href="{base}/releases/{slug}""#),
            format!(r#"href="{base}/releases/{slug}.json""#),
        ] {
            assert!(feed.contains(&href), "[{backend}] {href} in {feed}");
        }
    })
    .await;
}
