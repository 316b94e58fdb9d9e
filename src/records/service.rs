//! Participation records read from attendance (never changing it): every expected member's
//! outcome at the events that ended in a period, counted for the member, for the branch they
//! belonged to on the event's day (membership periods: a member transferred out stops counting
//! for the old branch from that day), and for the association; compliance with the meetings the
//! rules require; absence streaks.
use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{
    Condition, ConnectionTrait, DbErr, JoinType, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
    entity::prelude::*,
};

use super::{
    charts::Mark,
    entity::{exemption, setting},
    rules::{Compliance, Figures, MonthMark, Period, RecordRules, streak},
};
use crate::{
    branches::{BranchKind, Scope, entity::branch},
    events::{
        entity::{event, invitation, unit},
        rules::{EventKind, EventState},
    },
    invitations::{Outcome, Role},
    members::entity::{member, period},
};

#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error("not found")]
    NotFound,
    /// A form that does not read (field errors, translated on the page).
    #[error("invalid")]
    Invalid(crate::forms::FieldErrors),
    /// The rules are the administrators' (a secretary is told so; a member gets NotFound).
    #[error("forbidden")]
    Forbidden,
    /// The rules form was based on rules another administrator changed since: they are these.
    #[error("saved by someone else meanwhile")]
    Stale(Box<RecordRules>),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Lists across members: administrators and secretaries (checked again by each list).
/// Lists across members are for administrators and secretaries. A member is answered as for
/// anything else that is not theirs: not found.
pub fn require_manager(scope: &Scope) -> Result<(), RecordsError> {
    scope.require_manager().map_err(|_| RecordsError::NotFound)
}

/// The rules are the administrators'; a secretary is told so, a member gets not found.
pub fn require_admin(scope: &Scope) -> Result<(), RecordsError> {
    require_manager(scope)?;
    if scope.is_all() { Ok(()) } else { Err(RecordsError::Forbidden) }
}

/// The first instant of a day in a zone, in UTC.
fn start_of(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(tz).earliest())
        .map_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc(), |t| t.with_timezone(&Utc))
}

/// One expected member's outcome at one event that ended.
#[derive(Debug, Clone)]
pub struct Line {
    pub member_id: i64,
    pub event_id: i64,
    /// The event's day in the association's zone.
    pub day: NaiveDate,
    pub outcome: Outcome,
    pub makeup_required: bool,
    pub makeup_done: bool,
}

/// The outcomes of expected members at events that ended in the period (of `members` only, when
/// given; read a few thousand members at a time).
async fn lines(
    db: &impl ConnectionTrait,
    period: &Period,
    tz: Tz,
    members: Option<&[i64]>,
) -> Result<Vec<Line>, DbErr> {
    let Some(ids) = members else { return all_lines(db, period, tz).await };
    let days = event_days(db, period, tz).await?;
    let mut out = Vec::new();
    for chunk in ids.chunks(2000) {
        out.extend(member_lines(db, chunk, &days).await?);
    }
    Ok(out)
}

/// The days of the events that ended in the period (a few thousand in a year).
async fn event_days(db: &impl ConnectionTrait, period: &Period, tz: Tz) -> Result<HashMap<i64, NaiveDate>, DbErr> {
    Ok(event::Entity::find()
        .select_only()
        .columns([event::Column::Id, event::Column::StartsAt])
        .filter(event::Column::State.eq(EventState::Ended))
        .filter(event::Column::StartsAt.gte(start_of(period.from, tz)))
        .filter(event::Column::StartsAt.lt(start_of(period.end(), tz)))
        .into_tuple::<(i64, DateTime<Utc>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, at)| (id, at.with_timezone(&tz).date_naive()))
        .filter(|(_, day)| period.contains(*day))
        .collect())
}

/// A few members' outcomes at the events of `days`: their invitations from their own index
/// alone, without a join (reading each invitation's event by its key cost more than the
/// invitation).
async fn member_lines(
    db: &impl ConnectionTrait,
    ids: &[i64],
    days: &HashMap<i64, NaiveDate>,
) -> Result<Vec<Line>, DbErr> {
    type Raw = (i64, i64, Outcome, bool, Option<NaiveDate>);
    let rows: Vec<Raw> = invitation::Entity::find()
        .select_only()
        .columns([invitation::Column::MemberId, invitation::Column::EventId, invitation::Column::Outcome])
        .columns([invitation::Column::MakeupRequired, invitation::Column::MakeupDoneOn])
        .filter(invitation::Column::MemberId.is_in(ids.iter().copied()))
        .filter(invitation::Column::Role.eq(Role::Member))
        .filter(invitation::Column::Outcome.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(member_id, event_id, outcome, makeup_required, done)| {
            Some(Line {
                member_id,
                event_id,
                day: *days.get(&event_id)?,
                outcome,
                makeup_required,
                makeup_done: done.is_some(),
            })
        })
        .collect())
}

