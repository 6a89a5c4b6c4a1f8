//! Each rule that runs in SQL too agrees with its domain function on every combination of state,
//! department, embargo instant and reviewing office: the visibility condition with `visible_to`
//! for every kind of viewer, `internal_detail_condition` with `sees_internal_detail`, and
//! `embargo_due_condition` with `embargo_due`.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use pressroom_domain::PersonId;
use pressroom_domain::content::{ContentInput, ReleaseContent};
use pressroom_domain::lifecycle::State;
use pressroom_domain::visibility::{
    Role, Viewer, VisibilityFacts, embargo_due, sees_internal_detail, visible_to,
};
use pressroom_storage::Store;
use pressroom_storage::clock::{ManualClock, micros};
use pressroom_storage::entity::{departments, people, release_offices, releases};
use pressroom_storage::visibility::{embargo_due_condition, internal_detail_condition};
use pressroom_test_support::database::test_databases;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set};

fn viewer(
    role: Role,
    department: Option<&str>,
    person: Option<&str>,
    embargo_access: bool,
) -> Viewer {
    Viewer {
        user_name: "u".into(),
        role,
        department_id: department.map(Into::into),
        person_id: person.map(Into::into),
        embargo_access,
    }
}

/// Every kind of authenticated viewer: integrators with and without embargo access, staff of
/// each department, the reviewing office and another, and an admin.
fn every_kind_of_viewer() -> Vec<Viewer> {
    vec![
        viewer(Role::Integrator, None, None, false),
        viewer(Role::Integrator, None, None, true),
        viewer(Role::Drafter, Some("d1"), None, false),
        viewer(Role::Editor, Some("d2"), None, false),
        viewer(Role::MinisterOffice, None, Some("p1"), false),
        viewer(Role::MinisterOffice, None, Some("p2"), false),
        viewer(Role::Admin, None, None, false),
    ]
}

/// A seeded release: id, state, department, embargo instant and reviewing office.
type Fact = (
    String,
    State,
    &'static str,
    Option<DateTime<Utc>>,
    Option<&'static str>,
);

/// One release of every combination of state, department (`d1`, `d2`), embargo instant (none,
/// just before, at and just after `now`) and reviewing office (none, `p1`).
async fn seed_every_combination(db: &DatabaseConnection, now: DateTime<Utc>) -> Vec<Fact> {
    let content = ReleaseContent::parse(ContentInput {
        language: "sv".into(),
        title: "Rubrik".into(),
        ..ContentInput::default()
    })
    .expect("content");
    for d in ["d1", "d2"] {
        departments::ActiveModel {
            id: Set(d.into()),
            slug: Set(d.into()),
            name: Set(d.into()),
            time_zone: Set("Europe/Stockholm".into()),
            created_at: Set(0),
        }
        .insert(db)
        .await
        .expect("department");
    }
    for p in ["p1", "p2"] {
        people::ActiveModel {
            id: Set(p.into()),
            name: Set(p.into()),
            title: Set("minister".into()),
            department_id: Set(None),
            created_at: Set(0),
        }
        .insert(db)
        .await
        .expect("person");
    }
    // Every combination of state, department, embargo instant and reviewing office.
    let mut facts = Vec::new();
    let embargoes = [
        None,
        Some(now - Duration::seconds(1)),
        Some(now),
        Some(now + Duration::milliseconds(1)),
    ];
    let mut n = 0;
    for state in State::ALL {
        for department in ["d1", "d2"] {
            for embargo in embargoes {
                for office in [None, Some("p1")] {
                    n += 1;
                    let id = format!("r{n:03}");
                    releases::ActiveModel {
                        id: Set(id.clone()),
                        slug: Set(id.clone()),
                        kind: Set("PRESS_RELEASE".into()),
                        language: Set("sv".into()),
                        department_id: Set(department.into()),
                        responsible_minister_id: Set(None),
                        translation_of_id: Set(None),
                        state: Set(state.as_str().into()),
                        version: Set(1),
                        revision: Set(1),
                        content_hash: Set(content.content_hash()),
                        title: Set("Rubrik".into()),
                        lead: Set(String::new()),
                        content: Set(content.canonical_json()),
                        author: Set("dana".into()),
                        embargo_until: Set(embargo.map(micros)),
                        published_at: Set(None),
                        sort_at: Set(0),
                        withdrawn_at: Set(None),
                        withdrawal_reason: Set(None),
                        created_by: Set("dana".into()),
                        created_at: Set(0),
                        updated_at: Set(0),
                        search_text: Set(String::new()),
                    }
                    .insert(db)
                    .await
                    .expect("release");
                    if let Some(p) = office {
                        release_offices::ActiveModel {
                            release_id: Set(id.clone()),
                            person_id: Set(p.into()),
                            required: Set(true),
                            approved: Set(false),
                        }
                        .insert(db)
                        .await
                        .expect("office");
                    }
                    facts.push((id, state, department, embargo, office));
                }
            }
        }
    }
    facts
}

