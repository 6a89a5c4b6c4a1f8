//! URL slugs from titles.
//!
//! Transliteration is the `slug` crate's (deunicode): Swedish å, ä and ö become a, a and o.
//! Slugs are cut at a word boundary so that a 300-character title does not make a 300-character URL;
//! storage makes them unique by appending `-2`, `-3`, ….

/// The longest slug generated from a title, before a uniqueness suffix.
pub const MAX_SLUG_LEN: usize = 100;

/// A slug for a title: lowercase ASCII letters, digits and single dashes; never empty.
pub fn slug_for_title(title: &str) -> String {
    let full = slug::slugify(title);
    let mut cut = String::new();
    for word in full.split('-') {
        let extra = if cut.is_empty() {
            word.len()
        } else {
            word.len() + 1
        };
        if !cut.is_empty() && cut.len() + extra > MAX_SLUG_LEN {
            break;
        }
        if !cut.is_empty() {
            cut.push('-');
        }
        cut.push_str(word);
    }
    cut.truncate(MAX_SLUG_LEN);
    let cut = cut.trim_end_matches('-').to_owned();
    if cut.is_empty() {
        "release".to_owned()
    } else {
        cut
    }
}

/// The `n`th candidate for a unique slug: the base itself, then `base-2`, `base-3`, ….
pub fn nth_candidate(base: &str, n: u32) -> String {
    if n <= 1 {
        base.to_owned()
    } else {
        format!("{base}-{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_letters_are_transliterated() {
        assert_eq!(
            slug_for_title(
                "Svensk-indiskt FN-initiativ fortsätter att leda tunga industrins klimatomställning"
            ),
            "svensk-indiskt-fn-initiativ-fortsatter-att-leda-tunga-industrins-klimatomstallning"
        );
        assert_eq!(slug_for_title("Åsa öppnar Älvsjö"), "asa-oppnar-alvsjo");
    }

    #[test]
    fn long_titles_are_cut_at_a_word_boundary() {
        let slug = slug_for_title(&"ordet ".repeat(60));
        assert!(slug.len() <= MAX_SLUG_LEN);
        assert!(slug.ends_with("ordet"));
    }

    #[test]
    fn a_title_without_letters_still_gets_a_slug() {
        assert_eq!(slug_for_title("–!?"), "release");
    }

    #[test]
    fn later_candidates_get_a_numeric_suffix() {
        assert_eq!(nth_candidate("a-b", 1), "a-b");
        assert_eq!(nth_candidate("a-b", 3), "a-b-3");
    }
}
