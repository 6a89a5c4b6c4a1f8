//! The release form: every content field of a release as the edit page shows it, parsed from the
//! posted fields and turned into the domain's `ContentInput`, which decides what is valid.
//!
//! Field names: `title`, `lead`, `kind`, `language`, `minister`, `topics` (one per line),
//! `block-{i}-kind` (`paragraph` or `quote`), `block-{i}-speaker`, `block-{i}-text`,
//! `contact-{i}-{name,role,phone,mobile,email}`, `fact-{i}-{heading,text}`. Buttons post
//! `op` (`save`, `add-paragraph`, `add-quote`, `add-contact`, `add-fact`,
//! `{remove,up,down}-{block,contact,fact}-{i}`): without JavaScript, adding, removing and
//! moving a block re-renders the form with everything typed kept, and only `save` writes.
//!
//! Text is kept byte for byte, except that the line breaks a browser sends from a textarea
//! (`CR LF`, per the HTML standard) become the `LF` they were typed as.

use std::collections::BTreeMap;

use pressroom_domain::content::{
    Block, Contact, ContentInput, FactBox, ReleaseContent, ReleaseKind,
};

/// One body block as the form holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockField {
    /// Whether it is a quote (else a paragraph).
    pub quote: bool,
    /// The speaker's person id (quotes).
    pub speaker: String,
    /// The text.
    pub text: String,
}

/// One contact as the form holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactField {
    /// Name.
    pub name: String,
    /// Role.
    pub role: String,
    /// Phone.
    pub phone: String,
    /// Mobile.
    pub mobile: String,
    /// E-mail.
    pub email: String,
}

/// One fact box as the form holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactField {
    /// Heading.
    pub heading: String,
    /// Text.
    pub text: String,
}

/// Every content field of a release, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseForm {
    /// `PRESS_RELEASE`, `NEWS` or `STATEMENT`.
    pub kind: String,
    /// BCP 47 tag.
    pub language: String,
    /// Department slug (a new release only).
    pub department: String,
    /// Responsible minister's person id.
    pub minister: String,
    /// Title.
    pub title: String,
    /// Lead.
    pub lead: String,
    /// Body.
    pub blocks: Vec<BlockField>,
    /// Contacts.
    pub contacts: Vec<ContactField>,
    /// Fact boxes.
    pub facts: Vec<FactField>,
    /// Topics, one per line.
    pub topics: String,
    /// The version the form was loaded at (`expectedVersion`).
    pub expected_version: Option<i32>,
    /// A correction's public note (published releases).
    pub note: String,
}

/// The lists of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// Body blocks.
    Block,
    /// Contacts.
    Contact,
    /// Fact boxes.
    Fact,
}

/// What a button of the form asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Write the release.
    Save,
    /// Add an empty paragraph at the end of the body.
    AddParagraph,
    /// Add an empty quote at the end of the body.
    AddQuote,
    /// Add an empty contact.
    AddContact,
    /// Add an empty fact box.
    AddFact,
    /// Remove item `i` of a list.
    Remove(Section, usize),
    /// Move item `i` one up.
    Up(Section, usize),
    /// Move item `i` one down.
    Down(Section, usize),
}

impl Op {
    /// Parses a button's `op` value; `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "save" => return Some(Self::Save),
            "add-paragraph" => return Some(Self::AddParagraph),
            "add-quote" => return Some(Self::AddQuote),
            "add-contact" => return Some(Self::AddContact),
            "add-fact" => return Some(Self::AddFact),
            _ => {}
        }
        let mut parts = value.splitn(3, '-');
        let verb = parts.next()?;
        let section = match parts.next()? {
            "block" => Section::Block,
            "contact" => Section::Contact,
            "fact" => Section::Fact,
            _ => return None,
        };
        let index = parts.next()?.parse().ok()?;
        match verb {
            "remove" => Some(Self::Remove(section, index)),
            "up" => Some(Self::Up(section, index)),
            "down" => Some(Self::Down(section, index)),
            _ => None,
        }
    }
}

