//! HTML fragments shared by the page, the Atom entries and the ninjs bodies, so that a quote
//! reads the same everywhere: `– <text>, säger <title> <Name>` inside a `<blockquote>`, with the
//! quote's own closing punctuation handled by [`quote_before_attribution`].
//!
//! Every fragment is an askama template: the release's text is plain text and askama escapes it
//! (`<`, `>`, `&`, `"`, `'`) on the way out; nothing else touches it, so Swedish letters, en dashes
//! and non-breaking spaces pass through byte for byte.

use askama::Template;
use pressroom_domain::content::{Block, FactBox};

use crate::labels::Labels;
use crate::reading::PublicRelease;

/// A release's body: paragraphs and quotes.
#[derive(Template)]
#[template(path = "fragments/body.html")]
pub struct BodyHtml<'a> {
    blocks: Vec<BlockView<'a>>,
}

/// One block of a body as the template shows it.
struct BlockView<'a> {
    quote: bool,
    /// Whether the quote is marked for the office asked to approve it (a sign-off page).
    marked: bool,
    text: &'a str,
    /// What goes between a quote's text and its attribution: `", "` or `" "`.
    separator: &'static str,
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
        let href = tel_href(text, &country_calling_code().to_string());
        (!text.trim().is_empty()).then_some(Self { text, href })
    }
}

/// A quote's text as it is printed before its attribution, and the separator that follows it:
/// the one home of the rule, used by every output (HTML page, Atom, ninjs).
///
/// Swedish (and English) press style closes a quote with the attribution, so the quote's own
/// full stop goes: `Havet kan inte vänta.` reads `– Havet kan inte vänta, säger …`. A question
/// or exclamation mark stays and takes no comma: `– Varför väntar vi? säger …`; so does an
/// ellipsis (`…` or `...`). Trailing white space is dropped. The stored text never changes.
pub fn quote_before_attribution(text: &str) -> (&str, &'static str) {
    let text = text.trim_end();
    if text.ends_with(['?', '!', '…']) || text.ends_with("...") {
        (text, " ")
    } else {
        (text.strip_suffix('.').unwrap_or(text), ", ")
    }
}

/// The country calling code of `tel:` links for numbers written in national form (`08-405 10
/// 00`) unless [`set_country_calling_code`] says otherwise: Sweden's.
pub const DEFAULT_COUNTRY_CALLING_CODE: u16 = 46;

/// This process's country calling code (the `country_calling_code` setting).
static COUNTRY_CALLING_CODE: std::sync::atomic::AtomicU16 =
    std::sync::atomic::AtomicU16::new(DEFAULT_COUNTRY_CALLING_CODE);

/// Sets, for this process, the country of the departments' phone numbers written in national
/// form: its calling code (1 to 999, e.g. `46` for Sweden, `358` for Finland), which `tel:`
/// links put in place of the trunk `0`. Process-wide because every public page, feed, ninjs
/// body and newsroom page renders contacts through [`contacts_html`] (`pressroom serve` sets it
/// once at start); anything outside 1 to 999 is ignored.
pub fn set_country_calling_code(code: u16) {
    if (1..=999).contains(&code) {
        COUNTRY_CALLING_CODE.store(code, std::sync::atomic::Ordering::Relaxed);
    }
}

/// This process's country calling code.
pub fn country_calling_code() -> u16 {
    COUNTRY_CALLING_CODE.load(std::sync::atomic::Ordering::Relaxed)
}

/// The `tel:` target of a phone number as written, in E.164 (RFC 3966 global number) where the
/// number allows it: `08-405 10 00` becomes `+4684051000` with country calling code `46`.
///
/// A number starting with `+` keeps its country code, and one starting with `00` (the
/// international prefix in Sweden and most of Europe) is read as `+`; a national number starting
/// with `0` (the trunk prefix) loses that `0` and gets `+<country_calling_code>`; a `(0)` written
/// after a country code (`+46 (0)8 …`) is dropped. Spaces, dashes, dots, slashes and parentheses
/// go. Anything else (a short local number without its area code) keeps its digits as they are,
/// since no country code can be added to it honestly. The stored text is never changed.
pub fn tel_href(number: &str, country_calling_code: &str) -> String {
    let trimmed = number.trim().replace("(0)", "");
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if trimmed.starts_with('+') {
        format!("+{digits}")
    } else if let Some(international) = digits.strip_prefix("00") {
        format!("+{international}")
    } else if let Some(national) = digits.strip_prefix('0') {
        format!("+{country_calling_code}{national}")
    } else {
        digits
    }
}

