//! Editing people and departments (`Store::update_person`, `Store::update_department`) on every
//! database: the change and its audit entry in one transaction, the replaced values kept with
//! their instant (so releases published before can show them), refusals that change nothing.

use chrono::Duration;
use pressroom_domain::error::ErrorCode;
use pressroom_storage::directory::{DepartmentChange, PersonChange};
use pressroom_storage::entity::audit_log;
use pressroom_storage::{StorageError, Store};
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::TwoMinisters;
use sea_orm::{EntityTrait, PaginatorTrait, QueryOrder};

async fn audit_count(store: &Store) -> u64 {
    audit_log::Entity::find()
        .count(store.connection())
        .await
        .expect("count")
}

async fn last_audit(store: &Store) -> audit_log::Model {
    audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Seq)
        .one(store.connection())
        .await
        .expect("read")
        .expect("an entry")
}

fn code(error: &StorageError) -> ErrorCode {
    error.code()
}

#[tokio::test]
async fn a_new_title_is_audited_and_the_old_one_is_kept_with_its_instant() {
    for test_db in test_databases().await {
        let w = TwoMinisters::build(&test_db.url).await;
        let before = w.store.now();
        w.clock.set(before + Duration::hours(1));
        let entries = audit_count(&w.store).await;
        let person = w
            .store
            .update_person(
                &"admin".into(),
                &w.a,
                PersonChange {
                    title: Some("klimatminister".into()),
                    ..PersonChange::default()
                },
            )
            .await
            .expect("update");
        assert_eq!(person.title, "klimatminister", "{}", test_db.backend_name);
        assert_eq!(person.name, "Annika Strandhäll");
        assert!(person.department_id.is_some(), "the department is kept");
        assert_eq!(person.as_of(None).title, "klimatminister");
        assert_eq!(
            person.as_of(Some(before)).title,
            "klimat- och miljöminister",
            "{}: as published an hour before",
            test_db.backend_name
        );
        assert_eq!(
            person.as_of(Some(before + Duration::hours(2))).title,
            "klimatminister"
        );
        assert_eq!(audit_count(&w.store).await, entries + 1);
        let entry = last_audit(&w.store).await;
        assert_eq!(entry.action, "updatePerson");
        assert_eq!(entry.actor, "admin");
        assert!(entry.details.contains("\"klimat- och miljöminister\""));
        assert!(entry.details.contains("\"klimatminister\""));
        let read = w
            .store
            .people_by_ids(std::slice::from_ref(&w.a))
            .await
            .expect("read");
        assert_eq!(read[&w.a], person, "{}", test_db.backend_name);

        // A second change keeps both earlier versions, each until its own instant.
        w.clock.set(before + Duration::hours(3));
        let person = w
            .store
            .update_person(
                &"admin".into(),
                &w.a,
                PersonChange {
                    name: Some("Annika Strandhäll Berg".into()),
                    department: Some(None),
                    ..PersonChange::default()
                },
            )
            .await
            .expect("second update");
        assert_eq!(person.earlier.len(), 2);
        assert_eq!(person.department_id, None);
        let middle = person.as_of(Some(before + Duration::hours(2)));
        assert_eq!(
            (middle.name.as_str(), middle.title.as_str()),
            ("Annika Strandhäll", "klimatminister")
        );
        assert_eq!(
            person.as_of(Some(before)).title,
            "klimat- och miljöminister"
        );
        assert_eq!(person.as_of(None).name, "Annika Strandhäll Berg");
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn refused_person_changes_change_nothing() {
    for test_db in test_databases().await {
        let w = TwoMinisters::build(&test_db.url).await;
        let entries = audit_count(&w.store).await;
        let original = w.store.person(&w.a).await.expect("read");
        let blank = w
            .store
            .update_person(
                &"admin".into(),
                &w.a,
                PersonChange {
                    title: Some("  ".into()),
                    ..PersonChange::default()
                },
            )
            .await
            .expect_err("a blank title");
        assert_eq!(
            code(&blank),
            ErrorCode::Validation,
            "{}",
            test_db.backend_name
        );
        let unknown_department = w
            .store
            .update_person(
                &"admin".into(),
                &w.a,
                PersonChange {
                    department: Some(Some("finansdepartementet".into())),
                    ..PersonChange::default()
                },
            )
            .await
            .expect_err("an unknown department");
        assert_eq!(code(&unknown_department), ErrorCode::Validation);
        let unknown = w
            .store
            .update_person(&"admin".into(), "no-such-person", PersonChange::default())
            .await
            .expect_err("an unknown person");
        assert!(matches!(unknown, StorageError::NotFound), "{unknown:?}");
        let same = w
            .store
            .update_person(
                &"admin".into(),
                &w.a,
                PersonChange {
                    name: Some(original.name.clone()),
                    ..PersonChange::default()
                },
            )
            .await
            .expect("a change to the same values");
        assert_eq!(same, original, "nothing changes");
        assert_eq!(
            audit_count(&w.store).await,
            entries,
            "{}: no audit entry for refusals or a change that changes nothing",
            test_db.backend_name
        );
        assert!(w.store.person(&w.a).await.expect("read").earlier.is_empty());
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn a_department_is_renamed_and_moved_to_another_zone_but_keeps_its_slug() {
    for test_db in test_databases().await {
        let w = TwoMinisters::build(&test_db.url).await;
        let department = w.store.departments().await.expect("list")[0].clone();
        let before = w.store.now();
        w.clock.set(before + Duration::minutes(5));
        let entries = audit_count(&w.store).await;
        let zone = w
            .store
            .update_department(
                &"admin".into(),
                &department.id,
                DepartmentChange {
                    time_zone: Some("Mars/Olympus".into()),
                    ..DepartmentChange::default()
                },
            )
            .await
            .expect_err("an unknown zone");
        assert_eq!(
            code(&zone),
            ErrorCode::Validation,
            "{}",
            test_db.backend_name
        );
        let blank = w
            .store
            .update_department(
                &"admin".into(),
                &department.id,
                DepartmentChange {
                    name: Some(String::new()),
                    ..DepartmentChange::default()
                },
            )
            .await
            .expect_err("a blank name");
        assert_eq!(code(&blank), ErrorCode::Validation);
        let unknown = w
            .store
            .update_department(&"admin".into(), "no-such-id", DepartmentChange::default())
            .await
            .expect_err("an unknown department");
        assert!(matches!(unknown, StorageError::NotFound), "{unknown:?}");
        assert_eq!(
            audit_count(&w.store).await,
            entries,
            "refusals change nothing"
        );

        let renamed = w
            .store
            .update_department(
                &"admin".into(),
                &department.id,
                DepartmentChange {
                    name: Some("Klimat- och näringslivsdepartementet".into()),
                    time_zone: Some("Europe/Helsinki".into()),
                },
            )
            .await
            .expect("rename");
        assert_eq!(renamed.slug, department.slug, "{}", test_db.backend_name);
        assert_eq!(renamed.name, "Klimat- och näringslivsdepartementet");
        assert_eq!(renamed.time_zone, "Europe/Helsinki");
        let then = renamed.as_of(Some(before));
        assert_eq!(
            (then.name.as_str(), then.time_zone.as_str()),
            ("Miljödepartementet", "Europe/Stockholm")
        );
        assert_eq!(audit_count(&w.store).await, entries + 1);
        let entry = last_audit(&w.store).await;
        assert_eq!(entry.action, "updateDepartment");
        assert!(entry.details.contains("Miljödepartementet"));
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn authenticating_records_a_token_s_last_use_at_most_once_a_minute() {
    for test_db in test_databases().await {
        let w = TwoMinisters::build(&test_db.url).await;
        let start = w.store.now();
        let created = w
            .store
            .create_token(
                &"admin".into(),
                pressroom_storage::directory::TokenGrant {
                    user_name: "tt".into(),
                    role: pressroom_domain::visibility::Role::Integrator,
                    department: None,
                    person_id: None,
                    embargo_access: false,
                    expires_at: None,
                },
            )
            .await
            .expect("token");
        let last_used = |store: Store| async move {
            let page =
                pressroom_storage::pagination::PageRequest::new(Some(100), None).expect("a page");
            store.tokens(&page).await.expect("tokens").items[0]
                .1
                .last_used_at
        };
        assert_eq!(
            last_used(w.store.clone()).await,
            None,
            "{}",
            test_db.backend_name
        );
        w.store
            .authenticate(&created.token)
            .await
            .expect("auth")
            .expect("known");
        assert_eq!(last_used(w.store.clone()).await, Some(start));
        w.clock.set(start + Duration::seconds(30));
        w.store
            .authenticate(&created.token)
            .await
            .expect("auth")
            .expect("known");
        assert_eq!(
            last_used(w.store.clone()).await,
            Some(start),
            "{}: not written again within the minute",
            test_db.backend_name
        );
        w.clock.set(start + Duration::seconds(61));
        w.store
            .authenticate(&created.token)
            .await
            .expect("auth")
            .expect("known");
        assert_eq!(
            last_used(w.store.clone()).await,
            Some(start + Duration::seconds(61))
        );
        assert!(
            w.store
                .authenticate("prt_unknown")
                .await
                .expect("auth")
                .is_none()
        );
        test_db.cleanup().await;
    }
}