/// A textarea's value with the browser's `CR LF` line breaks turned back into `LF`.
pub fn from_textarea(value: &str) -> String {
    value.replace("\r\n", "\n")
}

fn optional(value: &str) -> Option<String> {
    (!value.is_empty()).then(|| value.to_owned())
}

fn move_item<T>(items: &mut [T], index: usize, up: bool) {
    if up && index > 0 && index < items.len() {
        items.swap(index, index - 1);
    } else if !up && index + 1 < items.len() {
        items.swap(index, index + 1);
    }
}

impl ReleaseForm {
    /// The form of a new release: Swedish, a press release, one empty paragraph.
    pub fn new_release(department: &str) -> Self {
        Self {
            kind: ReleaseKind::PressRelease.as_str().to_owned(),
            language: "sv".into(),
            department: department.to_owned(),
            blocks: vec![BlockField::default()],
            contacts: vec![ContactField::default()],
            ..Self::default()
        }
    }

    /// The form showing stored content, loaded at `version`.
    pub fn from_content(content: &ReleaseContent, version: i32) -> Self {
        Self {
            kind: content.kind().as_str().to_owned(),
            language: content.language().to_owned(),
            department: String::new(),
            minister: content.responsible_minister_id().unwrap_or("").to_owned(),
            title: content.title().to_owned(),
            lead: content.lead().to_owned(),
            blocks: content
                .body()
                .iter()
                .map(|block| match block {
                    Block::Paragraph { text } => BlockField {
                        quote: false,
                        speaker: String::new(),
                        text: text.clone(),
                    },
                    Block::Quote { speaker_id, text } => BlockField {
                        quote: true,
                        speaker: speaker_id.clone(),
                        text: text.clone(),
                    },
                })
                .collect(),
            contacts: content
                .contacts()
                .iter()
                .map(|c| ContactField {
                    name: c.name.clone(),
                    role: c.role.clone().unwrap_or_default(),
                    phone: c.phone.clone().unwrap_or_default(),
                    mobile: c.mobile.clone().unwrap_or_default(),
                    email: c.email.clone().unwrap_or_default(),
                })
                .collect(),
            facts: content
                .fact_boxes()
                .iter()
                .map(|f| FactField {
                    heading: f.heading.clone(),
                    text: f.text.clone(),
                })
                .collect(),
            topics: content.topics().join("\n"),
            expected_version: Some(version),
            note: String::new(),
        }
    }

    /// The form as posted, and the button that was pressed (`Save` when none was named, e.g.
    /// the Enter key in a text field).
    pub fn from_pairs(pairs: &[(String, String)]) -> (Self, Op) {
        let mut form = Self::default();
        let mut op = None;
        let mut blocks: BTreeMap<usize, BlockField> = BTreeMap::new();
        let mut contacts: BTreeMap<usize, ContactField> = BTreeMap::new();
        let mut facts: BTreeMap<usize, FactField> = BTreeMap::new();
        for (name, value) in pairs {
            match name.as_str() {
                "kind" => form.kind = value.clone(),
                "language" => form.language = value.clone(),
                "department" => form.department = value.clone(),
                "minister" => form.minister = value.clone(),
                "title" => form.title = value.clone(),
                "lead" => form.lead = from_textarea(value),
                "topics" => form.topics = from_textarea(value),
                "note" => form.note = from_textarea(value),
                "expected_version" => form.expected_version = value.parse().ok(),
                "op" => op = op.or_else(|| Op::parse(value)),
                _ => {
                    let mut parts = name.splitn(3, '-');
                    let (Some(list), Some(index), Some(field)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        continue;
                    };
                    let Ok(index) = index.parse::<usize>() else {
                        continue;
                    };
                    if index >= 1_000 {
                        continue;
                    }
                    match (list, field) {
                        ("block", "kind") => {
                            blocks.entry(index).or_default().quote = value == "quote";
                        }
                        ("block", "speaker") => {
                            blocks.entry(index).or_default().speaker = value.clone();
                        }
                        ("block", "text") => {
                            blocks.entry(index).or_default().text = from_textarea(value);
                        }
                        ("contact", field) => {
                            let c = contacts.entry(index).or_default();
                            let slot = match field {
                                "name" => &mut c.name,
                                "role" => &mut c.role,
                                "phone" => &mut c.phone,
                                "mobile" => &mut c.mobile,
                                "email" => &mut c.email,
                                _ => continue,
                            };
                            *slot = value.clone();
                        }
                        ("fact", "heading") => {
                            facts.entry(index).or_default().heading = value.clone()
                        }
                        ("fact", "text") => {
                            facts.entry(index).or_default().text = from_textarea(value)
                        }
                        _ => {}
                    }
                }
            }
        }
        form.blocks = blocks.into_values().collect();
        form.contacts = contacts.into_values().collect();
        form.facts = facts.into_values().collect();
        (form, op.unwrap_or(Op::Save))
    }

