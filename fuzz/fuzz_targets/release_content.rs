//! Fuzz target `release_content`: arbitrary bytes through the two ways content enters the domain.
//!
//! 1. As the JSON of the GraphQL `ReleaseInput` (what `pressroom-api` turns into a
//!    [`ContentInput`]) through [`ReleaseContent::parse`]. The target checks that the validator
//!    accepts exactly the content the documented rules allow (an independent statement of those
//!    rules, [`problems`], is the oracle, both ways), that a refusal names a field that really is
//!    wrong, and that accepted content keeps every invariant of the canonical encoding, the
//!    content hash, the quotes hashes, the search text and the slug.
//! 2. As a stored canonical encoding through [`ReleaseContent::from_canonical_json`] (what storage
//!    reads back): whatever it accepts must re-encode to a fixed point with a stable hash.
//!
//! Any panic, in the domain crate or in an assertion here, is a finding.

#![no_main]

use libfuzzer_sys::fuzz_target;
use pressroom_domain::approval::{self, ApprovalRecord, Verdict};
use pressroom_domain::content::{
    Block, Contact, ContentInput, FactBox, ReleaseContent, ReleaseKind, limits, sha256_hex,
};
use pressroom_domain::directory::check_department;
use pressroom_domain::slug::{MAX_SLUG_LEN, slug_for_title};
use serde::Deserialize;
use serde_json::Value;

/// The JSON shape of the GraphQL `ReleaseInput` (contract.graphql): body blocks are one-of
/// objects, `kind`, `contacts`, `factBoxes` and `topics` may be left out. `department` and any
/// other key are ignored: the domain never sees them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReleaseInputJson {
    #[serde(default)]
    kind: Option<ReleaseKind>,
    language: String,
    #[serde(default)]
    responsible_minister_id: Option<String>,
    title: String,
    lead: String,
    body: Vec<BlockJson>,
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    fact_boxes: Vec<FactBox>,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    translation_of: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum BlockJson {
    Paragraph(String),
    Quote {
        #[serde(rename = "speakerId")]
        speaker_id: String,
        text: String,
    },
}

