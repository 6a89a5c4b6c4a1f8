//! The words around a release's own text, in Swedish or English.
//!
//! A page's chrome is written in the release's language so that the whole page can carry one
//! `lang` attribute; listings mix languages and are written in Swedish, with a `lang` on each
//! item whose language differs.

use pressroom_domain::content::ReleaseKind;
use pressroom_storage::directory::Person;

use crate::time_format::is_swedish;

/// Fixed texts of one language.
#[derive(Debug)]
pub struct Labels {
    /// The `lang` attribute for the chrome.
    pub lang: &'static str,
    /// Before the publication time: "Publicerad".
    pub published: &'static str,
    /// Heading of the correction notes.
    pub corrections: &'static str,
    /// Heading of the withdrawal notice.
    pub withdrawn: &'static str,
    /// One press contact.
    pub press_contact: &'static str,
    /// Several press contacts.
    pub press_contacts: &'static str,
    /// Label of a contact's phone.
    pub phone: &'static str,
    /// Label of a contact's mobile.
    pub mobile: &'static str,
    /// Link text before a contact's name for e-mail: "e-post till".
    pub email_to: &'static str,
    /// The verb of a quote's attribution: "säger".
    pub says: &'static str,
    /// Between the kind and the department: "från".
    pub from: &'static str,
    /// Heading of the topics.
    pub topics: &'static str,
    /// Responsible minister.
    pub responsible: &'static str,
    /// Link to the next (older) page of a listing.
    pub older: &'static str,
    /// Link back to the first page of a listing.
    pub newest: &'static str,
    /// Heading of the listing of every department.
    pub all_releases: &'static str,
    /// Text of an empty listing.
    pub nothing_yet: &'static str,
    /// Link text of an Atom feed.
    pub feed: &'static str,
    /// Name of the site, in the header.
    pub site: &'static str,
    /// Heading of the index of departments.
    pub departments: &'static str,
    /// Text of an empty index of departments.
    pub no_departments: &'static str,
    kinds: [&'static str; 3],
}

/// Swedish.
pub static SWEDISH: Labels = Labels {
    lang: "sv",
    published: "Publicerad",
    corrections: "Rättelse",
    withdrawn: "Tillbakadraget",
    press_contact: "Presskontakt",
    press_contacts: "Presskontakter",
    phone: "Telefon",
    mobile: "Mobil",
    email_to: "e-post till",
    says: "säger",
    from: "från",
    topics: "Ämnen",
    responsible: "Ansvarigt statsråd",
    older: "Äldre",
    newest: "Senaste",
    all_releases: "Pressmeddelanden",
    nothing_yet: "Inga publicerade pressmeddelanden ännu.",
    feed: "Atom-flöde",
    site: "Pressrum",
    departments: "Departement",
    no_departments: "Inga departement ännu.",
    kinds: ["Pressmeddelande", "Nyhet", "Uttalande"],
};

/// English.
pub static ENGLISH: Labels = Labels {
    lang: "en",
    published: "Published",
    corrections: "Correction",
    withdrawn: "Withdrawn",
    press_contact: "Press contact",
    press_contacts: "Press contacts",
    phone: "Phone",
    mobile: "Mobile",
    email_to: "Email",
    says: "says",
    from: "from",
    topics: "Topics",
    responsible: "Responsible minister",
    older: "Older",
    newest: "Newest",
    all_releases: "Press releases",
    nothing_yet: "No published press releases yet.",
    feed: "Atom feed",
    site: "Press room",
    departments: "Departments",
    no_departments: "No departments yet.",
    kinds: ["Press release", "News", "Statement"],
};

impl Labels {
    /// The labels for a release written in `language` (Swedish for `sv*`, English otherwise).
    pub fn for_language(language: &str) -> &'static Labels {
        if is_swedish(language) {
            &SWEDISH
        } else {
            &ENGLISH
        }
    }

    /// The name of a kind of release: "Pressmeddelande".
    pub fn kind(&self, kind: ReleaseKind) -> &'static str {
        match kind {
            ReleaseKind::PressRelease => self.kinds[0],
            ReleaseKind::News => self.kinds[1],
            ReleaseKind::Statement => self.kinds[2],
        }
    }

    /// A quote's attribution without the leading comma: "säger klimat- och miljöminister
    /// Annika Strandhäll" (the fixture's form; the title is left out when a person has none).
    pub fn attribution(&self, person: &Person) -> String {
        let title = person.title.trim();
        if title.is_empty() {
            format!("{} {}", self.says, person.name)
        } else {
            format!("{} {} {}", self.says, title, person.name)
        }
    }

    /// "Presskontakt" or "Presskontakter".
    pub fn contacts_heading(&self, count: usize) -> &'static str {
        if count == 1 {
            self.press_contact
        } else {
            self.press_contacts
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strandhall() -> Person {
        Person {
            id: "p".into(),
            name: "Annika Strandhäll".into(),
            title: "klimat- och miljöminister".into(),
            department_id: None,
            earlier: Vec::new(),
        }
    }

    #[test]
    fn a_swedish_quote_is_attributed_with_title_and_name() {
        assert_eq!(
            SWEDISH.attribution(&strandhall()),
            "säger klimat- och miljöminister Annika Strandhäll"
        );
    }

    #[test]
    fn an_english_quote_says_instead_of_säger_and_a_missing_title_is_left_out() {
        let person = Person {
            title: " ".into(),
            ..strandhall()
        };
        assert_eq!(ENGLISH.attribution(&person), "says Annika Strandhäll");
    }

    #[test]
    fn labels_follow_the_primary_language_subtag() {
        assert_eq!(Labels::for_language("sv-SE").lang, "sv");
        assert_eq!(Labels::for_language("en").lang, "en");
        assert_eq!(Labels::for_language("fi").lang, "en");
        assert_eq!(SWEDISH.kind(ReleaseKind::PressRelease), "Pressmeddelande");
    }
}
