//! Newsroom sign-in on every database: one-time sign-in links (issuing them with the checks of a
//! token, each way one dies, revoking, listing, two redeems racing), sessions (sliding expiry
//! that writes at most once a minute, signing out, purging), signing in with an API token, and
//! what the audit log records (never a secret).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Duration;
use pressroom_domain::visibility::{Role, Viewer};
use pressroom_storage::Store;
use pressroom_storage::audit::AuditEntry;
use pressroom_storage::directory::TokenGrant;
use pressroom_storage::pagination::PageRequest;
use pressroom_storage::sessions::{
    CreatedSigninLink, DEFAULT_INACTIVITY_HOURS, SigninLinkStatus, signin_path,
};
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::{TwoMinisters, viewer};

fn inactivity() -> Duration {
    Duration::hours(DEFAULT_INACTIVITY_HOURS)
}

fn grant(name: &str, role: Role, department: Option<&str>, person: Option<&str>) -> TokenGrant {
    TokenGrant {
        user_name: name.into(),
        role,
        department: department.map(Into::into),
        person_id: person.map(Into::into),
        embargo_access: false,
        expires_at: None,
    }
}

async fn drafter_link(w: &TwoMinisters) -> CreatedSigninLink {
    w.store
        .create_signin_link(
            &"cli".into(),
            grant(
                "Dana Drafter",
                Role::Drafter,
                Some("miljodepartementet"),
                None,
            ),
        )
        .await
        .expect("issue a link")
}

async fn audit_entries(store: &Store) -> Vec<AuditEntry> {
    store
        .secure_audit_entries(
            Some(&viewer("root", Role::Admin, None, None)),
            None,
            &PageRequest::new(Some(100), None).expect("page"),
        )
        .await
        .expect("audit")
        .items
        .into_iter()
        .map(|(_, e)| e)
        .collect()
}

#[tokio::test]
async fn a_sign_in_link_starts_one_session_for_its_user_and_role_and_then_is_dead() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let created = drafter_link(&w).await;
        assert!(created.token.starts_with("psi_") && created.token.len() == 68);
        assert_eq!(created.path, format!("/newsroom/signin/{}", created.token));
        assert_eq!(created.path, signin_path(&created.token));
        assert_eq!(created.link.status, SigninLinkStatus::Unused);
        assert_eq!(created.link.expires_at, w.store.now() + Duration::hours(24));
        assert_eq!(created.link.created_by, "cli");

        w.clock.set(w.store.now() + Duration::hours(3));
        let new = w
            .store
            .redeem_signin_link(&created.token, inactivity())
            .await
            .expect("store")
            .expect("a fresh link signs in");
        assert!(new.token.starts_with("pss_") && new.token.len() == 68);
        assert_eq!(
            new.session.viewer,
            Viewer {
                user_name: "Dana Drafter".into(),
                role: Role::Drafter,
                department_id: w.drafter.department_id.clone(),
                person_id: None,
                embargo_access: false,
            }
        );
        assert_eq!(new.session.expires_at, w.store.now() + inactivity());
        assert_eq!(new.session.csrf_token.len(), 64);

        let read = w
            .store
            .session(&new.token, inactivity())
            .await
            .expect("store")
            .expect("the session lives");
        assert_eq!(read, new.session);

        assert!(
            w.store
                .redeem_signin_link(&created.token, inactivity())
                .await
                .expect("store")
                .is_none(),
            "a link signs in once"
        );

        let entries = audit_entries(&w.store).await;
        let actions: Vec<(&str, &str)> = entries
            .iter()
            .map(|e| (e.actor.as_str(), e.action.as_str()))
            .collect();
        assert!(
            actions.contains(&("cli", "createSigninLink")),
            "{actions:?}"
        );
        assert!(actions.contains(&("Dana Drafter", "signIn")), "{actions:?}");
        assert_eq!(
            actions.iter().filter(|(_, a)| *a == "signIn").count(),
            1,
            "one sign-in, one entry"
        );
        let sign_in = entries
            .iter()
            .find(|e| e.action == "signIn")
            .expect("entry");
        let details: serde_json::Value = serde_json::from_str(&sign_in.details).expect("JSON");
        assert_eq!(details["signinLinkId"], serde_json::json!(created.link.id));
        assert_eq!(details["sessionId"], serde_json::json!(new.session.id));
        assert_eq!(details["via"], "signinLink");
        for secret in [
            &created.token[4..],
            &new.token[4..],
            &new.session.csrf_token,
        ] {
            assert!(
                entries.iter().all(|e| !e.details.contains(secret)),
                "no secret is ever recorded"
            );
        }
        db.cleanup().await;
    }
}

