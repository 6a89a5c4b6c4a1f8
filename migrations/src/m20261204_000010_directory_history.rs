//! `people_history` and `departments_history`: what a person's name and title, or a
//! department's name and time zone, were before an admin changed them (`updatePerson`,
//! `updateDepartment`), and the instant they were replaced. Published releases render the
//! speakers and the department as they were when the release went public, so a reshuffle that
//! gives a minister a new title does not rewrite releases already published.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, text, text_null};

/// Creates `people_history` and `departments_history`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PeopleHistory::Table)
                    .col(text(PeopleHistory::Id).primary_key())
                    .col(text(PeopleHistory::PersonId))
                    .col(text(PeopleHistory::Name))
                    .col(text(PeopleHistory::Title))
                    .col(text_null(PeopleHistory::DepartmentId))
                    .col(big_integer(PeopleHistory::ReplacedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_people_history_person")
                            .from(PeopleHistory::Table, PeopleHistory::PersonId)
                            .to(People::Table, People::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_people_history_person")
                    .table(PeopleHistory::Table)
                    .col(PeopleHistory::PersonId)
                    .col(PeopleHistory::ReplacedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DepartmentsHistory::Table)
                    .col(text(DepartmentsHistory::Id).primary_key())
                    .col(text(DepartmentsHistory::DepartmentId))
                    .col(text(DepartmentsHistory::Name))
                    .col(text(DepartmentsHistory::TimeZone))
                    .col(big_integer(DepartmentsHistory::ReplacedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_departments_history_department")
                            .from(DepartmentsHistory::Table, DepartmentsHistory::DepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_departments_history_department")
                    .table(DepartmentsHistory::Table)
                    .col(DepartmentsHistory::DepartmentId)
                    .col(DepartmentsHistory::ReplacedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DepartmentsHistory::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PeopleHistory::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PeopleHistory {
    Table,
    Id,
    PersonId,
    Name,
    Title,
    DepartmentId,
    ReplacedAt,
}

#[derive(DeriveIden)]
enum DepartmentsHistory {
    Table,
    Id,
    DepartmentId,
    Name,
    TimeZone,
    ReplacedAt,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}