/// Every expected member's outcome at the events that ended in the period.
async fn all_lines(db: &impl ConnectionTrait, period: &Period, tz: Tz) -> Result<Vec<Line>, DbErr> {
    type Raw = (i64, i64, Outcome, DateTime<Utc>, bool, Option<NaiveDate>);
    let rows: Vec<Raw> = invitation::Entity::find()
        .select_only()
        .columns([invitation::Column::MemberId, invitation::Column::EventId, invitation::Column::Outcome])
        .column(event::Column::StartsAt)
        .columns([invitation::Column::MakeupRequired, invitation::Column::MakeupDoneOn])
        .join(JoinType::InnerJoin, invitation::to_event())
        .filter(invitation::Column::MemberId.is_not_null())
        .filter(invitation::Column::Role.eq(Role::Member))
        .filter(invitation::Column::Outcome.is_not_null())
        .filter(event::Column::State.eq(EventState::Ended))
        .filter(event::Column::StartsAt.gte(start_of(period.from, tz)))
        .filter(event::Column::StartsAt.lt(start_of(period.end(), tz)))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(member_id, event_id, outcome, starts, makeup_required, done)| Line {
            member_id,
            event_id,
            day: starts.with_timezone(&tz).date_naive(),
            outcome,
            makeup_required,
            makeup_done: done.is_some(),
        })
        .filter(|l| period.contains(l.day))
        .collect())
}

/// The index of a day's month among the period's months.
fn month_index(months: &[(i32, u32)], day: NaiveDate) -> Option<usize> {
    months.iter().position(|m| *m == (day.year(), day.month()))
}

/// The seven counts of a ledger's figures (expected, present, late, on leave, absent, make-up owed,
/// make-up done) as aggregate columns of a query on expected members' invitations.
fn counted(q: Select<invitation::Entity>) -> Select<invitation::Entity> {
    let sum = |cond: &str| Expr::cust(format!("SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"));
    let outcome = "\"invitations\".\"outcome\"";
    let makeup = "\"invitations\".\"makeup_required\"";
    q.expr(Expr::cust("COUNT(*)"))
        .expr(sum(&format!("{outcome} IN ('present', 'late')")))
        .expr(sum(&format!("{outcome} = 'late'")))
        .expr(sum(&format!("{outcome} = 'excused'")))
        .expr(sum(&format!("{outcome} = 'absent'")))
        .expr(sum(makeup))
        .expr(sum(&format!("{makeup} AND \"invitations\".\"makeup_done_on\" IS NOT NULL")))
        .filter(invitation::Column::MemberId.is_not_null())
        .filter(invitation::Column::Role.eq(Role::Member))
        .filter(invitation::Column::Outcome.is_not_null())
}

/// The figures of the seven counts of [`counted`].
fn figures_of(c: [i64; 7]) -> Figures {
    let n = |v: i64| u32::try_from(v).unwrap_or(0);
    Figures {
        expected: n(c[0]),
        present: n(c[1]),
        late: n(c[2]),
        on_leave: n(c[3]),
        absent: n(c[4]),
        makeup_owed: n(c[5]),
        makeup_done: n(c[6]),
    }
}

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

/// The days members were exempt from activities (免于参加组织生活: long illness, work abroad),
/// from the dated state changes: [from, until) per member. A member exempt today with no change
/// on record (imported so) is exempt since ever.
#[derive(Default)]
struct Exemptions(HashMap<i64, Vec<(NaiveDate, NaiveDate)>>);

impl Exemptions {
    async fn of(db: &impl ConnectionTrait, members: Option<&[i64]>) -> Result<Exemptions, DbErr> {
        use crate::{
            forms::Choice,
            members::{entity::history, rules::MembershipState},
        };
        let exempt = MembershipState::Exempt.key();
        let mut q = history::Entity::find()
            .filter(history::Column::Kind.eq("state"))
            .filter(
                Condition::any().add(history::Column::FromValue.eq(exempt)).add(history::Column::ToValue.eq(exempt)),
            )
            .order_by_asc(history::Column::EffectiveOn)
            .order_by_asc(history::Column::Id);
        let mut now = member::Entity::find()
            .select_only()
            .column(member::Column::Id)
            .filter(member::Column::State.eq(MembershipState::Exempt));
        if let Some(ids) = members {
            q = q.filter(history::Column::MemberId.is_in(ids.iter().copied()));
            now = now.filter(member::Column::Id.is_in(ids.iter().copied()));
        }
        let mut open: HashMap<i64, NaiveDate> = HashMap::new();
        let mut map: HashMap<i64, Vec<(NaiveDate, NaiveDate)>> = HashMap::new();
        for h in q.all(db).await? {
            if h.to_value.as_deref() == Some(exempt) {
                open.insert(h.member_id, h.effective_on);
            } else {
                let from = open.remove(&h.member_id).unwrap_or(NaiveDate::MIN);
                map.entry(h.member_id).or_default().push((from, h.effective_on));
            }
        }
        for m in now.into_tuple::<i64>().all(db).await? {
            let from = open
                .remove(&m)
                .unwrap_or_else(|| map.get(&m).and_then(|v| v.last()).map_or(NaiveDate::MIN, |last| last.1));
            map.entry(m).or_default().push((from, NaiveDate::MAX));
        }
        Ok(Exemptions(map))
    }

