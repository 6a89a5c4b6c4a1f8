//! Typed ids and user names, so that two kinds of string cannot be swapped without the compiler
//! noticing.
//!
//! Every one of them is a `String` underneath, stored and sent as that string (serde
//! `transparent`, [`Display`](std::fmt::Display), [`AsRef<str>`]); the types only say what the
//! string names. They check nothing: an id is whatever the database or the caller gave, and the
//! checks of a user name stay in [`crate::directory::check_user_name`]. Converting is cheap and
//! explicit (`PersonId::new(s)`, `s.into()`, `id.as_str()`), so the conversion shows at the
//! boundary that makes it: storage when it reads a row, the API when it reads an argument.
//!
//! A minister's office has no id of its own: it is identified by the person it speaks for. So
//! an office is a [`PersonId`] everywhere (an approval's `office_id`, a minister-office viewer's
//! `person_id`, the offices a release needs), and a person id can never be mistaken for a
//! department or the user name of whoever acted.
//!
//! A typed id compares equal to a plain `&str` or `String` of the same text, for the edges
//! where a plain string has no kind yet (a quote's `speaker_id`, a form field, a test's
//! literal); two ids of different kinds never compare, and `Option<DepartmentId>` never equals
//! an `Option<String>`.
//!
//! There is no release id type: no signature holds a release id beside another id of the same
//! type, so there is nothing for it to keep apart yet.

use std::borrow::Borrow;
use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a string; nothing is checked.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The string.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The string, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        // Hash and Eq are the inner string's, so maps keyed by the type can be read with a `&str`.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

string_id! {
    /// The id of a person in the directory. A minister's office is identified by the person it
    /// speaks for, so this is also the id of that person's office.
    PersonId
}

string_id! {
    /// The id of a department (not its slug).
    DepartmentId
}

string_id! {
    /// The name of a user: whoever holds a token, a session or a sign-off link, and the name an
    /// action is recorded under (four eyes is about this name). Not a person's name in the
    /// directory, and not a person id.
    UserName
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn a_person_id_is_its_string_in_json() {
        let id = PersonId::new("p-1");
        assert_eq!(serde_json::to_string(&id).expect("encodes"), r#""p-1""#);
        assert_eq!(
            serde_json::from_str::<PersonId>(r#""p-1""#).expect("decodes"),
            id
        );
    }

    #[test]
    fn a_department_id_is_its_string_in_json() {
        let id = DepartmentId::new("d-1");
        assert_eq!(serde_json::to_string(&id).expect("encodes"), r#""d-1""#);
        assert_eq!(
            serde_json::from_str::<DepartmentId>(r#""d-1""#).expect("decodes"),
            id
        );
    }

    #[test]
    fn a_user_name_is_its_string_in_json() {
        let name = UserName::new("Olle Rådgivare");
        assert_eq!(
            serde_json::to_string(&name).expect("encodes"),
            r#""Olle Rådgivare""#
        );
        assert_eq!(
            serde_json::from_str::<UserName>(r#""Olle Rådgivare""#).expect("decodes"),
            name
        );
    }

    #[test]
    fn an_id_displays_and_compares_as_its_string() {
        let id = PersonId::from("p-1");
        assert_eq!(id.to_string(), "p-1");
        assert_eq!(id, "p-1");
        assert_eq!(id.as_ref(), "p-1");
        assert_eq!(String::from(id), "p-1");
    }

    #[test]
    fn a_map_keyed_by_id_is_read_with_a_str() {
        let map = HashMap::from([(PersonId::new("p-1"), 1)]);
        assert_eq!(map.get("p-1"), Some(&1));
    }
}
