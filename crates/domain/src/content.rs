//! The content of one language version of a press release, validated once at the boundary.
//!
//! [`ReleaseContent::parse`] is the only way to build content from input: what it returns is
//! within every limit of the spec (§8) and free of control characters. Text is plain text and is
//! stored exactly as given (Swedish letters, en dashes and non-breaking spaces included); escaping
//! is the job of each output format.
//!
//! # Canonical encoding and content hash
//!
//! The canonical encoding of content is its JSON serialization by `serde_json` with the fields in
//! the fixed order of the structs below, no insignificant white space, and every optional field
//! present (as `null` when absent). Blocks are `{"paragraph":{"text":…}}` or
//! `{"quote":{"speakerId":…,"text":…}}`. The content hash is the lowercase hex SHA-256 of those
//! UTF-8 bytes. Storage keeps exactly these bytes for every revision, so the hash can be checked
//! against what is stored at any time.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::DomainError;

/// Limits of §8 of the spec, in Unicode scalar values (characters), not bytes.
pub mod limits {
    /// Longest title.
    pub const TITLE: usize = 300;
    /// Longest lead (ingress).
    pub const LEAD: usize = 2_000;
    /// Longest paragraph or quote.
    pub const BLOCK_TEXT: usize = 10_000;
    /// Most blocks in a body.
    pub const BLOCKS: usize = 200;
    /// Most press contacts.
    pub const CONTACTS: usize = 20;
    /// Most fact boxes.
    pub const FACT_BOXES: usize = 20;
    /// Most topics.
    pub const TOPICS: usize = 30;
    /// Longest topic, contact name or fact box heading.
    pub const SHORT_TEXT: usize = 300;
    /// Longest phone number.
    pub const PHONE: usize = 40;
    /// Longest e-mail address, in bytes (RFC 5321 path limit, which counts octets).
    pub const EMAIL: usize = 254;
    /// Longest comment, reason or correction note.
    pub const NOTE: usize = 5_000;
}

/// Kind of release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReleaseKind {
    /// A press release (the default).
    #[default]
    PressRelease,
    /// A news item.
    News,
    /// A statement.
    Statement,
}

impl ReleaseKind {
    /// Every kind, in contract order.
    pub const ALL: [ReleaseKind; 3] = [Self::PressRelease, Self::News, Self::Statement];

    /// The stored and contract name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PressRelease => "PRESS_RELEASE",
            Self::News => "NEWS",
            Self::Statement => "STATEMENT",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A block of a body: a paragraph or a quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Block {
    /// Plain text.
    Paragraph {
        /// The paragraph's text.
        text: String,
    },
    /// Words attributed to a person.
    Quote {
        /// Id of the person quoted.
        #[serde(rename = "speakerId")]
        speaker_id: String,
        /// The quoted words, without the leading dash or the attribution.
        text: String,
    },
}

/// A press contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// Name (required).
    pub name: String,
    /// Role, e.g. "Pressekreterare hos …".
    pub role: Option<String>,
    /// Switchboard or desk phone.
    pub phone: Option<String>,
    /// Mobile phone.
    pub mobile: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

/// A fact box.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactBox {
    /// Heading.
    pub heading: String,
    /// Text.
    pub text: String,
}

/// Unvalidated content as it arrives from a client; turn it into [`ReleaseContent`] with [`ReleaseContent::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentInput {
    /// Kind.
    pub kind: ReleaseKind,
    /// BCP 47 language tag.
    pub language: String,
    /// Id of the responsible minister.
    pub responsible_minister_id: Option<String>,
    /// Title.
    pub title: String,
    /// Lead.
    pub lead: String,
    /// Body blocks.
    pub body: Vec<Block>,
    /// Press contacts.
    pub contacts: Vec<Contact>,
    /// Fact boxes.
    pub fact_boxes: Vec<FactBox>,
    /// Topics.
    pub topics: Vec<String>,
    /// Id of the release this one translates.
    pub translation_of: Option<String>,
}

/// Validated content of one revision. Field order here is the canonical encoding's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseContent {
    kind: ReleaseKind,
    language: String,
    responsible_minister_id: Option<String>,
    title: String,
    lead: String,
    body: Vec<Block>,
    contacts: Vec<Contact>,
    fact_boxes: Vec<FactBox>,
    topics: Vec<String>,
    translation_of: Option<String>,
}

/// One quote as it matters for approvals: who says what, in body order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuoteRef<'a> {
    /// Person quoted.
    pub speaker_id: &'a str,
    /// Exact words.
    pub text: &'a str,
}

