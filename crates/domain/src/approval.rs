//! Ministerial review (docs/rules.md#approvals).
//!
//! The required approvals of a revision are the responsible minister's office plus the office of
//! every other person quoted. An approval record remembers what it covered: the whole content
//! hash and the fingerprint of the approving office's own quotes. Whether it still counts is
//! decided against the current content:
//!
//! - the responsible minister's office approves the whole revision: valid while the content hash
//!   is unchanged;
//! - another quoted person's office approves that person's quotes: valid while their quotes
//!   (speaker and exact text, in order) are unchanged;
//! - a request for changes voids every approval recorded before it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::content::ReleaseContent;
use crate::ids::{PersonId, UserName};

/// What an office said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// The office approves.
    Approved,
    /// The office sends the release back to the drafters.
    ChangesRequested,
}

impl Verdict {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approved => "APPROVED",
            Self::ChangesRequested => "CHANGES_REQUESTED",
        }
    }
    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Approved, Self::ChangesRequested]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// One office's standing on the current revision, as the contract's `ApprovalStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApprovalStatus {
    /// No valid approval yet.
    Pending,
    /// A valid approval covers the current content.
    Approved,
    /// The office asked for changes to the current revision.
    ChangesRequested,
}

/// An immutable record of an office's verdict on a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRecord {
    /// The office that gave the verdict, identified by the person it speaks for.
    pub office_id: PersonId,
    /// Revision the verdict was given on.
    pub revision: i32,
    /// Approved or changes requested.
    pub verdict: Verdict,
    /// User name of whoever gave it.
    pub by_user: UserName,
    /// When.
    pub at: DateTime<Utc>,
    /// Comment (required for changes requested).
    pub comment: Option<String>,
    /// Content hash of the revision it was given on.
    pub content_hash: String,
    /// Fingerprint of the office's own quotes in that revision.
    pub quotes_hash: String,
}

/// One required office's standing on the current content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeStanding<'a> {
    /// The office, identified by the person it speaks for.
    pub office_id: PersonId,
    /// Its status.
    pub status: ApprovalStatus,
    /// The record that gives it (the valid approval or the request for changes), if any.
    pub record: Option<&'a ApprovalRecord>,
}

/// Offices whose approval the content needs: the responsible minister first, then every other
/// person quoted, in order of first quote.
pub fn required_offices(content: &ReleaseContent) -> Vec<PersonId> {
    content
        .referenced_people()
        .into_iter()
        .map(PersonId::from)
        .collect()
}

/// Whether an approval record still covers this content for its office.
pub fn covers(record: &ApprovalRecord, content: &ReleaseContent, content_hash: &str) -> bool {
    if record.verdict != Verdict::Approved {
        return false;
    }
    if content.responsible_minister_id() == Some(record.office_id.as_str()) {
        record.content_hash == content_hash
    } else {
        record.quotes_hash == content.quotes_hash(record.office_id.as_str())
    }
}

/// The records still in force: everything after the last request for changes.
fn in_force(records: &[ApprovalRecord]) -> &[ApprovalRecord] {
    let start = records
        .iter()
        .rposition(|r| r.verdict == Verdict::ChangesRequested)
        .map_or(0, |i| i + 1);
    &records[start..]
}

/// The valid approval of `office_id` for this content, if any.
pub fn valid_approval<'a>(
    office_id: &PersonId,
    records: &'a [ApprovalRecord],
    content: &ReleaseContent,
    content_hash: &str,
) -> Option<&'a ApprovalRecord> {
    in_force(records)
        .iter()
        .rev()
        .find(|r| r.office_id == *office_id && covers(r, content, content_hash))
}

/// The standing of every required office on the current content (`records` oldest first).
pub fn standings<'a>(
    records: &'a [ApprovalRecord],
    content: &ReleaseContent,
    content_hash: &str,
    revision: i32,
) -> Vec<OfficeStanding<'a>> {
    let last_request = records
        .iter()
        .rev()
        .find(|r| r.verdict == Verdict::ChangesRequested);
    required_offices(content)
        .into_iter()
        .map(|office_id| {
            if let Some(record) = valid_approval(&office_id, records, content, content_hash) {
                return OfficeStanding {
                    office_id,
                    status: ApprovalStatus::Approved,
                    record: Some(record),
                };
            }
            match last_request {
                Some(r) if r.office_id == office_id && r.revision == revision => OfficeStanding {
                    office_id,
                    status: ApprovalStatus::ChangesRequested,
                    record: Some(r),
                },
                _ => OfficeStanding {
                    office_id,
                    status: ApprovalStatus::Pending,
                    record: None,
                },
            }
        })
        .collect()
}

