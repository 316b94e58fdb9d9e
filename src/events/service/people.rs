//! Naming an event's host and recorder after it took place (the event form is closed once it has
//! ended): for the organising branch's managers, from the minutes page, logged in the event's
//! change log. The minutes domain calls it inside its own transaction, holding the record's row,
//! and refuses once the record is locked: this module knows nothing of minutes.
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Set};

use super::{EventError, FormError, edit::log, edit::save, load_locked, people_choices};
use crate::{
    branches::Scope,
    events::{entity::event, rules::EventState, rules::People},
    forms::FieldErrors,
};

/// Names the host and recorder of a started event (scheduled or ended), locking its row: the
/// organising branch's managers only. Each change is logged (`host`, `recorder`: "old → new" by
/// name) without raising the iCalendar sequence: nobody is sent an update about a meeting held.
/// Returns whether anything changed.
pub async fn set_people(
    txn: &impl ConnectionTrait,
    scope: &Scope,
    event_id: i64,
    people: &People,
    now: DateTime<Utc>,
) -> Result<bool, FormError> {
    let loaded = load_locked(txn, scope, event_id).await?;
    loaded.require_manager()?;
    let e = &loaded.event;
    if matches!(e.state, EventState::Draft | EventState::Cancelled) || e.starts_at > now {
        // Before it starts the event form names them (and tells the invitees).
        return Err(EventError::Forbidden.into());
    }
    let choices = people_choices(txn, &loaded).await?;
    let name_of = |id: Option<i64>| id.and_then(|i| choices.iter().find(|m| m.id == i)).map(|m| m.name.clone());
    let mut errors = FieldErrors::default();
    if people.host_member_id.is_some() && name_of(people.host_member_id).is_none() {
        errors.add("host_member_id", "event.person_invalid");
    }
    if people.recorder_member_id.is_some() && name_of(people.recorder_member_id).is_none() {
        errors.add("recorder_member_id", "event.person_invalid");
    }
    if !errors.is_empty() {
        return Err(FormError::Fields(errors));
    }
    // Names as they read before: a member who has left since is still named by the row.
    let was = async |id: Option<i64>| match id {
        Some(id) => Ok::<_, sea_orm::DbErr>(crate::members::service::find_by_id(txn, id).await?.map(|m| m.name)),
        None => Ok(None),
    };
    let host_before = was(e.host_member_id).await?.or_else(|| e.host_guest_name.clone());
    let recorder_before = was(e.recorder_member_id).await?;
    let host_after = name_of(people.host_member_id).or_else(|| people.host_guest_name.clone());
    let host_changed = e.host_member_id != people.host_member_id || e.host_guest_name != people.host_guest_name;
    let recorder_changed = e.recorder_member_id != people.recorder_member_id;
    if !host_changed && !recorder_changed {
        return Ok(false);
    }
    let mut m: event::ActiveModel = e.clone().into();
    m.host_member_id = Set(people.host_member_id);
    m.host_guest_name = Set(people.host_guest_name.clone());
    m.recorder_member_id = Set(people.recorder_member_id);
    m.updated_at = Set(now);
    let after = save(txn, m, false).await?;
    let dash = |n: Option<String>| n.unwrap_or_else(|| "—".to_owned());
    if host_changed {
        let summary = format!("{} → {}", dash(host_before), dash(host_after));
        log(txn, event_id, "host", &summary, after.sequence, scope.account_id(), now).await?;
    }
    if recorder_changed {
        let summary = format!("{} → {}", dash(recorder_before), dash(name_of(people.recorder_member_id)));
        log(txn, event_id, "recorder", &summary, after.sequence, scope.account_id(), now).await?;
    }
    Ok(true)
}
