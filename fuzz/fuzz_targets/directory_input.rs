//! Fuzz target `directory_input`: structured input (decoded by `arbitrary`) through the
//! validators of what an admin or a reviewer types outside release content: departments
//! (slug, name, IANA time zone), people, token grants, notes (comments, reasons, correction
//! notes), press contacts (phones, e-mail), the stored names of roles, states, kinds and
//! verdicts, and slugs generated from titles.
//!
//! Each validator is compared both ways with the documented rule: it accepts exactly what the
//! rule allows, and a refusal names a field that really is wrong.

#![no_main]

use arbitrary::Arbitrary;
use chrono_tz::{TZ_VARIANTS, Tz};
use libfuzzer_sys::fuzz_target;
use pressroom_domain::DomainError;
use pressroom_domain::approval::Verdict;
use pressroom_domain::content::{
    Contact, ContentInput, ReleaseContent, ReleaseKind, check_no_control_characters, check_note,
    limits,
};
use pressroom_domain::directory::{MAX_NAME, check_department, check_grant, check_person};
use pressroom_domain::lifecycle::State;
use pressroom_domain::slug::{MAX_SLUG_LEN, nth_candidate, slug_for_title};
use pressroom_domain::visibility::Role;

#[derive(Arbitrary, Debug)]
struct Input {
    department: Department,
    person: Person,
    grant: Grant,
    note_field: String,
    note: String,
    contact: ContactFields,
    title: String,
    slug_candidate: u32,
    name: String,
}

#[derive(Arbitrary, Debug)]
struct Department {
    slug: String,
    name: String,
    time_zone: TimeZone,
}

/// Time zone names: random text rarely hits one of the ~600 IANA names, so also pick known
/// names and near misses of them.
#[derive(Arbitrary, Debug)]
enum TimeZone {
    Raw(String),
    Known(u16),
    Edited(u16, Edit),
}

#[derive(Arbitrary, Debug)]
enum Edit {
    Lowercase,
    Uppercase,
    Append(char),
    Prepend(char),
    DropLast,
    SlashToSpace,
}

