//! Checks that a GraphQL schema contains Pressroom's contract as a subset.
//!
//! Test tooling, not part of the server: `tests/schema.rs` runs it on the exported schema.
//!
//! The contract promises integrators (docs/api.md) that every type, field, argument and enum
//! value of `contract.graphql` exists in the server's schema with the same names, types and
//! nullability, and that the root types are named `Query`, `Mutation` and `Subscription`. The
//! schema may add more, but nothing it adds may break a client written against the contract: an
//! argument or input field the contract does not know must therefore be nullable or have a
//! default. Default values may differ, but a non-null input that the contract lets clients omit
//! (because it has a default there) must keep some default in the schema, or those clients break
//! too.
//!
//! The checker works on SDL text on both sides, so it can check the exported
//! `docs/schema.graphql` as well as the schema of a running server.

use std::collections::HashMap;

use async_graphql_parser::Positioned;
use async_graphql_parser::parse_schema;
use async_graphql_parser::types::{
    FieldDefinition, InputValueDefinition, ServiceDocument, TypeKind, TypeSystemDefinition,
};

/// The copy of `contract.graphql` this crate was built with (byte for byte the shared contract).
pub const CONTRACT_SDL: &str = include_str!("../../contract.graphql");

/// The three operation types with the root type name the contract requires for each.
const OPERATIONS: [(&str, &str); 3] = [
    ("query", "Query"),
    ("mutation", "Mutation"),
    ("subscription", "Subscription"),
];

/// Lists every way in which `schema_sdl` fails to contain `contract_sdl` as a subset, one
/// human-readable line each; an empty list means the schema honours the contract.
///
/// # Errors
///
/// Returns a message when either document is not valid GraphQL SDL.
pub fn contract_violations(contract_sdl: &str, schema_sdl: &str) -> Result<Vec<String>, String> {
    let contract_doc =
        parse_schema(contract_sdl).map_err(|e| format!("the contract does not parse: {e}"))?;
    let schema_doc =
        parse_schema(schema_sdl).map_err(|e| format!("the schema does not parse: {e}"))?;
    let contract = Index::of(&contract_doc);
    let schema = Index::of(&schema_doc);

    let mut violations = Vec::new();
    check_roots(&contract, &schema, &mut violations);
    for name in &contract.order {
        let Some(wanted) = contract.shapes.get(name) else {
            continue;
        };
        match schema.shapes.get(name) {
            None => violations.push(format!("type {name}: missing from the schema")),
            Some(found) if found.kind != wanted.kind => violations.push(format!(
                "type {name}: {} in the contract but {} in the schema",
                wanted.kind.describe(),
                found.kind.describe()
            )),
            Some(found) => check_type(name, wanted, found, &mut violations),
        }
    }
    Ok(violations)
}

/// The kind of a named type, compared between contract and schema.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scalar,
    Object,
    Interface,
    Union,
    Enum,
    Input,
}

impl Kind {
    fn of(kind: &TypeKind) -> Self {
        match kind {
            TypeKind::Scalar => Self::Scalar,
            TypeKind::Object(_) => Self::Object,
            TypeKind::Interface(_) => Self::Interface,
            TypeKind::Union(_) => Self::Union,
            TypeKind::Enum(_) => Self::Enum,
            TypeKind::InputObject(_) => Self::Input,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Scalar => "a scalar",
            Self::Object => "an object type",
            Self::Interface => "an interface",
            Self::Union => "a union",
            Self::Enum => "an enum",
            Self::Input => "an input object",
        }
    }
}

/// One named type of a document, with any `extend` definitions of it merged in.
struct Shape<'a> {
    kind: Kind,
    fields: Vec<&'a FieldDefinition>,
    input_fields: Vec<&'a Positioned<InputValueDefinition>>,
    members: Vec<&'a str>,
    values: Vec<&'a str>,
    one_of: bool,
}

/// The named types and root operation types of one SDL document.
struct Index<'a> {
    /// Type names in the order they first appear, so violations read in document order.
    order: Vec<&'a str>,
    shapes: HashMap<&'a str, Shape<'a>>,
    /// The root type name of each entry of [`OPERATIONS`], if the document has that root.
    roots: [Option<&'a str>; 3],
}

