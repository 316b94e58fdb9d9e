//! The association's overview (a secretary's own branches): each branch's figures per month,
//! and every member's figures as a sheet.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DbErr, JoinType, QueryOrder, QuerySelect, entity::prelude::*};

use super::{
    RecordsError, counted, figures_of, lines, memberships::Memberships, month_index, require_manager, start_of,
};
use crate::{
    branches::{BranchKind, Scope, entity::branch},
    events::{
        entity::{event, invitation, unit},
        rules::EventState,
    },
    members::entity::member,
    records::rules::{Figures, Period},
};

/// Each member's figures over the period, counted by the database (one row per member rather
/// than one per invitation: the association's year is hundreds of thousands of invitations).
async fn member_totals(db: &impl ConnectionTrait, period: &Period, tz: Tz) -> Result<HashMap<i64, Figures>, DbErr> {
    /// Member, then the seven counts.
    type Counted = (i64, i64, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Counted> = counted(
        invitation::Entity::find()
            .select_only()
            .column(invitation::Column::MemberId)
            .join(JoinType::InnerJoin, invitation::to_event())
            .filter(event::Column::State.eq(EventState::Ended))
            .filter(event::Column::StartsAt.gte(start_of(period.from, tz)))
            .filter(event::Column::StartsAt.lt(start_of(period.end(), tz)))
            .group_by(invitation::Column::MemberId),
    )
    .into_tuple()
    .all(db)
    .await?;
    Ok(rows.into_iter().map(|(m, c0, c1, c2, c3, c4, c5, c6)| (m, figures_of([c0, c1, c2, c3, c4, c5, c6]))).collect())
}

/// The figures of each branch per month of the period (aligned with `period.months()`). The
/// database counts per event (no join with the members: their invitations sit in the event's
/// index), and each event's count goes to the branch holding it (a group's events to its branch);
/// events held by several units are counted per invitee's branch. Members who did not belong to
/// one branch through the whole period, or were exempt in it, are then counted again event by
/// event by their membership (taken back from where the first count put them). Members are only
/// invited as members of a holding unit, so the rest counted where they belonged.
async fn branch_months(
    db: &impl ConnectionTrait,
    period: &Period,
    tz: Tz,
    memberships: &Memberships,
    parents: &HashMap<i64, i64>,
) -> Result<HashMap<i64, Vec<Figures>>, DbErr> {
    let months = period.months();
    /// Event, starts, holding unit, then the seven counts.
    type PerEvent = (i64, DateTime<Utc>, i64, i64, i64, i64, i64, i64, i64, i64);
    let per_event: Vec<PerEvent> = counted(
        invitation::Entity::find()
            .select_only()
            .column(event::Column::Id)
            .column(event::Column::StartsAt)
            .column(event::Column::BranchId)
            .join(JoinType::InnerJoin, invitation::to_event())
            .filter(event::Column::State.eq(EventState::Ended))
            .filter(event::Column::StartsAt.gte(start_of(period.from, tz)))
            .filter(event::Column::StartsAt.lt(start_of(period.end(), tz)))
            .group_by(event::Column::Id)
            .group_by(event::Column::StartsAt)
            .group_by(event::Column::BranchId),
    )
    .into_tuple()
    .all(db)
    .await?;
    let shared: std::collections::HashSet<i64> = unit::Entity::find()
        .select_only()
        .column(unit::Column::EventId)
        .filter(unit::Column::Accepted.eq(true))
        .group_by(unit::Column::EventId)
        .having(Expr::cust("COUNT(*) > 1"))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let branch_of = |unit: i64| parents.get(&unit).copied().unwrap_or(unit);
    let mut out: HashMap<i64, Vec<Figures>> = HashMap::new();
    let len = months.len();
    fn slot(out: &mut HashMap<i64, Vec<Figures>>, b: i64, i: usize, len: usize) -> &mut Figures {
        &mut out.entry(b).or_insert_with(|| vec![Figures::default(); len])[i]
    }
    // Where each event's lines were counted: its holding branch, or (None) the invitee's branch.
    let mut counted_at: HashMap<i64, (usize, Option<i64>)> = HashMap::new();
    let mut split = Vec::new();
    for (e, starts, unit, c0, c1, c2, c3, c4, c5, c6) in per_event {
        let Some(i) = month_index(&months, starts.with_timezone(&tz).date_naive()) else { continue };
        if shared.contains(&e) {
            counted_at.insert(e, (i, None));
            split.push(e);
        } else {
            counted_at.insert(e, (i, Some(branch_of(unit))));
            slot(&mut out, branch_of(unit), i, len).merge(&figures_of([c0, c1, c2, c3, c4, c5, c6]));
        }
    }
    /// Event, the invitee's branch, then the seven counts.
    type PerBranch = (i64, i64, i64, i64, i64, i64, i64, i64, i64);
    for chunk in split.chunks(500) {
        let rows: Vec<PerBranch> = counted(
            invitation::Entity::find()
                .select_only()
                .column(invitation::Column::EventId)
                .column(member::Column::BranchId)
                .join(JoinType::InnerJoin, invitation::to_member())
                .filter(invitation::Column::EventId.is_in(chunk.iter().copied()))
                .group_by(invitation::Column::EventId)
                .group_by(member::Column::BranchId),
        )
        .into_tuple()
        .all(db)
        .await?;
        for (e, b, c0, c1, c2, c3, c4, c5, c6) in rows {
            if let Some((i, _)) = counted_at.get(&e) {
                slot(&mut out, branch_of(b), *i, len).merge(&figures_of([c0, c1, c2, c3, c4, c5, c6]));
            }
        }
    }
    let now: Vec<(i64, i64)> = member::Entity::find()
        .select_only()
        .columns([member::Column::Id, member::Column::BranchId])
        .into_tuple()
        .all(db)
        .await?;
    let current: HashMap<i64, i64> = now.iter().copied().collect();
    let moved: Vec<i64> =
        now.iter().filter(|(m, b)| memberships.throughout(*m, period) != Some(*b)).map(|(m, _)| *m).collect();
    for l in lines(db, period, tz, Some(&moved)).await? {
        let Some((i, at)) = counted_at.get(&l.event_id).copied() else { continue };
        let one = Figures::one(l.outcome, l.makeup_required, l.makeup_done);
        if let Some(b) = at.or_else(|| current.get(&l.member_id).map(|b| branch_of(*b))) {
            slot(&mut out, b, i, len).remove(&one);
        }
        if let Some(b) = memberships.branch_on(l.member_id, l.day) {
            slot(&mut out, b, i, len).merge(&one);
        }
    }
    Ok(out)
}

/// A branch's figures in the period, and its name.
#[derive(Debug, Clone)]
pub struct BranchRow {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub figures: Figures,
    /// Per month of the period.
    pub months: Vec<Figures>,
    /// Events it organised that ended in the period.
    pub held: usize,
}

/// The branches the scope covers (all for administrators), with their figures, best attendance
/// first (branches without expected members last), and the months of their sum.
pub async fn overview(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: &Period,
    tz: Tz,
) -> Result<(Vec<BranchRow>, Vec<Figures>), RecordsError> {
    require_manager(scope)?;
    let branches = branch::Entity::find()
        .filter(branch::Column::Kind.eq(BranchKind::Branch))
        .order_by_asc(branch::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .filter(|b| scope.covers(b.id))
        .collect::<Vec<_>>();
    let parents: HashMap<i64, i64> = branch::Entity::find()
        .select_only()
        .columns([branch::Column::Id, branch::Column::ParentId])
        .filter(branch::Column::Kind.eq(BranchKind::Group))
        .into_tuple::<(i64, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(g, p)| Some((g, p?)))
        .collect();
    let memberships = Memberships::of(db, None).await?;
    let mut months = branch_months(db, period, tz, &memberships, &parents).await?;
    let held = held_counts(db, period, tz).await?;
    let blank = vec![Figures::default(); period.months().len()];
    let mut trend = blank.clone();
    let mut rows: Vec<BranchRow> = branches
        .into_iter()
        .map(|b| {
            let months = months.remove(&b.id).unwrap_or_else(|| blank.clone());
            let mut figures = Figures::default();
            for (t, m) in trend.iter_mut().zip(&months) {
                figures.merge(m);
                t.merge(m);
            }
            BranchRow {
                figures,
                months,
                held: held.get(&b.id).copied().unwrap_or(0),
                id: b.id,
                name: b.name,
                code: b.code,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        let rate = |r: &BranchRow| r.figures.attendance_rate().unwrap_or(-1.0);
        rate(b).total_cmp(&rate(a)).then_with(|| a.code.cmp(&b.code))
    });
    Ok((rows, trend))
}

/// Every member's figures in the period, per branch they counted for (a member who moved during
/// it has a row for each branch), for the branches the scope covers: (branch, member, figures),
/// by branch code and member name.
pub async fn every_member(
    db: &impl ConnectionTrait,
    scope: &Scope,
    period: &Period,
    tz: Tz,
) -> Result<Vec<(String, String, Figures)>, RecordsError> {
    require_manager(scope)?;
    let memberships = Memberships::of(db, None).await?;
    let mut figures: HashMap<(i64, i64), Figures> = HashMap::new();
    let mut moved = Vec::new();
    for (member, totals) in member_totals(db, period, tz).await? {
        match memberships.throughout(member, period) {
            Some(b) if scope.covers(b) => figures.entry((b, member)).or_default().merge(&totals),
            Some(_) => {}
            None => moved.push(member),
        }
    }
    if !moved.is_empty() {
        for l in lines(db, period, tz, Some(&moved)).await? {
            if let Some(b) = memberships.branch_on(l.member_id, l.day).filter(|b| scope.covers(*b)) {
                figures.entry((b, l.member_id)).or_default().add(l.outcome, l.makeup_required, l.makeup_done);
            }
        }
    }
    let branches: HashMap<i64, (String, String)> = branch::Entity::find()
        .select_only()
        .columns([branch::Column::Id, branch::Column::Code, branch::Column::Name])
        .into_tuple::<(i64, String, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, code, name)| (id, (code, name)))
        .collect();
    let names: HashMap<i64, String> = member::Entity::find()
        .select_only()
        .columns([member::Column::Id, member::Column::Name])
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut rows: Vec<(String, String, String, Figures)> = figures
        .into_iter()
        .filter_map(|((b, m), f)| {
            let (code, branch) = branches.get(&b)?;
            Some((code.clone(), branch.clone(), names.get(&m).cloned().unwrap_or_default(), f))
        })
        .collect();
    rows.sort_by(|a, b| (&a.0, &a.2).cmp(&(&b.0, &b.2)));
    Ok(rows.into_iter().map(|(_, branch, name, f)| (branch, name, f)).collect())
}

/// Events each branch organised that ended in the period.
async fn held_counts(db: &impl ConnectionTrait, period: &Period, tz: Tz) -> Result<HashMap<i64, usize>, DbErr> {
    let rows: Vec<(i64, i64)> = event::Entity::find()
        .select_only()
        .column(event::Column::BranchId)
        .column_as(event::Column::Id.count(), "n")
        .filter(event::Column::State.eq(EventState::Ended))
        .filter(event::Column::StartsAt.gte(start_of(period.from, tz)))
        .filter(event::Column::StartsAt.lt(start_of(period.end(), tz)))
        .group_by(event::Column::BranchId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(b, n)| (b, n as usize)).collect())
}
