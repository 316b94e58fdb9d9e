//! Event rules that need the database: who may see and change an event, its lifecycle, the
//! audience and its invitees, guests, agenda, copies, lists and calendar feeds.
//!
//! This file loads events and says who may do what; the changes live by subject: editing
//! ([`edit`]: create, update, the change log, conflicts), the audience and its invitations
//! ([`audience`]), scheduling, cancelling, copying and co-organising ([`lifecycle`]), and guests
//! and the agenda ([`guests`]). Their functions are re-exported here.
pub mod attachments;
mod audience;
mod edit;
pub mod facts;
pub mod feeds;
mod guests;
pub mod held;
mod lifecycle;
pub mod list;
pub mod notices;
mod people;
pub mod seats;
pub mod series;
pub mod work;

use chrono::{DateTime, Utc};
use sea_orm::{Condition, ConnectionTrait, DbErr, QueryOrder, QuerySelect, entity::prelude::*};

pub use audience::{Invitee, audience, invited_members};
pub(super) use edit::update_as;
pub use edit::{Conflict, FormError, conflicts, create, update};
pub use guests::{AgendaMove, add_guest, move_agenda_item, remove_guest, save_agenda_item};
pub use lifecycle::{
    CoOrganising, answer_co_organising, cancel, copy, delete_draft, erase_leave_reasons, schedule, set_non_voting,
};
pub use people::set_people;

use super::{
    entity::{agenda, change, event, guest, invitation, pick, unit},
    rules::{AudienceKind, EventState},
};
use crate::{
    branches::{Scope, entity::branch},
    members::{entity::member, rules::MembershipState},
};

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("event not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("the event has ended")]
    Ended,
    #[error("the event is cancelled")]
    Cancelled,
    #[error("only a draft can be scheduled or deleted")]
    NotDraft,
    #[error("the event is over already")]
    InThePast,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("the audience is empty")]
    NoInvitees,
    /// The form was based on an older revision of the event: someone saved in between.
    #[error("the event was changed by someone else")]
    Stale,
    #[error(transparent)]
    Db(#[from] DbErr),
    /// Files of the event (attachments) could not be written.
    #[error(transparent)]
    Storage(#[from] std::io::Error),
}

/// How a viewer relates to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Invited, or a member of a holding branch: reads a scheduled, ended or cancelled event.
    Reader,
    /// Secretary of a co-organising branch: reads everything, drafts too.
    CoOrganiser,
    /// Administrator, or secretary of the organising branch.
    Manager,
}

/// An event with the branches that hold it, and the viewer's access.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub event: event::Model,
    /// Co-organising branches that accepted (the organiser is `event.branch_id`): the holding
    /// branches are the organiser and these.
    pub co_organisers: Vec<i64>,
    /// Branches asked to co-organise that have not accepted yet.
    pub asked: Vec<i64>,
    pub access: Access,
}

/// The names an event's page shows: its organising branch, the branches co-organising or asked
/// to, and the host and recorder.
pub struct Named {
    pub branch: branch::Model,
    /// Co-organising and asked branches, by code.
    pub branches: Vec<branch::Model>,
    pub host: Option<String>,
    /// The host's post (a member with one).
    pub host_post: Option<String>,
    pub recorder: Option<String>,
}

/// The names of an event the caller has loaded (and so may read).
pub async fn named(db: &impl ConnectionTrait, loaded: &Loaded) -> Result<Named, EventError> {
    let event = &loaded.event;
    let branch = crate::branches::service::unit(db, event.branch_id).await?.ok_or(EventError::NotFound)?;
    let branches = crate::branches::service::units(db, loaded.named_co_organisers()).await?;
    let people: Vec<i64> = event.host_member_id.into_iter().chain(event.recorder_member_id).collect();
    let people = if people.is_empty() {
        Vec::new()
    } else {
        member::Entity::find().filter(member::Column::Id.is_in(people)).all(db).await?
    };
    let person = |id: Option<i64>| id.and_then(|i| people.iter().find(|m| m.id == i));
    let host = person(event.host_member_id).map(|m| m.name.clone()).or_else(|| event.host_guest_name.clone());
    let host_post = person(event.host_member_id).and_then(|m| m.post.clone());
    let recorder = person(event.recorder_member_id).map(|m| m.name.clone());
    Ok(Named { branch, branches, host, host_post, recorder })
}

/// The active members of a branch and of its party groups, by name: who the event form offers as
/// host, recorder and picked members. Only for the branch's managers.
pub async fn form_people(
    db: &impl ConnectionTrait,
    scope: &Scope,
    branch_id: i64,
    group_ids: &[i64],
) -> Result<Vec<member::Model>, EventError> {
    if !scope.covers(branch_id) {
        return Err(EventError::Forbidden);
    }
    Ok(member::Entity::find()
        .filter(
            Condition::any()
                .add(member::Column::BranchId.eq(branch_id))
                .add(member::Column::GroupId.is_in(group_ids.iter().copied())),
        )
        .filter(member::Column::State.eq(MembershipState::Active))
        .order_by_asc(member::Column::Name)
        .all(db)
        .await?)
}

