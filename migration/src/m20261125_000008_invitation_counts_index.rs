//! The roster counter's index (BENCHMARKS.md, attendance).
//!
//! After every tap the roster asks for the event's counter: its invitations counted by answer and
//! outcome, and of those how many are members invited as members (`role`, `member_id`). With
//! these columns in one index, in this order, the count reads the index alone and in group order
//! (no table lookup and no sort: three times cheaper for 2,000 invitees). It replaces
//! `idx_invitations_event_answer` (event, answer, answered at), which served seats and the
//! waitlist: seats are counted from the new one; the waitlist, a few rows, is sorted.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Invitations {
    Table,
    EventId,
    Answer,
    AnsweredAt,
    Outcome,
    Role,
    MemberId,
}

const NAME: &str = "idx_invitations_event_answer_outcome";
const OLD: &str = "idx_invitations_event_answer";

fn create(name: &str, cols: &[Invitations]) -> IndexCreateStatement {
    let mut stmt = Index::create().name(name).table(Invitations::Table).to_owned();
    for c in cols {
        stmt.col(*c);
    }
    stmt
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Invitations::*;
        m.create_index(create(NAME, &[EventId, Answer, Outcome, Role, MemberId])).await?;
        m.drop_index(Index::drop().name(OLD).table(Table).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Invitations::*;
        m.create_index(create(OLD, &[EventId, Answer, AnsweredAt])).await?;
        m.drop_index(Index::drop().name(NAME).table(Table).to_owned()).await
    }
}
