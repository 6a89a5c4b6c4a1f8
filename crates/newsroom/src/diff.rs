//! Word-level differences between two revisions of a release, field by field and quote by
//! quote, for the review page, the schedule page, the stale-save screen and the history.
//! The `similar` crate finds the differences; this module only decides what to compare.

use pressroom_domain::content::{Block, ReleaseContent};
use similar::{ChangeTag, TextDiff};

/// One run of text in a difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// `same`, `removed` or `added` (the template's CSS class and element).
    pub kind: &'static str,
    /// The text of the run.
    pub text: String,
}

/// The difference in one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDiff {
    /// The field, for a person ("Title", "Quote 2 (Annika Strandhäll)").
    pub label: String,
    /// The runs, in order.
    pub parts: Vec<Part>,
}

/// The word-level difference of `old` and `new`.
pub fn words(old: &str, new: &str) -> Vec<Part> {
    let diff = TextDiff::from_words(old, new);
    let mut parts: Vec<Part> = Vec::new();
    for change in diff.iter_all_changes() {
        let kind = match change.tag() {
            ChangeTag::Equal => "same",
            ChangeTag::Delete => "removed",
            ChangeTag::Insert => "added",
        };
        match parts.last_mut() {
            Some(last) if last.kind == kind => last.text.push_str(change.value()),
            _ => parts.push(Part {
                kind,
                text: change.value().to_owned(),
            }),
        }
    }
    parts
}

fn block_label(block: &Block, n: usize, name: &dyn Fn(&str) -> String) -> String {
    match block {
        Block::Paragraph { .. } => format!("Paragraph {n}"),
        Block::Quote { speaker_id, .. } => format!("Quote {n} ({})", name(speaker_id)),
    }
}

fn block_text(block: &Block, name: &dyn Fn(&str) -> String) -> String {
    match block {
        Block::Paragraph { text } => text.clone(),
        Block::Quote { speaker_id, text } => format!("{text} [{}]", name(speaker_id)),
    }
}

fn contacts_text(content: &ReleaseContent) -> String {
    content
        .contacts()
        .iter()
        .map(|c| {
            [
                Some(c.name.as_str()),
                c.role.as_deref(),
                c.phone.as_deref(),
                c.mobile.as_deref(),
                c.email.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every field that differs between `old` and `new`, in page order; `name` turns a person id
/// into a name. Blocks are compared position by position; a block that exists on one side only
/// shows as wholly added or removed.
pub fn changed_fields(
    old: &ReleaseContent,
    new: &ReleaseContent,
    name: &dyn Fn(&str) -> String,
) -> Vec<FieldDiff> {
    let mut fields = Vec::new();
    let mut push = |label: String, a: &str, b: &str| {
        if a != b {
            fields.push(FieldDiff {
                label,
                parts: words(a, b),
            });
        }
    };
    push("Title".into(), old.title(), new.title());
    push("Lead".into(), old.lead(), new.lead());
    push(
        "Responsible minister".into(),
        &old.responsible_minister_id().map(name).unwrap_or_default(),
        &new.responsible_minister_id().map(name).unwrap_or_default(),
    );
    push("Language".into(), old.language(), new.language());
    let blocks = old.body().len().max(new.body().len());
    for i in 0..blocks {
        let a = old.body().get(i);
        let b = new.body().get(i);
        let label = match (a, b) {
            (_, Some(block)) | (Some(block), None) => block_label(block, i + 1, name),
            (None, None) => continue,
        };
        push(
            label,
            &a.map(|x| block_text(x, name)).unwrap_or_default(),
            &b.map(|x| block_text(x, name)).unwrap_or_default(),
        );
    }
    push("Contacts".into(), &contacts_text(old), &contacts_text(new));
    let facts = old.fact_boxes().len().max(new.fact_boxes().len());
    for i in 0..facts {
        let text = |c: &ReleaseContent| {
            c.fact_boxes()
                .get(i)
                .map(|f| format!("{}\n{}", f.heading, f.text))
                .unwrap_or_default()
        };
        push(format!("Fact box {}", i + 1), &text(old), &text(new));
    }
    push(
        "Topics".into(),
        &old.topics().join(", "),
        &new.topics().join(", "),
    );
    fields
}

/// Only the quotes of `speaker`, in order, as one text per quote: what an office other than the
/// responsible minister's approves.
pub fn changed_quotes(
    old: &ReleaseContent,
    new: &ReleaseContent,
    speaker: &str,
    name: &dyn Fn(&str) -> String,
) -> Vec<FieldDiff> {
    let quotes = |c: &ReleaseContent| -> Vec<String> {
        c.quotes()
            .filter(|q| q.speaker_id == speaker)
            .map(|q| q.text.to_owned())
            .collect()
    };
    let (a, b) = (quotes(old), quotes(new));
    (0..a.len().max(b.len()))
        .filter_map(|i| {
            let x = a.get(i).map_or("", String::as_str);
            let y = b.get(i).map_or("", String::as_str);
            (x != y).then(|| FieldDiff {
                label: format!("Quote {} of {}", i + 1, name(speaker)),
                parts: words(x, y),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(parts: &[Part], kind: &str) -> String {
        parts
            .iter()
            .filter(|p| p.kind == kind || p.kind == "same")
            .map(|p| p.text.as_str())
            .collect()
    }

    #[test]
    fn a_word_diff_rebuilds_both_texts_exactly() {
        let old = "Sverige ska axla det internationella klimatledarskapet";
        let new = "Sverige ska axla det globala klimatledarskapet – nu";
        let parts = words(old, new);
        assert_eq!(joined(&parts, "removed"), old);
        assert_eq!(joined(&parts, "added"), new);
        assert!(
            parts
                .iter()
                .any(|p| p.kind == "removed" && p.text.contains("internationella"))
        );
        assert!(
            parts
                .iter()
                .any(|p| p.kind == "added" && p.text.contains("globala"))
        );
    }

    #[test]
    fn equal_texts_have_one_unchanged_run() {
        let parts = words("å ä ö", "å ä ö");
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].kind, "same");
    }
}
