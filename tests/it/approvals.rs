//! Scenarios 5, 6 and 7: ministerial review (docs/rules.md#approvals). Edits void the approvals that no longer
//! cover the content; a quoted minister's approval covers that minister's quotes; nobody
//! approves a revision they authored.

use serde_json::json;

use crate::fixture::{approved_release, paragraph, quote, with_block};
use crate::graphql::{
    APPROVE_RELEASE, approval_status, assert_state, id, lifecycle_vars, revision, version,
};
use crate::harness::{for_each_backend, spawn_app};

/// A replacement for the first paragraph of the example.
const EDITED_PARAGRAPH: &str = "Högnivåmötet Industry Transition Dialogue samlar i år ministrar och \
     företagsledare från alla kontinenter – för första gången i Stockholm.";

#[tokio::test]
async fn an_edit_after_approval_sends_the_release_back_to_review() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let input = ministry.release_input();
        let backend = app.backend;
        let minister = ministry.minister_id.as_str();

        let approved = approved_release(&app, &ministry, &input).await;
        assert_eq!(
            approval_status(&approved, minister),
            "APPROVED",
            "[{backend}] {approved:#}"
        );

        let edited_input = with_block(&input, 0, paragraph(EDITED_PARAGRAPH));
        let edited = app
            .update_release(&ministry.drafter, &approved, &edited_input)
            .await;
        assert_state(&app, &edited, "IN_REVIEW");
        assert!(
            revision(&edited) == revision(&approved) + 1
                && version(&edited) > version(&approved)
                && edited["contentHash"] != approved["contentHash"],
            "[{backend}] an edit makes a new revision with a new content hash: {edited:#}"
        );
        assert_eq!(
            approval_status(&edited, minister),
            "PENDING",
            "[{backend}] the minister's approval does not cover the new revision: {edited:#}"
        );
        assert_eq!(
            edited["body"][0]["text"], EDITED_PARAGRAPH,
            "[{backend}] the edit is saved"
        );

        let approved_again = app.approve(&ministry.office, &edited).await;
        assert_state(&app, &approved_again, "APPROVED");
        assert_eq!(
            approval_status(&approved_again, minister),
            "APPROVED",
            "[{backend}] {approved_again:#}"
        );
    })
    .await;
}