impl<'a> Index<'a> {
    fn of(doc: &'a ServiceDocument) -> Self {
        let mut index = Index {
            order: Vec::new(),
            shapes: HashMap::new(),
            roots: [None; 3],
        };
        let mut has_schema_definition = false;
        for definition in &doc.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    has_schema_definition = true;
                    let schema = &schema.node;
                    let named = [&schema.query, &schema.mutation, &schema.subscription];
                    for (root, name) in index.roots.iter_mut().zip(named) {
                        if let Some(name) = name {
                            *root = Some(name.node.as_str());
                        }
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let ty = &ty.node;
                    let name = ty.name.node.as_str();
                    let kind = Kind::of(&ty.kind);
                    let shape = index.shapes.entry(name).or_insert_with(|| {
                        index.order.push(name);
                        Shape {
                            kind,
                            fields: Vec::new(),
                            input_fields: Vec::new(),
                            members: Vec::new(),
                            values: Vec::new(),
                            one_of: false,
                        }
                    });
                    // A second definition of another kind makes the document invalid GraphQL;
                    // the first definition stands and the stray one is not merged into it.
                    if shape.kind != kind {
                        continue;
                    }
                    shape.one_of |= ty.directives.iter().any(|d| d.node.name.node == "oneOf");
                    match &ty.kind {
                        TypeKind::Scalar => {}
                        TypeKind::Object(object) => {
                            shape.fields.extend(object.fields.iter().map(|f| &f.node));
                        }
                        TypeKind::Interface(interface) => {
                            shape
                                .fields
                                .extend(interface.fields.iter().map(|f| &f.node));
                        }
                        TypeKind::Union(union) => {
                            shape
                                .members
                                .extend(union.members.iter().map(|m| m.node.as_str()));
                        }
                        TypeKind::Enum(en) => {
                            shape
                                .values
                                .extend(en.values.iter().map(|v| v.node.value.node.as_str()));
                        }
                        TypeKind::InputObject(input) => shape.input_fields.extend(&input.fields),
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        // Without a schema definition GraphQL takes the types named Query, Mutation and
        // Subscription as the roots, if they exist.
        if !has_schema_definition {
            for (root, (_, default_name)) in index.roots.iter_mut().zip(OPERATIONS) {
                if index.shapes.contains_key(default_name) {
                    *root = Some(default_name);
                }
            }
        }
        index
    }
}

fn check_roots(contract: &Index<'_>, schema: &Index<'_>, violations: &mut Vec<String>) {
    for (i, (operation, required_name)) in OPERATIONS.into_iter().enumerate() {
        let found = schema.roots[i];
        if let Some(found) = found
            && found != required_name
        {
            violations.push(format!(
                "schema: the {operation} root type is {found}, it must be named {required_name}"
            ));
        }
        match (contract.roots[i], found) {
            (Some(wanted), None) => violations.push(format!(
                "schema: no {operation} root type, the contract's is {wanted}"
            )),
            // A schema root with a non-standard name was reported just above.
            (Some(wanted), Some(found)) if wanted != found && found == required_name => violations
                .push(format!(
                    "schema: the {operation} root type is {found}, the contract's is {wanted}"
                )),
            _ => {}
        }
    }
}

fn check_type(name: &str, wanted: &Shape<'_>, found: &Shape<'_>, violations: &mut Vec<String>) {
    match wanted.kind {
        Kind::Scalar => {}
        Kind::Object | Kind::Interface => {
            for field in &wanted.fields {
                let field_name = field.name.node.as_str();
                let Some(actual) = found.fields.iter().find(|f| f.name.node == field_name) else {
                    violations.push(format!("field {name}.{field_name}: missing"));
                    continue;
                };
                if actual.ty.node != field.ty.node {
                    violations.push(format!(
                        "field {name}.{field_name}: type is {} in the schema, the contract says {}",
                        actual.ty.node, field.ty.node
                    ));
                }
                let wanted_args: Vec<_> = field.arguments.iter().collect();
                let found_args: Vec<_> = actual.arguments.iter().collect();
                check_input_values(
                    |arg| format!("argument {name}.{field_name}({arg})"),
                    &wanted_args,
                    &found_args,
                    violations,
                );
            }
        }
        Kind::Input => {
            check_input_values(
                |field| format!("input field {name}.{field}"),
                &wanted.input_fields,
                &found.input_fields,
                violations,
            );
            if wanted.one_of && !found.one_of {
                violations.push(format!(
                    "input {name}: @oneOf in the contract but not in the schema"
                ));
            }
        }
        Kind::Enum => {
            for value in &wanted.values {
                if !found.values.contains(value) {
                    violations.push(format!("enum value {name}.{value}: missing"));
                }
            }
        }
        Kind::Union => {
            for member in &wanted.members {
                if !found.members.contains(member) {
                    violations.push(format!("union {name}: member {member} missing"));
                }
            }
        }
    }
}

/// Compares the arguments of one field, or the fields of one input object; `label` names one
/// of them in a violation.
fn check_input_values(
    label: impl Fn(&str) -> String,
    wanted: &[&Positioned<InputValueDefinition>],
    found: &[&Positioned<InputValueDefinition>],
    violations: &mut Vec<String>,
) {
    for value in wanted {
        let value = &value.node;
        let value_name = value.name.node.as_str();
        let Some(actual) = found
            .iter()
            .map(|v| &v.node)
            .find(|v| v.name.node == value_name)
        else {
            violations.push(format!("{}: missing", label(value_name)));
            continue;
        };
        if actual.ty.node != value.ty.node {
            violations.push(format!(
                "{}: type is {} in the schema, the contract says {}",
                label(value_name),
                actual.ty.node,
                value.ty.node
            ));
        } else if is_required(actual) && value.default_value.is_some() {
            violations.push(format!(
                "{}: has a default in the contract but none in the schema, \
                 so clients that omit it would fail",
                label(value_name)
            ));
        }
    }
    for extra in found.iter().map(|v| &v.node) {
        let extra_name = extra.name.node.as_str();
        let known = wanted.iter().any(|v| v.node.name.node == extra_name);
        if !known && is_required(extra) {
            violations.push(format!(
                "{}: required ({}, no default) in the schema but absent from the contract",
                label(extra_name),
                extra.ty.node
            ));
        }
    }
}

/// Whether a client must always send this argument or input field.
fn is_required(value: &InputValueDefinition) -> bool {
    !value.ty.node.nullable && value.default_value.is_none()
}

#[cfg(test)]
mod tests {

    use super::*;

    fn violations(contract: &str, schema: &str) -> Vec<String> {
        contract_violations(contract, schema).unwrap()
    }

    /// The contract with one substring replaced, asserting that the replacement happened.
    fn contract_with(from: &str, to: &str) -> String {
        assert!(CONTRACT_SDL.contains(from), "the contract has no `{from}`");
        CONTRACT_SDL.replacen(from, to, 1)
    }

    const QUERY: &str = "type Query { ping: String }";

    #[test]
    fn the_contract_contains_itself() {
        assert_eq!(violations(CONTRACT_SDL, CONTRACT_SDL), Vec::<String>::new());
    }

    #[test]
    fn the_embedded_contract_is_the_shared_one_when_the_shared_folder_is_present() {
        let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/contract.graphql");
        if let Ok(text) = std::fs::read_to_string(&shared) {
            assert_eq!(text, CONTRACT_SDL, "crates/api/contract.graphql is stale");
        }
    }

    #[test]
    fn an_explicit_schema_definition_with_the_standard_names_is_accepted() {
        let schema = format!(
            "schema {{ query: Query mutation: Mutation subscription: Subscription }}\n{CONTRACT_SDL}"
        );
        assert_eq!(violations(CONTRACT_SDL, &schema), Vec::<String>::new());
    }

    #[test]
    fn a_changed_field_of_the_real_contract_is_the_only_violation() {
        let schema = contract_with("body: [Block!]!", "body: [Block]!");
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            ["field Release.body: type is [Block]! in the schema, the contract says [Block!]!"]
        );
    }

    #[test]
    fn a_missing_type_is_a_violation() {
        let contract = format!("{QUERY} type Paragraph {{ text: String! }}");
        assert_eq!(
            violations(&contract, QUERY),
            ["type Paragraph: missing from the schema"]
        );
    }

    #[test]
    fn a_type_of_another_kind_is_a_violation() {
        let contract = format!("{QUERY} type Contact {{ name: String! }}");
        let schema = format!("{QUERY} input Contact {{ name: String! }}");
        assert_eq!(
            violations(&contract, &schema),
            ["type Contact: an object type in the contract but an input object in the schema"]
        );
        let contract = format!("{QUERY} scalar JSON");
        let schema = format!("{QUERY} enum JSON {{ A }}");
        assert_eq!(
            violations(&contract, &schema),
            ["type JSON: a scalar in the contract but an enum in the schema"]
        );
    }

    #[test]
    fn a_missing_field_is_a_violation() {
        let schema = contract_with("contentHash: String!", "");
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            ["field Release.contentHash: missing"]
        );
    }