/// The body of `release` as HTML.
pub fn body_html(release: &PublicRelease<'_>) -> askama::Result<String> {
    body_html_marking(release, None)
}

/// The body of `release` as HTML, with the quotes of `marked_speaker` (a person id) marked.
pub fn body_html_marking(
    release: &PublicRelease<'_>,
    marked_speaker: Option<&str>,
) -> askama::Result<String> {
    let labels = Labels::for_language(release.language());
    let blocks = release
        .release
        .content
        .body()
        .iter()
        .map(|block| match block {
            Block::Paragraph { text } => BlockView {
                quote: false,
                marked: false,
                text,
                separator: "",
                attribution: None,
            },
            Block::Quote { speaker_id, text } => {
                let marked = marked_speaker == Some(speaker_id.as_str());
                match release.person(speaker_id) {
                    Some(person) => {
                        let (text, separator) = quote_before_attribution(text);
                        BlockView {
                            quote: true,
                            marked,
                            text,
                            separator,
                            attribution: Some(labels.attribution(person)),
                        }
                    }
                    None => BlockView {
                        quote: true,
                        marked,
                        text,
                        separator: "",
                        attribution: None,
                    },
                }
            }
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
    fn a_national_number_gets_the_country_code_in_place_of_its_leading_zero() {
        assert_eq!(tel_href("08-405 10 00", "46"), "+4684051000");
        assert_eq!(tel_href("073-842 50 59", "46"), "+46738425059");
        assert_eq!(tel_href("(08) 405.10.00", "46"), "+4684051000");
        assert_eq!(tel_href("09-123 45", "358"), "+358912345");
    }

    #[test]
    fn an_international_number_keeps_its_own_country_code() {
        assert_eq!(tel_href(" +46 73-842 50 59", "46"), "+46738425059");
        assert_eq!(tel_href("+46 (0)8-405 10 00", "46"), "+4684051000");
        assert_eq!(tel_href("+358 9 123 45", "46"), "+358912345");
        assert_eq!(tel_href("0046 8 405 10 00", "46"), "+4684051000");
    }

    #[test]
    fn a_local_number_without_a_trunk_prefix_keeps_its_digits() {
        assert_eq!(tel_href("405 10 00", "46"), "4051000");
        assert_eq!(tel_href("112", "46"), "112");
    }

    #[test]
    fn the_country_calling_code_setting_replaces_sweden_s_and_nonsense_is_ignored() {
        // The only test of this crate that moves the process-wide setting; it puts it back.
        assert_eq!(country_calling_code(), DEFAULT_COUNTRY_CALLING_CODE);
        set_country_calling_code(358);
        let finnish = Phone::new("09-160 01").map(|p| p.href);
        set_country_calling_code(0);
        let still_finnish = country_calling_code();
        set_country_calling_code(DEFAULT_COUNTRY_CALLING_CODE);
        assert_eq!(finnish.as_deref(), Some("+358916001"));
        assert_eq!(still_finnish, 358, "0 is not a country calling code");
        assert_eq!(
            Phone::new("08-405 10 00").map(|p| p.href).as_deref(),
            Some("+4684051000")
        );
    }

    #[test]
    fn a_quote_s_full_stop_gives_way_to_the_comma_before_the_attribution() {
        assert_eq!(
            quote_before_attribution("Havet kan inte vänta."),
            ("Havet kan inte vänta", ", ")
        );
        assert_eq!(
            quote_before_attribution("Sverige ska axla"),
            ("Sverige ska axla", ", ")
        );
        // Only one full stop goes, and trailing white space with it.
        assert_eq!(quote_before_attribution("Klart. \u{a0}"), ("Klart", ", "));
    }

    #[test]
    fn a_question_mark_exclamation_mark_or_ellipsis_stays_and_takes_no_comma() {
        assert_eq!(
            quote_before_attribution("Varför väntar vi?"),
            ("Varför väntar vi?", " ")
        );
        assert_eq!(quote_before_attribution("Nu kör vi!"), ("Nu kör vi!", " "));
        assert_eq!(
            quote_before_attribution("Vi får se …"),
            ("Vi får se …", " ")
        );
        assert_eq!(
            quote_before_attribution("Vi får se..."),
            ("Vi får se...", " ")
        );
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
