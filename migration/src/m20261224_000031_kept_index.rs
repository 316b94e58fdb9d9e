//! The absence streaks' second look (BENCHMARKS.md, "The streaks page"): for each member with
//! absences without make-up, the last month they were expected and did not miss. A partial index
//! holds just the outcomes that count for that, every outcome but an unexcused absence, so the
//! look reads neither the member's invitations to events not yet ended nor their absences.
//! SQLite and PostgreSQL build it from the same statement; the streaks statement repeats its
//! condition word for word, as a planner needs to see that the index holds every row it asks for.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const NAME: &str = "idx_invitations_kept";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection()
            .execute_unprepared(&format!(
                "CREATE INDEX {NAME} ON invitations (member_id, event_id) WHERE role = 'member' \
                 AND outcome IS NOT NULL AND NOT (outcome = 'absent' AND makeup_done_on IS NULL)"
            ))
            .await
            .map(|_| ())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.get_connection().execute_unprepared(&format!("DROP INDEX {NAME}")).await.map(|_| ())
    }
}