    /// Applies a button other than `Save` to the form.
    pub fn apply(&mut self, op: Op) {
        match op {
            Op::Save => {}
            Op::AddParagraph => self.blocks.push(BlockField::default()),
            Op::AddQuote => self.blocks.push(BlockField {
                quote: true,
                speaker: self.minister.clone(),
                text: String::new(),
            }),
            Op::AddContact => self.contacts.push(ContactField::default()),
            Op::AddFact => self.facts.push(FactField::default()),
            Op::Remove(section, i) => match section {
                Section::Block if i < self.blocks.len() => {
                    self.blocks.remove(i);
                }
                Section::Contact if i < self.contacts.len() => {
                    self.contacts.remove(i);
                }
                Section::Fact if i < self.facts.len() => {
                    self.facts.remove(i);
                }
                _ => {}
            },
            Op::Up(section, i) | Op::Down(section, i) => {
                let up = matches!(op, Op::Up(..));
                match section {
                    Section::Block => move_item(&mut self.blocks, i, up),
                    Section::Contact => move_item(&mut self.contacts, i, up),
                    Section::Fact => move_item(&mut self.facts, i, up),
                }
            }
        }
    }

    /// The domain's input for this form. Empty paragraphs, contact rows and fact boxes are left
    /// out (a new form offers one of each to fill in); everything else goes to the domain as
    /// typed.
    pub fn to_input(&self) -> ContentInput {
        ContentInput {
            kind: ReleaseKind::parse(&self.kind).unwrap_or_default(),
            language: self.language.clone(),
            responsible_minister_id: optional(&self.minister),
            title: self.title.clone(),
            lead: self.lead.clone(),
            body: self
                .blocks
                .iter()
                .filter(|b| *b != &BlockField::default())
                .map(|b| {
                    if b.quote {
                        Block::Quote {
                            speaker_id: b.speaker.clone(),
                            text: b.text.clone(),
                        }
                    } else {
                        Block::Paragraph {
                            text: b.text.clone(),
                        }
                    }
                })
                .collect(),
            contacts: self
                .contacts
                .iter()
                .filter(|c| *c != &ContactField::default())
                .map(|c| Contact {
                    name: c.name.clone(),
                    role: optional(&c.role),
                    phone: optional(&c.phone),
                    mobile: optional(&c.mobile),
                    email: optional(&c.email),
                })
                .collect(),
            fact_boxes: self
                .facts
                .iter()
                .filter(|f| *f != &FactField::default())
                .map(|f| FactBox {
                    heading: f.heading.clone(),
                    text: f.text.clone(),
                })
                .collect(),
            topics: self
                .topics
                .split('\n')
                .filter(|t| !t.trim().is_empty())
                .map(str::to_owned)
                .collect(),
            translation_of: None,
        }
    }

    /// Parses the form into validated content, with the refusal's field as a form anchor.
    pub fn parse(&self) -> Result<ReleaseContent, FieldError> {
        ReleaseContent::parse(self.to_input()).map_err(|err| FieldError::from_domain(&err, self))
    }

