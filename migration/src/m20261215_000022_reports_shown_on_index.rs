//! The Activities page lists published reports by the date of the activity they show, newest
//! first (a post about last year's meeting published today is not the newest): an index in that
//! order, so a page is read from it without a sort.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    State,
    ShownOn,
    Id,
}

const NAME: &str = "idx_reports_state_shown_on";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name(NAME)
                .table(Reports::Table)
                .col(Reports::State)
                .col(Reports::ShownOn)
                .col(Reports::Id)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(NAME).table(Reports::Table).to_owned()).await
    }
}