impl TimeZone {
    fn text(&self) -> String {
        let known = |i: &u16| TZ_VARIANTS[usize::from(*i) % TZ_VARIANTS.len()].name();
        match self {
            Self::Raw(s) => s.clone(),
            Self::Known(i) => known(i).to_owned(),
            Self::Edited(i, edit) => {
                let name = known(i);
                match edit {
                    Edit::Lowercase => name.to_lowercase(),
                    Edit::Uppercase => name.to_uppercase(),
                    Edit::Append(c) => format!("{name}{c}"),
                    Edit::Prepend(c) => format!("{c}{name}"),
                    Edit::DropLast => name[..name.len() - 1].to_owned(),
                    Edit::SlashToSpace => name.replace('/', " "),
                }
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Person {
    name: String,
    title: String,
}

#[derive(Arbitrary, Debug)]
struct Grant {
    user_name: String,
    role: u8,
    has_department: bool,
    has_person: bool,
    embargo_access: bool,
}

#[derive(Arbitrary, Debug)]
struct ContactFields {
    name: String,
    role: Option<String>,
    phone: Option<String>,
    mobile: Option<String>,
    email: Option<String>,
}

fuzz_target!(|input: Input| {
    department(&input.department);
    person(&input.person);
    grant(&input.grant);
    note(&input.note_field, &input.note);
    contact(input.contact);
    slug(&input.title, input.slug_candidate);
    stored_names(&input.name);
});

/// The refused field, asserting the refusal is a validation error.
fn refused_field(err: &DomainError) -> &str {
    assert_eq!(err.code(), "VALIDATION", "{err:?}");
    err.field().expect("a validation error names its field")
}

/// Both ways: `result` is Ok exactly when no rule is broken, and an error names a broken rule.
fn compare(what: &str, result: Result<(), DomainError>, rules: &[(&str, bool)]) {
    let broken: Vec<&str> = rules
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(f, _)| *f)
        .collect();
    match result {
        Ok(()) => assert!(
            broken.is_empty(),
            "{what} accepted input that breaks {broken:?}"
        ),
        Err(err) => {
            let field = refused_field(&err);
            assert!(
                broken.contains(&field),
                "{what} refused {field} ({err}) but only {broken:?} break a rule"
            );
        }
    }
}

/// Names and titles: not blank, at most 200 characters, no control characters at all.
fn name_ok(text: &str) -> bool {
    !text.chars().all(char::is_whitespace)
        && text.chars().count() <= MAX_NAME
        && !text.chars().any(char::is_control)
}

/// "lowercase ASCII letters and digits separated by single dashes", at most 100 characters.
fn slug_ok(slug: &str) -> bool {
    slug.chars().count() <= 100 && shape_ok(slug)
}

/// Non-empty words of lowercase ASCII letters and digits joined by single dashes.
fn shape_ok(slug: &str) -> bool {
    slug.split('-').all(|w| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    })
}

fn department(d: &Department) {
    let time_zone = d.time_zone.text();
    let tz = time_zone.parse::<Tz>();
    let result = check_department(&d.slug, &d.name, &time_zone);
    compare(
        "check_department",
        result.clone(),
        &[
            ("input.slug", slug_ok(&d.slug)),
            ("input.name", name_ok(&d.name)),
            ("input.timeZone", tz.is_ok()),
        ],
    );
    if let Ok(tz) = tz {
        // Storage keeps the string and parses it again later: it must name that very zone, and
        // be plain ASCII without white space.
        assert_eq!(
            tz.name(),
            time_zone,
            "time zone {time_zone:?} reads as another name"
        );
        assert!(
            time_zone.bytes().all(|b| b.is_ascii_graphic()),
            "accepted time zone {time_zone:?} is not printable ASCII"
        );
    }
    if let TimeZone::Known(_) = d.time_zone {
        assert!(tz.is_ok(), "the IANA name {time_zone:?} is refused");
    }
}

fn person(p: &Person) {
    compare(
        "check_person",
        check_person(&p.name, &p.title),
        &[
            ("input.name", name_ok(&p.name)),
            ("input.title", name_ok(&p.title)),
        ],
    );
}

fn grant(g: &Grant) {
    let role = Role::ALL[usize::from(g.role) % Role::ALL.len()];
    compare(
        "check_grant",
        check_grant(
            &g.user_name,
            role,
            g.has_department,
            g.has_person,
            g.embargo_access,
        ),
        &[
            ("input.name", name_ok(&g.user_name)),
            (
                "input.department",
                !matches!(role, Role::Drafter | Role::Editor) || g.has_department,
            ),
            (
                "input.personId",
                role != Role::MinisterOffice || g.has_person,
            ),
            (
                "input.embargoAccess",
                !g.embargo_access || role == Role::Integrator,
            ),
        ],
    );
}

/// Notes: required, at most 5,000 characters, line breaks and tabs allowed; a refusal carries the
/// caller's field name as given.
fn note(field: &str, text: &str) {
    let multi_line_ok = |t: &str| {
        !t.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    };
    let ok = !text.chars().all(char::is_whitespace)
        && text.chars().count() <= limits::NOTE
        && multi_line_ok(text);
    match check_note(field, text) {
        Ok(()) => assert!(ok, "check_note accepted {text:?}"),
        Err(err) => {
            assert!(!ok, "check_note refused {text:?}: {err}");
            assert_eq!(refused_field(&err), field);
        }
    }
    for multi_line in [false, true] {
        let expected = if multi_line {
            multi_line_ok(text)
        } else {
            !text.chars().any(char::is_control)
        };
        assert_eq!(
            check_no_control_characters(field, text, multi_line).is_ok(),
            expected,
            "check_no_control_characters({text:?}, multi_line: {multi_line})"
        );
    }
}

/// A press contact, through content validation with otherwise minimal valid content.
fn contact(c: ContactFields) {
    let contact = Contact {
        name: c.name,
        role: c.role,
        phone: c.phone,
        mobile: c.mobile,
        email: c.email,
    };
    let single_line_ok = |t: &str, required: bool| {
        !(required && t.chars().all(char::is_whitespace))
            && t.chars().count() <= limits::SHORT_TEXT
            && !t.chars().any(char::is_control)
    };
    // "digits, spaces, dashes and balanced parentheses, with an optional + first", at most 40
    // characters, at least 3 digits (no-break spaces count as spaces); parentheses do not nest.
    let phone_ok = |p: &str| {
        let depths = p.chars().scan(0i32, |depth, c| {
            *depth += match c {
                '(' => 1,
                ')' => -1,
                _ => 0,
            };
            Some(*depth)
        });
        let depths: Vec<i32> = depths.collect();
        p.chars().count() <= limits::PHONE
            && p.chars().filter(char::is_ascii_digit).count() >= 3
            && p.chars()
                .all(|c| c.is_ascii_digit() || " \u{a0}-+()".contains(c))
            && p.char_indices().all(|(i, c)| c != '+' || i == 0)
            && depths.iter().all(|d| (0..=1).contains(d))
            && depths.last().is_none_or(|d| *d == 0)
    };
    // "an e-mail address like name@example.se": at most 254 bytes (RFC 5321), one `@`, a
    // non-empty local part, a domain of two or more non-empty labels.
    let email_ok = |e: &str| {
        e.len() <= limits::EMAIL
            && !e.chars().any(|c| c.is_whitespace() || c.is_control())
            && e.matches('@').count() == 1
            && e.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            })
    };
    let rules = [
        (
            "input.contacts[0].name",
            single_line_ok(&contact.name, true),
        ),
        (
            "input.contacts[0].role",
            contact
                .role
                .as_deref()
                .is_none_or(|r| single_line_ok(r, false)),
        ),
        (
            "input.contacts[0].phone",
            contact.phone.as_deref().is_none_or(phone_ok),
        ),
        (
            "input.contacts[0].mobile",
            contact.mobile.as_deref().is_none_or(phone_ok),
        ),
        (
            "input.contacts[0].email",
            contact.email.as_deref().is_none_or(email_ok),
        ),
    ];
    let input = ContentInput {
        language: "sv".into(),
        title: "Rubrik".into(),
        contacts: vec![contact.clone()],
        ..ContentInput::default()
    };
    let result = ReleaseContent::parse(input).map(|content| {
        // Accepted contacts are stored exactly as given.
        assert_eq!(content.contacts(), [contact]);
    });
    compare("contact validation", result, &rules);
}

