//! The absence streaks (BENCHMARKS.md, 2026-12-06) look for the absences without make-up of a
//! year's events: a partial index holds just those rows (a tenth of the invitations, or far
//! fewer in a real branch) with what is read of them, where the records' covering index made them
//! read every invitation of every event. SQLite and PostgreSQL build it from the same statement.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const NAME: &str = "idx_invitations_unexcused";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX {NAME} ON invitations (event_id, member_id, role, outcome, makeup_done_on) \
                 WHERE role = 'member' AND outcome = 'absent' AND makeup_done_on IS NULL"
            ))
            .await
            .map(|_| ())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared(&format!("DROP INDEX {NAME}")).await.map(|_| ())
    }
}
