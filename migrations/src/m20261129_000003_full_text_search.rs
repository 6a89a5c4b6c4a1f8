//! Full-text search over title, lead, paragraphs, quotes and fact boxes.
//!
//! `releases.search_text` holds the release's plain text, written by the application with every
//! new revision. On PostgreSQL a trigger turns it into `releases.search_vector` with the text
//! search configuration of the release's language (`swedish` for `sv`, `english` for `en`,
//! `simple` otherwise), under a GIN index. On SQLite an FTS5 table `release_search` mirrors it
//! (the application keeps it in step). Releases written before this migration are indexed from
//! their title, lead and stored content until their next write.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::text;
use sea_orm_migration::sea_orm::DbBackend;

/// Adds the search column, the PostgreSQL vector and trigger, and the SQLite FTS5 table.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Releases {
    Table,
    SearchText,
}

const POSTGRES_UP: &str = r#"
ALTER TABLE releases ADD COLUMN search_vector tsvector;
CREATE FUNCTION pressroom_search_config(language text) RETURNS regconfig
    LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE
            WHEN language = 'sv' OR language LIKE 'sv-%' THEN 'pg_catalog.swedish'::regconfig
            WHEN language = 'en' OR language LIKE 'en-%' THEN 'pg_catalog.english'::regconfig
            ELSE 'pg_catalog.simple'::regconfig
        END
    $$;
CREATE FUNCTION pressroom_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := to_tsvector(pressroom_search_config(NEW.language), NEW.search_text);
        RETURN NEW;
    END
$$;
CREATE TRIGGER releases_search_vector BEFORE INSERT OR UPDATE OF search_text, language ON releases
    FOR EACH ROW EXECUTE FUNCTION pressroom_search_vector();
UPDATE releases SET search_text = title || ' ' || lead || ' ' || content;
CREATE INDEX idx_releases_search ON releases USING GIN (search_vector);
"#;

const POSTGRES_DOWN: &str = r#"
DROP INDEX IF EXISTS idx_releases_search;
DROP TRIGGER IF EXISTS releases_search_vector ON releases;
DROP FUNCTION IF EXISTS pressroom_search_vector();
DROP FUNCTION IF EXISTS pressroom_search_config(text);
ALTER TABLE releases DROP COLUMN IF EXISTS search_vector;
"#;

const SQLITE_UP: &str = r#"
CREATE VIRTUAL TABLE release_search USING fts5(release_id UNINDEXED, body, tokenize = 'unicode61');
INSERT INTO release_search (release_id, body) SELECT id, title || ' ' || lead || ' ' || content FROM releases;
UPDATE releases SET search_text = title || ' ' || lead || ' ' || content;
"#;

const SQLITE_DOWN: &str = "DROP TABLE IF EXISTS release_search;";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .add_column(text(Releases::SearchText).default(""))
                    .to_owned(),
            )
            .await?;
        let sql = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        manager.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        manager.get_connection().execute_unprepared(sql).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Releases::Table)
                    .drop_column(Releases::SearchText)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
