//! Login throttling. Every failed login is logged under the email it tried and the client address
//! it came from; a key with too many failures inside the window is refused until enough of them
//! age out. The log is append-only, so concurrent instances need no coordination.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryOrder, QuerySelect, Set, entity::prelude::*};

use super::entity::login_failure;

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

pub async fn record(db: &impl ConnectionTrait, keys: &[&str], now: DateTime<Utc>) -> Result<(), DbErr> {
    let rows = keys.iter().map(|k| login_failure::ActiveModel {
        scope_key: Set((*k).to_owned()),
        failed_at: Set(now),
        ..Default::default()
    });
    login_failure::Entity::insert_many(rows).exec(db).await?;
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