    /// The form's index of the `index`-th item of a list that [`Self::to_input`] kept (empty
    /// rows are left out of the input, so the domain's indices skip them).
    fn form_index(&self, list: &str, index: usize) -> usize {
        let kept: Vec<bool> = match list {
            "body" => self
                .blocks
                .iter()
                .map(|b| b != &BlockField::default())
                .collect(),
            "contacts" => self
                .contacts
                .iter()
                .map(|c| c != &ContactField::default())
                .collect(),
            "factBoxes" => self
                .facts
                .iter()
                .map(|f| f != &FactField::default())
                .collect(),
            _ => return index,
        };
        kept.iter()
            .enumerate()
            .filter(|(_, kept)| **kept)
            .nth(index)
            .map_or(index, |(i, _)| i)
    }
}

/// A refusal placed on one field of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The id of the field (`title`, `block-2-text`, …), for the summary's link.
    pub anchor: String,
    /// What to do, for a person: the field's label and the domain's message.
    pub text: String,
}

/// Where in the form a domain field path (`input.body[2].quote.text`) is, and its label; the
/// index is the domain's (see [`ReleaseForm::form_index`] for the form's).
pub fn anchor_for(path: &str) -> (String, String) {
    anchor_in(path, |_, i| i)
}

fn anchor_in(path: &str, form_index: impl Fn(&str, usize) -> usize) -> (String, String) {
    let path = path.strip_prefix("input.").unwrap_or(path);
    let (head, rest) = match path.split_once('[') {
        Some((head, rest)) => (head, Some(rest)),
        None => (path, None),
    };
    let indexed = rest.and_then(|rest| {
        let (index, tail) = rest.split_once(']')?;
        let index: usize = index.parse().ok()?;
        Some((form_index(head, index), tail.trim_start_matches('.')))
    });
    match (head, indexed) {
        ("title", _) => ("title".into(), "Title".into()),
        ("lead", _) => ("lead".into(), "Lead".into()),
        ("language", _) => ("language".into(), "Language".into()),
        ("kind", _) => ("kind".into(), "Kind".into()),
        ("department", _) => ("department".into(), "Department".into()),
        ("responsibleMinisterId", _) => ("minister".into(), "Responsible minister".into()),
        ("body", Some((i, tail))) => {
            let n = i + 1;
            if tail.ends_with("speakerId") {
                (format!("block-{i}-speaker"), format!("Block {n}, speaker"))
            } else {
                (format!("block-{i}-text"), format!("Block {n}"))
            }
        }
        ("body", None) => ("blocks".into(), "Body".into()),
        ("contacts", Some((i, tail))) => {
            let field = if tail.is_empty() { "name" } else { tail };
            (
                format!("contact-{i}-{field}"),
                format!("Contact {}, {field}", i + 1),
            )
        }
        ("contacts", None) => ("contacts".into(), "Contacts".into()),
        ("factBoxes", Some((i, tail))) => {
            let field = if tail.is_empty() { "heading" } else { tail };
            (
                format!("fact-{i}-{field}"),
                format!("Fact box {}, {field}", i + 1),
            )
        }
        ("factBoxes", None) => ("facts".into(), "Fact boxes".into()),
        ("topics", _) => ("topics".into(), "Topics".into()),
        ("note", _) => ("note".into(), "Correction note".into()),
        _ => ("title".into(), "Release".into()),
    }
}