impl ReleaseContent {
    /// Validates input against every rule and limit, returning the first problem found.
    pub fn parse(input: ContentInput) -> Result<Self, DomainError> {
        let ContentInput {
            kind,
            language,
            responsible_minister_id,
            title,
            lead,
            body,
            contacts,
            fact_boxes,
            topics,
            translation_of,
        } = input;
        check_language(&language)?;
        check_text(
            "input.title",
            &title,
            limits::TITLE,
            Lines::Single,
            Required::Yes,
        )?;
        check_text(
            "input.lead",
            &lead,
            limits::LEAD,
            Lines::Multi,
            Required::No,
        )?;
        check_count("input.body", body.len(), limits::BLOCKS)?;
        for (i, block) in body.iter().enumerate() {
            match block {
                Block::Paragraph { text } => check_text(
                    &format!("input.body[{i}].paragraph"),
                    text,
                    limits::BLOCK_TEXT,
                    Lines::Multi,
                    Required::Yes,
                )?,
                Block::Quote { speaker_id, text } => {
                    check_id(&format!("input.body[{i}].quote.speakerId"), speaker_id)?;
                    check_text(
                        &format!("input.body[{i}].quote.text"),
                        text,
                        limits::BLOCK_TEXT,
                        Lines::Multi,
                        Required::Yes,
                    )?;
                }
            }
        }
        check_count("input.contacts", contacts.len(), limits::CONTACTS)?;
        for (i, c) in contacts.iter().enumerate() {
            let p = format!("input.contacts[{i}]");
            check_text(
                &format!("{p}.name"),
                &c.name,
                limits::SHORT_TEXT,
                Lines::Single,
                Required::Yes,
            )?;
            if let Some(role) = &c.role {
                check_text(
                    &format!("{p}.role"),
                    role,
                    limits::SHORT_TEXT,
                    Lines::Single,
                    Required::No,
                )?;
            }
            for (name, phone) in [("phone", &c.phone), ("mobile", &c.mobile)] {
                if let Some(phone) = phone {
                    check_phone(&format!("{p}.{name}"), phone)?;
                }
            }
            if let Some(email) = &c.email {
                check_email(&format!("{p}.email"), email)?;
            }
        }
        check_count("input.factBoxes", fact_boxes.len(), limits::FACT_BOXES)?;
        for (i, f) in fact_boxes.iter().enumerate() {
            let p = format!("input.factBoxes[{i}]");
            check_text(
                &format!("{p}.heading"),
                &f.heading,
                limits::SHORT_TEXT,
                Lines::Single,
                Required::Yes,
            )?;
            check_text(
                &format!("{p}.text"),
                &f.text,
                limits::BLOCK_TEXT,
                Lines::Multi,
                Required::Yes,
            )?;
        }
        check_count("input.topics", topics.len(), limits::TOPICS)?;
        for (i, t) in topics.iter().enumerate() {
            check_text(
                &format!("input.topics[{i}]"),
                t,
                limits::SHORT_TEXT,
                Lines::Single,
                Required::Yes,
            )?;
        }
        if let Some(id) = &responsible_minister_id {
            check_id("input.responsibleMinisterId", id)?;
        }
        if let Some(id) = &translation_of {
            check_id("input.translationOf", id)?;
        }
        Ok(Self {
            kind,
            language,
            responsible_minister_id,
            title,
            lead,
            body,
            contacts,
            fact_boxes,
            topics,
            translation_of,
        })
    }

    /// Reads content back from its canonical encoding, as stored by storage.
    pub fn from_canonical_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The canonical encoding (see the module documentation).
    pub fn canonical_json(&self) -> String {
        // Serializing plain structs, enums, strings and vectors cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Lowercase hex SHA-256 of the canonical encoding.
    pub fn content_hash(&self) -> String {
        sha256_hex(self.canonical_json().as_bytes())
    }

    /// Kind.
    pub fn kind(&self) -> ReleaseKind {
        self.kind
    }
    /// BCP 47 language tag.
    pub fn language(&self) -> &str {
        &self.language
    }
    /// Id of the responsible minister.
    pub fn responsible_minister_id(&self) -> Option<&str> {
        self.responsible_minister_id.as_deref()
    }
    /// Title.
    pub fn title(&self) -> &str {
        &self.title
    }
    /// Lead.
    pub fn lead(&self) -> &str {
        &self.lead
    }
    /// Body blocks, in order.
    pub fn body(&self) -> &[Block] {
        &self.body
    }
    /// Press contacts.
    pub fn contacts(&self) -> &[Contact] {
        &self.contacts
    }
    /// Fact boxes.
    pub fn fact_boxes(&self) -> &[FactBox] {
        &self.fact_boxes
    }
    /// Topics.
    pub fn topics(&self) -> &[String] {
        &self.topics
    }
    /// Id of the release this one translates.
    pub fn translation_of(&self) -> Option<&str> {
        self.translation_of.as_deref()
    }

    /// The plain text full-text search indexes: title, lead, paragraphs, quotes, fact boxes
    /// and topics, one per line.
    pub fn search_text(&self) -> String {
        let mut parts: Vec<&str> = vec![&self.title, &self.lead];
        for block in &self.body {
            parts.push(match block {
                Block::Paragraph { text } | Block::Quote { text, .. } => text,
            });
        }
        for fact_box in &self.fact_boxes {
            parts.push(&fact_box.heading);
            parts.push(&fact_box.text);
        }
        parts.extend(self.topics.iter().map(String::as_str));
        parts.join("\n")
    }

    /// Every quote, in body order.
    pub fn quotes(&self) -> impl Iterator<Item = QuoteRef<'_>> {
        self.body.iter().filter_map(|b| match b {
            Block::Quote { speaker_id, text } => Some(QuoteRef { speaker_id, text }),
            Block::Paragraph { .. } => None,
        })
    }