    fn on(&self, member: i64, day: NaiveDate) -> bool {
        self.0.get(&member).is_some_and(|v| v.iter().any(|(a, b)| *a <= day && day < *b))
    }

    fn during(&self, member: i64, period: &Period) -> bool {
        self.0.get(&member).is_some_and(|v| v.iter().any(|(a, b)| *a <= period.to && period.from < *b))
    }
}

/// Membership periods by member: which branch each belonged to on a day, and when they were
/// exempt (then they count nowhere).
struct Memberships(HashMap<i64, Vec<period::Model>>, Exemptions);

impl Memberships {
    async fn of(db: &impl ConnectionTrait, members: Option<&[i64]>) -> Result<Memberships, DbErr> {
        let mut q = period::Entity::find();
        if let Some(ids) = members {
            q = q.filter(period::Column::MemberId.is_in(ids.iter().copied()));
        }
        let mut map: HashMap<i64, Vec<period::Model>> = HashMap::new();
        for p in q.all(db).await? {
            map.entry(p.member_id).or_default().push(p);
        }
        Ok(Memberships(map, Exemptions::of(db, members).await?))
    }

    /// The one branch a member belonged to through the whole period, never exempt in it (None:
    /// none, they moved during it, or were exempt some of it: count them event by event).
    fn throughout(&self, member: i64, period: &Period) -> Option<i64> {
        if self.1.during(member, period) {
            return None;
        }
        let covering = self
            .0
            .get(&member)?
            .iter()
            .filter(|p| p.from_on <= period.to && p.until_on.is_none_or(|u| u > period.from));
        let mut it = covering;
        let only = it.next()?;
        let whole = only.from_on <= period.from && only.until_on.is_none_or(|u| u > period.to);
        (whole && it.next().is_none()).then_some(only.branch_id)
    }

    /// The branch a member counts for on a day (None: in none, or exempt).
    fn branch_on(&self, member: i64, day: NaiveDate) -> Option<i64> {
        if self.1.on(member, day) {
            return None;
        }
        self.0
            .get(&member)?
            .iter()
            .find(|p| p.from_on <= day && p.until_on.is_none_or(|u| day < u))
            .map(|p| p.branch_id)
    }
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

/// One event of a member's record.
#[derive(Debug, Clone)]
pub struct EventLine {
    pub event_id: i64,
    pub title: String,
    pub kind: EventKind,
    pub day: NaiveDate,
    pub outcome: Outcome,
    pub makeup_required: bool,
    pub makeup_done: bool,
}

pub struct MemberRecord {
    pub member: member::Model,
    pub figures: Figures,
    pub events: Vec<EventLine>,
    /// Events of the period held by branches the viewer does not manage (a member transferred in
    /// brings them): counted in the figures, not listed.
    pub elsewhere: usize,
    /// The year of the period's end, day by day: the worst mark of the day and its events.
    pub year: i32,
    pub days: HashMap<NaiveDate, (Mark, String)>,
}

/// How a line shows on the heatmap and in the ledger.
pub fn mark_of(outcome: Outcome, makeup_done: bool) -> Mark {
    match outcome {
        Outcome::Present => Mark::Present,
        Outcome::Late => Mark::Late,
        Outcome::Excused if makeup_done => Mark::MadeUp,
        Outcome::Excused => Mark::Leave,
        Outcome::Absent if makeup_done => Mark::MadeUp,
        Outcome::Absent => Mark::Absent,
    }
}

/// A member's record: for administrators, the secretaries of their branch, and themselves.
pub async fn member_record(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    period: &Period,
    tz: Tz,
) -> Result<MemberRecord, RecordsError> {
    let own = scope.actor().member_id == Some(id);
    let member = if own {
        member::Entity::find_by_id(id).one(db).await?.ok_or(RecordsError::NotFound)?
    } else {
        crate::members::service::get(db, scope, id).await.map_err(|_| RecordsError::NotFound)?
    };
    let year = period.to.year();
    let (jan, dec) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31));
    let whole =
        Period { kind: super::rules::PeriodKind::Year, from: jan.unwrap_or(period.from), to: dec.unwrap_or(period.to) };
    let exempt = Exemptions::of(db, Some(&[id])).await?;
    let mut all = lines(db, &whole.union(period), tz, Some(&[id])).await?;
    all.retain(|l| !exempt.on(id, l.day));
    let (lines, of_year): (Vec<Line>, Vec<Line>) = (
        all.iter().filter(|l| period.contains(l.day)).cloned().collect(),
        all.iter().filter(|l| whole.contains(l.day)).cloned().collect(),
    );
    // The events a viewer may see one by one: all of one's own, and the events of the branches a
    // secretary manages; a member's outcomes at another branch's events stay counts.
    let titles: HashMap<i64, (String, EventKind)> = event::Entity::find()
        .select_only()
        .columns([event::Column::Id, event::Column::Title, event::Column::Kind, event::Column::BranchId])
        .filter(event::Column::Id.is_in(all.iter().map(|l| l.event_id)))
        .into_tuple::<(i64, String, EventKind, i64)>()
        .all(db)
        .await?
        .into_iter()
        .filter(|(_, _, _, branch)| own || scope.covers(*branch))
        .map(|(id, t, k, _)| (id, (t, k)))
        .collect();
    let mut figures = Figures::default();
    let mut elsewhere = 0;
    let mut events: Vec<EventLine> = lines
        .into_iter()
        .filter_map(|l| {
            figures.add(l.outcome, l.makeup_required, l.makeup_done);
            let Some((title, kind)) = titles.get(&l.event_id).cloned() else {
                elsewhere += 1;
                return None;
            };
            Some(EventLine {
                event_id: l.event_id,
                title,
                kind,
                day: l.day,
                outcome: l.outcome,
                makeup_required: l.makeup_required,
                makeup_done: l.makeup_done,
            })
        })
        .collect();
    events.sort_by(|a, b| b.day.cmp(&a.day).then(b.event_id.cmp(&a.event_id)));
    let mut days: HashMap<NaiveDate, (Mark, String)> = HashMap::new();
    for l in of_year {
        let mark = mark_of(l.outcome, l.makeup_done);
        let title = titles.get(&l.event_id).map_or("", |t| t.0.as_str());
        days.entry(l.day)
            .and_modify(|(m, t)| {
                *m = m.worse(mark);
                if !title.is_empty() {
                    if !t.is_empty() {
                        t.push_str("; ");
                    }
                    t.push_str(title);
                }
            })
            .or_insert_with(|| (mark, title.to_owned()));
    }
    Ok(MemberRecord { member, figures, events, elsewhere, year, days })
}