#[tokio::test]
async fn expired_revoked_unknown_and_malformed_links_all_sign_nobody_in() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let expiring = drafter_link(&w).await;
        let revoked = drafter_link(&w).await;
        let used = drafter_link(&w).await;
        w.store
            .redeem_signin_link(&used.token, inactivity())
            .await
            .expect("store")
            .expect("signs in");

        assert!(
            w.store
                .revoke_signin_link(&"root".into(), &revoked.link.id)
                .await
                .expect("revoke")
        );
        assert!(
            !w.store
                .revoke_signin_link(&"root".into(), &revoked.link.id)
                .await
                .expect("revoke again"),
            "revoking twice changes nothing"
        );
        assert!(
            !w.store
                .revoke_signin_link(&"root".into(), &used.link.id)
                .await
                .expect("revoke a used link"),
            "a used link cannot be revoked"
        );
        assert!(
            !w.store
                .revoke_signin_link(&"root".into(), "no-such-id")
                .await
                .expect("revoke an unknown link")
        );

        w.clock.set(w.store.now() + Duration::hours(24));
        let seq = w.store.audit_seq().await.expect("seq");
        let unknown = format!("psi_{}", "ab".repeat(32));
        for token in [
            expiring.token.as_str(),
            revoked.token.as_str(),
            used.token.as_str(),
            unknown.as_str(),
            "psi_short",
            "",
            "prt_not-a-link",
        ] {
            assert!(
                w.store
                    .redeem_signin_link(token, inactivity())
                    .await
                    .expect("store")
                    .is_none(),
                "{token} signs nobody in"
            );
        }
        assert_eq!(
            w.store.audit_seq().await.expect("seq"),
            seq,
            "refused sign-ins change nothing"
        );

        let listed = w
            .store
            .signin_links(&PageRequest::new(Some(10), None).expect("page"))
            .await
            .expect("list");
        let status_of = |id: &str| {
            listed
                .items
                .iter()
                .find(|(_, l)| l.id == id)
                .map(|(_, l)| l.status)
        };
        assert_eq!(
            status_of(&expiring.link.id),
            Some(SigninLinkStatus::Expired)
        );
        assert_eq!(status_of(&revoked.link.id), Some(SigninLinkStatus::Revoked));
        assert_eq!(status_of(&used.link.id), Some(SigninLinkStatus::Used));
        let revoked_row = listed
            .items
            .iter()
            .find(|(_, l)| l.id == revoked.link.id)
            .expect("listed");
        assert_eq!(revoked_row.1.revoked_by.as_deref(), Some("root"));
        let actions: Vec<String> = audit_entries(&w.store)
            .await
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(
            actions.iter().filter(|a| *a == "revokeSigninLink").count(),
            1
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_link_is_checked_like_a_token_and_lives_at_most_a_day() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let seq = w.store.audit_seq().await.expect("seq");
        let now = w.store.now();
        let cases = [
            (grant("Dana", Role::Drafter, None, None), "input.department"),
            (
                grant("Dana", Role::Drafter, Some("no-such-department"), None),
                "input.department",
            ),
            (
                grant("Anna", Role::MinisterOffice, None, None),
                "input.personId",
            ),
            (
                grant("Anna", Role::MinisterOffice, None, Some("no-such-person")),
                "input.personId",
            ),
            (grant("  ", Role::Admin, None, None), "input.name"),
            (
                TokenGrant {
                    embargo_access: true,
                    ..grant("Dana", Role::Drafter, Some("miljodepartementet"), None)
                },
                "input.embargoAccess",
            ),
            (
                TokenGrant {
                    expires_at: Some(now + Duration::hours(25)),
                    ..grant("Root", Role::Admin, None, None)
                },
                "input.expiresAt",
            ),
            (
                TokenGrant {
                    expires_at: Some(now),
                    ..grant("Root", Role::Admin, None, None)
                },
                "input.expiresAt",
            ),
        ];
        for (grant, field) in cases {
            let error = w
                .store
                .create_signin_link(&"cli".into(), grant.clone())
                .await
                .expect_err("refused");
            assert_eq!(error.code(), "VALIDATION", "{grant:?}");
            match error {
                pressroom_storage::StorageError::Rule(rule) => {
                    assert_eq!(rule.field(), Some(field), "{grant:?}");
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            w.store.audit_seq().await.expect("seq"),
            seq,
            "refusals write nothing"
        );

        let shorter = w
            .store
            .create_signin_link(
                &"cli".into(),
                TokenGrant {
                    expires_at: Some(now + Duration::hours(1)),
                    ..grant("Anna", Role::MinisterOffice, None, Some(&w.a))
                },
            )
            .await
            .expect("a shorter life is fine");
        assert_eq!(shorter.link.expires_at, now + Duration::hours(1));
        w.clock.set(now + Duration::hours(1));
        assert!(
            w.store
                .redeem_signin_link(&shorter.token, inactivity())
                .await
                .expect("store")
                .is_none(),
            "dead at its instant"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn of_two_redeems_racing_on_one_link_exactly_one_signs_in() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let link = drafter_link(&w).await;
        let seq = w.store.audit_seq().await.expect("seq");
        let (first, second) = tokio::join!(
            w.store.redeem_signin_link(&link.token, inactivity()),
            w.store.redeem_signin_link(&link.token, inactivity()),
        );
        let outcomes = [first.expect("store"), second.expect("store")];
        assert_eq!(
            outcomes.iter().filter(|o| o.is_some()).count(),
            1,
            "{outcomes:?}"
        );
        assert_eq!(w.store.audit_seq().await.expect("seq"), seq + 1);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_session_expires_after_inactivity_and_reading_it_writes_at_most_once_a_minute() {
    for db in test_databases().await {
        let counter = Arc::new(AtomicU64::new(0));
        let w = TwoMinisters::build(&db.url).await;
        let store = w.store.clone().count_statements(Arc::clone(&counter));
        let link = drafter_link(&w).await;
        let new = store
            .redeem_signin_link(&link.token, inactivity())
            .await
            .expect("store")
            .expect("signs in");
        let start = store.now();

        let statements = |f: u64| counter.load(Ordering::Relaxed) - f;
        w.clock.set(start + Duration::seconds(30));
        let before = counter.load(Ordering::Relaxed);
        let read = store
            .session(&new.token, inactivity())
            .await
            .expect("store")
            .expect("lives");
        assert_eq!(statements(before), 1, "a page view is one SELECT");
        assert_eq!(read.last_seen_at, start, "not written within the minute");

        w.clock.set(start + Duration::seconds(61));
        let before = counter.load(Ordering::Relaxed);
        let read = store
            .session(&new.token, inactivity())
            .await
            .expect("store")
            .expect("lives");
        assert_eq!(statements(before), 2, "a SELECT and the slide");
        assert_eq!(read.last_seen_at, start + Duration::seconds(61));
        assert_eq!(
            read.expires_at,
            start + Duration::seconds(61) + inactivity()
        );

        // Used just before the end of its inactivity period, it lives on.
        let nearly = read.expires_at - Duration::seconds(1);
        w.clock.set(nearly);
        let read = store
            .session(&new.token, inactivity())
            .await
            .expect("store")
            .expect("still alive");
        assert_eq!(read.expires_at, nearly + inactivity());

        w.clock.set(read.expires_at);
        assert!(
            store
                .session(&new.token, inactivity())
                .await
                .expect("store")
                .is_none(),
            "expired after inactivity"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn signing_out_ends_the_session_and_a_sign_in_purges_expired_ones() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let first = w
            .store
            .redeem_signin_link(&drafter_link(&w).await.token, inactivity())
            .await
            .expect("store")
            .expect("signs in");
        let second = w
            .store
            .redeem_signin_link(&drafter_link(&w).await.token, Duration::hours(1))
            .await
            .expect("store")
            .expect("signs in");
        assert_ne!(first.token, second.token);
        assert_ne!(first.session.csrf_token, second.session.csrf_token);

        assert!(w.store.end_session(&first.token).await.expect("sign out"));
        assert!(
            !w.store.end_session(&first.token).await.expect("again"),
            "nothing left to end"
        );
        assert!(
            w.store
                .session(&first.token, inactivity())
                .await
                .expect("store")
                .is_none()
        );
        assert!(
            w.store
                .session(&second.token, inactivity())
                .await
                .expect("store")
                .is_some(),
            "other sessions live on"
        );

        w.clock.set(w.store.now() + Duration::hours(2));
        let link = drafter_link(&w).await;
        w.store
            .redeem_signin_link(&link.token, inactivity())
            .await
            .expect("store")
            .expect("signs in");
        assert_eq!(
            w.store.purge_expired_sessions().await.expect("purge"),
            0,
            "the sign-in purged the expired session already"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_api_token_starts_a_session_that_ends_with_the_token() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let token = w
            .store
            .create_token(
                &"root".into(),
                grant("Anna Kansli", Role::MinisterOffice, None, Some(&w.a)),
            )
            .await
            .expect("token");
        let new = w
            .store
            .start_session_with_api_token(&format!(" {} ", token.token), inactivity())
            .await
            .expect("store")
            .expect("a valid token signs in");
        assert_eq!(new.session.viewer.user_name, "Anna Kansli");
        assert_eq!(new.session.viewer.role, Role::MinisterOffice);
        assert_eq!(
            new.session.viewer.person_id.as_ref().map(|p| p.as_str()),
            Some(w.a.as_str())
        );
        let sign_in = audit_entries(&w.store)
            .await
            .into_iter()
            .find(|e| e.action == "signIn")
            .expect("audited");
        assert_eq!(sign_in.actor, "Anna Kansli");
        assert!(sign_in.details.contains(&token.id));
        assert!(!sign_in.details.contains(&token.token[4..]));

        assert!(
            w.store
                .start_session_with_api_token("prt_nonsense", inactivity())
                .await
                .expect("store")
                .is_none()
        );
        assert!(
            w.store
                .start_session_with_api_token(&new.token, inactivity())
                .await
                .expect("store")
                .is_none(),
            "a session secret is no API token"
        );

        assert!(
            w.store
                .revoke_token(&"root".into(), &token.id)
                .await
                .expect("revoke")
        );
        assert!(
            w.store
                .session(&new.token, inactivity())
                .await
                .expect("store")
                .is_none(),
            "revoking the token ends its sessions"
        );
        assert!(
            w.store
                .start_session_with_api_token(&token.token, inactivity())
                .await
                .expect("store")
                .is_none()
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_admins_list_pages_through_links_newest_first() {
    for db in test_databases().await {
        let w = TwoMinisters::build(&db.url).await;
        let mut ids = Vec::new();
        for n in 0..5 {
            w.clock.set(w.store.now() + Duration::seconds(1));
            let created = w
                .store
                .create_signin_link(
                    &"root".into(),
                    grant(&format!("user {n}"), Role::Admin, None, None),
                )
                .await
                .expect("issue");
            ids.push(created.link.id);
        }
        ids.reverse();
        let first = w
            .store
            .signin_links(&PageRequest::new(Some(3), None).expect("page"))
            .await
            .expect("list");
        assert!(first.has_next_page);
        let (cursor, _) = first.items.last().expect("three").clone();
        let second = w
            .store
            .signin_links(&PageRequest::new(Some(3), Some(&cursor)).expect("page"))
            .await
            .expect("list");
        assert!(!second.has_next_page);
        let listed: Vec<String> = first
            .items
            .into_iter()
            .chain(second.items)
            .map(|(_, l)| l.id)
            .collect();
        assert_eq!(listed, ids);
        db.cleanup().await;
    }
}