    /// Ids of every person referenced (responsible minister and speakers), deduplicated, in order.
    pub fn referenced_people(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for id in self
            .responsible_minister_id
            .as_deref()
            .into_iter()
            .chain(self.quotes().map(|q| q.speaker_id))
        {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    /// Fingerprint of one person's quotes (speaker and exact text, in order): what that person's
    /// office approves when it is not the responsible minister's office.
    pub fn quotes_hash(&self, person_id: &str) -> String {
        let theirs: Vec<&str> = self
            .quotes()
            .filter(|q| q.speaker_id == person_id)
            .map(|q| q.text)
            .collect();
        let encoded = serde_json::to_string(&(person_id, theirs)).unwrap_or_default();
        sha256_hex(encoded.as_bytes())
    }

    /// Whether the content may go to review: title, lead, at least one block, a responsible
    /// minister and at least one contact (§3). Returns the first missing part.
    pub fn check_complete(&self) -> Result<(), DomainError> {
        let missing = if self.lead.trim().is_empty() {
            Some(("input.lead", "a lead is required before review"))
        } else if self.body.is_empty() {
            Some((
                "input.body",
                "at least one body block is required before review",
            ))
        } else if self.responsible_minister_id.is_none() {
            Some((
                "input.responsibleMinisterId",
                "a responsible minister is required before review",
            ))
        } else if self.contacts.is_empty() {
            Some((
                "input.contacts",
                "at least one press contact is required before review",
            ))
        } else {
            None
        };
        match missing {
            Some((field, message)) => Err(DomainError::validation(field, message)),
            None => Ok(()),
        }
    }
}

/// Lowercase hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    Single,
    Multi,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Required {
    Yes,
    No,
}

/// Checks a free-text field: length in characters, no control characters (line breaks and tabs
/// are allowed in multi-line fields), and non-blank when required.
fn check_text(
    field: &str,
    text: &str,
    max: usize,
    lines: Lines,
    required: Required,
) -> Result<(), DomainError> {
    if required == Required::Yes && text.trim().is_empty() {
        return Err(DomainError::validation(field, "must not be empty"));
    }
    let len = text.chars().count();
    if len > max {
        return Err(DomainError::validation(
            field,
            format!("is {len} characters long; at most {max} are allowed"),
        ));
    }
    check_no_control_characters(field, text, lines == Lines::Multi)
}

/// Refuses control characters; in multi-line text `\n`, `\r` and `\t` are allowed.
pub fn check_no_control_characters(
    field: &str,
    text: &str,
    multi_line: bool,
) -> Result<(), DomainError> {
    let bad = text
        .chars()
        .find(|c| c.is_control() && !(multi_line && matches!(c, '\n' | '\r' | '\t')));
    match bad {
        Some(c) => Err(DomainError::validation(
            field,
            format!("contains the control character U+{:04X}", u32::from(c)),
        )),
        None => Ok(()),
    }
}

/// Checks a required free-text note (comment, reason, correction note).
pub fn check_note(field: &str, text: &str) -> Result<(), DomainError> {
    check_text(field, text, limits::NOTE, Lines::Multi, Required::Yes)
}

fn check_count(field: &str, count: usize, max: usize) -> Result<(), DomainError> {
    if count > max {
        return Err(DomainError::validation(
            field,
            format!("has {count} entries; at most {max} are allowed"),
        ));
    }
    Ok(())
}

fn check_id(field: &str, id: &str) -> Result<(), DomainError> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(DomainError::validation(field, "is not a valid id"));
    }
    Ok(())
}