    #[test]
    fn a_missing_interface_field_is_a_violation() {
        let contract = format!("{QUERY} interface Node {{ id: ID! name: String }}");
        let schema = format!("{QUERY} interface Node {{ id: ID! }}");
        assert_eq!(violations(&contract, &schema), ["field Node.name: missing"]);
    }

    #[test]
    fn a_field_that_became_nullable_is_a_violation() {
        let schema = contract_with("slug: String!", "slug: String");
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            ["field Department.slug: type is String in the schema, the contract says String!"]
        );
    }

    #[test]
    fn a_field_that_became_non_null_is_a_violation() {
        let schema = contract_with(
            "responsibleMinister: Person",
            "responsibleMinister: Person!",
        );
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            [
                "field Release.responsibleMinister: type is Person! in the schema, \
                 the contract says Person"
            ]
        );
    }

    #[test]
    fn a_field_of_another_named_type_or_list_wrapping_is_a_violation() {
        let contract = format!("{QUERY} type T {{ a: Int! b: [String!]! c: [[Int]] }}");
        let schema = format!("{QUERY} type T {{ a: Float! b: String! c: [Int] }}");
        assert_eq!(
            violations(&contract, &schema),
            [
                "field T.a: type is Float! in the schema, the contract says Int!",
                "field T.b: type is String! in the schema, the contract says [String!]!",
                "field T.c: type is [Int] in the schema, the contract says [[Int]]",
            ]
        );
    }

    #[test]
    fn a_missing_argument_is_a_violation() {
        let schema = contract_with(
            "releases(filter: ReleaseFilter, first: Int, after: String)",
            "releases(first: Int, after: String)",
        );
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            ["argument Query.releases(filter): missing"]
        );
    }

    #[test]
    fn an_argument_of_another_type_is_a_violation() {
        let schema = contract_with("release(id: ID!)", "release(id: ID)");
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            ["argument Query.release(id): type is ID in the schema, the contract says ID!"]
        );
    }

    #[test]
    fn an_extra_optional_argument_is_allowed() {
        let schema = contract_with(
            "reviewQueue(first: Int, after: String)",
            "reviewQueue(first: Int, after: String, department: String, last: Int! = 10)",
        );
        assert_eq!(violations(CONTRACT_SDL, &schema), Vec::<String>::new());
    }

    #[test]
    fn an_extra_required_argument_is_a_violation() {
        let schema = contract_with(
            "revokeToken(id: ID!)",
            "revokeToken(id: ID!, reason: String!)",
        );
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            [
                "argument Mutation.revokeToken(reason): required (String!, no default) \
                 in the schema but absent from the contract"
            ]
        );
    }

    #[test]
    fn a_missing_input_field_is_a_violation() {
        let schema = contract_with("query: String             #", "#");
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            ["input field ReleaseFilter.query: missing"]
        );
    }

    #[test]
    fn an_input_field_of_another_type_is_a_violation() {
        let schema = contract_with("states: [ReleaseState!]", "states: [ReleaseState]");
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            [
                "input field ReleaseFilter.states: type is [ReleaseState] in the schema, \
                 the contract says [ReleaseState!]"
            ]
        );
    }

    #[test]
    fn an_extra_optional_input_field_is_allowed() {
        let schema = contract_with(
            "input QuoteInput { speakerId: ID! text: String! }",
            "input QuoteInput { speakerId: ID! text: String! note: String weight: Int! = 1 }",
        );
        assert_eq!(violations(CONTRACT_SDL, &schema), Vec::<String>::new());
    }

    #[test]
    fn an_extra_required_input_field_is_a_violation() {
        let schema = contract_with(
            "input QuoteInput { speakerId: ID! text: String! }",
            "input QuoteInput { speakerId: ID! text: String! language: String! }",
        );
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            [
                "input field QuoteInput.language: required (String!, no default) \
                 in the schema but absent from the contract"
            ]
        );
    }

    #[test]
    fn default_values_may_differ() {
        let schema = contract_with(
            "timeZone: String = \"Europe/Stockholm\"",
            "timeZone: String",
        );
        let schema = schema.replacen(
            "kind: ReleaseKind = PRESS_RELEASE",
            "kind: ReleaseKind = NEWS",
            1,
        );
        assert!(schema.contains("kind: ReleaseKind = NEWS"));
        assert_eq!(violations(CONTRACT_SDL, &schema), Vec::<String>::new());
    }

    #[test]
    fn a_non_null_input_that_lost_its_default_is_a_violation() {
        let schema = contract_with("topics: [String!]! = []", "topics: [String!]!");
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            [
                "input field ReleaseInput.topics: has a default in the contract but none in the \
                 schema, so clients that omit it would fail"
            ]
        );
    }

    #[test]
    fn a_missing_enum_value_is_a_violation() {
        let schema = contract_with("EMBARGOED PUBLISHED", "PUBLISHED");
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            ["enum value ReleaseState.EMBARGOED: missing"]
        );
    }

    #[test]
    fn a_missing_union_member_is_a_violation() {
        let schema = contract_with("union Block = Paragraph | Quote", "union Block = Paragraph");
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            ["union Block: member Quote missing"]
        );
    }

    #[test]
    fn a_lost_one_of_is_a_violation() {
        let schema = contract_with("input BlockInput @oneOf {", "input BlockInput {");
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            ["input BlockInput: @oneOf in the contract but not in the schema"]
        );
    }

    #[test]
    fn a_root_type_with_another_name_is_a_violation() {
        let contract = "type Query { ping: String }";
        let schema = "schema { query: QueryRoot } type QueryRoot { ping: String }";
        assert_eq!(
            violations(contract, schema),
            [
                "schema: the query root type is QueryRoot, it must be named Query",
                "type Query: missing from the schema",
            ]
        );
    }

    #[test]
    fn a_contract_root_that_is_not_a_root_of_the_schema_is_a_violation() {
        let schema =
            format!("schema {{ query: Query subscription: Subscription }}\n{CONTRACT_SDL}");
        assert_eq!(
            violations(CONTRACT_SDL, &schema),
            ["schema: no mutation root type, the contract's is Mutation"]
        );
    }

    #[test]
    fn extra_types_fields_values_and_members_are_allowed() {
        let contract = format!(
            "{QUERY} type A {{ x: Int }} enum E {{ ONE }} union U = A type Mutation {{ m: Int }}"
        );
        let schema = format!(
            "{QUERY} type A {{ x: Int y: Int! }} type B {{ z: Int }} enum E {{ ONE TWO }} \
             union U = A | B type Mutation {{ m: Int n(a: Int!): Int }} scalar Extra"
        );
        assert_eq!(violations(&contract, &schema), Vec::<String>::new());
    }

    #[test]
    fn definitions_added_by_an_extension_count() {
        let contract = format!("{QUERY} type A {{ x: Int y: Int }} enum E {{ ONE TWO }}");
        let schema = format!(
            "{QUERY} type A {{ x: Int }} extend type A {{ y: Int }} \
             enum E {{ ONE }} extend enum E {{ TWO }}"
        );
        assert_eq!(violations(&contract, &schema), Vec::<String>::new());
    }

    #[test]
    fn a_document_that_does_not_parse_is_an_error() {
        let contract_error = contract_violations("type Query {", QUERY).unwrap_err();
        assert!(
            contract_error.starts_with("the contract does not parse"),
            "{contract_error}"
        );
        let schema_error = contract_violations(QUERY, "type Query { a: }").unwrap_err();
        assert!(
            schema_error.starts_with("the schema does not parse"),
            "{schema_error}"
        );
    }

    /// A tiny schema built the way the real one is, to prove the checker reads async-graphql's
    /// own SDL export: its `schema { .. }` block, `@oneOf` and default values.
    mod exported {
        use async_graphql::{EmptySubscription, ID, InputObject, Object, OneofObject, Schema};

        #[derive(OneofObject)]
        pub enum BlockInput {
            Paragraph(String),
            Heading(String),
        }

        #[derive(InputObject)]
        pub struct ReleaseInput {
            pub title: String,
            #[graphql(default)]
            pub topics: Vec<String>,
            pub body: Vec<BlockInput>,
        }

        pub struct Query;

        #[Object]
        impl Query {
            async fn release(&self, id: ID) -> Option<String> {
                Some(id.to_string())
            }
        }

        pub struct Mutation;

        #[Object]
        impl Mutation {
            async fn create_release(&self, input: ReleaseInput) -> String {
                input.title
            }
        }

        pub fn sdl() -> String {
            Schema::new(Query, Mutation, EmptySubscription).sdl()
        }
    }

    const EXPORTED_CONTRACT: &str = "
        type Query { release(id: ID!): String }
        input BlockInput @oneOf { paragraph: String heading: String }
        input ReleaseInput { title: String! topics: [String!]! = [] body: [BlockInput!]! }
        type Mutation { createRelease(input: ReleaseInput!): String! }
    ";

    #[test]
    fn an_sdl_exported_by_async_graphql_is_understood() {
        assert_eq!(
            violations(EXPORTED_CONTRACT, &exported::sdl()),
            Vec::<String>::new()
        );
        let stricter =
            EXPORTED_CONTRACT.replace("release(id: ID!): String", "release(id: ID!): String!");
        assert_eq!(
            violations(&stricter, &exported::sdl()),
            ["field Query.release: type is String in the schema, the contract says String!"]
        );
    }
}
