//! Scenario 3: a release that the caller may not see does not exist for that caller: drafts are
//! visible to their own department only; queries read null, mutations answer NOT_FOUND.

use serde_json::{Value, json};

use crate::fixture::paragraph;
use crate::graphql::{SUBMIT_FOR_REVIEW, UPDATE_RELEASE, id, lifecycle_vars, version};
use crate::harness::{for_each_backend, spawn_app};

#[tokio::test]
async fn a_draft_does_not_exist_for_another_department_nor_for_the_public() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let input = ministry.release_input();
        let backend = app.backend;

        app.create_department(
            "finansdepartementet",
            "Finansdepartementet",
            "Europe/Stockholm",
        )
        .await;
        let other_drafter = app
            .create_token(
                "bertil",
                "DRAFTER",
                Some("finansdepartementet"),
                None,
                false,
            )
            .await
            .token;

        let draft = app.create_release(&ministry.drafter, &input).await;
        let release_id = id(&draft).to_owned();
        let slug = draft["slug"].as_str().expect("slug").to_owned();

        // Its own department sees it.
        for (who, token) in [("drafter", &ministry.drafter), ("editor", &ministry.editor)] {
            assert!(
                app.release(Some(token), &release_id).await.is_some(),
                "[{backend}] the department's {who} sees its draft"
            );
            let listed = app.release_ids(Some(token), Value::Null).await;
            assert!(
                listed.contains(&release_id),
                "[{backend}] the department's {who} finds its draft in releases: {listed:?}"
            );
        }

        // Nobody else does.
        let outsiders = [
            (
                "a drafter of another department",
                Some(other_drafter.as_str()),
            ),
            ("anonymous", None),
            ("an integrator", Some(ministry.integrator.as_str())),
            (
                "the minister's office (a draft is not in review)",
                Some(ministry.office.as_str()),
            ),
        ];
        for (who, token) in outsiders {
            let seen = app.release(token, &release_id).await;
            assert!(
                seen.is_none(),
                "[{backend}] {who}: release(id) of a draft should be null, got {seen:#?}"
            );
            let seen = app.release_by_slug(token, &slug).await;
            assert!(
                seen.is_none(),
                "[{backend}] {who}: releaseBySlug of a draft should be null, got {seen:#?}"
            );
            for filter in [Value::Null, json!({ "department": ministry.department })] {
                let listed = app.release_ids(token, filter.clone()).await;
                assert!(
                    !listed.contains(&release_id),
                    "[{backend}] {who}: releases(filter: {filter}) lists the draft: {listed:?}"
                );
            }
        }

        // Writing to it is answered as if it did not exist, never FORBIDDEN.
        app.expect_error(
            Some(&other_drafter),
            UPDATE_RELEASE,
            lifecycle_vars(&draft, json!({ "input": input })),
            &["NOT_FOUND"],
        )
        .await;
        app.expect_error(
            Some(&other_drafter),
            SUBMIT_FOR_REVIEW,
            lifecycle_vars(&draft, json!({})),
            &["NOT_FOUND"],
        )
        .await;
        let unchanged = app
            .release_for_staff(&ministry.drafter, &release_id)
            .await
            .expect("the drafter still sees the draft");
        assert!(
            unchanged["state"] == "DRAFT"
                && version(&unchanged) == version(&draft)
                && unchanged["title"] == input["title"],
            "[{backend}] refused writes change nothing: {unchanged:#}"
        );

        // The other way round: the other department's draft is invisible to this one.
        let other_input = json!({
            "language": "sv",
            "department": "finansdepartementet",
            "title": "Budgeten för 2023 överlämnas till riksdagen",
            "lead": "Regeringen överlämnar i dag budgetpropositionen.",
            "body": [paragraph("Budgeten innehåller satsningar på välfärd och försvar.")],
        });
        let other_draft = app.create_release(&other_drafter, &other_input).await;
        let other_id = id(&other_draft).to_owned();
        assert!(
            app.release(Some(&ministry.drafter), &other_id)
                .await
                .is_none(),
            "[{backend}] a drafter does not see another department's draft"
        );
        let listed = app.release_ids(Some(&ministry.drafter), Value::Null).await;
        assert!(
            !listed.contains(&other_id) && listed.contains(&release_id),
            "[{backend}] releases lists the own department's draft only: {listed:?}"
        );
    })
    .await;
}