#[tokio::test]
async fn every_quoted_minister_approves_and_keeps_the_approval_while_the_quotes_are_unchanged() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let backend = app.backend;
        let minister_a = ministry.minister_id.clone();
        let minister_b = app
            .create_person(
                "Khashayar Farmanbar",
                "energi- och digitaliseringsminister",
                Some(&ministry.department),
            )
            .await["id"]
            .as_str()
            .expect("person id")
            .to_owned();
        let office_b = app
            .create_token("office-b", "MINISTER_OFFICE", None, Some(&minister_b), false)
            .await
            .token;

        // Responsible minister A (also quoted in block 1); minister B quoted in block 3.
        let quote_b = "Fossilfritt stål visar att omställningen redan är här – nu gäller det att \
                       bygga ut elnäten i samma takt.";
        let input = with_block(&ministry.release_input(), 3, quote(&minister_b, quote_b));

        let draft = app.create_release(&ministry.drafter, &input).await;
        let in_review = app.submit_for_review(&ministry.drafter, &draft).await;
        assert_state(&app, &in_review, "IN_REVIEW");
        let offices: Vec<&str> = in_review["approvals"]
            .as_array()
            .expect("approvals")
            .iter()
            .filter_map(|approval| approval["office"]["id"].as_str())
            .collect();
        assert!(
            offices.len() == 2
                && offices.contains(&minister_a.as_str())
                && offices.contains(&minister_b.as_str()),
            "[{backend}] required offices are the responsible minister's and the quoted \
             minister's: {in_review:#}"
        );
        assert_eq!(
            (
                approval_status(&in_review, &minister_a),
                approval_status(&in_review, &minister_b)
            ),
            ("PENDING", "PENDING"),
            "[{backend}] {in_review:#}"
        );

        let after_a = app.approve(&ministry.office, &in_review).await;
        assert_state(&app, &after_a, "IN_REVIEW");
        assert_eq!(
            (
                approval_status(&after_a, &minister_a),
                approval_status(&after_a, &minister_b)
            ),
            ("APPROVED", "PENDING"),
            "[{backend}] one of two approvals leaves the release in review: {after_a:#}"
        );
        let after_b = app.approve(&office_b, &after_a).await;
        assert_state(&app, &after_b, "APPROVED");

        // A paragraph edit: B's quotes are unchanged, so B's approval still covers them.
        let paragraph_edit = with_block(&input, 0, paragraph(EDITED_PARAGRAPH));
        let edited = app
            .update_release(&ministry.drafter, &after_b, &paragraph_edit)
            .await;
        assert_state(&app, &edited, "IN_REVIEW");
        assert_eq!(
            (
                approval_status(&edited, &minister_a),
                approval_status(&edited, &minister_b)
            ),
            ("PENDING", "APPROVED"),
            "[{backend}] a paragraph edit voids the responsible minister's approval but not the \
             approval of a minister whose quotes are unchanged: {edited:#}"
        );
        let reapproved = app.approve(&ministry.office, &edited).await;
        assert_state(&app, &reapproved, "APPROVED");

        // An edit of B's quote: B must look again, and so must A.
        let quote_edit = with_block(
            &paragraph_edit,
            3,
            quote(&minister_b, "Fossilfritt stål visar att omställningen redan är här."),
        );
        let edited = app
            .update_release(&ministry.drafter, &reapproved, &quote_edit)
            .await;
        assert_state(&app, &edited, "IN_REVIEW");
        assert_eq!(
            (
                approval_status(&edited, &minister_a),
                approval_status(&edited, &minister_b)
            ),
            ("PENDING", "PENDING"),
            "[{backend}] changing B's quote voids B's approval (and, as any change, A's): {edited:#}"
        );
        let after_b = app.approve(&office_b, &edited).await;
        assert_state(&app, &after_b, "IN_REVIEW");
        let after_a = app.approve(&ministry.office, &after_b).await;
        assert_state(&app, &after_a, "APPROVED");
    })
    .await;
}

#[tokio::test]
async fn nobody_approves_a_revision_they_authored_whatever_token_they_use() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let input = ministry.release_input();
        let backend = app.backend;

        // Kim is a press secretary who drafts and also reviews for the minister's office.
        let kim_drafter = app
            .create_token("kim", "DRAFTER", Some(&ministry.department), None, false)
            .await
            .token;
        let kim_office = app
            .create_token(
                "kim",
                "MINISTER_OFFICE",
                None,
                Some(&ministry.minister_id),
                false,
            )
            .await
            .token;

        let draft = app.create_release(&kim_drafter, &input).await;
        let in_review = app.submit_for_review(&kim_drafter, &draft).await;
        assert_state(&app, &in_review, "IN_REVIEW");
        assert!(
            app.release(Some(&kim_office), id(&in_review))
                .await
                .is_some(),
            "[{backend}] kim's office token sees the release it is asked to review"
        );

        app.expect_error(
            Some(&kim_office),
            APPROVE_RELEASE,
            lifecycle_vars(&in_review, json!({})),
            &["FORBIDDEN"],
        )
        .await;
        let unchanged = app
            .release_for_staff(&ministry.editor, id(&in_review))
            .await
            .expect("the editor sees the department's release");
        assert!(
            unchanged["state"] == "IN_REVIEW"
                && version(&unchanged) == version(&in_review)
                && approval_status(&unchanged, &ministry.minister_id) == "PENDING",
            "[{backend}] the refused self-approval changed nothing: {unchanged:#}"
        );

        let approved = app.approve(&ministry.office, &unchanged).await;
        assert_state(&app, &approved, "APPROVED");
    })
    .await;
}
