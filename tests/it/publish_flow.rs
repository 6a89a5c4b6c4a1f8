//! Scenario 1: the example release from draft to published, read back byte for byte, with its
//! audit trail and a verified hash chain.

use serde_json::Value;

use crate::fixture::assert_content_equals;
use crate::graphql::{approval_of, assert_state, id, revision, version};
use crate::harness::{for_each_backend, spawn_app};

/// The slug the fixture's title must give: å, ä, ö transliterated, lowercase, dashes.
const EXPECTED_SLUG: &str =
    "svensk-indiskt-fn-initiativ-fortsatter-att-leda-tunga-industrins-klimatomstallning";

#[tokio::test]
async fn the_example_release_goes_from_draft_to_published_and_reads_back_byte_for_byte() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let input = ministry.release_input();
        let backend = app.backend;

        // Drafting.
        let draft = app.create_release(&ministry.drafter, &input).await;
        assert_state(&app, &draft, "DRAFT");
        assert_eq!(
            (revision(&draft), version(&draft)),
            (1, 1),
            "[{backend}] a new release is revision 1, version 1: {draft:#}"
        );
        let slug = draft["slug"].as_str().expect("slug").to_owned();
        assert!(
            slug.starts_with(EXPECTED_SLUG),
            "[{backend}] the slug should be derived from the title with å/ä/ö transliterated \
             ({EXPECTED_SLUG}…), got {slug:?}"
        );
        assert!(
            slug.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "[{backend}] a slug is lowercase ASCII, digits and dashes: {slug:?}"
        );
        assert_content_equals(&app, "createRelease", &draft, &input);
        assert!(
            draft["publishedAt"].is_null() && draft["embargoUntil"].is_null(),
            "[{backend}] a draft is neither published nor embargoed: {draft:#}"
        );
        let content_hash = draft["contentHash"].clone();
        assert!(
            content_hash.as_str().is_some_and(|hash| !hash.is_empty()),
            "[{backend}] a release has a content hash: {draft:#}"
        );

        // Review.
        let in_review = app.submit_for_review(&ministry.drafter, &draft).await;
        assert_state(&app, &in_review, "IN_REVIEW");
        assert!(
            version(&in_review) > version(&draft) && revision(&in_review) == 1,
            "[{backend}] submitting bumps the version but not the revision: {in_review:#}"
        );
        let approvals = in_review["approvals"].as_array().expect("approvals");
        assert_eq!(
            approvals.len(),
            1,
            "[{backend}] one required office (the responsible minister's, who is also the only \
             person quoted): {in_review:#}"
        );
        assert_eq!(
            approval_of(&in_review, &ministry.minister_id)["status"],
            "PENDING",
            "[{backend}] the minister's office has not approved yet: {in_review:#}"
        );

        let approved = app.approve(&ministry.office, &in_review).await;
        assert_state(&app, &approved, "APPROVED");
        let approval = approval_of(&approved, &ministry.minister_id);
        assert_eq!(
            (&approval["status"], &approval["by"]),
            (&Value::from("APPROVED"), &Value::from("office")),
            "[{backend}] the approval records the office user who gave it: {approved:#}"
        );
        assert!(
            !approval["at"].is_null(),
            "[{backend}] an approval has a time: {approved:#}"
        );

        // Publishing.
        let published = app.publish_now(&ministry.editor, &approved).await;
        assert_state(&app, &published, "PUBLISHED");
        assert!(
            published["publishedAt"].is_string(),
            "[{backend}] publishNow sets publishedAt: {published:#}"
        );
        assert_eq!(
            (revision(&published), &published["contentHash"]),
            (1, &content_hash),
            "[{backend}] what is published is the approved revision: {published:#}"
        );
        assert_eq!(published["slug"], slug.as_str(), "[{backend}] slug is stable");

        // The public reads it, exactly as drafted.
        let release_id = id(&published).to_owned();
        let by_id = app
            .release(None, &release_id)
            .await
            .unwrap_or_else(|| panic!("[{backend}] anonymous release(id) is null after publishNow"));
        assert_state(&app, &by_id, "PUBLISHED");
        assert_eq!(
            by_id["publishedAt"], published["publishedAt"],
            "[{backend}] anonymous sees the same publishedAt"
        );
        assert_content_equals(&app, "anonymous release(id)", &by_id, &input);
        let by_slug = app
            .release_by_slug(None, &slug)
            .await
            .unwrap_or_else(|| panic!("[{backend}] anonymous releaseBySlug({slug}) is null"));
        assert_eq!(by_slug["id"], release_id.as_str(), "[{backend}] by slug");
        assert_content_equals(&app, "anonymous releaseBySlug", &by_slug, &input);
        let listed = app.release_ids(None, Value::Null).await;
        assert!(
            listed.contains(&release_id),
            "[{backend}] the published release is in the anonymous listing: {listed:?}"
        );

        // The audit trail of the release, as its editor reads it.
        let entries = app.audit_entries(&ministry.editor, Some(&release_id)).await;
        let expected = [
            ("createRelease", "drafter", None, "DRAFT"),
            ("submitForReview", "drafter", Some("DRAFT"), "IN_REVIEW"),
            ("approveRelease", "office", Some("IN_REVIEW"), "APPROVED"),
            ("publishNow", "editor", Some("APPROVED"), "PUBLISHED"),
        ];
        let found: Vec<(String, String, Option<String>, String)> = entries
            .iter()
            .map(|entry| {
                (
                    entry["action"].as_str().unwrap_or("?").to_owned(),
                    entry["actor"].as_str().unwrap_or("?").to_owned(),
                    entry["fromState"].as_str().map(str::to_owned),
                    entry["toState"].as_str().unwrap_or("?").to_owned(),
                )
            })
            .collect();
        let expected_owned: Vec<(String, String, Option<String>, String)> = expected
            .iter()
            .map(|(action, actor, from, to)| {
                (
                    (*action).to_owned(),
                    (*actor).to_owned(),
                    from.map(str::to_owned),
                    (*to).to_owned(),
                )
            })
            .collect();
        assert_eq!(
            found, expected_owned,
            "[{backend}] audit entries (action, actor, fromState, toState) of the release, in \
             order:\n{entries:#?}"
        );
        for entry in &entries {
            assert!(
                entry["releaseId"] == release_id.as_str()
                    && entry["revision"] == 1
                    && entry["details"].is_object()
                    && is_sha256_hex(&entry["hash"])
                    && is_sha256_hex(&entry["prevHash"]),
                "[{backend}] an audit entry names the release and revision 1, has details as a \
                 JSON object and 64-hex hashes: {entry:#}"
            );
        }
        let seqs: Vec<i64> = entries.iter().filter_map(|e| e["seq"].as_i64()).collect();
        assert!(
            seqs.len() == entries.len() && seqs.windows(2).all(|pair| pair[0] < pair[1]),
            "[{backend}] audit entries come oldest first by seq: {seqs:?}"
        );

        // The whole chain, as the admin reads it: every prevHash is the previous entry's hash.
        let all = app.audit_entries(&app.admin_token, None).await;
        for pair in all.windows(2) {
            assert!(
                pair[0]["seq"].as_i64() < pair[1]["seq"].as_i64()
                    && pair[1]["prevHash"] == pair[0]["hash"],
                "[{backend}] the global audit log is a hash chain in seq order; broken between\n{:#}\nand\n{:#}",
                pair[0],
                pair[1]
            );
        }
        for entry in &entries {
            let position = all
                .iter()
                .position(|global| global["seq"] == entry["seq"])
                .unwrap_or_else(|| {
                    panic!("[{backend}] release entry missing from the global log: {entry:#}")
                });
            assert_eq!(
                &all[position], entry,
                "[{backend}] an entry reads the same in the release's and the global log"
            );
            if position > 0 {
                assert_eq!(
                    entry["prevHash"],
                    all[position - 1]["hash"],
                    "[{backend}] prevHash of seq {} is the hash of the entry before it",
                    entry["seq"]
                );
            }
        }

        // And the CLI agrees.
        let verified = app.audit_verify().await;
        let head = all.last().map_or(Value::Null, |last| last["hash"].clone());
        let expected_line = format!(
            "ok: {} entries, head {}",
            all.len(),
            head.as_str().unwrap_or("?")
        );
        assert!(
            verified.status.success() && verified.last_line() == expected_line,
            "[{backend}] `pressroom audit verify` should exit 0 and end with {expected_line:?}\n{verified}"
        );
    })
    .await;
}

/// Whether `value` is a lowercase hex SHA-256 (64 characters).
fn is_sha256_hex(value: &Value) -> bool {
    value.as_str().is_some_and(|hash| {
        hash.len() == 64
            && hash
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}