/// Slugs from titles: lowercase ASCII words joined by single dashes, never empty, at most
/// `MAX_SLUG_LEN`, cut at a word boundary of the full slug, and stable under re-slugging.
fn slug(title: &str, n: u32) {
    let slug = slug_for_title(title);
    let full = slug::slugify(title);
    assert!(
        slug_ok(&slug),
        "slug {slug:?} of {title:?} has the wrong shape"
    );
    assert!(slug.len() <= MAX_SLUG_LEN, "slug {slug:?} is too long");
    if full.is_empty() {
        assert_eq!(slug, "release");
    } else if full.len() <= MAX_SLUG_LEN {
        assert_eq!(slug, full, "a short slug is cut");
    } else {
        assert!(
            full.starts_with(&slug),
            "{slug:?} is not a prefix of {full:?}"
        );
        let first_word = full.split('-').next().unwrap_or_default();
        if first_word.len() <= MAX_SLUG_LEN {
            // Whole words, as many as fit: the next word of the full slug would not.
            let rest = full[slug.len()..]
                .strip_prefix('-')
                .unwrap_or_else(|| panic!("{slug:?} is not cut at a word boundary of {full:?}"));
            let next_word = rest.split('-').next().unwrap_or_default();
            assert!(
                slug.len() + 1 + next_word.len() > MAX_SLUG_LEN,
                "{slug:?} stops before {next_word:?}, which would still fit"
            );
        } else {
            assert_eq!(
                slug,
                full[..MAX_SLUG_LEN],
                "an overlong first word is truncated"
            );
        }
    }
    assert_eq!(slug_for_title(&slug), slug, "re-slugging a slug changes it");
    let candidate = nth_candidate(&slug, n);
    if n <= 1 {
        assert_eq!(candidate, slug);
    } else {
        assert_eq!(candidate, format!("{slug}-{n}"));
        assert!(shape_ok(&candidate), "candidate {candidate:?}");
    }
}

/// Stored names parse back exactly; role names from tokens and the command line are
/// case-insensitive, `-` or `_`, and surrounding white space does not matter.
fn stored_names(name: &str) {
    if let Some(role) = Role::parse(name) {
        assert_eq!(Role::parse(role.as_str()), Some(role));
    }
    let role = Role::parse(name);
    assert_eq!(Role::parse(&name.to_ascii_lowercase()), role, "{name:?}");
    assert_eq!(Role::parse(&name.to_ascii_uppercase()), role, "{name:?}");
    assert_eq!(Role::parse(&name.replace('_', "-")), role, "{name:?}");
    assert_eq!(Role::parse(&format!(" {name}\t")), role, "{name:?}");
    if let Some(state) = State::parse(name) {
        assert_eq!(state.as_str(), name);
    }
    if let Some(kind) = ReleaseKind::parse(name) {
        assert_eq!(kind.as_str(), name);
    }
    if let Some(verdict) = Verdict::parse(name) {
        assert_eq!(verdict.as_str(), name);
    }
}
