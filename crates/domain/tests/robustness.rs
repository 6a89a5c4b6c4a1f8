//! Arbitrary input never panics the rules: any Unicode, control characters, huge strings and
//! random structures give either valid content or a `VALIDATION` error naming a field.

use pressroom_domain::DomainError;
use pressroom_domain::content::{
    Block, Contact, ContentInput, FactBox, ReleaseContent, ReleaseKind,
};
use pressroom_domain::directory::{check_department, check_person};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,40}",
        "[\\x00-\\x1f\\u{7f}-\\u{9f}]{1,5}",
        Just("'; DROP TABLE releases; --".to_owned()),
        Just("\"klimat\" OR NEAR(a b) -x* ^y".to_owned()),
        (0usize..12_000).prop_map(|n| "å".repeat(n)),
    ]
}

fn block() -> impl Strategy<Value = Block> {
    prop_oneof![
        text().prop_map(|text| Block::Paragraph { text }),
        (text(), text()).prop_map(|(speaker_id, text)| Block::Quote { speaker_id, text }),
    ]
}

fn input() -> impl Strategy<Value = ContentInput> {
    (
        text(),
        text(),
        text(),
        prop::option::of(text()),
        prop::collection::vec(block(), 0..210),
        prop::collection::vec(
            (text(), prop::option::of(text()), prop::option::of(text())),
            0..22,
        ),
        prop::collection::vec((text(), text()), 0..22),
        prop::collection::vec(text(), 0..32),
    )
        .prop_map(
            |(language, title, lead, minister, body, contacts, boxes, topics)| ContentInput {
                kind: ReleaseKind::News,
                language,
                responsible_minister_id: minister,
                title,
                lead,
                body,
                contacts: contacts
                    .into_iter()
                    .map(|(name, phone, email)| Contact {
                        name,
                        role: None,
                        phone,
                        mobile: None,
                        email,
                    })
                    .collect(),
                fact_boxes: boxes
                    .into_iter()
                    .map(|(heading, text)| FactBox { heading, text })
                    .collect(),
                topics,
                translation_of: None,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_content_input_is_either_valid_or_a_validation_error_with_a_field(input in input()) {
        match ReleaseContent::parse(input) {
            Ok(content) => {
                // Valid content always hashes and round-trips.
                prop_assert_eq!(content.content_hash().len(), 64);
                // The hand-written canonical encoding is what serde_json makes of the content.
                prop_assert_eq!(content.canonical_json(), serde_json::to_string(&content).expect("serializes"));
                let back = ReleaseContent::from_canonical_json(&content.canonical_json()).expect("round trip");
                prop_assert_eq!(back, content);
            }
            Err(DomainError::Validation { field, .. }) => prop_assert!(field.starts_with("input.")),
            Err(other) => prop_assert!(false, "unexpected refusal {other:?}"),
        }
    }

    #[test]
    fn any_directory_input_is_checked_without_panicking(slug in text(), name in text(), zone in text()) {
        let _ = check_department(&slug, &name, &zone);
        let _ = check_person(&name, &zone);
    }
}