impl FieldError {
    /// The form's view of a domain refusal.
    pub fn from_domain(err: &pressroom_domain::DomainError, form: &ReleaseForm) -> Self {
        match err {
            pressroom_domain::DomainError::Validation { field, message } => {
                let (anchor, label) = anchor_in(field, |list, i| form.form_index(list, i));
                Self {
                    anchor,
                    text: format!("{label}: {message}"),
                }
            }
            other => Self {
                anchor: "title".into(),
                text: pressroom_domain::signoff::refusal_in_words(other),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_textarea_s_crlf_line_breaks_come_back_as_typed() {
        let (form, op) = ReleaseForm::from_pairs(&pairs(&[
            ("lead", "rad ett\r\nrad två"),
            ("block-0-text", "– citat\u{a0}här\r\n"),
        ]));
        assert_eq!(op, Op::Save);
        assert_eq!(form.lead, "rad ett\nrad två");
        assert_eq!(form.blocks[0].text, "– citat\u{a0}här\n");
    }

    #[test]
    fn blocks_keep_their_posted_order_and_moving_swaps_neighbours() {
        let (mut form, op) = ReleaseForm::from_pairs(&pairs(&[
            ("block-0-text", "a"),
            ("block-1-kind", "quote"),
            ("block-1-speaker", "p1"),
            ("block-1-text", "b"),
            ("block-2-text", "c"),
            ("op", "up-block-2"),
        ]));
        assert_eq!(op, Op::Up(Section::Block, 2));
        form.apply(op);
        let texts: Vec<_> = form.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["a", "c", "b"]);
        form.apply(Op::Down(Section::Block, 2));
        form.apply(Op::Up(Section::Block, 0));
        let texts: Vec<_> = form.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(texts, ["a", "c", "b"], "moving past an end changes nothing");
        form.apply(Op::Remove(Section::Block, 1));
        assert_eq!(form.blocks.len(), 2);
        assert!(form.blocks[1].quote);
    }

    #[test]
    fn stored_content_survives_the_form_unchanged() {
        let input = ContentInput {
            kind: ReleaseKind::PressRelease,
            language: "sv".into(),
            responsible_minister_id: Some("p1".into()),
            title: "Svensk-indiskt FN-initiativ – <b>tunga</b> industrin".into(),
            lead: "Ingress med\u{a0}hårt mellanslag.\nOch en rad till.".into(),
            body: vec![
                Block::Paragraph {
                    text: "Stycke.".into(),
                },
                Block::Quote {
                    speaker_id: "p1".into(),
                    text: "Citat".into(),
                },
            ],
            contacts: vec![Contact {
                name: "Anna".into(),
                role: Some("Pressekreterare".into()),
                phone: None,
                mobile: Some("076-123 45 67".into()),
                email: None,
            }],
            fact_boxes: vec![FactBox {
                heading: "LeadIT".into(),
                text: "Fakta\n\nmer".into(),
            }],
            topics: vec!["Klimat".into(), "Industri".into()],
            translation_of: None,
        };
        let content = ReleaseContent::parse(input).expect("valid");
        let form = ReleaseForm::from_content(&content, 4);
        assert_eq!(form.parse().expect("valid"), content);
    }

    #[test]
    fn a_refusal_names_the_field_it_belongs_to() {
        assert_eq!(anchor_for("input.body[2].quote.text").0, "block-2-text");
        assert_eq!(
            anchor_for("input.body[0].quote.speakerId").0,
            "block-0-speaker"
        );
        assert_eq!(anchor_for("input.body[1].paragraph").0, "block-1-text");
        assert_eq!(anchor_for("input.contacts[1].email").0, "contact-1-email");
        assert_eq!(anchor_for("input.factBoxes[0].text").0, "fact-0-text");
        assert_eq!(anchor_for("input.topics[3]").0, "topics");
        assert_eq!(anchor_for("input.responsibleMinisterId").0, "minister");
        let mut form = ReleaseForm::new_release("d");
        form.title = String::new();
        let err = form.parse().expect_err("an empty title is refused");
        assert_eq!(err.anchor, "title");
        assert!(err.text.starts_with("Title: "), "{}", err.text);
        // The empty first row is left out of the input, so the domain's contact 0 is row 1.
        form.title = "T".into();
        form.contacts.push(ContactField {
            name: "Anna".into(),
            email: "not an address".into(),
            ..ContactField::default()
        });
        let err = form.parse().expect_err("a malformed e-mail is refused");
        assert_eq!(err.anchor, "contact-1-email");
    }

    #[test]
    fn unknown_buttons_and_fields_are_ignored() {
        assert_eq!(Op::parse("remove-block-x"), None);
        assert_eq!(Op::parse("explode-block-1"), None);
        let (form, op) =
            ReleaseForm::from_pairs(&pairs(&[("block-99999-text", "x"), ("op", "nope")]));
        assert!(form.blocks.is_empty());
        assert_eq!(op, Op::Save);
    }
}
