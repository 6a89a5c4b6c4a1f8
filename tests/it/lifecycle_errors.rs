//! Scenario 10: validation and lifecycle errors, review sent back with a comment, corrections
//! and withdrawal of a published release.

use serde_json::{Value, json};

use crate::fixture::{paragraph, quote, with_block};
use crate::graphql::{
    CORRECT_RELEASE, REQUEST_CHANGES, SUBMIT_FOR_REVIEW, WITHDRAW_RELEASE, assert_state,
    find_approval, id, lifecycle_vars, revision, version,
};
use crate::harness::{for_each_backend, spawn_app};

#[tokio::test]
async fn invalid_input_and_invalid_transitions_are_refused_and_corrections_and_withdrawals_are_public()
 {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let input = ministry.release_input();
        let backend = app.backend;
        let minister = ministry.minister_id.as_str();

        // A draft without contacts may be saved but not submitted.
        let mut incomplete = input.clone();
        incomplete["contacts"] = json!([]);
        let draft = app.create_release(&ministry.drafter, &incomplete).await;
        assert_state(&app, &draft, "DRAFT");
        app.expect_error(
            Some(&ministry.drafter),
            SUBMIT_FOR_REVIEW,
            lifecycle_vars(&draft, json!({})),
            &["VALIDATION"],
        )
        .await;
        let unchanged = app
            .release_for_staff(&ministry.drafter, id(&draft))
            .await
            .expect("the drafter sees the draft");
        assert!(
            unchanged["state"] == "DRAFT" && version(&unchanged) == version(&draft),
            "[{backend}] a refused submit changes nothing: {unchanged:#}"
        );

        let complete = app
            .update_release(&ministry.drafter, &unchanged, &input)
            .await;
        let in_review = app.submit_for_review(&ministry.drafter, &complete).await;
        assert_state(&app, &in_review, "IN_REVIEW");

        // Sending back needs a comment.
        app.expect_error(
            Some(&ministry.office),
            REQUEST_CHANGES,
            lifecycle_vars(&in_review, json!({ "comment": "" })),
            &["VALIDATION"],
        )
        .await;
        let comment = "Citatet om LeadIT behöver ses över – stämmer siffran ”närmare 40 länder”?";
        let sent_back = app
            .request_changes(&ministry.office, &in_review, comment)
            .await;
        assert_state(&app, &sent_back, "DRAFT");
        let approval = find_approval(&sent_back, minister);
        assert!(
            approval.is_some_and(|approval| approval["status"] == "CHANGES_REQUESTED"
                && approval["comment"] == comment),
            "[{backend}] after requestChanges, approvals should list the minister's office with \
             status CHANGES_REQUESTED and comment {comment:?}; got {:#}",
            sent_back["approvals"]
        );

        // Only a published release can be withdrawn.
        app.expect_error(
            Some(&ministry.editor),
            WITHDRAW_RELEASE,
            lifecycle_vars(&sent_back, json!({ "reason": "Fel pressmeddelande." })),
            &["INVALID_TRANSITION"],
        )
        .await;
        let unchanged = app
            .release_for_staff(&ministry.drafter, id(&draft))
            .await
            .expect("the drafter sees the draft");
        assert!(
            unchanged["state"] == "DRAFT" && version(&unchanged) == version(&sent_back),
            "[{backend}] an invalid transition changes nothing: {unchanged:#}"
        );

        // Resubmitted, approved, published.
        let in_review = app.submit_for_review(&ministry.drafter, &unchanged).await;
        let approved = app.approve(&ministry.office, &in_review).await;
        assert_state(&app, &approved, "APPROVED");
        let published = app.publish_now(&ministry.editor, &approved).await;
        assert_state(&app, &published, "PUBLISHED");
        let release_id = id(&published).to_owned();

        // A correction may not touch a quote.
        let quote_text = input["body"][1]["quote"]["text"]
            .as_str()
            .expect("block 1 of the fixture is a quote");
        let changed_quote = quote_text.replace("Sverige ska", "Sverige måste");
        assert_ne!(
            changed_quote, quote_text,
            "the fixture's first quote changed"
        );
        let quote_changed = with_block(&input, 1, quote(minister, &changed_quote));
        app.expect_error(
            Some(&ministry.editor),
            CORRECT_RELEASE,
            lifecycle_vars(
                &published,
                json!({ "input": quote_changed, "note": "Citatet rättat." }),
            ),
            &["QUOTE_CHANGE_REQUIRES_REVIEW"],
        )
        .await;
        let unchanged = app
            .release(None, &release_id)
            .await
            .expect("the public sees the published release");
        assert!(
            version(&unchanged) == version(&published)
                && revision(&unchanged) == revision(&published)
                && unchanged["body"][1]["text"] == quote_text,
            "[{backend}] a refused correction changes nothing: {unchanged:#}"
        );

        // A correction of a paragraph goes live at once, with a public note.
        let corrected_paragraph = input["body"][2]["paragraph"]
            .as_str()
            .expect("block 2 of the fixture is a paragraph")
            .replace(
                "den tunga industrin klimatomställning",
                "den tunga industrins klimatomställning",
            );
        assert_ne!(
            Some(corrected_paragraph.as_str()),
            input["body"][2]["paragraph"].as_str(),
            "the fixture's third block changed"
        );
        let note = "Rättelse: ett stavfel i tredje stycket har rättats.";
        let corrected = app
            .correct(
                &ministry.editor,
                &published,
                &with_block(&input, 2, paragraph(&corrected_paragraph)),
                note,
            )
            .await;
        assert_state(&app, &corrected, "PUBLISHED");
        assert!(
            corrected["publishedAt"] == published["publishedAt"]
                && revision(&corrected) == revision(&published) + 1,
            "[{backend}] a correction keeps publishedAt and makes a new revision: {corrected:#}"
        );
        let public = app
            .release(None, &release_id)
            .await
            .expect("the public sees the corrected release");
        let has_note = public["corrections"].as_array().is_some_and(|corrections| {
            corrections.iter().any(|correction| {
                correction["note"] == note && correction["revision"] == revision(&corrected)
            })
        });
        assert!(
            has_note
                && public["body"][2]["text"] == corrected_paragraph.as_str()
                && public["state"] == "PUBLISHED",
            "[{backend}] the public sees the corrected text and the correction note for \
             revision {}: {public:#}",
            revision(&corrected)
        );
        let listed = app.release_ids(None, Value::Null).await;
        assert!(
            listed.contains(&release_id),
            "[{backend}] a published release is in the anonymous listing: {listed:?}"
        );

        // Withdrawal needs a reason, stays readable, and leaves the listing.
        app.expect_error(
            Some(&ministry.editor),
            WITHDRAW_RELEASE,
            lifecycle_vars(&corrected, json!({ "reason": "" })),
            &["VALIDATION"],
        )
        .await;
        let reason = "Pressmeddelandet publicerades av misstag före mötet.";
        let withdrawn = app.withdraw(&ministry.editor, &corrected, reason).await;
        assert_state(&app, &withdrawn, "WITHDRAWN");
        let public = app.release(None, &release_id).await;
        assert!(
            public
                .as_ref()
                .is_some_and(|release| release["state"] == "WITHDRAWN"
                    && release["withdrawal"]["reason"] == reason
                    && release["withdrawal"]["at"].is_string()),
            "[{backend}] the public still reads a withdrawn release, with its reason: {public:#?}"
        );
        let listed = app.release_ids(None, Value::Null).await;
        assert!(
            !listed.contains(&release_id),
            "[{backend}] a withdrawn release leaves the default anonymous listing: {listed:?}"
        );
    })
    .await;
}