/// A store on a manual clock at `now`, migrated.
async fn store_at(url: &str, now: DateTime<Utc>) -> Store {
    let store = Store::connect(url)
        .await
        .expect("connect")
        .with_clock(Arc::new(ManualClock::new(now)));
    store.migrate().await.expect("migrate");
    store
}

fn instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 2, 7, 0, 0)
        .single()
        .expect("instant")
}

#[tokio::test]
async fn sql_visibility_matches_the_domain_rule() {
    let now = instant();
    for test_db in test_databases().await {
        let store = store_at(&test_db.url, now).await;
        let facts = seed_every_combination(store.connection(), now).await;
        let ids: Vec<String> = facts.iter().map(|f| f.0.clone()).collect();
        let viewers: Vec<Option<Viewer>> = std::iter::once(None)
            .chain(every_kind_of_viewer().into_iter().map(Some))
            .collect();
        for v in &viewers {
            let seen: HashSet<String> = store
                .secure_releases_by_ids(v.as_ref(), &ids, now)
                .await
                .expect("query")
                .into_keys()
                .collect();
            for (id, state, department, embargo, office) in &facts {
                let offices: Vec<PersonId> = office.iter().map(|p| PersonId::new(*p)).collect();
                let expected = visible_to(
                    v.as_ref(),
                    &VisibilityFacts {
                        state: *state,
                        department_id: department,
                        embargo_until: *embargo,
                        offices: &offices,
                    },
                    now,
                );
                assert_eq!(
                    seen.contains(id),
                    expected,
                    "{}: viewer {v:?} and release {id} ({state}, {department}, embargo {embargo:?}, office {office:?})",
                    test_db.backend_name
                );
            }
        }
        drop(store);
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn sql_embargo_due_matches_the_domain_rule() {
    let now = instant();
    for test_db in test_databases().await {
        let store = store_at(&test_db.url, now).await;
        let facts = seed_every_combination(store.connection(), now).await;
        let due: HashSet<String> = releases::Entity::find()
            .select_only()
            .column(releases::Column::Id)
            .filter(embargo_due_condition(now))
            .into_tuple::<String>()
            .all(store.connection())
            .await
            .expect("query")
            .into_iter()
            .collect();
        for (id, state, _, embargo, _) in &facts {
            assert_eq!(
                due.contains(id),
                embargo_due(*state, *embargo, now),
                "{}: release {id} ({state}, embargo {embargo:?})",
                test_db.backend_name
            );
        }
        assert_eq!(
            store.count_due(now).await.expect("count"),
            due.len() as u64,
            "{}: count_due counts what embargo_due_condition selects",
            test_db.backend_name
        );
        drop(store);
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn sql_internal_detail_matches_the_domain_rule() {
    let now = instant();
    for test_db in test_databases().await {
        let store = store_at(&test_db.url, now).await;
        let facts = seed_every_combination(store.connection(), now).await;
        for v in every_kind_of_viewer() {
            let seen: HashSet<String> = match internal_detail_condition(&v) {
                Some(condition) => releases::Entity::find()
                    .select_only()
                    .column(releases::Column::Id)
                    .filter(condition)
                    .into_tuple::<String>()
                    .all(store.connection())
                    .await
                    .expect("query")
                    .into_iter()
                    .collect(),
                None => HashSet::new(),
            };
            for (id, state, department, embargo, office) in &facts {
                let offices: Vec<PersonId> = office.iter().map(|p| PersonId::new(*p)).collect();
                let expected = sees_internal_detail(
                    &v,
                    &VisibilityFacts {
                        state: *state,
                        department_id: department,
                        embargo_until: *embargo,
                        offices: &offices,
                    },
                );
                assert_eq!(
                    seen.contains(id),
                    expected,
                    "{}: viewer {v:?} and release {id} ({state}, {department}, embargo {embargo:?}, office {office:?})",
                    test_db.backend_name
                );
            }
        }
        drop(store);
        test_db.cleanup().await;
    }
}