/// Whether every required office has a valid approval of this content. Content without a
/// responsible minister is never fully approved.
pub fn fully_approved(
    records: &[ApprovalRecord],
    content: &ReleaseContent,
    content_hash: &str,
) -> bool {
    content.responsible_minister_id().is_some()
        && required_offices(content)
            .iter()
            .all(|office| valid_approval(office, records, content, content_hash).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Block, Contact, ContentInput};

    fn content(body: Vec<Block>) -> ReleaseContent {
        ReleaseContent::parse(ContentInput {
            language: "sv".into(),
            responsible_minister_id: Some("a".into()),
            title: "Rubrik".into(),
            lead: "Ingress".into(),
            body,
            contacts: vec![Contact {
                name: "Tove".into(),
                role: None,
                phone: None,
                mobile: None,
                email: None,
            }],
            ..ContentInput::default()
        })
        .expect("valid")
    }

    fn para(t: &str) -> Block {
        Block::Paragraph { text: t.into() }
    }
    fn quote(who: &str, t: &str) -> Block {
        Block::Quote {
            speaker_id: who.into(),
            text: t.into(),
        }
    }

    fn approve(office: &str, c: &ReleaseContent, revision: i32) -> ApprovalRecord {
        ApprovalRecord {
            office_id: PersonId::new(office),
            revision,
            verdict: Verdict::Approved,
            by_user: UserName::new(format!("user-{office}")),
            at: DateTime::<Utc>::UNIX_EPOCH,
            comment: None,
            content_hash: c.content_hash(),
            quotes_hash: c.quotes_hash(office),
        }
    }

    #[test]
    fn the_required_offices_are_the_responsible_minister_and_everyone_quoted() {
        let c = content(vec![
            quote("b", "B1"),
            quote("a", "A1"),
            quote("b", "B2"),
            quote("c", "C"),
        ]);
        assert_eq!(required_offices(&c), vec!["a", "b", "c"]);
    }

    #[test]
    fn any_content_change_voids_the_responsible_ministers_approval() {
        let c1 = content(vec![para("ett")]);
        let records = vec![approve("a", &c1, 1)];
        assert!(fully_approved(&records, &c1, &c1.content_hash()));
        let c2 = content(vec![para("två")]);
        assert!(!fully_approved(&records, &c2, &c2.content_hash()));
    }

    #[test]
    fn a_quoted_persons_approval_survives_edits_that_keep_their_quotes() {
        let c1 = content(vec![para("ett"), quote("b", "B säger")]);
        let records = vec![approve("b", &c1, 1)];
        let c2 = content(vec![para("ändrad"), quote("b", "B säger")]);
        let b = PersonId::new("b");
        assert!(valid_approval(&b, &records, &c2, &c2.content_hash()).is_some());
        let c3 = content(vec![para("ändrad"), quote("b", "B säger något annat")]);
        assert!(valid_approval(&b, &records, &c3, &c3.content_hash()).is_none());
    }

    #[test]
    fn a_request_for_changes_voids_every_earlier_approval() {
        let c = content(vec![quote("b", "B")]);
        let mut records = vec![approve("b", &c, 1)];
        records.push(ApprovalRecord {
            verdict: Verdict::ChangesRequested,
            comment: Some("Nej".into()),
            ..approve("a", &c, 1)
        });
        assert!(valid_approval(&PersonId::new("b"), &records, &c, &c.content_hash()).is_none());
        let s = standings(&records, &c, &c.content_hash(), 1);
        assert_eq!(s[0].status, ApprovalStatus::ChangesRequested);
        assert_eq!(s[1].status, ApprovalStatus::Pending);
        assert_eq!(
            standings(&records, &c, &c.content_hash(), 2)[0].status,
            ApprovalStatus::Pending
        );
    }

    #[test]
    fn both_offices_are_needed_when_two_ministers_are_involved() {
        let c = content(vec![quote("a", "A"), quote("b", "B")]);
        let hash = c.content_hash();
        let mut records = vec![approve("a", &c, 1)];
        assert!(!fully_approved(&records, &c, &hash));
        records.push(approve("b", &c, 1));
        assert!(fully_approved(&records, &c, &hash));
    }
}
