//! The outbox: a change that notifies people writes its messages here, in the change's own
//! transaction, and the mail domain's dispatcher claims them for sending. Below every domain, it
//! knows messages only as rows (kind, addressee, keys, payload); the messages about an event are
//! queued by events (`events::service::notices`).
pub mod digest;
pub mod entity;

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, QueryFilter, QueryOrder, Set,
    entity::prelude::*,
    sea_query::{ExprTrait, LockBehavior, LockType, Query},
};

use entity::outbox;
pub use entity::{Kind, State};

/// Whom a message goes to: the address, the name and the language of the greeting.
pub struct Addressee<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub locale: Option<&'a str>,
}

/// A message's row in the outbox, due now: about an event (its id and iCalendar sequence) or
/// about none.
pub fn queued_row(
    (kind, event): (Kind, Option<(i64, i32)>),
    to: &Addressee,
    (dedupe_key, message_id): (String, String),
    payload: Option<String>,
    now: DateTime<Utc>,
) -> outbox::ActiveModel {
    outbox::ActiveModel {
        kind: Set(kind),
        event_id: Set(event.map(|(id, _)| id)),
        invitation_id: Set(None),
        recipient: Set(to.email.to_owned()),
        recipient_name: Set(to.name.chars().take(100).collect()),
        locale: Set(to.locale.unwrap_or_default().to_owned()),
        sequence: Set(event.map_or(0, |(_, sequence)| sequence)),
        dedupe_key: Set(dedupe_key),
        message_id: Set(message_id),
        state: Set(State::Queued),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        payload: Set(payload),
        ..Default::default()
    }
}