/// A BCP 47 tag in its common shape: a 2–3 letter primary language and subtags of 1–8 letters or digits.
fn check_language(tag: &str) -> Result<(), DomainError> {
    let mut parts = tag.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if primary_ok && rest_ok && tag.len() <= 35 {
        Ok(())
    } else {
        Err(DomainError::validation(
            "input.language",
            "must be a BCP 47 language tag such as sv or en",
        ))
    }
}

/// A phone number: an optional `+` first, then digits, spaces and dashes, with parentheses
/// around digits (balanced, not nested), at least 3 digits, at most [`limits::PHONE`] characters.
fn check_phone(field: &str, phone: &str) -> Result<(), DomainError> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let rest = phone.strip_prefix('+').unwrap_or(phone);
    let mut open = false;
    let shape_ok = rest.chars().all(|c| match c {
        '(' if !open => {
            open = true;
            true
        }
        ')' if open => {
            open = false;
            true
        }
        c => c.is_ascii_digit() || matches!(c, ' ' | '-' | '\u{a0}'),
    }) && !open;
    if phone.chars().count() > limits::PHONE || !shape_ok || digits < 3 {
        return Err(DomainError::validation(
            field,
            "must be a phone number of digits, spaces, dashes and balanced parentheses, with \
             an optional + first",
        ));
    }
    Ok(())
}

