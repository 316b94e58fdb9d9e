//! Sessions kept in the database, so they survive restarts and are shared by every instance.
//! The cookie holds a random token; the table holds only its SHA-256, so a copy of the table
//! cannot be used to log in.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr, Set, entity::prelude::*};

use crate::accounts::entity::{account, session};
use crate::crypto;

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Ends a session after this long without a request.
    pub idle: Duration,
    /// Ends a session this long after login, however active.
    pub max: Duration,
}

/// Requests within this long of the last recorded one do not write to the table.
const TOUCH_INTERVAL: Duration = Duration::minutes(5);

/// Starts a session for an account; returns the token for the cookie.
pub async fn start(
    db: &impl ConnectionTrait,
    account_id: i64,
    policy: SessionPolicy,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = crypto::random_token();
    session::ActiveModel {
        id: Set(crypto::token_hash(&token)),
        account_id: Set(account_id),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(now + policy.idle.min(policy.max)),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The live session of a cookie token and its (enabled) account, extending the idle expiry.
pub async fn resolve(
    db: &impl ConnectionTrait,
    token: &str,
    policy: SessionPolicy,
    now: DateTime<Utc>,
) -> Result<Option<(session::Model, account::Model)>, DbErr> {
    let found =
        session::Entity::find_by_id(crypto::token_hash(token)).find_also_related(account::Entity).one(db).await?;
    let Some((session, Some(account))) = found else {
        return Ok(None);
    };
    if session.expires_at <= now || account.disabled_at.is_some() {
        return Ok(None);
    }
    if now - session.last_seen_at >= TOUCH_INTERVAL {
        let expires_at = (now + policy.idle).min(session.created_at + policy.max);
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .col_expr(session::Column::ExpiresAt, Expr::value(expires_at))
            .filter(session::Column::Id.eq(&session.id))
            .exec(db)
            .await?;
    }
    Ok(Some((session, account)))
}

/// Ends one session, given its id (the token's hash).
pub async fn end(db: &impl ConnectionTrait, session_id: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(session_id.to_owned()).exec(db).await?;
    Ok(())
}

/// Ends every session of an account, but the one given (the one making the change).
pub async fn end_all(db: &impl ConnectionTrait, account_id: i64, except: Option<&str>) -> Result<(), DbErr> {
    let mut q = session::Entity::delete_many().filter(session::Column::AccountId.eq(account_id));
    if let Some(keep) = except {
        q = q.filter(session::Column::Id.ne(keep));
    }
    q.exec(db).await?;
    Ok(())
}

pub async fn purge_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(session::Entity::delete_many().filter(session::Column::ExpiresAt.lte(now)).exec(db).await?.rows_affected)
}
