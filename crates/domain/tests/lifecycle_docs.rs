//! The lifecycle as the docs show it is the lifecycle the code enforces: the table in
//! `docs/rules.md` ("Lifecycle") and the diagram in `docs/architecture.md` ("The lifecycle") list
//! exactly the transitions of `TRANSITIONS`, each with the roles of `Action::allowed_roles`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a missing document should fail the test loudly"
)]

use std::collections::BTreeSet;

use pressroom_domain::lifecycle::{State, TRANSITIONS};
use pressroom_domain::visibility::Role;

/// One documented transition: action, from, to, and who may take it (sorted role words).
type Row = (String, String, String, Vec<String>);

fn document(name: &str) -> String {
    let path = format!("{}/../../docs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("read {path}: {error}"))
}

/// The docs' word for a role; the scheduler's own actions have no role.
fn role_word(role: Role) -> &'static str {
    match role {
        Role::Drafter => "drafter",
        Role::Editor => "editor",
        Role::MinisterOffice => "office",
        Role::Integrator => "integrator",
        Role::Admin => "admin",
    }
}

/// The transitions of the code, as the docs should show them.
fn expected() -> BTreeSet<Row> {
    TRANSITIONS
        .iter()
        .map(|&(action, from, to)| {
            let mut who: Vec<String> = action
                .allowed_roles()
                .iter()
                .map(|&role| role_word(role).to_owned())
                .collect();
            if who.is_empty() {
                who.push("scheduler".to_owned());
            }
            who.sort();
            (
                action.as_str().to_owned(),
                from.as_str().to_owned(),
                to.as_str().to_owned(),
                who,
            )
        })
        .collect()
}

/// The role words among `text` (other words, such as a condition, are ignored).
fn who(text: &str) -> Vec<String> {
    let known = [
        "drafter",
        "editor",
        "office",
        "integrator",
        "admin",
        "scheduler",
    ];
    let mut who: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|word| known.contains(word))
        .map(str::to_owned)
        .collect();
    who.sort();
    who
}

/// The rows of the first table under `## Lifecycle` in docs/rules.md.
fn rules_table() -> Vec<Row> {
    let text = document("rules.md");
    let section = text
        .split("\n## Lifecycle\n")
        .nth(1)
        .expect("docs/rules.md has a `## Lifecycle` section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<&str> = line
                .trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().trim_matches('`'))
                .collect();
            assert_eq!(cells.len(), 4, "docs/rules.md: a row of four cells: {line}");
            (
                cells[0].to_owned(),
                cells[1].to_owned(),
                cells[2].to_owned(),
                who(cells[3]),
            )
        })
        .collect()
}

/// The transitions of the mermaid diagram under `## The lifecycle` in docs/architecture.md,
/// without creation (`[*] --> DRAFT`), which is not a transition of the table.
fn architecture_diagram() -> Vec<Row> {
    let text = document("architecture.md");
    let section = text
        .split("\n## The lifecycle\n")
        .nth(1)
        .expect("docs/architecture.md has a `## The lifecycle` section");
    let diagram = section
        .split("```mermaid\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the lifecycle section has a mermaid diagram");
    diagram
        .lines()
        .map(str::trim)
        .filter(|line| line.contains("-->") && !line.starts_with("[*]"))
        .map(|line| {
            let (states, label) = line.split_once(" : ").expect("a labelled transition");
            let (from, to) = states.split_once("-->").expect("an arrow");
            let action = label
                .split([' ', ','])
                .next()
                .expect("the label starts with the action");
            let roles = label
                .rsplit_once('(')
                .map(|(_, roles)| roles.trim_end_matches(')'))
                .expect("the label names who, in parentheses");
            (
                action.to_owned(),
                from.trim().to_owned(),
                to.trim().to_owned(),
                who(roles),
            )
        })
        .collect()
}

fn assert_same(documented: Vec<Row>, where_: &str) {
    let listed: BTreeSet<Row> = documented.iter().cloned().collect();
    assert_eq!(
        listed.len(),
        documented.len(),
        "{where_} lists a transition twice"
    );
    let expected = expected();
    let missing: Vec<&Row> = expected.difference(&listed).collect();
    let extra: Vec<&Row> = listed.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{where_} disagrees with TRANSITIONS and Action::allowed_roles\n\
         missing from the docs: {missing:#?}\nnot in the code: {extra:#?}"
    );
}

#[test]
fn the_rules_table_lists_exactly_the_transitions_of_the_code() {
    assert_same(rules_table(), "docs/rules.md (## Lifecycle)");
}

#[test]
fn the_architecture_diagram_shows_exactly_the_transitions_of_the_code() {
    assert_same(
        architecture_diagram(),
        "docs/architecture.md (## The lifecycle)",
    );
}

#[test]
fn every_state_appears_in_the_table() {
    let table = rules_table();
    for state in State::ALL {
        assert!(
            table
                .iter()
                .any(|(_, from, to, _)| from == state.as_str() || to == state.as_str()),
            "docs/rules.md never mentions {state}"
        );
    }
}
