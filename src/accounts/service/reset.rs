//! Forgotten passwords. Anyone may ask for a link for an email address; the answer is the same
//! whether an account has that address or not, and requests are throttled per address and per
//! client under the login throttle's limits (keys of their own). The link's token is made when
//! its message is sent (`issue`), kept only as its SHA-256, valid for [`VALID`], used once; a newer
//! link ends older ones. Choosing the new password ends every session of the account.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ConnectionTrait, DbErr, QueryFilter, QuerySelect, Set, TransactionSession, TransactionTrait, entity::prelude::*,
};

use super::{LoginPolicy, hash_password, sessions, throttle};
use crate::{
    accounts::{
        entity::{account, password_reset},
        rules::Password,
    },
    crypto,
};

/// How long a link works after it was sent.
pub const VALID: Duration = Duration::minutes(30);

#[derive(Debug, thiserror::Error)]
pub enum ResetError {
    /// Unknown, used, expired or superseded: one answer for all.
    #[error("the link no longer works")]
    Gone,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Asks for a link for `email`: queues its message when an enabled account has that address.
/// `Err(retry_at)` while the address or the client has asked too often; `Ok` otherwise, whether
/// or not a message was queued.
pub async fn request(
    db: &(impl ConnectionTrait + TransactionTrait),
    email: &str,
    client_addr: &str,
    policy: LoginPolicy,
    now: DateTime<Utc>,
) -> Result<Result<(), DateTime<Utc>>, DbErr> {
    let email = email.trim().to_lowercase();
    let (email_key, addr_key) =
        (format!("reset:{}", throttle::email_key(&email)), format!("reset:{}", throttle::address_key(client_addr)));
    let keys = [(email_key.as_str(), policy.max_per_email), (addr_key.as_str(), policy.max_per_address)];
    // Every request counts (none is "right"): a flood of links to one inbox stops.
    if let Err(retry_at) = throttle::admit(db, &keys, policy.window, now).await? {
        return Ok(Err(retry_at));
    }
    let found = account::Entity::find()
        .filter(account::Column::Email.eq(&email))
        .filter(account::Column::DisabledAt.is_null())
        .one(db)
        .await?;
    if let Some(a) = found {
        let to = crate::outbox::Addressee { email: &a.email, name: &a.display_name, locale: a.locale.as_deref() };
        crate::outbox::queue_password_reset(db, a.id, &to, now).await?;
    }
    Ok(Ok(()))
}

/// Makes the link of a message being sent to `recipient`: a new token for the account (older
/// unused ones end). None when the account is gone, disabled, or signs in with another address
/// now (a retry never sends a working link to an address the account left).
pub async fn issue(
    db: &impl ConnectionTrait,
    account_id: i64,
    recipient: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let current = account::Entity::find_by_id(account_id).one(db).await?;
    if !current.is_some_and(|a| a.disabled_at.is_none() && a.email.eq_ignore_ascii_case(recipient)) {
        return Ok(None);
    }
    password_reset::Entity::delete_many()
        .filter(password_reset::Column::AccountId.eq(account_id))
        .filter(password_reset::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    let token = crypto::random_token();
    password_reset::ActiveModel {
        token_hash: Set(crypto::token_hash(&token)),
        account_id: Set(account_id),
        created_at: Set(now),
        expires_at: Set(now + VALID),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(Some(token))
}

/// The account a link is for, while it works.
pub async fn account_of(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<account::Model, ResetError> {
    let Some(r) = password_reset::Entity::find_by_id(crypto::token_hash(token)).one(db).await? else {
        return Err(ResetError::Gone);
    };
    match account::Entity::find_by_id(r.account_id).one(db).await? {
        Some(a) if r.used_at.is_none() && r.expires_at > now && a.disabled_at.is_none() => Ok(a),
        _ => Err(ResetError::Gone),
    }
}

/// Sets the password chosen through a link, uses the link up and ends every session of the
/// account (and its login refusals). Two uses at once: one wins, the other finds it used.
pub async fn reset(
    db: &(impl ConnectionTrait + TransactionTrait),
    token: &str,
    password: &Password,
    now: DateTime<Utc>,
) -> Result<account::Model, ResetError> {
    let hash = hash_password(password).await.map_err(|_| ResetError::Db(DbErr::Custom("password hashing".into())))?;
    let txn = crate::db::write_txn(db).await?;
    let row = password_reset::Entity::find_by_id(crypto::token_hash(token))
        .lock_exclusive()
        .one(&txn)
        .await?
        .filter(|r| r.used_at.is_none() && r.expires_at > now)
        .ok_or(ResetError::Gone)?;
    let a = account::Entity::find_by_id(row.account_id)
        .one(&txn)
        .await?
        .filter(|a| a.disabled_at.is_none())
        .ok_or(ResetError::Gone)?;
    let mut used: password_reset::ActiveModel = row.into();
    used.used_at = Set(Some(now));
    used.update(&txn).await?;
    let mut am: account::ActiveModel = a.clone().into();
    am.password_hash = Set(hash);
    am.must_change_password = Set(false);
    am.updated_at = Set(now);
    let saved = am.update(&txn).await?;
    throttle::clear(&txn, &throttle::email_key(&a.email)).await?;
    sessions::end_all(&txn, a.id, None).await?;
    txn.commit().await?;
    Ok(saved)
}
