//! The month calendar's index (BENCHMARKS.md, "month calendar").
//!
//! The calendar reads the (start, id) of every event overlapping the month (`starts_at` in a
//! range, `ends_at` after the month's first instant) to pick the few shown per day. With `ends_at`
//! in the index that is read from the index alone; `(starts_at, id)` before it made every one of
//! the month's events (hundreds, for the administrators' all-branches month) a table lookup. The
//! new index replaces `idx_events_starts`, whose columns it begins with (the lists' order).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Events {
    Table,
    Id,
    StartsAt,
    EndsAt,
}

const NAME: &str = "idx_events_starts_ends";
const OLD: &str = "idx_events_starts";

fn create(name: &str, cols: &[Events]) -> IndexCreateStatement {
    let mut stmt = Index::create().name(name).table(Events::Table).to_owned();
    for c in cols {
        stmt.col(*c);
    }
    stmt
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(create(NAME, &[Events::StartsAt, Events::Id, Events::EndsAt])).await?;
        m.drop_index(Index::drop().name(OLD).table(Events::Table).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(create(OLD, &[Events::StartsAt, Events::Id])).await?;
        m.drop_index(Index::drop().name(NAME).table(Events::Table).to_owned()).await
    }
}
