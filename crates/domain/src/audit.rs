//! The audit log's hash chain (docs/rules.md#audit).
//!
//! # Canonical encoding of an entry
//!
//! `hash` is the lowercase hex SHA-256 of the UTF-8 JSON array
//! `[seq, atMicros, actor, action, releaseId, fromState, toState, revision, details, prevHash]`
//! serialized by `serde_json` without white space, where `atMicros` is the entry's instant in
//! microseconds since the Unix epoch, absent values are `null`, and `details` is the details
//! object's stored JSON text as a string (so the hash covers exactly the stored bytes). The first
//! entry's `prevHash` is [`GENESIS_HASH`].

use crate::content::{push_json_optional, push_json_string, sha256_hex};

/// `prevHash` of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An audit entry as stored, minus its own hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFields<'a> {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// Instant, microseconds since the Unix epoch.
    pub at_micros: i64,
    /// User name or `scheduler`.
    pub actor: &'a str,
    /// Action name.
    pub action: &'a str,
    /// Release concerned, if any.
    pub release_id: Option<&'a str>,
    /// State before.
    pub from_state: Option<&'a str>,
    /// State after.
    pub to_state: Option<&'a str>,
    /// Revision concerned.
    pub revision: Option<i32>,
    /// Details as stored JSON text.
    pub details: &'a str,
    /// Hash of the previous entry.
    pub prev_hash: &'a str,
}

impl AuditFields<'_> {
    /// The entry's hash.
    pub fn hash(&self) -> String {
        // Written by hand so that it cannot fail (a fallback would silently chain the hash of
        // something else); byte for byte what `serde_json` makes of the same tuple.
        let mut encoded = String::with_capacity(256 + self.details.len());
        encoded.push('[');
        encoded.push_str(&self.seq.to_string());
        encoded.push(',');
        encoded.push_str(&self.at_micros.to_string());
        encoded.push(',');
        push_json_string(&mut encoded, self.actor);
        encoded.push(',');
        push_json_string(&mut encoded, self.action);
        encoded.push(',');
        push_json_optional(&mut encoded, self.release_id);
        encoded.push(',');
        push_json_optional(&mut encoded, self.from_state);
        encoded.push(',');
        push_json_optional(&mut encoded, self.to_state);
        encoded.push(',');
        match self.revision {
            Some(revision) => encoded.push_str(&revision.to_string()),
            None => encoded.push_str("null"),
        }
        encoded.push(',');
        push_json_string(&mut encoded, self.details);
        encoded.push(',');
        push_json_string(&mut encoded, self.prev_hash);
        encoded.push(']');
        sha256_hex(encoded.as_bytes())
    }
}

/// Where a chain first goes wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// An entry is missing or out of order.
    #[error("seq {expected}: expected this entry next, found seq {found}")]
    Gap {
        /// The seq that should have come.
        expected: i64,
        /// The seq that came.
        found: i64,
    },
    /// `prevHash` does not name the previous entry's hash.
    #[error("seq {seq}: prevHash does not match the previous entry's hash")]
    BrokenLink {
        /// The entry.
        seq: i64,
    },
    /// The stored hash is not the hash of the stored fields.
    #[error("seq {seq}: stored hash does not match the entry's content")]
    Altered {
        /// The entry.
        seq: i64,
    },
    /// The chain ends before (or after) the head recorded beside it.
    #[error(
        "seq {seq}: the chain's recorded head is seq {head_seq}, but the log ends at seq {last_seq}"
    )]
    Truncated {
        /// The first seq that is missing or extra.
        seq: i64,
        /// The head's seq.
        head_seq: i64,
        /// The last seq present.
        last_seq: i64,
    },
    /// The last entry's hash is not the recorded head hash.
    #[error("seq {seq}: the last entry's hash is not the recorded head hash")]
    HeadMismatch {
        /// The last entry.
        seq: i64,
    },
}

impl ChainBreak {
    /// The first bad seq.
    pub fn seq(&self) -> i64 {
        match self {
            Self::Gap { expected, .. } => *expected,
            Self::BrokenLink { seq }
            | Self::Altered { seq }
            | Self::Truncated { seq, .. }
            | Self::HeadMismatch { seq } => *seq,
        }
    }
}

/// Checks a chain entry by entry; feed entries in seq order, then call [`ChainVerifier::finish`].
#[derive(Debug)]
pub struct ChainVerifier {
    next_seq: i64,
    prev_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
        }
    }
}

