//! Keyset pagination with opaque cursors (never OFFSET).
//!
//! A cursor is the hex encoding of `v1:<key>`; for releases the key is `<sort_at>:<id>`, for
//! sequences (audit log, change feed) it is the sequence number. Clients must treat cursors as
//! opaque; the encoding may change.

use crate::error::{StorageError, StorageResult};

/// Default page size.
pub const DEFAULT_PAGE: u64 = 20;
/// Largest page size; larger requests are clamped to it.
pub const MAX_PAGE: u64 = 100;

/// An opaque position in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    /// Parses a cursor a client sent.
    pub fn parse(text: &str) -> StorageResult<Self> {
        let invalid = || StorageError::validation("after", "is not a cursor of this list");
        let bytes = hex::decode(text).map_err(|_| invalid())?;
        let key = String::from_utf8(bytes).map_err(|_| invalid())?;
        key.strip_prefix("v1:")
            .map(|k| Self(k.to_owned()))
            .ok_or_else(invalid)
    }

    /// The cursor after a release with this listing key.
    pub fn for_release(sort_at: i64, id: &str) -> String {
        hex::encode(format!("v1:{sort_at}:{id}"))
    }

    /// The cursor after this sequence number.
    pub fn for_seq(seq: i64) -> String {
        hex::encode(format!("v1:{seq}"))
    }

    /// The release listing key this cursor holds.
    pub fn release_key(&self) -> StorageResult<(i64, String)> {
        self.0
            .split_once(':')
            .and_then(|(at, id)| Some((at.parse().ok()?, id.to_owned())))
            .ok_or_else(|| StorageError::validation("after", "is not a cursor of this list"))
    }

    /// The sequence number this cursor holds.
    pub fn seq(&self) -> StorageResult<i64> {
        self.0
            .parse()
            .map_err(|_| StorageError::validation("after", "is not a cursor of this list"))
    }
}

/// What page a caller asked for.
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// Page size after clamping.
    pub first: u64,
    /// Position to continue after.
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// Validates `first` (clamped to [`MAX_PAGE`], negative refused) and parses `after`.
    pub fn new(first: Option<i32>, after: Option<&str>) -> StorageResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE,
            Some(n) if n < 0 => {
                return Err(StorageError::validation("first", "must not be negative"));
            }
            Some(n) => u64::try_from(n).unwrap_or(MAX_PAGE).min(MAX_PAGE),
        };
        Ok(Self {
            first,
            after: after.map(Cursor::parse).transpose()?,
        })
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn limit_plus_one(&self) -> u64 {
        self.first + 1
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// Items with their cursors.
    pub items: Vec<(String, T)>,
    /// Whether more items follow.
    pub has_next_page: bool,
    /// Whether items precede (known only as "the caller passed a cursor").
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    /// An empty page.
    pub fn empty(request: &PageRequest) -> Self {
        Self {
            items: Vec::new(),
            has_next_page: false,
            has_previous_page: request.after.is_some(),
        }
    }

    /// Builds a page from up to `first + 1` rows.
    pub fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest,
        cursor: impl Fn(&T) -> String,
    ) -> Self {
        let has_next_page = rows.len() as u64 > request.first;
        rows.truncate(usize::try_from(request.first).unwrap_or(usize::MAX));
        Self {
            items: rows.into_iter().map(|row| (cursor(&row), row)).collect(),
            has_next_page,
            has_previous_page: request.after.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_cursor_round_trips() {
        let cursor =
            Cursor::parse(&Cursor::for_release(1_700_000_000_000_000, "0190-abc")).expect("parses");
        assert_eq!(
            cursor.release_key().expect("key"),
            (1_700_000_000_000_000, "0190-abc".to_owned())
        );
    }

    #[test]
    fn garbage_is_not_a_cursor() {
        assert_eq!(
            Cursor::parse("zz").map(|_| ()).unwrap_err().code(),
            "VALIDATION"
        );
        assert_eq!(
            Cursor::parse(&hex::encode("v2:1"))
                .map(|_| ())
                .unwrap_err()
                .code(),
            "VALIDATION"
        );
    }

    #[test]
    fn first_is_clamped_to_100_and_negative_is_refused() {
        assert_eq!(
            PageRequest::new(Some(1000), None).expect("clamped").first,
            MAX_PAGE
        );
        assert_eq!(
            PageRequest::new(None, None).expect("default").first,
            DEFAULT_PAGE
        );
        assert!(PageRequest::new(Some(-1), None).is_err());
    }
}
