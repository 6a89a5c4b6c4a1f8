//! The public base URL: where readers reach this Pressroom from outside (a setting). With it,
//! links that leave the server (sign-off URLs, webhook `data.url`, Atom links, ninjs `uri`) are
//! absolute; without it they stay relative paths, as they are when served behind a proxy that
//! knows its own address.

use crate::error::DomainError;

/// An absolute `http` or `https` base URL without query, fragment or trailing slash, e.g.
/// `https://press.example.se` or `https://example.se/pressroom`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBaseUrl(String);

impl PublicBaseUrl {
    /// Parses a base URL; a trailing slash is dropped.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let refuse = |message: &str| Err(DomainError::validation("public_base_url", message));
        let trimmed = text.trim().trim_end_matches('/');
        let Some(rest) = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
        else {
            return refuse("must start with https:// or http://");
        };
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() {
            return refuse("must name a host, e.g. https://press.example.se");
        }
        if trimmed.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '"' | '<' | '>')
        }) {
            return refuse("must not hold spaces, a query or a fragment");
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The base as text, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `path` (which starts with `/`) under this base.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// `path` under `base` when there is one; the path itself otherwise.
pub fn public_url(base: Option<&PublicBaseUrl>, path: &str) -> String {
    match base {
        Some(base) => base.join(path),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_is_joined_without_a_double_slash() {
        let base = PublicBaseUrl::parse("https://press.example.se/").expect("valid");
        assert_eq!(
            base.join("/signoff/x"),
            "https://press.example.se/signoff/x"
        );
        let nested = PublicBaseUrl::parse("http://example.se/pressroom").expect("valid");
        assert_eq!(
            public_url(Some(&nested), "/releases/a"),
            "http://example.se/pressroom/releases/a"
        );
        assert_eq!(public_url(None, "/releases/a"), "/releases/a");
    }

    #[test]
    fn a_base_url_without_scheme_or_host_or_with_a_query_is_refused() {
        for bad in [
            "press.example.se",
            "ftp://press.example.se",
            "https://",
            "https:///x",
            "https://press.example.se/?a=b",
            "https://press.example.se/#top",
            "https://press example.se",
        ] {
            assert!(PublicBaseUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
