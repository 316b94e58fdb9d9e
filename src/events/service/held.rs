//! Recording an activity that already took place (补录): one transaction writes the event as the
//! event clock would have left it (ended, settled, every roster member's outcome, leave with its
//! reason), its holding branches, guests and agenda, and a line in its history; nobody is invited,
//! reminded or mailed. A draft whose time has passed can be recorded so in its place.
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ActiveModelTrait, DatabaseConnection, DatabaseTransaction, DbErr, Set, entity::prelude::*};

use super::{
    EventError, FormError,
    edit::{apply, check_references, log, save, write_units_and_picks},
    load_locked,
};
use crate::{
    branches::Scope,
    db::BoxFuture,
    events::{
        entity::{agenda, event, guest, invitation},
        rules::{
            EventState,
            held::{Attended, HeldData, mark_field},
        },
    },
    forms::FieldErrors,
    invitations::{Answer, Outcome, Role},
    members::{entity::member, rules::PoliticalStatus, service::MemberError},
};

/// The kind of the history line of a recorded activity.
pub const RECORDED: &str = "recorded";

/// What else is written in the same transaction once the activity is recorded (the application
/// drafts its report here): called with the transaction and the event's id.
pub type AfterRecord = Box<dyn for<'a> FnOnce(&'a DatabaseTransaction, i64) -> BoxFuture<'a, Result<(), DbErr>> + Send>;

/// That day's roster of an activity: the members of its holding branches (the organiser and the
/// co-organisers the scope manages: others are only asked, as for scheduled events) whose
/// membership period covers `day` and whose political status is one of `statuses`, by name.
pub async fn roster(
    db: &impl ConnectionTrait,
    scope: &Scope,
    branch_id: i64,
    co_organisers: &[i64],
    day: NaiveDate,
    statuses: &[PoliticalStatus],
) -> Result<Vec<member::Model>, EventError> {
    if !scope.covers(branch_id) {
        return Err(EventError::Forbidden);
    }
    let units: BTreeSet<i64> =
        std::iter::once(branch_id).chain(co_organisers.iter().copied().filter(|c| scope.covers(*c))).collect();
    let mut found: BTreeMap<i64, member::Model> = BTreeMap::new();
    for unit in units {
        let members = crate::members::service::roster_on(db, scope, unit, day).await.map_err(|e| match e {
            MemberError::Db(e) => EventError::Db(e),
            _ => EventError::Forbidden,
        })?;
        found.extend(members.into_iter().filter(|m| statuses.contains(&m.political_status)).map(|m| (m.id, m)));
    }
    let mut list: Vec<member::Model> = found.into_values().collect();
    list.sort_by(|a, b| (&a.name, a.id).cmp(&(&b.name, b.id)));
    Ok(list)
}

/// A draft recorded as held in its place: its id, and the revision the form showed (a draft saved
/// since is refused as [`EventError::Stale`] rather than silently undone).
#[derive(Debug, Clone, Copy)]
pub struct FromDraft {
    pub id: i64,
    pub revision: Option<i32>,
}

/// Records an activity organised by `branch_id` that took place (in place of the draft `draft`,
/// when given), with the attendance of every member of that day's roster, and returns its id.
///
/// The marks must cover the roster exactly: a member missing is a field error of their line, an
/// id that is not on it (a forged or outdated form) an error of the form. `after` runs in the same
/// transaction (the report's draft).
pub async fn record(
    db: &DatabaseConnection,
    scope: &Scope,
    branch_id: i64,
    draft: Option<FromDraft>,
    data: &HeldData,
    now: DateTime<Utc>,
    after: Option<AfterRecord>,
) -> Result<i64, FormError> {
    if !scope.covers(branch_id) {
        return Err(EventError::Forbidden.into());
    }
    let txn = crate::db::write_txn(db).await?;
    let before = match draft {
        Some(FromDraft { id, revision }) => {
            let loaded = load_locked(&txn, scope, id).await?;
            loaded.require_draft()?;
            if loaded.event.branch_id != branch_id {
                return Err(EventError::NotFound.into());
            }
            if revision.is_some_and(|r| r != loaded.event.revision) {
                return Err(EventError::Stale.into());
            }
            Some(loaded.event)
        }
        None => None,
    };
    let unit = crate::branches::service::unit(&txn, branch_id).await?.ok_or(EventError::NotFound)?;
    let day = data.event.starts_at.with_timezone(&unit.tz()).date_naive();
    let people = roster(&txn, scope, branch_id, &data.event.co_organisers, day, &data.event.audience.statuses).await?;
    let on_roster: BTreeSet<i64> = people.iter().map(|m| m.id).collect();
    // The host and recorder may have left the branches since: who was on that day's roster is
    // theirs to name.
    let mut checked = data.event.clone();
    checked.host_member_id = checked.host_member_id.filter(|h| !on_roster.contains(h));
    checked.recorder_member_id = checked.recorder_member_id.filter(|r| !on_roster.contains(r));
    let mut errors: FieldErrors = check_references(&txn, branch_id, &checked).await?;
    let marked: BTreeSet<i64> = data.marks.iter().map(|m| m.member_id).collect();
    if !marked.is_subset(&on_roster) {
        errors.add("form", "held.not_on_roster");
    }
    for missing in on_roster.difference(&marked) {
        errors.add(&mark_field(*missing), "held.mark_required");
    }
    if !errors.is_empty() {
        return Err(FormError::Fields(errors));
    }
    let mut m: event::ActiveModel = match &before {
        Some(e) => e.clone().into(),
        None => event::ActiveModel {
            branch_id: Set(branch_id),
            edited_by_hand: Set(false),
            sequence: Set(0),
            created_by: Set(scope.account_id()),
            created_at: Set(now),
            ..Default::default()
        },
    };
    apply(&mut m, &data.event);
    m.state = Set(EventState::Ended);
    m.finalised_at = Set(Some(now));
    m.updated_at = Set(now);
    m.cancel_reason = Set(None);
    m.non_voting_count = Set(data.non_voting.count.and_then(|n| i32::try_from(n).ok()));
    m.non_voting_approx = Set(data.non_voting.approx);
    m.non_voting_note = Set(data.non_voting.note.clone());
    let saved = match before {
        Some(_) => save(&txn, m, false).await?,
        None => m.insert(&txn).await?,
    };
    let id = saved.id;
    write_units_and_picks(&txn, scope, id, branch_id, &data.event).await?;
    write_guests_and_agenda(&txn, id, data).await?;
    write_attendance(&txn, &saved, data, scope, now).await?;
    log(&txn, id, RECORDED, "", saved.sequence, scope.account_id(), now).await?;
    if let Some(after) = after {
        after(&txn, id).await?;
    }
    txn.commit().await?;
    Ok(id)
}

