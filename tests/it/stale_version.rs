//! Scenario 4: optimistic concurrency. A write with a stale `expectedVersion` is refused with
//! VERSION_CONFLICT and changes nothing.

use serde_json::json;

use crate::graphql::{
    SUBMIT_FOR_REVIEW, UPDATE_RELEASE, assert_state, id, lifecycle_vars, revision, version,
};
use crate::harness::{for_each_backend, spawn_app};

#[tokio::test]
async fn a_write_with_a_stale_version_is_refused_and_changes_nothing() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let input = ministry.release_input();
        let backend = app.backend;

        let first = app.create_release(&ministry.drafter, &input).await;
        let mut edited_input = input.clone();
        edited_input["title"] = json!("Svensk-indiskt FN-initiativ välkomnar Japan och Sydafrika");
        let second = app
            .update_release(&ministry.drafter, &first, &edited_input)
            .await;
        assert_state(&app, &second, "DRAFT");
        assert!(
            version(&second) > version(&first) && revision(&second) == revision(&first) + 1,
            "[{backend}] an update of a draft makes a new revision and bumps the version: {second:#}"
        );
        assert_eq!(second["title"], edited_input["title"], "[{backend}] title");

        // Someone still holding the first version tries to write.
        let mut stale_input = input.clone();
        stale_input["title"] = json!("Den här titeln får aldrig sparas");
        app.expect_error(
            Some(&ministry.editor),
            UPDATE_RELEASE,
            lifecycle_vars(&first, json!({ "input": stale_input })),
            &["VERSION_CONFLICT"],
        )
        .await;
        app.expect_error(
            Some(&ministry.drafter),
            SUBMIT_FOR_REVIEW,
            lifecycle_vars(&first, json!({})),
            &["VERSION_CONFLICT"],
        )
        .await;

        let reread = app
            .release_for_staff(&ministry.drafter, id(&first))
            .await
            .expect("the drafter sees the draft");
        assert!(
            reread["state"] == "DRAFT"
                && version(&reread) == version(&second)
                && revision(&reread) == revision(&second)
                && reread["title"] == edited_input["title"]
                && reread["contentHash"] == second["contentHash"],
            "[{backend}] after the refused writes the release is exactly as the last successful \
             write left it (state DRAFT, version {}, revision {}, title {}), got {reread:#}",
            version(&second),
            revision(&second),
            edited_input["title"]
        );

        // With the current version the same write goes through.
        let submitted = app.submit_for_review(&ministry.drafter, &reread).await;
        assert_state(&app, &submitted, "IN_REVIEW");
    })
    .await;
}
