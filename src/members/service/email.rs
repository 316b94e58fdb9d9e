//! A member's new email address, confirmed before it is used. Changing it at `/me` keeps the old
//! address and sends a link to the new one (its token made when the message is sent, kept only as
//! its SHA-256, valid [`VALID`], once; a newer change ends an older one); the old address is told
//! of the change at once. Confirming makes the new address the member's (`confirm_in`); the accounts
//! domain, which opens that transaction, makes it their account's sign-in when that was the old
//! address (`accounts::service::confirm_member_email`).
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryFilter, QuerySelect, Set, SqlErr, entity::prelude::*};

use super::{MemberError, check_unique};
use crate::{
    crypto,
    members::entity::{email_change, member},
};

/// How long a confirmation link works after it was sent.
pub const VALID: Duration = Duration::hours(24);

#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    /// Unknown, used, expired or superseded.
    #[error("the link no longer works")]
    Gone,
    /// Another member has taken the address meanwhile.
    #[error("the address is taken")]
    Taken,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// "ne***@example.org": the new address as the old one is told of it.
pub fn masked(email: &str) -> String {
    match email.split_once('@') {
        Some((name, domain)) => format!("{}***@{domain}", name.chars().take(2).collect::<String>()),
        None => "***".to_owned(),
    }
}

/// Asks to change the member's address to `new` (not another member's), in the caller's
/// transaction: the link goes to `new`, the notice to the address the member has now.
pub async fn ask(
    db: &impl ConnectionTrait,
    current: &member::Model,
    new: &str,
    now: DateTime<Utc>,
) -> Result<(), MemberError> {
    check_unique(db, Some(new), None, Some(current.id)).await?;
    email_change::Entity::delete_many()
        .filter(email_change::Column::MemberId.eq(current.id))
        .filter(email_change::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    let row = email_change::ActiveModel {
        member_id: Set(current.id),
        new_email: Set(new.to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let old = current.email.as_deref().map(|old| super::addressee(current, old));
    crate::outbox::queue_email_change(db, (&super::addressee(current, new), old.as_ref()), (row.id, masked(new)), now)
        .await?;
    Ok(())
}

/// The new address a member asked for and has not confirmed yet (its link not expired).
pub async fn waiting(db: &impl ConnectionTrait, member_id: i64, now: DateTime<Utc>) -> Result<Option<String>, DbErr> {
    Ok(email_change::Entity::find()
        .filter(email_change::Column::MemberId.eq(member_id))
        .filter(email_change::Column::UsedAt.is_null())
        .one(db)
        .await?
        .filter(|r| r.expires_at.is_none_or(|e| e > now))
        .map(|r| r.new_email))
}

/// Makes the link of a confirmation being sent, in one statement; None when it was used or
/// superseded meanwhile.
pub async fn issue(db: &impl ConnectionTrait, change: i64, now: DateTime<Utc>) -> Result<Option<String>, DbErr> {
    let token = crypto::random_token();
    let done = email_change::Entity::update_many()
        .col_expr(email_change::Column::TokenHash, Expr::value(crypto::token_hash(&token)))
        .col_expr(email_change::Column::ExpiresAt, Expr::value(now + VALID))
        .filter(email_change::Column::Id.eq(change))
        .filter(email_change::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok((done.rows_affected == 1).then_some(token))
}

async fn working(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<email_change::Model, ConfirmError> {
    email_change::Entity::find()
        .filter(email_change::Column::TokenHash.eq(crypto::token_hash(token)))
        .one(db)
        .await?
        .filter(|r| r.used_at.is_none() && r.expires_at.is_some_and(|e| e > now))
        .ok_or(ConfirmError::Gone)
}

/// The address a link would confirm, while it works.
pub async fn pending(db: &impl ConnectionTrait, token: &str, now: DateTime<Utc>) -> Result<String, ConfirmError> {
    Ok(working(db, token, now).await?.new_email)
}

/// Makes the new address the member's and uses the link up, in the caller's transaction
/// (`accounts::service::confirm_member_email`, which makes it the account's sign-in too): the
/// member as saved, and the address they had.
pub async fn confirm_in(
    txn: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(member::Model, Option<String>), ConfirmError> {
    let row = email_change::Entity::find()
        .filter(email_change::Column::TokenHash.eq(crypto::token_hash(token)))
        .lock_exclusive()
        .one(txn)
        .await?
        .filter(|r| r.used_at.is_none() && r.expires_at.is_some_and(|e| e > now))
        .ok_or(ConfirmError::Gone)?;
    let m = member::Entity::find_by_id(row.member_id).one(txn).await?.ok_or(ConfirmError::Gone)?;
    match check_unique(txn, Some(&row.new_email), None, Some(m.id)).await {
        Ok(()) => {}
        Err(MemberError::Db(e)) => return Err(e.into()),
        Err(_) => return Err(ConfirmError::Taken),
    }
    let old = m.email.clone();
    let mut am: member::ActiveModel = m.into();
    am.email = Set(Some(row.new_email.clone()));
    am.updated_at = Set(now);
    let saved = am.update(txn).await.map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => ConfirmError::Taken,
        _ => ConfirmError::Db(e),
    })?;
    let mut used: email_change::ActiveModel = row.into();
    used.used_at = Set(Some(now));
    used.update(txn).await?;
    Ok((saved, old))
}
