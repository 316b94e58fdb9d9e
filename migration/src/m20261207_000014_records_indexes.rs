//! The participation records' indexes (BENCHMARKS.md, records).
//!
//! The records read, per event or per member, every member's outcome and make-up. The roster
//! counter's index (event, answer, outcome, role, member) gains the make-up columns, so that the
//! association's per-event count reads the index alone (no lookup of 300,000 table rows for a
//! year); a second index does the same for a few members' invitations (a branch page, a
//! member's record, the ledger), whose rows are scattered over the table. Its prefix (member,
//! event) is the unique index's, which stays for uniqueness.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Invitations {
    Table,
    EventId,
    Answer,
    Outcome,
    Role,
    MemberId,
    MakeupRequired,
    MakeupDoneOn,
}

const COUNTS_OLD: &str = "idx_invitations_event_answer_outcome";
const COUNTS: &str = "idx_invitations_event_records";
const MEMBER: &str = "idx_invitations_member_records";

fn create(name: &str, cols: &[Invitations]) -> IndexCreateStatement {
    let mut stmt = Index::create().name(name).table(Invitations::Table).to_owned();
    for c in cols {
        stmt.col(*c);
    }
    stmt
}

fn drop(name: &str) -> IndexDropStatement {
    Index::drop().name(name).table(Invitations::Table).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Invitations::*;
        // The wider index is built before the one it replaces goes.
        let wider = [EventId, Answer, Outcome, Role, MemberId, MakeupRequired, MakeupDoneOn];
        m.create_index(create(COUNTS, &wider)).await?;
        m.drop_index(drop(COUNTS_OLD)).await?;
        m.create_index(create(MEMBER, &[MemberId, EventId, Role, Outcome, MakeupRequired, MakeupDoneOn])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Invitations::*;
        m.drop_index(drop(MEMBER)).await?;
        m.create_index(create(COUNTS_OLD, &[EventId, Answer, Outcome, Role, MemberId])).await?;
        m.drop_index(drop(COUNTS)).await
    }
}
