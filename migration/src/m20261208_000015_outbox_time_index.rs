//! The administrators' mail log lists messages newest first by when they were queued (made-up
//! history and retries do not follow the id order), a page at a time.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    CreatedAt,
    Id,
}

const NAME: &str = "idx_outbox_created";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create().name(NAME).table(Outbox::Table).col(Outbox::CreatedAt).col(Outbox::Id).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(NAME).table(Outbox::Table).to_owned()).await
    }
}
