//! Email: the durable outbox (one row per message, written in the same transaction as the change
//! that causes it), the answer-link tokens (stored as hashes), and the reason an invitee gives
//! when asking for leave.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    LeaveReason,
}

#[derive(DeriveIden)]
enum InvitationTokens {
    Table,
    TokenHash,
    InvitationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Kind,
    EventId,
    InvitationId,
    Recipient,
    RecipientName,
    Locale,
    Sequence,
    DedupeKey,
    MessageId,
    State,
    Attempts,
    NextAttemptAt,
    ClaimedUntil,
    ClaimToken,
    SentAt,
    LastError,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Invitations::Table)
                .add_column(string_len_null(Invitations::LeaveReason, 500))
                .to_owned(),
        )
        .await?;

        // The tokens of the answer links sent to an invitee: random, kept only as SHA-256 hashes.
        m.create_table(
            Table::create()
                .table(InvitationTokens::Table)
                .col(string_len(InvitationTokens::TokenHash, 64).primary_key())
                .col(big_integer(InvitationTokens::InvitationId))
                .col(timestamp_with_time_zone(InvitationTokens::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_invitation_tokens_invitation")
                        .from(InvitationTokens::Table, InvitationTokens::InvitationId)
                        .to(Invitations::Table, Invitations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_invitation_tokens_invitation")
                .table(InvitationTokens::Table)
                .col(InvitationTokens::InvitationId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Outbox::Table)
                .col(big_pk_auto(Outbox::Id))
                .col(string_len(Outbox::Kind, 24))
                .col(big_integer_null(Outbox::EventId))
                .col(big_integer_null(Outbox::InvitationId))
                .col(string_len(Outbox::Recipient, 254))
                .col(string_len(Outbox::RecipientName, 100))
                .col(string_len(Outbox::Locale, 8))
                .col(integer(Outbox::Sequence))
                .col(string_len_uniq(Outbox::DedupeKey, 100))
                .col(string_len_uniq(Outbox::MessageId, 200))
                .col(string_len(Outbox::State, 16))
                .col(integer(Outbox::Attempts))
                .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                .col(timestamp_with_time_zone_null(Outbox::ClaimedUntil))
                .col(string_len_null(Outbox::ClaimToken, 64))
                .col(timestamp_with_time_zone_null(Outbox::SentAt))
                .col(string_len_null(Outbox::LastError, 1000))
                .col(timestamp_with_time_zone(Outbox::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_outbox_event")
                        .from(Outbox::Table, Outbox::EventId)
                        .to(Events::Table, Events::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_outbox_invitation")
                        .from(Outbox::Table, Outbox::InvitationId)
                        .to(Invitations::Table, Invitations::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        // The dispatcher's scan: due queued messages in order.
        m.create_index(
            Index::create()
                .name("idx_outbox_due")
                .table(Outbox::Table)
                .col(Outbox::State)
                .col(Outbox::NextAttemptAt)
                .col(Outbox::Id)
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("idx_outbox_event").table(Outbox::Table).col(Outbox::EventId).to_owned())
            .await?;
        m.create_index(
            Index::create().name("idx_outbox_claim").table(Outbox::Table).col(Outbox::ClaimToken).to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Outbox::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(InvitationTokens::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Invitations::Table).drop_column(Invitations::LeaveReason).to_owned())
            .await?;
        Ok(())
    }
}
