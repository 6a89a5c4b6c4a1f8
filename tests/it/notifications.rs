//! Notifications by e-mail (docs/api.md, "Notifications") on the real binary, against a real
//! SMTP server on loopback: an admin sets the addresses; submitting a release sends the
//! responsible minister's office a sign-off request with a fresh link; answering from that link
//! approves the release, and its author and the department's editors get "all sign-offs in".
//! Addresses are for admins only.

use std::time::Duration;

use pressroom_test_support::mail_server::{MailServer, ReceivedMail};
use serde_json::{Value, json};

use crate::graphql::{assert_state, id};
use crate::harness::{TestApp, for_each_backend, spawn_app_with};

const SET_OFFICE_EMAIL: &str = "mutation SetOffice($personId: ID!, $email: String) {
  setOfficeEmail(personId: $personId, email: $email)
}";

const SET_USER_EMAIL: &str = "mutation SetUser($userName: String!, $email: String) {
  setUserEmail(userName: $userName, email: $email) { userName email }
}";

const PEOPLE: &str = "query { people { id officeEmail } }";

const MAIL_MESSAGES: &str = "query Mail($releaseId: ID) {
  mailMessages(releaseId: $releaseId) { id recipient kind releaseId language status attempts lastError }
}";

/// How long the worker may take to send (it polls every half second).
const MAIL_WAIT: Duration = Duration::from_secs(20);

/// A server with mail on, sending through `server`.
async fn app_with_mail(
    backend: pressroom_test_support::database::Backend,
    server: &MailServer,
) -> TestApp {
    let config = std::env::temp_dir().join(format!("pressroom-mail-{}.toml", uuid::Uuid::new_v4()));
    std::fs::write(
        &config,
        format!(
            "smtp_url = \"{}\"\nmail_from = \"Pressroom <pressroom@gov.example.se>\"\n",
            server.url()
        ),
    )
    .expect("write the configuration file");
    let config = config.to_str().expect("a UTF-8 temporary path").to_owned();
    spawn_app_with(backend, &["--no-scheduler", "--config", &config]).await
}

fn to(mails: &[ReceivedMail], address: &str) -> Vec<ReceivedMail> {
    mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t == address))
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_sign_off_request_by_e_mail_leads_through_the_link_to_all_sign_offs_in() {
    for_each_backend(|backend| async move {
        let server = MailServer::start();
        let app = app_with_mail(backend, &server).await;
        let ministry = app.setup_ministry().await;
        let admin = Some(app.admin_token.as_str());

        // Addresses: admins only, checked like contact e-mails.
        app.data(
            admin,
            SET_OFFICE_EMAIL,
            json!({"personId": ministry.minister_id, "email": "kansli@gov.example.se"}),
        )
        .await;
        for user in ["drafter", "editor"] {
            let set = app
                .data(
                    admin,
                    SET_USER_EMAIL,
                    json!({"userName": user, "email": format!("{user}@gov.example.se")}),
                )
                .await;
            assert_eq!(
                set["setUserEmail"]["email"],
                format!("{user}@gov.example.se")
            );
        }
        let refused = app
            .gql(
                admin,
                SET_USER_EMAIL,
                json!({"userName": "drafter", "email": "not an address"}),
            )
            .await;
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "VALIDATION",
            "{refused}"
        );
        assert_eq!(
            refused["errors"][0]["extensions"]["field"], "email",
            "{refused}"
        );
        let forbidden = app
            .error_code(
                Some(&ministry.drafter),
                SET_USER_EMAIL,
                json!({"userName": "drafter", "email": "d@gov.example.se"}),
            )
            .await;
        assert_eq!(forbidden, "FORBIDDEN");
        let office_email = |people: &Value| {
            people["people"]
                .as_array()
                .expect("people")
                .iter()
                .find(|p| p["id"] == ministry.minister_id.as_str())
                .map(|p| p["officeEmail"].clone())
        };
        assert_eq!(
            office_email(&app.data(admin, PEOPLE, json!({})).await),
            Some(json!("kansli@gov.example.se"))
        );
        assert_eq!(
            office_email(&app.data(Some(&ministry.drafter), PEOPLE, json!({})).await),
            Some(Value::Null),
            "addresses are never shown to other roles"
        );

        // Submit: the office gets a sign-off request with a link to this revision.
        let draft = app
            .create_release(&ministry.drafter, &ministry.release_input())
            .await;
        let in_review = app.submit_for_review(&ministry.drafter, &draft).await;
        let received = server.wait_for(1, MAIL_WAIT).await;
        let requests = to(&received, "kansli@gov.example.se");
        assert_eq!(
            requests.len(),
            1,
            "{received:#?}\n{}",
            app.server_log_tail()
        );
        let request = &requests[0];
        assert!(
            request.data.contains("Godkännande begärs"),
            "{}",
            request.data
        );
        assert!(request.data.contains("drafter"), "who asked");
        assert!(request.data.contains("text/html"), "an HTML part");
        let link = request.signoff_link().expect("a sign-off link");
        assert!(link.starts_with("/signoff/pso_"), "{link}");

        // The link works, and answering it is the office's approval.
        let page = app
            .client
            .get(format!("{}{link}", app.base_url))
            .send()
            .await
            .expect("GET the sign-off page");
        assert_eq!(page.status(), 200);
        let answered = app
            .client
            .post(format!("{}{link}", app.base_url))
            .form(&[("answer", "approve")])
            .send()
            .await
            .expect("POST the answer");
        assert_eq!(answered.status(), 200);
        let thanks = answered.text().await.expect("body");
        assert!(!thanks.contains("There is a problem"), "{thanks}");
        let approved = app
            .release(Some(&ministry.drafter), id(&in_review))
            .await
            .expect("visible");
        assert_state(&app, &approved, "APPROVED");

        // All sign-offs in: to the author and the department's editors, once each.
        let received = server.wait_for(3, MAIL_WAIT).await;
        for user in ["drafter", "editor"] {
            let mails = to(&received, &format!("{user}@gov.example.se"));
            assert_eq!(mails.len(), 1, "{user}: {received:#?}");
            assert!(
                mails[0].data.contains("Alla godkännanden är klara"),
                "{}",
                mails[0].data
            );
        }
        assert_eq!(received.len(), 3, "nothing else, nothing twice");

        // The record, for admins.
        tokio::time::sleep(Duration::from_millis(700)).await;
        let record = app
            .data(admin, MAIL_MESSAGES, json!({"releaseId": id(&in_review)}))
            .await;
        let messages = record["mailMessages"].as_array().expect("messages");
        assert_eq!(messages.len(), 3, "{record}");
        assert!(
            messages
                .iter()
                .all(|m| m["status"] == "SENT" && m["attempts"] == 1),
            "{record}"
        );
        assert!(messages.iter().any(|m| m["kind"] == "SIGNOFF_REQUEST"
            && m["recipient"] == "kansli@gov.example.se"
            && m["language"] == "sv"));
        let forbidden = app
            .error_code(Some(&ministry.editor), MAIL_MESSAGES, json!({}))
            .await;
        assert_eq!(forbidden, "FORBIDDEN");
    })
    .await;
}
