//! Query limits beyond depth and complexity: at most [`MAX_ALIASES`] aliased fields in a
//! document and at most [`MAX_ROOT_FIELDS`] fields at the root of an operation. A refused
//! document is rejected right after parsing, before validation or execution, with
//! `QUERY_TOO_COMPLEX` (by [`crate::gateway::Gateway`]).

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensions, Pos, ServerError, ServerResult};
use pressroom_domain::ErrorCode;

/// Most aliased fields in one document.
pub const MAX_ALIASES: usize = 50;
/// Most fields at the root of one operation.
pub const MAX_ROOT_FIELDS: usize = 50;

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some())
                    + count_aliases(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => count_aliases(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

fn too_complex(message: String) -> ServerError {
    async_graphql::Error::new(message)
        .extend_with(|_, e| e.set("code", ErrorCode::QueryTooComplex.as_str()))
        .into_server_error(Pos::default())
}

/// Checks a parsed document against the limits.
pub fn check(document: &ExecutableDocument) -> ServerResult<()> {
    let aliases: usize = document
        .operations
        .iter()
        .map(|(_, op)| count_aliases(&op.node.selection_set.node))
        .sum::<usize>()
        + document
            .fragments
            .values()
            .map(|f| count_aliases(&f.node.selection_set.node))
            .sum::<usize>();
    if aliases > MAX_ALIASES {
        return Err(too_complex(format!(
            "the query uses {aliases} aliases; at most {MAX_ALIASES} are allowed"
        )));
    }
    for (_, operation) in document.operations.iter() {
        let roots = operation.node.selection_set.node.items.len();
        if roots > MAX_ROOT_FIELDS {
            return Err(too_complex(format!(
                "an operation selects {roots} root fields; at most {MAX_ROOT_FIELDS} are allowed"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(query).expect("parses")
    }

    #[test]
    fn fifty_aliases_pass_and_fifty_one_are_too_complex() {
        let fields = |n: usize| {
            (0..n)
                .map(|i| format!("a{i}: me {{ name }}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(check(&parse(&format!("{{ {} }}", fields(50)))).is_ok());
        let refused = check(&parse(&format!("{{ {} }}", fields(51)))).expect_err("too many");
        let code = refused
            .extensions
            .as_ref()
            .and_then(|e| e.get("code").cloned());
        assert_eq!(
            code,
            Some(async_graphql::Value::from(
                ErrorCode::QueryTooComplex.as_str()
            ))
        );
    }

    #[test]
    fn aliases_inside_fragments_count_too() {
        let fields = (0..51)
            .map(|i| format!("a{i}: name"))
            .collect::<Vec<_>>()
            .join(" ");
        let query = format!("query {{ me {{ ...F }} }} fragment F on Viewer {{ {fields} }}");
        assert!(check(&parse(&query)).is_err());
    }
}
