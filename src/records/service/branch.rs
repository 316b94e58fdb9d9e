//! One branch's record: its figures, the events it held and its members' figures.
use std::collections::HashMap;

use chrono_tz::Tz;
use sea_orm::{Condition, ConnectionTrait, QuerySelect, entity::prelude::*};

use super::{RecordsError, lines, memberships::Memberships, month_index, start_of};
use crate::{
    branches::{BranchKind, Scope, entity::branch},
    events::{
        entity::event,
        rules::{EventKind, EventState},
    },
    members::entity::{member, period},
    records::rules::{Figures, Period},
};

/// A member's figures in a period, with their name.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub id: i64,
    pub name: String,
    pub figures: Figures,
}

/// One branch's record: its figures, the events it held by type, and its members' figures (those
/// who belonged to it at some time in the period; each counted only for the days they did).
pub struct BranchRecord {
    pub branch: branch::Model,
    pub figures: Figures,
    /// Per month of the period.
    pub months: Vec<Figures>,
    pub held: Vec<(EventKind, usize)>,
    pub members: Vec<MemberRow>,
}

pub async fn branch_record(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    period: &Period,
    tz: Tz,
) -> Result<BranchRecord, RecordsError> {
    let branch = crate::branches::service::get(db, scope, id).await.map_err(|_| RecordsError::NotFound)?;
    if branch.kind != BranchKind::Branch {
        return Err(RecordsError::NotFound);
    }
    let periods = period::Entity::find()
        .filter(period::Column::BranchId.eq(id))
        .filter(period::Column::FromOn.lte(period.to))
        .filter(Condition::any().add(period::Column::UntilOn.is_null()).add(period::Column::UntilOn.gt(period.from)))
        .all(db)
        .await?;
    let mut ids: Vec<i64> = periods.iter().map(|p| p.member_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let memberships = Memberships::of(db, Some(&ids)).await?;
    let mut per_member: HashMap<i64, Figures> = ids.iter().map(|m| (*m, Figures::default())).collect();
    let mut figures = Figures::default();
    let month_list = period.months();
    let mut months = vec![Figures::default(); month_list.len()];
    for l in lines(db, period, tz, Some(&ids)).await? {
        if memberships.branch_on(l.member_id, l.day) == Some(id) {
            figures.add(l.outcome, l.makeup_required, l.makeup_done);
            if let Some(i) = month_index(&month_list, l.day) {
                months[i].add(l.outcome, l.makeup_required, l.makeup_done);
            }
            per_member.entry(l.member_id).or_default().add(l.outcome, l.makeup_required, l.makeup_done);
        }
    }
    let names: HashMap<i64, String> = member::Entity::find()
        .select_only()
        .columns([member::Column::Id, member::Column::Name])
        .filter(member::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut members: Vec<MemberRow> = per_member
        .into_iter()
        .map(|(id, figures)| MemberRow { id, name: names.get(&id).cloned().unwrap_or_default(), figures })
        .collect();
    members.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let kinds: Vec<(EventKind, i64)> = event::Entity::find()
        .select_only()
        .column(event::Column::Kind)
        .column_as(event::Column::Id.count(), "n")
        .filter(event::Column::BranchId.eq(id))
        .filter(event::Column::State.eq(EventState::Ended))
        .filter(event::Column::StartsAt.gte(start_of(period.from, tz)))
        .filter(event::Column::StartsAt.lt(start_of(period.end(), tz)))
        .group_by(event::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    let held = kinds.into_iter().map(|(k, n)| (k, n as usize)).collect();
    Ok(BranchRecord { branch, figures, months, held, members })
}