/// The active members of the holding branches and of their party groups, by name: who may be
/// named host or recorder of an event after it took place ([`set_people`]).
pub async fn people_choices(db: &impl ConnectionTrait, loaded: &Loaded) -> Result<Vec<member::Model>, DbErr> {
    let mut units: Vec<i64> =
        std::iter::once(loaded.event.branch_id).chain(loaded.co_organisers.iter().copied()).collect();
    for b in units.clone() {
        units.extend(crate::branches::service::groups_of(db, b).await?.into_iter().map(|g| g.id));
    }
    let found = member::Entity::find()
        .filter(
            Condition::any()
                .add(member::Column::BranchId.is_in(units.iter().copied()))
                .add(member::Column::GroupId.is_in(units.iter().copied())),
        )
        .order_by_asc(member::Column::Name)
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?;
    Ok(found.into_iter().filter(|m| m.state.is_member()).collect())
}

impl Loaded {
    /// Every branch named as co-organiser, accepted or asked: what the edit form shows.
    pub fn named_co_organisers(&self) -> Vec<i64> {
        self.co_organisers.iter().chain(&self.asked).copied().collect()
    }

    /// Runs the event on the day: a secretary of a holding branch, an administrator, or its host
    /// or recorder. They take its attendance and count who came.
    pub fn runs(&self, scope: &Scope) -> bool {
        let me = scope.actor().member_id;
        self.access >= Access::CoOrganiser
            || me.is_some_and(|m| self.event.host_member_id == Some(m) || self.event.recorder_member_id == Some(m))
    }

    pub fn require_manager(&self) -> Result<(), EventError> {
        if self.access == Access::Manager { Ok(()) } else { Err(EventError::Forbidden) }
    }

    /// Scheduling and deleting are for drafts.
    pub fn require_draft(&self) -> Result<(), EventError> {
        self.require_manager()?;
        if self.event.state == EventState::Draft { Ok(()) } else { Err(EventError::NotDraft) }
    }

    /// Time, place and content can change until the event is over or cancelled.
    pub fn require_changeable(&self, now: DateTime<Utc>) -> Result<(), EventError> {
        self.require_manager()?;
        match effective_state(&self.event, now) {
            EventState::Ended => Err(EventError::Ended),
            EventState::Cancelled => Err(EventError::Cancelled),
            _ => Ok(()),
        }
    }
}

/// The state as the viewer should see it: a scheduled event whose end has passed is ended, even
/// before the clock has recorded it.
pub fn effective_state(e: &event::Model, now: DateTime<Utc>) -> EventState {
    e.state.seen_at(e.ends_at, now)
}

/// The units (branch and party group) a member belongs to; none once they have left.
pub async fn member_units(db: &impl ConnectionTrait, member_id: Option<i64>) -> Result<Vec<i64>, DbErr> {
    let Some(id) = member_id else { return Ok(Vec::new()) };
    Ok(member::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|m| m.state.is_member())
        .map(|m| std::iter::once(m.branch_id).chain(m.group_id).collect())
        .unwrap_or_default())
}

