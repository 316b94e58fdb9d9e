//! An event's lifecycle: scheduling a draft, cancelling, deleting a draft, copying, and the
//! answer of a branch asked to co-organise.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, Condition, PaginatorTrait, Set, TransactionSession, TransactionTrait, entity::prelude::*,
};

use super::{
    EventError,
    audience::{audience, sync_invitations},
    edit::{log, save},
    effective_state, load, load_locked,
};
use crate::{
    branches::Scope,
    events::{
        entity::{agenda, event, guest, pick, unit},
        rules::{EventState, non_voting::NonVotingCount},
    },
    outbox::Kind,
};

/// Records how many non-voting attendees came and who they were ("各会员单位党务工作者50余人"),
/// by those who run the event, once it is scheduled; logged in its history. Nobody is told: it
/// changes neither time nor place.
pub async fn set_non_voting(
    db: &impl TransactionTrait,
    scope: &Scope,
    id: i64,
    count: &NonVotingCount,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, id).await?;
    if !loaded.runs(scope) {
        return Err(EventError::Forbidden);
    }
    match loaded.event.state {
        EventState::Draft => return Err(EventError::NotDraft),
        EventState::Cancelled => return Err(EventError::Cancelled),
        EventState::Scheduled | EventState::Ended => {}
    }
    let mut m: event::ActiveModel = loaded.event.into();
    m.non_voting_count = Set(count.count.map(|n| n as i32));
    m.non_voting_approx = Set(count.approx && count.count.is_some());
    m.non_voting_note = Set(count.note.clone());
    m.updated_at = Set(now);
    let after = save(&txn, m, false).await?;
    log(&txn, id, "non_voting", &count.to_string(), after.sequence, scope.account_id(), now).await?;
    txn.commit().await?;
    Ok(())
}

