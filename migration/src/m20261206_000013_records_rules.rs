//! Participation records' own data: the meetings the rules require per event type and the absence
//! streak thresholds as administrators set them (rows override the defaults), the exemptions a
//! branch was granted for a stretch of the compliance grid (with their reason), the months whose
//! streak digest was queued (one row per month: with several instances, one queues it), and the
//! digest's contents on its outbox row (a message that speaks of no event).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RecordSettings {
    Table,
    Key,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ComplianceExemptions {
    Table,
    Id,
    BranchId,
    Kind,
    StartsOn,
    Reason,
    AccountId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DigestRuns {
    Table,
    Month,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Payload,
}

#[derive(DeriveIden)]
enum Branches {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RecordSettings::Table)
                .col(string_len(RecordSettings::Key, 64).primary_key())
                .col(string_len(RecordSettings::Value, 200))
                .col(timestamp_with_time_zone(RecordSettings::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ComplianceExemptions::Table)
                .col(big_pk_auto(ComplianceExemptions::Id))
                .col(big_integer(ComplianceExemptions::BranchId))
                .col(string_len(ComplianceExemptions::Kind, 32))
                .col(date(ComplianceExemptions::StartsOn))
                .col(string_len(ComplianceExemptions::Reason, 200))
                .col(big_integer_null(ComplianceExemptions::AccountId))
                .col(timestamp_with_time_zone(ComplianceExemptions::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_compliance_exemptions_branch")
                        .from(ComplianceExemptions::Table, ComplianceExemptions::BranchId)
                        .to(Branches::Table, Branches::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_compliance_exemptions_unique")
                .table(ComplianceExemptions::Table)
                .col(ComplianceExemptions::BranchId)
                .col(ComplianceExemptions::Kind)
                .col(ComplianceExemptions::StartsOn)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(DigestRuns::Table)
                .col(string_len(DigestRuns::Month, 7).primary_key())
                .col(timestamp_with_time_zone(DigestRuns::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.alter_table(Table::alter().table(Outbox::Table).add_column(text_null(Outbox::Payload)).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Outbox::Table).drop_column(Outbox::Payload).to_owned()).await?;
        m.drop_table(Table::drop().table(DigestRuns::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(ComplianceExemptions::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(RecordSettings::Table).to_owned()).await?;
        Ok(())
    }
}
