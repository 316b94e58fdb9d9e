//! Who an event reaches: its audience today, and the invitation rows that follow it.
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::{Condition, ConnectionTrait, DbErr, QueryOrder, QuerySelect, Set, entity::prelude::*};

use crate::{
    events::{
        entity::{event, guest, invitation, pick, unit},
        rules::{AudienceKind, statuses_from_db},
    },
    members::{entity::member, rules::MembershipState},
};

/// A person the audience of an event reaches.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Invitee {
    pub member_id: i64,
    pub name: String,
    pub branch_id: i64,
    pub political_status: crate::members::rules::PoliticalStatus,
    pub email: Option<String>,
}

/// The members an event's audience reaches today: active members of the holding branches (or
/// the group, or the picks) with one of the chosen political statuses; picks are taken as chosen.
pub async fn audience(db: &impl ConnectionTrait, event: &event::Model) -> Result<Vec<Invitee>, DbErr> {
    let mut cond = Condition::all().add(member::Column::State.eq(MembershipState::Active));
    match event.audience_kind {
        AudienceKind::Members => {
            let picks: Vec<i64> = pick::Entity::find()
                .select_only()
                .column(pick::Column::MemberId)
                .filter(pick::Column::EventId.eq(event.id))
                .into_tuple()
                .all(db)
                .await?;
            cond = cond.add(member::Column::Id.is_in(picks));
        }
        kind => {
            let units: Vec<i64> = if kind == AudienceKind::Group {
                event.audience_group_id.into_iter().collect()
            } else {
                unit::Entity::find()
                    .select_only()
                    .column(unit::Column::BranchId)
                    .filter(unit::Column::EventId.eq(event.id))
                    .filter(unit::Column::Accepted.eq(true))
                    .into_tuple()
                    .all(db)
                    .await?
            };
            cond = cond
                .add(
                    Condition::any()
                        .add(member::Column::BranchId.is_in(units.clone()))
                        .add(member::Column::GroupId.is_in(units)),
                )
                .add(member::Column::PoliticalStatus.is_in(statuses_from_db(&event.audience_statuses)));
        }
    }
    let rows = member::Entity::find()
        .filter(cond)
        .order_by_asc(member::Column::Name)
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Invitee::from).collect())
}

impl From<member::Model> for Invitee {
    fn from(m: member::Model) -> Self {
        Invitee {
            member_id: m.id,
            name: m.name,
            branch_id: m.branch_id,
            political_status: m.political_status,
            email: m.email,
        }
    }
}

/// Brings the invitation rows of a scheduled event in line with its audience and guests: adds
/// the newly reached, removes those no longer reached who have not answered.
pub(super) async fn sync_invitations(
    db: &impl ConnectionTrait,
    event: &event::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let wanted: BTreeSet<i64> = audience(db, event).await?.into_iter().map(|i| i.member_id).collect();
    let existing: Vec<invitation::Model> =
        invitation::Entity::find().filter(invitation::Column::EventId.eq(event.id)).all(db).await?;
    let have: BTreeSet<i64> = existing.iter().filter_map(|i| i.member_id).collect();
    let gone: Vec<i64> = existing
        .iter()
        .filter(|i| {
            i.member_id.is_some_and(|m| !wanted.contains(&m)) && i.answer == crate::invitations::Answer::Pending
        })
        .map(|i| i.id)
        .collect();
    if !gone.is_empty() {
        invitation::Entity::delete_many().filter(invitation::Column::Id.is_in(gone)).exec(db).await?;
    }
    let new_members = wanted.difference(&have).map(|m| (Some(*m), None, crate::invitations::Role::Member));
    let guests: Vec<guest::Model> = guest::Entity::find().filter(guest::Column::EventId.eq(event.id)).all(db).await?;
    let invited_guests: BTreeSet<i64> = existing.iter().filter_map(|i| i.guest_id).collect();
    let new_guests =
        guests.iter().filter(|g| !invited_guests.contains(&g.id)).map(|g| (None, Some(g.id), g.role.into()));
    let rows: Vec<invitation::ActiveModel> = new_members
        .chain(new_guests)
        .map(|(member_id, guest_id, role)| invitation::ActiveModel {
            event_id: Set(event.id),
            member_id: Set(member_id),
            guest_id: Set(guest_id),
            role: Set(role),
            answer: Set(crate::invitations::Answer::Pending),
            answered_at: Set(None),
            created_at: Set(now),
            leave_reason: Set(None),
            ..Default::default()
        })
        .collect();
    // Large audiences go in chunks: PostgreSQL and SQLite limit the parameters of a statement.
    for chunk in rows.chunks(500) {
        invitation::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(())
}

/// The members with an invitation to an event, by name. Read as one value (`db::json_rows`): an
/// event of 2,000 invitees shows them all to its organisers.
pub async fn invited_members(db: &impl ConnectionTrait, event_id: i64) -> Result<Vec<Invitee>, DbErr> {
    use sea_orm::sea_query::{Alias, Expr, Query};
    let invited = Query::select()
        .column(invitation::Column::MemberId)
        .from(invitation::Entity)
        .and_where(invitation::Column::EventId.eq(event_id))
        .to_owned();
    let select = Query::select()
        .from(member::Entity)
        .expr_as(Expr::col(member::Column::Id), Alias::new("member_id"))
        .columns([
            member::Column::Name,
            member::Column::BranchId,
            member::Column::PoliticalStatus,
            member::Column::Email,
        ])
        .and_where(member::Column::Id.in_subquery(invited))
        .to_owned();
    let columns = ["member_id", "name", "branch_id", "political_status", "email"];
    let mut rows: Vec<Invitee> = crate::db::json_rows(db, &select, &columns).await?;
    rows.sort_unstable_by(|a, b| (&a.name, a.member_id).cmp(&(&b.name, b.member_id)));
    Ok(rows)
}
