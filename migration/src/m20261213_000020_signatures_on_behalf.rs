//! Signatures on behalf (代签): when a secretary signs a record for a host or recorder who cannot
//! sign in, the record keeps whom the signature was given for (the name as it stood), beside who
//! signed (`*_signed_by`) and when (`*_signed_at`). None: the holder's own signature.
//!
//! Records signed before were signed on behalf whenever the signer's account is not the named
//! holder's: they are marked so now, with the holder's name as it stands (a record whose role
//! nobody held keeps the signer's name alone: there is nobody to name).
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
        let db = m.get_connection();
        for (signed_for, signed_by, holder_name) in [
            (
                "host_signed_for",
                "host_signed_by",
                "SELECT COALESCE(h.name, e.host_guest_name) FROM events e \
                 LEFT JOIN members h ON h.id = e.host_member_id WHERE e.id = minutes.event_id",
            ),
            (
                "recorder_signed_for",
                "recorder_signed_by",
                "SELECT r.name FROM events e JOIN members r ON r.id = e.recorder_member_id \
                 WHERE e.id = minutes.event_id",
            ),
        ] {
            let member = if signed_for == "host_signed_for" { "host_member_id" } else { "recorder_member_id" };
            db.execute_unprepared(&format!(
                "UPDATE minutes SET {signed_for} = ({holder_name}) WHERE {signed_by} IS NOT NULL \
                 AND NOT EXISTS (SELECT 1 FROM events e JOIN accounts a ON a.member_id = e.{member} \
                 WHERE e.id = minutes.event_id AND a.id = minutes.{signed_by})"
            ))
            .await?;
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