/// Writes a row unless one with its dedupe key was written: the rows written (0 or 1).
pub async fn insert_once(db: &impl ConnectionTrait, row: outbox::ActiveModel) -> Result<usize, DbErr> {
    let n = outbox::Entity::insert(row)
        .on_conflict(sea_orm::sea_query::OnConflict::column(outbox::Column::DedupeKey).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(n as usize)
}

/// Queues a forgotten password's message to the account `account`, in the caller's transaction.
/// Its link is made when it is sent (`accounts::service::reset::issue`): no token waits in the
/// outbox.
pub async fn queue_password_reset(
    db: &impl ConnectionTrait,
    account: i64,
    to: &Addressee<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let stamp = format!("a{account}.{}", now.timestamp_micros());
    let keys = (format!("password_reset:{stamp}"), format!("password_reset.{stamp}"));
    queued_row((Kind::PasswordReset, None), to, keys, Some(account.to_string()), now).insert(db).await?;
    Ok(())
}

/// Queues a member's invitation to open an account (`invitation` is its row), in the caller's
/// transaction. Its link is made when it is sent (`accounts::service::welcome::issue`).
pub async fn queue_account_invitation(
    db: &impl ConnectionTrait,
    to: &Addressee<'_>,
    invitation: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let key = format!("account_invitation.i{invitation}");
    insert_personal(db, (Kind::AccountInvitation, &key), to, invitation.to_string(), now).await
}

/// Queues the confirmation of a member's new address (`to`; `change` is its row) to that address,
/// and the notice of the change (naming the new one `masked`) to the address they have now
/// (`old`, if any), in the caller's transaction.
pub async fn queue_email_change(
    db: &impl ConnectionTrait,
    (to, old): (&Addressee<'_>, Option<&Addressee<'_>>),
    (change, masked): (i64, String),
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let key = format!("email_confirm.c{change}");
    insert_personal(db, (Kind::EmailConfirm, &key), to, change.to_string(), now).await?;
    if let Some(old) = old.filter(|o| !o.email.trim().is_empty()) {
        let key = format!("email_changed.c{change}");
        insert_personal(db, (Kind::EmailChanged, &key), old, masked, now).await?;
    }
    Ok(())
}

/// One message to `to`, about no event, with what it says in `payload`.
async fn insert_personal(
    db: &impl ConnectionTrait,
    (kind, key): (Kind, &str),
    to: &Addressee<'_>,
    payload: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let keys = (key.replace('.', ":"), key.to_owned());
    queued_row((kind, None), to, keys, Some(payload), now).insert(db).await?;
    Ok(())
}

/// Claims up to `limit` due messages for one dispatcher until `until`; a claim that has expired
/// (its dispatcher died) is taken over. On PostgreSQL concurrent dispatchers skip each other's
/// locked rows; SQLite has one writer at a time.
pub async fn claim(
    db: &impl ConnectionTrait,
    token: &str,
    limit: u64,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<outbox::Model>, DbErr> {
    let mut due = Query::select();
    due.column(outbox::Column::Id)
        .from(outbox::Entity)
        .and_where(outbox::Column::State.eq(State::Queued))
        .and_where(outbox::Column::NextAttemptAt.lte(now))
        .and_where(outbox::Column::ClaimedUntil.is_null().or(outbox::Column::ClaimedUntil.lt(now)))
        .order_by(outbox::Column::Id, sea_orm::Order::Asc)
        .limit(limit);
    if db.get_database_backend() == DbBackend::Postgres {
        due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    outbox::Entity::update_many()
        .col_expr(outbox::Column::ClaimToken, Expr::value(token))
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(until))
        .filter(outbox::Column::Id.in_subquery(due))
        .exec(db)
        .await?;
    outbox::Entity::find()
        .filter(outbox::Column::ClaimToken.eq(token))
        .filter(outbox::Column::State.eq(State::Queued))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await
}

/// Records deliveries of messages still claimed by `token`. Every outcome matches the claim: a
/// dispatcher that lost its claim (another took the messages over) changes nothing.
pub async fn mark_sent(db: &impl ConnectionTrait, token: &str, ids: &[i64], now: DateTime<Utc>) -> Result<(), DbErr> {
    for chunk in ids.chunks(500) {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::State, Expr::value(State::Sent))
            .col_expr(outbox::Column::SentAt, Expr::value(now))
            .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
            .col_expr(outbox::Column::ClaimToken, Expr::value(Option::<String>::None))
            .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(outbox::Column::Id.is_in(chunk.to_vec()))
            .filter(outbox::Column::ClaimToken.eq(token))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Gives back messages claimed by `token` that were not tried (the pass ran out of its lease):
/// due again at once, for whichever dispatcher comes next.
pub async fn release(db: &impl ConnectionTrait, token: &str, ids: &[i64]) -> Result<(), DbErr> {
    for chunk in ids.chunks(500) {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::ClaimToken, Expr::value(Option::<String>::None))
            .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(outbox::Column::Id.is_in(chunk.to_vec()))
            .filter(outbox::Column::ClaimToken.eq(token))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or failed for good when `retry_at` is None.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    token: &str,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let error: String = error.chars().take(1000).collect();
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::LastError, Expr::value(error))
        .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
        .col_expr(outbox::Column::ClaimToken, Expr::value(Option::<String>::None))
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None));
    update = match retry_at {
        Some(at) => update.col_expr(outbox::Column::NextAttemptAt, Expr::value(at)),
        None => update.col_expr(outbox::Column::State, Expr::value(State::Failed)),
    };
    update.filter(outbox::Column::Id.eq(id)).filter(outbox::Column::ClaimToken.eq(token)).exec(db).await?;
    Ok(())
}

/// The invitations an answer-link token opens (one at most), as a subquery: tokens are random
/// (256 bits), one per message, kept only as their SHA-256, and die with the invitation row (the
/// invitee left the audience); the answer page also refuses them once the event is over or
/// cancelled. None for what cannot be a token.
pub fn invitation_of_token(token: &str) -> Option<sea_orm::sea_query::SelectStatement> {
    if token.is_empty() || token.len() > 100 {
        return None;
    }
    Some(
        Query::select()
            .column(entity::invitation_token::Column::InvitationId)
            .from(entity::invitation_token::Entity)
            .and_where(entity::invitation_token::Column::TokenHash.eq(crate::crypto::token_hash(token)))
            .to_owned(),
    )
}
