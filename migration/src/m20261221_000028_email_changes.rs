//! A member's new email address waits for its confirmation: a link sent to the new address (its
//! token made when sent, kept only as its SHA-256) makes it theirs; until then the old one stays.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EmailChanges {
    Table,
    Id,
    MemberId,
    NewEmail,
    CreatedAt,
    TokenHash,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use EmailChanges as E;
        m.create_table(
            Table::create()
                .table(E::Table)
                .col(big_pk_auto(E::Id))
                .col(big_integer(E::MemberId))
                .col(string_len(E::NewEmail, 254))
                .col(timestamp_with_time_zone(E::CreatedAt))
                .col(string_len_null(E::TokenHash, 64).unique_key())
                .col(timestamp_with_time_zone_null(E::ExpiresAt))
                .col(timestamp_with_time_zone_null(E::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_email_changes_member")
                        .from(E::Table, E::MemberId)
                        .to(Members::Table, Members::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_email_changes_member").table(E::Table).col(E::MemberId).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(EmailChanges::Table).to_owned()).await
    }
}