/// Loads an event the viewer may see; anything else is "not found", never data.
pub async fn load(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Loaded, EventError> {
    load_with(db, scope, id, false).await
}

/// Loads an event to change it: as [`load`], with its row locked until the transaction ends
/// (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite the write transaction runs alone). Every
/// read-modify-write of an event starts here, so that two edits never both work from one row.
pub async fn load_locked(txn: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Loaded, EventError> {
    load_with(txn, scope, id, true).await
}

async fn load_with(db: &impl ConnectionTrait, scope: &Scope, id: i64, lock: bool) -> Result<Loaded, EventError> {
    let (event, units) = if lock {
        let event = event::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(EventError::NotFound)?;
        let units = unit::Entity::find().filter(unit::Column::EventId.eq(id)).filter(unit::Column::Organiser.eq(false));
        let units = units.select_only().columns([unit::Column::BranchId, unit::Column::Accepted]);
        (event, units.into_tuple().all(db).await?)
    } else {
        with_units(db, id).await?.ok_or(EventError::NotFound)?
    };
    let co_organisers: Vec<i64> = units.iter().filter(|(_, accepted)| *accepted).map(|(b, _)| *b).collect();
    let asked: Vec<i64> = units.iter().filter(|(_, accepted)| !accepted).map(|(b, _)| *b).collect();
    let access = if scope.covers(event.branch_id) {
        Some(Access::Manager)
    } else if co_organisers.iter().any(|b| scope.covers(*b)) {
        Some(Access::CoOrganiser)
    } else if asked.iter().any(|b| scope.covers(*b)) {
        // Asked to co-organise: sees the event to decide, nothing of its people.
        Some(Access::Reader)
    } else if event.state == EventState::Draft {
        None
    } else {
        let member_id = scope.actor().member_id;
        let invited = match member_id {
            Some(m) => invitation::Entity::find()
                .filter(invitation::Column::EventId.eq(id))
                .filter(invitation::Column::MemberId.eq(m))
                .one(db)
                .await?
                .is_some(),
            None => false,
        };
        let mine = member_units(db, member_id).await?;
        let holds = |b: &i64| mine.contains(b);
        (invited || holds(&event.branch_id) || co_organisers.iter().any(holds)).then_some(Access::Reader)
    };
    let access = access.ok_or(EventError::NotFound)?;
    Ok(Loaded { event, co_organisers, asked, access })
}

/// An event with its co-organising and asked branches (branch, accepted), in one statement: a row
/// per such branch, or one row without when there are none. Every event page starts here.
async fn with_units(db: &impl ConnectionTrait, id: i64) -> Result<Option<(event::Model, Vec<(i64, bool)>)>, DbErr> {
    use sea_orm::{
        FromQueryResult, JoinType, QueryTrait,
        sea_query::{Expr, ExprTrait, IntoCondition},
    };
    let others = event::Entity::belongs_to(unit::Entity)
        .from(event::Column::Id)
        .to(unit::Column::EventId)
        .on_condition(|_, u| Expr::col((u, unit::Column::Organiser)).eq(false).into_condition());
    let stmt = event::Entity::find_by_id(id)
        .join(JoinType::LeftJoin, others.into())
        .column_as(Expr::col((unit::Entity, unit::Column::BranchId)), "unit_branch")
        .column_as(Expr::col((unit::Entity, unit::Column::Accepted)), "unit_accepted")
        .build(db.get_database_backend());
    let rows = db.query_all_raw(stmt).await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let event = event::Model::from_query_result(first, "")?;
    let mut units = Vec::new();
    for row in &rows {
        if let Some(branch) = row.try_get::<Option<i64>>("", "unit_branch")? {
            units.push((branch, row.try_get::<Option<bool>>("", "unit_accepted")?.unwrap_or(false)));
        }
    }
    Ok(Some((event, units)))
}

/// Whether a member invited to an event is still in its audience: a member (active or exempt) of a
/// holding branch, of the chosen party group, or picked. An answer link dies once they are not
/// (transferred out, left), with the invitation it stood for.
pub async fn still_reached(db: &impl ConnectionTrait, event: &event::Model, member_id: i64) -> Result<bool, DbErr> {
    let Some(m) = member::Entity::find_by_id(member_id).one(db).await? else { return Ok(false) };
    if !m.state.is_member() {
        return Ok(false);
    }
    let units: Vec<i64> = match event.audience_kind {
        AudienceKind::Members => return Ok(picks_of(db, event.id).await?.contains(&member_id)),
        AudienceKind::Group => event.audience_group_id.into_iter().collect(),
        _ => {
            unit::Entity::find()
                .select_only()
                .column(unit::Column::BranchId)
                .filter(unit::Column::EventId.eq(event.id))
                .into_tuple()
                .all(db)
                .await?
        }
    };
    Ok(units.contains(&m.branch_id) || m.group_id.is_some_and(|g| units.contains(&g)))
}

pub async fn agenda_of(db: &impl ConnectionTrait, event_id: i64) -> Result<Vec<agenda::Model>, DbErr> {
    agenda::Entity::find()
        .filter(agenda::Column::EventId.eq(event_id))
        .order_by_asc(agenda::Column::Position)
        .order_by_asc(agenda::Column::Id)
        .all(db)
        .await
}

pub async fn picks_of(db: &impl ConnectionTrait, event_id: i64) -> Result<Vec<i64>, DbErr> {
    pick::Entity::find()
        .select_only()
        .column(pick::Column::MemberId)
        .filter(pick::Column::EventId.eq(event_id))
        .into_tuple()
        .all(db)
        .await
}

pub async fn guests_of(db: &impl ConnectionTrait, event_id: i64) -> Result<Vec<guest::Model>, DbErr> {
    guest::Entity::find().filter(guest::Column::EventId.eq(event_id)).order_by_asc(guest::Column::Id).all(db).await
}

pub async fn changes_of(db: &impl ConnectionTrait, event_id: i64) -> Result<Vec<change::Model>, DbErr> {
    change::Entity::find().filter(change::Column::EventId.eq(event_id)).order_by_asc(change::Column::Id).all(db).await
}
