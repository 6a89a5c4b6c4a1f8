//! The contract's error codes are exactly `ErrorCode::ALL`: the table of codes in `docs/api.md`
//! ("Errors") lists each code once, and no other.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a missing document should fail the test loudly"
)]

use std::collections::BTreeSet;

use pressroom_domain::ErrorCode;

fn document(name: &str) -> String {
    let path = format!("{}/../../docs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("read {path}: {error}"))
}

/// The codes of the table headed `| code | when |`: the first cell of each row, in backticks.
fn documented_codes(markdown: &str) -> Vec<String> {
    let mut lines = markdown
        .lines()
        .skip_while(|line| line.trim() != "| code | when |")
        .skip(2);
    let mut codes = Vec::new();
    for line in lines.by_ref() {
        let Some(row) = line.trim().strip_prefix("| `") else {
            break;
        };
        let code = row.split('`').next().expect("a code in backticks");
        codes.push(code.to_owned());
    }
    codes
}

#[test]
fn the_error_codes_are_exactly_those_docs_api_md_documents() {
    let documented = documented_codes(&document("api.md"));
    assert!(
        !documented.is_empty(),
        "docs/api.md has no `| code | when |` table"
    );
    let unique: BTreeSet<&str> = documented.iter().map(String::as_str).collect();
    assert_eq!(unique.len(), documented.len(), "a code is listed twice");
    let code: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(code, unique);
}

#[test]
fn every_code_parses_from_its_wire_name() {
    for code in ErrorCode::ALL {
        assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        assert_eq!(code, code.as_str());
    }
    assert_eq!(ErrorCode::parse("TEAPOT"), None);
}
