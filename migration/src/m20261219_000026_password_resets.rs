//! Forgotten passwords: a one-use link, valid for a short time, stored only as the SHA-256 of its
//! token. Made when its message is sent; used, expired, or superseded by a newer one.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    TokenHash,
    AccountId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use PasswordResets as R;
        m.create_table(
            Table::create()
                .table(R::Table)
                .col(string_len(R::TokenHash, 64).primary_key())
                .col(big_integer(R::AccountId))
                .col(timestamp_with_time_zone(R::CreatedAt))
                .col(timestamp_with_time_zone(R::ExpiresAt))
                .col(timestamp_with_time_zone_null(R::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_password_resets_account")
                        .from(R::Table, R::AccountId)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_password_resets_account").table(R::Table).col(R::AccountId).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(PasswordResets::Table).to_owned()).await
    }
}