/// An e-mail address: one `@`, a non-empty local part, a domain of at least two non-empty
/// dot-separated labels, no whitespace or control characters, at most [`limits::EMAIL`] bytes
/// (RFC 5321 counts octets).
fn check_email(field: &str, email: &str) -> Result<(), DomainError> {
    let ok = email.len() <= limits::EMAIL
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && domain.split('.').all(|label| !label.is_empty())
        });
    if ok {
        Ok(())
    } else {
        Err(DomainError::validation(
            field,
            "must be an e-mail address like name@example.se",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_input() -> ContentInput {
        ContentInput {
            kind: ReleaseKind::PressRelease,
            language: "sv".into(),
            responsible_minister_id: Some("minister-a".into()),
            title: "Svensk-indiskt FN-initiativ fortsätter".into(),
            lead: "Närmare ett hundratal deltagare\u{a0}möts idag.".into(),
            body: vec![
                Block::Paragraph {
                    text: "Högnivåmötet – LeadIT.".into(),
                },
                Block::Quote {
                    speaker_id: "minister-a".into(),
                    text: "Sverige ska axla".into(),
                },
            ],
            contacts: vec![Contact {
                name: "Tove Kullenberg".into(),
                role: Some("Pressekreterare".into()),
                phone: Some("08-405 10 00".into()),
                mobile: Some("073-842 50 59".into()),
                email: None,
            }],
            fact_boxes: vec![FactBox {
                heading: "Stockholm+50".into(),
                text: "Den 2-3 juni 2022".into(),
            }],
            topics: vec!["Klimat".into()],
            translation_of: None,
        }
    }

    #[test]
    fn swedish_text_survives_the_canonical_encoding_byte_for_byte() {
        let content = ReleaseContent::parse(sample_input()).expect("valid");
        let back = ReleaseContent::from_canonical_json(&content.canonical_json()).expect("parses");
        assert_eq!(back, content);
        assert_eq!(back.lead().as_bytes(), sample_input().lead.as_bytes());
        assert!(content.canonical_json().contains("fortsätter"));
    }

    #[test]
    fn the_content_hash_is_sha256_of_the_canonical_encoding() {
        let content = ReleaseContent::parse(sample_input()).expect("valid");
        assert_eq!(
            content.content_hash(),
            sha256_hex(content.canonical_json().as_bytes())
        );
        assert_eq!(content.content_hash().len(), 64);
    }

    #[test]
    fn any_change_of_content_changes_the_hash() {
        let a = ReleaseContent::parse(sample_input()).expect("valid");
        let mut input = sample_input();
        input.topics.push("Industri".into());
        let b = ReleaseContent::parse(input).expect("valid");
        assert_ne!(a.content_hash(), b.content_hash());
    }

    #[test]
    fn a_title_longer_than_300_characters_is_rejected() {
        let mut input = sample_input();
        input.title = "å".repeat(301);
        let err = ReleaseContent::parse(input).expect_err("too long");
        assert_eq!(err.field(), Some("input.title"));
        let mut input = sample_input();
        input.title = "å".repeat(300);
        assert!(ReleaseContent::parse(input).is_ok());
    }

    #[test]
    fn a_blank_title_is_rejected() {
        let mut input = sample_input();
        input.title = "  ".into();
        assert_eq!(
            ReleaseContent::parse(input).expect_err("blank").code(),
            "VALIDATION"
        );
    }

    #[test]
    fn control_characters_are_rejected_but_line_breaks_in_paragraphs_are_not() {
        let mut input = sample_input();
        input.title = "Rubrik\u{7}".into();
        assert_eq!(
            ReleaseContent::parse(input).expect_err("bell").field(),
            Some("input.title")
        );
        let mut input = sample_input();
        input.body = vec![Block::Paragraph {
            text: "rad ett\nrad två".into(),
        }];
        assert!(ReleaseContent::parse(input).is_ok());
    }

    #[test]
    fn more_than_200_blocks_are_rejected() {
        let mut input = sample_input();
        input.body = vec![Block::Paragraph { text: "x".into() }; 201];
        assert_eq!(
            ReleaseContent::parse(input).expect_err("too many").field(),
            Some("input.body")
        );
    }

    #[test]
    fn malformed_emails_phones_and_languages_are_rejected_with_their_path() {
        let mut input = sample_input();
        input.contacts[0].email = Some("not an email".into());
        assert_eq!(
            ReleaseContent::parse(input).expect_err("email").field(),
            Some("input.contacts[0].email")
        );
        let mut input = sample_input();
        input.contacts[0].mobile = Some("call me".into());
        assert_eq!(
            ReleaseContent::parse(input).expect_err("phone").field(),
            Some("input.contacts[0].mobile")
        );
        for phone in ["+++123", "1+2+3", "((1)))2-3", "(08) 405 (10", "08 ) 405"] {
            let mut input = sample_input();
            input.contacts[0].phone = Some(phone.into());
            assert_eq!(
                ReleaseContent::parse(input).expect_err(phone).field(),
                Some("input.contacts[0].phone"),
                "{phone}"
            );
        }
        for phone in [
            "+46 8 405 10 00",
            "(08) 405 10 00",
            "08-405\u{a0}10 00",
            "+46 (0)70-123 45 67",
        ] {
            let mut input = sample_input();
            input.contacts[0].phone = Some(phone.into());
            assert!(ReleaseContent::parse(input).is_ok(), "{phone}");
        }
        for email in ["a@b.", "a@.b", "a@b..se", "@b.se", "a@b@c.se", "a@se"] {
            let mut input = sample_input();
            input.contacts[0].email = Some(email.into());
            assert_eq!(
                ReleaseContent::parse(input).expect_err(email).field(),
                Some("input.contacts[0].email"),
                "{email}"
            );
        }
        let mut input = sample_input();
        input.contacts[0].email = Some("presstjanst.klimat@regeringskansliet.se".into());
        assert!(ReleaseContent::parse(input).is_ok());
        let mut input = sample_input();
        input.language = "svenska språket".into();
        assert_eq!(
            ReleaseContent::parse(input).expect_err("lang").field(),
            Some("input.language")
        );
    }

    #[test]
    fn markup_is_stored_as_given() {
        let mut input = sample_input();
        input.title = "<script>alert(1)</script> & co".into();
        let content = ReleaseContent::parse(input).expect("markup is just text");
        assert_eq!(content.title(), "<script>alert(1)</script> & co");
    }

    #[test]
    fn a_draft_without_contacts_is_not_complete() {
        let mut input = sample_input();
        input.contacts.clear();
        let content = ReleaseContent::parse(input).expect("valid draft");
        assert_eq!(
            content.check_complete().expect_err("incomplete").field(),
            Some("input.contacts")
        );
    }

    #[test]
    fn the_quotes_hash_follows_only_that_persons_quotes() {
        let mut input = sample_input();
        input.body.push(Block::Quote {
            speaker_id: "minister-b".into(),
            text: "B säger".into(),
        });
        let a = ReleaseContent::parse(input.clone()).expect("valid");
        input.body[0] = Block::Paragraph {
            text: "Ändrad paragraf".into(),
        };
        let b = ReleaseContent::parse(input.clone()).expect("valid");
        assert_eq!(a.quotes_hash("minister-b"), b.quotes_hash("minister-b"));
        assert_eq!(a.quotes_hash("minister-a"), b.quotes_hash("minister-a"));
        input.body[1] = Block::Quote {
            speaker_id: "minister-a".into(),
            text: "Annat citat".into(),
        };
        let c = ReleaseContent::parse(input).expect("valid");
        assert_ne!(a.quotes_hash("minister-a"), c.quotes_hash("minister-a"));
        assert_eq!(a.quotes_hash("minister-b"), c.quotes_hash("minister-b"));
    }
}
