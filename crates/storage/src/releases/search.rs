//! Full-text search: the listing's condition, and SQLite's FTS5 mirror kept in step on writes.

use pressroom_domain::lifecycle::Release;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction};

use crate::entity::releases;
use crate::error::StorageResult;

/// Keeps SQLite's FTS5 mirror in step with the new revision (PostgreSQL's search vector is kept
/// by a trigger on `releases.search_text`).
pub(super) async fn index_for_search(
    txn: &DatabaseTransaction,
    release: &Release,
) -> StorageResult<()> {
    if txn.get_database_backend() != sea_orm::DbBackend::Sqlite {
        return Ok(());
    }
    txn.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Sqlite,
        "DELETE FROM release_search WHERE release_id = ?",
        [release.id.clone().into()],
    ))
    .await?;
    txn.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Sqlite,
        "INSERT INTO release_search (release_id, body) VALUES (?, ?)",
        [
            release.id.clone().into(),
            release.content.search_text().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// A full-text condition on `releases` for words a person typed. Operators are not
/// interpreted: on PostgreSQL the words go through `plainto_tsquery` with the configuration of
/// each release's language; on SQLite every word becomes a quoted FTS5 phrase.
pub(super) fn full_text_condition(backend: sea_orm::DbBackend, words: &str) -> Condition {
    match backend {
        sea_orm::DbBackend::Postgres => Condition::all().add(Expr::cust_with_values(
            "\"releases\".\"search_vector\" @@ plainto_tsquery(pressroom_search_config(\"releases\".\"language\"), $1)",
            [words.to_owned()],
        )),
        _ => {
            let phrases: Vec<String> = words
                .split_whitespace()
                .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
                .collect();
            if phrases.is_empty() {
                return Condition::all();
            }
            Condition::all().add(
                releases::Column::Id.in_subquery(
                    Query::select()
                        .column(sea_orm::sea_query::Alias::new("release_id"))
                        .from(sea_orm::sea_query::Alias::new("release_search"))
                        .and_where(Expr::cust_with_values(
                            "release_search MATCH ?",
                            [phrases.join(" ")],
                        ))
                        .to_owned(),
                ),
            )
        }
    }
}
