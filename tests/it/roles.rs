//! Scenario 2: a caller who can see a release but whose role does not allow the action gets
//! FORBIDDEN; an unknown or revoked token gets UNAUTHENTICATED.

use serde_json::{Value, json};

use crate::graphql::{
    APPROVE_RELEASE, CREATE_RELEASE, ME, PUBLISH_NOW, REVOKE_TOKEN, UPDATE_RELEASE, assert_state,
    id, lifecycle_vars, version,
};
use crate::harness::{for_each_backend, spawn_app};

#[tokio::test]
async fn a_role_that_does_not_allow_the_action_is_forbidden_and_a_bad_token_unauthenticated() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let input = ministry.release_input();
        let backend = app.backend;

        let draft = app.create_release(&ministry.drafter, &input).await;
        let in_review = app.submit_for_review(&ministry.drafter, &draft).await;
        let release_id = id(&in_review).to_owned();
        assert!(
            app.release(Some(&ministry.office), &release_id)
                .await
                .is_some(),
            "[{backend}] the minister's office sees a release in review that needs its approval"
        );

        // A drafter approving.
        app.expect_error(
            Some(&ministry.drafter),
            APPROVE_RELEASE,
            lifecycle_vars(&in_review, json!({})),
            &["FORBIDDEN"],
        )
        .await;
        // An office editing.
        app.expect_error(
            Some(&ministry.office),
            UPDATE_RELEASE,
            lifecycle_vars(&in_review, json!({ "input": input })),
            &["FORBIDDEN"],
        )
        .await;
        // The admin sees everything but does not edit releases.
        app.expect_error(
            Some(&app.admin_token),
            UPDATE_RELEASE,
            lifecycle_vars(&in_review, json!({ "input": input })),
            &["FORBIDDEN"],
        )
        .await;
        let unchanged = app
            .release_for_staff(&ministry.editor, &release_id)
            .await
            .expect("the editor sees the department's release");
        assert!(
            unchanged["state"] == "IN_REVIEW" && version(&unchanged) == version(&in_review),
            "[{backend}] refused actions change nothing: {unchanged:#}"
        );

        // A drafter publishing.
        let approved = app.approve(&ministry.office, &in_review).await;
        assert_state(&app, &approved, "APPROVED");
        app.expect_error(
            Some(&ministry.drafter),
            PUBLISH_NOW,
            lifecycle_vars(&approved, json!({})),
            &["FORBIDDEN"],
        )
        .await;
        let unchanged = app
            .release_for_staff(&ministry.editor, &release_id)
            .await
            .expect("the editor sees the department's release");
        assert!(
            unchanged["state"] == "APPROVED" && unchanged["publishedAt"].is_null(),
            "[{backend}] a refused publishNow publishes nothing: {unchanged:#}"
        );
        assert!(
            app.release(None, &release_id).await.is_none(),
            "[{backend}] and the public still cannot see it"
        );

        // An integrator, and an anonymous caller, creating a release.
        app.expect_error(
            Some(&ministry.integrator),
            CREATE_RELEASE,
            json!({ "input": input }),
            &["FORBIDDEN"],
        )
        .await;
        app.expect_error(
            None,
            CREATE_RELEASE,
            json!({ "input": input }),
            &["UNAUTHENTICATED", "FORBIDDEN"],
        )
        .await;

        // A token the server never issued.
        let code = app
            .error_code(Some("prs_this-token-was-never-issued"), ME, json!({}))
            .await;
        assert_eq!(
            code, "UNAUTHENTICATED",
            "[{backend}] `me` with a token the server never issued"
        );

        // A revoked token: works before, is unknown after.
        let temporary = app
            .create_token(
                "temporary",
                "EDITOR",
                Some(&ministry.department),
                None,
                false,
            )
            .await;
        let me = app.me(Some(&temporary.token)).await;
        assert!(
            me.as_ref().is_some_and(|me| me["name"] == "temporary"),
            "[{backend}] a fresh token works: me = {me:#?}"
        );
        let revoked = app
            .data(
                Some(&app.admin_token),
                REVOKE_TOKEN,
                json!({ "id": temporary.id }),
            )
            .await;
        assert_eq!(
            revoked["revokeToken"],
            Value::Bool(true),
            "[{backend}] revokeToken answers true: {revoked:#}"
        );
        app.expect_error(Some(&temporary.token), ME, json!({}), &["UNAUTHENTICATED"])
            .await;
        app.expect_error(
            Some(&temporary.token),
            CREATE_RELEASE,
            json!({ "input": input }),
            &["UNAUTHENTICATED"],
        )
        .await;
    })
    .await;
}
