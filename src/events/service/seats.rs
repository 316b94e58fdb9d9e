//! Reading and writing invitations where events and attendance meet: the seats taken, the log of
//! every change, and the waitlist's promotion when seats free up. Events change the capacity,
//! attendance takes the answers; both fill free seats here.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, QueryOrder, QuerySelect, Set, entity::prelude::*};

use crate::{
    events::entity::{event, invitation},
    forms::Choice,
    invitations::{Answer, log},
};

/// Seats taken at an event (accepted answers), not counting the invitation `except`.
pub async fn seats_taken(db: &impl ConnectionTrait, event_id: i64, except: i64) -> Result<u64, DbErr> {
    invitation::Entity::find()
        .filter(invitation::Column::EventId.eq(event_id))
        .filter(invitation::Column::Answer.eq(Answer::Accepted))
        .filter(invitation::Column::Id.ne(except))
        .count(db)
        .await
}

/// Writes a line of an invitation's log.
pub async fn write_log(
    db: &impl ConnectionTrait,
    invitation_id: i64,
    what: &str,
    (old, new): (Option<&str>, Option<&str>),
    note: Option<&str>,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    log::ActiveModel {
        invitation_id: Set(invitation_id),
        what: Set(what.to_owned()),
        old_value: Set(old.map(str::to_owned)),
        new_value: Set(new.map(str::to_owned)),
        note: Set(note.map(|n| n.chars().take(500).collect())),
        by_account: Set(by),
        at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Gives free seats to the waitlist in order and tells those promoted. Call with the event's
/// lock held (in the transaction that freed the seat or raised the capacity).
pub async fn promote(txn: &impl ConnectionTrait, e: &event::Model, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let free = match e.capacity {
        Some(c) => (c.max(0) as u64).saturating_sub(seats_taken(txn, e.id, 0).await?),
        None => u64::MAX,
    };
    if free == 0 {
        return Ok(0);
    }
    let waiting = invitation::Entity::find()
        .filter(invitation::Column::EventId.eq(e.id))
        .filter(invitation::Column::Answer.eq(Answer::Waitlisted))
        .order_by_asc(invitation::Column::AnsweredAt)
        .order_by_asc(invitation::Column::Id)
        .limit(free.min(10_000))
        .all(txn)
        .await?;
    let promoted = waiting.len() as u64;
    for inv in waiting {
        let mut m: invitation::ActiveModel = inv.clone().into();
        m.answer = Set(Answer::Accepted);
        m.update(txn).await?;
        let (old, new) = (Some(Answer::Waitlisted.key()), Some(Answer::Accepted.key()));
        write_log(txn, inv.id, "answer", (old, new), None, None, now).await?;
        super::notices::queue_notice(txn, e, &inv, now).await?;
    }
    Ok(promoted)
}
