//! HTML fragments shared by the page, the Atom entries and the ninjs bodies, so that a quote
//! reads the same everywhere: `– <text>, säger <title> <Name>` inside a `<blockquote>`.
//!
//! Every fragment is an askama template: the release's text is plain text and askama escapes it
//! (`<`, `>`, `&`, `"`, `'`) on the way out; nothing else touches it, so Swedish letters, en dashes
//! and non-breaking spaces pass through byte for byte.

use askama::Template;
use pressroom_domain::content::{Block, FactBox};

use super::labels::Labels;
use super::reading::PublicRelease;

/// A release's body: paragraphs and quotes.
#[derive(Template)]
#[template(path = "fragments/body.html")]
pub struct BodyHtml<'a> {
    blocks: Vec<BlockView<'a>>,
}

/// One block of a body as the template shows it.
struct BlockView<'a> {
    quote: bool,
    text: &'a str,
    /// "säger klimat- och miljöminister Annika Strandhäll"; `None` for paragraphs, and for a
    /// quote whose speaker is no longer in the directory (the words stay, unattributed).
    attribution: Option<String>,
}

/// One fact box.
#[derive(Template)]
#[template(path = "fragments/fact_box.html")]
pub struct FactBoxHtml<'a> {
    heading: &'a str,
    text: &'a str,
}

/// The press contacts.
#[derive(Template)]
#[template(path = "fragments/contacts.html")]
pub struct ContactsHtml<'a> {
    labels: &'static Labels,
    heading: &'static str,
    contacts: Vec<ContactView<'a>>,
}

struct ContactView<'a> {
    name: &'a str,
    role: Option<&'a str>,
    phone: Option<Phone<'a>>,
    mobile: Option<Phone<'a>>,
    email: Option<&'a str>,
}

struct Phone<'a> {
    text: &'a str,
    href: String,
}

impl<'a> Phone<'a> {
    fn new(text: &'a str) -> Option<Self> {
        let href = tel_target(text);
        (!text.trim().is_empty()).then_some(Self { text, href })
    }
}

/// The `tel:` target of a phone number as written: digits, with a leading `+` kept.
pub fn tel_target(number: &str) -> String {
    let trimmed = number.trim_start();
    let mut target = String::with_capacity(trimmed.len());
    if trimmed.starts_with('+') {
        target.push('+');
    }
    target.extend(trimmed.chars().filter(char::is_ascii_digit));
    target
}

/// The body of `release` as HTML.
pub fn body_html(release: &PublicRelease<'_>) -> askama::Result<String> {
    let labels = Labels::for_language(release.language());
    let blocks = release
        .release
        .content
        .body()
        .iter()
        .map(|block| match block {
            Block::Paragraph { text } => BlockView {
                quote: false,
                text,
                attribution: None,
            },
            Block::Quote { speaker_id, text } => BlockView {
                quote: true,
                text,
                attribution: release
                    .person(speaker_id)
                    .map(|person| labels.attribution(person)),
            },
        })
        .collect();
    BodyHtml { blocks }.render()
}

/// One fact box as HTML.
pub fn fact_box_html(fact_box: &FactBox) -> askama::Result<String> {
    FactBoxHtml {
        heading: &fact_box.heading,
        text: &fact_box.text,
    }
    .render()
}

/// The press contacts of `release` as HTML; empty when it has none.
pub fn contacts_html(release: &PublicRelease<'_>) -> askama::Result<String> {
    let contacts = release.release.content.contacts();
    if contacts.is_empty() {
        return Ok(String::new());
    }
    let labels = Labels::for_language(release.language());
    ContactsHtml {
        labels,
        heading: labels.contacts_heading(contacts.len()),
        contacts: contacts
            .iter()
            .map(|c| ContactView {
                name: &c.name,
                role: c.role.as_deref(),
                phone: c.phone.as_deref().and_then(Phone::new),
                mobile: c.mobile.as_deref().and_then(Phone::new),
                email: c.email.as_deref(),
            })
            .collect(),
    }
    .render()
}

/// Body, fact boxes and contacts: the whole text of a release after its lead.
pub fn article_html(release: &PublicRelease<'_>) -> askama::Result<String> {
    let mut html = body_html(release)?;
    for fact_box in release.release.content.fact_boxes() {
        html.push_str(&fact_box_html(fact_box)?);
    }
    html.push_str(&contacts_html(release)?);
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tel_target_keeps_only_digits_and_a_leading_plus() {
        assert_eq!(tel_target("08-405 10 00"), "084051000");
        assert_eq!(tel_target(" +46 73-842 50 59"), "+46738425059");
    }

    #[test]
    fn markup_in_a_fact_box_is_escaped() {
        let html = fact_box_html(&FactBox {
            heading: "<b>LeadIT</b>".into(),
            text: "Stockholm+50 & \"Kenya\"".into(),
        })
        .expect("renders");
        assert!(html.contains("&#60;b&#62;LeadIT&#60;/b&#62;"), "{html}");
        assert!(
            html.contains("Stockholm+50 &#38; &#34;Kenya&#34;"),
            "{html}"
        );
        assert!(!html.contains("<b>"));
    }
}
