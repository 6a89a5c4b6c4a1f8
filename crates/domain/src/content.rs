//! The content of one language version of a press release, validated once at the boundary.
//!
//! [`ReleaseContent::parse`] is the only way to build content from input: what it returns is
//! within every limit (`limits`; docs/api.md lists them under `VALIDATION`) and free of control characters. Text is plain text and is
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

/// Text and count limits (docs/api.md, `VALIDATION`), in Unicode scalar values (characters), not bytes.
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
    ///
    /// Written by hand rather than through `serde_json::to_string`, whose `Result` would need a
    /// fallback that could silently hash something else: this cannot fail. A test checks that
    /// it is byte for byte what `serde_json` makes of the same content (and `Deserialize` reads
    /// it back).
    pub fn canonical_json(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push_str("{\"kind\":");
        push_json_string(&mut out, self.kind.as_str());
        out.push_str(",\"language\":");
        push_json_string(&mut out, &self.language);
        out.push_str(",\"responsibleMinisterId\":");
        push_json_optional(&mut out, self.responsible_minister_id.as_deref());
        out.push_str(",\"title\":");
        push_json_string(&mut out, &self.title);
        out.push_str(",\"lead\":");
        push_json_string(&mut out, &self.lead);
        out.push_str(",\"body\":");
        push_json_array(&mut out, &self.body, |out, block| match block {
            Block::Paragraph { text } => {
                out.push_str("{\"paragraph\":{\"text\":");
                push_json_string(out, text);
                out.push_str("}}");
            }
            Block::Quote { speaker_id, text } => {
                out.push_str("{\"quote\":{\"speakerId\":");
                push_json_string(out, speaker_id);
                out.push_str(",\"text\":");
                push_json_string(out, text);
                out.push_str("}}");
            }
        });
        out.push_str(",\"contacts\":");
        push_json_array(&mut out, &self.contacts, |out, contact| {
            out.push_str("{\"name\":");
            push_json_string(out, &contact.name);
            out.push_str(",\"role\":");
            push_json_optional(out, contact.role.as_deref());
            out.push_str(",\"phone\":");
            push_json_optional(out, contact.phone.as_deref());
            out.push_str(",\"mobile\":");
            push_json_optional(out, contact.mobile.as_deref());
            out.push_str(",\"email\":");
            push_json_optional(out, contact.email.as_deref());
            out.push('}');
        });
        out.push_str(",\"factBoxes\":");
        push_json_array(&mut out, &self.fact_boxes, |out, fact_box| {
            out.push_str("{\"heading\":");
            push_json_string(out, &fact_box.heading);
            out.push_str(",\"text\":");
            push_json_string(out, &fact_box.text);
            out.push('}');
        });
        out.push_str(",\"topics\":");
        push_json_array(&mut out, &self.topics, |out, topic| {
            push_json_string(out, topic)
        });
        out.push_str(",\"translationOf\":");
        push_json_optional(&mut out, self.translation_of.as_deref());
        out.push('}');
        out
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
        // `[personId,[text,…]]`, as serde_json encodes the pair, written so it cannot fail.
        let mut encoded = String::from("[");
        push_json_string(&mut encoded, person_id);
        encoded.push(',');
        push_json_array(&mut encoded, &theirs, |out, text| {
            push_json_string(out, text)
        });
        encoded.push(']');
        sha256_hex(encoded.as_bytes())
    }

    /// Whether the content may go to review: title, lead, at least one block, a responsible
    /// minister and at least one contact (docs/rules.md#lifecycle). Returns the first missing part.
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

/// Appends `value` as a JSON string exactly as `serde_json` writes it: `"` and `\` escaped,
/// the control characters U+0000 to U+001F as `\b`, `\t`, `\n`, `\f`, `\r` or `\u00xx`
/// (lowercase hex), everything else as is. The canonical encodings that are hashed are built
/// from this and the helpers beside it, so they cannot fail.
pub fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let n = u32::from(c) as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[n >> 4]));
                out.push(char::from(HEX[n & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `value` as a JSON string, or `null`.
pub fn push_json_optional(out: &mut String, value: Option<&str>) {
    match value {
        Some(value) => push_json_string(out, value),
        None => out.push_str("null"),
    }
}

/// Appends a JSON array of `items`, each written by `item`, without white space.
pub fn push_json_array<T>(out: &mut String, items: &[T], mut item: impl FnMut(&mut String, &T)) {
    out.push('[');
    for (i, each) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        item(out, each);
    }
    out.push(']');
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
pub fn check_email(field: &str, email: &str) -> Result<(), DomainError> {
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
    fn json_strings_are_escaped_exactly_as_serde_json_escapes_them() {
        let every_ascii: String = (0u8..=0x7f).map(char::from).collect();
        for value in [
            every_ascii.as_str(),
            "",
            "– Havet kan inte vänta.\u{a0}\"citat\" \\ \u{2028}\u{1f600}",
        ] {
            let mut ours = String::new();
            push_json_string(&mut ours, value);
            assert_eq!(ours, serde_json::to_string(value).expect("serializes"));
        }
    }

    #[test]
    fn the_canonical_encoding_is_byte_for_byte_what_serde_json_makes_of_the_content() {
        let mut input = sample_input();
        input.translation_of = Some("r0".into());
        input.contacts.push(Contact {
            name: "Anna \"A\" \\ B".into(),
            role: None,
            phone: None,
            mobile: None,
            email: Some("anna@example.se".into()),
        });
        for content in [
            ReleaseContent::parse(sample_input()).expect("valid"),
            ReleaseContent::parse(input).expect("valid"),
        ] {
            let by_serde = serde_json::to_string(&content).expect("serializes");
            assert_eq!(content.canonical_json(), by_serde);
            let theirs: Vec<&str> = content
                .quotes()
                .filter(|q| q.speaker_id == "minister-a")
                .map(|q| q.text)
                .collect();
            let pair = serde_json::to_string(&("minister-a", theirs)).expect("serializes");
            assert_eq!(
                content.quotes_hash("minister-a"),
                sha256_hex(pair.as_bytes())
            );
        }
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
