//! An activity's non-voting attendees (列席) counted, not only named: how many ("50余人" is 50,
//! approximately; "12人" is 12, exactly) and who they were ("各会员单位党务工作者"), beside the
//! guests named one by one.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Events {
    Table,
    NonVotingCount,
    NonVotingApprox,
    NonVotingNote,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for col in [
            ColumnDef::new(Events::NonVotingCount).integer().null().to_owned(),
            ColumnDef::new(Events::NonVotingApprox).boolean().not_null().default(false).to_owned(),
            ColumnDef::new(Events::NonVotingNote).string_len(100).null().to_owned(),
        ] {
            m.alter_table(Table::alter().table(Events::Table).add_column(col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [Events::NonVotingNote, Events::NonVotingApprox, Events::NonVotingCount] {
            m.alter_table(Table::alter().table(Events::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
