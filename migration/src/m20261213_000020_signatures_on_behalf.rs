//! Signatures on behalf (代签): when a secretary signs a record for a host or recorder who cannot
//! sign in, the record keeps whom the signature was given for (the name as it stood), beside who
//! signed (`*_signed_by`) and when (`*_signed_at`). None: the holder's own signature.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Minutes {
    Table,
    HostSignedFor,
    RecorderSignedFor,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for col in [
            ColumnDef::new(Minutes::HostSignedFor).string_len(100).null().to_owned(),
            ColumnDef::new(Minutes::RecorderSignedFor).string_len(100).null().to_owned(),
        ] {
            m.alter_table(Table::alter().table(Minutes::Table).add_column(col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [Minutes::RecorderSignedFor, Minutes::HostSignedFor] {
            m.alter_table(Table::alter().table(Minutes::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
