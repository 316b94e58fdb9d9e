//! `events.revision`: raised by every write of an event's row, so that an edit form can say which
//! version it was based on and a save based on an older one is refused instead of overwriting.
//!
//! `event_units.accepted`: a branch named as co-organiser by someone who does not manage it is
//! asked first; until its secretary accepts, its members are neither invited nor shown. Units
//! already recorded (and every organiser) count as accepted.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    Revision,
}

#[derive(DeriveIden)]
enum EventUnits {
    Table,
    Accepted,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Events::Table)
                .add_column(ColumnDef::new(Events::Revision).integer().not_null().default(0))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(EventUnits::Table)
                .add_column(ColumnDef::new(EventUnits::Accepted).boolean().not_null().default(true))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(EventUnits::Table).drop_column(EventUnits::Accepted).to_owned()).await?;
        m.alter_table(Table::alter().table(Events::Table).drop_column(Events::Revision).to_owned()).await
    }
}
