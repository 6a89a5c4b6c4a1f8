//! The exported schema is current and contains the contract.

mod contract;

use contract::{CONTRACT_SDL, contract_violations};
use pressroom_api::schema_sdl;

#[test]
fn the_schema_contains_the_contract() {
    let violations =
        contract_violations(CONTRACT_SDL, &schema_sdl()).expect("both documents parse");
    assert!(
        violations.is_empty(),
        "the schema breaks the contract:\n{}",
        violations.join("\n")
    );
}

#[test]
fn docs_schema_graphql_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/schema.graphql");
    if std::env::var_os("PRESSROOM_UPDATE_SCHEMA").is_some() {
        std::fs::write(path, schema_sdl()).expect("docs/schema.graphql is writable");
    }
    let exported =
        std::fs::read_to_string(path).expect("docs/schema.graphql exists (run `just schema`)");
    assert!(
        exported == schema_sdl(),
        "docs/schema.graphql is stale: run `just schema` (cargo run -q -p pressroom -- schema > docs/schema.graphql)"
    );
}
