//! Accounts by invitation: a member with an email and no account is invited at that address; the
//! message's link
//! (its token made when the message is sent, kept only as its SHA-256) opens a form where they
//! choose a password, and the account is made, linked to them. Used, expired or superseded by a
//! newer invitation, a link works no more.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccountInvitations {
    Table,
    Id,
    MemberId,
    Email,
    InvitedBy,
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

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use AccountInvitations as I;
        m.create_table(
            Table::create()
                .table(I::Table)
                .col(big_pk_auto(I::Id))
                .col(big_integer(I::MemberId))
                .col(string_len(I::Email, 254))
                .col(big_integer_null(I::InvitedBy))
                .col(timestamp_with_time_zone(I::CreatedAt))
                .col(string_len_null(I::TokenHash, 64).unique_key())
                .col(timestamp_with_time_zone_null(I::ExpiresAt))
                .col(timestamp_with_time_zone_null(I::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_account_invitations_member")
                        .from(I::Table, I::MemberId)
                        .to(Members::Table, Members::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_account_invitations_by")
                        .from(I::Table, I::InvitedBy)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_account_invitations_member").table(I::Table).col(I::MemberId).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AccountInvitations::Table).to_owned()).await
    }
}
