//! Scenario 11: `me` describes the caller's token; `departments` and `people` list what the
//! admin created.

use serde_json::{Value, json};

use crate::fixture::fixture;
use crate::graphql::DIRECTORY;
use crate::harness::{for_each_backend, spawn_app};

#[tokio::test]
async fn me_describes_each_token_and_the_directory_lists_what_was_created() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let backend = app.backend;
        let accredited = app
            .create_token("agency", "INTEGRATOR", None, None, true)
            .await
            .token;
        let department = json!({ "id": ministry.department_id, "slug": ministry.department });

        // (who, token, expected role, department, person id, embargoAccess). The department
        // of an office's viewer is left unchecked: its token carries a person, and whether `me`
        // also shows that person's department is not part of the contract.
        let cast = [
            ("drafter", &ministry.drafter, "DRAFTER", Some(department.clone()), Value::Null, false),
            ("editor", &ministry.editor, "EDITOR", Some(department.clone()), Value::Null, false),
            (
                "office",
                &ministry.office,
                "MINISTER_OFFICE",
                None,
                json!(ministry.minister_id),
                false,
            ),
            ("integrator", &ministry.integrator, "INTEGRATOR", Some(Value::Null), Value::Null, false),
            ("agency", &accredited, "INTEGRATOR", Some(Value::Null), Value::Null, true),
        ];
        for (name, token, role, department, person_id, embargo_access) in cast {
            let me = app
                .me(Some(token))
                .await
                .unwrap_or_else(|| panic!("[{backend}] me is null for {name}'s token"));
            let found = json!({
                "name": me["name"],
                "role": me["role"],
                "department": me["department"],
                "personId": me["person"]["id"],
                "embargoAccess": me["embargoAccess"],
            });
            let expected = json!({
                "name": name,
                "role": role,
                "department": department.unwrap_or_else(|| me["department"].clone()),
                "personId": person_id,
                "embargoAccess": embargo_access,
            });
            assert_eq!(found, expected, "[{backend}] me for {name}'s token: {me:#}");
        }
        let admin = app.me(Some(&app.admin_token)).await;
        assert!(
            admin
                .as_ref()
                .is_some_and(|me| me["name"] == "admin" && me["role"] == "ADMIN"),
            "[{backend}] me for the admin token made by the CLI: {admin:#?}"
        );
        let anonymous = app.me(None).await;
        assert!(
            anonymous.is_none(),
            "[{backend}] me is null for an anonymous caller, got {anonymous:#?}"
        );

        // The directory.
        app.create_department("finansdepartementet", "Finansdepartementet", "Europe/Helsinki")
            .await;
        let prime_minister = app
            .create_person("Magdalena Andersson", "statsminister", None)
            .await;
        let directory = app
            .data(Some(&app.admin_token), DIRECTORY, json!({}))
            .await;
        let departments = directory["departments"].as_array().expect("departments");
        let fixture_department = &fixture()["department"];
        for expected in [
            json!({
                "id": ministry.department_id,
                "slug": fixture_department["slug"],
                "name": fixture_department["name"],
                "timeZone": fixture_department["timeZone"],
            }),
            json!({ "slug": "finansdepartementet", "name": "Finansdepartementet", "timeZone": "Europe/Helsinki" }),
        ] {
            let listed = departments.iter().any(|department| {
                expected
                    .as_object()
                    .expect("object")
                    .iter()
                    .all(|(key, value)| &department[key] == value)
            });
            assert!(
                listed,
                "[{backend}] departments should list {expected}: {departments:#?}"
            );
        }
        assert_eq!(
            departments.len(),
            2,
            "[{backend}] exactly the two departments created: {departments:#?}"
        );

        let people = directory["people"].as_array().expect("people");
        let strandhall = &fixture()["people"][0];
        let expected_people = [
            json!({
                "id": ministry.person_id("strandhall"),
                "name": strandhall["name"],
                "title": strandhall["title"],
                "department": { "slug": ministry.department },
            }),
            json!({
                "id": prime_minister["id"],
                "name": "Magdalena Andersson",
                "title": "statsminister",
                "department": null,
            }),
        ];
        for expected in &expected_people {
            assert!(
                people.contains(expected),
                "[{backend}] people should list {expected}: {people:#?}"
            );
        }
        assert_eq!(
            people.len(),
            expected_people.len(),
            "[{backend}] exactly the people created: {people:#?}"
        );
    })
    .await;
}