impl ChainVerifier {
    /// Checks the next entry against its predecessor.
    pub fn push(&mut self, fields: &AuditFields<'_>, stored_hash: &str) -> Result<(), ChainBreak> {
        if fields.seq != self.next_seq {
            return Err(ChainBreak::Gap {
                expected: self.next_seq,
                found: fields.seq,
            });
        }
        if fields.prev_hash != self.prev_hash {
            return Err(ChainBreak::BrokenLink { seq: fields.seq });
        }
        if fields.hash() != stored_hash {
            return Err(ChainBreak::Altered { seq: fields.seq });
        }
        self.next_seq += 1;
        stored_hash.clone_into(&mut self.prev_hash);
        Ok(())
    }

    /// Compares the end of the chain with the recorded head; returns (entries, head hash).
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<(i64, String), ChainBreak> {
        let last_seq = self.next_seq - 1;
        if last_seq != head_seq {
            return Err(ChainBreak::Truncated {
                seq: last_seq.min(head_seq) + 1,
                head_seq,
                last_seq,
            });
        }
        if self.prev_hash != head_hash {
            return Err(ChainBreak::HeadMismatch { seq: last_seq });
        }
        Ok((last_seq, self.prev_hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hand_written_encoding_is_byte_for_byte_what_serde_json_makes_of_the_entry() {
        let details = "{\"comment\":\"Citatet \\\"LeadIT\\\" – ändra\\n\\u0001\"}";
        for (release_id, from_state, revision) in
            [(Some("r1"), Some("DRAFT"), Some(3)), (None, None, None)]
        {
            let fields = AuditFields {
                seq: 42,
                at_micros: -1_654_153_200_000_123,
                actor: "anna \"a\" \\ b\u{1}\u{1f}\u{7f}\u{a0}",
                action: "requestChanges",
                release_id,
                from_state,
                to_state: Some("IN_REVIEW"),
                revision,
                details,
                prev_hash: GENESIS_HASH,
            };
            let by_serde = serde_json::to_string(&(
                fields.seq,
                fields.at_micros,
                fields.actor,
                fields.action,
                fields.release_id,
                fields.from_state,
                fields.to_state,
                fields.revision,
                fields.details,
                fields.prev_hash,
            ))
            .expect("serializes");
            assert_eq!(fields.hash(), sha256_hex(by_serde.as_bytes()));
        }
    }

    fn entry(seq: i64, prev: &str) -> (String, String) {
        let details = format!("{{\"n\":{seq}}}");
        let hash = AuditFields {
            seq,
            at_micros: seq * 1000,
            actor: "anna",
            action: "createRelease",
            release_id: Some("r1"),
            from_state: None,
            to_state: Some("DRAFT"),
            revision: Some(1),
            details: &details,
            prev_hash: prev,
        }
        .hash();
        (details, hash)
    }

    fn chain(n: i64) -> Vec<(i64, String, String, String)> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let (details, hash) = entry(seq, &prev);
                let row = (seq, details, prev.clone(), hash.clone());
                prev = hash;
                row
            })
            .collect()
    }

    fn verify(
        rows: &[(i64, String, String, String)],
        head: (i64, &str),
    ) -> Result<(i64, String), ChainBreak> {
        let mut v = ChainVerifier::default();
        for (seq, details, prev, hash) in rows {
            let fields = AuditFields {
                seq: *seq,
                at_micros: seq * 1000,
                actor: "anna",
                action: "createRelease",
                release_id: Some("r1"),
                from_state: None,
                to_state: Some("DRAFT"),
                revision: Some(1),
                details,
                prev_hash: prev,
            };
            v.push(&fields, hash)?;
        }
        v.finish(head.0, head.1)
    }

    #[test]
    fn an_intact_chain_verifies_to_its_head() {
        let rows = chain(5);
        let head = rows[4].3.clone();
        assert_eq!(verify(&rows, (5, &head)), Ok((5, head.clone())));
    }

    #[test]
    fn an_altered_entry_is_named_by_its_seq() {
        let mut rows = chain(5);
        rows[2].1 = "{\"n\":99}".into();
        let head = rows[4].3.clone();
        assert_eq!(verify(&rows, (5, &head)).map_err(|e| e.seq()), Err(3));
    }

    #[test]
    fn a_removed_entry_is_named_by_its_seq() {
        let mut rows = chain(5);
        rows.remove(1);
        let head = rows[3].3.clone();
        assert_eq!(verify(&rows, (5, &head)).map_err(|e| e.seq()), Err(2));
    }

    #[test]
    fn a_removed_last_entry_is_caught_by_the_head() {
        let rows = chain(5);
        let head = rows[4].3.clone();
        assert_eq!(verify(&rows[..4], (5, &head)).map_err(|e| e.seq()), Err(5));
    }
}
