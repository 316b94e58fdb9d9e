//! Writing messages to the outbox, in the caller's transaction, and claiming them for sending.
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, QueryFilter, QueryOrder, Set,
    entity::prelude::*,
    sea_query::{ExprTrait, LockBehavior, LockType, Query},
};

use super::entity::outbox;
use crate::{
    events::entity::{event, guest, invitation},
    members::entity::member,
};

/// What a message tells its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Invitation,
    Update,
    Cancellation,
    /// Before the start, to those who accepted or have not answered.
    Reminder,
    /// Before the answer deadline, to those who have not answered.
    DeadlineReminder,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Invitation => "invitation",
            Kind::Update => "update",
            Kind::Cancellation => "cancellation",
            Kind::Reminder => "reminder",
            Kind::DeadlineReminder => "deadline_reminder",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Invitation, Kind::Update, Kind::Cancellation, Kind::Reminder, Kind::DeadlineReminder]
            .into_iter()
            .find(|k| k.key() == s)
    }
}

/// The same message is never queued twice: one invitation per invitee, one update per invitee
/// and revision, one cancellation per invitee.
fn dedupe_key(kind: Kind, invitation_id: i64, sequence: i32) -> String {
    match kind {
        Kind::Update => format!("update:{invitation_id}:{sequence}"),
        k => format!("{}:{invitation_id}", k.key()),
    }
}

/// Someone an event's message goes to.
struct Recipient {
    invitation_id: i64,
    email: String,
    name: String,
    locale: String,
    /// Invited before this change (an update goes to them; newcomers get the invitation).
    earlier: bool,
    answer: String,
}

async fn recipients(db: &impl ConnectionTrait, event_id: i64, now: DateTime<Utc>) -> Result<Vec<Recipient>, DbErr> {
    let rows = invitation::Entity::find().filter(invitation::Column::EventId.eq(event_id)).all(db).await?;
    let member_ids: Vec<i64> = rows.iter().filter_map(|r| r.member_id).collect();
    let mut members = std::collections::HashMap::new();
    for chunk in member_ids.chunks(1000) {
        for m in member::Entity::find().filter(member::Column::Id.is_in(chunk.to_vec())).all(db).await? {
            members.insert(m.id, m);
        }
    }
    let guests: std::collections::HashMap<i64, guest::Model> = guest::Entity::find()
        .filter(guest::Column::EventId.eq(event_id))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let (email, name, locale) = match (r.member_id, r.guest_id) {
                (Some(m), _) => {
                    let m = members.get(&m)?;
                    (m.email.clone()?, m.name.clone(), m.locale.clone())
                }
                (None, Some(g)) => {
                    let g = guests.get(&g)?;
                    (g.email.clone()?, g.name.clone(), None)
                }
                (None, None) => return None,
            };
            Some(Recipient {
                invitation_id: r.id,
                email,
                name,
                // Empty: the configured default, decided when the message is sent.
                locale: locale.unwrap_or_default(),
                earlier: r.created_at < now,
                answer: r.answer,
            })
        })
        .collect())
}

/// Queues the messages a change of a scheduled event causes, in the caller's transaction:
/// invitations to every invitee with an email who has none yet; with `kind` Update, an update to
/// those invited earlier; with Cancellation, a cancellation to everyone. Invitees without an
/// email get nothing (the event page lists them as "no email"). Returns the rows written.
pub async fn queue_for_event(
    db: &impl ConnectionTrait,
    e: &event::Model,
    kind: Kind,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let mut rows = Vec::new();
    for r in recipients(db, e.id, now).await? {
        let kinds: &[Kind] = match kind {
            Kind::Cancellation => &[Kind::Cancellation],
            Kind::Update if r.earlier => &[Kind::Invitation, Kind::Update],
            Kind::Invitation | Kind::Update => &[Kind::Invitation],
            Kind::Reminder if matches!(r.answer.as_str(), "accepted" | "pending") => &[Kind::Reminder],
            Kind::DeadlineReminder if r.answer == "pending" => &[Kind::DeadlineReminder],
            Kind::Reminder | Kind::DeadlineReminder => &[],
        };
        for k in kinds {
            let key = dedupe_key(*k, r.invitation_id, e.sequence);
            rows.push(outbox::ActiveModel {
                kind: Set(k.key().to_owned()),
                event_id: Set(Some(e.id)),
                invitation_id: Set(Some(r.invitation_id)),
                recipient: Set(r.email.clone()),
                recipient_name: Set(r.name.chars().take(100).collect()),
                locale: Set(r.locale.clone()),
                sequence: Set(e.sequence),
                // The left part of the Message-ID; the sender's domain is added when it is sent.
                message_id: Set(format!("{}.e{}", key.replace(':', "."), e.id)),
                dedupe_key: Set(key),
                state: Set("queued".to_owned()),
                attempts: Set(0),
                next_attempt_at: Set(now),
                claimed_until: Set(None),
                claim_token: Set(None),
                sent_at: Set(None),
                last_error: Set(None),
                created_at: Set(now),
                ..Default::default()
            });
        }
    }
    let count = rows.len();
    for chunk in rows.chunks(500) {
        outbox::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing_on([outbox::Column::DedupeKey])
            .exec(db)
            .await?;
    }
    Ok(count)
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
        .and_where(outbox::Column::State.eq("queued"))
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
        .filter(outbox::Column::State.eq("queued"))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await
}

