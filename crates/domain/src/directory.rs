//! Rules for the directory an admin maintains: departments, people and the users behind tokens.

use crate::content::check_no_control_characters;
use crate::error::DomainError;
use crate::visibility::Role;

/// Longest department or person name, title, or user name.
pub const MAX_NAME: usize = 200;

fn check_name(field: &str, text: &str) -> Result<(), DomainError> {
    if text.trim().is_empty() {
        return Err(DomainError::validation(field, "must not be empty"));
    }
    if text.chars().count() > MAX_NAME {
        return Err(DomainError::validation(
            field,
            format!("at most {MAX_NAME} characters are allowed"),
        ));
    }
    check_no_control_characters(field, text, false)
}

/// A user name (the name behind tokens, sessions and sign-off links): not empty, at most
/// [`MAX_NAME`] characters, no control characters.
pub fn check_user_name(field: &str, text: &str) -> Result<(), DomainError> {
    check_name(field, text)
}

/// A department: a slug of lowercase ASCII letters, digits and single dashes, a name, and an IANA time zone.
pub fn check_department(slug: &str, name: &str, time_zone: &str) -> Result<(), DomainError> {
    let slug_ok = !slug.is_empty()
        && slug.len() <= 100
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
    if !slug_ok {
        return Err(DomainError::validation(
            "input.slug",
            "must be lowercase ASCII letters and digits separated by single dashes, e.g. miljodepartementet",
        ));
    }
    check_name("input.name", name)?;
    if time_zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(DomainError::validation(
            "input.timeZone",
            "must be an IANA time zone name such as Europe/Stockholm",
        ));
    }
    Ok(())
}

/// A person: a name and a title.
pub fn check_person(name: &str, title: &str) -> Result<(), DomainError> {
    check_name("input.name", name)?;
    check_name("input.title", title)
}

/// What a token grants, checked for consistency: staff need a department, an office needs a
/// person, and only integrators can be accredited for embargoed releases.
pub fn check_grant(
    user_name: &str,
    role: Role,
    has_department: bool,
    has_person: bool,
    embargo_access: bool,
) -> Result<(), DomainError> {
    check_name("input.name", user_name)?;
    if role.is_staff() && !has_department {
        return Err(DomainError::validation(
            "input.department",
            "drafters and editors belong to a department",
        ));
    }
    if role == Role::MinisterOffice && !has_person {
        return Err(DomainError::validation(
            "input.personId",
            "a minister's office speaks for a person",
        ));
    }
    if embargo_access && role != Role::Integrator {
        return Err(DomainError::validation(
            "input.embargoAccess",
            "only integrators can be accredited",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_iana_time_zones_are_accepted() {
        assert!(
            check_department(
                "miljodepartementet",
                "Miljödepartementet",
                "Europe/Stockholm"
            )
            .is_ok()
        );
        assert_eq!(
            check_department("m", "M", "CET+1")
                .map(|_| ())
                .unwrap_err()
                .field(),
            Some("input.timeZone")
        );
    }

    #[test]
    fn department_slugs_are_lowercase_ascii_with_dashes() {
        assert!(check_department("Miljö", "M", "Europe/Stockholm").is_err());
        assert!(check_department("a--b", "M", "Europe/Stockholm").is_err());
        assert!(check_department("utrikes-departementet", "U", "Europe/Stockholm").is_ok());
    }

    #[test]
    fn an_office_token_needs_a_person_and_only_integrators_get_embargo_access() {
        assert!(check_grant("anna", Role::MinisterOffice, false, false, false).is_err());
        assert!(check_grant("anna", Role::MinisterOffice, false, true, false).is_ok());
        assert!(check_grant("dana", Role::Drafter, true, false, true).is_err());
        assert!(check_grant("ivar", Role::Integrator, false, false, true).is_ok());
    }
}
