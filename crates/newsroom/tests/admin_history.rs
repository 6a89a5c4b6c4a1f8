//! The admin page and the history page, driven through the newsroom's own routes with poem's
//! test client on every available database: who may open them, what they show in words, the
//! sign-in link form (CSRF, shown once, revoking), the 404 of a release the user may not see,
//! and a history that costs the same number of SQL statements whatever its length.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Duration;
use pressroom_domain::lifecycle::Command;
use pressroom_domain::visibility::{Role, Viewer};
use pressroom_storage::Store;
use pressroom_storage::audit::Verification;
use pressroom_storage::deliveries::AttemptOutcome;
use pressroom_storage::pagination::PageRequest;
use pressroom_storage::releases::StoredRelease;
use pressroom_storage::sessions::{SigninLink, SigninLinkStatus};
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::{DEPARTMENT, TwoMinisters};

use support::{client, content, csrf, escaped, get, grant, post, sign_in};

async fn signin_links(store: &Store) -> Vec<SigninLink> {
    store
        .signin_links(&PageRequest::new(Some(100), None).expect("a page"))
        .await
        .expect("list sign-in links")
        .items
        .into_iter()
        .map(|(_, link)| link)
        .collect()
}

async fn act(w: &TwoMinisters, who: &Viewer, r: &StoredRelease, command: Command) -> StoredRelease {
    w.store
        .act(who, &r.id, r.version, command, None)
        .await
        .expect("the step is allowed")
}

/// A release with `revisions` revisions, still a draft.
async fn draft_with_revisions(w: &TwoMinisters, revisions: usize) -> StoredRelease {
    let mut r = w
        .store
        .create_release(
            &w.drafter,
            DEPARTMENT,
            content(w, "Högnivåmötet i Stockholm samlar länderna"),
        )
        .await
        .expect("create");
    for n in 2..=revisions {
        w.clock.set(w.store.now() + Duration::minutes(1));
        let text = format!("Högnivåmötet i Stockholm samlar {n} länder");
        r = act(w, &w.drafter, &r, Command::Update(content(w, &text))).await;
    }
    r
}

