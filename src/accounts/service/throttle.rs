//! Login throttling. Every login attempt is logged under the email it tried and the client
//! address it came from before its password is checked, and its rows are taken back when the
//! password was right; a key with too many failures inside the window is refused until enough of
//! them age out.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, QueryOrder, QuerySelect, Set, Statement, TransactionSession, TransactionTrait,
    entity::prelude::*,
};

use crate::accounts::entity::login_failure;

/// Key under which failures for an email are counted. Bounded, like the column, whatever was typed.
pub fn email_key(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase().chars().take(254).collect::<String>())
}

/// Key under which failures from a client address are counted.
pub fn address_key(addr: &str) -> String {
    format!("addr:{}", addr.chars().take(64).collect::<String>())
}

/// When the first of `keys` that is over its limit may try again, if any is.
pub async fn retry_at(
    db: &impl ConnectionTrait,
    keys: &[(&str, u32)],
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let mut latest: Option<DateTime<Utc>> = None;
    for &(key, max) in keys {
        let recent: Vec<DateTime<Utc>> = login_failure::Entity::find()
            .select_only()
            .column(login_failure::Column::FailedAt)
            .filter(login_failure::Column::ScopeKey.eq(key))
            .filter(login_failure::Column::FailedAt.gt(now - window))
            .order_by_desc(login_failure::Column::FailedAt)
            .limit(u64::from(max))
            .into_tuple()
            .all(db)
            .await?;
        // Refused while `max` failures fall inside the window: until the oldest of them leaves it.
        if recent.len() >= max as usize
            && let Some(&oldest) = recent.last()
        {
            let until = oldest + window;
            latest = Some(latest.map_or(until, |l| l.max(until)));
        }
    }
    Ok(latest)
}

/// An attempt that may go on to check its password: the rows that count it as a failure until
/// [`forget`] takes them back.
#[derive(Debug)]
pub struct Attempt(Vec<i64>);

/// Counts an attempt under `keys` before its password is checked, in one transaction with the
/// check of the limits: parallel attempts cannot all pass a check that none of them has recorded
/// yet. Refused (with when to retry) while a key is over its limit, recording nothing.
pub async fn admit(
    db: &impl TransactionTrait,
    keys: &[(&str, u32)],
    window: Duration,
    now: DateTime<Utc>,
) -> Result<Result<Attempt, DateTime<Utc>>, DbErr> {
    let txn = crate::db::write_txn(db).await?;
    // SQLite: the write transaction already runs alone. PostgreSQL: a lock per key, held until
    // commit, in a fixed order (no deadlock between two attempts sharing both keys).
    if txn.get_database_backend() == DbBackend::Postgres {
        let mut sorted: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
        sorted.sort_unstable();
        for key in sorted {
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))",
                [key.into()],
            ))
            .await?;
        }
    }
    if let Some(retry) = retry_at(&txn, keys, window, now).await? {
        txn.rollback().await?;
        return Ok(Err(retry));
    }
    let mut ids = Vec::with_capacity(keys.len());
    for (key, _) in keys {
        let row =
            login_failure::ActiveModel { scope_key: Set((*key).to_owned()), failed_at: Set(now), ..Default::default() };
        ids.push(row.insert(&txn).await?.id);
    }
    txn.commit().await?;
    Ok(Ok(Attempt(ids)))
}

/// Takes back an attempt whose password was right.
pub async fn forget(db: &impl ConnectionTrait, attempt: Attempt) -> Result<(), DbErr> {
    login_failure::Entity::delete_many().filter(login_failure::Column::Id.is_in(attempt.0)).exec(db).await?;
    Ok(())
}

pub async fn clear(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    login_failure::Entity::delete_many().filter(login_failure::Column::ScopeKey.eq(key)).exec(db).await?;
    Ok(())
}

/// Drops failures too old to count any more.
pub async fn purge(db: &impl ConnectionTrait, window: Duration, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let res =
        login_failure::Entity::delete_many().filter(login_failure::Column::FailedAt.lte(now - window)).exec(db).await?;
    Ok(res.rows_affected)
}