/// A member at an absence threshold.
#[derive(Debug, Clone)]
pub struct StreakRow {
    pub member_id: i64,
    pub name: String,
    pub branch: String,
    pub months: u32,
    /// The highest threshold reached (2, 4 or 6 by default).
    pub threshold: u32,
    pub branch_id: i64,
}

/// Members of the scope's branches whose current absence streak reached a threshold, longest
/// first: counted over the twelve months up to `today`'s, by the branch they belong to now.
pub async fn streaks(
    db: &impl ConnectionTrait,
    scope: &Scope,
    rules: &RecordRules,
    today: NaiveDate,
    tz: Tz,
) -> Result<Vec<StreakRow>, RecordsError> {
    require_manager(scope)?;
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let from = (0..11).fold(first, |d, _| (d - Duration::days(1)).with_day(1).unwrap_or(d));
    let period = Period { kind: super::rules::PeriodKind::Range, from, to: today };
    let months = period.months();
    let Some(least) = rules.thresholds.iter().copied().min() else { return Ok(Vec::new()) };
    let exempt = Exemptions::of(db, None).await?;
    // Counted by the database, for all but the few members with an exemption: a year of an
    // association's invitations (hundreds of thousands) is never read row by row.
    let units: Option<Vec<i64>> = scope.units().map(|u| u.iter().copied().collect());
    let mut rows: Vec<StreakRow> = counted_streaks(db, &period, tz, units.as_deref(), least)
        .await?
        .into_iter()
        .filter(|r| !exempt.0.contains_key(&r.member_id))
        .collect();
    let exempted: Vec<i64> = exempt.0.keys().copied().collect();
    let mut marks: HashMap<i64, Vec<MonthMark>> = HashMap::new();
    if !exempted.is_empty() {
        for l in lines(db, &period, tz, Some(&exempted)).await? {
            if exempt.on(l.member_id, l.day) {
                continue;
            }
            let Some(i) = months.iter().position(|m| *m == (l.day.year(), l.day.month())) else { continue };
            let m = &mut marks.entry(l.member_id).or_insert_with(|| vec![MonthMark::default(); months.len()])[i];
            m.expected = true;
            m.unexcused |= l.outcome == Outcome::Absent && !l.makeup_done;
        }
    }
    let found: Vec<(i64, u32)> = marks
        .into_iter()
        .filter_map(|(member, mut ms)| {
            ms.reverse();
            let n = streak(&ms);
            rules.threshold_of(n).map(|_| (member, n))
        })
        .collect();
    if !found.is_empty() {
        let people: Vec<(i64, String, i64)> = member::Entity::find()
            .select_only()
            .columns([member::Column::Id, member::Column::Name, member::Column::BranchId])
            .filter(member::Column::Id.is_in(found.iter().map(|f| f.0)))
            .into_tuple()
            .all(db)
            .await?;
        let branch_names: HashMap<i64, String> = branch::Entity::find()
            .select_only()
            .columns([branch::Column::Id, branch::Column::Name])
            .filter(branch::Column::Id.is_in(people.iter().map(|p| p.2)))
            .into_tuple::<(i64, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        rows.extend(people.into_iter().filter_map(|(id, name, branch_id)| {
            let months = found.iter().find(|f| f.0 == id)?.1;
            let branch = branch_names.get(&branch_id).cloned().unwrap_or_default();
            Some(StreakRow { member_id: id, name, branch, months, threshold: 0, branch_id })
        }));
    }
    rows.retain(|r| scope.covers(r.branch_id) && rules.threshold_of(r.months).is_some());
    for r in &mut rows {
        r.threshold = rules.threshold_of(r.months).unwrap_or(0);
    }
    rows.sort_by(|a, b| b.months.cmp(&a.months).then(a.member_id.cmp(&b.member_id)));
    Ok(rows)
}

/// Members whose current absence streak over the period's months is at least `least`, with their
/// name and branch, counted by the database. Each ended event's month is worked out once; then
/// the members with at least `least` absences without make-up, with those months as a bit mask
/// (a sum of distinct powers of two is their OR, in SQLite and PostgreSQL alike); then, through
/// each such member's own index, the last month they were expected and not absent. The streak is
/// the absent months after it. Only `units`' members when given.
async fn counted_streaks(
    db: &impl ConnectionTrait,
    period: &Period,
    tz: Tz,
    units: Option<&[i64]>,
    least: u32,
) -> Result<Vec<StreakRow>, DbErr> {
    let backend = db.get_database_backend();
    let ph = |n: usize| crate::db::numbered(backend, n);
    let starts: Vec<DateTime<Utc>> = period
        .months()
        .iter()
        .filter_map(|(y, m)| NaiveDate::from_ymd_opt(*y, *m, 1))
        .map(|d| start_of(d.max(period.from), tz))
        .collect();
    // The month of an event: how many month starts after the first it is past.
    let month = (1..starts.len())
        .map(|k| format!("CASE WHEN e.starts_at >= {} THEN 1 ELSE 0 END", ph(k + 3)))
        .collect::<Vec<_>>();
    let month = if month.is_empty() { "0".to_owned() } else { month.join(" + ") };
    let mut values: Vec<Value> =
        vec![start_of(period.from, tz).into(), start_of(period.end(), tz).into(), i64::from(least).into()];
    values.extend(starts.iter().skip(1).map(|s| (*s).into()));
    let scoped = match units {
        Some(units) => {
            let list = units.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            format!(
                "AND i.member_id IN (SELECT id FROM members WHERE branch_id IN ({}))",
                if list.is_empty() { "NULL".to_owned() } else { list }
            )
        }
        None => String::new(),
    };
    let unexcused = "i.outcome = 'absent' AND i.makeup_done_on IS NULL";
    // The absences are read from their own partial index (migration 17). SQLite's planner, with
    // no statistics (nothing runs ANALYZE), prefers the wider covering index; PostgreSQL has its
    // statistics and chooses by itself.
    let absences = match backend {
        sea_orm::DbBackend::Sqlite => "INDEXED BY idx_invitations_unexcused",
        _ => "",
    };
    let sql = format!(
        "WITH ev AS MATERIALIZED (SELECT e.id AS id, {month} AS m FROM events e \
           WHERE e.state = 'ended' AND e.starts_at >= {from} AND e.starts_at < {to}), \
         b AS MATERIALIZED (SELECT i.member_id AS member_id, SUM(DISTINCT 1 << ev.m) AS bad \
           FROM invitations i {absences} JOIN ev ON ev.id = i.event_id \
           WHERE i.member_id IS NOT NULL AND i.role = 'member' AND {unexcused} {scoped} \
           GROUP BY i.member_id HAVING COUNT(*) >= {least}) \
         SELECT b.member_id AS member_id, b.bad AS bad, mb.name AS name, mb.branch_id AS branch_id, \
           br.name AS branch, \
           (SELECT CAST(MAX(ev.m) AS BIGINT) FROM invitations i JOIN ev ON ev.id = i.event_id \
             WHERE i.member_id = b.member_id AND i.role = 'member' AND i.outcome IS NOT NULL \
               AND NOT ({unexcused}) AND ((b.bad >> ev.m) & 1) = 0) AS last_good \
         FROM b JOIN members mb ON mb.id = b.member_id JOIN branches br ON br.id = mb.branch_id",
        from = ph(1),
        to = ph(2),
        least = ph(3),
    );
    let rows = db.query_all_raw(sea_orm::Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut found = Vec::new();
    for r in rows {
        let bad = r.try_get::<i64>("", "bad")?;
        // The absent months after the last month that was expected and not absent.
        let after = r.try_get::<Option<i64>>("", "last_good")?.map_or(0, |m| m + 1);
        let months =
            u32::try_from(bad).unwrap_or(0).checked_shr(u32::try_from(after).unwrap_or(0)).unwrap_or(0).count_ones();
        if months >= least {
            found.push(StreakRow {
                member_id: r.try_get("", "member_id")?,
                name: r.try_get("", "name")?,
                branch: r.try_get("", "branch")?,
                months,
                threshold: 0,
                branch_id: r.try_get("", "branch_id")?,
            });
        }
    }
    Ok(found)
}

/// One row of the compliance grid: a unit and its standing per stretch (month, quarter or year),
/// with the reasons of its exemptions.
pub struct ComplianceRow {
    pub id: i64,
    pub name: String,
    pub cells: Vec<Compliance>,
    pub exemptions: Vec<exemption::Model>,
}

impl ComplianceRow {
    /// The reason of one of the row's exemptions.
    pub fn reason(&self, id: &i64) -> &str {
        self.exemptions.iter().find(|e| e.id == *id).map_or("", |e| e.reason.as_str())
    }
}

/// The stretches of a year for a requirement every `months` months: (first day, last day).
pub fn stretches(year: i32, months: u32) -> Vec<(NaiveDate, NaiveDate)> {
    (0..12 / months.max(1))
        .filter_map(|i| {
            let from = NaiveDate::from_ymd_opt(year, i * months + 1, 1)?;
            let next = if (i + 1) * months >= 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(year, (i + 1) * months + 1, 1)?
            };
            Some((from, next.pred_opt()?))
        })
        .collect()
}

/// The rules as administrators set them (defaults where they did not).
pub async fn rules(db: &impl ConnectionTrait) -> Result<RecordRules, DbErr> {
    let rows = setting::Entity::find().all(db).await?;
    Ok(RecordRules::from_settings(rows.iter().map(|r| (r.key.as_str(), r.value.as_str()))))
}

/// Stores the rules (administrators only), all at once. `based_on` is the version of the rules
/// the form showed ([`RecordRules::version`]): when they changed since, nothing is written and
/// the rules as they are now come back (a stale form would silently undo another's change).
pub async fn save_rules(
    db: &impl TransactionTrait,
    scope: &Scope,
    rules: &RecordRules,
    based_on: &str,
    now: DateTime<Utc>,
) -> Result<(), RecordsError> {
    require_admin(scope)?;
    let txn = crate::db::write_txn(db).await?;
    // SQLite: the write transaction already runs alone. PostgreSQL: the rules' own lock, held
    // until commit, so that two saves read and write one after the other.
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended('records.rules', 7))",
        ))
        .await?;
    }
    let current = self::rules(&txn).await?;
    if current.version() != based_on {
        txn.rollback().await?;
        return Err(RecordsError::Stale(Box::new(current)));
    }
    // Every key is written each time, as an upsert (rows missing before are inserted).
    let rows = rules.to_settings().into_iter().map(|(key, value)| setting::ActiveModel {
        key: sea_orm::Set(key),
        value: sea_orm::Set(value),
        updated_at: sea_orm::Set(now),
    });
    let upsert = sea_orm::sea_query::OnConflict::column(setting::Column::Key)
        .update_columns([setting::Column::Value, setting::Column::UpdatedAt])
        .to_owned();
    setting::Entity::insert_many(rows).on_conflict(upsert).exec_without_returning(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Whether each unit the scope covers (of `only`, when given) held the required meeting of `kind`
/// in each stretch of `year`: events it organised or co-organised (accepted) that ended count,
/// cancelled ones never; an exemption excuses a stretch with nothing held; a scheduled event marks
/// it planned. Party group meetings are the groups'; every other type the branches'. None: the
/// type is not required.
#[allow(clippy::too_many_arguments)]
pub async fn compliance(
    db: &impl ConnectionTrait,
    scope: &Scope,
    rules: &RecordRules,
    kind: EventKind,
    year: i32,
    only: Option<&[i64]>,
    today: NaiveDate,
    tz: Tz,
) -> Result<Option<(Vec<(NaiveDate, NaiveDate)>, Vec<ComplianceRow>)>, RecordsError> {
    require_manager(scope)?;
    let Some(months) = rules.every(kind) else { return Ok(None) };
    let cuts = stretches(year, months);
    let unit_kind = if kind == EventKind::PartyGroupMeeting { BranchKind::Group } else { BranchKind::Branch };
    let mut q = branch::Entity::find().filter(branch::Column::Kind.eq(unit_kind)).order_by_asc(branch::Column::Code);
    if let Some(ids) = only {
        q = q.filter(branch::Column::Id.is_in(ids.iter().copied()));
    }
    let units: Vec<branch::Model> = q.all(db).await?.into_iter().filter(|b| scope.covers(b.id)).collect();
    let (from, to) = (cuts.first().map(|c| c.0), cuts.last().map(|c| c.1));
    let (Some(from), Some(to)) = (from, to) else { return Ok(Some((cuts, Vec::new()))) };
    let mut q = event::Entity::find()
        .select_only()
        .columns([event::Column::Id, event::Column::BranchId, event::Column::State, event::Column::StartsAt])
        .filter(event::Column::Kind.eq(kind))
        .filter(event::Column::State.is_in([EventState::Scheduled, EventState::Ended]))
        .filter(event::Column::StartsAt.gte(start_of(from, tz)))
        .filter(event::Column::StartsAt.lt(start_of(to + Duration::days(1), tz)))
        .order_by_asc(event::Column::StartsAt);
    if only.is_some() {
        // A few units: their own events, and those they co-organise.
        let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
        let co = sea_orm::sea_query::Query::select()
            .column(unit::Column::EventId)
            .from(unit::Entity)
            .and_where(unit::Column::BranchId.is_in(ids.clone()))
            .to_owned();
        q = q.filter(Condition::any().add(event::Column::BranchId.is_in(ids)).add(event::Column::Id.in_subquery(co)));
    }
    let events: Vec<(i64, i64, EventState, DateTime<Utc>)> = q.into_tuple().all(db).await?;
    // Co-organisers by event, read per stretch of event ids (no statement grows with the year).
    let mut co: std::collections::HashSet<(i64, i64)> = std::collections::HashSet::new();
    for chunk in events.chunks(500) {
        let rows: Vec<(i64, i64)> = unit::Entity::find()
            .select_only()
            .columns([unit::Column::EventId, unit::Column::BranchId])
            .filter(unit::Column::EventId.is_in(chunk.iter().map(|e| e.0)))
            .filter(unit::Column::Accepted.eq(true))
            .into_tuple()
            .all(db)
            .await?;
        co.extend(rows);
    }
    let mut exempt: HashMap<i64, Vec<exemption::Model>> = HashMap::new();
    for e in exemption::Entity::find()
        .filter(exemption::Column::Kind.eq(kind))
        .filter(exemption::Column::StartsOn.between(from, to))
        .all(db)
        .await?
    {
        exempt.entry(e.branch_id).or_default().push(e);
    }
    let rows = units
        .into_iter()
        .map(|u| {
            let founded = u.created_at.with_timezone(&tz).date_naive();
            let exemptions = exempt.remove(&u.id).unwrap_or_default();
            let mine: Vec<&(i64, i64, EventState, DateTime<Utc>)> =
                events.iter().filter(|e| e.1 == u.id || co.contains(&(e.0, u.id))).collect();
            let cells = cuts
                .iter()
                .map(|(a, b)| {
                    let inside: Vec<_> = mine
                        .iter()
                        .filter(|e| {
                            let d = e.3.with_timezone(&tz).date_naive();
                            *a <= d && d <= *b
                        })
                        .collect();
                    let held: Vec<_> = inside.iter().filter(|e| e.2 == EventState::Ended).collect();
                    if let Some(first) = held.first() {
                        Compliance::Held(first.0, held.len())
                    } else if let Some(x) = exemptions.iter().find(|x| x.starts_on == *a) {
                        Compliance::Exempted(x.id)
                    } else if let Some(next) = inside.first() {
                        Compliance::Planned(next.0)
                    } else if *b < founded {
                        Compliance::NotApplicable
                    } else if *b < today {
                        Compliance::Missed
                    } else {
                        Compliance::Due
                    }
                })
                .collect();
            ComplianceRow { id: u.id, name: u.name, cells, exemptions }
        })
        .collect();
    Ok(Some((cuts, rows)))
}

/// Excuses a unit from the meeting of `kind` required in the stretch starting `starts_on`, with
/// a reason (administrators, and the secretaries of the unit).
#[allow(clippy::too_many_arguments)]
pub async fn exempt(
    db: &impl ConnectionTrait,
    scope: &Scope,
    rules: &RecordRules,
    unit_id: i64,
    kind: EventKind,
    starts_on: NaiveDate,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, RecordsError> {
    require_manager(scope)?;
    if !scope.covers(unit_id) || branch::Entity::find_by_id(unit_id).one(db).await?.is_none() {
        return Err(RecordsError::NotFound);
    }
    let mut e = crate::forms::FieldErrors::default();
    let starts = rules.every(kind).map(|m| stretches(starts_on.year(), m)).unwrap_or_default();
    if !starts.iter().any(|(a, _)| *a == starts_on) {
        e.add("starts_on", "records.exempt_stretch_invalid");
    }
    let reason = e.check("reason", crate::forms::required_text(reason, 200));
    let Some(reason) = reason.filter(|_| e.is_empty()) else {
        return Err(RecordsError::Invalid(e));
    };
    let row = exemption::ActiveModel {
        branch_id: sea_orm::Set(unit_id),
        kind: sea_orm::Set(kind),
        starts_on: sea_orm::Set(starts_on),
        reason: sea_orm::Set(reason),
        account_id: sea_orm::Set(scope.account_id()),
        created_at: sea_orm::Set(now),
        ..Default::default()
    };
    let done = exemption::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                exemption::Column::BranchId,
                exemption::Column::Kind,
                exemption::Column::StartsOn,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec(db)
        .await;
    match done {
        Ok(r) => Ok(r.last_insert_id),
        Err(DbErr::RecordNotInserted) => {
            Err(RecordsError::Invalid(crate::forms::FieldErrors::single("starts_on", "records.exempt_exists")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Withdraws an exemption, keeping it with who withdrew it and when; returns it (its unit, type
/// and stretch: where to go back to).
pub async fn unexempt(
    db: &impl TransactionTrait,
    scope: &Scope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<exemption::Model, RecordsError> {
    use super::entity::withdrawal;
    require_manager(scope)?;
    let txn = crate::db::write_txn(db).await?;
    let x = exemption::Entity::find_by_id(id).lock_exclusive().one(&txn).await?.ok_or(RecordsError::NotFound)?;
    if !scope.covers(x.branch_id) {
        return Err(RecordsError::NotFound);
    }
    withdrawal::ActiveModel {
        branch_id: sea_orm::Set(x.branch_id),
        kind: sea_orm::Set(x.kind),
        starts_on: sea_orm::Set(x.starts_on),
        reason: sea_orm::Set(x.reason.clone()),
        granted_by: sea_orm::Set(x.account_id),
        granted_at: sea_orm::Set(x.created_at),
        withdrawn_by: sea_orm::Set(scope.account_id()),
        withdrawn_at: sea_orm::Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    exemption::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(x)
}

/// The withdrawn exemptions of a unit's stretch, newest first, with the name of who withdrew each.
pub async fn withdrawals(
    db: &impl ConnectionTrait,
    scope: &Scope,
    unit_id: i64,
    kind: EventKind,
    starts_on: NaiveDate,
) -> Result<Vec<(super::entity::withdrawal::Model, String)>, RecordsError> {
    use super::entity::withdrawal;
    require_manager(scope)?;
    if !scope.covers(unit_id) {
        return Err(RecordsError::NotFound);
    }
    let rows = withdrawal::Entity::find()
        .filter(withdrawal::Column::BranchId.eq(unit_id))
        .filter(withdrawal::Column::Kind.eq(kind))
        .filter(withdrawal::Column::StartsOn.eq(starts_on))
        .order_by_desc(withdrawal::Column::WithdrawnAt)
        .all(db)
        .await?;
    let names = crate::accounts::service::display_names(db, rows.iter().filter_map(|r| r.withdrawn_by)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let who =
                names.iter().find(|(id, _)| Some(*id) == r.withdrawn_by).map(|(_, n)| n.clone()).unwrap_or_default();
            (r, who)
        })
        .collect())
}

/// What a secretary's branches still owe in the stretch today is in: per required type, the
/// units with nothing held and no exemption yet (a planned event is named).
pub struct DueNow {
    pub kind: EventKind,
    pub unit: String,
    pub unit_id: i64,
    /// The stretch's last day.
    pub by: NaiveDate,
    pub planned: Option<i64>,
}

pub async fn due_now(
    db: &impl ConnectionTrait,
    scope: &Scope,
    rules: &RecordRules,
    units: &[i64],
    today: NaiveDate,
    tz: Tz,
) -> Result<Vec<DueNow>, RecordsError> {
    let mut out = Vec::new();
    if units.is_empty() {
        return Ok(out);
    }
    for kind in rules.required() {
        let Some((cuts, rows)) = compliance(db, scope, rules, kind, today.year(), Some(units), today, tz).await? else {
            continue;
        };
        let Some(i) = cuts.iter().position(|(a, b)| *a <= today && today <= *b) else { continue };
        for r in rows {
            let planned = match r.cells[i] {
                Compliance::Due => None,
                Compliance::Planned(e) => Some(e),
                _ => continue,
            };
            out.push(DueNow { kind, unit: r.name, unit_id: r.id, by: cuts[i].1, planned });
        }
    }
    Ok(out)
}

/// The half-yearly attendance ledger (考勤公示) of a branch: its members (those who belonged to it
/// at some time in the half) by the events they were expected at as its members, with totals.
pub struct Ledger {
    pub branch: branch::Model,
    pub events: Vec<(i64, NaiveDate, String)>,
    /// Member, name, a mark per event (None: not expected), totals.
    pub rows: Vec<(i64, String, Vec<Option<Mark>>, Figures)>,
    /// Per event.
    pub totals: Vec<Figures>,
}

pub async fn ledger(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    period: &Period,
    tz: Tz,
) -> Result<Ledger, RecordsError> {
    let record = branch_record(db, scope, id, period, tz).await?;
    let ids: Vec<i64> = record.members.iter().map(|m| m.id).collect();
    let memberships = Memberships::of(db, Some(&ids)).await?;
    let lines: Vec<Line> = lines(db, period, tz, Some(&ids))
        .await?
        .into_iter()
        .filter(|l| memberships.branch_on(l.member_id, l.day) == Some(id))
        .collect();
    let mut event_ids: Vec<i64> = lines.iter().map(|l| l.event_id).collect();
    event_ids.sort_unstable();
    event_ids.dedup();
    let mut events: Vec<(i64, NaiveDate, String)> = Vec::new();
    for chunk in event_ids.chunks(500) {
        let rows: Vec<(i64, DateTime<Utc>, String)> = event::Entity::find()
            .select_only()
            .columns([event::Column::Id, event::Column::StartsAt, event::Column::Title])
            .filter(event::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        events.extend(rows.into_iter().map(|(e, at, t)| (e, at.with_timezone(&tz).date_naive(), t)));
    }
    events.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let column: HashMap<i64, usize> = events.iter().enumerate().map(|(i, e)| (e.0, i)).collect();
    let row_of: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut rows: Vec<(i64, String, Vec<Option<Mark>>, Figures)> =
        record.members.into_iter().map(|m| (m.id, m.name, vec![None; events.len()], m.figures)).collect();
    let mut totals = vec![Figures::default(); events.len()];
    for l in lines {
        let (Some(c), Some(r)) = (column.get(&l.event_id), row_of.get(&l.member_id)) else { continue };
        rows[*r].2[*c] = Some(mark_of(l.outcome, l.makeup_done));
        totals[*c].add(l.outcome, l.makeup_required, l.makeup_done);
    }
    Ok(Ledger { branch: record.branch, events, rows, totals })
}