#[tokio::test]
async fn the_admin_page_shows_the_chain_and_makes_shows_once_and_revokes_sign_in_links() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let admin = sign_in(&client, &w.store, grant("ada", Role::Admin, false, None)).await;

        let (status, page) = get(&client, &admin, "/newsroom/admin").await;
        assert_eq!(status, 200, "{page}");
        let Verification::Intact { entries, head } =
            w.store.verify_audit_chain().await.expect("verify")
        else {
            panic!("a fresh chain is intact");
        };
        assert!(
            page.contains(&format!("ok: {entries} entries, head {head}")),
            "the chain's status as `pressroom audit verify` prints it: {page}"
        );
        assert!(
            page.contains("Miljödepartementet"),
            "departments are listed"
        );
        assert!(
            page.contains(&escaped("Annika Strandhäll")),
            "people are listed"
        );
        assert!(page.contains("No webhook endpoints are registered."));

        // An endpoint with a failed delivery of a published release.
        let (endpoint, _secret) = w
            .store
            .create_webhook_endpoint(
                &"ada".into(),
                "https://hooks.example.org/pressroom",
                &["release.published".to_owned()],
            )
            .await
            .expect("an endpoint");
        let r = draft_with_revisions(&w, 1).await;
        let r = act(&w, &w.drafter, &r, Command::SubmitForReview).await;
        let r = act(&w, &w.office_a, &r, Command::Approve).await;
        let r = act(&w, &w.office_b, &r, Command::Approve).await;
        act(&w, &w.editor, &r, Command::PublishNow).await;
        w.store.enqueue_webhook_jobs(100).await.expect("fan out");
        let claimed = w
            .store
            .claim_webhook_jobs(10, std::time::Duration::from_secs(60), 5)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 1, "one job for one endpoint");
        w.store
            .record_webhook_attempt(
                &claimed[0],
                AttemptOutcome {
                    at: w.store.now(),
                    status: Some(503),
                    succeeded: false,
                },
                None,
            )
            .await
            .expect("record the attempt");
        let (_, page) = get(&client, &admin, "/newsroom/admin").await;
        assert!(
            page.contains(&format!("id=\"endpoint-{}\"", endpoint.id)),
            "{page}"
        );
        assert!(page.contains("https://hooks.example.org/pressroom"));
        assert!(
            page.contains("refused (HTTP 503)"),
            "the delivery and its outcome: {page}"
        );

        // Creating a link shows its URL once and lists it.
        let token = csrf(&page);
        let (status, created, _) = post(
            &client,
            &admin,
            "/newsroom/admin/signin-links",
            &[
                ("csrf", &token),
                ("name", "Tove Office"),
                ("role", "MINISTER_OFFICE"),
                ("department", ""),
                ("person", &w.a),
            ],
        )
        .await;
        assert_eq!(status, 200, "{created}");
        assert!(created.contains("Sign-in link created"), "{created}");
        let start = created
            .find("/newsroom/signin/psi_")
            .expect("the URL, shown once");
        let url = &created[start..start + "/newsroom/signin/psi_".len() + 64];
        assert!(created.contains("Tove Office"));
        assert!(created.contains(&escaped("minister's office for Annika Strandhäll")));
        let links = signin_links(&w.store).await;
        let made = links
            .iter()
            .find(|l| l.user_name == "Tove Office")
            .expect("the link is stored");
        assert_eq!(made.role, Role::MinisterOffice);
        assert_eq!(made.person_id.as_deref(), Some(w.a.as_str()));
        assert_eq!(made.created_by, "ada", "issued by the signed-in admin");

        // The page never shows it again, and the URL signs its user in.
        let (_, again) = get(&client, &admin, "/newsroom/admin").await;
        assert!(!again.contains(url), "the URL is shown only once");
        assert!(!again.contains("Sign-in link created"));
        let opened = client.get(url).send().await;
        opened.assert_status(poem::http::StatusCode::SEE_OTHER);

        // A refused form keeps what was typed and says what to do.
        let (status, refused, _) = post(
            &client,
            &admin,
            "/newsroom/admin/signin-links",
            &[
                ("csrf", &token),
                ("name", "Dana Drafter"),
                ("role", "DRAFTER"),
                ("department", ""),
                ("person", ""),
            ],
        )
        .await;
        assert_eq!(status, 422, "{refused}");
        assert!(refused.contains("<title>Error: "), "{refused}");
        assert!(refused.contains("There is a problem"));
        assert!(refused.contains("href=\"#link-department\""));
        assert!(
            refused.contains("value=\"Dana Drafter\""),
            "what was typed is kept"
        );

        // Revoking an unused link.
        let spare = w
            .store
            .create_signin_link(&"cli".into(), grant("Spare", Role::Editor, true, None))
            .await
            .expect("a spare link");
        let (_, listed) = get(&client, &admin, "/newsroom/admin").await;
        assert!(listed.contains(&format!(
            "/newsroom/admin/signin-links/{}/revoke",
            spare.link.id
        )));
        assert!(
            !listed.contains(&format!("/newsroom/admin/signin-links/{}/revoke", made.id)),
            "a used link has no revoke button"
        );
        let (status, _, location) = post(
            &client,
            &admin,
            &format!("/newsroom/admin/signin-links/{}/revoke", spare.link.id),
            &[("csrf", &csrf(&listed))],
        )
        .await;
        assert_eq!(status, 303);
        assert_eq!(location.as_deref(), Some("/newsroom/admin"));
        let links = signin_links(&w.store).await;
        let revoked = links
            .iter()
            .find(|l| l.id == spare.link.id)
            .expect("listed");
        assert_eq!(revoked.status, SigninLinkStatus::Revoked);
        assert_eq!(revoked.revoked_by.as_deref(), Some("ada"));
        w.store.close().await.expect("close");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn only_admins_open_the_admin_page_and_a_form_without_its_csrf_token_changes_nothing() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let editor = sign_in(&client, &w.store, grant("erik", Role::Editor, true, None)).await;
        let (status, page) = get(&client, &editor, "/newsroom/admin").await;
        assert_eq!(status, 403, "{page}");
        assert!(page.contains("For admins only"));
        let (_, work) = get(&client, &editor, "/newsroom/").await;
        let before = signin_links(&w.store).await.len();
        let (status, _, _) = post(
            &client,
            &editor,
            "/newsroom/admin/signin-links",
            &[
                ("csrf", &csrf(&work)),
                ("name", "Mallory"),
                ("role", "ADMIN"),
            ],
        )
        .await;
        assert_eq!(status, 403, "an editor with a valid token is still refused");
        assert_eq!(signin_links(&w.store).await.len(), before);

        let admin = sign_in(&client, &w.store, grant("ada", Role::Admin, false, None)).await;
        let before = signin_links(&w.store).await.len();
        let seq = w.store.audit_seq().await.expect("seq");
        let (status, refused, _) = post(
            &client,
            &admin,
            "/newsroom/admin/signin-links",
            &[("name", "Mallory"), ("role", "ADMIN")],
        )
        .await;
        assert_eq!(status, 403, "{refused}");
        let (status, _, _) = post(
            &client,
            &admin,
            "/newsroom/admin/signin-links",
            &[("csrf", "00"), ("name", "Mallory"), ("role", "ADMIN")],
        )
        .await;
        assert_eq!(status, 403, "a wrong token is no token");
        assert_eq!(
            signin_links(&w.store).await.len(),
            before,
            "nothing created"
        );
        assert_eq!(
            w.store.audit_seq().await.expect("seq"),
            seq,
            "nothing audited"
        );
        w.store.close().await.expect("close");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_history_tells_every_step_in_words_with_the_words_each_revision_changed() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let r = draft_with_revisions(&w, 2).await;
        let r = act(&w, &w.drafter, &r, Command::SubmitForReview).await;
        w.clock.set(w.store.now() + Duration::minutes(10));
        let r = act(
            &w,
            &w.office_b,
            &r,
            Command::RequestChanges("Skriv \"länder\" i stället <för> siffran".into()),
        )
        .await;
        let r = act(
            &w,
            &w.drafter,
            &r,
            Command::Update(content(&w, "Högnivåmötet i Stockholm samlar många länder")),
        )
        .await;
        let r = act(&w, &w.drafter, &r, Command::SubmitForReview).await;
        w.clock.set(w.store.now() + Duration::minutes(1));
        let r = act(&w, &w.office_a, &r, Command::Approve).await;
        let r = act(&w, &w.office_b, &r, Command::Approve).await;
        let until = chrono::DateTime::parse_from_rfc3339("2026-06-09T07:00:00Z")
            .expect("an instant")
            .to_utc();
        let r = act(&w, &w.editor, &r, Command::Schedule(until)).await;
        w.clock.set(until + Duration::milliseconds(2_549));
        let published = w
            .store
            .publish_due(10)
            .await
            .expect("the scheduler's batch");
        assert_eq!(published.published.len(), 1, "published at the instant");

        let editor = sign_in(&client, &w.store, grant("erik", Role::Editor, true, None)).await;
        let (status, page) = get(
            &client,
            &editor,
            &format!("/newsroom/releases/{}/history", r.id),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        let nbsp = '\u{a0}';
        for words in [
            "dana created the release as revision 1".to_owned(),
            "dana saved changes as revision 2".to_owned(),
            "dana sent revision 2 for review".to_owned(),
            "bosse asked for changes to revision 2".to_owned(),
            "dana saved changes as revision 3".to_owned(),
            format!(
                "anna approved revision 3 for the office of {}",
                escaped("Annika Strandhäll")
            ),
            "bosse approved revision 3 for the office of Bo Berg".to_owned(),
            "erik scheduled revision 3 to be published at the embargo instant".to_owned(),
            "The scheduler published revision 3 at the embargo instant".to_owned(),
            "<dt>Lateness</dt><dd>2.5 seconds after the embargo instant</dd>".to_owned(),
        ] {
            assert!(page.contains(&words), "{words} in {page}");
        }
        assert!(
            page.contains(&format!("on <time datetime=\"2026-06-02T09:12:00+02:00\">2{nbsp}June 2026 at 09:12 CEST</time>")),
            "the approval's instant in the department's zone: {page}"
        );
        assert!(
            page.contains(&escaped("Skriv \"länder\" i stället <för> siffran")),
            "the comment, escaped: {page}"
        );
        assert!(
            page.contains("was in review, now a draft"),
            "the state change in words"
        );
        assert!(
            page.contains(
                "9\u{a0}June 2026 at 09:00 CEST</time> (Stockholm, UTC+02:00; 2026-06-09 07:00 UTC)"
            ),
            "the embargo with its zone and in UTC: {page}"
        );
        // Revision 2 replaced "länderna" with "2 länder"; revision 3 "2" with "många".
        assert!(
            page.contains("What revision 2 changed from revision 1"),
            "{page}"
        );
        assert!(page.contains("<del>länderna</del>"), "{page}");
        assert!(page.contains("<ins>2"), "{page}");
        assert!(page.contains("<del>2"), "{page}");
        assert!(
            page.contains(&format!("<ins>{}</ins>", escaped("många"))),
            "{page}"
        );
        assert!(
            !page.contains("What revision 1 changed"),
            "revision 1 has no predecessor"
        );
        w.store.close().await.expect("close");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_history_of_a_release_the_user_may_not_see_is_the_same_404_as_an_unknown_one() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        let draft = draft_with_revisions(&w, 1).await;
        let office = sign_in(
            &client,
            &w.store,
            grant("bosse", Role::MinisterOffice, false, Some(&w.b)),
        )
        .await;
        let (status, hidden) = get(
            &client,
            &office,
            &format!("/newsroom/releases/{}/history", draft.id),
        )
        .await;
        let (unknown_status, unknown) = get(
            &client,
            &office,
            "/newsroom/releases/0190a0a0-0000-7000-8000-000000000000/history",
        )
        .await;
        assert_eq!(status, 404, "a draft is not the office's to see");
        assert_eq!((status, hidden), (unknown_status, unknown));

        // A published release anyone may read, whose trail this office may not: said politely.
        let person = w
            .store
            .create_person(&"admin".into(), "Carl Cederberg", "finansminister", None)
            .await
            .expect("a third minister");
        let r = act(&w, &w.drafter, &draft, Command::SubmitForReview).await;
        let r = act(&w, &w.office_a, &r, Command::Approve).await;
        let r = act(&w, &w.office_b, &r, Command::Approve).await;
        let r = act(&w, &w.editor, &r, Command::PublishNow).await;
        let other = sign_in(
            &client,
            &w.store,
            grant("cissi", Role::MinisterOffice, false, Some(&person.id)),
        )
        .await;
        let (status, page) = get(
            &client,
            &other,
            &format!("/newsroom/releases/{}/history", r.id),
        )
        .await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("id=\"history-hidden\""), "{page}");
        assert!(!page.contains("dana"), "no name from the trail: {page}");
        w.store.close().await.expect("close");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_history_costs_the_same_statements_with_2_revisions_as_with_10() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let short = draft_with_revisions(&w, 2).await;
        let long = draft_with_revisions(&w, 10).await;
        let counter = Arc::new(AtomicU64::new(0));
        let counted = w.store.clone().count_statements(Arc::clone(&counter));
        let client = client(counted);
        let editor = sign_in(&client, &w.store, grant("erik", Role::Editor, true, None)).await;
        let mut costs = Vec::new();
        for r in [&short, &long] {
            let path = format!("/newsroom/releases/{}/history", r.id);
            // Once to settle the session's bookkeeping (its last-seen write), then counted.
            let (status, _) = get(&client, &editor, &path).await;
            assert_eq!(status, 200);
            counter.store(0, Ordering::SeqCst);
            let (status, page) = get(&client, &editor, &path).await;
            assert_eq!(status, 200, "{page}");
            assert!(page.contains(&format!("dana saved changes as revision {}", r.revision)));
            assert!(page.contains(&format!("What revision {} changed", r.revision)));
            costs.push(counter.load(Ordering::SeqCst));
        }
        assert_eq!(
            costs[0], costs[1],
            "statements for 2 and for 10 revisions: {costs:?}"
        );
        assert!(costs[0] > 0, "the counter counts");
        w.store.close().await.expect("close");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_long_history_pages_on_with_each_revisions_changes_on_the_page_of_its_entry() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let client = client(w.store.clone());
        // 101 entries: the creation and 100 saves, one page of 100 and one of 1.
        let r = draft_with_revisions(&w, 101).await;
        let editor = sign_in(&client, &w.store, grant("erik", Role::Editor, true, None)).await;
        let path = format!("/newsroom/releases/{}/history", r.id);
        let (status, first) = get(&client, &editor, &path).await;
        assert_eq!(status, 200, "{first}");
        assert!(
            first.contains("dana saved changes as revision 100<"),
            "{first}"
        );
        assert!(
            !first.contains("revision 101"),
            "the 101st entry is on the next page"
        );
        let marker = "history?after=";
        let start = first.find(marker).expect("a link to the later entries") + marker.len();
        let end = first[start..].find('"').expect("the end of the link") + start;
        let (status, second) = get(
            &client,
            &editor,
            &format!("{path}?after={}", &first[start..end]),
        )
        .await;
        assert_eq!(status, 200, "{second}");
        assert!(
            second.contains("dana saved changes as revision 101<"),
            "{second}"
        );
        assert!(
            second.contains("What revision 101 changed from revision 100"),
            "{second}"
        );
        assert!(
            !second.contains("revision 100 changed"),
            "each revision's changes once"
        );
        assert!(second.contains("Back to the first entries"));
        assert!(!second.contains(marker), "nothing after the last page");
        let (status, _) = get(&client, &editor, &format!("{path}?after=zz")).await;
        assert_eq!(status, 404, "a cursor that is not one of this list");
        db.cleanup().await;
    }
}
