//! A newsroom page costs a constant number of SQL statements, whatever the length of its lists:
//! the work list, the review queue and the release page are measured with few and with many
//! releases (and sign-offs) on every available database.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use pressroom_domain::lifecycle::Command;
use pressroom_domain::visibility::Role;
use pressroom_storage::Store;
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::{DEPARTMENT, TwoMinisters};

use support::{client, content, get, grant, sign_in};

/// Statements one `GET path` costs, after a first request has warmed what is read once.
async fn cost(
    counter: &AtomicU64,
    client: &support::Client,
    session: &support::Session,
    path: &str,
) -> u64 {
    let (status, _) = get(client, session, path).await;
    assert_eq!(status, 200, "{path}");
    let before = counter.load(Ordering::SeqCst);
    let (status, _) = get(client, session, path).await;
    assert_eq!(status, 200, "{path}");
    counter.load(Ordering::SeqCst) - before
}

/// The statements of the dashboard (drafter and office) and of a release page (office) with
/// `releases` releases in review, each quoting both ministers.
async fn costs(url: &str, releases: usize) -> [u64; 3] {
    let counter = Arc::new(AtomicU64::new(0));
    let w = TwoMinisters::build(url).await;
    let store: Store = w.store.clone().count_statements(Arc::clone(&counter));
    let mut last = None;
    for n in 0..releases {
        let r = store
            .create_release(&w.drafter, DEPARTMENT, content(&w, &format!("Stycke {n}.")))
            .await
            .expect("create");
        let r = store
            .act(&w.drafter, &r.id, r.version, Command::SubmitForReview, None)
            .await
            .expect("submit");
        let r = store
            .act(&w.office_b, &r.id, r.version, Command::Approve, None)
            .await
            .expect("approve");
        last = Some(r);
    }
    let last = last.expect("at least one release");
    let client = client(store.clone());
    let drafter = sign_in(&client, &store, grant("dana", Role::Drafter, true, None)).await;
    let office = sign_in(
        &client,
        &store,
        grant("anna", Role::MinisterOffice, false, Some(&w.a)),
    )
    .await;
    [
        cost(&counter, &client, &drafter, "/newsroom/").await,
        cost(&counter, &client, &office, "/newsroom/").await,
        cost(
            &counter,
            &client,
            &drafter,
            &format!("/newsroom/releases/{}", last.id),
        )
        .await,
    ]
}

#[tokio::test]
async fn newsroom_pages_cost_the_same_statements_for_3_and_for_20_releases() {
    for (db, other) in test_databases()
        .await
        .into_iter()
        .zip(test_databases().await)
    {
        let few = costs(&db.url, 3).await;
        let many = costs(&other.url, 20).await;
        println!(
            "{}: statements per page (drafter's list, office's list, release page): {few:?}",
            db.backend_name
        );
        assert_eq!(few, many, "{}: statements per page", db.backend_name);
        for (page, n) in ["drafter's work list", "office's work list", "release page"]
            .iter()
            .zip(few)
        {
            assert!(
                n <= 12,
                "{}: the {page} costs {n} statements",
                db.backend_name
            );
        }
    }
}