/// Schedules a draft: it becomes visible to its audience, who get an invitation row each.
pub async fn schedule(
    db: &impl TransactionTrait,
    scope: &Scope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, id).await?;
    loaded.require_draft()?;
    let event = loaded.event;
    if event.ends_at <= now {
        return Err(EventError::InThePast);
    }
    let guests = guest::Entity::find().filter(guest::Column::EventId.eq(id)).count(&txn).await?;
    if guests == 0 && audience(&txn, &event).await?.is_empty() {
        return Err(EventError::NoInvitees);
    }
    let mut m: event::ActiveModel = event.clone().into();
    m.state = Set(EventState::Scheduled);
    m.updated_at = Set(now);
    let event = save(&txn, m, false).await?;
    log(&txn, id, "scheduled", "", event.sequence, scope.account_id(), now).await?;
    sync_invitations(&txn, &event, now).await?;
    super::notices::queue_for_event(&txn, &event, Kind::Invitation, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Cancels a draft or scheduled event, with a reason.
pub async fn cancel(
    db: &impl TransactionTrait,
    scope: &Scope,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(EventError::ReasonRequired);
    }
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, id).await?;
    loaded.require_changeable(now)?;
    let event = loaded.event;
    let scheduled = event.state == EventState::Scheduled;
    let mut m: event::ActiveModel = event.into();
    m.state = Set(EventState::Cancelled);
    m.cancel_reason = Set(Some(reason.to_owned()));
    m.updated_at = Set(now);
    let after = save(&txn, m, scheduled).await?;
    log(&txn, id, "cancelled", reason, after.sequence, scope.account_id(), now).await?;
    if scheduled {
        super::notices::queue_for_event(&txn, &after, Kind::Cancellation, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Deletes a draft (nothing was sent about it).
pub async fn delete_draft(db: &impl TransactionTrait, scope: &Scope, id: i64) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    load_locked(&txn, scope, id).await?.require_draft()?;
    event::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Copies an event (fields, holding branches, audience, guests and agenda) as a new draft.
pub async fn copy(db: &impl TransactionTrait, scope: &Scope, id: i64, now: DateTime<Utc>) -> Result<i64, EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load(&txn, scope, id).await?;
    loaded.require_manager()?;
    let source = loaded.event;
    let copy = event::ActiveModel {
        id: sea_orm::NotSet,
        state: Set(EventState::Draft),
        cancel_reason: Set(None),
        series_id: Set(None),
        edited_by_hand: Set(false),
        sequence: Set(0),
        revision: Set(0),
        // Who came to the source is not a fact of the copy.
        non_voting_count: Set(None),
        non_voting_approx: Set(false),
        non_voting_note: Set(None),
        created_by: Set(scope.account_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..source.clone().into()
    };
    let new_id = copy.insert(&txn).await?.id;
    let units: Vec<unit::ActiveModel> = unit::Entity::find()
        .filter(unit::Column::EventId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|u| unit::ActiveModel {
            event_id: Set(new_id),
            branch_id: Set(u.branch_id),
            organiser: Set(u.organiser),
            accepted: Set(u.accepted),
        })
        .collect();
    unit::Entity::insert_many(units).exec(&txn).await?;
    let picks: Vec<pick::ActiveModel> = pick::Entity::find()
        .filter(pick::Column::EventId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| pick::ActiveModel { event_id: Set(new_id), member_id: Set(p.member_id) })
        .collect();
    pick::Entity::insert_many(picks).exec(&txn).await?;
    for g in guest::Entity::find().filter(guest::Column::EventId.eq(id)).all(&txn).await? {
        guest::ActiveModel { id: sea_orm::NotSet, event_id: Set(new_id), ..g.into() }.insert(&txn).await?;
    }
    for a in agenda::Entity::find().filter(agenda::Column::EventId.eq(id)).all(&txn).await? {
        agenda::ActiveModel { id: sea_orm::NotSet, event_id: Set(new_id), ..a.into() }.insert(&txn).await?;
    }
    txn.commit().await?;
    Ok(new_id)
}

/// A co-organising branch's answer to being asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoOrganising {
    Accept,
    Decline,
}

/// The secretary of a branch asked to co-organise answers. Accepting makes it a holding branch:
/// on a scheduled event its members are invited (and emailed) at once. Declining removes it.
pub async fn answer_co_organising(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    branch_id: i64,
    answer: CoOrganising,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, event_id).await?;
    if !loaded.asked.contains(&branch_id) || !scope.covers(branch_id) {
        return Err(EventError::NotFound);
    }
    if effective_state(&loaded.event, now) == EventState::Ended {
        return Err(EventError::Ended);
    }
    use sea_orm::sea_query::Expr;
    let this_unit = Condition::all().add(unit::Column::EventId.eq(event_id)).add(unit::Column::BranchId.eq(branch_id));
    let kind = match answer {
        CoOrganising::Accept => {
            unit::Entity::update_many()
                .col_expr(unit::Column::Accepted, Expr::value(true))
                .filter(this_unit)
                .exec(&txn)
                .await?;
            "co_accepted"
        }
        CoOrganising::Decline => {
            unit::Entity::delete_many().filter(this_unit).exec(&txn).await?;
            "co_declined"
        }
    };
    let event = loaded.event;
    log(&txn, event_id, kind, "", event.sequence, scope.account_id(), now).await?;
    if answer == CoOrganising::Accept && event.state == EventState::Scheduled {
        sync_invitations(&txn, &event, now).await?;
        super::notices::queue_for_event(&txn, &event, Kind::Invitation, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Erases, to "—", the leave reasons and the secretaries' notes on them of the events that ended
/// before `before` (`privacy.reasons_keep_years`), on the invitations and in their log; the
/// answers and outcomes stay. Returns how many values were erased.
pub async fn erase_leave_reasons(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, DbErr> {
    use crate::{events::entity::invitation, invitations::log};
    use sea_orm::sea_query::Query;
    let ended = Query::select()
        .column(event::Column::Id)
        .from(event::Entity)
        .and_where(event::Column::EndsAt.lt(before))
        .to_owned();
    let of_ended = || Condition::all().add(invitation::Column::EventId.in_subquery(ended.clone()));
    let mut erased = 0;
    for col in [invitation::Column::LeaveReason, invitation::Column::LeaveNote] {
        erased += crate::db::erase::<invitation::Entity>(db, col, of_ended()).await?;
    }
    // The log keeps each answer's reason and each decision's note beside the values.
    let invitations =
        Query::select().column(invitation::Column::Id).from(invitation::Entity).cond_where(of_ended()).to_owned();
    let logged = Condition::all()
        .add(log::Column::What.is_in(["answer", "leave"]))
        .add(log::Column::InvitationId.in_subquery(invitations));
    erased += crate::db::erase::<log::Entity>(db, log::Column::Note, logged).await?;
    Ok(erased)
}
