//! An event's guests and agenda: each change raises a scheduled event's sequence, is logged,
//! and reaches those invited.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbErr, Set, TransactionSession, TransactionTrait, entity::prelude::*,
};

use super::{
    EventError, agenda_of,
    audience::sync_invitations,
    edit::{log, save},
    load_locked,
};
use crate::{
    branches::Scope,
    events::{
        entity::{agenda, event, guest},
        rules::{AgendaData, EventState, GuestData},
    },
    outbox::Kind,
};

/// Raises the sequence of a scheduled event after a change of its guests or agenda. `event` is
/// the row as [`load_locked`] read it.
async fn touched(
    db: &impl ConnectionTrait,
    event: &event::Model,
    kind: &str,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut m: event::ActiveModel = event.clone().into();
    m.updated_at = Set(now);
    let scheduled = event.state == EventState::Scheduled;
    let after = save(db, m, scheduled).await?;
    if scheduled {
        log(db, event.id, kind, "", after.sequence, scope.account_id(), now).await?;
        if kind == "guests" {
            sync_invitations(db, &after, now).await?;
        }
        // A new guest gets the invitation; an agenda change reaches everyone invited.
        let mail = if kind == "agenda" { Kind::Update } else { Kind::Invitation };
        super::notices::queue_for_event(db, &after, mail, now).await?;
    }
    Ok(())
}

pub async fn add_guest(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    data: &GuestData,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, event_id).await?;
    loaded.require_changeable(now)?;
    guest::ActiveModel {
        event_id: Set(event_id),
        name: Set(data.name.clone()),
        organisation: Set(data.organisation.clone()),
        title: Set(data.title.clone()),
        email: Set(data.email.clone()),
        phone: Set(data.phone.clone()),
        role: Set(data.role),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    touched(&txn, &loaded.event, "guests", scope, now).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn remove_guest(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    guest_id: i64,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, event_id).await?;
    loaded.require_changeable(now)?;
    let gone = guest::Entity::delete_many()
        .filter(guest::Column::Id.eq(guest_id))
        .filter(guest::Column::EventId.eq(event_id))
        .exec(&txn)
        .await?;
    if gone.rows_affected == 0 {
        return Err(EventError::NotFound);
    }
    touched(&txn, &loaded.event, "guests", scope, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Adds an agenda item at the end, or replaces one.
pub async fn save_agenda_item(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    item_id: Option<i64>,
    data: &AgendaData,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, event_id).await?;
    loaded.require_changeable(now)?;
    let items = agenda_of(&txn, event_id).await?;
    match item_id {
        Some(item) => {
            let found = items.into_iter().find(|i| i.id == item).ok_or(EventError::NotFound)?;
            let mut m: agenda::ActiveModel = found.into();
            m.title = Set(data.title.clone());
            m.presenter = Set(data.presenter.clone());
            m.minutes = Set(data.minutes);
            m.update(&txn).await?;
        }
        None => {
            let position = items.last().map_or(1, |i| i.position + 1);
            agenda::ActiveModel {
                event_id: Set(event_id),
                position: Set(position),
                title: Set(data.title.clone()),
                presenter: Set(data.presenter.clone()),
                minutes: Set(data.minutes),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    touched(&txn, &loaded.event, "agenda", scope, now).await?;
    txn.commit().await?;
    Ok(())
}

/// What to do with an agenda item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgendaMove {
    Up,
    Down,
    Remove,
}

pub async fn move_agenda_item(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    item_id: i64,
    how: AgendaMove,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, event_id).await?;
    loaded.require_changeable(now)?;
    let mut items = agenda_of(&txn, event_id).await?;
    let at = items.iter().position(|i| i.id == item_id).ok_or(EventError::NotFound)?;
    match how {
        AgendaMove::Remove => {
            agenda::Entity::delete_by_id(item_id).exec(&txn).await?;
            items.remove(at);
        }
        AgendaMove::Up if at > 0 => items.swap(at, at - 1),
        AgendaMove::Down if at + 1 < items.len() => items.swap(at, at + 1),
        _ => {}
    }
    // Positions are renumbered 1..n, so that they stay dense whatever happened before.
    for (n, item) in items.into_iter().enumerate() {
        let position = n as i32 + 1;
        if item.position != position {
            let mut m: agenda::ActiveModel = item.into();
            m.position = Set(position);
            m.update(&txn).await?;
        }
    }
    touched(&txn, &loaded.event, "agenda", scope, now).await?;
    txn.commit().await?;
    Ok(())
}