/// Records deliveries.
pub async fn mark_sent(db: &impl ConnectionTrait, ids: &[i64], now: DateTime<Utc>) -> Result<(), DbErr> {
    for chunk in ids.chunks(500) {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::State, Expr::value("sent"))
            .col_expr(outbox::Column::SentAt, Expr::value(now))
            .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
            .col_expr(outbox::Column::ClaimToken, Expr::value(Option::<String>::None))
            .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(outbox::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or failed for good when `retry_at` is None.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
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
        None => update.col_expr(outbox::Column::State, Expr::value("failed")),
    };
    update.filter(outbox::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// How an event's messages stand, for its organisers.
#[derive(Debug, Default, Clone)]
pub struct Delivery {
    pub queued: usize,
    pub sent: usize,
    /// Failed messages with the invitee's name.
    pub failed: Vec<(outbox::Model, String)>,
    /// Invitees without an email address, to be told another way.
    pub no_email: Vec<String>,
}

/// The delivery state of an event's invitations: counts of the latest message per invitee,
/// the failures, and who has no address.
pub async fn delivery(db: &impl ConnectionTrait, event_id: i64) -> Result<Delivery, DbErr> {
    let rows = outbox::Entity::find()
        .filter(outbox::Column::EventId.eq(event_id))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await?;
    let mut latest: std::collections::BTreeMap<i64, outbox::Model> = std::collections::BTreeMap::new();
    for r in rows {
        if let Some(inv) = r.invitation_id {
            latest.insert(inv, r);
        }
    }
    let mut d = Delivery::default();
    for r in latest.into_values() {
        match r.state.as_str() {
            "sent" => d.sent += 1,
            "failed" => {
                let name = r.recipient_name.clone();
                d.failed.push((r, name));
            }
            _ => d.queued += 1,
        }
    }
    let invitations = invitation::Entity::find().filter(invitation::Column::EventId.eq(event_id)).all(db).await?;
    let member_ids: Vec<i64> = invitations.iter().filter_map(|i| i.member_id).collect();
    for chunk in member_ids.chunks(1000) {
        let without = member::Entity::find()
            .filter(member::Column::Id.is_in(chunk.to_vec()))
            .filter(member::Column::Email.is_null())
            .all(db)
            .await?;
        d.no_email.extend(without.into_iter().map(|m| m.name));
    }
    let guests = guest::Entity::find()
        .filter(guest::Column::EventId.eq(event_id))
        .filter(guest::Column::Email.is_null())
        .all(db)
        .await?;
    d.no_email.extend(guests.into_iter().map(|g| g.name));
    Ok(d)
}

/// Puts failed messages of an event (all, or one) back in the queue; returns how many.
pub async fn resend(
    db: &impl ConnectionTrait,
    event_id: i64,
    one: Option<i64>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::State, Expr::value("queued"))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
        .filter(outbox::Column::EventId.eq(event_id))
        .filter(outbox::Column::State.eq("failed"));
    if let Some(id) = one {
        update = update.filter(outbox::Column::Id.eq(id));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Queues the reminders that are due: `hours` before the start of scheduled events, and `hours`
/// before their answer deadline; once per event and kind (a reminder already queued for an event
/// is not queued again, so answers given afterwards get none).
pub async fn queue_reminders(db: &impl ConnectionTrait, hours: i64, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let horizon = now + chrono::Duration::hours(hours);
    let mut queued = 0;
    for (kind, column) in
        [(Kind::Reminder, event::Column::StartsAt), (Kind::DeadlineReminder, event::Column::AnswerDeadline)]
    {
        let due = event::Entity::find()
            .filter(event::Column::State.eq(crate::events::rules::EventState::Scheduled))
            .filter(column.gt(now))
            .filter(column.lte(horizon))
            .all(db)
            .await?;
        for e in due {
            let done = outbox::Entity::find()
                .filter(outbox::Column::EventId.eq(e.id))
                .filter(outbox::Column::Kind.eq(kind.key()))
                .one(db)
                .await?
                .is_some();
            if !done {
                queued += queue_for_event(db, &e, kind, now).await?;
            }
        }
    }
    Ok(queued)
}
