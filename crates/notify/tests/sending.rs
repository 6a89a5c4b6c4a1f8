//! The mail worker against a real SMTP server on loopback (pressroom-test-support's
//! `MailServer`): a message the server refuses at first is retried after its wait and then
//! delivered once, in Swedish, as plain text and HTML with the sign-off link; and two workers
//! on one database send every message exactly once.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use pressroom_domain::content::{Block, Contact, ContentInput, ReleaseContent};
use pressroom_domain::lifecycle::Command;
use pressroom_domain::visibility::Role;
use pressroom_notify::{MailConfig, MailWorker};
use pressroom_storage::Store;
use pressroom_storage::directory::TokenGrant;
use pressroom_test_support::database::test_databases;
use pressroom_test_support::mail_server::MailServer;
use pressroom_test_support::world::TwoMinisters;

fn content(w: &TwoMinisters, title: &str) -> ReleaseContent {
    ReleaseContent::parse(ContentInput {
        language: "sv".into(),
        responsible_minister_id: Some(w.a.clone()),
        title: title.into(),
        lead: "Närmare ett hundratal deltagare möts idag.".into(),
        body: vec![Block::Paragraph {
            text: "Högnivåmötet".into(),
        }],
        contacts: vec![Contact {
            name: "Tove Kullenberg".into(),
            role: None,
            phone: Some("08-405 10 00".into()),
            mobile: None,
            email: None,
        }],
        ..ContentInput::default()
    })
    .expect("content")
}

async fn world(url: &str) -> TwoMinisters {
    let w = TwoMinisters::build(url).await;
    w.store
        .create_token(
            &"admin".into(),
            TokenGrant {
                user_name: "dana".into(),
                role: Role::Drafter,
                department: Some("miljodepartementet".into()),
                person_id: None,
                embargo_access: false,
                expires_at: None,
            },
        )
        .await
        .expect("token");
    w.store
        .set_office_email(
            &"admin".into(),
            &w.a.as_str().into(),
            Some("kansli.a@gov.example.se"),
        )
        .await
        .expect("office address");
    w
}

async fn submit(w: &TwoMinisters, title: &str) {
    let r = w
        .store
        .create_release(&w.drafter, "miljodepartementet", content(w, title))
        .await
        .expect("create");
    w.store
        .act(&w.drafter, &r.id, r.version, Command::SubmitForReview, None)
        .await
        .expect("submit");
}

fn config(server: &MailServer) -> MailConfig {
    let mut config =
        MailConfig::new(&server.url(), "Pressroom <pressroom@gov.example.se>").expect("config");
    config.attempt_timeout = Duration::from_secs(5);
    config.public_base_url = Some(
        pressroom_domain::links::PublicBaseUrl::parse("https://press.example.se").expect("url"),
    );
    config
}

#[tokio::test]
async fn a_message_the_server_refuses_at_first_is_retried_after_its_wait_and_delivered_once() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        let server = MailServer::refusing_first(1);
        let worker = MailWorker::new(w.store.clone(), config(&server)).expect("worker");
        submit(&w, "Svensk-indiskt FN-initiativ <fortsätter>").await;

        let first = worker.run_once().await.expect("round");
        assert_eq!((first.attempted, first.retrying), (1, 1), "{first:?}");
        assert_eq!(server.refused(), 1);
        let early = worker.run_once().await.expect("round");
        assert_eq!(early.attempted, 0, "nothing is due before the wait is over");

        w.clock.set(w.store.now() + chrono::Duration::seconds(30));
        let second = worker.run_once().await.expect("round");
        assert_eq!((second.attempted, second.sent), (1, 1), "{second:?}");
        let received = server.received();
        assert_eq!(received.len(), 1);
        let mail = &received[0];
        assert_eq!(mail.to, ["kansli.a@gov.example.se"]);
        let subject = mail.header("Subject").expect("subject");
        assert!(
            subject.contains("=?utf-8?") || subject.contains("Godkännande"),
            "{subject}"
        );
        assert!(
            mail.data.contains("multipart/alternative"),
            "plain text and HTML"
        );
        assert!(
            mail.data
                .contains("ber Annika Strandhälls kansli att godkänna"),
            "Swedish text"
        );
        assert!(
            mail.data.contains("&lt;fortsätter&gt;") || mail.data.contains("&#60;fortsätter&#62;"),
            "the HTML part escapes the title"
        );
        let link = mail.signoff_link().expect("a sign-off link");
        assert!(
            link.starts_with("https://press.example.se/signoff/pso_"),
            "{link}"
        );
        let record = &w.store.mail_messages(None, 10).await.expect("list")[0];
        assert_eq!(record.attempts, 2);
        assert_eq!(
            worker.run_once().await.expect("round").attempted,
            0,
            "sent once"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn two_workers_on_one_database_send_every_message_exactly_once() {
    for db in test_databases().await {
        let w = world(&db.url).await;
        let server = MailServer::start();
        let other_store = Store::connect(&db.url)
            .await
            .expect("a second connection")
            .with_clock(Arc::new(w.clock.clone()));
        let mut one = config(&server);
        one.concurrency = 2;
        let two = one.clone();
        let first = MailWorker::new(w.store.clone(), one).expect("worker");
        let second = MailWorker::new(other_store, two).expect("worker");
        for n in 0..12 {
            submit(&w, &format!("Pressmeddelande nummer {n}")).await;
        }
        let mut rounds = 0;
        while w.store.mail_counts().await.expect("counts").pending > 0 {
            let (a, b) = tokio::join!(first.run_once(), second.run_once());
            a.expect("first worker");
            b.expect("second worker");
            rounds += 1;
            assert!(rounds < 50, "the queue does not drain");
        }
        let received = server.received();
        assert_eq!(received.len(), 12, "every message once");
        let ids: BTreeSet<String> = received
            .iter()
            .map(|m| m.header("Message-ID").expect("message id"))
            .collect();
        assert_eq!(ids.len(), 12, "no message twice");
        db.cleanup().await;
    }
}
