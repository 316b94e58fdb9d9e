//! A signed record stays the record through an amendment: when a locked record is amended, its
//! signed revision is kept beside the amendment (body and both signatures: who, when, for whom),
//! and members, the print view, the Word file, the year's archive, the mail and the reports read
//! it until the amendment is signed and locked.
//!
//! Records amended before (not locked now, but locked once) get it back from their history: the
//! revision of the last lock, its body as saved (a record locked before any save kept no body of
//! that revision: it stays without one) and the last signatures logged for that revision.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Minutes {
    Table,
    SignedRevision,
    SignedBody,
    SignedHostBy,
    SignedHostAt,
    SignedHostFor,
    SignedRecorderBy,
    SignedRecorderAt,
    SignedRecorderFor,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for col in [
            ColumnDef::new(Minutes::SignedRevision).integer().null().to_owned(),
            ColumnDef::new(Minutes::SignedBody).text().null().to_owned(),
            ColumnDef::new(Minutes::SignedHostBy).big_integer().null().to_owned(),
            ColumnDef::new(Minutes::SignedHostAt).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(Minutes::SignedHostFor).string_len(100).null().to_owned(),
            ColumnDef::new(Minutes::SignedRecorderBy).big_integer().null().to_owned(),
            ColumnDef::new(Minutes::SignedRecorderAt).timestamp_with_time_zone().null().to_owned(),
            ColumnDef::new(Minutes::SignedRecorderFor).string_len(100).null().to_owned(),
        ] {
            m.alter_table(Table::alter().table(Minutes::Table).add_column(col).to_owned()).await?;
        }
        let db = m.get_connection();
        let amended = "state <> 'locked' AND locked_at IS NOT NULL";
        db.execute_unprepared(&format!(
            "UPDATE minutes SET signed_revision = (SELECT l.revision FROM minutes_log l \
             WHERE l.minutes_id = minutes.id AND l.kind = 'locked' ORDER BY l.id DESC LIMIT 1) WHERE {amended}"
        ))
        .await?;
        db.execute_unprepared(
            "UPDATE minutes SET signed_body = (SELECT r.body FROM minutes_revisions r \
             WHERE r.minutes_id = minutes.id AND r.revision = minutes.signed_revision) \
             WHERE signed_revision IS NOT NULL",
        )
        .await?;
        // Without its body the signed revision cannot be shown: the record stays as it was.
        db.execute_unprepared("UPDATE minutes SET signed_revision = NULL WHERE signed_body IS NULL").await?;
        for (role, own, on_behalf) in
            [("host", "signed_host", "signed_host_for"), ("recorder", "signed_recorder", "signed_rec_for")]
        {
            let last = |column: &str| {
                format!(
                    "(SELECT {column} FROM minutes_log l WHERE l.minutes_id = minutes.id \
                     AND l.revision = minutes.signed_revision AND l.kind IN ('{own}', '{on_behalf}') \
                     ORDER BY l.id DESC LIMIT 1)"
                )
            };
            db.execute_unprepared(&format!(
                "UPDATE minutes SET signed_{role}_by = {by}, signed_{role}_at = {at}, signed_{role}_for = {for_} \
                 WHERE signed_revision IS NOT NULL",
                by = last("l.by_account"),
                at = last("l.at"),
                for_ = last(&format!("CASE WHEN l.kind = '{on_behalf}' THEN l.note END")),
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in [
            Minutes::SignedRecorderFor,
            Minutes::SignedRecorderAt,
            Minutes::SignedRecorderBy,
            Minutes::SignedHostFor,
            Minutes::SignedHostAt,
            Minutes::SignedHostBy,
            Minutes::SignedBody,
            Minutes::SignedRevision,
        ] {
            m.alter_table(Table::alter().table(Minutes::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
