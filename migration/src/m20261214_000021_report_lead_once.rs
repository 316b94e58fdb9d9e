//! A report's lead is stored once, in its summary: the post shows it as its first paragraph and
//! the body after it. Drafts used to begin their body with the lead as well; where a body still
//! begins with its summary followed by a blank line (or is just the summary), that copy goes.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        // SUBSTR and LENGTH count characters on SQLite and PostgreSQL alike.
        db.execute_unprepared(
            "UPDATE reports SET body = SUBSTR(body, LENGTH(summary) + 3) \
             WHERE LENGTH(summary) > 0 AND SUBSTR(body, 1, LENGTH(summary) + 2) = summary || '\n\n'",
        )
        .await?;
        db.execute_unprepared("UPDATE reports SET body = '' WHERE LENGTH(summary) > 0 AND body = summary").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(
                "UPDATE reports SET body = CASE WHEN body = '' THEN summary ELSE summary || '\n\n' || body END \
                 WHERE LENGTH(summary) > 0",
            )
            .await
            .map(|_| ())
    }
}
