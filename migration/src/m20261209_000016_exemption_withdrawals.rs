//! Withdrawn compliance exemptions are kept, with who withdrew them and when: a stretch that was
//! excused and then counted again says so (the exemption's own row goes, so that the stretch can
//! be exempted again).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ExemptionWithdrawals {
    Table,
    Id,
    BranchId,
    Kind,
    StartsOn,
    Reason,
    GrantedBy,
    GrantedAt,
    WithdrawnBy,
    WithdrawnAt,
}

#[derive(DeriveIden)]
enum Branches {
    Table,
    Id,
}

const INDEX: &str = "idx_exemption_withdrawals_stretch";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ExemptionWithdrawals as W;
        m.create_table(
            Table::create()
                .table(W::Table)
                .col(big_pk_auto(W::Id))
                .col(big_integer(W::BranchId))
                .col(string_len(W::Kind, 32))
                .col(date(W::StartsOn))
                .col(string_len(W::Reason, 200))
                .col(big_integer_null(W::GrantedBy))
                .col(timestamp_with_time_zone(W::GrantedAt))
                .col(big_integer_null(W::WithdrawnBy))
                .col(timestamp_with_time_zone(W::WithdrawnAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_exemption_withdrawals_branch")
                        .from(W::Table, W::BranchId)
                        .to(Branches::Table, Branches::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name(INDEX).table(W::Table).col(W::BranchId).col(W::Kind).col(W::StartsOn).to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ExemptionWithdrawals::Table).to_owned()).await
    }
}
