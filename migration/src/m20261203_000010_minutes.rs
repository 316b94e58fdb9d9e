//! Minutes (会议记录): one record per event that has started, its body as a structured document
//! (items with speeches, resolutions and action items, as JSON), the attendance roll frozen when
//! the record is submitted for signature, the two signatures of the current revision; every saved
//! revision; and a log of the workflow (submitted, returned, signed, locked, amended, sent).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Minutes {
    Table,
    Id,
    EventId,
    State,
    Revision,
    Body,
    Roll,
    HostSignedBy,
    HostSignedAt,
    RecorderSignedBy,
    RecorderSignedAt,
    LockedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MinutesRevisions {
    Table,
    Id,
    MinutesId,
    Revision,
    Body,
    Reason,
    ByAccount,
    At,
}

#[derive(DeriveIden)]
enum MinutesLog {
    Table,
    Id,
    MinutesId,
    Kind,
    Revision,
    Note,
    ByAccount,
    At,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

fn to_account(name: &str, from: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(Accounts::Table, Accounts::Id)
        .on_delete(ForeignKeyAction::SetNull)
        .to_owned()
}

fn to_minutes(name: &str, from: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(Minutes::Table, Minutes::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Minutes::Table)
                .col(big_pk_auto(Minutes::Id))
                .col(big_integer_uniq(Minutes::EventId))
                .col(string_len(Minutes::State, 16))
                .col(integer(Minutes::Revision).default(0))
                .col(text(Minutes::Body))
                .col(text_null(Minutes::Roll))
                .col(big_integer_null(Minutes::HostSignedBy))
                .col(timestamp_with_time_zone_null(Minutes::HostSignedAt))
                .col(big_integer_null(Minutes::RecorderSignedBy))
                .col(timestamp_with_time_zone_null(Minutes::RecorderSignedAt))
                .col(timestamp_with_time_zone_null(Minutes::LockedAt))
                .col(timestamp_with_time_zone(Minutes::CreatedAt))
                .col(timestamp_with_time_zone(Minutes::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_minutes_event")
                        .from(Minutes::Table, Minutes::EventId)
                        .to(Events::Table, Events::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(&mut to_account("fk_minutes_host_signed_by", (Minutes::Table, Minutes::HostSignedBy)))
                .foreign_key(&mut to_account(
                    "fk_minutes_recorder_signed_by",
                    (Minutes::Table, Minutes::RecorderSignedBy),
                ))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MinutesRevisions::Table)
                .col(big_pk_auto(MinutesRevisions::Id))
                .col(big_integer(MinutesRevisions::MinutesId))
                .col(integer(MinutesRevisions::Revision))
                .col(text(MinutesRevisions::Body))
                .col(string_len_null(MinutesRevisions::Reason, 500))
                .col(big_integer_null(MinutesRevisions::ByAccount))
                .col(timestamp_with_time_zone(MinutesRevisions::At))
                .foreign_key(&mut to_minutes(
                    "fk_minutes_revisions_minutes",
                    (MinutesRevisions::Table, MinutesRevisions::MinutesId),
                ))
                .foreign_key(&mut to_account(
                    "fk_minutes_revisions_account",
                    (MinutesRevisions::Table, MinutesRevisions::ByAccount),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_minutes_revisions_minutes_revision")
                .table(MinutesRevisions::Table)
                .col(MinutesRevisions::MinutesId)
                .col(MinutesRevisions::Revision)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MinutesLog::Table)
                .col(big_pk_auto(MinutesLog::Id))
                .col(big_integer(MinutesLog::MinutesId))
                .col(string_len(MinutesLog::Kind, 16))
                .col(integer(MinutesLog::Revision))
                .col(string_len_null(MinutesLog::Note, 500))
                .col(big_integer_null(MinutesLog::ByAccount))
                .col(timestamp_with_time_zone(MinutesLog::At))
                .foreign_key(&mut to_minutes("fk_minutes_log_minutes", (MinutesLog::Table, MinutesLog::MinutesId)))
                .foreign_key(&mut to_account("fk_minutes_log_account", (MinutesLog::Table, MinutesLog::ByAccount)))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_minutes_log_minutes")
                .table(MinutesLog::Table)
                .col(MinutesLog::MinutesId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(MinutesLog::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(MinutesRevisions::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Minutes::Table).to_owned()).await
    }
}