impl ReleaseInputJson {
    /// The same mapping as `pressroom_api::inputs::ReleaseInput::into_content`.
    fn into_input(self) -> ContentInput {
        ContentInput {
            kind: self.kind.unwrap_or_default(),
            language: self.language,
            responsible_minister_id: self.responsible_minister_id,
            title: self.title,
            lead: self.lead,
            body: self
                .body
                .into_iter()
                .map(|b| match b {
                    BlockJson::Paragraph(text) => Block::Paragraph { text },
                    BlockJson::Quote { speaker_id, text } => Block::Quote { speaker_id, text },
                })
                .collect(),
            contacts: self.contacts,
            fact_boxes: self.fact_boxes,
            topics: self.topics,
            translation_of: self.translation_of,
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(json) = serde_json::from_str::<ReleaseInputJson>(text) {
        check_input(json.into_input());
    }
    if let Ok(stored) = ReleaseContent::from_canonical_json(text) {
        check_stored(&stored);
    }
});

/// Validation of client input, then every property of accepted content.
fn check_input(input: ContentInput) {
    let expected = problems(&input);
    match ReleaseContent::parse(input.clone()) {
        Err(err) => {
            assert_eq!(err.code(), "VALIDATION", "parse refused with {err:?}");
            let field = err.field().expect("a validation error names its field");
            assert!(
                expected.iter().any(|p| p == field),
                "parse refused {field} ({err}) but by the documented rules only {expected:?} are wrong"
            );
        }
        Ok(content) => {
            assert!(
                expected.is_empty(),
                "parse accepted content that breaks the documented rules at {expected:?}"
            );
            // Text is stored exactly as given: nothing is trimmed, normalized or dropped.
            assert_eq!(input_of(&content), input, "parse changed the input");
            check_encoding(&content);
            check_search_text(&content);
            check_quotes(&content);
            check_edits(&content);
            check_slug(content.title());
        }
    }
}

/// Content read back from storage: the canonical encoding is a fixed point.
fn check_stored(stored: &ReleaseContent) {
    let canonical = stored.canonical_json();
    let again = ReleaseContent::from_canonical_json(&canonical)
        .expect("the canonical encoding of stored content reads back");
    assert_eq!(&again, stored, "canonical encoding does not round-trip");
    assert_eq!(
        again.canonical_json(),
        canonical,
        "canonical encoding is not a fixed point"
    );
    assert_eq!(again.content_hash(), stored.content_hash());
    check_hash_shape(&stored.content_hash());
    // Stored content is not validated on the way in, but it must not break the derived values.
    let _ = stored.search_text();
    let _ = stored.check_complete();
    for person in stored.referenced_people() {
        check_hash_shape(&stored.quotes_hash(person));
    }
    // If the stored content also passes validation, validation leaves it exactly as it is.
    if let Ok(valid) = ReleaseContent::parse(input_of(stored)) {
        assert_eq!(&valid, stored, "validating stored content changed it");
        assert_eq!(valid.content_hash(), stored.content_hash());
    }
}

/// The canonical encoding and the content hash (module docs of `content`).
fn check_encoding(content: &ReleaseContent) {
    let canonical = content.canonical_json();
    let value: Value = serde_json::from_str(&canonical).expect("canonical encoding is JSON");
    // Every field present, optional ones as null.
    let object = value.as_object().expect("canonical encoding is an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected_keys = [
        "kind",
        "language",
        "responsibleMinisterId",
        "title",
        "lead",
        "body",
        "contacts",
        "factBoxes",
        "topics",
        "translationOf",
    ];
    expected_keys.sort_unstable();
    assert_eq!(keys, expected_keys, "canonical encoding has other keys");
    assert_eq!(
        object["translationOf"].is_null(),
        content.translation_of().is_none()
    );
    for contact in object["contacts"].as_array().expect("contacts is an array") {
        assert_eq!(
            contact.as_object().map(|c| c.len()),
            Some(5),
            "a contact lacks a field: {contact}"
        );
    }
    // Fields in the fixed order of the struct.
    let positions: Vec<usize> = [
        "\"kind\":",
        "\"language\":",
        "\"responsibleMinisterId\":",
        "\"title\":",
    ]
    .iter()
    .map(|k| canonical.find(k).expect("key present"))
    .collect();
    assert!(positions.is_sorted(), "fields out of order: {canonical}");
    assert!(canonical.starts_with("{\"kind\":"));
    // No insignificant white space: re-serializing the parsed value (same escaping, keys merely
    // sorted) gives exactly as many bytes.
    assert_eq!(
        serde_json::to_string(&value).map(|s| s.len()).ok(),
        Some(canonical.len()),
        "canonical encoding has insignificant white space: {canonical}"
    );

    // The hash is the lowercase hex SHA-256 of exactly those bytes, and it is deterministic.
    let hash = content.content_hash();
    check_hash_shape(&hash);
    assert_eq!(hash, sha256_hex(canonical.as_bytes()));
    assert_eq!(hash, content.clone().content_hash());

    // Storage keeps the canonical bytes: reading them back gives equal content, same bytes, same hash.
    let back =
        ReleaseContent::from_canonical_json(&canonical).expect("canonical encoding reads back");
    assert_eq!(&back, content);
    assert_eq!(back.canonical_json(), canonical);
    assert_eq!(back.content_hash(), hash);
    for person in content.referenced_people() {
        assert_eq!(back.quotes_hash(person), content.quotes_hash(person));
    }
}

fn check_hash_shape(hash: &str) {
    assert_eq!(hash.len(), 64, "hash {hash:?} is not 64 characters");
    assert!(
        hash.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "hash {hash:?} is not lowercase hex"
    );
}

/// The search text holds title, lead, paragraphs and quotes, fact boxes and topics, in that
/// order, one per line, and nothing else.
fn check_search_text(content: &ReleaseContent) {
    let text = content.search_text();
    let mut parts: Vec<&str> = vec![content.title(), content.lead()];
    for block in content.body() {
        parts.push(match block {
            Block::Paragraph { text } | Block::Quote { text, .. } => text,
        });
    }
    for fact_box in content.fact_boxes() {
        parts.push(&fact_box.heading);
        parts.push(&fact_box.text);
    }
    parts.extend(content.topics().iter().map(String::as_str));
    let mut rest = text.as_str();
    for (i, part) in parts.iter().enumerate() {
        assert!(
            rest.starts_with(part),
            "search text lacks part {i} {part:?} where expected"
        );
        rest = &rest[part.len()..];
        if i + 1 < parts.len() {
            rest = rest
                .strip_prefix('\n')
                .expect("parts of the search text are separated by line breaks");
        }
    }
    assert!(rest.is_empty(), "search text has more: {rest:?}");
    // Validated text leaves nothing but line breaks and tabs for an index to choke on.
    assert!(
        !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')),
        "search text has a control character"
    );
}

/// Quotes, referenced people and quotes hashes.
fn check_quotes(content: &ReleaseContent) {
    let quote_blocks: Vec<(&str, &str)> = content
        .body()
        .iter()
        .filter_map(|b| match b {
            Block::Quote { speaker_id, text } => Some((speaker_id.as_str(), text.as_str())),
            Block::Paragraph { .. } => None,
        })
        .collect();
    let quotes: Vec<(&str, &str)> = content.quotes().map(|q| (q.speaker_id, q.text)).collect();
    assert_eq!(
        quotes, quote_blocks,
        "quotes() is not the quote blocks in order"
    );

    // The minister, then each speaker, each once, in order of first mention.
    let mut expected: Vec<&str> = Vec::new();
    for id in content
        .responsible_minister_id()
        .into_iter()
        .chain(quotes.iter().map(|(s, _)| *s))
    {
        if !expected.contains(&id) {
            expected.push(id);
        }
    }
    let people = content.referenced_people();
    assert_eq!(people, expected, "referenced people");
    assert_eq!(approval::required_offices(content), people);

    let hashes: Vec<String> = people.iter().map(|p| content.quotes_hash(p)).collect();
    for (i, h) in hashes.iter().enumerate() {
        check_hash_shape(h);
        assert_eq!(
            h,
            &content.quotes_hash(people[i]),
            "quotes hash not deterministic"
        );
        assert!(
            !hashes[..i].contains(h),
            "two offices share a quotes hash: {} and another",
            people[i]
        );
    }
}

/// Metamorphic checks of what an approval covers: edit the content a little and compare.
fn check_edits(content: &ReleaseContent) {
    let hash = content.content_hash();
    let people = content.referenced_people();
    let records: Vec<ApprovalRecord> = people.iter().map(|p| approved_by(content, p)).collect();
    for record in &records {
        assert!(
            approval::covers(record, content, &hash),
            "a fresh approval by {} does not cover the content it was given on",
            record.office_id
        );
    }
    if content.responsible_minister_id().is_some() {
        assert!(approval::fully_approved(&records, content, &hash));
    }

    // A new paragraph: a new hash; every quotes hash unchanged; only the minister's approval lapses.
    if content.body().len() < limits::BLOCKS {
        let mut input = input_of(content);
        input.body.push(Block::Paragraph {
            text: "Ny paragraf.".into(),
        });
        let edited = ReleaseContent::parse(input).expect("one more paragraph is still valid");
        compare_edit(content, &edited, &records, None);
    }

    // A different title: the same.
    let mut input = input_of(content);
    input.title = other_text(&input.title, limits::TITLE);
    let edited = ReleaseContent::parse(input).expect("an edited title is still valid");
    compare_edit(content, &edited, &records, None);

    // One quote's words changed: its speaker's quotes hash changes, nobody else's.
    if let Some(i) = content
        .body()
        .iter()
        .position(|b| matches!(b, Block::Quote { .. }))
    {
        let mut input = input_of(content);
        let Block::Quote { speaker_id, text } = &mut input.body[i] else {
            unreachable!()
        };
        let speaker = speaker_id.clone();
        *text = other_text(text, limits::BLOCK_TEXT);
        let edited = ReleaseContent::parse(input).expect("an edited quote is still valid");
        compare_edit(content, &edited, &records, Some(&speaker));
    }
}

fn compare_edit(
    before: &ReleaseContent,
    after: &ReleaseContent,
    records: &[ApprovalRecord],
    changed_speaker: Option<&str>,
) {
    let after_hash = after.content_hash();
    assert_ne!(
        before.content_hash(),
        after_hash,
        "different content, same hash"
    );
    assert_ne!(before.canonical_json(), after.canonical_json());
    for record in records {
        let office = record.office_id.as_str();
        let is_minister = before.responsible_minister_id() == Some(office);
        let quotes_changed = changed_speaker == Some(office);
        assert_eq!(
            before.quotes_hash(office) != after.quotes_hash(office),
            quotes_changed,
            "quotes hash of {office} changed: {}, expected {quotes_changed}",
            !quotes_changed
        );
        assert_eq!(
            approval::covers(record, after, &after_hash),
            !is_minister && !quotes_changed,
            "approval by {office} (minister: {is_minister}) after an edit"
        );
    }
}

fn approved_by(content: &ReleaseContent, office: &str) -> ApprovalRecord {
    ApprovalRecord {
        office_id: office.into(),
        revision: 1,
        verdict: Verdict::Approved,
        by_user: "granskare".into(),
        at: chrono::DateTime::UNIX_EPOCH,
        comment: None,
        content_hash: content.content_hash(),
        quotes_hash: content.quotes_hash(office),
    }
}

/// Valid, required text of at most `max` characters that differs from `text` (itself valid).
fn other_text(text: &str, max: usize) -> String {
    if text.chars().count() < max {
        format!("{text}x")
    } else {
        let mut t: String = text.chars().skip(1).collect();
        t.push(if text.ends_with('x') { 'y' } else { 'x' });
        // Dropping the first character and appending one changes a string unless it is one
        // character repeated; then replace the first character instead.
        if t == text {
            t = text.chars().skip(1).collect();
            t.insert(0, if text.starts_with('y') { 'z' } else { 'y' });
        }
        t
    }
}

/// Slugs generated from accepted titles.
fn check_slug(title: &str) {
    let slug = slug_for_title(title);
    assert!(
        !slug.is_empty() && slug.len() <= MAX_SLUG_LEN,
        "slug {slug:?}"
    );
    assert!(
        check_department(&slug, "Namn", "Europe/Stockholm").is_ok(),
        "slug {slug:?} of {title:?} is not lowercase ASCII words joined by single dashes"
    );
}

/// ContentInput back from content: what a client would send to reproduce it.
fn input_of(content: &ReleaseContent) -> ContentInput {
    ContentInput {
        kind: content.kind(),
        language: content.language().to_owned(),
        responsible_minister_id: content.responsible_minister_id().map(str::to_owned),
        title: content.title().to_owned(),
        lead: content.lead().to_owned(),
        body: content.body().to_vec(),
        contacts: content.contacts().to_vec(),
        fact_boxes: content.fact_boxes().to_vec(),
        topics: content.topics().to_vec(),
        translation_of: content.translation_of().map(str::to_owned),
    }
}

// ---------------------------------------------------------------------------------------------
// The oracle: the documented rules (content module docs, `limits`, the error messages), stated
// field by field and independently of the order `parse` checks them in.
// ---------------------------------------------------------------------------------------------

/// Every input path that breaks a documented rule.
fn problems(input: &ContentInput) -> Vec<String> {
    let mut out = Vec::new();
    let mut flag = |ok: bool, field: String| {
        if !ok {
            out.push(field);
        }
    };
    flag(language_ok(&input.language), "input.language".into());
    flag(
        text_ok(&input.title, limits::TITLE, false, true),
        "input.title".into(),
    );
    flag(
        text_ok(&input.lead, limits::LEAD, true, false),
        "input.lead".into(),
    );
    flag(input.body.len() <= limits::BLOCKS, "input.body".into());
    for (i, block) in input.body.iter().enumerate() {
        match block {
            Block::Paragraph { text } => flag(
                text_ok(text, limits::BLOCK_TEXT, true, true),
                format!("input.body[{i}].paragraph"),
            ),
            Block::Quote { speaker_id, text } => {
                flag(
                    id_ok(speaker_id),
                    format!("input.body[{i}].quote.speakerId"),
                );
                flag(
                    text_ok(text, limits::BLOCK_TEXT, true, true),
                    format!("input.body[{i}].quote.text"),
                );
            }
        }
    }
    flag(
        input.contacts.len() <= limits::CONTACTS,
        "input.contacts".into(),
    );
    for (i, c) in input.contacts.iter().enumerate() {
        for (field, ok) in contact_problems(c) {
            flag(ok, format!("input.contacts[{i}].{field}"));
        }
    }
    flag(
        input.fact_boxes.len() <= limits::FACT_BOXES,
        "input.factBoxes".into(),
    );
    for (i, f) in input.fact_boxes.iter().enumerate() {
        flag(
            text_ok(&f.heading, limits::SHORT_TEXT, false, true),
            format!("input.factBoxes[{i}].heading"),
        );
        flag(
            text_ok(&f.text, limits::BLOCK_TEXT, true, true),
            format!("input.factBoxes[{i}].text"),
        );
    }
    flag(input.topics.len() <= limits::TOPICS, "input.topics".into());
    for (i, t) in input.topics.iter().enumerate() {
        flag(
            text_ok(t, limits::SHORT_TEXT, false, true),
            format!("input.topics[{i}]"),
        );
    }
    if let Some(id) = &input.responsible_minister_id {
        flag(id_ok(id), "input.responsibleMinisterId".into());
    }
    if let Some(id) = &input.translation_of {
        flag(id_ok(id), "input.translationOf".into());
    }
    out
}

/// (field, ok) for each part of a contact.
fn contact_problems(c: &Contact) -> Vec<(&'static str, bool)> {
    vec![
        ("name", text_ok(&c.name, limits::SHORT_TEXT, false, true)),
        (
            "role",
            c.role
                .as_deref()
                .is_none_or(|r| text_ok(r, limits::SHORT_TEXT, false, false)),
        ),
        ("phone", c.phone.as_deref().is_none_or(phone_ok)),
        ("mobile", c.mobile.as_deref().is_none_or(phone_ok)),
        ("email", c.email.as_deref().is_none_or(email_ok)),
    ]
}

/// Free text: at most `max` characters (not bytes), no control characters but line breaks and
/// tabs in multi-line fields, and not blank when required.
fn text_ok(text: &str, max: usize, multi_line: bool, required: bool) -> bool {
    let blank = text.chars().all(char::is_whitespace);
    let controls = text
        .chars()
        .any(|c| c.is_control() && !(multi_line && (c == '\n' || c == '\r' || c == '\t')));
    !(required && blank) && text.chars().count() <= max && !controls
}

/// "a 2–3 letter primary language and subtags of 1–8 letters or digits", at most 35 characters.
fn language_ok(tag: &str) -> bool {
    let subtags: Vec<&str> = tag.split('-').collect();
    let primary = subtags[0];
    tag.chars().count() <= 35
        && (2..=3).contains(&primary.chars().count())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && subtags[1..].iter().all(|s| {
            (1..=8).contains(&s.chars().count()) && s.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

/// Ids: 1–64 ASCII letters, digits and dashes.
fn id_ok(id: &str) -> bool {
    (1..=64).contains(&id.chars().count())
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// "digits, spaces, dashes and balanced parentheses, with an optional + first": at most 40
/// characters and at least 3 digits. No-break spaces count as spaces; parentheses do not nest.
fn phone_ok(phone: &str) -> bool {
    let mut depth = 0i32;
    let mut nesting_ok = true;
    for c in phone.chars() {
        depth += match c {
            '(' => 1,
            ')' => -1,
            _ => 0,
        };
        nesting_ok &= (0..=1).contains(&depth);
    }
    phone.chars().count() <= limits::PHONE
        && phone.chars().filter(char::is_ascii_digit).count() >= 3
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || " \u{a0}-+()".contains(c))
        && !phone.chars().skip(1).any(|c| c == '+')
        && nesting_ok
        && depth == 0
}

/// "an e-mail address like name@example.se": one `@` after a non-empty local part, a domain of
/// two or more non-empty labels, no white space or control characters, at most 254 bytes (the
/// RFC 5321 path limit).
fn email_ok(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= limits::EMAIL
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}
