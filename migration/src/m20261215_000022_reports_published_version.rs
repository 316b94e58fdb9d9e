//! A published report keeps the version its reader sees: title, author, date shown, lead and
//! text as last published. A writer's later edit waits beside it for the administrator (where
//! administrators publish) and the public pages read only the published version. The Activities
//! page lists them by the date of the activity shown, newest first (a post about last year's
//! meeting published today is not the newest): indexes in that order, for the whole list and a
//! branch's, so a page is read from them without sorting every report.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    State,
    BranchId,
    Id,
    PublishedTitle,
    PublishedAuthorDepartment,
    PublishedShownOn,
    PublishedSummary,
    PublishedBody,
}

const INDEX: &str = "idx_reports_state_published_shown_on";
/// A branch's page of the list: its own reports in the same order (the co-organised ones are few).
const BRANCH_INDEX: &str = "idx_reports_state_branch_published_shown_on";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for col in [
            ColumnDef::new(Reports::PublishedTitle).string_len(200).null().to_owned(),
            ColumnDef::new(Reports::PublishedAuthorDepartment).string_len(100).null().to_owned(),
            ColumnDef::new(Reports::PublishedShownOn).date().null().to_owned(),
            ColumnDef::new(Reports::PublishedSummary).text().null().to_owned(),
            ColumnDef::new(Reports::PublishedBody).text().null().to_owned(),
        ] {
            m.alter_table(Table::alter().table(Reports::Table).add_column(col).to_owned()).await?;
        }
        // What is or was public was published as it stands.
        m.get_connection()
            .execute_unprepared(
                "UPDATE reports SET published_title = title, published_author_department = author_department, \
                 published_shown_on = shown_on, published_summary = summary, published_body = body \
                 WHERE state IN ('published', 'withdrawn')",
            )
            .await?;
        m.create_index(
            Index::create()
                .name(INDEX)
                .table(Reports::Table)
                .col(Reports::State)
                .col(Reports::PublishedShownOn)
                .col(Reports::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(BRANCH_INDEX)
                .table(Reports::Table)
                .col(Reports::State)
                .col(Reports::BranchId)
                .col(Reports::PublishedShownOn)
                .col(Reports::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in [BRANCH_INDEX, INDEX] {
            m.drop_index(Index::drop().name(name).table(Reports::Table).to_owned()).await?;
        }
        for col in [
            Reports::PublishedBody,
            Reports::PublishedSummary,
            Reports::PublishedShownOn,
            Reports::PublishedAuthorDepartment,
            Reports::PublishedTitle,
        ] {
            m.alter_table(Table::alter().table(Reports::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