/// The guests and agenda as recorded (a draft's own are replaced).
async fn write_guests_and_agenda(txn: &DatabaseTransaction, id: i64, data: &HeldData) -> Result<(), DbErr> {
    guest::Entity::delete_many().filter(guest::Column::EventId.eq(id)).exec(txn).await?;
    agenda::Entity::delete_many().filter(agenda::Column::EventId.eq(id)).exec(txn).await?;
    let guests: Vec<guest::ActiveModel> = data
        .guests
        .iter()
        .map(|g| guest::ActiveModel {
            event_id: Set(id),
            name: Set(g.name.clone()),
            organisation: Set(g.organisation.clone()),
            title: Set(g.title.clone()),
            email: Set(g.email.clone()),
            phone: Set(g.phone.clone()),
            role: Set(g.role),
            ..Default::default()
        })
        .collect();
    if !guests.is_empty() {
        guest::Entity::insert_many(guests).exec(txn).await?;
    }
    let items: Vec<agenda::ActiveModel> = data
        .agenda
        .iter()
        .enumerate()
        .map(|(n, a)| agenda::ActiveModel {
            event_id: Set(id),
            position: Set(n as i32 + 1),
            title: Set(a.title.clone()),
            presenter: Set(a.presenter.clone()),
            minutes: Set(a.minutes),
            ..Default::default()
        })
        .collect();
    if !items.is_empty() {
        agenda::Entity::insert_many(items).exec(txn).await?;
    }
    Ok(())
}

/// The invitation rows as a settled event has them: each member's answer and outcome (leave
/// approved by the person recording, with its reason; make-up study owed by those who missed it,
/// as the clock would have it), and the guests as present. No token, so no answer link exists.
async fn write_attendance(
    txn: &DatabaseTransaction,
    event: &event::Model,
    data: &HeldData,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    invitation::Entity::delete_many().filter(invitation::Column::EventId.eq(event.id)).exec(txn).await?;
    let base = || invitation::ActiveModel {
        event_id: Set(event.id),
        created_at: Set(now),
        walk_in: Set(false),
        left_early: Set(false),
        makeup_required: Set(false),
        ..Default::default()
    };
    let came = |mut m: invitation::ActiveModel, outcome: Outcome| {
        m.answer = Set(Answer::Accepted);
        m.answered_at = Set(Some(now));
        m.checked_in_at = Set(Some(event.starts_at));
        // Marked on the roster by the person recording, as a secretary's check-in is.
        m.checkin_method = Set(Some("roster".to_owned()));
        m.outcome = Set(Some(outcome));
        m
    };
    let mut rows = Vec::with_capacity(data.marks.len());
    for mark in &data.marks {
        let mut m = base();
        m.member_id = Set(Some(mark.member_id));
        m.role = Set(Role::Member);
        let m = match mark.attended {
            Attended::Present => came(m, Outcome::Present),
            Attended::Late => came(m, Outcome::Late),
            Attended::Leave => {
                m.answer = Set(Answer::LeaveApproved);
                m.answered_at = Set(Some(now));
                m.leave_reason = Set(mark.reason.clone());
                m.leave_decided_by = Set(scope.account_id());
                m.leave_decided_at = Set(Some(now));
                m.outcome = Set(Some(Outcome::Excused));
                m.makeup_required = Set(true);
                m
            }
            Attended::Absent => {
                m.answer = Set(Answer::Pending);
                m.outcome = Set(Some(Outcome::Absent));
                m.makeup_required = Set(true);
                m
            }
        };
        rows.push(m);
    }
    for g in crate::events::service::guests_of(txn, event.id).await? {
        let mut m = base();
        m.guest_id = Set(Some(g.id));
        m.role = Set(g.role.into());
        rows.push(came(m, Outcome::Present));
    }
    // Large rosters go in chunks: PostgreSQL and SQLite limit the parameters of a statement.
    for chunk in rows.chunks(500) {
        invitation::Entity::insert_many(chunk.to_vec()).exec(txn).await?;
    }
    Ok(())
}
